"""Reading hostile input in bounded time and memory: a worker process that is killed at its deadline.

Some inputs are slow to read by construction, in code we don't control: trafilatura's extraction is
quadratic in the paragraphs of an `<article>` (1.15 MB took 16 s, 4.6 MB five minutes) and
markdown-it reads a page of repeated `![` at about 27 µs a byte (issue #26). A thread can't be
stopped; a process can. One worker process (`python -m retrieval.bounded`, the parsers imported
once, its address space limited) serves calls one at a time; a call past its deadline kills it and
the next call starts another. Not a `multiprocessing` fork server: that imports the host program's
main script again in every child.

The worker is the process that reads hostile bytes, so nothing it sends back can run code here: calls
and results are JSON (no pickle), a call names one of the jobs in `JOBS`, and the caller validates what
comes back (`retrieval.ingest` rebuilds its pydantic models from it).
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

# Address space the worker may add to what it takes with the parsers loaded.
WORKER_MEMORY_BYTES = 2 << 30
_HEADER = 8  # bytes of a frame's length
MAX_FRAME_BYTES = 256 << 20  # an article is at most 10 MiB: a larger frame is no answer of a job
# The jobs a worker runs: name -> the function of `retrieval.ingest` that takes and returns JSON values.
JOBS = {"parse": "parse_job", "markdown": "markdown_job"}


class TooSlow(Exception):
    """The work did not finish within its time."""


class TooLarge(Exception):
    """The work ran out of memory, or the worker died."""


class Refused(Exception):
    """The job refused its input (the worker's `UnreadableArticle`); the message says why."""


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

    def call(self, job: str, payload: Any, seconds: float) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        _write_frame(self.stdin, {"job": job, "payload": payload})
        reply = json.loads(_read_frame(self.stdout.fileno(), deadline))
        if not isinstance(reply, dict):
            raise ValueError("the worker's reply is not an object")
        return reply

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()
        for stream in (self.stdin, self.stdout):
            stream.close()


_lock = threading.Lock()
_worker: _Worker | None = None


def call_bounded(job: str, payload: Any, *, seconds: float) -> Any:
    """The job `job` of `JOBS` run on `payload` (JSON values) in the worker process: its result (JSON);
    `Refused` with the job's reason, `TooSlow` once `seconds` pass (the worker is killed), `TooLarge` if
    it runs out of memory or dies, `RuntimeError` for anything else that went wrong in it."""
    global _worker
    if job not in JOBS:
        raise ValueError(f"no such job: {job!r}")
    if seconds <= 0:
        raise TooSlow
    with _lock:
        if _worker is None or _worker.process.poll() is not None:
            _worker = _Worker()
        worker = _worker
        try:
            reply = worker.call(job, payload, seconds)
        except TooSlow:
            worker.stop()
            _worker = None
            raise
        except (EOFError, OSError, ValueError) as exc:  # ended, or sent what is no reply
            worker.stop()
            _worker = None
            raise TooLarge from exc
        if reply.get("memory"):
            worker.stop()  # what else it holds is not worth keeping
            _worker = None
            raise TooLarge
    if "result" in reply:
        return reply["result"]
    if "refused" in reply:
        raise Refused(str(reply["refused"]))
    raise RuntimeError(f"reading it failed in the worker: {reply.get('error', 'no reason given')}")


def _write_frame(stream: IO[bytes], value: Any) -> None:
    blob = json.dumps(value, ensure_ascii=False).encode("utf-8")
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
    if size > MAX_FRAME_BYTES:
        raise ValueError(f"a frame of {size:,} bytes")
    return _read_exactly(fd, size, deadline)


def serve() -> None:
    """The worker: calls read from standard input, results written to standard output, until EOF."""
    import retrieval.ingest  # the parsers, loaded once, and the jobs
    import markdown_it  # noqa: F401
    import trafilatura  # noqa: F401

    from retrieval.admission import UnreadableArticle

    _limit_memory()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing a parser prints may corrupt a frame
    while True:
        try:
            call = json.loads(_read_frame(stdin.fileno(), None))
        except EOFError:
            return
        reply: dict[str, Any]
        try:
            reply = {"result": getattr(retrieval.ingest, JOBS[call["job"]])(call["payload"])}
        except UnreadableArticle as exc:
            reply = {"refused": str(exc)}
        except MemoryError:
            reply = {"memory": True}
        except BaseException as exc:  # noqa: BLE001 - handed to the caller as one line
            reply = {"error": f"{exc.__class__.__name__}: {exc}"}
        _write_frame(stdout, reply)


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
