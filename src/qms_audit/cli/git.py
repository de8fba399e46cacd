"""`qms-audit git ...`: team audits in git clones (set-up once per clone, the merge driver, recording merges)."""

from __future__ import annotations

from pathlib import Path

import click

from qms_audit.cli.common import AppContext, pass_app, warn
from qms_audit.infra import exit_codes


@click.group("git")
def git() -> None:
    """Team audits: each auditor in a clone of the workspace, merged with `git merge`."""


@git.command("setup")
@pass_app
def setup_cmd(app: AppContext) -> None:
    """Once per clone: merge audit records per requirement, and record merges in the audits' logs."""
    from qms_audit.services.team import setup_git

    report = setup_git(app.workspace)
    for line in report.done:
        click.echo(line)
    for line in report.to_do:
        warn(line)
    click.echo("this clone merges audit records with qms-audit; every auditor's clone needs `qms-audit git setup` once")


@git.command("merge-file", hidden=True)
@click.argument("base", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("ours", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("theirs", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("pathname")
def merge_file_cmd(base: Path, ours: Path, theirs: Path, pathname: str) -> None:
    """The merge driver git runs (%O %A %B %P): writes the merged record over OURS; exit 1 leaves a conflict."""
    from qms_audit.services.team import merge_file

    outcome = merge_file(base, ours, theirs, pathname)
    for line in outcome.messages:
        click.echo(f"qms-audit: {line}", err=True)
    if not outcome.clean:
        raise click.exceptions.Exit(exit_codes.FINDINGS)


@git.command("record-merge")
@click.option("--hook", is_flag=True, hidden=True, help="Run by the post-merge hook: never fails the merge.")
@pass_app
def record_merge_cmd(app: AppContext, hook: bool) -> None:
    """Record a `git merge` in the logs of the audits it touched, so that `verify` checks the merged files."""
    from qms_audit.infra.errors import QmsError
    from qms_audit.services.team import record_merges

    try:
        records = record_merges(app.workspace, app.actor)
    except QmsError as exc:
        if not hook:
            raise
        # a hook must not fail a merge that is already made: say what to do instead
        for line in exc.lines():
            click.echo(f"qms-audit: the merge is not recorded in the audits' logs: {line}", err=True)
        click.echo("qms-audit: run `qms-audit git record-merge` (or make any change) to record it", err=True)
        return
    failed = False
    for record in records:
        if record.problem:
            failed = True
            click.echo(f"qms-audit: {record.problem}", err=True)
        elif record.entry_name:
            files = ", ".join(record.files) if record.files else "no file merged by git"
            click.echo(f"qms-audit: recorded the merge in {record.label} ({record.entry_name}: {files}); "
                       "commit it")
    if not records and not hook:
        click.echo("no log has unrecorded branches: nothing to record")
    if failed and not hook:
        raise click.exceptions.Exit(exit_codes.BAD_INPUT)
