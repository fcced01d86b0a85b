"""The neural reader beside the rule reader, in one run: writes bench/READER.md and bench/results/reader.json.

    python -m bench.reader_quality            # from the repository root, ../shared beside it

Every row asks the same questions of the same index with `--reader neural` and `--reader rules`
(`retrieval.evaluate.evaluate`, what `newsqa eval` runs), open (all paragraphs of the file or corpus
folder) and, for SQuAD files, closed (each question against its own paragraph: the SQuADShifts
leaderboard's setting). new-Wikipedia is scored on its validation articles only, the ones
bench/train_reader.py never trained on; XQuAD, the seeds and bench/news were never trained on.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from bench.abstention import halves
from bench.train_reader import SHARED, VALIDATION_EVERY, VALIDATION_FROM
from retrieval.engine import build_index
from retrieval.evaluate import EvalReport, evaluate, load_eval_file
from retrieval.index import CorpusIndex

REPO = Path(__file__).resolve().parent.parent
OUT = Path(__file__).with_name("READER.md")
HEADING = "# The neural reader beside the rule reader"  # where this report's part of OUT begins
RESULTS = Path(__file__).with_name("results") / "reader.json"
READERS = ("neural", "rules", "both")


def squad_runs() -> list[tuple[str, CorpusIndex, list, bool]]:
    runs = []
    xquad = load_eval_file(SHARED / "xquad" / "xquad.en.dev.json")
    x_index = CorpusIndex.build(xquad.articles, xquad.passages)
    wiki = load_eval_file(SHARED / "squadshifts" / "new_wiki.dev.json")
    val = {a.id for i, a in enumerate(wiki.articles) if i % VALIDATION_EVERY == VALIDATION_FROM}
    w_index = CorpusIndex.build(wiki.articles, wiki.passages)
    w_questions = [q for q in wiki.questions if q.passage_id.rpartition("#")[0] in val]
    for closed in (False, True):
        runs.append(("XQuAD en dev (612)", x_index, xquad.questions, closed))
        runs.append((f"new-Wikipedia validation ({len(w_questions)})", w_index, w_questions, closed))
    # Unanswerable copies, never tuned on: each half of XQuAD's articles' questions asked of the other half's paragraphs.
    even, odd = halves(SHARED / "xquad" / "xquad.en.dev.json")
    for name, asked, other in (("even", even, odd), ("odd", odd, even)):
        copies = [q.model_copy(update={"answers": [], "answerable": False}) for q in asked.questions]
        index = CorpusIndex.build(other.articles, other.passages)
        runs.append((f"XQuAD, {name} articles' questions asked of the others ({len(copies)}, unanswerable)", index, copies, False))
    return runs


def corpus_runs() -> list[tuple[str, CorpusIndex, list, bool]]:
    runs = []
    for name, file, folder in (
        ("seed_dev", SHARED.parent / "qa" / "seed_dev.jsonl", REPO / "corpus"),
        ("bench/news", REPO / "bench" / "news" / "news_dev.jsonl", REPO / "bench" / "news" / "corpus"),
        ("fresh seed questions", REPO / "bench" / "seeds_fresh" / "questions.jsonl", REPO / "corpus"),
        ("fresh news questions", REPO / "bench" / "news_fresh" / "questions.jsonl", REPO / "bench" / "news_fresh" / "corpus"),
    ):
        data = load_eval_file(file)
        runs.append((f"{name} ({len(data.questions)})", build_index(folder), data.questions, False))
    return runs


def cold_start() -> float:
    """Seconds for one `newsqa ask` over the seeds in a fresh process, index already saved; median of 5."""
    cmd = [sys.executable, "-m", "retrieval.cli", "ask", "When was the last phone call between Putin and Biden?"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, check=True)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return sorted(times)[2]


def row(report: EvalReport) -> dict:
    return {
        "em": report.answerable.exact_match,
        "f1": report.answerable.f1,
        "unanswerable_abstained": report.abstained_unanswerable,
        "answered": report.answered_answerable,
        "sentence": report.sentence_contains,
        "median_ms": report.latency.median_ms,
        "p95_ms": report.latency.p95_ms,
        "by_type": {t.type: (t.questions, t.exact_match, t.f1) for t in report.by_type},
        "calibration": [c.model_dump() for c in report.calibration],
        "always_answering": report.always_answering.model_dump() if report.always_answering else None,
    }


def main() -> None:
    results = []
    for name, index, questions, closed in squad_runs() + corpus_runs():
        pair = {}
        for reader in READERS:
            report = evaluate(index, questions, reader=reader, closed=closed)
            pair[reader] = row(report)
            print(f"{name} {'closed' if closed else 'open'} {reader}: EM {pair[reader]['em']} F1 {pair[reader]['f1']}", file=sys.stderr)
        results.append({"set": name, "setting": "closed" if closed else "open", **pair})
    start = cold_start()
    RESULTS.write_text(json.dumps({"runs": results, "cold_start_s": round(start, 3)}, indent=1) + "\n")
    # The sections above this report's heading (bench/quality_report.py's, the costs) are kept as they are.
    before = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
    kept = before[: before.index(HEADING)] if HEADING in before else ""
    OUT.write_text(kept + render(results, start))
    print(f"wrote {OUT} and {RESULTS}", file=sys.stderr)


def fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


def render(results: list[dict], start: float) -> str:
    lines = [
        HEADING,
        "",
        f"Written by `python -m bench.reader_quality` on {dt.date.today().isoformat()} "
        f"({platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}). "
        "Both readers answer the same questions over the same index in one run. EM and F1 are over the "
        "answerable questions (SQuAD v1.1 scoring; an abstention scores 0); *abstained* is the share of the "
        "unanswerable questions given no answer; latency is per question, whole answer path, median.",
        "",
        "| question set | setting | neural EM / F1 | rules EM / F1 | both EM / F1 | answered (neural / rules / both) | abstained on unanswerable (n / r / b) | ms (n / r / b) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        n, u, b = r["neural"], r["rules"], r["both"]
        lines.append(
            f"| {r['set']} | {r['setting']} | {fmt(n['em'])} / {fmt(n['f1'])} | {fmt(u['em'])} / {fmt(u['f1'])} | {fmt(b['em'])} / {fmt(b['f1'])} "
            f"| {fmt(n['answered'])} / {fmt(u['answered'])} / {fmt(b['answered'])} "
            f"| {fmt(n['unanswerable_abstained'])} / {fmt(u['unanswerable_abstained'])} / {fmt(b['unanswerable_abstained'])} "
            f"| {n['median_ms']:.1f} / {u['median_ms']:.1f} / {b['median_ms']:.1f} |"
        )
    lines += ["", f"`newsqa ask` cold start over the seeds (saved index, fresh process, median of 5): {start:.2f} s.", ""]
    lines += ["## Closed, a span always given (the SQuAD leaderboards' setting)", "",
              "The model's best span in each question's own paragraph, scored even where newsqa abstains "
              "(`newsqa eval FILE --closed`'s `always answer` row).", "",
              "| question set | EM / F1 |", "|---|---|"]
    for r in results:
        if (always := r["neural"].get("always_answering")) is not None:
            lines.append(f"| {r['set']} | {fmt(always['exact_match'])} / {fmt(always['f1'])} |")
    lines.append("")
    lines += ["## By question type (XQuAD, open)", "", "| type | questions | neural EM / F1 | rules EM / F1 | both EM / F1 |", "|---|---|---|---|---|"]
    x = next(r for r in results if r["set"].startswith("XQuAD") and r["setting"] == "open")
    for t, (count, em, f1) in x["neural"]["by_type"].items():
        _, rem, rf1 = x["rules"]["by_type"].get(t, (0, 0.0, 0.0))
        _, bem, bf1 = x["both"]["by_type"].get(t, (0, 0.0, 0.0))
        lines.append(f"| {t} | {count} | {em:.1f} / {f1:.1f} | {rem:.1f} / {rf1:.1f} | {bem:.1f} / {bf1:.1f} |")
    lines += [
        "",
        "## The neural reader's confidence, held out (XQuAD open: answer only at confidence >= threshold)",
        "",
        "The neural reader's confidence model was fitted on the new-Wikipedia validation articles "
        "(`python -m bench.fit_decision --write`); XQuAD is not in its data.",
        "",
        "| threshold | answered (% of questions) | right (EM 1 or F1 >= 0.5), % | F1 |",
        "|---|---|---|---|",
    ]
    for c in x["neural"]["calibration"]:
        lines.append(f"| {c['threshold']:.1f} | {c['answered']} | {fmt(c['accuracy'])} | {fmt(c['f1'])} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
