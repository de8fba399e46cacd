"""The facts tables (src/qms_audit/store/facts.py): many audits added at once are indexed for the queries after
the rows, and every query gives the same answer with or without those indexes."""

from __future__ import annotations

import datetime as dt
import sqlite3

from qms_audit.store.facts import (
    BULK_FROM,
    AuditFact,
    AuditFacts,
    ClauseFact,
    FactsFilter,
    FactsReader,
    FindingFact,
    Where,
    create_tables,
    insert_facts,
    missing_query_indexes,
    query_indexes,
)

UNITS = ["Faculty of Engineering", "Faculty of Law", "Library"]


def audit_facts(n: int) -> AuditFacts:
    """A made-up audit: its unit, year, scores and findings vary with `n`."""
    unit = UNITS[n % len(UNITS)]
    start = dt.date(2020 + n % 6, 1 + n % 12, 1 + n % 28)
    where = Where(unit.lower(), unit[:3].lower(), "mc-qms@1.0", "mc-qms", start.isoformat(), start.year)
    scored = n % 4 != 0
    refs = [f"{c}.1.a" for c in range(1, 11) if (n + c) % 7 == 0]
    audit = AuditFact(f"A-{n:05d}", unit, where, ["conforming", "incomplete"][n % 2], 0.5 + (n % 50) / 100 if scored
                      else None, 1, (500 + n % 500) * 10**6 if scored else None, (n % 4) * 10**9, "\n".join(refs))
    clauses = [ClauseFact(str(c), 1 if (n + c) % 5 else None, (c * 100 + n % 900) * 10**6 if (n + c) % 3 else None)
               for c in range(1, 11)]
    findings = [FindingFact(f"NC-{n}-{i}", ["major-nc", "minor-nc", "ofi"][i % 3], i % 3 != 2, False, ref,
                            ref.split(".")[0], start.isoformat(), (n + i) % 2 == 0,
                            (start + dt.timedelta(days=60)).isoformat(), None if (n + i) % 2 == 0 else 30 + i,
                            i % 4 == 0, i % 5 == 0)
                for i, ref in enumerate(refs)]
    return AuditFacts(audit, clauses, findings)


def answers(reader: FactsReader) -> list:
    everything, one_unit = FactsFilter(), FactsFilter(unit="fac", since=dt.date(2022, 1, 1))
    return [(reader.count(w), reader.names(w), reader.years(w), reader.verdicts(w), sorted(reader.clauses(w)),
             sorted(reader.finding_counts(w)), sorted(reader.nc_counts_by_clause(w)), reader.sequence(w),
             sorted(reader.open_ncs(w), key=str), reader.closed_ncs(w)) for w in (everything, one_unit)]


def test_a_bulk_load_leaves_the_query_indexes_to_be_made_after_the_rows():
    conn = sqlite3.connect(":memory:")
    create_tables(conn)
    assert missing_query_indexes(conn) == []
    insert_facts(conn, [audit_facts(n) for n in range(BULK_FROM)])
    assert missing_query_indexes(conn)  # dropped before the rows went in
    insert_facts(conn, [audit_facts(n) for n in range(BULK_FROM, BULK_FROM + 40)])  # a later batch
    without = answers(FactsReader(conn))
    query_indexes(conn)
    assert missing_query_indexes(conn) == []
    assert answers(FactsReader(conn)) == without
    assert without[0][0] == BULK_FROM + 40 and without[1][0] > 0


def test_a_few_audits_added_keep_the_indexes():
    conn = sqlite3.connect(":memory:")
    create_tables(conn)
    insert_facts(conn, [audit_facts(n) for n in range(BULK_FROM - 1)])
    assert missing_query_indexes(conn) == []


def test_the_trends_name_every_finding_grade_as_the_facts_hold_it():
    """Trends read grades from the facts tables without loading the record types: their names of the grades
    must be the grades' own values."""
    from qms_audit.model.audit import FINDING_GRADES
    from qms_audit.views.trends import GRADES, NC_LABELS

    assert sorted(value for value, _ in GRADES) == sorted(g.value for g in FINDING_GRADES)
    assert set(NC_LABELS) == {g.value for g in FINDING_GRADES if g.is_nc}
