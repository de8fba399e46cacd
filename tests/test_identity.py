"""Who a change is recorded under: never guessed, always said back, kept outside the workspace."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(autouse=True)
def _own_config(monkeypatch, tmp_path):
    monkeypatch.setenv("QMS_AUDIT_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("QMS_AUDIT_USER", raising=False)


def test_a_change_without_a_name_is_refused_and_nothing_is_written(cli, demo_workspace):
    results = demo_workspace / "audits" / "demo-2026-foe" / "results"
    before = {p.name: p.read_bytes() for p in results.iterdir()}
    result = cli("-w", demo_workspace, "audit", "rate", "demo-2026-foe", "4.2.a", "--grade", "ofi", "--note", "x")
    assert result.code == 2
    assert result.err_lines == [result.err_lines[0]]
    assert "--as" in result.err and "QMS_AUDIT_USER" in result.err and "whoami --set" in result.err
    assert {p.name: p.read_bytes() for p in results.iterdir()} == before


@pytest.mark.parametrize(("command", "shows"), [
    (["audit", "show", "demo-2026-foe"], "demo-2026-foe: "),
    (["score", "demo-2026-foe"], "clause"),
    (["audit", "evidence", "list", "demo-2026-foe"], "E-"),
], ids=["audit show", "score", "evidence list"])
def test_reading_an_audit_needs_no_name(cli, demo_workspace, command, shows):
    result = cli("-w", demo_workspace, *command)
    assert result.code == 0, result.err
    assert shows in result.out


def test_whoami_saves_the_name_outside_the_workspace_and_says_where_it_comes_from(cli, demo_workspace, tmp_path,
                                                                                 monkeypatch):
    assert cli("whoami").code == 2
    saved = cli("whoami", "--set", "  Dr   Nur Hidayah ", "--unit", "Faculty of Business")
    assert saved.code == 0
    assert (tmp_path / "config" / "identity.yaml").is_file()
    assert not any("identity" in p.name for p in demo_workspace.rglob("*"))
    shown = cli("whoami", "--json")
    assert json.loads(shown.out) == {"name": "Dr Nur Hidayah", "unit": "Faculty of Business",
                                     "source": str(tmp_path / "config" / "identity.yaml")}
    assert cli("-w", demo_workspace, "audit", "rate", "demo-2026-foe", "4.2.a", "--grade", "ofi", "--note",
               "needs data").code == 0
    record = json.loads((demo_workspace / "audits" / "demo-2026-foe" / "results" / "clause-04.json").read_text())
    assert record["results"]["4.2.a"]["rated_by"] == "Dr Nur Hidayah"
    # --as and the variable win over the saved name, and say so
    assert json.loads(cli("--as", "Ms Ong", "whoami", "--json").out)["source"] == "--as"
    monkeypatch.setenv("QMS_AUDIT_USER", "Mr Reyes")
    assert json.loads(cli("whoami", "--json").out) == {"name": "Mr Reyes", "unit": None, "source": "QMS_AUDIT_USER"}


@pytest.mark.parametrize("content, expect", [
    ("name: [1, 2\n", "YAML syntax error"),
    ("unit: Library\n", "expected `name: Your Name`"),
    ("- a list\n", "expected `name: Your Name`"),
])
def test_a_damaged_identity_file_is_named_not_ignored(cli, tmp_path, content, expect):
    path = tmp_path / "config" / "identity.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(content)
    result = cli("whoami")
    assert result.code == 2
    assert len(result.err_lines) == 1
    assert str(path) in result.err and expect in result.err


@pytest.mark.parametrize("name, why", [("", "empty"), ("x" * 121, "longer than"), ("Dr\x1b[31m Evil", "control")])
def test_bad_names_are_refused(cli, name, why):
    result = cli("whoami", "--set", name)
    assert result.code == 2 and why in result.err


def test_unit_without_a_name_is_a_usage_error(cli):
    result = cli("whoami", "--unit", "Library")
    assert result.code == 2 and "--unit goes with --set" in result.err
