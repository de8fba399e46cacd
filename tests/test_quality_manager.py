"""For quality managers: the institution profile, SOP drafts, the desk review and the catalogue check."""

from __future__ import annotations

import json
import shutil

import pytest
from docx import Document

from tests.conftest import REPO
from tests.office_text import docx_text

SAMPLES = REPO / "tests" / "samples" / "desk-review"
DEMO = "demo-2026-foe"


@pytest.fixture
def ws(demo_workspace):
    return demo_workspace  # the repository's workspace: standards, templates, demo audit, institution.yaml


def test_profile_init_writes_a_valid_commented_example(cli, workspace):
    result = cli("-w", workspace, "profile", "init")
    assert result.code == 0, result.err
    text = (workspace / "institution.yaml").read_text()
    assert text.count("#") > 10  # commented
    assert cli("-w", workspace, "profile", "validate").code == 0
    again = cli("-w", workspace, "profile", "init")
    assert again.code == 2 and "already exists" in again.err


def test_bad_profile_is_located(cli, ws):
    path = ws / "institution.yaml"
    path.write_text(path.read_text().replace("quality_manager: Dr Farah Aziz", "quality_manager: Dr Farah Azis")
                    .replace("review_cycle_months: 24", "review_cycle_month: 24"))
    result = cli("-w", ws, "profile", "validate")
    assert result.code == 2
    assert "unknown field 'review_cycle_month'" in result.err and "did you mean 'review_cycle_months'" in result.err
    assert "institution.yaml:" in result.err
    # once the fields are right, the cross-references are checked
    path.write_text(path.read_text().replace("review_cycle_month: 24", "review_cycle_months: 24"))
    result = cli("-w", ws, "profile", "validate")
    assert result.code == 2
    assert "roles.quality_manager: 'Dr Farah Azis' is not one of the people listed" in result.err
    assert "did you mean 'Dr Farah Aziz'" in result.err


def test_sop_drafts_for_every_sop_the_standard_defines(cli, ws, tmp_path):
    listed = json.loads(cli("-w", ws, "sop", "list", "--json").out)
    assert {r["id"] for r in listed} == {"SOP-GEN", "SOP-NEEDS", "SOP-INDUSTRY", "SOP-COMMIT", "SOP-ROLES", "SOP-RISK",
                                         "SOP-AUDIT"}
    assert all(r["template"] for r in listed)
    result = cli("-w", ws, "sop", "generate", "--all", "-o", tmp_path / "sops", "--date", "2026-11-28")
    assert result.code == 0, result.err
    files = sorted((tmp_path / "sops").glob("*.docx"))
    assert len(files) == 7
    from qms_audit.infra.locations import Workspace
    from qms_audit.services.standards import StandardLibrary

    std = StandardLibrary(Workspace(ws)).get("mc-qms")
    for path in files:
        sop = std.sop(path.name.split()[0])
        doc = Document(str(path))
        headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
        for section in sop.required_sections:
            assert any(h.split(". ", 1)[-1] == section for h in headings), (sop.id, section)
        text = docx_text(path)
        assert "Universiti Teknologi Nusantara" in text and "Prof Rosli Ahmad" in text  # approver from the profile
        assert "2028-11-28" in text  # next review = prepared + 24 months
        assert any(t.rows[0].cells[0].text == "Activity" for t in doc.tables) or "RACI" in text


def test_sop_markdown_output_and_a_single_sop(cli, ws, tmp_path):
    result = cli("-w", ws, "sop", "generate", "SOP-RISK", "--format", "md", "-o", tmp_path)
    assert result.code == 0
    text = next(tmp_path.glob("SOP-RISK*.md")).read_text()
    assert text.startswith("# SOP-RISK") and "## 10. Risk criteria" in text
    # the revision history closes the document, after the sections the standard adds for this SOP
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings[-4:] == ["## 10. Risk criteria", "## 11. Risk register", "## 12. Treatment and monitoring",
                             "## 13. Revision history"]
    unknown = cli("-w", ws, "sop", "generate", "SOP-RISC", "-o", tmp_path)
    assert unknown.code == 2 and "did you mean 'SOP-RISK'" in unknown.err


def test_workspace_templates_override_and_missing_fields_name_the_line(cli, ws, tmp_path):
    (ws / "sop_templates" / "SOP-RISK.md.j2").write_text(
        "# {{ sop.id }} {{ sop.title }}\n\nOwner: {{ people.quality_manager.name }}\n"
        "Fax: {{ institution.fax }}\n", encoding="utf-8")
    listed = {r["id"]: r for r in json.loads(cli("-w", ws, "sop", "list", "--json").out)}
    assert listed["SOP-RISK"]["template_source"] == "workspace"
    result = cli("-w", ws, "sop", "generate", "SOP-RISK", "-o", tmp_path / "out")
    assert result.code == 2
    assert "sop_templates/SOP-RISK.md.j2:4" in result.err and "fax" in result.err
    assert not (tmp_path / "out").exists()  # nothing half-written
    checked = cli("-w", ws, "sop", "check-templates")
    assert checked.code == 2 and "SOP-RISK (workspace)" in checked.err


@pytest.mark.parametrize("payload", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.system('echo pwned') }}",
    "{{ people.__class__.__init__.__globals__ }}",
    "{% set x = people.update({'a': 1}) %}{{ x }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
])
def test_templates_cannot_escape_the_sandbox(cli, ws, tmp_path, payload):
    (ws / "sop_templates" / "SOP-RISK.md.j2").write_text(f"# title\n\n{payload}\n", encoding="utf-8")
    result = cli("-w", ws, "sop", "generate", "SOP-RISK", "--format", "md", "-o", tmp_path)
    assert result.code == 2, result.out
    assert "Traceback" not in result.err
    assert not list(tmp_path.glob("*.md"))


def test_sop_generation_without_a_profile_says_what_to_do(cli, workspace, tmp_path):
    result = cli("-w", workspace, "sop", "generate", "--all", "-o", tmp_path)
    assert result.code == 2 and "qms-audit profile init" in result.err


def test_shipped_templates_all_check(cli, ws):
    result = cli("-w", ws, "sop", "check-templates")
    assert result.code == 0, result.err
    assert result.out.count("ok  ") == 7


def test_desk_review_of_the_sample_folder(cli, ws):
    result = cli("-w", ws, "docs", "check", SAMPLES, "--json", "--date", "2026-11-28")
    assert result.code == 1  # gaps found
    data = json.loads(result.out)
    states = {s["sop_id"]: s["state"] for s in data["sops"]}
    assert states == {"SOP-GEN": "missing", "SOP-NEEDS": "incomplete", "SOP-INDUSTRY": "overdue",
                      "SOP-COMMIT": "draft", "SOP-ROLES": "missing", "SOP-RISK": "current", "SOP-AUDIT": "current"}
    by_id = {s["sop_id"]: s for s in data["sops"]}
    assert by_id["SOP-AUDIT"]["document"].endswith(".pdf") and by_id["SOP-AUDIT"]["metadata"]["version"] == "2.0"
    assert "Key performance indicators" in by_id["SOP-NEEDS"]["sections_missing"]
    assert by_id["SOP-INDUSTRY"]["review_due"] == "2023-01-15"
    assert {u["file"] for u in data["unreadable"]} == {"broken.docx", "locked.docx"}
    assert "password-protected" in next(u["reason"] for u in data["unreadable"] if u["file"] == "locked.docx")
    assert data["unrecognised"] == ["minutes of the faculty board.md"]
    table = cli("-w", ws, "docs", "check", SAMPLES, "--date", "2026-11-28")
    assert "skipped broken.docx" in table.out and "SOP-RISK      current" in table.out


def test_desk_review_attaches_evidence_without_touching_ratings(cli, ws):
    before = json.loads(cli("-w", ws, "audit", "show", DEMO, "--json").out)["results"]
    result = cli("-w", ws, "docs", "check", SAMPLES, "--audit", DEMO, "--date", "2026-11-28")
    assert result.code == 1 and "attached" in result.out
    after = json.loads(cli("-w", ws, "audit", "show", DEMO, "--json").out)["results"]
    for ref, res in before.items():
        assert after[ref].get("grade") == res.get("grade") and after[ref].get("note") == res.get("note")
    risk = [e for e in after["6.1.c"]["evidence"] if e["source"] == "desk-review"]
    assert len(risk) == 1 and risk[0]["phase"] == "P" and "recognised as SOP-RISK" in risk[0]["text"]
    missing = [e for e in after.get("1.3.a", {}).get("evidence", []) if e["source"] == "desk-review"]
    assert missing and "no document recognised as SOP-GEN" in missing[0]["text"]
    again = cli("-w", ws, "docs", "check", SAMPLES, "--audit", DEMO, "--date", "2026-11-28")
    assert "attached" not in again.out  # nothing attached twice
    assert cli("-w", ws, "verify", DEMO).code == 0


def test_desk_review_survives_hostile_files(cli, ws, tmp_path):
    folder = tmp_path / "hostile"
    shutil.copytree(SAMPLES, folder)
    (folder / "huge.pdf").write_bytes(b"%PDF-1.4\n" + b"0" * (26 * 1024 * 1024))
    (folder / "garbage.pdf").write_bytes(b"%PDF-1.7\n garbage \x00\x01")
    (folder / "binary.md").write_bytes(b"\x00\x01\x02 not text")
    (folder / "link.docx").symlink_to("/etc/passwd")
    result = cli("-w", ws, "docs", "check", folder, "--json", "--date", "2026-11-28")
    assert result.code == 1 and "Traceback" not in result.err
    data = json.loads(result.out)
    reasons = {u["file"]: u["reason"] for u in data["unreadable"]}
    assert "limited to 25.0 MB" in reasons["huge.pdf"]
    assert "garbage.pdf" in reasons and "binary.md" in reasons
    assert "link.docx" not in reasons  # links are never followed


def test_catalogue_check(cli, ws, tmp_path):
    result = cli("-w", ws, "credentials", "check", REPO / "examples" / "mc-catalogue.csv", "--json",
                 "--date", "2026-11-28")
    assert result.code == 1
    data = json.loads(result.out)
    assert (data["total"], data["aligned"]) == (6, 3)
    assert data["rows"] == data["catalogues"][0]["rows"]  # one catalogue keeps its rows on top, as before
    assert data["file"].endswith("mc-catalogue.csv") and data["missing_columns"] == []
    rows = {r["title"]: r for r in data["rows"]}
    assert rows["Data analytics basics"]["ects"] == pytest.approx(1.5 * 40 / 27.5, abs=0.01)  # MQF credits
    assert any("in the future" in p for p in rows["Drone surveying"]["problems"])
    leadership = " ".join(rows["Leadership for team leads"]["problems"])
    assert "cannot be converted to ECTS" in leadership and "outside 1-8" in leadership
    assert "Learning outcomes" in leadership and "Weekend retreat" in leadership
    assert data["missing_by_element"]["Type of quality assurance"] == 2


def test_catalogue_as_xlsx_and_bad_files(cli, ws, tmp_path):
    import csv

    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    sheet.title = "Catalogue"
    with (REPO / "examples" / "mc-catalogue.csv").open() as fh:
        for row in csv.reader(fh):
            sheet.append(row)
    wb.save(tmp_path / "cat.xlsx")
    result = cli("-w", ws, "credentials", "check", tmp_path / "cat.xlsx", "--json", "--date", "2026-11-28")
    assert json.loads(result.out)["aligned"] == 3
    (tmp_path / "bin.csv").write_bytes(b"\x00\x01\x02")
    assert cli("-w", ws, "credentials", "check", tmp_path / "bin.csv").code == 2
    (tmp_path / "cat.txt").write_text("x")
    wrong = cli("-w", ws, "credentials", "check", tmp_path / "cat.txt")
    assert wrong.code == 2 and ".csv or .xlsx" in wrong.err


async def test_checks_screen_runs_in_a_worker(ws, monkeypatch, tmp_path):
    from textual.widgets import Input

    from qms_audit.infra.locations import Workspace
    from qms_audit.tui.app import QmsAuditApp
    from qms_audit.tui.screens.checks import ChecksScreen

    monkeypatch.setenv("QMS_AUDIT_NOW", "2026-11-28T10:00:00Z")
    monkeypatch.setenv("QMS_AUDIT_STATE", str(tmp_path / "state"))
    app = QmsAuditApp(Workspace(ws), "Dr Farah Aziz")
    async with app.run_test(size=(110, 40)) as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ChecksScreen)
        await pilot.press("r")
        await pilot.pause()
        app.screen.query_one("#field-folder", Input).value = str(SAMPLES)
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        from tests.test_tui import plain

        text = plain(app.screen.query_one("#results"))
        assert "SOP-RISK" in text and "current" in text and "missing" in text and "skipped broken.docx" in text
        await pilot.press("k")
        await pilot.pause()
        app.screen.query_one("#field-file", Input).value = str(REPO / "examples" / "mc-catalogue.csv")
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "3 of 6 micro-credentials" in plain(app.screen.query_one("#results"))


def test_a_formula_in_a_catalogue_is_refused_by_its_cell(cli, demo_workspace, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Catalogue"
    ws.append(["Title", "Provider", "ECTS"])
    ws.append(["Data literacy", "Faculty of Engineering", "=2*3"])  # written by a script: no cached result
    wb.save(tmp_path / "catalogue.xlsx")
    result = cli("-w", demo_workspace, "credentials", "check", tmp_path / "catalogue.xlsx")
    assert result.code == 2
    assert "cell Catalogue!C2 holds a formula; the workbook is read as typed values only" in result.err
