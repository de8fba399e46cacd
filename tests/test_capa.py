"""Corrective action through ISO 9001 10.2, with its gates, from the command line."""

from __future__ import annotations

import json

import pytest

AID = "2026-foe-mc-qms"
NC = "NC-2026-FOE-801"


@pytest.fixture
def ws(cli, workspace, monkeypatch):
    monkeypatch.setenv("QMS_AUDIT_NOW", "2026-10-02T09:00:00Z")
    assert cli("-w", workspace, "audit", "new", "--standard", "mc-qms", "--title", "t", "--auditee",
               "Faculty of Engineering", "--lead", "Test Auditor (QA Unit)", "--start", "2026-10-01").code == 0
    assert cli("-w", workspace, "audit", "rate", AID, "8.1.c", "--grade", "major", "--note",
               "two MCs launched without validation").code == 0
    return workspace


def q(cli, ws, *args):
    return cli("-w", ws, *args)


def show(cli, ws, finding=NC):
    return json.loads(q(cli, ws, "nc", "show", finding, "--json").out)


def test_full_capa_cycle_with_not_effective_reopening(ws, cli, monkeypatch):
    assert show(cli, ws)["stage"] == "open"
    assert q(cli, ws, "capa", "update", NC, "--correction", "suspended the two MCs", "--containment",
             "learners told; certificates on hold").code == 0
    assert show(cli, ws)["stage"] == "correction"
    no_method = q(cli, ws, "capa", "update", NC, "--root-cause", "no gate")
    assert no_method.code == 2 and "needs the method" in no_method.err
    assert q(cli, ws, "capa", "update", NC, "--root-cause", "the lifecycle model has no validation gate",
             "--method", "5-whys", "--analysis", "why 1 ... why 5", "--similar", "2 of 14 MCs affected").code == 0
    assert show(cli, ws)["stage"] == "analysed"
    assert q(cli, ws, "capa", "update", NC, "--action", "add a validation gate", "--action", "train managers",
             "--owner", "Dr Kim", "--owner", "Ms Ong", "--due", "2026-11-01", "--due", "2026-11-15").code == 0
    data = show(cli, ws)
    assert data["stage"] == "actions-in-progress"
    assert [(a["id"], a["owner"]) for a in data["capa"]["actions"]] == [("A1", "Dr Kim"), ("A2", "Ms Ong")]
    early = q(cli, ws, "capa", "verify", NC, "--by", "Dr Lee", "--result", "effective", "--method", "m")
    assert early.code == 2 and "not done yet" in early.err
    early_close = q(cli, ws, "capa", "close", NC)
    assert early_close.code == 2 and "effective verification" in early_close.err
    assert q(cli, ws, "capa", "update", NC, "--done", "A1", "--done", "A2").code == 0
    assert show(cli, ws)["stage"] == "awaiting-verification"
    by_owner = q(cli, ws, "capa", "verify", NC, "--by", "dr  kim", "--result", "effective", "--method", "m")
    assert by_owner.code == 2 and "must be verified by someone else" in by_owner.err
    monkeypatch.setenv("QMS_AUDIT_NOW", "2026-11-20T09:00:00Z")
    assert q(cli, ws, "capa", "verify", NC, "--by", "Dr Lee", "--result", "not-effective", "--method",
             "sampled 5 new MCs: 1 still launched without validation").code == 0
    assert show(cli, ws)["stage"] == "reopened"
    reclose = q(cli, ws, "capa", "close", NC)
    assert reclose.code == 2 and "since the last 'not effective' result" in reclose.err
    again = q(cli, ws, "capa", "verify", NC, "--by", "Dr Lee", "--result", "effective", "--method", "m")
    assert again.code == 2 and "no corrective action to verify since" in again.err
    assert q(cli, ws, "capa", "update", NC, "--action", "block launch in the LMS without a validation record",
             "--owner", "Mr Tan", "--due", "2026-12-01").code == 0
    assert q(cli, ws, "capa", "update", NC, "--done", "A3").code == 0
    assert q(cli, ws, "capa", "verify", NC, "--by", "Dr Lee", "--result", "effective", "--method",
             "sampled 6 MCs launched after the change").code == 0
    assert show(cli, ws)["stage"] == "verified"
    assert q(cli, ws, "capa", "update", NC, "--risk-update", "risk R4 re-rated low",
             "--qms-update", "lifecycle model v3").code == 0
    assert q(cli, ws, "capa", "close", NC, "--note", "effective").code == 0
    data = show(cli, ws)
    assert data["stage"] == "closed"
    stages = [h["stage"] for h in data["capa"]["history"]]
    assert stages == ["correction", "analysed", "actions-in-progress", "awaiting-verification", "reopened",
                      "actions-in-progress", "awaiting-verification", "verified", "closed"]
    again = q(cli, ws, "capa", "update", NC, "--correction", "more")
    assert again.code == 2 and "is closed" in again.err
    score = json.loads(q(cli, ws, "score", AID, "--json").out)
    assert score["findings"]["major_nc"] == {"total": 1, "open": 0}
    # each verification of effectiveness is an electronic signature of the person who recorded it
    log = json.loads(q(cli, ws, "audit", "log", AID, "--json").out)
    verifications = [e for e in log if e["action"] == "capa.verify"]
    assert len(verifications) == 2
    assert all(e["signed_by"]["meaning"].startswith(f"recorded that the corrective action of {NC} was verified")
               and e["signature"] for e in verifications)
    assert q(cli, ws, "verify", AID).code == 0


def test_overdue_is_flagged(ws, cli, monkeypatch):
    assert q(cli, ws, "capa", "update", NC, "--action", "fix", "--owner", "Dr Kim", "--due", "2026-10-10").code == 0
    assert json.loads(q(cli, ws, "nc", "list", "--overdue", "--json").out) == []
    monkeypatch.setenv("QMS_AUDIT_NOW", "2026-10-11T09:00:00Z")
    rows = json.loads(q(cli, ws, "nc", "list", "--overdue", "--json").out)
    assert [r["id"] for r in rows] == [NC] and rows[0]["overdue"] is True
    table = q(cli, ws, "nc", "list")
    assert "OVERDUE" in table.out


def test_nc_without_actions_is_overdue_after_its_response_date(ws, cli, monkeypatch):
    monkeypatch.setenv("QMS_AUDIT_NOW", "2026-12-31T09:00:00Z")  # major: 30 days from 2026-10-02
    rows = json.loads(q(cli, ws, "nc", "list", "--open", "--json").out)
    assert rows[0]["overdue"] is True


def test_capa_on_an_ofi_is_refused(ws, cli):
    q(cli, ws, "audit", "rate", AID, "4.2.d", "--grade", "ofi", "--note", "SOP could cite data sources")
    refused = q(cli, ws, "capa", "update", "OFI-2026-FOE-401", "--correction", "x")
    assert refused.code == 2 and "applies to nonconformities" in refused.err


def test_unknown_finding_and_action(ws, cli):
    unknown = q(cli, ws, "capa", "update", "NC-2026-FOE-009", "--correction", "x")
    assert unknown.code == 2 and "unknown finding" in unknown.err and "NC-2026-FOE-801" in unknown.err
    bad_action = q(cli, ws, "capa", "update", NC, "--done", "A7")
    assert bad_action.code == 2 and "has no action A7" in bad_action.err
    nothing = q(cli, ws, "capa", "update", NC)
    assert nothing.code == 2 and "nothing to record" in nothing.err


def test_ncs_from_outside_audits(ws, cli):
    raised = q(cli, ws, "nc", "new", "--source", "complaint", "--grade", "minor", "--unit",
               "Micro-Credential Centre", "--unit-code", "MCC", "--statement",
               "learner waited 10 weeks for a certificate", "--standard", "mc-qms", "--ref", "8.3.c")
    assert raised.code == 0, raised.err
    assert "NC-2026-MCC-001" in raised.out
    rows = {r["id"]: r for r in json.loads(q(cli, ws, "nc", "list", "--json").out)}
    assert rows["NC-2026-MCC-001"]["source"] == "complaint" and rows["NC-2026-MCC-001"]["audit"] is None
    assert q(cli, ws, "capa", "update", "NC-2026-MCC-001", "--root-cause", "manual issuing",
             "--method", "ishikawa", "--similar", "none", "--action", "automate", "--owner", "Ms Ong",
             "--due", "2026-11-01").code == 0
    assert q(cli, ws, "verify", "--all").code == 0
    bad = q(cli, ws, "nc", "new", "--source", "gossip", "--grade", "minor", "--unit", "X", "--statement", "s")
    assert bad.code == 2 and "unknown source" in bad.err


# --- dates a CAPA records -------------------------------------------------------------------------------------


def finding_file(ws):
    return ws / "audits" / AID / "findings" / f"{NC}.json"


def log_names(ws, folder):
    return sorted(p.name for p in (folder / "log").iterdir())


def test_an_action_due_years_before_the_nc_was_raised_is_refused(ws, cli):
    before = finding_file(ws).read_bytes()
    logged = log_names(ws, ws / "audits" / AID)
    refused = q(cli, ws, "capa", "update", NC, "--correction", "suspended the two MCs", "--action", "add a gate",
                "--owner", "Dr Kim", "--due", "2023-01-01")
    assert refused.code == 2
    assert refused.err_lines == [f"error: action due 2023-01-01 is before {NC} was raised (2026-10-02); "
                                 "give a later --due"]
    assert finding_file(ws).read_bytes() == before  # the correction given with it was not written either
    assert log_names(ws, ws / "audits" / AID) == logged
    # the day it was raised is the earliest accepted
    assert q(cli, ws, "capa", "update", NC, "--action", "add a gate", "--owner", "Dr Kim", "--due",
             "2026-10-02").code == 0


def test_response_due_dates_before_the_nc_are_refused(ws, cli):
    folder = ws / "audits" / AID
    before = {p.name: p.read_bytes() for p in (folder / "findings").iterdir()}
    further = q(cli, ws, "audit", "finding", "add", AID, "8.1.c", "--grade", "minor", "--statement", "MC 4",
                "--due", "2020-05-01")
    assert further.code == 2 and len(further.err_lines) == 1
    assert "response due 2020-05-01 is before NC-2026-FOE-802 is raised (today, 2026-10-02)" in further.err
    assert {p.name: p.read_bytes() for p in (folder / "findings").iterdir()} == before
    outside = q(cli, ws, "nc", "new", "--source", "complaint", "--grade", "minor", "--unit", "Micro-Credential Centre",
                "--unit-code", "MCC", "--statement", "certificate late", "--due", "2026-10-01")
    assert outside.code == 2 and len(outside.err_lines) == 1
    assert "response due 2026-10-01 is before NC-2026-MCC-001 is raised (today, 2026-10-02)" in outside.err
    assert not list((ws / "ncs").glob("*.json"))
    assert q(cli, ws, "verify", "--all").code == 0


def test_a_verification_before_the_action_was_done_is_refused(ws, cli, monkeypatch):
    assert q(cli, ws, "capa", "update", NC, "--action", "add a gate", "--owner", "Dr Kim", "--due",
             "2026-11-01").code == 0
    monkeypatch.setenv("QMS_AUDIT_NOW", "2026-10-20T09:00:00Z")
    assert q(cli, ws, "capa", "update", NC, "--done", "A1").code == 0
    monkeypatch.setenv("QMS_AUDIT_NOW", "2026-11-20T09:00:00Z")
    before = finding_file(ws).read_bytes()
    early = q(cli, ws, "capa", "verify", NC, "--by", "Dr Lee", "--result", "effective", "--method", "m",
              "--on", "2026-10-19")
    assert early.code == 2
    assert early.err_lines == [f"error: verification on 2026-10-19 is before action A1 of {NC} was done "
                               "(2026-10-20); give a later --on"]
    future = q(cli, ws, "capa", "verify", NC, "--by", "Dr Lee", "--result", "effective", "--method", "m",
               "--on", "2026-11-21")
    assert future.code == 2 and "is in the future" in future.err
    assert finding_file(ws).read_bytes() == before
    assert q(cli, ws, "capa", "verify", NC, "--by", "Dr Lee", "--result", "effective", "--method", "m",
             "--on", "2026-10-20").code == 0


def test_the_date_rules_need_no_disk():
    import datetime as dt

    from qms_audit.domain.capa_rules import check_due_date, check_verification_date
    from qms_audit.infra.errors import BadInput
    from qms_audit.model.audit import ActionStatus, CapaAction

    raised = dt.date(2026, 10, 13)
    check_due_date(raised, finding_id=NC, raised_on=raised)
    with pytest.raises(BadInput, match=r"^action due 2023-01-01 is before NC-2026-FOE-801 was raised \(2026-10-13\); "
                                       r"give a later --due$"):
        check_due_date(dt.date(2023, 1, 1), finding_id=NC, raised_on=raised)

    def action(action_id, status, done_day):
        at = dt.datetime(2026, 10, done_day, 9, tzinfo=dt.UTC)
        return CapaAction(id=action_id, description="d", owner="o", due=dt.date(2026, 11, 1), status=status,
                          done_at=at, planned_by="p", planned_at=at)

    actions = [action("A1", ActionStatus.DONE, 20), action("A2", ActionStatus.DONE, 25),
               action("A3", ActionStatus.CANCELLED, 30)]
    today = dt.date(2026, 11, 30)
    # a cancelled action's date does not hold the verification back; the last one done does
    check_verification_date(dt.date(2026, 10, 25), actions, finding_id=NC, raised_on=raised, today=today)
    with pytest.raises(BadInput, match=r"before action A2 of NC-2026-FOE-801 was done \(2026-10-25\)"):
        check_verification_date(dt.date(2026, 10, 24), actions, finding_id=NC, raised_on=raised, today=today)
    with pytest.raises(BadInput, match="is before NC-2026-FOE-801 was raised"):
        check_verification_date(dt.date(2026, 10, 1), [], finding_id=NC, raised_on=raised, today=today)
    with pytest.raises(BadInput, match="in the future"):
        check_verification_date(dt.date(2026, 12, 1), actions, finding_id=NC, raised_on=raised, today=today)
