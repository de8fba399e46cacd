"""Checks on Word and Excel files received from others, before any library parses them.

A .docx or .xlsx is a zip of XML parts. Refused, each with a one-line reason: files over the size limit,
password-protected (encrypted) files, anything that is not a zip package, zip bombs (too many parts, too
much uncompressed data, or extreme compression ratios), and parts declaring a DTD (the entity-expansion
attack: Office files never need one).
"""

from __future__ import annotations

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
