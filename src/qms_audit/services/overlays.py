"""Translation overlays: finding, checking and applying the files that hold a standard's texts in Indonesian or
Malay (`standards/<id>.<language>.yaml`, model in qms_audit.model.overlay).

An overlay is checked against its standard: every clause number, requirement ref, SOP id, section name, grade,
level and score band it names must be the standard's, and it must translate the standard's version (an overlay
written for another version is stale: it is reported and left unused, so nothing is shown under a text it was
not written for). A text an overlay leaves out is shown in English and listed, so a reader knows what is not
translated yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qms_audit.infra.errors import BadInput, InvalidFile, NotFound, QmsError, choice_hint
from qms_audit.infra.files import display_path
from qms_audit.infra.loading import Located, format_path, load_yaml_model
from qms_audit.model.audit import GRADE_LABELS, Grade
from qms_audit.model.common import PHASES, Phase
from qms_audit.model.overlay import LANGUAGES, EvidenceText, Overlay, overlay_name_parts
from qms_audit.model.standard import Clause, EvidencePrompts, Requirement, Standard
from qms_audit.services.standards import MAX_STANDARD_BYTES, Issue, StandardLibrary, load_standard_file

# A version must be quoted, as in a standard: `2022.10` unquoted is the number 2022.1.
TEXT_ONLY = ("version",)
ENGLISH = "en"


def is_overlay_file(path: Path) -> bool:
    return overlay_name_parts(path.name) is not None


# --- places in an overlay, as its translator numbers them ---------------------------------------------------

_ITEMS = {"clauses": ("number", "clause"), "requirements": ("ref", "requirement"), "sops": ("id", "SOP"),
          "levels": ("value", "level"), "bands": ("name", "score band")}


def overlay_place(located: Located, path: Sequence[str | int]) -> str:
    """`requirement 1.1.a, question` for requirements[0].question: what a translator finds in the file."""
    parts = tuple(path)
    if len(parts) >= 2 and parts[0] in _ITEMS and isinstance(parts[1], int):
        key, noun = _ITEMS[str(parts[0])]
        items = located.data.get(parts[0]) if isinstance(located.data, dict) else None
        item = items[parts[1]] if isinstance(items, list) and 0 <= parts[1] < len(items) else None
        value = located.written.get((*parts[:2], key))  # as typed, when YAML read it as something else
        if value is None and isinstance(item, dict):
            value = item.get(key)
        shown = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
        usable = 0 < len(shown) <= 24 and shown.isprintable()
        name = f"{noun} {shown}" if usable else f"{noun} number {parts[1] + 1} in the list"
        rest = format_path(parts[2:])
        return f"{name}, {rest}" if rest else name
    return format_path(parts)


# --- checking an overlay against its standard ------------------------------------------------------------


def overlay_problems(overlay: Overlay, std: Standard, *, language: str, stem: str) -> Iterator[Issue]:
    """Every key the overlay names must be the standard's; the header must name the standard and the language
    of the file name. (A version that differs is not a problem of the file: the overlay is stale.)"""
    if overlay.standard != std.id:
        yield ("standard",), f"names standard '{overlay.standard}', but the file translates '{std.id}'", \
            f"write standard: {std.id}, or name the file {overlay.standard}.{language}.yaml"
    if overlay.language != language:
        yield ("language",), f"says language '{overlay.language}', but the file name says '{language}'", \
            f"write language: {language}, or name the file {stem}.{overlay.language}.yaml"
    yield from _unknown_keys(overlay, std)
    yield from _unknown_names(overlay, std)


def _duplicates(values: Iterable[str | int], field_name: str, kind: str, noun: str) -> Iterator[Issue]:
    seen: set[str | int] = set()
    for i, value in enumerate(values):
        if value in seen:
            yield (kind, i, field_name), f"{noun} {value} is translated twice", "keep one of them"
        seen.add(value)


def _unknown_keys(overlay: Overlay, std: Standard) -> Iterator[Issue]:
    numbers = [c.number for c in std.walk()]
    refs = [r.ref for r in std.requirements()]
    sop_ids = [s.id for s in std.sops]
    yield from _duplicates((c.number for c in overlay.clauses), "number", "clauses", "clause")
    yield from _duplicates((r.ref for r in overlay.requirements), "ref", "requirements", "requirement")
    yield from _duplicates((s.id for s in overlay.sops), "id", "sops", "SOP")
    for i, clause in enumerate(overlay.clauses):
        if clause.number not in numbers:
            yield ("clauses", i, "number"), f"{std.id} has no clause {clause.number}", \
                choice_hint(clause.number, numbers)
    for i, req in enumerate(overlay.requirements):
        if req.ref not in refs:
            yield ("requirements", i, "ref"), f"{std.id} has no requirement {req.ref}", choice_hint(req.ref, refs)
            continue
        english = std.requirement(req.ref)
        if req.title is not None and english is not None and english.title == english.question:
            yield ("requirements", i, "title"), \
                f"requirement {req.ref} has no title of its own in {std.id} (lists show its question)", \
                "remove the title; the question's translation is shown instead"
    for i, sop in enumerate(overlay.sops):
        english_sop = std.sop(sop.id)
        if english_sop is None:
            yield ("sops", i, "id"), f"{std.id} has no SOP {sop.id}", choice_hint(sop.id, sop_ids)
            continue
        for name in sop.sections:
            if name not in english_sop.required_sections:
                yield ("sops", i, "sections", name), f"'{name}' is not a required section of {sop.id}", \
                    choice_hint(name, english_sop.required_sections)


def _unknown_names(overlay: Overlay, std: Standard) -> Iterator[Issue]:
    grades = [g.value for g in Grade]
    for name in overlay.grades:
        if name not in grades:
            yield ("grades", name), f"'{name}' is not a grade", choice_hint(name, grades)
    values = [lvl.value for lvl in std.rating.levels]
    yield from _duplicates((lvl.value for lvl in overlay.levels), "value", "levels", "level")
    for i, level in enumerate(overlay.levels):
        if not std.uses_levels:
            yield ("levels", i), f"{std.id} is rated on grades, not levels", "remove levels:"
            break
        if level.value not in values:
            yield ("levels", i, "value"), f"{std.id} has no level {level.value}", \
                f"its levels are {', '.join(map(str, values))}"
    names = [b.name for b in std.scoring.bands]
    yield from _duplicates((b.name for b in overlay.bands), "name", "bands", "score band")
    for i, band in enumerate(overlay.bands):
        if band.name not in names:
            yield ("bands", i, "name"), f"{std.id} has no score band '{band.name}'", choice_hint(band.name, names)


# --- every text of a standard, with its translation ---------------------------------------------------------

# The kinds of item an overlay translates, in the order the coverage line names them, with their plural.
UNITS = {"requirement": "requirements", "clause": "clauses", "SOP": "SOPs", "grade": "grades",
         "level": "levels", "band": "score bands", "standard": "header texts"}


@dataclass(frozen=True)
class Text:
    """One text of the standard a reader sees: where it is, the English and its translation (None: none)."""

    unit: str  # a key of UNITS
    key: str  # the clause number, ref, SOP id, grade or band name, level value; "" for the standard itself
    field: str  # title, question, evidence do, section <name>, ...
    english: str
    translated: str | None

    @property
    def place(self) -> str:
        head = f"{self.unit} {self.key}" if self.key else self.unit
        return f"{head} {self.field}"


class _Lookup:
    """The overlay's texts by key, for walking the standard once."""

    def __init__(self, overlay: Overlay | None) -> None:
        self.clauses = {c.number: c for c in overlay.clauses} if overlay else {}
        self.requirements = {r.ref: r for r in overlay.requirements} if overlay else {}
        self.sops = {s.id: s for s in overlay.sops} if overlay else {}
        self.levels = {lvl.value: lvl for lvl in overlay.levels} if overlay else {}
        self.bands = {b.name: b.label for b in overlay.bands} if overlay else {}
        self.grades = dict(overlay.grades) if overlay else {}
        self.title = overlay.title if overlay else None
        self.description = overlay.description if overlay else None

    def clause_evidence(self, number: str, phase: Phase) -> str | None:
        clause = self.clauses.get(number)
        return _phase_text(clause.evidence, phase) if clause else None


def _phase_text(evidence: EvidenceText, phase: Phase) -> str | None:
    return {Phase.PLAN: evidence.plan, Phase.DO: evidence.do, Phase.CHECK: evidence.check,
            Phase.ACT: evidence.act}[phase]


def standard_texts(std: Standard, overlay: Overlay | None) -> list[Text]:
    """Every text of the standard in reading order, each with the overlay's translation or None."""
    look = _Lookup(overlay)
    texts = [Text("standard", "", "title", std.title, look.title)]
    if std.description:
        texts.append(Text("standard", "", "description", std.description, look.description))
    for top in std.clauses:
        texts.extend(_clause_texts(top, (), look))
    for sop in std.sops:
        own = look.sops.get(sop.id)
        texts.append(Text("SOP", sop.id, "title", sop.title, own.title if own else None))
        texts.append(Text("SOP", sop.id, "purpose", sop.purpose, own.purpose if own else None))
        texts.extend(Text("SOP", sop.id, f"section {name}", name, own.sections.get(name) if own else None)
                     for name in sop.required_sections)
    texts.extend(Text("grade", grade.value, "label", GRADE_LABELS[grade], look.grades.get(grade.value))
                 for grade in Grade)
    if std.uses_levels:
        for level in std.rating.levels:
            own_level = look.levels.get(level.value)
            texts.append(Text("level", str(level.value), "label", level.label,
                              own_level.label if own_level else None))
            if level.description:
                texts.append(Text("level", str(level.value), "description", level.description,
                                  own_level.description if own_level else None))
    texts.extend(Text("band", band.name, "label", band.label, look.bands.get(band.name))
                 for band in std.scoring.bands)
    return texts


def _clause_texts(clause: Clause, above: tuple[Clause, ...], look: _Lookup) -> Iterator[Text]:
    own = look.clauses.get(clause.number)
    yield Text("clause", clause.number, "title", clause.title, own.title if own else None)
    if clause.summary:
        yield Text("clause", clause.number, "summary", clause.summary, own.summary if own else None)
    chain = (*above, clause)
    for req in clause.requirements:
        yield from _requirement_texts(req, chain, look)
    for sub in clause.clauses:
        yield from _clause_texts(sub, chain, look)


def _requirement_texts(req: Requirement, chain: tuple[Clause, ...], look: _Lookup) -> Iterator[Text]:
    own = look.requirements.get(req.ref)
    if req.title != req.question:
        yield Text("requirement", req.ref, "title", req.title, own.title if own else None)
    yield Text("requirement", req.ref, "question", req.question, own.question if own else None)
    if req.guidance:
        yield Text("requirement", req.ref, "guidance", req.guidance, own.guidance if own else None)
    for phase in PHASES:
        english = req.evidence.for_phase(phase)
        if english is None:
            continue
        translated = _phase_text(own.evidence, phase) if own else None
        if translated is None:
            # a phase the requirement takes from a clause above it reads as that clause's translation
            translated = next((look.clause_evidence(c.number, phase) for c in reversed(chain)
                               if c.evidence.for_phase(phase) == english
                               and look.clause_evidence(c.number, phase) is not None), None)
        yield Text("requirement", req.ref, f"evidence {phase.label.lower()}", english, translated)


# --- coverage ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """What an overlay translates of its standard: per kind of item, how many have every text translated."""

    counts: dict[str, tuple[int, int]]  # unit -> (translated, total), for the units the standard has
    missing: list[str]  # the places of the texts left in English, in reading order
    texts: tuple[int, int]  # (translated, total) over every text

    @property
    def complete(self) -> bool:
        return not self.missing

    def summary(self, *, shown_missing: int = 6) -> str:
        parts = [f"{done} of {total} {UNITS[unit]}" for unit, (done, total) in self.counts.items()
                 if unit != "standard" and total]
        line = ", ".join(parts)
        if self.complete:
            return f"{line}; complete ({self.texts[1]} texts)"
        listed = "; ".join(self.missing[:shown_missing])
        more = f"; and {len(self.missing) - shown_missing} more" if len(self.missing) > shown_missing else ""
        return f"{line}; {self.texts[0]} of {self.texts[1]} texts; missing: {listed}{more}"


def coverage(texts: Sequence[Text]) -> Coverage:
    units: dict[str, dict[str, bool]] = {unit: {} for unit in UNITS}
    for text in texts:
        done = units[text.unit].get(text.key, True)
        units[text.unit][text.key] = done and text.translated is not None
    counts = {unit: (sum(keys.values()), len(keys)) for unit, keys in units.items()}
    missing = [t.place for t in texts if t.translated is None]
    return Coverage(counts, missing, (len(texts) - len(missing), len(texts)))


# --- applying an overlay --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Localised:
    """A standard with its texts in a language: the translation where the overlay has one, English elsewhere.

    `missing` lists the places still in English (every text, when there is no usable overlay); `stale` tells
    that an overlay exists but translates another version of the standard, so none of it is used."""

    standard: Standard
    language: str
    grade_labels: dict[Grade, str]
    missing: list[str] = field(default_factory=list)
    overlay: Path | None = None
    stale: bool = False

    @property
    def complete(self) -> bool:
        return not self.missing


def localise(std: Standard, overlay: Overlay | None, language: str, *, path: Path | None = None,
             stale: bool = False) -> Localised:
    """The standard with the overlay's texts put in (a copy: the standard itself is left as it is). Pass no
    overlay for English throughout; a stale overlay is not applied."""
    usable = None if stale else overlay
    texts = standard_texts(std, usable)
    copy = std.model_copy(deep=True)
    copy._score_plan = None  # derived from the copied texts' standard; rebuilt on first use
    for text in texts:
        if text.translated is not None:
            _put(copy, text)
    for req in std.requirements():
        if req.title == req.question:  # no title of its own: lists show its question, in the language too
            own = copy.requirement(req.ref)
            if own is not None:
                own.title = own.question
    grade_labels = {grade: (usable.grades.get(grade.value) if usable else None) or GRADE_LABELS[grade]
                    for grade in Grade}
    return Localised(copy, language, grade_labels, [t.place for t in texts if t.translated is None],
                     path, stale)


def _put(std: Standard, text: Text) -> None:
    value = text.translated
    if text.unit == "standard":
        setattr(std, text.field, value)
    elif text.unit == "clause":
        clause = std.clause(text.key)
        if clause is not None:
            setattr(clause, text.field, value)
    elif text.unit == "requirement":
        req = std.requirement(text.key)
        if req is None:
            return
        if text.field.startswith("evidence "):
            phase = text.field.removeprefix("evidence ")
            req.evidence = EvidencePrompts(**{**req.evidence.model_dump(), phase: value})
        else:
            setattr(req, text.field, value)
    elif text.unit == "SOP":
        _put_sop(std, text)
    elif text.unit == "level":
        level = next((lvl for lvl in std.rating.levels if str(lvl.value) == text.key), None)
        if level is not None:
            setattr(level, text.field, value)
    elif text.unit == "band":
        band = next((b for b in std.scoring.bands if b.name == text.key), None)
        if band is not None:
            band.label = value or band.label


def _put_sop(std: Standard, text: Text) -> None:
    sop = std.sop(text.key)
    if sop is None or text.translated is None:
        return
    if text.field.startswith("section "):
        english = text.field.removeprefix("section ")
        sop.required_sections = [text.translated if name == english else name for name in sop.required_sections]
        # a desk review still recognises a document written with the English heading
        sop.section_aliases = {**sop.section_aliases, text.translated: [english, *sop.section_aliases.get(english, [])]}
        sop.section_aliases.pop(english, None)
    else:
        setattr(sop, text.field, text.translated)


# --- overlays of a workspace -------------------------------------------------------------------------------


@dataclass
class LoadedOverlay:
    path: Path
    language: str
    standard: Standard | None  # the standard it translates, when that could be read
    overlay: Overlay | None
    error: QmsError | None = None

    @property
    def stale(self) -> bool:
        return self.overlay is not None and self.standard is not None \
            and self.overlay.version != self.standard.version

    def coverage(self) -> Coverage | None:
        if self.overlay is None or self.standard is None:
            return None
        return coverage(standard_texts(self.standard, self.overlay))


def load_overlay_file(path: Path, std: Standard, *, language: str, stem: str, base: Path | None = None) -> Overlay:
    """Read an overlay and check it against its standard; every problem is raised together, located."""
    return load_yaml_model(path, Overlay, what="translation overlay", max_bytes=MAX_STANDARD_BYTES,
                           checks=[lambda ov: overlay_problems(ov, std, language=language, stem=stem)],
                           base=base, places=overlay_place, text_only=TEXT_ONLY)


def _standard_of(stem: str, standards: StandardLibrary) -> Standard:
    standard_id, _, version = stem.partition("@")
    return standards.get(standard_id, version or None)


class OverlayLibrary:
    """The translation overlays beside a workspace's standards."""

    _cache: dict[tuple[str, int, int, str], Overlay] = {}

    def __init__(self, standards: StandardLibrary) -> None:
        self.standards = standards
        self.workspace = standards.workspace

    def files(self) -> list[Path]:
        folder = self.workspace.standards_dir
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if is_overlay_file(p) and not p.is_dir())

    def load(self, path: Path, std: Standard | None = None) -> LoadedOverlay:
        """The overlay in `path`, checked against its standard (found by the file name unless given)."""
        parts = overlay_name_parts(path.name)
        if parts is None:
            raise InvalidFile(f"{self.workspace.relative(path)}: not a translation overlay's name (expected "
                              f"<standard id>.<language>.yaml, language one of {', '.join(LANGUAGES)})")
        stem, language = parts
        if std is None:
            try:
                std = _standard_of(stem, self.standards)
            except NotFound as exc:
                return LoadedOverlay(path, language, None, None, InvalidFile(
                    f"{self.workspace.relative(path)}: translates a standard that is not in the workspace "
                    f"({exc.message})"))
            except QmsError as exc:
                return LoadedOverlay(path, language, None, None, exc)
        try:
            overlay = self._read(path, std, language, stem)
        except QmsError as exc:
            return LoadedOverlay(path, language, std, None, exc)
        return LoadedOverlay(path, language, std, overlay)

    def _read(self, path: Path, std: Standard, language: str, stem: str) -> Overlay:
        try:
            st = path.stat()
            key = (str(path.resolve()), st.st_mtime_ns, st.st_size, std.key)
        except OSError:
            key = None
        if key is not None and key in self._cache:
            return self._cache[key]
        overlay = load_overlay_file(path, std, language=language, stem=stem, base=self.workspace.root)
        if key is not None:
            self._cache[key] = overlay
        return overlay

    def load_all(self) -> list[LoadedOverlay]:
        return [self.load(path) for path in self.files()]

    def for_standard(self, std: Standard, language: str) -> LoadedOverlay | None:
        """The overlay of this standard in this language: the one named for its version when an older version
        is kept beside the current one, else `<id>.<language>.yaml`; None when there is none."""
        folder = self.workspace.standards_dir
        for stem in (f"{std.id}@{std.version}", std.id):
            for suffix in (".yaml", ".yml"):
                path = folder / f"{stem}.{language}{suffix}"
                if path.is_file():
                    return self.load(path, std)
        return None

    def localised(self, std: Standard, language: str) -> Localised:
        """The standard in `language` ('en' or any language without an overlay: English, listed as missing).
        An overlay that cannot be read is an error, as a broken standard is; a stale one is left unused."""
        if language == ENGLISH:
            return Localised(std, ENGLISH, dict(GRADE_LABELS))
        if language not in LANGUAGES:
            raise BadInput(f"no texts in language '{language}' (choose {ENGLISH}, {', '.join(LANGUAGES)})")
        loaded = self.for_standard(std, language)
        if loaded is None:
            return localise(std, None, language)
        if loaded.error is not None:
            raise loaded.error
        return localise(std, loaded.overlay, language, path=loaded.path, stale=loaded.stale)


def check_overlay_file(path: Path, standards: StandardLibrary | None, *, base: Path | None = None) -> LoadedOverlay:
    """An overlay named on the command line, checked against its standard: the standard file beside it
    (`x.id.yaml` translates `x.yaml`) when there is one, else the workspace's standard of that id."""
    parts = overlay_name_parts(path.name)
    if parts is None:
        raise InvalidFile(f"{display_path(path, base)}: not a translation overlay's name")
    stem, language = parts
    beside = [path.parent / f"{stem}{suffix}" for suffix in (".yaml", ".yml")]
    found = next((p for p in beside if p.is_file()), None)
    if found is None and standards is not None:
        return OverlayLibrary(standards).load(path)
    if found is None:
        return LoadedOverlay(path, language, None, None, NotFound(
            f"{display_path(path, base)}: its standard {display_path(beside[0], base)} is not beside it "
            "(or run the command in the workspace that holds the standard)"))
    try:
        std = load_standard_file(found, base=base)
    except QmsError as exc:
        return LoadedOverlay(path, language, None, None, exc)
    try:
        overlay = load_overlay_file(path, std, language=language, stem=stem, base=base)
    except QmsError as exc:
        return LoadedOverlay(path, language, std, None, exc)
    return LoadedOverlay(path, language, std, overlay)
