"""`qms-audit serve`: the auditor's TUI in a browser, through textual-serve.

The page comes from our own template (serve_assets/templates), which loads nothing from the internet; the
scripts, styles and fonts it uses are textual-serve's own static files, served by the same server.
"""

from __future__ import annotations

import errno
import shlex
import socket
import sys
from pathlib import Path

import click

from qms_audit.cli.common import AppContext, pass_app
from qms_audit.infra.errors import BadInput

TEMPLATES = Path(__file__).resolve().parent.parent / "serve_assets" / "templates"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@click.command("serve")
@click.argument("audit_id", required=False)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; keep 127.0.0.1 unless the network is trusted.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@pass_app
def serve(app: AppContext, audit_id: str | None, host: str, port: int) -> None:
    """Serve the same TUI in a browser (each tab runs its own session; saves stay safe under the lock)."""
    from textual_serve.server import Server

    command = [sys.executable, "-m", "qms_audit", "--workspace", str(app.workspace.root)]
    if app.actor_arg:
        command += ["--as", app.actor_arg]
    command.append("tui")
    if audit_id:
        command.append(audit_id)
    check_can_listen(host, port)
    if host not in LOCAL_HOSTS:
        click.echo(f"warning: serving on {host}: anyone who can reach it can edit audits", err=True)
    url = f"http://{url_host(host)}:{port}"
    click.echo(f"serving qms-audit on {url} (ctrl+c to stop)")
    server = Server(shlex.join(command), host=host, port=port, title="qms-audit", public_url=url,
                    templates_path=TEMPLATES)
    try:
        server.serve()
    except OSError as exc:
        # Another program can take the port between the check above and the server's own bind.
        error = bind_error(host, port, exc)
        if error is None:
            raise
        raise error from None


def check_can_listen(host: str, port: int) -> None:
    """Bind every address the server will bind, the way it binds them, and let go: a busy port or a foreign
    address is then one line before anything is printed, rather than a failure after the banner."""
    try:
        addresses = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise BadInput(f"cannot listen on {host}: no such host ({exc.strerror}); give an address of this machine "
                       "with --host, e.g. 127.0.0.1") from None
    unavailable: OSError | None = None
    bound = 0
    for family, kind, proto, _name, address in addresses:
        try:
            probe = socket.socket(family, kind, proto)
        except OSError:
            continue  # a family this machine lacks (no IPv6): the server skips it as well
        with probe:
            # The server sets these too (asyncio's create_server on POSIX); without SO_REUSEADDR a port that a
            # stopped server left in TIME_WAIT would look busy although the server can take it.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                probe.bind(address)
                bound += 1
            except OSError as exc:
                if exc.errno != errno.EADDRNOTAVAIL:
                    raise bind_error(host, port, exc) or BadInput(
                        f"cannot listen on {host} port {port}: {exc.strerror or exc}") from None
                # e.g. "localhost" also names ::1 on a machine with IPv6 turned off: depending on its Python the
                # server skips such an address and serves on the others, or fails in a way serve() reports
                unavailable = exc
    if unavailable is not None and not bound:
        raise bind_error(host, port, unavailable) or BadInput(f"cannot listen on {host}") from None


def bind_error(host: str, port: int, exc: OSError) -> BadInput | None:
    """What the user can do about a failed bind, or None when the error is not one of those."""
    if exc.errno == errno.EADDRINUSE:
        return BadInput(f"port {port} on {host} is in use (another qms-audit serve?); choose another with --port")
    if exc.errno == errno.EADDRNOTAVAIL:
        return BadInput(f"cannot listen on {host}: it is not an address of this machine; give one of its own "
                        "addresses with --host, e.g. 127.0.0.1")
    if exc.errno == errno.EACCES and port < 1024:
        return BadInput(f"port {port} needs administrator rights on this system; choose one above 1023 with --port")
    return None


def url_host(host: str) -> str:
    """The host as written in a URL: an IPv6 address goes in brackets."""
    return f"[{host}]" if ":" in host else host
