"""The 'Show passages' button carries its passages in its custom_id, so it survives restarts."""

from __future__ import annotations

import asyncio
import re

import pytest

from bot.views import (
    CUSTOM_ID_LIMIT, PASSAGES_GONE, PassagesView, ShowPassagesButton, parse_passages_custom_id, passages_custom_id,
    passages_view,
)
from retrieval.engine import Engine
from retrieval.models import Answer, Citation
from tests.helpers import write_article


def cite(pid: str, text: str = "Putin last held a call on February 12, 2022.", start: int = 26, end: int = 43) -> Citation:
    return Citation(article_id=pid.rpartition("#")[0], title="T", passage_id=pid, paragraph=int(pid.rpartition("#")[2]),
                    passage_text=text, start=start, end=end, score=1.0)


def test_the_custom_id_round_trips_and_stays_within_discords_limit() -> None:
    answer = Answer(question="q", answer="February 12, 2022", citations=[cite("kremlin#11"), cite("peskov-denies#6")])
    custom_id = passages_custom_id(answer)
    assert custom_id is not None and len(custom_id) <= CUSTOM_ID_LIMIT
    marked, refs = parse_passages_custom_id(custom_id)
    assert marked
    assert [(pid, start, end) for pid, start, end, _ in refs] == [("kremlin#11", 26, 43), ("peskov-denies#6", 26, 43)]
    # The button's template routes exactly these ids to it.
    assert re.fullmatch(ShowPassagesButton.__discord_ui_compiled_template__, custom_id)


def test_ids_with_separators_and_non_ascii_survive_and_extra_passages_are_dropped_to_fit() -> None:
    odd = "a,b:1#2 — Путин|x#3"
    answer = Answer(question="q", answer="x", citations=[cite(odd)] + [cite(f"{'long' * 8}-{i}#1") for i in range(5)])
    custom_id = passages_custom_id(answer)
    assert len(custom_id) <= CUSTOM_ID_LIMIT
    marked, refs = parse_passages_custom_id(custom_id)
    assert refs[0][0] == odd
    assert 1 <= len(refs) < 6


def test_hints_are_shown_unmarked_and_a_too_long_first_id_falls_back_to_a_view_in_memory() -> None:
    hints = Answer(question="q", note="Not found", hints=[cite("a#1")])
    marked, refs = parse_passages_custom_id(passages_custom_id(hints))
    assert not marked and refs[0][1:3] == (0, 0)
    long_id = Answer(question="q", answer="x", citations=[cite("x" * 120 + "#1")])
    assert passages_custom_id(long_id) is None
    view = asyncio.run(_make_view(long_id))
    assert isinstance(view, PassagesView)
    assert asyncio.run(_make_view(Answer(question="q", note="no passages"))) is None


async def _make_view(answer: Answer):
    return passages_view(answer, timeout=60)


@pytest.mark.parametrize("custom_id", [
    "newsqa:passages:", "newsqa:passages:x1,2,abcd,1:a", "newsqa:passages:a1,2,abcd,9:a", "newsqa:passages:a1,2,zzzz,1:a",
    "other:a1,2,abcd,1:a", "newsqa:passages:a1,2,abcd,1:aJUNK",
])
def test_foreign_or_damaged_custom_ids_are_refused(custom_id: str) -> None:
    assert parse_passages_custom_id(custom_id) is None


def test_the_button_looks_its_passages_up_in_the_index_as_it_is_now(tmp_path) -> None:
    corpus = tmp_path / "corpus"
    write_article(corpus, "ferry.txt", "Title: Ferry\n\nThe ferry to Tallinn first sailed on 3 May 1998 from the old port.\n")
    engine = Engine.open(corpus, tmp_path / "index")
    answer = engine.ask("When did the ferry to Tallinn first sail?")
    assert answer.answer == "3 May 1998"
    button = asyncio.run(_make_button(passages_custom_id(answer)))
    [embed] = button.embeds(engine)
    assert "on **3 May 1998** from" in embed.description
    # The paragraph changes: the old offsets would mark the wrong words, so the button says so.
    write_article(corpus, "ferry.txt", "Title: Ferry\n\nThe ferry to Helsinki now leaves at one o'clock.\n")
    engine.reindex()
    [embed] = button.embeds(engine)
    assert embed.description == PASSAGES_GONE


async def _make_button(custom_id: str) -> ShowPassagesButton:
    return ShowPassagesButton(custom_id)
