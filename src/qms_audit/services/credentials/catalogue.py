"""The micro-credential catalogue against the EU Council Recommendation 2022/C 243/02, Annex I.

Each row of the catalogue (a .csv or an .xlsx) is one micro-credential. Columns are matched by name (several
usual names each). A row is EU-aligned when it carries every mandatory element, its workload converts to
ECTS (from ECTS, hours or national credits, the unit written in the cell or in the column header), its level
is within 1-8 (EQF) or not applicable, its date is a real date not in the future, and its form of
participation is one of Annex I's. Every element of every row is reported found (with its cell), missing or
not applicable, as for a credential file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qms_audit.infra.errors import BadInput, InvalidFile
from qms_audit.infra.files import MIB, decode_text, display_path, read_bytes_bounded
from qms_audit.services.credentials import values as v
from qms_audit.services.credentials.elements import (
    BY_KEY,
    ELEMENTS,
    MANDATORY_KEYS,
    CredentialResult,
    ElementResult,
    found,
    missing,
    not_applicable,
)

MAX_CATALOGUE_BYTES = 10 * MIB
MAX_ROWS = 20000
FORMAT = "catalogue row"

# element -> column names people use for it (compared lower-case, blanks and underscores as single spaces)
COLUMNS: dict[str, list[str]] = {
    "learner_identification": ["learner identification", "learner id", "identification of the learner"],
    "title": ["title", "micro-credential", "micro-credential title", "name"],
    "country": ["country", "country/region", "region", "issuer country", "country or region"],
    "awarding_body": ["awarding body", "issuer", "provider", "awarding institution"],
    "date_of_issue": ["date of issue", "issue date", "issued", "first issued", "date"],
    "learning_outcomes": ["learning outcomes", "outcomes"],
    "workload": ["workload", "notional workload", "volume", "study load", "ects", "ects credits", "ec", "hours",
                 "notional hours", "notional learning hours", "nlh", "slt", "student learning time", "credits",
                 "credit", "credit value", "sks", "national credits"],
    "level": ["level", "eqf level", "eqf", "qf level", "nqf level", "mqf level", "kkni level"],
    "assessment": ["type of assessment", "assessment", "assessment type"],
    "participation": ["form of participation", "participation", "mode", "delivery mode", "mode of delivery"],
    "quality_assurance": ["type of quality assurance", "quality assurance", "qa"],
    "prerequisites": ["prerequisites", "entry requirements"],
    "supervision": ["supervision", "identity verification", "supervision and identity verification"],
    "grade": ["grade", "grading"],
    "stackability": ["stackability", "integration", "stackable", "integration/stackability"],
    "further_information": ["further information", "more information", "url"],
}
# when a row has several workload columns filled, the one closest to ECTS is read
_UNIT_PREFERENCE = {v.ECTS: 0, v.HOURS: 1, "SKS": 2, "credits": 2, None: 3}


@dataclass
class CatalogueResult:
    file: str
    rows: list[CredentialResult]
    missing_columns: list[str]
    columns: dict[str, str]

    @property
    def aligned(self) -> int:
        return sum(1 for r in self.rows if r.aligned)

    def to_json(self) -> dict[str, Any]:
        missing_counts: dict[str, int] = {}
        for r in self.rows:
            for element in r.missing:
                missing_counts[element] = missing_counts.get(element, 0) + 1
        return {"file": self.file, "total": len(self.rows), "aligned": self.aligned,
                "missing_columns": self.missing_columns, "columns": self.columns,
                "missing_by_element": missing_counts, "rows": [r.row_json() for r in self.rows]}


def _norm(name: object) -> str:
    return re.sub(r"\s+", " ", str(name or "").strip().lower().replace("_", " ")).strip(" :")


def _base(name: str) -> str:
    """A header without what its parentheses say: 'workload (ects)' -> 'workload'."""
    return re.sub(r"\s*\([^)]*\)", "", name).strip()


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def read_table(path: Path) -> tuple[list[str], list[list[str]], str]:
    shown = display_path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text = decode_text(read_bytes_bounded(path, max_bytes=MAX_CATALOGUE_BYTES, what="catalogue", shown=shown),
                           shown=shown)
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        rows = list(csv.reader(io.StringIO(text), dialect))
    elif suffix == ".xlsx":
        from qms_audit.infra.workbook import workbook_rows

        rows = []
        for n, values in enumerate(workbook_rows(path, what="catalogue", sheet="Catalogue",
                                                 max_bytes=MAX_CATALOGUE_BYTES, max_rows=MAX_ROWS + 1)):
            if n > MAX_ROWS + 1:
                raise InvalidFile(f"{shown}: more than {MAX_ROWS} rows; check the catalogue in parts")
            rows.append(values)
    else:
        raise BadInput(f"{shown}: give the catalogue as .csv or .xlsx")
    rows = [r for r in rows if any(str(c).strip() for c in r)]
    if not rows:
        raise InvalidFile(f"{shown}: the catalogue is empty")
    if len(rows) > MAX_ROWS + 1:
        raise InvalidFile(f"{shown}: more than {MAX_ROWS} rows; check the catalogue in parts")
    header = [str(h).strip() for h in rows[0]]
    return header, [[str(c).strip() for c in r] for r in rows[1:]], shown


def _columns(header: list[str]) -> tuple[dict[str, int], list[int]]:
    """The column of each element found, and every workload column (best unit first)."""
    names = [_norm(h) for h in header]
    index: dict[str, int] = {}
    for key, aliases in COLUMNS.items():
        if key == "workload":
            continue
        for alias in aliases:
            hit = next((i for i, n in enumerate(names) if n == alias), None)
            hit = hit if hit is not None else next((i for i, n in enumerate(names) if _base(n) == alias), None)
            if hit is not None:
                index[key] = hit
                break
    workload = [i for i, n in enumerate(names) if n in COLUMNS["workload"] or _base(n) in COLUMNS["workload"]]
    workload.sort(key=lambda i: _UNIT_PREFERENCE.get(v.unit_of_header(header[i]), 3))
    if workload:
        index["workload"] = workload[0]
    return index, workload


def check_catalogue(path: Path, *, today: dt.date, rule: v.CreditRule | None = None) -> CatalogueResult:
    header, rows, shown = read_table(path)
    rule = rule or v.CreditRule()
    index, workload_columns = _columns(header)
    columns = {e.name: header[index[e.key]] for e in ELEMENTS if e.mandatory and e.key in index}
    missing_columns = [BY_KEY[key].name for key in MANDATORY_KEYS if key not in index]
    results = [_row(n, row, header, index, workload_columns, rule=rule, today=today, shown=shown)
               for n, row in enumerate(rows, start=2)]
    return CatalogueResult(shown, results, missing_columns, columns)


def _cell(row: list[str], i: int) -> str:
    return row[i].strip() if i < len(row) else ""


def _row(n: int, row: list[str], header: list[str], index: dict[str, int], workload_columns: list[int], *,
         rule: v.CreditRule, today: dt.date, shown: str) -> CredentialResult:
    def place(i: int) -> str:
        return f"column {column_letter(i)} '{header[i]}', row {n}"

    problems: list[str] = []
    results: list[ElementResult] = []
    ects = None
    for element in ELEMENTS:
        key = element.key
        i = index.get(key)
        if key == "workload":
            i = next((c for c in workload_columns if _cell(row, c)), i)
        value = _cell(row, i) if i is not None else ""
        if i is None:
            results.append(missing(key, "the catalogue has no column for it"))
        elif not value and key == "workload" and len(workload_columns) > 1:
            named = ", ".join(f"{column_letter(c)} '{header[c]}'" for c in sorted(workload_columns))
            results.append(missing(key, f"the workload columns ({named}) are empty in row {n}"))
        elif not value:
            results.append(missing(key, f"{place(i)} is empty"))
        elif v.says_not_applicable(value):
            if key == "level" or not element.mandatory:
                results.append(not_applicable(key, f"'{value}' in {place(i)}", place(i)))
            else:
                results.append(missing(key, f"'{value}' in {place(i)}, but Annex I asks for it on every "
                                            "micro-credential"))
        else:
            result = _read_value(key, value, place(i), header[i], rule, today, problems)
            if key == "workload" and result.status != "missing":
                ects = v.read_workload(value, rule, header=header[i]).ects
            results.append(result)
    row_result = CredentialResult(file=shown, format=FORMAT, title=_cell(row, index["title"]) if "title" in index
                                  else "", elements=results, problems=problems, row=n, ects=ects)
    if row_result.missing:
        problems.insert(0, "missing: " + ", ".join(row_result.missing))
    return row_result


def _read_value(key: str, value: str, where: str, header: str, rule: v.CreditRule, today: dt.date,
                problems: list[str]) -> ElementResult:
    """An element's cell as found, with what the value means; what is wrong with it goes to `problems`."""
    if key == "workload":
        workload = v.read_workload(value, rule, header=header)
        if workload.problem:
            problems.append(workload.problem)
        return found(key, where, workload.shown)
    if key == "level":
        level = v.read_level(value)
        if level.problem:
            problems.append(level.problem)
        if level.eqf is None:
            return found(key, where, value)
        plain = value.strip().lower() in (str(level.eqf), f"eqf {level.eqf}", f"eqf level {level.eqf}")
        return found(key, where, f"EQF {level.eqf}" + ("" if plain else f" (from '{value}')"))
    if key == "date_of_issue":
        day = v.read_date(value)
        problem = v.date_problem(day, value, today)
        if problem:
            problems.append(problem)
        return found(key, where, v.shown_date(day, value) if day.day else value)
    if key == "participation":
        reading = v.read_participation(value)
        problem = v.participation_problem(value, reading)
        if problem:
            problems.append(problem)
        return found(key, where, value, vocabulary=reading.shown, guess=reading.guess)
    readers = {"assessment": v.read_assessment, "supervision": v.read_supervision, "stackability": v.read_stacking}
    if key in readers:
        reading = readers[key](value)
        return found(key, where, value, vocabulary=reading.shown, guess=reading.guess)
    return found(key, where, value)
