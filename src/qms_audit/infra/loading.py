"""Loading hand-authored YAML and machine-written JSON into pydantic models, with located problems.

YAML is parsed with PyYAML's safe C loader into a node tree; we build the Python values ourselves so that
we can (1) remember the line of every key and value, (2) refuse duplicate keys, tags other than the plain
YAML types, and alias expansions that would blow up memory (the "billion laughs"), and (3) report every
validation error as `file:line: field: what is wrong (fix)`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from functools import cache
from pathlib import Path
from types import NoneType, UnionType
from typing import Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from qms_audit.infra.errors import InvalidFile, Problem, did_you_mean
from qms_audit.infra.files import MIB, decode_text, display_path, read_bytes_bounded


def _yaml():
    """PyYAML, imported on first use: most commands read only JSON records and cached standards."""
    import yaml

    return yaml

M = TypeVar("M", bound=BaseModel)
Path_ = tuple[str | int, ...]

# Bounds for what a hand-authored document may expand to. A real standard has a few thousand nodes.
MAX_NODES = 500_000
MAX_DEPTH = 100
DEFAULT_MAX_BYTES = 5 * MIB

_PLAIN_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


# How a kind of document names a place in it for its author: `clause 10, requirement 10.2.a, force` rather than
# `clauses[9].requirements[1].force`. Given the document and the path; format_path when a kind has none.
Places = Callable[["Located", Sequence[str | int]], str]


class Located:
    """A parsed document plus the line of every key and value in it, keyed by path, and the text as written of
    every plain value YAML read as something else than text (a number, a date, true or false)."""

    def __init__(self, data: Any, lines: dict[Path_, int], shown: str, written: dict[Path_, str] | None = None
                 ) -> None:
        self.data = data
        self.lines = lines
        self.shown = shown
        self.written: dict[Path_, str] = written if written is not None else {}
        self.places: Places | None = None

    def line_of(self, path: Sequence[str | int]) -> int | None:
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)

    def where(self, path: Sequence[str | int]) -> str:
        return self.places(self, path) if self.places is not None else format_path(path)

    def problem(self, path: Sequence[str | int], message: str, hint: str | None = None) -> Problem:
        return Problem(message, file=self.shown, line=self.line_of(path), where=self.where(path) or None,
                       hint=hint)


def format_path(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not part.isprintable() or not part.strip() or part != part.strip():
            out += f"[{part!r}]"  # a key with control characters or blanks, shown so that it stays one line
        else:
            out += f".{part}" if out else str(part)
    return out


class _Builder:
    def __init__(self, loader: Any, shown: str) -> None:
        self.loader = loader
        self.shown = shown
        self.lines: dict[Path_, int] = {}
        self.written: dict[Path_, str] = {}
        self.count = 0
        self.problems: list[Problem] = []

    def fail(self, node: Any, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(message, file=self.shown, line=node.start_mark.line + 1, hint=hint))

    def build(self, node: Any, path: Path_, depth: int, active: set[int]) -> Any:
        yaml = _yaml()
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooBig(node)
        if depth > MAX_DEPTH or id(node) in active:
            raise _TooDeep(node)
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            value = self._scalar(node)
            if value is not None and not isinstance(value, str):
                self.written[path] = node.value  # what the author typed, for the "quote it" hint
            return value
        active = active | {id(node)}
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ_TAG:
                self.fail(node, f"tag '{node.tag}' is not allowed", "use plain YAML lists only")
                return None
            return [self.build(item, (*path, i), depth + 1, active) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            if node.tag != _MAP_TAG:
                self.fail(node, f"tag '{node.tag}' is not allowed", "use plain YAML mappings only")
                return None
            return self._mapping(node, path, depth, active)
        self.fail(node, "unsupported YAML node")
        return None

    def _scalar(self, node: Any) -> Any:
        yaml = _yaml()
        if node.tag not in _PLAIN_SCALAR_TAGS:
            self.fail(node, f"tag '{node.tag}' is not allowed", "use plain YAML values only")
            return None
        try:
            return self.loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError) as exc:
            self.fail(node, f"cannot read value: {exc}")
            return None

    def _mapping(self, node: Any, path: Path_, depth: int, active: set[int]) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        first_line: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, path, depth, active)
            if key is None:
                continue
            line = key_node.start_mark.line + 1
            if key in result:
                self.fail(key_node, f"duplicate key '{key}' (first given at line {first_line[key]})",
                          "keep one of them")
                continue
            first_line[key] = line
            self.lines[(*path, key)] = line
            result[key] = self.build(value_node, (*path, key), depth + 1, active)
            self.lines[(*path, key)] = line
        self.lines.pop((*path, "<key>"), None)
        self.written.pop((*path, "<key>"), None)
        return result

    def _key(self, key_node: Any, path: Path_, depth: int, active: set[int]) -> str | None:
        """A mapping key as text, or None (with the problem recorded) when it is not a plain word."""
        yaml = _yaml()
        if not isinstance(key_node, yaml.ScalarNode):
            self.fail(key_node, "a key must be a plain word, not a list or mapping")
            return None
        if key_node.tag == "tag:yaml.org,2002:merge":
            self.fail(key_node, "merge keys (<<) are not supported", "write the keys out in full")
            return None
        key = self.build(key_node, (*path, "<key>"), depth + 1, active)
        if not isinstance(key, str | int | float | bool) or key is None:
            self.fail(key_node, "a key must be a plain word")
            return None
        return str(key) if not isinstance(key, str) else key


class _TooBig(Exception):
    def __init__(self, node: Any) -> None:
        self.node = node


class _TooDeep(_TooBig):
    pass


def parse_yaml_text(text: str, *, shown: str) -> Located:
    """Parse YAML safely; raise InvalidFile with the line of every problem."""
    if not text.strip():
        raise InvalidFile(f"{shown}: file is empty (expected a YAML mapping)")
    yaml = _yaml()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            what = (exc.problem or exc.context or "syntax error").strip()
            raise InvalidFile(problems=[Problem(f"YAML syntax error: {what}", file=shown, line=line,
                                                hint="check indentation, colons and quotes on this line")]
                              ) from None
        except yaml.YAMLError as exc:
            # e.g. a control character: libyaml's message spans lines and names its own buffer
            said = " ".join(str(exc).split()).split(' in "<unicode string>"')[0]
            line = text.count("\n", 0, exc.position) + 1 if isinstance(getattr(exc, "position", None), int) \
                else None
            raise InvalidFile(problems=[Problem(f"YAML error: {said}", file=shown, line=line,
                                                hint="remove the character or save the file as plain UTF-8 text")]
                              ) from None
        if node is None:
            raise InvalidFile(f"{shown}: file is empty (expected a YAML mapping)")
        builder = _Builder(loader, shown)
        try:
            data = builder.build(node, (), 0, set())
        except _TooDeep as exc:
            raise InvalidFile(problems=[Problem(
                f"nesting deeper than {MAX_DEPTH} levels or a recursive alias", file=shown,
                line=exc.node.start_mark.line + 1, hint="remove the self-referencing anchor")]) from None
        except _TooBig as exc:
            raise InvalidFile(problems=[Problem(
                f"document expands to more than {MAX_NODES:,} values (anchors and aliases multiply it)",
                file=shown, line=exc.node.start_mark.line + 1,
                hint="write the content out instead of repeating aliases")]) from None
        if builder.problems:
            raise InvalidFile(problems=builder.problems)
        return Located(data, builder.lines, shown, builder.written)
    finally:
        loader.dispose()


def read_yaml(path: Path, *, what: str, max_bytes: int = DEFAULT_MAX_BYTES, base: Path | None = None) -> Located:
    shown = display_path(path, base)
    data = read_bytes_bounded(path, max_bytes=max_bytes, what=what, shown=shown)
    return parse_yaml_text(decode_text(data, shown=shown), shown=shown)


# --- pydantic errors to located problems -------------------------------------------------------------


def _unwrap(annotation: Any) -> list[Any]:
    """The model classes an annotation may hold (through Optional, unions, lists and dicts)."""
    origin = get_origin(annotation)
    if origin in (Union, UnionType):
        out: list[Any] = []
        for arg in get_args(annotation):
            if arg is not NoneType:
                out.extend(_unwrap(arg))
        return out
    if origin in (list, tuple, set, frozenset, Sequence):
        return _unwrap(get_args(annotation)[0]) if get_args(annotation) else []
    if origin is dict:
        args = get_args(annotation)
        return _unwrap(args[1]) if len(args) == 2 else []
    if get_origin(annotation) is not None and hasattr(annotation, "__metadata__"):
        return _unwrap(get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def model_at(root: type[BaseModel], path: Sequence[str | int]) -> type[BaseModel] | None:
    """The model class that owns the mapping at `path` in a document validated against `root`."""
    current: type[BaseModel] | None = root
    for part in path:
        if current is None:
            return None
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part)
        if field is None:
            field = next((f for f in current.model_fields.values() if f.alias == part), None)
        if field is None:
            # dict keyed by user values (e.g. results by ref): stay with the value model
            continue
        models = _unwrap(field.annotation)
        current = models[0] if models else None
    return current


# What a user should write when a value does not have the form a field's pattern asks for
PATTERN_HINTS = {
    r"^\d{4}-(0[1-9]|1[0-2])$": "write a month as YYYY-MM, e.g. 2026-03",
    r"^[a-z0-9][a-z0-9._-]{0,63}$": "use lower-case letters, digits, '.', '_' or '-', e.g. mc-qms",
    r"^[0-9A-Za-z]{1,8}(\.[0-9A-Za-z]{1,8}){0,5}$": "write a clause number such as 4 or 9.2.1",
    r"^[0-9A-Za-z]{1,8}(\.[0-9A-Za-z]{1,8}){1,6}$": "write a requirement ref such as 4.2.a",
    r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$": "use capitals, digits and '-', e.g. SOP-RISK",
    r"^[A-Z][A-Z0-9]{1,9}$": "use 2-10 capitals or digits starting with a letter, e.g. FOE",
    r"^[a-z][a-z0-9_]{1,40}$": "use lower-case letters, digits and '_', e.g. quality_manager",
    r"^[A-Za-z][A-Za-z0-9]{1,11}$": "use 2-12 letters or digits starting with a letter, e.g. UTN",
    r"^A\d+$": "number actions A1, A2, ...",
    r"^A[0-9]+$": "number actions A1, A2, ...",
}


def validation_problems(exc: ValidationError, located: Located, model: type[BaseModel],
                        prefix: Path_ = (), skip: Collection[Path_] = ()) -> list[Problem]:
    problems: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        path = (*prefix, *loc)
        if path in skip:
            continue
        kind = err["type"]
        if kind == "extra_forbidden":
            key = str(loc[-1]) if loc else "?"
            owner = model_at(model, loc[:-1])
            hint = did_you_mean(key, _field_names(owner)) if owner else None
            if hint is None and owner is not None:
                hint = "allowed fields: " + ", ".join(_field_names(owner))
            problems.append(located.problem(path, f"unknown field '{key}'", hint))
        elif kind == "missing":
            problems.append(located.problem(path, "required field is missing", "add it"))
        elif kind == "string_pattern_mismatch" and (err.get("ctx") or {}).get("pattern") in PATTERN_HINTS:
            value = err.get("input")
            problems.append(located.problem(path, f"{value!r} does not have the expected form",
                                            PATTERN_HINTS[err["ctx"]["pattern"]]))
        else:
            message = err["msg"]
            value = err.get("input")
            if isinstance(value, str | int | float | bool) and kind not in ("model_type", "dict_type"):
                shown_value = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "...'"
                message = f"{message} (got {shown_value})"
            problems.append(located.problem(path, message))
    return problems


# --- text that YAML reads as something else ----------------------------------------------------------------

_TEXT = "text"
_Shape = Any  # _TEXT, a model class, ("list", shape), ("dict", shape), or None for anything else


def _shape(annotation: Any) -> _Shape:
    """What a field holds, as far as text goes: text, a model, a list or mapping of them, or something else."""
    origin = get_origin(annotation)
    if origin is not None and hasattr(annotation, "__metadata__"):  # Annotated[str, constraints]
        return _shape(get_args(annotation)[0])
    if origin in (Union, UnionType):
        shapes = [_shape(arg) for arg in get_args(annotation) if arg is not NoneType]
        return shapes[0] if len(shapes) == 1 else None
    if origin in (list, tuple, set, frozenset, Sequence):
        args = get_args(annotation)
        inner = _shape(args[0]) if args else None
        return ("list", inner) if inner is not None else None
    if origin is dict:
        args = get_args(annotation)
        inner = _shape(args[1]) if len(args) == 2 else None
        return ("dict", inner) if inner is not None else None
    if annotation is str:
        return _TEXT
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None  # numbers, enums, literals: pydantic says what is wrong with them


@cache
def _field_shapes(model: type[BaseModel]) -> dict[str, _Shape]:
    shapes = {(field.alias or name): _shape(field.annotation) for name, field in model.model_fields.items()}
    return {key: shape for key, shape in shapes.items() if shape is not None}


def _non_text(value: Any, shape: _Shape, path: Path_) -> Iterator[tuple[Path_, Any]]:
    """Every value, at a place that takes text, that YAML read as something else."""
    if shape is _TEXT:
        if value is not None and not isinstance(value, str | list | dict):
            yield path, value
    elif isinstance(shape, tuple):
        kind, inner = shape
        if kind == "list" and isinstance(value, list):
            for i, item in enumerate(value):
                yield from _non_text(item, inner, (*path, i))
        elif kind == "dict" and isinstance(value, dict):
            for key, item in value.items():
                yield from _non_text(item, inner, (*path, key))
    elif isinstance(value, dict):
        for key, inner in _field_shapes(shape).items():
            if key in value:
                yield from _non_text(value[key], inner, (*path, key))


def misread_text(located: Located, model: type[BaseModel], *, text_only: Collection[str] = ()
                 ) -> list[tuple[Path_, Problem]]:
    """Values written without quotes where the model takes text, that YAML reads as something else than what
    was typed: `2018.10` is the number 2018.1 and `1.10` the number 1.1, `010` is 8, `2026-01-15` a date, `yes`
    true. Each is refused with the quoted form as the fix. A plain number that reads back as typed (`10`,
    `4.1`) is taken as text, except in the fields named in `text_only` (a version must always be quoted)."""
    problems: list[tuple[Path_, Problem]] = []
    for path, value in _non_text(located.data, model, ()):
        typed = located.written.get(path, str(value))
        key = next((part for part in reversed(path) if isinstance(part, str)), "")
        if isinstance(value, bool):
            message = f"YAML reads {typed} as {str(value).lower()}, not as text"
        elif isinstance(value, dt.date):
            message = f"YAML reads {typed} as a date, not as text"
        elif str(value) != typed:
            message = f"YAML reads {typed} as the number {value}, not as the text {typed}"
        elif key in text_only:
            message = f"YAML reads {typed} as a number, and {key} must be text"
        else:
            continue
        quoted = json.dumps(typed, ensure_ascii=False)
        fix = f"quote it: {key}: {quoted}" if isinstance(path[-1], str) else f"quote it: {quoted}"
        problems.append((path, located.problem(path, message, fix)))
    return problems


Check = Callable[[Any], Iterable[tuple[Sequence[str | int], str, str | None]]]


def load_yaml_model(path: Path, model: type[M], *, what: str, max_bytes: int = DEFAULT_MAX_BYTES,
                    checks: Sequence[Check] = (), base: Path | None = None, places: Places | None = None,
                    text_only: Collection[str] | None = None) -> M:
    """Read, parse and validate a YAML document; every problem is located and raised together."""
    located = read_yaml(path, what=what, max_bytes=max_bytes, base=base)
    return validate_located(located, model, checks=checks, places=places, text_only=text_only)


def validate_located(located: Located, model: type[M], *, checks: Sequence[Check] = (),
                     places: Places | None = None, text_only: Collection[str] | None = None) -> M:
    """`places` names the places of problems for the document's author; with `text_only` (the fields that must
    be written as text, may be empty), values YAML read as something else than typed are refused too."""
    if places is not None:
        located.places = places
    if not isinstance(located.data, dict):
        raise InvalidFile(problems=[located.problem((), "expected a mapping of fields at the top level")])
    found = misread_text(located, model, text_only=text_only) if text_only is not None else []
    misread = [problem for _path, problem in found]
    misread_paths = {path for path, _problem in found}
    try:
        obj = model.model_validate(located.data)
    except ValidationError as exc:
        problems = misread + validation_problems(exc, located, model, skip=misread_paths)
        raise InvalidFile(problems=sorted(problems, key=lambda p: (p.line or 0))) from None
    if misread:
        raise InvalidFile(problems=sorted(misread, key=lambda p: (p.line or 0)))
    problems = [located.problem(path, message, hint) for check in checks for path, message, hint in check(obj)]
    if problems:
        raise InvalidFile(problems=sorted(problems, key=lambda p: (p.line or 0)))
    return obj


def load_json_model(path: Path | str, model: type[M], *, what: str, max_bytes: int = 20 * MIB,
                    base: Path | None = None) -> M:
    """Fast path for machine-written records; on failure, re-read to give located problems. `path` may be a
    plain string: loading a portfolio builds tens of thousands of them, and a Path for each costs time."""
    return load_json_record(path, model, what=what, max_bytes=max_bytes, base=base)[0]


def load_json_record(path: Path | str, model: type[M], *, what: str, max_bytes: int = 20 * MIB,
                     base: Path | None = None) -> tuple[M, bytes]:
    """`load_json_model`, with the bytes the record was read from (valid JSON, as it validated)."""
    data = read_bytes_bounded(path, max_bytes=max_bytes, what=what, base=base)
    # Strict first: a record as qms-audit writes it has every value in its exact type, and strict validation
    # skips the coercions lax mode tries (a quarter faster over a portfolio). A record that needs one (written
    # by hand, or by an older version) is validated again as before: the result is the same either way.
    try:
        return model.model_validate_json(data, strict=True), data
    except ValidationError:
        pass
    try:
        return model.model_validate_json(data), data
    except ValidationError:
        pass
    raise InvalidFile(problems=json_problems(data, model, shown=display_path(Path(path), base)))


def json_problems(data: bytes, model: type[BaseModel], *, shown: str) -> list[Problem]:
    text = decode_text(data, shown=shown)
    if not text.strip():
        return [Problem("file is empty (expected a JSON object)", file=shown,
                        hint="restore it from version control or `qms-audit verify`")]
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        return [Problem(f"malformed JSON: {exc.msg}", file=shown, line=exc.lineno,
                        hint="restore the file from version control, or fix the syntax at this line")]
    except RecursionError:
        return [Problem("JSON nested too deeply to be a record", file=shown,
                        hint="restore the file from version control")]
    try:
        located = parse_yaml_text(text, shown=shown)
    except InvalidFile:
        located = Located(parsed, {}, shown)
    located.data = parsed
    try:
        validate_located(located, model)
    except InvalidFile as exc:
        return list(exc.problems) or [Problem(exc.message, file=shown)]
    return [Problem("record does not validate", file=shown)]
