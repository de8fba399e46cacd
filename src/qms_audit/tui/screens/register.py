"""The NC and CAPA register, and one NC's corrective action, with the same gates as the CLI."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from qms_audit import capa, clock
from qms_audit.errors import QmsError
from qms_audit.locations import Workspace
from qms_audit.model.audit import ActionStatus, RcaMethod
from qms_audit.presentation import date
from qms_audit.tui.forms import Field, FormScreen


class RegisterScreen(Screen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "back", id="register.back"),
        Binding("enter", "open", "open NC", id="register.open", show=True),
        Binding("o", "toggle_open", "open only", id="register.open_only"),
        Binding("w", "toggle_scope", "whole workspace", id="register.scope"),
        Binding("g", "toggle_grades", "all grades", id="register.grades"),
    ]
    DEFAULT_CSS = """
    RegisterScreen #register-title { padding: 0 1; text-style: bold; }
    RegisterScreen DataTable { height: 1fr; }
    """

    def __init__(self, workspace: Workspace, actor: str, *, audit_id: str | None = None) -> None:
        super().__init__()
        self.workspace = workspace
        self.actor = actor
        self.audit_id = audit_id
        self.only_open = False
        self.whole_workspace = audit_id is None
        self.all_grades = False

    def compose(self) -> ComposeResult:
        yield Static(id="register-title")
        yield DataTable(id="register", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("id", "grade", "stage", "owner", "due", "", "ref", "statement")
        self.reload()
        table.focus()

    def on_screen_resume(self) -> None:
        self.reload()

    def rows(self):
        rows = capa.register_rows(self.workspace, today=clock.today())
        return [r for r in rows if r.stage != "withdrawn"
                and (self.all_grades or r.finding.grade.is_nc)
                and (not self.only_open or r.stage != "closed")
                and (self.whole_workspace or r.audit_id == self.audit_id)]

    def reload(self) -> None:
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        rows = self.rows()
        for r in rows:
            f = r.finding
            grade = Text(f.grade.short, style="bold red" if f.grade.short == "MAJ" else
                         ("red" if f.grade.is_nc else "yellow"))
            overdue = Text("OVERDUE", style="bold red") if r.overdue else Text("")
            table.add_row(f.id, grade, r.stage, ", ".join(r.owners)[:24], date(r.next_due), overdue, f.ref or "",
                          f.statement[:60], key=f.id)
        where = "the whole workspace" if self.whole_workspace else f"audit {self.audit_id}"
        flags = [("open only" if self.only_open else "open and closed"),
                 ("all grades" if self.all_grades else "NCs")]
        overdue = sum(1 for r in rows if r.overdue)
        self.query_one("#register-title", Static).update(
            f"NC and CAPA register: {len(rows)} in {where} ({', '.join(flags)}); {overdue} overdue")
        if rows:
            table.move_cursor(row=min(keep, len(rows) - 1))

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return
        finding_id = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        self.app.push_screen(CapaScreen(self.workspace, self.actor, str(finding_id)))

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_toggle_open(self) -> None:
        self.only_open = not self.only_open
        self.reload()

    def action_toggle_scope(self) -> None:
        self.whole_workspace = not self.whole_workspace if self.audit_id else True
        self.reload()

    def action_toggle_grades(self) -> None:
        self.all_grades = not self.all_grades
        self.reload()

    def palette_commands(self):
        yield ("Open the selected NC", "(enter)", self.action_open)
        yield ("Show only open findings", "(o)", self.action_toggle_open)
        yield ("Whole workspace / this audit", "(w)", self.action_toggle_scope)
        yield ("Include observations and OFIs", "(g)", self.action_toggle_grades)


class CapaScreen(Screen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "back", id="capa.back"),
        Binding("k", "step('correction')", "correction", id="capa.correction"),
        Binding("t", "step('containment')", "containment", id="capa.containment", show=False),
        Binding("r", "root_cause", "root cause", id="capa.root_cause"),
        Binding("s", "step('similar')", "similar NCs", id="capa.similar"),
        Binding("a", "add_action", "action", id="capa.action"),
        Binding("x", "action_done", "done", id="capa.done"),
        Binding("v", "verify", "verify", id="capa.verify"),
        Binding("u", "step('risk_update')", "risk/QMS", id="capa.risk"),
        Binding("m", "step('qms_update')", "QMS update", id="capa.qms", show=False),
        Binding("l", "close_capa", "close CAPA", id="capa.close"),
    ]
    DEFAULT_CSS = """
    CapaScreen VerticalScroll { padding: 0 1; }
    """
    STEP_LABELS = {"correction": "Correction made", "containment": "Containment and consequences",
                   "similar": "Similar NCs: what was checked and found",
                   "risk_update": "Risks and opportunities updated",
                   "qms_update": "Changes to the QMS"}

    def __init__(self, workspace: Workspace, actor: str, finding_id: str) -> None:
        super().__init__()
        self.workspace = workspace
        self.actor = actor
        self.finding_id = finding_id

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(id="capa-view")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        try:
            f = capa.locate(self.workspace, self.finding_id).finding
        except QmsError as exc:
            self.notify(exc.message, severity="error")
            return
        self.finding = f
        text = Text()
        text.append(f"{f.id}  {f.grade.label}\n", style="bold red" if f.grade.is_nc else "bold yellow")
        text.append(f"{f.source.label}{', audit ' + f.audit_id if f.audit_id else ''}; requirement {f.ref or '-'}; "
                    f"unit {f.unit or '-'}; raised {date(f.raised_at)} by {f.raised_by}\n", style="dim")
        text.append(f"\n{f.statement}\n")
        if f.evidence:
            text.append(f"Evidence: {f.evidence}\n", style="italic")
        if f.response:
            text.append(f"Auditee ({f.response.by}): {f.response.position}"
                        + (f": {f.response.text}" if f.response.text else "") + "\n")
        stage = capa.stage(f)
        overdue = capa.is_overdue(f, clock.today())
        text.append(f"\nStage: {stage}", style="bold")
        if f.response_due:
            text.append(f"   response due {date(f.response_due)}")
        if overdue:
            text.append("   OVERDUE", style="bold red")
        text.append("\n")
        c = f.capa
        steps = [("React", [("correction", c.correction if c else None),
                            ("containment", c.containment if c else None)]),
                 ("Evaluate", [("similar NCs", c.similar if c else None)]),
                 ("Update", [("risks", c.risk_update if c else None), ("QMS", c.qms_update if c else None)])]
        for group, items in steps[:2]:
            text.append(f"\n{group}\n", style="bold")
            for label, step in items:
                text.append(f"  {label}: ")
                text.append(f"{step.text}  ({step.by}, {date(step.at)})\n" if step else "—\n",
                            style="" if step else "dim")
        text.append("  root cause: ")
        if c and c.root_cause:
            text.append(f"[{c.root_cause.method.value}] {c.root_cause.statement}  ({c.root_cause.by})\n")
            if c.root_cause.analysis:
                text.append(f"    {c.root_cause.analysis}\n", style="dim")
        else:
            text.append("—\n", style="dim")
        text.append("\nAct\n", style="bold")
        if c and c.actions:
            for a in c.actions:
                late = a.status is ActionStatus.PLANNED and a.due < clock.today()
                text.append(f"  {a.id} {a.description}  owner {a.owner}, due {date(a.due)}, {a.status.value}"
                            + (f" {date(a.done_at)}" if a.done_at else "") + "\n",
                            style="bold red" if late else "")
        else:
            text.append("  no actions yet\n", style="dim")
        text.append("\nCheck effectiveness\n", style="bold")
        if c and c.verifications:
            for v in c.verifications:
                text.append(f"  {date(v.on)} {v.by}: {v.result.value} ({v.method})" + (f"; {v.note}" if v.note else "")
                            + "\n", style="green" if v.result.value == "effective" else "red")
        else:
            text.append("  not verified yet\n", style="dim")
        group, items = steps[2]
        text.append(f"\n{group}\n", style="bold")
        for label, step in items:
            text.append(f"  {label}: ")
            text.append(f"{step.text}  ({step.by})\n" if step else "—\n", style="" if step else "dim")
        if c and c.closed_at:
            text.append(f"\nClosed {date(c.closed_at)} by {c.closed_by}\n", style="bold green")
        elif f.grade.is_nc:
            missing = capa.missing_for_closure(f)
            if missing:
                text.append("\nTo close: " + "; ".join(missing) + "\n", style="yellow")
        if c and c.history:
            text.append("\nHistory\n", style="bold")
            for h in c.history:
                said = f": {h.note}" if h.note else ""
                text.append(f"  {date(h.at)} {h.stage} ({h.by}){said}\n", style="dim")
        self.query_one("#capa-view", Static).update(text)

    def run(self, fn, **kwargs) -> None:
        try:
            fn(self.workspace, self.finding_id, actor=self.actor, **kwargs)
        except QmsError as exc:
            self.notify(exc.message, title="Not saved", severity="error", timeout=8)
            return
        self.notify("saved", timeout=2)
        self.reload()

    def action_step(self, name: str) -> None:
        label = self.STEP_LABELS[name]
        form = FormScreen(f"{self.finding_id}: {label.lower()}", [Field("text", label, kind="area", required=True)])
        self.app.push_screen(form, lambda v: v and self.run(capa.update, **{name: str(v["text"])}))

    def action_root_cause(self) -> None:
        current = self.finding.capa.root_cause if self.finding.capa else None
        form = FormScreen(f"{self.finding_id}: root cause", [
            Field("method", "Method", kind="select", required=True, value=current.method.value if current else "5-whys",
                  options=[(m.value, m.value) for m in RcaMethod]),
            Field("statement", "The cause found", kind="area", required=True,
                  value=current.statement if current else ""),
            Field("analysis", "The working (the whys, the fishbone)", kind="area",
                  value=(current.analysis or "") if current else ""),
        ])
        self.app.push_screen(form, lambda v: v and self.run(
            capa.update, root_cause=str(v["statement"]), method=str(v["method"]), analysis=v["analysis"] or None))

    def action_add_action(self) -> None:
        form = FormScreen(f"{self.finding_id}: corrective action", [
            Field("description", "Action", kind="area", required=True),
            Field("owner", "Owner", required=True),
            Field("due", "Due date", kind="date", required=True),
        ])
        self.app.push_screen(form, lambda v: v and self.run(
            capa.update, actions=[(str(v["description"]), str(v["owner"]), v["due"])]))

    def action_action_done(self) -> None:
        planned = [a for a in (self.finding.capa.actions if self.finding.capa else [])
                   if a.status is ActionStatus.PLANNED]
        if not planned:
            self.notify("no planned action to mark done", timeout=3)
            return
        form = FormScreen(f"{self.finding_id}: action done", [
            Field("action", "Action", kind="select", required=True, value=planned[0].id,
                  options=[(f"{a.id} {a.description[:50]}", a.id) for a in planned]),
            Field("note", "Note (what was done)", kind="area"),
        ])
        self.app.push_screen(form, lambda v: v and self.run(capa.update, done=[str(v["action"])],
                                                            done_note=v["note"] or None))

    def action_verify(self) -> None:
        form = FormScreen(f"{self.finding_id}: effectiveness review", [
            Field("by", "Verifier (not an action owner)", required=True, value=self.actor),
            Field("result", "Result", kind="select", required=True, value="effective",
                  options=[("effective", "effective"), ("not effective (reopens the CAPA)", "not-effective")]),
            Field("method", "How it was checked", kind="area", required=True),
            Field("on", "Date of the check", kind="date", value=clock.today().isoformat()),
            Field("note", "Note", kind="area"),
        ])
        self.app.push_screen(form, lambda v: v and self.run(
            capa.verify, by=str(v["by"]), result=str(v["result"]), method=str(v["method"]), note=v["note"] or None,
            on=v["on"]))

    def action_close_capa(self) -> None:
        form = FormScreen(f"Close the CAPA of {self.finding_id}", [Field("note", "Closing note", kind="area")],
                          submit_label="Close CAPA")
        self.app.push_screen(form, lambda v: v is not None and self.run(capa.close, note=v["note"] or None))

    def palette_commands(self):
        for name, label in self.STEP_LABELS.items():
            yield (f"CAPA: {label}", "", lambda name=name: self.action_step(name))
        yield ("CAPA: root cause", "(r)", self.action_root_cause)
        yield ("CAPA: add corrective action", "(a)", self.action_add_action)
        yield ("CAPA: mark an action done", "(x)", self.action_action_done)
        yield ("CAPA: verify effectiveness", "(v)", self.action_verify)
        yield ("CAPA: close", "(l)", self.action_close_capa)
