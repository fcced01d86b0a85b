"""A conversation stays on its story: follow-ups are read against the articles of the last answer
first, and leave them only for a question that names something else (`answer.run(focus=...)`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval.answer import leaves_topic
from retrieval.conversation import Conversation
from retrieval.engine import Engine, build_index
from retrieval.reader.question import analyze_question
from retrieval.rerank import query_expansions, query_terms, rank_passages, rank_within
from tests.helpers import write_article

HEATERS = """---
title: Calder Appliances recalls space heaters
published: 2026-03-02
---
KESTON, March 2. Calder Appliances is recalling 3,000 space heaters after reports of overheating.

The company's chief executive, Mara Quint, said customers would get a full refund.
"""
KETTLES = """---
title: Brindle Home recalls kettles
published: 2026-03-03
---
OLDMOOR, March 3. Brindle Home is recalling 9,000 kettles whose handles can crack.

Brindle Home chief executive Tobias Wren apologised. The chief executive said the recall would cost the company about 2 million euros.
"""


@pytest.fixture
def two_recalls(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    write_article(folder, "heaters.md", HEATERS)
    write_article(folder, "kettles.md", KETTLES)
    return folder


@pytest.fixture
def engine(two_recalls: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("NEWSQA_READER", "rules")  # the same answers on every machine
    return Engine.open(two_recalls)


def test_a_follow_up_is_answered_from_the_story_being_discussed(engine: Engine) -> None:
    question = "Who is the chief executive?"
    assert engine.ask(question).answer == "Tobias Wren"  # asked on its own: the article that says it twice
    conversation = Conversation()
    first = conversation.ask(engine.ask, "Which company is recalling space heaters?")
    assert first.answer == "Calder Appliances"
    assert conversation.topic == ("heaters",)
    follow_up = conversation.ask(engine.ask, question)
    assert follow_up.answer == "Mara Quint"
    assert follow_up.citations[0].article_id == "heaters"


def test_a_question_that_names_another_story_leaves_the_topic(engine: Engine) -> None:
    conversation = Conversation()
    conversation.ask(engine.ask, "Which company is recalling space heaters?")
    other = conversation.ask(engine.ask, "How much will the Brindle Home recall cost?")
    assert other.answer is not None and other.answer.endswith("2 million euros")
    assert conversation.topic == ("kettles",)  # the conversation follows it there


def test_leaving_is_decided_by_what_the_question_names(two_recalls: Path) -> None:
    index = build_index(two_recalls)

    def leaves(question: str) -> bool:
        q = analyze_question(question)
        expansions = query_expansions(q, index)
        return leaves_topic(index, q, expansions, ("heaters",), rank_passages(index, q, 8, expansions))

    assert leaves("What did Tobias Wren say?")  # a name the story never says, another article does
    assert leaves("how many kettles are being recalled")  # another article says far more of it
    assert not leaves("who is the chief executive")  # both say it: stay on the story
    assert not leaves("how many?")


def test_rank_within_scores_the_story_s_passages_as_bm25_does(two_recalls: Path) -> None:
    index = build_index(two_recalls)
    q = analyze_question("chief executive refund")
    terms = query_terms(q, {})
    rows = index.article_rows("heaters")
    assert [index.passages[r].article_id for r in rows] == ["heaters"] * len(rows)
    np.testing.assert_allclose(index.bm25.scores_between(terms, rows.start, rows.stop), index.bm25.get_scores(terms)[rows.start : rows.stop])
    hits = rank_within(index, q, ["heaters"], 8, {})
    assert {p.article_id for p, _ in hits} == {"heaters"} and len(hits) == len(rows)
    assert "refund" in hits[0][0].text
    assert rank_within(index, q, ["no-such-article"], 8, {}) == []


def test_a_question_about_no_one_yet_asks_who_is_meant(engine: Engine) -> None:
    asked: list[str] = []
    conversation = Conversation()
    reply = conversation.ask(lambda q, focus: asked.append(q) or engine.ask(q, focus), "what did he say about it")
    assert reply.answer is None and not asked  # never answered from whichever article comes closest
    assert 'who "he" is' in (reply.note or "")
    # Once the story is named, the same kind of question is a follow-up like any other.
    conversation.ask(engine.ask, "Which company is recalling space heaters?")
    assert conversation.unfounded("what did she say") is None
