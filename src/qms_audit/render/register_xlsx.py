"""The NC/CAPA register of the whole workspace as one workbook (audits and NCs raised outside audits).

The sheets and their columns are the audit workbook's (`render.audit_xlsx.register_sheets`), which words them in
the reader's language; what this adds, where each NC came from, is worded here."""

from __future__ import annotations

from qms_audit.infra import clock
from qms_audit.infra.locations import Workspace
from qms_audit.model.standard import Standard
from qms_audit.render.audit_xlsx import register_sheets
from qms_audit.render.sheets import new_workbook, save
from qms_audit.services.capa import RegisterRow
from qms_audit.services.profile import paper_for
from qms_audit.services.standards import StandardLibrary
from qms_audit.views.report_content import _finding_row
from qms_audit.views.review_pack import source_words


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

    wb = new_workbook(paper_for(workspace))
    register_sheets(wb, [(_finding_row(row.finding, standard_for(row.finding.standard), today), row.finding,
                          source_words(row.finding.source.label), row.audit_id or "") for row in rows],
                    table_name="Register")
    return save(wb)
