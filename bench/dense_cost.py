"""What hybrid retrieval costs: embedding time and vector size per passage, and query time at 100k and 1M passages.

    python -m bench.dense_cost                # writes bench/results/dense_cost.json

- **Index time**: the shipped encoder embeds 2,000 synthetic news passages (`bench.synthetic`'s
  Wikipedia-vocabulary paragraphs), timed; the cost at 100k and 1M passages is that rate times the
  count (embedding is linear in passages: each is one forward pass, batched by length).
- **Index size**: 1,536 bytes of float32 vector and a 16-byte key a passage, exactly.
- **Query time**: embedding one question (median of 50), and the search over 100k and 1M unit vectors
  (random ones: the time of a matrix-vector product and a top-k does not depend on the values), median
  of 30, beside BM25 alone over the same number of passages from `bench.bench_scale`'s results.

Medians, measured side by side in one run on this machine.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from retrieval.dense import DIM, DenseIndex, shipped_embedder

OUT = Path(__file__).with_name("results") / "dense_cost.json"


def _median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 3)


def main() -> None:
    from bench.synthetic import make_corpus

    embedder = shipped_embedder()
    texts = [p.text for p in make_corpus(2000, n_questions=1).passages]
    embedder.embed(texts[:32])  # warm up
    t0 = time.perf_counter()
    embedder.embed(texts)
    per_passage_ms = (time.perf_counter() - t0) * 1000 / len(texts)
    question_ms = _median_ms(lambda: embedder.embed(["who is the boss at brannock foods these days"]), 50)
    rng = np.random.default_rng(7)
    search = {}
    for n in (100_000, 1_000_000):
        vectors = rng.standard_normal((n, DIM), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        index = DenseIndex(vectors)
        query = vectors[12345]
        search[str(n)] = {
            "search_ms": _median_ms(lambda index=index, query=query: index.search(query, 20), 30),
            "embed_all_minutes": round(per_passage_ms * n / 60000, 1),
            "vectors_mb": round(n * (DIM * 4 + 16) / 1e6, 1),
        }
        del vectors, index
    out = {
        "command": "python -m bench.dense_cost",
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "embed_ms_per_passage": round(per_passage_ms, 2),
        "average_passage_chars": round(sum(map(len, texts)) / len(texts)),
        "question_embed_ms": question_ms,
        "by_passages": search,
    }
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
