"""Named pipes and devices given where a file is expected: refused by their type before they are opened, with one
line naming the file, in a real process that would otherwise wait for a writer forever. Nothing is written."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, run_process

DEMO = "demo-2026-foe"
PIPE_WORDS = "is a named pipe (FIFO), not a regular file"
# a process that opened a pipe for reading with nobody writing would wait: the limit turns that into a failure
LIMIT = 30

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX feature")


def fifo(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    return path


def tree(root: Path) -> dict[str, bytes]:
    """Every record file with its content (the lock file a writer takes is not a record)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.name.startswith(".lock")}


def refused(result, *, names: str, words: str = PIPE_WORDS) -> None:
    assert result.code == 2, (result.code, result.out, result.err)
    assert "Traceback" not in result.err
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.err
    assert names in lines[0] and words in lines[0], lines[0]


def run(ws: Path, *args: str | Path):
    return run_process("-w", ws, *args, cwd=ws, timeout=LIMIT)


def test_a_pipe_named_like_a_workbook_is_refused_by_checklist_import(demo_workspace):
    pipe = fifo(demo_workspace / "incoming" / "checklist.xlsx")
    before = tree(demo_workspace / "audits")
    refused(run(demo_workspace, "checklist", "import", DEMO, pipe), names="checklist.xlsx")
    assert tree(demo_workspace / "audits") == before


def test_a_device_is_refused_by_its_kind(demo_workspace):
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    device = demo_workspace / "catalogue.csv"
    device.symlink_to("/dev/zero")  # endless zeros behind a catalogue's name
    refused(run(demo_workspace, "credentials", "check", device), names="catalogue.csv",
            words="is a character device, not a regular file")


def test_a_pipe_as_a_catalogue_is_refused(demo_workspace):
    pipe = fifo(demo_workspace / "catalogue.csv")
    refused(run(demo_workspace, "credentials", "check", pipe), names="catalogue.csv")


def test_a_pipe_as_an_evidence_file_is_refused_and_nothing_is_recorded(demo_workspace):
    pipe = fifo(demo_workspace / "minutes.pdf")
    before = tree(demo_workspace / "audits")
    result = run(demo_workspace, "--as", "Dr Farah Aziz", "audit", "evidence", "add", DEMO, "9.2.2.a", "-p", "C",
                 "-k", "record", "-t", "Minutes of the audit planning meeting", "--file", pipe)
    refused(result, names="minutes.pdf")
    assert tree(demo_workspace / "audits") == before


def test_a_pipe_among_the_documents_of_a_desk_review_is_named_and_the_rest_is_reviewed(demo_workspace, tmp_path):
    folder = tmp_path / "documents"
    folder.mkdir()
    for sample in sorted((SAMPLES / "desk-review").glob("*.md"))[:2]:
        shutil.copy2(sample, folder / sample.name)
    fifo(folder / "SOP-AUDIT Internal audit.docx")
    result = run(demo_workspace, "docs", "check", folder, "--json")
    assert result.code in (0, 1), (result.code, result.err)
    assert "Traceback" not in result.err
    report = json.loads(result.out)
    assert [u["file"] for u in report["unreadable"]] == ["SOP-AUDIT Internal audit.docx"]
    assert PIPE_WORDS in report["unreadable"][0]["reason"]
    assert report["documents"] == 3  # the two others were read and reviewed


def test_verify_reports_a_record_replaced_by_a_pipe(demo_workspace):
    results = demo_workspace / "audits" / DEMO / "results"
    target = sorted(results.glob("*.json"))[0]
    target.unlink()
    fifo(target)
    result = run(demo_workspace, "verify", DEMO)
    assert result.code == 1, (result.code, result.out, result.err)
    assert "Traceback" not in result.err
    assert target.name in result.out and "named pipe" in result.out


def test_a_pipe_in_the_standards_folder_is_refused_when_read(demo_workspace):
    fifo(demo_workspace / "standards" / "extra.yaml")
    result = run(demo_workspace, "standards", "validate")
    assert result.code == 2, (result.code, result.out, result.err)
    assert "Traceback" not in result.err
    assert "extra.yaml" in result.err and PIPE_WORDS in result.err
