"""Closing and reopening an audit are electronic signatures (Ed25519 through `cryptography`): who, when, meaning
what, over the hash of the entry that lists every sealed file. The three forgeries a hash chain alone let
through are caught: a rewritten record with the whole chain recomputed, a fake reopening that also rewrites a
result, and a closing entry deleted with audit.json restored (caught by anyone holding the issued report)."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from qms_audit.infra.files import sha256_bytes
from qms_audit.model.log import LogEntry
from qms_audit.store.eventlog import entry_file_name, entry_hash, ordered, serialize_entry

AUDIT = "2026-fob-sealed"
LEAD = "Dr Lee"


@pytest.fixture
def sealed(cli, workspace) -> Path:
    """A closed audit (one conformity rated, reported, closed by Dr Lee), with its issued report."""
    ws = workspace
    steps = [
        ["audit", "new", "--standard", "mc-qms", "--title", "Sealed", "--auditee", "Faculty of Business",
         "--lead", f"{LEAD} (Quality Assurance Unit)", "--id", AUDIT],
        ["audit", "rate", AUDIT, "4.1.a", "--grade", "conformity", "--note", "Context review minutes seen"],
        ["audit", "status", AUDIT, "reported"],
        ["audit", "close", AUDIT],
        ["report", AUDIT, "-o", ws / "issued.docx"],
    ]
    for args in steps:
        result = cli("-w", ws, "--as", LEAD, *args)
        assert result.code == 0, (args, result.err)
    return ws


def folder(ws: Path) -> Path:
    return ws / "audits" / AUDIT


def entries(ws: Path) -> list[LogEntry]:
    return ordered([LogEntry.model_validate_json(p.read_text()) for p in (folder(ws) / "log").glob("*.json")])


def results_file(ws: Path) -> Path:
    return folder(ws) / "results" / "clause-04.json"


def rewrite_log(ws: Path, change: Callable[[dict], dict | None]) -> None:
    """What a forger with the tool's own code but no one's key can do: change entries, then recompute every
    hash, link and file name so that the chain is whole again. `change` edits an entry's fields (or drops it)."""
    log = folder(ws) / "log"
    old = entries(ws)
    for path in log.glob("*.json"):
        path.unlink()
    renamed: dict[str, str] = {}
    for entry in old:
        data = change(entry.model_dump(mode="json"))
        if data is None:
            renamed[entry.hash] = renamed.get(entry.prev[0], entry.prev[0]) if entry.prev else ""
            continue
        data["prev"] = [renamed.get(p, p) for p in data["prev"] if renamed.get(p, p)]
        data["hash"] = "0" * 64
        draft = LogEntry.model_validate(data)
        fresh = draft.model_copy(update={"hash": entry_hash(draft)})
        renamed[entry.hash] = fresh.hash
        (log / entry_file_name(fresh)).write_text(serialize_entry(fresh), encoding="utf-8")


def verify(cli, ws: Path, *extra: str | Path):
    return cli("-w", ws, "verify", AUDIT, *extra)


def test_closing_is_signed_with_a_key_kept_outside_the_workspace(cli, sealed, monkeypatch):
    import os

    closing = entries(sealed)[-1]
    assert closing.action == "audit.close" and closing.manifest
    assert closing.signed_by is not None and closing.signature
    assert closing.signed_by.name == LEAD and closing.signed_by.meaning == "closed the audit and sealed its files"
    key_file = Path(os.environ["QMS_AUDIT_CONFIG_DIR"]) / "signing-key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert sealed not in key_file.parents
    assert not list(sealed.rglob("*.pem"))
    listed = json.loads(cli("-w", sealed, "signers", "list", "--json").out)
    assert [(s["name"], s["key_id"], s["how"]) for s in listed] == [(LEAD, closing.signed_by.key_id,
                                                                     "first signature")]
    signers_log = list((sealed / "signers" / "log").glob("*.json"))
    assert len(signers_log) == 1 and "signers.add" in signers_log[0].read_text()
    result = verify(cli, sealed)
    assert result.code == 0, result.out
    assert f"sealed by {LEAD} on " in cli("-w", sealed, "audit", "show", AUDIT).out


def test_a_record_rewritten_with_the_whole_chain_recomputed_fails_the_signature(cli, sealed):
    path = results_file(sealed)
    forged = path.read_text().replace("Context review minutes seen", "Context review minutes NOT seen")
    path.write_text(forged)
    digest = sha256_bytes(forged.encode("utf-8"))
    rel = "results/clause-04.json"

    def repoint(data: dict) -> dict:
        if rel in data["files"] and data["files"][rel]:
            data["files"][rel] = digest
        if data.get("manifest") and rel in data["manifest"]:
            data["manifest"][rel] = digest
        return data

    rewrite_log(sealed, repoint)
    result = verify(cli, sealed)
    assert result.code == 1, result.out
    assert "the signature of Dr Lee does not match the entry" in result.out
    # stripping the signature as well leaves a closing nobody signed
    rewrite_log(sealed, lambda d: {**d, "signed_by": None, "signature": None})
    result = verify(cli, sealed)
    assert result.code == 1 and "is not signed: a closing, reopening or verification must carry its signer's " \
        "signature" in result.out


def test_a_fake_reopening_that_rewrites_a_result_is_caught(cli, sealed, tmp_path, monkeypatch):
    record_path = folder(sealed) / "audit.json"
    record = json.loads(record_path.read_text())
    record["status"] = "follow_up"
    record_bytes = (json.dumps(record, indent=2) + "\n").encode("utf-8")
    record_path.write_bytes(record_bytes)
    forged = results_file(sealed).read_text().replace("Context review minutes seen", "nothing seen")
    results_file(sealed).write_text(forged)
    last = entries(sealed)[-1]
    fake = {"seq": last.seq + 1, "at": "2026-12-01T09:00:00Z", "actor": LEAD, "action": "audit.reopen",
            "target": AUDIT, "summary": "reopened the audit", "reason": "typo", "changes": [],
            "files": {"audit.json": sha256_bytes(record_bytes),
                      "results/clause-04.json": sha256_bytes(forged.encode("utf-8"))},
            "prev": [last.hash], "hash": "0" * 64}
    draft = LogEntry.model_validate(fake)
    entry = draft.model_copy(update={"hash": entry_hash(draft)})
    (folder(sealed) / "log" / entry_file_name(entry)).write_text(serialize_entry(entry))
    result = verify(cli, sealed)
    assert result.code == 1, result.out
    assert "reopens the audit and also writes results/clause-04.json: a reopening changes only the status" \
        in result.out
    assert "is not signed" in result.out
    # signed with a key of the forger's own, which the workspace never trusted
    monkeypatch.setenv("QMS_AUDIT_CONFIG_DIR", str(tmp_path / "forger"))
    from qms_audit.infra.signing import SigningKey
    from qms_audit.model.log import SignedBy

    key = SigningKey.own()
    (folder(sealed) / "log" / entry_file_name(entry)).unlink()
    draft = LogEntry.model_validate({**fake, "signed_by": SignedBy(name=LEAD, key_id=key.public.id,
                                                                   meaning="reopened").model_dump()})
    entry = draft.model_copy(update={"hash": entry_hash(draft)})
    entry = entry.model_copy(update={"signature": key.sign(entry.hash.encode("ascii"))})
    (folder(sealed) / "log" / entry_file_name(entry)).write_text(serialize_entry(entry))
    result = verify(cli, sealed)
    assert result.code == 1
    assert f"is signed by a key ({key.public.id}) that is not among the workspace's trusted signers" in result.out


def test_the_issued_report_catches_a_deleted_closing(cli, sealed):
    ok = verify(cli, sealed, "--report", sealed / "issued.docx")
    assert ok.code == 0, ok.out
    assert "the audit is as sealed in entry" in ok.out
    # the report of one audit says nothing about another
    assert cli("-w", sealed, "--as", LEAD, "audit", "new", "--standard", "mc-qms", "--title", "Other",
               "--auditee", "Faculty of Arts", "--lead", f"{LEAD} (Quality Assurance Unit)", "--id",
               "other-audit").code == 0
    other = cli("-w", sealed, "verify", "other-audit", "--report", sealed / "issued.docx")
    assert other.code == 1 and "not a report of audit other-audit" in other.out
    # the forgery: the closing entry deleted and audit.json put back as it was before closing
    closing = entries(sealed)[-1]
    before_close = next(e for e in reversed(entries(sealed)) if "audit.json" in e.files and e.action != "audit.close")
    record = json.loads((folder(sealed) / "audit.json").read_text())
    record["status"] = "reported"
    record["history"] = [h for h in record["history"] if h["status"] != "closed"]
    data = (json.dumps(record, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    assert before_close.files["audit.json"]  # the reported state, logged before the closing
    (folder(sealed) / "audit.json").write_bytes(data)
    (folder(sealed) / "log" / entry_file_name(closing)).unlink()
    caught = verify(cli, sealed, "--report", sealed / "issued.docx")
    assert caught.code == 1
    assert f"the seal it prints ({closing.hash[:16]}...) is not in the log of audit {AUDIT}" in caught.out


def test_a_report_issued_before_a_reopening_no_longer_describes_the_record(cli, sealed):
    assert cli("-w", sealed, "--as", LEAD, "audit", "reopen", AUDIT, "--reason", "a finding was missed").code == 0
    reopening = entries(sealed)[-1]
    assert reopening.signed_by is not None and reopening.signed_by.meaning.startswith("reopened")
    assert verify(cli, sealed).code == 0
    result = verify(cli, sealed, "--report", sealed / "issued.docx")
    assert result.code == 1
    assert f"was reopened after this report was issued (entry {reopening.seq}" in result.out


def test_the_report_prints_the_seal_and_a_draft_prints_none(cli, sealed):
    from tests.office_text import docx_text

    closing = entries(sealed)[-1]
    text = docx_text(sealed / "issued.docx")
    grouped = " ".join(closing.hash[i:i + 16] for i in range(0, 64, 16))
    assert f"Seal SHA-256 {grouped}" in text and f"signing key {closing.signed_by.key_id}" in text
    assert cli("-w", sealed, "--as", LEAD, "audit", "reopen", AUDIT, "--reason", "a finding was missed").code == 0
    assert cli("-w", sealed, "report", AUDIT, "-o", sealed / "draft.docx").code == 0
    assert "Not sealed: the audit is open" in docx_text(sealed / "draft.docx")
    result = verify(cli, sealed, "--report", sealed / "draft.docx")
    assert result.code == 1 and "the report prints no seal" in result.out


def test_a_key_no_longer_trusted_cannot_sign(cli, sealed):
    key_id = entries(sealed)[-1].signed_by.key_id
    removed = cli("-w", sealed, "--as", "Ms Ong", "signers", "remove", key_id, "--reason", "laptop lost")
    assert removed.code == 0, removed.err
    refused = cli("-w", sealed, "--as", LEAD, "audit", "reopen", AUDIT, "--reason", "x")
    assert refused.code == 2 and "is no longer trusted in this workspace" in refused.err
    assert verify(cli, sealed).code == 0  # what the key signed before its removal stays valid


@pytest.fixture
def reported(cli, workspace) -> Path:
    ws = workspace
    for args in (["audit", "new", "--standard", "mc-qms", "--title", "Approved", "--auditee", "Faculty of Business",
                  "--lead", f"{LEAD} (Quality Assurance Unit)", "--id", AUDIT],
                 ["audit", "rate", AUDIT, "4.1.a", "--grade", "conformity", "--note", "seen"]):
        assert cli("-w", ws, "--as", LEAD, *args).code == 0
    return ws


def test_the_lead_approves_the_report_with_a_signature_and_the_report_says_so(cli, reported):
    from tests.office_text import docx_text

    early = cli("-w", reported, "--as", LEAD, "audit", "approve", AUDIT)
    assert early.code == 2 and "once the audit is reported" in early.err
    assert cli("-w", reported, "--as", LEAD, "audit", "status", AUDIT, "reported").code == 0
    assert cli("-w", reported, "report", AUDIT, "-o", reported / "draft.docx").code == 0
    draft = docx_text(reported / "draft.docx")
    assert "DRAFT 0.1:" in draft and "not approved yet" in draft
    other = cli("-w", reported, "--as", "Ms Ong", "audit", "approve", AUDIT)
    assert other.code == 2 and "is approved by its lead auditor, Dr Lee" in other.err
    assert cli("-w", reported, "--as", LEAD, "audit", "approve", AUDIT, "--note", "issued to the dean").code == 0
    approval = entries(reported)[-1]
    assert approval.action == "report.approve" and approval.signed_by is not None and approval.signature
    assert approval.signed_by.meaning == "approved the audit report as the lead auditor"
    assert cli("-w", reported, "report", AUDIT, "-o", reported / "approved.docx").code == 0
    text = docx_text(reported / "approved.docx")
    # approved, and signed; still a draft, numbered as the first, until the audit is closed and sealed
    assert f"{LEAD}, lead auditor" in text and f"key {approval.signed_by.key_id}" in text
    assert "DRAFT 0.1:" in text and "needs approving again" not in text
    assert verify(cli, reported).code == 0
    shown = cli("-w", reported, "audit", "show", AUDIT).out
    assert f"report approved by {LEAD} on " in shown and "criteria mc-qms@1.1, pinned when planned" in shown
    # a later change to the findings or results makes the approved text a draft again
    assert cli("-w", reported, "--as", LEAD, "audit", "rate", AUDIT, "4.1.b", "--grade", "conformity").code == 0
    assert cli("-w", reported, "report", AUDIT, "-o", reported / "changed.docx").code == 0
    changed = docx_text(reported / "changed.docx")
    assert "DRAFT 0.2:" in changed and "the records changed afterwards (1 later change)" in changed


def test_signers_are_added_by_key_and_listed_with_who_added_them(cli, workspace, tmp_path, monkeypatch):
    me = cli("signers", "me")
    assert me.code == 0 and me.out.startswith("ed25519:")
    mine = me.out.split()[0]
    # a colleague's key, given as `signers me` prints it on their machine
    monkeypatch.setenv("QMS_AUDIT_CONFIG_DIR", str(tmp_path / "colleague"))
    theirs = cli("signers", "me").out.split()[0]
    assert theirs != mine
    added = cli("-w", workspace, "--as", "Dr Lee", "signers", "add", "Ms Ong", theirs)
    assert added.code == 0, added.err
    again = cli("-w", workspace, "--as", "Dr Lee", "signers", "add", "Ms Ong", theirs)
    assert again.code == 0  # already trusted: nothing new is logged
    listed = json.loads(cli("-w", workspace, "signers", "list", "--json").out)
    assert [(s["name"], s["how"], s["added_by"]) for s in listed] == [("Ms Ong", "added", "Dr Lee")]
    assert len(list((workspace / "signers" / "log").glob("*.json"))) == 1
    bad = cli("-w", workspace, "signers", "add", "Mr X", "ed25519:not-base64!")
    assert bad.code == 2 and "is not an Ed25519 public key" in bad.err
