from __future__ import annotations

import json
import subprocess
import sys

import yaml

from qms_audit.schemas import SCHEMAS
from qms_audit.schemas.regenerate import render
from tests.conftest import REPO


def test_shipped_standards_validate_and_list(cli):
    result = cli("-w", REPO, "standards", "validate")
    assert result.code == 0, result.err
    assert result.out.count("ok  ") == 3
    listed = cli("-w", REPO, "standards", "list", "--json")
    assert listed.code == 0
    by_id = {s["id"]: s for s in json.loads(listed.out)}
    assert set(by_id) == {"mc-qms", "eu-mc-2022", "mc-readiness"}
    assert by_id["mc-qms"]["requirements"] == 75 and by_id["mc-qms"]["sops"] == 7
    assert by_id["mc-qms"]["clauses"] == 11
    assert by_id["mc-readiness"]["rating"] == "levels"
    table = cli("-w", REPO, "standards", "list")
    assert "mc-qms" in table.out and "eu-mc-2022" in table.out and "mc-readiness" in table.out


def test_eu_checklist_carries_every_annex_i_element_and_annex_ii_principle(cli):
    data = json.loads(cli("-w", REPO, "standards", "show", "eu-mc-2022", "--json").out)
    top = {c["number"]: c for c in data["clauses"]}
    mandatory = next(c for c in top["1"]["clauses"] if c["number"] == "1.1")["requirements"]
    assert len(mandatory) == 11 and all(r["force"] == "must" for r in mandatory)
    principles = [c["title"].lower() for c in top["2"]["clauses"]]
    for word in ("quality", "transparency", "relevance", "valid assessment", "learning pathways",
                 "recognition", "portab", "learner-centred", "authentic", "information and guidance"):
        assert any(word in p for p in principles), word


def test_readiness_is_rated_on_levels_over_the_survey_constructs(cli):
    data = json.loads(cli("-w", REPO, "standards", "show", "mc-readiness", "--json").out)
    assert data["rating"]["kind"] == "levels"
    assert [lvl["value"] for lvl in data["rating"]["levels"]] == [0, 1, 2, 3, 4]
    titles = " ".join(c["title"].lower() for c in data["clauses"])
    for construct in ("awareness", "recognition", "quality assurance", "further steps"):
        assert construct in titles


def test_show_prints_the_tree(cli):
    result = cli("-w", REPO, "standards", "show", "mc-qms")
    assert result.code == 0
    assert "9.2.1.a" in result.out and "SOP-AUDIT" in result.out
    assert "0 Introduction (informative)" in result.out


def test_a_standard_written_by_someone_else_loads_without_code_changes(cli, workspace):
    """Copy mc-qms, rename it, drop clauses, add one: it loads and lists."""
    data = yaml.safe_load((REPO / "standards" / "mc-qms.yaml").read_text(encoding="utf-8"))
    data["id"] = "faculty-qms"
    data["title"] = "Faculty of Engineering micro-credential QMS"
    data["version"] = "0.1"
    data["clauses"] = [c for c in data["clauses"] if c["number"] not in ("7", "8", "9")]
    kept_clause_numbers = {c["number"] for c in data["clauses"]}
    data["sops"] = [s for s in data["sops"] if s["clause"].split(".")[0] in kept_clause_numbers]
    data["review_inputs"] = {key: [n for n in numbers if n.split(".")[0] in kept_clause_numbers]
                             for key, numbers in data["review_inputs"].items()}
    data["clauses"].append({
        "number": "11", "title": "Digital credential security", "pdca": "D",
        "summary": "Credentials are signed and can be verified by third parties.",
        "requirements": [{
            "ref": "11.a", "title": "Credentials are signed", "question": "Are issued credentials signed?",
            "force": "must", "pdca": "D", "source_clause": "local policy 3.2",
            "evidence": {"plan": "Signing policy", "do": "Signed credentials", "check": "Verification log",
                         "act": "Key rotation after an incident"}}]})
    (workspace / "standards" / "faculty-qms.yaml").write_text(yaml.safe_dump(data, sort_keys=False),
                                                              encoding="utf-8")
    validated = cli("-w", workspace, "standards", "validate")
    assert validated.code == 0, validated.err
    listed = json.loads(cli("-w", workspace, "standards", "list", "--json").out)
    mine = next(s for s in listed if s["id"] == "faculty-qms")
    assert mine["clauses"] == 9
    shown = cli("-w", workspace, "standards", "show", "faculty-qms")
    assert "11.a" in shown.out and "7.1.a" not in shown.out


def test_checked_in_schemas_match_the_models():
    folder = REPO / "src" / "qms_audit" / "schemas"
    for name, generator in SCHEMAS.items():
        on_disk = (folder / name).read_text(encoding="utf-8")
        assert on_disk == render(generator), f"{name} drifted: run `make schemas`"


def test_schema_command_prints_the_checked_in_schema(cli):
    result = cli("standards", "schema")
    assert result.code == 0
    assert json.loads(result.out) == json.loads((REPO / "src/qms_audit/schemas/standard.schema.json").read_text())


def test_standards_commands_do_not_import_heavy_libraries():
    code = (
        "import sys\n"
        "from qms_audit.cli import run\n"
        f"for args in (['-w', {str(REPO)!r}, 'standards', 'list'], ['-w', {str(REPO)!r}, 'standards', 'show', "
        "'mc-qms'], "
        f"['-w', {str(REPO)!r}, 'standards', 'validate']):\n"
        "    assert run(args) == 0\n"
        "heavy = [m for m in ('textual', 'docx', 'openpyxl', 'jinja2', 'PIL') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert "HEAVY=\n" in out.stdout, out.stdout[-300:]


INHERITING = """\
id: inherit
title: Inheritance
version: "1"
clauses:
  - number: "9"
    title: Performance evaluation
    pdca: C
    evidence: {plan: a monitoring plan, check: a review of the results}
    requirements:
      - ref: 9.a
        question: Are results monitored?
        force: must
      - ref: 9.b
        title: Actions taken
        question: Are actions taken on what monitoring shows?
        force: should
        pdca: A
        evidence: {check: minutes of the follow-up, act: a changed procedure}
    clauses:
      - number: "9.2"
        title: Internal audit
        requirements:
          - ref: 9.2.a
            question: Is there an audit programme?
            force: must
  - number: "10"
    title: Improvement
    requirements:
      - ref: 10.a
        question: Is improvement planned?
        force: should
"""


def test_a_requirement_takes_the_phase_and_prompts_it_leaves_out_from_its_clause(cli, tmp_path):
    path = tmp_path / "standards" / "inherit.yaml"
    path.parent.mkdir()
    path.write_text(INHERITING, encoding="utf-8")
    assert cli("standards", "validate", path).code == 0
    shown = cli("-w", tmp_path, "standards", "show", "inherit", "--json")
    assert shown.code == 0, shown.err
    data = json.loads(shown.out)
    top = data["clauses"][0]
    reqs = {r["ref"]: r for r in top["requirements"] + top["clauses"][0]["requirements"]
            + data["clauses"][1]["requirements"]}
    assert reqs["9.a"]["pdca"] == "C"  # the clause's
    assert reqs["9.b"]["pdca"] == "A"  # its own
    assert reqs["9.2.a"]["pdca"] == "C"  # the clause above its sub-clause
    assert reqs["10.a"]["pdca"] is None  # none anywhere
    assert reqs["9.a"]["evidence"] == {"plan": "a monitoring plan", "do": None, "check": "a review of the results",
                                       "act": None}
    # phase by phase: its own check and act, the clause's plan
    assert reqs["9.b"]["evidence"] == {"plan": "a monitoring plan", "do": None, "check": "minutes of the follow-up",
                                       "act": "a changed procedure"}
    assert reqs["9.2.a"]["evidence"] == reqs["9.a"]["evidence"]
    assert reqs["10.a"]["evidence"] == {"plan": None, "do": None, "check": None, "act": None}
    assert reqs["9.a"]["title"] == "Are results monitored?"  # no title: the question
    assert reqs["9.b"]["title"] == "Actions taken"
    assert data["source"] is None
    tree = cli("-w", tmp_path, "standards", "show", "inherit").out
    assert "source: none cited" in tree
    assert "- 9.2.a      must   C  Is there an audit programme?" in tree
    assert "- 10.a       should -  Is improvement planned?" in tree
