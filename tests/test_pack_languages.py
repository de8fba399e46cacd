"""Management's documents in Bahasa Indonesia and Bahasa Melayu: the review pack (Word and Excel), the NC register
and the offline checklist workbook carry no English heading, label, sheet name, table header or caption.

Each document is made in the reader's language on a copy of the demo workspace with an NC from a complaint and a
held review, reopened, and its text read against a stop-list of English words that are not also Indonesian or
Malay words. What people wrote (statements, notes, names, units, programme and review texts) and the standards'
own texts (translated in the standards' overlays, English where an overlay is not yet there) are taken out of the
text first: they are collected from the workspace's files, not listed here."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
import yaml

from qms_audit.infra import i18n
from qms_audit.infra.i18n import _, pgettext
from qms_audit.services.checklist import COLUMNS, GRADE_CHOICES, KIND_CHOICES
from tests.office_text import docx_paragraphs, docx_tables, xlsx_sheets

NOW = "2026-11-28T10:00:00Z"
PERIOD = "2026-01..2026-10"
LANGUAGES = ("id", "ms")
# English words a reader would notice, none of which is also an Indonesian or Malay word
STOP_WORDS = {
    "the", "of", "and", "or", "with", "from", "were", "was", "to", "for", "by", "on", "at", "today", "none", "yes",
    "not", "scored", "summary", "clause", "clauses", "finding", "findings", "score", "scores", "overdue", "mean",
    "period", "previous", "outputs", "figure", "nonconformity", "nonconformities", "corrective", "opportunities",
    "improvement", "recurring", "chair", "secretary", "owner", "due", "closed", "open", "year", "years",
    "requirement", "statement", "raised", "source", "instructions", "management", "contents", "decisions",
    "attendance", "role", "name", "kind", "grade", "verdict", "coverage", "title", "month", "lead", "mandatory",
    "found", "missing", "about", "row", "file", "path", "reason", "note", "prepared", "compared", "actions",
    "action", "issue", "issues", "change", "changes", "before", "stands", "programme", "ageing",
    "withdrawn", "noted", "complaint", "feedback", "offline", "locked", "sheet",
}
WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
CODE = re.compile(r"`[^`]*`")  # a command or file name written in backticks is an identifier


@pytest.fixture(autouse=True)
def _fixed(monkeypatch, tmp_path):
    monkeypatch.setenv("QMS_AUDIT_NOW", NOW)
    monkeypatch.setenv("QMS_AUDIT_STATE", str(tmp_path / "state"))


@pytest.fixture
def workspace(cli, demo_workspace, monkeypatch) -> Path:
    """The demo workspace with an NC raised from a complaint and a review held, so that every part of the pack
    has something to show."""
    ws = demo_workspace

    def on(day: str, *args: str) -> None:
        monkeypatch.setenv("QMS_AUDIT_NOW", f"{day}T09:00:00Z")
        result = cli("-w", ws, "--as", "Dr Farah Aziz", *args)
        assert result.code == 0, result.err

    on("2026-09-01", "nc", "new", "--source", "complaint", "-g", "minor_nc", "--unit", "Faculty of Business",
       "-s", "Certificates issued six weeks late", "--due", "2026-09-15")
    on("2026-11-28", "review", "record", "--held-on", "2026-01-15", "--period", "2025", "--chair",
       "Prof Aminah Yusof", "--decision", "improvement: Follow the corrective actions up monthly",
       "--issue", "A new national micro-credential framework",
       "--action", "Train the assessors | Dr Kamal Hassan | 2026-06-30",
       "--action", "Publish the credit policy | Ms Aishah Rahman | 2026-11-15")
    monkeypatch.setenv("QMS_AUDIT_NOW", NOW)
    return ws


def recorded_texts(ws: Path) -> list[str]:
    """Every text the workspace's files hold (records, the profile, the programme, the standards and their
    overlays), longest first, so that a longer text is taken out before a shorter one inside it."""
    texts: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, str):
            texts.update(t for t in (value, *value.splitlines()) if len(t.strip()) >= 3)
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(key)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for path in ws.rglob("*"):
        if path.suffix == ".json":
            walk(json.loads(path.read_text(encoding="utf-8")))
        elif path.suffix in (".yaml", ".yml"):
            walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    # the score bands a standard file leaves to their defaults are standard texts too
    from qms_audit.infra.locations import Workspace
    from qms_audit.services.standards import StandardLibrary

    library = StandardLibrary(Workspace(ws))
    for path in (ws / "standards").glob("*.yaml"):
        if path.stem.count(".") == 0:
            texts.update(band.label for band in library.get(path.stem).scoring.bands)
    return sorted(texts, key=len, reverse=True)


def english_left(texts: list[str], recorded: list[str]) -> list[str]:
    """The stop-list words left in these texts once the recorded texts and code spans are taken out."""
    left = []
    for text in texts:
        text = CODE.sub(" ", text)
        for record in recorded:
            if record in text:  # a whole text or words, never part of a word ("min" in "minor")
                text = re.sub(rf"(?<!\w){re.escape(record)}(?!\w)", " ", text)
        left += [w for w in WORD.findall(text) if w.lower() in STOP_WORDS]
    return left


def chart_texts(path: Path) -> list[str]:
    """The titles and axis titles of a workbook's native charts."""
    with zipfile.ZipFile(path) as package:
        return [t for name in package.namelist() if name.startswith("xl/charts/chart")
                for t in re.findall(r"<a:t>([^<]*)</a:t>", package.read(name).decode("utf-8"))]


def cell_texts(sheets: dict[str, list[list[object]]]) -> list[str]:
    return [*sheets, *(str(v) for rows in sheets.values() for row in rows for v in row if isinstance(v, str))]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_review_pack_speaks_the_readers_language(cli, workspace, tmp_path, lang):
    docx, xlsx = tmp_path / f"pack-{lang}.docx", tmp_path / f"pack-{lang}.xlsx"
    for path in (docx, xlsx):
        result = cli("-w", workspace, "--lang", lang, "review", "pack", "--period", PERIOD, "-o", path)
        assert result.code == 0, result.err
        assert english_left([result.out.replace(str(path), "")], recorded_texts(workspace)) == []
    recorded = recorded_texts(workspace)
    paragraphs = docx_paragraphs(docx)
    with i18n.language(lang):
        headings = [_("Management review pack"), _("Contents"), _("1. Summary"), _("What stands out"),
                    _("2. Inputs to the review (ISO 9001:2015 9.3.2)"),
                    _("3. Outputs of the review (ISO 9001:2015 9.3.3)"), _("Annex: how the figures are made")]
        summary_header = [_("Measure"), _("Value")]
        sheet_names = [_("Summary"), _("Inputs"), _("Clause scores"), _("CAPA ageing"), _("Outputs")]
        capa_header = [_("Measure"), _("NCs raised in the period"), _("All NCs to date")]
        figure_one = _("Figure 1. Mean score of each clause over the audits of the period that scored it (upper bar), "
                       "and over the previous period, {start} to {end} (lower bar); no bar: {not_scored}, "
                       "{not_applicable}, or {no_audit} of that period had the clause in scope")
        complaint, due = _("complaint"), pgettext("column", "Due")
    for heading in headings:
        assert heading in paragraphs
    assert figure_one.split("{start}")[0] in "\n".join(paragraphs)  # the caption, in the reader's words
    tables = docx_tables(docx)
    assert summary_header == tables[1][0][:2]
    assert any(due in table[0] for table in tables)  # the review's actions and the outputs
    assert any(complaint in row for table in tables for row in table)  # where the NC came from
    left = english_left([*paragraphs, *("\t".join(row) for table in tables for row in table)], recorded)
    assert left == [], f"English left in the {lang} Word pack: {sorted(set(left))}"

    sheets = xlsx_sheets(xlsx)
    assert [name for name in sheet_names if name in sheets] == sheet_names
    assert [str(v) for v in sheets[_sheet(lang, "CAPA ageing")][0]] == capa_header
    left = english_left([*cell_texts(sheets), *chart_texts(xlsx)], recorded)
    assert left == [], f"English left in the {lang} Excel pack: {sorted(set(left))}"


def _sheet(lang: str, name: str) -> str:
    with i18n.language(lang):
        return _(name)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_checklist_workbook_speaks_the_readers_language_and_imports_back(cli, workspace, tmp_path, lang):
    path = tmp_path / f"checklist-{lang}.xlsx"
    result = cli("-w", workspace, "--lang", lang, "checklist", "export", "demo-2026-foe", "-o", path)
    assert result.code == 0, result.err
    sheets = xlsx_sheets(path)
    with i18n.language(lang):
        instructions, how = _("Instructions"), _("How to fill it in")
    assert list(sheets)[:2] == [instructions, "Checklist"]
    assert [row[0] for row in sheets[instructions]].count(how) == 1
    # the import reads the checklist by its English column names and choices: they stay, with a note in the
    # reader's language on each column name
    assert sheets["Checklist"][0] == COLUMNS
    from openpyxl import load_workbook

    notes = [cell.comment.text for cell in load_workbook(path)["Checklist"][1]]
    with i18n.language(lang):
        assert notes == [pgettext("checklist column", name) for name in COLUMNS]
    assert notes[COLUMNS.index("Evidence so far")] != "Evidence so far"
    intended = [*COLUMNS, "Checklist", *GRADE_CHOICES, *KIND_CHOICES]
    texts = [t for t in cell_texts({k: v for k, v in sheets.items() if k != "_export"}) if t not in COLUMNS]
    left = english_left(texts, sorted({*intended, *recorded_texts(workspace)}, key=len, reverse=True))
    assert left == [], f"English left in the {lang} checklist workbook: {sorted(set(left))}"
    imported = cli("-w", workspace, "--as", "Dr Farah Aziz", "checklist", "import", "demo-2026-foe", path,
                   "--dry-run")
    assert imported.code == 0, imported.err


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_nc_register_names_the_sources_in_the_readers_language(cli, workspace, tmp_path, lang):
    path = tmp_path / f"register-{lang}.xlsx"
    result = cli("-w", workspace, "--lang", lang, "nc", "export", "-o", path)
    assert result.code == 0, result.err
    sheets = xlsx_sheets(path)
    register = next(iter(sheets.values()))
    with i18n.language(lang):
        sources = {_("complaint"), _("internal audit")}
    assert sources <= {row[2] for row in register[1:]}
    left = english_left(cell_texts(sheets), recorded_texts(workspace))
    assert left == [], f"English left in the {lang} NC register: {sorted(set(left))}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_management_commands_speak_the_readers_language(cli, workspace, lang):
    recorded = recorded_texts(workspace)
    for command in (("trends",), ("programme", "show"), ("review", "list")):
        result = cli("-w", workspace, "--lang", lang, *command)
        assert result.code == 0, result.err
        # the programme's method, a record, is wrapped over lines: the words are read as one text
        left = english_left([" ".join(result.out.split())], recorded)
        assert left == [], f"English left in {lang} `{' '.join(command)}`: {sorted(set(left))}"
    with i18n.language(lang):
        heading, due = _("Findings per cycle"), _("due {due}  {owner}: {description}").split("{due}")[0]
    assert heading in cli("-w", workspace, "--lang", lang, "trends").out
    assert due in cli("-w", workspace, "--lang", lang, "review", "list").out
    # the JSON stays the same in every language
    english = cli("-w", workspace, "trends", "--json").out
    assert cli("-w", workspace, "--lang", lang, "trends", "--json").out == english


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_credential_check_workbook_labels_in_the_readers_language(cli, workspace, tmp_path, lang):
    path = tmp_path / f"credentials-{lang}.xlsx"
    catalogue = Path(__file__).resolve().parent.parent / "examples" / "mc-catalogue.csv"
    result = cli("-w", workspace, "--lang", lang, "credentials", "check", catalogue, "--date", "2026-11-28",
                 "-o", path)
    assert result.code == 1, result.err  # the example catalogue has credentials with missing elements
    sheets = xlsx_sheets(path)
    with i18n.language(lang):
        names = [_("Credentials"), _("Elements"), _("About")]
        found, yes = _("found"), _("yes")
    assert list(sheets) == names
    credentials = sheets[names[0]]
    # the labels this workbook gives: sheet names, column names, the About sheet's first column, and the words
    # that start an element's cell (what the reading of a file says after them is the credential reader's)
    labels = [*sheets, *map(str, credentials[0]), *(str(row[0]) for row in sheets[names[2]])]
    assert english_left(labels, recorded_texts(workspace)) == []
    cells = [str(v) for row in credentials[1:] for v in row[8:]]
    assert cells and all(not c.startswith(("found", "missing", "not applicable")) for c in cells)
    assert any(c.startswith(found + ": ") for c in cells)
    assert {row[4] for row in credentials[1:]} <= {yes, _no(lang)}


def _no(lang: str) -> str:
    with i18n.language(lang):
        return _("no")
