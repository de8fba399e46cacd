"""Scores per clause and per PDCA phase as bars, coverage, verdict, maturity and open NCs by grade."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from qms_audit.domain.presentation import pct
from qms_audit.domain.scoring import MATURITY_LABELS
from qms_audit.model.common import Phase
from qms_audit.tui.widgets.bars import score_table
from qms_audit.views.session import AuditSession


class DashboardScreen(Screen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "back", id="dashboard.back"),
        Binding("c", "register", "CAPA", id="dashboard.register"),
    ]
    DEFAULT_CSS = """
    DashboardScreen VerticalScroll { padding: 0 1; }
    DashboardScreen .block { padding: 1 0 0 0; }
    """

    def __init__(self, session: AuditSession) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(id="verdict", classes="block")
            yield Static(id="clauses", classes="block")
            yield Static(id="phases", classes="block")
            yield Static(id="maturity", classes="block")
            yield Static(id="ncs", classes="block")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_view()

    def on_resize(self) -> None:
        self.refresh_view()

    def on_screen_resume(self) -> None:
        self.session.reload()
        self.refresh_view()

    def refresh_view(self) -> None:
        score = self.session.score()
        rules = self.session.standard.scoring
        width = max(8, min(40, self.size.width - 70)) if self.size.width else 30
        head = Text()
        head.append(f"{self.session.record.title}\n", style="bold")
        style = "bold red" if score.verdict == "not-conforming" else ("bold yellow" if score.verdict == "incomplete"
                                                                      else "bold green")
        head.append(f"Verdict: {score.verdict_label}\n", style=style)
        for reason in score.verdict_reasons:
            head.append(f"  - {reason}\n")
        head.append(f"Overall {score.shown.text}, coverage {pct(score.coverage)}; "
                    f"a score shows from {pct(rules.coverage_threshold)} coverage; pass band from "
                    f"{pct(rules.pass_threshold)}")
        self.query_one("#verdict", Static).update(head)
        # a clause or phase below the coverage threshold has no score and no bar: the note says why
        rows = [(f"{n} {c.title[:26]}", c.score, c.coverage,
                 (c.band_label if c.shown.scored else c.shown.text) + (" (capped: open major)" if c.capped else ""))
                for n, c in score.clauses.items()]
        self.query_one("#clauses", Static).update(Group(Text("Clauses", style="bold"),
                                                        score_table(rows, width=width,
                                                                    pass_threshold=rules.pass_threshold)))
        phase_rows = [(f"{Phase(p).label:<5}", s.score, s.coverage,
                       f"{s.assessed}/{s.applicable} assessed" + ("" if s.shown.scored else f"; {s.shown.text}"))
                      for p, s in score.pdca.items()]
        self.query_one("#phases", Static).update(Group(Text("PDCA phases", style="bold"),
                                                       score_table(phase_rows, width=width,
                                                                   pass_threshold=rules.pass_threshold)))
        maturity = Text("PDCA maturity (0-4, from the phases of the evidence): ", style="bold")
        maturity.append("—" if score.maturity.overall is None else f"{score.maturity.overall:.1f}")
        maturity.append("\n" + "  ".join(f"{lvl} {MATURITY_LABELS[lvl]}: {n}"
                                         for lvl, n in score.maturity.distribution.items()), style="dim")
        self.query_one("#maturity", Static).update(maturity)
        ncs = Text("Findings (open / total)\n", style="bold")
        for grade, label in (("major_nc", "major NC"), ("minor_nc", "minor NC"), ("observation", "observation"),
                             ("ofi", "OFI")):
            counts = score.findings[grade]
            ncs.append(f"  {label:<12} {counts['open']:>3} / {counts['total']:<3}\n",
                       style="red" if grade == "major_nc" and counts["open"] else "")
        for item in score.escalations:
            ncs.append(f"  escalate? {item['ref']} has {item['minors']} minor NCs\n", style="yellow")
        self.query_one("#ncs", Static).update(ncs)

    def action_register(self) -> None:
        from qms_audit.tui.screens.register import RegisterScreen

        self.app.push_screen(RegisterScreen(self.session.workspace, self.session.actor,
                                            audit_id=self.session.audit_id))

    def palette_commands(self):
        yield ("Back to the checklist", "(esc)", self.app.pop_screen)
        yield ("NC and CAPA register", "(c)", self.action_register)
