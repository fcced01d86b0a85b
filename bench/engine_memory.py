"""Resident memory and answer latency of a whole `Engine` over a saved index (issue #6).

Run from the repository root, with the corpus folder of article files and its saved index:

    NEWSQA_INDEX_DIR=/tmp/newsqa-bench-add/index-1m python -m bench.engine_memory \
        /tmp/newsqa-bench-add/articles-1000000 /tmp/newsqa-bench-add/corpus-1000000/questions.json 200

Prints one JSON line: RSS and USS (MiB, psutil) after `Engine.open` and after the questions (full
answers, `Engine.ask`), the open time and whether the open had to update the index first (files it
read, articles it added or removed), and the answer latency (median, p95, max, ms). With `--add`,
also the time of adding one article and removing it again, and the RSS after.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import psutil

from retrieval.engine import Engine


def mib(p: psutil.Process) -> dict:
    m = p.memory_full_info()
    return {"rss": round(m.rss / 2**20), "uss": round(m.uss / 2**20)}


def main(argv: list[str]) -> None:
    folder, questions_file, n = Path(argv[0]), Path(argv[1]), int(argv[2])
    add = "--add" in argv
    p = psutil.Process()
    out: dict = {"start": mib(p)}
    t = time.perf_counter()
    engine = Engine.open(folder)
    out["open_s"] = round(time.perf_counter() - t, 2)
    out["passages"] = len(engine.index.passages)
    r = engine.last_report
    out["open_updated"] = {"files_read": r.files_read, "added": len(r.added), "removed": len(r.removed), "notes": r.notes}
    out["after_open"] = mib(p)
    questions = json.loads(questions_file.read_text())
    questions = (questions * (n // max(len(questions), 1) + 1))[:n]
    times = []
    for q in questions:
        t = time.perf_counter()
        engine.ask(q).model_dump_json()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    out["answer_ms"] = {
        "median": round(statistics.median(times), 2),
        "p95": round(times[int(0.95 * (len(times) - 1))], 2),
        "max": round(times[-1], 2),
    }
    out["after_questions"] = mib(p)
    if add:
        arrival = folder / f"arrival-{time.time_ns()}.txt"
        arrival.write_text("Harbour ferry resumes\n\nThe harbour ferry resumed service on Monday after repairs.\n")
        try:
            t = time.perf_counter()
            report = engine.reindex()
            out["add_s"] = round(time.perf_counter() - t, 2)
            out["added"] = report.added
            out["after_add"] = mib(p)
            answer = engine.ask("When did the harbour ferry resume service?")
            out["new_article_answer"] = answer.answer
        finally:
            arrival.unlink()
        t = time.perf_counter()
        engine.reindex()
        out["remove_s"] = round(time.perf_counter() - t, 2)
        out["after_remove"] = mib(p)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
