"""The demo audit shipped in audits/ is a living, consistent audit a newcomer can explore."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from tests.conftest import REPO

DEMO = "demo-2026-foe"


def test_demo_verifies_and_scores(cli, demo_workspace):
    assert cli("-w", demo_workspace, "verify", "--all").code == 0
    score = json.loads(cli("-w", demo_workspace, "score", DEMO, "--json").out)
    assert score["verdict"] == "not-conforming"  # one open major
    assert 0.7 < score["coverage"] < 1.0  # partly finished
    assert score["clauses"]["10"]["band"] == "not-assessed"
    assert score["findings"]["major_nc"]["total"] == 1
    assert score["findings"]["minor_nc"]["total"] >= 3
    assert score["findings"]["ofi"]["total"] >= 3
    assert score["maturity"]["overall"] > 1.0


def test_demo_has_evidence_in_every_phase_and_files(cli, demo_workspace):
    shown = json.loads(cli("-w", demo_workspace, "audit", "show", DEMO, "--json").out)
    phases = {e["phase"] for r in shown["results"].values() for e in r.get("evidence", [])}
    assert phases == {"P", "D", "C", "A"}
    files = [e["file"] for r in shown["results"].values() for e in r.get("evidence", []) if "file" in e]
    assert len(files) >= 3
    assert any(r["grade"] == "not_applicable" and r["na_reason"] for r in shown["results"].values())
    assert any(f.get("response", {}).get("position") == "disputed" for f in shown["findings"])


def test_demo_capas_are_at_different_stages(cli, demo_workspace):
    rows = json.loads(cli("-w", demo_workspace, "nc", "list", "--json").out)
    stages = {r["stage"] for r in rows}
    assert {"open", "actions-in-progress", "reopened", "closed"} <= stages
    assert any(r["source"] == "complaint" for r in rows)


def test_the_repository_demo_is_intact():
    """The committed demo verifies in place (no one edited it by hand)."""
    from qms_audit.infra.locations import Workspace
    from qms_audit.store.verify import verify_audit, verify_register

    ws = Workspace(REPO)
    assert verify_audit(ws, DEMO).ok
    assert verify_register(ws).ok


# --- `qms-audit demo`: a demo workspace of one's own, outside the repository ----------------------------------


def demo_path(cli) -> Path:
    result = cli("demo", "--path")
    assert result.code == 0, result.err
    assert len(result.lines) == 1  # the folder alone, for `cd "$(qms-audit demo --path)"`
    return Path(result.out.strip())


def rating_of(cli, folder: Path, ref: str) -> str | None:
    shown = cli("-w", folder, "audit", "show", DEMO, "--json")
    assert shown.code == 0, shown.err
    return json.loads(shown.out)["results"].get(ref, {}).get("grade")


def test_demo_is_made_in_the_data_folder_on_first_use_and_kept(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("QMS_AUDIT_DATA_DIR", str(tmp_path / "data"))
    first = cli("demo", "--path")
    assert first.code == 0, first.err
    folder = Path(first.out.strip())
    assert folder == (tmp_path / "data" / "demo").resolve()
    assert "created the demo workspace" in first.err
    assert (folder / "audits" / DEMO / "audit.json").is_file()
    # every screen has data: the fictional university and its audit programme come along
    for name in ("institution.yaml", "programme.yaml"):
        assert (folder / name).read_bytes() == (REPO / name).read_bytes()
    assert cli("-w", folder, "verify", "--all").code == 0
    assert cli("-w", folder, "programme", "show").code == 0

    assert rating_of(cli, folder, "10.1.a") is None
    assert cli("-w", folder, "audit", "rate", DEMO, "10.1.a", "--grade", "conformity").code == 0
    again = cli("demo", "--path")
    assert again.code == 0
    assert Path(again.out.strip()) == folder
    assert again.err == ""  # nothing created or moved the second time
    assert rating_of(cli, folder, "10.1.a") == "conformity"


def test_demo_reset_moves_the_old_one_aside_and_starts_fresh(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("QMS_AUDIT_DATA_DIR", str(tmp_path / "data"))
    folder = demo_path(cli)
    assert cli("-w", folder, "audit", "rate", DEMO, "10.1.a", "--grade", "conformity").code == 0
    reset = cli("demo", "--path", "--reset")
    assert reset.code == 0, reset.err
    assert Path(reset.out.strip()) == folder
    aside = sorted((tmp_path / "data").glob("demo-replaced-*"))
    assert len(aside) == 1
    assert str(aside[0]) in reset.err
    assert rating_of(cli, aside[0], "10.1.a") == "conformity"  # the old work is kept, not deleted
    assert rating_of(cli, folder, "10.1.a") is None
    # a second reset within the same second still keeps both earlier copies
    assert cli("demo", "--path", "--reset").code == 0
    assert len(list((tmp_path / "data").glob("demo-replaced-*"))) == 2


def test_demo_refuses_a_folder_that_is_not_a_workspace(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("QMS_AUDIT_DATA_DIR", str(tmp_path / "data"))
    stray = tmp_path / "data" / "demo" / "notes.txt"
    stray.parent.mkdir(parents=True)
    stray.write_text("mine")
    result = cli("demo", "--path")
    assert result.code == 2
    assert result.err_lines == [f"error: {stray.parent} exists but is not a workspace; `qms-audit demo --reset` "
                                "moves it aside and makes a fresh demo"]
    assert stray.read_text() == "mine"
    assert cli("demo", "--path", "--reset").code == 0
    assert (tmp_path / "data" / "demo" / "audits" / DEMO).is_dir()


def test_demo_folder_follows_xdg_data_home(tmp_path, monkeypatch):
    from qms_audit.services.workspace_setup import demo_folder

    monkeypatch.delenv("QMS_AUDIT_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert demo_folder() == tmp_path / "xdg" / "qms-audit" / "demo"


def test_demo_opens_the_tui_on_the_demo_audit_and_says_how_to_use_the_commands(cli, tmp_path, monkeypatch):
    import qms_audit.tui.app

    opened = []
    monkeypatch.setattr(qms_audit.tui.app, "run_tui", lambda *args, **kwargs: opened.append((args, kwargs)))
    monkeypatch.setenv("QMS_AUDIT_DATA_DIR", str(tmp_path / "data"))
    nowhere = tmp_path / "empty-bin"
    nowhere.mkdir()
    monkeypatch.setenv("PATH", str(nowhere))  # qms-audit is not on PATH
    result = cli("--as", "Ms Grace Lim", "demo")
    assert result.code == 0, result.err
    folder = (tmp_path / "data" / "demo").resolve()
    assert len(opened) == 1
    (workspace, actor, audit_id), _ = opened[0]
    assert (workspace.root, actor, audit_id) == (folder, "Ms Grace Lim", DEMO)
    scripts = Path(sys.executable).parent
    put_on_path = (f"source {scripts / 'activate'}" if (scripts / "activate").is_file()
                   else f"export PATH={scripts}:\"$PATH\"")
    assert result.lines[-1] == (f"demo workspace: {folder} (kept between runs; `qms-audit demo --reset` starts "
                                f"over); its commands: {put_on_path} && cd {folder}")

    # with qms-audit on PATH there is nothing to source; without the demo audit the list of audits opens
    (nowhere / "qms-audit").write_text("#!/bin/sh\n")
    (nowhere / "qms-audit").chmod(0o755)
    shutil.rmtree(folder / "audits" / DEMO)
    again = cli("demo")
    assert again.code == 0, again.err
    _, actor, audit_id = opened[1][0]
    assert (actor, audit_id) == (None, None)
    assert again.lines == [f"demo workspace: {folder} (kept between runs; `qms-audit demo --reset` starts over); "
                           f"its commands: cd {folder}",
                           f"the demo audit {DEMO} is no longer in it: opening the list of audits"]


def test_demo_does_not_take_a_workspace(cli, tmp_path, monkeypatch, workspace):
    monkeypatch.setenv("QMS_AUDIT_DATA_DIR", str(tmp_path / "data"))
    result = cli("-w", workspace, "demo", "--path")
    assert result.code == 2
    assert result.err_lines == ["error: --workspace does not go with `demo`: the demo has its own workspace "
                                "(`qms-audit demo --path` shows where)"]
    assert not (tmp_path / "data").exists()
