"""How likely the rule reader's answer is to be right: a logistic model over what the rules know when they answer.

(The neural reader's confidence is `retrieval.decide.confidence`.)

`Answer.confidence` is this probability. Its weights are fitted by `bench/calibrate.py` on XQuAD dev
(right = exact match or F1 >= 0.5) together with questions that no article answers (XQuAD articles
asked against the other half of the file), and stored as plain JSON numbers in
`confidence_weights.json` beside this file; nothing executable is loaded. `bench/calibrate.py` reports
how often answers are right at each confidence on folds the weights were not fitted on.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

from retrieval.reader.question import AMOUNT, DATE, DURATION, NUMBER, PERSON, PLACE, THING

WEIGHTS_FILE = Path(__file__).with_name("confidence_weights.json")

FEATURES = (
    "bias",
    "coverage",  # idf-weighted share of the question's key terms in the quoted sentence (its passage at half)
    "typed",  # the answer is a span of the asked type, not the whole sentence
    "sentence_coverage",  # coverage again for a quoted sentence, which is right when it holds the answer
    "margin",  # 1 - the best different answer's score / the answer's score
    "first_passage",  # the answer comes from the best-ranked passage
    "passages",  # other passages that state it, of at most 4 (other articles among them: on XQuAD's
    # Wikipedia a second article saying the same words is as often a coincidence, so articles get no weight of their own)
    "words",  # log(1 + the answer's words)
    "date",  # expected types: a date or duration,
    "number",  # a number or amount,
    "person",
    "place",
    "thing",  # a noun phrase (the rest: sayings, reasons, manners, definitions, yes/no)
)

_KINDS = {DATE: "date", DURATION: "date", NUMBER: "number", AMOUNT: "number", PERSON: "person", PLACE: "place", THING: "thing"}


def features(kind: str, coverage: float, typed: bool, margin: float, first_passage: bool, passages: int, answer: str) -> tuple[float, ...]:
    """The model's inputs for one answer, in `FEATURES` order."""
    group = _KINDS.get(kind)
    return (
        1.0,
        coverage,
        float(typed),
        0.0 if typed else coverage,
        max(0.0, min(1.0, margin)),
        float(first_passage),
        min(passages, 4) / 4,
        math.log1p(len(answer.split())),
        *(float(group == g) for g in ("date", "number", "person", "place", "thing")),
    )


@lru_cache(maxsize=1)
def weights() -> tuple[float, ...]:
    """The fitted weights, checked against `FEATURES`."""
    return _load_weights(WEIGHTS_FILE, FEATURES, "bench/calibrate.py --write")


def _load_weights(path: Path, names: tuple[str, ...], refit: str) -> tuple[float, ...]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"{path}: unreadable confidence weights ({exc}); reinstall newsqa or run {refit}") from exc
    named = data.get("weights") if isinstance(data, dict) else None
    if not isinstance(named, dict) or set(named) != set(names) or not all(isinstance(v, (int, float)) for v in named.values()):
        raise RuntimeError(f"{path}: its features are not the engine's; run {refit}")
    return tuple(float(named[name]) for name in names)


def probability(x: tuple[float, ...], w: tuple[float, ...] | None = None) -> float:
    """The logistic model's probability that the answer described by `x` is right."""
    z = math.fsum(a * b for a, b in zip(w or weights(), x))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
