"""The Textual application: screens over one workspace, every action also in the command palette."""

from __future__ import annotations

import gc
from collections.abc import Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from qms_audit.infra.errors import QmsError
from qms_audit.infra.locations import Workspace
from qms_audit.views.session import AuditSession


class QmsAuditApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "qms-audit"
    BINDINGS = [
        Binding("question_mark", "help", "help", id="app.help"),
        Binding("ctrl+q", "quit", "quit", id="app.quit", priority=True),
        Binding("f2", "toggle_dark", "light/dark", id="app.theme", show=False),
        Binding("ctrl+o", "open_picker", "audits", id="app.audits", show=False),
    ]

    def __init__(self, workspace: Workspace, actor: str | None, *, audit_id: str | None = None,
                 keymap: dict[str, str] | None = None, theme: str | None = None, unit: str | None = None) -> None:
        super().__init__()
        self.workspace = workspace
        self.actor = actor or ""  # empty until the person says who they are (asked on first use)
        self.actor_unit = unit
        self.initial_audit = audit_id
        self.initial_keymap = keymap or {}
        if theme:
            self.theme = theme

    @property
    def who_label(self) -> str:
        return f"{self.actor} ({self.actor_unit})" if self.actor_unit else self.actor

    def on_mount(self) -> None:
        if self.initial_keymap:
            self.set_keymap(self.initial_keymap)
        if self.actor:
            self.start()
        else:
            self.ask_who()

    def ask_who(self) -> None:
        """First use: nothing may be recorded under a guessed name, so ask once and remember it outside the
        workspace (the same file `qms-audit whoami --set` writes)."""
        from qms_audit.infra.identity import identity_path, save_identity
        from qms_audit.tui.forms import Field, FormScreen

        def save(values: dict) -> None:
            identity = save_identity(str(values["name"]), str(values["unit"] or "") or None)
            self.actor, self.actor_unit = identity.name, identity.unit

        def done(values: dict | None) -> None:
            if values is None:
                self.exit(message="No name given: qms-audit records every change under a name, so nothing was "
                                  "opened. Give one with --as NAME, QMS_AUDIT_USER or `qms-audit whoami --set`.")
                return
            self.notify(f"changes are recorded as {self.who_label}", timeout=4)
            self.start()
        form = FormScreen("Who is auditing?", [
            Field("name", "Your name as it should stand in audit records", required=True),
            Field("unit", "Your home unit (the independence check compares it with the auditee)",
                  suggestions=self.unit_suggestions()),
        ], note=f"Asked once. Kept in {identity_path()}, outside the workspace; `qms-audit whoami --set` "
                "changes it, and --as or QMS_AUDIT_USER override it for one session.",
            submit_label="Continue", save=save)
        self.push_screen(form, done)

    def unit_suggestions(self) -> list[str]:
        try:
            from qms_audit.services.profile import maybe_profile

            profile = maybe_profile(self.workspace)
        except QmsError:
            return []
        return [unit.name for unit in profile.units] if profile is not None else []

    def start(self) -> None:
        if self.initial_audit:
            # straight to the audit; the list of audits (and its imports) waits until asked for (ctrl+o)
            self.open_audit(self.initial_audit)
        else:
            from qms_audit.tui.screens.picker import PickerScreen

            self.push_screen(PickerScreen(self.workspace, self.actor))

    def open_audit(self, audit_id: str) -> None:
        from qms_audit.tui.screens.audit import AuditScreen

        try:
            session = AuditSession(self.workspace, audit_id, self.actor)
        except QmsError as exc:
            self.notify(exc.message, title=f"Cannot open {audit_id}", severity="error", timeout=10)
            return
        # The standard and the audit stay in memory for the whole session: moving them out of the garbage
        # collector's young generations keeps its pauses out of the auditor's key presses.
        gc.collect()
        gc.freeze()
        self.push_screen(AuditScreen(session))

    def flush_all(self) -> None:
        """Commit whatever is being typed on any open screen (before leaving it or quitting)."""
        for screen in self.screen_stack:
            flush = getattr(screen, "flush_note", None)
            if flush is not None:
                flush()

    async def action_quit(self) -> None:
        self.flush_all()
        self.exit()

    def action_open_picker(self) -> None:
        from qms_audit.tui.screens.picker import PickerScreen

        self.flush_all()
        if not any(isinstance(s, PickerScreen) for s in self.screen_stack):
            self.push_screen(PickerScreen(self.workspace, self.actor))
            return
        while len(self.screen_stack) > 1 and not isinstance(self.screen, PickerScreen):
            self.pop_screen()

    def open_checks(self, screen: Screen | None = None) -> None:
        from qms_audit.tui.screens.checks import ChecksScreen

        session = getattr(screen, "session", None)
        self.push_screen(ChecksScreen(self.workspace, self.actor, audit_id=session.audit_id if session else None))

    def open_management(self) -> None:
        from qms_audit.tui.screens.management import ManagementScreen

        self.flush_all()
        if not isinstance(self.screen, ManagementScreen):
            self.push_screen(ManagementScreen(self.workspace, self.actor))

    def action_help(self) -> None:
        from qms_audit.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle_dark(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # the current screen's own actions first, then Textual's (theme, keys, quit, screenshot)
        commands = getattr(screen, "palette_commands", None)
        if commands is not None:
            for title, help_text, callback in commands():
                yield SystemCommand(title, help_text, callback)
        yield SystemCommand("Help", "Every key of every screen (?)", self.action_help)
        yield SystemCommand("Audits", "Back to the list of audits (ctrl+o)", self.action_open_picker)
        if screen.__class__.__name__ != "ChecksScreen":
            yield SystemCommand("Quality checks", "Desk review of documents and the catalogue check",
                                lambda: self.open_checks(screen))
        if screen.__class__.__name__ != "ManagementScreen":
            yield SystemCommand("Management dashboard", "Trends across audits, programme, review actions",
                                self.open_management)
        yield from super().get_system_commands(screen)


def run_tui(workspace: Workspace, explicit_actor: str | None, audit_id: str | None = None, *,
            theme: str | None = None) -> None:
    """Open the TUI as `--as NAME`, else QMS_AUDIT_USER, else the saved identity; with none, the TUI asks."""
    from qms_audit.infra.identity import resolve_identity
    from qms_audit.tui.keymap import keymap_files, load_keymap

    identity = resolve_identity(explicit_actor)

    keymap: dict[str, str] = {}
    if keymap_files(workspace):  # checking ids imports every screen; only worth it when there is a keymap
        from qms_audit.tui.screens.help import all_binding_ids

        keymap = load_keymap(workspace, all_binding_ids())
    if audit_id is not None:
        from qms_audit.services.auditing import audit_store

        audit_store(workspace, audit_id)  # an unknown id fails here, with a hint, before the screen opens
    from qms_audit.infra.workers import start_process_server

    start_process_server(workspace)  # before the app takes over the terminal's streams
    app = QmsAuditApp(workspace, identity.name if identity else None, audit_id=audit_id, keymap=keymap, theme=theme,
                      unit=identity.unit if identity else None)
    app.run()
