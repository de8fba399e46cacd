"""Shared fixtures: the repository (itself a workspace), throwaway workspaces, and a CLI runner.

Tests work on copies: a test run that changes a tracked file or leaves a new, non-ignored file in the
repository fails the whole session (see `pytest_sessionfinish`).

Unit tests (no files, no processes, no TUI) live in tests/unit/; every other test is marked `e2e` here, so that
`pytest -m "not e2e"` (`make unit`) runs the fast ones alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = Path(__file__).resolve().parent / "samples"
UNIT = Path(__file__).resolve().parent / "unit"


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path_factory):
    # Tests never depend on the developer's own settings.
    monkeypatch.delenv("QMS_AUDIT_WORKSPACE", raising=False)
    monkeypatch.setenv("QMS_AUDIT_USER", "Test Auditor")
    monkeypatch.delenv("QMS_AUDIT_DEBUG", raising=False)
    monkeypatch.setenv("QMS_AUDIT_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.setenv("QMS_AUDIT_LOCK_TIMEOUT", "2")
    # The person's own folders (saved identity, demo workspace, drafts) are never the developer's real ones
    personal = tmp_path_factory.mktemp("personal")
    monkeypatch.setenv("QMS_AUDIT_CONFIG_DIR", str(personal / "config"))
    monkeypatch.setenv("QMS_AUDIT_DATA_DIR", str(personal / "data"))
    monkeypatch.setenv("QMS_AUDIT_STATE", str(personal / "state"))
    monkeypatch.delenv("QMS_AUDIT_LANG", raising=False)
    # A command run in-process sets the language for the process: each test starts and ends in English.
    from qms_audit.infra import i18n

    i18n.set_language(i18n.ENGLISH)
    yield
    i18n.set_language(i18n.ENGLISH)


@pytest.fixture
def cli(capsys):
    """Run the CLI in-process; returns exit code, stdout and stderr."""
    from qms_audit.cli import run

    def invoke(*args: str | os.PathLike[str]) -> Result:
        capsys.readouterr()
        code = run([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


def run_process(*args: str | os.PathLike[str], cwd: Path | None = None, env: dict[str, str] | None = None,
                timeout: float = 60) -> Result:
    """Run `qms-audit` as a real process (for start-up, import and crash behaviour)."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "qms_audit", *map(str, args)], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def workspace(tmp_path) -> Path:
    """A fresh workspace with the shipped standards and templates, and no audits."""
    from qms_audit.services.workspace_setup import create_workspace

    return create_workspace(tmp_path / "ws").root


@pytest.fixture
def demo_workspace(tmp_path) -> Path:
    """A copy of the repository's workspace including the demo audit, safe to modify."""
    target = tmp_path / "demo-ws"
    target.mkdir()
    for name in ("standards", "sop_templates", "audits", "ncs", "signers", "institution.yaml", "programme.yaml",
                 "templates"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns(".lock*", "*.tmp"))
        elif source.is_file():
            shutil.copy2(source, target / name)
    return target


# --- the repository stays as it was --------------------------------------------------------------------------

_REPO_STATUS = pytest.StashKey[list[str]]()
_REPO_CHANGES = pytest.StashKey[list[str]]()


def git_status(repo: Path) -> list[str] | None:
    """`git status --porcelain` of `repo` with every untracked file listed, or None when `repo` is not the top
    of a git checkout (an unpacked sdist, no git installed, a checkout git refuses to read)."""
    git = shutil.which("git")
    if git is None:
        return None
    # Read only: without optional locks `git status` neither refreshes nor locks the index, so it cannot get in
    # the way of a git command someone runs meanwhile
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    try:
        top = subprocess.run([git, "-C", str(repo), "rev-parse", "--show-toplevel"], capture_output=True,
                             text=True, timeout=30, check=False, env=env)
        if top.returncode != 0 or Path(top.stdout.strip()).resolve() != repo.resolve():
            return None
        status = subprocess.run([git, "-C", str(repo), "status", "--porcelain", "--untracked-files=all"],
                                capture_output=True, text=True, timeout=60, check=False, env=env)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return status.stdout.splitlines() if status.returncode == 0 else None


def status_changes(before: list[str], after: list[str]) -> list[str]:
    """The porcelain lines that differ between two `git_status` results, marked with + (new) or - (gone)."""
    old, new = set(before), set(after)
    return [f"+ {line}" for line in after if line not in old] + [f"- {line}" for line in before if line not in new]


def pytest_configure(config: pytest.Config) -> None:
    # pytest-textual-snapshot writes its failure report to the current folder unless told otherwise; keep it in
    # pytest's own (ignored) cache folder, next to the other leftovers of a test run.
    if getattr(config.option, "snapshot_report", None) == "snapshot_report.html":
        try:
            cache = config.getini("cache_dir") or ".pytest_cache"
        except ValueError:  # `-p no:cacheprovider` takes the setting away with the plugin; the folder is ignored still
            cache = ".pytest_cache"
        config.option.snapshot_report = str(config.rootpath / cache / "snapshot_report.html")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A test's folder says what kind it is, so a new end-to-end test cannot be left unmarked by mistake
    e2e = pytest.mark.e2e
    for item in items:
        if UNIT not in item.path.resolve().parents:
            item.add_marker(e2e)


def pytest_sessionstart(session: pytest.Session) -> None:
    # Updating snapshots rightly rewrites tracked files; every other run must leave the repository alone.
    if getattr(session.config.option, "update_snapshots", False):
        return
    status = git_status(REPO)
    if status is not None:
        session.stash[_REPO_STATUS] = status


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = session.stash.get(_REPO_STATUS, None)
    if before is None:
        return
    after = git_status(REPO)
    if after is None:
        return
    changes = status_changes(before, after)
    if changes:
        session.config.stash[_REPO_CHANGES] = changes
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    changes = config.stash.get(_REPO_CHANGES, None)
    if not changes:
        return
    terminalreporter.section("the test run changed the repository", sep="=", red=True, bold=True)
    terminalreporter.write_line("tests must work on copies (fixtures `workspace`, `demo_workspace`, tmp_path); "
                                "`git status --porcelain` changed:")
    for line in changes:
        terminalreporter.write_line(f"  {line}")
    terminalreporter.write_line("(a file edited by hand while the tests ran shows here too: run them again)")
