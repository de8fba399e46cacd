"""`qms-audit tui [AUDIT]` and `qms-audit serve`: the auditor's TUI, in the terminal or in a browser."""

from __future__ import annotations

import shlex
import sys

import click

from qms_audit.cli.common import AppContext, pass_app


@click.command("tui")
@click.argument("audit_id", required=False)
@click.option("--theme", type=click.Choice(["textual-dark", "textual-light"]), help="Colour theme.")
@pass_app
def tui(app: AppContext, audit_id: str | None, theme: str | None) -> None:
    """Open the TUI (on AUDIT_ID, or on the list of audits)."""
    from qms_audit.tui.app import run_tui

    run_tui(app.workspace, app.actor, audit_id, theme=theme)


@click.command("serve")
@click.argument("audit_id", required=False)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; keep 127.0.0.1 unless the network is trusted.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@pass_app
def serve(app: AppContext, audit_id: str | None, host: str, port: int) -> None:
    """Serve the same TUI in a browser (each tab runs its own session; saves stay safe under the lock)."""
    from textual_serve.server import Server

    command = [sys.executable, "-m", "qms_audit", "--workspace", str(app.workspace.root), "--as", app.actor, "tui"]
    if audit_id:
        command.append(audit_id)
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: serving on {host}: anyone who can reach it can edit audits as {app.actor}", err=True)
    click.echo(f"serving qms-audit on http://{host}:{port} (ctrl+c to stop)")
    Server(shlex.join(command), host=host, port=port, title="qms-audit").serve()
