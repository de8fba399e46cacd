"""Micro-credentials as issued, against the EU Council Recommendation 2022/C 243/02, Annex I: catalogues
(.csv, .xlsx), Europass Digital Credentials (European Learning Model, .json/.jsonld, sealed or not) and
Open Badges 3.0 credentials (.json, or .jwt), one by one or folders of them.

`qms-audit credentials check` and the quality checks screen of the TUI both call `check_paths`; with an audit
named, `attach_to_audit` records the result as evidence (docs/credentials.md).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qms_audit.infra.errors import BadInput, NotFound, QmsError
from qms_audit.infra.files import display_path
from qms_audit.services.credentials.catalogue import CatalogueResult, check_catalogue
from qms_audit.services.credentials.elements import ELEMENTS, CredentialResult
from qms_audit.services.credentials.values import CreditRule

__all__ = ["CatalogueResult", "CredentialCheck", "CredentialResult", "CreditRule", "attach_to_audit",
           "check_catalogue", "check_credential_file", "check_paths", "credential_check", "credit_rule"]

CATALOGUE_SUFFIXES = (".csv", ".xlsx")
CREDENTIAL_SUFFIXES = (".json", ".jsonld", ".jwt")
MAX_FILES = 10000


@dataclass
class CredentialCheck:
    checked_on: dt.date
    inputs: list[str]
    credentials: list[CredentialResult] = field(default_factory=list)
    catalogues: list[CatalogueResult] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # files of a folder that could not be read
    passed_over: list[tuple[str, str]] = field(default_factory=list)  # JSON files of a folder that are no credential

    def everything(self) -> list[CredentialResult]:
        """Every micro-credential checked: the credential files, then each catalogue's rows."""
        return [*self.credentials, *(row for c in self.catalogues for row in c.rows)]

    @property
    def total(self) -> int:
        return len(self.credentials) + sum(len(c.rows) for c in self.catalogues)

    @property
    def aligned(self) -> int:
        return sum(1 for r in self.everything() if r.aligned)

    def missing_by_element(self) -> dict[str, int]:
        counts = {e.name: 0 for e in ELEMENTS if e.mandatory}
        for result in self.everything():
            for name in result.missing:
                counts[name] += 1
        return {name: n for name, n in counts.items() if n}

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "checked_on": self.checked_on.isoformat(), "inputs": self.inputs, "total": self.total,
            "aligned": self.aligned, "missing_by_element": self.missing_by_element(),
            "credentials": [c.to_json() for c in self.credentials],
            "catalogues": [c.to_json() for c in self.catalogues],
            "unreadable": [{"file": f, "reason": r} for f, r in self.unreadable],
            "passed_over": [{"file": f, "reason": r} for f, r in self.passed_over]}
        if len(self.catalogues) == 1 and not self.credentials:
            # one catalogue checked alone keeps the shape its results always had: file, columns and rows on top
            only = data["catalogues"][0]
            data.update({key: only[key] for key in ("file", "missing_columns", "columns", "rows")})
        return data


def credit_rule(profile, *, credit_name: str | None = None, credit_hours: float | None = None) -> CreditRule:
    """How workloads convert: the profile's national credit and ECTS hours, with the command's overrides."""
    base = profile.national_credit() if profile is not None else None
    name = credit_name or (base.name if base is not None else "credit")
    hours = credit_hours if credit_hours is not None else (base.hours if base is not None else 40.0)
    if hours <= 0 or hours > 100:
        raise BadInput(f"--credit-hours {hours:g}: give the notional hours of one credit, more than 0 and at most 100")
    return CreditRule(name=name, hours=hours, ects_hours=profile.ects_hours if profile is not None else 27.5)


def check_credential_file(path: Path, *, shown: str, today: dt.date,
                          languages: Sequence[str] = ()) -> CredentialResult:
    from qms_audit.services.credentials import elm, ob3
    from qms_audit.services.credentials.reading import ELM, load_credential

    loaded = load_credential(path, shown=shown)
    reader = elm.check if loaded.format == ELM else ob3.check
    return reader(loaded, file=shown, languages=languages, today=today)


def _files_of(folder: Path) -> list[Path]:
    """The catalogues and credential files of a folder and its subfolders, sorted; hidden files and folders,
    and links (which may lead anywhere on the machine), left out."""
    paths: list[Path] = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or not name.lower().endswith(CATALOGUE_SUFFIXES + CREDENTIAL_SUFFIXES):
                continue
            path = Path(root) / name
            if path.is_symlink():
                continue
            paths.append(path)
            if len(paths) > MAX_FILES:
                raise BadInput(f"{display_path(folder)}: more than {MAX_FILES} credential files; check a smaller "
                               "folder")
    return sorted(paths)


def check_paths(paths: Sequence[Path], *, today: dt.date, rule: CreditRule | None = None,
                languages: Sequence[str] = (),
                progress: Callable[[int, int], None] | None = None) -> CredentialCheck:
    """Check each file given, and every credential file in each folder given. A file named directly that
    cannot be read stops the check with its reason (BadInput); one found in a folder is listed as unreadable
    and the others are checked."""
    from qms_audit.services.credentials.reading import NotACredential

    if not paths:
        raise BadInput("name a catalogue (.csv, .xlsx), a credential (.json, .jsonld, .jwt) or a folder of them")
    check = CredentialCheck(today, [display_path(p) for p in paths])
    work: list[tuple[Path, bool]] = []
    for path in paths:
        if path.is_dir():
            found = _files_of(path)
            if not found:
                raise NotFound(f"{display_path(path)}: no catalogue (.csv, .xlsx) or credential (.json, .jsonld, "
                               ".jwt) in this folder")
            work += [(f, True) for f in found]
        elif not path.exists() and not path.is_symlink():
            raise NotFound(f"{display_path(path)}: no such file or folder")
        else:
            work.append((path, False))
    for n, (path, in_folder) in enumerate(work, start=1):
        shown = display_path(path)
        try:
            if path.suffix.lower() in CATALOGUE_SUFFIXES:
                check.catalogues.append(check_catalogue(path, today=today, rule=rule))
            elif path.suffix.lower() in CREDENTIAL_SUFFIXES:
                check.credentials.append(check_credential_file(path, shown=shown, today=today, languages=languages))
            else:
                raise BadInput(f"{shown}: give a catalogue (.csv or .xlsx) or a credential (.json, .jsonld or .jwt)")
        except NotACredential as exc:
            if not in_folder:
                raise
            check.passed_over.append((shown, exc.message.removeprefix(f"{shown}: ")))
        except QmsError as exc:
            if not in_folder:
                raise
            check.unreadable.append((shown, exc.message.removeprefix(f"{shown}: ")))
        if progress:
            progress(n, len(work))
    return check


def credential_check(workspace, paths: Sequence[Path], *, today: dt.date, actor: str = "reader",
                     audit_id: str | None = None, credit_name: str | None = None, credit_hours: float | None = None,
                     languages: Sequence[str] = (),
                     progress: Callable[[int, int], None] | None = None) -> tuple[CredentialCheck, int]:
    """`credentials check` and the TUI's credential check: the paths checked with the workspace profile's
    national credit (overridden by `credit_name` and `credit_hours`), and with an audit named, the result attached
    to it as evidence. `workspace` may be None (a check outside any workspace). Returns the check and the number
    of evidence entries attached."""
    from qms_audit.services.profile import maybe_profile

    if audit_id and workspace is None:
        raise BadInput(f"--audit {audit_id}: no workspace found to hold the audit (pass -w DIR)")
    profile = maybe_profile(workspace) if workspace is not None else None
    rule = credit_rule(profile, credit_name=credit_name, credit_hours=credit_hours)
    opened = None
    if audit_id:
        from qms_audit.services.auditing import open_audit

        opened = open_audit(workspace, audit_id, actor=actor)  # before the check: a wrong id fails at once
        _citing(opened)
    check = check_paths(paths, today=today, rule=rule, languages=languages, progress=progress)
    return check, attach_to_audit(opened, check, actor=actor) if opened is not None else 0


def _citing(opened) -> list[tuple[Any, Any]]:
    """(element, requirement) for each Annex I element a requirement of the audit's standard cites."""
    citing = {req.source_clause.strip(): req for req in opened.standard.requirements()}
    targets = [(e, citing[e.annex]) for e in ELEMENTS if e.annex in citing]
    if not targets:
        raise BadInput(f"audit {opened.record.id} is against {opened.standard.key}, whose requirements cite no "
                       "element of EU Annex I; attach the check to an audit against eu-mc-2022")
    return targets


def attach_to_audit(opened, check: CredentialCheck, *, actor: str) -> int:
    """Add the result of each Annex I element, over every credential checked, as evidence to the requirement of
    the audit's standard that cites that element (`source_clause` "Annex I, mandatory element 6"). Ratings are
    never touched; a result already attached is not attached again."""
    from qms_audit.model.audit import EvidenceKind
    from qms_audit.model.common import Phase
    from qms_audit.services.auditing import add_evidence

    targets = _citing(opened)
    everything = check.everything()
    if not everything:
        return 0
    added = 0
    inputs = ", ".join(check.inputs)
    for element, req in targets:
        if not opened.in_scope(req.ref):
            continue
        text = (f"Credential check of {inputs} on {check.checked_on.isoformat()}: "
                f"{evidence_summary(everything, element.key)}")
        if text in {e.text for e in opened.snapshot.result(req.ref).evidence}:
            continue
        add_evidence(opened, req.ref, phase=Phase.DO, kind=EvidenceKind.RECORD, text=text, actor=actor,
                     reference=inputs, sample_size=len(everything), sample_note="issued micro-credentials checked",
                     source="credentials-check")
        added += 1
    return added


def evidence_summary(results: Sequence[CredentialResult], key: str, *, named: int = 5) -> str:
    """What the check found of one element over every credential: counts, then the credentials lacking it."""
    from qms_audit.services.credentials.elements import FOUND, MISSING, NOT_APPLICABLE

    element = next(e for e in ELEMENTS if e.key == key)
    statuses = [(r, r.element(key)) for r in results]
    have = [r for r, e in statuses if e.status == FOUND]
    lacking = [r for r, e in statuses if e.status == MISSING]
    na = [r for r, e in statuses if e.status == NOT_APPLICABLE]
    parts = [f"{element.name} found in {len(have)} of {len(results)} micro-credential(s)"]
    if na:
        parts.append(f"not applicable in {len(na)}")
    if lacking:
        shown = "; ".join(f"{r.label} ({r.element(key).reason})" for r in lacking[:named])
        more = f"; and {len(lacking) - named} more" if len(lacking) > named else ""
        parts.append(f"missing in {len(lacking)}: {shown}{more}")
    example = next((e for r, e in statuses if e.status == FOUND and e.path), None)
    if example is not None and not lacking:
        parts.append(f"e.g. at {example.path}")
    return ", ".join(parts)
