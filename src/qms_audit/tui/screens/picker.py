"""The workspace's audits, and the form that plans a new one."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from qms_audit.auditing import create_audit, parse_member
from qms_audit.errors import QmsError
from qms_audit.locations import Workspace
from qms_audit.portfolio import load_digests, summary
from qms_audit.presentation import pct
from qms_audit.standards import StandardLibrary
from qms_audit.tui.forms import Field, FormScreen


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

    def __init__(self, workspace: Workspace, actor: str) -> None:
        super().__init__()
        self.workspace = workspace
        self.actor = actor

    def compose(self) -> ComposeResult:
        yield Static(f"Audits in workspace {self.workspace.root.name}", id="picker-title")
        yield DataTable(id="audits", cursor_type="row", zebra_stripes=True)
        yield Static("", id="picker-errors")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("audit", "status", "standard", "auditee", "start", "score", "cov", "open NCs")
        self.reload()
        table.focus()

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        errors: list[str] = []
        for item in load_digests(self.workspace, workers=1, errors=errors):
            s = summary(item)
            ncs = Text(str(s["open_ncs"]), style="bold red" if s["open_ncs"] else "")
            table.add_row(s["id"], str(s["status"]).replace("_", " "), s["standard"], str(s["auditee"])[:24],
                          s["start_date"] or "", pct(s["overall"]), pct(s["coverage"]), ncs, key=str(s["id"]))
        self.query_one("#picker-errors", Static).update("\n".join(f"cannot read {e}" for e in errors))
        if table.row_count == 0:
            self.query_one("#picker-title", Static).update(
                f"No audits yet in workspace {self.workspace.root.name}: press n to plan one")

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return
        audit_id = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        self.app.open_audit(str(audit_id))

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_register(self) -> None:
        from qms_audit.tui.screens.register import RegisterScreen

        self.app.push_screen(RegisterScreen(self.workspace, self.actor))

    def action_new(self, values: dict | None = None, error: str | None = None) -> None:
        standards = [item.standard for item in StandardLibrary(self.workspace).load_all() if item.standard]
        v = values or {}
        fields = [
            Field("standard", "Standard", kind="select", required=True, value=str(v.get("standard") or "mc-qms"),
                  options=[(f"{s.id} {s.version}: {s.title[:50]}", s.id) for s in standards]),
            Field("title", "Title", required=True, value=str(v.get("title") or "")),
            Field("auditee", "Auditee unit", required=True, value=str(v.get("auditee") or "")),
            Field("unit_code", "Unit code for finding ids (e.g. FOE)", value=str(v.get("unit_code") or "")),
            Field("lead", "Lead auditor: Name (Home unit)", required=True, value=str(v.get("lead") or "")),
            Field("team", "Team: Name (Home unit); Name (Home unit)", value=str(v.get("team") or "")),
            Field("start", "Start date", kind="date", value=str(v.get("start") or "")),
            Field("end", "End date", kind="date", value=str(v.get("end") or "")),
            Field("clauses", "Clauses in scope (e.g. 4 5 8; empty: all)", value=str(v.get("clauses") or "")),
            Field("objective", "Objective", kind="area", value=str(v.get("objective") or "")),
            Field("override", "Independence override: why an auditor must audit their own unit",
                  kind="area", value=str(v.get("override") or "")),
        ]
        form = FormScreen("Plan a new audit", fields, submit_label="Create", note=error)

        def done(result: dict | None) -> None:
            if result:
                self.create(result)
        self.app.push_screen(form, done)

    def create(self, values: dict) -> None:
        try:
            lead = parse_member(str(values["lead"]), role="lead")
            team = [parse_member(m) for m in str(values.get("team") or "").split(";") if m.strip()]
            opened = create_audit(
                self.workspace, standard_id=str(values["standard"]), title=str(values["title"]),
                auditee_unit=str(values["auditee"]), lead=lead, actor=self.actor, team=team,
                unit_code=(str(values["unit_code"]) if values.get("unit_code") else None),
                start_date=values.get("start"), end_date=values.get("end"),  # type: ignore[arg-type]
                clauses=str(values.get("clauses") or "").replace(",", " ").split(),
                objectives=[str(values["objective"])] if values.get("objective") else [],
                override_independence=(str(values["override"]) if values.get("override") else None))
        except QmsError as exc:
            # keep everything typed and show the form again with the reason
            self.action_new(values, error=f"Not created: {exc.message}")
            return
        self.notify(f"created {opened.id}", timeout=3)
        self.reload()
        self.app.open_audit(opened.id)

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
