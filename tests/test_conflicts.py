"""Articles that say the same in other words are no disagreement; articles that differ still are."""

from __future__ import annotations

import pytest

from retrieval.assemble import same_answer
from retrieval.engine import Engine
from tests.helpers import SEEDS


@pytest.mark.parametrize(("a", "b", "same"), [
    ("more than an hour", "over an hour", True),
    ("over one hour", "more than an hour", True),
    ("about 1,200", "around 1,200", True),
    ("fewer than 40", "under 40", True),
    ("over an hour", "two hours", False),
    ("about 1,200", "about 1,300", False),
    ("more than 40", "fewer than 40", False),
])
def test_qualifiers_of_a_quantity_are_read_alike(a: str, b: str, same: bool) -> None:
    assert same_answer(a, b) is same


def test_the_length_of_the_call_is_no_disagreement() -> None:
    answer = Engine.open(SEEDS).ask("how long did biden and putin talk on the phone")
    assert answer.answer is not None and "hour" in answer.answer
    assert not answer.conflicts and "disagree" not in (answer.note or "")
