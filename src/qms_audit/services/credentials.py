"""The micro-credential catalogue against the EU Council Recommendation 2022/C 243/02, Annex I.

Each row of the catalogue (a .csv or an .xlsx) is one micro-credential. Columns are matched by name (several
usual names each). A row is EU-aligned when it carries every mandatory element, its workload converts to
ECTS (from ECTS, hours or national credits), its level is within 1-8 (EQF), and its date is a real date
not in the future.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from qms_audit.infra.errors import BadInput, InvalidFile
from qms_audit.infra.files import MIB, decode_text, display_path, read_bytes_bounded

MAX_CATALOGUE_BYTES = 10 * MIB
MAX_ROWS = 20000

# element -> (label, column names people use for it)
MANDATORY = {
    "learner_identification": ("Identification of the learner", ["learner identification", "learner id",
                                                                 "identification of the learner"]),
    "title": ("Title of the micro-credential", ["title", "micro-credential", "micro-credential title", "name"]),
    "country": ("Country or region of the issuer", ["country", "country/region", "region", "issuer country",
                                                    "country or region"]),
    "awarding_body": ("Awarding body", ["awarding body", "issuer", "provider", "awarding institution"]),
    "date_of_issue": ("Date of issue", ["date of issue", "issue date", "issued", "first issued", "date"]),
    "learning_outcomes": ("Learning outcomes", ["learning outcomes", "outcomes"]),
    "workload": ("Notional workload (ECTS where possible)", ["workload", "notional workload", "ects", "hours",
                                                             "credits", "volume"]),
    "level": ("Level (EQF / QF-EHEA), where applicable", ["level", "eqf level", "eqf", "qf level", "nqf level",
                                                           "mqf level"]),
    "assessment": ("Type of assessment", ["type of assessment", "assessment", "assessment type"]),
    "participation": ("Form of participation", ["form of participation", "participation", "mode",
                                                "delivery mode", "mode of delivery"]),
    "quality_assurance": ("Type of quality assurance", ["type of quality assurance", "quality assurance", "qa"]),
}
OPTIONAL = {
    "prerequisites": ["prerequisites", "entry requirements"],
    "supervision": ["supervision", "identity verification", "supervision and identity verification"],
    "grade": ["grade", "grading"],
    "stackability": ["stackability", "integration", "stackable", "integration/stackability"],
    "further_information": ["further information", "more information", "url"],
}
PARTICIPATION = {"online", "onsite", "on-site", "on site", "blended", "hybrid", "in person", "in-person",
                 "work-based", "face to face", "face-to-face"}


@dataclass
class CredentialRow:
    row: int
    title: str
    aligned: bool
    problems: list[str]
    ects: float | None
    missing: list[str] = field(default_factory=list)


@dataclass
class CatalogueResult:
    file: str
    rows: list[CredentialRow]
    missing_columns: list[str]
    columns: dict[str, str]

    @property
    def aligned(self) -> int:
        return sum(1 for r in self.rows if r.aligned)

    def to_json(self) -> dict:
        missing: dict[str, int] = {}
        for r in self.rows:
            for element in r.missing:
                missing[element] = missing.get(element, 0) + 1
        return {"file": self.file, "total": len(self.rows), "aligned": self.aligned,
                "missing_columns": self.missing_columns, "columns": self.columns,
                "missing_by_element": missing, "rows": [asdict(r) for r in self.rows]}


def _norm(name: object) -> str:
    return re.sub(r"\s+", " ", str(name or "").strip().lower().replace("_", " "))


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


def ects_of(text: str, *, credit_hours: float, ects_hours: float) -> float | None:
    """ECTS from '2 ECTS', '50 hours', '1.5 credits' (national credits of `credit_hours` each)."""
    t = text.lower().replace(",", ".")
    match = re.search(r"(\d+(?:\.\d+)?)\s*(ects|ec\b|hours?|hrs?|h\b|credits?|cr\b)?", t)
    if not match:
        return None
    value = float(match.group(1))
    unit = match.group(2) or ""
    if unit.startswith(("ects", "ec")):
        return value
    if unit.startswith("h"):
        return round(value / ects_hours, 2)
    if unit.startswith(("credit", "cr")):
        return round(value * credit_hours / ects_hours, 2)
    return None  # a bare number has no unit: not convertible


def check_catalogue(path: Path, *, today: dt.date, credit_hours: float = 40.0,
                    ects_hours: float = 27.5) -> CatalogueResult:
    header, rows, shown = read_table(path)
    names = [_norm(h) for h in header]
    columns: dict[str, str] = {}
    index: dict[str, int] = {}
    for element, (_label, aliases) in MANDATORY.items():
        for alias in aliases:
            if alias in names:
                index[element] = names.index(alias)
                columns[element] = header[names.index(alias)]
                break
    missing_columns = [MANDATORY[e][0] for e in MANDATORY if e not in index]
    results = []
    for n, row in enumerate(rows, start=2):
        cells = {e: row[i].strip() if i < len(row) else "" for e, i in index.items()}
        missing = [MANDATORY[e][0] for e in MANDATORY if not cells.get(e)]
        problems = ["missing: " + ", ".join(missing)] if missing else []
        ects = None
        workload = cells.get("workload", "")
        if workload:
            ects = ects_of(workload, credit_hours=credit_hours, ects_hours=ects_hours)
            if ects is None:
                problems.append(f"workload '{workload}' cannot be converted to ECTS (give ECTS, hours or credits)")
            elif ects <= 0:
                problems.append("workload must be more than zero")
        problems += _value_problems(cells, today=today)
        results.append(CredentialRow(row=n, title=cells.get("title", ""), aligned=not problems, problems=problems,
                                     ects=ects, missing=missing))
    return CatalogueResult(shown, results, missing_columns, columns)


def _value_problems(cells: dict[str, str], *, today: dt.date) -> list[str]:
    """What is wrong with a row's level, date of issue and form of participation (each checked when given)."""
    problems: list[str] = []
    level = cells.get("level", "")
    if level:
        found = re.search(r"\d+", level)
        if not found or not 1 <= int(found.group(0)) <= 8:
            problems.append(f"level '{level}' is outside 1-8 (EQF)")
    issued = cells.get("date_of_issue", "")
    if issued:
        from qms_audit.services.deskreview import parse_date

        day = parse_date(issued)
        if day is None:
            problems.append(f"date '{issued}' is not a date (write YYYY-MM-DD)")
        elif day > today:
            problems.append(f"date of issue {day.isoformat()} is in the future")
    mode = cells.get("participation", "")
    if mode and not any(word in mode.lower() for word in PARTICIPATION):
        problems.append(f"form of participation '{mode}' is not online, onsite or blended")
    return problems
