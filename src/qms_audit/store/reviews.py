"""Records of held management reviews (`reviews/<date>.json`), logged and verified like audit records."""

from __future__ import annotations

from qms_audit.infra.loading import load_json_model
from qms_audit.infra.locations import Workspace
from qms_audit.model.review import ManagementReview
from qms_audit.store.records import RecordFolder, list_json

MAX_REVIEW_BYTES = 2 * 1024 * 1024


class ReviewRecords(RecordFolder):
    def __init__(self, workspace: Workspace) -> None:
        super().__init__(workspace.reviews_dir, label="management reviews")
        self.workspace = workspace

    def load(self) -> list[ManagementReview]:
        out = [load_json_model(path, ManagementReview, what="management review record", max_bytes=MAX_REVIEW_BYTES,
                               base=self.workspace.root) for path in list_json(self.folder)]
        return sorted(out, key=lambda r: (r.held_on, r.id))
