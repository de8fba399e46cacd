"""The top line of a screen, with the person every change is recorded as always in view at its right."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import App
from textual.widgets import Static


def with_who(left: Text | str, app: App) -> Table:
    """The left part gives way (cut with an ellipsis) before the name does."""
    # the two spaces keep the parts apart when the left one is cut to fit
    who = Text(f"  as {getattr(app, 'who_label', '')}", style="bold")
    grid = Table.grid(expand=True)
    grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    grid.add_column(no_wrap=True, justify="right")
    grid.add_row(left, who)
    return grid


class TopBar(Static):
    DEFAULT_CSS = """
    TopBar { height: 1; background: $primary-background; color: $text; padding: 0 1; }
    """
