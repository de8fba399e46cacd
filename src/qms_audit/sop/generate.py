"""Generating SOP drafts for the SOPs a standard defines (the set comes from the standard, not from code).

A draft is made in the reader's language from the template written in it (sop_templates/<language>/), with
the standard's texts from its translation overlay; an SOP without a template in that language is drafted in
English throughout, and the command lists those SOPs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from qms_audit.infra import i18n
from qms_audit.infra.errors import BadInput, NotFound, choice_hint
from qms_audit.infra.files import atomic_write_bytes, atomic_write_text
from qms_audit.infra.i18n import ENGLISH, _
from qms_audit.infra.locations import Workspace
from qms_audit.model.overlay import LANGUAGES
from qms_audit.model.profile import InstitutionProfile
from qms_audit.model.programme import Programme
from qms_audit.model.standard import SopDefinition, Standard
from qms_audit.services.overlays import OverlayLibrary
from qms_audit.services.profile import load_profile
from qms_audit.services.programme import load_programme
from qms_audit.services.standards import StandardLibrary
from qms_audit.sop.context import sop_context
from qms_audit.sop.templates import TEMPLATE_SUFFIX, TemplateFile, render_template, template_files, templates_for


@dataclass
class SopRow:
    sop: SopDefinition  # as the standard writes it
    standard: Standard
    template: TemplateFile | None  # what a draft in `language` is made from (its own language's, else English)
    language: str = ENGLISH  # the reader's
    translated: Standard | None = None  # the standard in the template's language, when that is not English

    @property
    def fallback(self) -> bool:
        """Drafted in English for want of a template in the reader's language."""
        return self.template is not None and self.template.language != self.language

    @property
    def draft_standard(self) -> Standard:
        """The standard with its texts in the draft's language."""
        return self.translated or self.standard

    @property
    def draft_sop(self) -> SopDefinition:
        return self.draft_standard.sop(self.sop.id) or self.sop

    @property
    def draft_language(self) -> str:
        return self.template.language if self.template is not None else self.language


def sops_of_workspace(workspace: Workspace, language: str | None = None) -> list[SopRow]:
    """Every SOP of the workspace's standards with the template a draft in `language` (the reader's unless
    given) is made from."""
    language = language or i18n.current_language()
    templates = templates_for(workspace, language)
    library = StandardLibrary(workspace)
    overlays = OverlayLibrary(library)
    rows = []
    for loaded in library.load_all():
        std = loaded.standard
        if std is None:
            continue
        translated = None
        if language != ENGLISH and any(templates.get(s.id) and templates[s.id].language == language
                                       for s in std.sops):
            translated = overlays.localised(std, language).standard
        for sop in std.sops:
            template = templates.get(sop.id)
            own = template is not None and template.language == language != ENGLISH
            rows.append(SopRow(sop, std, template, language, translated if own else None))
    return rows


def resolve(workspace: Workspace, sop_ids: list[str], all_sops: bool) -> list[SopRow]:
    rows = sops_of_workspace(workspace)
    if all_sops:
        return rows
    if not sop_ids:
        raise BadInput(_("name an SOP (see `qms-audit sop list`) or pass --all"))
    by_id = {r.sop.id: r for r in rows}
    out = []
    for sop_id in sop_ids:
        if sop_id not in by_id:
            raise NotFound(_("unknown SOP '{sop_id}' ({hint})").format(sop_id=sop_id,
                                                                      hint=choice_hint(sop_id, sorted(by_id))))
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
    """The template's values in the draft's language."""
    inputs = inputs or sop_inputs(workspace)
    with i18n.language(row.draft_language):
        return sop_context(inputs.profile, row.draft_standard, row.draft_sop, on=on, programme=inputs.programme)


def render_sop(workspace: Workspace, row: SopRow, *, on: dt.date, inputs: SopInputs | None = None,
               context: dict | None = None) -> str:
    template = row.template
    if template is None:
        raise NotFound(_("no template for SOP '{sop_id}'; add {path}").format(
            sop_id=row.sop.id, path=f"sop_templates/{row.sop.id}{TEMPLATE_SUFFIX}"))
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
        # the file is named by the SOP's title in the draft's language, as the draft is titled
        stem = f"{row.sop.id} {row.draft_sop.title}".replace("/", "-")
        if fmt == "md":
            path = out_dir / f"{stem}.md"
            atomic_write_text(path, markdown)
        else:
            from qms_audit.render.markdown_docx import markdown_to_docx_bytes

            path = out_dir / f"{stem}.docx"
            footer = footer_reference(markdown, row.sop.id, context["document"])
            with i18n.language(row.draft_language):  # the footer's page words, the sign-off block
                data = markdown_to_docx_bytes(markdown, workspace=workspace, footer=footer,
                                              paper=inputs.profile.paper)
            atomic_write_bytes(path, data)
        written.append(path)
    return written


@dataclass(frozen=True)
class TemplateCheck:
    sop_id: str
    source: str  # "workspace", "shipped", or "-" when there is no template
    language: str  # the template's
    problem: str | None


def check_templates(workspace: Workspace, *, on: dt.date, languages: tuple[str, ...] = ()) -> list[TemplateCheck]:
    """Every SOP the standards define and every template present, in English and in each of `languages`: each
    template rendered with the profile (in its own language) and its headings checked against the SOP's
    required sections, named as the standard's translation names them. An SOP without a template in a language
    is no problem (it is drafted in English); an English template is needed for every SOP."""
    results = _check_language(workspace, ENGLISH, on=on)
    for language in languages:
        if language != ENGLISH:
            results += _check_language(workspace, language, on=on)
    return results


def _check_language(workspace: Workspace, language: str, *, on: dt.date) -> list[TemplateCheck]:
    rows = [row for row in sops_of_workspace(workspace, language)
            if language == ENGLISH or (row.template is not None and not row.fallback)]
    results: list[TemplateCheck] = []
    known = {r.sop.id for r in sops_of_workspace(workspace, ENGLISH)} if language != ENGLISH \
        else {r.sop.id for r in rows}
    inputs = sop_inputs(workspace)
    for row in rows:
        if row.template is None:
            results.append(TemplateCheck(row.sop.id, "-", language, _("no template: add {path}").format(
                path=f"sop_templates/{row.sop.id}{TEMPLATE_SUFFIX}")))
            continue
        try:
            text = render_sop(workspace, row, on=on, inputs=inputs)
        except Exception as exc:
            lines = getattr(exc, "lines", None)
            results.append(TemplateCheck(row.sop.id, row.template.source, language,
                                         "; ".join(lines()) if lines else str(exc)))
            continue
        missing = [s for s in row.draft_sop.required_sections if not _has_heading(text, s)]
        results.append(TemplateCheck(row.sop.id, row.template.source, language, _(
            "missing required sections: {sections}").format(sections=", ".join(missing)) if missing else None))
    for sop_id, template in sorted(template_files(workspace, language).items()):
        if sop_id not in known:
            results.append(TemplateCheck(sop_id, template.source, language,
                                         _("no standard defines this SOP id (check the file name)")))
    return results


def missing_in_language(rows: list[SopRow]) -> list[str]:
    """The SOPs drafted in English for want of a template in the reader's language."""
    return [row.sop.id for row in rows if row.fallback]


def template_languages(workspace: Workspace) -> tuple[str, ...]:
    """The languages other than English that templates are written in (shipped or the workspace's)."""
    return tuple(code for code in LANGUAGES if template_files(workspace, code))


def _has_heading(markdown: str, section: str) -> bool:
    """Whether a heading names the section: "## 3. Scope", "### Scope", numbered or not, any case."""
    import re

    wanted = section.strip().lower()
    for line in markdown.splitlines():
        match = re.match(r"^#{1,4}\s+(?:\d+(?:\.\d+)*\.?\s+)?(.+?)\s*$", line)
        if match and match.group(1).strip().lower() == wanted:
            return True
    return False
