"""Finding, loading and cross-checking the standards of a workspace."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from qms_audit import __version__
from qms_audit.infra.errors import InvalidFile, NotFound, QmsError, choice_hint
from qms_audit.infra.files import MIB, atomic_write_bytes, decode_text, read_bytes_bounded, sha256_bytes
from qms_audit.infra.loading import Located, format_path, load_yaml_model, parse_yaml_text, validate_located
from qms_audit.infra.locations import Workspace, cache_dir
from qms_audit.model.audit import Criteria
from qms_audit.model.overlay import LANGUAGES, overlay_name_parts
from qms_audit.model.standard import Clause, Requirement, Standard
from qms_audit.store.audits import CRITERIA_FILE

MAX_STANDARD_BYTES = 5 * MIB

Issue = tuple[Sequence[str | int], str, str | None]


def standard_problems(std: Standard) -> Iterator[Issue]:
    """Cross-reference checks that a JSON Schema cannot express, in the order a reader meets them in the file."""
    yield from _id_problems(std)
    yield from _sop_id_problems(std)
    walk = _ClauseWalk([s.id for s in std.sops])
    for i, top in enumerate(std.clauses):
        yield from walk.visit(top, ("clauses", i), None, False)
    yield from _clause_reference_problems(std, list(walk.clause_numbers))
    yield from _source_problems(std, walk.refs)
    if walk.requirement_count == 0:
        yield ("clauses",), "the standard has no auditable requirements", "add requirements to a clause"
    yield from _rating_problems(std)
    yield from _scoring_problems(std)


def _id_problems(std: Standard) -> Iterator[Issue]:
    # `x.id.yaml` is the Indonesian overlay of standard x, so a standard cannot be named like one
    if overlay_name_parts(f"{std.id}.yaml") is not None:
        yield ("id",), f"id '{std.id}' ends like a translation overlay's name (.{'/.'.join(LANGUAGES)})", \
            "choose an id that does not end in a language code after a dot"


def _sop_id_problems(std: Standard) -> Iterator[Issue]:
    seen: set[str] = set()
    for i, sop in enumerate(std.sops):
        if sop.id in seen:
            yield ("sops", i, "id"), f"duplicate SOP id '{sop.id}'", "give each SOP its own id"
        seen.add(sop.id)
        for name in sop.section_aliases:
            if name not in sop.required_sections:
                yield ("sops", i, "section_aliases", name), \
                    f"'{name}' is not one of the required sections of {sop.id}", \
                    choice_hint(name, list(sop.required_sections))


class _ClauseWalk:
    """The clause tree, depth first: numbering, informative clauses, requirement refs and the SOPs they name.
    Remembers every clause number (and requirement ref) seen, for the checks that come after the walk."""

    def __init__(self, sop_ids: list[str]) -> None:
        self.sop_ids = sop_ids
        self.clause_numbers: dict[str, tuple[str | int, ...]] = {}
        self.refs: dict[str, tuple[str | int, ...]] = {}
        self.requirement_count = 0

    def visit(self, clause: Clause, path: tuple[str | int, ...], parent: str | None,
              informative: bool) -> Iterator[Issue]:
        if clause.number in self.clause_numbers:
            yield (*path, "number"), f"duplicate clause number '{clause.number}'", None
        self.clause_numbers.setdefault(clause.number, path)
        if parent is not None and not clause.number.startswith(parent + "."):
            yield (*path, "number"), (f"sub-clause '{clause.number}' does not start with its parent's "
                                      f"number '{parent}.'"), f"number it {parent}.N"
        informative = informative or clause.informative
        for j, req in enumerate(clause.requirements):
            yield from self._requirement(clause, req, (*path, "requirements", j), informative)
        for k, sub in enumerate(clause.clauses):
            yield from self.visit(sub, (*path, "clauses", k), clause.number, informative)

    def _requirement(self, clause: Clause, req: Requirement, rpath: tuple[str | int, ...],
                     informative: bool) -> Iterator[Issue]:
        self.requirement_count += 1
        if informative:
            yield rpath, f"informative clause '{clause.number}' cannot hold requirements", \
                "remove `informative: true` or move the requirement"
        if req.ref in self.refs:
            yield (*rpath, "ref"), f"duplicate requirement ref '{req.ref}'", "refs must be unique"
        self.refs.setdefault(req.ref, rpath)
        if not req.ref.startswith(clause.number + "."):
            yield (*rpath, "ref"), (f"ref '{req.ref}' does not start with its clause number "
                                    f"'{clause.number}.'"), f"use {clause.number}.a, {clause.number}.b, ..."
        if req.sop is not None and req.sop not in self.sop_ids:
            yield (*rpath, "sop"), f"unknown SOP '{req.sop}'", choice_hint(req.sop, self.sop_ids)


def _clause_reference_problems(std: Standard, clause_numbers: list[str]) -> Iterator[Issue]:
    """SOPs and review inputs that name a clause the standard does not have."""
    for i, sop in enumerate(std.sops):
        if sop.clause not in clause_numbers:
            yield ("sops", i, "clause"), f"SOP '{sop.id}' names clause '{sop.clause}', which does not exist", \
                choice_hint(sop.clause, clause_numbers)
    for key, numbers in std.review_inputs.items():
        for k, number in enumerate(numbers):
            if number not in clause_numbers:
                yield ("review_inputs", key, k), f"clause '{number}' does not exist", \
                    choice_hint(number, clause_numbers)


def _source_problems(std: Standard, paths: dict[str, tuple[str | int, ...]]) -> Iterator[Issue]:
    """Traceability to the source document: a requirement can cite a clause of it only when the standard names
    it; and once some requirements cite theirs, every one does (a standard drawn from a document traces all of
    its requirements; an institution's own checklist may cite none)."""
    citing = [r for r in std.requirements() if r.source_clause is not None or r.source_modal is not None]
    if std.source is None:
        if citing:
            others = f" (and {len(citing) - 1} other requirement(s))" if len(citing) > 1 else ""
            field = "source_clause" if citing[0].source_clause is not None else "source_modal"
            yield (*paths[citing[0].ref], field), f"cites the source document{others}, but the standard names none", \
                "add `source: {citation: ...}` at the top, or remove source_clause and source_modal"
        return
    if not any(r.source_clause is not None for r in citing):
        return
    for req in std.requirements():
        if req.source_clause is None:
            yield paths[req.ref], "gives no source_clause, while other requirements cite theirs", \
                "add the clause of the source document it comes from"


def _rating_problems(std: Standard) -> Iterator[Issue]:
    if std.rating.kind == "levels":
        values = [lvl.value for lvl in std.rating.levels]
        if len(values) < 2:
            yield ("rating", "levels"), "a levels rating needs at least two levels", None
        elif values != sorted(set(values)):
            yield ("rating", "levels"), "levels must be listed in increasing order, each value once", None
    elif std.rating.levels:
        yield ("rating", "levels"), "levels are only used with `kind: levels`", "remove them or set kind"


def _scoring_problems(std: Standard) -> Iterator[Issue]:
    mins = [b.min for b in std.scoring.bands]
    if 0.0 not in mins:
        yield ("scoring", "bands"), "no band starts at 0, so low scores would have no band", "add a band with min: 0"
    if len({b.name for b in std.scoring.bands}) != len(std.scoring.bands):
        yield ("scoring", "bands"), "band names must be unique", None
    if std.scoring.major_cap >= std.scoring.pass_threshold:
        yield ("scoring", "major_cap"), "major_cap must be below pass_threshold", None


# A version must be quoted even when it reads back as typed: `1` today is `1.10` tomorrow.
TEXT_ONLY = ("version",)

_ITEMS = {"clauses": ("number", "clause", "sub-clause"), "requirements": ("ref", "requirement", "requirement"),
          "sops": ("id", "SOP", "SOP")}


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _label(located: Located, path: tuple[str | int, ...], item: object, key: str) -> str | None:
    """The number, ref or id the author gave the item at `path`, as typed; None when there is no usable one."""
    value = located.written.get((*path, key))
    if value is None and isinstance(item, dict):
        value = item.get(key)
    text = str(value) if isinstance(value, str | int | float) and not isinstance(value, bool) else ""
    return text if 0 < len(text) <= 24 and text.isprintable() and not any(c.isspace() for c in text) else None


def standard_place(located: Located, path: Sequence[str | int]) -> str:
    """A place in a standard as its author numbers it: `clause 10, requirement 10.2.a, force` for
    clauses[9].requirements[1].force. An item without a usable number is named by its position."""
    names: list[str] = []
    node: object = located.data
    parts = tuple(path)
    i = 0
    while i + 1 < len(parts) and isinstance(node, dict) and parts[i] in _ITEMS and isinstance(parts[i + 1], int):
        kind, index = str(parts[i]), int(parts[i + 1])
        items = node.get(kind)
        item = items[index] if isinstance(items, list) and 0 <= index < len(items) else None
        key, noun, nested_noun = _ITEMS[kind]
        label = _label(located, parts[: i + 2], item, key)
        if label is not None:
            if kind == "clauses" and names:
                names.pop()  # a sub-clause's number says which clause it is in
            names.append(f"{noun} {label}")
        else:
            names.append(f"its {_ordinal(index + 1)} {nested_noun}" if names else f"the {_ordinal(index + 1)} {noun}")
        node = item
        i += 2
    rest = format_path(parts[i:])
    return ", ".join([*names, rest] if rest else names)


def check_standard(std: Standard) -> None:
    """For standards built in code (tests, generators): raise like the loader would."""
    issues = list(standard_problems(std))
    if issues:
        located = Located(std.model_dump(mode="json"), {}, f"standard {std.id}")
        located.places = standard_place
        path, message, hint = issues[0]
        raise InvalidFile(problems=[located.problem(path, message, hint)])


@dataclass(frozen=True)
class RequirementSource:
    """Where one requirement comes from: what a reviewer checks against the source text, one row per
    requirement."""

    ref: str
    title: str
    force: str
    source: str | None  # None for an institution's own checklist that cites no source
    source_clause: str | None
    source_modal: str | None
    sop: str | None
    sop_clause: str | None

    def as_json(self) -> dict[str, str | None]:
        return asdict(self)


def requirement_sources(std: Standard) -> list[RequirementSource]:
    """Every requirement of the standard in clause order, with the document it was drawn from (the standard's
    source), the section of that document, the modal wording found there and the SOP it relies on (with the
    clause that asks for that SOP, so a link to an SOP of another clause stands out)."""
    sop_clause = {sop.id: sop.clause for sop in std.sops}
    return [
        RequirementSource(
            ref=req.ref, title=req.title, force=req.force.value,
            source=std.source.citation if std.source else None,
            source_clause=req.source_clause, source_modal=req.source_modal.value if req.source_modal else None,
            sop=req.sop, sop_clause=sop_clause.get(req.sop) if req.sop else None)
        for req in std.requirements()
    ]


def load_standard_file(path: Path, *, base: Path | None = None) -> Standard:
    return load_yaml_model(path, Standard, what="standard", max_bytes=MAX_STANDARD_BYTES,
                           checks=[standard_problems], base=base, places=standard_place, text_only=TEXT_ONLY)


def load_standard_bytes(data: bytes, *, shown: str) -> Standard:
    """A standard from the bytes of its file (a copy pinned in an audit folder), checked like a file, except for
    values YAML reads otherwise than typed: a pinned copy is read as it was when the audit was planned (an
    unquoted version then read as a number is the version its audit records), and cannot be edited without
    ceasing to be that text. The workspace's own files are checked for them when loaded."""
    located = parse_yaml_text(decode_text(data, shown=shown), shown=shown)
    return validate_located(located, Standard, checks=[standard_problems], places=standard_place)


@dataclass
class LoadedFile:
    path: Path
    standard: Standard | None
    error: QmsError | None


class StandardLibrary:
    """The standards of one workspace, parsed on first use and cached for the life of the process."""

    _cache: dict[tuple[str, int, int], Standard] = {}
    _by_hash: dict[str, Standard] = {}  # a standard's text is its identity: one parse per text and process

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def files(self) -> list[Path]:
        folder = self.workspace.standards_dir
        if not folder.is_dir():
            return []
        # anything but a folder is listed, so that a pipe or a device named like a standard is refused when read
        # (with its name and kind) rather than skipped without a word; translation overlays (`<id>.id.yaml`)
        # are not standards and are read by services.overlays
        return sorted(p for p in folder.iterdir()
                      if p.suffix in (".yaml", ".yml") and not p.is_dir() and overlay_name_parts(p.name) is None)

    def load(self, path: Path) -> Standard:
        try:
            st = path.stat()
            key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
        except OSError:
            key = None
        if key and key in self._cache:
            return self._cache[key]
        std = self._from_disk_cache(path) or load_standard_file(path, base=self.workspace.root)
        if not (path.stem == std.id or path.stem == f"{std.id}@{std.version}"):
            raise InvalidFile(f"{self.workspace.relative(path)}: the file of standard '{std.id}' must be named "
                              f"{std.id}.yaml (or {std.id}@{std.version}.yaml for an older version)")
        if key:
            self._cache[key] = std
        return std

    # A validated standard is kept as JSON in the user's cache, keyed by the YAML's hash: reading it back
    # is ten times faster than parsing YAML, which keeps `qms-audit score` and the TUI's start-up quick.
    def _cache_file(self, data: bytes) -> Path | None:
        folder = cache_dir()
        return folder / f"standard-{sha256_bytes(data)[:32]}-{__version__}.json" if folder else None

    def _from_disk_cache(self, path: Path) -> Standard | None:
        try:
            data = read_bytes_bounded(path, max_bytes=MAX_STANDARD_BYTES, what="standard")
        except QmsError:
            return None  # read again by the loader below, which says what is wrong with it
        if data is None:
            return None
        cached = self._cache_file(data)
        if cached is not None and cached.is_file():
            try:
                return Standard.model_validate_json(cached.read_bytes())
            except (OSError, ValueError):
                pass
        std = load_standard_file(path, base=self.workspace.root)
        if cached is not None:
            with contextlib.suppress(QmsError):  # an unwritable cache only costs speed
                atomic_write_bytes(cached, std.model_dump_json().encode("utf-8"))
        return std

    # -- the criteria an audit is judged against -------------------------------------------------------------

    def text_of(self, standard_id: str, version: str | None = None) -> tuple[Standard, bytes]:
        """The workspace's standard as it is now, with the exact bytes of its file: what a new audit is pinned
        to. The standard is parsed from those bytes, so the two always match."""
        found = self.get(standard_id, version)
        folder = self.workspace.standards_dir
        for name in (f"{found.id}@{found.version}.yaml", f"{found.id}.yaml", f"{found.id}.yml"):
            path = folder / name
            if not path.is_file():
                continue
            data = read_bytes_bounded(path, max_bytes=MAX_STANDARD_BYTES, what="standard",
                                      shown=self.workspace.relative(path))
            std = self.from_text(data, shown=self.workspace.relative(path))
            if std.id == found.id and std.version == found.version:
                return std, data
        raise NotFound(f"standard '{found.key}' changed while it was read; try again")

    def from_text(self, data: bytes, *, shown: str) -> Standard:
        """The standard in these bytes, parsed once per process and kept in the user's cache by their hash."""
        digest = sha256_bytes(data)
        std = self._by_hash.get(digest)
        if std is not None:
            return std
        cached = self._cache_file(data)
        if cached is not None and cached.is_file():
            with contextlib.suppress(OSError, ValueError):
                std = Standard.model_validate_json(cached.read_bytes())
        if std is None:
            std = load_standard_bytes(data, shown=shown)
            if cached is not None:
                with contextlib.suppress(QmsError):
                    atomic_write_bytes(cached, std.model_dump_json().encode("utf-8"))
        self._by_hash[digest] = std
        return std

    def current_hash(self, standard_id: str) -> str | None:
        """The SHA-256 of the workspace's current file of this standard; None when it has none (or it cannot
        be read)."""
        try:
            return sha256_bytes(self.text_of(standard_id)[1])
        except QmsError:
            return None

    def for_audit(self, folder: Path, criteria: Criteria) -> Standard:
        """The standard an audit is judged against. An audit planned with pinned criteria has the exact text
        it was planned with in `criteria/standard.yaml`, named by its SHA-256 in audit.json: editing or
        replacing the workspace's file changes nothing for it. The copy is read only when no text with that
        hash is at hand (the workspace's file usually is the same text). An audit planned before criteria
        were pinned is judged against the workspace's file, as it always was."""
        if criteria.sha256 is None:
            return self.get(criteria.standard, criteria.version)
        std = self._by_hash.get(criteria.sha256)
        if std is None:
            with contextlib.suppress(QmsError):
                if self.current_hash(criteria.standard) == criteria.sha256:
                    std = self._by_hash.get(criteria.sha256)
        if std is None:
            path = folder / CRITERIA_FILE
            shown = self.workspace.relative(path)
            try:
                data = read_bytes_bounded(path, max_bytes=MAX_STANDARD_BYTES, what="standard", shown=shown)
            except NotFound:
                raise NotFound(f"{shown}: the criteria this audit was planned against are missing; restore the "
                               "file from version control") from None
            if sha256_bytes(data) != criteria.sha256:
                raise InvalidFile(f"{shown}: not the criteria this audit was planned against (its SHA-256 differs "
                                  f"from {criteria.sha256[:12]}... recorded in audit.json); restore the file from "
                                  "version control")
            std = self.from_text(data, shown=shown)
        if std.id != criteria.standard or std.version != criteria.version:
            raise InvalidFile(f"{self.workspace.relative(folder / CRITERIA_FILE)}: holds {std.key}, but the audit "
                              f"was planned against {criteria.standard}@{criteria.version}")
        return std

    def load_all(self) -> list[LoadedFile]:
        out = []
        for path in self.files():
            try:
                out.append(LoadedFile(path, self.load(path), None))
            except QmsError as exc:
                out.append(LoadedFile(path, None, exc))
        return out

    def get(self, standard_id: str, version: str | None = None) -> Standard:
        """The standard with this id (and version, when an audit pins one)."""
        folder = self.workspace.standards_dir
        candidates = [folder / f"{standard_id}.yaml", folder / f"{standard_id}.yml"]
        if version:
            candidates.insert(0, folder / f"{standard_id}@{version}.yaml")
        for path in candidates:
            if path.is_file():
                std = self.load(path)
                if version is None or std.version == version:
                    return std
        known: list[str] = []
        unreadable: list[str] = []
        for loaded in self.load_all():
            other = loaded.standard
            if other is None:
                unreadable.append(self.workspace.relative(loaded.path))
                continue
            known.append(other.id)
            if other.id == standard_id and (version is None or other.version == version):
                return other
        if version and standard_id in known:
            raise NotFound(
                f"standard '{standard_id}' version {version} is not in {self.workspace.relative(folder)}/ "
                f"(restore that version as {standard_id}@{version}.yaml)")
        hint = choice_hint(standard_id, sorted(set(known)))
        if unreadable:
            hint += f"; {', '.join(unreadable)} could not be read: run `qms-audit standards validate`"
        raise NotFound(f"unknown standard '{standard_id}' ({hint})")
