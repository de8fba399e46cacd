"""Checks on Word and Excel files received from others, before any library parses them.

A .docx or .xlsx is a zip of XML parts. Refused, each with a one-line reason: files over the size limit,
password-protected (encrypted) files, anything that is not a zip package, zip bombs (too many parts, too
much uncompressed data, or extreme compression ratios), and parts declaring a DTD (the entity-expansion
attack: Office files never need one). A workbook read row by row is also checked for the number of rows its
sheets declare and hold (`check_sheet_rows`) before it is parsed.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from qms_audit.infra.errors import InvalidFile
from qms_audit.infra.files import MIB, display_path, human_size, read_bytes_bounded

MAX_OFFICE_BYTES = 25 * MIB
MAX_UNCOMPRESSED = 250 * MIB
MAX_PARTS = 5000
MAX_RATIO = 200
OLE_SIGNATURE = bytes.fromhex("d0cf11e0a1b11ae1")


def check_office_file(path: Path, *, what: str, max_bytes: int = MAX_OFFICE_BYTES) -> bytes:
    """Return the file's bytes once it has passed every check."""
    shown = display_path(path)
    data = read_bytes_bounded(path, max_bytes=max_bytes, what=what, shown=shown)
    check_office_bytes(data, shown=shown)
    return data


def check_office_bytes(data: bytes, *, shown: str) -> None:
    import io

    if data.startswith(OLE_SIGNATURE):
        raise InvalidFile(f"{shown}: the file is password-protected (encrypted) or an old binary Office format; "
                          "save it without a password as .docx/.xlsx")
    if not data:
        raise InvalidFile(f"{shown}: the file is empty")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InvalidFile(f"{shown}: not a valid Office file (it is not a zip package; corrupt or renamed?)") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_PARTS:
            raise InvalidFile(f"{shown}: the package has {len(infos)} parts (limit {MAX_PARTS}); refused as a "
                              "possible zip bomb")
        total = sum(i.file_size for i in infos)
        if total > MAX_UNCOMPRESSED:
            raise InvalidFile(f"{shown}: the package unpacks to {human_size(total)} (limit "
                              f"{human_size(MAX_UNCOMPRESSED)}); refused as a possible zip bomb")
        for info in infos:
            if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > MIB:
                raise InvalidFile(f"{shown}: part {info.filename} is compressed {info.file_size // info.compress_size}"
                                  f" to 1 (limit {MAX_RATIO}); refused as a possible zip bomb")
            if info.filename.endswith((".xml", ".rels")) and _declares_dtd(archive, info, shown):
                raise InvalidFile(f"{shown}: part {info.filename} declares a DTD, which Office files never do; "
                                  "refused (XML entity expansion)")


MAX_ROW_BYTES = 4 * 1024  # of sheet XML per row allowed, on average: far more than any checklist row needs
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]{1,3}[0-9]{1,7}(?::[A-Z]{1,3}([0-9]{1,7}))?"')
_ROW_TAGS = (b"<row ", b"<row>", b":row ", b":row>")


def check_sheet_rows(data: bytes, *, shown: str, max_rows: int) -> None:
    """Refuse a workbook whose sheets are larger than `max_rows` before a parser builds them: by the size of
    each sheet's XML, the dimension it declares, and a count of its row tags (a scan of bytes, far cheaper
    than loading: a sheet of 400,000 rows is refused in a fraction of a second instead of after half a minute
    of parsing). `data` has passed `check_office_bytes`."""
    import io

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        titles = _sheet_titles(archive)
        for info in archive.infolist():
            if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                continue
            sheet = f"'{titles[info.filename]}'" if info.filename in titles else info.filename.rsplit("/", 1)[-1]
            if info.file_size > max_rows * MAX_ROW_BYTES:
                raise InvalidFile(f"{shown}: worksheet {sheet} holds {human_size(info.file_size)} of data, more than "
                                  f"{max_rows:,} rows would need; refused before reading it")
            rows = _count_rows(archive, info, shown)
            if rows > max_rows:
                raise InvalidFile(f"{shown}: worksheet {sheet} has {rows:,} rows (at most {max_rows:,} are read); "
                                  "split the workbook or remove the empty rows")


_TAG = re.compile(rb"<(?:\w+:)?(sheet|Relationship)\s([^>]{1,2000})>")
_ATTRIBUTE = re.compile(rb'(?:\w+:)?(\w+)="([^"]{0,300})"')


def _sheet_titles(archive: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part -> the title a person sees on its tab, when the workbook says so plainly (best effort:
    only used to name a sheet in a message)."""
    try:
        book = archive.read("xl/workbook.xml")[:MIB]
        rels = archive.read("xl/_rels/workbook.xml.rels")[:MIB]
    except (KeyError, zipfile.BadZipFile, OSError, RuntimeError, EOFError, ValueError):
        return {}
    targets = {}
    for kind, attributes in _TAG.findall(rels):
        found = dict(_ATTRIBUTE.findall(attributes))
        if kind == b"Relationship" and b"Id" in found and b"Target" in found:
            targets[found[b"Id"]] = found[b"Target"].decode("utf-8", "replace").lstrip("/")
    out: dict[str, str] = {}
    for kind, attributes in _TAG.findall(book):
        found = dict(_ATTRIBUTE.findall(attributes))
        target = targets.get(found.get(b"id", b"")) if kind == b"sheet" else None
        if target and b"name" in found:
            part = target if target.startswith("xl/") else f"xl/{target}"
            out[part] = found[b"name"].decode("utf-8", "replace")
    return out


def _count_rows(archive: zipfile.ZipFile, info: zipfile.ZipInfo, shown: str) -> int:
    """The rows a sheet declares (its dimension) or holds (its row tags), whichever is larger."""
    count = declared = 0
    tail = b""
    try:
        with archive.open(info) as part:
            while chunk := part.read(1024 * 1024):
                window = tail + chunk
                if not tail and (found := _DIMENSION.search(window, 0, 4096)) and found.group(1):
                    declared = int(found.group(1))  # the dimension comes before the data, near the start
                # a tag cut by the chunk boundary is in the tail and counted with the next window, once
                count += sum(window.count(tag) - tail.count(tag) for tag in _ROW_TAGS)
                tail = window[-8:]
    except (zipfile.BadZipFile, OSError, RuntimeError, EOFError, ValueError) as exc:
        raise InvalidFile(f"{shown}: part {info.filename} cannot be read ({one_line(exc)})") from None
    return max(count, declared)


DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")


def _declares_dtd(archive: zipfile.ZipFile, info: zipfile.ZipInfo, shown: str) -> bool:
    """Whether a part holds a DTD anywhere: a long comment can push it past any fixed-size look at the start,
    so the whole part is scanned (its size is already bounded by the checks above)."""
    tail = b""
    try:
        with archive.open(info) as part:
            while chunk := part.read(1024 * 1024):
                window = tail + chunk
                if any(marker in window for marker in DTD_MARKERS):
                    return True
                tail = window[-16:]
    except (zipfile.BadZipFile, OSError, RuntimeError, EOFError, ValueError) as exc:
        raise InvalidFile(f"{shown}: part {info.filename} cannot be read ({one_line(exc)})") from None
    return False


def one_line(exc: BaseException) -> str:
    """A library's error message as one short line (some span several lines and point at their own docs)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    first = text.split(". ")[0]
    return first if len(first) <= 160 else first[:157] + "..."
