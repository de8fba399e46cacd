"""Snapshots of the main screens, so that a change in their look is seen and approved.

The auditor's four working screens are taken at three terminal sizes (a layout right at 80x24 says nothing
about 200x60); the others at one. Regenerate after an intended change with
`pytest tests/test_tui_snapshots.py --snapshot-update` and look at the SVGs in tests/__snapshots__/ before
committing them.
"""

from __future__ import annotations

import pytest

from qms_audit.infra.locations import Workspace
from qms_audit.tui.app import QmsAuditApp

SIZE = (100, 32)
SIZES = [(80, 24), (120, 40), (200, 60)]
SIZE_IDS = [f"{w}x{h}" for w, h in SIZES]


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


class TestEverySize:
    """The checklist, one requirement, the dashboard and the register, drawn complete on first paint."""

    @pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
    def test_checklist_on_first_paint(self, snap_compare, demo_app, size):
        assert snap_compare(demo_app(), terminal_size=size)

    @pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
    def test_requirement_with_a_major_nc(self, snap_compare, demo_app, size):
        assert snap_compare(demo_app(), terminal_size=size, run_before=_go_to_major)

    @pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
    def test_dashboard(self, snap_compare, demo_app, size):
        assert snap_compare(demo_app(), terminal_size=size, press=["d"])

    @pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
    def test_register(self, snap_compare, demo_app, size):
        assert snap_compare(demo_app(), terminal_size=size, press=["c"])


class TestOtherScreens:
    """The list of audits, one NC's corrective action, help and the light theme."""

    def test_picker(self, snap_compare, demo_app):
        async def listed(pilot):  # the audits are read in a worker thread: wait until they are listed
            from textual.widgets import DataTable

            from qms_audit.tui.screens.picker import PickerScreen

            for _ in range(400):
                await pilot.app.workers.wait_for_complete()
                screen = pilot.app.screen
                if (isinstance(screen, PickerScreen) and not screen.reading
                        and screen.query_one(DataTable).row_count):
                    break
                await pilot.pause(0.025)
            await pilot.pause()
        assert snap_compare(demo_app(None), terminal_size=SIZE, run_before=listed)

    def test_capa_of_the_major(self, snap_compare, demo_app):
        assert snap_compare(demo_app(), terminal_size=SIZE, press=["c", "down", "down", "enter"])

    def test_help(self, snap_compare, demo_app):
        assert snap_compare(demo_app(), terminal_size=SIZE, press=["question_mark"])

    def test_light_theme_checklist(self, snap_compare, demo_app):
        async def light(pilot):
            pilot.app.theme = "textual-light"
            await _go_to_major(pilot)
        assert snap_compare(demo_app(), terminal_size=SIZE, run_before=light)
