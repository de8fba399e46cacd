"""Generating SOP drafts for the SOPs a standard defines (the set comes from the standard, not from code)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from qms_audit.infra.errors import BadInput, NotFound, choice_hint
from qms_audit.infra.files import atomic_write_bytes, atomic_write_text
from qms_audit.infra.locations import Workspace
from qms_audit.model.profile import InstitutionProfile
from qms_audit.model.programme import Programme
from qms_audit.model.standard import SopDefinition, Standard
from qms_audit.services.profile import load_profile
from qms_audit.services.programme import load_programme
from qms_audit.services.standards import StandardLibrary
from qms_audit.sop.context import sop_context
from qms_audit.sop.templates import TemplateFile, find_template, render_template, template_files


@dataclass
class SopRow:
    sop: SopDefinition
    standard: Standard
    template: TemplateFile | None


def sops_of_workspace(workspace: Workspace) -> list[SopRow]:
    templates = template_files(workspace)
    rows = []
    for loaded in StandardLibrary(workspace).load_all():
        std = loaded.standard
        if std is None:
            continue
        for sop in std.sops:
            rows.append(SopRow(sop, std, templates.get(sop.id)))
    return rows


def resolve(workspace: Workspace, sop_ids: list[str], all_sops: bool) -> list[SopRow]:
    rows = sops_of_workspace(workspace)
    if all_sops:
        return rows
    if not sop_ids:
        raise BadInput("name an SOP (see `qms-audit sop list`) or pass --all")
    by_id = {r.sop.id: r for r in rows}
    out = []
    for sop_id in sop_ids:
        if sop_id not in by_id:
            raise NotFound(f"unknown SOP '{sop_id}' ({choice_hint(sop_id, sorted(by_id))})")
        out.append(by_id[sop_id])
    return out


@dataclass
class SopInputs:
    """What every draft is filled from, read once for a run."""

    profile: InstitutionProfile
    programme: Programme | None  # the audit programme, when the workspace has one


def sop_inputs(workspace: Workspace) -> SopInputs:
    profile = load_profile(workspace)
    return SopInputs(profile, load_programme(workspace) if workspace.programme_path.exists() else None)


def sop_context_of(workspace: Workspace, row: SopRow, *, on: dt.date, inputs: SopInputs | None = None) -> dict:
    inputs = inputs or sop_inputs(workspace)
    return sop_context(inputs.profile, row.standard, row.sop, on=on, programme=inputs.programme)


def render_sop(workspace: Workspace, row: SopRow, *, on: dt.date, inputs: SopInputs | None = None,
               context: dict | None = None) -> str:
    template = row.template or find_template(workspace, row.sop.id)
    context = context or sop_context_of(workspace, row, on=on, inputs=inputs)
    return render_template(template, context, shown=_shown(workspace, template))


def footer_reference(markdown: str, sop_id: str, document: dict) -> str:
    """The footer's reference: the document number and version the draft's own document control gives (read as
    the desk review reads them), or those of `document` (the context's) where a template writes none; then the SOP
    id: "UTN-QAU-SOP-07 v0.1 — SOP-AUDIT"."""
    from qms_audit.services.deskreview import Document, control_fields, markdown_tables, metadata

    headings = [line.strip().strip("#*_ ") for line in markdown.splitlines() if line.startswith("#")]
    draft = Document("draft", "md", markdown, headings, tables=markdown_tables(markdown))
    found = metadata(draft, control_fields(draft))
    return f"{found.document_number or document['number']} v{found.version or document['version']} — {sop_id}"


def _shown(workspace: Workspace, template: TemplateFile) -> str:
    return workspace.relative(template.path) if template.source == "workspace" else f"shipped {template.path.name}"


def generate(workspace: Workspace, rows: list[SopRow], out_dir: Path, fmt: str, *, on: dt.date) -> list[Path]:
    """Render every SOP first (so a template error leaves nothing half-written), then write them."""
    inputs = sop_inputs(workspace)
    contexts = [sop_context_of(workspace, row, on=on, inputs=inputs) for row in rows]
    rendered = [(row, context, render_sop(workspace, row, on=on, context=context))
                for row, context in zip(rows, contexts, strict=True)]
    written = []
    for row, context, markdown in rendered:
        stem = f"{row.sop.id} {row.sop.title}".replace("/", "-")
        if fmt == "md":
            path = out_dir / f"{stem}.md"
            atomic_write_text(path, markdown)
        else:
            from qms_audit.render.markdown_docx import markdown_to_docx_bytes

            path = out_dir / f"{stem}.docx"
            footer = footer_reference(markdown, row.sop.id, context["document"])
            atomic_write_bytes(path, markdown_to_docx_bytes(markdown, workspace=workspace, footer=footer,
                                                            paper=inputs.profile.paper))
        written.append(path)
    return written


def check_templates(workspace: Workspace, *, on: dt.date) -> list[tuple[str, str, str | None]]:
    """(sop id, source, problem or None) for every SOP the standards define and every template present."""
    rows = sops_of_workspace(workspace)
    results: list[tuple[str, str, str | None]] = []
    known = {r.sop.id for r in rows}
    inputs = sop_inputs(workspace)
    for row in rows:
        if row.template is None:
            results.append((row.sop.id, "-", "no template: add sop_templates/" + row.sop.id + ".md.j2"))
            continue
        try:
            text = render_sop(workspace, row, on=on, inputs=inputs)
        except Exception as exc:
            lines = getattr(exc, "lines", None)
            results.append((row.sop.id, row.template.source, "; ".join(lines()) if lines else str(exc)))
            continue
        missing = [s for s in row.sop.required_sections if not _has_heading(text, s)]
        results.append((row.sop.id, row.template.source,
                        ("missing required sections: " + ", ".join(missing)) if missing else None))
    for sop_id, template in sorted(template_files(workspace).items()):
        if sop_id not in known:
            results.append((sop_id, template.source, "no standard defines this SOP id (check the file name)"))
    return results


def _has_heading(markdown: str, section: str) -> bool:
    import re

    wanted = section.strip().lower()
    for line in markdown.splitlines():
        match = re.match(r"^#{1,4}\s+(?:\d+(?:\.\d+)*\.?\s+)?(.+?)\s*$", line)
        if match and match.group(1).strip().lower() == wanted:
            return True
    return False
