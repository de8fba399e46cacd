"""Electronic signatures of a workspace's records: who may sign (the trusted signers, a logged list in
`signers/`), and the signature a seal or a reopening carries.

A person's key is created on their first signature (`infra/signing.py`) and registered in the list at the same
moment, logged as "first signature" with who did it: no extra step, and every key that ever signed is on
record. Trust is then a matter of that list and its log, which live in the workspace (and its git history):
`qms-audit signers list` shows who is trusted since when and by whose doing, and `signers remove` ends a key's
trust from a date (its earlier signatures stay valid). See the threat model in docs/records.md.
"""

from __future__ import annotations

from qms_audit.infra.errors import BadInput, NotFound, Refused
from qms_audit.infra.locations import Workspace
from qms_audit.infra.signing import PublicKey, SigningKey
from qms_audit.model.log import SignedBy
from qms_audit.model.signers import TrustedSigner
from qms_audit.store.records import Signer
from qms_audit.store.signers import SIGNERS_FILE, SignerRecords, trusted_signers


def _add(workspace: Workspace, key: PublicKey, name: str, *, actor: str, how: str) -> TrustedSigner:
    records = SignerRecords(workspace)
    records.folder.mkdir(parents=True, exist_ok=True)
    summary = f"trusted the key {key.id} of {name}" + (" on their first signature" if how == "first signature"
                                                        else "")
    with records.transaction(actor=actor, action="signers.add", target=key.id, summary=summary) as tx:
        current = records.load()
        found = next((s for s in current.signers if s.key_id == key.id and s.removed_at is None), None)
        if found is not None:
            return found
        signer = TrustedSigner(name=name, key=key.text, key_id=key.id, added_by=actor, added_at=tx.at, how=how)
        tx.write(SIGNERS_FILE, current.model_copy(update={"signers": [*current.signers, signer]}))
        tx.change(f"signer.{key.id}", None, name)
        return signer


def add_signer(workspace: Workspace, key_text: str, name: str, *, actor: str) -> TrustedSigner:
    if not name.strip():
        raise BadInput("name the person the key belongs to")
    return _add(workspace, PublicKey.parse(key_text.strip()), name.strip(), actor=actor, how="added")


def remove_signer(workspace: Workspace, key_id: str, *, actor: str, reason: str) -> TrustedSigner:
    if not reason.strip():
        raise BadInput("removing a signer needs a reason (--reason '...')")
    records = SignerRecords(workspace)
    with records.transaction(actor=actor, action="signers.remove", target=key_id, summary=f"ended trust in {key_id}",
                             reason=reason) as tx:
        current = records.load()
        found = next((s for s in current.signers if s.key_id == key_id and s.removed_at is None), None)
        if found is None:
            raise NotFound(f"no trusted key {key_id} (see `qms-audit signers list`)")
        ended = found.model_copy(update={"removed_at": tx.at, "removed_by": actor, "removal_reason": reason})
        tx.write(SIGNERS_FILE, current.model_copy(update={
            "signers": [ended if s is found else s for s in current.signers]}))
        tx.change(f"signer.{key_id}", found.name, None)
        return ended


def signer_for(workspace: Workspace, actor: str, meaning: str) -> tuple[Signer, bool]:
    """The signature `actor` puts on an entry meaning `meaning`, with their own key (created now if they have
    none); and whether their key was registered just now. A key the workspace stopped trusting is refused."""
    key = SigningKey.own()
    public = key.public
    signers = trusted_signers(workspace)
    ended = [s for s in signers if s.key_id == public.id and s.removed_at is not None]
    live = [s for s in signers if s.key_id == public.id and s.removed_at is None]
    if ended and not live:
        raise Refused(f"your signing key {public.id} is no longer trusted in this workspace (removed on "
                      f"{ended[-1].removed_at:%Y-%m-%d} by {ended[-1].removed_by}); ask for a new key to be added "
                      "with `qms-audit signers add`")
    registered = False
    if not live:
        _add(workspace, public, actor, actor=actor, how="first signature")
        registered = True
    return Signer(SignedBy(name=actor, key_id=public.id, meaning=meaning), key.sign), registered

