"""The index of audit digests in the user's cache: the same digests as reading the documents, refreshed by
re-reading only the audits that changed, rebuilt when deleted or damaged, off with QMS_AUDIT_CACHE=off, and
safe with two processes refreshing at once."""

from __future__ import annotations

import datetime as dt
import functools
import multiprocessing
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from qms_audit.infra.locations import Workspace
from qms_audit.services import portfolio
from qms_audit.store import index as index_module
from qms_audit.store.audits import AuditStore

NOW = "2026-11-28T10:00:00Z"


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """A sample workspace: 30 audits over three years, all against the MC-QMS."""
    from qms_audit.demo.portfolio import generate_sample_workspace
    from qms_audit.infra import clock

    root = tmp_path_factory.mktemp("portfolio") / "ws"
    with clock.using(lambda: dt.datetime(2026, 11, 28, 10, tzinfo=dt.UTC)):
        generate_sample_workspace(root, audits=30, years=3, seed=11)
    return root


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch):
    monkeypatch.setenv("QMS_AUDIT_NOW", NOW)


@pytest.fixture
def ws(generated, tmp_path, monkeypatch) -> Workspace:
    """A private copy of the generated workspace, with its own cache folder."""
    target = tmp_path / "ws"
    shutil.copytree(generated, target, ignore=shutil.ignore_patterns(".lock*"))
    monkeypatch.setenv("QMS_AUDIT_CACHE", str(tmp_path / "cache"))
    return Workspace(target.resolve())


@pytest.fixture
def settled(monkeypatch) -> None:
    """The copy was just made, so every file counts as changed moments ago and its row would be read again on the
    next call (the guard against coarse timestamps, tested on its own below). Tests that count re-reads turn the
    guard off."""
    monkeypatch.setattr(index_module, "RACY_NS", 0)


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The audits read from their documents, one entry per read."""
    seen: list[str] = []
    original = AuditStore.load

    def spy(self):
        seen.append(self.audit_id)
        return original(self)

    monkeypatch.setattr(AuditStore, "load", spy)
    return seen


def load(ws: Workspace, errors: list[str] | None = None) -> list[portfolio.AuditDigest]:
    return portfolio.load_digests(ws, workers=1, errors=errors)


def from_documents(ws: Workspace, monkeypatch, errors: list[str] | None = None) -> list[portfolio.AuditDigest]:
    with monkeypatch.context() as m:
        m.setenv("QMS_AUDIT_CACHE", "off")
        return portfolio.load_digests(ws, workers=1, errors=errors)


def essentials(digests: list[portfolio.AuditDigest]) -> list[tuple]:
    return [(d.id, d.status.value, d.overall, d.verdict, [f.id for f in d.findings], dict(d.clauses),
             d.subclauses) for d in digests]


def stored_ids(ws: Workspace) -> set[str]:
    backend = index_module.open_index(ws)
    assert backend is not None
    try:
        return set(backend.stamps())
    finally:
        backend.close()


def all_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


# -- the same digests ------------------------------------------------------------------------------------------


def test_the_index_gives_the_digests_the_documents_give(ws, monkeypatch, reads, settled):
    before = all_files(ws.root)
    documents = from_documents(ws, monkeypatch)
    reads.clear()
    cold = load(ws)
    assert sorted(reads) == ws.audit_ids()
    reads.clear()
    warm = load(ws)
    assert reads == []
    assert [d.id for d in warm] == ws.audit_ids()
    assert essentials(cold) == essentials(documents)
    assert essentials(warm) == essentials(documents)
    assert warm == documents  # plan, status, shown scores and every finding's facts, field for field
    assert [portfolio.summary(d) for d in warm] == [portfolio.summary(d) for d in documents]
    # the finding records come from the index row the digest was made from, as the files hold them
    detailed = portfolio.with_details(ws, warm)
    assert reads == []
    assert [[f.model_dump(exclude_unset=True) for f in d.details or []] for d in detailed] == \
        [[f.model_dump(exclude_unset=True) for f in d.details or []] for d in documents]
    assert sum(len(d.details or []) for d in detailed) > 30
    path = index_module.index_path(ws)
    assert path is not None and path.is_file()
    assert ws.root not in path.parents
    assert all_files(ws.root) == before  # nothing was written into the workspace


def test_the_index_lives_in_the_cache_and_never_inside_the_workspace(ws, monkeypatch):
    path = index_module.index_path(ws)
    assert path is not None
    assert path.parent.parent == Path(os.environ["QMS_AUDIT_CACHE"]).resolve()
    monkeypatch.setenv("QMS_AUDIT_CACHE", str(ws.root / "cache"))
    assert index_module.index_path(ws) is None
    assert [d.id for d in load(ws)] == ws.audit_ids()
    assert not (ws.root / "cache" / "index").exists()
    assert list(ws.root.rglob("*.sqlite3*")) == []


def test_a_cache_folder_that_cannot_be_made_leaves_the_documents(ws, monkeypatch, reads, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv("QMS_AUDIT_CACHE", str(blocker))
    assert index_module.open_index(ws) is None
    errors: list[str] = []
    assert [d.id for d in load(ws, errors)] == ws.audit_ids()
    assert errors == []
    assert sorted(reads) == ws.audit_ids()


def test_cache_off_reads_every_audit_from_its_documents(ws, monkeypatch, reads):
    cache = Path(os.environ["QMS_AUDIT_CACHE"])
    monkeypatch.setenv("QMS_AUDIT_CACHE", "off")
    assert index_module.index_path(ws) is None
    assert index_module.open_index(ws) is None
    load(ws)
    load(ws)
    assert sorted(reads) == sorted(ws.audit_ids() * 2)
    assert not (cache / "index").exists()


# -- incremental refresh ---------------------------------------------------------------------------------------


def open_audit_with_a_conformity(ws: Workspace) -> tuple[str, str]:
    """An audit still open to changes, and a requirement in its scope rated conformity."""
    for d in load(ws):
        if d.status.value in ("in_progress", "reported"):
            store = AuditStore(ws, d.id)
            for ref, result in store.load().results.items():
                if result.grade.value == "conformity":
                    return d.id, ref
    raise AssertionError("the generated portfolio has no open audit with a conformity")


def test_a_change_through_the_record_layer_rereads_only_that_audit(ws, monkeypatch, reads, settled):
    from qms_audit.model.audit import Grade
    from qms_audit.services.auditing import open_audit, rate

    audit_id, ref = open_audit_with_a_conformity(ws)
    old = {d.id: d for d in load(ws)}[audit_id]
    rate(open_audit(ws, audit_id), ref, Grade.MAJOR_NC, actor="Test Auditor",
         statement="The records of the sampled intake were not kept")
    reads.clear()
    new = {d.id: d for d in load(ws)}[audit_id]
    assert reads == [audit_id]
    assert new.verdict == "not-conforming"
    assert old.verdict != "not-conforming"
    assert new.overall is not None and old.overall is not None and new.overall < old.overall
    assert len(new.findings) == len(old.findings) + 1
    assert essentials(load(ws)) == essentials(from_documents(ws, monkeypatch))


def results_file_with_a_minor_nc(ws: Workspace, *, closed: bool) -> Path:
    statuses = {d.id: d.status.value for d in load(ws)}
    return next(p for p in sorted(ws.audits_dir.glob("*/results/*.json")) if '"minor_nc"' in p.read_text()
                and (statuses[p.parent.parent.name] == "closed") == closed)


def edit_in_place(target: Path) -> None:
    """Same size, same inode: only the file's times tell that it changed."""
    text = target.read_text()
    inode = target.stat().st_ino
    with open(target, "r+", encoding="utf-8") as fh:
        fh.write(text.replace('"minor_nc"', '"major_nc"', 1))
    assert target.stat().st_ino == inode and len(target.read_text()) == len(text)


@pytest.mark.parametrize("closed", [False, True], ids=["open audit", "closed audit"])
def test_every_audit_is_checked_by_its_folder_stamp_and_verify_finds_a_file_edited_in_place(
        ws, monkeypatch, reads, settled, closed):
    from qms_audit.store.verify import verify_audit

    target = results_file_with_a_minor_nc(ws, closed=closed)
    audit_id = target.parent.parent.name
    load(ws)  # the rows get their folder stamps
    old = {d.id: d for d in load(ws)}[audit_id]
    stamped: list[str] = []
    original = index_module._folder_stamps
    monkeypatch.setattr(index_module, "_folder_stamps",
                        lambda path, *a: (stamped.append(path), original(path, *a))[1])
    reads.clear()
    load(ws)
    assert reads == []
    assert stamped == []  # no audit's record files were stamped one by one
    # A record file edited in place is a change made outside qms-audit: the index keeps the audit as qms-audit
    # last wrote it until `verify` finds the change against the hash chain and drops its row
    edit_in_place(target)
    assert {d.id: d for d in load(ws)}[audit_id].overall == old.overall
    assert not verify_audit(ws, audit_id).ok
    reads.clear()
    assert {d.id: d for d in load(ws)}[audit_id].overall != old.overall
    assert reads == [audit_id]
    assert essentials(load(ws)) == essentials(from_documents(ws, monkeypatch))


@pytest.mark.parametrize("closed", [False, True], ids=["open audit", "closed audit"])
def test_a_record_file_replaced_by_rename_is_seen(ws, monkeypatch, reads, settled, closed):
    # what git (checkout, merge, pull), the record layer and most editors do: a new file renamed into place
    target = results_file_with_a_minor_nc(ws, closed=closed)
    audit_id = target.parent.parent.name
    load(ws)
    old = {d.id: d for d in load(ws)}[audit_id]
    fresh = target.with_name("incoming.tmp")
    fresh.write_text(target.read_text().replace('"minor_nc"', '"major_nc"', 1))
    os.replace(fresh, target)
    reads.clear()
    new = {d.id: d for d in load(ws)}[audit_id]
    assert reads == [audit_id]
    assert new.overall != old.overall
    assert essentials(load(ws)) == essentials(from_documents(ws, monkeypatch))


def test_deleted_renamed_and_new_audits(ws, monkeypatch, reads, settled):
    ids = [d.id for d in load(ws)]
    deleted, renamed, copied = ids[0], ids[1], ids[2]
    shutil.rmtree(ws.audits_dir / deleted)
    (ws.audits_dir / renamed).rename(ws.audits_dir / "zz-renamed-audit")
    shutil.copytree(ws.audits_dir / copied, ws.audits_dir / "zz-new-audit")
    reads.clear()
    now = load(ws)
    assert sorted(reads) == ["zz-new-audit", "zz-renamed-audit"]
    assert [d.id for d in now] == ws.audit_ids()
    assert deleted not in {d.id for d in now} and renamed not in {d.id for d in now}
    assert stored_ids(ws) == set(ws.audit_ids())
    assert essentials(now) == essentials(from_documents(ws, monkeypatch))


def unpin(ws: Workspace) -> None:
    """Make every audit one planned before criteria were pinned (judged against the workspace's file)."""
    import json

    for audit_id in ws.audit_ids():
        folder = ws.audits_dir / audit_id
        record = json.loads((folder / "audit.json").read_text(encoding="utf-8"))
        del record["plan"]["criteria"]["sha256"]
        (folder / "audit.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
        shutil.rmtree(folder / "criteria")


def test_a_changed_standard_changes_no_pinned_audit(ws, monkeypatch, reads, settled):
    before = load(ws)
    with open(ws.standards_dir / "mc-qms.yaml", "a", encoding="utf-8") as fh:
        fh.write("scoring:\n  minor_value: 0.25\n")
    reads.clear()
    after = load(ws)
    assert reads == []  # every audit keeps the text it was planned with
    assert after == before
    assert essentials(after) == essentials(from_documents(ws, monkeypatch))


def test_a_changed_standard_rescores_the_unpinned_audits_made_against_it_only(ws, monkeypatch, reads, settled):
    unpin(ws)
    before = load(ws)
    with open(ws.standards_dir / "mc-readiness.yaml", "a", encoding="utf-8") as fh:
        fh.write("# a comment changes no score\n")
    reads.clear()
    load(ws)
    assert reads == []  # no audit of this workspace is made against the readiness standard
    with open(ws.standards_dir / "mc-qms.yaml", "a", encoding="utf-8") as fh:
        fh.write("scoring:\n  minor_value: 0.25\n")
    reads.clear()
    after = load(ws)
    assert sorted(reads) == ws.audit_ids()
    assert essentials(after) == essentials(from_documents(ws, monkeypatch))
    changed = [a.id for a, b in zip(after, before, strict=True) if a.overall != b.overall]
    assert changed  # audits with minor NCs score lower now


def test_rows_made_from_files_changed_moments_before_are_read_again(ws, monkeypatch, reads):
    # Timestamps have a granularity: a file rewritten within the same tick as the read that indexed it would
    # keep its stamp, so such rows are not trusted until their files are older than the guard's window.
    monkeypatch.setattr(index_module, "RACY_NS", 10**18)  # every file counts as just changed
    load(ws)
    reads.clear()
    load(ws)
    assert sorted(reads) == ws.audit_ids()
    monkeypatch.setattr(index_module, "RACY_NS", 0)
    load(ws)
    reads.clear()
    load(ws)
    assert reads == []


def test_an_audit_with_a_pending_journal_is_always_read(ws, reads, settled):
    load(ws)
    audit_id = ws.audit_ids()[3]
    journal = ws.audits_dir / audit_id / ".journal.json"
    journal.write_text('{"at": "2026-11-28T10:00:00+00:00", "actor": "x", "action": "x", "writes": {}, '
                       '"removals": []}')
    reads.clear()
    load(ws)
    assert reads == [audit_id]
    assert not journal.exists()  # the reader completed the killed writer's work


def test_worker_processes_read_and_scan_the_same(ws, monkeypatch, settled):
    # large portfolios are read by forked workers, and scanned by a forked process while the stored digests are
    # decoded: the same digests and the same index as in one process
    monkeypatch.setattr(portfolio, "PARALLEL_FROM", 5)
    monkeypatch.setattr(portfolio, "CHUNK", 4)
    documents = from_documents(ws, monkeypatch)
    asked: list[list[str]] = []
    original = portfolio._read_documents

    def spy(workspace, ids, **kwargs):
        asked.append(list(ids))
        return original(workspace, ids, **kwargs)

    monkeypatch.setattr(portfolio, "_read_documents", spy)
    cold = portfolio.load_digests(ws, workers=2)
    assert stored_ids(ws) == set(ws.audit_ids())
    warm = portfolio.load_digests(ws, workers=2)
    assert asked == [ws.audit_ids(), []]  # the second call read no document
    assert cold == documents
    assert warm == documents
    assert [d.id for d in portfolio.load_digests(ws, workers=1)] == ws.audit_ids()


def test_from_a_thread_the_audits_are_read_by_processes_a_fork_server_starts(ws, monkeypatch, settled):
    # the TUI reads in a worker thread, where forking is not safe: its worker processes come from a fork server,
    # its folders are scanned in-process, and the digests and the index are the same
    import threading

    monkeypatch.setattr(portfolio, "PARALLEL_FROM", 5)
    monkeypatch.setattr(portfolio, "CHUNK", 4)
    documents = from_documents(ws, monkeypatch)
    contexts: list[str] = []
    original = portfolio._pool_context

    def spy():
        found = original()
        contexts.append(found.get_start_method() if found is not None else "none")
        return found

    monkeypatch.setattr(portfolio, "_pool_context", spy)
    out: list[list[portfolio.AuditDigest]] = []
    thread = threading.Thread(target=lambda: out.append(portfolio.load_digests(ws, workers=2)))
    thread.start()
    thread.join(120)
    assert out == [documents]
    assert stored_ids(ws) == set(ws.audit_ids())
    assert contexts and set(contexts) == {"forkserver"}
    assert portfolio.load_digests(ws, workers=2) == documents  # from the main thread: nothing to read again
    assert portfolio._pool_context().get_start_method() == "fork"


def test_two_processes_share_the_scan_and_say_when_a_folder_changed(ws, monkeypatch, settled):
    # a forked process scans from the front while this one works, then scans from the back: together the same
    # stamps as one process; a changed folder met by either is reported while the other still scans
    monkeypatch.setattr(portfolio, "PARALLEL_FROM", 5)
    monkeypatch.setattr(portfolio, "CLAIM", 3)
    load(ws)
    load(ws)  # the folder stamps are stored with the rows
    backend = index_module.open_index(ws)
    assert backend is not None
    rows = backend.stamps()
    backend.close()
    known = {audit_id: row.folder for audit_id, row in rows.items() if row.folder}
    expected = {audit_id: row.fingerprint for audit_id, row in rows.items() if row.stable}
    assert sorted(known) == sorted(expected) == ws.audit_ids()

    def shared() -> tuple[dict[str, tuple[str, str, bool]], int]:
        changes: list[int] = []
        stamps = portfolio._Stamps(ws, known, fork=True, expected=expected)
        try:
            found = stamps.result(on_change=lambda: changes.append(1))
        finally:
            stamps.close()
        return {k: (v.fingerprint, v.folder, v.settled) for k, v in found.items()}, len(changes)

    def alone() -> dict[str, tuple[str, str, bool]]:
        return {k: (v.fingerprint, v.folder, v.settled) for k, v in index_module.scan_audits(ws, known).items()}

    assert shared() == (alone(), 0)
    # a folder stamp not stored yet, its files unchanged: nothing to read, nothing to load for it
    del known[ws.audit_ids()[0]]
    assert shared() == (alone(), 0)
    audit_id, _ = open_audit_with_a_conformity(ws)
    results = sorted((ws.audits_dir / audit_id / "results").iterdir())[0]
    copy = results.with_name(".copy")
    copy.write_bytes(results.read_bytes())
    os.replace(copy, results)  # as every write of qms-audit or git does
    stamps, changes = shared()
    assert stamps == alone() and not stamps[audit_id][2]
    assert changes <= 1  # 1 unless the forked process met it after this one had no folder left to take

    # the notice itself, without the race: met here, or noted by the other process
    names = index_module.audit_folders(ws)
    for noted_elsewhere in (False, True):
        claims = portfolio._Claims(multiprocessing.get_context("fork"), len(names))
        if noted_elsewhere:
            claims.note_change()
            known_now = {**known}
            known_now[audit_id] = index_module.stamp_audit(str(ws.audits_dir / audit_id)).folder
        else:
            known_now = known
        met: list[int] = []
        found = portfolio._scan_claims(ws, known_now, {}, names, claims, front=False,
                                       on_change=functools.partial(met.append, 1))
        assert sorted(found) == ws.audit_ids()
        assert met == [1]


# -- errors, damage, concurrency ---------------------------------------------------------------------------------


def test_unreadable_audits_are_reported_as_without_the_index(ws, monkeypatch, settled):
    from qms_audit.infra.errors import QmsError

    load(ws)
    broken = ws.audit_ids()[5]
    (ws.audits_dir / broken / "audit.json").write_text("{ not json")
    expected: list[str] = []
    documents = from_documents(ws, monkeypatch, errors=expected)
    assert len(expected) == 1 and expected[0].startswith(f"{broken}: ")
    for _ in range(2):  # unreadable audits are never stored: the second call reports it the same way
        errors: list[str] = []
        assert essentials(load(ws, errors)) == essentials(documents)
        assert errors == expected
    assert broken not in stored_ids(ws)
    with pytest.raises(QmsError) as raised:
        load(ws)
    assert raised.value.message == expected[0]


def test_deleting_the_index_rebuilds_it(ws, monkeypatch, reads, settled):
    first = load(ws)
    path = index_module.index_path(ws)
    assert path is not None
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    reads.clear()
    assert load(ws) == first
    assert sorted(reads) == ws.audit_ids()
    reads.clear()
    load(ws)
    assert reads == []


def test_a_corrupt_index_file_is_rebuilt_without_an_error(ws, monkeypatch, reads, settled):
    first = load(ws)
    path = index_module.index_path(ws)
    assert path is not None
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.write_bytes(os.urandom(64 * 1024))
    reads.clear()
    errors: list[str] = []
    assert load(ws, errors) == first
    assert errors == []
    assert sorted(reads) == ws.audit_ids()
    reads.clear()
    load(ws)
    assert reads == []
    assert stored_ids(ws) == set(ws.audit_ids())


def test_a_damaged_row_is_read_from_the_documents(ws, reads, settled):
    first = load(ws)
    damaged = ws.audit_ids()[7]
    path = index_module.index_path(ws)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE audits SET digest = ? WHERE id = ?", (b'["garbage', damaged))
    reads.clear()
    assert load(ws) == first
    assert reads == [damaged]


def test_a_locked_index_does_not_stop_the_command(ws, monkeypatch, reads, settled):
    first = load(ws)
    monkeypatch.setattr(index_module, "BUSY_TIMEOUT", 0.2)
    changed = ws.audit_ids()[2]
    (ws.audits_dir / changed / "audit.json").touch()
    path = index_module.index_path(ws)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a long write
        reads.clear()
        assert load(ws) == first
        assert reads == [changed]
        reads.clear()
        load(ws)
        assert reads == [changed]  # its row could not be written while the index was locked
    finally:
        holder.close()
    load(ws)
    reads.clear()
    load(ws)
    assert reads == []


def _refresh_in_child(root: str, barrier, results) -> None:
    from qms_audit.services.portfolio import load_digests

    barrier.wait()
    errors: list[str] = []
    digests = load_digests(Workspace(Path(root)), workers=1, errors=errors)
    results.put((errors, essentials(digests)))


def test_two_processes_refreshing_at_once_both_succeed_and_agree(ws, monkeypatch):
    context = multiprocessing.get_context("spawn")  # two interpreters, as two commands run at once would be
    barrier = context.Barrier(2)
    results = context.Queue()
    children = [context.Process(target=_refresh_in_child, args=(str(ws.root), barrier, results)) for _ in range(2)]
    for child in children:
        child.start()
    got = [results.get(timeout=120) for _ in children]
    for child in children:
        child.join(timeout=60)
        assert child.exitcode == 0
    expected = essentials(from_documents(ws, monkeypatch))
    assert got == [([], expected), ([], expected)]
    path = index_module.index_path(ws)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    backend = index_module.open_index(ws)
    assert backend is not None
    try:
        stored = portfolio.decode_stored(list(backend.digests(set(ws.audit_ids()))))
    finally:
        backend.close()
    assert essentials([stored[i] for i in ws.audit_ids()]) == expected


def test_details_of_an_audit_changed_since_its_digest_are_read_again_with_a_new_digest(ws, monkeypatch, reads,
                                                                                        settled):
    from qms_audit.model.audit import Grade
    from qms_audit.services.auditing import open_audit, rate

    audit_id, ref = open_audit_with_a_conformity(ws)
    load(ws)
    old = {d.id: d for d in load(ws)}[audit_id]
    rate(open_audit(ws, audit_id), ref, Grade.MAJOR_NC, actor="Test Auditor",
         statement="The records of the sampled intake were not kept")
    # while the index still holds the row the digest was made from, the records are that row's: one snapshot
    (same,) = portfolio.with_details(ws, [old])
    assert [f.id for f in same.details or []] == [f.id for f in old.findings]
    load(ws)  # another command refreshes the row
    reads.clear()
    (new,) = portfolio.with_details(ws, [old])
    assert reads == [audit_id]
    # the digest and its records say the same: both from the documents as they are now
    assert [f.id for f in new.findings] == [f.id for f in new.details or []]
    assert len(new.findings) == len(old.findings) + 1
    assert new.verdict == "not-conforming"


# -- trends from the facts tables ------------------------------------------------------------------------------


@pytest.mark.parametrize("where", [
    {}, {"unit": "FOE"}, {"standard": "mc-qms"}, {"since": dt.date(2025, 1, 1), "until": dt.date(2025, 12, 31)},
], ids=["all", "unit code", "standard", "period"])
def test_trends_from_the_index_are_the_trends_of_the_documents(ws, monkeypatch, settled, where):
    from qms_audit.store.facts import FactsFilter, memory_facts
    from qms_audit.views.trends import compute_facts, filter_digests

    today = dt.date(2026, 11, 28)
    chosen = filter_digests(from_documents(ws, monkeypatch), **where)  # chosen in Python, not by the filter's SQL
    expected = compute_facts(memory_facts(portfolio.facts_of(d) for d in chosen), FactsFilter(),
                             today=today).to_json()
    assert expected["audits"] > 0
    for _ in range(2):  # a cold index, then one up to date
        with portfolio.open_portfolio(ws, workers=1) as opened:
            assert compute_facts(opened.facts, FactsFilter(**where), today=today).to_json() == expected
    with monkeypatch.context() as m:
        m.setenv("QMS_AUDIT_CACHE", "off")
        with portfolio.open_portfolio(ws, workers=1) as opened:
            assert compute_facts(opened.facts, FactsFilter(**where), today=today).to_json() == expected


def test_trends_follow_a_change_through_the_record_layer(ws, monkeypatch, settled):
    from qms_audit.model.audit import Grade
    from qms_audit.services.auditing import open_audit, rate
    from qms_audit.store.facts import FactsFilter
    from qms_audit.views.trends import compute_facts

    today = dt.date(2026, 11, 28)
    with portfolio.open_portfolio(ws, workers=1) as opened:
        before = compute_facts(opened.facts, FactsFilter(), today=today)
    audit_id, ref = open_audit_with_a_conformity(ws)
    rate(open_audit(ws, audit_id), ref, Grade.MAJOR_NC, actor="Test Auditor",
         statement="The records of the sampled intake were not kept")
    with portfolio.open_portfolio(ws, workers=1) as opened:
        after = compute_facts(opened.facts, FactsFilter(), today=today)
    year = {d.id: d.start.year for d in from_documents(ws, monkeypatch)}[audit_id]
    assert after.ncs[year]["major"] == before.ncs[year]["major"] + 1
    assert after.capa.open == before.capa.open + 1
    with monkeypatch.context() as m:
        m.setenv("QMS_AUDIT_CACHE", "off")
        with portfolio.open_portfolio(ws, workers=1) as opened:
            assert compute_facts(opened.facts, FactsFilter(), today=today) == after


def test_review_pack_through_the_index_is_the_pack_of_the_documents(ws, monkeypatch, settled):
    """The pack's trends and CAPA ageing aggregate the history from the index's facts tables, the register's
    findings joined in; read from the documents (the TUI gives the digests it holds) the pack is the same."""
    from qms_audit.views.review_pack import gather

    today = dt.date(2026, 11, 28)
    start, stop = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
    expected = gather(ws, start, stop, today=today, digests=from_documents(ws, monkeypatch))
    assert expected.audits and expected.trends.audits > len(expected.audits)  # the history reaches before 2025
    assert expected.capa_backlog.open > expected.capa_period.open > 0
    for _ in range(2):  # a cold index, then one up to date
        assert gather(ws, start, stop, today=today) == expected
    with monkeypatch.context() as m:
        m.setenv("QMS_AUDIT_CACHE", "off")
        assert gather(ws, start, stop, today=today) == expected


def test_the_query_indexes_left_by_a_bulk_load_are_made_when_the_facts_are_read(ws, monkeypatch, settled):
    from qms_audit.store.facts import QUERY_INDEXES, FactsFilter, missing_query_indexes

    with portfolio.open_portfolio(ws, workers=1) as opened:
        expected = opened.facts.sequence(FactsFilter())
    path = index_module.index_path(ws)
    assert path is not None
    with sqlite3.connect(path) as conn:  # as a bulk load into empty tables leaves them (or a writer killed then)
        for name in QUERY_INDEXES:
            conn.execute(f"DROP INDEX {name}")
    with portfolio.open_portfolio(ws, workers=1) as opened:
        assert missing_query_indexes(opened.facts.conn) == []
        assert opened.facts.sequence(FactsFilter()) == expected


def test_records_read_strictly_first_are_the_records_lax_reading_gives(ws):
    """Reading tries strict validation first (records as qms-audit writes them), then lax: every record of a
    portfolio gives the same model either way, and a record that needs lax coercion still loads, the same."""
    import json

    from qms_audit.infra.loading import load_json_record
    from qms_audit.model.audit import AuditRecord, ClauseResults, Finding

    checked = 0
    for folder in sorted(ws.audits_dir.iterdir()):
        for pattern, model in (("audit.json", AuditRecord), ("results/*.json", ClauseResults),
                               ("findings/*.json", Finding)):
            for path in folder.glob(pattern):
                data = path.read_bytes()
                assert model.model_validate_json(data, strict=True) == model.model_validate_json(data)
                checked += 1
    assert checked > 300
    results = next(ws.audits_dir.glob("*/results/*.json"))
    record = json.loads(results.read_bytes())
    ref, result = next((r, v) for r, v in record["results"].items() if v.get("evidence"))
    result["evidence"][0]["sample"] = {"size": "3"}  # a number written as text: only lax mode takes it
    results.write_text(json.dumps(record))
    loaded, _ = load_json_record(results, ClauseResults, what="audit record")
    assert loaded.results[ref].evidence[0].sample is not None
    assert loaded.results[ref].evidence[0].sample.size == 3
