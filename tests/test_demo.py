"""The demo audit shipped in audits/ is a living, consistent audit a newcomer can explore."""

from __future__ import annotations

import json

from tests.conftest import REPO

DEMO = "demo-2026-foe"


def test_demo_verifies_and_scores(cli, demo_workspace):
    assert cli("-w", demo_workspace, "verify", "--all").code == 0
    score = json.loads(cli("-w", demo_workspace, "score", DEMO, "--json").out)
    assert score["verdict"] == "not-conforming"  # one open major
    assert 0.7 < score["coverage"] < 1.0  # partly finished
    assert score["clauses"]["10"]["band"] == "not-assessed"
    assert score["findings"]["major_nc"]["total"] == 1
    assert score["findings"]["minor_nc"]["total"] >= 3
    assert score["findings"]["ofi"]["total"] >= 3
    assert score["maturity"]["overall"] > 1.0


def test_demo_has_evidence_in_every_phase_and_files(cli, demo_workspace):
    shown = json.loads(cli("-w", demo_workspace, "audit", "show", DEMO, "--json").out)
    phases = {e["phase"] for r in shown["results"].values() for e in r.get("evidence", [])}
    assert phases == {"P", "D", "C", "A"}
    files = [e["file"] for r in shown["results"].values() for e in r.get("evidence", []) if "file" in e]
    assert len(files) >= 3
    assert any(r["grade"] == "not_applicable" and r["na_reason"] for r in shown["results"].values())
    assert any(f.get("response", {}).get("position") == "disputed" for f in shown["findings"])


def test_demo_capas_are_at_different_stages(cli, demo_workspace):
    rows = json.loads(cli("-w", demo_workspace, "nc", "list", "--json").out)
    stages = {r["stage"] for r in rows}
    assert {"open", "actions-in-progress", "reopened", "closed"} <= stages
    assert any(r["source"] == "complaint" for r in rows)


def test_the_repository_demo_is_intact():
    """The committed demo verifies in place (no one edited it by hand)."""
    from qms_audit.locations import Workspace
    from qms_audit.verify import verify_audit, verify_register

    ws = Workspace(REPO)
    assert verify_audit(ws, DEMO).ok
    assert verify_register(ws).ok
