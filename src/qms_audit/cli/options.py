"""Parameter types shared by commands: dates, grades, PDCA phases, evidence kinds.

The model is imported when a value is converted, not when a command module is loaded: loading every command's
module must stay cheap (a management command that finds nothing changed never needs the model)."""

from __future__ import annotations

import datetime as dt

import click

from qms_audit.infra.errors import choice_hint


class DateType(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"'{value}' is not a date; write it as YYYY-MM-DD", param, ctx)


class GradeType(click.ParamType):
    """A grade name or alias, or a level number for standards rated on levels."""

    name = "GRADE"

    def convert(self, value, param, ctx):
        from qms_audit.model.audit import Grade, parse_grade

        if isinstance(value, Grade | int):
            return value
        text = str(value).strip()
        if text.isdigit():
            return int(text)
        try:
            return parse_grade(text)
        except ValueError:
            names = [g.value for g in Grade]
            self.fail(f"'{value}' is not a grade ({choice_hint(text.lower(), names)})", param, ctx)


class PhaseType(click.ParamType):
    name = "P|D|C|A"

    def convert(self, value, param, ctx):
        from qms_audit.model.common import Phase

        if isinstance(value, Phase):
            return value
        try:
            return Phase.parse(str(value))
        except ValueError:
            self.fail(f"'{value}' is not a PDCA phase (P, D, C, A or plan, do, check, act)", param, ctx)


class KindType(click.ParamType):
    name = "KIND"

    def convert(self, value, param, ctx):
        from qms_audit.model.audit import EvidenceKind

        if isinstance(value, EvidenceKind):
            return value
        try:
            return EvidenceKind(str(value).strip().lower())
        except ValueError:
            names = [k.value for k in EvidenceKind]
            self.fail(f"'{value}' is not an evidence kind ({choice_hint(str(value).lower(), names)})", param, ctx)


DATE = DateType()
GRADE = GradeType()
PHASE = PhaseType()
KIND = KindType()
