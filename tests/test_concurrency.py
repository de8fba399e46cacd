"""Two writers on one audit at once: real processes racing each other, and the TUI against the command line.
No update is lost; a writer whose view went stale is refused with a message and keeps its input."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from textual.widgets import TextArea

from qms_audit.infra.locations import Workspace
from qms_audit.services.auditing import open_audit
from qms_audit.store.verify import verify_audit
from tests.conftest import REPO
from tests.test_tui import audit_files, jump

AID = "race-audit"
REFS = ["4.1.a", "4.1.b", "4.2.a", "4.2.b", "4.2.c", "4.2.d", "4.2.e", "4.3.a", "4.3.b", "4.3.c", "5.1.a", "5.1.b",
        "5.1.c", "5.1.d", "5.2.a", "5.2.b", "5.3.a", "5.3.b", "5.3.c", "5.3.d", "6.1.a", "6.1.b", "6.1.c", "6.1.d"]

RACER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from qms_audit.services import capa
    from qms_audit.services.auditing import add_evidence, open_audit, rate
    from qms_audit.infra.locations import Workspace
    from qms_audit.model.audit import EvidenceKind, Grade
    from qms_audit.model.common import Phase

    root, audit_id, name, refs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(",")
    ws = Workspace(Path(root))
    for i, ref in enumerate(refs):
        # each save opens the audit afresh, as a separate command would
        rate(open_audit(ws, audit_id, actor=name), ref, Grade.CONFORMITY, actor=name, note=f"{name}-{ref}")
        add_evidence(open_audit(ws, audit_id, actor=name), "8.1.a", phase=Phase.DO, kind=EvidenceKind.RECORD,
                     text=f"{name}-evidence-{i}", actor=name)
        capa.update(ws, "NC-2026-FOE-801", actor=name, correction=f"{name}-{i}")
    print("finished")
""")


def _plan(cli, workspace) -> None:
    assert cli("-w", workspace, "audit", "new", "--standard", "mc-qms", "--title", "race", "--auditee",
               "Faculty of Engineering", "--unit-code", "FOE", "--lead", "Test Auditor (QA Unit)", "--id", AID,
               "--start", "2026-10-01").code == 0
    assert cli("-w", workspace, "audit", "rate", AID, "8.1.c", "--grade", "major", "--note", "seed").code == 0


def test_two_processes_saving_at_once_lose_nothing(cli, workspace):
    _plan(cli, workspace)
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'src'}", "QMS_AUDIT_LOCK_TIMEOUT": "30"}
    halves = {"alice": REFS[0::2], "bob": REFS[1::2]}
    racers = [subprocess.Popen([sys.executable, "-c", RACER, str(workspace), AID, name, ",".join(refs)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for name, refs in halves.items()]
    for proc in racers:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0 and "finished" in out, err[-2000:]
    opened = open_audit(Workspace(workspace), AID)
    for name, refs in halves.items():
        for ref in refs:
            assert opened.snapshot.result(ref).note == f"{name}-{ref}"
    texts = [e.text for e in opened.snapshot.result("8.1.a").evidence]
    assert len(texts) == len(REFS) == len(set(texts))  # every evidence entry from both, none twice
    correction = opened.snapshot.findings["NC-2026-FOE-801"].capa.correction.text
    assert correction in {f"alice-{len(REFS) // 2 - 1}", f"bob-{len(REFS) // 2 - 1}"}  # the later one, whole
    report = verify_audit(Workspace(workspace), AID)
    assert report.ok, report.problems
    assert report.entries >= 2 + 3 * len(REFS)  # one logged change per save, none merged away


async def test_tui_note_loses_to_a_command_line_change_without_losing_its_text(cli, workspace, monkeypatch,
                                                                               tmp_path):
    from qms_audit.tui.app import QmsAuditApp

    monkeypatch.setenv("QMS_AUDIT_STATE", str(tmp_path / "state"))
    _plan(cli, workspace)
    app = QmsAuditApp(Workspace(workspace), "Dr Farah Aziz", audit_id=AID)
    async with app.run_test() as pilot:
        await jump(pilot, "5.2.a")
        await pilot.press("n")
        screen = app.screen
        # a colleague saves a note on the same requirement from the command line while this one types
        assert cli("-w", workspace, "--as", "Ms Ong", "audit", "rate", AID, "5.2.a", "--grade", "c", "--note",
                   "policy seen by Ms Ong").code == 0
        await pilot.press(*"my own observation")
        screen.flush_note()
        await pilot.pause()
        assert audit_files(workspace, AID)["results"]["5.2.a"]["note"] == "policy seen by Ms Ong"  # theirs kept
        assert screen.save_state == "failed"
        messages = [n.message for n in app._notifications]
        assert any("was changed by" in m and "still in the form" in m for m in messages), messages
        assert screen.query_one("#note", TextArea).text == "my own observation"  # mine is still there
        drafts = {d.ref: d.text for d in screen.session.pending_drafts()}
        assert drafts.get("5.2.a") == "my own observation"  # and kept outside the workspace too
