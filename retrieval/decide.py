"""Whether to answer, and with which reader's span: one pure function of what was read and the fitted settings.

The neural reader's best span comes with `Evidence` (how far it beats "not here", how the question and
its passage meet in words and in meaning); `confidence` turns that into the probability that the span
is right, by a logistic model fitted on validation questions (real unanswerable ones among them);
`decide` then chooses between the model's span, the rules' span and no answer. Nothing here counts
words to refuse: word overlap is one piece of evidence among others, weighed by the fitted model.

The parameters live in `reader/decision.json` (plain JSON numbers), written by
`python -m bench.fit_decision --write`, which replays this very function over cached readings.
"""

from __future__ import annotations

import json
import math
from dataclasses import astuple, dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Literal

DECISION_FILE = Path(__file__).with_name("reader") / "decision.json"
LEAD_CAP = 8.0  # logits: an answer that no other passage contradicts leads by this much

Choice = Literal["neural", "rules"] | None


@dataclass(frozen=True)
class Evidence:
    """What the decision knows of the neural reader's best span, each a number (the model's inputs)."""

    margin: float  # the span's start + end logit over its passage's [CLS] ("not here") logits
    probability: float  # the span's probability under its window's start and end softmaxes
    lead: float  # how far (combined score) it leads the best passage that says something else
    first_passage: bool  # the answer comes from the best-ranked passage
    passages: int  # other passages that state it
    words: int  # the answer's words
    coverage: float  # idf-weighted share of the question's key terms that the answer's passage says
    sentence_coverage: float  # the same share for the quoted sentence alone
    similarity: float  # cosine of the question and the answer's passage under the dense encoder

    def inputs(self) -> tuple[float, ...]:
        """The logistic model's inputs, in `FEATURES` order: scaled and clipped to a few units each."""
        return (
            1.0,
            max(-8.0, min(12.0, self.margin)) / 4,
            self.probability,
            max(0.0, min(LEAD_CAP, self.lead)) / 4,
            float(self.first_passage),
            min(self.passages, 4) / 4,
            math.log1p(self.words),
            self.coverage,
            self.sentence_coverage,
            self.similarity,
        )


FEATURES = ("bias", *(f.name for f in fields(Evidence)))


@dataclass(frozen=True)
class Decision:
    """The fitted parameters of `confidence` and `decide`."""

    weights: tuple[float, ...]  # one per FEATURES
    abstain: float  # the model's span is given at this confidence or more
    rules_alone: float  # when the model abstains, the rules' span is given at this confidence or more
    rules_lead: float  # the rules' span wins when its confidence beats the model's by this much

    @classmethod
    def from_json(cls, data: dict) -> Decision:
        named = data.get("weights")
        if not isinstance(named, dict) or set(named) != set(FEATURES):
            raise ValueError(f"its features are not the engine's {FEATURES}")
        return cls(tuple(float(named[n]) for n in FEATURES), float(data["abstain"]), float(data["rules_alone"]), float(data["rules_lead"]))

    def to_json(self) -> dict:
        return {"weights": dict(zip(FEATURES, self.weights)), "abstain": self.abstain, "rules_alone": self.rules_alone, "rules_lead": self.rules_lead}


@dataclass(frozen=True)
class Shown:
    """The confidence an answer shows: the decision's probability recalibrated on held-out answers (Platt
    scaling: each validation set's answers under the parameters fitted without it), so that 0.7 means right
    about 70% of the time on questions unlike those the parameters were fitted on."""

    scale: float
    shift: float

    def of(self, confidence: float) -> float:
        c = min(max(confidence, 1e-6), 1 - 1e-6)
        z = self.scale * math.log(c / (1 - c)) + self.shift
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass(frozen=True)
class Levels:
    """Where front ends change how they show a confidence, from the held-out calibration in
    `bench/fit_decision.py` (each validation set's answers under parameters fitted without it)."""

    confident: float  # answers at this confidence or more were right at least 80% of the time: green
    low: float  # answers under this were wrong more often than right: "low confidence"

    def of(self, confidence: float) -> Literal["high", "medium", "low"]:
        """'high', 'medium' or 'low': what front ends colour and label."""
        if confidence >= self.confident:
            return "high"
        return "medium" if confidence >= self.low else "low"


@lru_cache(maxsize=1)
def _shipped() -> tuple[Decision, Shown, Levels]:
    """`reader/decision.json`, read once: the decision, the shown confidence's recalibration, the levels."""
    try:
        data = json.loads(DECISION_FILE.read_text(encoding="utf-8"))
        shown, marks = data["shown"], data["levels"]
        return (Decision.from_json(data), Shown(float(shown["scale"]), float(shown["shift"])),
                Levels(float(marks["confident"]), float(marks["low"])))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RuntimeError(f"{DECISION_FILE}: unusable decision parameters ({exc}); reinstall newsqa or run python -m bench.fit_decision --write") from exc


def fitted() -> Decision:
    """The shipped decision parameters."""
    return _shipped()[0]


def shown() -> Shown:
    """The shipped recalibration of the confidence answers show (`shown` in `reader/decision.json`)."""
    return _shipped()[1]


def levels() -> Levels:
    """The shipped confidence levels (`levels` in `reader/decision.json`)."""
    return _shipped()[2]


def confidence_level(confidence: float) -> Literal["high", "medium", "low"]:
    """How front ends show an answer's confidence: 'high' (green), 'medium' (amber) or 'low' (said so)."""
    return levels().of(confidence)


def confidence(evidence: Evidence, decision: Decision) -> float:
    """The probability that the neural reader's span is right."""
    z = math.fsum(w * x for w, x in zip(decision.weights, evidence.inputs()))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def decide(neural: float | None, rules: float | None, decision: Decision) -> Choice:
    """Which span to give: the model's at `abstain` or more unless the rules' is surer by `rules_lead`;
    the rules' alone at `rules_alone` or more; else none. `neural` and `rules` are the readers'
    confidences (None: that reader found no span)."""
    model_ok = neural is not None and neural >= decision.abstain
    if rules is not None and (
        (model_ok and rules > neural + decision.rules_lead)  # type: ignore[operator]
        or (not model_ok and rules >= decision.rules_alone)
    ):
        return "rules"
    return "neural" if model_ok else None


def as_row(evidence: Evidence) -> list[float]:
    """The evidence as a plain list (for caches of readings)."""
    return [float(x) for x in astuple(evidence)]
