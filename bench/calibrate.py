"""Fit the confidence model (retrieval/confidence.py) and measure, on held-out folds, what its numbers mean.

    PYTHONHASHSEED=0 python -m bench.calibrate            # held-out report, old formula beside the model
    PYTHONHASHSEED=0 python -m bench.calibrate --write    # and save the weights fitted on everything
    PYTHONHASHSEED=0 python -m bench.calibrate --json     # the report as JSON (bench/quality.py reads it)

The answers it learns from, all asked the way `newsqa eval` asks:

- XQuAD en dev against its whole corpus: a span answer is right when it is an exact match or has
  F1 >= 0.5; a quoted sentence (the answer when no span of the asked type is found, and for yes/no
  questions) claims only that the answer is in it, and is right when it holds a gold answer;
- the same questions against a corpus of only the other half of its articles (even against odd, odd
  against even, as in bench/abstention.py): every answer there is wrong, since no article holds it.

Abstentions have no confidence and are left out. The model is a logistic regression with an L2
penalty (not on the bias); the penalty is the one with the lowest held-out log loss. Held out means:
the 24 articles are dealt into FOLDS groups, and the answers to each group's questions are scored by
weights fitted on the other groups only. The figures printed are those held-out scores; the old
confidence formula (`0.2 + 0.5 coverage + 0.2 typed + 0.1 second article`, at most 0.5 for a quoted
sentence and 0.6 when articles disagree) is shown beside them on the same answers.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize

from bench.abstention import XQUAD, halves
from retrieval import confidence
from retrieval.answer import answer_with_features
from retrieval.evaluate import contains_answer, load_eval_file, score_answer
from retrieval.index import CorpusIndex
from retrieval.models import Answer

FOLDS = 4
PENALTIES = (0.01, 0.1, 1.0, 10.0)
BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0001)
THRESHOLDS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass
class Data:
    x: list[tuple[float, ...]] = field(default_factory=list)
    right: list[float] = field(default_factory=list)
    article: list[str] = field(default_factory=list)
    answerable: list[bool] = field(default_factory=list)
    old: list[float] = field(default_factory=list)  # the formula used before the model


def old_confidence(x: tuple[float, ...], answer: Answer) -> float:
    """The confidence formula used before the model, for the same answer."""
    f = dict(zip(confidence.FEATURES, x))
    second_article = len({c.article_id for c in answer.citations}) > 1
    c = min(1.0, 0.2 + 0.5 * f["coverage"] + 0.2 * f["typed"] + 0.1 * second_article)
    if not f["typed"]:
        c = min(c, 0.5)
    return min(c, 0.6) if answer.conflicts else c


def collect() -> Data:
    data = Data()
    full = load_eval_file(XQUAD)
    even, odd = halves(XQUAD)
    runs = [(full, full, True), (even, odd, False), (odd, even, False)]
    for asked, corpus, answerable in runs:
        index = CorpusIndex.build(corpus.articles or [], corpus.passages or [])
        for item in asked.questions:
            answer, x = answer_with_features(index, item.question, "rules")  # the rules' own confidence model
            if answer.answer is None or x is None:
                continue
            typed = dict(zip(confidence.FEATURES, x))["typed"]
            if not answerable:
                right = False
            elif typed:
                em, f1 = score_answer(answer.answer, item.answers, True)
                right = em == 1.0 or f1 >= 0.5
            else:  # a quoted sentence claims only that the answer is in it
                right = contains_answer(answer.sentence, item.answers)
            data.x.append(x)
            data.right.append(float(right))
            data.article.append((item.passage_id or "").split("#")[0])
            data.answerable.append(answerable)
            data.old.append(old_confidence(x, answer))
    return data


def fit(x: np.ndarray, y: np.ndarray, penalty: float) -> np.ndarray:
    """Logistic regression weights (the first column is the bias, not penalised)."""
    mask = np.ones(x.shape[1])
    mask[0] = 0.0

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = np.clip(x @ w, -30, 30)
        p = 1 / (1 + np.exp(-z))
        eps = 1e-12
        value = -np.sum(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps)) + penalty * np.sum((w * mask) ** 2)
        grad = x.T @ (p - y) + 2 * penalty * w * mask
        return float(value), grad

    return minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B").x


def predict(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(x @ w, -30, 30)))


def held_out(data: Data, penalty: float) -> np.ndarray:
    """Each answer's probability from weights fitted without its article's fold."""
    x, y = np.array(data.x), np.array(data.right)
    order = list(dict.fromkeys(data.article))
    group = np.array([order.index(a) % FOLDS for a in data.article])
    p = np.zeros(len(y))
    for g in range(FOLDS):
        test = group == g
        p[test] = predict(x[test], fit(x[~test], y[~test], penalty))
    return p


def scores(p: np.ndarray, y: np.ndarray) -> dict:
    eps = 1e-12
    # AUC: the chance that a right answer has a higher confidence than a wrong one (ties count half).
    right, wrong = p[y == 1], p[y == 0]
    auc = float(np.mean((right[:, None] > wrong[None, :]) + 0.5 * (right[:, None] == wrong[None, :]))) if len(right) and len(wrong) else None
    return {
        "auc": round(auc, 3) if auc is not None else None,
        "brier": round(float(np.mean((p - y) ** 2)), 4),
        "log_loss": round(float(-np.mean(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))), 4),
    }


def reliability(p: np.ndarray, y: np.ndarray) -> list[dict]:
    rows = []
    for lo, hi in zip(BINS, BINS[1:]):
        sel = (p >= lo) & (p < hi)
        n = int(sel.sum())
        rows.append({
            "bin": f"{lo:.1f}-{min(hi, 1.0):.1f}",
            "answers": n,
            "mean_confidence": round(float(p[sel].mean()), 3) if n else None,
            "right": round(100 * float(y[sel].mean()), 1) if n else None,
        })
    return rows


def by_threshold(p: np.ndarray, y: np.ndarray, answerable: np.ndarray) -> list[dict]:
    rows = []
    for t in THRESHOLDS:
        sel = p >= t
        n = int(sel.sum())
        rows.append({
            "threshold": t,
            "answers": n,
            "right_of_answered": round(100 * float(y[sel].mean()), 1) if n else None,
            "right": int(y[sel].sum()),
            "unanswerable_answered": int((sel & ~answerable).sum()),
        })
    return rows


def report(data: Data) -> dict:
    y = np.array(data.right)
    answerable = np.array(data.answerable)
    old = np.array(data.old)
    by_penalty = {pen: held_out(data, pen) for pen in PENALTIES}
    best = min(PENALTIES, key=lambda pen: (scores(by_penalty[pen], y)["log_loss"], -pen))
    p = by_penalty[best]
    w = fit(np.array(data.x), y, best)
    return {
        "answers": len(y),
        "right": int(y.sum()),
        "answers_to_unanswerable": int((~answerable).sum()),
        "folds": FOLDS,
        "penalty": best,
        "penalties": {str(pen): scores(by_penalty[pen], y) for pen in PENALTIES},
        "held_out": scores(p, y),
        "old_formula": scores(old, y),
        "reliability_held_out": reliability(p, y),
        "reliability_old": reliability(old, y),
        "thresholds_held_out": by_threshold(p, y, answerable),
        "thresholds_old": by_threshold(old, y, answerable),
        "weights": {name: round(float(v), 6) for name, v in zip(confidence.FEATURES, w)},
    }


def render(r: dict) -> str:
    lines = [
        f"{r['answers']} answers ({r['right']} right; {r['answers_to_unanswerable']} to questions no article answers), "
        f"{r['folds']} folds by article, penalty {r['penalty']:g}",
        f"held out: AUC {r['held_out']['auc']:.3f}, Brier {r['held_out']['brier']:.4f}, log loss {r['held_out']['log_loss']:.4f}; "
        f"old formula: AUC {r['old_formula']['auc']:.3f}, Brier {r['old_formula']['brier']:.4f}, log loss {r['old_formula']['log_loss']:.4f}",
        "",
        "confidence   model: answers  mean  right   old formula: answers  mean  right",
    ]
    for a, b in zip(r["reliability_held_out"], r["reliability_old"]):
        def cell(row: dict) -> str:
            if not row["answers"]:
                return f"{0:>7}     -      -"
            return f"{row['answers']:>7} {row['mean_confidence']:5.2f} {row['right']:5.1f}%"
        lines.append(f"{a['bin']:<12} {cell(a)}                {cell(b)}")
    lines.append("")
    lines.append("at confidence >= t   model: answers right% (unanswerable)   old formula: answers right% (unanswerable)")
    for a, b in zip(r["thresholds_held_out"], r["thresholds_old"]):
        def cell2(row: dict) -> str:
            right = "-" if row["right_of_answered"] is None else f"{row['right_of_answered']:.1f}%"
            return f"{row['answers']:>7} {right:>6} ({row['unanswerable_answered']})"
        lines.append(f"{a['threshold']:<19.1f} {cell2(a)}                 {cell2(b)}")
    lines.append("")
    lines.extend(f"  {k:14s} {v:+.3f}" for k, v in r["weights"].items())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"save the weights fitted on every answer to {confidence.WEIGHTS_FILE.name}")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    r = report(collect())
    print(json.dumps(r, indent=1) if args.json else render(r))
    if args.write:
        record = {
            "fitted_by": "PYTHONHASHSEED=0 python -m bench.calibrate --write",
            "answers": r["answers"],
            "penalty": r["penalty"],
            "held_out": r["held_out"],
            "weights": r["weights"],
        }
        confidence.WEIGHTS_FILE.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {confidence.WEIGHTS_FILE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
