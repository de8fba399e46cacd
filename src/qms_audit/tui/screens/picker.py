"""The workspace's audits, and the form that plans a new one."""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import get_current_worker

from qms_audit.domain.presentation import pct
from qms_audit.infra.locations import Workspace
from qms_audit.services.auditing import create_audit, parse_member
from qms_audit.services.portfolio import load_digests, summary
from qms_audit.services.standards import StandardLibrary
from qms_audit.tui.forms import Field, FormScreen
from qms_audit.tui.widgets.topbar import with_who

if TYPE_CHECKING:
    from textual import getters

    from qms_audit.tui.app import QmsAuditApp


def _day(value: object) -> dt.date | None:
    """A date field once FormScreen.validate has converted it: a date, or None when left blank."""
    return value if isinstance(value, dt.date) else None


class PickerScreen(Screen):
    BINDINGS = [
        Binding("enter", "open", "open", id="picker.open"),
        Binding("n", "new", "new audit", id="picker.new"),
        Binding("c", "register", "CAPA register", id="picker.register"),
        Binding("q", "checks", "quality checks", id="picker.checks"),
        Binding("m", "management", "management", id="picker.management"),
    ]
    DEFAULT_CSS = """
    PickerScreen #picker-title { padding: 0 1; text-style: bold; }
    PickerScreen DataTable { height: 1fr; }
    PickerScreen #picker-errors { color: $error; padding: 0 1; height: auto; }
    """

    if TYPE_CHECKING:
        # The picker only ever runs inside QmsAuditApp, whose methods it calls; Textual types `app` as a plain
        # App. Only for the type checker: at run time `app` stays Textual's own property.
        app = getters.app(QmsAuditApp)

    def __init__(self, workspace: Workspace, actor: str) -> None:
        super().__init__()
        self.workspace = workspace
        self.actor = actor
        self.reading = False  # the audits are being read (a worker thread)
        self._progress_shown = 0.0

    def compose(self) -> ComposeResult:
        yield Static(with_who(f"Audits in workspace {self.workspace.root.name}", self.app), id="picker-title")
        yield DataTable(id="audits", cursor_type="row", zebra_stripes=True)
        yield Static("", id="picker-errors")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("audit", "status", "standard", "auditee", "start", "score", "cov", "open NCs")
        self.reload()
        table.focus()
        self.reopen_unsaved_form()

    def reopen_unsaved_form(self) -> None:
        from qms_audit.store.drafts import REGISTER_DRAFTS, DraftStore

        pending = DraftStore(self.workspace.root, REGISTER_DRAFTS).pending_forms()
        if any(d.key == "audit.new" for d in pending):
            self.notify("reopened the plan of a new audit typed before the last session ended", timeout=8)
            self.action_new()
        capa_targets = sorted({d.target for d in pending if d.kind.startswith("capa.")})
        if capa_targets:
            self.notify(f"unsaved CAPA text for {', '.join(capa_targets)}: open the NC in the register (c) to "
                        "continue", timeout=10)

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        """List the audits again. They are read in a worker thread (from the index, or from their documents when
        they changed): ten thousand take seconds, and the screen answers meanwhile."""
        self.reading = True
        self.query_one("#picker-title", Static).update(with_who(
            f"Reading the audits of workspace {self.workspace.root.name}...", self.app))
        self._read_audits()

    @work(thread=True, exclusive=True, group="picker-read")
    def _read_audits(self) -> None:
        errors: list[str] = []
        rows = []
        for item in load_digests(self.workspace, errors=errors, progress=self._reading_progress):
            s = summary(item)
            ncs = Text(str(s["open_ncs"]), style="bold red" if s["open_ncs"] else "")
            rows.append((str(s["id"]), (s["id"], str(s["status"]).replace("_", " "), s["standard"],
                                        str(s["auditee"])[:24], s["start_date"] or "", item.shown.short,
                                        pct(item.coverage), ncs)))
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_audits, rows, errors)

    def _reading_progress(self, done: int, total: int) -> None:
        """From the reading thread: how far it got, when audits are read from their documents (a new or outdated
        index)."""
        now = time.monotonic()
        if done == total or now - self._progress_shown >= 0.25:  # a few redraws a second, over SSH too
            self._progress_shown = now
            self.app.call_from_thread(self._show_progress, done, total)

    def _show_progress(self, done: int, total: int) -> None:
        if self.is_attached and self.reading:
            self.query_one("#picker-title", Static).update(with_who(
                f"Reading audits: {done:,} of {total:,} (workspace {self.workspace.root.name})", self.app))

    def _show_audits(self, rows: list[tuple[str, tuple[object, ...]]], errors: list[str]) -> None:
        if not self.is_attached:
            return
        table = self.query_one(DataTable)
        selected = self._selected_id()
        table.clear()
        for key, cells in rows:
            table.add_row(*cells, key=key)
        if selected is not None and selected in table.rows:
            table.move_cursor(row=table.get_row_index(selected))
        self.query_one("#picker-errors", Static).update("\n".join(f"cannot read {e}" for e in errors))
        title = (f"Audits in workspace {self.workspace.root.name}" if rows else
                 f"No audits yet in workspace {self.workspace.root.name}: press n to plan one")
        self.query_one("#picker-title", Static).update(with_who(title, self.app))
        self.reading = False

    def _selected_id(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        return str(table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value)

    def action_open(self) -> None:
        audit_id = self._selected_id()
        if audit_id is not None:
            self.app.open_audit(audit_id)

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_register(self) -> None:
        from qms_audit.tui.screens.register import RegisterScreen

        self.app.push_screen(RegisterScreen(self.workspace, self.actor))

    def action_new(self) -> None:
        from qms_audit.store.drafts import REGISTER_DRAFTS, DraftStore

        standards = [item.standard for item in StandardLibrary(self.workspace).load_all() if item.standard]
        lead = getattr(self.app, "who_label", "") or ""
        fields = [
            Field("standard", "Standard", kind="select", required=True, value="mc-qms",
                  options=[(f"{s.id} {s.version}: {s.title[:50]}", s.id) for s in standards]),
            Field("title", "Title", required=True),
            Field("auditee", "Auditee unit", required=True),
            Field("unit_code", "Unit code for finding ids (e.g. FOE)"),
            Field("lead", "Lead auditor: Name (Home unit)", required=True, value=lead),
            Field("team", "Team: Name (Home unit); Name (Home unit)"),
            Field("start", "Start date", kind="date"),
            Field("end", "End date", kind="date"),
            Field("clauses", "Clauses in scope (e.g. 4 5 8; empty: all)"),
            Field("objective", "Objective", kind="area"),
            Field("override", "Independence override: why an auditor must audit their own unit", kind="area"),
        ]
        created: list[str] = []

        def save(values: dict) -> None:
            created.append(self.create(values))

        def done(values: dict | None) -> None:
            if values is not None and created:
                self.notify(f"created {created[-1]}", timeout=3)
                self.reload()
                self.app.open_audit(created[-1])
        self.app.push_screen(FormScreen(
            "Plan a new audit", fields, submit_label="Create", save=save, draft_key="audit.new",
            drafts=DraftStore(self.workspace.root, REGISTER_DRAFTS),
            blame={"independence": "override", "own unit": "override", "lead": "lead", "team": "team",
                   "member": "team", "standard": "standard", "clause": "clauses", "unit code": "unit_code",
                   "end date": "end", "start": "start"}), done)

    def create(self, values: dict) -> str:
        lead = parse_member(str(values["lead"]), role="lead")
        team = [parse_member(m) for m in str(values.get("team") or "").split(";") if m.strip()]
        opened = create_audit(
            self.workspace, standard_id=str(values["standard"]), title=str(values["title"]),
            auditee_unit=str(values["auditee"]), lead=lead, actor=self.actor, team=team,
            unit_code=(str(values["unit_code"]) if values.get("unit_code") else None),
            start_date=_day(values.get("start")), end_date=_day(values.get("end")),
            clauses=str(values.get("clauses") or "").replace(",", " ").split(),
            objectives=[str(values["objective"])] if values.get("objective") else [],
            override_independence=(str(values["override"]) if values.get("override") else None))
        return opened.id

    def action_checks(self) -> None:
        from qms_audit.tui.screens.checks import ChecksScreen

        self.app.push_screen(ChecksScreen(self.workspace, self.actor))

    def action_management(self) -> None:
        self.app.open_management()

    def palette_commands(self):
        yield ("Open the selected audit", "(enter)", self.action_open)
        yield ("New audit", "Plan a new audit (n)", self.action_new)
        yield ("NC and CAPA register", "Every finding of the workspace (c)", self.action_register)
        yield ("Quality checks", "Desk review of documents, catalogue check (q)", self.action_checks)
