"""Errors the user can act on. Each renders as one line per problem: file, place, what is wrong, the fix.

Anything raised that is not a `QmsError` is a defect in qms-audit and is reported as such by the CLI.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from qms_audit.infra import exit_codes


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    message: str
    file: str | None = None
    line: int | None = None
    where: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        head = ""
        if self.file:
            head = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [p for p in (head, self.where) if p]
        text = ": ".join([*parts, self.message])
        if self.hint:
            text += f" ({self.hint})"
        return text


class QmsError(Exception):
    """Base class: an error message meant for the user, and the exit code that goes with it."""

    exit_code = exit_codes.BAD_INPUT

    def __init__(self, message: str = "", *, problems: Sequence[Problem] = ()) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not message and self.problems:
            message = str(self.problems[0])
        super().__init__(message)
        self.message = message

    def lines(self) -> list[str]:
        """One printable line per problem: control characters from a hostile file are shown escaped, so that
        nothing it holds can break the line or drive the terminal."""
        raw = [str(p) for p in self.problems] if self.problems else [self.message]
        return [printable(line) for line in raw]


def printable(text: str) -> str:
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class BadInput(QmsError):
    """Arguments or files that cannot be used as given."""


class NotFound(BadInput):
    """An id, reference or file that does not exist."""


class InvalidFile(BadInput):
    """A file that is malformed or fails validation; `problems` holds one entry per fault."""


class Refused(BadInput):
    """A valid request that a rule forbids: editing a closed audit, closing a CAPA without verification."""


class Locked(QmsError):
    """Another writer holds the audit's lock."""

    exit_code = exit_codes.LOCKED_OR_IO


class Conflict(QmsError):
    """Someone else changed the record since it was read; the caller's input is kept, not applied."""

    exit_code = exit_codes.LOCKED_OR_IO


class StorageError(QmsError):
    """A file could not be read or written for reasons outside the user's input (disk, permissions)."""

    exit_code = exit_codes.LOCKED_OR_IO


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A hint naming the closest known word, for misspelt keys and ids."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else None


def choice_hint(word: str, choices: Iterable[str], limit: int = 12) -> str:
    """`did you mean` when something is close, otherwise the list of valid values."""
    choices = list(choices)
    close = did_you_mean(word, choices)
    if close:
        return close
    shown = ", ".join(choices[:limit]) + (", ..." if len(choices) > limit else "")
    return f"expected one of: {shown}" if choices else "nothing is defined yet"


def from_validation(exc: Exception, what: str) -> BadInput:
    """A pydantic error on values typed at the command line, as one line naming the field."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return BadInput(f"{what}: {exc}")
    first = errors()[0]
    place = ".".join(str(p) for p in first.get("loc", ())) or "value"
    return BadInput(f"{what}: {place}: {first.get('msg', 'invalid')}")
