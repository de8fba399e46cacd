"""Keystroke-level drafts of text being typed in the TUI, kept outside the workspace.

Notes are committed to the audit (one logged change) when the auditor pauses; in between, every keystroke
is written here, so a terminal killed mid-sentence loses nothing: the next session finds the draft and
saves it. Drafts live in the user's state folder, not in the workspace, so they never reach version control.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from qms_audit import clock
from qms_audit.files import atomic_write_text

ENV_STATE = "QMS_AUDIT_STATE"


def state_dir() -> Path:
    configured = os.environ.get(ENV_STATE)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "qms-audit"


@dataclass
class Draft:
    ref: str
    text: str
    base: str  # the saved text the draft started from
    at: str


class DraftStore:
    def __init__(self, workspace_root: Path, audit_id: str) -> None:
        key = hashlib.sha256(str(Path(workspace_root).resolve()).encode()).hexdigest()[:16]
        self.folder = state_dir() / "drafts" / key / audit_id

    def _path(self, ref: str) -> Path:
        return self.folder / f"note-{ref}.json"

    def save(self, ref: str, text: str, base: str) -> None:
        data = {"ref": ref, "text": text, "base": base, "at": clock.now().isoformat()}
        with contextlib.suppress(Exception):  # a draft is a safety net; it must never stop the typing
            atomic_write_text(self._path(ref), json.dumps(data, ensure_ascii=False))

    def clear(self, ref: str) -> None:
        with contextlib.suppress(OSError):
            self._path(ref).unlink()

    def pending(self) -> list[Draft]:
        out = []
        if not self.folder.is_dir():
            return out
        for path in sorted(self.folder.glob("note-*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                out.append(Draft(ref=data["ref"], text=data["text"], base=data["base"], at=data["at"]))
            except (OSError, ValueError, KeyError):
                with contextlib.suppress(OSError):
                    path.unlink()
        return out
