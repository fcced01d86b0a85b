"""`decide`: one pure function of the readers' confidences and the fitted parameters."""

from __future__ import annotations

import json

import pytest

from retrieval.decide import DECISION_FILE, FEATURES, Decision, Evidence, confidence, decide, fitted

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
