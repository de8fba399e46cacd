"""docs/standards.md is enough to write a standard: its smallest complete standard (no source, no prompts on some
clauses, no titles on some requirements) validates, is audited, scored and reported on; its tables name every
field of the format."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from qms_audit.infra.locations import Workspace
from qms_audit.model.standard import (
    Clause,
    EvidencePrompts,
    RatingScheme,
    Requirement,
    ScaleLevel,
    ScoreBand,
    ScoringRules,
    SopDefinition,
    Source,
    Standard,
)
from tests.conftest import REPO
from tests.office_text import docx_paragraphs, docx_tables, xlsx_rows

DOC = REPO / "docs" / "standards.md"
MARK = "<!-- minimal-standard -->"
AUDIT = "fe-short-courses"


def minimal_example() -> str:
    """The YAML block that follows the marker in docs/standards.md."""
    after = DOC.read_text(encoding="utf-8").split(MARK, 1)[1]
    found = re.match(r"\s*```yaml\n(.*?)```", after, re.S)
    assert found, f"no YAML block right after {MARK}"
    return found.group(1)


@pytest.fixture
def own_checklist(cli, workspace) -> tuple[Path, dict]:
    """A workspace holding the docs' minimal standard, with an audit planned against it."""
    text = minimal_example()
    data = yaml.safe_load(text)
    (workspace / "standards" / f"{data['id']}.yaml").write_text(text, encoding="utf-8")
    assert cli("-w", workspace, "audit", "new", "--standard", data["id"], "--title", "Short courses 2026",
               "--auditee", "Faculty of Education", "--lead", "Dr Lee (QA Unit)", "--id", AUDIT).code == 0
    return workspace, data


def test_the_minimal_example_is_minimal_and_has_no_source_nor_prompts_everywhere():
    data = yaml.safe_load(minimal_example())
    assert set(data) == {"id", "title", "version", "clauses"}
    assert len(data["clauses"]) == 2
    assert any("title" not in r for c in data["clauses"] for r in c["requirements"])
    assert any("evidence" not in c for c in data["clauses"])


def test_the_docs_minimal_standard_validates(cli, own_checklist):
    workspace, data = own_checklist
    result = cli("-w", workspace, "standards", "validate")
    assert result.code == 0, result.err
    assert f"ok  standards/{data['id']}.yaml  ({data['id']} {data['version']}: 2 clauses, 4 requirements" in result.out


def test_the_docs_show_the_very_line_an_unquoted_version_gets(cli, workspace):
    text = minimal_example()
    data = yaml.safe_load(text)
    (workspace / "standards" / f"{data['id']}.yaml").write_text(
        text.replace(f'version: "{data["version"]}"', "version: 2018.10"), encoding="utf-8")
    result = cli("-w", workspace, "standards", "validate")
    assert result.code == 2 and "Traceback" not in result.err
    assert len(result.err_lines) == 1
    assert f"```text\n{result.err_lines[0]}\n```" in DOC.read_text(encoding="utf-8")


def test_the_annotated_example_validates(cli, tmp_path):
    after = DOC.read_text(encoding="utf-8").split("## An annotated example", 1)[1]
    found = re.search(r"```yaml\n(.*?)```", after, re.S)
    assert found
    path = tmp_path / "my-qms.yaml"
    path.write_text(found.group(1), encoding="utf-8")
    result = cli("standards", "validate", path)
    assert result.code == 0, result.err


def test_an_audit_against_it_is_rated_scored_and_reported(cli, own_checklist, tmp_path):
    workspace, data = own_checklist
    for ref, grade in (("4.1.a", "conformity"), ("4.1.b", "ofi"), ("8.1.a", "conformity"), ("8.1.b", "minor_nc")):
        assert cli("-w", workspace, "audit", "rate", AUDIT, ref, "-g", grade, "--note", f"seen for {ref}").code == 0
    assert cli("-w", workspace, "audit", "evidence", "add", AUDIT, "8.1.b", "--phase", "D", "--kind", "record",
               "--text", "Complaints log of the term").code == 0
    score = json.loads(cli("-w", workspace, "score", AUDIT, "--json").out)
    assert set(score["clauses"]) == {"4", "8"}
    assert score["clauses"]["4"]["score"] == 1.0  # conformity and an OFI both count 1
    assert score["clauses"]["8"]["score"] == 0.75  # a minor NC counts half
    # the phases inherited from the clauses: 4.1.a and 4.1.b Plan, 8.1.a Do, 8.1.b its own Check
    assert {p: score["pdca"][p]["assessed"] for p in "PDCA"} == {"P": 2, "D": 1, "C": 1, "A": 0}

    docx, xlsx, sheet = tmp_path / "r.docx", tmp_path / "r.xlsx", tmp_path / "c.xlsx"
    assert cli("-w", workspace, "report", AUDIT, "--format", "docx", "-o", docx).code == 0
    assert cli("-w", workspace, "report", AUDIT, "--format", "xlsx", "-o", xlsx).code == 0
    assert cli("-w", workspace, "checklist", "export", AUDIT, "-o", sheet).code == 0

    assert "Clause 4: Context of the institution" in docx_paragraphs(docx)
    rows = {row[0]: row for table in docx_tables(docx) if table[0][:2] == ["Ref", "Requirement"] for row in table[1:]}
    question = data["clauses"][0]["requirements"][0]["question"]
    # untitled: its question stands for its title; force and phase in words
    assert rows["4.1.a"][1] == f"{question} (required, Plan)"
    assert rows["8.1.b"][1] == "Complaints answered (required, Check)"
    report_rows = {r["Ref"]: r for r in xlsx_rows(xlsx, "Checklist")}
    assert report_rows["4.1.a"]["PDCA"] == "P" and report_rows["8.1.a"]["PDCA"] == "D"
    checklist = {r["Ref"]: r for r in xlsx_rows(sheet, "Checklist")}
    assert set(checklist) == {"4.1.a", "4.1.b", "8.1.a", "8.1.b"}
    assert checklist["4.1.a"]["Requirement"] == question and checklist["8.1.b"]["PDCA"] == "C"
    # and the workbook reads back
    back = cli("-w", workspace, "checklist", "import", AUDIT, sheet)
    assert back.code == 0 and "no changes" in back.out


def test_the_criteria_line_names_the_checklist_without_a_citation(cli, own_checklist, tmp_path):
    workspace, data = own_checklist
    docx = tmp_path / "r.docx"
    assert cli("-w", workspace, "report", AUDIT, "--format", "docx", "-o", docx).code == 0
    paragraphs = docx_paragraphs(docx)
    heading = len(paragraphs) - 1 - paragraphs[::-1].index("2.5 Criteria")  # the section, not its contents line
    criteria = paragraphs[heading + 1]
    assert criteria.startswith(f"{data['title']}, version {data['version']} (the text as planned, SHA-256 ")


async def test_the_tui_shows_only_the_prompts_the_standard_gives(own_checklist, monkeypatch, tmp_path):
    from qms_audit.tui.app import QmsAuditApp
    from qms_audit.tui.forms import FormScreen
    from qms_audit.tui.widgets.requirement import RequirementPane
    from tests.test_tui import jump

    monkeypatch.setenv("QMS_AUDIT_STATE", str(tmp_path / "state"))
    workspace, data = own_checklist
    app = QmsAuditApp(Workspace(workspace), "Dr Lee", audit_id=AUDIT)
    async with app.run_test(size=(120, 40)) as pilot:
        await jump(pilot, "4.1.a")
        pane = app.screen.query_one(RequirementPane)
        shown = pane.describe().plain
        assert data["clauses"][0]["requirements"][0]["question"] in shown
        assert "What evidence would look like" not in shown  # clause 4 gives no prompts
        assert "source" not in shown.lower()
        await jump(pilot, "8.1.b")
        shown = pane.describe().plain
        prompts = shown.split("What evidence would look like", 1)[1]
        assert "An approved course outline or delivery plan" in prompts  # the clause's plan
        assert "The complaints log of the current term" in prompts  # its own do
        assert "Notes of a review of how the last run of the course went" in prompts  # the clause's check
        assert "Act" not in prompts  # given nowhere
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, FormScreen)
        phase = app.screen.query_one("#field-phase")
        assert phase.value == "C"  # its own phase is offered first


def test_an_sop_draft_from_it_leaves_the_missing_prompts_empty_and_cites_the_checklist(cli, workspace, tmp_path):
    """An SOP of an institution's own checklist: its requirements' prompts where the standard gives them, an empty
    cell where it does not, and the checklist itself as the source."""
    for other in (workspace / "standards").glob("*.yaml"):
        other.unlink()
    shutil.copy2(REPO / "institution.yaml", workspace / "institution.yaml")
    text = minimal_example().replace("clauses:\n", "sops:\n  - id: SOP-RISK\n    title: Course risks\n"
                                     '    clause: "8"\n    purpose: To keep course risks in view.\n'
                                     "    required_sections: [Purpose]\nclauses:\n", 1)
    text = text.replace("        title: Complaints answered\n",
                        "        title: Complaints answered\n        sop: SOP-RISK\n")
    data = yaml.safe_load(text)
    (workspace / "standards" / f"{data['id']}.yaml").write_text(text, encoding="utf-8")
    made = cli("-w", workspace, "sop", "generate", "SOP-RISK", "--format", "md", "-o", tmp_path / "sops")
    assert made.code == 0, made.err
    draft = next((tmp_path / "sops").glob("SOP-RISK*.md")).read_text(encoding="utf-8")
    assert f"- Source of {data['id']}: {data['title']}, version {data['version']}" in draft
    assert "| 8.1.b Complaints answered | Plan | An approved course outline or delivery plan |" in draft
    assert "| 8.1.b | Do | The complaints log of the current term |" in draft
    assert "| 8.1.b | Act |  |" in draft
    rows = [line for line in draft.splitlines() if line.startswith("| 8.1.b")]
    assert len(rows) == 4 and not [row for row in rows if "None" in row]


def test_a_requirement_with_no_phase_anywhere_counts_in_its_clause_but_in_no_phase():
    from qms_audit.domain.scoring import score_audit
    from qms_audit.model.audit import Grade, RequirementResult

    std = Standard.model_validate({
        "id": "nophase", "title": "No phase", "version": "1",
        "clauses": [{"number": "1", "title": "One", "requirements": [
            {"ref": "1.a", "question": "Is it done?", "force": "must"}]}]})
    assert std.requirement("1.a").pdca is None
    score = score_audit(std, {"1.a": RequirementResult(grade=Grade.CONFORMITY)})
    assert score.clauses["1"].score == 1.0 and score.clauses["1"].assessed == 1
    assert all(phase.applicable == 0 for phase in score.pdca.values())


@pytest.mark.parametrize("model, where", [
    (Standard, ""), (Source, ""), (Clause, ""), (Requirement, ""), (EvidencePrompts, ""), (SopDefinition, ""),
    (RatingScheme, "rating."), (ScaleLevel, ""), (ScoringRules, "scoring."), (ScoreBand, ""),
])
def test_the_docs_name_every_field_of_the_format(model, where):
    doc = DOC.read_text(encoding="utf-8")
    missing = [name for name in model.model_fields if f"`{where}{name}`" not in doc]
    assert not missing, f"docs/standards.md does not describe {model.__name__}: {missing}"
