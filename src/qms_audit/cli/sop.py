"""`qms-audit sop ...`: list the SOPs the standards ask for, generate drafts, check the templates."""

from __future__ import annotations

from pathlib import Path

import click

from qms_audit.cli.common import AppContext, emit_json, pass_app, print_table, warn
from qms_audit.cli.options import DATE
from qms_audit.infra import exit_codes
from qms_audit.infra.i18n import ENGLISH, LANGUAGE_NAMES, NP_, _, current_language, pgettext

# where a template comes from, as `sop list` and `sop check-templates` show it
SOURCE_WORDS = {"shipped": NP_("template", "shipped"), "workspace": NP_("template", "workspace")}


def _source(source: str) -> str:
    return pgettext("template", SOURCE_WORDS[source]) if source in SOURCE_WORDS else source


def _fallback_line(sop_ids: list[str]) -> str:
    return _("no template in {language} for {sops}: drafted in English").format(
        language=LANGUAGE_NAMES[current_language()], sops=", ".join(sop_ids))


@click.group()
def sop() -> None:
    """SOP drafts from templates, filled from the institution profile."""


@sop.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def sop_list(app: AppContext, as_json: bool) -> None:
    """Every SOP the workspace's standards define, and its template."""
    from qms_audit.sop.generate import sops_of_workspace

    rows = sops_of_workspace(app.workspace)
    if as_json:
        emit_json([{"id": r.sop.id, "title": r.sop.title, "standard": r.standard.key, "clause": r.sop.clause,
                    "template": str(r.template.path) if r.template else None,
                    "template_source": r.template.source if r.template else None,
                    "template_language": r.template.language if r.template else None} for r in rows])
        return
    missing = pgettext("template", "MISSING")
    headers = [_("SOP"), _("standard"), pgettext("SOP", "clause"), _("template"), _("title")]
    table = [[r.sop.id, r.standard.id, r.sop.clause, _source(r.template.source) if r.template else missing,
              r.draft_sop.title] for r in rows]
    if current_language() != ENGLISH:
        # whether the draft comes out in the reader's language or, for want of a template in it, in English
        headers.insert(4, _("in {language}").format(language=current_language()))
        for r, line in zip(rows, table, strict=True):
            line.insert(4, (_("no: English") if r.fallback else _("yes")) if r.template else "")
    print_table(headers, table)


@sop.command("generate")
@click.argument("sop_ids", nargs=-1)
@click.option("--all", "all_sops", is_flag=True, help="Every SOP of every standard.")
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("sops"),
              show_default=True, help="Folder to write the drafts to.")
@click.option("--format", "fmt", type=click.Choice(["docx", "md"]), default="docx", show_default=True)
@click.option("--date", "on", type=DATE, help="Preparation date printed in the drafts (default today).")
@pass_app
def sop_generate(app: AppContext, sop_ids: tuple[str, ...], all_sops: bool, out_dir: Path, fmt: str, on) -> None:
    """Write SOP drafts (Word or Markdown) filled with the institution's units and roles, in the reader's
    language where there is a template in it (sop_templates/<language>/), else in English."""
    from qms_audit.infra import clock
    from qms_audit.sop.generate import generate, missing_in_language, resolve

    rows = resolve(app.workspace, list(sop_ids), all_sops)
    written = generate(app.workspace, rows, out_dir, fmt, on=on or clock.today())
    for path in written:
        click.echo(_("wrote {path}").format(path=path))
    fallback = missing_in_language(rows)
    if fallback:
        warn(_fallback_line(fallback))


@sop.command("check-templates")
@click.option("--date", "on", type=DATE, help="Date used for the trial render (default today).")
@click.option("--all-languages", is_flag=True,
              help="Check the templates of every language (default: English and the reader's language).")
@pass_app
def sop_check(app: AppContext, on, all_languages: bool) -> None:
    """Render every template with the profile; report errors and missing required sections."""
    from qms_audit.infra import clock
    from qms_audit.sop.generate import check_templates, missing_in_language, sops_of_workspace, template_languages

    languages = template_languages(app.workspace) if all_languages else (current_language(),)
    failed = 0
    for check in check_templates(app.workspace, on=on or clock.today(), languages=languages):
        source = _source(check.source)
        shown = source if check.language == ENGLISH else f"{source}, {check.language}"
        if check.problem:
            failed += 1
            click.echo(_("error: {sop_id} ({source}): {problem}").format(
                sop_id=check.sop_id, source=shown, problem=check.problem), err=True)
        else:
            click.echo(_("ok  {sop_id} ({source})").format(sop_id=check.sop_id, source=shown))
    if current_language() != ENGLISH:
        fallback = missing_in_language(sops_of_workspace(app.workspace))
        if fallback:
            warn(_fallback_line(fallback))
    if failed:
        raise click.exceptions.Exit(exit_codes.BAD_INPUT)
