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


@pytest.mark.parametrize("changes, bad, cell, message", [
    ({"9.3.a": {"Rating": "minor NC", "Note": "x"}}, "9.3.a", "Checklist!H", "'should' requirement"),
    ({"9.1.c": {"Rating": "excellent"}}, "9.1.c", "Checklist!H", "'excellent' is not a rating"),
    ({"9.1.c": {"Rating": "not applicable"}}, "9.1.c", "Checklist!I", "needs a reason"),
    ({"9.2.1.b": {"Rating": "minor NC"}}, "9.2.1.b", "Checklist!K", "needs a finding statement"),
    ({"9.1.c": {"New evidence: what it is": "x", "New evidence: phase": "Q", "New evidence: kind": "data"}},
     "9.1.c", "Checklist!L", "not a PDCA phase"),
    ({"9.1.c": {"New evidence: phase": "P"}}, "9.1.c", "Checklist!N", "needs a description"),
    ({"9.1.c": {"New evidence: what it is": "x", "New evidence: phase": "P", "New evidence: kind": "memo"}},
     "9.1.c", "Checklist!M", "not an evidence kind"),
    ({"9.1.c": {"New evidence: what it is": "x", "New evidence: phase": "P", "New evidence: kind": "data",
                "Sample size": 10, "Population": 5}}, "9.1.c", "Checklist!Q", "larger than its population"),
    ({"9.1.c": {"New evidence: what it is": "x", "New evidence: phase": "P", "New evidence: kind": "data",
                "File in the audit folder": "../../../../etc/passwd"}}, "9.1.c", "Checklist!R",
     "leaves the audit folder"),
    ({"9.1.c": {"New evidence: what it is": "x", "New evidence: phase": "P", "New evidence: kind": "data",
                "File in the audit folder": "/etc/passwd"}}, "9.1.c", "Checklist!R", "leaves the audit folder"),
    ({"9.1.c": {"Ref": "9.9.z"}}, "9.1.c", "Checklist!A", "unknown requirement '9.9.z'"),
    ({"9.1.c": {"Rating": "conformity"}, "9.3.a": {"Ref": "9.1.c", "Rating": "OFI", "Note": "y"}}, "9.1.c",
     "Checklist!A", "'9.1.c' appears on more than one row"),
])
def test_an_invalid_row_is_refused_with_its_cell_and_the_valid_rows_are_recorded(cli, exported, tmp_path, changes,
                                                                                   bad, cell, message):
    ws, path = exported
    bad_file = edit(path, tmp_path / "bad.xlsx", {"4.1.a": {"Note": "a valid change on another row"}, **changes})
    before = shown(cli, ws)
    result = cli("-w", ws, "checklist", "import", DEMO, bad_file)
    assert result.code == 2, result.out
    assert cell in result.err and message in result.err, result.err
    assert "recorded 1 change(s)" in result.out and "row(s) refused" in result.out
    after = shown(cli, ws)
    assert after["results"]["4.1.a"]["note"] == "a valid change on another row"  # the valid row is recorded
    assert after["results"].get(bad) == before["results"].get(bad)  # nothing of the refused row is
    assert after["findings"] == before["findings"]
    assert cli("-w", ws, "verify", DEMO).code == 0


def row_of(path, ref: str) -> int:
    return next(r[0].row for r in load_workbook(path)["Checklist"].iter_rows(min_row=2) if r[0].value == ref)


def test_one_conflicting_row_leaves_the_valid_one_recorded_and_names_its_cell(cli, exported, tmp_path):
    ws, path = exported
    assert cli("-w", ws, "--as", "Ms Ong", "audit", "rate", DEMO, "9.1.c", "--grade", "ofi", "--note",
               "response rate low").code == 0
    filled = edit(path, tmp_path / "f.xlsx", {"9.1.c": {"Rating": "conformity"},
                                              "4.1.a": {"Note": "Strategic plan read again"}})
    dry = cli("-w", ws, "checklist", "import", DEMO, filled, "--dry-run")
    assert dry.code == 2 and "would 4.1.a: note changed" in dry.out
    assert shown(cli, ws)["results"]["4.1.a"]["note"] != "Strategic plan read again"  # a dry run records nothing
    result = cli("-w", ws, "checklist", "import", DEMO, filled)
    assert result.code == 2
    assert "4.1.a: note changed" in result.out and "recorded 1 change(s) in audit demo-2026-foe" in result.out
    assert f"1 row(s) refused, nothing of them recorded: 9.1.c (Checklist!A{row_of(filled, '9.1.c')})" in result.out
    assert (f"Checklist!H{row_of(filled, '9.1.c')} (Rating): 9.1.c was rated 'OFI' in the audit after this workbook "
            "was exported ('not assessed'); your 'conformity' was not applied") in result.err
    data = shown(cli, ws)
    assert data["results"]["4.1.a"]["note"] == "Strategic plan read again"
    assert data["results"]["9.1.c"]["grade"] == "ofi" and data["results"]["9.1.c"]["note"] == "response rate low"
    log = json.loads(cli("-w", ws, "audit", "log", DEMO, "--json").out)
    assert log[-1]["action"] == "result.note" and log[-1]["target"] == "4.1.a"
    # corrected, the same workbook imports again: the row recorded before counts as unchanged
    fixed = edit(filled, tmp_path / "fixed.xlsx", {"9.1.c": {"Rating": "OFI"}})
    again = cli("-w", ws, "checklist", "import", DEMO, fixed)
    assert again.code == 0 and again.out.strip() == "no changes", again.out + again.err


@pytest.mark.parametrize("cells, says", [
    ({"New evidence: what it is": "Tracer study", "New evidence: phase": "C", "New evidence: kind": "data",
      "Sample size": "ten"}, ["sample size 'ten' is not a number"]),
    ({"Sample size": "ten"}, ["sample size 'ten' is not a number", "needs a description of what it is",
                              "needs its PDCA phase", "needs its kind"]),
    ({"New evidence: what it is": "Tracer study", "New evidence: phase": "C", "New evidence: kind": "data",
      "Sample size": 12.5}, ["sample size '12.5' is not a whole number of at least 1"]),
    ({"New evidence: what it is": "Tracer study", "New evidence: phase": "C", "New evidence: kind": "data",
      "Sample size": 12, "Population": "all"}, ["population 'all' is not a number"]),
])
def test_each_error_names_the_real_problem_of_its_cell(cli, exported, tmp_path, cells, says):
    """A sample size typed as words is not a number, whatever else the row lacks: each cell says what is
    wrong with it, with its value."""
    ws, path = exported
    filled = edit(path, tmp_path / "f.xlsx", {"9.1.c": cells})
    result = cli("-w", ws, "checklist", "import", DEMO, filled)
    assert result.code == 2
    row = row_of(filled, "9.1.c")
    lines = result.err.splitlines()
    for text in says:
        assert any(text in line and "Checklist!" in line and f"{row} (" in line for line in lines), result.err
    if "Sample size" in cells and not isinstance(cells["Sample size"], int):
        assert f"Checklist!P{row} (Sample size): sample size '{cells['Sample size']}'" in result.err
    assert len(lines) == len(says)  # one line per problem, nothing else said about the row


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
    blank, and a blank note would wipe the auditor's note. The cell is named and nothing of its row is imported;
    the other rows are."""
    ws, path = exported
    note_before = shown(cli, ws)["results"]["8.1.c"]["note"]
    assert note_before  # the demo's 8.1.c has a note to lose
    bad = edit(path, tmp_path / "scripted.xlsx", {"8.1.c": {"Note": '=UPPER("x")'},
                                                  "4.1.a": {"Note": "a valid change on another row"}})
    header = [c.value for c in load_workbook(bad)["Checklist"][1]]
    row = next(r[0].row for r in load_workbook(bad)["Checklist"].iter_rows(min_row=2) if r[0].value == "8.1.c")
    cell = f"Checklist!{chr(ord('A') + header.index('Note'))}{row}"
    before = shown(cli, ws)["results"]["8.1.c"]
    result = cli("-w", ws, "checklist", "import", DEMO, bad)
    assert result.code == 2, result.out
    assert f"{cell} (Note): holds a formula (=UPPER(\"x\")); the import reads typed values only" in result.err
    assert shown(cli, ws)["results"]["8.1.c"] == before and before["note"] == note_before
    assert shown(cli, ws)["results"]["4.1.a"]["note"] == "a valid change on another row"


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
