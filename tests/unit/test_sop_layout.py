"""How an SOP's Markdown becomes Word tables (shares from the separator's dashes, one set of widths for tables
written alike, sign-off rows tall enough to sign in, a table's legend kept with it), and the audit cycle an SOP
states (the programme's, else the profile's review cycle)."""

from __future__ import annotations

import io

import pytest
from docx import Document

from qms_audit.model.profile import InstitutionProfile
from qms_audit.model.programme import Programme
from qms_audit.render.markdown_docx import column_shares, markdown_to_docx_bytes
from qms_audit.sop.context import audit_cycle, cycle_words

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

STEPS = "| Step | What is done | Who |\n|---|----------|-----|\n"


def word(markdown: str):
    return Document(io.BytesIO(markdown_to_docx_bytes(markdown, footer="X-01 v0.1")))


def grid(table) -> list[int]:
    return [int(col.get(f"{W}w")) for col in table._tbl.iter(f"{W}gridCol")]


def test_dashes_that_differ_give_the_columns_shares():
    assert column_shares("|---|----------|-----|") == [3.0, 10.0, 5.0]
    assert column_shares("|---|---|---|") is None  # all alike: the columns share the page by their text


def test_the_separator_shares_the_page_and_each_column_keeps_room_for_its_longest_word():
    widths = grid(word(f"{STEPS}| P1 | Plan | Quality manager |\n").tables[0])
    assert widths[1] > widths[2] > widths[0]
    assert sum(widths) == pytest.approx(17 * 567, abs=10)  # the usable width of an A4 page with 2 cm margins
    assert widths[1] / widths[2] == pytest.approx(10 / 5, rel=0.05)


def test_tables_written_alike_share_their_widths_wide_enough_for_the_words_of_all():
    steps = "| Step | What is done | Who |\n|---|----------------|---|\n"
    markdown = (f"{steps}| P1 | Plan | Lead |\n\nText between.\n\n"
                f"{steps}| D1 | Do | Internationalisation |\n\n"
                "| Step | What | Who |\n|---|---|---|\n| X | Y | Z |\n")
    tables = word(markdown).tables
    assert grid(tables[0]) == grid(tables[1])
    # the long word of the second table widened the first one's column too
    alone = grid(word(f"{steps}| P1 | Plan | Lead |\n").tables[0])
    assert grid(tables[0])[2] > alone[2]
    assert grid(tables[2]) != grid(tables[0])  # written otherwise: laid out on its own


def test_a_sign_off_table_has_rows_to_sign_in_and_other_tables_do_not():
    document = word("| Sign-off | Name | Signature | Date |\n|---|---|---|---|\n| Approved by | Prof Tan | | |\n\n"
                    f"{STEPS}| P1 | Plan | Lead |\n")
    signing, steps = document.tables
    height = signing.rows[1]._tr.find(f"{W}trPr/{W}trHeight")
    assert height is not None and int(height.get(f"{W}val")) >= 600 and height.get(f"{W}hRule") == "atLeast"
    assert steps.rows[1]._tr.find(f"{W}trPr/{W}trHeight") is None


def test_the_paragraph_that_introduces_a_table_stays_with_it():
    document = word(f"A paragraph.\n\nColumns: **QM** quality manager.\n\n{STEPS}| P1 | Plan | Lead |\n")
    first, legend = document.paragraphs[0], document.paragraphs[1]
    assert legend.text == "Columns: QM quality manager." and legend.paragraph_format.keep_with_next is True
    assert not first.paragraph_format.keep_with_next


@pytest.mark.parametrize(("months", "words"), [(24, ("two years", "two-year")), (12, ("one year", "one-year")),
                                               (36, ("three years", "three-year")), (18, ("18 months", "18-month")),
                                               (180, ("15 years", "15-year"))])
def test_a_cycle_in_words(months, words):
    assert cycle_words(months) == words


def profile(review_cycle_months: int = 24) -> InstitutionProfile:
    return InstitutionProfile(name="Universiti Contoh", short_name="UC", country="Malaysia", mc_unit="MC Centre",
                              certification_unit="Certification Unit", quality_unit="Quality Unit",
                              people=[{"name": "Dr A", "unit": "Quality Unit"}],
                              roles={"head_of_institution": "Dr A", "quality_manager": "Dr A", "mc_manager": "Dr A",
                                     "certification_head": "Dr A", "audit_programme_owner": "Dr A",
                                     "sop_approver": "Dr A"},
                              review_cycle_months=review_cycle_months)


def test_the_audit_cycle_is_the_programme_s_both_months_included():
    programme = Programme(name="Programme 2026-2028", owner="Dr A", cycle_start="2026-07", cycle_end="2028-06")
    cycle = audit_cycle(profile(36), programme)
    assert (cycle["months"], cycle["length"], cycle["source"]) == (24, "two years", "programme")
    assert (cycle["start"], cycle["end"], cycle["programme"]) == ("July 2026", "June 2028", "Programme 2026-2028")


def test_without_a_programme_the_audit_cycle_is_the_profile_s_review_cycle():
    cycle = audit_cycle(profile(36), None)
    assert (cycle["months"], cycle["span"], cycle["source"], cycle["start"]) == (36, "three-year", "profile", "")


def test_the_footer_takes_number_and_version_from_the_draft_s_document_control_else_the_profile_s():
    from qms_audit.sop.generate import footer_reference

    fallback = {"number": "UC-QU-SOP-02", "version": "0.1"}
    control = ("# SOP-RISK Risk\n\n## 1. Document control\n\n| Field | Value |\n|---|---|\n"
               "| Document number | UC-QU-SOP-09 |\n| Version | 1.3 |\n\n## 2. Purpose\n\nWhy.\n")
    assert footer_reference(control, "SOP-RISK", fallback) == "UC-QU-SOP-09 v1.3 — SOP-RISK"
    assert footer_reference("# SOP-RISK Risk\n\nNo document control here.\n", "SOP-RISK", fallback) == \
        "UC-QU-SOP-02 v0.1 — SOP-RISK"


def test_units_the_profile_does_not_list_get_codes_that_no_raci_letter_can_be_taken_for():
    from qms_audit.sop.context import unit_codes

    codes = unit_codes(profile().model_copy(update={"certification_unit": "Registry"}))
    assert (codes["Quality Unit"], codes["MC Centre"], codes["Registry"]) == ("QU", "MC", "REG")
