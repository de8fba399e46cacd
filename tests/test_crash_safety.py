"""Kill real writer processes with SIGKILL at random moments: every record stays the old or the new version.

`make test` runs a short version; `make stress` (QMS_AUDIT_STRESS=long) runs hundreds of kills.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from qms_audit.infra.locations import Workspace
from qms_audit.services.auditing import open_audit
from qms_audit.services.reviews import load_reviews
from qms_audit.store.verify import verify_audit, verify_reviews
from tests.conftest import REPO

AID = "crash-audit"
LONG = os.environ.get("QMS_AUDIT_STRESS") == "long"
KILLS = 300 if LONG else 25


@pytest.fixture
def ws(cli, workspace):
    assert cli("-w", workspace, "audit", "new", "--standard", "mc-qms", "--title", "crash test", "--auditee",
               "Faculty of Engineering", "--unit-code", "FOE", "--lead", "Test Auditor (QA Unit)", "--id", AID,
               "--start", "2026-10-01").code == 0
    assert cli("-w", workspace, "audit", "rate", AID, "8.1.c", "--grade", "major", "--note", "seed NC").code == 0
    assert cli("-w", workspace, "review", "record", "--held-on", "2026-09-30", "--period", "2026-01..2026-08",
               "--chair", "Prof A", "--action", "Follow up | Dr Lee | 2026-12-31").code == 0
    return workspace


def parse_round(lines: list[str]) -> tuple[list[tuple[str, str, str]], tuple[str, str, str] | None]:
    """The saves a writer completed, in order, and the one it was in the middle of when killed."""
    pending: dict[str, tuple[str, str, str]] = {}
    done: list[tuple[str, str, str]] = []
    for line in lines:
        parts = line.split()
        if parts[0] == "begin":
            pending[parts[1]] = (parts[2], parts[3], parts[4])
        elif parts[0] == "done":
            done.append(pending.pop(parts[1]))
    assert len(pending) <= 1, pending
    return done, next(iter(pending.values()), None)


class Expected:
    """What each record may hold after each kill: its last value, or the save that was in flight."""

    def __init__(self) -> None:
        self.notes: dict[str, str] = {}
        self.correction: str | None = None
        self.evidence: dict[str, set[str]] = {}
        self.review_note: str | None = None

    def check(self, ws: Path, lines: list[str]) -> None:
        workspace = Workspace(ws)
        opened = open_audit(workspace, AID)  # completes any interrupted save and validates every file
        report = verify_audit(workspace, AID)
        assert report.ok, report.problems
        reviews = verify_reviews(workspace)
        assert reviews.ok, reviews.problems
        done, in_flight = parse_round(lines)
        for kind, target, value in done:
            if kind == "rate":
                self.notes[target] = value
            elif kind == "capa":
                self.correction = value
            elif kind == "review":
                self.review_note = value
            elif kind == "report":
                pass
            else:
                self.evidence.setdefault(target, set()).add(value)
        refs = set(self.notes) | ({in_flight[1]} if in_flight and in_flight[0] == "rate" else set())
        for ref in sorted(refs):
            actual = opened.snapshot.result(ref).note
            allowed = {self.notes.get(ref, "")}
            if in_flight and in_flight[:2] == ("rate", ref):
                allowed.add(in_flight[2])
            assert actual in allowed, (ref, actual, allowed)
            self.notes[ref] = actual
        finding = opened.snapshot.findings["NC-2026-FOE-801"]
        actual_correction = finding.capa.correction.text if finding.capa and finding.capa.correction else None
        allowed = {self.correction} | ({in_flight[2]} if in_flight and in_flight[0] == "capa" else set())
        assert actual_correction in allowed, (actual_correction, allowed)
        self.correction = actual_correction
        action = next(a for a in load_reviews(workspace)[0].actions if a.id == "A1")
        allowed_notes = {self.review_note} | ({in_flight[2]} if in_flight and in_flight[0] == "review" else set())
        assert action.note in allowed_notes, (action.note, allowed_notes)
        self.review_note = action.note
        report_file = ws / "reports" / f"{AID}-report.docx"
        if report_file.exists():  # a killed report write leaves the old file or none, never half a file
            with zipfile.ZipFile(report_file) as package:
                assert package.testzip() is None
                assert b"Internal audit report" in package.read("word/document.xml")
        for ref in {*self.evidence, *([in_flight[1]] if in_flight and in_flight[0] == "evidence" else [])}:
            texts = [e.text for e in opened.snapshot.result(ref).evidence]
            assert self.evidence.get(ref, set()) <= set(texts)
            assert len(texts) == len(set(texts))  # no save applied twice
            for ev in opened.snapshot.result(ref).evidence:
                stored = ws / "audits" / AID / ev.file.path
                assert stored.is_file() and stored.read_text().startswith(ev.text)
            extra = set(texts) - self.evidence.get(ref, set())
            assert extra <= ({in_flight[2]} if in_flight and in_flight[0] == "evidence" else set())
            self.evidence.setdefault(ref, set()).update(extra)


def test_sigkill_at_random_moments_never_breaks_a_record(ws, tmp_path):
    rng = random.Random(2026)
    expected = Expected()
    completed_saves = 0
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'src'}", "QMS_AUDIT_LOCK_TIMEOUT": "10"}
    kills = 0
    for round_no in range(KILLS):
        intents_file = tmp_path / f"intents-{round_no}.log"
        proc = subprocess.Popen([sys.executable, str(REPO / "tests" / "crash_writer.py"), str(ws), AID,
                                 str(intents_file), str(round_no)], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        # let it import and make a few saves, then kill it wherever it is
        time.sleep(0.35 + rng.random() * 0.5)
        if proc.poll() is not None:
            raise AssertionError(f"writer died on its own: {proc.stderr.read().decode()[-2000:]}")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
        lines = intents_file.read_text().splitlines() if intents_file.exists() else []
        completed_saves += sum(1 for line in lines if line.startswith("done"))
        expected.check(ws, lines)
    assert kills == KILLS
    assert completed_saves > KILLS  # saves really happened between kills
    kinds = Counter(line.split()[2] for p in tmp_path.glob("intents-*.log") for line in p.read_text().splitlines()
                    if line.startswith("begin"))
    assert {"rate", "evidence", "capa", "review", "report"} <= set(kinds), kinds


def test_sigkill_during_cli_commands(ws, tmp_path):
    """The same with the real `qms-audit` command line: kill `audit rate` processes mid-flight."""
    rng = random.Random(7)
    env = {**os.environ, "QMS_AUDIT_WORKSPACE": str(ws)}
    completed: dict[str, str] = {}
    for n in range(8 if not LONG else 60):
        value = f"cli-note-{n}"
        proc = subprocess.Popen([sys.executable, "-m", "qms_audit", "audit", "rate", AID, "4.3.a", "--grade", "c",
                                 "--note", value], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.random() * 0.6)
        proc.send_signal(signal.SIGKILL)
        code = proc.wait()
        opened = open_audit(Workspace(ws), AID)
        note = opened.snapshot.result("4.3.a").note
        assert note in {completed.get("4.3.a", ""), value}
        completed["4.3.a"] = note
        assert verify_audit(Workspace(ws), AID).ok
        assert code in (-signal.SIGKILL, 0)
    # every file is still valid JSON
    for path in (ws / "audits" / AID).rglob("*.json"):
        json.loads(path.read_text())
