"""Reading the values of micro-credential elements as people and issuing systems write them: dates, workloads
and credits, levels, language maps, and free text read against the EU vocabularies of Annex I.

The rules (written out for users in docs/credentials.md):

- Dates: ISO 8601 (`2025-05-05`, with or without a time), day first with dots, slashes or dashes
  (`5.5.2025`, `05/05/2025`), and a month written as a word (`5 May 2025`, `May 5, 2025`). A numeric date is
  always read day first, as in the EU, Malaysia and Indonesia: `03/04/2025` is 3 April 2025. A numeric date
  whose second number cannot be a month (`04/13/2025`) is refused, never read month first.
- Workload: a number with its unit (`2 ECTS`, `55 hours`, `1.5 credits`, `2 SKS`); a bare number takes the
  unit of its column header (`ECTS`, `Hours`, `Credits`, `SKS`). ECTS are counted from hours at the profile's
  hours per ECTS credit (27.5 unless set, 25-30 by the ECTS Users' Guide); a national credit at its notional
  hours: the institution's credit (`credits:` in institution.yaml or `--credit-hours`; 40 hours by default, as
  in Malaysia's MQF) and the Indonesian SKS at 45 hours of learning per semester (Permendikbudristek
  No. 53/2023 on higher-education quality assurance; the earlier rule, Permendikbud No. 3/2020, counted
  170 minutes a week over a 16-week semester, 45.3 hours).
- Levels: EQF 1-8 (or a national framework's level of the same number), a QF-EHEA cycle (short, first,
  second, third cycle: EQF 5-8), or `not applicable`.
- Free text: read against Annex I's lists where the words say so clearly; a reading that stretches the words
  ("distance learning" as online) is marked as a guess.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

# --- language maps --------------------------------------------------------------------------------------------

_LANGUAGE_KEY = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


def is_language_map(value: object) -> bool:
    return isinstance(value, dict) and bool(value) and all(
        isinstance(k, str) and _LANGUAGE_KEY.match(k) and isinstance(v, str | list) for k, v in value.items())


def pick_language(value: dict, languages: Sequence[str] = ()) -> str:
    """The key of a language map to read: the institution's language, else English, else the first one."""
    keys = list(value)
    for wanted in (*languages, "en"):
        wanted = wanted.lower()
        for key in keys:
            if key.lower() == wanted or key.lower().startswith(wanted + "-"):
                return key
    return keys[0]


# --- dates ------------------------------------------------------------------------------------------------------

_MONTHS = {name: n for n, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")), start=1) for name in names}
_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|" \
         r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$")
_YEAR_FIRST = re.compile(r"^(\d{4})[./](\d{1,2})[./](\d{1,2})$")
_DAY_FIRST = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4})$")
_DAY_MONTH_WORD = re.compile(rf"^(\d{{1,2}})(?:st|nd|rd|th)?[\s-]+{_MONTH}[\s,-]+(\d{{4}})$", re.I)
_MONTH_WORD_DAY = re.compile(rf"^{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})$", re.I)


@dataclass(frozen=True)
class DateReading:
    day: dt.date | None
    note: str  # how the text was read, or why it is not a date


def read_date(text: str) -> DateReading:
    t = " ".join(text.split())
    try:
        if m := _ISO.match(t):
            return DateReading(dt.date(int(m[1]), int(m[2]), int(m[3])), "")
        if m := _YEAR_FIRST.match(t):
            return DateReading(dt.date(int(m[1]), int(m[2]), int(m[3])), "read year, month, day")
        if m := _DAY_FIRST.match(t):
            day, month, year = int(m[1]), int(m[3]), int(m[4])
            if month > 12:
                return DateReading(None, f"'{text}' is not a date read day first (dd{m[2]}mm{m[2]}yyyy): {month} "
                                         "cannot be a month; write it as YYYY-MM-DD")
            both = day <= 12 and day != month
            return DateReading(dt.date(year, month, day), "read day first" if both else "")
        if m := _DAY_MONTH_WORD.match(t):
            return DateReading(dt.date(int(m[3]), _MONTHS[m[2].lower().rstrip(".")], int(m[1])), "")
        if m := _MONTH_WORD_DAY.match(t):
            return DateReading(dt.date(int(m[3]), _MONTHS[m[1].lower().rstrip(".")], int(m[2])), "")
    except ValueError:
        return DateReading(None, f"'{text}' is not a real date (write YYYY-MM-DD)")
    return DateReading(None, f"'{text}' is not a date (write YYYY-MM-DD, dd.mm.yyyy, dd/mm/yyyy or 5 May 2025)")


def issue_date(written: str, today: dt.date) -> tuple[str, str | None]:
    """A credential's date of issue as shown (the day it reads as, else as written), and what is wrong with it."""
    reading = read_date(written)
    return (shown_date(reading, written) if reading.day else written), date_problem(reading, written, today)


def date_problem(reading: DateReading, text: str, today: dt.date) -> str | None:
    if reading.day is None:
        return f"date of issue: {reading.note}"
    if reading.day > today:
        return f"date of issue {reading.day.isoformat()} is in the future"
    return None


def shown_date(reading: DateReading, text: str) -> str:
    assert reading.day is not None
    iso = reading.day.isoformat()
    if text.strip().startswith(iso):
        return iso
    return f"{iso} (from '{text}'{', ' + reading.note if reading.note else ''})"


# --- workload ---------------------------------------------------------------------------------------------------

ECTS = "ECTS"
HOURS = "hours"


@dataclass(frozen=True)
class CreditRule:
    """How workloads convert to ECTS: the institution's national credit and the hours of one ECTS credit."""

    name: str = "credit"
    hours: float = 40.0
    ects_hours: float = 27.5

    def hours_of(self, unit: str) -> float | None:
        """Notional hours of one unit named `unit` (a national credit), or None when the unit is not a credit."""
        key = unit.lower()
        if key == self.name.lower() or key == self.name.lower() + "s":
            return self.hours
        if key in NATIONAL_CREDITS:
            return NATIONAL_CREDITS[key][0]
        if key in ("credit", "credits", "cr", "kredit"):
            return self.hours
        return None


# National credits read without any setting; the institution's own `credits:` setting takes precedence.
NATIONAL_CREDITS = {"sks": (45.0, "SKS")}  # Indonesia: Permendikbudristek No. 53/2023

_UNIT_WORDS = {"ects": ECTS, "ec": ECTS, "ects credits": ECTS, "hours": HOURS, "hour": HOURS, "hrs": HOURS,
               "hr": HOURS, "h": HOURS, "nlh": HOURS, "jam": HOURS, "notional hours": HOURS,
               "notional learning hours": HOURS}
_NUMBER_UNIT = re.compile(r"(\d+(?:[.,]\d+)?)\s*([A-Za-z][A-Za-z ]{0,30})?")


def unit_of_header(header: str) -> str | None:
    """The unit a column's header names for the bare numbers under it (`ECTS`, `Hours`, `Credits`, `SKS`,
    `Workload (ECTS)`, `Notional learning hours`), or None."""
    words = re.findall(r"[a-z]+", header.lower())
    if "ects" in words or "ec" in words:
        return ECTS
    if "sks" in words:
        return "SKS"
    if any(w in ("hours", "hour", "hrs", "nlh", "slt", "jam") for w in words):
        return HOURS
    if any(w in ("credits", "credit", "kredit") for w in words):
        return "credits"
    return None


@dataclass(frozen=True)
class Workload:
    ects: float | None
    shown: str  # the value and how it converts, e.g. "2 SKS = 90 hours = 3.27 ECTS"
    problem: str | None = None


def read_workload(text: str, rule: CreditRule, *, header: str | None = None) -> Workload:
    header_unit = unit_of_header(header) if header else None
    match = _NUMBER_UNIT.search(text)
    if not match:
        return Workload(None, text, f"workload '{text}' holds no number")
    value = float(match.group(1).replace(",", "."))
    written = (match.group(2) or "").strip().lower()
    unit = _unit(written, rule) if written else None
    if unit is None and written and header_unit is None:
        return Workload(None, text, f"workload '{text}': the unit '{match.group(2).strip()}' is not ECTS, hours or a "
                                    f"known credit (set the national credit with `credits:` in institution.yaml or "
                                    "--credit-name and --credit-hours)")
    unit = unit or header_unit
    if unit is None:
        where = f"the column header '{header}'" if header else "the credential"
        return Workload(None, text, f"workload '{text}' cannot be converted to ECTS: no unit in the cell or in "
                                    f"{where} (write 2 ECTS, 50 hours or 2 credits, or head the column ECTS, Hours, "
                                    "Credits or SKS)")
    if value <= 0:
        return Workload(None, text, f"workload '{text}' must be more than zero")
    shown_value = f"{value:g}"
    if unit == ECTS:
        return Workload(round(value, 2), f"{shown_value} ECTS")
    if unit == HOURS:
        ects = round(value / rule.ects_hours, 2)
        return Workload(ects, f"{shown_value} hours = {ects:g} ECTS at {rule.ects_hours:g} hours per ECTS")
    name = rule.name if unit == "credits" else unit
    hours = rule.hours_of(name)
    assert hours is not None  # `_unit` and `unit_of_header` only name credits that have hours
    ects = round(value * hours / rule.ects_hours, 2)
    plural = name + "s" if name.islower() and value != 1 else name  # "2 credits", but "2 SKS"
    return Workload(ects, f"{shown_value} {plural} = {value * hours:g} hours = {ects:g} ECTS ({hours:g} hours per "
                          f"{name}, {rule.ects_hours:g} per ECTS)")


def _unit(written: str, rule: CreditRule) -> str | None:
    first = written.split()[0]
    for candidate in (written, first):
        if candidate in _UNIT_WORDS:
            return _UNIT_WORDS[candidate]
    if rule.hours_of(first) is not None:
        if first in NATIONAL_CREDITS and first != rule.name.lower():
            return NATIONAL_CREDITS[first][1]
        return "credits"
    return None


_DURATION = re.compile(r"^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?"
                       r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def duration_hours(text: str) -> float | None:
    """Hours of an ISO 8601 duration of hours and minutes (`PT45H`, `PT90M`); None for years, months, weeks or
    days, which say how long a course runs rather than how many hours of learning it takes."""
    m = _DURATION.match(text.strip())
    if not m or not text.strip().startswith("PT") or not any(m.groups()):
        return None
    hours, minutes, seconds = (float(g) if g else 0.0 for g in m.groups()[4:])
    return round(hours + minutes / 60 + seconds / 3600, 2)


# --- levels -----------------------------------------------------------------------------------------------------

NOT_APPLICABLE_WORDS = {"n/a", "na", "n.a.", "n.a", "not applicable", "none", "-", "—", "nil", "no level"}
_CYCLES = (("short cycle", 5), ("short-cycle", 5), ("first cycle", 6), ("second cycle", 7), ("third cycle", 8))


def says_not_applicable(text: str) -> bool:
    return " ".join(text.lower().split()) in NOT_APPLICABLE_WORDS


@dataclass(frozen=True)
class Level:
    eqf: int | None
    problem: str | None = None


def read_level(text: str) -> Level:
    lowered = text.lower()
    for words, eqf in _CYCLES:
        if words in lowered:
            return Level(eqf)
    found = re.search(r"\d+", text)
    if not found:
        return Level(None, f"level '{text}' names no EQF level (write 1-8, a QF-EHEA cycle, or 'not applicable')")
    number = int(found.group(0))
    if not 1 <= number <= 8:
        return Level(None, f"level '{text}' is outside 1-8 (EQF)")
    return Level(number)


# --- the EU vocabularies of Annex I --------------------------------------------------------------------------------

PARTICIPATION_TERMS = ("online", "onsite", "blended", "volunteering", "work experience")
ASSESSMENT_TERMS = ("testing", "application of a skill", "portfolio", "recognition of prior learning")
SUPERVISION_TERMS = ("unsupervised with no identity verification", "supervised with no identity verification",
                     "supervised online or onsite with identity verification")
STACKING_TERMS = ("stand-alone", "integrated or stackable")

# (pattern, term, a guess?) in the order they are tried; every clear pattern is tried before any guess
_PARTICIPATION = [
    (r"\bblended\b|\bhybrid\b|\bmixed[- ]mode\b", "blended", False),
    (r"\bon[- ]?site\b|\bin[- ]person\b|\bface[- ]to[- ]face\b|\bon[- ]campus\b|\bclassroom\b|\bpresential\b",
     "onsite", False),
    (r"\bonline\b|\be-?learning\b|\bremote\b|\bvirtual\b|\bweb[- ]based\b|\bmooc\b", "online", False),
    (r"\bvolunteer", "volunteering", False),
    (r"\bwork[- ]based\b|\bwork experience\b|\bwork placement\b|\binternship\b|\bapprenticeship\b|"
     r"\bon[- ]the[- ]job\b|\bworkplace\b", "work experience", False),
    # distance learning is mostly online today, but may be correspondence study
    (r"\bdistance\b", "online", True),
    (r"\bplacement\b|\btraineeship\b", "work experience", True),
]
_ASSESSMENT = [
    (r"\brecognition of prior learning\b|\brpl\b|\bapel\b|\bprior learning\b|\bvalidation of (non-formal|informal)",
     "recognition of prior learning", False),
    (r"\bportfolio", "portfolio", False),
    (r"\btest(s|ing)?\b|\bexam(s|ination)?\b|\bquiz|\bmultiple[- ]choice\b|\bmcq\b|\bviva\b",
     "testing", False),
    (r"\bpractical\b|\bdemonstrat|\bskills? (test|assessment|demonstration)\b|\bsimulation\b|\bhands[- ]on\b|"
     r"\bfield assessment\b|\bworkplace assessment\b|\bapplication of (a )?skills?\b", "application of a skill", False),
    (r"\bproject\b|\bcapstone\b|\bartefact\b|\bartifact\b|\bcase stud|\bdesign\b|\bpresentation\b",
     "application of a skill", True),
    (r"\bexercises?\b|\bquestions?\b|\bassignments?\b", "testing", True),
]
_SUPERVISION = [
    (r"\bunsupervised\b", "unsupervised with no identity verification", False),
    (r"\bsupervised\b.*\b(no|without|not)\b.*\b(id|identity)\b", "supervised with no identity verification", False),
    (r"\bsupervised\b.*\b(with|and)\b.*\b(id|identity)\b|\bwith (id|identity) (verification|check)",
     "supervised online or onsite with identity verification", False),
    (r"\bsupervised online\b|\bproctored\b|\binvigilated\b", "supervised online or onsite with identity verification",
     True),
]
_STACKING = [
    (r"\bstand[- ]?alone\b|\bindependent\b", "stand-alone", False),
    (r"\bstackable\b|\bstack(s|ed)? (in)?to\b|\bintegrat|\bcounts? towards\b|\bcredit towards\b",
     "integrated or stackable", False),
]


@dataclass(frozen=True)
class Reading:
    terms: tuple[str, ...]  # the vocabulary terms, in the vocabulary's order
    guess: bool

    @property
    def shown(self) -> str | None:
        return ", ".join(self.terms) or None


def _read(text: str, table: list[tuple[str, str, bool]], order: Sequence[str]) -> Reading:
    lowered = " ".join(text.lower().split())
    clear = {term for pattern, term, guess in table if not guess and re.search(pattern, lowered)}
    if clear:
        return Reading(tuple(t for t in order if t in clear), False)
    guessed = {term for pattern, term, guess in table if guess and re.search(pattern, lowered)}
    return Reading(tuple(t for t in order if t in guessed), bool(guessed))


def read_participation(text: str) -> Reading:
    return _read(text, _PARTICIPATION, PARTICIPATION_TERMS)


def read_assessment(text: str) -> Reading:
    return _read(text, _ASSESSMENT, ASSESSMENT_TERMS)


def read_supervision(text: str) -> Reading:
    lowered = " ".join(text.lower().split())
    # the three categories are exclusive: take the first that matches, most specific first
    for pattern, term, guess in _SUPERVISION:
        if re.search(pattern, lowered):
            return Reading((term,), guess)
    return Reading((), False)


def read_stacking(text: str) -> Reading:
    return _read(text, _STACKING, STACKING_TERMS)


def participation_problem(text: str, reading: Reading) -> str | None:
    if reading.terms:
        return None
    return (f"form of participation '{text}' is not one of Annex I's forms ({', '.join(PARTICIPATION_TERMS)}); "
            "say which of them it is")
