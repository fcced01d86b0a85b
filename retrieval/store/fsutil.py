"""File-system helpers of the saved index: memory maps, atomic small files, fsync, clean-up."""

from __future__ import annotations

import errno
import mmap
import os
import secrets
import shutil
import stat
from pathlib import Path

import numpy as np

from retrieval.lazy import advise

# Errors that mean "this file system can't take the write now", not "the index is wrong": the
# previous generation is still good to answer from.
NO_ROOM = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}


def is_no_room(exc: OSError) -> bool:
    """A full disk, an exhausted quota or a read-only file system."""
    return exc.errno in NO_ROOM


# Opening an index file never follows a link and never waits on a pipe put in its place.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


class NotAFile(OSError):
    """An index file's name holds something else: a folder, a pipe, a link."""


def _open_regular(path: Path) -> int:
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotAFile(errno.ELOOP, "a link, not a file", str(path)) from exc
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise NotAFile(errno.EINVAL, "not a regular file", str(path))
    return fd


def read_regular(path: Path, limit: int | None = None) -> bytes:
    """A regular file's bytes (at most `limit`); `NotAFile` for anything else, which is never read."""
    with os.fdopen(_open_regular(path), "rb") as fh:
        return fh.read() if limit is None else fh.read(limit)


def map_file(path: Path) -> bytes | mmap.mmap:
    """A regular file's bytes, memory-mapped read-only (an empty file cannot be mapped: b"")."""
    with os.fdopen(_open_regular(path), "rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return b""
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)


def release(mapped: object) -> None:
    """Let go of the pages of a read-only `mmap.mmap` that this process has read: they stay in the
    page cache, no longer counted in its resident memory, and are read again if needed."""
    advise(mapped, "MADV_DONTNEED")


def release_pages(array: np.ndarray) -> None:
    """`release` of a read-only memory-mapped array."""
    release(getattr(array, "_mmap", None))


def create_temporary(folder: Path, prefix: str) -> tuple[int, Path]:
    """A new file `<prefix><16 hex digits>.tmp` in `folder`, open for writing: created with O_EXCL
    (nothing planted under the name is followed) and with the mode the umask allows, like any other
    file newsqa writes (`mkstemp` makes 0600 files whatever the umask: a shared index or corpus then
    could not be used by the others who share it)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        path = folder / f"{prefix}{secrets.token_hex(8)}.tmp"
        try:
            return os.open(path, flags, 0o666), path
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(folder))


def write_atomic(path: Path, blob: bytes, sync: bool = True) -> None:
    """Replace `path` with `blob` in one step: a random temporary name (O_EXCL), then a rename."""
    fd, tmp = create_temporary(path.parent, f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
            if sync:
                fh.flush()
                os.fsync(fh.fileno())
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)  # a damaged index: a folder where the file should be
        os.replace(tmp, path)
    except BaseException:
        remove(Path(tmp))
        raise
    if sync:
        fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not supported here (e.g. Windows); the rename order still holds
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove(path: Path) -> None:
    """Delete a file, link or folder tree if it is there; never raises."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass
