"""Answers placed in time, corroborated or contradicted across articles, and Russian questions."""

from pathlib import Path

import pytest

from retrieval.engine import Engine
from retrieval.timeaware import resolve, time_notes
from datetime import date
from tests.helpers import write_article


def _md(title: str, day: str, body: str) -> str:
    return f"---\ntitle: {title}\ndate: {day}\n---\n\n{body}\n"


@pytest.mark.parametrize(
    ("phrase", "published", "meaning"),
    [
        ("this summer", "2024-11-11", "summer 2024"),
        ("last summer", "2024-07-15", "summer 2023"),
        ("last summer", "2024-11-11", "summer 2024"),
        ("next spring", "2024-11-11", "spring 2025"),
        ("this winter", "2024-11-11", "winter 2024/25"),
        ("this winter", "2025-01-20", "winter 2024/25"),
        ("last year", "2024-11-11", "2023"),
        ("next month", "2024-12-03", "2025-01"),
        ("on Tuesday", "2024-11-11", "2024-11-05"),  # a Monday: the Tuesday before
        # The article's own weekday is the day it was published, not a week before it.
        ("on Thursday", "2025-02-27", "2025-02-27"),  # a Thursday
        ("on Thursday", "2025-01-30", "2025-01-30"),
        ("on Monday", "2025-03-03", "2025-03-03"),
        ("last Thursday", "2025-02-27", "2025-02-20"),  # "last" still means the week before
        ("yesterday", "2024-03-01", "2024-02-29"),
        ("last week", "2024-11-13", "the week of 2024-11-04"),
        ("этим летом", "2024-11-11", "summer 2024"),
        ("в прошлом году", "2024-11-11", "2023"),
        ("вчера", "2024-11-11", "2024-11-10"),
    ],
)
def test_relative_dates_resolve_against_the_publication_date(phrase: str, published: str, meaning: str) -> None:
    assert resolve(phrase, date.fromisoformat(published)) == meaning


@pytest.mark.parametrize(
    ("sentence", "meanings"),
    [
        # 2025-01-20 is a Monday. A weekday in a clause about the future is the coming one...
        ("Vattenfall said most customers would have their electricity back by Tuesday.", ["2025-01-21"]),
        ("The bridge will reopen on Friday.", ["2025-01-24"]),
        # ... in a clause about the past, the one before; each clause decides for itself.
        ("Storm Elin swept across southern Sweden on Sunday night.", ["2025-01-19"]),
        ("The minister will travel to Kyiv on Monday, officials said on Friday.", ["2025-01-27", "2025-01-17"]),
        # ... and in Monday's article "on Monday" of the past is that Monday.
        ("Power went out across the region on Monday.", ["2025-01-20"]),
    ],
)
def test_a_weekday_is_resolved_by_the_tense_of_its_clause(sentence: str, meanings: list[str]) -> None:
    notes = time_notes(sentence, "2025-01-20")
    assert [n.split("i.e. ")[1].split(",")[0] for n in notes] == meanings


def test_time_notes_need_a_publication_date() -> None:
    sentence = "This summer, Putin mentioned that Biden had sent him a letter."
    assert time_notes(sentence, "2024-11-11") == ["this summer, i.e. summer 2024, per the article of 2024-11-11"]
    assert time_notes(sentence, None) == []


def test_answer_shows_what_a_relative_date_meant(tmp_path: Path, reader: str) -> None:
    write_article(tmp_path, "bridge.md", _md("Bridge opens", "2024-11-11", "This summer, the mayor opened the new bridge over the river.\n\nThe old ferry will stop next year."))
    answer = Engine.open(tmp_path).ask("When did the mayor open the new bridge?")
    assert answer.answer == "This summer" if reader == "rules" else "summer" in (answer.answer or "").lower()
    assert answer.time_notes == ["this summer, i.e. summer 2024, per the article of 2024-11-11"]
    assert "summer 2024" in (answer.note or "")


def test_articles_that_agree_are_cited_together_without_conflict(tmp_path: Path, reader: str) -> None:
    write_article(tmp_path, "a.md", _md("Dam report", "2024-03-01", "The new dam cost $40 million to build, the council said."))
    write_article(tmp_path, "b.md", _md("Dam opens", "2024-05-01", "Officials confirmed the dam cost $40 million to build."))
    answer = Engine.open(tmp_path).ask("How much did the dam cost to build?")
    assert answer.answer == "$40 million"
    assert {c.article_id for c in answer.citations} == {"a", "b"}
    assert answer.conflicts == []
    assert answer.note == "Reported by 2 articles."


def test_articles_that_disagree_are_both_shown(tmp_path: Path, reader: str) -> None:
    write_article(tmp_path, "a.md", _md("Dam report", "2024-03-01", "The new dam cost $40 million to build, the council said."))
    write_article(tmp_path, "b.md", _md("Dam audit", "2024-05-01", "Auditors found the new dam cost $55 million to build."))
    answer = Engine.open(tmp_path).ask("How much did the new dam cost to build?")
    assert answer.answer in ("$40 million", "$55 million")
    assert [a.answer for a in answer.conflicts] == [({"$40 million", "$55 million"} - {answer.answer}).pop()]
    other = answer.conflicts[0].citation
    assert other.passage_text[other.start : other.end] == answer.conflicts[0].answer
    assert other.article_id != answer.citations[0].article_id and other.published
    assert "disagree" in (answer.note or "") and "2024-03-01" in answer.note and "2024-05-01" in answer.note
    assert answer.confidence <= 0.6


def test_latest_question_prefers_the_latest_article_and_says_as_of(tmp_path: Path, reader: str) -> None:
    write_article(tmp_path, "jan.md", _md("Committee news", "2024-01-10", "The budget committee last met on January 5, 2024."))
    write_article(tmp_path, "jun.md", _md("Committee update", "2024-06-10", "The budget committee last met on June 3, 2024, officials said."))
    answer = Engine.open(tmp_path).ask("When did the budget committee last meet?")
    assert answer.answer == "June 3, 2024"
    assert answer.as_of == "2024-06-10"
    assert [a.answer for a in answer.conflicts] == ["January 5, 2024"]
    assert "As of 2024-06-10" in (answer.note or "")


RUSSIAN = """---
title: Переговоры в Хельсинки
date: 2024-11-11
---

Встреча президентов прошла в Хельсинки 16 июля 2018 года.

В переговорах участвовали 12 делегаций из разных стран.

Песков назвал сообщения о разговоре «чистым вымыслом».

Этим летом министр подписал соглашение о поставках газа.
"""


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Когда прошла встреча президентов?", "16 июля 2018 года"),
        ("Где прошла встреча президентов?", "Хельсинки"),
        ("Сколько делегаций участвовали в переговорах?", "12"),
        ("Что сказал Песков о сообщениях о разговоре?", "чистым вымыслом"),
    ],
)
def test_russian_questions_over_a_russian_article(tmp_path: Path, question: str, expected: str) -> None:
    write_article(tmp_path, "ru.md", RUSSIAN)
    assert Engine.open(tmp_path).ask(question).answer == expected


RUSSIAN_BRIEFING = """---
title: Песков опроверг сообщения о разговоре
date: 2024-11-11
---

МОСКВА, 11 ноября. Пресс-секретарь президента Дмитрий Песков опроверг сообщения западных СМИ о телефонном разговоре.

"Разговора не было", - заявил Песков журналистам в понедельник.
"""


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # A Russian reporting verb makes a say-question; the quotation is the answer.
        ("Что заявил Песков журналистам?", "Разговора не было"),
        # Russian weekdays are dates.
        ("Когда Песков заявил журналистам?", "в понедельник"),
        # The words before a name describe it, in Cyrillic too.
        ("Кто такой Дмитрий Песков?", "Пресс-секретарь президента"),
    ],
)
def test_russian_sayings_weekdays_and_definitions(tmp_path: Path, question: str, expected: str) -> None:
    write_article(tmp_path, "ru.md", RUSSIAN_BRIEFING)
    assert Engine.open(tmp_path).ask(question).answer == expected


def test_russian_relative_date_is_resolved(tmp_path: Path) -> None:
    write_article(tmp_path, "ru.md", RUSSIAN)
    answer = Engine.open(tmp_path).ask("Когда министр подписал соглашение о поставках газа?")
    assert answer.answer == "Этим летом"
    assert answer.time_notes == ["этим летом, i.e. summer 2024, per the article of 2024-11-11"]


def test_russian_question_about_something_absent_is_abstained(tmp_path: Path) -> None:
    write_article(tmp_path, "ru.md", RUSSIAN)
    answer = Engine.open(tmp_path).ask("Когда Путин говорил с Макроном?")
    assert answer.answer is None
