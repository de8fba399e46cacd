"""Builders of hostile files: what a careless export, a broken disk or an attacker could hand the tool."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

MIB = 1024 * 1024
OLE_HEADER = bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 504

BILLION_LAUGHS_XML = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
                      + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                                 for i in range(1, 10))
                      + b']>\n<root>&lol9;</root>')
# the same, hidden behind a long comment so that a check of the first few kilobytes misses the DTD
PADDED_ENTITY_XML = (b'<?xml version="1.0"?>\n<!--' + b" " * 10_000 + b'-->\n'
                     + BILLION_LAUGHS_XML.split(b"\n", 1)[1])
EXTERNAL_ENTITY_XML = (b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
                       b"<r>&x;</r>")

BILLION_LAUGHS_YAML = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]\n" for i in range(8))
PYTHON_TAG_YAML = "id: x\ntitle: !!python/object/apply:os.system ['echo pwned > /tmp/qms-pwned']\n"
DEEP_YAML = "a: " + "[" * 5000 + "]" * 5000 + "\n"
DUPLICATE_KEYS_YAML = "format: 1\nname: A\nname: B\n"
NOT_UTF8 = "name: caf\u00e9\n".encode("latin-1") + b"\xff\xfe\x00"
BINARY = bytes(range(256)) * 64
DEEP_JSON = b"[" * 100_000 + b"]" * 100_000


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def package(parts: dict[str, bytes], *, level: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", level) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


def with_part(valid: bytes, name: str, data: bytes) -> bytes:
    """A copy of an Office package with one part replaced (or added)."""
    source = zipfile.ZipFile(io.BytesIO(valid))
    parts = {i.filename: source.read(i.filename) for i in source.infolist()}
    parts[name] = data
    return package(parts)


def zip_bomb(valid: bytes, name: str, size: int = 40 * MIB) -> bytes:
    """A real package with one part that unpacks to `size` bytes of nothing (ratio in the thousands)."""
    return with_part(valid, name, b"<x>" + b" " * size + b"</x>")


def truncated(valid: bytes) -> bytes:
    return valid[: len(valid) // 2]


def huge_png(width: int = 60_000, height: int = 60_000) -> bytes:
    """A small PNG file that declares an enormous image (a decompression bomb for anything that decodes it)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (1024 * 1024), 9)  # only the first rows; a decoder would still allocate all
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def docx_with_image(valid: bytes, png: bytes) -> bytes:
    return with_part(valid, "word/media/image1.png", png)
