"""Who is making a change: recorded in every log entry, evidence entry and CAPA step."""

from __future__ import annotations

import getpass
import os
import subprocess

ENV_USER = "QMS_AUDIT_USER"


def current_actor(explicit: str | None = None) -> str:
    """`--as NAME`, else QMS_AUDIT_USER, else git's user.name, else the login name."""
    for candidate in (explicit, os.environ.get(ENV_USER)):
        if candidate and candidate.strip():
            return candidate.strip()
    try:
        out = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True, timeout=2,
                             check=False)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"
