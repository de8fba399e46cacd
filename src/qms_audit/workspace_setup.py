"""Creating a workspace from the data shipped with qms-audit."""

from __future__ import annotations

import shutil
from pathlib import Path

from qms_audit.errors import BadInput, StorageError
from qms_audit.locations import (
    AUDITS,
    NC_REGISTER,
    SOP_TEMPLATES,
    STANDARDS,
    Workspace,
    is_workspace,
    shipped_dir,
)

WORKSPACE_README = """\
# qms-audit workspace

- `standards/`      standards as YAML (`qms-audit standards list`)
- `sop_templates/`  Jinja2 templates for SOP drafts (`qms-audit sop list`)
- `audits/`         one folder per audit; keep this folder under version control
- `institution.yaml` the institution profile (`qms-audit profile init`)
"""


def create_workspace(directory: Path, *, with_demo: bool = False) -> Workspace:
    directory = Path(directory).expanduser()
    if directory.exists() and not directory.is_dir():
        raise BadInput(f"{directory}: exists and is not a folder")
    if is_workspace(directory):
        raise BadInput(f"{directory} is already a workspace (it has standards/); nothing was changed")
    if directory.is_dir() and any(p.name in (SOP_TEMPLATES, AUDITS) for p in directory.iterdir()):
        raise BadInput(f"{directory} already holds sop_templates/ or audits/; choose an empty folder")
    source = shipped_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        staging = directory / ".init-staging"
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir()
        for name in (STANDARDS, SOP_TEMPLATES):
            if (source / name).is_dir():
                shutil.copytree(source / name, staging / name,
                                ignore=shutil.ignore_patterns(".*", "__pycache__"))
            else:
                (staging / name).mkdir()
        (staging / AUDITS).mkdir()
        if with_demo and (source / NC_REGISTER).is_dir():
            shutil.copytree(source / NC_REGISTER, staging / NC_REGISTER,
                            ignore=shutil.ignore_patterns(".lock*", "*.tmp", "__pycache__"))
        if with_demo and (source / AUDITS).is_dir():
            for audit in sorted((source / AUDITS).iterdir()):
                if audit.is_dir() and (audit / "audit.json").is_file():
                    shutil.copytree(audit, staging / AUDITS / audit.name,
                                    ignore=shutil.ignore_patterns(".lock*", "*.tmp", "__pycache__"))
        (staging / "README.md").write_text(WORKSPACE_README, encoding="utf-8")
        # standards/ last: its presence is what makes the folder a workspace
        if (directory / "README.md").exists():
            (staging / "README.md").unlink()
        for name in (SOP_TEMPLATES, AUDITS, NC_REGISTER, "README.md", STANDARDS):
            if (staging / name).exists():
                (staging / name).rename(directory / name)
        staging.rmdir()
    except OSError as exc:
        raise StorageError(f"{directory}: cannot create the workspace ({exc.strerror or exc})") from None
    return Workspace(directory.resolve())
