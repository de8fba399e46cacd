"""Rebuild the demo audit in audits/ (and the demo NC register) through the domain API.

    python scripts/build_demo.py [WORKSPACE]

The demo is a partly finished internal audit of a fictional university's Faculty of Engineering against
mc-qms: evidence in every PDCA phase, good practices, OFIs, an observation the auditee disputes, minor NCs,
one major, and CAPAs at different stages. Every change goes through the record layer, so the demo has a
real hash-chained log and `qms-audit verify` passes on it.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import tempfile
from pathlib import Path

from qms_audit.infra import clock
from qms_audit.infra.locations import ENV_CONFIG, Workspace
from qms_audit.model.audit import EvidenceKind, Grade, Participant, TeamMember
from qms_audit.model.common import Phase
from qms_audit.services import auditing, capa

AUDIT_ID = "demo-2026-foe"
LEAD = "Dr Farah Aziz"
AUDITOR = "Mr Daniel Reyes"


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.t = start

    def at(self, day: str, time: str = "09:00") -> None:
        wanted = dt.datetime.fromisoformat(f"{day}T{time}:00+00:00")
        if wanted < self.t:
            raise ValueError(f"the demo's clock would go back from {self.t} to {wanted}")
        self.t = wanted

    def __call__(self) -> dt.datetime:
        self.t += dt.timedelta(minutes=3)
        return self.t


def build(root: Path) -> None:
    ws = Workspace(root)
    for path in (ws.audits_dir / AUDIT_ID, ws.nc_register_dir, ws.signers_dir):
        if path.exists():
            shutil.rmtree(path)
    tick = Clock(dt.datetime(2026, 9, 21, 8, 0, tzinfo=dt.UTC))
    clock.set_clock(tick)
    files = Path(tempfile.mkdtemp(prefix="demo-evidence-"))
    # each person signs with a key of their own, made for the demo and thrown away: the demo's trusted signers
    # (signers/) name them, and nobody's real key is ever used or registered
    keys = Path(tempfile.mkdtemp(prefix="demo-keys-"))
    try:
        os.environ[ENV_CONFIG] = str(keys / "nobody")
        _audit(ws, tick, files, keys)
        register_clock = Clock(dt.datetime(2026, 9, 1, tzinfo=dt.UTC))
        clock.set_clock(register_clock)  # the register keeps its own chain, so its own time line
        _register(ws, register_clock)
    finally:
        clock.set_clock(None)
        os.environ.pop(ENV_CONFIG, None)
        shutil.rmtree(files, ignore_errors=True)
        shutil.rmtree(keys, ignore_errors=True)


def _file(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _audit(ws: Workspace, tick: Clock, files: Path, keys: Path) -> None:
    tick.at("2026-09-21")
    opened = auditing.create_audit(
        ws, standard_id="mc-qms", audit_id=AUDIT_ID, actor=LEAD,
        title="Internal audit of micro-credential management, Faculty of Engineering",
        auditee_unit="Faculty of Engineering", unit_code="FOE",
        lead=TeamMember(name=LEAD, home_unit="Quality Assurance Unit", role="lead"),
        team=[TeamMember(name=AUDITOR, home_unit="Faculty of Business", role="auditor")],
        objectives=["Determine whether the faculty's micro-credentials are managed as the MC-QMS requires",
                    "Verify the follow-up of the 2025 audit's findings",
                    "Identify good practice worth sharing with other faculties"],
        processes=["Needs analysis and approval of micro-credentials", "Design and validation",
                   "Delivery and competency-based assessment", "Certification and issuance",
                   "Evaluation and review"],
        exclusions="Clause 10 is left to the follow-up visit planned for February 2027 (agreed with the client).",
        client="Deputy Vice-Chancellor (Academic)",
        participants=[Participant(name="Prof Hassan Ismail", position="Dean", unit="Faculty of Engineering"),
                      Participant(name="Dr Mei Lin Tan", position="Micro-credential coordinator",
                                  unit="Faculty of Engineering"),
                      Participant(name="Ms Priya Nair", position="Assessment officer",
                                  unit="Faculty of Engineering")],
        start_date=dt.date(2026, 10, 12), end_date=dt.date(2026, 10, 14),
        locations=["Faculty of Engineering, Block E, Kuala Lumpur campus", "Remote interviews (video)"],
        method="Document review, record sampling, interviews with staff and two industry partners, "
               "observation of one assessment session.",
        sampling="3 of the 11 micro-credentials active in 2026 (one per department), chosen at random; for each, "
                 "all assessment records of the latest intake.",
        other_criteria=["University Micro-Credential Policy v2.0 (2025)", "MQA Guidelines to Good Practices: "
                        "Micro-credentials (2020)"],
        confidentiality="Internal: the report goes to the distribution list only.",
        distribution=["Deputy Vice-Chancellor (Academic)", "Dean, Faculty of Engineering",
                      "Head, Quality Assurance Unit", "Director, Micro-Credential Centre"])
    o = opened

    def ev(ref, phase, kind, text, *, actor=LEAD, file=None, reference=None, sample=None, population=None):
        auditing.add_evidence(o, ref, phase=Phase(phase), kind=EvidenceKind(kind), text=text, actor=actor,
                              file=file, reference=reference, sample_size=sample, population=population)

    def rate(ref, grade, note, *, actor=LEAD, na_reason=None):
        auditing.rate(o, ref, grade, actor=actor, note=note, na_reason=na_reason)

    # --- day 1: clauses 1, 4, 5 ------------------------------------------------------------------------
    tick.at("2026-10-12")
    sop = _file(files, "FOE-MC-SOP-01 v1.2.md", "# FOE-MC-SOP-01 Micro-credential management\n\nVersion 1.2, "
                "approved by the Faculty Board on 2026-03-04.\n\n## Purpose\n...\n")
    ev("1.1.a", "P", "document", "Faculty MC handbook 2026 defines the lifecycle from proposal to withdrawal",
       reference="FOE-MC-HB-2026 section 2")
    ev("1.1.a", "D", "record", "All 3 sampled MCs have lifecycle checklists completed to the current stage",
       sample=3, population=11)
    rate("1.1.a", Grade.CONFORMITY, "Lifecycle covered end to end in the handbook and followed in the sample.")
    ev("1.2.a", "P", "document", "Dean's letter of appointment for the MC coordinator, with terms of reference",
       reference="FOE/DEAN/2025/114")
    rate("1.2.a", Grade.CONFORMITY, "Coordinator role and faculty MC committee mandated in writing.")
    ev("1.2.b", "P", "document", "Programme specifications list target groups for 2 of 3 departments",
       sample=3, population=3)
    rate("1.2.b", Grade.OFI, "Civil Engineering has no written target group; its MCs are open to all without "
         "a defined audience. Defining one would sharpen marketing and entry requirements.")
    ev("1.3.a", "P", "document", "Faculty SOP for MC management, version 1.2, approved by the Faculty Board",
       file=sop)
    ev("1.3.b", "D", "record", "Proposal, approval and review forms of the sampled MCs follow the SOP templates",
       sample=3, population=11)
    rate("1.3.a", Grade.CONFORMITY, "SOP approved and current.")
    rate("1.3.b", Grade.CONFORMITY, "Forms used as the SOP requires in all three sampled MCs.")

    needs = _file(files, "Needs analysis - Industrial IoT 2026.md",
                  "# Needs analysis: Industrial IoT for maintenance engineers\n\nSurvey of 42 employers, 3 focus "
                  "groups, national occupation map code 3113.\n")
    ev("4.1.a", "P", "document", "Faculty strategic plan 2025-2028 names industry skill gaps as the driver of MCs")
    ev("4.1.b", "P", "document", "Each sampled MC maps its outcomes to national competency standard units")
    rate("4.1.a", Grade.CONFORMITY, "Context documented and reflected in the MC portfolio.")
    rate("4.1.b", Grade.CONFORMITY, "NOSS units cited for all three sampled MCs.")
    ev("4.2.a", "P", "document", "Needs analysis with employer survey (42 respondents) and focus groups",
       file=needs)
    ev("4.2.a", "C", "data", "Employer demand re-checked at the annual review of each MC", actor=AUDITOR)
    rate("4.2.a", Grade.CONFORMITY, "Industry needs established before design for all sampled MCs.")
    ev("4.2.b", "P", "document", "Curriculum committee minutes approving outcome-based MC design", actor=AUDITOR)
    rate("4.2.b", Grade.CONFORMITY, "Outcome-based design required and approved.", actor=AUDITOR)
    ev("4.2.c", "D", "interview", "Interview with 4 learners: credentials are recognised by their employers",
       actor=AUDITOR)
    rate("4.2.c", Grade.CONFORMITY, "Learner needs gathered through intake survey and interviews.", actor=AUDITOR)
    ev("4.2.d", "P", "document", "Faculty SOP FOE-MC-SOP-02 'Identification of micro-credential needs' v1.0")
    rate("4.2.d", Grade.CONFORMITY, "SOP in place and approved.")
    ev("4.2.e", "D", "record", "Needs analyses on file for 3 of 3 sampled MCs; data sources vary in quality",
       sample=3, population=11)
    rate("4.2.e", Grade.OFI, "The SOP does not say which data sources are acceptable; one analysis relied on a "
         "single employer. Listing minimum sources would make the process more data-driven.")
    ev("4.3.a", "D", "record", "Design, delivery and evaluation records present for each sampled MC")
    rate("4.3.a", Grade.CONFORMITY, "System applied across the lifecycle.")
    ev("4.3.b", "P", "document", "University MC Policy v2.0 and faculty SOPs assign responsibilities")
    rate("4.3.b", Grade.CONFORMITY, "Policy and procedures issued.")
    ev("4.3.c", "P", "document", "SOP 'Collaboration with industry for micro-credentials' v1.1")
    rate("4.3.c", Grade.CONFORMITY, "SOP approved in 2025.")
    ev("4.3.d", "D", "record", "Industry advisory panel minutes: partners reviewed content of all 3 MCs in 2026")
    ev("4.3.d", "C", "interview", "Two industry partners confirm they co-designed assessments", actor=AUDITOR)
    ev("4.3.d", "A", "record", "Module on predictive maintenance added after panel feedback (change log)")
    rate("4.3.d", Grade.GOOD_PRACTICE, "Industry partners co-design and co-assess every MC; the panel's advice is "
         "traceable to changes. Worth sharing with other faculties.")

    ev("5.1.a", "P", "document", "Faculty annual plan allocates workload hours to MC development", actor=AUDITOR)
    ev("5.1.a", "D", "record", "Dean chairs the MC committee; attendance 5 of 6 meetings", actor=AUDITOR)
    rate("5.1.a", Grade.CONFORMITY, "Visible leadership support.", actor=AUDITOR)
    rate("5.1.b", Grade.CONFORMITY, "Industry and professional body engaged through the advisory panel.",
         actor=AUDITOR)
    ev("5.1.c", "P", "document", "No faculty SOP on management commitment; university policy only", actor=AUDITOR)
    rate("5.1.c", Grade.OFI, "Commitment relies on the current Dean; an SOP would make it survive a change of "
         "leadership.", actor=AUDITOR)
    rate("5.1.d", Grade.CONFORMITY, "Resources maintained across two budget years.", actor=AUDITOR)
    ev("5.2.a", "P", "document", "MC Policy v2.0 requires labour-market alignment and regulatory compliance")
    rate("5.2.a", Grade.CONFORMITY, "Policy aligned with MQA guidelines.")
    rate("5.2.b", Grade.CONFORMITY, "Quality standards consistent across departments.")
    for ref in ("5.3.a", "5.3.b", "5.3.c"):
        ev(ref, "P", "document", "Terms of reference and job descriptions for MC roles", actor=AUDITOR)
        rate(ref, Grade.CONFORMITY, "Roles defined in writing.", actor=AUDITOR)
    ev("5.3.d", "D", "record", "Certification unit issues credentials after assessment panels", actor=AUDITOR)
    rate("5.3.d", Grade.CONFORMITY, "Certification separated from teaching.", actor=AUDITOR)
    rate("5.3.e", Grade.CONFORMITY, "SOP on evaluation of roles exists (university level).", actor=AUDITOR)
    rate("5.3.f", Grade.OBSERVATION, "The roles evaluation due in June 2026 has not been held; no effect yet, "
         "but duties of the new assessment officer are unclear to staff.", actor=AUDITOR)

    # --- day 2: clauses 6, 7, 8 ------------------------------------------------------------------------
    tick.at("2026-10-13")
    risk = _file(files, "FOE risk register 2026.csv",
                 "id,risk,likelihood,impact,owner\nR1,Industry does not recognise MC,2,4,Coordinator\n")
    ev("6.1.a", "P", "document", "Faculty risk register lists 1 MC risk (recognition by industry)", file=risk)
    rate("6.1.a", Grade.OFI, "Only one risk recorded; quality variation between departments and assessor "
         "availability are not considered.")
    ev("6.1.b", "P", "document", "Strategic plan names employability and international recognition")
    rate("6.1.b", Grade.CONFORMITY, "Opportunities identified.")
    rate("6.1.c", Grade.CONFORMITY, "University risk SOP applies to MCs.")
    rate("6.1.d", Grade.OFI, "Treatments exist for R1 only; review the register each semester.")
    ev("6.2.a", "P", "document", "KPI: 12 MCs and 600 completions by 2027; 2026 progress reported")
    rate("6.2.a", Grade.CONFORMITY, "Measurable targets set.")
    rate("6.2.b", Grade.CONFORMITY, "Implementation plan with milestones.")
    ev("6.2.c", "P", "document", "Curriculum maps show MCs embedded in 2 degree programmes")
    rate("6.2.c", Grade.CONFORMITY, "Integrated in outcome-based curricula.")
    ev("6.2.d", "P", "document", "Assessment scheme missing weighting and pass criteria for MC 'Industrial IoT'",
       sample=3, population=11)
    rate("6.2.d", Grade.MINOR_NC, "The assessment scheme of 'Industrial IoT' gives no weighting or pass "
         "criteria, so two assessors may grade the same work differently (1 of 3 sampled MCs).")
    ev("6.3.a", "A", "record", "MC 'Solar PV design' updated for 2026 grid-code changes")
    rate("6.3.a", Grade.CONFORMITY, "Changes made in response to technology and industry developments.")

    ev("7.1.a", "D", "record", "Assessor certificates: 4 of 5 assessors hold valid certification; one lapsed in "
       "May 2026", sample=5, population=5, actor=AUDITOR)
    rate("7.1.a", Grade.MINOR_NC, "One of five assessors assessed two cohorts after her certification lapsed "
         "in May 2026.", actor=AUDITOR)
    ev("7.1.b", "D", "observation", "LMS issues digital credentials with a verification link", actor=AUDITOR)
    rate("7.1.b", Grade.CONFORMITY, "Credentials verifiable online.", actor=AUDITOR)
    rate("7.1.c", Grade.CONFORMITY, "Budget line for MC development and certification fees.", actor=AUDITOR)
    ev("7.2.a", "D", "record", "Training records: 14 lecturers completed OBLT training in 2026", actor=AUDITOR)
    rate("7.2.a", Grade.CONFORMITY, "Training organised.", actor=AUDITOR)
    rate("7.2.b", Grade.CONFORMITY, "Competency standards used.", actor=AUDITOR)
    rate("7.2.c", Grade.CONFORMITY, "Training completion recorded.", actor=AUDITOR)
    rate("7.3.a", Grade.CONFORMITY, "MCs promoted to students each semester.", actor=AUDITOR)
    ev("7.3.b", "D", "interview", "Two partner companies unaware of the 2026 MCs outside their own", actor=AUDITOR)
    rate("7.3.b", Grade.OBSERVATION, "Industry outside the advisory panel hears little about the MCs; "
         "enrolment from industry fell 15% in 2026.", actor=AUDITOR)
    rate("7.3.c", Grade.CONFORMITY, "MCs listed in the national catalogue.", actor=AUDITOR)
    rate("7.4.a", Grade.NOT_APPLICABLE, "", actor=AUDITOR,
         na_reason="Information systems for MCs are provided centrally by the university and were audited "
                   "at institutional level in June 2026; excluded from this faculty audit.")
    ev("7.4.b", "D", "observation", "MC pages on the faculty website give outcomes, workload and assessment",
       actor=AUDITOR)
    rate("7.4.b", Grade.CONFORMITY, "Documentation accessible.", actor=AUDITOR)

    ev("8.1.a", "P", "document", "Lifecycle model in the MC handbook with decision gates")
    rate("8.1.a", Grade.CONFORMITY, "Lifecycle model established.")
    rate("8.1.b", Grade.CONFORMITY, "Industry needs analysis before design (see 4.2.a).")
    ev("8.1.c", "D", "record", "Validation panel records exist for 1 of 3 sampled MCs; 'Industrial IoT' and "
       "'Drone surveying' launched without an industry member on the panel", sample=3, population=11)
    ev("8.1.c", "D", "interview", "Coordinator: panels were skipped in 2026 to meet the launch date")
    rate("8.1.c", Grade.MAJOR_NC, "Two of three sampled micro-credentials were launched without validation by "
         "an industry member, and the coordinator states this was the 2026 practice: the control is not "
         "operating.")
    ev("8.2.a", "P", "document", "Skill sets mapped to NOSS units")
    rate("8.2.a", Grade.CONFORMITY, "Skill sets identified.")
    rate("8.2.b", Grade.CONFORMITY, "Competency-based design.")
    ev("8.2.c", "D", "record", "Assessment blueprint of 'Drone surveying' covers 3 of its 5 learning outcomes")
    rate("8.2.c", Grade.MINOR_NC, "Two learning outcomes of 'Drone surveying' are not assessed.")
    ev("8.3.a", "D", "observation", "Observed an assessment session: evidence rules followed", actor=AUDITOR)
    rate("8.3.a", Grade.CONFORMITY, "Assessment follows the national standard.", actor=AUDITOR)
    ev("8.3.b", "D", "record", "CBA records with evidence portfolios and assessor decisions", actor=AUDITOR)
    ev("8.3.b", "C", "record", "Moderation report on assessor decisions, 2026 intake", actor=AUDITOR)
    ev("8.3.b", "A", "record", "Assessor guide revised after moderation found lenient marking", actor=AUDITOR)
    rate("8.3.b", Grade.GOOD_PRACTICE, "Competency-based assessment is moderated and the findings change the "
         "assessor guide: a closed loop.", actor=AUDITOR)
    rate("8.3.c", Grade.CONFORMITY, "Credentials issued by the certification unit.", actor=AUDITOR)
    rate("8.4.a", Grade.CONFORMITY, "Annual evaluation of each MC.")
    rate("8.4.b", Grade.CONFORMITY, "Periodic evaluation held.")
    # 8.4.c not assessed yet

    # --- day 3: clause 9 (partly), after closing gaps in the evidence of days 1-2 ---------------------
    tick.at("2026-10-14", "08:00")
    further = {
        "1.2.a": [("D", "record", "Committee minutes: the coordinator reported at each of the 6 meetings")],
        "1.3.a": [("C", "record", "SOP reviewed at the March 2026 faculty quality meeting"),
                  ("D", "record", "Proposal and approval forms of 2026 follow the SOP's templates")],
        "4.1.a": [("D", "record", "Portfolio review 2026 lists the industry need behind each MC"),
                  ("C", "data", "Industry demand indicators tracked each year in the portfolio review")],
        "4.1.b": [("D", "record", "Outcome-to-standard mapping tables in each MC file")],
        "4.2.b": [("D", "record", "Curriculum maps of the three sampled MCs")],
        "4.2.c": [("P", "document", "Learner intake survey form asks what recognition learners need")],
        "4.2.d": [("D", "record", "Needs-identification form used for the two 2026 proposals"),
                  ("C", "record", "Coordinator's annual check that every proposal used the form")],
        "4.3.a": [("P", "document", "MC handbook section 3: who does what at each lifecycle stage")],
        "4.3.b": [("D", "record", "Responsibilities confirmed in staff workload allocations 2026")],
        "4.3.c": [("D", "record", "Three signed collaboration agreements with industry partners")],
        "4.3.d": [("P", "document", "Industry advisory panel terms of reference")],
        "5.1.b": [("P", "document", "Stakeholder engagement plan 2026"),
                  ("D", "record", "Advisory panel attendance list including the professional body")],
        "5.2.a": [("D", "record", "Approval papers cite the policy's alignment criteria"),
                  ("C", "record", "Policy compliance check in the 2026 portfolio review")],
        "5.2.b": [("P", "document", "Faculty quality standard for MCs (minimum hours, assessment, QA)"),
                  ("D", "record", "Quality checklist completed for every sampled MC")],
        "6.1.b": [("D", "record", "Two MCs launched with partner universities abroad (recognition opportunity)")],
        "6.2.a": [("D", "record", "Quarterly KPI dashboard"), ("C", "data", "KPI review minutes, June 2026"),
                  ("A", "record", "Target for 2027 lowered to 500 completions after the June review")],
        "6.2.c": [("D", "record", "Students credited with MCs towards their degree in 2026: 64")],
        "7.1.b": [("P", "document", "Digital credential specification for the LMS")],
        "7.2.a": [("P", "document", "Annual staff development plan with MC assessor training"),
                  ("C", "data", "Post-training evaluation: 4.3 of 5")],
        "7.4.b": [("P", "document", "Web content standard for MC pages")],
        "8.1.a": [("D", "record", "Gate approvals recorded for the two 2026 launches"),
                  ("C", "record", "Handbook reviewed yearly")],
        "8.2.a": [("D", "record", "Skill set sheets for the sampled MCs")],
        "8.3.a": [("P", "document", "Assessment procedure citing the national assessment standard")],
        "8.3.b": [("P", "document", "Assessor guide v3")],
        "8.4.a": [("P", "document", "Evaluation procedure in the MC handbook"),
                  ("D", "record", "Evaluation reports of the sampled MCs"),
                  ("C", "record", "Committee review of evaluation reports"),
                  ("A", "record", "Two MCs revised after the 2025 evaluation")],
    }
    for ref, items in further.items():
        for phase, kind, text in items:
            ev(ref, phase, kind, text, actor=AUDITOR if ref.startswith(("5", "7")) else LEAD)

    tick.at("2026-10-14", "10:30")
    ev("9.1.a", "C", "data", "Industry and learner feedback collected for all MCs; summary to the committee")
    rate("9.1.a", Grade.CONFORMITY, "Effectiveness assessed from feedback.")
    ev("9.1.b", "C", "data", "Graduate satisfaction survey: 22% response rate")
    rate("9.1.b", Grade.OFI, "Low response rate limits conclusions; consider surveying at certificate issue.")
    ev("9.2.1.a", "P", "document", "Internal audit programme 2025-2027 covers every faculty", actor=AUDITOR)
    rate("9.2.1.a", Grade.CONFORMITY, "Periodic audits planned and held.", actor=AUDITOR)
    # 9.1.c, 9.2.1.b, 9.2.2.a/b, 9.3.a and clause 10 remain for the follow-up visit

    # --- findings: auditee responses and corrective action ----------------------------------------------
    tick.at("2026-10-14", "16:00")
    f_major = o.snapshot.findings_for("8.1.c")[0].id
    f_assessor = o.snapshot.findings_for("7.1.a")[0].id
    f_outcomes = o.snapshot.findings_for("8.2.c")[0].id
    f_scheme = o.snapshot.findings_for("6.2.d")[0].id
    f_obs = o.snapshot.findings_for("7.3.b")[0].id
    auditing.respond(o, f_major, position="acknowledged", text="Accepted; panels will be reinstated.",
                     by="Prof Hassan Ismail", actor=LEAD)
    auditing.respond(o, f_assessor, position="acknowledged", text="", by="Dr Mei Lin Tan", actor=LEAD)
    auditing.respond(o, f_outcomes, position="acknowledged", text="", by="Dr Mei Lin Tan", actor=LEAD)
    auditing.respond(o, f_scheme, position="acknowledged", text="Will revise the scheme before the next intake.",
                     by="Ms Priya Nair", actor=LEAD)
    auditing.respond(o, f_obs, position="disputed", by="Prof Hassan Ismail", actor=LEAD,
                     text="The fall in industry enrolment follows a sector downturn, not a lack of awareness; "
                          "our newsletter reaches 300 companies.")

    ws_ = o.workspace
    # CAPA steps in the order they happened: the log is a chain in time, and verify checks it.
    tick.at("2026-10-16")
    capa.update(ws_, f_major, actor="Dr Mei Lin Tan",
                correction="Enrolment to 'Drone surveying' paused until a panel validates it.",
                containment="Both affected MCs reviewed by an ad-hoc industry panel on 2026-10-20; "
                            "learners informed.",
                root_cause="The launch calendar had no hold point for validation, and panel members were "
                           "hard to schedule in the launch month.",
                method="5-whys",
                analysis="Why launched unvalidated? Deadline. Why no hold? Calendar lacks a gate. Why? The "
                         "2025 handbook revision dropped it. Why? No review of the change. Why? No change control.",
                similar="All 11 active MCs checked: only the two sampled ones were affected.",
                actions=[("Add a validation hold point to the launch calendar and the LMS course template",
                          "Dr Mei Lin Tan", dt.date(2026, 11, 15)),
                         ("Appoint two standing industry panel members per department", "Prof Hassan Ismail",
                          dt.date(2026, 11, 25))])
    tick.at("2026-10-19")
    capa.update(ws_, f_assessor, actor="Ms Priya Nair",
                correction="The two cohorts' assessments re-moderated by a certified assessor; no grade changed.",
                root_cause="Certificate expiry dates were not tracked anywhere.", method="ishikawa",
                similar="All assessors' certificates checked: no other lapse.",
                actions=[("Expiry dates added to the assessor register with a 60-day reminder", "Ms Priya Nair",
                          dt.date(2026, 10, 31))])
    tick.at("2026-10-20")
    capa.update(ws_, f_outcomes, actor="Dr Mei Lin Tan",
                root_cause="Blueprint template lacks an outcome-coverage check.", method="process-mapping",
                similar="Checked 11 blueprints: 'Drone surveying' only.",
                actions=[("Add two assessment tasks for the missing outcomes", "Dr Mei Lin Tan",
                          dt.date(2026, 11, 1))])
    tick.at("2026-10-30")
    capa.update(ws_, f_assessor, actor="Ms Priya Nair", done=["A1"], done_note="Register and reminder in place.")
    tick.at("2026-11-01")
    capa.update(ws_, f_outcomes, actor="Dr Mei Lin Tan", done=["A1"])
    tick.at("2026-11-10")
    capa.update(ws_, f_major, actor="Dr Mei Lin Tan", done=["A1"], done_note="Gate live in the LMS template.")
    tick.at("2026-11-18")
    os.environ[ENV_CONFIG] = str(keys / "auditor")
    capa.verify(ws_, f_outcomes, by=AUDITOR, result="not-effective", actor=AUDITOR,
                method="Reviewed the revised blueprint", note="One of the two new tasks still does not assess "
                "outcome LO4 at the required level.")
    tick.at("2026-11-20")
    os.environ[ENV_CONFIG] = str(keys / "lead")
    capa.verify(ws_, f_assessor, by=LEAD, result="effective", actor=LEAD,
                method="Checked the register and one reminder sent on 2026-11-12 for a December expiry.")
    capa.update(ws_, f_assessor, actor="Ms Priya Nair", risk_update="Assessor availability added to the risk "
                "register as R2.")
    capa.close(ws_, f_assessor, actor=LEAD, note="Verified effective.")
    # the scheme minor stays open with nothing but the auditee's acknowledgement


def _register(ws: Workspace, tick: Clock) -> None:
    tick.at("2026-09-30")
    capa.raise_nc(ws, source="complaint", grade=Grade.MINOR_NC, unit="Micro-Credential Centre", unit_code="MCC",
                  actor="Ms Aishah Rahman", standard="mc-qms", ref="8.3.c",
                  statement="A learner received the 'Data analytics basics' credential eight weeks after passing, "
                            "against a published four weeks.",
                  evidence="Complaint ticket 2026-0412; issuing log shows a batch held for missing signatures.")


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
    build(target)
    print(f"built {AUDIT_ID} in {target / 'audits'}")
