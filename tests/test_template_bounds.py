"""A user's SOP template is a program: its run is bounded in time, memory and output. Each hostile template
ends, in a real process, with exit 2 and one line naming the template, in seconds, and no draft is written."""

from __future__ import annotations

import time

import pytest

from qms_audit.sop import templates
from tests.conftest import run_process

TEMPLATE = "sop_templates/SOP-AUDIT.md.j2"
REPETITION = "{{ 'x' * 4000000000 }}"
NESTED_LOOPS_WRITING = "{% for i in range(100000) %}{% for j in range(100000) %}{{ i }}{% endfor %}{% endfor %}"
NESTED_LOOPS_SILENT = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
FILTER_WIDTH = "{{ 'x'|center(4000000000) }}"
HUGE_POWER = "{{ 7 ** 99999999 }}"


@pytest.mark.parametrize("source, says", [
    (REPETITION, "refused: a repetition of 4,000,000,000 items"),
    (NESTED_LOOPS_WRITING, "refused: the template needs more than 2,097,152 characters of output"),
    (NESTED_LOOPS_SILENT, "refused: the template needs more than 10 seconds"),
    (FILTER_WIDTH, "refused: the template needs more memory than allowed"),
    (HUGE_POWER, "refused: a power of"),
], ids=["repetition", "loops-writing", "loops-silent", "filter-width", "power"])
def test_a_hostile_template_is_stopped_with_one_line(demo_workspace, tmp_path, source, says):
    (demo_workspace / TEMPLATE).write_text(source + "\n", encoding="utf-8")
    out = tmp_path / "drafts"
    started = time.monotonic()
    result = run_process("-w", demo_workspace, "sop", "generate", "SOP-AUDIT", "-o", out, cwd=demo_workspace,
                         timeout=60)
    took = time.monotonic() - started
    assert result.code == 2, (result.code, result.out, result.err)
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error: {TEMPLATE}"), result.err
    assert says in lines[0]
    assert took < templates.MAX_RENDER_SECONDS + 15
    assert not out.exists() or not any(out.iterdir())


def test_the_shipped_templates_render_within_the_bounds(cli, demo_workspace, tmp_path):
    result = cli("-w", demo_workspace, "sop", "generate", "--all", "-o", tmp_path / "sops", "--format", "md")
    assert result.code == 0, result.err
    drafts = sorted((tmp_path / "sops").glob("*.md"))
    assert len(drafts) == 7
    assert all(1000 < len(d.read_text(encoding="utf-8")) < templates.MAX_RENDER_OUTPUT for d in drafts)


def test_in_process_rendering_keeps_the_same_bounds(demo_workspace, monkeypatch):
    """Where the system cannot fork, the checks before and during rendering still hold (not the time limit)."""
    import datetime as dt

    from qms_audit.infra.errors import InvalidFile
    from qms_audit.infra.locations import Workspace
    from qms_audit.sop.generate import render_sop, resolve

    monkeypatch.setenv("QMS_AUDIT_TEMPLATE_FORK", "off")
    ws = Workspace(demo_workspace)
    assert not templates._can_fork()
    for source, says in ((REPETITION, "a repetition of"), (HUGE_POWER, "a power of"),
                         ("{% for i in range(100000) %}{{ 'y' * 100 }}{% endfor %}", "characters of output")):
        (demo_workspace / TEMPLATE).write_text(source, encoding="utf-8")
        (row,) = resolve(ws, ["SOP-AUDIT"], False)
        with pytest.raises(InvalidFile) as raised:
            render_sop(ws, row, on=dt.date(2026, 11, 28))
        assert says in str(raised.value.problems[0])
