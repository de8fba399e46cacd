"""`qms-audit sop ...`: list the SOPs the standards ask for, generate drafts, check the templates."""

from __future__ import annotations

from pathlib import Path

import click

from qms_audit.cli.common import AppContext, emit_json, pass_app, print_table
from qms_audit.cli.options import DATE
from qms_audit.infra import exit_codes


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
                    "template_source": r.template.source if r.template else None} for r in rows])
        return
    print_table(["SOP", "standard", "clause", "template", "title"],
                [(r.sop.id, r.standard.id, r.sop.clause, r.template.source if r.template else "MISSING", r.sop.title)
                 for r in rows])


@sop.command("generate")
@click.argument("sop_ids", nargs=-1)
@click.option("--all", "all_sops", is_flag=True, help="Every SOP of every standard.")
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("sops"),
              show_default=True, help="Folder to write the drafts to.")
@click.option("--format", "fmt", type=click.Choice(["docx", "md"]), default="docx", show_default=True)
@click.option("--date", "on", type=DATE, help="Preparation date printed in the drafts (default today).")
@pass_app
def sop_generate(app: AppContext, sop_ids: tuple[str, ...], all_sops: bool, out_dir: Path, fmt: str, on) -> None:
    """Write SOP drafts (Word or Markdown) filled with the institution's units and roles."""
    from qms_audit.infra import clock
    from qms_audit.sop.generate import generate, resolve

    rows = resolve(app.workspace, list(sop_ids), all_sops)
    written = generate(app.workspace, rows, out_dir, fmt, on=on or clock.today())
    for path in written:
        click.echo(f"wrote {path}")


@sop.command("check-templates")
@click.option("--date", "on", type=DATE, help="Date used for the trial render (default today).")
@pass_app
def sop_check(app: AppContext, on) -> None:
    """Render every template with the profile; report errors and missing required sections."""
    from qms_audit.infra import clock
    from qms_audit.sop.generate import check_templates

    failed = 0
    for sop_id, source, problem in check_templates(app.workspace, on=on or clock.today()):
        if problem:
            failed += 1
            click.echo(f"error: {sop_id} ({source}): {problem}", err=True)
        else:
            click.echo(f"ok  {sop_id} ({source})")
    if failed:
        raise click.exceptions.Exit(exit_codes.BAD_INPUT)
