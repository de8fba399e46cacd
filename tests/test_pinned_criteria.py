"""An audit is judged against the criteria it was planned with: the standard's exact text is pinned to it
(hash in audit.json, copy in criteria/standard.yaml). Editing or replacing the workspace's file changes no
score, report or verdict of an existing audit; moving an open audit to a newer text is an explicit, logged
step that shows what changes; a closed audit never moves."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO, run_process

AUDIT = "2026-fob-pinned"
STANDARD = "standards/mc-qms.yaml"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def planned(cli, workspace) -> Path:
    """A workspace with one audit planned against the MC-QMS and three ratings."""
    ws = workspace
    assert cli("-w", ws, "--as", "Dr Lee", "audit", "new", "--standard", "mc-qms", "--title", "Pinned",
               "--auditee", "Faculty of Business", "--lead", "Dr Lee (QA Unit)", "--id", AUDIT).code == 0
    for ref, grade in (("4.1.a", "conformity"), ("8.1.c", "minor_nc"), ("9.2.2.a", "conformity")):
        args = ["-w", ws, "--as", "Dr Lee", "audit", "rate", AUDIT, ref, "--grade", grade]
        if grade == "minor_nc":
            args += ["--statement", "Two of five sampled records lacked the sign-off"]
        result = cli(*args)
        assert result.code == 0, result.err
    return ws


def edit_standard(ws: Path, old: str, new: str, count: int = 1) -> None:
    path = ws / STANDARD
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def score(cli, ws: Path) -> dict:
    result = cli("-w", ws, "score", AUDIT, "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_a_new_audit_is_pinned_to_the_exact_text_of_its_standard(planned):
    record = json.loads((planned / "audits" / AUDIT / "audit.json").read_text())
    copy = planned / "audits" / AUDIT / "criteria" / "standard.yaml"
    assert copy.read_bytes() == (planned / STANDARD).read_bytes()
    assert record["plan"]["criteria"]["sha256"] == sha(planned / STANDARD)


def test_editing_the_standard_changes_nothing_for_an_existing_audit(cli, planned):
    before = score(cli, planned)
    shown_before = json.loads(cli("-w", planned, "audit", "show", AUDIT, "--json").out)
    # a harsher minor NC value, a rated requirement removed, another reworded: none of it reaches the audit
    text = (planned / STANDARD).read_text(encoding="utf-8")
    assert "minor_value" not in text.split("clauses:")[0]
    edit_standard(planned, "clauses:\n", "scoring:\n  minor_value: 0.1\nclauses:\n")
    after = score(cli, planned)
    assert after == before
    assert json.loads(cli("-w", planned, "audit", "show", AUDIT, "--json").out) == shown_before
    assert cli("-w", planned, "verify", AUDIT).code == 0
    validate = cli("-w", planned, "standards", "validate")
    assert validate.code == 0, validate.err
    assert "1 audit(s) judged against an earlier text" in validate.out
    assert AUDIT in validate.out and f"`qms-audit audit criteria {AUDIT}`" in validate.out


def test_the_difference_is_shown_and_the_move_is_explicit_and_logged(cli, planned):
    edit_standard(planned, "clauses:\n", "scoring:\n  minor_value: 0.1\nclauses:\n")
    shown = cli("-w", planned, "audit", "criteria", AUDIT)
    assert shown.code == 0, shown.err
    assert "the workspace's file holds another text" in shown.out
    before = score(cli, planned)
    refused = cli("-w", planned, "--as", "Dr Lee", "audit", "criteria", AUDIT, "--move")
    assert refused.code == 2 and "needs a reason" in refused.err
    moved = cli("-w", planned, "--as", "Dr Lee", "audit", "criteria", AUDIT, "--move", "--reason",
                "the unit adopted the revised scoring before fieldwork")
    assert moved.code == 0, moved.err
    after = score(cli, planned)
    # the minor NC on 8.1.c now counts 0.1 (the clause is scored on its raw value: too little is rated to show it)
    assert after["clauses"]["8"]["raw_score"] < before["clauses"]["8"]["raw_score"]
    record = json.loads((planned / "audits" / AUDIT / "audit.json").read_text())
    assert record["plan"]["criteria"]["sha256"] == sha(planned / STANDARD)
    assert (planned / "audits" / AUDIT / "criteria" / "standard.yaml").read_bytes() == \
        (planned / STANDARD).read_bytes()
    log = cli("-w", planned, "audit", "log", AUDIT, "--json")
    entries = json.loads(log.out)
    last = entries[-1]
    assert last["action"] == "audit.criteria" and last["reason"].startswith("the unit adopted")
    assert cli("-w", planned, "verify", AUDIT).code == 0
    assert "judged against an earlier text" not in cli("-w", planned, "standards", "validate").out


def test_ratings_the_new_text_cannot_hold_block_the_move(cli, planned):
    # 8.1.c (rated minor NC) becomes a 'should' requirement; 9.2.2.a (rated) disappears
    text = (planned / STANDARD).read_text(encoding="utf-8")
    start = text.index("ref: 8.1.c")
    force = text.index("force: must", start)
    (planned / STANDARD).write_text(text[:force] + "force: should" + text[force + len("force: must"):],
                                    encoding="utf-8")
    shown = cli("-w", planned, "audit", "criteria", AUDIT)
    assert "8.1.c (force)" in shown.out
    assert "would no longer fit: 8.1.c is rated Minor nonconformity, and the new text makes it a 'should'" \
        in shown.out
    refused = cli("-w", planned, "--as", "Dr Lee", "audit", "criteria", AUDIT, "--move", "--reason", "revision")
    assert refused.code == 2
    assert "cannot move to mc-qms@" in refused.err and "8.1.c is rated Minor nonconformity" in refused.err
    record = json.loads((planned / "audits" / AUDIT / "audit.json").read_text())
    assert record["plan"]["criteria"]["sha256"] != sha(planned / STANDARD)  # nothing moved


def test_a_closed_audit_never_moves(cli, planned):
    for status in ("reported",):
        assert cli("-w", planned, "--as", "Dr Lee", "audit", "status", AUDIT, status).code == 0
    edit_standard(planned, "clauses:\n", "scoring:\n  minor_value: 0.1\nclauses:\n")
    nc = json.loads(cli("-w", planned, "audit", "show", AUDIT, "--json").out)
    assert nc  # the audit reads, judged as pinned
    closing = cli("-w", planned, "--as", "Dr Lee", "audit", "close", AUDIT)
    if closing.code != 0:  # an open NC keeps the audit from closing: withdraw it to close
        finding = next(iter(json.loads(cli("-w", planned, "audit", "show", AUDIT, "--json").out)["findings"]))
        fid = finding["id"] if isinstance(finding, dict) else finding
        assert cli("-w", planned, "--as", "Dr Lee", "audit", "finding", "withdraw", AUDIT, fid, "--reason",
                   "raised in error").code == 0
        closing = cli("-w", planned, "--as", "Dr Lee", "audit", "close", AUDIT)
    assert closing.code == 0, closing.err
    refused = cli("-w", planned, "--as", "Dr Lee", "audit", "criteria", AUDIT, "--move", "--reason", "x")
    assert refused.code == 2 and "is closed" in refused.err
    assert cli("-w", planned, "verify", AUDIT).code == 0


def test_a_changed_or_missing_copy_is_named(cli, planned):
    copy = planned / "audits" / AUDIT / "criteria" / "standard.yaml"
    text = copy.read_text(encoding="utf-8")
    copy.write_text(text.replace("force: must", "force: should", 1), encoding="utf-8")
    # the workspace's file still holds the pinned text, so the audit reads; verify names the changed copy
    assert cli("-w", planned, "score", AUDIT).code == 0
    verify = cli("-w", planned, "verify", AUDIT)
    assert verify.code == 1 and "criteria/standard.yaml" in verify.out
    # once the workspace's file moves on, the copy is the only source, and it is refused by its hash (in a new
    # process: within one, a text already read is known by its hash, which is what pinning means)
    edit_standard(planned, "clauses:\n", "scoring:\n  minor_value: 0.1\nclauses:\n")
    result = run_process("-w", planned, "score", AUDIT, cwd=planned)
    assert result.code == 2, (result.out, result.err)
    assert "criteria/standard.yaml: not the criteria this audit was planned against" in result.err
    copy.unlink()
    result = run_process("-w", planned, "score", AUDIT, cwd=planned)
    assert result.code == 2 and "the criteria this audit was planned against are missing" in result.err


def test_an_audit_planned_before_pinning_is_listed_and_can_be_pinned(cli, demo_workspace):
    legacy = REPO / "tests" / "samples" / "legacy-unpinned"
    shutil.rmtree(demo_workspace / "audits" / "demo-2026-foe")
    shutil.copytree(legacy / "demo-2026-foe", demo_workspace / "audits" / "demo-2026-foe")
    shutil.copy(legacy / "mc-qms.yaml", demo_workspace / STANDARD)
    shutil.rmtree(demo_workspace / "signers")  # it was recorded before signatures, in a workspace without signers
    validate = cli("-w", demo_workspace, "standards", "validate")
    assert "planned before criteria were pinned" in validate.out and "demo-2026-foe" in validate.out
    moved = cli("-w", demo_workspace, "--as", "Dr Farah Aziz", "audit", "criteria", "demo-2026-foe", "--move",
                "--reason", "pinning the criteria the audit was planned with")
    assert moved.code == 0, moved.err
    record = json.loads((demo_workspace / "audits" / "demo-2026-foe" / "audit.json").read_text())
    assert record["plan"]["criteria"]["sha256"] == sha(demo_workspace / STANDARD)
    assert cli("-w", demo_workspace, "verify", "demo-2026-foe").code == 0
    assert "demo-2026-foe" not in cli("-w", demo_workspace, "standards", "validate").out


def test_the_index_keeps_a_pinned_audit_when_the_standard_changes(cli, planned, monkeypatch):
    from qms_audit.infra.locations import Workspace
    from qms_audit.services import portfolio
    from qms_audit.store import index as index_module
    from qms_audit.store.audits import AuditStore

    monkeypatch.setenv("QMS_AUDIT_CACHE", str(planned.parent / "cache"))
    monkeypatch.setattr(index_module, "RACY_NS", 0)
    ws = Workspace(planned)
    first = portfolio.load_digests(ws, workers=1)
    assert first[0].pinned == sha(planned / STANDARD)
    reads: list[str] = []
    original = AuditStore.load
    monkeypatch.setattr(AuditStore, "load", lambda self: (reads.append(self.audit_id), original(self))[1])
    edit_standard(planned, "clauses:\n", "scoring:\n  minor_value: 0.1\nclauses:\n")
    again = portfolio.load_digests(ws, workers=1)
    assert reads == []  # the pinned audit does not depend on the workspace's file
    assert again == first
