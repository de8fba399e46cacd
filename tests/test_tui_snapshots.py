"""Snapshots of the main screens, so that a change in their look is seen and approved.

Regenerate after an intended change with `pytest tests/test_tui_snapshots.py --snapshot-update` and look
at the SVGs in tests/__snapshots__/ before committing them.
"""

from __future__ import annotations

import pytest

from qms_audit.locations import Workspace
from qms_audit.tui.app import QmsAuditApp

SIZE = (100, 32)


@pytest.fixture(autouse=True)
def _fixed(monkeypatch, tmp_path):
    monkeypatch.setenv("QMS_AUDIT_NOW", "2026-11-28T10:00:00Z")
    monkeypatch.setenv("QMS_AUDIT_STATE", str(tmp_path / "state"))


@pytest.fixture
def demo_app(demo_workspace):
    def make(audit: str | None = "demo-2026-foe") -> QmsAuditApp:
        return QmsAuditApp(Workspace(demo_workspace), "Dr Farah Aziz", audit_id=audit)
    return make


async def _go_to_major(pilot):
    pilot.app.screen.go_to("8.1.c")
    await pilot.pause()


def test_picker(snap_compare, demo_app):
    assert snap_compare(demo_app(None), terminal_size=SIZE)


def test_checklist_and_requirement(snap_compare, demo_app):
    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=_go_to_major)


def test_dashboard(snap_compare, demo_app):
    assert snap_compare(demo_app(), terminal_size=SIZE, press=["d"])


def test_register(snap_compare, demo_app):
    assert snap_compare(demo_app(), terminal_size=SIZE, press=["c"])


def test_capa_of_the_major(snap_compare, demo_app):
    assert snap_compare(demo_app(), terminal_size=SIZE, press=["c", "down", "down", "enter"])


def test_help(snap_compare, demo_app):
    assert snap_compare(demo_app(), terminal_size=SIZE, press=["question_mark"])


def test_light_theme_checklist(snap_compare, demo_app):
    async def light(pilot):
        pilot.app.theme = "textual-light"
        await _go_to_major(pilot)
    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=light)
