"""The auditor's session in the TUI: complete at every terminal size, nothing typed ever lost, and always
clear who is recording. Driven with Pilot on copies of the demo workspace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import DataTable, Select, Static, TextArea

from qms_audit.infra.locations import Workspace
from qms_audit.store.drafts import REGISTER_DRAFTS, DraftStore
from qms_audit.tui.app import QmsAuditApp
from qms_audit.tui.forms import FormScreen
from qms_audit.tui.screens.audit import AuditScreen
from qms_audit.tui.screens.register import CapaScreen, RegisterScreen
from qms_audit.tui.widgets.checklist import Checklist
from tests.test_tui import audit_files, fill, jump, plain

DEMO = "demo-2026-foe"
ACTOR = "Dr Farah Aziz"
SIZES = [(80, 24), (100, 30), (120, 40), (160, 48), (200, 60)]


@pytest.fixture(autouse=True)
def _fixed(monkeypatch, tmp_path):
    monkeypatch.setenv("QMS_AUDIT_NOW", "2026-11-28T10:00:00Z")
    monkeypatch.setenv("QMS_AUDIT_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("QMS_AUDIT_CONFIG_DIR", str(tmp_path / "config"))


def screen_text(app) -> str:
    """Every line the terminal shows right now."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def squeeze(text: str) -> str:
    """The screen's words in order, whatever the wrapping and the borders between them."""
    return " ".join(word for word in text.split() if word not in ("│", "▊", "▎"))


def demo_app(ws: Path, actor: str | None = ACTOR) -> QmsAuditApp:
    return QmsAuditApp(Workspace(ws), actor, audit_id=DEMO)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_first_paint_shows_the_requirement_its_rating_and_newest_evidence(demo_workspace, size):
    app = demo_app(demo_workspace)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        ref = screen.ref
        session = screen.session
        shown = squeeze(screen_text(app))
        question = " ".join(session.requirement(ref).question.split()[:6])
        newest = " ".join(session.result(ref).evidence[-1].text.split()[:4])
        assert question in shown
        assert "Rating: Conformity" in shown
        assert newest in shown  # without scrolling, at 80x24 too
        assert f"as {ACTOR}" in shown


async def test_wide_screens_give_the_checklist_room_for_whole_titles(demo_workspace):
    app = demo_app(demo_workspace)
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        checklist = app.screen.query_one(Checklist)
        assert checklist.size.width > 60
        title = app.screen.session.requirement("1.1.a").title
        assert title in screen_text(app)
    narrow = demo_app(demo_workspace)
    async with narrow.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert narrow.screen.query_one(Checklist).outer_size.width == 38  # the minimum, as before


async def test_esc_is_shown_while_the_note_is_being_written(demo_workspace):
    app = demo_app(demo_workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        footer = screen_text(app).splitlines()[-1]
        assert "esc" not in footer
        await pilot.press("n")
        await pilot.pause()
        footer = screen_text(app).splitlines()[-1]
        assert "esc back to checklist" in footer
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.focused, Checklist)


async def test_first_use_asks_who_is_auditing_and_remembers_it(demo_workspace, monkeypatch, tmp_path):
    monkeypatch.delenv("QMS_AUDIT_USER", raising=False)
    app = demo_app(demo_workspace, actor=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, FormScreen)
        await pilot.press("ctrl+s")  # a name is required: the form stays
        await pilot.pause()
        assert isinstance(app.screen, FormScreen)
        fill(app.screen, name="Dr Nur Hidayah", unit="Faculty of Business")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, AuditScreen)
        assert "as Dr Nur Hidayah (Faculty of Business)" in screen_text(app)
        session = app.screen.session
        ref = next(r.ref for r in session.requirements() if not session.is_assessed(r.ref)
                   and session.result(r.ref).grade.value == "not_assessed")
        await jump(pilot, ref)
        await pilot.press("1")
        await pilot.pause()
    saved = (tmp_path / "config" / "identity.yaml").read_text()
    assert "Dr Nur Hidayah" in saved and "Faculty of Business" in saved
    assert audit_files(demo_workspace, DEMO)["results"][ref]["rated_by"] == "Dr Nur Hidayah"
    # the next session knows the name without asking
    from qms_audit.infra.identity import resolve_identity

    again = resolve_identity(None)
    assert again is not None and (again.name, again.unit) == ("Dr Nur Hidayah", "Faculty of Business")


async def test_declining_to_give_a_name_opens_nothing(demo_workspace, monkeypatch):
    monkeypatch.delenv("QMS_AUDIT_USER", raising=False)
    before = audit_files(demo_workspace, DEMO)
    app = demo_app(demo_workspace, actor=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert app.return_code == 0 and not app.is_running
    assert audit_files(demo_workspace, DEMO) == before


async def test_a_refused_evidence_save_keeps_the_form_and_says_why_under_the_field(demo_workspace):
    app = demo_app(demo_workspace)
    async with app.run_test(size=(100, 30)) as pilot:
        await jump(pilot, "7.1.a")
        count = len(app.screen.session.result("7.1.a").evidence)
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FormScreen)
        fill(form, text="Staffing plan 2026 sampled", sample="12", population="5")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        assert "larger than its population" in plain(form.query_one("#error-sample", Static))
        assert form.query_one("#field-text", TextArea).text == "Staffing plan 2026 sampled"
        fill(form, file=str(demo_workspace / "no-such-file.pdf"), population="40")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        assert "no-such-file.pdf" in plain(form.query_one("#error-file", Static))
        fill(form, file="")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, AuditScreen)
    evidence = audit_files(demo_workspace, DEMO)["results"]["7.1.a"]["evidence"]
    assert len(evidence) == count + 1
    assert evidence[-1]["text"] == "Staffing plan 2026 sampled"
    assert evidence[-1]["sample"] == {"size": 12, "population": 40}
    assert DraftStore(demo_workspace, DEMO).pending_forms() == []


async def test_text_typed_in_a_form_survives_a_dead_session(demo_workspace):
    """The session dies with the evidence form open: the next one reopens it with every field as typed."""
    app = demo_app(demo_workspace)
    async with app.run_test(size=(100, 30)) as pilot:
        await jump(pilot, "7.1.a")
        await pilot.press("e")
        await pilot.pause()
        await pilot.click("#field-text")
        await pilot.press(*"Interview with the LMS manager")
        await pilot.pause()
        # the process dies here: nothing is saved on the way out
        app.flush_all = lambda: None
    assert all(e["text"] != "Interview with the LMS manager"
               for e in audit_files(demo_workspace, DEMO)["results"]["7.1.a"]["evidence"])
    again = demo_app(demo_workspace)
    async with again.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        form = again.screen
        assert isinstance(form, FormScreen)
        assert form.query_one("#field-text", TextArea).text == "Interview with the LMS manager"
        assert again.screen_stack[-2].ref == "7.1.a"
        await pilot.press("ctrl+s")
        await pilot.pause()
    texts = [e["text"] for e in audit_files(demo_workspace, DEMO)["results"]["7.1.a"]["evidence"]]
    assert texts[-1] == "Interview with the LMS manager"


async def test_esc_in_a_form_with_typed_text_asks_before_discarding(demo_workspace):
    app = demo_app(demo_workspace)
    async with app.run_test(size=(100, 30)) as pilot:
        await jump(pilot, "7.1.a")
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        fill(form, text="half a thought")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is form
        assert "esc again discards" in plain(form.query_one("#form-error", Static))
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AuditScreen)
    assert DraftStore(demo_workspace, DEMO).pending_forms() == []


async def test_a_refused_verification_keeps_the_capa_form(demo_workspace):
    """The verifier may not be an action owner: the form stays, with the reason under the verifier."""
    from qms_audit.model.audit import ActionStatus
    from qms_audit.services import capa

    ws = Workspace(demo_workspace)
    finding = capa.locate(ws, "NC-2026-FOE-801").finding
    planned = [a for a in finding.capa.actions if a.status is ActionStatus.PLANNED]
    capa.update(ws, finding.id, actor=ACTOR, done=[a.id for a in planned], done_note="gate in place")
    owner = planned[0].owner
    app = demo_app(demo_workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("c")
        await pilot.pause()
        register = app.screen
        assert isinstance(register, RegisterScreen)
        table = register.query_one(DataTable)
        table.move_cursor(row=table.get_row_index(finding.id))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CapaScreen)
        await pilot.press("v")
        await pilot.pause()
        form = app.screen
        fill(form, by=owner, method="Re-sampled five micro-credentials launched since")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        assert "owns an action" in plain(form.query_one("#error-by", Static))
        assert form.query_one("#field-method", TextArea).text == "Re-sampled five micro-credentials launched since"
        drafts = DraftStore(demo_workspace, REGISTER_DRAFTS).pending_forms()
        assert [d.key for d in drafts] == [f"capa.verify:{finding.id}"]
        fill(form, by="Prof Aminah Yusof")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, CapaScreen)
    assert capa.locate(ws, finding.id).finding.capa.verifications[-1].by == "Prof Aminah Yusof"
    assert DraftStore(demo_workspace, REGISTER_DRAFTS).pending_forms() == []


@pytest.mark.parametrize("width", [80, 120, 200])
async def test_the_register_shows_whole_dates_and_uses_the_width(demo_workspace, width):
    app = demo_app(demo_workspace)
    async with app.run_test(size=(width, 30)) as pilot:
        await pilot.press("c")
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        widths = {str(c.key.value): c.width for c in table.columns.values()}
        assert widths["due"] >= 10
        assert sum(widths.values()) + 2 * len(widths) <= width
        text = screen_text(app)
        from qms_audit.infra import clock
        from qms_audit.services import capa

        rows = [r for r in capa.register_rows(Workspace(demo_workspace), today=clock.today())
                if r.finding.grade.is_nc and r.audit_id == DEMO and r.stage != "withdrawn"]
        for r in rows:
            if r.next_due:
                assert r.next_due.isoformat() in text
            assert r.finding.ref in text
        if width >= 200:
            assert widths["statement"] > 100
            longest = max(rows, key=lambda r: len(r.finding.statement)).finding.statement
            assert " ".join(longest.split()[:10]) in text


def test_draft_store_keeps_forms_apart_and_drops_damaged_files(tmp_path, monkeypatch):
    monkeypatch.setenv("QMS_AUDIT_STATE", str(tmp_path / "s"))
    store = DraftStore(tmp_path / "ws", "a1")
    store.save_form("evidence:8.1.c", {"text": "one"})
    store.save_form("evidence:8.1.c/x", {"text": "two"})
    assert {d.key: d.values["text"] for d in store.pending_forms()} == {"evidence:8.1.c": "one",
                                                                         "evidence:8.1.c/x": "two"}
    damaged = next(store.folder.glob("form-*.json"))
    damaged.write_text(json.dumps({"key": "k", "values": {"text": 3}, "at": "x"}))
    assert len(store.pending_forms()) == 1
    store.clear_form("evidence:8.1.c/x")
    store.clear_form("evidence:8.1.c")
    assert store.pending_forms() == []


async def test_evidence_is_edited_removed_and_linked_in_the_tui(demo_workspace):
    app = demo_app(demo_workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await jump(pilot, "7.3.a")
        session = app.screen.session
        # two entries to work with
        for text in ("Awareness briefing slides, March 2026", "Attendance list of the briefing"):
            await pilot.press("e")
            await pilot.pause()
            fill(app.screen, text=text)
            await pilot.press("ctrl+s")
            await pilot.pause()
        first, second = session.result("7.3.a").evidence[-2:]
        # E on a requirement with several entries asks which, then edits it with a reason
        await pilot.press("E")
        await pilot.pause()
        fill(app.screen, entry=first.id)
        await pilot.press("ctrl+s")
        await pilot.pause()
        fill(app.screen, text="Awareness briefing slides, March 2026 (v2, approved)", reason="version seen was v2")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, AuditScreen)
        # a rating that raises an OFI asks for the opportunity, not a failing, and links the evidence
        await pilot.press("3")
        await pilot.pause()
        assert "opportunity" in plain(app.screen.query_one(".form-label")).lower()
        assert "does not meet" not in plain(app.screen.query_one(".form-note"))
        fill(app.screen, statement="Briefings could be recorded for staff who miss them")
        await pilot.press("ctrl+s")
        await pilot.pause()
        finding = session.findings_for("7.3.a")[-1]
        assert set(finding.evidence_ids) >= {first.id, second.id}
        # evidence added later is linked from the form; an existing entry can be linked with l
        await pilot.press("e")
        await pilot.pause()
        fill(app.screen, text="Recording policy draft", finding=finding.id)
        await pilot.press("ctrl+s")
        await pilot.pause()
        newest = session.result("7.3.a").evidence[-1]
        assert newest.id in session.findings_for("7.3.a")[-1].evidence_ids
        # remove the second entry, with a reason: it leaves the finding's links too
        await pilot.press("E")
        await pilot.pause()
        fill(app.screen, entry=second.id)
        await pilot.press("ctrl+s")
        await pilot.pause()
        fill(app.screen, action="remove", reason="duplicate of the slides")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, AuditScreen)
    files = audit_files(demo_workspace, DEMO)
    entries = {e["id"]: e for e in files["results"]["7.3.a"]["evidence"]}
    assert entries[first.id]["text"] == "Awareness briefing slides, March 2026 (v2, approved)"
    assert second.id not in entries
    assert second.id not in files["findings"][finding.id]["evidence_ids"]
    log = (demo_workspace / "audits" / DEMO / "log")
    actions = [json.loads(p.read_text())["action"] for p in sorted(log.glob("*.json"))]
    assert "evidence.edit" in actions and "evidence.remove" in actions
    from qms_audit.store.verify import verify_audit

    assert verify_audit(Workspace(demo_workspace), DEMO).ok


async def test_link_evidence_recorded_before_the_finding_was_linked_later(demo_workspace):
    app = demo_app(demo_workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await jump(pilot, "8.1.c")
        session = app.screen.session
        finding = session.findings_for("8.1.c")[-1]
        unlinked_before = [e.id for e in session.result("8.1.c").evidence if e.id not in finding.evidence_ids]
        await pilot.press("e")
        await pilot.pause()
        fill(app.screen, text="Launch calendar 2026 without a validation step")
        app.screen.query_one("#field-finding", Select).value = Select.NULL  # linked to nothing for now
        await pilot.press("ctrl+s")
        await pilot.pause()
        added = session.result("8.1.c").evidence[-1]
        assert added.id not in session.findings_for("8.1.c")[-1].evidence_ids
        await pilot.press("l")
        await pilot.pause()
        fill(app.screen, entry=added.id)
        await pilot.press("ctrl+s")
        await pilot.pause()
    linked = audit_files(demo_workspace, DEMO)["findings"][finding.id]["evidence_ids"]
    assert added.id in linked
    assert all(e not in linked for e in unlinked_before)


async def test_help_says_how_to_close_it(demo_workspace):
    app = demo_app(demo_workspace)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert "esc, ? or q closes it" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AuditScreen)
