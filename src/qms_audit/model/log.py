"""One entry of a record folder's event log (`log/000042-<hash12>.json`).

Entries are chained by `prev`: the hashes of the entries that were the newest (the "heads") when this one
was written. A straight history is a chain; after a `git merge` of two auditors' work there are two heads,
and the next entry joins them. `hash` is the SHA-256 of the entry's canonical JSON without `hash` and
`signature` (and without `signed_by` when there is none, so entries written before signatures keep their
hashes); a signed entry carries the signer's Ed25519 signature of that hash.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from qms_audit.model.common import NonEmpty, StrictModel

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class FieldChange(StrictModel):
    field: NonEmpty
    before: Any = None
    after: Any = None


class SignedBy(StrictModel):
    name: NonEmpty
    key_id: NonEmpty
    meaning: NonEmpty = Field(description="What the signer declares, e.g. 'closed the audit and sealed its files'.")


class LogEntry(StrictModel):
    seq: Annotated[int, Field(ge=1)]
    at: dt.datetime
    actor: NonEmpty
    action: NonEmpty
    target: str = ""
    summary: str = ""
    reason: str | None = None
    changes: list[FieldChange] = Field(default_factory=list)
    files: dict[str, Sha256 | None] = Field(
        default_factory=dict, description="Content hash of every file this change wrote; null for a removal.")
    manifest: dict[str, Sha256] | None = Field(
        default=None, description="On closing: the hash of every file of the record, sealing it.")
    prev: list[Sha256] = Field(default_factory=list)
    signed_by: SignedBy | None = Field(
        default=None, description="An electronic signature: who signed, with which key, meaning what (hashed).")
    hash: Sha256
    signature: str | None = Field(
        default=None, description="Base64 Ed25519 signature of `hash` by the key of `signed_by` (not hashed).")
