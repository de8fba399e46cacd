"""Bringing the offline checklist back: every row of a filled-in workbook is checked against the audit, then
each change is recorded through `services.auditing` and logged like any other edit.

`qms_audit.render.checklist_xlsx` writes the workbook and reads it back into the plain rows defined here; the
rules live here. The export carries, on a hidden sheet, the values each requirement had when it was exported.
On import a cell counts as changed when it differs from that value; if the audit itself changed meanwhile too,
the row is refused as a conflict rather than overwriting someone's work.

The row is the unit of an import: a row with any problem (a bad value, a conflict, a formula) is refused whole,
every problem of it named by its cell, and the valid rows are recorded. A workbook that is not this audit's
checklist as exported (another audit, renamed columns) is refused whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from qms_audit.domain.audit_rules import closed_refusal, statement_needed
from qms_audit.infra.errors import InvalidFile, Problem, Refused, choice_hint
from qms_audit.infra.locations import Workspace
from qms_audit.model.audit import EvidenceKind, Grade, RequirementResult, parse_grade
from qms_audit.model.common import Phase
from qms_audit.model.standard import Standard
from qms_audit.services import auditing
from qms_audit.services.auditing import OpenedAudit

# The columns of the checklist sheet, in order: the workbook is written and read by these names.
COLUMNS = ["Ref", "Clause", "Requirement", "Question", "Force", "PDCA", "Evidence so far", "Rating", "N/A reason",
           "Note", "Finding statement", "New evidence: phase", "New evidence: kind", "New evidence: what it is",
           "New evidence: reference", "Sample size", "Population", "File in the audit folder"]
GRADE_CHOICES = ["conformity", "good practice", "OFI", "observation", "minor NC", "major NC", "not applicable",
                 "not assessed"]
PHASE_CHOICES = ["P", "D", "C", "A"]
KIND_CHOICES = [k.value for k in EvidenceKind]
NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")  # as a cell holding a number reads back (12, 12.5)
GRADE_TEXT = {Grade.CONFORMITY: "conformity", Grade.GOOD_PRACTICE: "good practice", Grade.OFI: "OFI",
              Grade.OBSERVATION: "observation", Grade.MINOR_NC: "minor NC", Grade.MAJOR_NC: "major NC",
              Grade.NOT_APPLICABLE: "not applicable", Grade.NOT_ASSESSED: "not assessed"}


@dataclass(frozen=True)
class SheetCell:
    text: str  # the value as text, trimmed ('' when blank)
    typed: str  # the same, untrimmed: a note keeps its own spacing
    where: str  # 'Checklist!H5 (Rating)', to point at it in a problem
    formula: str | None = None  # the formula the cell holds: never read as a value (see `_Planner.formulas`)


@dataclass
class ChecklistRows:
    """A filled-in checklist as read from its workbook, before any rule is applied."""

    file: str  # the workbook, as problems name it
    audit_id: str  # the audit it was exported for
    standard_key: str  # the standard it was exported against
    headers: list[SheetCell]  # one per column of COLUMNS, in order
    rows: list[dict[str, SheetCell]]  # the rows that are not blank, by column name
    exported: dict[str, tuple[str, str]]  # ref -> (rating, note) at the export


@dataclass
class PlannedChange:
    ref: str
    cell: str
    description: str
    kind: str  # rate, note, evidence
    grade: Grade | None = None
    level: int | None = None
    note: str | None = None
    na_reason: str | None = None
    statement: str | None = None
    evidence: dict = field(default_factory=dict)


@dataclass
class RefusedRow:
    """A row of the workbook that is not imported, and every reason, each naming its cell."""

    ref: str
    row: str  # the row's first cell, 'Checklist!A12 (Ref)'
    problems: list[Problem]


@dataclass
class ImportPlan:
    changes: list[PlannedChange]  # of the valid rows only
    unchanged_rows: int
    skipped: list[str]
    refused: list[RefusedRow] = field(default_factory=list)

    @property
    def problems(self) -> list[Problem]:
        return [p for row in self.refused for p in row.problems]


def rating_text(opened: OpenedAudit, ref: str) -> str:
    """A requirement's rating as the workbook's drop-down spells it (a level number on a levels standard)."""
    result = opened.snapshot.result(ref)
    if opened.standard.uses_levels and result.level is not None and result.grade is not Grade.NOT_APPLICABLE:
        return str(result.level)
    return GRADE_TEXT[result.grade]


def open_for_import(workspace: Workspace, audit_id: str, *, actor: str) -> OpenedAudit:
    """The audit a checklist is imported into; a closed one is refused before its workbook is even read."""
    opened = auditing.open_audit(workspace, audit_id, actor=actor)
    refusal = closed_refusal(opened.record)
    if refusal:
        raise Refused(refusal)
    return opened


def plan_import(opened: OpenedAudit, sheet: ChecklistRows) -> ImportPlan:
    """Every change the valid rows ask for, and the rows refused with their reasons; InvalidFile when the
    workbook is not this audit's checklist as exported."""
    _check_workbook(opened, sheet)
    return _Planner(opened, sheet).plan()


def apply_import(opened: OpenedAudit, plan: ImportPlan, *, actor: str) -> None:
    """Record the changes of the valid rows, each through the record layer (atomic, logged like any edit)."""
    for change in plan.changes:
        if change.kind == "rate":
            assert change.grade is not None
            auditing.rate(opened, change.ref, change.grade, actor=actor, level=change.level, note=change.note,
                          na_reason=change.na_reason, statement=change.statement)
        elif change.kind == "note":
            auditing.set_note(opened, change.ref, change.note or "", actor=actor)
        else:
            auditing.add_evidence(opened, change.ref, actor=actor, source="import", **change.evidence)


def _check_workbook(opened: OpenedAudit, sheet: ChecklistRows) -> None:
    """The workbook was exported for this audit and standard, and its columns are as exported."""
    if sheet.audit_id != opened.id:
        raise InvalidFile(f"{sheet.file}: this workbook was exported for audit '{sheet.audit_id}', not '{opened.id}'")
    if sheet.standard_key != opened.standard.key:
        raise InvalidFile(f"{sheet.file}: exported against {sheet.standard_key}, but the audit uses "
                          f"{opened.standard.key}")
    problems = [Problem(f"the header is '{cell.text}', expected '{name}'", file=sheet.file, where=cell.where,
                        hint="do not rename, insert or remove columns; export a fresh workbook")
                for cell, name in zip(sheet.headers, COLUMNS, strict=True) if cell.text != name]
    if problems:
        raise InvalidFile(problems=problems)


def parse_rating(text: str, std: Standard) -> tuple[Grade | None, int | None, str | None]:
    """A rating as typed: (grade, level, None), or (None, None, why it is not one)."""
    if std.uses_levels and text.isdigit():
        level = int(text)
        if not any(lvl.value == level for lvl in std.rating.levels):
            return None, None, f"'{text}' is not a level of {std.id}"
        return Grade.NOT_ASSESSED, level, None
    try:
        grade = parse_grade(text)
    except ValueError:
        return None, None, f"'{text}' is not a rating"
    if std.uses_levels and grade not in (Grade.NOT_APPLICABLE, Grade.NOT_ASSESSED):
        return None, None, f"{std.id} is rated on levels: give a level number, not '{text}'"
    return grade, None, None


class _Planner:
    """One pass over the rows: the changes of each valid row, and every problem of each refused one."""

    def __init__(self, opened: OpenedAudit, sheet: ChecklistRows) -> None:
        self.opened = opened
        self.sheet = sheet
        self.problems: list[Problem] = []  # of the row being planned
        self.skipped: list[str] = []

    def problem(self, where: str, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(message, file=self.sheet.file, where=where, hint=hint))

    def plan(self) -> ImportPlan:
        refs = [r.ref for r in self.opened.scoped_requirements()]
        rows_of: dict[str, list[str]] = {}
        for cells in self.sheet.rows:
            rows_of.setdefault(cells["Ref"].text, []).append(cells["Ref"].where)
        changes: list[PlannedChange] = []
        refused: list[RefusedRow] = []
        unchanged = 0
        for cells in self.sheet.rows:
            self.problems = []
            row_changes = self.checked_row(cells, refs, rows_of)
            if self.problems:
                refused.append(RefusedRow(cells["Ref"].text, cells["Ref"].where, self.problems))
                continue
            changes.extend(row_changes)
            unchanged += not row_changes
        return ImportPlan(changes, unchanged, self.skipped, refused)

    def checked_row(self, cells: dict[str, SheetCell], refs: list[str], rows_of: dict[str, list[str]]
                    ) -> list[PlannedChange]:
        """The changes of one row; its problems, if any, are in `self.problems`."""
        if self.formulas(cells):
            return []
        ref_cell = cells["Ref"]
        ref = ref_cell.text
        if ref not in refs:
            self.problem(ref_cell.where, f"unknown requirement '{ref}'", choice_hint(ref, refs))
            return []
        twins = [where for where in rows_of[ref] if where != ref_cell.where]
        if twins:
            # which of the rows holds the auditor's last word cannot be told: none of them is imported
            self.problem(ref_cell.where, f"'{ref}' appears on more than one row (also {', '.join(twins)})",
                         "keep one row per requirement")
            return []
        return self.row(ref, cells)

    def formulas(self, cells: dict[str, SheetCell]) -> bool:
        """A formula's result is not in the file when a script wrote the workbook, and is not something an
        auditor typed: a cell holding one is refused by name, and its row is not imported (so an empty result
        never wipes a note)."""
        found = [c for c in cells.values() if c.formula is not None]
        for cell in found:
            self.problem(cell.where, f"holds a formula ({cell.formula}); the import reads typed values only",
                         "type the value itself (or copy the cells and paste them as values)")
        return bool(found)

    def row(self, ref: str, cells: dict[str, SheetCell]) -> list[PlannedChange]:
        result = self.opened.snapshot.result(ref)
        base_rating, base_note = self.sheet.exported.get(ref, (rating_text(self.opened, ref), result.note))
        note = cells["Note"].typed
        # a note typed in the workbook that the audit does not hold yet, and that was not there at the export
        note_changed = note != base_note and note != result.note
        changes: list[PlannedChange] = []
        rating = self.rating(ref, cells, result, base_rating, note, note_changed)
        if rating is not None:
            changes.append(rating)
        if note_changed and rating is None:
            if result.note != base_note:
                self.problem(cells["Note"].where, f"the note on {ref} was changed in the audit after this workbook "
                             "was exported; yours was not applied", "export a fresh workbook")
            else:
                changes.append(PlannedChange(ref=ref, cell=cells["Note"].where, kind="note", note=note,
                                             description=f"{ref}: note changed"))
        evidence = self.evidence(ref, cells)
        if evidence is not None:
            changes.append(evidence)
        return changes

    def rating(self, ref: str, cells: dict[str, SheetCell], result: RequirementResult, base_rating: str,
               note: str, note_changed: bool) -> PlannedChange | None:
        """The rating change of a row, or None when the rating is as exported, as recorded, or refused."""
        std = self.opened.standard
        wanted = cells["Rating"].text or "not assessed"
        where = cells["Rating"].where
        now_rating = rating_text(self.opened, ref)
        if wanted in (now_rating, base_rating):
            return None
        if now_rating != base_rating:
            self.problem(where, f"{ref} was rated '{now_rating}' in the audit after this workbook was exported "
                                f"('{base_rating}'); your '{wanted}' was not applied", "export a fresh workbook")
            return None
        grade, level, error = parse_rating(wanted, std)
        na_reason = cells["N/A reason"].text or None
        statement = cells["Finding statement"].text or None
        req = std.requirement(ref)
        if error or grade is None:
            self.problem(where, error or f"'{wanted}' is not a rating",
                         None if std.uses_levels else choice_hint(wanted.lower(), [g.lower() for g in GRADE_CHOICES]))
        elif grade.is_nc and req is not None and not req.can_raise_nc:
            self.problem(where, f"{ref} is a 'should' requirement: it cannot be a nonconformity ('{wanted}')",
                         "rate it OFI")
        elif grade is Grade.NOT_APPLICABLE and not (na_reason or result.na_reason):
            self.problem(cells["N/A reason"].where, f"{ref} rated not applicable needs a reason")
        elif not (statement or note.strip()) and statement_needed(grade, self.opened.snapshot.findings_for(ref)):
            self.problem(cells["Finding statement"].where,
                         f"{ref} rated {wanted} needs a finding statement (or a note)")
        else:
            return PlannedChange(ref=ref, cell=where, kind="rate", grade=grade, level=level, na_reason=na_reason,
                                 statement=statement or (note.strip() or None), note=note if note_changed else None,
                                 description=f"{ref}: rating {now_rating} -> {wanted}"
                                 + (" (with its note)" if note_changed else ""))
        return None

    def evidence(self, ref: str, cells: dict[str, SheetCell]) -> PlannedChange | None:
        """The evidence entry a row adds, or None when it adds none, repeats one recorded, or is refused. Every
        cell of the entry is checked, so that each wrong one is named with its own reason."""
        what_cell = cells["New evidence: what it is"]
        what = what_cell.text
        phase_cell, kind_cell = cells["New evidence: phase"], cells["New evidence: kind"]
        reference, size_text, population_text, file_text = (
            cells[c].text for c in ("New evidence: reference", "Sample size", "Population", "File in the audit folder"))
        if not (what or phase_cell.text or kind_cell.text or reference or size_text or population_text
                or file_text):
            return None
        before = len(self.problems)
        if not what:
            self.problem(what_cell.where, f"new evidence for {ref} needs a description of what it is")
        phase = self.phase(ref, phase_cell)
        kind = self.kind(ref, kind_cell)
        sample = self.sample(cells, size_text, population_text)
        file_path = self.evidence_file(cells["File in the audit folder"]) if file_text else None
        if len(self.problems) > before or phase is None or kind is None or sample is None:
            return None
        for ev in self.opened.snapshot.result(ref).evidence:
            if (ev.phase, ev.kind, ev.text, ev.reference or "") == (phase, kind, what, reference):
                self.skipped.append(f"{ref}: evidence '{what[:40]}' is already recorded")
                return None
        size, population = sample
        return PlannedChange(ref=ref, cell=what_cell.where, kind="evidence",
                             description=f"{ref}: + evidence ({phase.value} {kind.value}) {what[:60]}",
                             evidence={"phase": phase, "kind": kind, "text": what, "reference": reference or None,
                                       "sample_size": size, "population": population, "file": file_path})

    def phase(self, ref: str, cell: SheetCell) -> Phase | None:
        if not cell.text:
            self.problem(cell.where, f"new evidence for {ref} needs its PDCA phase", "P, D, C or A")
            return None
        try:
            return Phase.parse(cell.text)
        except ValueError:
            self.problem(cell.where, f"'{cell.text}' is not a PDCA phase", "P, D, C or A")
            return None

    def kind(self, ref: str, cell: SheetCell) -> EvidenceKind | None:
        if not cell.text:
            self.problem(cell.where, f"new evidence for {ref} needs its kind", choice_hint("", KIND_CHOICES))
            return None
        try:
            return EvidenceKind(cell.text.lower())
        except ValueError:
            self.problem(cell.where, f"'{cell.text}' is not an evidence kind",
                         choice_hint(cell.text.lower(), KIND_CHOICES))
            return None

    def sample(self, cells: dict[str, SheetCell], size_text: str, population_text: str
               ) -> tuple[int | None, int | None] | None:
        """(sample size, population), either possibly None; None itself when they are refused."""
        size = self.count(cells["Sample size"], "sample size")
        population = self.count(cells["Population"], "population")
        if (size_text and size is None) or (population_text and population is None):
            return None
        if population is not None and size is None:
            self.problem(cells["Sample size"].where, f"a population ({population}) needs its sample size")
            return None
        if size is not None and population is not None and population < size:
            self.problem(cells["Population"].where, f"the sample ({size}) is larger than its population "
                                                    f"({population})")
            return None
        return size, population

    def count(self, cell: SheetCell, name: str) -> int | None:
        """A count typed in a cell: a whole number of at least 1; None for a blank cell, and for anything else
        (with the problem named: not a number at all, or not a whole one)."""
        if not cell.text:
            return None
        if not NUMBER.fullmatch(cell.text):
            self.problem(cell.where, f"{name} '{cell.text}' is not a number", "a whole number of at least 1, e.g. 12")
            return None
        number = float(cell.text)
        if not number.is_integer() or number < 1:
            self.problem(cell.where, f"{name} '{cell.text}' is not a whole number of at least 1", "e.g. 12")
            return None
        return int(number)

    def evidence_file(self, cell: SheetCell) -> Path | None:
        """The file the cell names, inside the audit folder; None when it is refused."""
        try:
            path = auditing.resolve_evidence_path(self.opened, cell.text)
        except Refused as exc:
            self.problem(cell.where, exc.message)
            return None
        if not path.is_file():
            self.problem(cell.where, f"no file '{cell.text}' in the audit folder",
                         "copy it into the audit's evidence folder first")
            return None
        return path
