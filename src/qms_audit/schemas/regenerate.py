"""Rewrite the checked-in JSON Schemas from the models: `python -m qms_audit.schemas.regenerate`."""

from __future__ import annotations

import json
from pathlib import Path

from qms_audit.infra.files import atomic_write_text
from qms_audit.schemas import SCHEMAS


def render(generator) -> str:
    return json.dumps(generator(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    here = Path(__file__).resolve().parent
    for name, generator in SCHEMAS.items():
        atomic_write_text(here / name, render(generator))
        print(f"wrote {here / name}")


if __name__ == "__main__":
    main()
