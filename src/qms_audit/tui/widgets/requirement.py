"""One requirement: the question, its source, the SOP, the rating, findings, evidence and evidence prompts
(a scrollable text view), with the auditor's note editor kept below it.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static, TextArea

from qms_audit.domain import capa_rules as capa
from qms_audit.domain.presentation import date, disputed_rating_text, result_label
from qms_audit.model.audit import Evidence, Finding, RequirementResult
from qms_audit.model.common import PHASES
from qms_audit.model.standard import Requirement
from qms_audit.tui.widgets.textview import TextView
from qms_audit.views.session import AuditSession


class RequirementPane(Vertical):
    DEFAULT_CSS = """
    RequirementPane { padding: 0 0 0 1; }
    RequirementPane #req-view { height: 1fr; scrollbar-gutter: stable; }
    RequirementPane #note-label { height: 1; color: $text-muted; }
    RequirementPane #note { height: 6; min-height: 3; }
    RequirementPane.short #note { height: 4; }
    """

    def __init__(self, session: AuditSession, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.ref: str | None = None

    def compose(self) -> ComposeResult:
        yield TextView(id="req-view")
        yield Static("note: n to write, saved as you type", id="note-label")
        note = TextArea("", id="note", soft_wrap=True)
        note.cursor_blink = False  # over SSH on a poor link, every blink is a screen update sent
        yield note

    def on_resize(self) -> None:
        # on a 24-line terminal the note gives two lines to the requirement, so the rating and the newest
        # evidence stay in view; the text is wrapped again for the new width
        self.set_class(self.app.size.height < 30, "short")
        if self.ref is not None:
            self.refresh_details()

    @property
    def view(self) -> TextView:
        return self.query_one("#req-view", TextView)

    def show(self, ref: str) -> None:
        self.ref = ref
        self.view.set_text(self.describe())
        note = self.query_one("#note", TextArea)
        note.load_text(self.session.result(ref).note)
        note.read_only = self.session.read_only_reason() is not None

    def refresh_details(self) -> None:
        """After a change to the current requirement: redraw, keeping the reader's place."""
        if self.ref is not None:
            self.view.set_text(self.describe(), keep_scroll=True)

    # the screen calls these after a change
    update_rating = update_evidence = update_findings = refresh_details

    def describe(self) -> Text:
        """What the auditor needs first comes first: the question, the rating and the newest evidence fit a
        24-line terminal without scrolling; the source, guidance and evidence prompts follow."""
        session = self.session
        ref = self.ref
        assert ref is not None
        req = session.requirement(ref)
        result = session.result(ref)
        text = Text()
        text.append(f"{ref}  {req.title}  ", style="bold")
        text.append(req.force.value.upper(), style="bold red" if req.force.value == "must" else "bold yellow")
        text.append(f"  {req.pdca.label}\n" if req.pdca else "\n", style="bold")
        if req.question != req.title:  # a requirement written without a title is titled by its question
            text.append(req.question + "\n")
        self._rating(text, result)
        self._dispute(text, ref)
        _evidence(text, result.evidence)
        _findings(text, session.findings_for(ref), result.evidence)
        self._source(text, ref, req)
        prompts = [(phase, req.evidence.for_phase(phase)) for phase in PHASES]
        if any(prompt for _phase, prompt in prompts):  # a standard may give no prompts at all
            text.append("\n\nWhat evidence would look like", style="bold")
            for phase, prompt in prompts:
                if prompt:
                    text.append(f"\n{phase.label:<6}", style="bold")
                    text.append(prompt)
        return text

    def _rating(self, text: Text, result: RequirementResult) -> None:
        standard = self.session.standard
        text.append("Rating: ", style="bold")
        text.append(result_label(standard, result))
        if result.rated_by:
            text.append(f"  ({result.rated_by}, {date(result.rated_at)})", style="dim")
        if result.na_reason:
            text.append(f"\nWhy not applicable: {result.na_reason}")
        if self.size.width >= 60:  # the footer already names the keys on a narrow screen
            keys = ("0-4 level" if standard.uses_levels else
                    "1 conformity  2 good practice  3 OFI  4 observation  5 minor NC  6 major NC")
            text.append(f"\n{keys}  x N/A  u unrate", style="dim")

    def _dispute(self, text: Text, ref: str) -> None:
        """Ratings two auditors gave apart, met in a git merge: each value, who and when, until the lead settles.
        On a 24-line terminal each rating takes one short line (its note is in `audit show`)."""
        ratings = self.session.dispute_for(ref)
        if not ratings:
            return
        lead = self.session.record.plan.lead.name
        text.append("\nDISPUTED", style="bold reverse red")
        text.append(f" {lead} (lead) settles it by rating", style="bold")
        short = self.app.size.height < 30
        for rating, finding_ids in ratings:
            if short:
                value = f"level {rating.level}" if rating.level is not None else rating.grade.short
                text.append(f"\n  {value} {' '.join(finding_ids)} {rating.by or '?'} {date(rating.at)}".rstrip())
            else:
                text.append(f"\n  - {disputed_rating_text(rating, finding_ids)}")

    def _source(self, text: Text, ref: str, req: Requirement) -> None:
        """Where the requirement comes from, the SOP it relies on, its weight and guidance."""
        standard = self.session.standard
        clause = standard.clause_of(ref)
        text.append(f"\n\nClause {clause.number} {clause.title}", style="dim")
        if req.source_clause:
            text.append(f"; source {req.source_clause}", style="dim")
        if req.source_modal:
            text.append(f" ({req.source_modal.value})", style="dim")
        if req.sop:
            sop = standard.sop(req.sop)
            text.append(f"\nRelies on {req.sop}" + (f": {sop.title}" if sop else ""), style="dim")
        if req.criticality.value != "normal" or req.weight != 1:
            text.append(f"\nCriticality {req.criticality.value}, weight {req.weight:g}", style="dim")
        if req.guidance:
            text.append(f"\nGuidance: {req.guidance}", style="italic")


def _evidence(text: Text, evidence: Sequence[Evidence]) -> None:
    if not evidence:
        text.append("\nNo evidence yet (e to add)", style="dim")
        return
    text.append(f"\nEvidence ({len(evidence)}, newest first; E edits)", style="bold")
    for ev in reversed(evidence):
        text.append(f"\n{ev.phase.value} ", style="bold")
        text.append(f"{ev.kind.value}: ", style="dim")
        text.append(ev.text)
        if ev.reference:
            text.append(f" [{ev.reference}]", style="dim")
        if ev.file:
            text.append(f" (file {ev.file.original_name})", style="cyan")
        if ev.sample:
            text.append(f" sample {ev.sample}", style="dim")


def _findings(text: Text, findings: Sequence[Finding], evidence: Sequence[Evidence]) -> None:
    """Each finding on the requirement, with how much of the evidence it links, the auditee's answer and, for an
    NC, the stage of its corrective action."""
    if not findings:
        return
    text.append("\n\nFindings", style="bold")
    for f in findings:
        text.append(f"\n{f.id} {f.grade.label.lower()}: ", style="red" if f.grade.is_nc else "yellow")
        text.append(f.statement)
        linked = len([e for e in evidence if e.id in f.evidence_ids])
        text.append(f"\n  evidence linked: {linked} of {len(evidence)}" + (" (l links more)"
                    if linked < len(evidence) else ""), style="dim")
        if f.response:
            said = f": {f.response.text}" if f.response.text else ""
            text.append(f"\n  auditee ({f.response.by}) {f.response.position}{said}", style="italic")
        if f.grade.is_nc:
            text.append(f"\n  CAPA {capa.stage(f)}", style="dim")
