"""The trusted signers' record folder (`signers/`): `signers.json` and its own event log."""

from __future__ import annotations

from qms_audit.infra.loading import load_json_model
from qms_audit.infra.locations import Workspace
from qms_audit.model.signers import TrustedSigner, TrustedSigners
from qms_audit.store.records import RecordFolder

SIGNERS_FILE = "signers.json"


class SignerRecords(RecordFolder):
    def __init__(self, workspace: Workspace) -> None:
        super().__init__(workspace.signers_dir, label="the trusted signers")
        self.workspace = workspace

    def load(self) -> TrustedSigners:
        path = self.folder / SIGNERS_FILE
        if not path.is_file():
            return TrustedSigners()
        return load_json_model(path, TrustedSigners, what="list of signers", base=self.workspace.root)


def trusted_signers(workspace: Workspace) -> list[TrustedSigner]:
    """Every key the workspace has trusted, the removed ones included (their earlier signatures stay valid)."""
    records = SignerRecords(workspace)
    if records.folder.is_dir():
        records.ensure_recovered("reader")
    return records.load().signers
