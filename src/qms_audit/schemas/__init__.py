"""JSON Schemas generated from the models; checked-in copies live beside this file (a test guards drift)."""

from __future__ import annotations

from typing import Any

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _with_header(schema: dict[str, Any], schema_id: str, title: str) -> dict[str, Any]:
    return {"$schema": SCHEMA_DIALECT, "$id": schema_id, "title": title, **{k: v for k, v in schema.items()
                                                                           if k != "title"}}


def standard_schema() -> dict[str, Any]:
    from qms_audit.model.standard import Standard

    return _with_header(Standard.model_json_schema(), "qms-audit:standard.schema.json", "qms-audit standard")


def overlay_schema() -> dict[str, Any]:
    from qms_audit.model.overlay import Overlay

    return _with_header(Overlay.model_json_schema(), "qms-audit:overlay.schema.json",
                        "qms-audit translation overlay of a standard")


def profile_schema() -> dict[str, Any]:
    from qms_audit.model.profile import InstitutionProfile

    return _with_header(InstitutionProfile.model_json_schema(), "qms-audit:profile.schema.json",
                        "qms-audit institution profile")


def programme_schema() -> dict[str, Any]:
    from qms_audit.model.programme import Programme

    return _with_header(Programme.model_json_schema(), "qms-audit:programme.schema.json",
                        "qms-audit audit programme")


# file name -> generator; the drift test walks this table
SCHEMAS = {
    "standard.schema.json": standard_schema,
    "overlay.schema.json": overlay_schema,
    "profile.schema.json": profile_schema,
    "programme.schema.json": programme_schema,
}
