"""Finding values in a credential's JSON by the names of its own data model, with the path to each.

A path is written as the credential spells it: `credentialSubject.hasClaim.specifiedBy.learningOutcome[0].title.en`.
Where the model allows one value or a list, the first member is taken and its index shown.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from qms_audit.services.credentials.values import is_language_map, pick_language

Part = str | int


def format_path(parts: Sequence[Part]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.replace("_", "").replace("-", "").replace("@", "").replace(":", "").isalnum():
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


@dataclass(frozen=True)
class At:
    """A value of the credential and where it is."""

    value: Any
    parts: tuple[Part, ...] = ()

    @property
    def path(self) -> str:
        return format_path(self.parts)

    def first(self) -> At | None:
        """The value itself, or the first member of a list (None for an empty list)."""
        if isinstance(self.value, list):
            return At(self.value[0], (*self.parts, 0)) if self.value else None
        return self

    def members(self) -> Iterator[At]:
        """Every member of a list, or the value alone."""
        if isinstance(self.value, list):
            for i, item in enumerate(self.value):
                yield At(item, (*self.parts, i))
        elif self.value is not None:
            yield self

    def get(self, *keys: str) -> At | None:
        """The value under `keys` (first members of lists on the way), or None when any step is missing."""
        node: At | None = self
        for key in keys:
            node = node.first() if node is not None else None
            if node is None or not isinstance(node.value, dict) or key not in node.value:
                return None
            value = node.value[key]
            if value is None or value == "" or value == [] or value == {}:
                return None
            node = At(value, (*node.parts, key))
        return node

    def any(self, *routes: Sequence[str]) -> At | None:
        """The first of several routes that leads to a value."""
        for route in routes:
            found = self.get(*route)
            if found is not None:
                return found
        return None


# keys whose value is what a node of the model says, in the order they are tried
_TEXT_KEYS = ("noteLiteral", "prefLabel", "legalName", "title", "name", "label", "@value", "targetName",
              "narrative", "content")


def text(at: At | None, languages: Sequence[str] = (), *, depth: int = 0) -> tuple[str, str] | None:
    """What a value says, as (text, path of the text): a string or number, the chosen language of a language
    map, the label of a concept, the literal of a note. None when it says nothing readable."""
    if at is None or depth > 4:
        return None
    value = at.value
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return (" ".join(value.split()), at.path) if value.strip() else None
    if isinstance(value, int | float):
        return f"{value:g}", at.path
    if isinstance(value, list):
        first = at.first()
        return text(first, languages, depth=depth + 1) if first is not None else None
    if isinstance(value, dict):
        if is_language_map(value):
            key = pick_language(value, languages)
            return text(At(value[key], (*at.parts, key)), languages, depth=depth + 1)
        for key in _TEXT_KEYS:
            if key in value:
                found = text(At(value[key], (*at.parts, key)), languages, depth=depth + 1)
                if found is not None:
                    return found
    return None


def texts(at: At | None, languages: Sequence[str] = ()) -> list[tuple[str, str]]:
    """`text` of every member of a list (or of the value alone)."""
    if at is None:
        return []
    return [t for member in at.members() if (t := text(member, languages)) is not None]
