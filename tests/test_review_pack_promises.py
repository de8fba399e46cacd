"""The management review pack shows what it says it shows.

Overdue corrective actions and actions of earlier reviews are counted at the end of the reviewed period, on
the records as they stood that day, and today: in the summary, in what stands out, in input a, in the CAPA
table of input c4 and in the workbook; "Nothing stands out" is said only when every count is nil. Figure 1
compares every clause with the previous period its caption names, and every caption names what it shows.

The demo workspace is reviewed for January to October 2026 on 28 November 2026, after NCs and review actions
were recorded on the days they happened: two NCs were overdue at the end of October and have actions in hand
since, one of the demo's NCs fell overdue in November; of a review's four actions, two were overdue in October
and were done in November, one is still overdue, one fell due only in November. The expected counts are also
worked out here from the JSON records, without the package's rules."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.office_text import docx_paragraphs, docx_tables, xlsx_rows, xlsx_sheets

NOW = "2026-11-28T10:00:00Z"
TODAY = dt.date(2026, 11, 28)
END = dt.date(2026, 10, 31)
PERIOD = "2026-01..2026-10"


@pytest.fixture(autouse=True)
def _fixed(monkeypatch, tmp_path):
    monkeypatch.setenv("QMS_AUDIT_NOW", NOW)
    monkeypatch.setenv("QMS_AUDIT_STATE", str(tmp_path / "state"))


@pytest.fixture
def reviewed(cli, demo_workspace, monkeypatch, tmp_path) -> tuple[Path, Path]:
    """The demo workspace with the NCs and the review described above, and its pack for the period."""
    ws = demo_workspace

    def on(day: str, *args: str) -> None:
        monkeypatch.setenv("QMS_AUDIT_NOW", f"{day}T09:00:00Z")
        result = cli("-w", ws, "--as", "Dr Farah Aziz", *args)
        assert result.code == 0, result.err

    # overdue at the end of October (the response date passed with nothing planned), in hand since
    on("2026-09-01", "nc", "new", "--source", "complaint", "-g", "minor_nc", "--unit", "Faculty of Business",
       "-s", "Certificates issued six weeks late", "--due", "2026-09-15")
    on("2026-09-01", "nc", "new", "--source", "learner_feedback", "-g", "minor_nc", "--unit",
       "Faculty of Computing", "-s", "One learning outcome is never assessed", "--due", "2026-09-20")
    on("2026-11-10", "capa", "update", "NC-2026-FOB-001", "--action", "Reissue the certificates", "--owner",
       "Ms Aishah Rahman", "--due", "2026-12-20")
    on("2026-11-05", "capa", "update", "NC-2026-FOC-001", "--action", "Add the outcome to the rubric", "--owner",
       "Dr Mei Lin Tan", "--due", "2026-11-06")
    on("2026-11-06", "capa", "update", "NC-2026-FOC-001", "--done", "A1", "--done-note", "rubric revised")
    on("2026-11-28", "review", "record", "--held-on", "2026-01-15", "--period", "2025", "--chair",
       "Prof Aminah Yusof", "--decision", "improvement: Follow the corrective actions up monthly",
       "--action", "Train the assessors | Dr Kamal Hassan | 2026-06-30",
       "--action", "Publish the credit policy | Ms Aishah Rahman | 2026-11-15",
       "--action", "Revise the assessment SOP | Dr Farah Aziz | 2026-04-30",
       "--action", "Survey the employers | Dr Mei Lin Tan | 2026-05-31")
    on("2026-11-28", "review", "action", "2026-01-15", "A1", "--status", "done", "--on", "2026-11-05")
    on("2026-11-28", "review", "action", "2026-01-15", "A4", "--status", "done", "--on", "2026-11-01")
    monkeypatch.setenv("QMS_AUDIT_NOW", NOW)
    for suffix in ("docx", "xlsx"):
        result = cli("-w", ws, "review", "pack", "--period", PERIOD, "-o", tmp_path / f"pack.{suffix}")
        assert result.code == 0, result.err
        assert "corrective actions overdue: 2 at the end of the period (2026-10-31), 1 today (2026-11-28)" in result.out
        assert "review actions overdue: 3 at the end of the period (2026-10-31), 2 today (2026-11-28)" in result.out
    return ws, tmp_path


def day_of(stamp: str | None) -> dt.date | None:
    return None if stamp is None else dt.date.fromisoformat(stamp[:10])


def nc_overdue_on(finding: dict, day: dt.date) -> bool:
    """An NC overdue at the end of `day`, from its JSON: open then, and a planned action (planned by then, not
    yet done or cancelled) past its due date, or with no action in hand the response date passed."""
    if finding["grade"] not in ("minor_nc", "major_nc") or finding.get("withdrawn"):
        return False
    if day_of(finding["raised_at"]) > day:
        return False
    capa = finding.get("capa") or {}
    closed = day_of(capa.get("closed_at"))
    if closed is not None and closed <= day:
        return False
    actions = [a for a in capa.get("actions", []) if day_of(a["planned_at"]) <= day]
    failed = {name for v in capa.get("verifications", []) if day_of(v["recorded_at"]) <= day
              and v["result"] == "not-effective" for name in v["actions"]}
    in_hand = [a for a in actions if a["id"] not in failed]
    planned = [a for a in actions if a["status"] == "planned" or (day_of(a.get("done_at")) or day) > day]
    if any(dt.date.fromisoformat(a["due"]) < day for a in planned):
        return True
    due = finding.get("response_due")
    return not in_hand and due is not None and dt.date.fromisoformat(due) < day


def ncs_of(ws: Path) -> list[dict]:
    paths = [*ws.glob("audits/*/findings/NC-*.json"), *ws.glob("ncs/NC-*.json")]
    return [json.loads(p.read_text()) for p in sorted(paths)]


def review_actions_overdue_on(ws: Path, day: dt.date) -> int:
    count = 0
    for path in (ws / "reviews").glob("*.json"):
        review = json.loads(path.read_text())
        for action in review["actions"]:
            closed = day_of(action.get("closed_on"))
            open_then = action["status"] == "open" or (closed is not None and closed > day)
            count += open_then and dt.date.fromisoformat(action["due"]) < day
    return count


def test_overdue_actions_are_counted_at_the_end_of_the_period_and_today(reviewed):
    ws, out = reviewed
    ncs = ncs_of(ws)
    at_end = sorted(f["id"] for f in ncs if nc_overdue_on(f, END))
    today = sorted(f["id"] for f in ncs if nc_overdue_on(f, TODAY))
    # the scenario: the two register NCs at the end of October, the demo's major today
    assert at_end == ["NC-2026-FOB-001", "NC-2026-FOC-001"]
    assert today == ["NC-2026-FOE-801"]
    reviews_at_end, reviews_today = review_actions_overdue_on(ws, END), review_actions_overdue_on(ws, TODAY)
    assert (reviews_at_end, reviews_today) == (3, 2)

    # the Word pack: the summary table, what stands out, input a, and the CAPA table of input c4
    tables = docx_tables(out / "pack.docx")
    summary = dict(row[:2] for row in next(t for t in tables if t[0] == ["Measure", "Value"])[1:])
    assert summary["Corrective actions overdue at the end of the period (2026-10-31)"] == str(len(at_end))
    assert summary["Corrective actions overdue today (2026-11-28)"] == str(len(today))
    assert summary["Actions of earlier reviews overdue at the end of the period (2026-10-31)"] == str(reviews_at_end)
    assert summary["Actions of earlier reviews overdue today (2026-11-28)"] == str(reviews_today)
    paragraphs = docx_paragraphs(out / "pack.docx")
    assert ("Corrective actions overdue: 2 at the end of the period (2026-10-31), 1 today (2026-11-28); 6 NC(s) "
            "are still open (input c4).") in paragraphs
    assert ("Actions of earlier reviews overdue: 3 at the end of the period (2026-10-31), 2 today (2026-11-28) "
            "(input a).") in paragraphs
    assert not any(p.startswith("Nothing stands out") for p in paragraphs)
    assert ("Status today (2026-11-28). Actions of these reviews overdue at the end of the period (2026-10-31): 3; "
            "overdue today (2026-11-28): 2.") in paragraphs
    capa = {row[0].strip(): row[1:] for row in next(t for t in tables if t[0][1:] == ["NCs raised in the period",
                                                                               "All NCs to date"])}
    # every NC of the workspace was raised in the period, so both columns agree
    assert capa["Overdue at the end of the period (2026-10-31)"] == ["2", "2"]
    assert capa["of which overdue today"] == ["1", "1"]
    open_today = sum(1 for f in ncs if not f.get("withdrawn") and not (f.get("capa") or {}).get("closed_at"))
    assert capa["Open today (2026-11-28)"] == [str(open_today)] * 2

    # the workbook says the same
    facts = {row[0]: row[1] for row in xlsx_sheets(out / "pack.xlsx")["Summary"] if row and row[0]}
    assert facts["Corrective actions overdue at the end of the period (2026-10-31)"] == 2
    assert facts["Corrective actions overdue today (2026-11-28)"] == 1
    assert facts["Review actions overdue at the end of the period (2026-10-31)"] == 3
    assert facts["Review actions overdue today (2026-11-28)"] == 2
    assert not any(str(v).startswith("Nothing stands out") for v in facts)
    ageing = {r["Measure"]: r for r in xlsx_rows(out / "pack.xlsx", "CAPA ageing")}
    assert ageing["Overdue at the end of the period (2026-10-31)"]["All NCs to date"] == 2
    assert ageing["Overdue today (2026-11-28)"]["All NCs to date"] == 1
    actions = {r["Action"]: r for r in xlsx_rows(out / "pack.xlsx", "a Review actions")}
    assert {a: r["Overdue at period end"] for a, r in actions.items()} == {"A1": "yes", "A2": None, "A3": "yes",
                                                                          "A4": "yes"}
    assert {a: r["Status"] for a, r in actions.items()} == {"A1": "done late", "A2": "overdue", "A3": "overdue",
                                                           "A4": "done late"}


def test_a_period_that_ends_today_counts_the_same_day_twice(cli, demo_workspace, tmp_path):
    result = cli("-w", demo_workspace, "review", "pack", "--period", "2026-01-01..2026-11-28", "-o",
                 tmp_path / "p.docx")
    assert result.code == 0, result.err
    late = sum(nc_overdue_on(f, TODAY) for f in ncs_of(demo_workspace))
    assert late == 1
    assert (f"Corrective actions overdue: {late} at the end of the period (2026-11-28), {late} today (2026-11-28); "
            in " ".join(docx_paragraphs(tmp_path / "p.docx")))


def test_every_caption_says_what_its_figure_shows(reviewed, cli, monkeypatch, tmp_path):
    from qms_audit.render import review_docx

    ws, out = reviewed
    drawn = []
    original = review_docx.bar_chart

    def recording(rows, **options):
        drawn.append((list(rows), options))
        return original(rows, **options)

    monkeypatch.setattr(review_docx, "bar_chart", recording)
    assert cli("-w", ws, "review", "pack", "--period", PERIOD, "-o", tmp_path / "again.docx").code == 0
    captions = [p for p in docx_paragraphs(tmp_path / "again.docx") if p.startswith("Figure ")]
    assert [c.split(".")[0] for c in captions] == ["Figure 1", "Figure 2", "Figure 3"]
    # the previous period of the same length: ten months before January 2026
    assert captions[0] == ("Figure 1. Mean score of each clause over the audits of the period that scored it (upper "
                           "bar), and over the previous period, 2025-03-01 to 2025-12-31 (lower bar); no bar: not "
                           "scored, not applicable, or no audit of that period had the clause in scope")
    assert not any("year before" in c for c in captions)
    assert "audits started up to 2026-10-31" in captions[1] and "audits started up to 2026-10-31" in captions[2]

    # Figure 1 draws both bars of every clause, with the words of the clause table of the workbook
    rows, options = drawn[0]
    assert options["legend"] == ("this period", "previous period")
    assert len(options["previous"]) == len(rows)
    sheet = xlsx_rows(out / "pack.xlsx", "Clause scores")
    assert [f"Clause {r['Clause']}" for r in sheet] == [label for label, _value, _text in rows]
    for (label, value, text), before, r in zip(rows, options["previous"], sheet, strict=True):
        if isinstance(r["Score"], int | float):
            assert value == pytest.approx(r["Score"]) and text.startswith(f"{r['Score'] * 100:.0f}%"), label
        else:
            assert value is None and text.startswith(f"{r['Score']} "), label
        # no audit took place in the previous period of the demo
        assert before is None and r["Before"] == "no audit" and text.endswith("(before: no audit)"), label


def test_a_period_that_ends_today_gives_one_count(cli, demo_workspace, tmp_path):
    """Reviewed up to today, the end of the period and today are one day: the command says one count each."""
    result = cli("-w", demo_workspace, "review", "pack", "--period", "2026-01-01..2026-11-28",
                 "-o", tmp_path / "pack.docx")
    assert result.code == 0, result.err
    tables = docx_tables(tmp_path / "pack.docx")
    summary = dict(row[:2] for row in next(t for t in tables if t[0] == ["Measure", "Value"])[1:])
    today = summary["Corrective actions overdue today (2026-11-28)"]
    assert summary["Corrective actions overdue at the end of the period (2026-11-28)"] == today
    assert f"corrective actions overdue: {today} today (2026-11-28), the last day of the period" in result.out
    assert "at the end of the period" not in result.out
