"""Keystroke-level drafts of text being typed in the TUI, kept outside the workspace.

Notes are committed to the audit (one logged change) when the auditor pauses; in between, every keystroke
is written here, so a terminal killed mid-sentence loses nothing: the next session finds the draft and
saves it. Forms (evidence, findings, responses, CAPA steps) are kept the same way, field by field, until
they are saved: a refused save or a killed terminal never costs what was typed. Drafts live in the user's
state folder, not in the workspace, so they never reach version control.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from qms_audit.infra import clock
from qms_audit.infra.files import atomic_write_text

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


@dataclass
class FormDraft:
    key: str  # what the form is for, e.g. "evidence:8.1.c" or "capa.root_cause:NC-2026-FOE-801"
    values: dict[str, str]  # every field as typed, before any validation
    at: str

    @property
    def kind(self) -> str:
        return self.key.split(":", 1)[0]

    @property
    def target(self) -> str:
        return self.key.split(":", 1)[1] if ":" in self.key else ""


REGISTER_DRAFTS = "_register"  # the folder for forms about NCs and CAPAs, which may belong to no audit


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

    def _form_path(self, key: str) -> Path:
        # the key names the form and its target; a digest keeps two keys that read alike apart
        readable = re.sub(r"[^A-Za-z0-9._-]+", "_", key)[:80]
        return self.folder / f"form-{readable}-{hashlib.sha256(key.encode()).hexdigest()[:8]}.json"

    def save_form(self, key: str, values: dict[str, str]) -> None:
        data = {"key": key, "values": values, "at": clock.now().isoformat()}
        with contextlib.suppress(Exception):  # as for notes: never stop the typing
            atomic_write_text(self._form_path(key), json.dumps(data, ensure_ascii=False))

    def load_form(self, key: str) -> FormDraft | None:
        return next((d for d in self.pending_forms() if d.key == key), None)

    def clear_form(self, key: str) -> None:
        with contextlib.suppress(OSError):
            self._form_path(key).unlink()

    def pending_forms(self) -> list[FormDraft]:
        out: list[FormDraft] = []
        if not self.folder.is_dir():
            return out
        for path in sorted(self.folder.glob("form-*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                values = data["values"]
                if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
                    raise ValueError("values")
                out.append(FormDraft(key=str(data["key"]), values=values, at=str(data["at"])))
            except (OSError, ValueError, KeyError, TypeError):
                with contextlib.suppress(OSError):
                    path.unlink()
        return out

    def pending(self) -> list[Draft]:
        out: list[Draft] = []
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
