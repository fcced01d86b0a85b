"""How the abstention threshold trades answers for wrong answers; prints JSON rows for bench/quality.py.

Usage, from the repository root (with `../shared` beside it):

    PYTHONHASHSEED=0 python -m bench.abstention

For each candidate value of `retrieval.reader.rules.ABSTAIN_COVERAGE` it measures, in one process:

- XQuAD en dev as in QUALITY.md (every question answerable): the share answered, EM and F1;
- questions nobody can answer: XQuAD dev's articles at even positions asked against a corpus of only
  the odd ones, and the other way round (different Wikipedia articles, so an answer is wrong by
  construction): the share answered, which should be small;
- seed_dev's unanswerable questions over the bundled corpus: how many are abstained.

The rule that picks the threshold (`choose`): a right answer on XQuAD (exact, or F1 >= 0.5) counts
+1 and an answer to an unanswerable question -1 (a user can't tell it from a right one; a "not
found" at least says to look elsewhere). Thresholds whose total is within 1% of the questions of the
best total are as good as the best, given that one changed rule moves several questions; of those,
the most lenient is taken, and never one at which a seed_dev unanswerable question is answered (if
every threshold answers one, the strictest is taken).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import retrieval.reader.rules as rules_module
from retrieval.engine import build_index
from retrieval.evaluate import evaluate, load_eval_file, parse_squad
from retrieval.index import CorpusIndex

REPO = Path(__file__).resolve().parent.parent
XQUAD = REPO.parent / "shared" / "data" / "xquad" / "xquad.en.dev.json"
SEED = REPO.parent / "shared" / "qa" / "seed_dev.jsonl"
THRESHOLDS = (0.50, 0.45, 0.40, 0.35, 0.30, 0.25)


def halves(path: Path) -> tuple:
    """XQuAD dev split into its even and odd articles, each with its own passages and questions."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for start in (0, 1):
        part = dict(doc, data=doc["data"][start::2])
        out.append(parse_squad(part, path))
    return tuple(out)


def answered(report) -> float:
    rows = report.results
    return round(100 * sum(r.predicted is not None for r in rows) / len(rows), 1)


def choose(rows: list[dict]) -> float:
    """The threshold the rule in the module docstring picks."""
    safe = [r for r in rows if r["seed_unanswerable_abstained"] == r["seed_unanswerable"]]
    if not safe:  # every threshold answers a seed_dev unanswerable question: the strictest is the least wrong
        return max(r["threshold"] for r in rows)
    net = {r["threshold"]: r["dev_right"] - r["cross_answered_n"] for r in safe}
    tolerance = 0.01 * safe[0]["dev_questions"]
    best = max(net.values())
    return min(t for t, v in net.items() if v >= best - tolerance)


def main() -> int:
    full = load_eval_file(XQUAD)
    full_index = CorpusIndex.build(full.articles or [], full.passages or [])
    even, odd = halves(XQUAD)
    even_index = CorpusIndex.build(even.articles or [], even.passages or [])
    odd_index = CorpusIndex.build(odd.articles or [], odd.passages or [])
    seed = load_eval_file(SEED)
    seed_index = build_index(REPO / "corpus")
    chosen = rules_module.ABSTAIN_COVERAGE
    rows = []
    try:
        for t in THRESHOLDS:
            rules_module.ABSTAIN_COVERAGE = t
            dev = evaluate(full_index, full.questions, reader="rules")  # the rule reader's threshold
            cross = [evaluate(odd_index, even.questions, reader="rules"), evaluate(even_index, odd.questions, reader="rules")]
            wrongly = sum(sum(r.predicted is not None for r in c.results) for c in cross)
            asked = sum(len(c.results) for c in cross)
            seed_report = evaluate(seed_index, seed.questions, reader="rules")
            unanswerable = [r for r in seed_report.results if not r.answerable]
            rows.append({
                "threshold": t,
                "chosen": t == chosen,
                "dev_answered": answered(dev),
                "dev_em": dev.overall.exact_match,
                "dev_f1": dev.overall.f1,
                "dev_right": sum(r.predicted is not None and r.correct for r in dev.results),
                "dev_questions": len(dev.results),
                "cross_answered_n": wrongly,
                "net": sum(r.predicted is not None and r.correct for r in dev.results) - wrongly,
                "cross_answered": round(100 * wrongly / asked, 1),
                "cross_questions": asked,
                "seed_unanswerable_abstained": sum(r.predicted is None for r in unanswerable),
                "seed_unanswerable": len(unanswerable),
            })
    finally:
        rules_module.ABSTAIN_COVERAGE = chosen
    json.dump({"in_code": chosen, "by_rule": choose(rows), "rows": rows}, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
