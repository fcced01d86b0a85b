import pytest

from retrieval.tokens import TOKENIZER_ID, iter_tokens, tokenize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Putin–Biden call", ["putin", "biden", "call"]),  # en dash splits
        ("Putin—Biden", ["putin", "biden"]),  # em dash splits
        ("Putin-Trump", ["putin", "trump"]),
        ("call calls called calling", ["call", "call", "call", "call"]),
        ("He said, she says", ["say", "say"]),  # irregular past tense meets its base form
        ("the talks were held", ["talk", "hold"]),  # stop words out
        ("KREMLIN Kremlin kremlin", ["kremlin", "kremlin", "kremlin"]),  # case-folded
        ("Ｋｒｅｍｌｉｎ", ["kremlin"]),  # full-width letters are NFKC-normalised
        ("the US and us", ["us", "us"]),
        ("Kremlin’s website", ["kremlin", "websit"]),  # the apostrophe's "s" is not a word
        ("February 12, 2022", ["februari", "12", "2022"]),
        ("Путин позвонил Байдену", ["путин", "позвон", "байден"]),  # Russian stemmer for Cyrillic
        ("и в не Путин", ["путин"]),  # Russian stop words
        ("?!… 🙂", []),
    ],
)
def test_tokenize(text: str, expected: list[str]) -> None:
    assert tokenize(text) == expected


def test_spans_point_at_the_words() -> None:
    text = "Putin last held a phone call."
    spans = [(text[t.start : t.end], t.term, t.stop) for t in iter_tokens(text)]
    assert spans == [
        ("Putin", "putin", False), ("last", "last", False), ("held", "hold", False),
        ("a", "a", True), ("phone", "phone", False), ("call", "call", False),
    ]


def test_tokenizer_id_names_the_version() -> None:
    assert TOKENIZER_ID.startswith("newsqa-snowball/")
