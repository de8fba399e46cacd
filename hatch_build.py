"""Building the package compiles the language catalogues (src/qms_audit/locale/*/LC_MESSAGES/*.po to .mo)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CataloguesHook(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in sorted(Path(self.root, "src", "qms_audit", "locale").glob("*/LC_MESSAGES/*.po")):
            with po.open("rb") as source:
                messages = read_po(source, locale=po.parent.parent.name)
            with po.with_suffix(".mo").open("wb") as compiled:
                write_mo(compiled, messages)
