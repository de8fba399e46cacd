"""The management dashboard: the portfolio trends of `qms-audit trends` as bars and sparklines, with the audit
programme and the follow-up of management review actions. Reading runs in a worker thread with progress; the
figures come from the same domain functions as the command line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, ProgressBar, Static

from qms_audit.domain.means import change_points, mean_text
from qms_audit.domain.presentation import plural, sparkline
from qms_audit.infra import clock
from qms_audit.infra.errors import QmsError
from qms_audit.infra.locations import Workspace
from qms_audit.tui.forms import Field, FormScreen
from qms_audit.tui.widgets.bars import band_style, bar

if TYPE_CHECKING:
    from qms_audit.services.portfolio import AuditDigest
    from qms_audit.services.programme import ProgrammeView
    from qms_audit.store.facts import FactsReader
    from qms_audit.views.trends import Trends

GRADE_STYLES = (("major", "red"), ("minor", "yellow"), ("observation", "cyan"))



@dataclass
class Overview:
    """Everything the dashboard shows, computed away from the event loop."""

    digests: list[AuditDigest]
    facts: FactsReader  # the digests' facts tables (in memory), which each filter's trends are computed from
    programme: ProgrammeView | None
    programme_error: str | None
    review_actions: list[tuple[str, str, str, str]]  # review, action, state, description
    errors: list[str]
    trends: dict[tuple[str | None, str | None], Trends] = field(default_factory=dict)  # by (unit, standard)


def _score_bar(value: float | None, width: int) -> Text:
    """A mean score's bar; a score no audit of the year could show draws nothing, not an empty track."""
    return Text(" " * width) if value is None else bar(value, width, style=band_style(value, 0.75))


def counts_bar(parts: list[tuple[int, str]], peak: int, width: int) -> Text:
    """Stacked block characters, one colour per part, scaled so that `peak` fills `width`."""
    text = Text()
    for count, style in parts:
        cells = round(width * count / peak) if peak else 0
        if count and not cells:
            cells = 1
        text.append("█" * cells, style=style)
    return text


def _overall_block(t: Trends, width: int) -> Group:
    overall = Table.grid(padding=(0, 1))
    for _ in range(5):
        overall.add_column(no_wrap=True)
    for y in t.cycles:
        mean = t.overall[y]["mean"]
        audits, scored = int(t.overall[y]["audits"] or 0), t.overall[y]["scored"]
        overall.add_row(str(y), _score_bar(mean, width), mean_text(mean),
                        Text(plural(audits, "audit") if scored == audits else f"{scored} of {audits} audits scored",
                             style="dim"),
                        Text(f"maturity {'—' if t.maturity[y] is None else f'{t.maturity[y]:.1f}'}", style="dim"))
    return Group(Text(f"Mean audit score per year ({plural(t.audits, 'audit')}, {plural(len(t.units), 'unit')})",
                      style="bold"),
                 overall)


def _clauses_block(t: Trends, width: int) -> Group:
    from qms_audit.views.trends import trend_floor

    years = t.cycles
    low = trend_floor(t)
    clauses = Table.grid(padding=(0, 1))
    for _ in range(6):
        clauses.add_column(no_wrap=True)
    for number, per in t.clauses.items():
        values = [per.get(y) for y in years]
        last = values[-1] if values else None
        previous = values[-2] if len(values) > 1 else None
        points = change_points(last, previous)
        delta = "" if points is None else f"{points:+d}"
        counts = t.clause_audits.get(number, {}).get(years[-1], {"scored": 0, "audits": 0})
        clauses.add_row(f"{number:>4}", Text(sparkline(values, low=low), style="cyan"),
                        _score_bar(last, width), mean_text(last),
                        Text(delta, style="red" if delta.startswith("-") else "green"),
                        Text(f"{counts['scored']} of {counts['audits']} audits scored"
                             if counts["scored"] < counts["audits"] else "", style="dim"))
    return Group(Text(f"Clause scores: trend {years[0]}-{years[-1]} (scaled {low:.0%}-100%), latest year, change "
                      "(means over the audits that scored the clause)", style="bold"), clauses)


def _findings_block(t: Trends, width: int) -> Group:
    years = t.cycles
    peak = max((t.ncs[y]["major"] + t.ncs[y]["minor"] + t.ncs[y]["observation"] for y in years), default=0)
    findings = Table.grid(padding=(0, 1))
    for _ in range(3):
        findings.add_column(no_wrap=True)
    for y in years:
        parts = [(t.ncs[y][key], style) for key, style in GRADE_STYLES]
        findings.add_row(str(y), counts_bar(parts, peak, width),
                         Text(f"{t.ncs[y]['major']} major, {t.ncs[y]['minor']} minor, "
                              f"{t.ncs[y]['observation']} obs., {t.ncs[y]['ofi']} OFI", style="dim"))
    legend = Text.assemble(("Findings per year  ", "bold"), ("█ major ", "red"), ("█ minor ", "yellow"),
                           ("█ observation", "cyan"))
    return Group(legend, findings)


def _capa_block(t: Trends, width: int) -> Text:
    c = t.capa
    capa = Text("Corrective actions\n", style="bold")
    capa.append(f"  {c.open} open, ")
    capa.append(f"{c.overdue} overdue", style="bold red" if c.overdue else "")
    capa.append(f"; {c.closed} closed ({c.closed_late} late); {c.not_effective} verified not effective; mean "
                f"{'—' if c.mean_days_to_close is None else f'{c.mean_days_to_close:.0f}'} days to close\n")
    age_peak = max(c.open_by_age.values(), default=0)
    for label, n in c.open_by_age.items():
        capa.append(f"  {label:<14} ")
        capa.append_text(counts_bar([(n, "yellow")], age_peak, width))
        capa.append(f" {n}\n")
    return capa


def _recurring_block(t: Trends) -> Text:
    recurring = Text(f"Recurring NCs (same requirement in consecutive audits of a unit): {len(t.recurring)}\n",
                     style="bold")
    for r in sorted(t.recurring, key=lambda r: (-len(r.audits), -r.years[-1]))[:10]:
        recurring.append(f"  {r.unit[:30]:<30} {r.ref:<9} {len(r.audits)} in a row "
                         f"({', '.join(map(str, r.years))})\n", style="red" if len(r.audits) > 2 else "")
    return recurring


class ManagementScreen(Screen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "back", id="management.back"),
        Binding("u", "next_unit", "unit", id="management.unit"),
        Binding("s", "next_standard", "standard", id="management.standard"),
        Binding("r", "reload", "reload", id="management.reload"),
        Binding("p", "pack", "review pack", id="management.pack"),
    ]
    DEFAULT_CSS = """
    ManagementScreen #management-head { padding: 0 1; height: auto; }
    ManagementScreen ProgressBar { padding: 0 1; display: none; }
    ManagementScreen ProgressBar.running { display: block; }
    ManagementScreen VerticalScroll { padding: 0 1; }
    ManagementScreen .block { padding: 1 0 0 0; height: auto; }
    """

    def __init__(self, workspace: Workspace, actor: str) -> None:
        super().__init__()
        self.workspace = workspace
        self.actor = actor
        self.overview: Overview | None = None
        self.unit: str | None = None
        self.standard: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("Management dashboard: reading the audits...", style="bold"), id="management-head")
        yield ProgressBar(id="progress", show_eta=False)
        with VerticalScroll():
            yield Static(id="overall", classes="block")
            yield Static(id="clauses", classes="block")
            yield Static(id="findings", classes="block")
            yield Static(id="capa", classes="block")
            yield Static(id="recurring", classes="block")
            yield Static(id="programme", classes="block")
            yield Static(id="reviews", classes="block")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    def on_resize(self) -> None:
        if self.overview is not None:
            self.show()

    # -- loading --------------------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="management")
    def load(self) -> None:
        from qms_audit.services.portfolio import load_digests
        from qms_audit.services.profile import maybe_profile
        from qms_audit.services.reviews import action_state, load_reviews

        self.app.call_from_thread(self._start)
        errors: list[str] = []
        today = clock.today()
        try:
            digests = load_digests(self.workspace, errors=errors,
                                   progress=lambda d, t: self.app.call_from_thread(self._progress, d, t))
            programme = programme_error = None
            if self.workspace.programme_path.exists():
                from qms_audit.services.programme import load_programme, view

                try:
                    programme = view(self.workspace, load_programme(self.workspace), digests,
                                     maybe_profile(self.workspace), today=today)
                except QmsError as exc:
                    programme_error = exc.message
            actions = [(r.id, a.id, action_state(a, today), a.description) for r in load_reviews(self.workspace)
                       for a in r.actions]
        except QmsError as exc:
            self.app.call_from_thread(self._failed, exc.message)
            return
        from qms_audit.services.portfolio import facts_of
        from qms_audit.store.facts import memory_facts

        facts = memory_facts((facts_of(d) for d in digests), shared=True)  # made here, read on the event loop
        overview = Overview(digests, facts, programme, programme_error, actions, errors)
        self.app.call_from_thread(self._loaded, overview)

    def _start(self) -> None:
        bar_widget = self.query_one(ProgressBar)
        bar_widget.update(total=None, progress=0)
        bar_widget.add_class("running")

    def _progress(self, done: int, total: int) -> None:
        self.query_one(ProgressBar).update(total=total, progress=done)

    def _failed(self, message: str) -> None:
        self.query_one(ProgressBar).remove_class("running")
        self.query_one("#management-head", Static).update(Text(message, style="bold red"))
        self.notify(message, severity="error", timeout=8)

    def _loaded(self, overview: Overview) -> None:
        self.query_one(ProgressBar).remove_class("running")
        if self.overview is not None:
            self.overview.facts.conn.close()
        self.overview = overview
        self.show()

    def on_unmount(self) -> None:
        if self.overview is not None:
            self.overview.facts.conn.close()

    # -- filters ----------------------------------------------------------------------------------------------

    def _choices(self, kind: str) -> list[str]:
        if self.overview is None:
            return []
        if kind == "unit":
            return sorted({d.unit for d in self.overview.digests})
        return sorted({d.standard_key.split("@")[0] for d in self.overview.digests})

    def _cycle(self, current: str | None, choices: list[str]) -> str | None:
        order = [None, *choices]
        return order[(order.index(current) + 1) % len(order)] if current in order else None

    def action_next_unit(self) -> None:
        self.unit = self._cycle(self.unit, self._choices("unit"))
        self.show()

    def action_next_standard(self) -> None:
        self.standard = self._cycle(self.standard, self._choices("standard"))
        self.show()

    def action_reload(self) -> None:
        self.load()

    # -- drawing ------------------------------------------------------------------------------------------------

    def show(self) -> None:
        from qms_audit.store.facts import FactsFilter
        from qms_audit.views.trends import compute_facts

        overview = self.overview
        if overview is None:
            return
        where = FactsFilter(unit=self.unit, standard=self.standard)
        chosen = overview.facts.count(where)
        head = Text("Management dashboard", style="bold")
        head.append(f"   unit (u): {self.unit or 'all'}   standard (s): {self.standard or 'all'}   "
                    f"p: review pack", style="dim")
        for error in overview.errors:
            head.append(f"\nleft out (unreadable): {error}", style="yellow")
        self.query_one("#management-head", Static).update(head)
        if not chosen:
            self.query_one("#overall", Static).update(Text("No audits match this filter.", style="italic"))
            for name in ("clauses", "findings", "capa", "recurring"):
                self.query_one(f"#{name}", Static).update("")
            self._programme_and_reviews(overview)
            return
        t = overview.trends.get((self.unit, self.standard))
        if t is None:  # a redraw (a resize) computes nothing again
            t = overview.trends[(self.unit, self.standard)] = compute_facts(overview.facts, where, today=clock.today())
        width = max(10, min(40, (self.size.width or 100) - 60))
        self.query_one("#overall", Static).update(_overall_block(t, width))
        self.query_one("#clauses", Static).update(_clauses_block(t, width))
        self.query_one("#findings", Static).update(_findings_block(t, width))
        self.query_one("#capa", Static).update(_capa_block(t, width))
        self.query_one("#recurring", Static).update(_recurring_block(t))
        self._programme_and_reviews(overview)

    def _programme_and_reviews(self, overview: Overview) -> None:
        text = Text("Audit programme\n", style="bold")
        if overview.programme_error:
            text.append(f"  {overview.programme_error}\n", style="red")
        elif overview.programme is None:
            text.append("  no programme.yaml yet (qms-audit programme suggest -o programme.yaml)\n", style="dim")
        else:
            prog = overview.programme
            counts: dict[str, int] = {}
            for row in prog.rows:
                counts[row.status] = counts.get(row.status, 0) + 1
            text.append(f"  {prog.programme.name}: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
                        + "\n")
            for row in prog.rows:
                if row.status == "overdue":
                    text.append(f"  overdue   {row.planned.month} {row.planned.unit}\n", style="red")
                for conflict in row.conflicts:
                    text.append(f"  conflict  {row.planned.month} {row.planned.unit}: {conflict}\n", style="yellow")
            for std_id, gaps in prog.gaps.items():
                if gaps:
                    text.append(f"  gap       {std_id} clauses {', '.join(gaps)} not planned\n", style="yellow")
        self.query_one("#programme", Static).update(text)
        reviews = Text("Management review actions\n", style="bold")
        open_actions = [a for a in overview.review_actions if a[2] in ("open", "overdue")]
        if not overview.review_actions:
            reviews.append("  no review recorded yet (qms-audit review record)\n", style="dim")
        else:
            reviews.append(f"  {len(overview.review_actions)} actions, {len(open_actions)} still open\n")
        for review_id, action_id, state, description in open_actions:
            reviews.append(f"  {state:<8} {review_id} {action_id}: {description}\n",
                           style="red" if state == "overdue" else "")
        self.query_one("#reviews", Static).update(reviews)

    # -- review pack -----------------------------------------------------------------------------------------

    def action_pack(self) -> None:
        from qms_audit.services.reviews import load_reviews
        from qms_audit.views.review_pack import default_output, default_period

        try:
            period = default_period(load_reviews(self.workspace), today=clock.today())
        except QmsError as exc:  # a damaged review record: the pack cannot be made until it is repaired
            self.notify(exc.message, title="Review pack", severity="error", timeout=10)
            return
        fields = [Field("period", "Period FROM..TO (e.g. 2025-07..2026-06)", required=True,
                        value=f"{period[0].isoformat()}..{period[1].isoformat()}" if period else ""),
                  Field("output", "File (.docx or .xlsx)", required=True,
                        value=str(default_output(self.workspace, *period)) if period else "")]
        note = None if period else "The last review covered up to today: name the period to review."

        def chosen(values: dict | None) -> None:
            if values:
                self.write_pack(str(values["period"]), Path(str(values["output"])).expanduser())
        self.app.push_screen(FormScreen("Management review pack", fields, submit_label="Write", note=note), chosen)

    @work(thread=True, exclusive=True, group="management-pack")
    def write_pack(self, period: str, output: Path) -> None:
        from qms_audit.infra.clock import parse_period
        from qms_audit.render.build import build_review_pack
        from qms_audit.views.review_pack import write_review_pack

        overview = self.overview
        try:
            start, stop = parse_period(period)
            # the audits the dashboard has read already, and those it could not read, rather than reading again
            path, pack = write_review_pack(
                self.workspace, start, stop, output, today=clock.today(), build=build_review_pack,
                digests=overview.digests if overview else None, load_errors=overview.errors if overview else ())
        except QmsError as exc:
            self.app.call_from_thread(self.notify, exc.message, title="Review pack not written", severity="error",
                                      timeout=10)
            return
        if pack.errors:
            self.app.call_from_thread(self.notify, "\n".join(f"left out (unreadable): {e}" for e in pack.errors),
                                      title="Review pack", severity="warning", timeout=10)
        self.app.call_from_thread(self.notify, f"wrote {path} ({len(pack.audits)} audits)", timeout=6)

    def palette_commands(self):
        yield ("Filter by unit", "Cycle through the units (u)", self.action_next_unit)
        yield ("Filter by standard", "Cycle through the standards (s)", self.action_next_standard)
        yield ("Reload", "Read the audits again (r)", self.action_reload)
        yield ("Management review pack", "Write the pack for a period as .docx or .xlsx (p)", self.action_pack)
