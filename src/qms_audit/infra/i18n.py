"""The reader's language: interface and report words from the gettext catalogues, dates and numbers by Babel.

One language serves a process (a command, or the TUI it opens), chosen once by `services.profile.language_for`.
Words are written in English in the code and looked up at the moment they are shown, so a module-level table
of words marks them with `N_` and translates each with `_` where it is read. Records, identifiers, `--json` keys
and log entries are never translated: a workspace reads the same in every language.

The catalogues are `locale/<code>/LC_MESSAGES/qms_audit.po`, kept with Babel (`make catalogues` extracts the
words from the code, updates each catalogue and compiles it); building the package compiles them too
(hatch_build.py). A catalogue edited after its compiled copy was made is read from the .po itself.
"""

from __future__ import annotations

import datetime as dt
import gettext as _gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

ENGLISH = "en"
# Every language a person may read in; English is the language the code is written in.
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "id": "Bahasa Indonesia", "ms": "Bahasa Melayu"}
LANGUAGES = tuple(LANGUAGE_NAMES)
DOMAIN = "qms_audit"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

_current = ENGLISH


def current_language() -> str:
    return _current


def set_language(code: str) -> None:
    """Choose the language for the rest of the process (`code` has been checked by `language_for`)."""
    global _current
    if code not in LANGUAGE_NAMES:
        raise ValueError(f"unknown language code {code!r}")
    _current = code


@contextmanager
def language(code: str) -> Iterator[None]:
    """Read in `code` within the block (tests, and a document made in a language other than the reader's)."""
    before = _current
    set_language(code)
    try:
        yield
    finally:
        set_language(before)


@cache
def catalogue(code: str) -> _gettext.NullTranslations:
    """The compiled catalogue of `code`, else one compiled in memory from its .po when that is newer (an edit
    not yet built), else none: English words are shown."""
    if code == ENGLISH:
        return _gettext.NullTranslations()
    po = LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as compiled:
            return _gettext.GNUTranslations(compiled)
    if not po.is_file():
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as source:
        messages = read_po(source, locale=code, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, messages)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def _(message: str) -> str:
    """`message` in the reader's language (itself in English, or when the catalogue lacks it)."""
    if _current == ENGLISH:
        return message
    return catalogue(_current).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    if _current == ENGLISH:
        return singular if n == 1 else plural
    return catalogue(_current).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """For one English word that reads differently by its place (a column 'Date' and a verb 'date')."""
    if _current == ENGLISH:
        return message
    return catalogue(_current).pgettext(context, message)


def N_(message: str) -> str:
    """Marks words for the catalogue where they are written (a table of words); `_` translates them when read."""
    return message


def NP_(context: str, message: str) -> str:
    """`N_` for words read with `pgettext(context, ...)`."""
    return message


def format_date(value: dt.date | dt.datetime | None, *, none: str = "", long: bool = False) -> str:
    """A date as the reader writes it: ISO in English (records and workbooks sort on it), '28 Nov 2026' (or with
    `long`, '28 November 2026') in Indonesian and Malay; a time is added to a datetime."""
    if value is None:
        return none
    if _current == ENGLISH:
        if isinstance(value, dt.datetime):
            return value.strftime("%Y-%m-%d %H:%M")
        return value.isoformat()
    from babel import dates

    day = value.date() if isinstance(value, dt.datetime) else value
    text = dates.format_date(day, "long" if long else "medium", locale=_current)
    if isinstance(value, dt.datetime):
        text += " " + dates.format_time(value, "HH:mm", locale=_current)
    return text


def format_long_date(value: dt.date | dt.datetime | None, *, none: str = "") -> str:
    """A date in running text: '3 December 2026' in English, '3 Desember 2026' in Indonesian."""
    if value is None:
        return none
    if _current == ENGLISH:
        day = value.date() if isinstance(value, dt.datetime) else value
        return f"{day.day} {day.strftime('%B %Y')}"
    return format_date(value.date() if isinstance(value, dt.datetime) else value, long=True)


def format_decimal(value: float, *, places: int = 1) -> str:
    """'3.5' in English and Malay, '3,5' in Indonesian."""
    if _current == ENGLISH:
        return f"{value:.{places}f}"
    from babel.numbers import format_decimal as babel_decimal

    pattern = "0." + "0" * places if places else "0"
    return babel_decimal(value, format=pattern, locale=_current)
