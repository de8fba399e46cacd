"""Rebuild tests/samples/sop-corpus: SOPs as institutions write them, in the shapes a desk review gets wrong.

    python scripts/make_sop_corpus.py      (needs LibreOffice for the PDFs)

Unlike tests/samples/desk-review (made from our own SOP templates), these are laid out the way other units
lay out theirs: numbered headings with other names ("Roles and responsibilities", "1. Purpose and
objectives", "KPIs", "Change history"), document control as a vertical table, as a row of labels over a row of
values, as front matter or as a PDF's text. Among them: a blank template, an SOP whose approver cell is empty,
a draft, one overdue for review, an institution-wide procedure that never speaks of micro-credentials, and
documents titled for something else (an information security risk procedure, a quality manual citing SOPs).
tests/test_sop_corpus.py states what the desk review must conclude of each.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "samples" / "sop-corpus"

Section = tuple[str, str]  # heading as written, body ("" for none; lines starting "|" are table rows)

COMMON = {
    "purpose": "This procedure sets the steps, owners and records for {what} at the university, so that every "
               "faculty offering micro-credentials works to the same rules.",
    "scope": "It applies to every micro-credential offered for academic credit by the faculties and the "
             "continuing education centre, from proposal to withdrawal.",
    "definitions": "Micro-credential: a short, assessed unit of learning with its own certificate, stackable "
                   "towards a programme. QAU: Quality Assurance Unit. MCC: Micro-Credential Centre.",
    "records": "Records named in this procedure are kept by the MCC in the document management system for six "
               "years, then archived.",
    "references": "University Quality Manual, section 4; Micro-credential QMS clauses {clauses}; ISO 19011:2018 "
                  "for audit terms.",
}


def sections_for(what: str, clauses: str, responsibilities: str, procedure: str, kpis: str,
                 specific: list[Section], *, names: dict[str, str] | None = None,
                 history: str = "| 1.0 | 2024-02-01 | First issue |") -> list[Section]:
    """The ten usual sections (under the names given) and the SOP's own ones."""
    names = {"purpose": "1. Purpose and objectives", "scope": "2. Scope", "definitions": "3. Terms and definitions",
             "responsibilities": "4. Roles and responsibilities", "procedure": "5. Procedure",
             "records": "6. Records", "kpis": "7. KPIs", "references": "8. Related documents",
             "history": "Change history", **(names or {})}
    body = [
        (names["purpose"], COMMON["purpose"].format(what=what)),
        (names["scope"], COMMON["scope"]),
        (names["definitions"], COMMON["definitions"]),
        (names["responsibilities"], responsibilities),
        (names["procedure"], procedure),
        (names["records"], COMMON["records"]),
        (names["kpis"], kpis),
        (names["references"], COMMON["references"].format(clauses=clauses)),
    ]
    number = 9
    for heading, text in specific:
        body.append((f"{number}. {heading}", text))
        number += 1
    body.append((names["history"], "| Version | Date | Change |\n" + history))
    return body


AUDIT = sections_for(
    "internal audits of the micro-credential system", "9.2 and 10.2",
    "| Role | Duty |\n| Head of QAU | approves the audit programme and the lead auditors |\n"
    "| Lead auditor | plans each audit, leads the team, signs the report |\n"
    "| Auditee unit head | provides evidence, agrees corrective actions |",
    "The QAU drafts a two-year audit programme covering every faculty and the MCC. For each audit the lead "
    "auditor sends an audit plan two weeks ahead, checks the evidence against the audit checklist, holds a "
    "closing meeting and issues the audit report within ten working days. Each nonconformity is given a "
    "corrective action with an owner and a due date.",
    "Share of planned audits held on time (target 90 %); corrective actions closed by their due date (80 %).",
    [("Audit programme", "Every unit is audited at least once in each two-year cycle; units with a major "
                         "nonconformity are audited again within twelve months."),
     ("Auditor selection and impartiality", "Auditors are trained in ISO 19011 and never audit their own unit "
                                            "or work they did in the last two years."),
     ("Reporting and follow-up", "The lead auditor verifies each corrective action and closes it only on "
                                 "evidence that it worked.")])


def markdown(title: str, control: list[str], sections: list[Section], *, front: str = "") -> str:
    lines = [front] if front else []
    lines += [f"# {title}", ""]
    lines += control
    lines.append("")
    for heading, body in sections:
        depth = "##"
        lines += [f"{depth} {heading}", "", body, ""]
    return "\n".join(lines)


def docx(path: Path, title: str, control: list[list[str]], sections: list[Section]) -> None:
    from docx import Document

    document = Document()
    document.add_heading(title, level=0)
    if control:
        table = document.add_table(rows=len(control), cols=len(control[0]))
        table.style = "Table Grid"
        for r, cells in enumerate(control):
            for c, text in enumerate(cells):
                table.cell(r, c).text = text
    for heading, body in sections:
        document.add_heading(heading, level=1)
        rows = [line for line in body.splitlines() if line.startswith("|")]
        if rows:
            cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows]
            table = document.add_table(rows=len(cells), cols=len(cells[0]))
            table.style = "Table Grid"
            for r, row in enumerate(cells):
                for c, text in enumerate(row):
                    table.cell(r, c).text = text
        for line in body.splitlines():
            if line and not line.startswith("|"):
                document.add_paragraph(line)
    document.save(path)


def to_pdf(source: Path, name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", tmp, str(source)], check=True,
                       capture_output=True, timeout=180)
        shutil.move(str(Path(tmp) / (source.stem + ".pdf")), OUT / name)


def blank(sections: list[Section]) -> list[Section]:
    """A template's sections: the headings, with the prompts a template leaves under them."""
    prompts = ["[Describe the purpose of this procedure]", "[State which units and activities it covers]",
               "Insert the terms used in this procedure.", "[Who does what]", "TBD",
               "List the records kept and where.", "[Indicators and targets]", "...", "[Leadership commitments]",
               "<Budget lines>", "[Stakeholders and how they are engaged]"]
    prompts += [body for _, body in sections[len(prompts):]]  # the revision history table keeps its header
    return [(heading, prompt) for (heading, _), prompt in zip(sections, prompts, strict=False)]


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    work = Path(tempfile.mkdtemp())

    # 1. complete, approved, current; a vertical control table (Markdown)
    (OUT / "UTN-QAU-SOP-09 Micro-credential internal audit procedure v3.0.md").write_text(markdown(
        "Micro-Credential Internal Audit Procedure",
        ["| Document control | |", "|---|---|", "| Document No | UTN-QAU-SOP-09 |", "| Version | 3.0 |",
         "| Prepared by | Dr Rina Lestari, QAU |", "| Approved by | Prof. Hadi Santoso, Vice-Rector Academic |",
         "| Effective date | 2026-02-01 |", "| Next review date | 2028-02-01 |"], AUDIT), encoding="utf-8")

    # 2. the same kind of procedure written for the whole university: it never speaks of micro-credentials
    university_wide = [(h, b.replace("micro-credentials", "study programmes").replace("micro-credential",
                                                                                      "study programme"))
                       for h, b in AUDIT]
    university_wide[2] = (university_wide[2][0], "Study programme: a programme leading to a degree. QAU: Quality "
                                                 "Assurance Unit.")
    university_wide[7] = (university_wide[7][0], "University Quality Manual, section 4; ISO 19011:2018 for audit "
                                                 "terms.")
    (OUT / "Internal audit procedure (university-wide).md").write_text(markdown(
        "Internal Audit Procedure",
        ["Document No: UTN-QAU-SOP-01", "Version: 5.2", "Approved by: Prof. Hadi Santoso",
         "Effective date: 2025-08-01"], university_wide).replace("MCC", "faculty office"), encoding="utf-8")

    # 3. a blank template (Word): document control cells left empty, prompts under every heading
    commit = sections_for(
        "management commitment to micro-credentials", "5.1 and 5.2", "", "", "",
        [("Leadership commitments", ""), ("Resource allocation", ""), ("Stakeholder engagement plan", "")],
        names={"history": "Revision history"}, history="| | | |")
    docx(work / "t.docx", "SOP-COMMIT Management Commitment to Micro-Credentials (template)",
         [["Document No", ""], ["Version", ""], ["Approved by", ""], ["Effective date", ""]], blank(commit))
    shutil.copy(work / "t.docx", OUT / "Template - management commitment.docx")

    # 4. unsigned: the approver cell is empty and the next row holds a position
    risk = sections_for(
        "managing the risks of micro-credentials", "6.1",
        "| Role | Duty |\n| MCC director | owns the risk register |\n| Programme coordinators | report risks |",
        "Each semester the MCC reviews the risk register with the programme coordinators, rates each risk by "
        "likelihood and impact, names a risk owner and agrees a mitigation within the risk appetite set by the "
        "Senate.", "Risks past their treatment date (target none); register reviewed each semester.",
        [("Risk criteria", "Likelihood and impact are rated 1 to 5; a product of 15 or more is a high risk."),
         ("Risk register", "One register for all micro-credentials, kept by the MCC."),
         ("Treatment and monitoring", "High risks get a risk treatment plan within a month and are followed "
                                      "at every MCC meeting.")])
    docx(OUT / "SOP-RISK Micro-credential risk management (unsigned).docx",
         "SOP-RISK Micro-Credential Risk Management",
         [["Document No", "UTN-MCC-SOP-06"], ["Version", "2.0"], ["Prepared by", "Siti Aminah"],
          ["Approver", ""], ["Position", "QA Representative"], ["Effective date", "1 March 2026"]], risk)

    # 5. a row of labels over a row of values (Word), complete and approved
    industry = sections_for(
        "working with industry on micro-credentials", "4.3",
        "| Role | Duty |\n| Faculty partnership officer | keeps the partner list |\n"
        "| Industry advisory board | reviews each micro-credential's outcomes |",
        "Partners are invited to co-design new micro-credentials under a cooperation agreement or a memorandum of "
        "understanding; the industry advisory board meets twice a year; work placement offers are recorded.",
        "Micro-credentials with an active industry partner (target 70 %).",
        [("Partner selection criteria", "Partners are chosen for their standing in the field and their offer of "
                                        "placements or projects."),
         ("Collaboration agreements", "Every partnership is under a signed agreement reviewed every three years."),
         ("Industry involvement in design and review", "Each micro-credential names the partner who reviewed its "
                                                       "learning outcomes.")])
    docx(OUT / "Collaboration with industry.docx", "Collaboration with Industry for Micro-Credentials",
         [["Document No", "Version", "Effective date", "Next review", "Approved by"],
          ["UTN-MCC-SOP-03", "1.1", "15/01/2026", "15/01/2028", "Prof. Hadi Santoso"]], industry)

    # 6. overdue for review, as a PDF (made from Word); headings named otherwise
    needs = sections_for(
        "identifying the need for new micro-credentials", "4.2",
        "| Role | Duty |\n| MCC analyst | runs the needs analysis |\n| Faculty board | decides on proposals |",
        "Once a year the MCC runs a needs analysis: labour market data, an employer survey, job vacancy "
        "listings and the graduate tracer study are read for skills gaps, and the findings go to the faculty "
        "boards.", "Proposals backed by a needs analysis (target 100 %).",
        [("Data sources", "Employer survey, job vacancy listings, tracer study, training needs of partners."),
         ("Needs analysis method", "Each skills gap is scored for demand and fit with the faculty's strengths."),
         ("Approval of proposed micro-credentials", "The faculty board approves a proposal only with its needs "
                                                    "analysis attached.")],
        names={"purpose": "1. Objective", "responsibilities": "4. Responsibility and authority",
               "kpis": "7. Performance indicators", "history": "Version history"})
    docx(work / "SOP-NEEDS Needs identification.docx", "SOP-NEEDS Identification of Micro-Credential Needs",
         [["Document No", "UTN-MCC-SOP-02"], ["Version", "1.3"], ["Approved by", "Prof. Hadi Santoso"],
          ["Effective date", "30 June 2023"], ["Next review date", "30 June 2025"]], needs)
    to_pdf(work / "SOP-NEEDS Needs identification.docx", "SOP-NEEDS Needs identification.pdf")

    # 7. a draft in Markdown with front matter; its body has a sentence that starts with "Approval"
    roles = sections_for(
        "evaluating the roles of micro-credential managers", "5.3",
        "Approval of each role description is given by the Dean.", "", "",
        [("Role descriptions", "A job description for the MCC director, the programme coordinators and the "
                               "certification unit, with a RACI chart."),
         ("Evaluation criteria", "Accountability for results, responsiveness to learners, use of the "
                                 "performance appraisal.")])
    roles = [(h, b) for h, b in roles if "Procedure" not in h and "KPIs" not in h]
    (OUT / "Roles of micro-credential managers DRAFT.md").write_text(markdown(
        "SOP-ROLES Evaluation of the Roles and Responsibilities of Micro-Credential Managers", [], roles,
        front="---\ndocument_no: UTN-MCC-SOP-04\nversion: 0.3\nstatus: Draft\napproved_by:\n"
              "effective_date: 2026-09-01\n---"), encoding="utf-8")

    # 8. general procedures as a PDF: labels and values set apart by spaces in the PDF's text
    general = sections_for(
        "running the micro-credential system", "1.3 and 7.5",
        "| Role | Duty |\n| MCC | keeps the micro-credential catalogue |\n| Registrar | handles issuance |",
        "A micro-credential moves through its lifecycle in five steps: proposal form, review, approval, "
        "delivery and issuance of a digital badge, each recorded in the catalogue; stackable units are marked.",
        "Catalogue entries complete (target 100 %).",
        [("Micro-credential lifecycle overview", "Proposal, review, approval, delivery, issuance, withdrawal."),
         ("Document and record control", "Forms and records follow the university's document control rules."),
         ("Micro-credential catalogue maintenance", "The MCC updates the micro-credential catalogue within a week "
                                                    "of any change.")],
        names={"definitions": "3. Glossary", "references": "8. References", "history": "Document history"})
    docx(work / "General procedures.docx", "SOP-GEN General procedures for managing the micro-credential system",
         [["Version", "1.4"], ["Status", "Approved"], ["Approved by", "Prof. Hadi Santoso"],
          ["Effective date", "2026-01-10"], ["Next review date", "2028-01-10"]], general)
    to_pdf(work / "General procedures.docx", "SOP-GEN General procedures.pdf")

    # 9. titled for something else: an information security risk procedure (Markdown)
    (OUT / "Information security risk management procedure.md").write_text(markdown(
        "Information Security Risk Management Procedure",
        ["Document No: UTN-ICT-SOP-11", "Version: 4.0", "Approved by: Director of ICT",
         "Effective date: 2026-03-01"],
        [("1. Purpose", "How threats to the university's information assets are assessed and treated."),
         ("2. Procedure", "Each asset owner keeps a risk register entry for every information asset, rates "
                          "likelihood and impact, names a risk owner and plans risk treatment and mitigation "
                          "within the risk appetite set by the ICT committee.")]), encoding="utf-8")

    # 10. titled for something else: a quality manual that cites the SOPs (PDF)
    docx(work / "Quality manual.docx", "Quality Manual of the Micro-Credential Centre",
         [["Version", "2.0"], ["Approved by", "Rector"]],
         [("1. Internal audits", "Internal audits follow SOP-AUDIT: an audit programme, audit plans, trained "
                                 "auditors, audit reports and corrective action for each nonconformity."),
          ("2. Risks", "Risks follow SOP-RISK: the risk register, risk owners and risk treatment."),
          ("3. Needs", "New micro-credentials follow SOP-NEEDS: needs analysis and the employer survey.")])
    to_pdf(work / "Quality manual.docx", "Quality manual.pdf")
    shutil.rmtree(work)
    for path in sorted(OUT.iterdir()):
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
