"""Every key of every screen, with the keymap applied, so a newcomer needs nothing else."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

INTRO = (
    "qms-audit walks you through a standard clause by clause. Pick a requirement in the checklist (arrows), "
    "read the question and the evidence prompts, record evidence (e), rate it (1 conformity, 2 good practice, "
    "3 OFI, 4 observation, 5 minor NC, 6 major NC, x not applicable, u clear; 0-4 for standards rated on "
    "levels) and write notes (n). Every change is saved at once; notes are saved as you type. Findings are "
    "raised by rating; take NCs through corrective action in the register (c). ctrl+p searches every action; "
    "keys can be changed in keymap.yaml (binding ids on the right)."
)


def screens_and_bindings():
    from qms_audit.tui.app import QmsAuditApp
    from qms_audit.tui.forms import FormScreen
    from qms_audit.tui.screens.audit import AuditScreen
    from qms_audit.tui.screens.checks import ChecksScreen
    from qms_audit.tui.screens.dashboard import DashboardScreen
    from qms_audit.tui.screens.management import ManagementScreen
    from qms_audit.tui.screens.picker import PickerScreen
    from qms_audit.tui.screens.register import CapaScreen, RegisterScreen

    return [("Everywhere", QmsAuditApp.BINDINGS), ("Audit list", PickerScreen.BINDINGS),
            ("Checklist and requirement", AuditScreen.BINDINGS), ("Dashboard", DashboardScreen.BINDINGS),
            ("NC and CAPA register", RegisterScreen.BINDINGS), ("One NC's corrective action", CapaScreen.BINDINGS),
            ("Quality checks", ChecksScreen.BINDINGS), ("Management dashboard", ManagementScreen.BINDINGS),
            ("Forms", FormScreen.BINDINGS)]


def all_binding_ids() -> set[str]:
    return {b.id for _, bindings in screens_and_bindings() for b in bindings if isinstance(b, Binding) and b.id}


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "app.pop_screen", "close", id="help.close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 96%; height: 94%; border: thick $accent; background: $surface; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        scroll = VerticalScroll()
        # how to leave is said where the eye starts and where it ends
        scroll.border_title = "Help: esc, ? or q closes it"
        scroll.border_subtitle = "↑ ↓ pgup pgdn scroll · esc closes"
        with scroll:
            yield Static(id="help-body")

    def on_mount(self) -> None:
        keymap = getattr(self.app, "_keymap", {}) or {}
        parts: list = [Text(INTRO + "\n")]
        for where, bindings in screens_and_bindings():
            table = Table(show_header=False, box=None, expand=True, padding=(0, 1))
            table.add_column("key", no_wrap=True, min_width=8, style="bold")
            table.add_column("does", ratio=1)
            table.add_column("id", style="dim", no_wrap=True)
            for b in bindings:
                if not isinstance(b, Binding):
                    continue
                keys = keymap.get(b.id, b.key) if b.id else b.key
                shown = ", ".join(self.app.get_key_display(Binding(k.strip(), "")) for k in keys.split(","))
                table.add_row(shown, b.tooltip or b.description or b.action, b.id or "")
            parts += [Text(where, style="bold underline"), table, Text("")]
        self.query_one("#help-body", Static).update(_group(*parts))


def _group(*parts):
    from rich.console import Group

    return Group(*parts)
