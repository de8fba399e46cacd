"""Running git for the workspace's own set-up (a merge driver, a hook); records never depend on git."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from qms_audit.infra.errors import StorageError

GIT_TIMEOUT = 60


def run_git(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    git = shutil.which("git")
    if git is None:
        raise StorageError("git is not installed (or not on PATH)")
    try:
        return subprocess.run([git, *args], cwd=cwd, capture_output=True, text=True, timeout=GIT_TIMEOUT,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise StorageError(f"git {' '.join(args[:2])} failed in {cwd} ({exc})") from None


def checked_git(*args: str, cwd: Path) -> str:
    """git's output, or one line saying what git refused."""
    done = run_git(*args, cwd=cwd)
    if done.returncode != 0:
        said = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        raise StorageError(f"git {' '.join(args[:2])} failed in {cwd}: {said}")
    return done.stdout


def work_tree_top(path: Path) -> Path | None:
    """The top of the git work tree holding `path`, or None when it is in none (or git is missing)."""
    if shutil.which("git") is None:
        return None
    done = run_git("rev-parse", "--show-toplevel", cwd=path)
    if done.returncode != 0 or not done.stdout.strip():
        return None
    return Path(done.stdout.strip()).resolve()
