"""The Word audit report as a lead auditor signs it and a manager reads it: a draft marked on every page until
the audit is sealed, then final with its seal and signatures; a conclusion for each objective; the plan and
timetable, obstacles and what the results mean for the programme, all from the records; reasons for every area
not covered; grades marked in words and colour; plain words in the body and commands in an annex; contents
with page numbers when LibreOffice can lay the report out."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml

from qms_audit.domain.presentation import GRADE_MARKS
from qms_audit.infra.locations import Workspace
from qms_audit.model.log import LogEntry
from qms_audit.services.auditing import APPROVAL_MEANING, SEAL_MEANING, open_audit
from qms_audit.store.eventlog import ordered
from tests.office_text import docx_paragraphs, docx_tables, docx_text

DEMO = "demo-2026-foe"
NOW = "2026-11-28T10:00:00Z"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_libreoffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed: no layout to read "
                                                                "page numbers from")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """The demo workspace (the audit is in progress) and its report, made by the CLI at a fixed time."""

    from qms_audit.cli import run
    from tests.conftest import REPO

    root = tmp_path_factory.mktemp("audit-report") / "ws"
    root.mkdir()
    for name in ("standards", "sop_templates", "audits", "ncs", "signers", "institution.yaml", "programme.yaml"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, root / name)
    # made before the per-test settings apply (a module's fixture comes first): its own clock, cache and folders
    settings = {"QMS_AUDIT_NOW": NOW, "QMS_AUDIT_CACHE": str(root.parent / "cache"),
                "QMS_AUDIT_STATE": str(root.parent / "state"), "QMS_AUDIT_CONFIG_DIR": str(root.parent / "config"),
                "QMS_AUDIT_DATA_DIR": str(root.parent / "data")}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in settings.items():
            patch.setenv(key, value)
        assert run(["-w", str(root), "report", DEMO, "-o", str(root / "r.docx")]) == 0
    return root


def table_with(path: Path, *header: str, having: str | None = None) -> list[list[str]]:
    """The one table with this header (and, if given, a row whose first cell is `having`)."""
    found = [t for t in docx_tables(path) if tuple(t[0][:len(header)]) == header
             and (having is None or any(row[0] == having for row in t[1:]))]
    assert len(found) == 1, header
    return found[0]


def version(path: Path) -> str:
    return rows_of(table_with(path, "Item", "Value", having="Version"))["Version"]


def rows_of(table: list[list[str]]) -> dict[str, str]:
    return {row[0]: row[1] for row in table[1:]}


def log_entries(ws: Path, audit: str) -> list[LogEntry]:
    folder = ws / "audits" / audit / "log"
    return ordered([LogEntry.model_validate_json(p.read_text()) for p in folder.glob("*.json")])


def headers_and_footers(path: Path) -> tuple[list[str], list[str]]:
    """The text of each section's header and footer (the landscape sections' included)."""
    from docx import Document

    doc = Document(str(path))
    return ([" ".join(p.text for p in s.header.paragraphs) for s in doc.sections],
            [" ".join(p.text for p in s.footer.paragraphs) for s in doc.sections])


def body_between(path: Path, first: str, last: str) -> list[str]:
    """The body's paragraphs from heading `first` to heading `last` (the second time each is met: the first is
    the contents)."""
    paragraphs = docx_paragraphs(path)
    start = [i for i, p in enumerate(paragraphs) if p == first][-1]
    end = [i for i, p in enumerate(paragraphs) if p == last][-1]
    return paragraphs[start:end]


# -- status and version ---------------------------------------------------------------------------------------


def test_an_open_audit_gives_a_draft_marked_on_every_page(demo):
    report = demo / "r.docx"
    headers, footers = headers_and_footers(report)
    assert len(headers) >= 3  # the landscape pages of the evidence register are sections of their own
    assert all("DRAFT 0.1: not final until the audit is closed and sealed" in h for h in headers)
    assert all("Draft 0.1" in f for f in footers)
    text = docx_text(report)
    assert "Version 1.0" not in text and "Version 1.0" not in " ".join(footers)
    control = rows_of(table_with(report, "Item", "Value", having="Version"))
    assert control["Version"] == "Draft 0.1 (a draft until the audit is closed and sealed)"
    approval = {row[0]: row[1:] for row in table_with(report, "Step", "Name", "Date", "Signature")[1:]}
    assert list(approval) == ["Prepared", "Reviewed", "Approved", "Issued final"]
    assert approval["Prepared"][0] == "Dr Farah Aziz, lead auditor"
    assert approval["Reviewed"][0].startswith(yaml.safe_load((demo / "programme.yaml").read_text())["owner"])
    assert approval["Approved"][2] == "not approved yet" and approval["Issued final"][2].startswith("not yet")
    from docx import Document

    assert Document(str(report)).core_properties.content_status == "Draft"


@pytest.fixture
def closed(cli, workspace) -> Path:
    """An audit rated in part, with an opportunity for improvement, reported, approved and closed by its lead."""
    steps = [
        ["audit", "new", "--standard", "mc-qms", "--title", "Sealed", "--auditee", "Faculty of Business",
         "--lead", "Dr Lee (Quality Assurance Unit)", "--id", "fob-sealed", "--objective",
         "Verify the follow-up of the 2025 audit's findings"],
        ["audit", "rate", "fob-sealed", "4.1.a", "--grade", "conformity", "--note", "Context review minutes seen"],
        ["audit", "rate", "fob-sealed", "10.1.a", "--grade", "conformity", "--note", "Findings log kept"],
        ["audit", "rate", "fob-sealed", "5.3.a", "--grade", "ofi", "--note", "Roles could be written down",
         "--statement", "Roles of the coordinators could be written down"],
        ["audit", "status", "fob-sealed", "reported"],
        ["audit", "approve", "fob-sealed"],
        ["audit", "close", "fob-sealed"],
        ["report", "fob-sealed", "-o", workspace / "final.docx"],
    ]
    for args in steps:
        result = cli("-w", workspace, "--as", "Dr Lee", *args)
        assert result.code == 0, (args, result.err)
    return workspace


def test_a_closed_audit_gives_the_final_report_with_its_signatures_and_seal(cli, closed):
    report = closed / "final.docx"
    entries = log_entries(closed, "fob-sealed")
    approval = next(e for e in entries if e.action == "report.approve")
    seal = entries[-1]
    assert seal.action == "audit.close" and seal.signed_by is not None and approval.signed_by is not None
    headers, footers = headers_and_footers(report)
    assert not any("DRAFT" in h for h in headers) and all("Version 1.0" in f for f in footers)
    assert "Final report, version 1.0" in docx_text(report)
    control = rows_of(table_with(report, "Item", "Value", having="Version"))
    assert control["Version"] == "Version 1.0 (final)"
    grouped = " ".join(seal.hash[i:i + 16] for i in range(0, 64, 16))
    assert f"Seal SHA-256 {grouped}" in control["Integrity"]
    steps = {row[0]: row[1:] for row in table_with(report, "Step", "Name", "Date", "Signature")[1:]}
    assert steps["Approved"][:2] == ["Dr Lee, lead auditor", approval.at.date().isoformat()]
    assert approval.signed_by.key_id in steps["Approved"][2] and APPROVAL_MEANING in steps["Approved"][2]
    assert steps["Issued final"][1] == seal.at.date().isoformat()
    assert seal.signed_by.key_id in steps["Issued final"][2] and SEAL_MEANING in steps["Issued final"][2]
    reported = next(e for e in entries if e.action == "audit.status")
    assert steps["Prepared"][1] == reported.at.date().isoformat()
    assert cli("-w", closed, "verify", "fob-sealed", "--report", report).code == 0
    # the objective is concluded from the requirement on following up findings, as rated
    objectives = rows_of(table_with(report, "Objective", "Conclusion"))
    assert objectives["Verify the follow-up of the 2025 audit's findings"].startswith(
        "10.1.a (Audit findings followed up) was rated conformity: Findings log kept.")
    # reopened, the next report is a draft of the next version
    assert cli("-w", closed, "--as", "Dr Lee", "audit", "reopen", "fob-sealed", "--reason", "a finding was missed"
               ).code == 0
    assert cli("-w", closed, "report", "fob-sealed", "-o", closed / "again.docx").code == 0
    headers, footers = headers_and_footers(closed / "again.docx")
    assert all("DRAFT 1.1" in h for h in headers) and all("Draft 1.1" in f for f in footers)
    again = {row[0]: row[1:] for row in table_with(closed / "again.docx", "Step", "Name", "Date", "Signature")[1:]}
    assert again["Approved"][2] == "not approved yet"  # the approval was of the sealed version
    assert again["Issued final"][2].startswith("not yet")


def test_an_approved_draft_names_its_approval_and_a_later_change_makes_a_new_draft(cli, workspace):
    for args in (["audit", "new", "--standard", "mc-qms", "--title", "Approved", "--auditee", "Faculty of Business",
                  "--lead", "Dr Lee (Quality Assurance Unit)", "--id", "fob-approved"],
                 ["audit", "rate", "fob-approved", "4.1.a", "--grade", "conformity"],
                 ["audit", "status", "fob-approved", "reported"],
                 ["audit", "approve", "fob-approved"],
                 ["report", "fob-approved", "-o", workspace / "approved.docx"],
                 ["audit", "rate", "fob-approved", "4.1.b", "--grade", "conformity"],
                 ["report", "fob-approved", "-o", workspace / "changed.docx"]):
        assert cli("-w", workspace, "--as", "Dr Lee", *args).code == 0, args
    approval = next(e for e in log_entries(workspace, "fob-approved") if e.action == "report.approve")
    first = {row[0]: row[1:] for row in table_with(workspace / "approved.docx", "Step", "Name", "Date",
                                                     "Signature")[1:]}
    assert version(workspace / "approved.docx").startswith("Draft 0.1")
    assert first["Approved"][2] == (f"electronic signature, key {approval.signed_by.key_id}, meaning "
                                    f"\u201c{APPROVAL_MEANING}\u201d")
    later = {row[0]: row[1:] for row in table_with(workspace / "changed.docx", "Step", "Name", "Date",
                                                     "Signature")[1:]}
    assert version(workspace / "changed.docx").startswith("Draft 0.2")
    assert "the records changed afterwards (1 later change)" in later["Approved"][2]


# -- content from the records -----------------------------------------------------------------------------------


def test_each_objective_gets_a_conclusion(demo):
    opened = open_audit(Workspace(demo), DEMO)
    plan = opened.record.plan
    conclusions = rows_of(table_with(demo / "r.docx", "Objective", "Conclusion"))
    assert list(conclusions) == plan.objectives
    assert all(conclusions.values())
    follow_up = conclusions["Verify the follow-up of the 2025 audit's findings"]
    planned = next(a for a in yaml.safe_load((demo / "programme.yaml").read_text())["audits"]
                   if a.get("clauses") == ["10"])
    assert follow_up.startswith("Not concluded in this audit: 10.1.a (Audit findings followed up) is in clause 10, "
                                f"left to a later visit; the audit programme plans it for {planned['month']}")
    assert "No earlier audit of Faculty of Engineering is recorded in this workspace" in follow_up
    good = [ref for ref, r in opened.snapshot.results.items() if r.grade.value == "good_practice"]
    assert good and all(ref in conclusions["Identify good practice worth sharing with other faculties"]
                        for ref in good)
    assert conclusions[plan.objectives[0]].startswith("Not conforming.")


def test_scope_and_areas_not_covered_agree_and_give_the_recorded_reasons(demo):
    opened = open_audit(Workspace(demo), DEMO)
    exclusions = opened.record.plan.scope.exclusions
    scope = rows_of(table_with(demo / "r.docx", "Item", "Value", having="Clauses audited"))
    assert "10 Improvement" not in scope["Clauses audited"] and "9 Performance evaluation" in scope["Clauses audited"]
    assert scope["Clauses left out"].startswith(f"10 Improvement: {exclusions}")
    areas = table_with(demo / "r.docx", "Area", "Why")[1:]
    assert not any("not assessed in this audit" in why for _, why in areas)
    clause_10 = [(area, why) for area, why in areas if area.startswith("Clause 10 ")]
    assert len(clause_10) == 1
    refs_10 = [r.ref for r in opened.standard.requirements() if r.ref.startswith("10.")]
    assert all(ref in clause_10[0][0] for ref in refs_10)
    assert clause_10[0][1].startswith(f"left to a later visit: {exclusions}")
    unassessed = [r.ref for r in opened.scoped_requirements() if not r.ref.startswith("10.")
                  and opened.snapshot.result(r.ref).grade.value == "not_assessed"]
    reasons = {area.split()[0]: why for area, why in areas}
    assert unassessed and all(reasons[ref] == "not assessed; no reason recorded" for ref in unassessed)
    na = {ref: r.na_reason for ref, r in opened.snapshot.results.items() if r.grade.value == "not_applicable"}
    assert na and all(reasons[ref] == f"not applicable: {why}" for ref, why in na.items())


def test_the_plan_timetable_obstacles_and_programme_come_from_the_records(demo):
    opened = open_audit(Workspace(demo), DEMO)
    entries = log_entries(demo, DEMO)
    timetable = table_with(demo / "r.docx", "When", "Activity", "Who")[1:]
    days = sorted({e.at.date().isoformat() for e in entries if e.action == "evidence.add"})
    fieldwork = {row[0]: row[1] for row in timetable if row[1].startswith("Evidence gathered")}
    assert sorted(fieldwork) == days
    first_day = {opened.standard.top_clause_of(e.target) for e in entries
                 if e.action in ("evidence.add", "result.rate") and e.at.date().isoformat() == days[0]}
    assert f"clauses {', '.join(sorted(first_day, key=int))} " in fieldwork[days[0]]
    assert timetable[0] == [opened.record.created_at.date().isoformat(), "Audit planned", opened.record.created_by]
    obstacles = body_between(demo / "r.docx", "2.7 Obstacles met", "3. Results by clause")
    disputed = [f.id for f in opened.snapshot.active_findings() if f.response and f.response.position == "disputed"]
    assert any(opened.record.plan.scope.exclusions in line for line in obstacles)
    assert any(all(d in line for d in disputed) for line in obstacles) and disputed
    programme = body_between(demo / "r.docx", "9.4 What the results mean for the audit programme",
                             "Appendix A. Evidence register")
    majors = {f.ref.split(".")[0] for f in opened.snapshot.active_findings() if f.grade.value == "major_nc"}
    urgent = next(line for line in programme if line.startswith("Bring back first"))
    assert majors and all(f"{n} " in urgent for n in majors)
    later = [a for a in yaml.safe_load((demo / "programme.yaml").read_text())["audits"]
             if a["unit"] == "Faculty of Engineering" and a["month"] > "2026-10"]
    assert later and all(any(f"for {a['month']} (clauses {', '.join(a['clauses'])}, lead {a['lead']})" in line
                             for line in programme) for a in later)


def test_grades_are_marked_in_words_and_colour(demo):
    with zipfile.ZipFile(demo / "r.docx") as zf:
        body = zf.read("word/document.xml").decode()
    cells = re.findall(r"<w:tc>(.*?)</w:tc>", body)
    for grade, fill in (("major_nc", "F4A6A6"), ("minor_nc", "F8CBAD")):
        marked = [c for c in cells if re.search(rf">{re.escape(GRADE_MARKS[grade])}</w:t>", c)]
        assert marked and all(f'w:fill="{fill}"' in c and "<w:b/>" in c for c in marked), grade
    status = table_with(demo / "r.docx", "NC", "Grade", "Where it stands")
    opened = open_audit(Workspace(demo), DEMO)
    grades = {f.id: f.grade.value for f in opened.snapshot.active_findings()}
    assert all(row[1] == GRADE_MARKS[grades[row[0]]] for row in status[1:])


def test_the_body_speaks_plain_words_and_the_commands_are_in_an_annex(demo):
    body = "\n".join(body_between(demo / "r.docx", "1. Executive summary", "Appendix B. How to check this report"))
    for jargon in ("qms-audit", "`", "actions-in-progress", "awaiting-verification", "not-effective", "OVERDUE",
                   "5-whys"):
        assert jargon not in body, jargon
    assert "actions under way, late" in body and "not effective" in body
    annex = rows_of(table_with(demo / "r.docx", "To check", "Command"))
    assert f"qms-audit verify {DEMO}" in annex.values()
    assert f"qms-audit verify {DEMO} --report REPORT.docx" in annex.values()


# -- the contents' page numbers ---------------------------------------------------------------------------------


def contents_entries(path: Path) -> list[tuple[str, str]]:
    """(heading, page number as filled in) of each entry of the contents."""
    with zipfile.ZipFile(path) as zf:
        body = zf.read("word/document.xml").decode()
    entries = []
    for link in re.findall(r'<w:hyperlink w:anchor="_Toc\d+"[^>]*>(.*?)</w:hyperlink>', body):
        before, _, after = link.partition("<w:tab/>")
        result = after.split('w:fldCharType="separate"/>', 1)[1]
        entries.append(("".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", before)),
                        "".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", result))))
    return entries


@needs_libreoffice
def test_the_contents_carry_the_pages_the_headings_are_on(demo, tmp_path):
    import subprocess

    import pypdfium2 as pdfium

    entries = contents_entries(demo / "r.docx")
    assert len(entries) > 30 and all(page.isdigit() for _, page in entries)
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to",
                    "pdf", "--outdir", str(tmp_path), str(demo / "r.docx")], check=True, capture_output=True,
                   timeout=300)
    pdf = pdfium.PdfDocument(str(tmp_path / "r.pdf"))
    pages = [" ".join(pdf[i].get_textpage().get_text_range().split()) for i in range(len(pdf))]
    for heading, page in entries:
        assert heading in pages[int(page) - 1], (heading, page)
    # the PDF lays the contents out with the same numbers
    printed = re.findall(r"\.{3,}\s*(\d+)", pdf[1].get_textpage().get_text_range())
    assert printed == [page for _, page in entries][:len(printed)] and printed


@needs_libreoffice
def test_a_pdf_report_has_its_contents_numbered(cli, demo_workspace, tmp_path):
    import pypdfium2 as pdfium

    assert cli("-w", demo_workspace, "report", DEMO, "--format", "pdf", "-o", tmp_path / "r.pdf").code == 0
    pdf = pdfium.PdfDocument(str(tmp_path / "r.pdf"))
    contents = pdf[1].get_textpage().get_text_range()
    numbers = [int(n) for n in re.findall(r"\.{3,}\s*(\d+)", contents)]
    assert len(numbers) > 20 and numbers == sorted(numbers) and numbers[-1] <= len(pdf)


def test_without_libreoffice_the_contents_are_left_for_word_to_number(cli, demo_workspace, tmp_path, monkeypatch):
    import qms_audit.render.build as build

    monkeypatch.setattr(build, "soffice", lambda: None)
    assert cli("-w", demo_workspace, "report", DEMO, "-o", tmp_path / "r.docx").code == 0
    entries = contents_entries(tmp_path / "r.docx")
    assert entries and all(page == "" for _, page in entries)
    with zipfile.ZipFile(tmp_path / "r.docx") as zf:
        assert '<w:updateFields w:val="true"/>' in zf.read("word/settings.xml").decode()


def test_page_numbers_are_reused_for_an_unchanged_report(cli, demo_workspace, tmp_path, monkeypatch):
    """The pages laid out once are kept in the cache by the report's content: making the same report again needs
    no LibreOffice, and a cached layout of another number of headings is not used."""
    import qms_audit.render.build as build
    from qms_audit.infra.errors import StorageError

    monkeypatch.setenv("QMS_AUDIT_NOW", NOW)
    monkeypatch.setenv("QMS_AUDIT_CACHE", str(tmp_path / "cache"))

    def no_layout(docx, timeout=0):
        raise StorageError("LibreOffice could not convert the report")

    monkeypatch.setattr(build, "docx_to_pdf", no_layout)
    monkeypatch.setattr(build, "soffice", lambda: "soffice")
    first = build.build_docx(Workspace(demo_workspace), DEMO, page_numbers=False)
    count = len(contents_entries_of(first))
    cached = tmp_path / "cache" / "report-pages" / f"{build._content_key(first)}.json"
    cached.parent.mkdir(parents=True)
    cached.write_text(json.dumps(list(range(3, 3 + count))))
    numbered = build.build_docx(Workspace(demo_workspace), DEMO)
    assert [page for _, page in contents_entries_of(numbered)] == [str(n) for n in range(3, 3 + count)]
    cached.write_text(json.dumps([3, 4]))  # laid out for other headings: not used, and no layout to be had
    assert all(page == "" for _, page in contents_entries_of(build.build_docx(Workspace(demo_workspace), DEMO)))


def contents_entries_of(docx: bytes) -> list[tuple[str, str]]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.docx"
        path.write_bytes(docx)
        return contents_entries(path)
