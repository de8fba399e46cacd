"""TUI latency. Cold start to the first interactive screen on the demo audit (target <= 1.0 s), and, with a
generated standard of 1,000 requirements, moving to the next requirement and rating one, measured with Pilot
(target <= 50 ms at the 95th percentile). Two sizes (100 and 1,000 requirements) show how it grows.

Each figure runs from the key press to the last frame the app composed for it (Pilot waits until the app is
idle; the app's display hook records when each frame was ready), so it includes handling the key, saving the
record and redrawing, but not Pilot's own idle waiting.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, Row, fresh_workspace, record


def cold_start(runs: int = 7) -> tuple[float, str]:
    """Seconds from exec to the checklist drawn (median of `runs`), in tmux: a terminal emulator that answers
    the queries Textual sends at start-up, as the auditor's terminal does (a bare pseudo-terminal never
    answers and Textual waits for a timeout instead)."""
    if shutil.which("tmux") is None:
        return _cold_start_pty(runs), "bare pty (tmux missing): includes Textual's query timeout"
    times = []
    env = {"QMS_AUDIT_STATE": tempfile.mkdtemp()}
    for n in range(runs):
        session = f"qms-cold-{os.getpid()}-{n}"
        command = " ".join([f"{k}={v}" for k, v in env.items()]
                           + [sys.executable, "-m", "qms_audit", "-w", str(ROOT), "tui", "demo-2026-foe"])
        start = time.perf_counter()
        subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "30", command], check=True)
        try:
            while True:
                screen = subprocess.run(["tmux", "capture-pane", "-t", session, "-p"], capture_output=True,
                                        text=True).stdout
                if "saved" in screen:
                    break
                if time.perf_counter() - start > 20:
                    raise RuntimeError("the TUI did not start:\n" + screen)
                time.sleep(0.01)
            times.append(time.perf_counter() - start)
        finally:
            subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    return statistics.median(times), "in tmux"


def _cold_start_pty(runs: int) -> float:
    import fcntl
    import struct
    import termios

    times = []
    for _ in range(runs):
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "QMS_AUDIT_STATE": tempfile.mkdtemp()}
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "qms_audit", "-w", str(ROOT), "tui", "demo-2026-foe"],
                                stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
        os.close(slave)
        seen = b""
        while b"saved" not in seen:
            seen += os.read(master, 65536)
        times.append(time.perf_counter() - start)
        proc.kill()
        proc.wait()
        os.close(master)
    return statistics.median(times)


def build(n: int) -> tuple[Path, str]:
    from qms_audit.demo.portfolio import synthetic_standard, write_standard
    from qms_audit.infra.locations import Workspace
    from qms_audit.model.audit import TeamMember
    from qms_audit.services.auditing import create_audit

    root = fresh_workspace(f"tui-{n}")
    ws = Workspace(root)
    write_standard(ws, synthetic_standard(n, clauses=20))
    opened = create_audit(ws, standard_id=f"synthetic-{n}", title="latency", auditee_unit="Faculty of Science",
                          lead=TeamMember(name="Bench", home_unit="QA Unit"), actor="Bench", audit_id="latency")
    return root, opened.id


async def latencies(root: Path, audit_id: str, steps: int) -> tuple[list[float], list[float], float]:
    """(moves, ratings, Pilot's idle wait per key) in seconds."""
    from qms_audit.infra.locations import Workspace
    from qms_audit.tui.app import QmsAuditApp

    app = QmsAuditApp(Workspace(root), "Bench", audit_id=audit_id)
    moves: list[float] = []
    rates: list[float] = []
    frames: list[float] = []
    real_display = app._display

    def display(screen, renderable) -> None:
        real_display(screen, renderable)
        if renderable is not None:
            frames.append(time.perf_counter())

    app._display = display  # type: ignore[method-assign]

    async def timed_press(key: str) -> tuple[float, float]:
        frames.clear()
        start = time.perf_counter()
        await pilot.press(key)
        waited = time.perf_counter() - start
        if not frames:
            raise RuntimeError(f"no frame was drawn for {key}")
        return frames[-1] - start, waited

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        waits = []
        for i in range(steps):
            latency, waited = await timed_press("right_square_bracket")
            moves.append(latency)
            waits.append(waited)
            latency, waited = await timed_press("1" if i % 3 else "2")
            rates.append(latency)
            waits.append(waited)
        assert app.screen.session.result(app.screen.ref).grade.value in ("conformity", "good_practice")
    return moves, rates, statistics.median(waits)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


def main() -> int:
    os.environ.setdefault("QMS_AUDIT_STATE", tempfile.mkdtemp())
    rows = []
    start, how = cold_start()
    rows.append(Row("tui: cold start", "demo audit", "exec to first interactive screen (median)", start, "s",
                    "<= 1.0 s", start <= 1.0, how))
    p95s = {}
    for n in (100, 1000):
        root, audit_id = build(n)
        moves, rates, overhead = asyncio.run(latencies(root, audit_id, steps=60))
        p95s[n] = (p95(moves), p95(rates))
        rows.append(Row("tui: Pilot wait", f"{n} reqs", "median Pilot press incl. its idle wait", overhead * 1000,
                        "ms", "-", True))
        rows.append(Row("tui: next requirement", f"{n} reqs", "p95 of 60 moves, key to frame", p95(moves) * 1000, "ms",
                        "<= 50 ms" if n == 1000 else "-", p95(moves) <= 0.05 or n != 1000,
                        f"median {statistics.median(moves) * 1000:.1f} ms"))
        rows.append(Row("tui: rate requirement", f"{n} reqs", "p95 of 60 ratings saved, key to frame",
                        p95(rates) * 1000, "ms", "<= 50 ms" if n == 1000 else "-", p95(rates) <= 0.05 or n != 1000,
                        f"median {statistics.median(rates) * 1000:.1f} ms"))
    rows.append(Row("tui: rate requirement", "100->1000", "growth of p95 (10x requirements)",
                    p95s[1000][1] / p95s[100][1], "x", "-", True))
    record(rows)
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
