"""The desk review on a corpus of SOPs laid out as other units write them (tests/samples/sop-corpus, rebuilt by
scripts/make_sop_corpus.py): for every document, what `docs check --json` must conclude of it. Among them a
blank template, an SOP whose approver cell is empty with a position in the next row, a row of labels over a
row of values, a draft with front matter, an SOP overdue for review as a PDF, an institution-wide procedure
that never speaks of micro-credentials, and documents titled for something else."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import REPO

CORPUS = REPO / "tests" / "samples" / "sop-corpus"
ON = "2026-11-28"


@pytest.fixture(scope="module")
def review(tmp_path_factory) -> dict:
    from qms_audit.cli import run
    from qms_audit.services.workspace_setup import create_workspace

    workspace = create_workspace(tmp_path_factory.mktemp("corpus") / "ws").root
    out = tmp_path_factory.mktemp("out") / "review.json"
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = run(["-w", str(workspace), "docs", "check", str(CORPUS), "--json", "--date", ON])
    out.write_text(buffer.getvalue())
    assert code == 1  # gaps found
    return json.loads(buffer.getvalue())


def sop(review: dict, sop_id: str) -> dict:
    return next(s for s in review["sops"] if s["sop_id"] == sop_id)


# document, SOP, states, approved, version, confidence
EXPECTED = [
    ("UTN-QAU-SOP-09 Micro-credential internal audit procedure v3.0.md", "SOP-AUDIT", ["current"], True, "3.0",
     "high"),
    ("Template - management commitment.docx", "SOP-COMMIT", ["incomplete", "draft", "unknown-dates"], False, None,
     "high"),
    ("SOP-RISK Micro-credential risk management (unsigned).docx", "SOP-RISK", ["draft"], False, "2.0", "high"),
    ("Collaboration with industry.docx", "SOP-INDUSTRY", ["current"], True, "1.1", "high"),
    ("SOP-NEEDS Needs identification.pdf", "SOP-NEEDS", ["overdue"], True, "1.3", "high"),
    ("Roles of micro-credential managers DRAFT.md", "SOP-ROLES", ["incomplete", "draft"], False, "0.3", "high"),
    ("SOP-GEN General procedures.pdf", "SOP-GEN", ["current"], True, "1.4", "high"),
]


@pytest.mark.parametrize(("document", "sop_id", "states", "approved", "version", "confidence"), EXPECTED,
                         ids=[row[1] for row in EXPECTED])
def test_each_sop_of_the_corpus(review, document, sop_id, states, approved, version, confidence):
    found = sop(review, sop_id)
    assert found["document"] == document
    assert found["states"] == states
    assert found["state"] == states[0]
    assert found["metadata"]["approved"] is approved
    assert found["metadata"]["version"] == version
    assert found["confidence"] == confidence


def test_every_document_of_the_corpus_is_accounted_for(review):
    taken = {s["document"] for s in review["sops"] if s["document"]}
    also = {d for s in review["sops"] for d in s["other_documents"]}
    files = {p.name for p in CORPUS.iterdir()}
    assert review["documents"] == len(files) == 10
    assert taken | also | set(review["unrecognised"]) == files
    assert review["unreadable"] == []


def test_titled_for_something_else_is_no_sop(review):
    assert sorted(review["unrecognised"]) == ["Information security risk management procedure.md",
                                              "Quality manual.pdf"]
    assert sop(review, "SOP-RISK")["document"] == "SOP-RISK Micro-credential risk management (unsigned).docx"


def test_an_empty_approver_cell_is_not_the_position_below_it(review):
    risk = sop(review, "SOP-RISK")["metadata"]
    assert risk["approved_by"] is None and risk["approved"] is False
    assert risk["effective"] == "2026-03-01"  # "1 March 2026", in the same table


def test_a_blank_template_is_neither_approved_nor_complete(review):
    template = sop(review, "SOP-COMMIT")
    assert template["sections_missing"] == ["Document control"]  # its control cells are all empty
    assert template["sections_present"] == ["Revision history"]  # a table header is all it has
    assert template["sections_empty"] == ["Purpose", "Scope", "Definitions", "Responsibilities", "Procedure",
                                          "Records", "Key performance indicators", "References",
                                          "Leadership commitments", "Resource allocation",
                                          "Stakeholder engagement plan"]
    assert template["metadata"]["approved_by"] is None and template["review_due"] is None


def test_a_row_of_labels_over_values_gives_dates_and_approver(review):
    industry = sop(review, "SOP-INDUSTRY")
    assert industry["metadata"]["approved_by"] == "Prof. Hadi Santoso"
    assert (industry["metadata"]["effective"], industry["review_due"]) == ("2026-01-15", "2028-01-15")


def test_headings_named_otherwise_hold_their_sections(review):
    # "1. Objective", "4. Responsibility and authority", "7. Performance indicators", "Version history" (a PDF),
    # "3. Glossary", "Document history"; "1. Purpose and objectives", "4. Roles and responsibilities", "7. KPIs"
    for sop_id in ("SOP-NEEDS", "SOP-GEN", "SOP-AUDIT", "SOP-INDUSTRY"):
        found = sop(review, sop_id)
        assert found["sections_missing"] == [] and found["sections_empty"] == [], sop_id


def test_the_draft_is_read_from_its_front_matter_not_its_body(review):
    roles = sop(review, "SOP-ROLES")
    # the body's "Approval of each role description is given by the Dean." is no approver
    assert roles["metadata"]["approved_by"] is None and roles["metadata"]["status"] == "Draft"
    assert roles["sections_missing"] == ["Procedure", "Key performance indicators",
                                         "Evaluation cycle and reporting"]
    assert roles["review_due"] == "2028-09-01"  # effective 2026-09-01 and the 24-month cycle


def test_an_overdue_pdf_gives_its_dates(review):
    needs = sop(review, "SOP-NEEDS")
    assert needs["overdue"] is True and needs["review_due"] == "2025-06-30"


def test_a_procedure_for_the_whole_university_is_second_to_the_micro_credential_one(review, tmp_path, cli):
    audit = sop(review, "SOP-AUDIT")
    assert audit["other_documents"] == ["Internal audit procedure (university-wide).md"]
    # alone, it is taken with low confidence, and the auditor is told to check its scope
    folder = tmp_path / "alone"
    folder.mkdir()
    shutil.copy(CORPUS / "Internal audit procedure (university-wide).md", folder)
    from qms_audit.services.workspace_setup import create_workspace

    workspace = create_workspace(tmp_path / "ws").root
    alone = json.loads(cli("-w", workspace, "docs", "check", folder, "--json", "--date", ON).out)
    found = sop(alone, "SOP-AUDIT")
    assert found["confidence"] == "low" and found["states"] == ["current"]
    assert "never speaks of micro-credentials: check that its scope covers them" in found["recognised_by"]


def test_one_document_fills_the_sops_of_several_standards(cli, tmp_path):
    """An institution's own checklist asking for an internal audit SOP of its own: the same procedure is
    recognised for both standards."""
    from qms_audit.services.workspace_setup import create_workspace

    workspace = create_workspace(tmp_path / "ws").root
    text = (workspace / "standards" / "mc-qms.yaml").read_text()
    assert text.count("id: mc-qms") == 1
    (workspace / "standards" / "uni-qa.yaml").write_text(text.replace("id: mc-qms", "id: uni-qa"))
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(CORPUS / "UTN-QAU-SOP-09 Micro-credential internal audit procedure v3.0.md", folder)
    data = json.loads(cli("-w", workspace, "docs", "check", folder, "--json", "--date", ON).out)
    audits = [s for s in data["sops"] if s["sop_id"] == "SOP-AUDIT"]
    assert sorted(s["standard"].split("@")[0] for s in audits) == ["mc-qms", "uni-qa"]
    assert {s["document"] for s in audits} == {"UTN-QAU-SOP-09 Micro-credential internal audit procedure v3.0.md"}
    assert all(s["states"] == ["current"] for s in audits)
    shown = cli("-w", workspace, "docs", "check", folder, "--date", ON).out
    assert "mc-qms@1.1: SOP-AUDIT" in shown and "uni-qa@1.1: SOP-AUDIT" in shown


def test_the_terminal_shows_every_state_and_why(cli, tmp_path):
    from qms_audit.services.workspace_setup import create_workspace

    workspace = create_workspace(tmp_path / "ws").root
    result = cli("-w", workspace, "docs", "check", CORPUS, "--date", ON)
    assert result.code == 1
    rows = {line.split()[0]: line for line in result.out.splitlines() if line.startswith("SOP-")
            and not line.endswith(":")}
    assert rows["SOP-COMMIT"].split()[1:5] == ["incomplete,", "draft,", "unknown-dates", "high"]
    assert rows["SOP-RISK"].split()[1:4] == ["draft", "high", "2.0"]
    assert "SOP-RISK (mc-qms@1.1):\n  SOP-RISK Micro-credential risk management (unsigned).docx: recognised with " \
           "high confidence (its id SOP-RISK at the top; its title at the top; 7 of its 7 keywords)\n" \
           "  document control: number UTN-MCC-SOP-06, prepared by Siti Aminah\n" \
           "  not approved: no approval recorded\n" in result.out
    assert "  empty sections (a heading, nothing under it): Purpose, Scope," in result.out
    assert "  also recognised as it: Internal audit procedure (university-wide).md" in result.out


def test_a_standard_declares_other_names_for_its_sections(cli, tmp_path):
    from qms_audit.services.workspace_setup import create_workspace

    workspace = create_workspace(tmp_path / "ws").root
    path = workspace / "standards" / "mc-qms.yaml"
    text = path.read_text()
    anchor = text[text.index("  - id: SOP-ROLES\n"):]
    anchor = anchor[:anchor.index("    section_aliases:") + len("    section_aliases:")]
    anchor += text[text.index(anchor) + len(anchor):].split("\n", 1)[0] + "\n"
    path.write_text(text.replace(anchor, anchor + "      Procedure: [How evaluations run]\n"
                                 "      Key performance indicators: [Measures of success]\n", 1))
    folder = tmp_path / "docs"
    folder.mkdir()
    draft = (CORPUS / "Roles of micro-credential managers DRAFT.md").read_text()
    (folder / "roles.md").write_text(draft + "\n## How evaluations run\n\nEach year the Dean meets each manager.\n"
                                     "\n## Measures of success\n\n[Targets]\n")
    data = json.loads(cli("-w", workspace, "docs", "check", folder, "--json", "--date", ON).out)
    roles = sop(data, "SOP-ROLES")
    assert "Procedure" in roles["sections_present"]
    assert roles["sections_empty"] == ["Key performance indicators"]  # a placeholder only
    assert roles["sections_missing"] == ["Evaluation cycle and reporting"]

    path.write_text(text.replace(anchor, anchor + "      Procedures: [How evaluations run]\n", 1))
    bad = cli("-w", workspace, "standards", "validate")
    assert bad.code == 2
    assert "'Procedures' is not one of the required sections of SOP-ROLES" in bad.err
    assert "did you mean 'Procedure'" in bad.err


async def test_the_checks_screen_shows_every_state_and_why(tmp_path, monkeypatch):
    from textual.widgets import Input

    from qms_audit.infra.locations import Workspace
    from qms_audit.services.workspace_setup import create_workspace
    from qms_audit.tui.app import QmsAuditApp
    from qms_audit.tui.screens.checks import ChecksScreen
    from tests.test_tui import plain

    monkeypatch.setenv("QMS_AUDIT_NOW", f"{ON}T10:00:00Z")
    monkeypatch.setenv("QMS_AUDIT_STATE", str(tmp_path / "state"))
    workspace = create_workspace(tmp_path / "ws").root
    for size in ((80, 24), (120, 40)):
        app = QmsAuditApp(Workspace(workspace), "Dr Farah Aziz")
        async with app.run_test(size=size) as pilot:
            await pilot.press("q")
            await pilot.pause()
            assert isinstance(app.screen, ChecksScreen)
            await pilot.press("r")
            await pilot.pause()
            app.screen.query_one("#field-folder", Input).value = str(CORPUS)
            await pilot.press("ctrl+s")
            await app.workers.wait_for_complete()
            await pilot.pause()
            text = plain(app.screen.query_one("#results"))
            assert "4 SOP(s) need attention" in text
            commit = text[text.index("SOP-COMMIT"):text.index("SOP-ROLES")]
            assert "incomplete, draft, unknown-dates" in commit
            assert "recognised with high confidence" in commit and "not approved: no approval recorded" in commit
            audit = text[text.index("SOP-AUDIT"):]
            assert "also recognised as it: Internal audit procedure (university-wide).md" in audit
