"""One writer at a time: the index folder's lock file, and who holds it."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from retrieval.errors import NewsqaError
from retrieval.store.fsutil import read_regular, write_atomic


class IndexLocked(NewsqaError):
    """Another process holds the index lock for longer than we were willing to wait."""


class IndexLock:
    """The writers' lock: says who holds it to the one that waits, and gives up with a clear error.

    The lock file is released by the operating system when its holder dies (filelock).
    """

    def __init__(self, index_dir: Path, timeout: float, on_wait: Callable[[str], None] | None, shown_dir: str | None = None):
        from filelock import FileLock

        self.index_dir = index_dir
        self.shown_dir = shown_dir or str(index_dir)
        self.timeout = timeout
        self.on_wait = on_wait
        self.lock = FileLock(str(index_dir / "lock"))
        self.owner = index_dir / "lock.owner"

    def __enter__(self) -> IndexLock:
        from filelock import Timeout

        try:
            self.lock.acquire(timeout=0)
        except Timeout:
            holder = self._holder()
            if self.timeout <= 0:
                raise IndexLocked(
                    f"the index in {self.shown_dir} is being updated by {holder}: "
                    "run the command again when it has finished (or wait with --wait SECONDS)"
                ) from None
            if self.on_wait is not None:
                self.on_wait(
                    f"waiting for {holder} to finish updating the index in {self.shown_dir} (up to {self.timeout:.0f} s)"
                )
            try:
                self.lock.acquire(timeout=self.timeout)
            except Timeout as exc:
                raise IndexLocked(
                    f"the index in {self.shown_dir} is still being updated by {holder} after {self.timeout:.0f} s: "
                    "run the command again when it has finished (or wait longer with --wait SECONDS)"
                ) from exc
        try:
            write_atomic(self.owner, json.dumps({"pid": os.getpid(), "since": time.time()}).encode(), sync=False)
        except OSError:
            pass  # only used to name the holder in a message
        return self

    def __exit__(self, *exc: object) -> None:
        self.lock.release()

    def _holder(self) -> str:
        try:
            pid = int(json.loads(read_regular(self.owner, 4096))["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return "another newsqa process"
        return f"another newsqa process (pid {pid})"
