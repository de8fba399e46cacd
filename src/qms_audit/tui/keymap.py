"""Remappable keys: every binding has an id; `keymap.yaml` maps ids to keys.

Read from the workspace (a shared default) and then from the user's config folder
(`~/.config/qms-audit/keymap.yaml`), which wins. Unknown ids are reported, not ignored.
"""

from __future__ import annotations

from pathlib import Path

from qms_audit.infra.errors import InvalidFile, Problem, did_you_mean
from qms_audit.infra.loading import read_yaml
from qms_audit.infra.locations import Workspace, config_dir


def user_keymap_path() -> Path:
    return config_dir() / "keymap.yaml"


def keymap_files(workspace: Workspace) -> list[Path]:
    return [p for p in (workspace.keymap_path, user_keymap_path()) if p.is_file()]


def load_keymap(workspace: Workspace, known_ids: set[str]) -> dict[str, str]:
    keymap: dict[str, str] = {}
    for path in keymap_files(workspace):
        located = read_yaml(path, what="keymap", max_bytes=64 * 1024)
        if not isinstance(located.data, dict):
            raise InvalidFile(problems=[located.problem((), "expected a mapping of binding ids to keys")])
        problems = []
        for binding_id, keys in located.data.items():
            if binding_id not in known_ids:
                problems.append(located.problem((binding_id,), f"unknown binding id '{binding_id}'",
                                                did_you_mean(binding_id, known_ids) or "see the README's keymap"))
            elif not isinstance(keys, str) or not keys.strip():
                problems.append(located.problem((binding_id,), "give the key(s) as text, e.g. \"f5\" or \"f5,ctrl+r\""))
            else:
                keymap[binding_id] = keys.strip()
        if problems:
            raise InvalidFile(problems=[Problem(p.message, file=p.file, line=p.line, where=p.where, hint=p.hint)
                                        for p in problems])
    return keymap
