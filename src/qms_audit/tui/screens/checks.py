"""The quality manager's checks in the TUI: a desk review of a folder of documents and the credential check
(catalogues, Europass and Open Badges credentials).

Both run in a worker thread (the screen stays responsive and shows progress) and call the same functions as
`qms-audit docs check` and `qms-audit credentials check`.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, ProgressBar, Static

from qms_audit.infra import clock
from qms_audit.infra.errors import QmsError
from qms_audit.infra.locations import Workspace
from qms_audit.tui.forms import Field, FormScreen

STATE_STYLE = {"current": "green", "missing": "bold red", "incomplete": "red", "draft": "yellow",
               "overdue": "red", "unknown-dates": "yellow"}


class ChecksScreen(Screen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "back", id="checks.back"),
        Binding("r", "desk_review", "desk review", id="checks.desk_review"),
        Binding("k", "catalogue", "credential check", id="checks.catalogue"),
    ]
    DEFAULT_CSS = """
    ChecksScreen #checks-intro { padding: 0 1; }
    ChecksScreen ProgressBar { padding: 0 1; display: none; }
    ChecksScreen ProgressBar.running { display: block; }
    ChecksScreen VerticalScroll { padding: 0 1; }
    """

    def __init__(self, workspace: Workspace, actor: str, audit_id: str | None = None) -> None:
        super().__init__()
        self.workspace = workspace
        self.actor = actor
        self.audit_id = audit_id

    def compose(self) -> ComposeResult:
        yield Static(Text.assemble(("Quality checks", "bold"), "\nr: desk review of a folder of the institution's "
                                   "documents (which required SOPs exist, complete, approved, not overdue)\n"
                                   "k: check micro-credentials against the EU standard elements: a catalogue (.xlsx, "
                                   ".csv), Europass or Open Badges credentials, or a folder of them"),
                          id="checks-intro")
        yield ProgressBar(id="progress", show_eta=False)
        with VerticalScroll():
            yield Static("", id="results")
        yield Footer()

    # -- desk review ------------------------------------------------------------------------------------------

    def action_desk_review(self) -> None:
        fields = [Field("folder", "Folder of documents (.docx, .md, .pdf)", required=True,
                        value=str(Path.cwd()))]
        if self.audit_id:
            fields.append(Field("attach", f"Attach the results as evidence to audit {self.audit_id}?", kind="select",
                                value="no", options=[("no", "no"), ("yes", "yes")], required=True))

        def run(values: dict | None) -> None:
            if values:
                self.run_desk_review(Path(str(values["folder"])).expanduser(), values.get("attach") == "yes")

        self.app.push_screen(FormScreen("Desk review", fields, submit_label="Run"), run)

    @work(thread=True, exclusive=True, group="checks")
    def run_desk_review(self, folder: Path, attach: bool) -> None:
        from qms_audit.services.deskreview import desk_review

        self.app.call_from_thread(self._start, "reading documents")
        try:
            review, attached = desk_review(
                self.workspace, folder, today=clock.today(), actor=self.actor,
                audit_id=self.audit_id if attach else None,
                progress=lambda done, total: self.app.call_from_thread(self._progress, done, total))
        except QmsError as exc:
            self.app.call_from_thread(self._failed, exc.message)
            return
        self.app.call_from_thread(self._show_review, review, attached)

    def _show_review(self, review, attached: int) -> None:
        self._stop()
        text = Text()
        text.append(f"Desk review of {review.folder}: {review.documents} document(s), {len(review.unreadable)} "
                    f"unreadable, {len(review.unrecognised)} not an SOP; {review.gaps} SOP(s) need attention\n\n",
                    style="bold")
        several = len({s.standard for s in review.sops}) > 1
        for s in review.sops:
            text.append((f"{s.standard}: " if several else "") + s.sop_id, style="bold")
            text.append(f"  {s.title}\n", style="dim")
            text.append("  ")
            for n, state in enumerate(s.states):
                text.append(", " if n else "")
                text.append(state, style=STATE_STYLE.get(state, ""))
            if s.document:
                md = s.metadata
                facts = [f"version {md.version}" if md and md.version else "no version",
                         "approved" if md and md.approved else "not approved"]
                if s.review_due:
                    facts.append(f"review due {s.review_due.isoformat()}")
                text.append("  " + ", ".join(facts), style="dim")
            text.append("\n")
            for line in s.details():
                text.append(f"    {line}\n")
            text.append("\n")
        for name, reason in review.unreadable:
            text.append(f"\nskipped {name}: {reason}", style="yellow")
        if attached:
            text.append(f"\n\nattached {attached} evidence entries to audit {self.audit_id}", style="green")
        self.query_one("#results", Static).update(text)

    # -- credentials --------------------------------------------------------------------------------------

    def action_catalogue(self) -> None:
        fields = [Field("file", "Catalogue, credential or folder (.csv .xlsx .json .jsonld .jwt)",
                        required=True)]
        if self.audit_id:
            fields.append(Field("attach", f"Attach the results as evidence to audit {self.audit_id}?", kind="select",
                                value="no", options=[("no", "no"), ("yes", "yes")], required=True))

        def run(values: dict | None) -> None:
            if values:
                self.run_catalogue(Path(str(values["file"])).expanduser(), values.get("attach") == "yes")

        self.app.push_screen(FormScreen("Credential check", fields, submit_label="Check"), run)

    @work(thread=True, exclusive=True, group="checks")
    def run_catalogue(self, path: Path, attach: bool = False) -> None:
        from qms_audit.services.credentials import credential_check

        self.app.call_from_thread(self._start, "checking credentials")
        try:
            check, attached = credential_check(
                self.workspace, [path], today=clock.today(), actor=self.actor,
                audit_id=self.audit_id if attach else None,
                progress=lambda done, total: self.app.call_from_thread(self._progress, done, total))
        except QmsError as exc:
            self.app.call_from_thread(self._failed, exc.message)
            return
        self.app.call_from_thread(self._show_credentials, check, attached)

    def _show_credentials(self, check, attached: int) -> None:
        self._stop()
        text = Text()
        for catalogue in check.catalogues:
            text.append(f"{catalogue.aligned} of {len(catalogue.rows)} micro-credentials carry every EU Annex I "
                        f"mandatory element ({catalogue.file})\n\n", style="bold")
            for row in catalogue.rows:
                text.append(f"row {row.row:<4} ", style="dim")
                text.append("aligned  " if row.aligned else "NOT      ", style="green" if row.aligned else "bold red")
                text.append(f"{row.title or '(no title)'}")
                if row.ects is not None:
                    text.append(f"  {row.ects:g} ECTS", style="dim")
                for problem in row.problems:
                    text.append(f"\n           {problem}", style="red")
                text.append("\n")
            if catalogue.missing_columns:
                text.append("\ncolumns not found: " + ", ".join(catalogue.missing_columns) + "\n", style="yellow")
            text.append("\n")
        for result in check.credentials:
            text.append(result.file, style="bold")
            text.append(f"  {result.format}, '{result.title or '(no title)'}'\n", style="dim")
            verdict = "carries every mandatory element" if not result.missing else \
                f"lacks {len(result.missing)} mandatory element{'s' if len(result.missing) != 1 else ''}"
            text.append(f"  {verdict}\n", style="green" if not result.missing else "bold red")
            for line in [f"signature: {result.signature}", *result.notes]:
                text.append(f"  {line}\n", style="dim")
            for element in result.elements:
                mandatory = element.element.mandatory
                style = {"found": "green", "not applicable": "dim"}.get(
                    element.status, "bold red" if mandatory else "yellow")
                text.append(f"  {element.status:<15}", style=style)
                text.append(element.element.name + ("" if mandatory else " (optional)"))
                text.append(f"\n      {element.where()}\n", style="dim")
            for problem in result.problems:
                text.append(f"  problem: {problem}\n", style="red")
            text.append("\n")
        for name, reason in check.unreadable:
            text.append(f"could not read {name}: {reason}\n", style="bold red")
        for name, reason in check.passed_over:
            text.append(f"passed over {name}: {reason}\n", style="yellow")
        if attached:
            text.append(f"\nattached {attached} evidence entries to audit {self.audit_id}", style="green")
        self.query_one("#results", Static).update(text)

    # -- progress ------------------------------------------------------------------------------------------

    def _start(self, label: str) -> None:
        bar = self.query_one(ProgressBar)
        bar.update(total=None, progress=0)
        bar.add_class("running")
        self.query_one("#results", Static).update(Text(f"{label}...", style="italic"))

    def _progress(self, done: int, total: int) -> None:
        self.query_one(ProgressBar).update(total=total, progress=done)

    def _stop(self) -> None:
        self.query_one(ProgressBar).remove_class("running")

    def _failed(self, message: str) -> None:
        self._stop()
        self.query_one("#results", Static).update(Text(message, style="bold red"))
        self.notify(message, severity="error", timeout=8)

    def palette_commands(self):
        yield ("Desk review", "Check a folder of documents for the required SOPs (r)", self.action_desk_review)
        yield ("Credential check", "Check a catalogue or issued credentials against the EU elements (k)",
               self.action_catalogue)
