"""The offline checklist: export, fill in as Excel would, import back with the same rules as the TUI."""

from __future__ import annotations

import json
import zipfile

import pytest
from openpyxl import load_workbook

DEMO = "demo-2026-foe"


@pytest.fixture
def exported(cli, demo_workspace, tmp_path):
    path = tmp_path / "checklist.xlsx"
    result = cli("-w", demo_workspace, "checklist", "export", DEMO, "-o", path)
    assert result.code == 0, result.err
    return demo_workspace, path


def edit(path, out, changes: dict[str, dict[str, object]]):
    """Change cells by ref and column name, as an auditor would in Excel."""
    wb = load_workbook(path)
    ws = wb["Checklist"]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        ref = row[0].value
        for column, value in changes.get(ref, {}).items():
            row[header.index(column)].value = value
    wb.save(out)
    return out


def shown(cli, ws):
    return json.loads(cli("-w", ws, "audit", "show", DEMO, "--json").out)


def test_export_has_dropdowns_locked_references_and_instructions(exported):
    _, path = exported
    wb = load_workbook(path)
    assert wb.sheetnames[:2] == ["Instructions", "Checklist"]
    ws = wb["Checklist"]
    assert ws.protection.sheet is True
    assert ws["A2"].protection.locked is True and ws["H2"].protection.locked is False
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    rating = next(v for k, v in lists.items() if k.startswith("H2"))
    assert "minor NC" in rating and "not applicable" in rating
    assert any(k.startswith("L2") and "P,D,C,A" in v for k, v in lists.items())
    assert wb["_export"].sheet_state == "hidden"
    assert "checklist import" in " ".join(str(c.value) for c in wb["Instructions"]["A"])


def test_unchanged_workbook_reports_no_changes(cli, exported):
    ws, path = exported
    result = cli("-w", ws, "checklist", "import", DEMO, path)
    assert result.code == 0 and result.out.strip() == "no changes"


def test_dry_run_then_import_records_logged_changes(cli, exported, tmp_path):
    ws, path = exported
    (ws / "audits" / DEMO / "evidence" / "tracer-study.pdf").write_bytes(b"%PDF tracer")
    filled = edit(path, tmp_path / "filled.xlsx", {
        "9.1.c": {"Rating": "conformity", "Note": "Tracer study 2025 seen",
                  "New evidence: phase": "C", "New evidence: kind": "data",
                  "New evidence: what it is": "Graduate tracer study 2025", "Sample size": 120, "Population": 480,
                  "File in the audit folder": "evidence/tracer-study.pdf"},
        "9.3.a": {"Rating": "OFI", "Finding statement": "Reviews do not discuss MC effectiveness"},
        "4.1.a": {"Note": "Strategic plan 2025-2028 read again"},
    })
    before = (ws / "audits" / DEMO / "results" / "clause-09.json").read_bytes()
    dry = cli("-w", ws, "checklist", "import", DEMO, filled, "--dry-run")
    assert dry.code == 0, dry.err
    assert "would 9.1.c: rating not assessed -> conformity" in dry.out
    assert "would 9.1.c: + evidence (C data) Graduate tracer study 2025" in dry.out
    assert "would 4.1.a: note changed" in dry.out
    assert (ws / "audits" / DEMO / "results" / "clause-09.json").read_bytes() == before  # dry run changed nothing
    done = cli("-w", ws, "checklist", "import", DEMO, filled)
    assert done.code == 0 and "recorded 4 change(s)" in done.out
    data = shown(cli, ws)
    assert data["results"]["9.1.c"]["grade"] == "conformity"
    assert data["results"]["9.1.c"]["note"] == "Tracer study 2025 seen"
    ev = data["results"]["9.1.c"]["evidence"][-1]
    assert ev["source"] == "import" and ev["sample"] == {"size": 120, "population": 480}
    assert ev["file"]["path"] == "evidence/tracer-study.pdf" or ev["file"]["original_name"] == "tracer-study.pdf"
    assert data["results"]["4.1.a"]["note"] == "Strategic plan 2025-2028 read again"
    assert any(f["ref"] == "9.3.a" and f["grade"] == "ofi" for f in data["findings"])
    log = json.loads(cli("-w", ws, "audit", "log", DEMO, "--json").out)
    assert {e["action"] for e in log[-4:]} == {"result.rate", "evidence.add", "result.note"}
    assert cli("-w", ws, "verify", DEMO).code == 0
    again = cli("-w", ws, "checklist", "import", DEMO, filled)
    assert "no changes" in again.out and "already recorded" in again.out


@pytest.mark.parametrize("changes, cell, message", [
    ({"9.3.a": {"Rating": "minor NC", "Note": "x"}}, "Checklist!H", "'should' requirement"),
    ({"9.1.c": {"Rating": "excellent"}}, "Checklist!H", "'excellent' is not a rating"),
    ({"9.1.c": {"Rating": "not applicable"}}, "Checklist!I", "needs a reason"),
    ({"9.2.1.b": {"Rating": "minor NC"}}, "Checklist!K", "needs a finding statement"),
    ({"9.1.c": {"New evidence: what it is": "x", "New evidence: phase": "Q", "New evidence: kind": "data"}},
     "Checklist!L", "not a PDCA phase"),
    ({"9.1.c": {"New evidence: phase": "P"}}, "Checklist!N", "needs a description"),
    ({"9.1.c": {"New evidence: what it is": "x", "New evidence: phase": "P", "New evidence: kind": "memo"}},
     "Checklist!M", "not an evidence kind"),
    ({"9.1.c": {"New evidence: what it is": "x", "New evidence: phase": "P", "New evidence: kind": "data",
                "Sample size": 10, "Population": 5}}, "Checklist!Q", "larger than its population"),
    ({"9.1.c": {"New evidence: what it is": "x", "New evidence: phase": "P", "New evidence: kind": "data",
                "File in the audit folder": "../../../../etc/passwd"}}, "Checklist!R", "leaves the audit folder"),
    ({"9.1.c": {"New evidence: what it is": "x", "New evidence: phase": "P", "New evidence: kind": "data",
                "File in the audit folder": "/etc/passwd"}}, "Checklist!R", "leaves the audit folder"),
    ({"9.1.c": {"Ref": "9.9.z"}}, "Checklist!A", "unknown requirement '9.9.z'"),
])
def test_invalid_rows_are_refused_with_the_cell_and_nothing_changes(cli, exported, tmp_path, changes, cell, message):
    ws, path = exported
    bad = edit(path, tmp_path / "bad.xlsx", {"4.1.a": {"Note": "a valid change on another row"}, **changes})
    folder = ws / "audits" / DEMO
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".lock")}
    result = cli("-w", ws, "checklist", "import", DEMO, bad)
    assert result.code == 2, result.out
    assert cell in result.err and message in result.err, result.err
    after = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".lock")}
    assert after == before  # not even the valid row was applied


def test_a_row_changed_in_the_audit_meanwhile_is_a_conflict(cli, exported, tmp_path):
    ws, path = exported
    assert cli("-w", ws, "--as", "Ms Ong", "audit", "rate", DEMO, "9.1.c", "--grade", "ofi", "--note",
               "response rate low").code == 0
    filled = edit(path, tmp_path / "f.xlsx", {"9.1.c": {"Rating": "conformity"}})
    result = cli("-w", ws, "checklist", "import", DEMO, filled)
    assert result.code == 2 and "after this workbook was exported" in result.err
    assert shown(cli, ws)["results"]["9.1.c"]["grade"] == "ofi"


def test_workbook_of_another_audit_or_renamed_columns(cli, exported, tmp_path):
    ws, path = exported
    assert cli("-w", ws, "audit", "new", "--standard", "mc-qms", "--title", "t", "--auditee", "Faculty of Business",
               "--lead", "Dr Lee (QA Unit)", "--id", "other-audit").code == 0
    wrong = cli("-w", ws, "checklist", "import", "other-audit", path)
    assert wrong.code == 2 and "exported for audit 'demo-2026-foe'" in wrong.err
    wb = load_workbook(path)
    wb["Checklist"]["H1"] = "Grade"
    wb.save(tmp_path / "renamed.xlsx")
    renamed = cli("-w", ws, "checklist", "import", DEMO, tmp_path / "renamed.xlsx")
    assert renamed.code == 2 and "Checklist!H1" in renamed.err and "expected 'Rating'" in renamed.err


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_bytes(b"PK\x03\x04 broken zip"), "not a valid Office file"),
    (lambda p: p.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 100), "password-protected"),
    (lambda p: p.write_text("id,rating\n1,2\n"), "not a valid Office file"),
])
def test_hostile_workbooks(cli, exported, tmp_path, make, message):
    ws, _ = exported
    bad = tmp_path / "hostile.xlsx"
    make(bad)
    result = cli("-w", ws, "checklist", "import", DEMO, bad)
    assert result.code == 2 and message in result.err and "Traceback" not in result.err


def test_zip_bomb_and_entity_expansion_are_refused(cli, exported, tmp_path):
    ws, path = exported
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr("xl/padding.xml", b"<a>" + b"A" * (300 * 1024 * 1024) + b"</a>")
    result = cli("-w", ws, "checklist", "import", DEMO, bomb)
    assert result.code == 2 and "zip bomb" in result.err
    laughs = tmp_path / "laughs.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(laughs, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/workbook.xml":
                body = data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data
                data = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
                        + body)
            dst.writestr(item, data)
    result = cli("-w", ws, "checklist", "import", DEMO, laughs)
    assert result.code == 2 and "declares a DTD" in result.err


def test_closed_audit_refuses_imports(cli, exported, tmp_path):
    ws, _path = exported
    assert cli("-w", ws, "audit", "new", "--standard", "mc-qms", "--title", "t", "--auditee", "Faculty of Business",
               "--lead", "Dr Lee (QA Unit)", "--id", "closed-audit").code == 0
    for status in ("in_progress", "reported"):
        assert cli("-w", ws, "audit", "status", "closed-audit", status).code == 0
    assert cli("-w", ws, "audit", "close", "closed-audit").code == 0
    assert cli("-w", ws, "checklist", "export", "closed-audit", "-o", tmp_path / "c.xlsx").code == 0
    result = cli("-w", ws, "checklist", "import", "closed-audit", tmp_path / "c.xlsx")
    assert result.code == 2 and "closed" in result.err


def test_formula_like_text_is_exported_as_text(cli, demo_workspace, tmp_path):
    assert cli("-w", demo_workspace, "audit", "rate", DEMO, "9.1.c", "--grade", "ofi", "--note", "=cmd|'/C calc'!A0",
               "--statement", "s").code == 0
    assert cli("-w", demo_workspace, "checklist", "export", DEMO, "-o", tmp_path / "x.xlsx").code == 0
    wb = load_workbook(tmp_path / "x.xlsx")
    assert [c.coordinate for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"] == []
    assert cli("-w", demo_workspace, "checklist", "import", DEMO, tmp_path / "x.xlsx").out.strip() == "no changes"


def test_a_formula_cell_is_refused_by_name_and_wipes_nothing(cli, exported, tmp_path):
    """A workbook written by a script holds formulas without a cached result: read as values they would be
    blank, and a blank note would wipe the auditor's note. The cell is named and nothing is imported."""
    ws, path = exported
    note_before = shown(cli, ws)["results"]["8.1.c"]["note"]
    assert note_before  # the demo's 8.1.c has a note to lose
    bad = edit(path, tmp_path / "scripted.xlsx", {"8.1.c": {"Note": '=UPPER("x")'},
                                                  "4.1.a": {"Note": "a valid change on another row"}})
    header = [c.value for c in load_workbook(bad)["Checklist"][1]]
    row = next(r[0].row for r in load_workbook(bad)["Checklist"].iter_rows(min_row=2) if r[0].value == "8.1.c")
    cell = f"Checklist!{chr(ord('A') + header.index('Note'))}{row}"
    folder = ws / "audits" / DEMO
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".lock")}
    result = cli("-w", ws, "checklist", "import", DEMO, bad)
    assert result.code == 2, result.out
    assert f"{cell}: holds a formula (=UPPER(\"x\")); the import reads typed values only" in result.err, result.err
    after = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".lock")}
    assert after == before
    assert shown(cli, ws)["results"]["8.1.c"]["note"] == note_before


def _with_checklist_sheet(path, out, sheet_xml: bytes) -> None:
    """A copy of the exported workbook whose Checklist sheet is replaced by `sheet_xml`."""
    wb = load_workbook(path)
    index = wb.sheetnames.index("Checklist") + 1  # openpyxl writes sheets in tab order, sheet1.xml first
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = sheet_xml if item.filename == f"xl/worksheets/sheet{index}.xml" else src.read(item)
            dst.writestr(item, data)


SHEET_HEAD = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


@pytest.mark.parametrize("sheet, says", [
    (SHEET_HEAD + b'<dimension ref="A1:T400000"/><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>'
     b"</worksheet>", "worksheet 'Checklist' has 400,000 rows (at most 20,001 are read)"),
    (SHEET_HEAD + b"<sheetData>" + b"".join(b'<row r="%d"/>' % i for i in range(1, 30_002)) + b"</sheetData>"
     b"</worksheet>", "worksheet 'Checklist' has 30,001 rows (at most 20,001 are read)"),
], ids=["declared", "held"])
def test_an_oversized_sheet_is_refused_before_it_is_parsed(cli, exported, tmp_path, monkeypatch, sheet, says):
    import openpyxl

    ws, path = exported
    big = tmp_path / "big.xlsx"
    _with_checklist_sheet(path, big, sheet)

    def never(*args, **kwargs):
        raise AssertionError("the workbook was parsed")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    result = cli("-w", ws, "checklist", "import", DEMO, big)
    assert result.code == 2, result.out
    assert says in result.err, result.err
