"""Tamper evidence: check a record folder's hash chain and that every record matches its log.

Reported, each with the file and the log entry concerned:
- a log entry that was edited (its hash no longer matches its content) or is not a valid entry;
- a log entry that was removed (an entry names it as its predecessor, and it is gone);
- entries reordered or renamed (height, time or file name disagree with the chain);
- a record or evidence file changed, deleted or added outside qms-audit (its hash disagrees with the log);
- for a closed audit, any file that differs from the seal written when it was closed.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from qms_audit.infra.errors import InvalidFile, QmsError
from qms_audit.infra.files import display_path, sha256_file
from qms_audit.infra.locations import Workspace
from qms_audit.model.audit import EvidenceFile
from qms_audit.model.log import LogEntry
from qms_audit.store.audits import (
    AUDIT_FILE,
    CRITERIA_DIR,
    EVIDENCE_DIR,
    FINDINGS_DIR,
    RESULTS_DIR,
    AuditSnapshot,
    AuditStore,
    NcRegister,
)
from qms_audit.store.eventlog import LOG_DIR, entry_file_name, entry_hash, latest_writers, ordered
from qms_audit.store.records import RecordFolder, list_json

# reports a problem: the file (relative to the folder checked) and what is wrong with it
Problem = Callable[[str, str], None]


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


def audit_files(folder: Path) -> list[str]:
    """Every record and evidence file of an audit folder, relative to it and sorted (its log, lock, journal and
    hidden temporary files are not part of it). The seal written when an audit closes and every later check of it
    both list the audit through this one function, so they cannot disagree about what an audit contains."""
    out = [AUDIT_FILE] if (folder / AUDIT_FILE).is_file() else []
    for sub in (RESULTS_DIR, FINDINGS_DIR, CRITERIA_DIR, EVIDENCE_DIR):
        base = folder / sub
        if base.is_dir():
            out += [f"{sub}/{p.name}" for p in base.iterdir() if p.is_file() and not p.name.startswith(".")]
    return sorted(out)


def sealed_files(folder: Path) -> dict[str, str]:
    """Hash of every file of an audit (see `audit_files`): what closing seals, and what the seal is checked against."""
    return {rel: sha256_file(folder / rel) for rel in audit_files(folder)}


def _is_evidence(rel: str) -> bool:
    return rel.startswith(EVIDENCE_DIR + "/")


def _record_files(folder: Path, register: bool) -> list[str]:
    if register:
        return [p.name for p in list_json(folder)]
    return [rel for rel in audit_files(folder) if not _is_evidence(rel)]


def _evidence_files(folder: Path) -> list[str]:
    return [rel for rel in audit_files(folder) if _is_evidence(rel)]


def verify_folder(workspace: Workspace, store: RecordFolder, *, register: bool = False) -> VerifyReport:
    folder = store.folder
    shown = workspace.relative(folder)
    report = VerifyReport(store.label, folder)

    def problem(rel: str, message: str) -> None:
        report.problems.append(f"{shown}/{rel}: {message}")

    _complete_interrupted_save(store, report)
    entries, names = _check_entries(store, problem)
    report.entries = len(entries)
    _check_chain(entries, names, problem)
    chain = ordered(list(entries.values()))
    on_disk = _record_files(folder, register)
    report.records = len(on_disk)
    if not entries and on_disk:
        problem(LOG_DIR, "the log is empty or missing, but records exist")
    closed = not register and _recorded_status(folder) == "closed"
    _check_records_against_log(folder, chain, set(on_disk), problem, report, strict=closed)
    if not register:
        _check_evidence(store, report, problem)
        _check_seal(folder, chain, problem)
    _check_signatures(workspace, chain, names, problem, report)
    _check_records_validate(store, report, register)
    return report


# an electronic signature is required on these: a seal, a reopening, a verification of effectiveness, the
# approval of a report
SIGNED_ACTIONS = ("audit.close", "audit.reopen", "capa.verify", "report.approve")


def _check_signatures(workspace: Workspace, chain: list[LogEntry], names: dict[str, str], problem: Problem,
                      report: VerifyReport) -> None:
    """Every closing, reopening and CAPA verification is signed by a key the workspace trusted, over the entry's
    hash (and so over the seal's list of file hashes); a reopening changes only the audit's status. Entries
    dated before the workspace's first trusted signer (made before signatures were kept) are noted when
    unsigned, not refused; the chain's dates run in order, so nothing after a signed entry can pass as one."""
    from qms_audit.infra.signing import PublicKey
    from qms_audit.model.signers import TrustedSigner
    from qms_audit.store.signers import trusted_signers

    try:
        signers = trusted_signers(workspace)
    except QmsError as exc:
        problem("../../signers", f"the list of trusted signers cannot be read: {exc.message}")
        return
    by_id: dict[str, list[TrustedSigner]] = {}
    for s in signers:
        by_id.setdefault(s.key_id, []).append(s)
    for entry in chain:
        where = f"{LOG_DIR}/{names.get(entry.hash, entry.hash[:12])}"
        what = f"entry {entry.seq} ({entry.action} by {entry.actor} at {entry.at:%Y-%m-%d %H:%M})"
        if entry.action == "audit.reopen" and set(entry.files) - {AUDIT_FILE}:
            extra = ", ".join(sorted(set(entry.files) - {AUDIT_FILE}))
            problem(where, f"{what} reopens the audit and also writes {extra}: a reopening changes only the status")
        if entry.signed_by is None:
            if entry.action in SIGNED_ACTIONS:
                if signers and entry.at >= min(s.added_at for s in signers):
                    problem(where, f"{what} is not signed: a closing, reopening or verification must carry its "
                                   "signer's signature")
                else:
                    report.notes.append(f"{what} is not signed (made before signatures were kept)")
            continue
        key_id = entry.signed_by.key_id
        known = by_id.get(key_id, [])
        if not known:
            problem(where, f"{what} is signed by a key ({key_id}) that is not among the workspace's trusted signers")
            continue
        # a removed key's signatures made before its removal stay valid (entry dates are the signer's own)
        if not [s for s in known if s.removed_at is None or entry.at < s.removed_at]:
            problem(where, f"{what} is signed by {known[-1].name}'s key {key_id}, which the workspace no longer "
                           f"trusted then (removed on {known[-1].removed_at:%Y-%m-%d})")
            continue
        if not entry.signature or not PublicKey.parse(known[-1].key).verifies(entry.signature,
                                                                              entry.hash.encode("ascii")):
            problem(where, f"{what}: the signature of {entry.signed_by.name} does not match the entry; the entry, "
                           "or the list of files it seals, was changed after it was signed")


def _complete_interrupted_save(store: RecordFolder, report: VerifyReport) -> None:
    if not store.pending():
        return
    try:
        with store.lock("verify"):
            if store.recover():
                report.notes.append("an interrupted save was found and completed first")
    except QmsError as exc:
        report.notes.append(f"an interrupted save is pending and could not be completed: {exc.message}")


def _check_entries(store: RecordFolder, problem: Problem) -> tuple[dict[str, LogEntry], dict[str, str]]:
    """Each log entry on its own: readable, matching its hash, under its own name, not a duplicate. Returns the
    entries by hash, and the file name of each."""
    entries: dict[str, LogEntry] = {}
    names: dict[str, str] = {}
    for item in store.log.refresh():
        where = f"{LOG_DIR}/{item.name}"
        if item.entry is None:
            problem(where, f"{item.error}: the entry was edited or damaged")
            continue
        entry = item.entry
        if entry_hash(entry) != entry.hash:
            problem(where, f"entry {entry.seq} ({entry.action} by {entry.actor} at {entry.at:%Y-%m-%d %H:%M}) was "
                           "edited: its content no longer matches its hash")
        elif item.name != entry_file_name(entry):
            problem(where, f"entry {entry.seq} is stored under the wrong name (expected {entry_file_name(entry)}): "
                           "renamed or reordered")
        if entry.hash in entries:
            problem(where, f"duplicate of entry {names[entry.hash]}")
        entries[entry.hash] = entry
        names[entry.hash] = item.name
    return entries, names


def _check_chain(entries: dict[str, LogEntry], names: dict[str, str], problem: Problem) -> None:
    """The links between entries: none missing, numbered and dated in order, one history."""
    for h, entry in entries.items():
        where = f"{LOG_DIR}/{names[h]}"
        parents = []
        for p in entry.prev:
            parent = entries.get(p)
            if parent is None:
                problem(where, f"entry {entry.seq} follows an entry ({p[:12]}) that is missing: a log entry was "
                               "removed")
            else:
                parents.append(parent)
        _check_place(entry, parents, where, problem)
    roots = [e for e in entries.values() if not e.prev]
    if len(roots) > 1:
        problem(LOG_DIR, f"{len(roots)} entries start a history: entries were inserted or logs were mixed")


def _check_place(entry: LogEntry, parents: list[LogEntry], where: str, problem: Problem) -> None:
    """An entry's number and date against the entries it follows (those still present)."""
    expected_seq = max((p.seq for p in parents), default=0) + 1
    if parents and len(parents) == len(entry.prev) and entry.seq != expected_seq:
        problem(where, f"entry {entry.seq} should be number {expected_seq} after the entries it follows: the log "
                       "was reordered")
    if any(entry.at < p.at for p in parents):
        problem(where, f"entry {entry.seq} is dated before the entry it follows: the log was reordered")
    if not entry.prev and entry.seq != 1:
        problem(where, f"entry {entry.seq} follows no entry: earlier entries were removed or it was inserted")


def _check_records_against_log(folder: Path, chain: list[LogEntry], on_disk: set[str], problem: Problem,
                               report: VerifyReport, *, strict: bool) -> None:
    """Every record file against the latest log entry that wrote it (evidence files are checked by their
    entries). A file written on two branches of the log that git merged is noted until the merge is recorded,
    unless `strict` (a closed audit: its seal covers every file, and nothing may be merged into it)."""
    latest = latest_writers(chain)
    newest = chain[-1].seq if chain else 0
    unrecorded = []
    for rel in sorted(on_disk | {r for r in latest if not r.startswith(LOG_DIR + "/")}):
        if _is_evidence(rel):
            continue
        writers = latest.get(rel, [])
        if len({e.files[rel] for e in writers}) > 1:
            branches = "; ".join(f"entry {e.seq}, {e.action} by {e.actor} at {e.at:%Y-%m-%d %H:%M}" for e in writers)
            if strict:
                problem(rel, f"written on parallel branches of the log ({branches}) and merged into a closed audit")
            else:
                unrecorded.append(rel)
            continue
        message = _record_against_log(folder, rel, (writers[-1], writers[-1].files[rel]) if writers else None,
                                      rel in on_disk, newest)
        if message:
            problem(rel, message)
    if unrecorded:
        report.notes.append(f"a git merge is not recorded in the log yet: {', '.join(unrecorded)} "
                            f"{'was' if len(unrecorded) == 1 else 'were'} written by auditors on both branches and "
                            "merged by git; `qms-audit git record-merge` records it (so does the next change)")


def _record_against_log(folder: Path, rel: str, written: tuple[LogEntry, str | None] | None, exists: bool,
                        newest: int) -> str | None:
    """What is wrong with one record file given the last log entry that wrote (or removed) it, if anything."""
    if written is None:
        return "not recorded in the log: created or copied in outside qms-audit" if exists else None
    entry, digest = written
    if digest is None:
        return f"the log records it as removed (entry {entry.seq}) but it exists" if exists else None
    if not exists:
        return f"deleted outside qms-audit (last written by entry {entry.seq}, {entry.action} by {entry.actor})"
    try:
        if sha256_file(folder / rel) == digest:
            return None
    except QmsError as exc:
        return f"cannot be read as written by entry {entry.seq}: {exc.message}"
    return (f"changed outside qms-audit since entry {entry.seq} ({entry.action} by {entry.actor} at "
            f"{entry.at:%Y-%m-%d %H:%M})" + (", or the log entries after it were deleted" if entry.seq == newest
                                             else ""))


def _check_evidence(store: RecordFolder, report: VerifyReport, problem: Problem) -> None:
    """Every evidence file a record names: inside the audit, present, unchanged; and files no entry names."""
    folder = store.folder
    referenced: set[str] = set()
    for results_file, ref, ev_id, file in _evidence_entries(folder):
        referenced.add(file.path)
        found = _evidence_file_problem(folder, results_file, ref, ev_id, file)
        if found:
            problem(*found)
    files = _evidence_files(folder)
    report.evidence_files = len(files)
    for rel in files:
        if rel not in referenced:
            report.notes.append(f"{rel} is not referenced by any evidence entry")


def _evidence_entries(folder: Path) -> Iterator[tuple[str, str, str, EvidenceFile]]:
    """(results file, requirement, entry id, file) of every evidence entry with a file, in readable results files."""
    from qms_audit.infra.loading import load_json_model
    from qms_audit.model.audit import ClauseResults

    for path in list_json(folder / RESULTS_DIR):
        try:
            results = load_json_model(path, ClauseResults, what="audit record")
        except QmsError:
            continue
        for ref, result in results.results.items():
            for ev in result.evidence:
                if ev.file is not None:
                    yield f"{RESULTS_DIR}/{path.name}", ref, ev.id, ev.file


def _evidence_file_problem(folder: Path, results_file: str, ref: str, ev_id: str,
                           file: EvidenceFile) -> tuple[str, str] | None:
    """Where and what is wrong with the file of one evidence entry, if anything."""
    rel = file.path
    candidate = Path(rel)
    if candidate.is_absolute() or ".." in candidate.parts or not rel.startswith(EVIDENCE_DIR + "/"):
        return results_file, f"{ref} evidence {ev_id} points outside the audit's evidence folder ({rel}): refused"
    full = folder / candidate
    if full.is_symlink() or folder.resolve() not in full.resolve().parents:
        return rel, f"{ref} evidence {ev_id} is a link leading outside the audit folder: refused"
    if not full.is_file():
        return rel, f"evidence file of {ref} ({ev_id}) is missing"
    try:
        same = sha256_file(full) == file.sha256
    except QmsError as exc:
        return rel, f"evidence file of {ref} ({ev_id}) cannot be read: {exc.message}"
    if not same:
        return rel, f"evidence file of {ref} ({ev_id}) was changed: its SHA-256 no longer matches"
    return None


def _check_seal(folder: Path, chain: list[LogEntry], problem: Problem) -> None:
    """A closed audit: nothing logged after its seal, and its files exactly as sealed."""
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
    for e in chain:
        if (e.seq, e.at) > (seal.seq, seal.at):
            problem(f"{LOG_DIR}/{entry_file_name(e)}", f"entry {e.seq} ({e.action}) changes the audit after it was "
                                                       "closed and sealed")
    _check_files_against_seal(folder, seal, problem)


def _check_files_against_seal(folder: Path, seal: LogEntry, problem: Problem) -> None:
    manifest = seal.manifest or {}
    try:
        present = sealed_files(folder)  # the audit's files now, listed and hashed exactly as closing sealed them
    except QmsError as exc:  # a file replaced by a pipe or a device, or unreadable: reported, never waited on
        problem(".", f"cannot be checked against its seal: {exc.message}")
        return
    for rel, digest in manifest.items():
        if rel not in present:
            problem(rel, f"sealed when the audit was closed (entry {seal.seq}) and now missing")
        elif present[rel] != digest:
            problem(rel, f"differs from the seal written when the audit was closed (entry {seal.seq})")
    for rel in sorted(set(present) - set(manifest)):
        problem(rel, f"added after the audit was closed and sealed (entry {seal.seq})")


def _check_records_validate(store: RecordFolder, report: VerifyReport, register: bool) -> None:
    if (not register and isinstance(store, AuditStore)) or (register and isinstance(store, NcRegister)):
        try:
            loaded = store.load()
        except QmsError as exc:
            report.problems.extend(exc.lines())
            return
        if isinstance(loaded, AuditSnapshot):
            _note_disputes(loaded, report)


def _note_disputes(snapshot: AuditSnapshot, report: VerifyReport) -> None:
    """Ratings disputed after a merge are part of a sound record (nothing was tampered with), but undecided."""
    from qms_audit.domain.audit_rules import findings_of_rating
    from qms_audit.domain.presentation import disputed_rating_text
    from qms_audit.model.common import number_key

    findings = list(snapshot.findings.values())
    for ref, dispute in sorted(snapshot.disputes.items(), key=lambda kv: number_key(kv[0])):
        ratings = "; ".join(disputed_rating_text(r, [f.id for f in findings_of_rating(ref, r, findings)])
                            for r in dispute.ratings)
        report.notes.append(f"the rating of {ref} is disputed, to be settled by the lead auditor "
                            f"{snapshot.record.plan.lead.name} rating it: {ratings}")


def _recorded_status(folder: Path) -> str | None:
    try:
        return json.loads((folder / AUDIT_FILE).read_text(encoding="utf-8")).get("status")
    except (OSError, ValueError, AttributeError):
        return None


def verify_audit(workspace: Workspace, audit_id: str) -> VerifyReport:
    from qms_audit.store.audits import AuditStore, audit_store
    from qms_audit.store.index import forget

    if audit_id in workspace.recorded_audit_ids():  # a log without audit.json is verified (and reported)
        report = verify_folder(workspace, AuditStore(workspace, audit_id))
    else:
        report = verify_folder(workspace, audit_store(workspace, audit_id))
    if not report.ok:
        # the index trusts a sealed audit's folder stamp; a file changed in place is read again from now on
        forget(workspace, [audit_id])
    return report


def verify_register(workspace: Workspace) -> VerifyReport:
    return verify_folder(workspace, NcRegister(workspace), register=True)


def verify_reviews(workspace: Workspace) -> VerifyReport:
    from qms_audit.store.reviews import ReviewRecords

    return verify_folder(workspace, ReviewRecords(workspace), register=True)


_SEAL_IN_REPORT = re.compile(r"Seal SHA-256 ((?:[0-9a-f]{16}\s?){4})")  # printed in groups of sixteen


def report_text(path: Path) -> str:
    """The text of an issued Word report, read safely (the Office checks) and without a Word library."""
    import zipfile

    from qms_audit.infra.office import check_office_file

    data = check_office_file(path, what="report")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            xml = archive.read("word/document.xml")
    except (KeyError, zipfile.BadZipFile):
        raise InvalidFile(f"{display_path(path)}: not a Word report (no word/document.xml)") from None
    # a paragraph or a table cell ends a line; runs within one join as they are
    return re.sub(r"<[^>]+>", "", re.sub(r"</w:(?:p|tc)>", "\n", xml.decode("utf-8", "replace")))


def check_issued_report(workspace: Workspace, audit_id: str, path: Path, report: VerifyReport) -> None:
    """Whether the audit is still as sealed when `path` was issued: the seal the report prints is in the log,
    signed, and no reopening came after it. What is found is added to `report`."""
    from qms_audit.store.audits import AuditStore

    shown = display_path(path)
    text = report_text(path)
    # the Document control names the audit as "ID (status)"
    if not re.search(r"(?<![\w-])" + re.escape(audit_id) + r" \(", text):
        report.problems.append(f"{shown}: not a report of audit {audit_id} (its document control names another "
                               "audit, or none)")
        return
    found = _SEAL_IN_REPORT.findall(text)
    if not found:
        report.problems.append(f"{shown}: the report prints no seal (issued while the audit was open): it cannot be "
                               "checked against the audit record")
        return
    seal = re.sub(r"\s", "", found[-1])
    entries = ordered(AuditStore(workspace, audit_id).log.entries())
    at = next((i for i, e in enumerate(entries) if e.hash == seal), None)
    if at is None or entries[at].action != "audit.close":
        report.problems.append(f"{shown}: the seal it prints ({seal[:16]}...) is not in the log of audit {audit_id}: "
                               "the audit's history was rewritten after the report was issued")
        return
    later = [e for e in entries[at + 1:] if e.action == "audit.reopen"]
    if later:
        first = later[0]
        report.problems.append(f"{shown}: audit {audit_id} was reopened after this report was issued (entry "
                               f"{first.seq}, {first.at:%Y-%m-%d} by {first.actor}: {first.reason or 'no reason'}); "
                               "the report no longer describes the record")
        return
    report.notes.append(f"{shown}: the audit is as sealed in entry {entries[at].seq} when the report was issued")
