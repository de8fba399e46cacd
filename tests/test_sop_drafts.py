"""SOP drafts ready for approval: each draft is read by the desk review as what it is (a complete draft, not
approved), carries an approval block to sign, its number, version and page in the footer, and its revision
history last; the audit SOP states the audit programme's own cycle; tables stay on portrait pages, the step
tables of one SOP lining up."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document

from tests.office_text import docx_tables

ON = "2026-11-28"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# the SOPs of mc-qms in the standard's order, which gives their numbers, and the role that owns each
OWNERS = {"SOP-GEN": "Dr Farah Aziz", "SOP-NEEDS": "Ms Aishah Rahman", "SOP-INDUSTRY": "Ms Aishah Rahman",
          "SOP-COMMIT": "Prof Aminah Yusof", "SOP-ROLES": "Ms Aishah Rahman", "SOP-RISK": "Dr Farah Aziz",
          "SOP-AUDIT": "Dr Farah Aziz"}


def number_of(sop_id: str) -> str:
    """The demo profile's numbering, "{institution}-{unit}-SOP-{number:02d}", with the quality unit's code."""
    return f"UTN-QAU-SOP-{list(OWNERS).index(sop_id) + 1:02d}"


@pytest.fixture
def drafts(cli, demo_workspace, tmp_path) -> dict[str, Path]:
    out = tmp_path / "sops"
    result = cli("-w", demo_workspace, "sop", "generate", "--all", "-o", out, "--date", ON)
    assert result.code == 0, result.err
    return {path.name.split()[0]: path for path in out.glob("*.docx")}


def markdown_of(cli, workspace: Path, out: Path, sop_id: str) -> str:
    result = cli("-w", workspace, "sop", "generate", sop_id, "--format", "md", "-o", out, "--date", ON)
    assert result.code == 0, result.err
    return next(out.glob(f"{sop_id} *.md")).read_text(encoding="utf-8")


def test_the_desk_review_reads_every_draft_as_a_complete_unapproved_draft(cli, demo_workspace, drafts):
    assert set(drafts) == set(OWNERS)
    folder = next(iter(drafts.values())).parent
    result = cli("-w", demo_workspace, "docs", "check", folder, "--json", "--date", ON)
    assert result.code == 1, result.err  # drafts are gaps until they are approved
    review = json.loads(result.out)
    assert review["unreadable"] == [] and review["unrecognised"] == []
    found = {s["sop_id"]: s for s in review["sops"]}
    assert set(found) == set(OWNERS)
    for sop_id, sop in found.items():
        assert sop["document"] == drafts[sop_id].name, sop_id
        assert (sop["state"], sop["states"]) == ("draft", ["draft"]), (sop_id, sop["states"])
        assert sop["sections_missing"] == [] and sop["sections_empty"] == [], sop_id
        md = sop["metadata"]
        # the approver is named, but a draft status and blank signatures are no approval
        assert md["approved"] is False and md["status"] == "Draft for review", sop_id
        assert md["approved_by"].startswith("Prof Rosli Ahmad"), sop_id
        assert (md["document_number"], md["version"]) == (number_of(sop_id), "0.1"), sop_id
        assert md["prepared_by"] == OWNERS[sop_id], sop_id
        assert md["effective"] is None and md["next_review"] == "2028-11-28", sop_id


def test_the_approval_block_names_who_signs_and_leaves_the_signatures_blank(drafts):
    for sop_id, path in drafts.items():
        block = next(t for t in docx_tables(path) if t[0] == ["Sign-off", "Name", "Position", "Signature", "Date"])
        rows = {row[0]: row[1:] for row in block[1:]}
        assert list(rows) == ["Prepared by", "Reviewed by", "Approved by"], sop_id
        assert rows["Prepared by"][0] == OWNERS[sop_id]
        assert rows["Approved by"][:2] == ["Prof Rosli Ahmad", "Deputy Vice-Chancellor (Academic), Office of the "
                                                                "Vice-Chancellor"]
        # the quality manager reviews what others prepare; the MC manager what the quality manager prepares
        reviewer = "Ms Aishah Rahman" if OWNERS[sop_id] == "Dr Farah Aziz" else "Dr Farah Aziz"
        assert rows["Reviewed by"][0] == reviewer, sop_id
        assert all(row[2:] == ["", ""] for row in rows.values()), sop_id  # to be signed and dated
        # rows tall enough to sign in
        table = next(t for t in Document(str(path)).tables if t.rows[0].cells[0].text == "Sign-off")
        heights = [row._tr.find(f"{W}trPr/{W}trHeight") for row in table.rows[1:]]
        assert all(h is not None and int(h.get(f"{W}val")) >= 600 for h in heights), sop_id
        text = "\n".join(p.text for p in Document(str(path)).paragraphs)
        assert "Effective date: ____" in text


def test_the_footer_gives_the_document_number_version_and_page(drafts):
    for sop_id, path in drafts.items():
        document = Document(str(path))
        for section in document.sections:
            footer = section.footer._element
            text = "".join(t.text or "" for t in footer.iter(f"{W}t"))
            assert text.startswith(f"{number_of(sop_id)} v0.1 — {sop_id}Page "), (sop_id, text)
            fields = [f.get(f"{W}instr").strip() for f in footer.iter(f"{W}fldSimple")]
            assert fields == ["PAGE", "NUMPAGES"]


def test_the_revision_history_comes_last(drafts):
    for sop_id, path in drafts.items():
        sections = [p.text for p in Document(str(path)).paragraphs if p.style.name == "Heading 1"]
        assert sections[-1] == "13. Revision history", sop_id
        assert [s.split(".")[0] for s in sections] == [str(n) for n in range(1, 14)], (sop_id, sections)
        history = docx_tables(path)[-1]
        assert history[0] == ["Version", "Date", "Change", "By"] and history[1][:2] == ["0.1", ON]


def test_role_columns_are_short_so_every_table_stays_on_portrait_pages(drafts):
    for sop_id, path in drafts.items():
        body = Document(str(path)).element.body
        turned = [s for s in body.iter(f"{W}pgSz") if s.get(f"{W}orient") == "landscape"]
        assert turned == [], sop_id
        raci = next(t for t in docx_tables(path) if t[0][0] in ("Activity", "Lifecycle stage"))
        assert all(len(header) <= 9 for header in raci[0][1:]), (sop_id, raci[0])
        # the legend above the table says what each short heading stands for
        text = "\n".join(p.text for p in Document(str(path)).paragraphs)
        legend = next(line for line in text.splitlines() if "Columns:" in line)
        assert all(h in legend for h in raci[0][1:] if h.isupper()), (sop_id, legend)


def test_the_step_tables_of_one_sop_line_up(drafts):
    for sop_id, path in drafts.items():
        grids = [tuple(col.get(f"{W}w") for col in table._tbl.iter(f"{W}gridCol"))
                 for table in Document(str(path)).tables if table.rows[0].cells[0].text == "Step"]
        assert len(grids) == 4 and len(set(grids)) == 1, (sop_id, grids)


def test_the_audit_sop_states_the_cycle_of_the_audit_programme(cli, demo_workspace, tmp_path):
    text = markdown_of(cli, demo_workspace, tmp_path / "two", "SOP-AUDIT")
    assert "the two-year cycle" in text and "cycle of two years" in text
    assert '"Internal audit programme 2026-2027", runs from January 2026 to December 2027' in text
    assert "three-year" not in text and "three academic years" not in text
    # the programme runs a year longer: the SOP says so
    programme = demo_workspace / "programme.yaml"
    programme.write_text(programme.read_text().replace("cycle_end: 2027-12", "cycle_end: 2028-12"))
    text = markdown_of(cli, demo_workspace, tmp_path / "three", "SOP-AUDIT")
    assert "the three-year cycle" in text and "cycle of three years" in text
    assert "runs from January 2026 to December 2028" in text
    assert "| 12 to 36 months | Over 36 months (more than one cycle), or never audited |" in text


def test_without_a_programme_the_audit_sop_takes_the_review_cycle_of_the_profile(cli, demo_workspace, tmp_path):
    (demo_workspace / "programme.yaml").unlink()
    profile = demo_workspace / "institution.yaml"
    profile.write_text(profile.read_text().replace("review_cycle_months: 24", "review_cycle_months: 36"))
    text = markdown_of(cli, demo_workspace, tmp_path, "SOP-AUDIT")
    assert "the three-year cycle" in text
    assert "cycle of three years, the period on which controlled documents are reviewed" in text
    assert "(every 36 months)" in text  # the SOP's own review follows the same setting


def test_a_bad_programme_stops_the_drafts_with_one_located_line(cli, demo_workspace, tmp_path):
    programme = demo_workspace / "programme.yaml"
    programme.write_text(programme.read_text().replace("cycle_end: 2027-12", "cycle_end: 2027-13"))
    result = cli("-w", demo_workspace, "sop", "generate", "--all", "-o", tmp_path / "out")
    assert result.code == 2 and "Traceback" not in result.err
    assert "programme.yaml" in result.err and "cycle_end" in result.err
    assert not (tmp_path / "out").exists()


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed: nothing can be laid out")
def test_as_laid_out_every_page_is_portrait_with_its_reference_and_page(drafts, tmp_path):
    import pypdfium2 as pdfium

    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), *map(str, drafts.values())],
                   check=True, capture_output=True, timeout=600)
    for sop_id, path in drafts.items():
        pdf = pdfium.PdfDocument(str(tmp_path / "pdf" / f"{path.stem}.pdf"))
        try:
            pages = len(pdf)
            assert pages >= 5, sop_id
            for index in range(pages):
                page = pdf[index]
                assert tuple(round(v) for v in page.get_size()) == (595, 842), (sop_id, index + 1)
                text_page = page.get_textpage()
                text = text_page.get_text_range()
                text_page.close()
                page.close()
                assert f"{number_of(sop_id)} v0.1 — {sop_id}" in text, (sop_id, index + 1)
                assert re.search(rf"Page {index + 1} of {pages}\b", text), (sop_id, index + 1)
        finally:
            pdf.close()


def test_the_paper_of_the_profile_sets_the_page_of_drafts_the_review_pack_and_the_report(cli, demo_workspace, tmp_path):
    from docx import Document

    def page_size(path) -> tuple[int, int]:  # in millimetres (a page is stored in twentieths of a point)
        section = Document(str(path)).sections[0]
        return round(section.page_width / 36000), round(section.page_height / 36000)

    ws = demo_workspace
    assert cli("-w", ws, "sop", "generate", "SOP-RISK", "-o", tmp_path / "a4").code == 0
    assert cli("-w", ws, "review", "pack", "-o", tmp_path / "a4" / "pack.docx").code == 0
    assert cli("-w", ws, "report", "demo-2026-foe", "-o", tmp_path / "a4" / "report.docx").code == 0
    profile = ws / "institution.yaml"
    profile.write_text(profile.read_text() + "paper: Letter\n")
    assert cli("-w", ws, "sop", "generate", "SOP-RISK", "-o", tmp_path / "letter").code == 0
    assert cli("-w", ws, "review", "pack", "-o", tmp_path / "letter" / "pack.docx").code == 0
    assert cli("-w", ws, "report", "demo-2026-foe", "-o", tmp_path / "letter" / "report.docx").code == 0
    for folder, size in (("a4", (210, 297)), ("letter", (216, 279))):
        files = sorted((tmp_path / folder).glob("*.docx"))
        assert len(files) == 3
        for path in files:
            assert page_size(path) == size, path
