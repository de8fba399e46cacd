"""Evidence entries as records of their own: edited and removed with a logged reason, linked to findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qms_audit.infra.errors import BadInput, Conflict, NotFound, Refused
from qms_audit.infra.locations import Workspace
from qms_audit.model.audit import AuditStatus, EvidenceKind, Grade
from qms_audit.model.common import Phase
from qms_audit.services import auditing
from qms_audit.views.session import AuditSession

AID = "2026-foe-mc-qms"
ACTOR = "Test Auditor"


@pytest.fixture
def ws(cli, workspace, monkeypatch):
    monkeypatch.setenv("QMS_AUDIT_NOW", "2026-10-02T09:00:00Z")
    result = cli("-w", workspace, "audit", "new", "--standard", "mc-qms", "--title", "Internal audit of FoE",
                 "--auditee", "Faculty of Engineering", "--lead", "Test Auditor (Quality Assurance Unit)",
                 "--start", "2026-10-01")
    assert result.code == 0, result.err
    return workspace


def q(cli, ws, *args):
    return cli("-w", ws, *args)


def add(cli, ws, ref, text, *extra) -> str:
    result = q(cli, ws, "audit", "evidence", "add", AID, ref, "--phase", "D", "--kind", "record", "--text", text,
               *extra)
    assert result.code == 0, result.err
    return result.out.split("evidence ", 1)[1].split()[0]


def entries(cli, ws, ref) -> dict[str, dict]:
    listed = q(cli, ws, "audit", "evidence", "list", AID, ref, "--json")
    assert listed.code == 0, listed.err
    return {e["id"]: e for e in json.loads(listed.out)}


def finding(cli, ws, finding_id) -> dict:
    return json.loads(q(cli, ws, "nc", "show", finding_id, "--json").out)


def log(cli, ws) -> list[dict]:
    return json.loads(q(cli, ws, "audit", "log", AID, "--json").out)


def files(ws: Path) -> dict[str, bytes]:
    folder = ws / "audits" / AID
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.startswith(".lock")}


def verified(cli, ws) -> bool:
    result = q(cli, ws, "verify", AID)
    return result.code == 0 and result.out.startswith("ok  ")


def close(ws: Path) -> None:
    opened = auditing.open_audit(Workspace(ws), AID, actor=ACTOR)
    auditing.set_status(opened, AuditStatus.REPORTED, actor=ACTOR)
    auditing.close_audit(opened, actor=ACTOR)


# --- editing ------------------------------------------------------------------------------------------------


def test_edit_changes_only_the_given_fields_and_logs_old_and_new_values(ws, cli, tmp_path, monkeypatch):
    source = tmp_path / "panel.pdf"
    source.write_bytes(b"%PDF validation panel")
    eid = add(cli, ws, "8.1.c", "validation records of 3 MCs", "--file", source, "--reference", "VP-12",
              "--sample", "3", "--population", "12")
    before = entries(cli, ws, "8.1.c")[eid]
    monkeypatch.setenv("QMS_AUDIT_NOW", "2026-10-03T14:00:00Z")
    monkeypatch.setenv("QMS_AUDIT_USER", "Ms Ong")
    edited = q(cli, ws, "audit", "evidence", "edit", AID, "8.1.c", eid, "--reason", "four were sampled, not three",
               "--text", "validation records of 4 sampled MCs", "--sample", "4", "--phase", "C")
    assert edited.code == 0, edited.err
    after = entries(cli, ws, "8.1.c")[eid]
    assert after["text"] == "validation records of 4 sampled MCs"
    assert after["sample"] == {"size": 4, "population": 12}
    assert after["phase"] == "C"
    # what was not given, the file and who collected it stay as they were
    for key in ("kind", "reference", "file", "collected_by", "collected_at"):
        assert after[key] == before[key], key
    assert (after["edited_by"], after["edited_at"]) == ("Ms Ong", "2026-10-03T14:00:00Z")

    entry = log(cli, ws)[-1]
    assert (entry["action"], entry["actor"], entry["reason"]) == ("evidence.edit", "Ms Ong",
                                                                  "four were sampled, not three")
    changes = {c["field"]: (c["before"], c["after"]) for c in entry["changes"]}
    assert changes == {
        f"8.1.c.evidence.{eid}.text": ("validation records of 3 MCs", "validation records of 4 sampled MCs"),
        f"8.1.c.evidence.{eid}.phase": ("D", "C"),
        f"8.1.c.evidence.{eid}.sample": ({"size": 3, "population": 12}, {"size": 4, "population": 12}),
    }
    shown = q(cli, ws, "audit", "log", AID, "--limit", "1").out
    assert f"evidence.edit    edited evidence {eid} of 8.1.c  (reason: four were sampled, not three)" in shown
    assert verified(cli, ws)


def test_edit_clears_the_reference_and_the_sample(ws, cli):
    eid = add(cli, ws, "4.2.a", "needs analysis", "--reference", "NA-7", "--sample", "2")
    assert q(cli, ws, "audit", "evidence", "edit", AID, "4.2.a", eid, "--reason", "not sampled", "--reference", "",
             "--no-sample").code == 0
    after = entries(cli, ws, "4.2.a")[eid]
    assert "reference" not in after and "sample" not in after


def test_an_edit_that_changes_nothing_writes_nothing(ws, cli):
    eid = add(cli, ws, "4.2.a", "needs analysis")
    before = files(ws)
    same = q(cli, ws, "audit", "evidence", "edit", AID, "4.2.a", eid, "--reason", "checked", "--text", "needs analysis")
    assert same.code == 0, same.err
    assert files(ws) == before


@pytest.mark.parametrize("args, message", [
    (["--text", "  "], "the evidence description is empty"),
    (["--sample", "20"], "the sample (20) is larger than its population (12)"),
    (["--population", "1"], "the sample (3) is larger than its population (1)"),
    ([], "nothing to change"),
    (["--sample", "4", "--no-sample"], "not both"),
    (["--reason", " ", "--text", "x"], "say why the evidence entry is changed"),
])
def test_bad_edits_are_one_line_exit_2_and_change_nothing(ws, cli, args, message):
    eid = add(cli, ws, "4.2.a", "needs analysis", "--sample", "3", "--population", "12")
    before = files(ws)
    reason = [] if "--reason" in args else ["--reason", "r"]
    result = q(cli, ws, "audit", "evidence", "edit", AID, "4.2.a", eid, *reason, *args)
    assert result.code == 2, result.out + result.err
    assert message in result.err and len(result.err_lines) == 1, result.err
    assert files(ws) == before


def test_unknown_entries_are_named_with_the_ids_the_requirement_has(ws, cli):
    eid = add(cli, ws, "4.2.a", "needs analysis")
    before = files(ws)
    for command in (["edit", AID, "4.2.a", "E-00000000", "--reason", "r", "--text", "x"],
                    ["remove", AID, "4.2.a", "E-00000000", "--reason", "r"]):
        result = q(cli, ws, "audit", "evidence", *command)
        assert result.code == 2
        assert result.err_lines == [f"error: 4.2.a has no evidence entry E-00000000 (its entries: {eid})"]
    empty = q(cli, ws, "audit", "evidence", "remove", AID, "4.2.b", eid, "--reason", "r")
    assert empty.err_lines == [f"error: 4.2.b has no evidence entry {eid} (its entries: none)"]
    assert files(ws) == before


def test_edit_and_remove_are_refused_on_a_closed_audit(ws, cli):
    eid = add(cli, ws, "4.2.a", "needs analysis")
    close(ws)
    before = files(ws)
    for command in (["evidence", "edit", AID, "4.2.a", eid, "--reason", "r", "--text", "changed"],
                    ["evidence", "remove", AID, "4.2.a", eid, "--reason", "r"],
                    ["evidence", "add", AID, "4.2.a", "--phase", "P", "--kind", "document", "--text", "x"]):
        refused = q(cli, ws, "audit", *command)
        assert refused.code == 2, refused.out
        assert len(refused.err_lines) == 1 and f"audit {AID} is closed" in refused.err, refused.err
    opened = auditing.open_audit(Workspace(ws), AID, actor=ACTOR)
    with pytest.raises(Refused, match="is closed"):
        auditing.update_evidence(opened, "4.2.a", eid, actor=ACTOR, reason="r", text="changed")
    assert files(ws) == before
    assert entries(cli, ws, "4.2.a")[eid]["text"] == "needs analysis"
    assert verified(cli, ws)


# --- removing -----------------------------------------------------------------------------------------------


def test_removing_an_entry_unlinks_it_from_every_finding(ws, cli):
    kept = add(cli, ws, "8.1.c", "panel minutes for MC 1")
    gone = add(cli, ws, "8.1.c", "panel minutes for MC 2")
    assert q(cli, ws, "audit", "rate", AID, "8.1.c", "--grade", "minor", "--note", "MC 3 not validated").code == 0
    assert q(cli, ws, "audit", "finding", "add", AID, "8.1.c", "--grade", "minor", "--statement",
             "MC 4 not validated").code == 0
    assert finding(cli, ws, "NC-2026-FOE-801")["evidence_ids"] == [kept, gone]
    assert finding(cli, ws, "NC-2026-FOE-802")["evidence_ids"] == [kept, gone]

    removed = q(cli, ws, "audit", "evidence", "remove", AID, "8.1.c", gone, "--reason", "minutes of another unit")
    assert removed.code == 0, removed.err
    assert list(entries(cli, ws, "8.1.c")) == [kept]
    for finding_id in ("NC-2026-FOE-801", "NC-2026-FOE-802"):
        assert finding(cli, ws, finding_id)["evidence_ids"] == [kept]
    # one transaction: the result and both findings are written by the same log entry
    entry = log(cli, ws)[-1]
    assert entry["action"] == "evidence.remove" and entry["reason"] == "minutes of another unit"
    assert sorted(entry["files"]) == ["findings/NC-2026-FOE-801.json", "findings/NC-2026-FOE-802.json",
                                      "results/clause-08.json"]
    assert verified(cli, ws)


# --- linking on the way in: ratings and raised findings ------------------------------------------------------


def test_rating_a_requirement_that_has_evidence_links_it(ws, cli):
    first = add(cli, ws, "8.1.c", "panel minutes for MC 1")
    rated = q(cli, ws, "audit", "rate", AID, "8.1.c", "--grade", "minor", "--note", "MC 3 not validated")
    assert "1 evidence entry linked" in rated.out
    shown = json.loads(q(cli, ws, "audit", "show", AID, "--json").out)
    assert [(f["id"], f["evidence_ids"]) for f in shown["findings"]] == [("NC-2026-FOE-801", [first])]
    assert shown["findings"][0]["evidence"] == "panel minutes for MC 1"
    # escalating minor -> major keeps the finding, its id and its links
    add(cli, ws, "8.1.c", "launch calendar")
    assert q(cli, ws, "audit", "rate", AID, "8.1.c", "--grade", "major", "--note", "two MCs").code == 0
    major = finding(cli, ws, "NC-2026-FOE-801")
    assert (major["grade"], major["evidence_ids"]) == ("major_nc", [first])
    assert verified(cli, ws)


def test_every_domain_path_that_raises_a_finding_links_the_evidence(ws):
    session = AuditSession(Workspace(ws), AID, ACTOR)
    ev = session.add_evidence("8.1.c", phase=Phase.DO, kind=EvidenceKind.RECORD, text="panel minutes",
                              reference=None, file=None, sample_size=None, population=None)
    session.rate("8.1.c", Grade.MINOR_NC, statement="MC 3 not validated")
    assert [f.evidence_ids for f in session.findings_for("8.1.c")] == [[ev.id]]
    raised = session.raise_finding("8.1.c", Grade.MINOR_NC, "MC 4 not validated")
    assert raised.evidence_ids == [ev.id]
    opened = auditing.open_audit(Workspace(ws), AID, actor=ACTOR)
    other = auditing.add_evidence(opened, "7.1.a", phase=Phase.DO, kind=EvidenceKind.RECORD,
                                  text="assessor certificates", actor=ACTOR)
    auditing.rate(opened, "7.1.a", Grade.OBSERVATION, actor=ACTOR, note="one certificate expires soon")
    assert [f.evidence_ids for f in opened.snapshot.findings_for("7.1.a")] == [[other.id]]


def test_rating_before_any_evidence_leaves_the_finding_unlinked_until_evidence_names_it(ws, cli):
    # The usual order in the TUI: rate first, then record what was seen. The rating has nothing to link, so
    # the evidence added afterwards has to name the finding.
    assert q(cli, ws, "audit", "rate", AID, "8.1.c", "--grade", "minor", "--note", "MC 3 not validated").code == 0
    assert finding(cli, ws, "NC-2026-FOE-801")["evidence_ids"] == []
    first = add(cli, ws, "8.1.c", "panel minutes for MC 1", "--finding", "NC-2026-FOE-801")
    linked = finding(cli, ws, "NC-2026-FOE-801")
    assert linked["evidence_ids"] == [first]
    assert linked["evidence"] == "panel minutes for MC 1"  # an empty summary is filled from the entry
    assert log(cli, ws)[-1]["action"] == "evidence.add"  # the link is part of the same change
    second = add(cli, ws, "8.1.c", "launch calendar", "--finding", "NC-2026-FOE-801")
    linked = finding(cli, ws, "NC-2026-FOE-801")
    assert linked["evidence_ids"] == [first, second]
    assert linked["evidence"] == "panel minutes for MC 1"  # a summary already written is the auditor's own
    assert "evidence entries: " + ", ".join([first, second]) in q(cli, ws, "nc", "show", "NC-2026-FOE-801").out
    assert verified(cli, ws)


@pytest.mark.parametrize("finding_id, message", [
    ("NC-2026-FOE-401", "NC-2026-FOE-401 is a finding on 4.2.b, not on 8.1.c"),
    ("NC-2026-FOE-899", "audit 2026-foe-mc-qms has no finding NC-2026-FOE-899"),
])
def test_evidence_cannot_name_a_finding_of_another_requirement(ws, cli, tmp_path, finding_id, message):
    assert q(cli, ws, "audit", "rate", AID, "4.2.b", "--grade", "minor", "--note", "no SOP").code == 0
    source = tmp_path / "minutes.pdf"
    source.write_bytes(b"minutes")
    before = files(ws)
    result = q(cli, ws, "audit", "evidence", "add", AID, "8.1.c", "--phase", "D", "--kind", "record", "--text", "t",
               "--file", source, "--finding", finding_id)
    assert result.code == 2 and message in result.err and len(result.err_lines) == 1, result.err
    assert files(ws) == before  # not even the file was copied in


# --- linking and unlinking afterwards ------------------------------------------------------------------------


def test_link_and_unlink_existing_entries(ws, cli):
    assert q(cli, ws, "audit", "rate", AID, "8.1.c", "--grade", "minor", "--note", "MC 3 not validated").code == 0
    one = add(cli, ws, "8.1.c", "panel minutes for MC 1")
    two = add(cli, ws, "8.1.c", "launch calendar")
    linked = q(cli, ws, "audit", "finding", "link", AID, "NC-2026-FOE-801", one, two)
    assert linked.code == 0, linked.err
    assert linked.out.strip() == f"NC-2026-FOE-801: linked to {one}, {two}"
    entry = log(cli, ws)[-1]
    assert entry["action"] == "finding.link"
    assert {c["field"]: c["after"] for c in entry["changes"]}["NC-2026-FOE-801.evidence_ids"] == [one, two]
    listed = entries(cli, ws, "8.1.c")
    assert listed[one]["findings"] == ["NC-2026-FOE-801"]

    unlinked = q(cli, ws, "audit", "finding", "unlink", AID, "NC-2026-FOE-801", one)
    assert unlinked.code == 0, unlinked.err
    data = finding(cli, ws, "NC-2026-FOE-801")
    assert data["evidence_ids"] == [two]
    assert data["evidence"] == "panel minutes for MC 1; launch calendar"  # unlinking leaves the summary
    assert list(entries(cli, ws, "8.1.c")) == [one, two]  # and the entries themselves
    assert log(cli, ws)[-1]["action"] == "finding.unlink"
    assert verified(cli, ws)


def test_bad_links_name_the_ids_and_change_nothing(ws, cli):
    assert q(cli, ws, "audit", "rate", AID, "8.1.c", "--grade", "minor", "--note", "MC 3 not validated").code == 0
    own = add(cli, ws, "8.1.c", "panel minutes")
    foreign = add(cli, ws, "4.2.a", "needs analysis")
    before = files(ws)
    cases = [
        (["link", AID, "NC-2026-FOE-801", "E-0000aaaa", "E-0000bbbb"],
         f"error: audit {AID} has no evidence entries E-0000aaaa, E-0000bbbb (entries of 8.1.c: {own})"),
        (["link", AID, "NC-2026-FOE-801", foreign],
         f"error: {foreign} is evidence of 4.2.a, not of 8.1.c: a finding links only evidence of its own "
         "requirement"),
        (["unlink", AID, "NC-2026-FOE-801", own], f"error: {own} is not linked to NC-2026-FOE-801 (linked: none)"),
    ]
    for args, line in cases:
        result = q(cli, ws, "audit", "finding", *args)
        assert result.code == 2
        assert result.err_lines == [line]
    unknown = q(cli, ws, "audit", "finding", "link", AID, "NC-2026-FOE-899", own)
    assert unknown.code == 2 and "has no finding NC-2026-FOE-899" in unknown.err
    assert files(ws) == before


def test_links_are_refused_on_a_closed_audit_and_on_withdrawn_findings(ws):
    opened = auditing.open_audit(Workspace(ws), AID, actor=ACTOR)
    auditing.rate(opened, "4.2.d", Grade.OFI, actor=ACTOR, note="data sources could be cited")
    ofi = opened.snapshot.findings_for("4.2.d")[0]
    ev = auditing.add_evidence(opened, "4.2.d", phase=Phase.PLAN, kind=EvidenceKind.DOCUMENT, text="SOP 4",
                               actor=ACTOR)
    auditing.withdraw_finding(opened, ofi.id, reason="raised on the wrong requirement", actor=ACTOR)
    with pytest.raises(Refused, match="was withdrawn"):
        auditing.link_evidence(opened, ofi.id, [ev.id], actor=ACTOR)
    auditing.rate(opened, "4.2.e", Grade.OFI, actor=ACTOR, note="needs analyses could cite sources")
    live = opened.snapshot.findings_for("4.2.e")[0]
    close(ws)
    opened = auditing.open_audit(Workspace(ws), AID, actor=ACTOR)
    with pytest.raises(Refused, match="is closed"):
        auditing.unlink_evidence(opened, live.id, [ev.id], actor=ACTOR)
    with pytest.raises(Refused, match="is closed"):
        auditing.remove_evidence(opened, "4.2.d", ev.id, actor=ACTOR, reason="r")


# --- the session the TUI works through -------------------------------------------------------------------------


def test_session_edits_removes_links_and_offers_open_findings(ws):
    session = AuditSession(Workspace(ws), AID, ACTOR)
    session.rate("8.1.c", Grade.MINOR_NC, statement="MC 3 not validated")
    session.raise_finding("8.1.c", Grade.MINOR_NC, "MC 4 not validated")
    assert [f.id for f in session.open_findings_for("8.1.c")] == ["NC-2026-FOE-801", "NC-2026-FOE-802"]
    ev = session.add_evidence("8.1.c", phase=Phase.DO, kind=EvidenceKind.RECORD, text="panel minutes",
                              reference="VP-1", file=None, sample_size=3, population=12,
                              findings=["NC-2026-FOE-802"])
    assert [f.evidence_ids for f in session.findings_for("8.1.c")] == [[], [ev.id]]
    score_before = session.score()

    edited = session.update_evidence("8.1.c", ev.id, reason="wrong phase", phase=Phase.CHECK, text="panel minutes",
                                      reference="", sample_size=4, population=None)
    assert (edited.phase, edited.reference, edited.sample.size, edited.sample.population) == (
        Phase.CHECK, None, 4, 12)
    assert session.result("8.1.c").evidence == [edited]
    assert session.score() is not score_before  # the cached score is rebuilt after a change

    session.link_evidence("NC-2026-FOE-801", [ev.id])
    session.unlink_evidence("NC-2026-FOE-802", [ev.id])
    assert [f.evidence_ids for f in session.findings_for("8.1.c")] == [[ev.id], []]

    auditing.withdraw_finding(session.opened, "NC-2026-FOE-802", reason="same MC as 801", actor=ACTOR)
    assert [f.id for f in session.open_findings_for("8.1.c")] == ["NC-2026-FOE-801"]

    session.remove_evidence("8.1.c", ev.id, "entered twice")
    assert session.result("8.1.c").evidence == []
    assert [f.evidence_ids for f in session.findings_for("8.1.c")] == [[]]


def test_session_edit_of_an_entry_someone_else_changed_is_a_conflict(ws, cli):
    session = AuditSession(Workspace(ws), AID, ACTOR)
    ev = session.add_evidence("4.2.a", phase=Phase.PLAN, kind=EvidenceKind.DOCUMENT, text="needs analysis",
                              reference=None, file=None, sample_size=None, population=None)
    assert q(cli, ws, "audit", "evidence", "edit", AID, "4.2.a", ev.id, "--reason", "typo", "--text",
             "approved needs analysis").code == 0
    before = files(ws)
    with pytest.raises(Conflict, match="was changed by Test Auditor since you opened it"):
        session.update_evidence("4.2.a", ev.id, reason="mine", text="needs analysis 2026")
    with pytest.raises(Conflict):
        session.remove_evidence("4.2.a", ev.id, "mine")
    assert files(ws) == before
    session.reload()
    assert session.update_evidence("4.2.a", ev.id, reason="mine", text="needs analysis 2026").text == (
        "needs analysis 2026")


def test_domain_errors_are_the_documented_kinds(ws):
    opened = auditing.open_audit(Workspace(ws), AID, actor=ACTOR)
    ev = auditing.add_evidence(opened, "4.2.a", phase=Phase.PLAN, kind=EvidenceKind.DOCUMENT, text="t",
                               actor=ACTOR, sample_size=2, population=5)
    with pytest.raises(NotFound, match=f"its entries: {ev.id}"):
        auditing.update_evidence(opened, "4.2.a", "E-12345678", actor=ACTOR, reason="r", text="x")
    with pytest.raises(BadInput, match=r"the sample \(6\) is larger than its population \(5\)"):
        auditing.update_evidence(opened, "4.2.a", ev.id, actor=ACTOR, reason="r", sample_size=6)
    with pytest.raises(NotFound, match="not a requirement"):
        auditing.update_evidence(opened, "4.9.z", ev.id, actor=ACTOR, reason="r", text="x")
