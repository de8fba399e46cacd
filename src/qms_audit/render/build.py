"""`qms-audit report`: choose the format, find the template and logo, write the file atomically."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from qms_audit.infra.errors import BadInput, StorageError
from qms_audit.infra.files import atomic_write_bytes
from qms_audit.infra.locations import Workspace
from qms_audit.services.auditing import open_audit
from qms_audit.services.profile import maybe_profile

LIBREOFFICE_HELP = ("LibreOffice is needed to make a PDF and was not found: install it (Debian/Ubuntu: "
                    "`sudo apt install libreoffice-writer`; Fedora: `sudo dnf install libreoffice-writer`; macOS: "
                    "`brew install --cask libreoffice`; Windows: https://www.libreoffice.org/download/), or make "
                    "the report with --format docx")


def default_output(workspace: Workspace, audit_id: str, fmt: str) -> Path:
    return workspace.reports_dir / f"{audit_id}-report.{fmt}"


def report_template(workspace: Workspace, explicit: Path | None = None) -> Path | None:
    path = explicit or workspace.report_template_path
    if explicit is not None or path.exists():
        from qms_audit.infra.office import check_office_file

        check_office_file(path, what="report template")
        return path
    return None


def logo_path(workspace: Workspace) -> Path | None:
    profile = maybe_profile(workspace)
    if profile is None or not profile.logo:
        return None
    path = (workspace.root / profile.logo).resolve()
    if workspace.root.resolve() not in path.parents:
        raise BadInput(f"institution.yaml: logo '{profile.logo}' is outside the workspace; put the image inside it")
    if not path.is_file():
        raise BadInput(f"institution.yaml: logo '{profile.logo}' does not exist")
    return path


def build_docx(workspace: Workspace, audit_id: str, template: Path | None = None) -> bytes:
    from qms_audit.render.audit_docx import build_report
    from qms_audit.views.report_content import gather

    opened = open_audit(workspace, audit_id)
    data = gather(opened, maybe_profile(workspace))
    chosen = report_template(workspace, template)
    try:
        return build_report(data, template=chosen, logo=logo_path(workspace))
    except Exception as exc:  # a received Word file can break the Word library in many ways
        if chosen is None:
            raise
        from qms_audit.infra.office import one_line

        raise BadInput(f"{chosen}: cannot build the report on this template ({one_line(exc)}); start from "
                       "`qms-audit report ... --format docx` output or a plain Word document") from None


def build_xlsx(workspace: Workspace, audit_id: str) -> bytes:
    from qms_audit.render.audit_xlsx import build_workbook
    from qms_audit.views.report_content import gather

    opened = open_audit(workspace, audit_id)
    profile = maybe_profile(workspace)
    return build_workbook(gather(opened, profile), opened.snapshot, paper=profile.paper if profile else "A4")


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(docx: bytes, *, timeout: float = 180) -> bytes:
    exe = soffice()
    if exe is None:
        raise StorageError(LIBREOFFICE_HELP)
    with tempfile.TemporaryDirectory(prefix="qms-audit-pdf-") as tmp:
        source = Path(tmp) / "report.docx"
        source.write_bytes(docx)
        profile = Path(tmp) / "lo-profile"
        try:
            proc = subprocess.run([exe, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
                                   "pdf", "--outdir", tmp, str(source)], capture_output=True, text=True,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise StorageError(f"LibreOffice did not finish converting within {timeout:.0f} s") from None
        pdf = Path(tmp) / "report.pdf"
        if proc.returncode != 0 or not pdf.exists():
            said = (proc.stderr or proc.stdout).strip()[:300]
            raise StorageError(f"LibreOffice could not convert the report: {said}")
        return pdf.read_bytes()


def write_report(workspace: Workspace, audit_id: str, fmt: str, output: Path | None,
                 template: Path | None = None) -> Path:
    if fmt == "docx":
        data = build_docx(workspace, audit_id, template)
    elif fmt == "xlsx":
        data = build_xlsx(workspace, audit_id)
    elif fmt == "pdf":
        if soffice() is None:
            raise StorageError(LIBREOFFICE_HELP)
        data = docx_to_pdf(build_docx(workspace, audit_id, template))
    else:
        raise BadInput(f"unknown format '{fmt}' (docx, xlsx or pdf)")
    path = output or default_output(workspace, audit_id, fmt)
    if path.suffix.lower() != f".{fmt}":
        raise BadInput(f"{path}: the file name should end in .{fmt}")
    atomic_write_bytes(path, data)
    return path


def build_review_pack(pack, fmt: str) -> bytes:
    """The management review pack laid out as Word or Excel; the CLI and the TUI both hand this to
    `views.review_pack.write_review_pack` (the libraries are imported only when a pack is written)."""
    if fmt == "docx":
        from qms_audit.render.review_docx import build_review_docx

        return build_review_docx(pack)
    from qms_audit.render.review_xlsx import build_review_xlsx

    return build_review_xlsx(pack)
