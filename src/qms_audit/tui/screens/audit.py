"""The auditor's main screen: the checklist beside the requirement being assessed.

Every change goes through the session (and so the record layer) at once; notes are kept as drafts on every
keystroke and committed when the auditor pauses, leaves the field or the requirement.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Static, TextArea

from qms_audit.domain.presentation import pct
from qms_audit.infra.errors import QmsError
from qms_audit.model.audit import EvidenceKind, Grade
from qms_audit.model.common import Phase
from qms_audit.tui.forms import Field, FormScreen
from qms_audit.tui.messages import RecordChanged, RequirementChosen
from qms_audit.tui.widgets.checklist import Checklist
from qms_audit.tui.widgets.requirement import RequirementPane
from qms_audit.tui.widgets.topbar import TopBar, with_who
from qms_audit.views.session import FILTERS, AuditSession

if TYPE_CHECKING:
    from textual import getters

    from qms_audit.tui.app import QmsAuditApp

NOTE_SAVE_DELAY = 0.6  # seconds of quiet typing before the note is committed to the audit

GRADE_KEYS = {"1": Grade.CONFORMITY, "2": Grade.GOOD_PRACTICE, "3": Grade.OFI, "4": Grade.OBSERVATION,
              "5": Grade.MINOR_NC, "6": Grade.MAJOR_NC}


class Banner(Static):
    DEFAULT_CSS = """
    Banner { height: auto; background: $warning 30%; color: $text; padding: 0 1; display: none; }
    Banner.shown { display: block; }
    """


class AuditScreen(Screen):
    BINDINGS = [
        Binding("1", "rate('1')", "rate", id="rate.1", key_display="1-6",
                tooltip="1 conformity, 2 good practice, 3 OFI, 4 observation, 5 minor NC, 6 major NC"),
        *[Binding(k, f"rate('{k}')", f"rate {label}", id=f"rate.{k}", show=False)
          for k, label in (("2", "good practice (or level 2)"), ("3", "opportunity for improvement (or level 3)"),
                           ("4", "observation (or level 4)"), ("5", "minor nonconformity"),
                           ("6", "major nonconformity"))],
        Binding("0", "rate('0')", "rate level 0 (standards rated on levels)", id="rate.0", show=False),
        Binding("x", "not_applicable", "N/A", id="rate.na"),
        Binding("u", "unrate", "unrate", id="rate.clear", show=False),
        Binding("left_square_bracket", "move(-1)", "previous requirement", id="req.prev", show=False),
        Binding("right_square_bracket", "move(1)", "move", id="req.next", key_display="[ ]"),
        Binding("slash", "jump", "jump to a ref", id="req.jump", show=False),
        Binding("v", "filter", "filter", id="req.filter", show=False),
        Binding("e", "add_evidence", "evid.", id="evidence.add"),
        Binding("E", "edit_evidence", "edit or remove evidence", id="evidence.edit", show=False),
        Binding("l", "link_evidence", "link evidence to the finding", id="evidence.link", show=False),
        Binding("n", "edit_note", "write the note", id="note.edit", show=False),
        Binding("f", "finding", "finding", id="finding.edit", show=False),
        Binding("r", "respond", "auditee response", id="finding.respond", show=False),
        Binding("escape", "leave_note", "back to checklist", id="note.leave", key_display="esc"),
        Binding("ctrl+s", "save_note", "save note now", id="note.save", show=False),
        Binding("d", "dashboard", "dash", id="screen.dashboard"),
        Binding("c", "register", "CAPA", id="screen.register"),
        Binding("a", "audits", "audit list", id="screen.audits", show=False),
    ]

    if TYPE_CHECKING:
        # The screen only ever runs inside QmsAuditApp, whose methods it calls; Textual types `app` as a plain
        # App. Only for the type checker: at run time `app` stays Textual's own property.
        app = getters.app(QmsAuditApp)

    def __init__(self, session: AuditSession) -> None:
        super().__init__()
        self.session = session
        self.ref: str | None = None
        self.note_base = ""  # the note as last saved; a save says it started from this
        self.note_timer: Timer | None = None
        self.save_state = "saved"

    def compose(self) -> ComposeResult:
        yield TopBar(id="topbar")
        yield Banner(id="banner")
        with Horizontal(id="work"):
            yield Checklist(self.session, id="checklist")
            yield RequirementPane(self.session, id="pane")
        yield Footer()

    def on_mount(self) -> None:
        reason = self.session.read_only_reason()
        banner = self.query_one(Banner)
        if reason:
            banner.update(Text(f"READ-ONLY  {reason}", style="bold"))
            banner.add_class("shown")
        self.refresh_topbar()
        checklist = self.query_one(Checklist)
        checklist.focus()
        first = next(iter(checklist.req_nodes), None)
        if first:
            checklist.select_ref(first, scroll=False)
            self.show_ref(first)
        self.restore_drafts()

    # -- display -------------------------------------------------------------------------------------------

    def refresh_topbar(self) -> None:
        session = self.session
        score = session.score()
        state = {"saved": ("● saved", "green"), "pending": ("● typing…", "yellow"),
                 "failed": ("✖ NOT SAVED", "bold red")}[self.save_state]
        when = f" {session.last_saved_at:%H:%M:%S}" if session.last_saved_at and self.save_state == "saved" else ""
        text = Text()
        text.append(state[0] + when, style=state[1])
        text.append(f"  {session.audit_id}", style="bold")
        shown = score.shown
        scored = f"{pct(shown.score)} cov {pct(score.coverage)}" if shown.scored else shown.text
        text.append(f" · {session.status.label} · {scored} · "
                    f"{score.verdict_label.split(':')[0]}")
        if self.session.checklist_filter != "all":
            text.append(f" · filter: {FILTERS[self.session.checklist_filter]}", style="italic")
        if self.size.width >= 110:
            text.append(f" · {session.standard.key}", style="dim")
        self.query_one(TopBar).update(with_who(text, self.app), layout=False)

    def show_ref(self, ref: str) -> None:
        if ref == self.ref:
            return
        self.flush_note()
        self.ref = ref
        pane = self.query_one(RequirementPane)
        pane.show(ref)
        self.note_base = self.session.result(ref).note

    def when_saved(self, ref: str | None = None) -> Callable[[dict | None], None]:
        """A form's callback: what the form saved is shown (nothing happens when it was cancelled)."""
        def done(values: dict | None) -> None:
            if values is not None:
                self.after_change(ref)
        return done

    def after_change(self, ref: str | None = None) -> None:
        ref = ref or self.ref
        checklist = self.query_one(Checklist)
        pane = self.query_one(RequirementPane)
        if ref:
            checklist.refresh_ref(ref)
        if ref == self.ref:
            pane.update_rating()
            pane.update_evidence()
            pane.update_findings()
        self.refresh_topbar()
        self.post_message(RecordChanged(ref))

    def fail(self, exc: QmsError) -> None:
        self.notify(exc.message, title="Not saved", severity="error", timeout=8)

    # -- moving around ---------------------------------------------------------------------------------------

    @on(RequirementChosen)
    def _chosen(self, message: RequirementChosen) -> None:
        self.show_ref(message.ref)

    def action_move(self, step: int) -> None:
        if self.ref is None:
            return
        target = self.session.neighbour(self.ref, step, self.session.checklist_filter)
        if target is None:
            self.notify("no more requirements this way", timeout=2)
            return
        self.go_to(target)

    def go_to(self, ref: str) -> None:
        checklist = self.query_one(Checklist)
        if not checklist.select_ref(ref):
            checklist.rebuild("all")
            self.session.checklist_filter = "all"
            checklist.select_ref(ref)
        self.show_ref(ref)

    def action_jump(self) -> None:
        refs = [r.ref for r in self.session.requirements()]
        form = FormScreen("Jump to a requirement", [Field("ref", "Reference (e.g. 8.1.c, or its start: 8.1)",
                                                          required=True, suggestions=refs)], submit_label="Go")

        def done(values: dict | None) -> None:
            if not values:
                return
            ref = self.session.find_ref(str(values["ref"]))
            if ref is None:
                self.notify(f"no requirement matches '{values['ref']}'", severity="warning")
            else:
                self.go_to(ref)
                self.query_one(Checklist).focus()
        self.app.push_screen(form, done)

    def action_filter(self) -> None:
        form = FormScreen("Show in the checklist", [Field("filter", "Filter", kind="select", required=True,
                                                          options=[(v, k) for k, v in FILTERS.items()],
                                                          value=self.session.checklist_filter)], submit_label="Apply")

        def done(values: dict | None) -> None:
            if not values:
                return
            self.apply_filter(str(values["filter"]))
        self.app.push_screen(form, done)

    def apply_filter(self, key: str) -> None:
        self.session.checklist_filter = key
        checklist = self.query_one(Checklist)
        checklist.rebuild(key)
        if self.ref and checklist.select_ref(self.ref):
            pass
        elif checklist.req_nodes:
            first = next(iter(checklist.req_nodes))
            checklist.select_ref(first)
            self.show_ref(first)
        else:
            self.notify("nothing matches this filter", timeout=3)
        self.refresh_topbar()

    # -- rating ------------------------------------------------------------------------------------------------

    def action_rate(self, key: str) -> None:
        if self.ref is None:
            return
        if self.session.standard.uses_levels:
            level = int(key)
            if level > self.session.standard.max_level:
                self.notify(f"levels go from 0 to {self.session.standard.max_level}", severity="warning")
                return
            self.rate(Grade.NOT_ASSESSED, level=level)
            return
        grade = GRADE_KEYS.get(key)
        if grade is None:
            self.notify("rate with 1-6, x for not applicable, u to clear", timeout=3)
            return
        req = self.session.requirement(self.ref)
        if grade.is_nc and not req.can_raise_nc:
            self.notify(f"{self.ref} is a 'should' requirement: a gap is an OFI at most (press 3)",
                        severity="warning", timeout=6)
            return
        self.flush_note()
        if self.session.statement_needed(self.ref, grade):
            self.open_statement_form(self.ref, grade)
            return
        self.rate(grade)

    def open_statement_form(self, ref: str, grade: Grade) -> None:
        if grade.is_nc:
            prompt = "What was found (the finding statement)"
            hint = f"{ref}: say what does not meet the requirement and where."
        elif grade is Grade.OFI:
            prompt = "The opportunity (what could be improved, and how)"
            hint = f"{ref}: the requirement is met; say what could work better and where."
        else:
            prompt = "What was observed (the risk of a future nonconformity)"
            hint = f"{ref}: not a nonconformity yet; say what was seen and why it is a risk."
        evidence = self.session.result(ref).evidence
        hint += (f" The {len(evidence)} evidence entr{'y' if len(evidence) == 1 else 'ies'} of {ref} will be "
                 "linked to the finding." if evidence else " Evidence you add to this requirement later can be "
                 "linked to it (e).")
        form = FormScreen(f"{grade.label}: the finding", [
            Field("statement", prompt, kind="area", value=self.session.result(ref).note, required=True),
        ], note=hint, save=lambda v: self.session.rate(ref, grade, statement=str(v["statement"])),
            draft_key=f"statement:{ref}:{grade.value}", drafts=self.session.drafts)
        self.app.push_screen(form, self.when_saved(ref))

    def rate(self, grade: Grade, *, level: int | None = None, na_reason: str | None = None,
             statement: str | None = None) -> None:
        assert self.ref is not None
        try:
            self.session.rate(self.ref, grade, level=level, na_reason=na_reason, statement=statement)
        except QmsError as exc:
            self.fail(exc)
            return
        self.after_change()

    def action_not_applicable(self) -> None:
        if self.ref is None:
            return
        ref = self.ref
        current = self.session.result(ref)
        form = FormScreen("Not applicable", [Field("reason", "Why it does not apply (ISO 9001 4.3)", kind="area",
                                                   value=current.na_reason or "", required=True)],
                          note=f"{ref}: an exclusion needs a written justification.",
                          save=lambda v: self.session.rate(ref, Grade.NOT_APPLICABLE, na_reason=str(v["reason"])),
                          draft_key=f"na:{ref}", drafts=self.session.drafts)
        self.app.push_screen(form, self.when_saved(ref))

    def action_unrate(self) -> None:
        if self.ref is not None:
            self.rate(Grade.NOT_ASSESSED)

    # -- evidence and findings ---------------------------------------------------------------------------------

    EVIDENCE_BLAME = {"sample": "sample", "population": "population", "file": "file", "path": "file",
                      "folder": "file", "description": "text", "finding": "finding"}

    def evidence_fields(self, ref: str, current=None) -> list[Field]:
        req = self.session.requirement(ref)
        sample = current.sample if current is not None else None
        return [
            Field("phase", "PDCA phase", kind="select", required=True,
                  value=current.phase.value if current is not None else (req.pdca.value if req.pdca else ""),
                  options=[(f"{p.value} {p.label}" + (f": {prompt[:48]}" if (prompt := req.evidence.for_phase(p))
                                                      else ""), p.value) for p in Phase]),
            Field("kind", "Kind", kind="select", required=True,
                  value=current.kind.value if current is not None else "document",
                  options=[(k.value, k.value) for k in EvidenceKind]),
            Field("text", "What the evidence is and what it shows", kind="area", required=True,
                  value=current.text if current is not None else ""),
            Field("reference", "Reference (document number, URL, interviewee)",
                  value=(current.reference or "") if current is not None else ""),
            Field("sample", "Sample size (if sampled)", kind="int", value=str(sample.size) if sample else ""),
            Field("population", "Population sampled from", kind="int",
                  value=str(sample.population) if sample and sample.population else ""),
        ]

    def action_add_evidence(self) -> None:
        if self.ref is None:
            return
        ref = self.ref
        fields = self.evidence_fields(ref)
        fields.insert(4, Field("file", "File to copy into the audit (path)"))
        open_findings = self.session.open_findings_for(ref)
        if open_findings:
            fields.append(Field("finding", "Link to finding", kind="select", value=open_findings[-1].id,
                                options=[(f"{f.id} {f.grade.label.lower()}", f.id) for f in open_findings]))

        def save(values: dict) -> None:
            self.session.add_evidence(
                ref, phase=Phase(str(values["phase"])), kind=EvidenceKind(str(values["kind"])),
                text=str(values["text"]), reference=values["reference"],
                file=Path(str(values["file"])).expanduser() if values["file"] else None,
                sample_size=values["sample"], population=values["population"],
                findings=[str(values["finding"])] if values.get("finding") else [])

        def done(values: dict | None) -> None:
            if values is not None:
                self.notify(f"evidence added to {ref}", timeout=2)
                self.after_change(ref)
        self.app.push_screen(FormScreen(f"Evidence for {ref}", fields, save=save, draft_key=f"evidence:{ref}",
                                        drafts=self.session.drafts, blame=self.EVIDENCE_BLAME), done)

    def action_edit_evidence(self) -> None:
        """Choose one of the requirement's evidence entries, then change it or remove it (both logged)."""
        if self.ref is None:
            return
        ref = self.ref
        entries = self.session.result(ref).evidence
        if not entries:
            self.notify(f"{ref} has no evidence yet: e adds some", timeout=3)
            return
        if len(entries) == 1:
            self.open_evidence_entry(ref, entries[0].id)
            return
        form = FormScreen(f"Evidence of {ref}", [Field(
            "entry", "Which entry", kind="select", required=True, value=entries[-1].id,
            options=[(f"{e.phase.value} {e.kind.value}: {e.text[:60]}", e.id) for e in entries])],
            submit_label="Open")

        def chosen(values: dict | None) -> None:
            if values is not None:
                self.open_evidence_entry(ref, str(values["entry"]))
        self.app.push_screen(form, chosen)

    def open_evidence_entry(self, ref: str, evidence_id: str) -> None:
        entry = next((e for e in self.session.result(ref).evidence if e.id == evidence_id), None)
        if entry is None:
            self.notify(f"{ref} no longer has evidence {evidence_id}", severity="warning")
            return
        fields = self.evidence_fields(ref, entry)
        fields.append(Field("action", "What to do", kind="select", required=True, value="edit",
                            options=[("save the changes", "edit"), ("remove this entry", "remove")]))
        fields.append(Field("reason", "Why (recorded in the audit log)", kind="area", required=True))

        def save(values: dict) -> None:
            if values["action"] == "remove":
                self.session.remove_evidence(ref, evidence_id, str(values["reason"]))
                return
            self.session.update_evidence(
                ref, evidence_id, reason=str(values["reason"]), phase=Phase(str(values["phase"])),
                kind=EvidenceKind(str(values["kind"])), text=str(values["text"]),
                reference=values["reference"] or "", sample_size=values["sample"],
                population=values["population"], clear_sample=values["sample"] is None and entry.sample is not None)

        def done(values: dict | None) -> None:
            if values is not None:
                self.notify(f"evidence {evidence_id} {'removed from' if values['action'] == 'remove' else 'changed on'}"
                            f" {ref}", timeout=3)
                self.after_change(ref)
        note = f"{evidence_id}, collected by {entry.collected_by}"
        if entry.file:
            note += f"; file {entry.file.original_name} stays with the audit"
        self.app.push_screen(FormScreen(f"Evidence {evidence_id} of {ref}", fields, note=note, save=save,
                                        draft_key=f"evidence.edit:{ref}:{evidence_id}", drafts=self.session.drafts,
                                        blame=self.EVIDENCE_BLAME), done)

    def action_link_evidence(self) -> None:
        finding = self._one_finding()
        if finding is None or finding.ref is None:
            return
        ref = finding.ref
        unlinked = [e for e in self.session.result(ref).evidence if e.id not in finding.evidence_ids]
        if not unlinked:
            self.notify(f"every evidence entry of {ref} is already linked to {finding.id}", timeout=3)
            return
        form = FormScreen(f"Link evidence to {finding.id}", [Field(
            "entry", "Evidence entry", kind="select", required=True, value=unlinked[-1].id,
            options=[(f"{e.phase.value} {e.kind.value}: {e.text[:60]}", e.id) for e in unlinked])],
            submit_label="Link", save=lambda v: self.session.link_evidence(finding.id, [str(v["entry"])]))
        self.app.push_screen(form, self.when_saved(ref))

    def _one_finding(self):
        findings = self.session.findings_for(self.ref) if self.ref else []
        if not findings:
            self.notify("no finding on this requirement: rate it 3-6 to raise one", timeout=4)
            return None
        return findings[-1]

    def action_finding(self) -> None:
        finding = self._one_finding()
        if finding is None:
            return
        form = FormScreen(f"{finding.id} ({finding.grade.label.lower()})", [
            Field("statement", "Finding statement", kind="area", value=finding.statement, required=True),
            Field("evidence", "Objective evidence (summary)", kind="area", value=finding.evidence),
        ], save=lambda v: self.session.update_finding(finding.id, statement=str(v["statement"]),
                                                      evidence_text=str(v["evidence"] or "")),
            draft_key=f"finding:{finding.id}", drafts=self.session.drafts)
        self.app.push_screen(form, self.when_saved())

    def action_respond(self) -> None:
        finding = self._one_finding()
        if finding is None:
            return
        current = finding.response
        form = FormScreen(f"Auditee response to {finding.id}", [
            Field("position", "Position", kind="select", required=True,
                  value=current.position if current else "acknowledged",
                  options=[("acknowledged", "acknowledged"), ("disputed (diverging opinion)", "disputed")]),
            Field("by", "Who responded for the auditee", required=True, value=current.by if current else ""),
            Field("text", "Their words (required for a dispute)", kind="area", value=current.text if current else ""),
        ], save=lambda v: self.session.respond(finding.id, position=str(v["position"]), text=str(v["text"] or ""),
                                               by=str(v["by"])),
            draft_key=f"respond:{finding.id}", drafts=self.session.drafts,
            blame={"dispute": "text", "words": "text", "who": "by"})
        self.app.push_screen(form, self.when_saved())

    # -- the note: drafts on every keystroke, committed on a pause --------------------------------------------

    def action_edit_note(self) -> None:
        self.query_one("#note", TextArea).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # esc is shown in the footer only while the note is being written, where it is the way out
        if action == "leave_note":
            return self.focused is not None and self.focused.id == "note"
        return True

    def action_leave_note(self) -> None:
        self.flush_note()
        self.query_one(Checklist).focus()

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    def on_descendant_blur(self) -> None:
        self.refresh_bindings()

    @on(TextArea.Changed, "#note")
    def _note_changed(self, event: TextArea.Changed) -> None:
        if self.ref is None or event.text_area.text == self.note_base:
            return
        self.session.keep_draft(self.ref, event.text_area.text, self.note_base)
        self.set_save_state("pending")
        if self.note_timer is not None:
            self.note_timer.stop()
        self.note_timer = self.set_timer(NOTE_SAVE_DELAY, self.flush_note)

    def action_save_note(self) -> None:
        self.flush_note()

    def flush_note(self) -> None:
        if self.note_timer is not None:
            self.note_timer.stop()
            self.note_timer = None
        if self.ref is None or not self.is_mounted:
            return
        try:
            note = self.query_one("#note", TextArea)
        except NoMatches:  # the screen is being taken down; the draft already holds the text
            return
        text = note.text
        if text == self.note_base:
            if self.save_state == "pending":
                self.set_save_state("saved")
            return
        try:
            self.session.save_note(self.ref, text, self.note_base)
        except QmsError as exc:
            self.set_save_state("failed")
            self.fail(exc)
            return
        self.note_base = text
        self.set_save_state("saved")
        self.after_change()

    def set_save_state(self, state: str) -> None:
        if state != self.save_state:
            self.save_state = state
            self.refresh_topbar()

    def restore_drafts(self) -> None:
        """Text typed before a crash: put it back and save it (or report why it cannot be)."""
        for draft in self.session.pending_drafts():
            saved = self.session.result(draft.ref).note
            if draft.text == saved:
                self.session.drafts.clear(draft.ref)
                continue
            if saved != draft.base:
                self.notify(f"unsaved text for {draft.ref} from {draft.at[:16]} differs from the saved note, which "
                            "someone changed since; it is shown in the note to merge by hand", severity="warning",
                            timeout=10)
                self.go_to(draft.ref)
                self.query_one("#note", TextArea).load_text(draft.text)
                continue
            try:
                self.session.save_note(draft.ref, draft.text, draft.base)
            except QmsError as exc:
                self.fail(exc)
                continue
            self.notify(f"restored text for {draft.ref} that was typed before the last session ended", timeout=6)
            self.query_one(Checklist).refresh_ref(draft.ref)
            if draft.ref == self.ref:
                self.query_one(RequirementPane).show(draft.ref)
                self.note_base = draft.text
        self.refresh_topbar()
        self.reopen_unsaved_form()

    def reopen_unsaved_form(self) -> None:
        """A form that was being filled in when the last session ended opens again with its text; the others
        keep theirs until they are opened."""
        if self.session.read_only_reason():
            return
        drafts = self.session.drafts.pending_forms()
        for draft in drafts:
            if self.open_form_for(draft.key):
                others = len(drafts) - 1
                self.notify("reopened a form with text typed before the last session ended"
                            + (f"; {others} more come back when you open them" if others else ""), timeout=8)
                return

    def open_form_for(self, key: str) -> bool:
        kind, _, target = key.partition(":")
        if kind in ("finding", "respond"):
            finding = self.session.opened.snapshot.findings.get(target)
            if finding is None or finding.ref is None or not self.opened_at(finding.ref):
                return False
            (self.action_finding if kind == "finding" else self.action_respond)()
            return True
        ref, _, rest = target.partition(":")
        if not self.opened_at(ref):
            return False
        if kind == "statement":
            try:
                self.open_statement_form(ref, Grade(rest))
            except ValueError:
                return False
        elif kind == "na":
            self.action_not_applicable()
        elif kind == "evidence":
            self.action_add_evidence()
        elif kind == "evidence.edit":
            self.open_evidence_entry(ref, rest)
        else:
            return False
        return True

    def opened_at(self, ref: str) -> bool:
        """Go to a requirement of this audit; False when the audit has no such requirement in scope."""
        if ref not in {r.ref for r in self.session.requirements()}:
            return False
        self.go_to(ref)
        return True

    def on_screen_suspend(self) -> None:
        self.flush_note()

    # -- other screens --------------------------------------------------------------------------------------

    def action_dashboard(self) -> None:
        from qms_audit.tui.screens.dashboard import DashboardScreen

        self.flush_note()
        self.app.push_screen(DashboardScreen(self.session))

    def action_register(self) -> None:
        from qms_audit.tui.screens.register import RegisterScreen

        self.flush_note()
        self.app.push_screen(RegisterScreen(self.session.workspace, self.session.actor,
                                            audit_id=self.session.audit_id))

    def action_audits(self) -> None:
        self.app.action_open_picker()

    def on_screen_resume(self) -> None:
        # back from the register: CAPA work may have changed findings
        self.session.reload()
        checklist = self.query_one(Checklist)
        checklist.rebuild()
        if self.ref:
            checklist.select_ref(self.ref)
            pane = self.query_one(RequirementPane)
            pane.update_rating()
            pane.update_findings()
            pane.update_evidence()
        self.refresh_topbar()

    def palette_commands(self):
        yield ("Rate: conformity", "Rate the current requirement conformity (1)", lambda: self.action_rate("1"))
        yield ("Rate: opportunity for improvement", "OFI (3)", lambda: self.action_rate("3"))
        yield ("Rate: minor nonconformity", "Minor NC (5)", lambda: self.action_rate("5"))
        yield ("Rate: major nonconformity", "Major NC (6)", lambda: self.action_rate("6"))
        yield ("Rate: not applicable", "With a written justification (x)", self.action_not_applicable)
        yield ("Add evidence", "Record evidence for the current requirement (e)", self.action_add_evidence)
        yield ("Edit or remove evidence", "Change or remove an evidence entry, with a reason (E)",
               self.action_edit_evidence)
        yield ("Link evidence to the finding", "Evidence added after the finding was raised (l)",
               self.action_link_evidence)
        yield ("Edit finding", "Statement and evidence of the finding (f)", self.action_finding)
        yield ("Auditee response", "Acknowledgement or diverging opinion (r)", self.action_respond)
        yield ("Jump to requirement", "Type a reference (/)", self.action_jump)
        for key, label in FILTERS.items():
            yield (f"Filter: {label}", "Show only these requirements in the checklist",
                   lambda key=key: self.apply_filter(key))
        yield ("Dashboard", "Scores per clause and PDCA phase (d)", self.action_dashboard)
        yield ("NC and CAPA register", "Findings and corrective action (c)", self.action_register)
        yield ("Save note now", "Commit the note being typed (ctrl+s)", self.action_save_note)
        yield ("Next requirement", "(])", lambda: self.action_move(1))
        yield ("Previous requirement", "([)", lambda: self.action_move(-1))
