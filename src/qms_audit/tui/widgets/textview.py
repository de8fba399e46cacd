"""A scrollable block of rich text drawn line by line.

Changing its text never changes its own size, so it never asks the screen for a new layout: a new layout
repaints the whole screen, which is what made moving between requirements slow on large standards.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip


class TextView(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("up", "scroll_up", "scroll up", show=False),
        Binding("down", "scroll_down", "scroll down", show=False),
        Binding("pageup", "page_up", "page up", show=False),
        Binding("pagedown", "page_down", "page down", show=False),
        Binding("home", "scroll_home", "top", show=False),
        Binding("end", "scroll_end", "bottom", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._text = Text()
        self._lines: list[Strip] = []
        self._wrapped_at = -1

    @property
    def text(self) -> Text:
        return self._text

    def set_text(self, text: Text, *, keep_scroll: bool = False) -> None:
        self._text = text
        self._wrapped_at = -1
        self._wrap()
        if not keep_scroll:
            self.scroll_to(0, 0, animate=False)
        self.refresh()

    def _wrap(self) -> None:
        width = self.scrollable_content_region.width
        if width <= 0 or not self.is_mounted:
            self._lines = []
            return
        if width == self._wrapped_at:
            return
        console = self.app.console
        options = console.options.update_width(width)
        lines = console.render_lines(self._text, options, pad=False, new_lines=False)
        self._lines = [Strip(Segment.adjust_line_length(line, width)) for line in lines]
        self._wrapped_at = width
        # Setting virtual_size normally asks for a screen layout; the widget's own size does not change, so
        # update it quietly and only redraw the scrollbars (as Textual itself does for a resize).
        size = Size(width, len(self._lines))
        if size != self.virtual_size:
            self.set_reactive(ScrollView.virtual_size, size)
            self._scroll_update(size)

    def on_resize(self) -> None:
        self._wrap()
        self.refresh()

    def render_line(self, y: int) -> Strip:
        # Text set before the first layout had no width to wrap at; wrap now, at the width being drawn, so the
        # first paint is complete at every terminal size (no resize or key press needed).
        if self._wrapped_at != self.scrollable_content_region.width:
            self._wrap()
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        style = self.rich_style
        if index >= len(self._lines):
            return Strip.blank(width, style)
        return self._lines[index].crop_extend(scroll_x, scroll_x + width, style).apply_style(style)

    def plain(self) -> str:
        return self._text.plain
