"""An auditor's working session on one audit: what the TUI shows and does, without any UI code.

The session remembers what the screen was built from, so every save names the values it started from;
if another writer (a second TUI, a browser tab, a CLI command) changed them in between, the save is refused
with a clear message instead of silently overwriting. Scores are recomputed only after a change.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qms_audit.domain.audit_rules import closed_refusal, effective_status, findings_of_rating, statement_needed
from qms_audit.domain.capa_rules import is_open
from qms_audit.domain.scoring import AuditScore, is_assessed, score_snapshot
from qms_audit.infra.errors import Refused
from qms_audit.infra.locations import Workspace
from qms_audit.model.audit import (
    AuditStatus,
    DisputedRating,
    Evidence,
    EvidenceKind,
    Finding,
    Grade,
    RequirementResult,
)
from qms_audit.model.common import Phase
from qms_audit.model.standard import Requirement, Standard
from qms_audit.services import auditing
from qms_audit.store.drafts import Draft, DraftStore

FILTERS = {
    "all": "All requirements",
    "unassessed": "Not assessed yet",
    "findings": "NCs, observations and OFIs",
    "nc": "Nonconformities only",
    "must": "'must' requirements",
    "should": "'should' requirements",
    "P": "Plan phase",
    "D": "Do phase",
    "C": "Check phase",
    "A": "Act phase",
}


@dataclass
class Progress:
    assessed: int
    applicable: int
    findings: int


class AuditSession:
    def __init__(self, workspace: Workspace, audit_id: str, actor: str) -> None:
        self.workspace = workspace
        self.audit_id = audit_id
        self.actor = actor
        self.drafts = DraftStore(workspace.root, audit_id)
        self._score: AuditScore | None = None
        self.opened = auditing.open_audit(workspace, audit_id, actor=actor)
        self.last_saved_at: dt.datetime | None = None
        self.checklist_filter = "all"
        self._ordered: tuple[list[str], dict[str, int]] | None = None

    # -- state -------------------------------------------------------------------------------------------

    @property
    def standard(self) -> Standard:
        return self.opened.standard

    @property
    def record(self):
        return self.opened.record

    @property
    def status(self) -> AuditStatus:
        return effective_status(self.opened.snapshot)

    def reload(self) -> None:
        self.opened = auditing.open_audit(self.workspace, self.audit_id, actor=self.actor)
        self._score = None

    def read_only_reason(self) -> str | None:
        refusal = closed_refusal(self.record)
        if refusal:
            return refusal
        folder = self.opened.store.folder
        if not os.access(folder, os.W_OK):
            return f"You cannot write to {self.workspace.relative(folder)}: the audit is open read-only."
        return None

    def requirements(self) -> list[Requirement]:
        return self.opened.scoped_requirements()

    def requirement(self, ref: str) -> Requirement:
        return auditing.requirement(self.opened, ref)

    def result(self, ref: str) -> RequirementResult:
        return self.opened.snapshot.result(ref)

    def findings_for(self, ref: str) -> list[Finding]:
        return self.opened.snapshot.findings_for(ref)

    def dispute_for(self, ref: str) -> list[tuple[DisputedRating, list[str]]]:
        """The ratings of `ref` that auditors gave apart and a merge met, each with the findings it raised; empty
        when the requirement is not disputed."""
        dispute = self.opened.snapshot.disputes.get(ref)
        if dispute is None:
            return []
        findings = self.opened.snapshot.findings.values()
        return [(rating, [f.id for f in findings_of_rating(ref, rating, findings)]) for rating in dispute.ratings]

    def open_findings_for(self, ref: str) -> list[Finding]:
        """Findings of the requirement that evidence can still be linked to: not withdrawn, CAPA not closed."""
        return sorted((f for f in self.findings_for(ref) if is_open(f)), key=lambda f: f.id)

    def statement_needed(self, ref: str, grade: Grade) -> bool:
        """Whether rating `ref` `grade` raises a new finding, so that the screen asks for its statement first."""
        return statement_needed(grade, self.findings_for(ref))

    def evidence_entry(self, ref: str, evidence_id: str) -> Evidence | None:
        return next((e for e in self.result(ref).evidence if e.id == evidence_id), None)

    def score(self) -> AuditScore:
        if self._score is None:
            self._score = score_snapshot(self.standard, self.opened.snapshot)
        return self._score

    def is_assessed(self, ref: str) -> bool:
        return is_assessed(self.standard, self.result(ref))

    def progress(self, clause_number: str) -> Progress:
        """Assessed / applicable requirements under a clause or sub-clause."""
        clause = self.standard.clause(clause_number)
        assessed = applicable = findings = 0
        if clause is None:
            return Progress(0, 0, 0)
        for req in clause.all_requirements():
            if not self.opened.in_scope(req.ref):
                continue
            result = self.result(req.ref)
            if result.grade is not Grade.NOT_APPLICABLE:
                applicable += 1
                assessed += is_assessed(self.standard, result)
            findings += len(self.findings_for(req.ref))
        return Progress(assessed, applicable, findings)

    def matches(self, ref: str, filter_key: str) -> bool:
        req = self.standard.requirement(ref)
        if req is None:
            return False
        result = self.result(ref)
        if filter_key == "all":
            return True
        if filter_key == "unassessed":
            return result.grade is not Grade.NOT_APPLICABLE and not is_assessed(self.standard, result)
        if filter_key == "findings":
            return result.grade.makes_finding or bool(self.findings_for(ref))
        if filter_key == "nc":
            return result.grade.is_nc
        if filter_key in ("must", "should"):
            return req.force.value == filter_key
        if filter_key in ("P", "D", "C", "A"):
            return req.pdca is not None and req.pdca.value == filter_key
        return True

    def _order(self) -> tuple[list[str], dict[str, int]]:
        if self._ordered is None:
            refs = [r.ref for r in self.requirements()]
            self._ordered = (refs, {ref: i for i, ref in enumerate(refs)})
        return self._ordered

    def neighbour(self, ref: str, step: int, filter_key: str = "all") -> str | None:
        """The next (step 1) or previous (-1) requirement that passes the filter; walks only as far as needed."""
        refs, index = self._order()
        i = index.get(ref)
        if i is None:
            return next((r for r in refs if self.matches(r, filter_key)), None)
        i += step
        while 0 <= i < len(refs):
            if filter_key == "all" or self.matches(refs[i], filter_key):
                return refs[i]
            i += step
        return None

    def find_ref(self, text: str) -> str | None:
        """What an auditor typed to jump: an exact ref, else the first ref starting with it."""
        text = text.strip()
        if not text:
            return None
        refs = [r.ref for r in self.requirements()]
        if text in refs:
            return text
        return next((r for r in refs if r.startswith(text)), None)

    # -- changes -------------------------------------------------------------------------------------------

    def _changed(self) -> None:
        self._score = None
        from qms_audit.infra import clock

        self.last_saved_at = clock.now()

    def _writable(self) -> None:
        reason = self.read_only_reason()
        if reason:
            raise Refused(reason)

    def rate(self, ref: str, grade: Grade, *, level: int | None = None, note: str | None = None,
             na_reason: str | None = None, statement: str | None = None) -> RequirementResult:
        self._writable()
        seen = self.result(ref)
        result = auditing.rate(self.opened, ref, grade, actor=self.actor, note=note, na_reason=na_reason,
                               level=level, statement=statement,
                               expect={"grade": seen.grade, "level": seen.level})
        self._changed()
        return result

    def save_note(self, ref: str, text: str, base: str) -> RequirementResult:
        self._writable()
        result = auditing.set_note(self.opened, ref, text, actor=self.actor, expect=base)
        self.drafts.clear(ref)
        self._changed()
        return result

    def add_evidence(self, ref: str, *, phase: Phase, kind: EvidenceKind, text: str, reference: str | None,
                     file: Path | None, sample_size: int | None, population: int | None,
                     sample_note: str | None = None, findings: Sequence[str] = ()) -> Evidence:
        self._writable()
        ev = auditing.add_evidence(self.opened, ref, phase=phase, kind=kind, text=text, actor=self.actor,
                                   reference=reference, file=file, sample_size=sample_size, population=population,
                                   sample_note=sample_note, findings=findings)
        self._changed()
        return ev

    def update_evidence(self, ref: str, evidence_id: str, *, reason: str, text: str | None = None,
                        reference: str | None = None, phase: Phase | None = None, kind: EvidenceKind | None = None,
                        sample_size: int | None = None, population: int | None = None,
                        sample_note: str | None = None, clear_sample: bool = False) -> Evidence:
        """Change an entry as the screen showed it: if someone else changed it since, Conflict (nothing written)."""
        self._writable()
        ev = auditing.update_evidence(self.opened, ref, evidence_id, actor=self.actor, reason=reason, text=text,
                                      reference=reference, phase=phase, kind=kind, sample_size=sample_size,
                                      population=population, sample_note=sample_note, clear_sample=clear_sample,
                                      expect=self.evidence_entry(ref, evidence_id))
        self._changed()
        return ev

    def remove_evidence(self, ref: str, evidence_id: str, reason: str) -> None:
        self._writable()
        auditing.remove_evidence(self.opened, ref, evidence_id, actor=self.actor, reason=reason,
                                 expect=self.evidence_entry(ref, evidence_id))
        self._changed()

    def link_evidence(self, finding_id: str, evidence_ids: Sequence[str]) -> Finding:
        self._writable()
        finding = auditing.link_evidence(self.opened, finding_id, evidence_ids, actor=self.actor)
        self._changed()
        return finding

    def unlink_evidence(self, finding_id: str, evidence_ids: Sequence[str]) -> Finding:
        self._writable()
        finding = auditing.unlink_evidence(self.opened, finding_id, evidence_ids, actor=self.actor)
        self._changed()
        return finding

    def raise_finding(self, ref: str, grade: Grade, statement: str, evidence_text: str = "") -> Finding:
        self._writable()
        finding = auditing.raise_finding(self.opened, ref, grade, statement, actor=self.actor,
                                         evidence_text=evidence_text)
        self._changed()
        return finding

    def update_finding(self, finding_id: str, *, statement: str | None = None,
                       evidence_text: str | None = None) -> Finding:
        self._writable()
        finding = auditing.update_finding(self.opened, finding_id, actor=self.actor, statement=statement,
                                          evidence_text=evidence_text)
        self._changed()
        return finding

    def respond(self, finding_id: str, *, position: str, text: str, by: str) -> Finding:
        self._writable()
        finding = auditing.respond(self.opened, finding_id, position=position, text=text, by=by, actor=self.actor)
        self._changed()
        return finding

    # -- drafts ----------------------------------------------------------------------------------------------

    def keep_draft(self, ref: str, text: str, base: str) -> None:
        self.drafts.save(ref, text, base)

    def pending_drafts(self) -> list[Draft]:
        return [d for d in self.drafts.pending() if self.standard.has_ref(d.ref)]
