"""Audits from the command line: every gate and error of the record layer, as a user meets it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

AID = "2026-foe-mc-qms"


@pytest.fixture
def ws(cli, workspace, monkeypatch):
    # A fixed day, during the audit: due dates given below must not fall before the day their NC is raised.
    monkeypatch.setenv("QMS_AUDIT_NOW", "2026-10-02T09:00:00Z")
    result = cli("-w", workspace, "audit", "new", "--standard", "mc-qms", "--title", "Internal audit of FoE",
                 "--auditee", "Faculty of Engineering", "--lead", "Test Auditor (Quality Assurance Unit)",
                 "--member", "Ms Ong (Faculty of Business)", "--start", "2026-10-01", "--end", "2026-10-03",
                 "--objective", "Check the MC lifecycle", "--process", "MC design", "--client", "Rector",
                 "--participant", "Prof Ali, Dean, Faculty of Engineering", "--location", "Block A",
                 "--sampling", "3 of 12 MCs, stratified by faculty")
    assert result.code == 0, result.err
    return workspace


def q(cli, ws, *args):
    return cli("-w", ws, *args)


def snapshot_files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.startswith(".lock")}


def test_new_audit_writes_the_plan(ws, cli):
    record = json.loads((ws / "audits" / AID / "audit.json").read_text())
    plan = record["plan"]
    assert record["status"] == "planned"
    pinned = hashlib.sha256((ws / "standards" / "mc-qms.yaml").read_bytes()).hexdigest()
    assert plan["criteria"] == {"standard": "mc-qms", "version": "1.1", "other": [], "sha256": pinned}
    assert plan["scope"]["unit_code"] == "FOE"
    assert plan["lead"] == {"name": "Test Auditor", "home_unit": "Quality Assurance Unit", "role": "lead"}
    assert plan["team"][0]["home_unit"] == "Faculty of Business"
    assert plan["auditee_participants"][0] == {"name": "Prof Ali", "position": "Dean", "unit": "Faculty of Engineering"}
    listed = json.loads(q(cli, ws, "audit", "list", "--json").out)
    assert listed[0]["id"] == AID and listed[0]["status"] == "planned"


def test_auditor_of_own_unit_is_refused_unless_justified(cli, workspace):
    args = ["-w", workspace, "audit", "new", "--standard", "mc-qms", "--title", "t", "--auditee",
            "Faculty of Engineering", "--lead", "Dr Tan (Faculty of Engineering)", "--id", "own-unit"]
    refused = cli(*args)
    assert refused.code == 2 and "audit their own unit" in refused.err
    assert not (workspace / "audits" / "own-unit").exists()
    allowed = cli(*args, "--override-independence", "only trained auditor on the campus")
    assert allowed.code == 0, allowed.err
    record = json.loads((workspace / "audits" / "own-unit" / "audit.json").read_text())
    assert record["independence_overrides"][0]["justification"] == "only trained auditor on the campus"
    log = json.loads(cli("-w", workspace, "audit", "log", "own-unit", "--json").out)
    assert log[0]["reason"] == "only trained auditor on the campus"


def test_rating_every_grade_and_the_finding_it_raises(ws, cli):
    for ref, grade in (("4.1.a", "conformity"), ("4.1.b", "gp"), ("4.2.d", "ofi"), ("4.2.a", "observation"),
                       ("4.2.b", "minor"), ("8.1.c", "major")):
        result = q(cli, ws, "audit", "rate", AID, ref, "--grade", grade, "--note", f"finding on {ref}")
        assert result.code == 0, result.err
    result = q(cli, ws, "audit", "rate", AID, "7.4.a", "--grade", "na", "--na-reason", "no LMS of our own")
    assert result.code == 0, result.err
    shown = json.loads(q(cli, ws, "audit", "show", AID, "--json").out)
    grades = {ref: r["grade"] for ref, r in shown["results"].items()}
    assert grades == {"4.1.a": "conformity", "4.1.b": "good_practice", "4.2.d": "ofi", "4.2.a": "observation",
                      "4.2.b": "minor_nc", "8.1.c": "major_nc", "7.4.a": "not_applicable"}
    ids = sorted(f["id"] for f in shown["findings"])
    # numbered in blocks by clause, so auditors of different clauses never pick the same id
    assert ids == ["NC-2026-FOE-401", "NC-2026-FOE-801", "OBS-2026-FOE-401", "OFI-2026-FOE-401"]
    assert shown["status"] == "in_progress" and shown["audit"]["status"] == "planned"
    # results are split by clause so auditors of different clauses touch different files
    assert sorted(p.name for p in (ws / "audits" / AID / "results").iterdir()) == [
        "clause-04.json", "clause-07.json", "clause-08.json"]


@pytest.mark.parametrize("args, message", [
    (["audit", "rate", AID, "4.2.d", "--grade", "minor", "--note", "x"], "'should' requirement"),
    (["audit", "rate", AID, "7.4.a", "--grade", "na"], "needs a written justification"),
    (["audit", "rate", AID, "4.9.z", "--grade", "c"], "not a requirement of mc-qms@1.1"),
    (["audit", "rate", AID, "4.2.a", "--grade", "excellent"], "is not a grade"),
    (["audit", "rate", AID, "4.2.a", "--grade", "minor"], "needs a finding statement"),
    (["audit", "rate", "no-such-audit", "4.2.a", "--grade", "c"], "unknown audit 'no-such-audit'"),
    (["audit", "rate", AID, "4.2.a", "--grade", "3"], "rated on grades, not levels"),
    (["audit", "evidence", "add", AID, "4.2.a", "--phase", "X", "--kind", "document", "--text", "t"],
     "not a PDCA phase"),
    (["audit", "evidence", "add", AID, "4.2.a", "--phase", "P", "--kind", "memo", "--text", "t"],
     "not an evidence kind"),
    (["audit", "evidence", "add", AID, "4.2.a", "--phase", "P", "--kind", "record", "--text", "t",
      "--file", "/no/such/file.pdf"], "no such file"),
    (["audit", "evidence", "add", AID, "4.2.a", "--phase", "P", "--kind", "record", "--text", "t",
      "--sample", "20", "--population", "5"], "larger than its population"),
])
def test_bad_input_is_one_line_exit_2_and_changes_nothing(ws, cli, args, message):
    before = snapshot_files(ws / "audits" / AID)
    result = q(cli, ws, *args)
    assert result.code == 2, result.out + result.err
    assert message in result.err
    assert len(result.err_lines) == 1, result.err
    assert "Traceback" not in result.err
    assert snapshot_files(ws / "audits" / AID) == before


def test_close_gates_and_closed_audit_refuses_changes(ws, cli):
    assert q(cli, ws, "audit", "rate", AID, "8.1.c", "--grade", "major", "--note", "no validation").code == 0
    early = q(cli, ws, "audit", "close", AID)
    assert early.code == 2 and "open nonconformities (NC-2026-FOE-801)" in early.err
    # take the NC through CAPA
    nc = "NC-2026-FOE-801"
    assert q(cli, ws, "capa", "update", nc, "--correction", "suspended the two MCs",
             "--root-cause", "validation step missing from the lifecycle model", "--method", "5-whys",
             "--similar", "checked all 14 MCs: 2 affected", "--action", "add a validation gate",
             "--owner", "Dr Kim", "--due", "2026-12-01").code == 0
    assert q(cli, ws, "capa", "update", nc, "--done", "A1", "--done-note", "gate live").code == 0
    assert q(cli, ws, "capa", "verify", nc, "--by", "Dr Lee", "--result", "effective",
             "--method", "sampled 5 MCs launched since").code == 0
    assert q(cli, ws, "capa", "close", nc).code == 0
    not_reported = q(cli, ws, "audit", "close", AID)
    assert not_reported.code == 2 and "report it first" in not_reported.err
    assert q(cli, ws, "audit", "status", AID, "reported").code == 0
    closed = q(cli, ws, "audit", "close", AID, "--note", "all NCs closed")
    assert closed.code == 0, closed.err
    before = snapshot_files(ws / "audits" / AID)
    for args in (["audit", "rate", AID, "4.2.a", "--grade", "c"],
                 ["audit", "evidence", "add", AID, "4.2.a", "--phase", "P", "--kind", "document", "--text", "x"],
                 ["audit", "status", AID, "follow_up"]):
        refused = q(cli, ws, *args)
        assert refused.code == 2 and "is closed" in refused.err, refused.err
    assert snapshot_files(ws / "audits" / AID) == before
    assert q(cli, ws, "verify", AID).code == 0
    no_reason = q(cli, ws, "audit", "reopen", AID)
    assert no_reason.code == 2
    reopened = q(cli, ws, "audit", "reopen", AID, "--reason", "external reviewer asked for more evidence")
    assert reopened.code == 0
    assert q(cli, ws, "audit", "rate", AID, "4.2.a", "--grade", "c").code == 0
    assert q(cli, ws, "verify", AID).code == 0
    log = json.loads(q(cli, ws, "audit", "log", AID, "--json").out)
    assert [e["action"] for e in log if e["action"].startswith("audit.")][-2:] == ["audit.close", "audit.reopen"]


def test_score_json_has_the_documented_keys(ws, cli):
    q(cli, ws, "audit", "rate", AID, "4.1.a", "--grade", "c")
    data = json.loads(q(cli, ws, "score", AID, "--json").out)
    for key in ("overall", "coverage", "verdict", "clauses", "pdca", "maturity"):
        assert key in data
    assert set(data["pdca"]) == {"P", "D", "C", "A"}
    assert set(data["clauses"]) == {"1", "4", "5", "6", "7", "8", "9", "10"}
    assert {"score", "coverage", "band"} <= set(data["clauses"]["4"])
    assert data["verdict"] == "incomplete"


def test_evidence_file_is_copied_with_its_hash(ws, cli, tmp_path):
    source = tmp_path / "Needs analysis 2026.pdf"
    source.write_bytes(b"%PDF-1.4 needs analysis")
    result = q(cli, ws, "audit", "evidence", "add", AID, "4.2.a", "--phase", "P", "--kind", "document", "--text",
               "approved needs analysis", "--file", source, "--sample", "3", "--population", "12")
    assert result.code == 0, result.err
    source.write_bytes(b"changed afterwards")  # the audit holds its own copy
    shown = json.loads(q(cli, ws, "audit", "show", AID, "--json").out)
    ev = shown["results"]["4.2.a"]["evidence"][0]
    import hashlib

    stored = ws / "audits" / AID / ev["file"]["path"]
    assert stored.read_bytes() == b"%PDF-1.4 needs analysis"
    assert ev["file"]["sha256"] == hashlib.sha256(b"%PDF-1.4 needs analysis").hexdigest()
    assert ev["sample"] == {"size": 3, "population": 12}
    assert ev["collected_by"] == "Test Auditor"


def test_evidence_file_over_the_limit_is_refused(ws, cli, tmp_path, monkeypatch):
    import qms_audit.services.auditing as auditing

    monkeypatch.setattr(auditing, "MAX_EVIDENCE_BYTES", 1024)
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 2048)
    result = q(cli, ws, "audit", "evidence", "add", AID, "4.2.a", "--phase", "D", "--kind", "record", "--text", "t",
               "--file", big)
    assert result.code == 2 and "limited to 1.0 KB" in result.err
    assert not (ws / "audits" / AID / "evidence").exists()


def test_lock_held_by_another_writer_gives_exit_3_and_names_the_holder(ws, cli, monkeypatch):
    from qms_audit.infra.locations import Workspace
    from qms_audit.store.audits import AuditStore

    monkeypatch.setenv("QMS_AUDIT_LOCK_TIMEOUT", "0.2")
    before = snapshot_files(ws / "audits" / AID)
    store = AuditStore(Workspace(ws), AID)
    with store.lock("Ms Ong"):
        result = q(cli, ws, "audit", "rate", AID, "4.2.a", "--grade", "c")
    assert result.code == 3
    assert "is locked by Ms Ong" in result.err and "nothing was changed" in result.err
    assert snapshot_files(ws / "audits" / AID) == before


def test_hand_edited_record_that_no_longer_validates(ws, cli):
    q(cli, ws, "audit", "rate", AID, "4.1.a", "--grade", "c")
    path = ws / "audits" / AID / "results" / "clause-04.json"
    path.write_text(path.read_text().replace('"conformity"', '"excellent"'))
    result = q(cli, ws, "score", AID)
    assert result.code == 2
    assert "clause-04.json:" in result.err and "results.4.1.a.grade" in result.err
    broken = q(cli, ws, "audit", "rate", AID, "4.1.b", "--grade", "c")
    assert broken.code == 2
    path.write_text("{ not json")
    result = q(cli, ws, "score", AID)
    assert result.code == 2 and "malformed JSON" in result.err


def test_status_moves_follow_the_lifecycle(ws, cli):
    bad = q(cli, ws, "audit", "status", AID, "follow_up")
    assert bad.code == 2 and "cannot move from planned to follow_up" in bad.err
    assert q(cli, ws, "audit", "status", AID, "in_progress").code == 0
    assert q(cli, ws, "audit", "status", AID, "reported").code == 0
    assert q(cli, ws, "audit", "status", AID, "follow_up").code == 0


def test_rerating_withdraws_an_untouched_finding_and_escalation_keeps_the_id(ws, cli):
    q(cli, ws, "audit", "rate", AID, "8.1.c", "--grade", "minor", "--note", "one MC not validated")
    q(cli, ws, "audit", "rate", AID, "8.1.c", "--grade", "major", "--note", "two MCs not validated")
    shown = json.loads(q(cli, ws, "audit", "show", AID, "--json").out)
    assert [(f["id"], f["grade"]) for f in shown["findings"]] == [("NC-2026-FOE-801", "major_nc")]
    q(cli, ws, "audit", "rate", AID, "8.1.c", "--grade", "c", "--note", "validation records found later")
    shown = json.loads(q(cli, ws, "audit", "show", AID, "--json").out)
    assert shown["findings"][0]["withdrawn"].startswith("re-rated conformity")
    # a finding with a CAPA step recorded cannot silently disappear
    q(cli, ws, "audit", "rate", AID, "8.2.a", "--grade", "minor", "--note", "skill sets not mapped")
    q(cli, ws, "capa", "update", "NC-2026-FOE-802", "--correction", "mapping started")
    refused = q(cli, ws, "audit", "rate", AID, "8.2.a", "--grade", "c")
    assert refused.code == 2 and "cannot be rated better than that finding" in refused.err


def test_three_minors_flag_escalation(ws, cli):
    q(cli, ws, "audit", "rate", AID, "8.3.a", "--grade", "minor", "--note", "programme A")
    q(cli, ws, "audit", "finding", "add", AID, "8.3.a", "--grade", "minor", "--statement", "programme B")
    third = q(cli, ws, "audit", "finding", "add", AID, "8.3.a", "--grade", "minor", "--statement", "programme C")
    assert third.code == 0 and "consider escalating" in third.err
    data = json.loads(q(cli, ws, "score", AID, "--json").out)
    assert data["escalations"] == [{"ref": "8.3.a", "minors": 3}]


def test_auditee_response_and_diverging_opinion(ws, cli):
    q(cli, ws, "audit", "rate", AID, "8.1.c", "--grade", "major", "--note", "no validation")
    empty = q(cli, ws, "audit", "finding", "respond", AID, "NC-2026-FOE-801", "--position", "disputed", "--by", "Dean")
    assert empty.code == 2
    ok = q(cli, ws, "audit", "finding", "respond", AID, "NC-2026-FOE-801", "--position", "disputed", "--by",
           "Prof Ali", "--text", "validation happened informally")
    assert ok.code == 0
    shown = json.loads(q(cli, ws, "nc", "show", "NC-2026-FOE-801", "--json").out)
    assert shown["response"]["position"] == "disputed" and shown["response"]["by"] == "Prof Ali"
