"""Horizontal score bars drawn with block characters: readable over SSH and in both themes."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from qms_audit.domain.presentation import pct

BLOCKS = " ▏▎▍▌▋▊▉█"


def bar(value: float | None, width: int, *, style: str = "green") -> Text:
    if value is None:
        return Text("·" * width, style="dim")
    value = max(0.0, min(1.0, value))
    eighths = round(value * width * 8)
    full, part = divmod(eighths, 8)
    text = Text("█" * full, style=style)
    if part and full < width:
        text.append(BLOCKS[part], style=style)
    text.append("░" * (width - len(text.plain)), style="dim")
    return text


def band_style(value: float | None, pass_threshold: float) -> str:
    if value is None:
        return "dim"
    if value >= 0.9:
        return "green"
    if value >= pass_threshold:
        return "cyan"
    if value >= 0.6:
        return "yellow"
    return "red"


def score_table(rows: Sequence[tuple[str, float | None, float | None, str]], *, width: int = 30,
                pass_threshold: float = 0.75) -> Table:
    """rows: (label, score, coverage, note)."""
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(no_wrap=True, max_width=26, overflow="ellipsis")
    table.add_column(no_wrap=True, width=width)
    table.add_column(justify="right", no_wrap=True, width=4)
    table.add_column(justify="right", no_wrap=True, style="dim", width=8)
    table.add_column(style="dim", ratio=1)
    for label, score, coverage, note in rows:
        table.add_row(label, bar(score, width, style=band_style(score, pass_threshold)), pct(score),
                      f"cov {pct(coverage)}", note)
    return table
