"""Who is making a change: recorded in every log entry, evidence entry and CAPA step.

A name is never guessed. It comes from `--as NAME`, else the QMS_AUDIT_USER variable, else the identity the
person saved once (`qms-audit whoami --set`, or the TUI's first-use form) in their own config folder, outside
every workspace. With none of these, a change is refused with the three ways to say who you are: an audit
record signed with whatever git or the login happened to hold would not stand in front of a reviewer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from qms_audit.infra.errors import BadInput, printable
from qms_audit.infra.locations import config_dir

ENV_USER = "QMS_AUDIT_USER"
IDENTITY_FILE = "identity.yaml"
MAX_NAME = 120

NO_IDENTITY = ("no name to record this change under: pass --as \"NAME\", set QMS_AUDIT_USER, or save yours once "
               "with `qms-audit whoami --set \"NAME\" --unit \"UNIT\"`")


def identity_path() -> Path:
    return config_dir() / IDENTITY_FILE


@dataclass(frozen=True)
class Identity:
    name: str
    unit: str | None
    source: str  # where the name came from, said back to the person: "--as", "QMS_AUDIT_USER" or the file

    @property
    def label(self) -> str:
        return f"{self.name} ({self.unit})" if self.unit else self.name


def clean_name(value: str, what: str = "name") -> str:
    text = " ".join(value.split())
    if not text:
        raise BadInput(f"the {what} is empty")
    if len(text) > MAX_NAME:
        raise BadInput(f"the {what} is longer than {MAX_NAME} characters")
    if printable(text) != text:
        raise BadInput(f"the {what} has control characters")
    return text


def saved_identity() -> Identity | None:
    """The identity saved in the config folder, or None. A damaged file is an error naming it, never ignored."""
    path = identity_path()
    if not path.is_file():
        return None
    from qms_audit.infra.errors import InvalidFile
    from qms_audit.infra.loading import read_yaml

    located = read_yaml(path, what="identity", max_bytes=16 * 1024)
    data = located.data
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise InvalidFile(problems=[located.problem((), "expected `name: Your Name` and optionally `unit: Unit`",
                                                    "run `qms-audit whoami --set \"NAME\"` to write it again")])
    unit = data.get("unit")
    try:
        return Identity(clean_name(data["name"]), clean_name(unit, "unit") if isinstance(unit, str) and unit.strip()
                        else None, str(path))
    except BadInput as exc:
        raise InvalidFile(problems=[located.problem(("name",), exc.message)]) from None


def save_identity(name: str, unit: str | None) -> Identity:
    import json

    from qms_audit.infra.files import atomic_write_text

    name = clean_name(name)
    unit = clean_name(unit, "unit") if unit and unit.strip() else None
    path = identity_path()
    # JSON strings are valid YAML and need no quoting rules of their own; the file stays readable and editable
    lines = ["# Who you are when you record audit work (qms-audit whoami --set to change it)",
             f"name: {json.dumps(name, ensure_ascii=False)}"]
    if unit:
        lines.append(f"unit: {json.dumps(unit, ensure_ascii=False)}")
    atomic_write_text(path, "\n".join(lines) + "\n")
    return Identity(name, unit, str(path))


def resolve_identity(explicit: str | None = None) -> Identity | None:
    """`--as NAME`, else QMS_AUDIT_USER, else the saved identity; None when nobody has said who they are."""
    if explicit is not None and explicit.strip():
        return Identity(clean_name(explicit), _saved_unit_for(explicit), "--as")
    env = os.environ.get(ENV_USER)
    if env and env.strip():
        return Identity(clean_name(env), _saved_unit_for(env), ENV_USER)
    return saved_identity()


def _saved_unit_for(name: str) -> str | None:
    """A name given on the command line keeps the home unit saved for the same name."""
    try:
        saved = saved_identity()
    except BadInput:
        return None
    return saved.unit if saved is not None and saved.name == " ".join(name.split()) else None


def current_actor(explicit: str | None = None) -> str:
    """The name to record, or a refusal saying how to give one."""
    identity = resolve_identity(explicit)
    if identity is None:
        raise BadInput(NO_IDENTITY)
    return identity.name
