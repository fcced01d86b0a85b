"""Reading hostile input in bounded time and memory: a worker process that is killed at its deadline.

Some inputs are slow to read by construction, in code we don't control: trafilatura's extraction is
quadratic in the paragraphs of an `<article>` (1.15 MB took 16 s, 4.6 MB five minutes) and
markdown-it reads a page of repeated `![` at about 27 µs a byte (issue #26). A thread can't be
stopped; a process can. One worker process (`python -m retrieval.bounded`, the parsers imported
once, its address space limited) serves calls one at a time; a call past its deadline kills it and
the next call starts another. Not a `multiprocessing` fork server: that imports the host program's
main script again in every child.
"""

from __future__ import annotations

import os
import pickle
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

T = TypeVar("T")

# Address space the worker may add to what it takes with the parsers loaded.
WORKER_MEMORY_BYTES = 2 << 30
_HEADER = 8  # bytes of a frame's length


class TooSlow(Exception):
    """The work did not finish within its time."""


class TooLarge(Exception):
    """The work ran out of memory, or the worker died."""


class _Worker:
    def __init__(self) -> None:
        root = str(Path(__file__).resolve().parent.parent)
        code = f"import sys; sys.path.insert(0, {root!r}); from retrieval.bounded import serve; serve()"
        self.process = subprocess.Popen(
            [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            close_fds=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None  # both PIPE above
        self.stdin: IO[bytes] = self.process.stdin
        self.stdout: IO[bytes] = self.process.stdout

    def call(self, func: Callable[..., Any], args: tuple[Any, ...], seconds: float) -> tuple[bool, Any]:
        deadline = time.monotonic() + seconds
        _write_frame(self.stdin, (func, args))
        return pickle.loads(_read_frame(self.stdout.fileno(), deadline))

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()
        for stream in (self.stdin, self.stdout):
            stream.close()


_lock = threading.Lock()
_worker: _Worker | None = None


def call_bounded(func: Callable[..., T], *args: Any, seconds: float) -> T:
    """`func(*args)` run in the worker process (`func` importable by name, arguments and result
    picklable): its result, or the exception it raised; `TooSlow` once `seconds` pass (the worker is
    killed), `TooLarge` if it runs out of memory or dies."""
    global _worker
    if seconds <= 0:
        raise TooSlow
    with _lock:
        if _worker is None or _worker.process.poll() is not None:
            _worker = _Worker()
        worker = _worker
        try:
            ok, value = worker.call(func, args, seconds)
        except TooSlow:
            worker.stop()
            _worker = None
            raise
        except (EOFError, OSError, pickle.UnpicklingError) as exc:
            worker.stop()
            _worker = None
            raise TooLarge from exc
        if not ok and isinstance(value, MemoryError):
            worker.stop()  # what else it holds is not worth keeping
            _worker = None
            raise TooLarge from value
    if ok:
        return value
    raise value


def _write_frame(stream: IO[bytes], value: Any) -> None:
    blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(blob).to_bytes(_HEADER, "big") + blob)
    stream.flush()


def _read_exactly(fd: int, n: int, deadline: float | None) -> bytes:
    parts, left = [], n
    while left:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise TooSlow
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the worker ended")
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _read_frame(fd: int, deadline: float | None) -> bytes:
    size = int.from_bytes(_read_exactly(fd, _HEADER, deadline), "big")
    return _read_exactly(fd, size, deadline)


def serve() -> None:
    """The worker: calls read from standard input, results written to standard output, until EOF."""
    import retrieval.ingest  # noqa: F401 - the parsers, loaded once
    import markdown_it  # noqa: F401
    import trafilatura  # noqa: F401

    _limit_memory()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing a parser prints may corrupt a frame
    while True:
        try:
            func, args = pickle.loads(_read_frame(stdin.fileno(), None))
        except EOFError:
            return
        try:
            result: tuple[bool, Any] = (True, func(*args))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, which raises it
            result = (False, exc)
        try:
            _write_frame(stdout, result)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            _write_frame(stdout, (False, RuntimeError(f"an unpicklable {exc.__class__.__name__} in the worker")))


def _limit_memory() -> None:
    try:
        import resource

        with open("/proc/self/statm") as fh:
            size = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = size + WORKER_MEMORY_BYTES
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):
        pass  # not Linux: the deadline still holds
