"""Find the calls that hold the GIL for long during a re-index: the stalls a bot's event loop would feel.

    python -m bench.gil_stalls ARTICLES_DIR               # add one article, engine.reindex() in a thread
    python -m bench.gil_stalls ARTICLES_DIR --full        # a full build in a thread (fresh index folder)
    python -m bench.gil_stalls ARTICLES_DIR --over 15     # report stalls over 15 ms (default 30)

The main thread sleeps 5 ms at a time; when it wakes late by more than the threshold, it records the
re-index thread's stack as it is right then, which is just after the call that held the GIL (the
line shown is that call or the one after it). With only two threads, a stall is one long call, not
contention. The index goes where `Engine.open` puts it (`NEWSQA_INDEX_DIR`, else the cache).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

from retrieval.engine import Engine

TICK = 0.005


def watch(work, over_ms: float) -> tuple[float, list[tuple[float, float, list[str]]]]:
    """Run `work` in a thread; (its seconds, stalls over `over_ms` as (ms, at second, stack))."""
    worker = threading.Thread(target=work)
    stalls = []
    started = time.perf_counter()
    worker.start()
    last = time.perf_counter()
    while worker.is_alive():
        time.sleep(TICK)
        now = time.perf_counter()
        lag = now - last - TICK
        if lag * 1000 > over_ms:
            frame = sys._current_frames().get(worker.ident)
            stack = traceback.extract_stack(frame)[-3:] if frame is not None else []
            where = [f"{Path(f.filename).name}:{f.lineno} {f.name}: {f.line}" for f in reversed(stack)]
            stalls.append((lag * 1000, now - started, where or ["(finished)"]))
        last = now
    worker.join()
    return time.perf_counter() - started, stalls


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("articles", type=Path, help="a corpus folder, e.g. bench_scale's articles-100000")
    parser.add_argument("--full", action="store_true", help="time a full build into a new index folder instead")
    parser.add_argument("--over", type=float, default=30.0, help="report stalls longer than this many ms")
    args = parser.parse_args(argv)
    if args.full:
        index_dir = Path(tempfile.mkdtemp(prefix="newsqa-gil-"))
        try:
            seconds, stalls = watch(lambda: Engine.open(args.articles, index_dir), args.over)
        finally:
            shutil.rmtree(index_dir, ignore_errors=True)
        label = "full build"
    else:
        engine = Engine.open(args.articles)
        arrival = args.articles / f"arrival-{time.time_ns()}.txt"
        arrival.write_text("Harbour ferry resumes\n\nThe harbour ferry resumed service on Monday after repairs.\n")
        try:
            seconds, stalls = watch(engine.reindex, args.over)
        finally:
            arrival.unlink()
        label = "re-index, one article added"
    print(f"{label}: {seconds:.2f} s; {len(stalls)} stalls over {args.over:g} ms")
    for ms, at, where in sorted(stalls, reverse=True)[:10]:
        print(f"{ms:5.0f} ms at {at:5.2f} s")
        for line in where:
            print(f"        {line}")


if __name__ == "__main__":
    main()
