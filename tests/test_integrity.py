"""Tamper evidence, write-ahead recovery, optimistic concurrency and merge-friendly files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from qms_audit.infra.errors import Conflict
from qms_audit.infra.locations import Workspace
from qms_audit.model.audit import EvidenceKind, Grade
from qms_audit.model.common import Phase
from qms_audit.services.auditing import add_evidence, open_audit, rate

AID = "2026-foe-mc-qms"


@pytest.fixture
def ws(cli, workspace):
    assert cli("-w", workspace, "audit", "new", "--standard", "mc-qms", "--title", "t", "--auditee",
               "Faculty of Engineering", "--lead", "Test Auditor (QA Unit)", "--start", "2026-10-01").code == 0
    for ref, grade in (("4.1.a", "c"), ("4.2.a", "c"), ("5.1.a", "c")):
        assert cli("-w", workspace, "audit", "rate", AID, ref, "--grade", grade, "--note", f"ok {ref}").code == 0
    return workspace


def folder(ws: Path) -> Path:
    return ws / "audits" / AID


def log_files(ws: Path) -> list[Path]:
    return sorted((folder(ws) / "log").glob("*.json"))


def verify(cli, ws):
    return cli("-w", ws, "verify", AID)


def test_untouched_audit_verifies(ws, cli):
    result = verify(cli, ws)
    assert result.code == 0 and "ok  audit" in result.out and "4 log entries" in result.out


def test_edited_log_entry_is_reported(ws, cli):
    entry = log_files(ws)[1]
    data = json.loads(entry.read_text())
    data["actor"] = "Somebody Else"
    entry.write_text(json.dumps(data, indent=2))
    result = verify(cli, ws)
    assert result.code == 1
    assert f"log/{entry.name}" in result.out and "was edited" in result.out


def test_removed_log_entry_is_reported(ws, cli):
    log_files(ws)[1].unlink()
    result = verify(cli, ws)
    assert result.code == 1 and "a log entry was removed" in result.out


def test_reordered_log_entries_are_reported(ws, cli):
    a, b = log_files(ws)[1], log_files(ws)[2]
    data_a, data_b = json.loads(a.read_text()), json.loads(b.read_text())
    data_a["seq"], data_b["seq"] = data_b["seq"], data_a["seq"]
    a.write_text(json.dumps(data_a))
    b.write_text(json.dumps(data_b))
    result = verify(cli, ws)
    assert result.code == 1 and "was edited" in result.out
    # swapping the files' names only is caught too
    for p in log_files(ws):
        p.unlink()
    assert verify(cli, ws).code == 1


def test_renamed_log_entry_is_reported(ws, cli):
    first = log_files(ws)[1]
    first.rename(first.with_name("000099-" + first.name.split("-", 1)[1]))
    result = verify(cli, ws)
    assert result.code == 1 and "wrong name" in result.out


def test_record_changed_deleted_or_added_outside_the_tool(ws, cli):
    results = folder(ws) / "results" / "clause-04.json"
    results.write_text(results.read_text().replace("ok 4.1.a", "ok, trust me"))
    result = verify(cli, ws)
    assert result.code == 1 and "results/clause-04.json: changed outside qms-audit since entry" in result.out
    results.unlink()
    assert "deleted outside qms-audit" in verify(cli, ws).out
    shutil.copy(folder(ws) / "results" / "clause-05.json", folder(ws) / "results" / "clause-06.json")
    out = verify(cli, ws).out
    assert "clause-06.json: not recorded in the log" in out


def test_evidence_file_swapped_is_reported(ws, cli, tmp_path):
    src = tmp_path / "minutes.txt"
    src.write_text("minutes of the board")
    assert cli("-w", ws, "audit", "evidence", "add", AID, "4.1.a", "--phase", "C", "--kind", "record", "--text",
               "board minutes", "--file", src).code == 0
    stored = next((folder(ws) / "evidence").iterdir())
    stored.write_text("forged minutes")
    result = verify(cli, ws)
    assert result.code == 1 and "SHA-256 no longer matches" in result.out


def test_closed_audit_is_sealed(ws, cli):
    assert cli("-w", ws, "audit", "status", AID, "in_progress").code in (0, 2)
    assert cli("-w", ws, "audit", "status", AID, "reported").code == 0
    assert cli("-w", ws, "audit", "close", AID).code == 0
    assert verify(cli, ws).code == 0
    # an attacker edits a record and its log entry consistently: the seal still catches it
    audit_json = folder(ws) / "audit.json"
    audit_json.write_text(audit_json.read_text().replace('"title": "t"', '"title": "rewritten"'))
    result = verify(cli, ws)
    assert result.code == 1 and "differs from the seal" in result.out
    # files added after closing
    audit_json.write_text(audit_json.read_text().replace('"title": "rewritten"', '"title": "t"'))
    (folder(ws) / "findings").mkdir(exist_ok=True)
    (folder(ws) / "findings" / "NC-2026-FOE-009.json").write_text("{}")
    result = verify(cli, ws)
    assert "added after the audit was closed" in result.out


def test_the_seal_and_its_check_list_the_same_files(ws, cli):
    """A stray file put in results/ before closing is reported for what it is (outside the log), never as a
    sealed file that has gone missing: sealing and checking list an audit's files the same way."""
    (folder(ws) / "results" / "notes.txt").write_text("scribbles")
    assert cli("-w", ws, "audit", "status", AID, "reported").code in (0, 2)
    assert cli("-w", ws, "audit", "close", AID).code == 0
    result = verify(cli, ws)
    assert result.code == 1
    assert "results/notes.txt" in result.out and "not recorded in the log" in result.out
    assert "missing" not in result.out


def test_temporary_files_of_killed_writers_are_removed_by_the_next_write(ws, cli):
    """A writer killed between creating its temporary file and renaming it leaves `.NAME.PID.HEX.tmp`; the
    next change, under the lock, removes it, while a live process's temporary file is left alone."""
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    stale = folder(ws) / "results" / f".clause-04.json.{dead.stdout.strip()}.0badc0de.tmp"
    stale.write_text('{"half": ')
    live = folder(ws) / "results" / f".clause-05.json.{os.getppid()}.0123abcd.tmp"
    live.write_text("being written")
    assert cli("-w", ws, "audit", "rate", AID, "4.1.b", "--grade", "c", "--note", "ok").code == 0
    assert not stale.exists()
    assert live.exists()
    live.unlink()
    assert verify(cli, ws).code == 0


def test_killed_writer_leaves_a_journal_that_the_next_reader_completes(ws, cli, monkeypatch):
    """Simulate a kill between writing the journal and applying it."""
    from qms_audit.store import records

    real_apply = records.RecordFolder._apply
    calls = {"n": 0}

    def dying_apply(self, writes, removals):
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt  # stands in for SIGKILL right after the journal is durable
        return real_apply(self, writes, removals)

    monkeypatch.setattr(records.RecordFolder, "_apply", dying_apply)
    workspace = Workspace(ws)
    opened = open_audit(workspace, AID)
    with pytest.raises(KeyboardInterrupt):
        rate(opened, "4.3.a", Grade.CONFORMITY, actor="Dr Lee", note="applied")
    assert (folder(ws) / ".journal.json").exists()
    # nothing of the change is visible in the records yet: the old version
    results = json.loads((folder(ws) / "results" / "clause-04.json").read_text())["results"]
    assert "4.3.a" not in results
    monkeypatch.setattr(records.RecordFolder, "_apply", real_apply)
    shown = json.loads(cli("-w", ws, "audit", "show", AID, "--json").out)
    assert shown["results"]["4.3.a"]["note"] == "applied"  # the new version, completed on read
    assert not (folder(ws) / ".journal.json").exists()
    assert verify(cli, ws).code == 0


def test_stale_view_conflicts_instead_of_overwriting(ws):
    workspace = Workspace(ws)
    mine = open_audit(workspace, AID)
    seen = mine.snapshot.result("4.2.a")
    theirs = open_audit(workspace, AID)
    rate(theirs, "4.2.a", Grade.MINOR_NC, actor="Ms Ong", note="their note")
    with pytest.raises(Conflict, match="changed by Ms Ong"):
        rate(mine, "4.2.a", Grade.CONFORMITY, actor="Dr Lee", note="my note",
             expect={"grade": seen.grade, "note": seen.note})
    assert open_audit(workspace, AID).snapshot.result("4.2.a").note == "their note"
    # a change that does not touch what they changed goes through
    add_evidence(mine, "4.2.a", phase=Phase.DO, kind=EvidenceKind.RECORD, text="records seen", actor="Dr Lee")
    final = open_audit(workspace, AID).snapshot.result("4.2.a")
    assert final.note == "their note" and len(final.evidence) == 1


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_two_auditors_on_different_clauses_merge_without_conflict(cli, workspace, tmp_path):
    """Both start from a freshly planned audit; one rates clause 6, the other clause 7 and raises an NC."""
    ws = workspace
    assert cli("-w", ws, "audit", "new", "--standard", "mc-qms", "--title", "t", "--auditee",
               "Faculty of Engineering", "--lead", "Test Auditor (QA Unit)", "--start", "2026-10-01").code == 0
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}

    def git(cwd, *args):
        subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)

    git(ws, "init", "-q", "-b", "main")
    (ws / ".gitignore").write_text(".lock\n.lock.info\n")
    git(ws, "add", "-A")
    git(ws, "commit", "-qm", "audit planned")
    assert json.loads((folder(ws) / "audit.json").read_text())["status"] == "planned"
    other = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(ws), str(other))
    # auditor A rates clause 6 here, auditor B rates clause 7 and raises an NC in the clone
    assert cli("-w", ws, "audit", "rate", AID, "6.1.a", "--grade", "ofi", "--note", "risk list thin").code == 0
    assert cli("-w", ws, "audit", "evidence", "add", AID, "6.2.c", "--phase", "P", "--kind", "document",
               "--text", "curriculum map").code == 0
    assert cli("-w", other, "audit", "rate", AID, "7.1.a", "--grade", "minor", "--note", "2 assessors lapsed").code == 0
    assert cli("-w", other, "audit", "rate", AID, "7.2.a", "--grade", "c").code == 0
    git(ws, "add", "-A")
    git(ws, "commit", "-qm", "clause 6")
    git(other, "add", "-A")
    git(other, "commit", "-qm", "clause 7")
    git(ws, "pull", "-q", "--no-rebase", "--no-edit", str(other), "main")  # raises on a conflict
    shown = json.loads(cli("-w", ws, "audit", "show", AID, "--json").out)
    assert {"6.1.a", "6.2.c", "7.1.a", "7.2.a"} <= set(shown["results"])
    assert [f["id"] for f in shown["findings"]] == ["NC-2026-FOE-701", "OFI-2026-FOE-601"]
    assert verify(cli, ws).code == 0
    # the next change joins the two branches of the log
    assert cli("-w", ws, "audit", "rate", AID, "9.3.a", "--grade", "c").code == 0
    newest = json.loads(log_files(ws)[-1].read_text())
    assert len(newest["prev"]) == 2
    assert verify(cli, ws).code == 0


@pytest.mark.parametrize("stored", ["../../../etc/passwd", "/etc/passwd", "evidence/../../audit.json"])
def test_evidence_paths_cannot_leave_the_audit_folder(ws, cli, stored):
    from qms_audit.infra.errors import Refused
    from qms_audit.services.auditing import resolve_evidence_path

    opened = open_audit(Workspace(ws), AID)
    with pytest.raises(Refused, match=r"leaves the audit folder|outside the audit folder"):
        resolve_evidence_path(opened, stored)
    # a record edited to point there is reported by verify
    path = folder(ws) / "results" / "clause-04.json"
    data = json.loads(path.read_text())
    data["results"]["4.1.a"]["evidence"] = [{
        "id": "E-0badf11e", "phase": "D", "kind": "record", "text": "planted", "collected_by": "x",
        "collected_at": "2026-10-01T00:00:00Z",
        "file": {"path": stored, "sha256": "0" * 64, "size": 1, "original_name": "x"}}]
    path.write_text(json.dumps(data))
    result = verify(cli, ws)
    assert result.code == 1 and "refused" in result.out


def test_symlinked_evidence_leading_out_is_refused(ws, cli, tmp_path):
    from qms_audit.infra.errors import Refused
    from qms_audit.services.auditing import resolve_evidence_path

    secret = tmp_path / "secret.txt"
    secret.write_text("not for the report")
    (folder(ws) / "evidence").mkdir(exist_ok=True)
    link = folder(ws) / "evidence" / "innocent.txt"
    link.symlink_to(secret)
    opened = open_audit(Workspace(ws), AID)
    with pytest.raises(Refused, match="outside the audit folder"):
        resolve_evidence_path(opened, "evidence/innocent.txt")


@pytest.fixture(scope="module")
def closed_audit(tmp_path_factory):
    """A closed, sealed audit with evidence, findings and a long log, made through the record layer."""
    import datetime as dt

    from qms_audit.demo.portfolio import generate_sample_workspace
    from qms_audit.infra import clock

    root = tmp_path_factory.mktemp("sealed") / "ws"
    with clock.using(lambda: dt.datetime(2026, 11, 28, 10, tzinfo=dt.UTC)):
        generate_sample_workspace(root, audits=6, years=3, seed=3)
    closed = [p.name for p in (root / "audits").iterdir()
              if json.loads((p / "audit.json").read_text())["status"] == "closed"]
    assert closed
    return root, closed[0]


def _every_file(root: Path, audit_id: str) -> list[str]:
    base = root / "audits" / audit_id
    return sorted(str(p.relative_to(base)) for p in base.rglob("*") if p.is_file() and not p.name.startswith("."))


@pytest.mark.parametrize("how", ["edit", "delete"])
def test_any_change_to_any_file_of_a_closed_audit_is_reported(closed_audit, cli, tmp_path, how):
    """Every record and every log entry of a sealed audit, edited (one character) or deleted in turn."""
    source, audit_id = closed_audit
    files = _every_file(source, audit_id)
    assert any(f.startswith("log/") for f in files) and any(f.startswith("findings/") for f in files)
    for n, rel in enumerate(files):
        ws = tmp_path / f"{how}-{n}"
        shutil.copytree(source, ws)
        path = ws / "audits" / audit_id / rel
        if how == "delete":
            path.unlink()
        else:
            text = path.read_text(encoding="utf-8")
            i = next(k for k, c in enumerate(text) if c.isdigit())
            path.write_text(text[:i] + str((int(text[i]) + 1) % 10) + text[i + 1:], encoding="utf-8")
        result = cli("-w", ws, "verify", audit_id)
        assert result.code in (1, 2), (rel, result.out, result.err)
        said = result.out + result.err
        # a deleted log entry is named by its hash, as the entry after it points to it; nothing points to the
        # newest one, so its deletion shows as records newer than the log and, when it sealed, a missing seal
        entry_hash = Path(rel).stem.split("-")[-1] if rel.startswith("log/") else rel
        newest_deleted = rel.startswith("log/") and how == "delete" and "log entries after it were deleted" in said
        assert rel in said or entry_hash in said or newest_deleted, (rel, said)
        shutil.rmtree(ws)
