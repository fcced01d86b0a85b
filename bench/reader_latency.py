"""Answer latency, neural reader beside rules, in one process: the seeds and a 100k-passage corpus.

    python -m bench.reader_latency [--sizes 100000] [--questions 100]

The seeds are the bundled corpus, asked the seed_dev questions; the large corpus is bench/synthetic.py's
(fixed seed), asked its own questions. Each question is answered by every reader in turn (neural,
then rules, then both), so that all see the same machine load; the first question of each is a warm-up and
not counted. Prints medians and 95th percentiles, and writes bench/results/reader_latency.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from retrieval.answer import answer_question
from retrieval.engine import build_index
from retrieval.evaluate import load_eval_file, percentile
from retrieval.index import CorpusIndex

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).with_name("results") / "reader_latency.json"


def side_by_side(index: CorpusIndex, questions: list[str]) -> dict:
    times: dict[str, list[float]] = {"neural": [], "rules": [], "both": []}
    for reader in times:
        answer_question(index, questions[0], reader)
    for q in questions[1:]:
        for reader, out in times.items():
            t0 = time.perf_counter()
            answer_question(index, q, reader)
            out.append(1000 * (time.perf_counter() - t0))
    return {
        reader: {"median_ms": round(statistics.median(t), 2), "p95_ms": round(percentile(t, 95), 2), "questions": len(t)}
        for reader, t in times.items()
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[100_000])
    ap.add_argument("--questions", type=int, default=100)
    args = ap.parse_args()
    seed_questions = [q.question for q in load_eval_file(REPO.parent / "shared" / "qa" / "seed_dev.jsonl").questions]
    out = {"cores": os.cpu_count(), "seeds": side_by_side(build_index(REPO / "corpus"), seed_questions * 5)}
    print("seeds", out["seeds"])
    from bench.synthetic import make_corpus

    for size in args.sizes:
        corpus = make_corpus(size, args.questions + 1)
        index = CorpusIndex.build(corpus.articles, corpus.passages, terms=corpus.token_lists())
        out[str(size)] = side_by_side(index, corpus.questions)
        print(size, out[str(size)])
    RESULTS.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
