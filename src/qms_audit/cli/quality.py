"""`qms-audit docs check` (desk review), `qms-audit credentials check` and `qms-audit profile ...`."""

from __future__ import annotations

from pathlib import Path

import click

from qms_audit.cli.common import AppContext, emit_json, pass_app, print_table, progress_bar
from qms_audit.infra import exit_codes


@click.group("docs")
def docs() -> None:
    """Desk review of the institution's own documents."""


@docs.command("check")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--audit", "audit_id", help="Attach the results as documented-plan evidence to this audit.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--date", "on", type=__import__("qms_audit.cli.options", fromlist=["DATE"]).DATE,
              help="Review as of this date (default today).")
@pass_app
def docs_check(app: AppContext, folder: Path, audit_id: str | None, as_json: bool, on) -> None:
    """Which required SOPs exist in FOLDER, are they complete, approved and not overdue for review."""
    import os

    from qms_audit.infra import clock
    from qms_audit.services.deskreview import desk_review

    review, attached = desk_review(app.workspace, folder, today=on or clock.today(), actor=app.actor,
                                   audit_id=audit_id, progress=progress_bar("reading documents"),
                                   workers=min(4, os.cpu_count() or 1))
    if as_json:
        emit_json({**review.to_json(), "attached_evidence": attached})
    else:
        click.echo(f"Desk review of {folder}: {review.documents} document(s) read, "
                   f"{len(review.unreadable)} unreadable, {len(review.unrecognised)} not an SOP")
        several = len({s.standard for s in review.sops}) > 1
        rows = [((f"{s.standard}: " if several else "") + s.sop_id, ", ".join(s.states), s.confidence or "",
                 (s.metadata.version or "") if s.metadata else "",
                 ("yes" if s.metadata and s.metadata.approved else "no") if s.document else "",
                 s.review_due.isoformat() if s.review_due else "") for s in review.sops]
        print_table(["SOP", "states", "recognised", "version", "approved", "review due"], rows)
        for s in review.sops:
            details = s.details()
            if details:
                click.echo(f"\n{s.sop_id} ({s.standard}):")
                for line in details:
                    click.echo(f"  {line}")
        for name, reason in review.unreadable:
            click.echo(f"skipped {name}: {reason}")
        if attached:
            click.echo(f"attached {attached} evidence entr{'y' if attached == 1 else 'ies'} to audit {audit_id}")
    if review.gaps:
        raise click.exceptions.Exit(exit_codes.FINDINGS)


@click.group("credentials")
def credentials() -> None:
    """Micro-credentials as issued (catalogues, Europass and Open Badges credentials) against the EU elements."""


@credentials.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the results as a workbook (.xlsx): one row per credential, one column per element.")
@click.option("--audit", "audit_id", help="Attach the results as evidence to this audit (against eu-mc-2022).")
@click.option("--date", "on", type=__import__("qms_audit.cli.options", fromlist=["DATE"]).DATE,
              help="Check dates against this day (default today).")
@click.option("--credit-hours", type=float, metavar="N",
              help="Notional hours of one national credit (default: the profile's, else 40 as in Malaysia's MQF).")
@click.option("--credit-name", metavar="NAME",
              help="What the catalogue calls the national credit, e.g. SKS (default: the profile's, else 'credit').")
@click.option("--language", "languages", multiple=True, metavar="CODE",
              help="Language to read multilingual texts in, e.g. de (default: the reader's language (--lang), "
                   "else English, else the first given).")
@pass_app
def credentials_check(app: AppContext, paths: tuple[Path, ...], as_json: bool, output: Path | None,
                      audit_id: str | None, on, credit_hours: float | None, credit_name: str | None,
                      languages: tuple[str, ...]) -> None:
    """Check micro-credentials for the EU Annex I elements: catalogues (.csv, .xlsx), Europass EDC credentials
    (.json, .jsonld) and Open Badges 3.0 credentials (.json, .jwt), or folders of them."""
    from qms_audit.infra import clock
    from qms_audit.infra.errors import BadInput, NotFound
    from qms_audit.services.credentials import credential_check

    if output is not None and output.suffix.lower() != ".xlsx":
        raise BadInput(f"-o {output}: the results are written as a workbook; name it .xlsx (e.g. -o results.xlsx)")
    try:
        workspace = app.workspace
    except NotFound:  # the check works outside a workspace too, with the default credit and ECTS hours
        if audit_id:
            raise
        workspace = None
    check, attached = credential_check(workspace, list(paths), today=on or clock.today(),
                                       actor=app.actor if audit_id else "reader", audit_id=audit_id,
                                       credit_name=credit_name, credit_hours=credit_hours,
                                       languages=languages or (app.language,),
                                       progress=progress_bar("checking credentials"))
    if output is not None:
        from qms_audit.infra.files import atomic_write_bytes, display_path
        from qms_audit.render.credentials_xlsx import render_check
        from qms_audit.services.profile import paper_for

        atomic_write_bytes(output, render_check(check, paper=paper_for(workspace)))
        if not as_json:
            click.echo(f"wrote {display_path(output)}")
    if as_json:
        import json
        import sys

        # written a megabyte at a time as it is encoded: a catalogue of 20,000 rows makes a JSON text of 150 MB
        encoder = json.JSONEncoder(indent=2, ensure_ascii=False, default=str)
        chunks: list[str] = []
        size = 0
        for chunk in encoder.iterencode({**check.to_json(), "attached_evidence": attached}):
            chunks.append(chunk)
            size += len(chunk)
            if size > 1 << 20:
                sys.stdout.write("".join(chunks))
                chunks, size = [], 0
        sys.stdout.write("".join(chunks) + "\n")
    else:
        _print_check(check)
        if attached:
            click.echo(f"attached {attached} evidence entr{'y' if attached == 1 else 'ies'} to audit {audit_id}")
    for name, reason in check.unreadable:
        click.echo(f"error: {name}: {reason}", err=True)
    if check.unreadable:
        raise click.exceptions.Exit(exit_codes.BAD_INPUT)
    if check.aligned < check.total:
        raise click.exceptions.Exit(exit_codes.FINDINGS)


def _width() -> int:
    import shutil

    return max(60, shutil.get_terminal_size((110, 24)).columns)


def _wrap(text: str, width: int) -> list[str]:
    """Lines of at most `width` characters, every word kept. A word longer than a line (a path in a credential)
    is broken after a dot or before a bracket where it can be: `credentialSubject.hasClaim.` / `title.en`."""
    import re

    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
            continue
        while len(word) > width:
            cuts = [m.end() for m in re.finditer(r"[./]|(?=\[)", word[: width + 1]) if 0 < m.end() <= width]
            cut = cuts[-1] if cuts else width
            lines.append(word[:cut])
            word = word[cut:]
        lines.append(word)
    return lines or [""]


def _wrapped_table(headers: list[str], rows: list[list[object]], *, widest: dict[int, int], indent: str = "") -> None:
    """A plain table whose long cells wrap within their column instead of being cut: every word is shown."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for i, limit in widest.items():
        widths[i] = max(len(headers[i]), min(widths[i], limit))
    last = len(headers) - 1
    room = _width() - len(indent) - sum(widths[:last]) - 2 * last
    widths[last] = max(len(headers[last]), min(widths[last], max(12, room)))
    for n, row in enumerate(cells):
        wrapped = [_wrap(c, widths[i]) for i, c in enumerate(row)]
        for line in range(max(len(w) for w in wrapped)):
            parts = [(w[line] if line < len(w) else "").ljust(widths[i]) for i, w in enumerate(wrapped)]
            click.echo((indent + "  ".join(parts)).rstrip())
        if n == 0:
            click.echo(indent + "  ".join("-" * w for w in widths))


def _echo_wrapped(text: str, *, indent: str = "") -> None:
    lines = _wrap(text, _width() - len(indent) - 2)
    click.echo(indent + lines[0])
    for line in lines[1:]:
        click.echo(indent + "  " + line)


def _print_check(check) -> None:
    for catalogue in check.catalogues:
        _echo_wrapped(f"{catalogue.aligned} of {len(catalogue.rows)} micro-credentials carry every EU Annex I "
                      f"mandatory element ({catalogue.file})")
        rows = [[r.row, r.title or "(no title)", "yes" if r.aligned else "NO", f"{r.ects:g}" if r.ects else "",
                 "; ".join(r.problems)] for r in catalogue.rows]
        _wrapped_table(["row", "micro-credential", "aligned", "ECTS", "problems"], rows, widest={1: 40})
        if catalogue.missing_columns:
            _echo_wrapped("columns not found: " + ", ".join(catalogue.missing_columns))
        click.echo("")
    for result in check.credentials:
        verdict = "carries every mandatory element" if not result.missing else \
            f"lacks {len(result.missing)} mandatory element{'s' if len(result.missing) != 1 else ''}"
        _echo_wrapped(f"{result.file}: {result.format}, '{result.title or '(no title)'}': {verdict}")
        for line in [f"signature: {result.signature}", *result.notes]:
            _echo_wrapped(line, indent="  ")
        rows = [[e.element.name + ("" if e.element.mandatory else " (optional)"), e.status.upper()
                 if e.status == "missing" and e.element.mandatory else e.status, e.where()] for e in result.elements]
        _wrapped_table(["element", "status", "where found, or why not"], rows, widest={0: 44}, indent="  ")
        for problem in result.problems:
            _echo_wrapped(f"problem: {problem}", indent="  ")
        click.echo("")
    for name, reason in check.passed_over:
        _echo_wrapped(f"passed over {name}: {reason}")
    if check.total:
        _echo_wrapped(f"{check.aligned} of {check.total} micro-credential(s) checked carry every EU Annex I "
                      "mandatory element and no wrong value")


@click.group("profile")
def profile() -> None:
    """The institution profile (institution.yaml) SOP drafts are filled from."""


@profile.command("init")
@click.option("--force", is_flag=True, help="Replace an existing institution.yaml.")
@pass_app
def profile_init(app: AppContext, force: bool) -> None:
    """Write a commented example institution.yaml to edit."""
    from qms_audit.infra.errors import BadInput
    from qms_audit.infra.files import atomic_write_text
    from qms_audit.services.profile import EXAMPLE_PROFILE

    path = app.workspace.profile_path
    if path.exists() and not force:
        raise BadInput(f"{app.workspace.relative(path)} already exists (pass --force to replace it)")
    atomic_write_text(path, EXAMPLE_PROFILE)
    click.echo(f"wrote {app.workspace.relative(path)}: edit it, then run `qms-audit profile validate`")


@profile.command("validate")
@pass_app
def profile_validate(app: AppContext) -> None:
    """Check institution.yaml; one line per problem."""
    from qms_audit.services.profile import load_profile

    p = load_profile(app.workspace)
    click.echo(f"ok  {app.workspace.relative(app.workspace.profile_path)} ({p.name}: {len(p.units)} units, "
               f"{len(p.people)} people)")


@profile.command("show")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def profile_show(app: AppContext, as_json: bool) -> None:
    """The institution profile, validated."""
    from qms_audit.services.profile import load_profile

    p = load_profile(app.workspace)
    if as_json:
        emit_json(p.model_dump(mode="json"))
        return
    click.echo(f"{p.name} ({p.short_name}), {p.city + ', ' if p.city else ''}{p.country}")
    click.echo(f"manages micro-credentials: {p.mc_unit}; certification: {p.certification_unit}; "
               f"quality: {p.quality_unit}")
    print_table(["role", "person"], list(p.roles.model_dump().items()))


@profile.command("schema")
def profile_schema() -> None:
    """The JSON Schema of institution.yaml."""
    import json

    from qms_audit.schemas import profile_schema as make

    click.echo(json.dumps(make(), indent=2, ensure_ascii=False))
