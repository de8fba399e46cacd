"""`qms-audit report`: choose the format, find the template and logo, write the file atomically."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from qms_audit.infra.errors import BadInput, StorageError
from qms_audit.infra.files import atomic_write_bytes
from qms_audit.infra.i18n import _
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


def build_docx(workspace: Workspace, audit_id: str, template: Path | None = None, *,
               page_numbers: bool = True) -> bytes:
    """The Word report. With `page_numbers` and LibreOffice installed, the contents carry their page numbers as
    LibreOffice lays the report out (`contents_pages`), for readers that work out no fields; Word and
    LibreOffice work them out again on opening either way."""
    from qms_audit.render.audit_docx import build_report
    from qms_audit.views.report_content import gather

    opened = open_audit(workspace, audit_id)
    profile = maybe_profile(workspace)
    data = gather(opened, profile)
    chosen = report_template(workspace, template)
    logo = logo_path(workspace)
    try:
        docx = build_report(data, template=chosen, logo=logo, paper=profile.paper if profile else "A4")
    except Exception as exc:  # a received Word file can break the Word library in many ways
        if chosen is None:
            raise
        from qms_audit.infra.office import one_line

        raise BadInput(f"{chosen}: cannot build the report on this template ({one_line(exc)}); start from "
                       "`qms-audit report ... --format docx` output or a plain Word document") from None
    if not page_numbers or soffice() is None:
        return docx
    from qms_audit.render.docxwriter import contents_entries, number_contents

    pages = contents_pages(docx, contents_entries(docx))
    numbered = number_contents(docx, pages) if pages else None
    return numbered or docx


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
        # LibreOffice works the contents' page numbers out as it lays the report out for the PDF
        data = docx_to_pdf(build_docx(workspace, audit_id, template, page_numbers=False))
    else:
        raise BadInput(f"unknown format '{fmt}' (docx, xlsx or pdf)")
    path = output or default_output(workspace, audit_id, fmt)
    if path.suffix.lower() != f".{fmt}":
        raise BadInput(f"{path}: the file name should end in .{fmt}")
    atomic_write_bytes(path, data)
    return path


# a line of the contents as LibreOffice prints it: the heading, a dotted leader, the page number
_CONTENTS_LINE = re.compile(r"\.{3,}\s*(\d+)\s*$")


def contents_pages(docx: bytes, entries: int, *, timeout: float = 120) -> list[int] | None:
    """The page numbers of the contents' `entries`, in order, as LibreOffice lays the report out; None when
    LibreOffice is missing or fails, or lays out another number of entries (the report is then written without
    them: Word and LibreOffice work them out on opening). Kept in the cache by the report's content, so making an
    unchanged report again costs nothing."""
    key = _content_key(docx)
    cached = _cached_pages(key)
    if cached is not None and len(cached) == entries:
        return cached
    try:
        pdf = docx_to_pdf(docx, timeout=timeout)
    except StorageError:
        return None
    import pypdfium2 as pdfium

    try:
        pages = pdf_contents_pages(pdf)
    except pdfium.PdfiumError:
        return None
    if pages is None or len(pages) != entries:
        return None
    _cache_pages(key, pages)
    return pages


def pdf_contents_pages(pdf: bytes) -> list[int] | None:
    """The numbers ending the contents' lines: from the page titled "Contents" to the last page that has such
    lines (the contents end with a page break)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    contents_title = _("Contents")  # the title `DocxWriter.contents_page` gives the page, in the reader's words
    numbers: list[int] = []
    started = False
    try:
        for index in range(len(document)):
            page = document[index]
            text_page = page.get_textpage()
            lines = [line.strip() for line in text_page.get_text_range().splitlines()]
            text_page.close()
            page.close()
            started = started or contents_title in lines
            if not started:
                continue
            found = [int(m.group(1)) for line in lines if (m := _CONTENTS_LINE.search(line))]
            if not found:
                break
            numbers += found
    finally:
        document.close()
    if not numbers or numbers != sorted(numbers):
        return None  # not the contents as written: better no numbers than wrong ones
    return numbers


def _content_key(docx: bytes) -> str:
    """What the package holds, member by member: the zip's own dates differ between two makes of one report."""
    import hashlib
    import io
    import zipfile

    digest = hashlib.sha256()
    with zipfile.ZipFile(io.BytesIO(docx)) as package:
        for name in sorted(package.namelist()):
            digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(package.read(name)).digest())
    return digest.hexdigest()


def _pages_cache(key: str) -> Path | None:
    from qms_audit.infra.locations import cache_dir

    base = cache_dir()
    return None if base is None else base / "report-pages" / f"{key}.json"


def _cached_pages(key: str) -> list[int] | None:
    import json

    path = _pages_cache(key)
    try:
        pages = json.loads(path.read_text(encoding="utf-8")) if path is not None and path.is_file() else None
    except (OSError, ValueError):
        return None
    return pages if isinstance(pages, list) and all(isinstance(n, int) for n in pages) else None


def _cache_pages(key: str, pages: list[int]) -> None:
    import json

    path = _pages_cache(key)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, json.dumps(pages).encode("utf-8"))
    except (OSError, StorageError):
        pass  # a cache that cannot be written only costs the next report another layout


def build_review_pack(pack, fmt: str) -> bytes:
    """The management review pack laid out as Word or Excel; the CLI and the TUI both hand this to
    `views.review_pack.write_review_pack` (the libraries are imported only when a pack is written)."""
    if fmt == "docx":
        from qms_audit.render.review_docx import build_review_docx

        return build_review_docx(pack)
    from qms_audit.render.review_xlsx import build_review_xlsx

    return build_review_xlsx(pack)
