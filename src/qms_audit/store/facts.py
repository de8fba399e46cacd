"""Portfolio facts as tables: one row per audit, per clause of an audit and per finding, for the views that
aggregate across audits (trends, the management dashboard, the review pack's history, CAPA ageing).

The rows hold what the services layer decided when it read an audit: the contributions of its shown scores to
means across audits (`domain/scoring.contribution`, in integer units), its verdict, and the facts of each
finding as `domain/capa_rules.py` decided them. A query selects, counts and adds up integers; it never
re-derives a rule, and every mean is taken from the sums by `domain/scoring`, so a figure is the same whether it
comes from here or from a list of audits in memory.

The same tables live in the index (`store/index.py`, beside the stored digests, so that a management command
decodes no digest at all) and, for audits read from their documents, in a database in memory
(`memory_facts`): one set of queries for both. Every table repeats the columns a filter reads, so that no query
joins: each is one pass over one table (at 10,000 audits, a pass over the finding rows costs a few
milliseconds; indexes on the filter columns measured no faster, and cost more to keep than the rows). The SQL is
plain (FILTER clauses, no SQLite extension), so that a server database could run it too (docs/architecture.md).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

FACTS_TABLES = ("audit_facts", "clause_facts", "finding_facts")

_FILTER_COLUMNS = """
    unit_key TEXT NOT NULL,
    unit_code_key TEXT NOT NULL,
    standard TEXT NOT NULL,
    standard_base TEXT NOT NULL,
    start TEXT NOT NULL,
    year INTEGER NOT NULL,"""

FACTS_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS audit_facts (
    id TEXT PRIMARY KEY,
    unit TEXT NOT NULL,{_FILTER_COLUMNS}
    verdict TEXT NOT NULL,
    score REAL,
    applicable INTEGER,
    score_units INTEGER,
    maturity_units INTEGER,
    nc_refs TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS clause_facts (
    audit_id TEXT NOT NULL,{_FILTER_COLUMNS}
    clause TEXT NOT NULL,
    applicable INTEGER,
    score_units INTEGER
);
CREATE INDEX IF NOT EXISTS clause_facts_audit ON clause_facts (audit_id);
CREATE TABLE IF NOT EXISTS finding_facts (
    audit_id TEXT NOT NULL,{_FILTER_COLUMNS}
    id TEXT NOT NULL,
    grade TEXT NOT NULL,
    live_nc INTEGER NOT NULL,
    withdrawn INTEGER NOT NULL,
    ref TEXT,
    clause TEXT,
    raised TEXT NOT NULL,
    open INTEGER NOT NULL,
    overdue_after TEXT,
    days_to_close INTEGER,
    closed_late INTEGER NOT NULL,
    not_effective INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS finding_facts_audit ON finding_facts (audit_id);
"""

# What the queries below read in order (GROUP BY, ORDER BY) and cover: at 10,000 audits they halve the time of
# a view's queries. Made after the rows when many are added to empty tables (`insert_facts`, `query_indexes`).
QUERY_INDEXES = {
    "audit_facts_year": "audit_facts (year, verdict, applicable, score_units, score, maturity_units)",
    "audit_facts_sequence": "audit_facts (unit, standard_base, start, id, year, nc_refs)",
    "clause_facts_year": "clause_facts (year, clause, applicable, score_units)",
    "finding_facts_year": "finding_facts (year, grade, withdrawn)",
    "finding_facts_nc": "finding_facts (live_nc, open, clause, grade, ref, closed_late, days_to_close, not_effective)",
}

REF_SEPARATOR = "\n"  # between the requirements of `nc_refs` (a requirement's ref never holds one)


class Where(NamedTuple):
    """The columns every table repeats for filters, from the audit of the row."""

    unit_key: str  # the unit's name as filters compare it (Python's lower(): SQLite's folds ASCII only)
    unit_code_key: str
    standard: str  # id@version
    standard_base: str  # id
    start: str  # ISO date the audit took place (planned start, else the day its record was made)
    year: int


class AuditFact(NamedTuple):
    id: str
    unit: str
    where: Where
    verdict: str
    score: float | None  # the shown overall score
    # its contribution to means across audits (`scoring.contribution`): 1 when it applies (else NULL), the
    # score in units when it counts (else NULL)
    applicable: int | None
    score_units: int | None
    maturity_units: int | None
    nc_refs: str  # the requirements with a live nonconformity, sorted, joined by REF_SEPARATOR

    def row(self) -> tuple:
        return (self.id, self.unit, *self.where, self.verdict, self.score, self.applicable, self.score_units,
                self.maturity_units, self.nc_refs)


_AUDIT_COLUMNS = len(AuditFact._fields) - 1 + len(Where._fields)  # `where` spread out


class ClauseFact(NamedTuple):
    clause: str
    applicable: int | None  # as in AuditFact
    score_units: int | None


class FindingFact(NamedTuple):
    id: str
    grade: str
    live_nc: bool  # a nonconformity not withdrawn: what CAPA ageing and recurring NCs count
    withdrawn: bool
    ref: str | None
    clause: str | None  # the top clause of its requirement
    raised: str
    open: bool  # capa_rules.is_open
    overdue_after: str | None  # capa_rules.overdue_after
    days_to_close: int | None  # from raised to its CAPA's closing, once closed
    closed_late: bool
    not_effective: bool


@dataclass
class AuditFacts:
    """What one audit adds to the tables."""

    audit: AuditFact
    clauses: list[ClauseFact] = field(default_factory=list)
    findings: list[FindingFact] = field(default_factory=list)


class YearTotals(NamedTuple):
    """One cycle's audits, summed: how many, the contributions of their overall scores and maturity, the lowest
    and highest shown score."""

    year: int
    audits: int
    applicable: int
    scored: int
    score_units: int | None
    low: float | None
    high: float | None
    matured: int
    maturity_units: int | None


class ClauseTotals(NamedTuple):
    year: int
    clause: str
    applicable: int
    scored: int
    score_units: int | None


class ClosedTotals(NamedTuple):
    """The live nonconformities, counted: closed, closed late, closed with a closing day (and their days to
    close, summed), not effective at least once."""

    closed: int
    closed_late: int
    timed: int
    days_to_close: int | None
    not_effective: int


class AuditInSequence(NamedTuple):
    id: str
    unit: str
    standard_base: str
    year: int
    nc_refs: frozenset[str]


@dataclass(frozen=True)
class FactsFilter:
    """Which audits a view aggregates: a unit (name or code, any case), a standard (id or id@version), and
    the days they started in (inclusive)."""

    unit: str | None = None
    standard: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    def where(self) -> tuple[str, list[object]]:
        clauses: list[str] = []
        params: list[object] = []
        if self.unit:
            clauses.append("(t.unit_key = ? OR t.unit_code_key = ?)")
            params += [self.unit.lower(), self.unit.lower()]
        if self.standard:
            clauses.append("(t.standard = ? OR t.standard_base = ?)")
            params += [self.standard, self.standard]
        if self.since:
            clauses.append("t.start >= ?")
            params.append(self.since.isoformat())
        if self.until:
            clauses.append("t.start <= ?")
            params.append(self.until.isoformat())
        return (" AND ".join(clauses) or "1 = 1"), params


def create_tables(conn: sqlite3.Connection) -> None:
    for statement in FACTS_SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    query_indexes(conn)


def drop_tables(conn: sqlite3.Connection) -> None:
    for table in FACTS_TABLES:
        conn.execute(f"DROP TABLE IF EXISTS {table}")


def delete_facts(conn: sqlite3.Connection, audit_ids: Sequence[str]) -> None:
    rows = [(audit_id,) for audit_id in audit_ids]
    for table, key in (("audit_facts", "id"), ("clause_facts", "audit_id"), ("finding_facts", "audit_id")):
        conn.executemany(f"DELETE FROM {table} WHERE {key} = ?", rows)


BULK_FROM = 500  # added to empty tables, this many audits or more are indexed for the queries after the rows


def insert_facts(conn: sqlite3.Connection, facts: Iterable[AuditFacts]) -> None:
    """Add these audits' rows (their old rows, if any, deleted first by the caller). Many rows added to empty
    tables (a new index, or one rebuilt) leave the query indexes to be made once all are in (`query_indexes`):
    sorting once costs much less than keeping them in order row by row, batch after batch."""
    items = list(facts)
    if len(items) >= BULK_FROM and conn.execute("SELECT 1 FROM audit_facts LIMIT 1").fetchone() is None:
        for name in QUERY_INDEXES:
            conn.execute(f"DROP INDEX IF EXISTS {name}")
    conn.executemany(f"INSERT OR REPLACE INTO audit_facts VALUES ({_marks(_AUDIT_COLUMNS)})",
                     (f.audit.row() for f in items))
    conn.executemany(f"INSERT INTO clause_facts VALUES ({_marks(1 + len(Where._fields) + len(ClauseFact._fields))})",
                     ((f.audit.id, *f.audit.where, *c) for f in items for c in f.clauses))
    conn.executemany(f"INSERT INTO finding_facts VALUES ({_marks(1 + len(Where._fields) + len(FindingFact._fields))})",
                     ((f.audit.id, *f.audit.where, *x) for f in items for x in f.findings))


def missing_query_indexes(conn: sqlite3.Connection) -> list[str]:
    have = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    return [name for name in QUERY_INDEXES if name not in have]


def query_indexes(conn: sqlite3.Connection, names: Iterable[str] | None = None) -> None:
    """Make these query indexes (all of them by default), when missing."""
    for name in QUERY_INDEXES if names is None else names:
        conn.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {QUERY_INDEXES[name]}")


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def parse_day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value is not None else None


class FactsReader:
    """The queries views aggregate from, on a connection holding the facts tables. SQL counts and adds up
    integers; every mean is taken from those sums by `domain/scoring`."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def _query(self, sql: str, where: FactsFilter, tail: str = "") -> list[tuple]:
        condition, params = where.where()
        return self.conn.execute(f"{sql} WHERE {condition} {tail}", params).fetchall()

    def count(self, where: FactsFilter) -> int:
        return self._query("SELECT count(*) FROM audit_facts t", where)[0][0]

    def names(self, where: FactsFilter) -> tuple[list[str], list[str]]:
        """The units and the standards (id@version) of the chosen audits, sorted."""
        units = self._query("SELECT DISTINCT t.unit FROM audit_facts t", where)
        standards = self._query("SELECT DISTINCT t.standard FROM audit_facts t", where)
        return sorted(u for (u,) in units), sorted(s for (s,) in standards)

    def years(self, where: FactsFilter) -> list[YearTotals]:
        return [YearTotals._make(row) for row in self._query(
            "SELECT t.year, count(*), count(t.applicable), count(t.score_units), sum(t.score_units), min(t.score), "
            "max(t.score), count(t.maturity_units), sum(t.maturity_units) FROM audit_facts t", where,
            "GROUP BY t.year ORDER BY t.year")]

    def verdicts(self, where: FactsFilter) -> list[tuple[int, str, int]]:
        """(year, verdict, how many audits)."""
        return self._query("SELECT t.year, t.verdict, count(*) FROM audit_facts t", where,
                           "GROUP BY t.year, t.verdict ORDER BY t.year, t.verdict")

    def clauses(self, where: FactsFilter) -> list[ClauseTotals]:
        return [ClauseTotals._make(row) for row in self._query(
            "SELECT t.year, t.clause, count(t.applicable), count(t.score_units), sum(t.score_units) "
            "FROM clause_facts t", where, "GROUP BY t.year, t.clause")]

    def finding_counts(self, where: FactsFilter) -> list[tuple[int, str, int]]:
        """(year, grade, how many) of the findings not withdrawn."""
        return self._query("SELECT t.year, t.grade, count(*) FROM finding_facts t", where,
                           "AND t.withdrawn = 0 GROUP BY t.year, t.grade")

    def nc_counts_by_clause(self, where: FactsFilter) -> list[tuple[str, str, int]]:
        """(clause, grade, how many) of the live nonconformities on a requirement."""
        return self._query("SELECT t.clause, t.grade, count(*) FROM finding_facts t", where,
                           "AND t.live_nc = 1 AND t.ref IS NOT NULL GROUP BY t.clause, t.grade")

    def sequence(self, where: FactsFilter) -> list[AuditInSequence]:
        """The chosen audits in the order they took place, per unit and standard (whatever its version), with
        the requirements each found nonconforming."""
        rows = self._query("SELECT t.id, t.unit, t.standard_base, t.year, t.nc_refs FROM audit_facts t", where,
                           "ORDER BY t.unit, t.standard_base, t.start, t.id")
        return [AuditInSequence(audit_id, unit, base, year,
                                frozenset(refs.split(REF_SEPARATOR)) if refs else frozenset())
                for audit_id, unit, base, year, refs in rows]

    def open_ncs(self, where: FactsFilter) -> list[tuple[dt.date, dt.date | None]]:
        """(raised, overdue after) of every live nonconformity still open."""
        rows = self._query("SELECT t.raised, t.overdue_after FROM finding_facts t", where,
                           "AND t.live_nc = 1 AND t.open = 1")
        return [(dt.date.fromisoformat(raised), parse_day(after)) for raised, after in rows]

    def closed_ncs(self, where: FactsFilter) -> ClosedTotals:
        return ClosedTotals._make(self._query(
            "SELECT count(*) FILTER (WHERE t.open = 0), count(*) FILTER (WHERE t.open = 0 AND t.closed_late = 1), "
            "count(t.days_to_close) FILTER (WHERE t.open = 0), sum(t.days_to_close) FILTER (WHERE t.open = 0), "
            "count(*) FILTER (WHERE t.not_effective = 1) FROM finding_facts t", where, "AND t.live_nc = 1")[0])


def memory_facts(facts: Iterable[AuditFacts], *, shared: bool = False) -> FactsReader:
    """The facts of these audits in a database in memory, read by the same queries as the index. `shared`: made
    in one thread and read in another (one at a time)."""
    conn = sqlite3.connect(":memory:", check_same_thread=not shared)
    create_tables(conn)
    insert_facts(conn, facts)
    query_indexes(conn)
    return FactsReader(conn)
