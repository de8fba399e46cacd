"""Reading inputs within bounds and writing outputs atomically.

Every file qms-audit writes goes through `atomic_write_bytes`: a temporary file in the same folder, fsync,
`os.replace`, then fsync of the folder. A process killed at any moment leaves the old file or the new one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from qms_audit.infra.errors import InvalidFile, NotFound, StorageError

KIB = 1024
MIB = 1024 * KIB


def display_path(path: Path, base: Path | None = None) -> str:
    """A path as the user would like to read it: relative to `base` (or the current folder) when inside it."""
    path = Path(path)
    for root in (base, Path.cwd()):
        if root is None:
            continue
        try:
            return str(path.resolve().relative_to(Path(root).resolve()))
        except (ValueError, OSError):
            continue
    return str(path)


def human_size(n: int) -> str:
    for unit, size in (("GB", 1024 * MIB), ("MB", MIB), ("KB", KIB)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words."""
    return next((label for test, label in _KINDS if test(mode)), "not a regular file")


def _open_regular_fd(path: Path | str, name: Callable[[], str]) -> tuple[int, os.stat_result]:
    """A descriptor of a regular file, refused by its type before a byte is read. Opened without blocking:
    opening a named pipe for reading otherwise waits for a writer forever, and a device may never end. The
    type is read from the open descriptor (no race with a swap). On a regular file O_NONBLOCK changes nothing."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise NotFound(f"{name()}: no such file") from None
    except IsADirectoryError:
        raise InvalidFile(f"{name()}: is a folder, not a file") from None
    except OSError as exc:
        raise StorageError(f"{name()}: cannot read ({exc.strerror})") from None
    try:
        st = os.fstat(fd)
    except OSError as exc:
        os.close(fd)
        raise StorageError(f"{name()}: cannot read ({exc.strerror})") from None
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise InvalidFile(f"{name()}: is {kind_of(st.st_mode)}, not a regular file; give the path of a saved file")
    return fd, st


def open_regular(path: Path | str, name: Callable[[], str]) -> BinaryIO:
    """`_open_regular_fd` as a file object, for reading in chunks."""
    fd, _ = _open_regular_fd(path, name)
    return os.fdopen(fd, "rb")


def read_bytes_bounded(path: Path | str, *, max_bytes: int, what: str, shown: str | None = None,
                       base: Path | None = None) -> bytes:
    """Read a whole file, refusing missing, non-regular and oversized files with a one-line reason.

    This is on the hot path of loading a portfolio (close to two hundred thousand small files for ten thousand
    audits), so it reads with plain descriptors and works out the displayed name only on failure.
    """

    def name() -> str:
        return shown or display_path(Path(path), base)

    fd, st = _open_regular_fd(path, name)
    try:
        if st.st_size > max_bytes:
            raise InvalidFile(
                f"{name()}: file is {human_size(st.st_size)}; {what} files are limited to "
                f"{human_size(max_bytes)} (split it or remove embedded data)")
        parts = []
        size = 0
        want = st.st_size + 1  # the whole file and one byte more (to see one that grew) in a single read
        while size <= max_bytes:
            asked = min(max_bytes + 1 - size, want)
            chunk = os.read(fd, asked)
            want = 1 << 16
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
            if len(chunk) < asked and size >= st.st_size:
                break  # short of what was asked, and all the size said: the end (spares a read per file)
    except OSError as exc:
        raise StorageError(f"{name()}: cannot read ({exc.strerror})") from None
    finally:
        os.close(fd)
    if size > max_bytes:  # the file grew while we looked at it
        raise InvalidFile(f"{name()}: file is larger than the {human_size(max_bytes)} limit for {what} files")
    return parts[0] if len(parts) == 1 else b"".join(parts)


def decode_text(data: bytes, *, shown: str) -> str:
    """UTF-8 text (a BOM is tolerated); binary content is refused rather than guessed at."""
    if b"\x00" in data[:8192] or b"\x00" in data:
        raise InvalidFile(f"{shown}: binary content, not a text file (expected UTF-8 text)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidFile(
            f"{shown}:{line}: not valid UTF-8 text (byte {exc.start}); save the file as UTF-8"
        ) from None


def read_text_bounded(path: Path, *, max_bytes: int, what: str, shown: str | None = None) -> str:
    shown = shown or display_path(path)
    return decode_text(read_bytes_bounded(path, max_bytes=max_bytes, what=what, shown=shown), shown=shown)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open_regular(path, lambda: display_path(path)) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fsync_dir(folder: Path) -> None:
    # Without this the rename itself may be lost on power failure; some filesystems refuse, which is fine.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_bytes(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Replace `path` with `data` so that readers and crashes only ever see the old or the new content."""
    path = Path(path)
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        fsync_dir(folder)
    except OSError as exc:
        raise StorageError(f"{display_path(path)}: cannot write ({exc.strerror or exc})") from None


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


STALE_TEMP_AGE = 600.0  # seconds; past this a temporary file is stale whoever wrote it (e.g. on another host)


def remove_stale_temp_files(folder: Path) -> list[Path]:
    """Temporary files left by a killed writer (`.NAME.PID.HEX.tmp`, see atomic_write_bytes) are never valid
    records: remove those of the folder and its sub-folders whose writer is gone or that are old. Called by
    the record layer under the folder's lock, so no live writer of these records is mid-write."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    now = time.time()
    for tmp in folder.rglob(".*.tmp"):
        parts = tmp.name.rsplit(".", 3)
        pid = int(parts[1]) if len(parts) == 4 and parts[1].isdigit() else None
        try:
            old = now - tmp.stat().st_mtime > STALE_TEMP_AGE
        except OSError:
            continue
        if pid == os.getpid() and not old:
            continue
        if pid is not None and pid != os.getpid() and _alive(pid) and not old:
            continue
        with contextlib.suppress(OSError):
            tmp.unlink()
            removed.append(tmp)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True
