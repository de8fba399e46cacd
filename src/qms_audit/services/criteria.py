"""Which text of its standard each audit is judged against, for `standards validate` and `audit criteria`."""

from __future__ import annotations

from dataclasses import dataclass

from qms_audit.infra.errors import QmsError
from qms_audit.infra.locations import Workspace
from qms_audit.services.standards import StandardLibrary
from qms_audit.store.audits import AuditStore

CURRENT = "current"  # pinned to the workspace's current text
OLDER = "older"  # pinned to another text (an earlier one, usually)
NOT_PINNED = "not pinned"  # planned before criteria were pinned: judged against the workspace's file


@dataclass(frozen=True)
class PinState:
    audit_id: str
    closed: bool
    standard: str  # the key recorded in the plan
    state: str


def pin_states(workspace: Workspace) -> tuple[list[PinState], list[str]]:
    """Every audit's pin against the workspace's current standards (reading audit.json only), and the audits
    that could not be read."""
    library = StandardLibrary(workspace)
    current: dict[str, str | None] = {}
    out: list[PinState] = []
    errors: list[str] = []
    for audit_id in workspace.audit_ids():
        try:
            record = AuditStore(workspace, audit_id).load_record()
        except QmsError as exc:
            errors.append(f"{audit_id}: {exc.message}")
            continue
        criteria = record.plan.criteria
        if criteria.standard not in current:
            current[criteria.standard] = library.current_hash(criteria.standard)
        if criteria.sha256 is None:
            state = NOT_PINNED
        else:
            state = CURRENT if criteria.sha256 == current[criteria.standard] else OLDER
        out.append(PinState(audit_id, record.is_closed, f"{criteria.standard}@{criteria.version}", state))
    return out, errors
