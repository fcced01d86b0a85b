"""Answer selection on the XQuAD English dev paragraphs as one open corpus (tests/data/xquad, CC BY-SA 4.0).

Each case is a question the engine once answered from the wrong sentence or with the wrong span; the
rule that fixed it is named beside it. The corpus is large enough for the idf weights to matter,
which a one-paragraph fixture cannot show.
"""

import pytest

from retrieval.answer import answer_question
from retrieval.evaluate import load_eval_file
from retrieval.index import CorpusIndex
from tests.helpers import REPO

# These test the rule reader; tests/test_reader.py tests the neural one.
pytestmark = pytest.mark.usefixtures("rules_reader")

XQUAD_DEV = REPO / "tests" / "data" / "xquad" / "xquad.en.dev.json"


@pytest.fixture(scope="module")
def index() -> CorpusIndex:
    dataset = load_eval_file(XQUAD_DEV)
    return CorpusIndex.build(dataset.articles or [], dataset.passages or [])


@pytest.mark.parametrize(
    ("question", "expected", "in_sentence"),
    [
        # The sentence after the one that sets up the question's words.
        ("What is the proprietary system that Sky+HD uses?", "OpenTV", "proprietary OpenTV system"),
        # A name glossed by a bracket that holds the question's words; not the gloss itself.
        ("What did the LMP acronym stand for regarding the Block II launch positions?", "Lunar Module Pilot", "(LMP)"),
        ("What is another name for the Yosemite Freeway?", "State Route 41", "(Yosemite Freeway"),
        # What follows "called / known as / referred to as" for a question about a name.
        ("What is the nickname for ABC's logo from the 2000 campaign?", "the dot", "the dot"),
        ("What is the nickname for the \"Millennial Northern Hemisphere temperature reconstruction\" graph?", "hockey stick graph", "hockey stick"),
        # Not "Academy Award [winner]" (a name modifying a noun) nor "American Sign Language (ASL)" (the
        # question's own words under their acronym).
        ("Who did the sign language of the National Anthem at Super Bowl 50?", "Marlee Matlin", "Marlee Matlin provided"),
    ],
)
def test_xquad_answers(index: CorpusIndex, question: str, expected: str, in_sentence: str) -> None:
    answer = answer_question(index, question, "rules")
    assert answer.answer == expected
    assert answer.sentence is not None and in_sentence in answer.sentence
