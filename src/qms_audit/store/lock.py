"""The writer's lock of a record folder: one writer at a time, and a clear "locked by" otherwise."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import sys
from pathlib import Path

from qms_audit.infra.errors import Locked, StorageError

ENV_LOCK_TIMEOUT = "QMS_AUDIT_LOCK_TIMEOUT"
DEFAULT_TIMEOUT = 5.0
LOCK_NAME = ".lock"
INFO_NAME = ".lock.info"


def lock_timeout() -> float:
    try:
        return max(0.0, float(os.environ.get(ENV_LOCK_TIMEOUT, DEFAULT_TIMEOUT)))
    except ValueError:
        return DEFAULT_TIMEOUT


class RecordLock:
    """Held only for the few milliseconds of a read-modify-write; waits up to the timeout for a turn."""

    def __init__(self, folder: Path, *, actor: str, label: str, timeout: float | None = None) -> None:
        self.folder = folder
        self.actor = actor
        self.label = label
        self.timeout = lock_timeout() if timeout is None else timeout
        from filelock import FileLock  # imported on the first write: readers never need it

        self._lock = FileLock(str(folder / LOCK_NAME), timeout=self.timeout)
        self.acquired = False

    def holder(self) -> str:
        try:
            info = json.loads((self.folder / INFO_NAME).read_text(encoding="utf-8"))
            return (f"{info.get('actor', '?')} ({info.get('command', '?')}, pid {info.get('pid', '?')} on "
                    f"{info.get('host', '?')}, since {info.get('since', '?')})")
        except (OSError, ValueError):
            return "another qms-audit process"

    def __enter__(self) -> RecordLock:
        from filelock import Timeout

        try:
            self._lock.acquire()
        except Timeout:
            raise Locked(f"{self.label} is locked by {self.holder()}; nothing was changed, "
                         "try again when it finishes") from None
        except OSError as exc:
            raise StorageError(f"{self.label}: cannot take the lock ({exc.strerror or exc})") from None
        self.acquired = True
        info = {
            "actor": self.actor,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": " ".join(["qms-audit", *sys.argv[1:3]]) if sys.argv else "qms-audit",
            "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        with contextlib.suppress(OSError):
            (self.folder / INFO_NAME).write_text(json.dumps(info), encoding="utf-8")
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            (self.folder / INFO_NAME).unlink()
        self._lock.release()
        self.acquired = False
