"""The TUI as a real process in a pseudo-terminal, killed with SIGKILL mid-edit: nothing typed is lost."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

from qms_audit.infra.locations import Workspace
from qms_audit.tui.app import QmsAuditApp

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs a Linux pseudo-terminal")


class Terminal:
    """A child process on a pty, with its output drained in the background."""

    def __init__(self, args: list[str], env: dict[str, str], cols: int = 100, rows: int = 30) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
        os.close(slave)
        self.output = bytearray()
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.output.extend(chunk)

    def wait_for(self, text: bytes, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError(f"never saw {text!r}; output tail: {bytes(self.output[-800:])!r}")
            time.sleep(0.05)

    def type(self, keys: str, delay: float = 0.02) -> None:
        for ch in keys:
            os.write(self.master, ch.encode())
            time.sleep(delay)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        os.close(self.master)


@pytest.fixture
def planned(cli, workspace) -> str:
    assert cli("-w", workspace, "audit", "new", "--standard", "mc-qms", "--title", "t", "--auditee",
               "Faculty of Engineering", "--lead", "Dr Lee (QA Unit)", "--id", "kill-audit").code == 0
    return "kill-audit"


def note_of(ws: Path, ref: str) -> str | None:
    clause = ref.split(".")[0].zfill(2)
    path = ws / "audits" / "kill-audit" / "results" / f"clause-{clause}.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())["results"].get(ref, {}).get("note")


def start(ws: Path, state: Path) -> Terminal:
    env = {**os.environ, "TERM": "xterm-256color", "QMS_AUDIT_STATE": str(state), "QMS_AUDIT_USER": "Dr Lee"}
    term = Terminal([sys.executable, "-m", "qms_audit", "-w", str(ws), "tui", "kill-audit"], env)
    term.wait_for(b"saved")
    time.sleep(0.5)
    return term


def test_sigkill_after_a_pause_keeps_the_note(workspace, planned, tmp_path):
    term = start(workspace, tmp_path / "state")
    term.type("n")
    term.type("seen the approved scope statement")
    time.sleep(2.0)  # the auditor pauses: the note is committed
    term.kill()
    assert note_of(workspace, "1.1.a") == "seen the approved scope statement"


async def test_sigkill_mid_sentence_keeps_the_words_typed(workspace, planned, tmp_path, monkeypatch):
    term = start(workspace, tmp_path / "state")
    term.type("n")
    term.type("typed just before the power went", delay=0.01)
    time.sleep(0.15)  # killed before the pause that commits the note
    term.kill()
    assert note_of(workspace, "1.1.a") is None  # not committed to the audit yet
    # the words are in the draft; the next session saves them
    monkeypatch.setenv("QMS_AUDIT_STATE", str(tmp_path / "state"))
    app = QmsAuditApp(Workspace(workspace), "Dr Lee", audit_id=planned)
    async with app.run_test() as pilot:
        await pilot.pause()
    assert note_of(workspace, "1.1.a") == "typed just before the power went"


@pytest.mark.parametrize("key, field, text", [
    ("e", "field-text", "Minutes of the validation panel, signed"),
    ("x", "field-reason", "Clause excluded: no industry partner yet"),
])
async def test_sigkill_with_a_form_open_keeps_what_was_typed(workspace, planned, tmp_path, monkeypatch, key, field,
                                                              text):
    """Evidence and N/A forms, like notes: a killed terminal loses nothing typed, and the next session
    opens the form again with the text in it."""
    from textual.widgets import TextArea

    from qms_audit.tui.forms import FormScreen

    term = start(workspace, tmp_path / "state")
    term.type(key)
    term.wait_for(b"ctrl+s")  # the form's save button: the form is drawn
    time.sleep(0.5)
    if key == "e":
        term.type("\t\t", delay=0.3)  # phase and kind keep their defaults; on to the description
        time.sleep(0.5)
    term.type(text, delay=0.01)
    time.sleep(0.3)
    term.kill()
    recorded = "".join(p.read_text() for p in (workspace / "audits" / planned / "results").glob("*.json"))
    assert text not in recorded  # nothing was saved to the audit
    monkeypatch.setenv("QMS_AUDIT_STATE", str(tmp_path / "state"))
    app = QmsAuditApp(Workspace(workspace), "Dr Lee", audit_id=planned)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FormScreen)
        assert form.query_one(f"#{field}", TextArea).text == text
        await pilot.press("ctrl+s")
        await pilot.pause()
    saved = json.loads((workspace / "audits" / planned / "results" / "clause-01.json").read_text())["results"]["1.1.a"]
    assert text in json.dumps(saved)
