"""Tamper evidence: check a record folder's hash chain and that every record matches its log.

Reported, each with the file and the log entry concerned:
- a log entry that was edited (its hash no longer matches its content) or is not a valid entry;
- a log entry that was removed (an entry names it as its predecessor, and it is gone);
- entries reordered or renamed (height, time or file name disagree with the chain);
- a record or evidence file changed, deleted or added outside qms-audit (its hash disagrees with the log);
- for a closed audit, any file that differs from the seal written when it was closed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from qms_audit.infra.errors import QmsError
from qms_audit.infra.files import sha256_file
from qms_audit.infra.locations import Workspace
from qms_audit.model.log import LogEntry
from qms_audit.store.audits import AUDIT_FILE, EVIDENCE_DIR, FINDINGS_DIR, RESULTS_DIR, AuditStore, NcRegister
from qms_audit.store.eventlog import LOG_DIR, entry_file_name, entry_hash, ordered
from qms_audit.store.records import RecordFolder, list_json


@dataclass
class VerifyReport:
    label: str
    folder: Path
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    entries: int = 0
    records: int = 0
    evidence_files: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _record_files(folder: Path, register: bool) -> list[str]:
    if register:
        return [p.name for p in list_json(folder)]
    out = [AUDIT_FILE] if (folder / AUDIT_FILE).is_file() else []
    for sub in (RESULTS_DIR, FINDINGS_DIR):
        out += [f"{sub}/{p.name}" for p in list_json(folder / sub)]
    return out


def _evidence_files(folder: Path) -> list[str]:
    base = folder / EVIDENCE_DIR
    if not base.is_dir():
        return []
    return sorted(f"{EVIDENCE_DIR}/{p.name}" for p in base.iterdir() if p.is_file() and not p.name.startswith("."))


def verify_folder(workspace: Workspace, store: RecordFolder, *, register: bool = False) -> VerifyReport:
    folder = store.folder
    shown = workspace.relative(folder)
    report = VerifyReport(store.label, folder)

    def problem(rel: str, message: str) -> None:
        report.problems.append(f"{shown}/{rel}: {message}")

    if store.pending():
        try:
            with store.lock("verify"):
                if store.recover():
                    report.notes.append("an interrupted save was found and completed first")
        except QmsError as exc:
            report.notes.append(f"an interrupted save is pending and could not be completed: {exc.message}")

    # 1. the chain itself
    loaded = store.log.refresh()
    entries: dict[str, LogEntry] = {}
    names: dict[str, str] = {}
    for item in loaded:
        if item.entry is None:
            problem(f"{LOG_DIR}/{item.name}", f"{item.error}: the entry was edited or damaged")
            continue
        entry = item.entry
        if entry_hash(entry) != entry.hash:
            problem(f"{LOG_DIR}/{item.name}", f"entry {entry.seq} ({entry.action} by {entry.actor} at "
                                             f"{entry.at:%Y-%m-%d %H:%M}) was edited: its content no longer "
                                             "matches its hash")
        elif item.name != entry_file_name(entry):
            problem(f"{LOG_DIR}/{item.name}", f"entry {entry.seq} is stored under the wrong name (expected "
                                             f"{entry_file_name(entry)}): renamed or reordered")
        if entry.hash in entries:
            problem(f"{LOG_DIR}/{item.name}", f"duplicate of entry {names[entry.hash]}")
        entries[entry.hash] = entry
        names[entry.hash] = item.name
    report.entries = len(entries)
    for h, entry in entries.items():
        parents = []
        for p in entry.prev:
            parent = entries.get(p)
            if parent is None:
                problem(f"{LOG_DIR}/{names[h]}", f"entry {entry.seq} follows an entry ({p[:12]}) that is missing: "
                                                 "a log entry was removed")
            else:
                parents.append(parent)
        expected_seq = max((p.seq for p in parents), default=0) + 1
        if parents and len(parents) == len(entry.prev) and entry.seq != expected_seq:
            problem(f"{LOG_DIR}/{names[h]}", f"entry {entry.seq} should be number {expected_seq} after the entries "
                                             "it follows: the log was reordered")
        if any(entry.at < p.at for p in parents):
            problem(f"{LOG_DIR}/{names[h]}", f"entry {entry.seq} is dated before the entry it follows: the log "
                                             "was reordered")
        if not entry.prev and entry.seq != 1:
            problem(f"{LOG_DIR}/{names[h]}", f"entry {entry.seq} follows no entry: earlier entries were removed "
                                             "or it was inserted")
    roots = [e for e in entries.values() if not e.prev]
    if len(roots) > 1:
        problem(LOG_DIR, f"{len(roots)} entries start a history: entries were inserted or logs were mixed")
    if not entries and _record_files(folder, register):
        problem(LOG_DIR, "the log is empty or missing, but records exist")

    # 2. every record and evidence file against the newest log entry that wrote it
    chain = ordered(list(entries.values()))
    last_write: dict[str, tuple[LogEntry, str | None]] = {}
    for entry in chain:
        for rel, digest in entry.files.items():
            last_write[rel] = (entry, digest)
    on_disk = set(_record_files(folder, register))
    report.records = len(on_disk)
    for rel in sorted(on_disk | {r for r in last_write if not r.startswith(LOG_DIR + "/")}):
        if rel.startswith(EVIDENCE_DIR + "/"):
            continue
        written = last_write.get(rel)
        exists = rel in on_disk
        if written is None:
            if exists:
                problem(rel, "not recorded in the log: created or copied in outside qms-audit")
            continue
        entry, digest = written
        if digest is None:
            if exists:
                problem(rel, f"the log records it as removed (entry {entry.seq}) but it exists")
            continue
        if not exists:
            problem(rel, f"deleted outside qms-audit (last written by entry {entry.seq}, {entry.action} by "
                         f"{entry.actor})")
            continue
        actual = sha256_file(folder / rel)
        if actual != digest:
            newest = chain[-1].seq if chain else entry.seq
            problem(rel, f"changed outside qms-audit since entry {entry.seq} ({entry.action} by {entry.actor} at "
                         f"{entry.at:%Y-%m-%d %H:%M})" + (", or the log entries after it were deleted"
                                                         if entry.seq == newest else ""))

    # 3. evidence files named in records
    if not register:
        _check_evidence(workspace, store, report, problem)

    # 4. the seal of a closed audit
    if not register:
        _check_seal(folder, chain, report, problem)

    # 5. records validate
    if (not register and isinstance(store, AuditStore)) or (register and isinstance(store, NcRegister)):
        try:
            store.load()
        except QmsError as exc:
            report.problems.extend(exc.lines())
    return report


def _check_evidence(workspace: Workspace, store: RecordFolder, report: VerifyReport, problem) -> None:
    from qms_audit.infra.loading import load_json_model
    from qms_audit.model.audit import ClauseResults

    folder = store.folder
    referenced: set[str] = set()
    for path in list_json(folder / RESULTS_DIR):
        try:
            results = load_json_model(path, ClauseResults, what="audit record")
        except QmsError:
            continue
        for ref, result in results.results.items():
            for ev in result.evidence:
                if ev.file is None:
                    continue
                rel = ev.file.path
                referenced.add(rel)
                candidate = Path(rel)
                if candidate.is_absolute() or ".." in candidate.parts or not rel.startswith(EVIDENCE_DIR + "/"):
                    problem(f"{RESULTS_DIR}/{path.name}", f"{ref} evidence {ev.id} points outside the audit's "
                                                          f"evidence folder ({rel}): refused")
                    continue
                full = folder / candidate
                if full.is_symlink() or folder.resolve() not in full.resolve().parents:
                    problem(rel, f"{ref} evidence {ev.id} is a link leading outside the audit folder: refused")
                    continue
                if not full.is_file():
                    problem(rel, f"evidence file of {ref} ({ev.id}) is missing")
                    continue
                if sha256_file(full) != ev.file.sha256:
                    problem(rel, f"evidence file of {ref} ({ev.id}) was changed: its SHA-256 no longer matches")
    files = _evidence_files(folder)
    report.evidence_files = len(files)
    for rel in files:
        if rel not in referenced:
            report.notes.append(f"{rel} is not referenced by any evidence entry")


def _check_seal(folder: Path, chain: list[LogEntry], report: VerifyReport, problem) -> None:
    seals = [e for e in chain if e.action == "audit.close" and e.manifest is not None]
    if not seals:
        if _recorded_status(folder) == "closed":
            problem(LOG_DIR, "the audit is recorded as closed but its log holds no seal: the closing entry "
                             "(and any after it) was deleted")
        return
    seal = seals[-1]
    reopened = any(e.action == "audit.reopen" and (e.seq, e.at) > (seal.seq, seal.at) for e in chain)
    if reopened:
        return
    later = [e for e in chain if (e.seq, e.at) > (seal.seq, seal.at)]
    for e in later:
        problem(f"{LOG_DIR}/{entry_file_name(e)}", f"entry {e.seq} ({e.action}) changes the audit after it was "
                                                   "closed and sealed")
    manifest = seal.manifest or {}
    present = set(_record_files(folder, False)) | set(_evidence_files(folder))
    for rel, digest in manifest.items():
        if rel not in present:
            problem(rel, f"sealed when the audit was closed (entry {seal.seq}) and now missing")
        elif sha256_file(folder / rel) != digest:
            problem(rel, f"differs from the seal written when the audit was closed (entry {seal.seq})")
    for rel in sorted(present - set(manifest)):
        problem(rel, f"added after the audit was closed and sealed (entry {seal.seq})")


def _recorded_status(folder: Path) -> str | None:
    try:
        return json.loads((folder / AUDIT_FILE).read_text(encoding="utf-8")).get("status")
    except (OSError, ValueError, AttributeError):
        return None


def verify_audit(workspace: Workspace, audit_id: str) -> VerifyReport:
    from qms_audit.store.audits import AuditStore, audit_store

    if audit_id in workspace.recorded_audit_ids():  # a log without audit.json is verified (and reported)
        return verify_folder(workspace, AuditStore(workspace, audit_id))
    return verify_folder(workspace, audit_store(workspace, audit_id))


def verify_register(workspace: Workspace) -> VerifyReport:
    return verify_folder(workspace, NcRegister(workspace), register=True)


def verify_reviews(workspace: Workspace) -> VerifyReport:
    from qms_audit.store.reviews import ReviewRecords

    return verify_folder(workspace, ReviewRecords(workspace), register=True)


def sealed_files(folder: Path) -> dict[str, str]:
    """Hash of every record and evidence file of a folder (the log, lock and journal excluded)."""
    out: dict[str, str] = {}
    for sub in ("results", "findings", EVIDENCE_DIR):
        base = folder / sub
        if base.is_dir():
            for path in sorted(base.iterdir()):
                if path.is_file() and not path.name.startswith("."):
                    out[f"{sub}/{path.name}"] = sha256_file(path)
    if (folder / AUDIT_FILE).is_file():
        out[AUDIT_FILE] = sha256_file(folder / AUDIT_FILE)
    return out
