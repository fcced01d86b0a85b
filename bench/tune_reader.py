"""Choose the neural reader's settings and fit its confidence model, on questions it never trained on.

    python -m bench.tune_reader            # print the grid and the fitted weights
    python -m bench.tune_reader --write    # also write retrieval/reader/confidence_weights.json

The validation questions are those of the new-Wikipedia articles that bench/train_reader.py keeps out
of training (every sixth article from the fourth). Each is asked three times:

- against every new-Wikipedia paragraph (its answer is there: an answerable question);
- against the paragraphs of the other articles only (nothing answers it: the reader should abstain);
- against every paragraph but those that hold one of its answers (its own article is there, the
  answer is not: the harder "not found", the one a user asking about their own corpus meets).

For every question the top `max(READ_CHOICES)` passages are read once; the settings are then tried
offline. First how many passages to read and the weight of the retrieval score, by F1 on the
answerable copies. Then the no-answer margin and the least share of the question's key terms the
answer's passage must say (`passage_coverage`) as the only gates, by F1 over all copies as SQuAD 2.0
scores it (answerable: the answer's token F1; unanswerable: 1 for abstaining; the two unanswerable
kinds weigh half each): that margin is what `readings.NULL_MARGIN` says a passage "answers" at (for
conflicts and recency). Then the learned abstention (`tune_abstention`): for each coverage floor, the
confidence model, a logistic regression on `retrieval.confidence.READER_FEATURES` (right = exact
match or F1 >= 0.5), is fitted on the answers the floor lets through, and the least confidence to
answer at is chosen with the floor by the same F1. Last, how the two readers combine. `newsqa eval`
and bench/reader_quality.py then show how it holds up on XQuAD, which no setting here saw.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

from bench.train_reader import SHARED, VALIDATION_EVERY, VALIDATION_FROM
from retrieval import answer as A
from retrieval.assemble import assemble_answer
from retrieval.reader import readings as R
from retrieval.reader.choice import normalize, sentence_around
from retrieval.reader.coverage import passage_coverage, text_coverage
from retrieval.confidence import READER_FEATURES, READER_WEIGHTS_FILE, reader_features
from retrieval.evaluate import load_eval_file, score_answer
from retrieval.index import CorpusIndex
from retrieval.reader.question import analyze_question
from retrieval.reader.neural import shipped_reader
from retrieval.rerank import query_expansions, rank_passages

READ_CHOICES = (1, 3, 5, 8)
WEIGHT_CHOICES = (0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
MARGIN_CHOICES = tuple(x / 2 for x in range(-8, 13))
COVERAGE_CHOICES = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
ALONE_CHOICES = tuple(round(x / 20, 2) for x in range(0, 20))  # 0 = the rules answer whenever the model abstains
LEAD_CHOICES = tuple(round(x / 20, 2) for x in range(-6, 7))
HARD_SPARE = 12  # passages retrieved beyond TOP_PASSAGES for the copies asked without their answer
# The two kinds of unanswerable copy (other articles only; the question's own article without its
# answer) weigh half each, so answerable and unanswerable questions weigh the same in the objective.
UNANSWERABLE_WEIGHT = 0.5
ABSTAIN_CHOICES = tuple(round(x / 40, 3) for x in range(0, 25))  # 0 = the coverage floor alone
RESULTS = Path(__file__).with_name("results") / "reader_tuning.json"


def readings_for(index: CorpusIndex, questions, reader, depth: int, without_answer: bool = False):
    """Each question's retrieved passages, the reader's best span in the first `depth` and their coverage.
    `without_answer`: the passages that hold one of its answers (or are its own) left out of what is
    retrieved, so that it is asked of its own article and its neighbours with the answer gone."""
    out = []
    for q in questions:
        aq = analyze_question(q.question)
        exp = query_expansions(aq, index)
        missing = [t for t in aq.proper if index.bm25.doc_freq(t) == 0 and t not in exp.values()]
        hits = rank_passages(index, aq, A.TOP_PASSAGES + HARD_SPARE * without_answer, exp) if aq.terms else []
        if without_answer:
            golds = [normalize(a) for a in q.answers if normalize(a)]
            hits = [h for h in hits if h[0].id != q.passage_id and not any(g in normalize(h[0].text) for g in golds)][: A.TOP_PASSAGES]
        readings = reader.read(q.question, [p.text for p, _ in hits[:depth]]) if hits and not missing else []
        coverage = [passage_coverage(index, aq, p, exp) for p, _ in hits[:depth]]
        out.append((q, hits, readings, index, aq, coverage, exp, [h[0] for h in hits] if without_answer else None))
    return out


def decide(item, k: int, weight: float):
    """(answer text or None, top reading, lead, first passage) at these settings, abstention aside."""
    q, hits, readings, _, aq, coverage, _, _ = item
    if not readings:
        return None
    found = R.rank_readings(hits[:k], readings[:k], aq, weight)
    if not found:
        return None
    _, top, passage, _ = found[0]
    best_margin = max(r.margin for _, r, _, _ in found)
    return passage.text[top.start : top.end], top, R.lead(found), passage.id == hits[0][0].id, best_margin, coverage[top.passage]


def answer_features(item, k: int, weight: float, margin: float, coverage: float) -> tuple[str, tuple[float, ...], float] | None:
    """The neural reader's answer, its confidence inputs and its passage's best margin at these settings,
    offline, before the confidence threshold; None when the margin or the coverage floor abstains."""
    d = decide(item, k, weight)
    if not d or d[4] < margin or d[5] < coverage:
        return None
    text, top, lead, first, best_margin, passage_cov = d
    q, hits, _, index, aq, _, exp, _ = item
    passage = hits[top.passage][0]
    sent = sentence_around(passage.text, top.start, top.end)
    built = assemble_answer(q.question, aq, index, passage, sent, (top.start, top.end), 1.0, hits)
    x = reader_features(
        top.margin, top.probability, lead, first, len(built.citations) - 1, text, passage_cov, text_coverage(index, aq, passage.text[sent[0] : sent[1]], exp)
    )
    return text, x, best_margin


def neural_answer(item, k: int, weight: float, coverage: float, w: tuple[float, ...], abstain: float) -> tuple[str | None, float]:
    """The neural reader's answer (None when it abstains) and its confidence under weights `w`, offline."""
    found = answer_features(item, k, weight, -np.inf, coverage)
    if found is None:
        return None, 0.0
    text, x, _ = found
    p = float(1 / (1 + np.exp(-np.dot(x, w))))
    return (text, p) if p >= abstain else (None, 0.0)


def combine(neural: tuple[str | None, float], rules: tuple[str | None, float], rules_alone: float, rules_lead: float) -> str | None:
    """Both readers' answers as `retrieval.answer` combines them: the rules' answer when it is the more
    confident by `rules_lead`, or when the neural reader abstains and it is at least `rules_alone` sure."""
    (n_text, n_conf), (r_text, r_conf) = neural, rules
    if r_text is None:
        return n_text
    if n_text is None:
        return r_text if r_conf >= rules_alone else None
    return r_text if r_conf > n_conf + rules_lead else n_text


def tune_combination(answerable, unanswerable, k, weight, coverage, w, abstain) -> dict:
    """RULES_ALONE and RULES_LEAD by SQuAD 2.0's F1 over all copies of the validation questions, then
    F1 on the answerable ones; the rules answer through `answer_with_features`, the neural reader
    offline at the chosen settings."""
    pairs = []
    for items, answerable_copy in ((answerable, True), (unanswerable, False)):
        for item in items:
            q, index, within = item[0], item[3], item[7]  # without its answer: the rules read the same passages
            rules, _ = A.answer_with_features(index, q.question, "rules", within)
            pairs.append((item[0], answerable_copy, neural_answer(item, k, weight, coverage, w, abstain), (rules.answer, rules.confidence)))
    n = len(answerable) + UNANSWERABLE_WEIGHT * len(unanswerable)
    grid = []
    for alone in ALONE_CHOICES:
        for lead in LEAD_CHOICES:
            right = f1 = f1_answerable = 0.0
            for q, answerable_copy, neural, rules in pairs:
                pred = combine(neural, rules, alone, lead)
                e, f = score_answer(pred, q.answers, answerable_copy)
                share = 1.0 if answerable_copy else UNANSWERABLE_WEIGHT
                right += share * e
                f1 += share * f
                f1_answerable += f if answerable_copy else 0.0
            grid.append({
                "rules_alone": alone, "rules_lead": lead, "f1": 100 * f1 / n, "accuracy": 100 * right / n,
                "f1_answerable": 100 * f1_answerable / len(answerable),
            })
    best = max(grid, key=lambda g: (round(g["f1"], 1), round(g["f1_answerable"], 1), -g["rules_alone"], -abs(g["rules_lead"])))
    print(f"combination chosen: RULES_ALONE = {best['rules_alone']}, RULES_LEAD = {best['rules_lead']} "
          f"(F1 {best['f1']:.1f}, accuracy {best['accuracy']:.1f}, answerable F1 {best['f1_answerable']:.1f})")
    current = next(g for g in grid if (g["rules_alone"], g["rules_lead"]) == (0.0, 0.0))
    print(f"  the plain more-confident rule (0, 0): F1 {current['f1']:.1f}, answerable F1 {current['f1_answerable']:.1f}")
    return {"grid": grid, "chosen": {k2: best[k2] for k2 in ("rules_alone", "rules_lead", "f1", "accuracy", "f1_answerable")}}


def tune_abstention(answerable, unanswerable, k: int, weight: float) -> tuple[dict, np.ndarray]:
    """The learned part of abstention. For each coverage floor, the confidence model is fitted on the
    answers the floor lets through (no margin gate: the margin is one of its inputs), and the least
    confidence to answer at is tried; the pair with the best SQuAD 2.0 F1 over all copies wins
    (ties: the stricter floor, then the higher threshold). Returns the grid and the chosen weights."""
    at = READER_FEATURES.index("coverage")
    answers = []  # (features, answerable copy, right, F1) of every answer before any threshold
    abstained_anyway = 0  # unanswerable copies with no span at all
    for item, answerable_copy in [(i, True) for i in answerable] + [(i, False) for i in unanswerable]:
        found = answer_features(item, k, weight, -np.inf, 0.0)
        if found is None:
            abstained_anyway += not answerable_copy
            continue
        text, x, _ = found
        em, f1 = score_answer(text, item[0].answers, True) if answerable_copy else (0.0, 0.0)
        answers.append((np.array(x), answerable_copy, float(answerable_copy and (em == 1 or f1 >= 0.5)), f1))
    n = len(answerable) + UNANSWERABLE_WEIGHT * len(unanswerable)
    grid, fits = [], {}
    for cov in COVERAGE_CHOICES:
        kept = [a for a in answers if a[0][at] >= cov]
        x, y = np.array([a[0] for a in kept]), np.array([a[2] for a in kept])
        w = fit_logistic(x, y)
        p = 1 / (1 + np.exp(-(x @ w)))
        fits[cov] = (w, float(np.mean((p - y) ** 2)), len(y), int(y.sum()))
        floored = abstained_anyway + sum(1 for a in answers if a[0][at] < cov and not a[1])
        for tau in ABSTAIN_CHOICES:
            shown = p >= tau
            f1 = math.fsum(a[3] for a, s in zip(kept, shown) if s and a[1])
            abstained = floored + sum(1 for a, s in zip(kept, shown) if not s and not a[1])
            answered = sum(1 for a, s in zip(kept, shown) if s and a[1])
            grid.append({"coverage": cov, "abstain": tau, "f1": 100 * (f1 + UNANSWERABLE_WEIGHT * abstained) / n, "answered": answered, "abstained": abstained})
    best = max(grid, key=lambda g: (round(g["f1"], 1), g["coverage"], g["abstain"]))
    w, brier, n_answers, n_right = fits[best["coverage"]]
    print(f"abstention chosen: READER_COVERAGE = {best['coverage']}, READER_ABSTAIN = {best['abstain']} (F1 {best['f1']:.1f}: "
          f"answered {best['answered']} of {len(answerable)} answerable, abstained on {best['abstained']} of {len(unanswerable)} unanswerable)")
    chosen = {"coverage": best["coverage"], "abstain": best["abstain"], "f1": best["f1"], "answered": best["answered"], "abstained": best["abstained"]}
    return {"grid": grid, "chosen": chosen, "answers": n_answers, "right": n_right, "brier_in_sample": round(brier, 4)}, w


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2) -> np.ndarray:
    """Maximum-likelihood logistic weights by Newton's method, with a small ridge (not on the bias)."""
    w = np.zeros(x.shape[1])
    reg = np.full(x.shape[1], l2)
    reg[0] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(x @ w, -30, 30)))
        grad = x.T @ (p - y) + reg * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return w


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--write", action="store_true", help="write the fitted confidence weights")
    ap.add_argument("--limit", type=int, default=0, help="the first N validation questions only (a smoke run: nothing is written)")
    args = ap.parse_args()
    data = load_eval_file(SHARED / "squadshifts" / "new_wiki.dev.json")
    titles = [a.id for a in data.articles]
    val_ids = {t for i, t in enumerate(titles) if i % VALIDATION_EVERY == VALIDATION_FROM}
    questions = [q for q in data.questions if q.passage_id.rpartition("#")[0] in val_ids]
    if args.limit:
        questions = questions[: args.limit]
    full = CorpusIndex.build(data.articles, data.passages)
    others = CorpusIndex.build([a for a in data.articles if a.id not in val_ids], [p for p in data.passages if p.article_id not in val_ids])
    reader = shipped_reader()
    depth = max(READ_CHOICES)
    print(f"{len(questions)} validation questions from {sorted(val_ids)}", file=sys.stderr)
    answerable = readings_for(full, questions, reader, depth)
    unanswerable = readings_for(others, questions, reader, depth) + readings_for(full, questions, reader, depth, without_answer=True)
    grid = []
    for k in READ_CHOICES:
        for weight in WEIGHT_CHOICES:
            f1 = em = 0.0
            for item in answerable:
                d = decide(item, k, weight)
                e, f = score_answer(d[0] if d else None, item[0].answers, True)
                em += e
                f1 += f
            grid.append({"read": k, "retrieval_weight": weight, "em": 100 * em / len(answerable), "f1": 100 * f1 / len(answerable)})
    best = max(grid, key=lambda g: (round(g["f1"], 1), -g["read"]))
    k, weight = best["read"], best["retrieval_weight"]
    margins = []
    for m in MARGIN_CHOICES:
        for cov in COVERAGE_CHOICES:
            right = f1 = 0.0
            answered = abstained = 0
            for item in answerable:
                d = decide(item, k, weight)
                pred = d[0] if d and d[4] >= m and d[5] >= cov else None
                answered += pred is not None
                e, f = score_answer(pred, item[0].answers, True)
                right += e
                f1 += f
            for item in unanswerable:
                d = decide(item, k, weight)
                abstained += not (d and d[4] >= m and d[5] >= cov)
            n = len(answerable) + UNANSWERABLE_WEIGHT * len(unanswerable)
            margins.append({
                "margin": m, "coverage": cov, "accuracy": 100 * (right + UNANSWERABLE_WEIGHT * abstained) / n,
                "f1": 100 * (f1 + UNANSWERABLE_WEIGHT * abstained) / n,
                "answered": answered, "abstained": abstained,
            })
    chosen = max(margins, key=lambda g: (round(g["f1"], 1), -abs(g["margin"]), -g["coverage"]))
    m, cov = chosen["margin"], chosen["coverage"]
    for row in grid:
        print(f"read {row['read']} weight {row['retrieval_weight']:>4}: EM {row['em']:.1f} F1 {row['f1']:.1f}")
    for row in margins:
        print(f"margin {row['margin']:>5} coverage {row['coverage']}: F1 {row['f1']:.1f}, accuracy {row['accuracy']:.1f} "
              f"(answered {row['answered']}, abstained {row['abstained']})")
    print(f"chosen: READ_PASSAGES = {k}, RETRIEVAL_WEIGHT = {weight}, NULL_MARGIN = {m}, READER_COVERAGE = {cov}")
    abstention, w = tune_abstention(answerable, unanswerable, k, weight)
    cov, abstain = abstention["chosen"]["coverage"], abstention["chosen"]["abstain"]
    print("weights:", dict(zip(READER_FEATURES, np.round(w, 4))), f"in-sample Brier {abstention['brier_in_sample']:.3f}")
    combination = tune_combination(answerable, unanswerable, k, weight, cov, tuple(w), abstain)
    result = {
        "validation_articles": sorted(val_ids),
        "questions": len(questions),
        "grid": grid,
        "margins": margins,
        "chosen": {"read_passages": k, "retrieval_weight": weight, "null_margin": m, "reader_coverage": cov, "reader_abstain": abstain},
        "abstention": abstention,
        "combination": combination,
    }
    if args.limit:
        return
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    if args.write:
        READER_WEIGHTS_FILE.write_text(
            json.dumps(
                {
                    "fitted_by": "python -m bench.tune_reader --write",
                    "data": f"new_wiki validation articles {sorted(val_ids)}: {abstention['answers']} answers, {abstention['right']} right",
                    "weights": {n: round(float(v), 6) for n, v in zip(READER_FEATURES, w)},
                },
                indent=2,
            )
            + "\n"
        )
        print(f"wrote {READER_WEIGHTS_FILE}")
    if (k, weight, m, cov, abstain) != (R.READ_PASSAGES, R.RETRIEVAL_WEIGHT, R.NULL_MARGIN, R.READER_COVERAGE, R.READER_ABSTAIN):
        print("note: retrieval/reader/readings.py has other settings; set them to the chosen ones", file=sys.stderr)
    chosen_pair = (combination["chosen"]["rules_alone"], combination["chosen"]["rules_lead"])
    if chosen_pair != (A.RULES_ALONE, A.RULES_LEAD):
        print("note: retrieval/answer.py has other RULES_ALONE / RULES_LEAD; set them to the chosen ones", file=sys.stderr)


if __name__ == "__main__":
    main()
