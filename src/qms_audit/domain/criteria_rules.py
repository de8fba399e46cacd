"""What moving an audit from one text of its standard to another would change, with no disk.

An audit is judged against the criteria fixed in its plan (ISO 19011:2018 6.3.2): the text of the standard it
was planned with is pinned to it. Moving an open audit to a newer text is a deliberate step, shown first:
requirements added, removed and reworded, a change of rating scheme, and the ratings and findings the new
text could no longer hold ("misfits"), which must be settled before the move. A closed audit never moves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from qms_audit.model.audit import Finding, RequirementResult
from qms_audit.model.standard import Requirement, Standard

# the parts of a requirement that change what it asks or how it counts
_COMPARED = ("title", "question", "force", "weight", "criticality", "pdca")


@dataclass
class CriteriaChange:
    before: str  # the standard's key before and after, e.g. mc-qms@1.0
    after: str
    same_text: bool  # the two texts are byte for byte the same
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    reworded: list[str] = field(default_factory=list)  # "8.1.c (question, force)"
    scheme: str | None = None  # "grades -> levels 0-4" when the rating scheme changes
    scoring: list[str] = field(default_factory=list)  # "minor_value 0.5 -> 0.1"
    misfits: list[str] = field(default_factory=list)  # ratings and findings the new text cannot hold

    @property
    def changes_anything(self) -> bool:
        return bool(self.added or self.removed or self.reworded or self.scheme or self.scoring
                    or self.before != self.after or not self.same_text)


def _scheme(std: Standard) -> str:
    return f"levels 0-{std.max_level}" if std.uses_levels else "grades"


def _differences(old: Requirement, new: Requirement) -> list[str]:
    return [name for name in _COMPARED if getattr(old, name) != getattr(new, name)]


def compare(old: Standard, new: Standard, *, same_text: bool, results: Mapping[str, RequirementResult],
            findings: Sequence[Finding]) -> CriteriaChange:
    """The change from `old` to `new` for an audit holding these ratings and findings."""
    change = CriteriaChange(before=old.key, after=new.key, same_text=same_text)
    old_refs = {r.ref: r for r in old.requirements()}
    new_refs = {r.ref: r for r in new.requirements()}
    change.added = [ref for ref in new_refs if ref not in old_refs]
    change.removed = [ref for ref in old_refs if ref not in new_refs]
    for ref, req in old_refs.items():
        other = new_refs.get(ref)
        if other is not None and (names := _differences(req, other)):
            change.reworded.append(f"{ref} ({', '.join(names)})")
    if _scheme(old) != _scheme(new):
        change.scheme = f"{_scheme(old)} -> {_scheme(new)}"
    before, after = old.scoring.model_dump(), new.scoring.model_dump()
    change.scoring = [f"{name} {before.get(name)} -> {after.get(name)}" for name in sorted(set(before) | set(after))
                      if before.get(name) != after.get(name)]
    for ref, result in results.items():
        change.misfits += _result_misfits(ref, result, old, new)
    for finding in findings:
        if finding.withdrawn is None and finding.ref and not new.has_ref(finding.ref):
            change.misfits.append(f"finding {finding.id} is raised on {finding.ref}, which the new text does not "
                                  "have")
    return change


def _result_misfits(ref: str, result: RequirementResult, old: Standard, new: Standard) -> list[str]:
    rated = result.grade.is_assessed or result.level is not None
    if not rated and not result.evidence and not result.note:
        return []
    req = new.requirement(ref)
    if req is None:
        return [f"{ref} holds a rating, notes or evidence, and the new text has no such requirement"]
    out = []
    if old.has_ref(ref) and old.top_clause_of(ref) != new.top_clause_of(ref):
        out.append(f"{ref} moves from clause {old.top_clause_of(ref)} to clause {new.top_clause_of(ref)}")
    if new.uses_levels and result.grade.is_assessed and result.level is None:
        out.append(f"{ref} is rated as a grade ({result.grade.label}); the new text rates on levels")
    if not new.uses_levels and result.level is not None:
        out.append(f"{ref} is rated on a level ({result.level}); the new text rates on grades")
    if new.uses_levels and result.level is not None and result.level > new.max_level:
        out.append(f"{ref} is rated level {result.level}; the new text goes up to {new.max_level}")
    if result.grade.is_nc and not req.can_raise_nc:
        out.append(f"{ref} is rated {result.grade.label}, and the new text makes it a 'should' requirement")
    return out
