"""The audit report in Bahasa Indonesia and Bahasa Melayu: `report --lang id|ms` in Word and Excel, read back
whole (body, tables, headers and footers, sheet names, chart titles and axes, the words drawn in the Word
report's charts) with no English word left once what people typed is taken out: the workspace's records (the
audit's plan, results, evidence, findings and log, the register, institution.yaml, programme.yaml) are
collected from the files themselves, so a new record cannot slip English past the check, and a word of ours
cannot hide behind a record. Standard texts come from the standard's overlay (`standards/mc-qms.<lang>.yaml`),
used for the audit's pinned copy of the criteria when it translates that version. And the institution that runs
the PPEPP cycle sees it beside PDCA, with the mapping stated."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from docx import Document
from openpyxl import load_workbook

from tests.office_text import docx_tables, docx_text

DEMO = "demo-2026-foe"
NOW = "2026-11-28T10:00:00Z"
LANGUAGES = ("id", "ms")

# English words that are not also Indonesian or Malay words ("audit", "status", "data", "final", "internal",
# "unit", "program", "major", "minor", "auditor", "register" are both, and are left out), and that a report of ours
# would use.
STOP_WORDS = frozenset(re.findall(r"[a-z]+", """
the and of with for by from into to in on at or as is are was were be been has have not no yes none its their
this that these those which when who what where how than then only once after before until each every all report
reports finding findings clause clauses requirement requirements evidence page pages prepared approved reviewed
approval issued signature signed sealed seal conformity conforming nonconformity nonconformities observation
observations summary scope objective objectives verdict score scores coverage assessed applicable rating rated
grade band maturity capped pass figure contents appendix draft version overall open closed due overdue late
owner owners action actions corrective correction containment root cause analysis effectiveness verified checked
sample sampling sampled file checklist question force note notes reason reasons opportunity
opportunities improvement improvements good practice practices risk risks top plan planned check act phase
profile level auditee client team lead participant participants role position home method criteria obstacles
obstacle distribution confidentiality integrity recorded records record management review programme previous
earlier conclusion conclusions degree fulfilment fulfils meaning key entry entries change changes command
commands statement withdrawn raised response responses disputed acknowledged kind source collected reference
date when activity who what item value name description not covered outside left later visit months month step
steps cycle
"""))

# A qms-audit command printed for the reader to type is a command, in no language
COMMAND = re.compile(r"qms-audit [^\n]*")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A copy of the demo workspace whose institution runs the PPEPP cycle."""
    from tests.conftest import REPO

    root = tmp_path_factory.mktemp("report-languages") / "ws"
    root.mkdir()
    for name in ("standards", "sop_templates", "audits", "ncs", "signers", "institution.yaml", "programme.yaml"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, root / name)
    profile = root / "institution.yaml"
    profile.write_text(profile.read_text(encoding="utf-8") + "quality_cycle: ppepp\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def made(workspace) -> dict[str, Path]:
    """The reports made by the CLI in English, Indonesian and Malay (Word and Excel), with the words the Word
    report's charts drew, by language."""
    from qms_audit.cli import run
    from qms_audit.render import audit_docx, charts

    drawn: dict[str, list[str]] = {}
    out: dict[str, Path] = {}
    settings = {"QMS_AUDIT_NOW": NOW, "QMS_AUDIT_CACHE": str(workspace.parent / "cache"),
                "QMS_AUDIT_STATE": str(workspace.parent / "state"),
                "QMS_AUDIT_CONFIG_DIR": str(workspace.parent / "config"),
                "QMS_AUDIT_DATA_DIR": str(workspace.parent / "data")}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in settings.items():
            patch.setenv(key, value)
        patch.delenv("QMS_AUDIT_LANG", raising=False)
        for language in ("en", *LANGUAGES):
            words = drawn.setdefault(language, [])

            def recording(rows, *, title, threshold_text="", words=words, **kwargs):
                words.extend([title, threshold_text, *(label for label, _, _ in rows), *(text for _, _, text in rows)])
                return charts.bar_chart(rows, title=title, threshold_text=threshold_text, **kwargs)

            patch.setattr(audit_docx, "bar_chart", recording)
            for fmt in ("docx", "xlsx"):
                path = workspace.parent / f"report-{language}.{fmt}"
                assert run(["-w", str(workspace), "--lang", language, "report", DEMO, "--format", fmt,
                            "-o", str(path)]) == 0
                out[f"{language}.{fmt}"] = path
            (workspace.parent / f"drawn-{language}.json").write_text(json.dumps(words), encoding="utf-8")
            out[f"{language}.drawn"] = workspace.parent / f"drawn-{language}.json"
    return out


# --- what people typed, from the records ---------------------------------------------------------------------


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _typed(text: str) -> bool:
    return " " in text or (len(text) >= 3 and text[0].isupper())


def typed_texts(ws: Path) -> list[str]:
    """Every text a person typed into the workspace's records: the strings of the audit's files, the register,
    the signers and the institution's profile and programme. A code (one lower-case word, such as a grade or an
    evidence kind, or a phase letter) is not a typed text: the report words codes itself, so they stay in the
    check; a typed text is one of several words, or a name of one (capitalised, three letters or more). The criteria's
    source citation names a published paper by its title, which is quoted as published."""
    files = [*(ws / "audits" / DEMO).rglob("*.json"), *(ws / "ncs").rglob("*.json"), *(ws / "ncs").rglob("*.yaml"),
             *(ws / "signers").rglob("*.json"), *(ws / "signers").rglob("*.yaml"),
             ws / "institution.yaml", ws / "programme.yaml"]
    found: set[str] = set()
    for path in files:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        found.update(s.strip() for s in _strings(data) if _typed(s.strip()))
    pinned = yaml.safe_load((ws / "audits" / DEMO / "criteria" / "standard.yaml").read_text(encoding="utf-8"))
    found.add(" ".join(pinned["source"]["citation"].split()))
    # the longest first, so that a text containing a shorter one is taken out whole
    return sorted(found, key=len, reverse=True)


def without_typed(text: str, typed: list[str]) -> str:
    text = COMMAND.sub(" ", " ".join(text.split()))
    for piece in typed:
        flat = " ".join(piece.split())
        if flat in text:  # taken out as whole words only, so that no word of ours loses a part
            text = re.sub(rf"(?<!\w){re.escape(flat)}(?!\w)", " ", text)
    return text


def english_words(text: str) -> dict[str, str]:
    """Each stop word found, with a little of the text around its first place."""
    found: dict[str, str] = {}
    for match in re.finditer(r"[A-Za-z]+", text):
        word = match.group().lower()
        if word in STOP_WORDS and word not in found:
            found[word] = text[max(0, match.start() - 50):match.end() + 50]
    return found


# --- reading the documents back --------------------------------------------------------------------------------


def word_texts(path: Path) -> str:
    """The body, and every section's headers and footers (the field results included)."""
    doc = Document(str(path))
    parts = [docx_text(path)]
    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    for section in doc.sections:
        for part in (section.header, section.footer, section.first_page_header, section.first_page_footer):
            parts.extend("".join(t.text or "" for t in p.iter(f"{ns}t")) for p in part._element.iter(f"{ns}p"))
    return "\n".join(parts)


def workbook_texts(path: Path) -> str:
    """Sheet names, every text cell, headers and footers, and the charts' titles and axis titles."""
    wb = load_workbook(str(path))
    parts: list[str] = []
    for ws in wb:
        parts.append(ws.title)
        parts.extend(str(v) for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str))
        for footer in (ws.oddFooter, ws.oddHeader):
            parts.extend(p.text or "" for p in (footer.left, footer.center, footer.right))
    with zipfile.ZipFile(path) as package:
        for name in package.namelist():
            if name.startswith("xl/charts/"):
                parts.extend(re.findall(r"<a:t>([^<]*)</a:t>", package.read(name).decode("utf-8")))
    # the footer's codes: &A is the sheet's name, &P and &N the page numbers
    return re.sub(r"&[APN]", " ", "\n".join(parts))


def drawn_words(made: dict[str, Path], language: str) -> str:
    return "\n".join(json.loads(made[f"{language}.drawn"].read_text(encoding="utf-8")))


# --- the checks ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_word_report_has_no_english_left_but_what_people_typed(made, workspace, language):
    typed = typed_texts(workspace)
    left = english_words(without_typed(word_texts(made[f"{language}.docx"]), typed))
    assert not left, f"English words in the {language} Word report: {left}"
    drawn = english_words(without_typed(drawn_words(made, language), typed))
    assert not drawn, f"English words in the {language} report's charts: {drawn}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_workbook_has_no_english_left_but_what_people_typed(made, workspace, language):
    left = english_words(without_typed(workbook_texts(made[f"{language}.xlsx"]), typed_texts(workspace)))
    assert not left, f"English words in the {language} workbook: {left}"


def test_the_check_finds_english_in_the_english_report(made, workspace):
    """The stop-list reads English: the English report, less what people typed, is full of it."""
    typed = typed_texts(workspace)
    assert {"report", "clause", "evidence", "the", "of"} <= set(
        english_words(without_typed(word_texts(made["en.docx"]), typed)))
    assert {"clause", "score", "coverage"} <= set(
        english_words(without_typed(workbook_texts(made["en.xlsx"]), typed)))


EXPECTED = {
    "id": {"title": "Laporan audit mutu internal", "summary": "1. Ringkasan eksekutif", "contents": "Daftar isi",
           "page": "Halaman 1 dari", "major": "KTS MAYOR", "lead": "ketua tim audit", "ppepp": "Tahap PPEPP",
           "findings": "4. Temuan", "appendix": "Lampiran A. Daftar bukti audit", "sheet": "Daftar KTS"},
    "ms": {"title": "Laporan audit dalaman", "summary": "1. Ringkasan eksekutif", "contents": "Kandungan",
           "page": "Muka surat 1 daripada", "major": "KETAKAKURAN MAJOR", "lead": "ketua juruaudit",
           "ppepp": "Langkah PPEPP", "findings": "4. Penemuan audit", "appendix": "Lampiran A. Daftar bukti audit",
           "sheet": "Daftar ketakakuran"},
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_headings_labels_grades_and_page_furniture_are_in_the_language(made, language):
    expected = EXPECTED[language]
    text = word_texts(made[f"{language}.docx"])
    for key in ("title", "summary", "contents", "page", "major", "lead", "findings", "appendix"):
        assert expected[key] in text, key
    sheets = load_workbook(str(made[f"{language}.xlsx"])).sheetnames
    assert expected["sheet"] in sheets
    assert "NC register" not in sheets


@pytest.mark.parametrize("language", LANGUAGES)
def test_dates_and_decimals_are_written_as_the_reader_writes_them(made, language):
    text = word_texts(made[f"{language}.docx"])
    assert "12 Okt 2026" in text  # the audit visit began on 2026-10-12
    assert "2026-10-12" not in without_typed(text, [])
    # the maturity of the executive summary: one decimal, a comma in Indonesian and a point in Malay
    sentence = next(line for line in text.splitlines() if "PDCA" in line and " 4." in line)
    assert re.search(r"\d,\d" if language == "id" else r"\d\.\d", sentence), sentence


def test_english_report_reads_as_before(made):
    text = word_texts(made["en.docx"])
    assert "Internal audit report" in text
    assert "1. Executive summary" in text
    assert "Page 1 of" in text
    assert "2026-10-12" in text


@pytest.mark.parametrize("language", ("en", *LANGUAGES))
def test_ppepp_stands_beside_pdca_with_the_mapping_stated(made, language):
    """The profile says `quality_cycle: ppepp`: the results by clause give each PDCA phase its PPEPP step(s), Act
    being Pengendalian and Peningkatan together."""
    header = {"en": "PPEPP step", **{lang: EXPECTED[lang]["ppepp"] for lang in LANGUAGES}}[language]
    tables = [t for t in docx_tables(made[f"{language}.docx"]) if len(t[0]) == 3 and t[0][1] == header]
    assert len(tables) == 1
    steps = [row[1].split("\n") for row in tables[0][1:]]
    assert [[step.split()[0] for step in cell] for cell in steps] == [
        ["Penetapan"], ["Pelaksanaan"], ["Evaluasi"], ["Pengendalian", "Peningkatan"]]
    drawn = drawn_words(made, language)
    assert "Pengendalian + Peningkatan" in drawn
    workbook = workbook_texts(made[f"{language}.xlsx"])
    assert "Pengendalian + Peningkatan" in workbook


def test_without_ppepp_the_report_shows_pdca_alone(demo_workspace):
    from qms_audit.infra.locations import Workspace
    from qms_audit.services.auditing import open_audit
    from qms_audit.services.profile import maybe_profile
    from qms_audit.views.report_content import gather

    workspace = Workspace(demo_workspace)
    data = gather(open_audit(workspace, DEMO), maybe_profile(workspace))
    assert data.quality_cycle == "pdca"


def test_a_quality_cycle_the_profile_cannot_have_is_refused_in_one_line(cli, demo_workspace):
    profile = demo_workspace / "institution.yaml"
    profile.write_text(profile.read_text(encoding="utf-8") + "quality_cycle: ppep\n", encoding="utf-8")
    result = cli("-w", demo_workspace, "report", DEMO, "--format", "xlsx", "-o", str(demo_workspace / "r.xlsx"))
    assert result.code == 2
    assert "institution.yaml" in result.err and "quality_cycle" in result.err
    assert "Traceback" not in result.err


def test_the_pinned_criteria_take_the_overlay_of_their_version(demo_workspace):
    """An overlay of the pinned version is used; one written for another version is stale and left unused."""
    from qms_audit.infra import i18n
    from qms_audit.infra.locations import Workspace
    from qms_audit.services.auditing import open_audit
    from qms_audit.views.report_content import localised_criteria

    overlay = {"format": 1, "standard": "mc-qms", "version": "1.1", "language": "id",
               "clauses": [{"number": "5", "title": "Kepemimpinan"}]}
    path = demo_workspace / "standards" / "mc-qms.id.yaml"
    path.write_text(yaml.safe_dump(overlay, allow_unicode=True), encoding="utf-8")
    opened = open_audit(Workspace(demo_workspace), DEMO)
    assert opened.snapshot.record.plan.criteria.sha256  # judged against the copy kept with the audit
    with i18n.language("id"):
        localised = localised_criteria(opened)
    assert localised.standard.clause("5").title == "Kepemimpinan"
    assert not localised.stale
    path.write_text(yaml.safe_dump({**overlay, "version": "9.9"}, allow_unicode=True), encoding="utf-8")
    with i18n.language("id"):
        stale = localised_criteria(opened)
    assert stale.stale
    assert stale.standard.clause("5").title == opened.standard.clause("5").title


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_register_is_coloured_by_the_grades_as_written(made, language):
    """Every finding of the register (nonconformities, observations, opportunities: each a coloured grade) has its
    fill by the grade's label as the column writes it, and a late row turns red on the language's word for yes."""
    from qms_audit.infra import i18n

    wb = load_workbook(str(made[f"{language}.xlsx"]))
    ws = wb[EXPECTED[language]["sheet"]]
    formulas = {formula for rng in ws.conditional_formatting for rule in rng.rules for formula in rule.formula}
    grades = {row[1] for row in ws.iter_rows(min_row=2, values_only=True)}
    assert len(grades) == 4
    assert {f'$B2="{grade}"' for grade in grades} <= formulas
    with i18n.language(language):
        yes = i18n._("yes")
    assert yes != "yes"
    assert any(formula.endswith(f'="{yes}"') for formula in formulas)
