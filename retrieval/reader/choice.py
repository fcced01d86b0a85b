"""What a reader chooses: a span (or a whole sentence) of a passage, with the scores it was chosen by."""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.models import Passage
from retrieval.sentences import split_sentences


@dataclass
class Choice:
    """A reader's candidate answer: `passage.text[span]`, quoted with `passage.text[sent]` (the whole
    sentence when `span` is None), its reader's `score`, and the share of the question it covers."""

    passage: Passage
    passage_score: float
    sent: tuple[int, int]
    span: tuple[int, int] | None
    score: float
    coverage: float
    typed: bool


def normalize(text: str) -> str:
    """Lower case, punctuation as spaces, spacing folded: two answers "say the same" when these are equal."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence, or run of sentences, that holds `text[start:end]`."""
    sentences = split_sentences(text) or [(0, len(text))]
    lo = next((a for a, b in reversed(sentences) if a <= start), 0)
    hi = next((b for a, b in sentences if b >= end), len(text))
    return lo, max(hi, end)
