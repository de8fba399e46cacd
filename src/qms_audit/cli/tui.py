"""`qms-audit tui [AUDIT]`: the auditor's TUI in the terminal."""

from __future__ import annotations

import click

from qms_audit.cli.common import AppContext, pass_app


@click.command("tui")
@click.argument("audit_id", required=False)
@click.option("--theme", type=click.Choice(["textual-dark", "textual-light"]), help="Colour theme.")
@pass_app
def tui(app: AppContext, audit_id: str | None, theme: str | None) -> None:
    """Open the TUI (on AUDIT_ID, or on the list of audits)."""
    from qms_audit.tui.app import run_tui

    run_tui(app.workspace, app.actor_arg, audit_id, theme=theme)
