"""The NC/CAPA register of the whole workspace as one workbook (audits and NCs raised outside audits)."""

from __future__ import annotations

from qms_audit.infra import clock
from qms_audit.infra.locations import Workspace
from qms_audit.model.standard import Standard
from qms_audit.render.audit_xlsx import FINDING_WIDTHS, add_register_formatting, finding_columns, finding_row
from qms_audit.render.sheets import new_workbook, save, table_sheet
from qms_audit.services.capa import RegisterRow
from qms_audit.services.standards import StandardLibrary
from qms_audit.views.report_content import _finding_row


def build_register(workspace: Workspace, rows: list[RegisterRow]) -> bytes:
    library = StandardLibrary(workspace)
    standards: dict[str, Standard | None] = {}
    today = clock.today()

    def standard_for(key: str | None) -> Standard | None:
        if not key:
            return None
        if key not in standards:
            std_id, _, version = key.partition("@")
            try:
                standards[key] = library.get(std_id, version or None)
            except Exception:
                standards[key] = None
        return standards[key]

    wb = new_workbook()
    headers = finding_columns()
    data = []
    actions = []
    for row in rows:
        std = standard_for(row.finding.standard)
        f = _finding_row(row.finding, std, today)
        data.append(finding_row(f, source=row.finding.source.label, audit_id=row.audit_id or ""))
        actions += [[f.id, a.id, a.description, a.owner, a.due, a.status, a.done, a.note, "yes" if a.overdue else ""]
                    for a in f.actions]
    ws, count = table_sheet(wb, "NC register", headers, data, widths=FINDING_WIDTHS, table_name="Register",
                            wrap_columns=(6, 7, 10))
    add_register_formatting(ws, count, len(headers))
    table_sheet(wb, "CAPA actions", ["Finding", "Action", "Description", "Owner", "Due", "Status", "Done", "Note",
                                     "Overdue"], actions, widths=[18, 8, 50, 20, 12, 11, 17, 30, 9],
                table_name="Actions", wrap_columns=(2,))
    return save(wb)
