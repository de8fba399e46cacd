"""Creating a workspace from the data shipped with qms-audit."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from qms_audit.infra.errors import BadInput, StorageError
from qms_audit.infra.locations import (
    AUDITS,
    NC_REGISTER,
    PROFILE_FILE,
    PROGRAMME_FILE,
    SIGNERS,
    SOP_TEMPLATES,
    STANDARDS,
    Workspace,
    data_dir,
    is_workspace,
    shipped_dir,
)

DEMO_AUDIT = "demo-2026-foe"
DEMO_FOLDER = "demo"

# The demo's fictional university and its audit programme: without them the profile, programme and
# management screens of a demo workspace would be empty.
DEMO_FILES = (PROFILE_FILE, PROGRAMME_FILE)

WORKSPACE_README = """\
# qms-audit workspace

- `standards/`      standards as YAML (`qms-audit standards list`)
- `sop_templates/`  Jinja2 templates for SOP drafts (`qms-audit sop list`)
- `audits/`         one folder per audit; keep this folder under version control
- `institution.yaml` the institution profile (`qms-audit profile init`)
"""


# What a workspace kept in git never commits: the transient files of a writer at work (a lock, the journal of a
# change being written, a temporary file a killed writer left, which the next write removes under the lock)
WORKSPACE_GITIGNORE = """\
# qms-audit: transient files of its writers, never records
.lock
.lock.*
.journal.json
.*.tmp
"""


def create_workspace(directory: Path, *, with_demo: bool = False) -> Workspace:
    directory = Path(directory).expanduser()
    _refuse_unfit_folder(directory)
    source = shipped_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        # Everything is put together aside, then moved in: a workspace is never seen half-made
        staging = directory / ".init-staging"
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir()
        _stage_shipped(source, staging)
        demo_files = _stage_demo(source, staging, directory) if with_demo else []
        (staging / "README.md").write_text(WORKSPACE_README, encoding="utf-8")
        if (directory / "README.md").exists():
            (staging / "README.md").unlink()
        if not (directory / ".gitignore").exists():
            (staging / ".gitignore").write_text(WORKSPACE_GITIGNORE, encoding="utf-8")
        # standards/ last: its presence is what makes the folder a workspace
        for name in (SOP_TEMPLATES, AUDITS, NC_REGISTER, SIGNERS, *demo_files, "README.md", ".gitignore",
                     STANDARDS):
            if (staging / name).exists():
                (staging / name).rename(directory / name)
        staging.rmdir()
    except OSError as exc:
        raise StorageError(f"{directory}: cannot create the workspace ({exc.strerror or exc})") from None
    return Workspace(directory.resolve())


def _refuse_unfit_folder(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise BadInput(f"{directory}: exists and is not a folder")
    if is_workspace(directory):
        raise BadInput(f"{directory} is already a workspace (it has standards/); nothing was changed")
    if directory.is_dir() and any(p.name in (SOP_TEMPLATES, AUDITS) for p in directory.iterdir()):
        raise BadInput(f"{directory} already holds sop_templates/ or audits/; choose an empty folder")


def _stage_shipped(source: Path, staging: Path) -> None:
    """The shipped standards and SOP templates, and an empty audits/ folder."""
    for name in (STANDARDS, SOP_TEMPLATES):
        if (source / name).is_dir():
            shutil.copytree(source / name, staging / name, ignore=shutil.ignore_patterns(".*", "__pycache__"))
        else:
            (staging / name).mkdir()
    (staging / AUDITS).mkdir()


def _stage_demo(source: Path, staging: Path, directory: Path) -> list[str]:
    """The demo audits, the register of NCs raised outside audits, and the demo's profile and programme (those
    two only where the folder has none yet). Returns the names of the files staged."""
    copied = shutil.ignore_patterns(".lock*", "*.tmp", "__pycache__")
    if (source / NC_REGISTER).is_dir():
        shutil.copytree(source / NC_REGISTER, staging / NC_REGISTER, ignore=copied)
    # the keys the demo's signed entries were made with; a folder that has trusted signers of its own keeps them
    if (source / SIGNERS).is_dir() and not (directory / SIGNERS).exists():
        shutil.copytree(source / SIGNERS, staging / SIGNERS, ignore=copied)
    if (source / AUDITS).is_dir():
        for audit in sorted((source / AUDITS).iterdir()):
            if audit.is_dir() and (audit / "audit.json").is_file():
                shutil.copytree(audit, staging / AUDITS / audit.name, ignore=copied)
    demo_files = [name for name in DEMO_FILES if (source / name).is_file() and not (directory / name).exists()]
    for name in demo_files:
        shutil.copy2(source / name, staging / name)
    return demo_files


@dataclass(frozen=True)
class DemoWorkspace:
    workspace: Workspace
    created: bool  # made from the shipped data by this call
    moved_to: Path | None  # where --reset put the previous demo workspace


def demo_folder() -> Path:
    """The demo workspace people try the tool on: in their own data folder, never in the repository, so using
    the demo never changes a tracked file."""
    return data_dir() / DEMO_FOLDER


def prepare_demo(*, reset: bool = False) -> DemoWorkspace:
    """The demo workspace, created from the shipped data on first use and kept between runs.

    `reset` moves the current one aside (renamed, never deleted: it may hold work someone wants back) and makes
    a fresh copy.
    """
    folder = demo_folder()
    moved_to = None
    if reset and (folder.exists() or folder.is_symlink()):
        moved_to = _aside(folder)
    if is_workspace(folder):
        return DemoWorkspace(Workspace(folder.resolve()), created=False, moved_to=moved_to)
    if folder.is_dir() and any(folder.iterdir()):
        # What a crash during creation leaves, or a folder someone made there: not ours to fill in or delete
        raise BadInput(f"{folder} exists but is not a workspace; `qms-audit demo --reset` moves it aside "
                       "and makes a fresh demo")
    workspace = create_workspace(folder, with_demo=True)
    return DemoWorkspace(workspace, created=True, moved_to=moved_to)


def _aside(folder: Path) -> Path:
    from qms_audit.infra import clock

    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    target = folder.with_name(f"{folder.name}-replaced-{stamp}")
    number = 1
    while target.exists() or target.is_symlink():
        number += 1
        target = folder.with_name(f"{folder.name}-replaced-{stamp}-{number}")
    try:
        folder.rename(target)
    except OSError as exc:
        raise StorageError(f"{folder}: cannot move it aside to {target.name} ({exc.strerror or exc})") from None
    return target
