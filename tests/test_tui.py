"""The auditor's TUI driven with Pilot: a whole audit from planning to a closed CAPA, saving as it goes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Select, TextArea

from qms_audit.infra.locations import Workspace
from qms_audit.tui.app import QmsAuditApp
from qms_audit.tui.forms import FormScreen
from qms_audit.tui.screens.audit import NOTE_SAVE_DELAY, AuditScreen
from qms_audit.tui.screens.dashboard import DashboardScreen
from qms_audit.tui.screens.register import CapaScreen, RegisterScreen
from qms_audit.tui.widgets.checklist import Checklist

ACTOR = "Dr Farah Aziz"


@pytest.fixture(autouse=True)
def _fixed_time(monkeypatch, tmp_path):
    monkeypatch.setenv("QMS_AUDIT_NOW", "2026-10-12T09:00:00Z")
    monkeypatch.setenv("QMS_AUDIT_STATE", str(tmp_path / "state"))


def fill(screen, **values) -> None:
    for name, value in values.items():
        widget = screen.query_one(f"#field-{name}")
        if isinstance(widget, TextArea):
            widget.load_text(value)
        elif isinstance(widget, Select):
            widget.value = value
        else:
            assert isinstance(widget, Input)
            widget.value = value


def plain(widget) -> str:
    """What a Static shows, as text."""
    from rich.console import Console

    console = Console(width=200, record=True, file=open(__import__("os").devnull, "w"))  # noqa: SIM115
    console.print(widget.content)
    return console.export_text()


def audit_files(ws: Path, audit_id: str) -> dict:
    folder = ws / "audits" / audit_id
    results = {}
    for path in (folder / "results").glob("*.json"):
        results.update(json.loads(path.read_text())["results"])
    findings = {p.stem: json.loads(p.read_text()) for p in (folder / "findings").glob("*.json")}
    return {"record": json.loads((folder / "audit.json").read_text()), "results": results, "findings": findings}


async def jump(pilot, ref: str, expect: str | None = None) -> None:
    await pilot.press("slash")
    await pilot.pause()
    fill(pilot.app.screen, ref=ref)
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, AuditScreen)
    assert pilot.app.screen.ref == (expect or ref)


async def test_a_whole_audit_from_planning_to_closed_capa(workspace):
    app = QmsAuditApp(Workspace(workspace), ACTOR)
    async with app.run_test(size=(120, 40)) as pilot:
        # plan the audit in the form
        await pilot.press("n")
        await pilot.pause()
        fill(app.screen, title="Internal audit of the Business School", auditee="Faculty of Business",
             unit_code="FOB", lead="Dr Farah Aziz (Quality Assurance Unit)", team="Mr Daniel Reyes (Faculty of Law)",
             start="2026-10-12", end="2026-10-13")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, AuditScreen)
        audit_id = app.screen.session.audit_id
        assert audit_id == "2026-fob-mc-qms"

        # rate one requirement in every clause, with evidence on one of them
        std = app.screen.session.standard
        firsts = [next(c.all_requirements()).ref for c in std.auditable_clauses()]
        for ref in firsts:
            await jump(pilot, ref)
            await pilot.press("1")
            await pilot.pause()
        await jump(pilot, "4.2.a")
        await pilot.press("e")
        await pilot.pause()
        fill(app.screen, phase="P", kind="document", text="Approved needs-analysis SOP v2", reference="FOB-SOP-02",
             sample="3", population="9")
        await pilot.press("ctrl+s")
        await pilot.pause()
        # an NC: rating 6 asks for the finding statement
        await jump(pilot, "8.1.c")
        await pilot.press("6")
        await pilot.pause()
        fill(app.screen, statement="Two of three sampled micro-credentials launched without industry validation")
        await pilot.press("ctrl+s")
        await pilot.pause()
        checklist = app.screen.query_one(Checklist)
        assert "MAJ" in checklist.req_nodes["8.1.c"].label.plain

        files = audit_files(workspace, audit_id)
        assert {ref: r["grade"] for ref, r in files["results"].items() if ref in firsts} == dict.fromkeys(firsts,
                                                                                                           "conformity")
        evidence = files["results"]["4.2.a"]["evidence"][0]
        assert evidence["phase"] == "P" and evidence["sample"] == {"size": 3, "population": 9}
        assert evidence["collected_by"] == ACTOR
        nc_id = "NC-2026-FOB-801"
        assert files["findings"][nc_id]["grade"] == "major_nc"

        # the dashboard shows the open major
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        verdict = plain(app.screen.query_one("#verdict"))
        assert "Not conforming" in verdict and "1 open major" in verdict

        # take the NC through CAPA in the register
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, RegisterScreen)
        assert app.screen.query_one(DataTable).row_count == 1
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CapaScreen)
        steps = [("k", {"text": "Enrolment paused"}),
                 ("r", {"method": "5-whys", "statement": "No validation gate in the launch calendar"}),
                 ("s", {"text": "All 9 MCs checked; 2 affected"}),
                 ("a", {"description": "Add a validation gate", "owner": "Dr Tan", "due": "2026-11-01"})]
        for key, values in steps:
            await pilot.press(key)
            await pilot.pause()
            fill(app.screen, **values)
            await pilot.press("ctrl+s")
            await pilot.pause()
        # closing too early is refused with the same gate as the CLI; the form stays open with the reason
        await pilot.press("l")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert audit_files(workspace, audit_id)["findings"][nc_id]["capa"].get("closed_at") is None
        assert isinstance(app.screen, FormScreen)
        assert "Not saved" in plain(app.screen.query_one("#form-error"))
        await pilot.press("escape")  # nothing typed: leaves at once
        await pilot.pause()
        assert isinstance(app.screen, CapaScreen)
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        # the action owner may not verify: refused, and the form keeps what was typed to correct it
        await pilot.press("v")
        await pilot.pause()
        fill(app.screen, by="Dr Tan", method="Sampled 3 MCs launched after the gate")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not audit_files(workspace, audit_id)["findings"][nc_id]["capa"].get("verifications")
        assert isinstance(app.screen, FormScreen)
        fill(app.screen, by=ACTOR)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, CapaScreen)
        await pilot.press("l")
        await pilot.pause()
        fill(app.screen, note="verified effective")
        await pilot.press("ctrl+s")
        await pilot.pause()
        capa_record = audit_files(workspace, audit_id)["findings"][nc_id]["capa"]
        assert capa_record["closed_by"] == ACTOR
        assert [h["stage"] for h in capa_record["history"]][-1] == "closed"

        # back on the checklist the score no longer caps clause 8
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AuditScreen)
        assert app.screen.session.score().findings["major_nc"] == {"total": 1, "open": 0}
    # every change went through the record layer: the log verifies
    from qms_audit.store.verify import verify_audit

    report = verify_audit(Workspace(workspace), audit_id)
    assert report.ok, report.problems
    assert report.entries > 15


@pytest.fixture
def planned(cli, workspace) -> str:
    assert cli("-w", workspace, "audit", "new", "--standard", "mc-qms", "--title", "t", "--auditee",
               "Faculty of Engineering", "--lead", "Dr Lee (QA Unit)", "--id", "tui-audit").code == 0
    return "tui-audit"


async def test_notes_are_saved_as_they_are_typed(workspace, planned):
    app = QmsAuditApp(Workspace(workspace), ACTOR, audit_id=planned)
    async with app.run_test() as pilot:
        await jump(pilot, "5.2.a")
        await pilot.press("n")
        await pilot.press(*"policy v2 seen")
        await pilot.pause(NOTE_SAVE_DELAY + 0.4)
        # saved on disk while the app is still running
        assert audit_files(workspace, planned)["results"]["5.2.a"]["note"] == "policy v2 seen"
        await pilot.press(*" and approved")
        # leaving the requirement commits at once, without waiting
        await pilot.press("escape", "right_square_bracket")
        await pilot.pause()
        assert audit_files(workspace, planned)["results"]["5.2.a"]["note"] == "policy v2 seen and approved"


async def test_typed_text_survives_a_crash_through_its_draft(workspace, planned):
    """A session that dies before the note is committed: the next session finds the draft and saves it."""
    app = QmsAuditApp(Workspace(workspace), ACTOR, audit_id=planned)
    async with app.run_test() as pilot:
        await jump(pilot, "6.1.a")
        await pilot.press("n")
        await pilot.press(*"risk register lists 1 risk")
        screen = app.screen
        # the process dies here: stop the timer so nothing is committed, and skip every exit hook
        screen.note_timer.stop()
        screen.flush_note = lambda: None
        app.flush_all = lambda: None
    assert "6.1.a" not in audit_files(workspace, planned)["results"]
    again = QmsAuditApp(Workspace(workspace), ACTOR, audit_id=planned)
    async with again.run_test() as pilot:
        await pilot.pause()
        assert audit_files(workspace, planned)["results"]["6.1.a"]["note"] == "risk register lists 1 risk"


async def test_closed_audit_opens_read_only_with_a_banner(cli, workspace, planned):
    assert cli("-w", workspace, "audit", "status", planned, "in_progress").code == 0
    assert cli("-w", workspace, "audit", "status", planned, "reported").code == 0
    assert cli("-w", workspace, "audit", "close", planned).code == 0
    before = audit_files(workspace, planned)
    app = QmsAuditApp(Workspace(workspace), ACTOR, audit_id=planned)
    async with app.run_test() as pilot:
        await pilot.pause()
        banner = plain(app.screen.query_one("#banner"))
        assert "READ-ONLY" in banner and "closed" in banner
        await pilot.press("1")
        await pilot.pause()
        assert app.screen.query_one("#note", TextArea).read_only
    assert audit_files(workspace, planned) == before


async def test_a_stale_view_does_not_overwrite_another_writer(cli, workspace, planned):
    app = QmsAuditApp(Workspace(workspace), ACTOR, audit_id=planned)
    async with app.run_test() as pilot:
        await jump(pilot, "4.1.a")
        # meanwhile someone rates it from the command line
        assert cli("-w", workspace, "--as", "Ms Ong", "audit", "rate", planned, "4.1.a", "--grade", "ofi", "--note",
                   "theirs").code == 0
        await pilot.press("1")
        await pilot.pause()
        assert audit_files(workspace, planned)["results"]["4.1.a"]["grade"] == "ofi"  # theirs kept


async def test_filters_jump_and_navigation(workspace, planned):
    app = QmsAuditApp(Workspace(workspace), ACTOR, audit_id=planned)
    async with app.run_test() as pilot:
        screen = app.screen
        screen.apply_filter("should")
        await pilot.pause()
        refs = list(screen.query_one(Checklist).req_nodes)
        std = screen.session.standard
        assert refs and all(std.requirement(r).force.value == "should" for r in refs)
        screen.apply_filter("all")
        await jump(pilot, "9.2", expect="9.2.1.a")  # a prefix jumps to the first match
        await pilot.press("right_square_bracket")
        assert screen.ref == "9.2.1.b"
        await pilot.press("left_square_bracket")
        assert screen.ref == "9.2.1.a"


async def test_help_lists_every_key_and_the_palette_has_screen_actions(workspace, planned):
    app = QmsAuditApp(Workspace(workspace), ACTOR, audit_id=planned)
    async with app.run_test(size=(100, 40)) as pilot:
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Add evidence" in titles and "NC and CAPA register" in titles and "Rate: not applicable" in titles
        await pilot.press("question_mark")
        await pilot.pause()
        text = plain(app.screen.query_one("#help-body"))
        for binding_id in ("rate.1", "evidence.add", "req.jump", "capa.verify", "picker.new", "app.help"):
            assert binding_id in text


async def test_keys_can_be_remapped(workspace, planned):
    (workspace / "keymap.yaml").write_text("evidence.add: ctrl+e\n")
    from qms_audit.tui.keymap import load_keymap
    from qms_audit.tui.screens.help import all_binding_ids

    keymap = load_keymap(Workspace(workspace), all_binding_ids())
    app = QmsAuditApp(Workspace(workspace), ACTOR, audit_id=planned, keymap=keymap)
    async with app.run_test() as pilot:
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert "Evidence for" in plain(app.screen.query_one(".form-title"))


def test_bad_keymap_is_a_located_error(workspace):
    from qms_audit.infra.errors import InvalidFile
    from qms_audit.tui.keymap import load_keymap
    from qms_audit.tui.screens.help import all_binding_ids

    (workspace / "keymap.yaml").write_text("evidence.ad: ctrl+e\n")
    with pytest.raises(InvalidFile) as err:
        load_keymap(Workspace(workspace), all_binding_ids())
    assert "keymap.yaml:1" in str(err.value.problems[0]) and "did you mean 'evidence.add'" in str(err.value.problems[0])


async def test_levels_standard_is_rated_with_digits(cli, workspace):
    assert cli("-w", workspace, "audit", "new", "--standard", "mc-readiness", "--title", "Readiness 2026",
               "--auditee", "University", "--lead", "Dr Lee (QA Unit)", "--id", "ready").code == 0
    app = QmsAuditApp(Workspace(workspace), ACTOR, audit_id="ready")
    async with app.run_test() as pilot:
        await jump(pilot, "1.a")
        await pilot.press("3")
        await pilot.pause()
    assert audit_files(workspace, "ready")["results"]["1.a"] == {
        "level": 3, "rated_by": ACTOR, "rated_at": "2026-10-12T09:00:00Z"}


async def test_the_audit_list_is_read_in_the_background(tmp_path, monkeypatch):
    """Ten thousand audits take seconds to list: they are read in a worker thread while the screen answers, and
    a reload keeps the audit that was selected."""
    import datetime as dt
    import threading

    from qms_audit.demo.portfolio import generate_sample_workspace
    from qms_audit.infra import clock
    from qms_audit.tui.screens import picker

    root = tmp_path / "ws"
    with clock.using(lambda: dt.datetime(2026, 10, 12, 9, tzinfo=dt.UTC)):
        generate_sample_workspace(root, audits=12, years=2, seed=3)
    monkeypatch.setenv("QMS_AUDIT_CACHE", str(tmp_path / "cache"))
    release = threading.Event()
    original = picker.load_digests

    def slow(*args, **kwargs):
        kwargs["progress"](5, 12)  # as reading from the documents reports it
        release.wait(30)
        return original(*args, **kwargs)

    monkeypatch.setattr(picker, "load_digests", slow)
    app = QmsAuditApp(Workspace(root), ACTOR)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, picker.PickerScreen)
        assert "Reading audits: 5 of 12 (workspace ws)" in plain(screen.query_one("#picker-title"))
        assert screen.query_one(DataTable).row_count == 0
        await pilot.press("question_mark")  # the screen answers while the audits are read
        await pilot.pause()
        assert app.screen is not screen
        await pilot.press("escape")
        await pilot.pause()
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = screen.query_one(DataTable)
        ids = Workspace(root).audit_ids()
        assert [str(key.value) for key in table.rows] == ids
        assert "Audits in workspace ws" in plain(screen.query_one("#picker-title"))
        table.move_cursor(row=5)
        screen.reload()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert table.row_count == len(ids)
        assert screen._selected_id() == ids[5]
