"""Time adding one article through the saved index, as `Engine.reindex` does it in the bot, by parts.

    NEWSQA_INDEX_DIR=/tmp/idx python -m bench.add_parts ARTICLES_DIR            # one add, then its removal
    NEWSQA_INDEX_DIR=/tmp/idx python -m bench.add_parts ARTICLES_DIR --runs 3

Opens the folder's index (`Engine.open`), then per run writes one new article file, re-indexes, deletes
the file and re-indexes again; prints one JSON line per re-index with its seconds and the seconds
spent in each timed part (loading the current generation, scanning the folder, numbering terms,
making BM25, writing the new generation). What the parts leave over is Python over the file entries.
No questions run meanwhile: `bench.bench_scale ... responsive` measures the same with the bot busy.
"""

from __future__ import annotations

import argparse
import functools
import json
import time
from pathlib import Path

import retrieval.bm25 as bm25
import retrieval.store.index_store as store
from retrieval.engine import Engine

ARTICLE = "Harbour ferry resumes\n\nThe harbour ferry resumed service on Monday after repairs.\n"


def timing(seconds: dict[str, float]) -> None:
    """Wrap the parts of an update so that each adds its time to `seconds` (those this version has)."""

    def timed(owner: object, name: str, is_classmethod: bool = False) -> None:
        if not hasattr(owner, name):
            return
        f = getattr(owner, name)
        f = getattr(f, "__func__", f)

        @functools.wraps(f)
        def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            started = time.perf_counter()
            try:
                return f(*args, **kwargs)
            finally:
                seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started

        setattr(owner, name, classmethod(wrapper) if is_classmethod else wrapper)

    for name in ("load", "scan"):
        timed(store.IndexStore, name)
    for name in ("write_generation", "number_terms", "bm25_for"):  # as retrieval/store/index_store.py calls them
        timed(store, name)
    for name in ("build_from_ids", "insert_passages"):
        timed(bm25.BM25Index, name, is_classmethod=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("articles", type=Path, help="the corpus folder")
    parser.add_argument("--runs", type=int, default=1, help="articles added (and removed) one after another")
    args = parser.parse_args()
    seconds: dict[str, float] = {}
    timing(seconds)
    started = time.perf_counter()
    engine = Engine.open(args.articles)
    print(json.dumps({"open_s": round(time.perf_counter() - started, 2), "passages": len(engine.index.passages)}), flush=True)
    for _ in range(args.runs):
        arrival = args.articles / f"arrival-{time.time_ns()}.txt"
        for step in ("add", "remove"):
            if step == "add":
                arrival.write_text(ARTICLE, encoding="utf-8")
            else:
                arrival.unlink()
            seconds.clear()
            started = time.perf_counter()
            report = engine.reindex()
            total = time.perf_counter() - started
            parts = {k: round(v, 2) for k, v in seconds.items()}
            print(json.dumps({step: round(total, 2), "changed": report.added + report.removed, **parts}), flush=True)


if __name__ == "__main__":
    main()
