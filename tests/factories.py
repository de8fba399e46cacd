"""Small builders for standards and results used across tests."""

from __future__ import annotations

import datetime as dt

from qms_audit.model.audit import Evidence, EvidenceKind, Finding, Grade, RequirementResult
from qms_audit.model.common import Phase
from qms_audit.model.standard import Standard
from qms_audit.services.standards import check_standard

AT = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def requirement(ref: str, *, weight: float = 1.0, force: str = "must", pdca: str = "P") -> dict:
    return {"ref": ref, "title": f"Requirement {ref}", "question": f"Is {ref} met?", "force": force,
            "pdca": pdca, "source_clause": ref.rsplit(".", 1)[0], "weight": weight,
            "evidence": {"plan": "a plan", "do": "records", "check": "a review", "act": "a change"}}


def make_standard(clauses: dict[str, list[dict]], *, levels: bool = False, std_id: str = "tiny",
                  scoring: dict | None = None) -> Standard:
    data: dict = {
        "id": std_id, "title": "Test standard", "version": "1", "source": {"citation": "tests"},
        "clauses": [{"number": n, "title": f"Clause {n}", "requirements": reqs} for n, reqs in clauses.items()],
    }
    if levels:
        data["rating"] = {"kind": "levels", "levels": [{"value": v, "label": f"L{v}"} for v in range(5)]}
    if scoring:
        data["scoring"] = scoring
    std = Standard.model_validate(data)
    check_standard(std)
    return std


def evidence(*phases: str) -> list[Evidence]:
    return [Evidence(id=f"E-{i:08x}", phase=Phase(p), kind=EvidenceKind.DOCUMENT, text=f"evidence {p}",
                     collected_by="tester", collected_at=AT) for i, p in enumerate(phases)]


def result(grade: Grade = Grade.NOT_ASSESSED, *phases: str, level: int | None = None,
           na_reason: str | None = None) -> RequirementResult:
    return RequirementResult(grade=grade, level=level, evidence=evidence(*phases),
                             na_reason=na_reason or ("not relevant" if grade is Grade.NOT_APPLICABLE else None))


def major(ref: str, *, closed: bool = False, fid: str = "NC-2026-TST-001") -> Finding:
    from qms_audit.model.audit import Capa

    capa = Capa(closed_at=AT, closed_by="verifier") if closed else None
    return Finding(id=fid, grade=Grade.MAJOR_NC, ref=ref, statement="broken", raised_by="tester", raised_at=AT,
                   capa=capa)
