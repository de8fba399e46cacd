"""Shared fixtures: the repository (itself a workspace), throwaway workspaces, and a CLI runner."""

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
    from qms_audit.workspace_setup import create_workspace

    return create_workspace(tmp_path / "ws").root


@pytest.fixture
def demo_workspace(tmp_path) -> Path:
    """A copy of the repository's workspace including the demo audit, safe to modify."""
    target = tmp_path / "demo-ws"
    target.mkdir()
    for name in ("standards", "sop_templates", "audits", "ncs", "institution.yaml", "programme.yaml", "templates"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns(".lock*", "*.tmp"))
        elif source.is_file():
            shutil.copy2(source, target / name)
    return target
