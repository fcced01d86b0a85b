"""File-system helpers of the saved index: memory maps, atomic small files, fsync, clean-up."""

from __future__ import annotations

import errno
import mmap
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from retrieval.lazy import advise

# Errors that mean "this file system can't take the write now", not "the index is wrong": the
# previous generation is still good to answer from.
NO_ROOM = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}


def is_no_room(exc: OSError) -> bool:
    """A full disk, an exhausted quota or a read-only file system."""
    return exc.errno in NO_ROOM


def map_file(path: Path) -> bytes | mmap.mmap:
    """A file's bytes, memory-mapped read-only (an empty file cannot be mapped: b"")."""
    with open(path, "rb") as fh:
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


def write_atomic(path: Path, blob: bytes, sync: bool = True) -> None:
    """Replace `path` with `blob` in one step: a random temporary name (O_EXCL), then a rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
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
