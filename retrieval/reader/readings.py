"""The neural reader's spans over the retrieved passages: tidied, ranked with retrieval's score, chosen.

`NeuralReader.read` gives each passage's best span and its no-answer margin; here the spans of the
passages are weighed against each other and against "not here", as the settings below say.
"""

from __future__ import annotations

import re
from dataclasses import replace

from retrieval.decide import LEAD_CAP
from retrieval.index import CorpusIndex
from retrieval.models import Passage
from retrieval.reader.choice import Choice, normalize, sentence_around
from retrieval.reader.neural import NeuralReader, Reading
from retrieval.reader.lexicon import CURRENCY_WORDS
from retrieval.reader.question import NUMBER, PERSON, PLACE, Question
from retrieval.tokens import _word_term

# The neural reader reads the best READ_PASSAGES passages; a span's score is its start + end logit plus
# RETRIEVAL_WEIGHT times its passage's retrieval score over the best one's. Whether the best span is
# given is `retrieval.decide`'s to say. A span "answers" its passage, for conflicts and recency, when it
# beats [CLS] by NULL_MARGIN. Tuned on the new-Wikipedia validation articles by the earlier
# `bench/tune_reader.py` (its grids: bench/results/reader_tuning.json).
READ_PASSAGES = 5
RETRIEVAL_WEIGHT = 16.0
NULL_MARGIN = 1.5
# Another article's different date or number is shown as a conflict when the reader scores it within
# this many logits of the answer (odds within a factor e²). Not tuned: there is no conflict data set.
CONFLICT_LOGITS = 2.0
# For "last / latest" questions the latest article's answer wins when the reader scores it within this
# many logits of the best (the rules' RECENCY_MARGIN in reader units). Not tuned, as CONFLICT_LOGITS.
RECENCY_LOGITS = 3.0
NO_SPAN = "Not found in the articles: no passage answers the question."
UNCOVERED = "Not found in the articles: no passage covers the question's key terms."
UNSURE = "Not found in the articles: the best passage is unlikely to answer the question."

Ranked = tuple[float, Reading, Passage, float]  # combined score, reading, its passage, the passage's retrieval score


def read_passages(
    model: NeuralReader, question: str, q: Question, index: CorpusIndex, hits: list[tuple[Passage, float]], expansions: dict[str, str]
) -> tuple[list[Ranked], str | None]:
    """The reader's spans in the best READ_PASSAGES passages, the answer first; or none and why not."""
    read = hits[:READ_PASSAGES]
    found = rank_readings(read, model.read(question, [p.text for p, _ in read]), q)
    if not found:
        return [], NO_SPAN
    if q.recency:
        # "When did they last meet?": the latest article's statement, among those the reader rates close.
        close = found[:1] + [f for f in found[1:] if f[0] >= found[0][0] - RECENCY_LOGITS and f[1].margin >= NULL_MARGIN]
        latest = max(close, key=lambda f: index.articles[f[2].article_id].published or "")
        found.remove(latest)
        found.insert(0, latest)
    return found, None


def lead(found: list[Ranked]) -> float:
    """How many logits the answer leads the best span that says something else (LEAD_CAP when none does)."""
    combined, top, passage, _ = found[0]
    said = normalize(passage.text[top.start : top.end])
    runner_up = next((c for c, r, p, _ in found[1:] if normalize(p.text[r.start : r.end]) != said), None)
    return combined - runner_up if runner_up is not None else LEAD_CAP


def close_choices(found: list[Ranked]) -> list[Choice]:
    """The answer and the other passages' spans the reader rates within CONFLICT_LOGITS of it, as equal
    choices (the answer first) for `assemble.add_conflicts`."""
    combined, top = found[0][0], found[0][1]
    return [
        Choice(p, s, sentence_around(p.text, r.start, r.end), (r.start, r.end), 1.0, 1.0, True)
        for c, r, p, s in found
        if r is top or (r.margin >= NULL_MARGIN and c >= combined - CONFLICT_LOGITS)
    ]


def tidy_span(text: str, start: int, end: int, q: Question) -> tuple[int, int]:
    """The reader's span with what its WordPiece tokens cut off or added: the currency sign before an
    amount ("$55 million") or its word after ("42 million dollars"), the description before a name a
    who or where question asks for ("chief executive Dagny Ferrow": `_name_of`), the last period of an abbreviation ("11 p.m."), and the noun a how-many
    question counts ("300", not "300 passengers": SQuAD's answers are the number)."""
    if start > 0 and text[start - 1] in "$€£¥₽" and text[start : start + 1].isdigit():
        start -= 1
    after = re.match(r"\s+([^\W\d_]+)", text[end:])
    if after and after.group(1).lower() in CURRENCY_WORDS and re.search(r"(\d|million|billion|thousand|trillion)$", text[start:end]):
        end += after.end()  # "42 million" + "dollars": the amount is all of it
    if end < len(text) and text[end] == "." and re.search(r"[^\W\d]\.[^\W\d]{1,3}$", text[start:end]):
        end += 1
    if q.kind in (PERSON, PLACE):
        start = _name_of(text, start, end)
    if q.kind == NUMBER and q.head:
        words = list(re.finditer(r"\S+", text[start:end]))
        if len(words) >= 2 and any(ch.isdigit() for ch in words[-2].group()) and _word_term(words[-1].group().strip(".,;:"))[0] == q.head:
            end = start + words[-2].end()
    return start, end


def _name_of(text: str, start: int, end: int) -> int:
    """Where the name at the end of a who/where span starts, when a lower-case description stands before
    it: "chief executive Dagny Ferrow" -> "Dagny Ferrow", "the Finnish capital of Helsinki" -> "Helsinki".
    A span that starts with a capital ("Marguerite Osei of the Civic Alliance") is left as it is."""
    words = list(re.finditer(r"\S+", text[start:end]))
    if len(words) < 2 or not words[0].group()[:1].islower():
        return start
    k = len(words)
    while k > 0 and words[k - 1].group()[:1].isupper():
        k -= 1
    if k == 0 or k == len(words) or k > 4 or not words[k - 1].group()[:1].islower():
        return start
    if any(w.group().endswith(",") or w.group() in ("and", "or") for w in words[:k]):
        return start  # a list ("the town library, ... and the school in Crossley"): all of it is the answer
    return start + words[k].start()


def rank_readings(
    hits: list[tuple[Passage, float]], readings: list[Reading | None], q: Question, retrieval_weight: float | None = None
) -> list[tuple[float, Reading, Passage, float]]:
    """(combined score, reading, passage, retrieval score) for the passages with a span, best first:
    the span's logits plus `retrieval_weight` times its passage's retrieval score over the best one's.
    Spans are tidied (`tidy_span`)."""
    weight = RETRIEVAL_WEIGHT if retrieval_weight is None else retrieval_weight
    best = hits[0][1] if hits and hits[0][1] > 0 else 1.0
    found = []
    for (passage, score), r in zip(hits, readings):
        if r is None:
            continue
        start, end = tidy_span(passage.text, r.start, r.end, q)
        if passage.text[start:end].strip():
            found.append((r.score + weight * score / best, replace(r, start=start, end=end), passage, score))
    found.sort(key=lambda f: -f[0])
    return found
