"""Typed access to the files of one audit folder, and of the workspace's register of other NCs."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from qms_audit.infra.errors import NotFound, choice_hint
from qms_audit.infra.loading import M, load_json_model, load_json_record
from qms_audit.infra.locations import Workspace
from qms_audit.model.audit import AuditRecord, ClauseResults, Dispute, Finding, RequirementResult
from qms_audit.store.layout import AUDIT_FILE, EVIDENCE_DIR, FINDINGS_DIR, RESULTS_DIR
from qms_audit.store.layout import CRITERIA_DIR as CRITERIA_DIR  # named here by the code that reads records
from qms_audit.store.layout import CRITERIA_FILE as CRITERIA_FILE
from qms_audit.store.records import RecordFolder, list_json

MAX_RECORD_BYTES = 20 * 1024 * 1024


def results_relpath(clause: str) -> str:
    name = clause.zfill(2) if clause.isdigit() else clause
    return f"{RESULTS_DIR}/clause-{name}.json"


def finding_relpath(finding_id: str) -> str:
    return f"{FINDINGS_DIR}/{finding_id}.json"


_EMPTY_RESULT = RequirementResult()


@dataclass
class AuditSnapshot:
    """Everything recorded in one audit folder, as read at one moment."""

    record: AuditRecord
    clause_files: dict[str, ClauseResults] = field(default_factory=dict)
    findings: dict[str, Finding] = field(default_factory=dict)
    # the bytes each finding was read from, by id as `findings`: the index stores them as they are
    finding_files: dict[str, bytes] = field(default_factory=dict, repr=False)

    @property
    def results(self) -> dict[str, RequirementResult]:
        out: dict[str, RequirementResult] = {}
        for clause_file in self.clause_files.values():
            out.update(clause_file.results)
        return out

    @property
    def disputes(self) -> dict[str, Dispute]:
        """Requirements rated differently by auditors whose work was merged, not settled yet, by ref."""
        out: dict[str, Dispute] = {}
        for clause_file in self.clause_files.values():
            out.update(clause_file.disputes)
        return out

    def result(self, ref: str) -> RequirementResult:
        for clause_file in self.clause_files.values():
            found = clause_file.results.get(ref)
            if found is not None:
                return found
        return _EMPTY_RESULT

    def findings_for(self, ref: str, *, include_withdrawn: bool = False) -> list[Finding]:
        return [f for f in self.findings.values()
                if f.ref == ref and (include_withdrawn or f.withdrawn is None)]

    def active_findings(self) -> list[Finding]:
        return sorted((f for f in self.findings.values() if f.withdrawn is None), key=lambda f: f.id)


class AuditStore(RecordFolder):
    def __init__(self, workspace: Workspace, audit_id: str) -> None:
        super().__init__(workspace.audit_dir(audit_id), label=f"audit {audit_id}")
        self.workspace = workspace
        self.audit_id = audit_id

    def exists(self) -> bool:
        return (self.folder / AUDIT_FILE).is_file()

    def _load(self, path: str, model: type[M]) -> M:
        return load_json_model(path, model, what="audit record", max_bytes=MAX_RECORD_BYTES,
                               base=self.workspace.root)

    def load_record(self) -> AuditRecord:
        return self._load(os.path.join(self.folder, AUDIT_FILE), AuditRecord)

    def load(self) -> AuditSnapshot:
        # Plain strings and scandir: a portfolio load opens tens of thousands of these files.
        root = str(self.folder)
        snap = AuditSnapshot(self._load(os.path.join(root, AUDIT_FILE), AuditRecord))
        for path in _json_files(os.path.join(root, RESULTS_DIR)):
            clause_file = self._load(path, ClauseResults)
            snap.clause_files[clause_file.clause] = clause_file
        for path in _json_files(os.path.join(root, FINDINGS_DIR)):
            finding, data = load_json_record(path, Finding, what="audit record", max_bytes=MAX_RECORD_BYTES,
                                             base=self.workspace.root)
            snap.findings[finding.id] = finding
            snap.finding_files[finding.id] = data
        return snap

    def evidence_path(self, name: str) -> Path:
        return self.folder / EVIDENCE_DIR / name


class NcRegister(RecordFolder):
    """Nonconformities raised outside audits: complaints, feedback, management review, external audit."""

    def __init__(self, workspace: Workspace) -> None:
        super().__init__(workspace.nc_register_dir, label="the NC register")
        self.workspace = workspace

    def load(self) -> dict[str, Finding]:
        out = {}
        for path in list_json(self.folder):
            finding = load_json_model(path, Finding, what="NC record", max_bytes=MAX_RECORD_BYTES,
                                      base=self.workspace.root)
            out[finding.id] = finding
        return out


def _json_files(folder: str) -> list[str]:
    try:
        with os.scandir(folder) as entries:
            return sorted(e.path for e in entries if e.name.endswith(".json") and not e.name.startswith("."))
    except FileNotFoundError:
        return []


FINDING_FILE = re.compile(r"^(NC|OBS|OFI)-(\d{4})-([A-Z][A-Z0-9]{1,9})-(\d{3,})\.json$")


def existing_finding_ids(workspace: Workspace) -> list[str]:
    """Finding ids used anywhere in the workspace, from file names alone (fast)."""
    ids: list[str] = []
    folders = [workspace.nc_register_dir]
    if workspace.audits_dir.is_dir():
        folders += [p / FINDINGS_DIR for p in workspace.audits_dir.iterdir() if p.is_dir()]
    for folder in folders:
        for path in list_json(folder):
            if FINDING_FILE.match(path.name):
                ids.append(path.stem)
    return ids


def locate_finding_file(workspace: Workspace, finding_id: str) -> tuple[RecordFolder, str] | None:
    """The record folder holding a finding, and its path inside that folder."""
    register = NcRegister(workspace)
    if (register.folder / f"{finding_id}.json").is_file():
        return register, f"{finding_id}.json"
    if workspace.audits_dir.is_dir():
        for audit_dir in sorted(workspace.audits_dir.iterdir()):
            if (audit_dir / finding_relpath(finding_id)).is_file():
                return AuditStore(workspace, audit_dir.name), finding_relpath(finding_id)
    return None


def audit_store(workspace: Workspace, audit_id: str) -> AuditStore:
    """The store of an audit that exists; an unknown id is refused with the nearest ids as a hint."""
    store = AuditStore(workspace, audit_id)
    if not store.exists():
        hint = choice_hint(audit_id, workspace.audit_ids())
        raise NotFound(f"unknown audit '{audit_id}' ({hint}; `qms-audit audit list` shows them)")
    return store
