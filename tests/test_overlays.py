"""Translation overlays: a standard's texts in Indonesian and Malay, in files beside it, checked against it.

The shipped overlays translate every text; a key the standard does not have is refused with one located line
and a hint; an overlay for another version is reported and left unused; what an overlay leaves out is shown
in English and listed; overlays are never taken for standards; and the words they use are the glossary's.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from qms_audit.infra.locations import Workspace
from qms_audit.model.audit import GRADE_LABELS, Grade
from qms_audit.model.standard import Standard
from qms_audit.services.overlays import OverlayLibrary, standard_texts
from qms_audit.services.standards import StandardLibrary, check_standard
from qms_audit.store.index import StandardFiles
from tests.conftest import REPO

SHIPPED = [(standard_id, language) for standard_id in ("eu-mc-2022", "mc-qms", "mc-readiness")
           for language in ("id", "ms")]
COVERAGE = {
    "eu-mc-2022": "44 of 44 requirements, 14 of 14 clauses, 8 of 8 grades, 4 of 4 score bands; complete (350 texts)",
    "mc-qms": "75 of 75 requirements, 44 of 44 clauses, 7 of 7 SOPs, 8 of 8 grades, 4 of 4 score bands; "
              "complete (732 texts)",
    "mc-readiness": "35 of 35 requirements, 8 of 8 clauses, 8 of 8 grades, 5 of 5 levels, 4 of 4 score bands; "
                    "complete (285 texts)",
}
LANGUAGE_COLUMN = {"id": 1, "ms": 2}


def overlays(ws: Path) -> OverlayLibrary:
    return OverlayLibrary(StandardLibrary(Workspace(ws)))


def standard(ws: Path, standard_id: str) -> Standard:
    return StandardLibrary(Workspace(ws)).get(standard_id)


def write_overlay(ws: Path, name: str, text: str) -> Path:
    path = ws / "standards" / name
    path.write_text(text, encoding="utf-8")
    return path


HEADER = 'standard: eu-mc-2022\nversion: "2022"\nlanguage: id\n'


# --- the shipped overlays ---------------------------------------------------------------------------------


def test_shipped_overlays_translate_every_text_of_their_standard(cli):
    result = cli("-w", REPO, "standards", "validate")
    assert result.code == 0, result.err
    for standard_id, language in SHIPPED:
        line = next(x for x in result.lines if f"standards/{standard_id}.{language}.yaml" in x)
        assert line.endswith(f": {COVERAGE[standard_id]}"), line
    assert "none; " not in result.out  # every standard has both translations
    library = overlays(REPO)
    for standard_id, language in SHIPPED:
        std = standard(REPO, standard_id)
        localised = library.localised(std, language)
        assert localised.complete and not localised.stale and localised.missing == []
        # every text differs from the English one it replaces (a text copied over untranslated would not)
        texts = standard_texts(std, library.for_standard(std, language).overlay)
        same = [t.place for t in texts if t.translated == t.english and t.unit != "standard"]
        assert same == [], same


def test_the_localised_standard_carries_the_translation_and_leaves_the_original_alone():
    std = standard(REPO, "eu-mc-2022")
    english_question = std.requirement("1.1.f").question
    localised = overlays(REPO).localised(std, "ms")
    req = localised.standard.requirement("1.1.f")
    assert req.title == "Hasil pembelajaran dinyatakan"
    assert req.question.startswith("Adakah setiap sampel kredensial")
    assert req.evidence.act is not None and req.evidence.act.startswith("Hasil pembelajaran pada templat")
    assert localised.standard.clause("2.10").title == "Maklumat dan bimbingan"
    assert [b.label for b in localised.standard.scoring.bands] == [
        "Akur", "Sebahagian besar akur", "Akur sebahagian", "Tidak akur"]
    assert localised.grade_labels[Grade.MINOR_NC] == "Ketakakuran minor"
    # what is not text stays the standard's own
    assert req.force == std.requirement("1.1.f").force and req.pdca == std.requirement("1.1.f").pdca
    assert std.requirement("1.1.f").question == english_question
    english = overlays(REPO).localised(std, "en")
    assert english.standard is std and english.missing == [] and english.grade_labels[Grade.OFI] == \
        "Opportunity for improvement"


def test_a_shipped_overlay_named_on_the_command_line_is_checked_beside_its_standard(cli, tmp_path):
    for name in ("eu-mc-2022.yaml", "eu-mc-2022.id.yaml"):
        (tmp_path / name).write_bytes((REPO / "standards" / name).read_bytes())
    result = cli("standards", "validate", tmp_path / "eu-mc-2022.id.yaml")
    assert result.code == 0, result.err
    assert "44 of 44 requirements" in result.out and "complete (350 texts)" in result.out


# --- keys the standard does not have ----------------------------------------------------------------------


def test_an_unknown_ref_is_refused_with_one_line_naming_file_place_and_hint(cli, workspace):
    write_overlay(workspace, "eu-mc-2022.id.yaml", HEADER + "requirements:\n  - ref: 1.1.aa\n    question: Apakah?\n")
    result = cli("-w", workspace, "standards", "validate")
    assert result.code == 2
    assert "Traceback" not in result.err
    assert result.err_lines == [
        "error: standards/eu-mc-2022.id.yaml:5: requirement 1.1.aa, ref: eu-mc-2022 has no requirement 1.1.aa "
        "(did you mean '1.1.a'?)"]
    assert "1 of 9 file(s) invalid" in result.out  # 3 standards, 6 overlays


@pytest.mark.parametrize(("body", "expected"), [
    ('clauses:\n  - number: "3"\n    title: Tiga\n',
     r":5: clause 3, number: eu-mc-2022 has no clause 3 \(expected one of: 1, 1\.1,"),
    ("clauses:\n  - number: 2.10\n    title: Informasi\n",
     r":5: clause 2\.10, number: YAML reads 2\.10 as the number 2\.1, not as the text 2\.10 "
     r"\(quote it: number: \"2\.10\"\)"),
    ("grades:\n  minor: KTS minor\n", r":5: grades\.minor: 'minor' is not a grade \(did you mean 'minor_nc'\?\)"),
    ("bands:\n  - {name: conform, label: Sesuai}\n",
     r":5: score band conform, name: eu-mc-2022 has no score band 'conform' \(did you mean 'conforming'\?\)"),
    ("levels:\n  - {value: 1, label: Sadar}\n",
     r":5: level 1: eu-mc-2022 is rated on grades, not levels \(remove levels:\)"),
    ("requirements:\n  - ref: 1.1.a\n    question: Satu\n  - ref: 1.1.a\n    question: Dua\n",
     r":7: requirement 1\.1\.a, ref: requirement 1\.1\.a is translated twice \(keep one of them\)"),
    ("requirements:\n  - ref: 1.1.a\n    question: Satu\n    answer: Dua\n",
     r":7: requirement 1\.1\.a, answer: unknown field 'answer'"),
])
def test_every_key_is_checked_against_the_standard(cli, workspace, body, expected):
    write_overlay(workspace, "eu-mc-2022.id.yaml", HEADER + body)
    result = cli("-w", workspace, "standards", "validate")
    assert result.code == 2
    assert len(result.err_lines) == 1, result.err
    assert result.err_lines[0].startswith("error: standards/eu-mc-2022.id.yaml:")
    assert re.search(expected, result.err_lines[0]), result.err_lines[0]


def test_sop_ids_and_section_names_are_the_standards(cli, workspace):
    write_overlay(workspace, "mc-qms.ms.yaml", (
        'standard: mc-qms\nversion: "1.1"\nlanguage: ms\nsops:\n'
        "  - id: SOP-AUDT\n    title: Audit dalaman\n"
        "  - id: SOP-AUDIT\n    sections:\n      Purpos: Tujuan\n"))
    result = cli("-w", workspace, "standards", "validate")
    assert result.code == 2
    assert result.err_lines == [
        "error: standards/mc-qms.ms.yaml:5: SOP SOP-AUDT, id: mc-qms has no SOP SOP-AUDT (did you mean 'SOP-AUDIT'?)",
        "error: standards/mc-qms.ms.yaml:9: SOP SOP-AUDIT, sections.Purpos: 'Purpos' is not a required section "
        "of SOP-AUDIT (did you mean 'Purpose'?)"]


def test_translated_sop_sections_keep_their_english_names_as_aliases(workspace):
    write_overlay(workspace, "mc-qms.id.yaml", (
        'standard: mc-qms\nversion: "1.1"\nlanguage: id\nsops:\n'
        "  - id: SOP-GEN\n    title: Prosedur umum pengelolaan sistem kredensial mikro\n"
        "    sections:\n      Purpose: Tujuan\n"
        "      Micro-credential lifecycle overview: Gambaran siklus hidup kredensial mikro\n"))
    std = standard(workspace, "mc-qms")
    localised = overlays(workspace).localised(std, "id")
    sop = localised.standard.sop("SOP-GEN")
    assert sop is not None and sop.title == "Prosedur umum pengelolaan sistem kredensial mikro"
    assert sop.required_sections[:2] == ["Document control", "Tujuan"]
    assert sop.section_aliases["Tujuan"] == ["Purpose"]
    assert sop.section_aliases["Gambaran siklus hidup kredensial mikro"] == [
        "Micro-credential lifecycle overview", "Lifecycle", "Process overview"]
    assert "Micro-credential lifecycle overview" not in sop.section_aliases
    check_standard(localised.standard)  # still a valid standard: every alias names a required section
    assert "SOP SOP-GEN purpose" in localised.missing and "SOP SOP-GEN section Records" in localised.missing
    assert std.sop("SOP-GEN").required_sections[1] == "Purpose"


def test_the_header_must_name_the_standard_and_language_of_the_file(cli, workspace):
    write_overlay(workspace, "eu-mc-2022.id.yaml", 'standard: mc-qms\nversion: "2022"\nlanguage: ms\n')
    result = cli("-w", workspace, "standards", "validate")
    assert result.code == 2
    assert result.err_lines == [
        "error: standards/eu-mc-2022.id.yaml:1: standard: names standard 'mc-qms', but the file translates "
        "'eu-mc-2022' (write standard: eu-mc-2022, or name the file mc-qms.id.yaml)",
        "error: standards/eu-mc-2022.id.yaml:3: language: says language 'ms', but the file name says 'id' "
        "(write language: id, or name the file eu-mc-2022.ms.yaml)"]


def test_an_overlay_of_a_standard_the_workspace_lacks_is_refused(cli, workspace):
    write_overlay(workspace, "qa-manual.ms.yaml", 'standard: qa-manual\nversion: "1"\nlanguage: ms\n')
    result = cli("-w", workspace, "standards", "validate")
    assert result.code == 2
    assert len(result.err_lines) == 1
    assert result.err_lines[0].startswith("error: standards/qa-manual.ms.yaml: translates a standard that is not "
                                          "in the workspace (unknown standard 'qa-manual'")


# --- stale and partial overlays ---------------------------------------------------------------------------


def test_an_overlay_of_another_version_is_reported_and_left_unused(cli, workspace):
    write_overlay(workspace, "eu-mc-2022.id.yaml", HEADER.replace('"2022"', '"2021"') + "title: Judul lama\n")
    result = cli("-w", workspace, "standards", "validate")
    assert result.code == 0, result.err
    line = next(x for x in result.lines if "eu-mc-2022.id.yaml" in x)
    assert "stale: translates eu-mc-2022 2021, the standard is 2022; not used (shown in English)" in line
    std = standard(workspace, "eu-mc-2022")
    localised = overlays(workspace).localised(std, "id")
    assert localised.stale
    assert localised.standard.title == std.title
    assert len(localised.missing) == len(standard_texts(std, None))


def test_a_partial_overlay_falls_back_to_english_and_lists_what_is_missing(cli, workspace):
    write_overlay(workspace, "eu-mc-2022.id.yaml", HEADER + (
        "clauses:\n  - number: \"1\"\n    title: \"Lampiran I: unsur baku\"\n"
        "requirements:\n  - ref: 1.1.a\n    question: Apakah peserta teridentifikasi?\n"
        "    evidence: {plan: Templat kredensial yang disahkan.}\n"))
    std = standard(workspace, "eu-mc-2022")
    localised = overlays(workspace).localised(std, "id")
    req = localised.standard.requirement("1.1.a")
    assert req.question == "Apakah peserta teridentifikasi?"
    assert req.evidence.plan == "Templat kredensial yang disahkan."
    assert req.title == std.requirement("1.1.a").title  # English: not translated
    assert req.evidence.do == std.requirement("1.1.a").evidence.do
    assert localised.standard.requirement("1.1.b").question == std.requirement("1.1.b").question
    assert localised.standard.clause("1").title == "Lampiran I: unsur baku"
    assert localised.grade_labels[Grade.CONFORMITY] == "Conformity"
    missing = set(localised.missing)
    assert {"requirement 1.1.a title", "requirement 1.1.a evidence do", "requirement 1.1.b question",
            "clause 1 summary", "grade conformity label", "standard title"} <= missing
    assert not {"requirement 1.1.a question", "requirement 1.1.a evidence plan", "clause 1 title"} & missing
    assert not localised.complete and localised.overlay == workspace / "standards" / "eu-mc-2022.id.yaml"
    result = cli("-w", workspace, "standards", "validate")
    assert result.code == 0, result.err
    line = next(x for x in result.lines if "eu-mc-2022.id.yaml" in x)
    assert "0 of 44 requirements, 0 of 14 clauses, 0 of 8 grades, 0 of 4 score bands; 3 of 350 texts; " \
           "missing: standard title; standard description; clause 1 summary; clause 1.1 title; clause 1.1 summary; " \
           "requirement 1.1.a title; and 341 more" in line


def test_a_requirement_taking_evidence_from_its_clause_takes_the_clauses_translation(tmp_path):
    std = Standard.model_validate({
        "id": "tiny", "title": "Tiny", "version": "1",
        "clauses": [{"number": "1", "title": "Only", "evidence": {"plan": "A plan", "do": "Records"},
                     "requirements": [
                         {"ref": "1.a", "question": "First?", "force": "must"},
                         {"ref": "1.b", "question": "Second?", "force": "must", "evidence": {"do": "Own records"}}]}]})
    check_standard(std)
    from qms_audit.model.overlay import Overlay
    from qms_audit.services.overlays import localise

    overlay = Overlay.model_validate({
        "standard": "tiny", "version": "1", "language": "ms",
        "clauses": [{"number": "1", "evidence": {"plan": "Suatu rancangan", "do": "Rekod"}}],
        "requirements": [{"ref": "1.a", "question": "Pertama?"}, {"ref": "1.b", "question": "Kedua?"}]})
    localised = localise(std, overlay, "ms")
    first, second = localised.standard.requirement("1.a"), localised.standard.requirement("1.b")
    assert (first.evidence.plan, first.evidence.do) == ("Suatu rancangan", "Rekod")
    assert (second.evidence.plan, second.evidence.do) == ("Suatu rancangan", "Own records")
    assert first.title == "Pertama?"  # a requirement without a title of its own shows its question
    assert "requirement 1.b evidence do" in localised.missing
    assert "requirement 1.a title" not in localised.missing


def test_an_unknown_language_is_refused():
    from qms_audit.infra.errors import BadInput

    with pytest.raises(BadInput, match="no texts in language 'fr' \\(choose en, id, ms\\)"):
        overlays(REPO).localised(standard(REPO, "eu-mc-2022"), "fr")


# --- overlays are not standards ---------------------------------------------------------------------------


def test_overlays_are_not_listed_as_standards(cli, workspace):
    assert (workspace / "standards" / "eu-mc-2022.id.yaml").is_file()  # shipped with every new workspace
    names = [p.name for p in StandardLibrary(Workspace(workspace)).files()]
    assert names == ["eu-mc-2022.yaml", "mc-qms.yaml", "mc-readiness.yaml"]
    listed = json.loads(cli("-w", workspace, "standards", "list", "--json").out)
    assert sorted(s["id"] for s in listed) == ["eu-mc-2022", "mc-qms", "mc-readiness"]
    assert [p.name for p in overlays(workspace).files()] == [
        "eu-mc-2022.id.yaml", "eu-mc-2022.ms.yaml", "mc-qms.id.yaml", "mc-qms.ms.yaml", "mc-readiness.id.yaml",
        "mc-readiness.ms.yaml"]


def test_a_standard_cannot_take_an_id_that_reads_as_an_overlay_name(cli, workspace):
    text = (workspace / "standards" / "mc-readiness.yaml").read_text(encoding="utf-8")
    path = workspace / "standards" / "readiness.ms.yaml.draft"
    path.write_text(text.replace("id: mc-readiness", "id: readiness.ms"), encoding="utf-8")
    result = cli("-w", workspace, "standards", "validate", path)
    assert result.code == 2
    assert len(result.err_lines) == 1
    assert "id: id 'readiness.ms' ends like a translation overlay's name (.id/.ms)" in result.err_lines[0]


def test_pinned_criteria_and_score_keys_ignore_overlays(cli, workspace):
    before = StandardFiles.read(Workspace(workspace)).key("eu-mc-2022")
    write_overlay(workspace, "eu-mc-2022.id.yaml", HEADER + "title: Judul baru\n")
    assert StandardFiles.read(Workspace(workspace)).key("eu-mc-2022") == before
    std, data = StandardLibrary(Workspace(workspace)).text_of("eu-mc-2022")
    assert data == (workspace / "standards" / "eu-mc-2022.yaml").read_bytes()
    assert std.title.startswith("EU micro-credential")
    planned = cli("-w", workspace, "--as", "Dr Lee", "audit", "new", "--standard", "eu-mc-2022", "--title", "T",
                  "--auditee", "Faculty of Law", "--lead", "Dr Lee", "--id", "2026-fol-eu")
    assert planned.code == 0, planned.err
    pinned = workspace / "audits" / "2026-fol-eu" / "criteria" / "standard.yaml"
    assert pinned.read_bytes() == data


# --- the glossary's words ---------------------------------------------------------------------------------


def glossary_rows() -> dict[str, list[str]]:
    """English term (without the ✓ mark) -> [English, id, ms, ...] from the tables of docs/glossary.md."""
    rows: dict[str, list[str]] = {}
    for line in (REPO / "docs" / "glossary.md").read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 5 or set(cells[0]) <= {"-"} or cells[0] == "English":
            continue
        rows[cells[0].replace("✓", "").strip()] = cells
    return rows


def checked_terms() -> dict[str, list[list[str]]]:
    """The terms the glossary marks ✓, by their English word (before any parenthesis): one row per sense."""
    rows: dict[str, list[list[str]]] = {}
    for line in (REPO / "docs" / "glossary.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 5 and "✓" in cells[0]:
            rows.setdefault(cells[0].replace("✓", "").split("(")[0].strip(), []).append(cells)
    return rows


def test_the_glossary_has_each_grade_and_band_and_checks_some_terms():
    rows = glossary_rows()
    for label in [*GRADE_LABELS.values(), "Conforming", "Largely conforming", "Partially conforming",
                  "Not conforming"]:
        assert label in rows, label
        assert rows[label][1] and rows[label][2], label
    assert {"Learning outcome", "Workload", "Micro-credential", "Quality assurance", "Learner"} <= set(checked_terms())


@pytest.mark.parametrize(("standard_id", "language"), SHIPPED)
def test_grade_and_band_labels_are_the_glossarys_terms(standard_id, language):
    rows = glossary_rows()
    loaded = overlays(REPO).for_standard(standard(REPO, standard_id), language)
    assert loaded is not None and loaded.overlay is not None
    column = LANGUAGE_COLUMN[language]
    assert {g: label.lower() for g, label in loaded.overlay.grades.items()} == \
           {g.value: rows[GRADE_LABELS[g]][column].lower() for g in Grade}
    english_bands = {b.name: b.label for b in loaded.standard.scoring.bands}
    assert {b.name: b.label.lower() for b in loaded.overlay.bands} == \
           {name: rows[label][column].lower() for name, label in english_bands.items()}


@pytest.mark.parametrize("language", ["id", "ms"])
def test_readiness_level_labels_are_the_glossarys_terms(language):
    rows = glossary_rows()
    std = standard(REPO, "mc-readiness")
    loaded = overlays(REPO).for_standard(std, language)
    assert loaded is not None and loaded.overlay is not None
    column = LANGUAGE_COLUMN[language]
    english = {lvl.value: lvl.label for lvl in std.rating.levels}
    assert {lvl.value: (lvl.label or "").lower() for lvl in loaded.overlay.levels} == \
           {value: rows[label][column].lower() for value, label in english.items()}


@pytest.mark.parametrize(("standard_id", "language"), SHIPPED)
def test_wherever_the_english_uses_a_checked_term_the_translation_uses_the_glossarys(standard_id, language):
    column = LANGUAGE_COLUMN[language]
    loaded = overlays(REPO).for_standard(standard(REPO, standard_id), language)
    assert loaded is not None
    terms = checked_terms()
    misses = []
    for text in standard_texts(loaded.standard, loaded.overlay):
        for english, senses in terms.items():
            translated = (text.translated or "").lower()
            if english.lower() in text.english.lower() and not any(row[column].lower() in translated for row in senses):
                misses.append(f"{text.place}: '{english}' is '{' or '.join(row[column] for row in senses)}'")
    assert misses == []
    assert len(terms) >= 8
