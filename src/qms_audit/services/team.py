"""Team audits in git: auditors each work in a clone of the workspace and merge each other's work.

- `setup_git`: once per clone, registers the merge driver for audit records (`.gitattributes` names it, git's
  config says how to run it) and a post-merge hook that records merges in the audits' logs.
- `merge_file`: the driver. Git calls it with the three versions of a results or findings file; it merges them
  per requirement (domain/merging.py) and writes the result in qms-audit's own form, never conflict markers.
- `record_merges`: after a merge, one log entry per record folder joins the log's branches and records the hash
  of every file git merged, so `verify` checks those files again from then on.
"""

from __future__ import annotations

import os
import shlex
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ValidationError

from qms_audit.domain.merging import MergeRefused, merge_clause_results, merge_finding
from qms_audit.infra.errors import BadInput, QmsError
from qms_audit.infra.files import atomic_write_bytes, atomic_write_text
from qms_audit.infra.git import checked_git, run_git, work_tree_top
from qms_audit.infra.locations import Workspace
from qms_audit.model.audit import AuditRecord, ClauseResults, Finding
from qms_audit.store.audits import AUDIT_FILE, FINDINGS_DIR, RESULTS_DIR, AuditStore, NcRegister
from qms_audit.store.records import RecordFolder, record_bytes

DRIVER = "qms-audit"
HOOK_MARK = "# qms-audit: record merged audit records in their logs"
# the files two auditors may both rewrite: a clause's results (two requirements of one clause, or one requirement
# rated twice) and a finding (linked to evidence on both sides); log entries and evidence files are named by
# their content, and findings raised apart get distinct ids (domain/finding_ids.py)
ATTRIBUTES = (
    f"audits/*/{RESULTS_DIR}/*.json merge={DRIVER}",
    f"audits/*/{FINDINGS_DIR}/*.json merge={DRIVER}",
)
ATTRIBUTES_HEADER = "# qms-audit: audit records are merged requirement by requirement (`qms-audit git setup`)"


# --- setting up a clone -------------------------------------------------------------------------------------


@dataclass
class SetupReport:
    top: Path
    done: list[str] = field(default_factory=list)
    to_do: list[str] = field(default_factory=list)


def driver_command(python: str = sys.executable) -> str:
    """How git runs the driver: this interpreter, quoted for the shell git runs it with."""
    return f"{shlex.quote(python)} -m qms_audit git merge-file %O %A %B %P"


def hook_script(workspace: Workspace, python: str = sys.executable) -> str:
    return (f"#!/bin/sh\n{HOOK_MARK} (written by `qms-audit git setup`)\n"
            f"{shlex.quote(python)} -m qms_audit --workspace {shlex.quote(str(workspace.root))} "
            "git record-merge --hook\n")


def setup_git(workspace: Workspace) -> SetupReport:
    """Register the merge driver and the post-merge hook in the clone holding the workspace (idempotent)."""
    from qms_audit.services.workspace_setup import WORKSPACE_GITIGNORE

    top = work_tree_top(workspace.root)
    if top is None:
        raise BadInput(f"{workspace.root} is not in a git work tree: `git init` (or clone the team's repository) "
                       "first, then run `qms-audit git setup`")
    report = SetupReport(top)
    _add_attributes(workspace.root / ".gitattributes", report)
    ignore = workspace.root / ".gitignore"
    if not ignore.exists():
        atomic_write_text(ignore, WORKSPACE_GITIGNORE)
        report.done.append(f"wrote {workspace.relative(ignore)} (writers' transient files kept out of git)")
    checked_git("config", "--local", f"merge.{DRIVER}.name", "qms-audit: audit records merged per requirement",
                cwd=workspace.root)
    checked_git("config", "--local", f"merge.{DRIVER}.driver", driver_command(), cwd=workspace.root)
    report.done.append(f"registered the merge driver in this clone's git config (merge.{DRIVER}.driver)")
    _install_hook(workspace, report)
    return report


def setup_git_if_tracked(workspace: Workspace) -> SetupReport | None:
    """What `init` does: set up git when the new workspace is already inside a git work tree."""
    if work_tree_top(workspace.root) is None:
        return None
    return setup_git(workspace)


def _add_attributes(path: Path, report: SetupReport) -> None:
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    present = {line.strip() for line in text.splitlines()}
    missing = [line for line in ATTRIBUTES if line not in present]
    if not missing:
        return
    if text and not text.endswith("\n"):
        text += "\n"
    if ATTRIBUTES_HEADER not in present:
        text += ATTRIBUTES_HEADER + "\n"
    atomic_write_text(path, text + "".join(line + "\n" for line in missing))
    report.done.append(f"{'wrote' if len(missing) == len(ATTRIBUTES) else 'completed'} {path.name} "
                       "(commit it: every clone merges audit records the same way)")


def _install_hook(workspace: Workspace, report: SetupReport) -> None:
    hooks = Path(checked_git("rev-parse", "--git-path", "hooks", cwd=workspace.root).strip())
    if not hooks.is_absolute():
        hooks = workspace.root / hooks
    hook = hooks / "post-merge"
    script = hook_script(workspace)
    if hook.exists() and HOOK_MARK not in hook.read_text(encoding="utf-8", errors="replace"):
        report.to_do.append(f"{hook} exists and is not qms-audit's: add this line to it to record merges in the "
                            f"audits' logs: {script.splitlines()[-1]}")
        return
    hooks.mkdir(parents=True, exist_ok=True)
    atomic_write_text(hook, script)
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    report.done.append("installed the post-merge hook (records each merge in the audits' logs)")


# --- the merge driver ---------------------------------------------------------------------------------------


@dataclass
class MergeOutcome:
    clean: bool
    messages: list[str] = field(default_factory=list)


def merge_file(base: Path, ours: Path, theirs: Path, pathname: str) -> MergeOutcome:
    """Merge one record file as git's merge driver: the result replaces `ours`. A results file always merges
    (ratings that differ become a dispute); a finding merges unless one field was changed differently on both
    sides. A file that is not one of our records as expected is left to git's own line merge."""
    parts = Path(pathname).parts
    kind = parts[-2] if len(parts) >= 2 else ""
    if kind not in (RESULTS_DIR, FINDINGS_DIR):
        return _line_merge(base, ours, theirs, pathname, f"{pathname} is not an audit record qms-audit merges")
    closed = _closed_audit(Path(pathname).parent.parent / AUDIT_FILE)
    if closed:
        return MergeOutcome(False, [f"{pathname}: audit {closed} is closed and sealed; nothing is merged into it "
                                    "(reopen it with a reason first); this clone's version is kept"])
    model: type[ClauseResults] | type[Finding] = ClauseResults if kind == RESULTS_DIR else Finding
    try:
        base_model = _parse(base, model, allow_empty=True)
        ours_model = _parse(ours, model)
        theirs_model = _parse(theirs, model)
    except ValueError as exc:
        return _line_merge(base, ours, theirs, pathname, f"{pathname}: {exc}; left to git's own merge")
    messages = []
    try:
        if isinstance(ours_model, ClauseResults):
            assert isinstance(theirs_model, ClauseResults) and not isinstance(base_model, Finding)
            found = merge_clause_results(base_model, ours_model, theirs_model)
            merged: BaseModel = found.merged
            for ref in found.new_disputes:
                kept = found.merged.results[ref]
                messages.append(f"{pathname}: {ref} was rated differently on both sides; "
                                f"{kept.grade.label.lower() if kept.level is None else f'level {kept.level}'} "
                                "is kept until the lead auditor settles the dispute (`qms-audit audit show`)")
        else:
            assert isinstance(ours_model, Finding) and isinstance(theirs_model, Finding)
            assert not isinstance(base_model, ClauseResults)
            merged = merge_finding(base_model, ours_model, theirs_model)
    except MergeRefused as exc:
        return MergeOutcome(False, [f"{pathname}: {exc}; this clone's version is kept, choose with `git checkout "
                                    f"--ours/--theirs {pathname}` or edit it, then `git add` it"])
    atomic_write_bytes(ours, record_bytes(merged))
    return MergeOutcome(True, messages)


def _parse(path: Path, model: type[ClauseResults] | type[Finding],
           allow_empty: bool = False) -> ClauseResults | Finding | None:
    data = path.read_bytes()
    if not data.strip() and allow_empty:
        return None  # the file did not exist in the common ancestor (both sides created it)
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "the file"
        raise ValueError(f"one version is not a valid record ({where}: {first['msg']})") from None


def _closed_audit(audit_file: Path) -> str | None:
    try:
        record = AuditRecord.model_validate_json(audit_file.read_bytes())
    except (OSError, ValidationError):
        return None
    return record.id if record.is_closed else None


def _line_merge(base: Path, ours: Path, theirs: Path, pathname: str, why: str) -> MergeOutcome:
    """git's own merge of the text (conflict markers where the lines clash), for files we cannot read."""
    done = run_git("merge-file", "-L", "ours", "-L", "base", "-L", "theirs", str(ours), str(base), str(theirs),
                   cwd=Path.cwd())
    return MergeOutcome(done.returncode == 0, [why])


# --- recording merges in the logs ---------------------------------------------------------------------------


@dataclass
class MergeRecord:
    label: str
    entry_name: str | None = None  # the log entry written
    files: list[str] = field(default_factory=list)
    problem: str | None = None


def record_merges(workspace: Workspace, actor: str) -> list[MergeRecord]:
    """One joining entry in each record folder whose log has branches (after a `git merge`)."""
    from qms_audit.store.reviews import ReviewRecords

    folders: list[RecordFolder] = [AuditStore(workspace, a) for a in workspace.recorded_audit_ids()]
    folders += [NcRegister(workspace), ReviewRecords(workspace)]
    out = []
    for folder in folders:
        if not folder.folder.is_dir() or len(folder.log.heads()) < 2:
            continue
        out.append(_record_merge(folder, actor))
    return out


def _record_merge(folder: RecordFolder, actor: str) -> MergeRecord:
    record = MergeRecord(folder.label)
    files = folder.merged_files()
    try:
        if isinstance(folder, AuditStore):
            snapshot = folder.load()  # every record must read as ours: no conflict markers, nothing half-merged
            if snapshot.record.is_closed:
                record.problem = (f"{folder.label} is closed and sealed: a merge into it is not recorded; undo the "
                                  "merge, or reopen the audit with a reason and merge again")
                return record
        elif isinstance(folder, NcRegister):
            folder.load()
        entry = folder.record_merge(actor=actor, summary=f"recorded a git merge ({len(files)} merged file"
                                                          f"{'' if len(files) == 1 else 's'})")
    except QmsError as exc:
        record.problem = f"{folder.label}: the merge is not recorded: {exc.message}"
        return record
    if entry is not None:
        from qms_audit.store.eventlog import entry_file_name

        record.entry_name = f"{os.path.relpath(folder.log.dir, folder.folder)}/{entry_file_name(entry)}"
        record.files = files
    return record
