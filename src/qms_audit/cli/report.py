"""`qms-audit report A --format docx|xlsx|pdf` and `qms-audit checklist export|import`."""

from __future__ import annotations

from pathlib import Path

import click

from qms_audit.cli.common import AppContext, pass_app


@click.command("report")
@click.argument("audit_id")
@click.option("--format", "fmt", type=click.Choice(["docx", "xlsx", "pdf"]), default="docx", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write (default reports/AUDIT-report.FORMAT in the workspace).")
@click.option("--template", type=click.Path(dir_okay=False, path_type=Path),
              help="A .docx whose styles, letterhead and logo the report uses "
                   "(default: templates/report-template.docx in the workspace, when present).")
@pass_app
def report(app: AppContext, audit_id: str, fmt: str, output: Path | None, template: Path | None) -> None:
    """The audit report: Word (ISO 19011 6.5.1 contents), Excel registers, or PDF via LibreOffice."""
    from qms_audit.render.build import write_report

    path = write_report(app.workspace, audit_id, fmt, output, template=template)
    click.echo(f"wrote {path}")


@click.group("checklist")
def checklist() -> None:
    """The offline checklist: export a fill-in workbook, import it back."""


@checklist.command("export")
@click.argument("audit_id")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_app
def checklist_export(app: AppContext, audit_id: str, output: Path) -> None:
    """Write a workbook with drop-downs and locked reference columns, to fill in Excel or LibreOffice."""
    from qms_audit.infra.errors import BadInput
    from qms_audit.infra.files import atomic_write_bytes
    from qms_audit.render.checklist_xlsx import export_checklist
    from qms_audit.services.auditing import open_audit
    from qms_audit.services.profile import paper_for

    if output.suffix.lower() != ".xlsx":
        raise BadInput(f"{output}: the file name should end in .xlsx")
    opened = open_audit(app.workspace, audit_id, actor=app.actor)
    atomic_write_bytes(output, export_checklist(opened, paper=paper_for(app.workspace)))
    click.echo(f"wrote {output} ({len(opened.scoped_requirements())} requirements)")


@checklist.command("import")
@click.argument("audit_id")
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@pass_app
def checklist_import(app: AppContext, audit_id: str, workbook: Path, dry_run: bool) -> None:
    """Read a filled-in workbook back: the valid rows are recorded and logged; a row with a problem is refused
    whole, each problem named by its cell (exit code 2 when any row is refused)."""
    from qms_audit.infra.errors import InvalidFile
    from qms_audit.render.checklist_xlsx import read_checklist
    from qms_audit.services.checklist import apply_import, open_for_import, plan_import

    opened = open_for_import(app.workspace, audit_id, actor=app.actor)
    plan = plan_import(opened, read_checklist(workbook, audit_id))
    for note in plan.skipped:
        click.echo(f"skipped  {note}")
    for change in plan.changes:
        click.echo(f"{'would ' if dry_run else ''}{change.description}  [{change.cell}]")
    if not plan.changes:
        click.echo("no changes" + (" from the valid rows" if plan.refused else ""))
    elif dry_run:
        click.echo(f"{len(plan.changes)} change(s) would be recorded; run without --dry-run to record them")
    else:
        apply_import(opened, plan, actor=app.actor)
        click.echo(f"recorded {len(plan.changes)} change(s) in audit {audit_id}")
    if plan.refused:
        rows = ", ".join(f"{r.ref or '(no ref)'} ({r.row.split(' ')[0]})" for r in plan.refused)
        click.echo(f"{len(plan.refused)} row(s) refused, nothing of them {'would be ' if dry_run else ''}recorded: "
                   f"{rows}; the reasons follow. Correct those cells and import the workbook again (the rows "
                   "already recorded count as unchanged).")
        raise InvalidFile(problems=plan.problems)
