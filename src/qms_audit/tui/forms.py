"""One form screen for every small dialog: fields described as data, validated before they are returned."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Select, Static, TextArea


@dataclass
class Field:
    name: str
    label: str
    kind: str = "text"  # text, area, select, date, int
    options: Sequence[tuple[str, str]] = ()
    value: str = ""
    required: bool = False
    placeholder: str = ""
    suggestions: Sequence[str] = field(default_factory=list)


class FormScreen(ModalScreen[dict | None]):
    """Returns the entered values by field name, or None when cancelled (escape)."""

    DEFAULT_CSS = """
    FormScreen { align: center middle; }
    FormScreen > Vertical { width: 90%; max-width: 100; height: auto; max-height: 96%; border: round $accent;
                            background: $surface; padding: 0 1; }
    FormScreen .form-title { text-style: bold; }
    FormScreen .form-note { color: $text-muted; }
    FormScreen .form-error { color: $error; height: auto; }
    FormScreen VerticalScroll { height: auto; max-height: 70vh; }
    FormScreen Label { padding: 0; margin: 1 0 0 0; color: $text-muted; }
    FormScreen Input, FormScreen Select { background: $boost; }
    FormScreen TextArea { height: 3; border: none; background: $boost; padding: 0; }
    FormScreen TextArea:focus { border: none; background: $boost; }
    FormScreen .form-buttons { height: auto; align: right middle; }
    FormScreen Button { margin: 0 0 0 1; min-width: 10; height: 1; border: none; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding("ctrl+s", "submit", "Save", id="form.submit", priority=True),
    ]

    def __init__(self, title: str, fields: Sequence[Field], *, submit_label: str = "Save",
                 note: str | None = None) -> None:
        super().__init__()
        self.form_title = title
        self.fields = list(fields)
        self.submit_label = submit_label
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.form_title, classes="form-title")
            if self.note:
                yield Static(self.note, classes="form-note")
            with VerticalScroll():
                for f in self.fields:
                    yield Label(f.label + (" *" if f.required else ""), classes="form-label")
                    if f.kind == "area":
                        area = TextArea(f.value, id=f"field-{f.name}", soft_wrap=True)
                        area.cursor_blink = False
                        yield area
                    elif f.kind == "select":
                        yield Select([(label, value) for label, value in f.options], id=f"field-{f.name}",
                                     value=f.value if f.value else Select.BLANK, allow_blank=not f.required,
                                     compact=True)
                    else:
                        suggester = SuggestFromList(f.suggestions, case_sensitive=False) if f.suggestions else None
                        yield Input(f.value, placeholder=f.placeholder or ("YYYY-MM-DD" if f.kind == "date" else ""),
                                    id=f"field-{f.name}", suggester=suggester, compact=True)
            yield Static("", classes="form-error", id="form-error")
            with Horizontal(classes="form-buttons"):
                yield Button(f"{self.submit_label} (ctrl+s)", variant="primary", id="form-submit", compact=True)
                yield Button("Cancel (esc)", id="form-cancel", compact=True)

    def on_mount(self) -> None:
        for widget in self.query(Input):
            widget.cursor_blink = False
        first = self.query("Input, TextArea, Select").first()
        first.focus()

    def values(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for f in self.fields:
            widget = self.query_one(f"#field-{f.name}")
            if isinstance(widget, TextArea):
                raw: object = widget.text
            elif isinstance(widget, Select):
                raw = None if widget.value is Select.BLANK else widget.value
            else:
                raw = widget.value
            out[f.name] = raw.strip() if isinstance(raw, str) else raw
        return out

    def validate(self, values: dict[str, object]) -> str | None:
        for f in self.fields:
            value = values.get(f.name)
            if f.required and (value is None or value == ""):
                return f"{f.label} is required"
            if value in (None, ""):
                values[f.name] = None
                continue
            if f.kind == "int":
                try:
                    number = int(str(value))
                except ValueError:
                    return f"{f.label} must be a whole number"
                if number < 1:
                    return f"{f.label} must be at least 1"
                values[f.name] = number
            elif f.kind == "date":
                try:
                    values[f.name] = dt.date.fromisoformat(str(value))
                except ValueError:
                    return f"{f.label} must be a date written YYYY-MM-DD"
        return None

    def show_error(self, message: str) -> None:
        self.query_one("#form-error", Static).update(message)

    def action_submit(self) -> None:
        values = self.values()
        problem = self.validate(values)
        if problem:
            self.show_error(problem)
            return
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#form-submit")
    def _submit_pressed(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#form-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Input.Submitted)
    def _input_submitted(self) -> None:
        # enter in the last single-line field submits; elsewhere it moves on
        inputs = list(self.query(Input))
        if inputs and self.focused is inputs[-1]:
            self.action_submit()
        else:
            self.focus_next()
