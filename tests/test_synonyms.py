"""WordNet synonyms: the reader, the question's synonym map, and a sentence chosen by a synonym."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest

from retrieval import synonyms as wn
from retrieval.answer import analyze_question
from retrieval.reader.question import question_synonyms
from retrieval.engine import Engine
from tests.helpers import write_article

# Synonyms serve the rule reader: its answers are what these tests check.
pytestmark = pytest.mark.usefixtures("rules_reader")


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
    """newsqa ships the WordNet 3.0 files it reads: no download, no system package."""
    assert wn.default_dir() is not None and wn.wordnet() is not None
    assert wn.wordnet().root == wn.default_dir()
    assert (wn.default_dir() / "LICENSE").read_text(encoding="utf-8").startswith("WordNet Release 3.0")


def test_every_shipped_wordnet_file_matches_its_checksum() -> None:
    root = wn.default_dir()
    sums = dict(reversed(line.split("  ")) for line in (root / "SHA256SUMS").read_text(encoding="ascii").splitlines())
    assert sorted(sums) == sorted(p.name for p in root.glob("*.gz")) and len(sums) == 12
    bad = [name for name, digest in sums.items() if hashlib.sha256((root / name).read_bytes()).hexdigest() != digest]
    assert bad == []


def test_plain_and_compressed_files_and_crlf_line_ends_read_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A NEWSQA_WORDNET_DIR of plain files (Debian's have LF ends, others CRLF) answers as the shipped ones do."""
    root = wn.default_dir()
    for packed in root.glob("*.gz"):
        (tmp_path / packed.stem).write_bytes(gzip.decompress(packed.read_bytes()).replace(b"\n", b"\r\n"))
    words = ("led", "performed", "drove", "call", "build")
    shipped = {word: wn.synonyms(word, "v") for word in words} | {w: wn.pertainyms(w) for w in ("Finland", "French")}
    monkeypatch.setenv("NEWSQA_WORDNET_DIR", str(tmp_path))
    wn.reset()
    try:
        assert wn.wordnet().root == tmp_path
        assert {word: wn.synonyms(word, "v") for word in words} | {w: wn.pertainyms(w) for w in ("Finland", "French")} == shipped
    finally:
        monkeypatch.delenv("NEWSQA_WORDNET_DIR")
        wn.reset()


def test_the_sentence_with_the_questions_verb_as_a_synonym_is_quoted(tmp_path: Path) -> None:
    write_article(tmp_path, "council.txt", _COUNCIL)
    answer = Engine.open(tmp_path).ask("When did the council build the new dam?")
    assert answer.answer == "1995"
    assert answer.sentence == "The council constructed the new dam in 1995 after a long dispute."


def test_without_wordnet_there_are_no_synonyms_and_no_error(tmp_path: Path, no_wordnet: None) -> None:
    assert wn.wordnet() is None
    assert wn.synonyms("led", "v") == ()
    assert question_synonyms(analyze_question("When did the council build the new dam?")) == {}
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
