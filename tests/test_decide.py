"""`decide`: one pure function of the readers' confidences and the fitted parameters."""

from __future__ import annotations

import json

import pytest

from retrieval.decide import DECISION_FILE, FEATURES, Decision, Evidence, Shown, confidence, decide, fitted, levels

D = Decision(weights=(0.0,) * len(FEATURES), abstain=0.3, rules_alone=0.75, rules_lead=0.2)


@pytest.mark.parametrize(
    ("neural", "rules", "chosen"),
    [
        (0.9, None, "neural"),  # the model alone, sure enough
        (0.29, None, None),  # not sure enough, and no rules span
        (None, None, None),  # no span at all
        (0.5, 0.69, "neural"),  # the rules are surer, not by rules_lead
        (0.5, 0.71, "rules"),  # surer by more than rules_lead
        (0.1, 0.74, None),  # the model abstains; the rules are not rules_alone sure
        (0.1, 0.75, "rules"),
        (None, 0.8, "rules"),
    ],
)
def test_decide_chooses_by_confidence_alone(neural: float | None, rules: float | None, chosen: str | None) -> None:
    assert decide(neural, rules, D) == chosen


def test_confidence_grows_with_the_evidence_the_shipped_weights_trust() -> None:
    d = fitted()
    weak = Evidence(margin=-4.0, probability=0.05, lead=0.0, first_passage=False, passages=0, words=3, coverage=0.2,
                    sentence_coverage=0.1, similarity=0.1)
    strong = Evidence(margin=8.0, probability=0.9, lead=8.0, first_passage=True, passages=1, words=2, coverage=1.0,
                      sentence_coverage=1.0, similarity=0.7)
    assert 0.0 < confidence(weak, d) < d.abstain < confidence(strong, d) < 1.0


def test_the_shipped_parameters_name_every_feature_and_round_trip() -> None:
    data = json.loads(DECISION_FILE.read_text(encoding="utf-8"))
    assert set(data["weights"]) == set(FEATURES)
    assert Decision.from_json(Decision.from_json(data).to_json()) == fitted()
    with pytest.raises(ValueError, match="features"):
        Decision.from_json({**data, "weights": {k: v for k, v in data["weights"].items() if k != "similarity"}})


def test_the_shipped_confidence_levels_are_ordered_and_split_answers_into_three() -> None:
    shipped = levels()
    assert 0.0 < shipped.low < shipped.confident < 1.0
    assert [shipped.of(c) for c in (shipped.confident, shipped.confident - 0.01, shipped.low, shipped.low - 0.01)] == [
        "high", "medium", "medium", "low"]


def test_levels_are_read_off_held_out_answers() -> None:
    from bench.fit_decision import calibration

    # 40 answers at 0.92 (36 right), 40 at 0.55 (22 right), 40 at 0.25 (8 right); shown as they are.
    given = [(0.92, i < 36, 1.0) for i in range(40)] + [(0.55, i < 22, 1.0) for i in range(40)] + [(0.25, i < 8, 1.0) for i in range(40)]
    result = calibration(given, Shown(scale=1.0, shift=0.0))
    assert result["levels"] == {"confident": 0.6, "low": 0.35}  # right 90% at 0.6 and above; the band under 0.35 20%
    assert result["right_at_confident_or_more"] == {"answers": 40, "right": 90.0}
    assert result["right_between"] == {"answers": 40, "right": 55.0}
    assert result["right_under_low"] == {"answers": 40, "right": 20.0}
    assert [b["answers"] for b in result["bands"]] == [0, 0, 40, 0, 0, 40, 0, 0, 0, 40]


def test_the_shown_confidence_is_recalibrated_on_held_out_answers() -> None:
    from bench.fit_decision import fit_shown

    # Answers the model puts at 0.8 that are right half the time: shown at about 0.5.
    given = [(0.8, i % 2 == 0, 1.0) for i in range(200)] + [(0.2, i % 10 == 0, 1.0) for i in range(200)]
    shown_now = fit_shown(given)
    assert abs(shown_now.of(0.8) - 0.5) < 0.01 and abs(shown_now.of(0.2) - 0.1) < 0.01
    assert Shown(1.0, 0.0).of(0.37) == pytest.approx(0.37)
