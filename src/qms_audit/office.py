"""Checks on Word and Excel files received from others, before any library parses them.

A .docx or .xlsx is a zip of XML parts. Refused, each with a one-line reason: files over the size limit,
password-protected (encrypted) files, anything that is not a zip package, zip bombs (too many parts, too
much uncompressed data, or extreme compression ratios), and parts declaring a DTD (the entity-expansion
attack: Office files never need one).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from qms_audit.errors import InvalidFile
from qms_audit.files import MIB, display_path, human_size, read_bytes_bounded

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
            if info.filename.endswith((".xml", ".rels")):
                try:
                    with archive.open(info) as part:
                        head = part.read(4096)
                except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
                    raise InvalidFile(f"{shown}: part {info.filename} cannot be read ({exc})") from None
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                    raise InvalidFile(f"{shown}: part {info.filename} declares a DTD, which Office files never do; "
                                      "refused (XML entity expansion)")
