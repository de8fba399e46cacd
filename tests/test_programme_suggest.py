"""`qms-audit programme suggest` on the demo workspace, through the command line: it keeps the audits the
current programme already schedules for the year (none dropped, none repeated, the proposal made around them),
plans for every unit of the institution profile, the central units included, and brings back the clauses no
audit of a unit ever assessed, each with its reason. What the proposal should contain is worked out here from
the workspace's files (programme.yaml, institution.yaml, the audit's results), not from the package."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from qms_audit.domain.presentation import pct
from qms_audit.model.programme import Programme

NOW = "2026-11-28T10:00:00Z"
YEAR = 2027


@pytest.fixture(autouse=True)
def _fixed(monkeypatch):
    monkeypatch.setenv("QMS_AUDIT_NOW", NOW)


def propose(cli, ws: Path) -> tuple[list[dict], list[str]]:
    """The proposal for 2027 as written to a file, and the reasons the command printed."""
    result = cli("-w", ws, "programme", "suggest", "--year", str(YEAR), "-o", ws / "proposal.yaml")
    assert result.code == 0, result.err
    proposal = yaml.safe_load((ws / "proposal.yaml").read_text())
    assert proposal["cycle_start"] == f"{YEAR}-01" and proposal["cycle_end"] == f"{YEAR}-12"
    Programme.model_validate(proposal)  # a programme file as `programme show` reads it, once adopted
    return proposal["audits"], [line.strip() for line in result.out.splitlines()[1:]]


def auditable(ws: Path) -> list[str]:
    standard = yaml.safe_load((ws / "standards" / "mc-qms.yaml").read_text())
    return [str(c["number"]) for c in standard["clauses"] if not c.get("informative")]


def clauses_of(planned: dict, ws: Path) -> set[str]:
    return set(planned.get("clauses") or auditable(ws))


def assessed_clauses(ws: Path, unit: str) -> set[str]:
    """Top-level clauses at least one requirement of which was rated in an audit of `unit`."""
    seen: set[str] = set()
    for folder in (ws / "audits").iterdir():
        record = json.loads((folder / "audit.json").read_text())
        if record["plan"]["scope"]["auditee_unit"] != unit:
            continue
        for path in (folder / "results").glob("clause-*.json"):
            results = json.loads(path.read_text())["results"]
            seen |= {ref.split(".")[0] for ref, r in results.items() if r.get("grade") != "not_assessed"}
    return seen


def test_audits_already_scheduled_are_kept_once_and_proposed_around(cli, demo_workspace):
    ws = demo_workspace
    scheduled = [a for a in yaml.safe_load((ws / "programme.yaml").read_text())["audits"]
                 if str(a["month"]).startswith(f"{YEAR}-")]
    assert len(scheduled) == 5, "the demo programme schedules five audits in 2027"
    audits, reasons = propose(cli, ws)
    for planned in scheduled:
        assert sum(1 for a in audits if a == planned) == 1, planned  # unchanged, and only once
        assert any(line.startswith(f"{planned['unit']}: kept as scheduled, {planned['month']}") for line in reasons)
    kept_ids = [id(a) for a in audits if a in scheduled]
    proposed = [a for a in audits if id(a) not in kept_ids]
    assert proposed, "the demo needs more audits than those scheduled"
    for new in proposed:
        covered = set().union(*(clauses_of(k, ws) for k in scheduled if k["unit"] == new["unit"]))
        assert not covered & clauses_of(new, ws), new  # no clause of a unit planned twice
        assert new["notes"], new
    # the Faculties of Business and Computing are scheduled on the whole standard: nothing is added for them
    assert not [a for a in proposed if a["unit"] in ("Faculty of Business", "Faculty of Computing")]
    assert "Faculty of Business: no further audit needed: the scheduled audits cover every clause that needs one" \
        in reasons


def test_every_unit_of_the_profile_is_planned_central_units_included(cli, demo_workspace):
    ws = demo_workspace
    profile = yaml.safe_load((ws / "institution.yaml").read_text())
    audits, reasons = propose(cli, ws)
    units = [u["name"] for u in profile["units"]]
    central = [profile["mc_unit"], profile["certification_unit"], profile["quality_unit"]]
    assert set(central) <= set(units)
    homes = {p["name"]: p["unit"] for p in profile["people"]}
    for unit in units:
        planned = [a for a in audits if a["unit"] == unit]
        assert any(line.startswith(unit) for line in reasons), unit
        if not assessed_clauses(ws, unit):  # never audited: every clause needs an audit, kept or proposed
            assert set().union(*(clauses_of(a, ws) for a in planned)) == set(auditable(ws)), unit
    quality = [a for a in audits if a["unit"] == profile["quality_unit"]]
    assert len(quality) == 1 and homes[quality[0]["lead"]] != profile["quality_unit"]
    assert f"{profile['quality_unit']} in {quality[0]['month']}: clauses 1, 4, 5, 6, 7, 8, 9, 10: never assessed " \
        "in an audit of this unit" in reasons


def test_clauses_never_assessed_in_a_unit_come_back_with_their_reason(cli, demo_workspace):
    ws = demo_workspace
    unit = "Faculty of Engineering"
    never = set(auditable(ws)) - assessed_clauses(ws, unit)
    assert never == {"10"}, "the demo audit left clause 10 out"

    # with no programme yet, the proposal for the faculty holds clause 10 (never assessed) and clause 9 (assessed,
    # too little to be scored), each with its reason
    (ws / "programme.yaml").unlink()
    audits, reasons = propose(cli, ws)
    [faculty] = [a for a in audits if a["unit"] == unit]
    assert {"9", "10"} <= set(faculty["clauses"])
    assert "clause 10: never assessed in an audit of this unit" in faculty["notes"]
    scored = json.loads(cli("-w", ws, "score", "demo-2026-foe", "--json").out)["clauses"]["9"]
    assert scored["score"] is None and scored["assessed"] < scored["applicable"]
    assert (f"clause 9 (coverage {pct(scored['coverage'])} in demo-2026-foe): assessed too little to be scored when "
            "last audited") in faculty["notes"]
    assert any(line.startswith(f"{unit} in ") and "clause 10: never assessed" in line for line in reasons)

    # with the demo programme, clause 10 is already scheduled for February: that audit is kept and said to cover
    # it, and clause 9 comes back in an audit alongside it
    (ws / "programme.yaml").write_text((Path(__file__).parents[1] / "programme.yaml").read_text())
    audits, reasons = propose(cli, ws)
    assert (f"{unit}: kept as scheduled, {YEAR}-02 (mc-qms, clause 10); it covers clause 10: never assessed in an "
            "audit of this unit") in reasons
    added = [a for a in audits if a["unit"] == unit and "10" not in a.get("clauses", [])]
    assert len(added) == 1 and "9" in added[0]["clauses"] and added[0]["month"] == f"{YEAR}-02"
    assert "alongside the audit already scheduled in 2027-02" in added[0]["notes"]
