from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from qms_audit.infra.errors import BadInput, NotFound
from qms_audit.infra.locations import ENV_WORKSPACE, find_workspace
from tests.conftest import REPO, run_process


def test_the_repository_is_a_workspace():
    ws = find_workspace(cwd=REPO / "src" / "qms_audit")
    assert ws.root == REPO


def test_discovery_order_flag_then_env_then_ancestors(tmp_path, workspace):
    other = tmp_path / "other"
    (other / "standards").mkdir(parents=True)
    inner = workspace / "audits"
    # nearest ancestor with standards/
    assert find_workspace(env={}, cwd=inner).root == workspace
    # the variable wins over the current folder
    assert find_workspace(env={ENV_WORKSPACE: str(other)}, cwd=inner).root == other.resolve()
    # the flag wins over the variable
    assert find_workspace(workspace, env={ENV_WORKSPACE: str(other)}, cwd=inner).root == workspace


def test_no_workspace_is_a_clear_error(tmp_path):
    with pytest.raises(NotFound, match="no workspace found"):
        find_workspace(env={}, cwd=tmp_path)
    with pytest.raises(BadInput, match="not a workspace"):
        find_workspace(tmp_path, env={})


def test_init_creates_a_workspace_with_shipped_standards(cli, tmp_path):
    target = tmp_path / "new-ws"
    result = cli("init", target)
    assert result.code == 0, result.err
    files = sorted(p.name for p in (target / "standards").glob("*.yaml"))
    # the standards, and their Indonesian and Malay translations (overlays)
    assert files == ["eu-mc-2022.id.yaml", "eu-mc-2022.ms.yaml", "eu-mc-2022.yaml", "mc-qms.id.yaml", "mc-qms.ms.yaml",
                     "mc-qms.yaml", "mc-readiness.id.yaml", "mc-readiness.ms.yaml", "mc-readiness.yaml"]
    names = ["eu-mc-2022", "mc-qms", "mc-readiness"]
    assert (target / "sop_templates").is_dir()
    assert (target / "audits").is_dir()
    listed = cli("-w", target, "standards", "list", "--json")
    assert listed.code == 0
    assert {s["id"] for s in __import__("json").loads(listed.out)} == set(names)


def test_init_refuses_an_existing_workspace(cli, workspace):
    before = sorted(p.name for p in workspace.iterdir())
    result = cli("init", workspace)
    assert result.code == 2
    assert "already a workspace" in result.err
    assert sorted(p.name for p in workspace.iterdir()) == before


def test_init_with_demo_copies_the_demo_audit(cli, tmp_path):
    target = tmp_path / "with-demo"
    result = cli("init", target, "--demo")
    assert result.code == 0, result.err
    shipped = sorted(p.name for p in (REPO / "audits").iterdir() if (p / "audit.json").is_file())
    copied = sorted(p.name for p in (target / "audits").iterdir() if (p / "audit.json").is_file())
    assert copied == shipped
    # the demo's institution profile and audit programme come with it, so every screen has data
    for name in ("institution.yaml", "programme.yaml"):
        assert (target / name).read_bytes() == (REPO / name).read_bytes()
    assert cli("-w", target, "programme", "show").code == 0


def test_init_without_demo_has_no_profile_or_programme(cli, tmp_path):
    target = tmp_path / "plain"
    assert cli("init", target).code == 0
    assert not (target / "institution.yaml").exists()
    assert not (target / "programme.yaml").exists()


def test_init_with_demo_keeps_a_profile_already_in_the_folder(cli, tmp_path):
    target = tmp_path / "ours"
    target.mkdir()
    (target / "institution.yaml").write_text("name: Our University\n")
    result = cli("init", target, "--demo")
    assert result.code == 0, result.err
    assert (target / "institution.yaml").read_text() == "name: Our University\n"
    assert (target / "programme.yaml").read_bytes() == (REPO / "programme.yaml").read_bytes()
    assert not (target / ".init-staging").exists()


@pytest.mark.slow
def test_installed_wheel_carries_the_standards_and_inits_away_from_the_repo(tmp_path):
    """`pip install` + `qms-audit init` must work without the repository next to the package."""
    import subprocess
    import sys

    wheel_dir = tmp_path / "wheel"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheel_dir),
                            str(REPO)], capture_output=True, text=True, timeout=300, check=False)
    assert build.returncode == 0, build.stderr
    wheel = next(wheel_dir.glob("qms_audit-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        zf.extractall(tmp_path / "site")
    for std in ("mc-qms", "eu-mc-2022", "mc-readiness"):
        assert f"qms_audit/_shipped/standards/{std}.yaml" in names
    # run from the unpacked wheel only, in a folder far from the repository
    away = tmp_path / "away"
    away.mkdir()
    env = {"PYTHONPATH": str(tmp_path / "site"), "PYTHONSAFEPATH": "1"}
    result = run_process("init", away / "ws", cwd=away, env=env)
    assert result.code == 0, result.err
    assert (away / "ws" / "standards" / "mc-qms.yaml").is_file()
    listed = run_process("-w", away / "ws", "standards", "list", cwd=away, env=env)
    assert listed.code == 0, listed.err
    assert "mc-qms" in listed.out
    assert Path(tmp_path / "site" / "qms_audit" / "_shipped").is_dir()


def test_a_workspace_in_git_never_commits_a_writers_transient_files(cli, tmp_path):
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    ws = tmp_path / "ws"
    assert cli("init", ws, "--demo").code == 0
    folder = ws / "audits" / "demo-2026-foe"
    # what a killed writer leaves behind, and what a writer at work holds
    left = [folder / "results" / ".clause-08.json.4242.1a2b3c4d.tmp", folder / ".lock", folder / ".journal.json"]
    for path in left:
        path.write_text("{}", encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    status = subprocess.run(["git", "-C", str(ws), "status", "--porcelain", "--untracked-files=all"],
                            check=True, capture_output=True, text=True).stdout
    assert "audits/demo-2026-foe/results/clause-08.json" in status  # records are committed
    assert not [p for p in left if str(p.relative_to(ws)) in status]
