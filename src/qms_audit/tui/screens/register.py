"""The NC and CAPA register, and one NC's corrective action, with the same gates as the CLI."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from qms_audit.domain import capa_rules
from qms_audit.domain.presentation import date
from qms_audit.infra import clock
from qms_audit.infra.errors import QmsError
from qms_audit.infra.locations import Workspace
from qms_audit.model.audit import ActionStatus, RcaMethod
from qms_audit.services import capa
from qms_audit.store.drafts import REGISTER_DRAFTS, DraftStore
from qms_audit.tui.forms import Field, FormScreen
from qms_audit.tui.widgets.topbar import TopBar, with_who

# the register's stage column in a few letters; the CAPA screen spells the stage out
STAGE_SHORT = {"awaiting-verification": "to verify", "actions-in-progress": "acting"}


def _cut(text: str, width: int) -> str:
    """One line of a cell: cut with an ellipsis, so a cut is never mistaken for the whole text."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: max(1, width - 1)] + "…"


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
        self.reload()
        self.query_one(DataTable).focus()

    def on_resize(self) -> None:
        self.reload()

    def column_widths(self, rows) -> dict[str, int]:
        """Every column but the statement at the width its content needs (the id and the due date are never
        cut); the statement takes what is left, and the owner column is shown only where the statement still
        keeps a readable width."""
        def need(values, floor: int) -> int:
            return max([floor, *(len(v) for v in values)])
        widths = {"id": need((r.finding.id for r in rows), 2), "grade": 5,
                  "stage": need((STAGE_SHORT.get(r.stage, r.stage) for r in rows), 5), "due": 11,
                  "ref": need(((r.finding.ref or "") for r in rows), 3)}
        total = max(self.size.width, 40) - 2  # the table's scrollbar

        def room(columns: dict[str, int]) -> int:
            return total - sum(columns.values()) - 2 * (len(columns) + 1)  # a cell is padded by one each side
        owner = min(24, need((", ".join(r.owners) for r in rows), 5))
        if room({**widths, "owner": owner}) >= 30:
            widths["owner"] = owner
        widths["statement"] = max(12, room(widths))
        return widths

    def rows(self):
        rows = capa.register_rows(self.workspace, today=clock.today())
        return [r for r in rows if r.stage != "withdrawn"
                and (self.all_grades or r.finding.grade.is_nc)
                and (not self.only_open or r.stage != "closed")
                and (self.whole_workspace or r.audit_id == self.audit_id)]

    def reload(self) -> None:
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear(columns=True)
        rows = self.rows()
        widths = self.column_widths(rows)
        for name, width in widths.items():
            table.add_column(name, width=width, key=name)
        for r in rows:
            f = r.finding
            grade = Text(f.grade.short, style="bold red" if f.grade.short == "MAJ" else
                         ("red" if f.grade.is_nc else "yellow"))
            # overdue in words as well as colour: "!" survives a monochrome terminal
            due = Text(date(r.next_due) + ("!" if r.overdue else ""), style="bold red" if r.overdue else "")
            cells = {"id": f.id, "grade": grade, "stage": STAGE_SHORT.get(r.stage, r.stage), "due": due,
                     "ref": f.ref or "", "owner": _cut(", ".join(r.owners), widths.get("owner", 0)),
                     "statement": _cut(f.statement, widths["statement"])}
            table.add_row(*(cells[name] for name in widths), key=f.id)
        where = "the whole workspace" if self.whole_workspace else f"audit {self.audit_id}"
        flags = [("open only" if self.only_open else "open and closed"),
                 ("all grades" if self.all_grades else "NCs")]
        overdue = sum(1 for r in rows if r.overdue)
        self.query_one("#register-title", Static).update(with_who(
            f"NC and CAPA register: {len(rows)} in {where} ({', '.join(flags)}); {overdue} overdue (due date "
            "marked !)", self.app))
        if rows:
            table.move_cursor(row=min(keep, len(rows) - 1))

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return
        finding_id = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
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
        self.drafts = DraftStore(workspace.root, REGISTER_DRAFTS)

    def compose(self) -> ComposeResult:
        yield TopBar(id="capa-top")
        with VerticalScroll():
            yield Static(id="capa-view")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        self.reopen_unsaved_form()

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
        today = clock.today()
        stage = capa_rules.stage(f)
        overdue = capa_rules.is_overdue(f, today)
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
            late = {a.id for a in capa_rules.overdue_actions(f, today)}
            for a in c.actions:
                text.append(f"  {a.id} {a.description}  owner {a.owner}, due {date(a.due)}, {a.status.value}"
                            + (f" {date(a.done_at)}" if a.done_at else "") + "\n",
                            style="bold red" if a.id in late else "")
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
            missing = capa_rules.missing_for_closure(f)
            if missing:
                text.append("\nTo close: " + "; ".join(missing) + "\n", style="yellow")
        if c and c.history:
            text.append("\nHistory\n", style="bold")
            for h in c.history:
                said = f": {h.note}" if h.note else ""
                text.append(f"  {date(h.at)} {h.stage} ({h.by}){said}\n", style="dim")
        self.query_one("#capa-view", Static).update(text)
        self.query_one(TopBar).update(with_who(Text(f"Corrective action of {f.id}", style="bold"), self.app))

    CAPA_BLAME = {"verifier": "by", "owns an action": "by", "action owner": "by", "owner": "owner", "due": "due",
                  "before": "on", "date": "on", "method": "method", "root cause": "statement"}

    def open_form(self, name: str, title: str, fields: list[Field], call, *, submit_label: str = "Save") -> None:
        """A CAPA form: saved through the same CAPA rules as the CLI; a refusal keeps the form open with the
        reason under its field, and what is typed is kept as a draft until it is saved."""
        def save(values: dict) -> None:
            fn, kwargs = call(values)
            fn(self.workspace, self.finding_id, actor=self.actor, **kwargs)

        def done(values: dict | None) -> None:
            if values is not None:
                self.notify("saved", timeout=2)
                self.reload()
        self.app.push_screen(FormScreen(title, fields, submit_label=submit_label, save=save,
                                        draft_key=f"capa.{name}:{self.finding_id}", drafts=self.drafts,
                                        blame=self.CAPA_BLAME), done)

    def reopen_unsaved_form(self) -> None:
        openers = {"capa.root_cause": self.action_root_cause, "capa.action": self.action_add_action,
                   "capa.done": self.action_action_done, "capa.verify": self.action_verify,
                   "capa.close": self.action_close_capa}
        for draft in self.drafts.pending_forms():
            if draft.target != self.finding_id:
                continue
            step = draft.kind.removeprefix("capa.")
            opener: Callable[[], None] | None = openers.get(draft.kind)
            if opener is None and step in self.STEP_LABELS:
                opener = partial(self.action_step, step)
            if opener is not None:
                self.notify("reopened a form with text typed before the last session ended", timeout=8)
                opener()
                return

    def action_step(self, name: str) -> None:
        label = self.STEP_LABELS[name]
        self.open_form(name, f"{self.finding_id}: {label.lower()}", [Field("text", label, kind="area", required=True)],
                       lambda v: (capa.update, {name: str(v["text"])}))

    def action_root_cause(self) -> None:
        current = self.finding.capa.root_cause if self.finding.capa else None
        self.open_form("root_cause", f"{self.finding_id}: root cause", [
            Field("method", "Method", kind="select", required=True, value=current.method.value if current else "5-whys",
                  options=[(m.value, m.value) for m in RcaMethod]),
            Field("statement", "The cause found", kind="area", required=True,
                  value=current.statement if current else ""),
            Field("analysis", "The working (the whys, the fishbone)", kind="area",
                  value=(current.analysis or "") if current else ""),
        ], lambda v: (capa.update, {"root_cause": str(v["statement"]), "method": str(v["method"]),
                                    "analysis": v["analysis"] or None}))

    def action_add_action(self) -> None:
        self.open_form("action", f"{self.finding_id}: corrective action", [
            Field("description", "Action", kind="area", required=True),
            Field("owner", "Owner", required=True),
            Field("due", "Due date", kind="date", required=True),
        ], lambda v: (capa.update, {"actions": [(str(v["description"]), str(v["owner"]), v["due"])]}))

    def action_action_done(self) -> None:
        planned = [a for a in (self.finding.capa.actions if self.finding.capa else [])
                   if a.status is ActionStatus.PLANNED]
        if not planned:
            self.notify("no planned action to mark done", timeout=3)
            return
        self.open_form("done", f"{self.finding_id}: action done", [
            Field("action", "Action", kind="select", required=True, value=planned[0].id,
                  options=[(f"{a.id} {a.description[:50]}", a.id) for a in planned]),
            Field("note", "Note (what was done)", kind="area"),
        ], lambda v: (capa.update, {"done": [str(v["action"])], "done_note": v["note"] or None}))

    def action_verify(self) -> None:
        self.open_form("verify", f"{self.finding_id}: effectiveness review", [
            Field("by", "Verifier (not an action owner)", required=True, value=self.actor),
            Field("result", "Result", kind="select", required=True, value="effective",
                  options=[("effective", "effective"), ("not effective (reopens the CAPA)", "not-effective")]),
            Field("method", "How it was checked", kind="area", required=True),
            Field("on", "Date of the check", kind="date", value=clock.today().isoformat()),
            Field("note", "Note", kind="area"),
        ], lambda v: (capa.verify, {"by": str(v["by"]), "result": str(v["result"]), "method": str(v["method"]),
                                    "note": v["note"] or None, "on": v["on"]}))

    def action_close_capa(self) -> None:
        self.open_form("close", f"Close the CAPA of {self.finding_id}", [Field("note", "Closing note", kind="area")],
                       lambda v: (capa.close, {"note": v["note"] or None}), submit_label="Close CAPA")

    def palette_commands(self):
        for name, label in self.STEP_LABELS.items():
            yield (f"CAPA: {label}", "", lambda name=name: self.action_step(name))
        yield ("CAPA: root cause", "(r)", self.action_root_cause)
        yield ("CAPA: add corrective action", "(a)", self.action_add_action)
        yield ("CAPA: mark an action done", "(x)", self.action_action_done)
        yield ("CAPA: verify effectiveness", "(v)", self.action_verify)
        yield ("CAPA: close", "(l)", self.action_close_capa)
