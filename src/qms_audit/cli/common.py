"""What every command shares: the resolved workspace, the acting person, and output helpers."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import click

from qms_audit.infra.locations import Workspace, find_workspace


@dataclass
class AppContext:
    workspace_arg: str | None = None
    actor_arg: str | None = None
    lang_arg: str | None = None
    _workspace: Workspace | None = field(default=None, repr=False)
    _actor: str | None = field(default=None, repr=False)

    @property
    def language(self) -> str:
        """The reader's language (`services.profile.language_for`); English outside a workspace."""
        from qms_audit.infra.errors import NotFound
        from qms_audit.services.profile import language_for

        try:
            workspace: Workspace | None = self.workspace
        except NotFound:
            workspace = None
        return language_for(workspace, self.lang_arg)

    @property
    def workspace(self) -> Workspace:
        if self._workspace is None:
            self._workspace = find_workspace(self.workspace_arg)
        return self._workspace

    @property
    def actor(self) -> str:
        if self._actor is None:
            from qms_audit.infra.identity import current_actor

            self._actor = current_actor(self.actor_arg)
        return self._actor

    @property
    def reader(self) -> str:
        """Who is reading, for what a read may write (completing a killed writer's change): the user's name when
        known, else "reader"; a command that only reads never asks for a name."""
        from qms_audit.infra.identity import resolve_identity

        if self._actor is None:
            identity = resolve_identity(self.actor_arg)
            return identity.name if identity is not None else "reader"
        return self._actor


pass_app = click.make_pass_decorator(AppContext, ensure=True)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, right: Sequence[int] = ()) -> None:
    """A plain aligned table that reads well over SSH and pastes into e-mail."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        parts = [c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(row)]
        click.echo("  ".join(parts).rstrip())
        if n == 0:
            click.echo("  ".join("-" * w for w in widths))


def warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


def stderr_is_tty() -> bool:
    return sys.stderr.isatty()


def progress_bar(label: str):
    """Progress on stderr, only where someone is watching (a terminal)."""
    if not sys.stderr.isatty():
        return None

    def report(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(1, total))
        sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()
    return report
