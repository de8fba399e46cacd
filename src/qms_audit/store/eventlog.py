"""The hash-chained event log of a record folder: one small JSON file per entry under `log/`."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from qms_audit.infra.files import sha256_bytes
from qms_audit.model.log import LogEntry

LOG_DIR = "log"


def canonical_bytes(entry_fields: dict[str, Any]) -> bytes:
    return json.dumps(entry_fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_hash(entry: LogEntry) -> str:
    fields = entry.model_dump(mode="json", exclude={"hash", "signature"})
    if fields.get("signed_by") is None:
        fields.pop("signed_by", None)  # entries from before signatures hash as they always did
    return sha256_bytes(canonical_bytes(fields))


def entry_file_name(entry: LogEntry) -> str:
    return f"{entry.seq:06d}-{entry.hash[:12]}.json"


def serialize_entry(entry: LogEntry) -> str:
    data = entry.model_dump(mode="json")
    for name in ("signed_by", "signature"):
        if data.get(name) is None:
            data.pop(name, None)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


@dataclass
class LoadedEntry:
    name: str
    entry: LogEntry | None
    error: str | None = None


class EventLog:
    """Reads the log incrementally: a long-lived reader (the TUI) only parses files it has not seen."""

    def __init__(self, folder: Path) -> None:
        self.dir = folder / LOG_DIR
        self._loaded: dict[str, LoadedEntry] = {}

    def refresh(self) -> list[LoadedEntry]:
        try:
            names = {n for n in os.listdir(self.dir) if n.endswith(".json") and not n.startswith(".")}
        except FileNotFoundError:
            names = set()
        for gone in set(self._loaded) - names:
            del self._loaded[gone]
        for name in sorted(names - set(self._loaded)):
            self._loaded[name] = self._read(name)
        return [self._loaded[n] for n in sorted(self._loaded)]

    def _read(self, name: str) -> LoadedEntry:
        try:
            data = (self.dir / name).read_bytes()
            return LoadedEntry(name, LogEntry.model_validate_json(data))
        except OSError as exc:
            return LoadedEntry(name, None, f"cannot read ({exc.strerror})")
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"])
            return LoadedEntry(name, None, f"not a valid log entry ({where}: {first['msg']})")

    def entries(self) -> list[LogEntry]:
        return [item.entry for item in self.refresh() if item.entry is not None]

    def heads(self) -> list[LogEntry]:
        entries = self.entries()
        referenced = {h for e in entries for h in e.prev}
        return sorted((e for e in entries if e.hash not in referenced), key=lambda e: (e.seq, e.hash))

    def remember(self, name: str, entry: LogEntry) -> None:
        """Note an entry this process just wrote, so the next head lookup needs no re-read."""
        self._loaded[name] = LoadedEntry(name, entry)


def ordered(entries: list[LogEntry]) -> list[LogEntry]:
    """Entries oldest first: by chain height, then time, then hash (stable across machines)."""
    return sorted(entries, key=lambda e: (e.seq, e.at, e.hash))


def latest_writers(entries: list[LogEntry]) -> dict[str, list[LogEntry]]:
    """For every file the log names, the entries that wrote it last: one on a straight history, and after a
    `git merge` one per branch that wrote it, until an entry following both branches (a recorded merge, or any
    later change, which joins the heads) writes or records it again. Oldest first."""
    chain = ordered(entries)
    writers: dict[str, list[int]] = {}
    for i, entry in enumerate(chain):
        for rel in entry.files:
            writers.setdefault(rel, []).append(i)
    if all(len(e.prev) <= 1 for e in chain) and len({e.hash for e in chain} - {p for e in chain for p in e.prev}) <= 1:
        return {rel: [chain[found[-1]]] for rel, found in writers.items()}  # one history: the last writer
    # ancestors of each entry as a bit set; an entry's parents come before it (a parent's number is lower)
    index = {e.hash: i for i, e in enumerate(chain)}
    ancestors = [0] * len(chain)
    for i, entry in enumerate(chain):
        for parent in entry.prev:
            j = index.get(parent)
            if j is not None and j < i:
                ancestors[i] |= ancestors[j] | (1 << j)
    out: dict[str, list[LogEntry]] = {}
    for rel, found in writers.items():
        latest: list[int] = []
        covered = 0  # every entry some latest writer follows
        for i in reversed(found):
            if not (covered >> i) & 1:
                latest.append(i)
                covered |= ancestors[i]
        out[rel] = [chain[i] for i in reversed(latest)]
    return out


def written_on_parallel_branches(entries: list[LogEntry]) -> dict[str, list[LogEntry]]:
    """Files whose latest writers are on parallel branches of the log and disagree about the content: what a
    merge must record (see `latest_writers`)."""
    return {rel: found for rel, found in latest_writers(entries).items()
            if len({e.files[rel] for e in found}) > 1}
