"""The trusted signers of a workspace (`signers/signers.json`, with its own event log): the public keys whose
signatures `verify` accepts on seals and reopenings, each with the person it belongs to."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from qms_audit.model.common import NonEmpty, StrictModel


class TrustedSigner(StrictModel):
    name: NonEmpty
    key: NonEmpty = Field(description="ed25519:BASE64 of the 32 raw public bytes.")
    key_id: NonEmpty = Field(description="The first 16 hex digits of the SHA-256 of those bytes.")
    added_by: NonEmpty
    added_at: dt.datetime
    how: NonEmpty = Field(description="'first signature' (registered by its owner) or 'added' (by someone).")
    removed_at: dt.datetime | None = Field(
        default=None, description="From then on its signatures are refused; earlier ones stay valid.")
    removed_by: str | None = None
    removal_reason: str | None = None


class TrustedSigners(StrictModel):
    format: int = 1
    signers: list[TrustedSigner] = Field(default_factory=list)
