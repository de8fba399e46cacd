"""The desk review reads an SOP's document control only where the document declares it, within one line or
one cell: a blank approval is no approval, a sentence that starts with "Approval" is not an approver, and a
row of labels over a row of values is read by column."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from qms_audit.services.deskreview import metadata, read_document


def docx(path: Path, *, paragraphs: list[str], tables: list[list[list[str]]]) -> Path:
    from docx import Document

    document = Document()
    document.add_heading("SOP-RISK Risk management for micro-credentials", level=0)
    for rows in tables:
        table = document.add_table(rows=len(rows), cols=len(rows[0]))
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                table.cell(r, c).text = text
    for text in paragraphs:
        if text.startswith("# "):
            document.add_heading(text[2:], level=1)
        else:
            document.add_paragraph(text)
    document.save(path)
    return path


def test_an_empty_approver_cell_is_not_approved_by_the_next_line(tmp_path):
    path = docx(tmp_path / "blank approval.docx", tables=[[["Version", "0.3"], ["Approver", ""],
                                                          ["QA Representative", "Ms Tan"]]],
                paragraphs=["# 1. Purpose", "This procedure sets out how risks are managed."])
    md = metadata(read_document(path))
    assert md.version == "0.3"
    assert md.approved is False and md.approved_by is None


def test_a_row_of_labels_over_a_row_of_values_is_read_by_column(tmp_path):
    path = docx(tmp_path / "horizontal.docx", paragraphs=["# 1. Purpose", "Risks are managed."],
                tables=[[["Document No", "Version", "Effective date", "Next review", "Approved by"],
                         ["UTN-QAU-SOP-06", "1.3", "2025-03-01", "2027-03-01", "Prof Rosli Ahmad"]]])
    md = metadata(read_document(path))
    assert (md.version, md.approved, md.approved_by) == ("1.3", True, "Prof Rosli Ahmad")
    assert (md.effective, md.next_review) == (dt.date(2025, 3, 1), dt.date(2027, 3, 1))


def test_a_sentence_in_the_body_is_not_an_approval(tmp_path):
    path = tmp_path / "risk.md"
    path.write_text("# SOP-RISK Risk management\n\nVersion: 0.9\n\n## 1. Purpose\n\n"
                    "Approval of the Risk Management Plan is given by the Senate.\n\n## 2. Approval\n\n"
                    "Approved by: the Senate, each year\n", encoding="utf-8")
    md = metadata(read_document(path))
    assert md.version == "0.9"
    # "## 2. Approval" names a document-control part: the line under it is read, the sentence above is not
    assert md.approved_by == "the Senate, each year"
    path.write_text("# SOP-RISK Risk management\n\n## 1. Purpose\n\n"
                    "Approval of the Risk Management Plan is given by the Senate.\n\n## 5. Responsibilities\n\n"
                    "Approved by: the quality manager for each faculty plan\n", encoding="utf-8")
    md = metadata(read_document(path))
    assert md.approved is False and md.approved_by is None and md.version is None


@pytest.mark.parametrize("value", ["", "   ", "TBC", "[name]", "Pending signature", "Draft", "________"])
def test_placeholders_are_not_approvals(tmp_path, value):
    path = tmp_path / "sop.md"
    path.write_text(f"# SOP-RISK Risk management\n\n| Field | Value |\n|---|---|\n| Version | 1.0 |\n"
                    f"| Approved by | {value} |\n| Owner | Ms Tan |\n\n## 1. Purpose\n\nText.\n", encoding="utf-8")
    md = metadata(read_document(path))
    assert md.approved is False and md.approved_by is None
    assert md.version == "1.0"


def test_a_value_is_read_within_its_line(tmp_path):
    path = tmp_path / "sop.md"
    path.write_text("# SOP-RISK Risk management\n\nVersion: 2.1\nApproved by:\nDr Lee, Deputy Vice-Chancellor\n\n"
                    "## 1. Purpose\n\nText.\n", encoding="utf-8")
    md = metadata(read_document(path))
    assert md.version == "2.1" and md.approved is False and md.approved_by is None


def test_front_matter_and_a_draft_status(tmp_path):
    path = tmp_path / "sop.md"
    path.write_text("---\nversion: 1.4\napproved_by: Prof Rosli Ahmad\nstatus: Draft for consultation\n---\n\n"
                    "# SOP-RISK Risk management\n\n## 1. Purpose\n\nText.\n", encoding="utf-8")
    md = metadata(read_document(path))
    assert md.version == "1.4" and md.approved_by == "Prof Rosli Ahmad" and md.status == "Draft for consultation"
    assert md.approved is False


def test_sections_match_their_headings_by_words(tmp_path):
    from qms_audit.model.standard import SopDefinition
    from qms_audit.services.deskreview import sections

    sop = SopDefinition(id="SOP-RISK", title="Risk management", clause="6.1", purpose="Risks.",
                        required_sections=["Purpose", "Responsibilities", "Definitions and abbreviations",
                                           "Records", "Key performance indicators"])
    path = tmp_path / "sop.md"
    path.write_text("# SOP-RISK Risk management\n\n## 1. Purpose and objectives\n\nText.\n\n"
                    "## 2. Roles & Responsibilities\n\nText.\n\n## 3. Definitions & abbreviations\n\nText.\n\n"
                    "## 4. Record\n\nText.\n\n## 5. Performance\n\nThe purpose of key performance indicators is "
                    "to show how the process performs.\n", encoding="utf-8")
    check = sections(read_document(path), sop)
    present, missing = check.present, check.missing
    assert present == ["Purpose", "Responsibilities", "Definitions and abbreviations", "Records"]
    assert missing == ["Key performance indicators"]  # a heading with fewer words, and a sentence, do not hold it


def desk_review(cli, workspace: Path, folder: Path, documents: dict[str, str]) -> dict:
    """`docs check --json` of a folder holding these Markdown documents (name: text)."""
    import json

    folder.mkdir()
    for name, text in documents.items():
        (folder / name).write_text(text, encoding="utf-8")
    return json.loads(cli("-w", workspace, "docs", "check", folder, "--json", "--date", "2026-11-28").out)


def test_every_state_that_applies_is_listed(cli, workspace, tmp_path):
    data = desk_review(cli, workspace, tmp_path / "sops", {"risk.md": (
        "# SOP-RISK Risk management of micro-credentials\n\n| Field | Value |\n|---|---|\n| Version | 0.4 |\n"
        "| Approved by | |\n| Effective date | 2020-01-10 |\n\n## 1. Purpose\n\nRisks and opportunities of "
        "micro-credentials.\n")})
    risk = next(s for s in data["sops"] if s["sop_id"] == "SOP-RISK")
    assert risk["document"] == "risk.md"
    assert risk["states"] == ["incomplete", "draft", "overdue"]
    assert risk["state"] == "incomplete"  # the most telling, as before
    assert risk["metadata"]["approved"] is False and risk["metadata"]["version"] == "0.4"


def test_a_document_is_an_sop_only_when_it_names_itself_so(cli, workspace, tmp_path):
    """A quality manual that speaks of internal audits and cites SOP ids is not the audit SOP; information
    security risk procedures are not the micro-credential risk SOP, even titled "risk management"; an internal
    audit procedure titled so but never speaking of micro-credentials is taken with low confidence (its scope is
    for the auditor to check); one that speaks of them, with medium confidence; each says why."""
    data = desk_review(cli, workspace, tmp_path / "docs", {
        "quality-manual.md": (
            "# Quality Manual of the Micro-Credential Centre\n\n## 1. Internal audit\n\nInternal audits follow "
            "SOP-AUDIT; the audit programme, audit criteria, auditor impartiality and audit reports are kept. "
            "Risks follow SOP-RISK: the risk register and risk treatment.\n"),
        "infosec.md": (
            "# SOP Information Security Risk Assessment\n\n## Summary\n\nRisk register, risk criteria, risk "
            "treatment and monitoring of information assets.\n"),
        "isms-risk.md": (
            "# Information Security Risk Management Procedure\n\n## Purpose\n\nThe risk register, likelihood and "
            "impact of threats to information assets, risk owners and risk treatment.\n"),
        "sop-internal-audit.md": (  # its title only in its name, as templates have it
            "| Regulatory requirement | Section |\n|---|---|\n| ISO 19011 | All |\n\n## Summary\n\nThe audit "
            "programme, audit criteria, auditor selection and impartiality, audit reports and follow-up.\n"),
    })
    by_id = {s["sop_id"]: s for s in data["sops"]}
    assert by_id["SOP-RISK"]["state"] == "missing" and by_id["SOP-RISK"]["confidence"] is None
    assert by_id["SOP-AUDIT"]["document"] == "sop-internal-audit.md"
    assert by_id["SOP-AUDIT"]["confidence"] == "low"
    assert ("titled 'internal audit' but never speaks of micro-credentials: check that its scope covers them"
            in by_id["SOP-AUDIT"]["recognised_by"])
    assert sorted(data["unrecognised"]) == ["infosec.md", "isms-risk.md", "quality-manual.md"]

    # the same procedure, speaking of micro-credentials, is taken with medium confidence
    data = desk_review(cli, workspace, tmp_path / "docs2", {
        "sop-internal-audit.md": (
            "## Summary\n\nAudits of the micro-credential system: the audit programme, audit criteria, auditor "
            "selection and impartiality, audit reports and follow-up.\n")})
    audit = {s["sop_id"]: s for s in data["sops"]}["SOP-AUDIT"]
    assert audit["confidence"] == "medium"
    assert audit["recognised_by"].startswith(
        "the words of its title (internal, audit) at the top; it speaks of micro-credentials; ")


def test_bold_headings_front_matter_titles_and_a_role_name_table(cli, workspace, tmp_path):
    """A shape common in published templates: the title in front matter, bold lines as headings, a
    Document Control table with placeholders, and an Approvals table of role and name with the approver's name
    left blank (the row below holds another role, never the approver)."""
    text = (
        "---\ntitle: \"Institute Quality Manual\"\nsubtitle: \"SOP-12: Internal and External Audit Procedure\"\n"
        "---\n\n**Document Control**\n\n| Document ID | Revision | Effective date |\n|---|---|---|\n"
        "| SOP-12 | _(assigned on release)_ | _(assigned on release)_ |\n\n**Record of Revisions**\n\n"
        "| Revision | Effective date | Author | Description |\n|---|---|---|---|\n| | | | Initial release |\n\n"
        "**Approvals**\n\n| Role | Name | Signature / Date |\n|---|---|---|\n| Author | Dana Reyes | |\n"
        "| Approver | | |\n| QA Representative | Lee Tan | |\n\n## 1.0 PURPOSE\n\nAudits of the quality "
        "system: the audit programme, the audit plan, auditor competence, the audit report, each nonconformity "
        "and its corrective action.\n")
    data = desk_review(cli, workspace, tmp_path / "docs", {"audit-procedure.md": text})
    audit = next(s for s in data["sops"] if s["sop_id"] == "SOP-AUDIT")
    assert audit["document"] == "audit-procedure.md" and audit["confidence"] == "low"
    md = audit["metadata"]
    assert (md["document_number"], md["prepared_by"], md["approved_by"], md["approved"]) == \
        ("SOP-12", "Dana Reyes", None, False)
    assert md["version"] is None and md["effective"] is None  # placeholders, not values
    assert "Revision history" in audit["sections_present"] and "Document control" in audit["sections_present"]
    assert audit["states"] == ["incomplete", "draft", "unknown-dates"]

    signed = text.replace("| Approver | | |", "| Approver | Prof. Ana Cruz | 2026-03-02 |")
    data = desk_review(cli, workspace, tmp_path / "signed", {"audit-procedure.md": signed})
    md = next(s for s in data["sops"] if s["sop_id"] == "SOP-AUDIT")["metadata"]
    assert (md["approved_by"], md["approved"], md["reviewed_by"]) == ("Prof. Ana Cruz", True, None)


def test_mc_qms_names_other_headings_for_its_own_sections(cli, workspace, tmp_path):
    """An audit procedure laid out by audit stages ("Audit programme management", "Auditor independence",
    "Audit reporting") holds the audit SOP's own sections through the names mc-qms declares for them."""
    text = ("# SOP-AUDIT Micro-Credential Internal Audit Procedure\n\n## 5.0 AUDIT PROGRAMME MANAGEMENT\n\n"
            "A two-year programme of audits of every faculty.\n\n## 6.0 CONDUCTING AUDITS\n\n### 6.4 Audit "
            "Reporting\n\nReports within ten days.\n\n## 7.0 AUDITOR QUALIFICATIONS\n\n### 7.2 Auditor "
            "Independence\n\nNo auditor audits their own work.\n")
    data = desk_review(cli, workspace, tmp_path / "docs", {"audit.md": text})
    audit = next(s for s in data["sops"] if s["sop_id"] == "SOP-AUDIT")
    assert {"Audit programme", "Auditor selection and impartiality", "Reporting and follow-up"} <= \
        set(audit["sections_present"])
