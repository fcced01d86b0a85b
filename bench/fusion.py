"""Choose hybrid retrieval's DENSE_WEIGHT: how often the passages the readers get hold the answer.

    PYTHONHASHSEED=0 python -m bench.fusion [--write]

For each validation set, every answerable question is ranked against its open corpus by BM25 with the
re-ranker alone and by the hybrid ranking at several dense weights; the figure is the share of questions
whose top 1 / top 5 passages (`READ_PASSAGES` is 5) contain a gold answer. The sets, all chosen before
looking (none is a test set):

- QED development (1,355 real search queries, lower case and telegraphic, against all their paragraphs);
- the SQuAD even articles kept out of the reader's training (`bench.train_reader.even_validation_titles`);
- the new-Wikipedia validation articles (`VALIDATION_EVERY`);
- `bench/people/dev` (questions in people's own words over wire-style articles), where present.

The weight with the best mean top-5 over the sets is the one to ship; results go to
`bench/results/fusion.json` with the command and machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from bench.train_reader import SHARED, VALIDATION_EVERY, VALIDATION_FROM, detokenise, even_validation_titles, load_squad, qed_spans
from retrieval.answer import question_vector
from retrieval.engine import build_index, with_vectors
from retrieval.evaluate import contains_answer, load_eval_file, parse_squad
from retrieval.index import CorpusIndex
from retrieval.reader.question import analyze_question
from retrieval.rerank import rank_passages
from retrieval.settings import EngineSettings

REPO = Path(__file__).resolve().parent.parent
WEIGHTS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0)
SETTINGS = EngineSettings.model_construct(dense_max_passages=1_000_000)


def _squad_set(name: str, articles: list[dict]) -> tuple[str, CorpusIndex, list[tuple[str, list[str]]]]:
    data = parse_squad({"version": "v1.1", "data": articles}, Path(name))
    index = with_vectors(CorpusIndex.build(data.articles or [], data.passages or []), None, SETTINGS)
    return name, index, [(q.question, q.answers) for q in data.questions if q.answerable]


def qed_articles() -> list[dict]:
    """QED's development queries as SQuAD-format articles (a paragraph each, detokenised, every annotator's answer)."""
    articles = []
    for line in (SHARED / "qed" / "qed-dev.jsonlines").read_text(encoding="utf-8").splitlines():
        ex = json.loads(line)
        context, moved = detokenise(ex["paragraph_text"], qed_spans(ex))
        if not moved:
            continue
        articles.append({"title": f"{ex['title_text']} {ex['example_id']}", "paragraphs": [{"context": context, "qas": [
            {"id": str(ex["example_id"]), "question": ex["question_text"], "answers": [{"text": context[s:e], "answer_start": s} for s, e in moved]}]}]})
    return articles


def qed_dev() -> tuple[str, CorpusIndex, list[tuple[str, list[str]]]]:
    return _squad_set("qed-dev", qed_articles())


def even_validation() -> tuple[str, CorpusIndex, list[tuple[str, list[str]]]]:
    held = even_validation_titles()
    articles = [a for a in load_squad(SHARED / "squad_dev_even" / "squad-dev-v1.1-even-articles.json") if a["title"] in held]
    return _squad_set("squad-even-validation", articles)


def wiki_validation() -> tuple[str, CorpusIndex, list[tuple[str, list[str]]]]:
    data = load_squad(SHARED / "squadshifts" / "new_wiki.dev.json")
    return _squad_set("new-wiki-validation", [a for i, a in enumerate(data) if i % VALIDATION_EVERY == VALIDATION_FROM])


def people_dev() -> tuple[str, CorpusIndex, list[tuple[str, list[str]]]] | None:
    folder = REPO / "bench" / "people" / "dev"
    if not folder.is_dir():
        return None
    data = load_eval_file(folder / "questions.jsonl")
    return "people-dev", build_index(folder / "corpus", SETTINGS), [(q.question, q.answers) for q in data.questions if q.answerable]


def measure(index: CorpusIndex, questions: list[tuple[str, list[str]]]) -> dict[str, dict[str, float]]:
    hits = {w: [0, 0] for w in ("bm25", *WEIGHTS)}
    for question, answers in questions:
        q = analyze_question(question)
        if not q.terms:
            continue
        vector = question_vector(index, question)
        for w in hits:
            ranked = rank_passages(index, q, 5) if w == "bm25" else rank_passages(index, q, 5, None, vector, float(w))
            hits[w][0] += bool(ranked) and contains_answer(ranked[0][0].text, answers)
            hits[w][1] += any(contains_answer(p.text, answers) for p, _ in ranked)
    n = len(questions)
    return {str(w): {"top1": round(100 * a / n, 1), "top5": round(100 * b / n, 1)} for w, (a, b) in hits.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "fusion.json"))
    args = ap.parse_args()
    results = {}
    for make in (qed_dev, even_validation, wiki_validation, people_dev):
        t0 = time.perf_counter()
        made = make()
        if made is None:
            continue
        name, index, questions = made
        results[name] = {"questions": len(questions), "passages": len(index.passages), **measure(index, questions)}
        print(f"{name}: {len(questions)} questions, {len(index.passages)} passages, {time.perf_counter() - t0:.0f} s", flush=True)
        for w, r in results[name].items():
            if isinstance(r, dict):
                print(f"  {w:>5}: top1 {r['top1']:5.1f}  top5 {r['top5']:5.1f}")
    mean = {str(w): round(statistics.mean(r[str(w)]["top5"] for r in results.values()), 2) for w in ("bm25", *WEIGHTS)}
    best = max(WEIGHTS, key=lambda w: (mean[str(w)], -w))
    print(f"mean top5: {mean}\nbest weight: {best}")
    out = {"command": "PYTHONHASHSEED=0 python -m bench.fusion", "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
           "python": sys.version.split()[0], "sets": results, "mean_top5": mean, "best_weight": best}
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
