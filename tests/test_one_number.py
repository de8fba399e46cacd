"""One number everywhere: every view of the same audits gives the same clause scores, and the same "not scored"
wherever a clause, phase or audit did not reach the standard's coverage threshold.

On the demo audit, `score --json`, the audit report (gathered content, Word and Excel, its charts included), the
audit dashboard, `audit list`, `trends --json`, the management dashboard and the review pack (its tables, its
Figure 1 and its workbook) are compared clause by clause, sub-clause by sub-clause and phase by phase. On a
generated portfolio, in which one audit is made to assess too little of a clause and one sub-clause is left
unassessed in every audit of the reviewed period, every audit's `score --json` (clauses, phases, overall) and
`audit list` are compared with scores worked out here from its requirements, and the review pack's clause
figures (tables, Figure 1 and workbook, for the period and the previous one), `trends --json` and the
management dashboard with means worked out here from each audit's own score."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from fractions import Fraction
from pathlib import Path

import pytest

from qms_audit.domain.means import Shown, shown_score
from qms_audit.domain.presentation import pct
from qms_audit.domain.scoring import AuditScore, open_finding, score_snapshot
from qms_audit.infra.locations import Workspace
from qms_audit.model.audit import Grade
from qms_audit.model.common import Phase
from tests.office_text import docx_paragraphs, docx_tables, xlsx_rows, xlsx_sheets

DEMO = "demo-2026-foe"
NOW = "2026-11-28T10:00:00Z"
PERCENT = re.compile(r"\d+%")


@pytest.fixture(autouse=True)
def _fixed(monkeypatch, tmp_path):
    monkeypatch.setenv("QMS_AUDIT_NOW", NOW)
    monkeypatch.setenv("QMS_AUDIT_STATE", str(tmp_path / "state"))


def plain(widget) -> str:
    from tests.test_tui import plain as render

    return render(widget)


def row_of(text: str, first: str) -> str:
    """The one line of a rendered table whose first word is `first` (a clause number)."""
    lines = [line for line in text.splitlines() if line.split()[:1] == [first]]
    assert len(lines) == 1, (first, text)
    return lines[0]


def short(score: float | None, coverage: float | None) -> str:
    """A score in a narrow place (a chart's margin, a one-audit mean): the percentage, else why there is none."""
    if score is not None:
        return pct(score)
    return "not applicable" if coverage is None else "not scored"


def recorded_bars(monkeypatch, module) -> list[tuple[list, dict]]:
    """Every bar chart `module` draws from now on: its rows (label, value, words) and options."""
    drawn: list[tuple[list, dict]] = []
    original = module.bar_chart

    def recording(rows, **options):
        drawn.append((list(rows), options))
        return original(rows, **options)

    monkeypatch.setattr(module, "bar_chart", recording)
    return drawn


def check_row(line: str, shown_text: str, *, coverage: float | None = None) -> None:
    """A row shows the expected score text and no other percentage than its coverage: a clause that is not
    scored must not carry a score in another column."""
    assert shown_text in line, (shown_text, line)
    allowed = set(PERCENT.findall(shown_text)) | ({pct(coverage)} if coverage is not None else set())
    assert set(PERCENT.findall(line)) <= allowed, line


# -- one audit: the demo ------------------------------------------------------------------------------------------


async def test_every_view_of_the_demo_gives_the_same_clause_scores(cli, demo_workspace, tmp_path):
    from qms_audit.services.auditing import open_audit
    from qms_audit.services.profile import maybe_profile
    from qms_audit.tui.app import QmsAuditApp
    from qms_audit.tui.screens.dashboard import DashboardScreen
    from qms_audit.views.report_content import gather

    score = json.loads(cli("-w", demo_workspace, "score", DEMO, "--json").out)
    threshold = score["thresholds"]["coverage"]
    clauses = score["clauses"]
    # the JSON follows the rule itself: a score exactly when the coverage reaches the threshold
    for number, c in clauses.items():
        reached = c["coverage"] is not None and c["coverage"] >= threshold
        assert (c["score"] is not None) == (reached and c["raw_score"] is not None), number
        if c["score"] is not None:
            assert c["score"] == c["raw_score"] and c["shown"] == pct(c["score"])
        else:
            assert c["shown"] == f"not scored (coverage {pct(c['coverage'])})"
    unscored = [n for n, c in clauses.items() if c["score"] is None]
    assert "9" in unscored and clauses["9"]["raw_score"] is not None, "the demo's clause 9 exercises the rule"
    assert any(c["score"] is not None for c in clauses.values())

    # the report's content, as the Word and Excel reports both lay it out
    data = gather(open_audit(Workspace(demo_workspace), DEMO), maybe_profile(Workspace(demo_workspace)))
    assert {c.number: (c.score, c.shown.text) for c in data.clauses} == {
        n: (c["score"], c["shown"]) for n, c in clauses.items()}
    assert data.score.shown.text == score["overall_shown"]

    # the Word report, reopened
    assert cli("-w", demo_workspace, "report", DEMO, "-o", tmp_path / "r.docx").code == 0
    table = next(t for t in docx_tables(tmp_path / "r.docx") if t[0][:3] == ["Clause", "Score", "Coverage"])
    by_number = {row[0].split()[0]: row for row in table[1:]}
    assert set(by_number) == set(clauses)
    for number, c in clauses.items():
        assert by_number[number][1].removesuffix(" (capped)") == c["shown"], number
        assert by_number[number][2] == pct(c["coverage"])

    # the Excel report, reopened: a number where scored, the words where not
    assert cli("-w", demo_workspace, "report", DEMO, "--format", "xlsx", "-o", tmp_path / "r.xlsx").code == 0
    summary = xlsx_sheets(tmp_path / "r.xlsx")["Summary"]
    start = next(i for i, row in enumerate(summary) if row[:2] == ["Clause", "Score"]) + 1
    cells = {}
    for row in summary[start:]:
        if not row or row[0] is None:
            break
        cells[str(row[0]).split()[0]] = row[1]
    assert set(cells) == set(clauses)
    for number, c in clauses.items():
        if c["score"] is None:
            assert cells[number] == c["shown"], number
        else:
            assert cells[number] == pytest.approx(c["score"]), number

    # the audit dashboard of the TUI
    app = QmsAuditApp(Workspace(demo_workspace), "Dr Farah Aziz", audit_id=DEMO)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        shown = plain(app.screen.query_one("#clauses"))
        for number, c in clauses.items():
            check_row(row_of(shown, number), c["shown"], coverage=c["coverage"])
        assert f"Overall {score['overall_shown']}," in plain(app.screen.query_one("#verdict"))
        phases = plain(app.screen.query_one("#phases"))
        for key, phase in score["pdca"].items():
            check_row(row_of(phases, Phase(key).label), phase["shown"], coverage=phase["coverage"])
        assert any(p["score"] is None and p["coverage"] for p in score["pdca"].values()), "a phase is not scored"

    # trends over this one audit: the same numbers, None where the audit did not score the clause
    trends = json.loads(cli("-w", demo_workspace, "trends", "--json").out)
    assert trends["audits"] == 1
    year = str(trends["cycles"][0])
    for number, c in clauses.items():
        got = trends["clauses"][number][year]
        assert got == (None if c["score"] is None else pytest.approx(c["score"], abs=5e-5)), number
        assert trends["clause_audits"][number][year] == {"scored": int(c["score"] is not None), "audits": 1}


async def test_the_demo_gives_the_same_numbers_in_charts_lists_the_pack_and_the_management_dashboard(
        cli, demo_workspace, tmp_path, monkeypatch):
    from qms_audit.render import audit_docx, review_docx
    from qms_audit.tui.app import QmsAuditApp
    from qms_audit.tui.screens.management import ManagementScreen

    score = json.loads(cli("-w", demo_workspace, "score", DEMO, "--json").out)
    clauses, phases, subclauses = score["clauses"], score["pdca"], score["subclauses"]

    # the report's charts: a bar exactly where a score is shown, and the words the tables use
    report_bars = recorded_bars(monkeypatch, audit_docx)
    assert cli("-w", demo_workspace, "report", DEMO, "-o", tmp_path / "r.docx").code == 0
    (clause_rows, _), (phase_rows, _) = report_bars
    for (label, value, text), (number, c) in zip(clause_rows, clauses.items(), strict=True):
        assert label.split()[0] == number and value == c["score"], label
        assert text.removesuffix(" (capped)") == short(c["score"], c["coverage"]), label
    for (label, value, text), (key, phase) in zip(phase_rows, phases.items(), strict=True):
        assert label == Phase(key).label and value == phase["score"], label
        assert text == f"{short(phase['score'], phase['coverage'])} ({phase['assessed']}/{phase['applicable']})"

    # the Excel report's phase table
    assert cli("-w", demo_workspace, "report", DEMO, "--format", "xlsx", "-o", tmp_path / "r.xlsx").code == 0
    summary = xlsx_sheets(tmp_path / "r.xlsx")["Summary"]
    start = next(i for i, row in enumerate(summary) if row[:2] == ["PDCA phase", "Score"]) + 1
    cells = {row[0]: row[1] for row in summary[start:start + len(phases)]}
    for key, phase in phases.items():
        got = cells[Phase(key).label]
        assert got == (phase["shown"] if phase["score"] is None else pytest.approx(phase["score"])), key

    # `audit list`
    [listed] = json.loads(cli("-w", demo_workspace, "audit", "list", "--json").out)
    assert listed["overall_shown"] == score["overall_shown"]

    # the review pack over the last twelve months, which hold the demo audit alone: each mean is its own score
    pack_bars = recorded_bars(monkeypatch, review_docx)
    for suffix in ("docx", "xlsx"):
        assert cli("-w", demo_workspace, "review", "pack", "-o", tmp_path / f"pack.{suffix}").code == 0
    figure, options = pack_bars[0]
    assert [label for label, _v, _t in figure] == [f"Clause {n}" for n in clauses]
    for (label, value, text), c in zip(figure, clauses.values(), strict=True):
        # a mean is kept to four places, far below the whole percentage shown
        assert value == (None if c["score"] is None else pytest.approx(c["score"], abs=5e-5)), label
        assert text == f"{short(c['score'], c['coverage'])} (before: no audit)", label
    assert options["previous"] == [None] * len(clauses)
    sheet = {str(r["Clause"]): r for r in xlsx_rows(tmp_path / "pack.xlsx", "Clause scores")}
    for number, c in clauses.items():
        expected = short(c["score"], c["coverage"]) if c["score"] is None else pytest.approx(c["score"], abs=5e-5)
        assert sheet[number]["Score"] == expected and sheet[number]["Before"] == "no audit", number
    rows = [row for t in docx_tables(tmp_path / "pack.docx") if t[0][:2] == ["Clause", "Score"] for row in t[1:]]
    assert rows, "the pack's inputs show clause tables"
    for row in rows:
        sub = subclauses[row[0].split()[0]]
        assert row[1] == short(sub["score"], sub["coverage"]), row
        check_row(" ".join(row), row[1])
    audits = next(t for t in docx_tables(tmp_path / "pack.docx") if t[0][:4] == ["Audit", "Unit", "Start", "Score"])
    assert audits[1][3] == score["overall_shown"]

    # the management dashboard: the one audit's clause scores, "not scored" where `score` says so
    app = QmsAuditApp(Workspace(demo_workspace), "Dr Farah Aziz")
    async with app.run_test(size=(160, 60)) as pilot:
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, ManagementScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = plain(app.screen.query_one("#clauses"))
        overall = plain(app.screen.query_one("#overall"))
    for number, c in clauses.items():
        check_row(row_of(shown, number), short(c["score"], c["coverage"]))
    check_row(row_of(overall, "2026"), score["overall_shown"])


# -- many audits: a generated portfolio ------------------------------------------------------------------------


PERIOD = 2025


def audits_of(root: Path) -> dict[str, tuple[int, object, AuditScore]]:
    """Every audit's year, standard and score, each read and scored on its own, without the portfolio code."""
    from qms_audit.services.auditing import open_audit

    out = {}
    for audit_id in Workspace(root).audit_ids():
        opened = open_audit(Workspace(root), audit_id)
        start = opened.snapshot.record.plan.start_date
        out[audit_id] = (start.year, (opened.standard, opened.snapshot), score_snapshot(opened.standard,
                                                                                         opened.snapshot))
    return out


def subclause_shown(standard, snapshot, score: AuditScore, number: str) -> Shown | None:
    """A sub-clause's shown score worked out here from the requirement scores, with the standard's rule and
    cap: the oracle for what the pack averages."""
    clause = standard.clause(number)
    refs = {r.ref for c in clause.walk() for r in c.requirements}
    reqs = [r for ref, r in score.requirements.items() if ref in refs]
    if not reqs:
        return None
    applicable = sum(r.weight for r in reqs if r.applicable)
    assessed = sum(r.weight for r in reqs if r.applicable and r.assessed)
    if not applicable:
        return Shown(None, None)
    raw = sum(r.weight * r.value for r in reqs if r.applicable and r.assessed) / assessed if assessed else None
    majors = [f for f in snapshot.findings.values() if f.grade is Grade.MAJOR_NC and f.ref in refs
              and open_finding(f)]
    if raw is not None and majors:
        raw = min(raw, standard.scoring.major_cap)
    return shown_score(raw, assessed / applicable, standard.scoring.coverage_threshold)


def expected_mean(items: list[Shown | None]) -> tuple[float | None, int, int]:
    """(mean over the audits that scored it, how many scored, how many it applied in)."""
    applied = [s for s in items if s is not None and s.coverage is not None]
    scores = [s.score for s in applied if s.score is not None]
    # worked out exactly and rounded half-even to 4 places, as the views do: a float sum can land a hair above
    # or below a half percent and then round the other way
    exact = sum(map(Fraction, scores)) / len(scores) if scores else None
    return (None if exact is None else float(round(exact, 4))), len(scores), len(applied)


def unrate(root: Path, audit_id: str, refs: list[str]) -> None:
    """Set requirements back to not assessed through the domain functions, reopening a closed audit first and
    withdrawing the observations and OFIs raised on them (a rating cannot fall below a standing finding)."""
    from qms_audit.services.auditing import open_audit, rate, reopen_audit, withdraw_finding

    opened = open_audit(Workspace(root), audit_id, actor="Dr Farah Aziz")
    if opened.snapshot.record.is_closed:
        reopen_audit(opened, actor="Dr Farah Aziz", reason="coverage test: requirements to assess again")
    for finding in list(opened.snapshot.findings.values()):
        if finding.ref in refs and finding.withdrawn is None:
            assert not finding.grade.is_nc, finding.id
            withdraw_finding(opened, finding.id, reason="to be assessed again", actor="Dr Farah Aziz")
    for ref in refs:
        rate(opened, ref, Grade.NOT_ASSESSED, actor="Dr Farah Aziz")


def free_refs(snapshot, refs: list[str]) -> list[str]:
    """Requirements that carry no finding, so that un-rating them withdraws nothing."""
    busy = {f.ref for f in snapshot.findings.values() if f.withdrawn is None}
    return [ref for ref in refs if ref not in busy]


def no_nc(snapshot, refs: list[str]) -> bool:
    """No nonconformity stands on these requirements (an NC's corrective action keeps it from withdrawal)."""
    return not any(f.grade.is_nc for f in snapshot.findings.values() if f.withdrawn is None and f.ref in refs)


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory):
    """30 audits over three years; in the reviewed period one audit assesses too little of a top-level clause,
    and one sub-clause the review pack reports is left unassessed in every audit of the period (the generated
    audits assess almost everything, so the rule would otherwise be exercised only by chance)."""
    from qms_audit.demo.portfolio import generate_sample_workspace
    from qms_audit.infra import clock

    root = tmp_path_factory.mktemp("one-number") / "ws"
    at = dt.datetime(2026, 11, 28, 10, tzinfo=dt.UTC)
    with clock.using(lambda: at):
        generate_sample_workspace(root, audits=30, years=3, seed=11)
        audits = audits_of(root)
        period = {a: v for a, v in audits.items() if v[0] == PERIOD}
        standard = next(iter(period.values()))[1][0]

        # a top-level clause of one audit falls below the coverage threshold while it still has a raw score
        thinned = None
        for audit_id, (_year, (std, snap), score) in sorted(period.items()):
            clause = score.clauses.get("9")
            refs = free_refs(snap, [r.ref for r in std.clause("9").all_requirements()
                                    if score.requirements[r.ref].assessed])
            if clause is not None and clause.score is not None and len(refs) >= 5:  # one stays assessed
                unrate(root, audit_id, refs[:4])
                thinned = audit_id
                break
        assert thinned is not None, "some audit of the period can have clause 9 thinned"

        # a sub-clause mapped to a review input, with no NC in the period, goes unassessed in all of it
        numbers = [n for key in sorted(standard.review_inputs) for n in standard.review_inputs[key]]
        candidates = [n for n in numbers if all(
            no_nc(snap, [r.ref for c in std.clause(n).walk() for r in c.requirements])
            for _y, (std, snap), _s in period.values())]
        assert candidates, "a sub-clause of the review inputs has no NC in the period"
        blank = candidates[0]
        for audit_id, (_year, (std, _snap), _score) in sorted(period.items()):
            unrate(root, audit_id, [r.ref for c in std.clause(blank).walk() for r in c.requirements])
    return root, thinned, blank


@pytest.fixture(scope="module")
def scored(portfolio):
    root, _, _ = portfolio
    return audits_of(root)


@pytest.fixture(scope="module")
def pack(portfolio, tmp_path_factory):
    """The pack's two files, written outside the shared portfolio so that no test sees another's output."""
    from qms_audit.cli import run

    root, _, _ = portfolio
    out = tmp_path_factory.mktemp("pack")
    os.environ["QMS_AUDIT_NOW"] = NOW
    try:
        for suffix in ("docx", "xlsx"):
            assert run(["-w", str(root), "review", "pack", "--period", str(PERIOD), "-o",
                        str(out / f"pack.{suffix}")]) == 0
    finally:
        del os.environ["QMS_AUDIT_NOW"]
    return out


def test_the_portfolio_exercises_the_rule(portfolio, scored):
    _root, thinned, blank = portfolio
    score = scored[thinned][2]
    clause = score.clauses["9"]
    assert clause.score is None and clause.raw_score is not None and clause.band == "insufficient-coverage"
    for year, (std, snap), score in scored.values():
        if year == PERIOD:
            assert not score.shown_for(blank).scored
            assert subclause_shown(std, snap, score, blank) == score.shown_for(blank)


def test_review_pack_clause_figures_are_means_of_the_audits_that_scored_them(portfolio, scored, pack):
    from qms_audit.domain.means import mean_text

    _root, _thinned, blank = portfolio
    std = next(v[1][0] for v in scored.values())
    numbers = [n for key in std.review_inputs for n in std.review_inputs[key]]
    now = {n: expected_mean([subclause_shown(*v[1], v[2], n) for v in scored.values() if v[0] == PERIOD])
           for n in numbers}
    before = {n: expected_mean([subclause_shown(*v[1], v[2], n) for v in scored.values() if v[0] == PERIOD - 1])
              for n in numbers}
    assert now[blank] == (None, 0, sum(1 for v in scored.values() if v[0] == PERIOD))
    partly = [n for n in numbers if 0 < now[n][1] < now[n][2]]
    assert partly, "some clause is scored in only part of the period's audits"

    rows = {}
    for table in docx_tables(pack / "pack.docx"):
        if table[0][:5] == ["Clause", "Score", "Prev.", "Change", "Audits"]:
            for row in table[1:]:
                rows.setdefault(row[0].split()[0], []).append(row)
    assert set(rows) == set(numbers)
    for number, (mean, count, applied) in now.items():
        for row in rows[number]:
            assert row[1] == mean_text(mean), (number, row)
            assert row[2] == mean_text(before[number][0]), (number, row)
            assert row[4] == (f"{count} of {applied}" if applied > count else str(count)), (number, row)

    inputs = [r for r in xlsx_rows(pack / "pack.xlsx", "Inputs") if r["Clause"]]
    assert {str(r["Clause"]) for r in inputs} == set(numbers)
    for r in inputs:
        mean, count, applied = now[str(r["Clause"])]
        if mean is None:
            assert r["Score"] == "not scored"
        else:
            assert r["Score"] == pytest.approx(mean, abs=5e-5)
        assert (r["Audits"], r["Applicable in"]) == (count, applied)


def test_trends_and_the_pack_agree_with_the_audits_own_scores(cli, portfolio, scored, pack):
    root, thinned, _ = portfolio
    trends = json.loads(cli("-w", root, "trends", "--json").out)
    years = sorted({v[0] for v in scored.values()})
    assert trends["cycles"] == years
    for year in years:
        group = [v[2] for v in scored.values() if v[0] == year]
        overall, count, _ = expected_mean([s.shown for s in group])
        assert trends["overall"][str(year)]["scored"] == count
        assert trends["overall"][str(year)]["mean"] == pytest.approx(overall, abs=5e-5)
        for number in {n for s in group for n in s.clauses}:
            mean, count, applied = expected_mean([s.shown_for(number) for s in group])
            assert trends["clauses"][number][str(year)] == (None if mean is None
                                                             else pytest.approx(mean, abs=5e-5)), (year, number)
            assert trends["clause_audits"][number][str(year)] == {"scored": count, "audits": applied}
    # the thinned clause's raw score would have moved the mean: the rule is what keeps it out
    raws = [v[2].clauses["9"].raw_score for v in scored.values() if v[0] == PERIOD]
    raw_mean = sum(r for r in raws if r is not None) / sum(1 for r in raws if r is not None)
    assert trends["clauses"]["9"][str(PERIOD)] != pytest.approx(raw_mean, abs=5e-5)
    assert thinned in {a for a, v in scored.items() if v[0] == PERIOD}

    # the pack's clause trends (history up to the end of the period) are the same figures
    sheet = {str(r["Clause"]): r for r in xlsx_rows(pack / "pack.xlsx", "Clause trends")}
    for number, per in trends["clauses"].items():
        for year in (y for y in years if y <= PERIOD):
            value = per.get(str(year))
            cell = sheet[number][str(year)]
            assert cell == ("not scored" if value is None else pytest.approx(value)), (number, year)


async def test_management_dashboard_shows_the_trends_figures(cli, portfolio, scored):
    from qms_audit.domain.means import mean_text
    from qms_audit.tui.app import QmsAuditApp
    from qms_audit.tui.screens.management import ManagementScreen

    root, _, _ = portfolio
    latest = max(v[0] for v in scored.values())
    group = [v[2] for v in scored.values() if v[0] == latest]
    app = QmsAuditApp(Workspace(root), "Dr Farah Aziz")
    async with app.run_test(size=(160, 60)) as pilot:
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, ManagementScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        clauses = plain(app.screen.query_one("#clauses"))
        overall = plain(app.screen.query_one("#overall"))
    for number in {n for s in group for n in s.clauses}:
        mean, count, applied = expected_mean([s.shown_for(number) for s in group])
        line = row_of(clauses, number)
        check_row(line, mean_text(mean))
        assert (f"{count} of {applied} audits scored" in line) == (count < applied), line
    mean, _, _ = expected_mean([s.shown for s in group])
    check_row(row_of(overall, str(latest)), mean_text(mean))


def phase_shown(standard, score: AuditScore, key: str) -> Shown:
    """A PDCA phase's shown score worked out here from the requirement scores."""
    reqs = [r for r in score.requirements.values() if r.phase == key and r.applicable]
    applicable = sum(r.weight for r in reqs)
    assessed = sum(r.weight for r in reqs if r.assessed)
    raw = sum(r.weight * r.value for r in reqs if r.assessed) / assessed if assessed else None
    return shown_score(raw, assessed / applicable if applicable else None, standard.scoring.coverage_threshold)


def test_every_audit_shows_the_same_clauses_phases_and_overall_in_score_and_the_list(cli, portfolio, scored):
    root, thinned, _ = portfolio
    listed = {a["id"]: a for a in json.loads(cli("-w", root, "audit", "list", "--json").out)}
    assert set(listed) == set(scored)
    unscored_phases = 0
    for audit_id, (_year, (std, _snap), own) in scored.items():
        got = json.loads(cli("-w", root, "score", audit_id, "--json").out)
        assert got["overall_shown"] == own.shown.text == listed[audit_id]["overall_shown"], audit_id
        assert {n: c["shown"] for n, c in got["clauses"].items()} == {n: c.shown.text for n, c in own.clauses.items()}
        for key, phase in got["pdca"].items():
            expected = phase_shown(std, own, key)
            assert (phase["score"], phase["shown"]) == (pytest.approx(expected.score) if expected.score is not None
                                                        else None, expected.text), (audit_id, key)
            unscored_phases += expected.score is None and expected.coverage is not None
    assert scored[thinned][2].clauses["9"].shown.text.startswith("not scored")
    assert unscored_phases, "some phase of the portfolio falls below the coverage threshold"


def test_figure_1_and_the_workbook_give_every_clause_for_the_period_and_the_one_before(
        portfolio, scored, cli, monkeypatch, tmp_path):
    from qms_audit.domain.means import mean_text
    from qms_audit.render import review_docx

    root, _, _ = portfolio
    drawn = recorded_bars(monkeypatch, review_docx)
    assert cli("-w", root, "review", "pack", "--period", str(PERIOD), "-o", tmp_path / "pack.docx").code == 0
    assert cli("-w", root, "review", "pack", "--period", str(PERIOD), "-o", tmp_path / "pack.xlsx").code == 0
    figure, options = drawn[0]
    numbers = [label.removeprefix("Clause ") for label, _v, _t in figure]
    now = {n: expected_mean([v[2].shown_for(n) for v in scored.values() if v[0] == PERIOD]) for n in numbers}
    before = {n: expected_mean([v[2].shown_for(n) for v in scored.values() if v[0] == PERIOD - 1]) for n in numbers}
    assert now["9"][1] < now["9"][2], "the thinned audit leaves clause 9 out of the period's mean"
    sheet = {str(r["Clause"]): r for r in xlsx_rows(tmp_path / "pack.xlsx", "Clause scores")}
    assert set(sheet) == set(numbers)
    for (label, value, text), previous, number in zip(figure, options["previous"], numbers, strict=True):
        (mean, count, applied), (prior, _, _) = now[number], before[number]
        assert value == (None if mean is None else pytest.approx(mean, abs=5e-5)), label
        assert previous == (None if prior is None else pytest.approx(prior, abs=5e-5)), label
        assert text == f"{mean_text(mean)} (before: {mean_text(prior)})", label
        row = sheet[number]
        assert row["Score"] == (mean_text(mean) if mean is None else pytest.approx(mean, abs=5e-5)), number
        assert row["Before"] == (mean_text(prior) if prior is None else pytest.approx(prior, abs=5e-5)), number
        assert (row["Audits"], row["Applicable in"]) == (count, applied), number
    caption = next(p for p in docx_paragraphs(tmp_path / "pack.docx") if p.startswith("Figure 1."))
    assert f"previous period, {PERIOD - 1}-01-01 to {PERIOD - 1}-12-31" in caption
