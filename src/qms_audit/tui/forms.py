"""One form screen for every small dialog: fields described as data, validated before they are returned.

What is typed is never lost: a form that has a draft key keeps every field in the draft store on each change
(so a killed terminal loses nothing and the next session reopens it), and a form that saves through a
callback stays open when the save is refused, with the reason under the field it concerns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from qms_audit.infra.errors import QmsError
from qms_audit.store.drafts import DraftStore


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


SaveFn = Callable[[dict[str, object]], object]


class FormScreen(ModalScreen[dict | None]):
    """Returns the entered values by field name, or None when cancelled (escape).

    With `save`, the values go to it first and the form closes only when it succeeds; a QmsError it raises
    is shown under the field whose name (or a word of `blame`) the message mentions, and the form stays
    open with everything typed. With `draft_key` and `drafts`, every change is kept as a draft until saved.
    """

    DEFAULT_CSS = """
    FormScreen { align: center middle; }
    FormScreen > Vertical { width: 90%; max-width: 100; height: auto; max-height: 96%; border: round $accent;
                            background: $surface; padding: 0 1; }
    FormScreen .form-title { text-style: bold; }
    FormScreen .form-note { color: $text-muted; }
    FormScreen .form-error { color: $error; height: auto; }
    FormScreen .field-error { color: $error; height: auto; display: none; }
    FormScreen .field-error.shown { display: block; }
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
                 note: str | None = None, save: SaveFn | None = None, draft_key: str | None = None,
                 drafts: DraftStore | None = None, blame: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.form_title = title
        self.fields = list(fields)
        self.submit_label = submit_label
        self.note = note
        self.save = save
        self.draft_key = draft_key if drafts is not None else None
        self.drafts = drafts
        self.blame = dict(blame or {})
        self.initial = {f.name: f.value for f in self.fields}
        self.restored_at: str | None = None
        self.discard_armed = False
        self.finished = False  # saved or discarded: change events still queued must not bring the draft back
        if self.draft_key and self.drafts is not None:
            draft = self.drafts.load_form(self.draft_key)
            if draft is not None:
                self.restored_at = draft.at
                self.fields = [replace(f, value=draft.values[f.name]) if f.name in draft.values else f
                               for f in self.fields]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.form_title, classes="form-title")
            if self.note:
                yield Static(self.note, classes="form-note")
            if self.restored_at:
                yield Static(f"Restored what was typed on {self.restored_at[:16].replace('T', ' ')} and not saved.",
                             classes="form-note", id="form-restored")
            with VerticalScroll():
                for f in self.fields:
                    yield Label(f.label + (" *" if f.required else ""), classes="form-label")
                    if f.kind == "area":
                        area = TextArea(f.value, id=f"field-{f.name}", soft_wrap=True)
                        area.cursor_blink = False
                        yield area
                    elif f.kind == "select":
                        yield Select([(label, value) for label, value in f.options], id=f"field-{f.name}",
                                     value=f.value if f.value else Select.NULL, allow_blank=not f.required,
                                     compact=True)
                    else:
                        suggester = SuggestFromList(f.suggestions, case_sensitive=False) if f.suggestions else None
                        yield Input(f.value, placeholder=f.placeholder or ("YYYY-MM-DD" if f.kind == "date" else ""),
                                    id=f"field-{f.name}", suggester=suggester, compact=True)
                    yield Static("", classes="field-error", id=f"error-{f.name}")
            yield Static("", classes="form-error", id="form-error")
            with Horizontal(classes="form-buttons"):
                yield Button(f"{self.submit_label} (ctrl+s)", variant="primary", id="form-submit", compact=True)
                yield Button("Cancel (esc)", id="form-cancel", compact=True)

    def on_mount(self) -> None:
        for widget in self.query(Input):
            widget.cursor_blink = False
        first = self.query("Input, TextArea, Select").first()
        first.focus()

    def raw_values(self) -> dict[str, str]:
        """Every field exactly as typed (what a draft keeps)."""
        out: dict[str, str] = {}
        for f in self.fields:
            widget = self.query_one(f"#field-{f.name}")
            if isinstance(widget, TextArea):
                out[f.name] = widget.text
            elif isinstance(widget, Select):
                out[f.name] = "" if widget.value is Select.NULL else str(widget.value)
            elif isinstance(widget, Input):
                out[f.name] = widget.value
            else:  # compose() makes every field one of these three widgets
                raise TypeError(f"field {f.name} is a {type(widget).__name__}")
        return out

    def values(self) -> dict[str, object]:
        return {name: raw.strip() for name, raw in self.raw_values().items()}

    def validate(self, values: dict[str, object]) -> tuple[str, str] | None:
        """The first problem as (field name, message), converting numbers and dates in place."""
        for f in self.fields:
            value = values.get(f.name)
            if f.required and (value is None or value == ""):
                return f.name, f"{f.label} is required"
            if value in (None, ""):
                values[f.name] = None
                continue
            if f.kind == "int":
                try:
                    number = int(str(value))
                except ValueError:
                    return f.name, f"{f.label} must be a whole number"
                if number < 1:
                    return f.name, f"{f.label} must be at least 1"
                values[f.name] = number
            elif f.kind == "date":
                try:
                    values[f.name] = dt.date.fromisoformat(str(value))
                except ValueError:
                    return f.name, f"{f.label} must be a date written YYYY-MM-DD"
        return None

    def show_error(self, message: str, field_name: str | None = None) -> None:
        """The reason under the field it concerns (and in the form's own line, which is always in view)."""
        for f in self.fields:
            slot = self.query_one(f"#error-{f.name}", Static)
            shown = f.name == field_name and bool(message)
            slot.update(message if shown else "")
            slot.set_class(shown, "shown")
        self.query_one("#form-error", Static).update(message)
        if field_name:
            self.query_one(f"#field-{field_name}").scroll_visible(animate=False)

    def blamed_field(self, message: str) -> str | None:
        lowered = message.lower()
        names = {f.name for f in self.fields}
        for word, name in self.blame.items():
            if name in names and word.lower() in lowered:
                return name
        return None

    def action_submit(self) -> None:
        values = self.values()
        problem = self.validate(values)
        if problem:
            name, message = problem
            self.show_error(message, name)
            return
        if self.save is not None:
            try:
                self.save(values)
            except QmsError as exc:
                # refused: the form stays open with everything typed, and the draft keeps it too
                self.show_error(f"Not saved: {exc.message}", self.blamed_field(exc.message))
                return
        self.forget_draft()
        self.dismiss(values)

    def action_cancel(self) -> None:
        if self.has_typed() and not self.discard_armed:
            self.discard_armed = True
            self.show_error("You typed text that is not saved: esc again discards it, ctrl+s saves it.")
            return
        self.forget_draft()
        self.dismiss(None)

    def has_typed(self) -> bool:
        return any(raw.strip() != (self.initial.get(name) or "").strip() for name, raw in self.raw_values().items())

    def keep_draft(self) -> None:
        if self.draft_key and self.drafts is not None and self.is_mounted and not self.finished:
            if self.has_typed():
                self.drafts.save_form(self.draft_key, self.raw_values())
            else:
                self.drafts.clear_form(self.draft_key)

    def forget_draft(self) -> None:
        self.finished = True
        if self.draft_key and self.drafts is not None:
            self.drafts.clear_form(self.draft_key)

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Select.Changed)
    def _typed(self) -> None:
        self.discard_armed = False
        self.keep_draft()

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
