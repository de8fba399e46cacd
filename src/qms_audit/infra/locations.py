"""Every path qms-audit uses: where the workspace is, where audits live, where generated files go.

A workspace is a folder holding `standards/`, `sop_templates/` and `audits/`. It is found from
`--workspace DIR`, else the QMS_AUDIT_WORKSPACE variable, else the nearest ancestor of the current folder
that has a `standards/` folder.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from qms_audit.infra.errors import BadInput, NotFound, StorageError

ENV_WORKSPACE = "QMS_AUDIT_WORKSPACE"

STANDARDS = "standards"
SOP_TEMPLATES = "sop_templates"
AUDITS = "audits"
NC_REGISTER = "ncs"
REVIEWS = "reviews"
SIGNERS = "signers"
REPORTS = "reports"
TEMPLATES = "templates"
PROFILE_FILE = "institution.yaml"
PROGRAMME_FILE = "programme.yaml"
REPORT_TEMPLATE_FILE = "report-template.docx"
KEYMAP_FILE = "keymap.yaml"

AUDIT_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def standards_dir(self) -> Path:
        return self.root / STANDARDS

    @property
    def sop_templates_dir(self) -> Path:
        return self.root / SOP_TEMPLATES

    @property
    def audits_dir(self) -> Path:
        return self.root / AUDITS

    @property
    def nc_register_dir(self) -> Path:
        """Nonconformities raised outside audits (complaints, feedback, management review, external audit)."""
        return self.root / NC_REGISTER

    @property
    def reviews_dir(self) -> Path:
        return self.root / REVIEWS

    @property
    def signers_dir(self) -> Path:
        """The trusted signers' public keys, with their own event log."""
        return self.root / SIGNERS

    @property
    def reports_dir(self) -> Path:
        return self.root / REPORTS

    @property
    def templates_dir(self) -> Path:
        return self.root / TEMPLATES

    @property
    def profile_path(self) -> Path:
        return self.root / PROFILE_FILE

    @property
    def programme_path(self) -> Path:
        return self.root / PROGRAMME_FILE

    @property
    def report_template_path(self) -> Path:
        return self.templates_dir / REPORT_TEMPLATE_FILE

    @property
    def keymap_path(self) -> Path:
        return self.root / KEYMAP_FILE

    def audit_dir(self, audit_id: str) -> Path:
        if not AUDIT_ID_PATTERN.match(audit_id):
            raise BadInput(
                f"'{audit_id}' is not a valid audit id (3-64 lower-case letters, digits and dashes)")
        return self.audits_dir / audit_id

    def audit_ids(self) -> list[str]:
        if not self.audits_dir.is_dir():
            return []
        return sorted(p.name for p in self.audits_dir.iterdir()
                      if p.is_dir() and (p / "audit.json").is_file())

    def recorded_audit_ids(self) -> list[str]:
        """Every audit folder with a record or a log: `verify` checks these, so that deleting an audit's
        audit.json cannot hide the audit from verification."""
        if not self.audits_dir.is_dir():
            return []
        return sorted(p.name for p in self.audits_dir.iterdir()
                      if p.is_dir() and ((p / "audit.json").is_file() or (p / "log").is_dir()))

    def relative(self, path: Path) -> str:
        try:
            return str(Path(path).resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(path)


def is_workspace(folder: Path) -> bool:
    return (folder / STANDARDS).is_dir()


def find_workspace(explicit: str | os.PathLike[str] | None = None, *, env: dict[str, str] | None = None,
                   cwd: Path | None = None) -> Workspace:
    env = dict(os.environ) if env is None else env
    if explicit:
        return _checked(Path(explicit), "--workspace")
    if env.get(ENV_WORKSPACE):
        return _checked(Path(env[ENV_WORKSPACE]), ENV_WORKSPACE)
    start = (cwd or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if is_workspace(folder):
            return Workspace(folder)
    raise NotFound(
        f"no workspace found in {start} or its parents: run inside one, pass --workspace DIR, "
        f"set {ENV_WORKSPACE}, or create one with `qms-audit init DIR`")


def _checked(folder: Path, origin: str) -> Workspace:
    folder = folder.expanduser()
    if not folder.is_dir():
        raise NotFound(f"{folder} (from {origin}): no such folder; create a workspace with `qms-audit init {folder}`")
    if not is_workspace(folder):
        raise BadInput(f"{folder} (from {origin}) is not a workspace: it has no standards/ folder "
                       f"(create one with `qms-audit init {folder}`)")
    return Workspace(folder.resolve())


def shipped_dir() -> Path:
    """The standards, SOP templates and demo audit that come with qms-audit.

    An installed wheel carries them in the package; a source checkout uses the repository's own folders.
    """
    from importlib import resources  # slow to import, and only needed here

    packaged = Path(str(resources.files("qms_audit"))) / "_shipped"
    if (packaged / STANDARDS).is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[3]  # src/qms_audit/infra/locations.py -> the checkout
    if (checkout / STANDARDS).is_dir() and (checkout / "pyproject.toml").is_file():
        return checkout
    raise StorageError("the shipped standards are missing from this installation; reinstall qms-audit")


ENV_CACHE = "QMS_AUDIT_CACHE"


def cache_dir() -> Path | None:
    """Where derived, disposable data is kept (parsed standards). QMS_AUDIT_CACHE=off disables it."""
    configured = os.environ.get(ENV_CACHE)
    if configured == "off":
        return None
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "qms-audit"


def schemas_dir() -> Path:
    return Path(__file__).resolve().parents[1] / "schemas"


ENV_CONFIG = "QMS_AUDIT_CONFIG_DIR"
ENV_DATA = "QMS_AUDIT_DATA_DIR"


def config_dir() -> Path:
    """The person's own settings (identity, keymap), outside every workspace: QMS_AUDIT_CONFIG_DIR, else the
    XDG config folder."""
    configured = os.environ.get(ENV_CONFIG)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "qms-audit"


def data_dir() -> Path:
    """The person's own data kept between runs (the demo workspace they try the tool on): QMS_AUDIT_DATA_DIR,
    else the XDG data folder. Never inside a repository, so trying the tool never changes a tracked file."""
    configured = os.environ.get(ENV_DATA)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "qms-audit"
