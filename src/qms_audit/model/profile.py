"""The institution profile (`institution.yaml`): who the institution is, its units, roles and people.

SOP drafts are filled from it; audits take auditors' home units from it for the independence check.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from qms_audit.model.common import NonEmpty, StrictModel

RoleKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,40}$")]


class Unit(StrictModel):
    name: NonEmpty
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{1,9}$")]
    head: str | None = Field(default=None, description="Name of the head of the unit (a person below).")


class Person(StrictModel):
    name: NonEmpty
    position: str | None = None
    unit: NonEmpty = Field(description="The person's home unit (used for auditor independence).")
    email: str | None = None
    auditor: bool = Field(default=False, description="Trained as an internal auditor.")


class Roles(StrictModel):
    """Who holds the roles SOPs and reports refer to; each value is the name of a person above."""

    head_of_institution: NonEmpty
    quality_manager: NonEmpty
    mc_manager: NonEmpty = Field(description="Head of the unit that manages micro-credentials.")
    certification_head: NonEmpty
    audit_programme_owner: NonEmpty
    sop_approver: NonEmpty = Field(description="Who approves SOPs.")


class Numbering(StrictModel):
    sop: NonEmpty = Field(default="{institution}-{unit}-SOP-{number:02d}",
                          description="Document numbers of SOPs; fields: institution, unit, number, sop_id.")
    report: NonEmpty = Field(default="{institution}-IAR-{year}-{audit}",
                             description="Audit report numbers; fields: institution, year, audit.")


class NationalCredit(StrictModel):
    """The credit a national framework counts workload in, as the institution's catalogues write it."""

    name: NonEmpty = Field(description="What catalogues call one credit: 'credit' (Malaysia's MQF), 'SKS' "
                                       "(Indonesia), ...")
    hours: Annotated[float, Field(gt=0, le=100)] = Field(
        description="Notional learning hours of one credit: 40 in Malaysia's MQF; 45 for an Indonesian SKS "
                    "(Permendikbudristek No. 53/2023).")


class InstitutionProfile(StrictModel):
    format: Literal[1] = 1
    name: NonEmpty
    short_name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9]{1,11}$")]
    country: NonEmpty
    city: str | None = None
    mc_unit: NonEmpty = Field(description="The unit that manages micro-credentials.")
    certification_unit: NonEmpty = Field(description="The unit that assesses and issues micro-credentials.")
    quality_unit: NonEmpty = Field(description="The unit that runs the QMS and internal audits.")
    units: list[Unit] = Field(default_factory=list, description="Faculties, schools and service units.")
    people: list[Person] = Field(default_factory=list)
    roles: Roles
    review_cycle_months: Annotated[int, Field(ge=1, le=120)] = Field(
        default=24, description="How often controlled documents are reviewed.")
    numbering: Numbering = Field(default_factory=Numbering)
    logo: str | None = Field(default=None, description="Path of a logo image inside the workspace.")
    credit_hours: Annotated[float, Field(gt=0, le=100)] = Field(
        default=40, description="Notional learning hours per national credit (40 in Malaysia's MQF); "
                                "`credits` says the same with the credit's name, and wins when both are given.")
    ects_hours: Annotated[float, Field(ge=25, le=30)] = Field(
        default=27.5, description="Hours per ECTS credit (25-30).")
    credits: NationalCredit | None = Field(
        default=None, description="The national credit the catalogues count workload in, by name and hours, "
                                  "e.g. {name: SKS, hours: 45}.")
    paper: Literal["A4", "Letter"] = Field(
        default="A4", description="The paper documents and workbooks are laid out and printed on: A4 or Letter.")
    language: Literal["en", "id", "ms"] | None = Field(
        default=None, description="The language people read here: en (English), id (Bahasa Indonesia) or ms "
                                  "(Bahasa Melayu); --lang and QMS_AUDIT_LANG choose otherwise for one person.")
    quality_cycle: Literal["pdca", "ppepp"] = Field(
        default="pdca", description="The quality cycle the institution runs: pdca (Plan-Do-Check-Act), or ppepp "
                                    "(Penetapan, Pelaksanaan, Evaluasi, Pengendalian, Peningkatan: the SPMI cycle of "
                                    "Indonesian universities), which reports then show beside PDCA.")

    def national_credit(self) -> NationalCredit:
        return self.credits or NationalCredit(name="credit", hours=self.credit_hours)

    def person(self, name: str) -> Person | None:
        key = " ".join(name.lower().split())
        return next((p for p in self.people if " ".join(p.name.lower().split()) == key), None)
