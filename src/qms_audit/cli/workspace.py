"""`qms-audit init DIR`: a new workspace with the shipped standards and SOP templates; `qms-audit demo`: the
demo workspace kept outside the repository."""

from __future__ import annotations

from pathlib import Path

import click

from qms_audit.cli.common import AppContext, pass_app
from qms_audit.services.workspace_setup import create_workspace


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--demo/--no-demo", default=False, help="Also copy the demo audit, to look around.")
@pass_app
def init(app: AppContext, directory: Path, demo: bool) -> None:
    """Create a workspace in DIRECTORY: standards/, sop_templates/ and audits/."""
    created = create_workspace(directory, with_demo=demo)
    click.echo(f"created workspace {created.root}")
    from qms_audit.services.standards import StandardLibrary

    standards = StandardLibrary(created).files()
    translations = len(list(created.standards_dir.glob("*.yaml"))) - len(standards)
    click.echo(f"  standards:     {len(standards)} files" + (f" and {translations} translations" if translations
                                                             else ""))
    click.echo(f"  sop_templates: {len(list(created.sop_templates_dir.glob('*.j2')))} templates")
    click.echo(f"  audits:        {len(created.audit_ids())}")
    from qms_audit.services.team import setup_git_if_tracked

    set_up = setup_git_if_tracked(created)
    if set_up is not None:
        click.echo(f"  git:           merge driver and post-merge hook set up in {set_up.top}")
        for line in set_up.to_do:
            click.echo(f"warning: {line}", err=True)
    click.echo(f"next: cd {directory} && qms-audit standards list")


@click.command()
@click.option("--reset", is_flag=True,
              help="Start over: move the current demo workspace aside (renamed, not deleted) and make a fresh one.")
@click.option("--path", "print_path", is_flag=True, help="Print the demo workspace's folder and exit (no TUI).")
@pass_app
def demo(app: AppContext, reset: bool, print_path: bool) -> None:
    """Open the TUI on the demo audit, in a demo workspace of your own that is kept between runs.

    The demo workspace lives in your data folder ($QMS_AUDIT_DATA_DIR, else $XDG_DATA_HOME/qms-audit, else
    ~/.local/share/qms-audit), made from the shipped demo on first use.
    """
    from qms_audit.infra.errors import BadInput
    from qms_audit.services.workspace_setup import DEMO_AUDIT, prepare_demo

    if app.workspace_arg:
        raise BadInput("--workspace does not go with `demo`: the demo has its own workspace "
                       "(`qms-audit demo --path` shows where)")
    prepared = prepare_demo(reset=reset)
    folder = prepared.workspace.root
    # With --path, stdout carries the folder alone, so that `cd "$(qms-audit demo --path)"` works
    say = (lambda text: click.echo(text, err=True)) if print_path else click.echo
    if prepared.moved_to is not None:
        say(f"moved the previous demo workspace to {prepared.moved_to} (delete it when you no longer need it)")
    if prepared.created:
        say(f"created the demo workspace from the shipped demo audit {DEMO_AUDIT}")
    if print_path:
        click.echo(str(folder))
        return
    click.echo(f"demo workspace: {folder} (kept between runs; `qms-audit demo --reset` starts over); "
               f"its commands: {_commands_hint(folder)}")
    audit_id = DEMO_AUDIT if DEMO_AUDIT in prepared.workspace.audit_ids() else None
    if audit_id is None:
        click.echo(f"the demo audit {DEMO_AUDIT} is no longer in it: opening the list of audits")
    from qms_audit.tui.app import run_tui

    run_tui(prepared.workspace, app.actor_arg, audit_id)


def _commands_hint(folder: Path) -> str:
    """How to run qms-audit on the demo from a shell: cd there, after putting qms-audit on PATH when it is not."""
    import shlex
    import shutil
    import sys

    cd = f"cd {shlex.quote(str(folder))}"
    if shutil.which("qms-audit"):
        return cd
    scripts = Path(sys.executable).parent
    if (scripts / "activate").is_file():
        return f"source {shlex.quote(str(scripts / 'activate'))} && {cd}"
    return f"export PATH={shlex.quote(str(scripts))}:\"$PATH\" && {cd}"
