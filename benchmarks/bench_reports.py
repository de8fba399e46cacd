"""Report generation. The Word report of an audit with 1,000 findings against a floor that writes the same
table text as raw XML into a document in the same run (target <= 2x), 10x the findings (target <= 11x the
time), the Excel workbook of the same audits, and a 10,000-row NC register workbook (target <= 3 s).
"""

from __future__ import annotations

import datetime as dt
import io
import random
import sys
import time

from common import Row, cached_workspace, record, timed
from qms_audit.render import docxwriter


def build(n_findings: int):
    def make(path):
        from qms_audit.demo.portfolio import _finding, synthetic_standard, write_standard
        from qms_audit.infra.locations import Workspace
        from qms_audit.model.audit import (
            AuditPlan,
            AuditRecord,
            ClauseResults,
            Criteria,
            Evidence,
            EvidenceKind,
            Grade,
            RequirementResult,
            Scope,
            TeamMember,
        )
        from qms_audit.model.common import Phase
        from qms_audit.services.standards import StandardLibrary
        from qms_audit.store.audits import AUDIT_FILE, AuditStore, finding_relpath, results_relpath

        ws = Workspace(path)
        std_id = f"synthetic-{n_findings}"
        write_standard(ws, synthetic_standard(n_findings, clauses=20, std_id=std_id))
        std = StandardLibrary(ws).get(std_id)
        at = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
        rng = random.Random(5)
        plan = AuditPlan(scope=Scope(auditee_unit="Faculty of Science", unit_code="FOS"),
                         criteria=Criteria(standard=std.id, version=std.version),
                         lead=TeamMember(name="Bench Lead", home_unit="QA Unit", role="lead"),
                         objectives=["Benchmark"], start_date=at.date())
        record_ = AuditRecord(id="big", title="Audit with many findings", plan=plan, created_at=at,
                              created_by="Bench Lead")
        files = {}
        findings = []
        for i, req in enumerate(std.requirements()):
            grade = [Grade.MINOR_NC, Grade.OBSERVATION, Grade.OFI, Grade.MAJOR_NC][i % 4]
            if grade.is_nc and not req.can_raise_nc:
                grade = Grade.OFI
            clause = std.top_clause_of(req.ref)
            ev = Evidence(id=f"E-{i:08x}", phase=Phase.DO, kind=EvidenceKind.RECORD,
                          text=f"Sampled records for {req.ref} show the step was skipped in one case",
                          reference=f"DOC-{i}", collected_by="Bench Lead", collected_at=at)
            files.setdefault(clause, ClauseResults(clause=clause)).results[req.ref] = RequirementResult(
                grade=grade, note=f"Auditor's note on {req.ref}: what was seen and where", evidence=[ev],
                rated_by="Bench Lead", rated_at=at)
            fid = f"{'NC' if grade.is_nc else grade.short}-2026-FOS-{i + 1:05d}"
            findings.append(_finding(fid, grade, req.ref, "big", std, "Faculty of Science", "Bench Lead", at, rng,
                                     dt.date(2026, 11, 28), False))
        store = AuditStore(ws, "big")
        store.folder.mkdir(parents=True)
        with store.transaction(actor="Bench Lead", action="audit.import", target="big") as tx:
            tx.write(AUDIT_FILE, record_)
            for clause, cf in files.items():
                tx.write(results_relpath(clause), cf)
            for f in findings:
                tx.write(finding_relpath(f.id), f)
    return make


class Recorder(docxwriter.DocxWriter):
    """Our writer, also keeping the text of every table it writes (for the floor)."""

    tables: list = []

    def table(self, headers, rows, **kwargs):
        rows = [list(r) for r in rows]
        Recorder.tables.append([list(headers), *rows])
        super().table(headers, rows, **kwargs)


def floor_docx(tables) -> bytes:
    """The floor: the same table text as raw WordprocessingML, parsed once into a python-docx document."""
    from docx import Document
    from docx.oxml import parse_xml
    from lxml import etree

    esc = docxwriter.esc
    parts = []
    for table in tables:
        parts.append("<w:tbl><w:tblPr/>")
        for row in table:
            parts.append("<w:tr>" + "".join(f"<w:tc><w:p><w:r><w:t>{esc(c)}</w:t></w:r></w:p></w:tc>" for c in row)
                         + "</w:tr>")
        parts.append("</w:tbl><w:p/>")
    doc = Document()
    root = root_body = doc.element.body
    sect = etree.tostring(root_body.sectPr, encoding="unicode")
    body = parse_xml(f"<w:body {docxwriter.NS_DECL}>{''.join(parts)}{sect}</w:body>")
    root = doc.element
    root.replace(root_body, body)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def report_once(root):
    from qms_audit.infra.locations import Workspace
    from qms_audit.render import audit_docx
    from qms_audit.services.auditing import open_audit
    from qms_audit.views.report_content import gather

    opened = open_audit(Workspace(root), "big")
    data = gather(opened, None)
    Recorder.tables = []
    real = audit_docx.DocxWriter
    audit_docx.DocxWriter = Recorder
    try:
        start = time.perf_counter()
        blob = audit_docx.build_report(data)
        elapsed = time.perf_counter() - start
    finally:
        audit_docx.DocxWriter = real
    return elapsed, blob, [list(t) for t in Recorder.tables], data


def main() -> int:
    rows: list[Row] = []
    times = {}
    for n in (1000, 10000):
        root = cached_workspace(f"report-{n}", build(n))
        best = None
        for _ in range(3 if n == 1000 else 1):
            elapsed, blob, tables, data = report_once(root)
            best = elapsed if best is None else min(best, elapsed)
        floor, _ = timed(lambda tables=tables: floor_docx(tables), repeat=3 if n == 1000 else 1)
        times[n] = best
        cells = sum(len(r) for t in tables for r in t)
        rows.append(Row("report: docx", f"{n} findings", "raw-XML floor, same table text", floor, "s", "-", True,
                        f"{cells} cells"))
        rows.append(Row("report: docx", f"{n} findings", "our report (from loaded records)", best, "s", "-", True,
                        f"{len(blob) // 1024} KB"))
        rows.append(Row("report: docx", f"{n} findings", "ratio to floor", best / floor, "x", "<= 2x",
                        best / floor <= 2.0))
        from qms_audit.infra.locations import Workspace
        from qms_audit.render.audit_xlsx import build_workbook
        from qms_audit.services.auditing import open_audit

        snapshot = open_audit(Workspace(root), "big").snapshot
        xlsx_time, _ = timed(lambda data=data, snapshot=snapshot: build_workbook(data, snapshot), repeat=1)
        rows.append(Row("report: xlsx", f"{n} findings", "audit workbook", xlsx_time, "s", "-", True))
    growth = times[10000] / times[1000]
    rows.append(Row("report: docx", "1000->10000", "growth for 10x findings", growth, "x", "<= 11x", growth <= 11))
    register_time = register_benchmark()
    rows.append(Row("register: xlsx", "10000 NCs", "NC/CAPA register workbook", register_time, "s", "<= 3 s",
                    register_time <= 3.0))
    record(rows)
    return 0 if all(r.ok for r in rows) else 1


def register_benchmark() -> float:
    """10,000 NCs from the 10,000-finding audit, through `qms-audit nc export`'s own code."""
    from qms_audit.infra.locations import Workspace
    from qms_audit.render.register_xlsx import build_register
    from qms_audit.services import capa

    root = cached_workspace("report-10000", build(10000))
    ws = Workspace(root)
    rows = capa.register_rows(ws)
    elapsed, _blob = timed(lambda: build_register(ws, rows), repeat=1)
    assert len(rows) == 10000, len(rows)
    return elapsed


if __name__ == "__main__":
    sys.exit(main())
