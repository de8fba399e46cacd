"""Management views on a generated multi-year portfolio: the audit programme, trends across audits, management
reviews and their pack (Word and Excel), and the TUI dashboard. Figures are checked against the records
themselves, read independently of the code that computes them."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from tests.office_text import docx_paragraphs, docx_tables, docx_text, xlsx_rows, xlsx_sheets

NOW = "2026-11-28T10:00:00Z"
TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """A sample workspace: 48 audits over four years, register NCs, three held reviews, this year's programme."""
    from qms_audit.demo.portfolio import generate_sample_workspace
    from qms_audit.infra import clock

    root = tmp_path_factory.mktemp("portfolio") / "ws"
    with clock.using(lambda: dt.datetime(2026, 11, 28, 10, tzinfo=dt.UTC)):
        generate_sample_workspace(root, audits=48, years=4, seed=11)
    return root


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch):
    monkeypatch.setenv("QMS_AUDIT_NOW", NOW)


@pytest.fixture
def ws(generated, tmp_path) -> Path:
    """A private copy of the generated workspace, for tests that change it."""
    target = tmp_path / "ws"
    shutil.copytree(generated, target, ignore=shutil.ignore_patterns(".lock*"))
    return target


def raw_findings(root: Path) -> list[tuple[str, dict, dict]]:
    """(audit id, audit record, finding) straight from the JSON files, without the package's loaders."""
    out = []
    for folder in sorted((root / "audits").iterdir()):
        record = json.loads((folder / "audit.json").read_text())
        for path in sorted((folder / "findings").glob("*.json")):
            out.append((folder.name, record, json.loads(path.read_text())))
    return out


# -- programme ---------------------------------------------------------------------------------------------


def test_programme_show_reports_status_coverage_overdue_and_conflicts(cli, generated):
    result = cli("-w", generated, "programme", "show", "--json")
    assert result.code == 0, result.err
    shown = json.loads(result.out)
    statuses = Counter(a["status"] for a in shown["audits"])
    # audits already held this year are done or in progress; one follow-up is overdue, one still to come
    assert statuses["overdue"] == 1 and statuses["scheduled"] >= 1
    assert statuses["done"] + statuses["in progress"] >= 8
    for planned in shown["audits"]:
        if planned.get("audit"):
            assert planned["carried_out_by"] == planned["audit"]
    conflicts = [a for a in shown["audits"] if a["conflicts"]]
    assert len(conflicts) == 1 and "belongs to" in conflicts[0]["conflicts"][0]
    assert shown["gaps"] == {"mc-qms": []}
    assert set(shown["coverage"]["mc-qms"]) == {"1", "4", "5", "6", "7", "8", "9", "10"}

    text = cli("-w", generated, "programme", "show")
    assert "OVERDUE" in text.out and "Independence conflicts: 1" in text.out and "Coverage of mc-qms" in text.out
    assert cli("-w", generated, "programme", "show", "--check").code == 1


def test_programme_gap_and_people_outside_the_profile(cli, ws):
    import yaml

    data = yaml.safe_load((ws / "programme.yaml").read_text())
    for planned in data["audits"]:
        planned["clauses"] = ["4", "5", "6", "7", "8", "9"]  # nobody audits clauses 1 and 10 any more
    data["audits"][0]["lead"] = "Dr Nobody Known"
    (ws / "programme.yaml").write_text(yaml.safe_dump(data))
    shown = json.loads(cli("-w", ws, "programme", "show", "--json").out)
    assert shown["gaps"] == {"mc-qms": ["1", "10"]}
    assert shown["people_not_in_profile"] == ["Dr Nobody Known"]


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["audits"][0].update(month="2031-02"), "outside the cycle"),
    (lambda d: d["audits"][0].update(month="2026-13"), "'2026-13' does not have the expected form"),
    (lambda d: d["audits"][0].update(auditor="x"), "auditor"),
    (lambda d: d["audits"][0].update(standard="iso-nothing"), "iso-nothing"),
    (lambda d: d.update(cycle_end="2025-01"), "ends before it starts"),
])
def test_bad_programme_files_get_one_located_line(cli, ws, edit, message):
    import yaml

    data = yaml.safe_load((ws / "programme.yaml").read_text())
    edit(data)
    (ws / "programme.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    result = cli("-w", ws, "programme", "show")
    assert result.code == 2
    assert "Traceback" not in result.err and message in result.err
    assert result.err.startswith("error: ")


def test_programme_missing_or_malformed(cli, ws):
    (ws / "programme.yaml").write_text("audits: [unclosed\n")
    broken = cli("-w", ws, "programme", "show")
    assert broken.code == 2 and "programme.yaml" in broken.err and "line" in broken.err
    (ws / "programme.yaml").unlink()
    missing = cli("-w", ws, "programme", "show")
    assert missing.code == 2 and "programme suggest" in missing.err


def test_suggest_brings_nonconforming_clauses_back_sooner_with_independent_leads(cli, ws):
    import yaml

    from qms_audit.model.profile import InstitutionProfile
    from qms_audit.model.programme import Programme

    result = cli("-w", ws, "programme", "suggest", "--year", "2027", "-o", ws / "proposal.yaml")
    assert result.code == 0, result.err
    proposal = Programme.model_validate(yaml.safe_load((ws / "proposal.yaml").read_text()))
    profile = InstitutionProfile.model_validate(yaml.safe_load((ws / "institution.yaml").read_text()))
    by_unit = {p.unit: p for p in proposal.audits}
    assert by_unit, "a portfolio with NCs must propose audits"
    # the latest audit of each unit, read from the files: clauses with a major NC must come back by March
    latest: dict[str, tuple[str, dict]] = {}
    for folder in sorted((ws / "audits").iterdir()):
        record = json.loads((folder / "audit.json").read_text())
        unit = record["plan"]["scope"]["auditee_unit"]
        if unit not in latest or record["plan"]["start_date"] > latest[unit][1]["plan"]["start_date"]:
            latest[unit] = (folder.name, record)
    checked = 0
    for unit, (audit_id, _record) in latest.items():
        majors = {json.loads(p.read_text())["ref"].split(".")[0]
                  for p in (ws / "audits" / audit_id / "findings").glob("NC-*.json")
                  if json.loads(p.read_text())["grade"] == "major_nc"}
        if majors:
            planned = by_unit[unit]
            assert majors <= set(planned.clauses)
            assert planned.month in ("2027-02", "2027-03")
            checked += 1
    for planned in proposal.audits:
        lead = profile.person(planned.lead)
        assert lead is not None and lead.unit != planned.unit
    assert (ws / "proposal.yaml").read_text().startswith("# Audit programme proposed")
    refused = cli("-w", ws, "programme", "suggest", "-o", ws / "programme.yaml")
    assert refused.code == 2 and "current programme" in refused.err
    assert checked >= 1, "the generated portfolio has units whose latest audit raised a major NC"


# -- trends ----------------------------------------------------------------------------------------------


def test_trends_agree_with_the_records(cli, generated):
    result = cli("-w", generated, "trends", "--json")
    assert result.code == 0, result.err
    trends = json.loads(result.out)
    expected: dict[str, Counter] = defaultdict(Counter)
    by_clause: dict[str, Counter] = defaultdict(Counter)
    for _audit, record, finding in raw_findings(generated):
        if finding.get("withdrawn"):
            continue
        year = record["plan"]["start_date"][:4]
        label = {"major_nc": "major", "minor_nc": "minor", "observation": "observation", "ofi": "ofi"}
        expected[year][label[finding["grade"]]] += 1
        if finding["grade"] in ("major_nc", "minor_nc"):
            by_clause[finding["ref"].split(".")[0]][label[finding["grade"]]] += 1
    assert trends["cycles"] == [2023, 2024, 2025, 2026]
    for year, counts in expected.items():
        assert trends["ncs"][year] == {k: counts.get(k, 0) for k in ("major", "minor", "observation", "ofi")}
    for clause, counts in by_clause.items():
        assert trends["ncs_by_clause"][clause] == {"major": counts["major"], "minor": counts["minor"]}
    assert sum(v["audits"] for v in trends["overall"].values()) == 48
    assert all(0 <= v["min"] <= v["mean"] <= v["max"] <= 1 for v in trends["overall"].values())


def test_recurring_ncs_are_consecutive_audits_of_one_unit(cli, generated):
    trends = json.loads(cli("-w", generated, "trends", "--json").out)
    records = {a: r for a, r, _ in raw_findings(generated)}
    ncs = defaultdict(set)
    for audit_id, _record, finding in raw_findings(generated):
        if finding["grade"] in ("major_nc", "minor_nc") and not finding.get("withdrawn"):
            ncs[audit_id].add(finding["ref"])
    per_unit = defaultdict(list)
    for folder in sorted((generated / "audits").iterdir()):
        record = json.loads((folder / "audit.json").read_text())
        per_unit[record["plan"]["scope"]["auditee_unit"]].append((record["plan"]["start_date"], folder.name))
    assert trends["recurring"], "a four-year portfolio has recurring NCs"
    for item in trends["recurring"]:
        order = [a for _start, a in sorted(per_unit[item["unit"]])]
        positions = [order.index(a) for a in item["audits"]]
        assert positions == list(range(positions[0], positions[0] + len(positions)))
        assert all(item["ref"] in ncs[a] for a in item["audits"])
        assert all(records[a]["plan"]["scope"]["auditee_unit"] == item["unit"] for a in item["audits"] if a in records)


def test_capa_ageing_counts_open_and_overdue_like_the_register(cli, generated):
    from qms_audit.infra.locations import Workspace
    from qms_audit.services import capa

    trends = json.loads(cli("-w", generated, "trends", "--json").out)
    rows = [r for r in capa.register_rows(Workspace(generated), today=TODAY)
            if r.audit_id and r.finding.grade.is_nc and not r.finding.withdrawn]
    assert trends["capa"]["open"] == sum(1 for r in rows if capa.is_open(r.finding))
    assert trends["capa"]["overdue"] == sum(1 for r in rows if r.overdue)
    assert trends["capa"]["open"] + trends["capa"]["closed"] == len(rows)
    assert sum(trends["capa"]["open_by_age"].values()) == trends["capa"]["open"]


def test_trends_filters_and_text(cli, generated):
    unit = cli("-w", generated, "trends", "--unit", "FOE", "--json")
    assert unit.code == 0 and json.loads(unit.out)["units"] == ["Faculty of Engineering"]
    period = json.loads(cli("-w", generated, "trends", "--period", "2025..2026", "--json").out)
    assert period["cycles"] == [2025, 2026]
    none = cli("-w", generated, "trends", "--unit", "Faculty of Magic")
    assert none.code == 2 and "no audits match unit Faculty of Magic" in none.err
    bad = cli("-w", generated, "trends", "--period", "last year")
    assert bad.code == 2 and "FROM..TO" in bad.err
    text = cli("-w", generated, "trends")
    for heading in ("Overall score per cycle", "Clause scores per cycle", "Findings per cycle",
                    "Recurring NCs", "CAPA:"):
        assert heading in text.out


@pytest.mark.parametrize(("text", "start", "stop"), [
    ("2025", dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
    ("2025-07..2026-06", dt.date(2025, 7, 1), dt.date(2026, 6, 30)),
    ("2024-02..2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
    ("2025-03-15..2025-04-01", dt.date(2025, 3, 15), dt.date(2025, 4, 1)),
])
def test_periods(text, start, stop):
    from qms_audit.infra.clock import parse_period

    assert parse_period(text) == (start, stop)


@pytest.mark.parametrize("text", ["2026..2025", "2025-13..2026-01", "2025-02-30..2025-03-01", "soon"])
def test_bad_periods(text):
    from qms_audit.infra.clock import parse_period
    from qms_audit.infra.errors import BadInput

    with pytest.raises(BadInput):
        parse_period(text)


# -- management reviews -------------------------------------------------------------------------------------


def test_record_a_review_follow_its_actions_and_verify(cli, ws):
    result = cli("-w", ws, "review", "record", "--held-on", "2026-11-20", "--period", "2026-01..2026-10",
                 "--chair", "Prof Aminah Yusof", "--attendee", "Dr Farah Aziz",
                 "--decision", "improvement: Follow up the recurring NCs in clause 8",
                 "--decision", "resources: Two more auditors",
                 "--action", "Retrain assessors on rubric design | Dr Kamal Hassan | 2027-03-31",
                 "--action", "=HYPERLINK(\"http://x\") | Ms Aishah Rahman | 2026-11-25",
                 "--issue", "New national micro-credential guidelines")
    assert result.code == 0, result.err
    assert "recorded review 2026-11-20" in result.out
    listed = json.loads(cli("-w", ws, "review", "list", "--json").out)
    mine = listed[-1]
    assert mine["decisions"][0] == {"kind": "improvement", "text": "Follow up the recurring NCs in clause 8"}
    assert mine["action_states"] == {"A1": "open", "A2": "overdue"}  # A2 was due three days ago
    done = cli("-w", ws, "review", "action", "2026-11-20", "a1", "--status", "done", "--note", "Trained 12")
    assert done.code == 0 and "done on 2026-11-28" in done.out
    again = cli("-w", ws, "review", "record", "--held-on", "2026-11-20", "--period", "2026", "--chair", "X",
                "--decision", "other: second meeting the same day")
    assert again.code == 0 and "2026-11-20-2" in again.out
    verified = cli("-w", ws, "verify", "--all")
    assert verified.code == 0 and "ok  management reviews" in verified.out
    path = ws / "reviews" / "2026-11-20.json"
    path.write_text(path.read_text().replace("Trained 12", "Trained 120"))
    tampered = cli("-w", ws, "verify", "--all")
    assert tampered.code == 1 and "reviews/2026-11-20.json" in tampered.out


@pytest.mark.parametrize(("args", "message"), [
    (["--held-on", "2026-11-20", "--period", "2026", "--chair", "X", "--action", "no owner here"],
     "DESCRIPTION | OWNER | DUE"),
    (["--held-on", "2026-11-20", "--period", "2026", "--chair", "X", "--action", "a | b | tomorrow"],
     "not a date"),
    (["--held-on", "2026-11-20", "--period", "2026", "--chair", "X"], "at least one decision or action"),
    (["--held-on", "2026-11-20", "--chair", "X"], "missing --period"),
    (["--held-on", "2026-11-20", "--period", "2027..2026", "--chair", "X", "--decision", "d"], "ends before"),
])
def test_bad_review_records_change_nothing(cli, ws, args, message):
    before = sorted(p.name for p in (ws / "reviews").iterdir())
    result = cli("-w", ws, "review", "record", *args)
    assert result.code == 2 and message in result.err
    assert sorted(p.name for p in (ws / "reviews").iterdir()) == before


def test_review_from_a_minutes_file_and_unknown_ids(cli, ws, tmp_path):
    minutes = tmp_path / "minutes.yaml"
    minutes.write_text("held_on: 2026-11-21\nperiod_from: 2026-01-01\nperiod_to: 2026-10-31\nchair: Prof A\n"
                       "decisions:\n  - {kind: qms-change, text: Merge SOP-02 into SOP-01}\n"
                       "actions:\n  - {description: Draft the merged SOP, owner: Dr Farah Aziz, due: 2027-01-31}\n")
    assert cli("-w", ws, "review", "record", "--file", minutes).code == 0
    minutes.write_text("held_on: 2026-11-21\nperiod_from: 2026-01-01\nperiod_to: 2026-10-31\nchair: Prof A\n"
                       "decisions: [{kind: wishes, text: x}]\n")
    bad = cli("-w", ws, "review", "record", "--file", minutes)
    assert bad.code == 2 and "minutes.yaml" in bad.err and "decisions" in bad.err
    unknown = cli("-w", ws, "review", "action", "2019-01-01", "A1", "--status", "done")
    assert unknown.code == 2 and "no management review '2019-01-01'" in unknown.err
    no_action = cli("-w", ws, "review", "action", "2026-11-21", "A9", "--status", "done")
    assert no_action.code == 2 and "has no action 'A9'" in no_action.err


def test_previous_review_and_carried_actions():
    from qms_audit.model.review import ManagementReview, ReviewAction
    from qms_audit.services.reviews import actions_to_report

    def review(held: str, start: str, stop: str, actions: list[tuple[str, str, str]]) -> ManagementReview:
        return ManagementReview(
            id=held, held_on=dt.date.fromisoformat(held), period_from=dt.date.fromisoformat(start),
            period_to=dt.date.fromisoformat(stop), chair="C", recorded_by="C",
            recorded_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            actions=[ReviewAction(id=i, description=i, owner="O", due=dt.date.fromisoformat(due), status=status)
                     for i, due, status in actions])

    older = review("2024-01-15", "2023-01-01", "2023-12-31", [("A1", "2024-06-30", "open"),
                                                                ("A2", "2024-06-30", "done")])
    last = review("2025-01-15", "2024-01-01", "2024-12-31", [("A1", "2025-06-30", "done"),
                                                               ("A2", "2027-06-30", "open")])
    later = review("2026-01-15", "2025-01-01", "2025-12-31", [("A1", "2026-06-30", "open")])
    previous, carried = actions_to_report([older, last, later], dt.date(2025, 12, 31), TODAY)
    assert previous is last
    assert [(c.review.id, c.action.id, c.state) for c in carried] == [
        ("2024-01-15", "A1", "overdue"), ("2025-01-15", "A1", "done"), ("2025-01-15", "A2", "open")]


# -- the review pack -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pack(generated, tmp_path_factory):
    """The 2025 pack of the generated workspace, as Word and Excel, written by the CLI."""
    import os

    from qms_audit.cli import run

    out = tmp_path_factory.mktemp("pack")
    os.environ["QMS_AUDIT_NOW"] = NOW
    try:
        for suffix in ("docx", "xlsx"):
            code = run(["-w", str(generated), "review", "pack", "--period", "2025", "-o", str(out / f"p.{suffix}")])
            assert code == 0
    finally:
        del os.environ["QMS_AUDIT_NOW"]
    return out


def test_pack_has_a_section_for_every_review_input(pack):
    paragraphs = docx_paragraphs(pack / "p.docx")
    headings = [p for p in paragraphs if p[:3] in ("a. ", "b. ", "c. ", "d. ", "e. ", "f. ")
                or p[:4] in {f"c{i}. " for i in range(1, 8)}]
    keys = [h.split(".")[0] for h in headings]
    for key in ("a", "b", "c", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "d", "e", "f"):
        assert key in keys, f"no section for input {key}"
    text = docx_text(pack / "p.docx")
    assert "Period reviewed: 2025-01-01 to 2025-12-31" in text
    assert "3. Outputs of the review (ISO 9001:2015 9.3.3)" in text
    assert "No clause of Micro-Credential Quality Management System" in text  # c7 is not mapped in mc-qms


def test_pack_lists_every_audit_of_the_period_and_previous_review_actions(pack, generated):
    expected = sorted(f.name for f in (generated / "audits").iterdir()
                      if json.loads((f / "audit.json").read_text())["plan"]["start_date"].startswith("2025"))
    tables = docx_tables(pack / "p.docx")
    audit_table = next(t for t in tables if t[0][:3] == ["Audit", "Unit", "Start"])
    assert sorted(row[0] for row in audit_table[1:]) == expected
    actions = next(t for t in tables if t[0][:3] == ["Review", "No.", "Description"])
    reviews = {json.loads(p.read_text())["id"]: json.loads(p.read_text())
               for p in (generated / "reviews").glob("*.json")}
    previous = reviews["2025-01-20"]  # held after 2024, the last review whose period ended before 2025's end
    for action in previous["actions"]:
        assert any(row[0] == "2025-01-20" and row[2] == action["description"] for row in actions[1:])
    for row in actions[1:]:
        if row[0] != "2025-01-20":
            assert row[5] in ("open", "overdue")  # older reviews show only what is still open
    xlsx_audits = xlsx_rows(pack / "p.xlsx", "Audits")
    assert sorted(r["Audit"] for r in xlsx_audits) == expected


def test_pack_charts_and_workbook_sheets(pack):
    from docx import Document

    doc = Document(str(pack / "p.docx"))
    pictures = [r for r in doc.part.rels.values() if "image" in r.reltype]
    assert len(pictures) >= 3
    sheets = xlsx_sheets(pack / "p.xlsx")
    for name in ("Summary", "a Review actions", "Inputs", "Findings by input", "Audits", "Clause trends",
                 "Recurring NCs", "CAPA ageing", "Improvement", "Programme", "Outputs"):
        assert name in sheets
    inputs = xlsx_rows(pack / "p.xlsx", "Inputs")
    assert {r["Input"] for r in inputs} >= {"a", "b", "c1", "c3", "c4", "c6", "c7", "d", "e", "f"}
    from openpyxl import load_workbook

    wb = load_workbook(pack / "p.xlsx")
    assert wb["Summary"]._charts, "the summary carries a native chart"


def test_pack_text_is_never_a_formula(cli, ws, tmp_path):
    from openpyxl import load_workbook

    assert cli("-w", ws, "review", "record", "--held-on", "2026-02-01", "--period", "2025-11-01..2025-12-31",
               "--chair", "=cmd|' /C calc'!A0", "--action", "=1+1 | @SUM(A1) | 2026-03-01").code == 0
    out = tmp_path / "p.xlsx"
    assert cli("-w", ws, "review", "pack", "--period", "2026-01..2026-11", "-o", out).code == 0
    wb = load_workbook(out)
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
    actions = xlsx_rows(out, "a Review actions")
    assert any(str(r["Description"]).endswith("=1+1") for r in actions)


def test_pack_default_period_follows_the_last_review_and_bad_output(cli, ws):
    result = cli("-w", ws, "review", "pack")
    assert result.code == 0, result.err
    # the last generated review covered 2025, so the next pack runs from 2026-01-01 to today
    assert (ws / "reports" / "management-review-2026-01-01-2026-11-28.docx").is_file()
    wrong = cli("-w", ws, "review", "pack", "--period", "2025", "-o", ws / "pack.pdf")
    assert wrong.code == 2 and ".docx or .xlsx" in wrong.err


def test_pack_reports_a_fall_in_a_clause_score_and_says_nothing_stands_out_only_when_nothing_does():
    from qms_audit.domain.means import ShownMean
    from qms_audit.render.review_docx import highlights
    from qms_audit.views.review_pack import ClauseLine, InputBlock, Overdue, ReviewPack
    from qms_audit.views.trends import CapaAgeing, Trends

    trends = Trends(audits=0, units=[], standards=[], cycles=[], overall={}, clauses={}, ncs={}, ncs_by_clause={},
                    recurring=[], capa=CapaAgeing(), maturity={}, verdicts={})
    end = dt.date(2026, 10, 31)
    block = InputBlock("c3", "9.3.2 c 3", "Process performance", clauses=[
        ClauseLine("mc-qms", "8.3", "Assessment and certification", ShownMean(0.70, 4, 4, 4),
                   ShownMean(0.85, 3, 3, 3), 0, 3, 1)])
    quiet = ReviewPack("U", dt.date(2026, 1, 1), end, dt.date(2025, 3, 1), dt.date(2025, 12, 31), TODAY, [], 0,
                       trends, CapaAgeing(), CapaAgeing(), {}, [], None, [], {"c3": InputBlock("c3", "", "")}, [],
                       None, [])
    [nothing] = highlights(quiet)
    assert nothing.startswith("Nothing stands out: no corrective action and no action of an earlier review was "
                              "overdue at the end of the period or is overdue today; no clause fell by 5 points")
    # one overdue action at either date is enough for the sentence to go, and the count is said for both dates
    for field in ("capa_overdue", "review_overdue"):
        for counts, said in (((1, 0), "1 at the end of the period (2026-10-31), 0 today (2026-11-28)"),
                             ((0, 2), "0 at the end of the period (2026-10-31), 2 today (2026-11-28)")):
            setattr(quiet, field, Overdue(*counts))
            lines = highlights(quiet)
            assert not any(line.startswith("Nothing stands out") for line in lines), (field, counts)
            assert any(said in line for line in lines), lines
        setattr(quiet, field, Overdue())
    quiet.inputs["c3"] = block
    assert highlights(quiet) == ["Clause 8.3 Assessment and certification fell from 85% to 70%."]
    # the change is read off the two whole percentages shown: 79.6% after 84.4% shows as 80% after 84%, -4 pts
    block.clauses[0].now_mean, block.clauses[0].before_mean = ShownMean(0.796, 4, 4, 4), ShownMean(0.844, 3, 3, 3)
    assert highlights(quiet)[0].startswith("Nothing stands out")
    block.clauses[0].now_mean = ShownMean(0.794, 4, 4, 4)
    assert highlights(quiet) == ["Clause 8.3 Assessment and certification fell from 84% to 79%."]


# -- the TUI dashboard ----------------------------------------------------------------------------------------


async def test_management_dashboard_in_the_tui(generated, tmp_path, monkeypatch):
    from textual.widgets import Input

    from qms_audit.infra.locations import Workspace
    from qms_audit.tui.app import QmsAuditApp
    from qms_audit.tui.screens.management import ManagementScreen
    from tests.test_tui import plain

    monkeypatch.setenv("QMS_AUDIT_STATE", str(tmp_path / "state"))
    app = QmsAuditApp(Workspace(generated), "Dr Farah Aziz")
    async with app.run_test(size=(130, 60)) as pilot:
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Management dashboard" in titles
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, ManagementScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        overall = plain(screen.query_one("#overall"))
        assert "48 audits, 8 units" in overall and "2023" in overall and "2026" in overall
        assert "█" in overall
        assert "Recurring NCs" in plain(screen.query_one("#recurring"))
        programme = plain(screen.query_one("#programme"))
        assert "1 overdue" in programme and "conflict" in programme
        assert "still open" in plain(screen.query_one("#reviews"))

        await pilot.press("u")
        await pilot.pause()
        head = plain(screen.query_one("#management-head"))
        assert "unit (u): Faculty of Agriculture" in head
        assert "(6 audits, 1 unit)" in plain(screen.query_one("#overall"))

        await pilot.press("p")
        await pilot.pause()
        target = tmp_path / "pack.xlsx"
        app.screen.query_one("#field-period", Input).value = "2025"
        app.screen.query_one("#field-output", Input).value = str(target)
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert target.is_file()
        assert len(xlsx_rows(target, "Audits")) == 12


@pytest.mark.parametrize(("start", "stop", "before"), [
    ("2025-01-01", "2025-12-31", ("2024-01-01", "2024-12-31")),
    ("2025-07-01", "2026-06-30", ("2024-07-01", "2025-06-30")),
    ("2024-03-01", "2024-03-31", ("2024-02-01", "2024-02-29")),
    ("2025-03-10", "2025-03-19", ("2025-02-28", "2025-03-09")),
])
def test_previous_period_of_the_same_length(start, stop, before):
    from qms_audit.views.review_pack import previous_period

    got = previous_period(dt.date.fromisoformat(start), dt.date.fromisoformat(stop))
    assert got == (dt.date.fromisoformat(before[0]), dt.date.fromisoformat(before[1]))
