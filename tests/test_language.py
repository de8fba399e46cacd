"""The reader's language: --lang, else $QMS_AUDIT_LANG, else `language:` in institution.yaml, else English.
`standards show` gives a standard's texts from its overlay in that language; its JSON is the same in every
language; a bad code is refused in one line."""

from __future__ import annotations

import json

import pytest
import yaml


@pytest.fixture
def ws(demo_workspace, monkeypatch):
    monkeypatch.delenv("QMS_AUDIT_LANG", raising=False)
    return demo_workspace


def overlay_title(ws, language: str) -> str:
    return yaml.safe_load((ws / "standards" / f"eu-mc-2022.{language}.yaml").read_text())["title"]


def first_line(result) -> str:
    assert result.code == 0, result.err
    return result.out.splitlines()[0]


def test_the_language_comes_from_the_option_the_environment_or_the_profile(cli, ws, monkeypatch):
    english = yaml.safe_load((ws / "standards" / "eu-mc-2022.yaml").read_text())["title"]
    indonesian, malay = overlay_title(ws, "id"), overlay_title(ws, "ms")
    assert len({english, indonesian, malay}) == 3
    assert first_line(cli("-w", ws, "standards", "show", "eu-mc-2022")) == english
    assert first_line(cli("-w", ws, "--lang", "id", "standards", "show", "eu-mc-2022")) == indonesian

    profile = ws / "institution.yaml"
    profile.write_text(profile.read_text() + "language: ms\n")
    assert first_line(cli("-w", ws, "standards", "show", "eu-mc-2022")) == malay
    monkeypatch.setenv("QMS_AUDIT_LANG", "id")
    assert first_line(cli("-w", ws, "standards", "show", "eu-mc-2022")) == indonesian
    assert first_line(cli("-w", ws, "--lang", "en", "standards", "show", "eu-mc-2022")) == english


def test_requirements_are_shown_in_the_language_and_json_stays_the_same(cli, ws):
    overlay = yaml.safe_load((ws / "standards" / "eu-mc-2022.id.yaml").read_text())
    translated = {r["ref"]: r["title"] for r in overlay["requirements"] if r.get("title")}
    shown = cli("-w", ws, "--lang", "id", "standards", "show", "eu-mc-2022").out
    assert translated and all(title in shown for title in translated.values())
    as_json = [json.loads(cli("-w", ws, "--lang", code, "standards", "show", "eu-mc-2022", "--json").out)
               for code in ("en", "id", "ms")]
    assert as_json[0] == as_json[1] == as_json[2]


def test_a_standard_without_a_translation_says_it_is_shown_in_english(cli, ws):
    (ws / "standards" / "mc-qms.ms.yaml").unlink()
    result = cli("-w", ws, "--lang", "ms", "standards", "show", "mc-qms")
    assert result.code == 0
    assert result.out.splitlines()[0] == "(Bahasa Melayu: mc-qms@1.1 is shown in English, it has no translation)"


def test_the_mc_qms_standard_is_shown_in_malay(cli, ws):
    overlay = yaml.safe_load((ws / "standards" / "mc-qms.ms.yaml").read_text())
    shown = cli("-w", ws, "--lang", "ms", "standards", "show", "mc-qms").out
    assert shown.splitlines()[0] == overlay["title"]
    titles = [r["title"] for r in overlay["requirements"]] + [c["title"] for c in overlay["clauses"]]
    assert len(titles) == 75 + 44
    assert [t for t in titles if t not in shown] == []
    assert "Risks to micro-credentials identified" in cli("-w", ws, "standards", "show", "mc-qms").out
    assert "Risks to micro-credentials identified" not in shown


@pytest.mark.parametrize("where", ["option", "environment", "profile"])
def test_an_unknown_language_is_refused_in_one_line(cli, ws, monkeypatch, where):
    args = ["-w", ws, "standards", "show", "eu-mc-2022"]
    if where == "option":
        args = ["--lang", "fr", *args]
    elif where == "environment":
        monkeypatch.setenv("QMS_AUDIT_LANG", "fr")
    else:
        profile = ws / "institution.yaml"
        profile.write_text(profile.read_text() + "language: fr\n")
    result = cli(*args)
    assert result.code == 2 and result.out == ""
    assert len(result.err.strip().splitlines()) == 1
    expected = {"option": "--lang fr: choose en", "environment": "$QMS_AUDIT_LANG fr: choose en",
                "profile": "institution.yaml"}[where]
    assert expected in result.err
