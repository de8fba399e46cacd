"""`qms-audit standards ...`: list, show, validate and describe the standards of the workspace."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import click

from qms_audit.cli.common import AppContext, emit_json, pass_app, print_table
from qms_audit.infra import exit_codes
from qms_audit.infra.errors import QmsError
from qms_audit.infra.files import display_path
from qms_audit.model.standard import Clause, Force, Standard
from qms_audit.services.standards import StandardLibrary, load_standard_file, requirement_sources

if TYPE_CHECKING:
    from qms_audit.services.overlays import LoadedOverlay


@click.group()
def standards() -> None:
    """Standards the workspace audits against (YAML files in standards/)."""


def _summary(std: Standard) -> dict:
    reqs = std.requirements()
    forces = Counter(r.force.value for r in reqs)
    return {
        "id": std.id,
        "title": std.title,
        "version": std.version,
        "kind": std.kind,
        "clauses": len(std.clauses),
        "auditable_clauses": len(std.auditable_clauses()),
        "requirements": len(reqs),
        "must": forces.get(Force.MUST.value, 0),
        "should": forces.get(Force.SHOULD.value, 0),
        "sops": len(std.sops),
        "rating": std.rating.kind,
    }


@standards.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def list_standards(app: AppContext, as_json: bool) -> None:
    """The workspace's standards: id, title, version, clauses and requirements."""
    library = StandardLibrary(app.workspace)
    loaded = library.load_all()
    good = [item.standard for item in loaded if item.standard is not None]
    bad = [item for item in loaded if item.error is not None]
    if as_json:
        emit_json([_summary(s) for s in good])
    else:
        rows = [(s["id"], s["version"], s["clauses"], f'{s["requirements"]} ({s["must"]} must, {s["should"]} should)',
                 s["sops"], s["title"]) for s in map(_summary, good)]
        print_table(["id", "version", "clauses", "requirements", "SOPs", "title"], rows, right=[2, 4])
    for item in bad:
        click.echo(f"error: {display_path(item.path, app.workspace.root)} is invalid "
                   f"(`qms-audit standards validate` lists the problems)", err=True)
    if bad:
        raise click.exceptions.Exit(exit_codes.BAD_INPUT)


def _clause_tree(clause: Clause, depth: int) -> None:
    pad = "  " * depth
    tag = " (informative)" if clause.informative else (f" [{clause.pdca.value}]" if clause.pdca else "")
    click.echo(f"{pad}{clause.number} {clause.title}{tag}")
    for req in clause.requirements:
        sop = f"  SOP {req.sop}" if req.sop else ""
        phase = req.pdca.value if req.pdca else "-"
        click.echo(f"{pad}  - {req.ref:<10} {req.force.value:<6} {phase}  {req.title}{sop}")
    for sub in clause.clauses:
        _clause_tree(sub, depth + 1)


def _header(std: Standard) -> None:
    s = _summary(std)
    click.echo(f"{std.title}")
    click.echo(f"id {std.id}  version {std.version}  kind {std.kind}  rating {std.rating.kind}")
    click.echo(f"source: {std.source.citation if std.source else 'none cited'}")
    click.echo(f"{s['requirements']} requirements ({s['must']} must, {s['should']} should) in "
               f"{s['auditable_clauses']} auditable clauses; {s['sops']} SOPs")
    click.echo("")


def _sources(std: Standard, as_json: bool) -> None:
    """One row per requirement with its force, source, source section, source modal and SOP: what a reviewer
    holds against the source text."""
    rows = requirement_sources(std)
    if as_json:
        emit_json({"id": std.id, "version": std.version,
                   "source": std.source.model_dump(mode="json") if std.source else None,
                   "requirements": [row.as_json() for row in rows]})
        return
    _header(std)
    if std.source:
        click.echo("Every row's source is the document above; `section` is the part of it the requirement was "
                   "drawn from.")
    else:
        click.echo("This checklist cites no source document: its requirements are the institution's own.")
    print_table(["ref", "force", "section", "modal", "SOP"],
                [(r.ref, r.force, r.source_clause or "-", r.source_modal or "-",
                  f"{r.sop} ({r.sop_clause})" if r.sop else "-") for r in rows])


@standards.command("show")
@click.argument("standard_id")
@click.option("--version", "version", help="A specific version, when several are kept.")
@click.option("--sources", "sources", is_flag=True,
              help="One table of every requirement's force, source section, source modal and SOP.")
@click.option("--json", "as_json", is_flag=True, help="The whole standard (or, with --sources, the table) as JSON.")
@pass_app
def show_standard(app: AppContext, standard_id: str, version: str | None, sources: bool, as_json: bool) -> None:
    """A standard's clauses, requirements and SOPs as a tree; with --sources, where each requirement comes
    from."""
    std = StandardLibrary(app.workspace).get(standard_id, version)
    if sources:
        _sources(std, as_json)
        return
    if as_json:
        emit_json(std.model_dump(mode="json"))  # the standard as written: JSON is the same in every language
        return
    std = _in_language(app, std)
    _header(std)
    for clause in std.clauses:
        _clause_tree(clause, 0)
    if std.sops:
        click.echo("")
        click.echo("SOPs")
        for sop in std.sops:
            click.echo(f"  {sop.id:<14} clause {sop.clause:<6} {sop.title}")


def _in_language(app: AppContext, std: Standard) -> Standard:
    """The standard's texts in the reader's language, and a line saying where they come from."""
    language = app.language
    if language == "en":
        return std
    from qms_audit.model.overlay import LANGUAGES
    from qms_audit.services.overlays import OverlayLibrary

    shown = OverlayLibrary(StandardLibrary(app.workspace)).localised(std, language)
    name = LANGUAGES[language]
    if shown.overlay is None or shown.stale:
        why = "its translation is for another version" if shown.stale else "it has no translation"
        click.echo(f"({name}: {std.key} is shown in English, {why})")
    elif shown.missing:
        click.echo(f"({name} from {app.workspace.relative(shown.overlay)}; {len(shown.missing)} texts not "
                   "translated are in English)")
    return shown.standard


@standards.command("validate")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def validate_standards(app: AppContext, files: tuple[Path, ...]) -> None:
    """Check standard files and their translation overlays (all of the workspace's by default); one line per
    problem, and what each overlay translates."""
    from qms_audit.services.overlays import OverlayLibrary, check_overlay_file, is_overlay_file

    library: StandardLibrary | None = None
    if files:
        base = None
        try:
            base = app.workspace.root
            library = StandardLibrary(app.workspace)
        except QmsError:
            base = None
        targets = [p for p in files if not is_overlay_file(p)]
        overlays = [check_overlay_file(p, library, base=base) for p in files if is_overlay_file(p)]
    else:
        library = StandardLibrary(app.workspace)
        base = app.workspace.root
        targets = library.files()
        if not targets:
            raise QmsError(f"no standard files in {display_path(app.workspace.standards_dir)}/")
        overlays = OverlayLibrary(library).load_all()
    failed = 0
    standards_read: list[Standard] = []
    for path in targets:
        shown = display_path(path, base)
        try:
            std = library.load(path) if library and not files else load_standard_file(path, base=base)
        except QmsError as exc:
            failed += 1
            for line in exc.lines():
                click.echo(f"error: {line}", err=True)
            continue
        standards_read.append(std)
        s = _summary(std)
        click.echo(f"ok  {shown}  ({std.id} {std.version}: {s['clauses']} clauses, {s['requirements']} "
                   f"requirements, {s['sops']} SOPs)")
    failed += _overlay_report(overlays, [] if files else standards_read, base)
    if not files:
        _pinned_audits(app)
    if failed:
        click.echo(f"{failed} of {len(targets) + len(overlays)} file(s) invalid")
        raise click.exceptions.Exit(exit_codes.BAD_INPUT)


def _overlay_report(overlays: list[LoadedOverlay], standards: list[Standard], base: Path | None) -> int:
    """One line per translation overlay: what it covers, or why it is not used; with `standards` (a whole
    workspace checked), one line per standard and language that has none. Returns the number invalid."""
    from qms_audit.model.overlay import LANGUAGES

    if not overlays and not standards:
        return 0
    click.echo("\ntranslations (standards/<id>.<language>.yaml; a text left out is shown in English):")
    failed = 0
    for loaded in overlays:
        shown = display_path(loaded.path, base)
        if loaded.error is not None:
            failed += 1
            for line in loaded.error.lines():
                click.echo(f"error: {line}", err=True)
            continue
        std, overlay, cover = loaded.standard, loaded.overlay, loaded.coverage()
        if std is None or overlay is None or cover is None:
            continue
        language = f"{loaded.language} ({LANGUAGES[loaded.language]})"
        if loaded.stale:
            click.echo(f"  {shown}  {language}: stale: translates {std.id} {overlay.version}, the standard is "
                       f"{std.version}; not used (shown in English) until its texts are checked against "
                       f'{std.version} and it says version: "{std.version}"')
        else:
            click.echo(f"  {shown}  {language}: {cover.summary()}")
    written = {(o.path.name.split(".")[0].split("@")[0], o.language) for o in overlays}
    for std in standards:
        for language, name in LANGUAGES.items():
            if (std.id, language) not in written:
                click.echo(f"  {std.id}.{language}.yaml  {language} ({name}): none; {std.id} is shown in English")
    return failed


def _pinned_audits(app: AppContext) -> None:
    """The audits judged against another text than the workspace's (informative: they stay as planned)."""
    from qms_audit.services.criteria import NOT_PINNED, OLDER, pin_states

    states, errors = pin_states(app.workspace)
    older = [p for p in states if p.state == OLDER]
    loose = [p for p in states if p.state == NOT_PINNED]
    if older:
        click.echo(f"\n{len(older)} audit(s) judged against an earlier text of their standard (pinned when planned;"
                   " editing the standard changes nothing for them):")
        for p in older:
            how = "closed: stays as it was judged" if p.closed else f"open: `qms-audit audit criteria {p.audit_id}`"
            click.echo(f"  {p.audit_id:<28} {p.standard:<18} {how}")
    if loose:
        click.echo(f"\n{len(loose)} audit(s) planned before criteria were pinned, judged against the workspace's "
                   "file as it is now:")
        for p in loose:
            how = "closed: keep the standard's file unchanged" if p.closed else \
                f"open: pin it with `qms-audit audit criteria {p.audit_id} --move --reason ...`"
            click.echo(f"  {p.audit_id:<28} {p.standard:<18} {how}")
    for error in errors:
        click.echo(f"  cannot read {error}")


@standards.command("schema")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
def schema(output: Path | None) -> None:
    """The JSON Schema of the standard format, for editors that complete and check YAML."""
    from qms_audit.schemas import standard_schema

    text = json.dumps(standard_schema(), indent=2, ensure_ascii=False) + "\n"
    if output:
        from qms_audit.infra.files import atomic_write_text

        atomic_write_text(output, text)
        click.echo(f"wrote {display_path(output)}")
    else:
        click.echo(text, nl=False)
