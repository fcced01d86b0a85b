"""The confidence model: its shipped weights load, a bad weights file says what to do, and the numbers order answers sensibly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval import confidence
from retrieval.engine import Engine
from retrieval.reader.question import DATE, SAY, THING

# These test the rule reader; tests/test_reader.py tests the neural one.
pytestmark = pytest.mark.usefixtures("rules_reader")


@pytest.fixture
def weights_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    path = tmp_path / "confidence_weights.json"
    monkeypatch.setattr(confidence, "WEIGHTS_FILE", path)
    confidence.weights.cache_clear()
    yield path
    confidence.weights.cache_clear()


def test_the_shipped_weights_name_every_feature_and_say_how_they_were_fitted() -> None:
    data = json.loads(confidence.WEIGHTS_FILE.read_text(encoding="utf-8"))
    assert list(data["weights"]) == list(confidence.FEATURES)
    assert data["fitted_by"].endswith("bench.calibrate --write")
    assert len(confidence.weights()) == len(confidence.FEATURES)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("{not json", "unreadable confidence weights"),
        (json.dumps({"weights": {"bias": 1.0}}), "its features are not the engine's"),
        (json.dumps({"weights": dict.fromkeys(confidence.FEATURES, "1")}), "its features are not the engine's"),
    ],
)
def test_a_bad_weights_file_is_named_with_what_to_do(weights_file: Path, content: str, says: str) -> None:
    weights_file.write_text(content, encoding="utf-8")
    with pytest.raises(RuntimeError, match=says) as err:
        confidence.weights()
    assert str(weights_file) in str(err.value) and "bench/calibrate.py" in str(err.value)


def _p(**changes: object) -> float:
    base = {
        "kind": THING, "coverage": 0.8, "typed": True, "margin": 0.2, "first_passage": True, "passages": 0,
        "answer": "the national anthem",
    }
    base.update(changes)
    return confidence.probability(confidence.features(**base))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("weaker", "stronger"),
    [
        ({"coverage": 0.45}, {"coverage": 0.95}),  # the sentence says less of the question
        ({"coverage": 0.45, "typed": False}, {"coverage": 0.95, "typed": False}),  # a quoted sentence too
        ({"first_passage": False}, {"first_passage": True}),  # from a lower-ranked passage
        ({"passages": 0}, {"passages": 3}),  # no other passage states it
        ({"kind": SAY}, {"kind": DATE}),  # a saying is rarely quoted exactly; a date often is
    ],
)
def test_confidence_falls_with_the_evidence(weaker: dict, stronger: dict) -> None:
    assert 0.0 < _p(**weaker) < _p(**stronger) < 1.0


def test_a_right_dated_answer_is_more_confident_than_a_quoted_sentence(seed_corpus: Path, tmp_path: Path) -> None:
    engine = Engine.open(seed_corpus, tmp_path / "idx")
    dated = engine.ask("When was the last Putin-Biden call?")
    yes_no = engine.ask("Did Putin and Trump talk after the election?")
    assert dated.answer == "February 12, 2022"
    assert yes_no.answer == yes_no.sentence
    assert dated.confidence > yes_no.confidence
