"""The interface's words in Bahasa Indonesia and Bahasa Melayu: every word of the code is translated, no
translation is left of a word gone from the code, and the catalogues use the glossary's terms."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
import yaml

from qms_audit.infra import i18n
from qms_audit.model.audit import Grade

ROOT = Path(__file__).resolve().parent.parent


def _catalogues_script():
    spec = importlib.util.spec_from_file_location("catalogues_script", ROOT / "scripts" / "catalogues.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_every_word_of_the_code_is_translated_and_none_is_stale() -> None:
    problems = _catalogues_script().problems()
    more = f"\n... and {len(problems) - 40} more" if len(problems) > 40 else ""
    assert problems == [], "\n".join(problems[:40]) + more


def test_the_check_finds_an_untranslated_word_and_a_stale_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = _catalogues_script()
    for code in script.TRANSLATED:
        copy = tmp_path / code / "LC_MESSAGES" / "qms_audit.po"
        copy.parent.mkdir(parents=True)
        text = script.po_path(code).read_text(encoding="utf-8")
        # one word loses its translation, and a word the code does not have is added
        text = re.sub(r'(msgid "Minor nonconformity"\nmsgstr )".*"', r'\1""', text)
        text += '\nmsgid "A word no code uses"\nmsgstr "Kata"\n'
        copy.write_text(text, encoding="utf-8")
    monkeypatch.setattr(script, "LOCALE", tmp_path)
    found = script.problems()
    for code in script.TRANSLATED:
        assert f"{Path(code, 'LC_MESSAGES', 'qms_audit.po')}" in "\n".join(found)
    assert sum("untranslated 'Minor nonconformity'" in line for line in found) == 2
    assert sum("stale 'A word no code uses'" in line for line in found) == 2


@pytest.mark.parametrize("code", ["id", "ms"])
def test_grade_words_are_the_glossary_terms_the_overlays_use(code: str) -> None:
    overlay = yaml.safe_load((ROOT / "standards" / f"eu-mc-2022.{code}.yaml").read_text(encoding="utf-8"))
    with i18n.language(code):
        for grade in (Grade.CONFORMITY, Grade.MINOR_NC, Grade.MAJOR_NC, Grade.OBSERVATION, Grade.OFI):
            assert grade.label == overlay["grades"][grade.value], grade
    assert Grade.MAJOR_NC.label == "Major nonconformity"


def test_dates_and_numbers_follow_the_language() -> None:
    import datetime as dt

    day = dt.date(2026, 12, 3)
    assert i18n.format_date(day) == "2026-12-03"
    with i18n.language("id"):
        assert i18n.format_date(day) == "3 Des 2026"
        assert i18n.format_long_date(day) == "3 Desember 2026"
        assert i18n.format_decimal(3.25, places=2) == "3,25"
    with i18n.language("ms"):
        assert i18n.format_date(dt.datetime(2026, 12, 3, 9, 5)) == "3 Dis 2026 09:05"
        assert i18n.format_decimal(3.25, places=2) == "3.25"
    assert i18n.format_long_date(day) == "3 December 2026"


def test_a_catalogue_edited_after_it_was_compiled_is_read_from_its_source(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import shutil

    locale = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, locale)
    po = locale / "id" / "LC_MESSAGES" / "qms_audit.po"
    po.write_text(po.read_text(encoding="utf-8").replace('"Ketidaksesuaian mayor"', '"KTS mayor (diubah)"'),
                  encoding="utf-8")
    mo = po.with_suffix(".mo")
    if mo.exists():
        os.utime(mo, (po.stat().st_mtime - 60, po.stat().st_mtime - 60))
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale)
    i18n.catalogue.cache_clear()
    try:
        with i18n.language("id"):
            assert Grade.MAJOR_NC.label == "KTS mayor (diubah)"
    finally:
        i18n.catalogue.cache_clear()
