"""SOP drafts in the reader's language: `--lang ms sop generate --all` gives Malay drafts (id: Indonesian) from the
templates in sop_templates/<language>/, headed with the section names of the standard's translation overlay,
and the desk review reads them as it reads English drafts (complete, not approved). An SOP without a template
in the language is drafted in English, and the command says so.

The tests run on the translated templates and overlays of mc-qms as shipped; where one is not there, a small
stand-in written here takes its place in the test's copy of the workspace.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from docx import Document

from qms_audit.infra import i18n
from tests.conftest import REPO
from tests.office_text import docx_tables, docx_text

ON = "2026-11-28"
LANGUAGES = ("id", "ms")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
OWNERS = {"Dr Farah Aziz", "Ms Aishah Rahman", "Prof Aminah Yusof"}  # the demo profile's SOP owners
APPROVER = "Prof Rosli Ahmad"

# --- stand-ins for the translated files, used only where the shipped ones are not there ---------------------

STAND_IN_SECTIONS = {
    "ms": {"Document control": "Kawalan dokumen", "Purpose": "Tujuan", "Scope": "Skop", "Definitions": "Definisi",
           "Responsibilities": "Tanggungjawab", "Procedure": "Prosedur", "Records": "Rekod",
           "Key performance indicators": "Petunjuk prestasi utama", "References": "Rujukan",
           "Revision history": "Sejarah pindaan"},
    "id": {"Document control": "Pengendalian dokumen", "Purpose": "Tujuan", "Scope": "Ruang lingkup",
           "Definitions": "Definisi", "Responsibilities": "Tanggung jawab", "Procedure": "Prosedur",
           "Records": "Rekaman", "Key performance indicators": "Indikator kinerja utama", "References": "Referensi",
           "Revision history": "Riwayat revisi"},
}
STAND_IN_TITLES = {
    "ms": {"SOP-GEN": "Prosedur am pengurusan sistem mikrokredensial",
           "SOP-NEEDS": "Pengenalpastian keperluan mikrokredensial",
           "SOP-INDUSTRY": "Kerjasama dengan industri bagi mikrokredensial",
           "SOP-COMMIT": "Komitmen pengurusan terhadap mikrokredensial",
           "SOP-ROLES": "Penilaian peranan dan tanggungjawab pengurus mikrokredensial",
           "SOP-RISK": "Pengurusan risiko mikrokredensial", "SOP-AUDIT": "Prosedur audit dalaman mikrokredensial"},
    "id": {"SOP-GEN": "Prosedur umum pengelolaan sistem mikrokredensial",
           "SOP-NEEDS": "Identifikasi kebutuhan mikrokredensial",
           "SOP-INDUSTRY": "Kerja sama dengan industri untuk mikrokredensial",
           "SOP-COMMIT": "Komitmen manajemen terhadap mikrokredensial",
           "SOP-ROLES": "Evaluasi peran dan tanggung jawab pengelola mikrokredensial",
           "SOP-RISK": "Manajemen risiko mikrokredensial", "SOP-AUDIT": "Prosedur audit internal mikrokredensial"},
}
# document control and sign-off as the stand-in templates write them
STAND_IN_LABELS = {
    "ms": {"field": "Perkara", "value": "Butiran", "number": "Nombor dokumen", "version": "Versi",
           "status": "Status", "approver": "Pelulus", "effective": "Tarikh berkuat kuasa",
           "next": "Kajian semula seterusnya", "signoff": "Pengesahan", "name": "Nama", "position": "Jawatan",
           "signature": "Tandatangan", "date": "Tarikh", "prepared": "Disediakan oleh",
           "approved": "Diluluskan oleh"},
    "id": {"field": "Butir", "value": "Isian", "number": "Nomor dokumen", "version": "Versi", "status": "Status",
           "approver": "Penyetuju", "effective": "Tanggal berlaku", "next": "Tinjauan berikutnya",
           "signoff": "Pengesahan", "name": "Nama", "position": "Jabatan", "signature": "Tanda tangan",
           "date": "Tanggal", "prepared": "Disiapkan oleh", "approved": "Disetujui oleh"},
}
STAND_IN_TEMPLATE = """# {{{{ sop.id }}}} {{{{ sop.title | md }}}}

{{{{ institution.name | md }}}} — {{{{ document.status | md }}}}

{{% for section in sop.required_sections %}}
## {{{{ loop.index }}}}. {{{{ section }}}}

{{% if loop.first %}}
| {field} | {value} |
|---|---|
| {number} | {{{{ document.number | cell }}}} |
| {version} | {{{{ document.version | cell }}}} |
| {status} | {{{{ document.status | cell }}}} |
| {approver} | {{{{ people.sop_approver.name | cell }}}} |
| {effective} | {{{{ document.effective_date | cell }}}} |
| {next} | {{{{ document.next_review | cell }}}} |

| {signoff} | {name} | {position} | {signature} | {date} |
|-----|------|---------|-------|----|
| {prepared} | {{{{ people.quality_manager.name | cell }}}} | | | |
| {approved} | {{{{ people.sop_approver.name | cell }}}} | | | |
{{% else %}}
{{{{ sop.purpose | md }}}} ({{{{ institution.short_name | md }}}}, {{{{ audit_cycle.length }}}}).
{{% endif %}}

{{% endfor %}}
"""


def stand_in_overlay(language: str) -> str:
    standard = yaml.safe_load((REPO / "standards" / "mc-qms.yaml").read_text(encoding="utf-8"))
    sections = STAND_IN_SECTIONS[language]
    sops = [{"id": sop["id"], "title": STAND_IN_TITLES[language][sop["id"]],
             "sections": {name: sections[name] for name in sop["required_sections"] if name in sections}}
            for sop in standard["sops"]]
    return yaml.safe_dump({"format": 1, "standard": "mc-qms", "version": str(standard["version"]),
                           "language": language, "sops": sops}, allow_unicode=True, sort_keys=False)


@pytest.fixture
def shipped(tmp_path, monkeypatch) -> Path:
    """A copy of the shipped templates that a test may change, with stand-ins for any language not shipped."""
    from qms_audit.sop import templates

    root = tmp_path / "shipped"
    shutil.copytree(REPO / "sop_templates", root / "sop_templates")
    for language in LANGUAGES:
        folder = root / "sop_templates" / language
        if not any(folder.glob("*.md.j2")):
            folder.mkdir(exist_ok=True)
            for sop_id in STAND_IN_TITLES[language]:
                (folder / f"{sop_id}.md.j2").write_text(STAND_IN_TEMPLATE.format(**STAND_IN_LABELS[language]),
                                                        encoding="utf-8")
    monkeypatch.setattr(templates, "shipped_dir", lambda: root)
    return root


@pytest.fixture
def ws(demo_workspace, shipped) -> Path:
    """The demo workspace with mc-qms's overlays, its language templates coming from `shipped`."""
    for language in LANGUAGES:
        shutil.rmtree(demo_workspace / "sop_templates" / language, ignore_errors=True)
        overlay = demo_workspace / "standards" / f"mc-qms.{language}.yaml"
        if not overlay.exists():
            overlay.write_text(stand_in_overlay(language), encoding="utf-8")
    return demo_workspace


def translated_sops(ws: Path, language: str) -> dict:
    """SOP id -> the SOP as the workspace's overlay gives it in `language`."""
    from qms_audit.infra.locations import Workspace
    from qms_audit.services.overlays import OverlayLibrary
    from qms_audit.services.standards import StandardLibrary

    library = StandardLibrary(Workspace(ws))
    localised = OverlayLibrary(library).localised(library.get("mc-qms"), language)
    return {sop.id: sop for sop in localised.standard.sops}


def english_sops() -> dict:
    from qms_audit.services.standards import load_standard_file

    return {sop.id: sop for sop in load_standard_file(REPO / "standards" / "mc-qms.yaml").sops}


def generate(cli, ws: Path, language: str, out: Path, *args: str) -> dict[str, Path]:
    result = cli("-w", ws, "--lang", language, "sop", "generate", "--all", "-o", out, "--date", ON, *args)
    assert result.code == 0, result.err
    return {path.name.split()[0]: path for path in out.iterdir()}


def section_headings(path: Path) -> list[str]:
    """The draft's section headings (Heading 1) without their numbers."""
    return [re.sub(r"^\d+(\.\d+)*\.?\s+", "", p.text).strip() for p in Document(str(path)).paragraphs
            if p.style.name == "Heading 1"]


def words_of(language: str, message: str) -> str:
    with i18n.language(language):
        return i18n._(message)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_draft_is_headed_in_the_language_of_the_overlay(cli, ws, tmp_path, language):
    drafts = generate(cli, ws, language, tmp_path / "sops")
    translated, english = translated_sops(ws, language), english_sops()
    assert set(drafts) == set(english)
    for sop_id, path in drafts.items():
        sop = translated[sop_id]
        # named and titled in the language
        assert path.name == f"{sop_id} {sop.title}.docx"
        title = next(p.text for p in Document(str(path)).paragraphs if p.style.name == "Title")
        assert title == f"{sop_id} {sop.title}"
        headings = [h.lower() for h in section_headings(path)]
        for name in sop.required_sections:
            assert name.lower() in headings, (sop_id, name, headings)
        untranslated = [name for name, own in zip(english[sop_id].required_sections, sop.required_sections,
                                                  strict=True) if name != own and name.lower() in headings]
        assert untranslated == [], sop_id
        text = docx_text(path)
        status = words_of(language, "Draft for review")
        assert status != "Draft for review" and status in text
        assert "Draft for review" not in text and "on approval" not in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_sign_off_block_and_the_footer_are_in_the_language(cli, ws, tmp_path, language):
    drafts = generate(cli, ws, language, tmp_path / "sops")
    page = words_of(language, "Page {page} of {pages}").partition("{page}")[0]
    assert page.strip() and page != "Page "
    for sop_id, path in drafts.items():
        assert not any(t[0][0] == "Sign-off" for t in docx_tables(path)), sop_id
        # the sign-off block (the table with rows to sign in) is there, its rows tall enough to sign in
        signing = [t for t in Document(str(path)).tables
                   if len(t.rows) > 1 and t.rows[1]._tr.find(f"{W}trPr/{W}trHeight") is not None]
        assert signing, sop_id
        assert all(int(row._tr.find(f"{W}trPr/{W}trHeight").get(f"{W}val")) >= 600 for row in signing[0].rows[1:])
        for section in Document(str(path)).sections:
            footer = "".join(t.text or "" for t in section.footer._element.iter(f"{W}t"))
            assert footer.startswith(f"{number_of(sop_id)} v0.1 — {sop_id}{page}"), (sop_id, footer)
            assert "Page" not in footer


def number_of(sop_id: str) -> str:
    return f"UTN-QAU-SOP-{list(english_sops()).index(sop_id) + 1:02d}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_desk_review_reads_translated_drafts_as_complete_unapproved_drafts(cli, ws, tmp_path, language):
    drafts = generate(cli, ws, language, tmp_path / "sops")
    result = cli("-w", ws, "docs", "check", tmp_path / "sops", "--json", "--date", ON)
    assert result.code == 1, result.err
    review = json.loads(result.out)
    assert review["unreadable"] == [] and review["unrecognised"] == []
    status = words_of(language, "Draft for review")
    for sop in review["sops"]:
        sop_id = sop["sop_id"]
        assert sop["document"] == drafts[sop_id].name, sop_id
        assert (sop["state"], sop["states"], sop["confidence"]) == ("draft", ["draft"], "high"), (sop_id, sop)
        assert sop["sections_missing"] == [] and sop["sections_empty"] == [], sop_id
        md = sop["metadata"]
        assert md["approved"] is False and md["status"] == status, sop_id
        assert md["approved_by"].startswith(APPROVER), sop_id
        assert (md["document_number"], md["version"]) == (number_of(sop_id), "0.1"), sop_id
        assert md["prepared_by"] in OWNERS, sop_id
        assert md["effective"] is None and md["next_review"] == "2028-11-28", sop_id


def test_the_desk_review_prints_in_the_language_and_its_json_is_the_same(cli, ws, tmp_path):
    generate(cli, ws, "ms", tmp_path / "sops", "--format", "md")
    english = cli("-w", ws, "docs", "check", tmp_path / "sops", "--json", "--date", ON)
    malay = cli("-w", ws, "--lang", "ms", "docs", "check", tmp_path / "sops", "--json", "--date", ON)
    assert json.loads(malay.out) == json.loads(english.out)
    shown = cli("-w", ws, "--lang", "ms", "docs", "check", tmp_path / "sops", "--date", ON)
    assert shown.code == 1
    recognised = words_of("ms", "{document}: recognised with {confidence} confidence ({why})")
    assert recognised != "{document}: recognised with {confidence} confidence ({why})"
    assert recognised.split("{")[1].split("}")[1].strip() in shown.out  # the words after the document's name
    assert "recognised with" not in shown.out and "not approved" not in shown.out


def test_a_missing_section_is_named_as_the_reader_names_it(ws, tmp_path):
    """The desk review lists a section a Malay draft lacks by its Malay name, its JSON by the standard's."""
    from qms_audit.infra.locations import Workspace
    from qms_audit.services.deskreview import desk_review
    from qms_audit.sop.generate import generate as write_drafts
    from qms_audit.sop.generate import resolve

    workspace = Workspace(ws)
    with i18n.language("ms"):
        (row,) = resolve(workspace, ["SOP-RISK"], False)
        (path,) = write_drafts(workspace, [row], tmp_path / "md", "md", on=dt.date(2026, 11, 28))
    scope = translated_sops(ws, "ms")["SOP-RISK"].required_sections[2]
    text = path.read_text(encoding="utf-8")
    kept = [line for line in text.splitlines() if not re.match(rf"^#+\s+\d+\.?\s+{re.escape(scope)}\s*$", line, re.I)]
    assert len(kept) == len(text.splitlines()) - 1
    path.write_text("\n".join(kept), encoding="utf-8")
    with i18n.language("ms"):
        review, _ = desk_review(workspace, tmp_path / "md", today=dt.date(2026, 11, 28),
                                actor="Test Auditor")
        risk = next(s for s in review.sops if s.sop_id == "SOP-RISK")
        assert risk.sections_missing == ["Scope"]
        details = risk.details()
    assert any(line.endswith(f": {scope}") for line in details), details


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_document_titled_only_in_the_language_is_recognised(cli, ws, tmp_path, language):
    title = translated_sops(ws, language)["SOP-RISK"].title
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "prosedur.md").write_text(f"# {title}\n\n## 1. Pengenalan\n\nTeks.\n", encoding="utf-8")
    result = cli("-w", ws, "docs", "check", folder, "--json", "--date", ON)
    found = {s["sop_id"]: s for s in json.loads(result.out)["sops"]}
    assert found["SOP-RISK"]["document"] == "prosedur.md"
    assert found["SOP-RISK"]["confidence"] == "high"
    assert "its translated title at the top" in found["SOP-RISK"]["recognised_by"]


def test_an_sop_without_a_template_in_the_language_is_drafted_in_english_and_said_so(cli, ws, shipped, tmp_path):
    (shipped / "sop_templates" / "ms" / "SOP-RISK.md.j2").unlink()
    result = cli("-w", ws, "--lang", "ms", "sop", "generate", "--all", "-o", tmp_path / "sops", "--date", ON)
    assert result.code == 0, result.err
    notes = [line for line in result.err_lines if "SOP-RISK" in line]
    assert len(notes) == 1 and len(result.err_lines) == 1
    expected = words_of("ms", "no template in {language} for {sops}: drafted in English")
    assert expected.split("{")[0] in notes[0] and "Bahasa Melayu" in notes[0]
    drafts = {path.name.split()[0]: path for path in (tmp_path / "sops").iterdir()}
    english = english_sops()["SOP-RISK"]
    # the English draft is English throughout: title, headings, status, sign-off block, footer
    assert drafts["SOP-RISK"].name == f"SOP-RISK {english.title}.docx"
    assert "Document control" in section_headings(drafts["SOP-RISK"])
    assert "Draft for review" in docx_text(drafts["SOP-RISK"])
    assert any(t[0][0] == "Sign-off" for t in docx_tables(drafts["SOP-RISK"]))
    malay = translated_sops(ws, "ms")["SOP-AUDIT"]
    assert malay.required_sections[0] in section_headings(drafts["SOP-AUDIT"])

    listed = cli("-w", ws, "--lang", "ms", "sop", "list")
    assert listed.code == 0
    rows = {line.split()[0]: line for line in listed.lines[2:]}
    yes, no = words_of("ms", "yes"), words_of("ms", "no: English")
    assert no in rows["SOP-RISK"] and no not in rows["SOP-AUDIT"] and yes in rows["SOP-AUDIT"]
    listed_json = {r["id"]: r for r in json.loads(cli("-w", ws, "--lang", "ms", "sop", "list", "--json").out)}
    assert (listed_json["SOP-RISK"]["template_language"], listed_json["SOP-AUDIT"]["template_language"]) == \
        ("en", "ms")
    assert listed_json["SOP-AUDIT"]["title"] == english_sops()["SOP-AUDIT"].title  # JSON is not translated


def test_english_drafts_and_listing_are_as_before(cli, ws, tmp_path):
    drafts = generate(cli, ws, "en", tmp_path / "sops")
    assert all(path.name == f"{sop_id} {english_sops()[sop_id].title}.docx" for sop_id, path in drafts.items())
    listed = cli("-w", ws, "sop", "list")
    assert listed.lines[0].split() == ["SOP", "standard", "clause", "template", "title"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_check_templates_checks_the_templates_of_the_language(cli, ws, shipped, language):
    result = cli("-w", ws, "--lang", language, "sop", "check-templates")
    assert result.code == 0, result.err
    assert result.out.count(f", {language})") == 7  # each SOP's template in the language
    # a heading that is not the overlay's section name is reported, naming the section as the overlay does
    template = shipped / "sop_templates" / language / "SOP-RISK.md.j2"
    scope = translated_sops(ws, language)["SOP-RISK"].required_sections[2]
    source = template.read_text(encoding="utf-8")
    changed = re.sub(rf"(?im)^(#+\s+\d+\.?\s+){re.escape(scope)}\s*$", r"\1Skop kerja", source, count=1)
    if "{{ section }}" in source:  # a stand-in names its sections from the overlay: leave one out
        changed = source.replace("{% for section in sop.required_sections %}",
                                 "{% for section in sop.required_sections if section != '" + scope + "' %}")
    assert changed != source
    template.write_text(changed, encoding="utf-8")
    result = cli("-w", ws, "--lang", language, "sop", "check-templates")
    assert result.code == 2
    assert len(result.err_lines) == 1 and "SOP-RISK" in result.err_lines[0] and scope in result.err_lines[0]


@pytest.mark.parametrize(("language", "text", "approved", "approver", "effective", "review"), [
    ("id", "| Nomor dokumen | UX-01 |\n| Versi | 2.0 |\n| Status | Berlaku |\n| Disetujui oleh | Prof Budi Santoso |\n"
           "| Tanggal berlaku | 1 Agustus 2025 |\n| Tinjauan berikutnya | 1 Desember 2027 |\n",
     True, "Prof Budi Santoso", dt.date(2025, 8, 1), dt.date(2027, 12, 1)),
    ("id", "| Nomor dokumen | UX-01 |\n| Versi | 0.2 |\n| Status | Draf untuk ditinjau |\n"
           "| Penyetuju | belum ditetapkan |\n| Tanggal berlaku | setelah disetujui |\n",
     False, None, None, None),
    ("ms", "| Nombor dokumen | UX-01 |\n| Versi | 3.1 |\n| Status | Berkuat kuasa |\n"
           "| Diluluskan oleh | Dr Siti Hajar |\n| Tarikh berkuat kuasa | 15 Ogos 2025 |\n"
           "| Kajian semula seterusnya | 15 Dis 2027 |\n",
     True, "Dr Siti Hajar", dt.date(2025, 8, 15), dt.date(2027, 12, 15)),
    # an approver named, but the status says draft: no approval
    ("ms", "| Nombor dokumen | UX-01 |\n| Versi | 0.1 |\n| Status | Draf untuk semakan |\n"
           "| Pelulus | Prof Rosli Ahmad |\n| Disediakan oleh | belum ditentukan |\n",
     False, "Prof Rosli Ahmad", None, None),
])
def test_document_control_is_read_in_indonesian_and_malay(tmp_path, language, text, approved, approver, effective,
                                                           review):
    from qms_audit.services.deskreview import metadata, read_document

    path = tmp_path / f"sop-{language}.md"
    path.write_text(f"# SOP-RISK\n\n## 1. Kontrol\n\n| Butir | Isi |\n|---|---|\n{text}\n## 2. Isi\n\nTeks.\n",
                    encoding="utf-8")
    md = metadata(read_document(path))
    assert (md.document_number, md.approved, md.approved_by) == ("UX-01", approved, approver)
    assert (md.effective, md.next_review) == (effective, review)
    assert md.version is not None
