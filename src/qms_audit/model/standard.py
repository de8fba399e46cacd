"""A standard as data: clauses, auditable requirements, SOP definitions, rating scheme and scoring rules.

The YAML files in `standards/` are validated against these models; `qms-audit standards schema` prints the
JSON Schema generated from them, and `standard_problems` adds the cross-reference checks a schema cannot.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, PrivateAttr, StringConstraints, model_validator

from qms_audit.model.common import (
    ClauseNumber,
    NonEmpty,
    Phase,
    Ref,
    Slug,
    StrictModel,
    Weight,
)

SopId = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$")]
Fraction = Annotated[float, Field(ge=0, le=1)]


class Force(StrEnum):
    """`must` can raise a nonconformity; `should` is a recommendation whose gap is an OFI at most."""

    MUST = "must"
    SHOULD = "should"


class SourceModal(StrEnum):
    """The wording of the source statement the requirement was drawn from, kept for traceability."""

    MUST = "must"
    OBLIGED = "obliged"
    NEED = "need"
    SHALL = "shall"
    SHOULD = "should"
    # A statement with no modal verb that elaborates a sentence which has one. A plain statement that elaborates
    # nothing records no source_modal at all (and cannot make a gap a nonconformity: force should).
    INHERITED = "inherited"


class Criticality(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class EvidencePrompts(StrictModel):
    """What evidence of each PDCA phase would look like. Every phase is optional: a requirement takes the
    prompts it leaves out from its clause (and a clause from the clause above it); a phase given nowhere has none."""

    plan: NonEmpty | None = Field(default=None, description="A documented plan: policy, procedure, approved design.")
    do: NonEmpty | None = Field(default=None, description="Records showing the plan was carried out.")
    check: NonEmpty | None = Field(default=None, description="Monitoring, measurement or review of the results.")
    act: NonEmpty | None = Field(default=None, description="Improvement made because of what was checked.")

    def for_phase(self, phase: Phase) -> str | None:
        return {Phase.PLAN: self.plan, Phase.DO: self.do, Phase.CHECK: self.check, Phase.ACT: self.act}[phase]

    @property
    def complete(self) -> bool:
        return None not in (self.plan, self.do, self.check, self.act)

    def over(self, outer: EvidencePrompts) -> EvidencePrompts:
        """These prompts, with the phases they leave out taken from `outer`."""
        if self.complete:
            return self
        return EvidencePrompts(plan=self.plan or outer.plan, do=self.do or outer.do,
                               check=self.check or outer.check, act=self.act or outer.act)


def _drop_default(schema: dict) -> None:
    """A field that is filled from another when left out has no default of its own to show in the schema."""
    schema.pop("default", None)


class Requirement(StrictModel):
    ref: Ref = Field(description="Stable reference, starting with the clause number, e.g. '4.2.a'.")
    title: NonEmpty = Field(default="", json_schema_extra=_drop_default,
                            description="A short label for lists and reports; the question when left out.")
    question: NonEmpty = Field(description="The audit question, in our own words.")
    force: Force
    pdca: Phase | None = Field(
        default=None, description="The PDCA phase this requirement mainly belongs to; its clause's when left out.")
    source_clause: NonEmpty | None = Field(
        default=None, description="The clause of the source document it comes from (with `source` at the top).")
    source_modal: SourceModal | None = Field(
        default=None, description="The modal wording of the source statement (must, obliged, should, ...).")
    evidence: EvidencePrompts = Field(
        default_factory=EvidencePrompts,
        description="What evidence of each phase would look like; a phase left out is its clause's.")
    sop: SopId | None = Field(default=None, description="The id of the SOP this requirement relies on.")
    weight: Weight = Field(default=1.0, description="Relative weight in scores (default 1).")
    criticality: Criticality = Criticality.NORMAL
    guidance: str | None = Field(default=None, description="Notes for the auditor: what good looks like.")
    tags: list[NonEmpty] = Field(default_factory=list)

    @model_validator(mode="after")
    def _title_from_question(self) -> Requirement:
        if not self.title:
            self.title = self.question
        return self

    @property
    def can_raise_nc(self) -> bool:
        return self.force is Force.MUST


class Clause(StrictModel):
    number: ClauseNumber
    title: NonEmpty
    pdca: Phase | None = Field(
        default=None, description="The PDCA phase of its requirements (and sub-clauses) that name none.")
    evidence: EvidencePrompts = Field(
        default_factory=EvidencePrompts,
        description="Evidence prompts for its requirements (and sub-clauses) that leave a phase out.")
    informative: bool = Field(default=False, description="Informative clauses carry no requirements.")
    summary: str | None = Field(default=None, description="What the clause covers, in our own words.")
    weight: Weight = 1.0
    requirements: list[Requirement] = Field(default_factory=list)
    clauses: list[Clause] = Field(default_factory=list, description="Sub-clauses.")

    def walk(self) -> Iterator[Clause]:
        yield self
        for sub in self.clauses:
            yield from sub.walk()

    def pass_down(self, pdca: Phase | None, prompts: EvidencePrompts) -> None:
        """Give this clause, its requirements and its sub-clauses the PDCA phase and evidence prompts they leave
        out, from the nearest clause above that gives them (`pdca` and `prompts` are the enclosing clause's)."""
        if self.pdca is None:
            self.pdca = pdca
        self.evidence = self.evidence.over(prompts)
        for req in self.requirements:
            if req.pdca is None:
                req.pdca = self.pdca
            req.evidence = req.evidence.over(self.evidence)
        for sub in self.clauses:
            sub.pass_down(self.pdca, self.evidence)

    def all_requirements(self) -> Iterator[Requirement]:
        for clause in self.walk():
            yield from clause.requirements


class SopDefinition(StrictModel):
    id: SopId
    title: NonEmpty
    clause: ClauseNumber = Field(description="The clause that asks for this SOP.")
    purpose: NonEmpty
    required_sections: list[NonEmpty] = Field(min_length=1)
    keywords: list[NonEmpty] = Field(
        default_factory=list, description="Words that identify such a document in a desk review.")
    section_aliases: dict[NonEmpty, list[NonEmpty]] = Field(
        default_factory=dict,
        description="Other headings that hold a required section in a desk review, by section "
                    "(for example Responsibilities: [Duties]); common ones are known already.")


class ScaleLevel(StrictModel):
    value: Annotated[int, Field(ge=0, le=10)]
    label: NonEmpty
    description: str | None = None


class RatingScheme(StrictModel):
    """`grades`: conformity grades (conformity ... major NC). `levels`: an ordinal scale, for self-assessment."""

    kind: Literal["grades", "levels"] = "grades"
    levels: list[ScaleLevel] = Field(default_factory=list)


class ScoreBand(StrictModel):
    name: Slug
    label: NonEmpty
    min: Fraction


def _default_bands() -> list[ScoreBand]:
    return [
        ScoreBand(name="conforming", label="Conforming", min=0.90),
        ScoreBand(name="largely-conforming", label="Largely conforming", min=0.75),
        ScoreBand(name="partially-conforming", label="Partially conforming", min=0.60),
        ScoreBand(name="not-conforming", label="Not conforming", min=0.0),
    ]


class ScoringRules(StrictModel):
    coverage_threshold: Fraction = Field(
        default=0.8, description="Share of applicable weight that must be assessed before a score is shown.")
    pass_threshold: Fraction = Field(default=0.75, description="Lowest score of the pass band.")
    major_cap: Fraction = Field(
        default=0.74, description="An open major NC caps its clause's score at this value (below the pass band).")
    minor_value: Fraction = 0.5
    major_value: Fraction = 0.0
    escalate_minors_at: Annotated[int, Field(ge=2, le=20)] = Field(
        default=3, description="This many minor NCs against one requirement are flagged for escalation.")
    bands: list[ScoreBand] = Field(default_factory=_default_bands, min_length=1)

    def band_for(self, score: float) -> ScoreBand:
        for band in sorted(self.bands, key=lambda b: b.min, reverse=True):
            if score >= band.min - 1e-9:
                return band
        return sorted(self.bands, key=lambda b: b.min)[0]


class Source(StrictModel):
    citation: NonEmpty
    url: str | None = None
    notes: str | None = None


ReviewInput = Literal["a", "b", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "d", "e", "f"]


class Standard(StrictModel):
    format: Literal[1] = Field(default=1, description="Version of this file format.")
    id: Slug
    title: NonEmpty
    version: NonEmpty
    kind: Literal["management-system", "programme-checklist", "self-assessment"] = "management-system"
    source: Source | None = Field(
        default=None, description="The document the clauses are drawn from; an institution's own checklist may "
                                  "have none.")
    description: str | None = None
    rating: RatingScheme = Field(default_factory=RatingScheme)
    scoring: ScoringRules = Field(default_factory=ScoringRules)
    sops: list[SopDefinition] = Field(default_factory=list)
    review_inputs: dict[ReviewInput, list[NonEmpty]] = Field(
        default_factory=dict,
        description="Clauses whose audit results inform each management review input (ISO 9001:2015 9.3.2): "
                    "a, b, c1-c7 (performance trends), d, e, f. The review pack shows their scores and findings.")
    clauses: list[Clause] = Field(min_length=1)

    _by_ref: dict[str, Requirement] = PrivateAttr(default_factory=dict)
    _top_of: dict[str, str] = PrivateAttr(default_factory=dict)
    _clause_of: dict[str, Clause] = PrivateAttr(default_factory=dict)
    _clause_number_of: dict[str, str] = PrivateAttr(default_factory=dict)
    _score_plan: list | None = PrivateAttr(default=None)  # filled by qms_audit.domain.scoring

    def model_post_init(self, __context: object) -> None:
        for top in self.clauses:
            top.pass_down(None, EvidencePrompts())
            for clause in top.walk():
                for req in clause.requirements:
                    self._by_ref.setdefault(req.ref, req)
                    self._top_of.setdefault(req.ref, top.number)
                    self._clause_of.setdefault(req.ref, clause)

    # -- lookups ----------------------------------------------------------------------------------------

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"

    def requirements(self) -> list[Requirement]:
        return list(self._by_ref.values())

    def requirement(self, ref: str) -> Requirement | None:
        return self._by_ref.get(ref)

    def has_ref(self, ref: str) -> bool:
        return ref in self._by_ref

    def top_clause_of(self, ref: str) -> str:
        return self._top_of[ref]

    def clause_of(self, ref: str) -> Clause:
        return self._clause_of[ref]

    def clause_numbers(self) -> dict[str, str]:
        """Requirement ref -> the number of the clause that holds it, for loops over many results (one lookup
        of the private map instead of one per requirement)."""
        mapping = self._clause_number_of
        if not mapping:
            mapping.update({ref: clause.number for ref, clause in self._clause_of.items()})
        return mapping

    def walk(self) -> Iterator[Clause]:
        for top in self.clauses:
            yield from top.walk()

    def clause(self, number: str) -> Clause | None:
        return next((c for c in self.walk() if c.number == number), None)

    def auditable_clauses(self) -> list[Clause]:
        return [c for c in self.clauses if not c.informative and any(True for _ in c.all_requirements())]

    def sop(self, sop_id: str) -> SopDefinition | None:
        return next((s for s in self.sops if s.id == sop_id), None)

    def requirements_for_sop(self, sop_id: str) -> list[Requirement]:
        return [r for r in self.requirements() if r.sop == sop_id]

    @property
    def uses_levels(self) -> bool:
        return self.rating.kind == "levels"

    @property
    def max_level(self) -> int:
        return max((lvl.value for lvl in self.rating.levels), default=0)
