"""Words and numbers as people read them, shared by the CLI, the TUI and the reports."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from qms_audit.infra.i18n import N_, _, format_date

if TYPE_CHECKING:  # the record types are needed only to name a result: `pct` serves views that load none
    from qms_audit.model.audit import DisputedRating, RequirementResult
    from qms_audit.model.standard import Standard


def pct(value: float | None, *, none: str = "—") -> str:
    return none if value is None else f"{value * 100:.0f}%"


def result_label(standard: Standard, result: RequirementResult, *, short: bool = False) -> str:
    """'Minor nonconformity', or for a levels standard '3 Established'."""
    from qms_audit.model.audit import Grade

    if standard.uses_levels and result.level is not None and result.grade is not Grade.NOT_APPLICABLE:
        label = next((lvl.label for lvl in standard.rating.levels if lvl.value == result.level), "")
        return f"{result.level}" if short else f"{result.level} {label}".strip()
    return result.grade.short if short else result.grade.label


def disputed_rating_text(rating: DisputedRating, finding_ids: list[str] | None = None) -> str:
    """'minor nonconformity (NC-2026-FOE-801) by Dr Aziz, 2026-10-12 09:00: "2 of 3 MCs unvalidated"'."""
    value = _("level {level}").format(level=rating.level) if rating.level is not None else rating.grade.label.lower()
    text = value + (f" ({', '.join(finding_ids)})" if finding_ids else "")
    text += " " + _("by {name}").format(name=rating.by or _("someone (a note only)"))
    text += f", {date(rating.at)}" if rating.at else ""
    if rating.na_reason:
        text += ", " + _("not applicable because {reason}").format(reason=rating.na_reason)
    return text + (f': "{rating.note}"' if rating.note else "")


def date(value: dt.date | dt.datetime | None, *, none: str = "") -> str:
    """ISO in English, the reader's own form in Indonesian and Malay (`infra.i18n.format_date`)."""
    return format_date(value, none=none)


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float | None], *, low: float = 0.0, high: float = 1.0) -> str:
    """One character per value, scaled between low and high; a gap where there is no value."""
    out = []
    span = (high - low) or 1.0
    for v in values:
        if v is None:
            out.append("·")
        else:
            x = (min(high, max(low, v)) - low) / span
            out.append(SPARKS[min(len(SPARKS) - 1, int(x * (len(SPARKS) - 1) + 0.5))])
    return "".join(out)


# Corrective-action stages (`capa_rules.stage`) in the words a manager reads in a report: the codes stay in the
# records, the CLI and the workbooks, where they are filtered on.
CAPA_STAGE_WORDS = {
    "open": N_("no action recorded yet"),
    "correction": N_("corrected; cause not yet analysed"),
    "analysed": N_("cause analysed; actions not yet planned"),
    "actions-in-progress": N_("actions under way"),
    "awaiting-verification": N_("actions done; effectiveness to be checked"),
    "verified": N_("found effective; to be closed"),
    "reopened": N_("actions found not effective; new actions needed"),
    "closed": N_("closed"),
}
VERIFICATION_WORDS = {"effective": N_("effective"), "not-effective": N_("not effective")}
ROOT_CAUSE_METHOD_WORDS = {
    "5-whys": N_("five whys"), "ishikawa": N_("Ishikawa (fishbone) diagram"), "fault-tree": N_("fault tree analysis"),
    "8d": N_("8D problem solving"), "pareto": N_("Pareto analysis"), "process-mapping": N_("process mapping"),
    "other": N_("another method"),
}
# A finding's grade as a report marks it, in words that survive printing in grey: a major in capitals.
GRADE_MARKS = {
    "major_nc": N_("MAJOR NC"), "minor_nc": N_("Minor NC"), "observation": N_("Observation"),
    "ofi": N_("Opportunity for improvement"), "good_practice": N_("Good practice"),
}


def capa_stage_words(stage: str, *, late: bool = False) -> str:
    """'actions under way, late' for the stage code 'actions-in-progress' of an overdue NC."""
    words = _(CAPA_STAGE_WORDS[stage]) if stage in CAPA_STAGE_WORDS else stage.replace("-", " ")
    return _("{stage}, late").format(stage=words) if late else words
