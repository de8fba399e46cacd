"""The offline checklist: a fill-in workbook for auditors without the TUI, and its import.

The export carries, on a hidden sheet, the values each requirement had when it was exported. On import a
cell counts as changed when it differs from that value; if the audit itself changed meanwhile too, the row
is refused as a conflict rather than overwriting someone's work. Nothing is recorded unless every row of the
workbook is valid; each change is then saved through the record layer and logged like any other edit.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from qms_audit.domain.presentation import result_label
from qms_audit.infra.errors import InvalidFile, Problem, Refused, choice_hint
from qms_audit.model.audit import EvidenceKind, Grade, parse_grade
from qms_audit.model.common import Phase
from qms_audit.render.textsafe import clean, looks_like_formula
from qms_audit.services import auditing
from qms_audit.services.auditing import OpenedAudit

SHEET = "Checklist"
META = "_export"
COLUMNS = ["Ref", "Clause", "Requirement", "Question", "Force", "PDCA", "Evidence so far", "Rating", "N/A reason",
           "Note", "Finding statement", "New evidence: phase", "New evidence: kind", "New evidence: what it is",
           "New evidence: reference", "Sample size", "Population", "File in the audit folder"]
LOCKED = 7  # the first seven columns are the standard and the record: read-only
WIDTHS = [9, 22, 28, 46, 7, 6, 40, 18, 24, 36, 30, 11, 12, 36, 18, 8, 9, 22]
GRADE_CHOICES = ["conformity", "good practice", "OFI", "observation", "minor NC", "major NC", "not applicable",
                 "not assessed"]
PHASE_CHOICES = ["P", "D", "C", "A"]
KIND_CHOICES = [k.value for k in EvidenceKind]
MAX_ROWS = 20000


def rating_text(opened: OpenedAudit, ref: str) -> str:
    result = opened.snapshot.result(ref)
    if opened.standard.uses_levels and result.level is not None and result.grade is not Grade.NOT_APPLICABLE:
        return str(result.level)
    return {Grade.CONFORMITY: "conformity", Grade.GOOD_PRACTICE: "good practice", Grade.OFI: "OFI",
            Grade.OBSERVATION: "observation", Grade.MINOR_NC: "minor NC", Grade.MAJOR_NC: "major NC",
            Grade.NOT_APPLICABLE: "not applicable", Grade.NOT_ASSESSED: "not assessed"}[result.grade]


def export_checklist(opened: OpenedAudit) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    std = opened.standard
    wb = Workbook()
    intro = wb.active
    intro.title = "Instructions"
    ws = wb.create_sheet(SHEET)
    meta = wb.create_sheet(META)
    meta.sheet_state = "hidden"

    def text(value: object) -> object:
        if isinstance(value, str):
            return clean(value)
        return value

    def put(sheet, row: int, col: int, value: object, **style):
        cell = sheet.cell(row=row, column=col, value=text(value))
        if isinstance(cell.value, str) and looks_like_formula(cell.value):
            cell.data_type = "s"
        for key, v in style.items():
            setattr(cell, key, v)
        return cell

    grades = [str(lvl.value) for lvl in std.rating.levels] + ["not applicable", "not assessed"] \
        if std.uses_levels else GRADE_CHOICES
    lines = [
        f"Offline checklist for audit {opened.id}: {opened.record.title}",
        f"Standard: {std.title}, version {std.version}. Exported by qms-audit; records as of the export.",
        "",
        "How to fill it in",
        "- Work on the Checklist sheet. Grey columns (ref to evidence so far) are the standard and the record: "
        "they are locked.",
        "- Rating: choose from the drop-down: " + ", ".join(grades) + ".",
        "- Not applicable needs a written reason in 'N/A reason'. A 'should' requirement cannot be rated minor "
        "or major NC (use OFI).",
        "- A minor NC, major NC, observation or OFI needs a finding statement (or a note, which is used instead).",
        "- To add one evidence entry to a requirement, fill the 'New evidence' columns on its row: phase (P, D, C, "
        "A), kind, what it is; reference, sample size and population are optional. A file must already be in "
        "the audit's evidence folder (give its path, e.g. evidence/minutes.pdf).",
        "- Leave rows you did not assess as they are. Do not add, remove or reorder rows.",
        "",
        "Bringing it back",
        f"  qms-audit checklist import {opened.id} THIS-FILE.xlsx --dry-run    shows what would change",
        f"  qms-audit checklist import {opened.id} THIS-FILE.xlsx              records the changes (logged)",
        "If the audit was changed in the meantime on a row you also changed, that row is refused as a conflict.",
    ]
    for i, line in enumerate(lines, start=1):
        put(intro, i, 1, line, font=Font(bold=line in ("How to fill it in", "Bringing it back") or i == 1))
    intro.column_dimensions["A"].width = 130

    grey = PatternFill("solid", start_color="EDEDED", end_color="EDEDED")
    header_fill = PatternFill("solid", start_color="D9E2F3", end_color="D9E2F3")
    wrap = Alignment(wrap_text=True, vertical="top")
    for col, name in enumerate(COLUMNS, start=1):
        put(ws, 1, col, name, font=Font(bold=True), fill=header_fill, alignment=wrap)
        ws.column_dimensions[get_column_letter(col)].width = WIDTHS[col - 1]
    put(meta, 1, 1, "audit")
    put(meta, 1, 2, opened.id)
    put(meta, 2, 1, "standard")
    put(meta, 2, 2, std.key)
    put(meta, 3, 1, "ref")
    put(meta, 3, 2, "rating at export")
    put(meta, 3, 3, "note at export")
    unlocked = Protection(locked=False)
    row = 2
    for req in opened.scoped_requirements():
        result = opened.snapshot.result(req.ref)
        clause = std.clause_of(req.ref)
        evidence = "\n".join(f"{e.phase.value} {e.kind.value}: {e.text}" for e in result.evidence)
        values = [req.ref, f"{clause.number} {clause.title}", req.title, req.question, req.force.value,
                  req.pdca.value, evidence, rating_text(opened, req.ref), result.na_reason or "", result.note]
        for col, value in enumerate(values, start=1):
            cell = put(ws, row, col, value, alignment=wrap)
            if col <= LOCKED:
                cell.fill = grey
        for col in range(LOCKED + 1, len(COLUMNS) + 1):
            ws.cell(row=row, column=col).protection = unlocked
            ws.cell(row=row, column=col).alignment = wrap
        put(meta, row + 2, 1, req.ref)
        put(meta, row + 2, 2, rating_text(opened, req.ref))
        put(meta, row + 2, 3, result.note)
        row += 1
    last = row - 1
    lists = [("H", grades), ("L", PHASE_CHOICES), ("M", KIND_CHOICES)]
    for column, choices in lists:
        validation = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
                                    showErrorMessage=True, errorTitle="Not a valid value",
                                    error="Choose a value from the list.")
        validation.add(f"{column}2:{column}{max(last, 2)}")
        ws.add_data_validation(validation)
    for column in ("P", "Q"):
        validation = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="1", allow_blank=True,
                                    showErrorMessage=True, error="A whole number of at least 1.")
        validation.add(f"{column}2:{column}{max(last, 2)}")
        ws.add_data_validation(validation)
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(last, 1)}"
    ws.protection.sheet = True
    ws.protection.autoFilter = False
    ws.protection.sort = False
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    wb.active = 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


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
class ImportPlan:
    changes: list[PlannedChange]
    unchanged_rows: int
    skipped: list[str]


def _value(cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean(str(value)).strip()


def plan_import(opened: OpenedAudit, path: Path) -> ImportPlan:
    from openpyxl import load_workbook

    from qms_audit.infra.files import display_path
    from qms_audit.infra.office import check_office_file, one_line

    data = check_office_file(path, what="checklist workbook")
    shown = display_path(path)
    try:
        wb = load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:
        raise InvalidFile(f"{shown}: not a readable Excel workbook ({one_line(exc)}); save it again from Excel or "
                          "LibreOffice as .xlsx") from None
    problems: list[Problem] = []

    def problem(where: str, message: str, hint: str | None = None) -> None:
        problems.append(Problem(message, file=shown, where=where, hint=hint))

    if SHEET not in wb.sheetnames or META not in wb.sheetnames:
        raise InvalidFile(f"{shown}: no '{SHEET}' sheet with its export record; export a fresh workbook with "
                          f"`qms-audit checklist export {opened.id}`")
    ws, meta = wb[SHEET], wb[META]
    if _value(meta["B1"]) != opened.id:
        raise InvalidFile(f"{shown}: this workbook was exported for audit '{_value(meta['B1'])}', not '{opened.id}'")
    if _value(meta["B2"]) != opened.standard.key:
        raise InvalidFile(f"{shown}: exported against {_value(meta['B2'])}, but the audit uses {opened.standard.key}")
    for col, name in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=col)
        if _value(cell) != name:
            problem(f"{SHEET}!{cell.coordinate}", f"the header is '{_value(cell)}', expected '{name}'",
                    "do not rename, insert or remove columns; export a fresh workbook")
    if problems:
        raise InvalidFile(problems=problems)
    if ws.max_row > MAX_ROWS:
        raise InvalidFile(f"{shown}: {ws.max_row} rows; a checklist has at most {MAX_ROWS}")

    base: dict[str, tuple[str, str]] = {}
    for row in meta.iter_rows(min_row=4, values_only=True):
        if row and row[0]:
            base[str(row[0])] = (clean(str(row[1] or "")).strip(), clean(str(row[2] or "")))

    std = opened.standard
    refs = [r.ref for r in opened.scoped_requirements()]
    seen: dict[str, str] = {}
    changes: list[PlannedChange] = []
    unchanged = 0
    skipped: list[str] = []
    for row in ws.iter_rows(min_row=2):
        cells = {COLUMNS[i]: row[i] for i in range(min(len(row), len(COLUMNS)))}
        if not any(_value(c) for c in cells.values()):
            continue
        ref_cell = cells["Ref"]
        ref = _value(ref_cell)
        where = f"{SHEET}!{ref_cell.coordinate}"
        if ref not in refs:
            problem(where, f"unknown requirement '{ref}'", choice_hint(ref, refs))
            continue
        if ref in seen:
            problem(where, f"'{ref}' appears twice (also {seen[ref]})", "keep one row per requirement")
            continue
        seen[ref] = where
        req = std.requirement(ref)
        result = opened.snapshot.result(ref)
        base_rating, base_note = base.get(ref, (rating_text(opened, ref), result.note))
        now_rating = rating_text(opened, ref)
        row_changes: list[PlannedChange] = []

        rating_cell = cells["Rating"]
        wanted = _value(rating_cell) or "not assessed"
        rating_at = f"{SHEET}!{rating_cell.coordinate}"
        na_reason = _value(cells["N/A reason"]) or None
        note_cell = cells["Note"]
        note = "" if note_cell.value is None else clean(str(note_cell.value))
        statement = _value(cells["Finding statement"]) or None
        if wanted != now_rating and wanted != base_rating and now_rating != base_rating:
            problem(rating_at, f"{ref} was rated '{now_rating}' in the audit after this workbook was exported "
                               f"('{base_rating}'); your '{wanted}' was not applied", "export a fresh workbook")
        elif wanted != now_rating and wanted != base_rating:
            grade, level, error = _parse_rating(wanted, std)
            if error:
                problem(rating_at, error, choice_hint(wanted.lower(), [g.lower() for g in GRADE_CHOICES])
                        if not std.uses_levels else None)
            elif grade is not None and grade.is_nc and not req.can_raise_nc:
                problem(rating_at, f"{ref} is a 'should' requirement: it cannot be a nonconformity", "rate it OFI")
            elif grade is Grade.NOT_APPLICABLE and not (na_reason or result.na_reason):
                problem(f"{SHEET}!{cells['N/A reason'].coordinate}", f"{ref} rated not applicable needs a reason")
            elif grade is not None and grade.makes_finding and not (statement or note.strip()) and not \
                    any(f.grade is grade for f in opened.snapshot.findings_for(ref)):
                problem(f"{SHEET}!{cells['Finding statement'].coordinate}",
                        f"{ref} rated {wanted} needs a finding statement (or a note)")
            else:
                row_changes.append(PlannedChange(
                    ref=ref, cell=rating_at, kind="rate", grade=grade, level=level, na_reason=na_reason,
                    statement=statement or (note.strip() or None),
                    note=note if note != base_note and note != result.note else None,
                    description=f"{ref}: rating {now_rating} -> {wanted}"
                    + (" (with its note)" if note != base_note and note != result.note else "")))
        if note != base_note and note != result.note and not any(c.kind == "rate" and c.note is not None
                                                                 for c in row_changes):
            if result.note != base_note:
                problem(f"{SHEET}!{note_cell.coordinate}", f"the note on {ref} was changed in the audit after this "
                                                           "workbook was exported; yours was not applied",
                        "export a fresh workbook")
            else:
                row_changes.append(PlannedChange(ref=ref, cell=f"{SHEET}!{note_cell.coordinate}", kind="note",
                                                 note=note, description=f"{ref}: note changed"))
        evidence = _planned_evidence(opened, ref, cells, problem, skipped)
        if evidence is not None:
            row_changes.append(evidence)
        if row_changes:
            changes.extend(row_changes)
        else:
            unchanged += 1
    if problems:
        raise InvalidFile(problems=problems)
    return ImportPlan(changes, unchanged, skipped)


def _parse_rating(text: str, std) -> tuple[Grade | None, int | None, str | None]:
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


def _planned_evidence(opened: OpenedAudit, ref: str, cells, problem, skipped: list[str]) -> PlannedChange | None:
    what = _value(cells["New evidence: what it is"])
    phase_text = _value(cells["New evidence: phase"])
    kind_text = _value(cells["New evidence: kind"])
    extra = [_value(cells[c]) for c in ("New evidence: reference", "Sample size", "Population",
                                         "File in the audit folder")]
    if not what:
        if phase_text or kind_text or any(extra):
            problem(f"{SHEET}!{cells['New evidence: what it is'].coordinate}",
                    f"new evidence for {ref} needs a description of what it is")
        return None
    try:
        phase = Phase.parse(phase_text)
    except ValueError:
        problem(f"{SHEET}!{cells['New evidence: phase'].coordinate}", f"'{phase_text}' is not a PDCA phase",
                "P, D, C or A")
        return None
    try:
        kind = EvidenceKind(kind_text.lower())
    except ValueError:
        problem(f"{SHEET}!{cells['New evidence: kind'].coordinate}", f"'{kind_text}' is not an evidence kind",
                choice_hint(kind_text.lower(), KIND_CHOICES))
        return None
    reference, size_text, population_text, file_text = extra
    numbers = []
    for name, value in (("Sample size", size_text), ("Population", population_text)):
        if value and not value.isdigit():
            problem(f"{SHEET}!{cells[name].coordinate}", f"'{value}' is not a whole number")
            return None
        numbers.append(int(value) if value else None)
    size, population = numbers
    if population is not None and size is None:
        problem(f"{SHEET}!{cells['Sample size'].coordinate}", "a population needs its sample size")
        return None
    if size is not None and population is not None and population < size:
        problem(f"{SHEET}!{cells['Population'].coordinate}", f"the sample ({size}) is larger than its population")
        return None
    file_path = None
    if file_text:
        try:
            file_path = auditing.resolve_evidence_path(opened, file_text)
        except Refused as exc:
            problem(f"{SHEET}!{cells['File in the audit folder'].coordinate}", exc.message)
            return None
        if not file_path.is_file():
            problem(f"{SHEET}!{cells['File in the audit folder'].coordinate}",
                    f"no file '{file_text}' in the audit folder", "copy it into the audit's evidence folder first")
            return None
    for ev in opened.snapshot.result(ref).evidence:
        if (ev.phase, ev.kind, ev.text, ev.reference or "") == (phase, kind, what, reference):
            skipped.append(f"{ref}: evidence '{what[:40]}' is already recorded")
            return None
    return PlannedChange(ref=ref, cell=f"{SHEET}!{cells['New evidence: what it is'].coordinate}", kind="evidence",
                         description=f"{ref}: + evidence ({phase.value} {kind.value}) {what[:60]}",
                         evidence={"phase": phase, "kind": kind, "text": what, "reference": reference or None,
                                   "sample_size": size, "population": population, "file": file_path})


def apply_import(opened: OpenedAudit, plan: ImportPlan, *, actor: str) -> None:
    for change in plan.changes:
        if change.kind == "rate":
            assert change.grade is not None
            auditing.rate(opened, change.ref, change.grade, actor=actor, level=change.level, note=change.note,
                          na_reason=change.na_reason, statement=change.statement)
        elif change.kind == "note":
            auditing.set_note(opened, change.ref, change.note or "", actor=actor)
        else:
            auditing.add_evidence(opened, change.ref, actor=actor, source="import", **change.evidence)


def describe_rating(opened: OpenedAudit, ref: str) -> str:
    return result_label(opened.standard, opened.snapshot.result(ref))
