"""Extractive answers, in four steps: analyse the question, retrieve passages, read them, assemble the answer.

The answer is always a slice of a passage. Two readers read: the shipped neural model
(`reader.neural`, its spans weighed in `reader.readings`) and the hand-written span rules
(`reader.rules`); by default both do and the answer with the higher calibrated confidence is given.
Abstention is decided from what the question and the passages share (its names, its weighted key
terms) and from the model's no-answer score, never from a raw BM25 score.
"""

from __future__ import annotations

import os
import re
import sys

from retrieval.assemble import CONFLICT_KINDS, add_conflicts, assemble_answer, not_found
from retrieval.confidence import features as confidence_features, probability, reader_features, reader_weights
from retrieval.index import CorpusIndex
from retrieval.models import Answer, Passage
from retrieval.reader.choice import sentence_around
from retrieval.reader.neural import NeuralReader, ReaderUnavailable, shipped_reader
from retrieval.reader.question import Question, analyze_question
from retrieval.reader.coverage import text_coverage
from retrieval.reader.readings import READER_ABSTAIN, UNSURE, close_choices, lead, read_passages
from retrieval.reader.rules import read_with_rules
from retrieval.rerank import query_expansions, rank_passages

__all__ = ["analyze_question", "answer_question", "answer_with_features", "choose_reader", "reader_name"]

TOP_PASSAGES = 8  # passages retrieved for the readers (the neural reader reads the first READ_PASSAGES)
NEURAL, RULES, BOTH = "neural", "rules", "both"
READERS = (NEURAL, RULES, BOTH)
DEFAULT_READER = BOTH  # best on the held-out validation articles: bench/READER.md
# With both readers the rules' answer is given when its confidence beats the model's by RULES_LEAD, or
# when the model abstains and it is at least RULES_ALONE sure. Chosen on the new-Wikipedia validation
# articles by `python -m bench.tune_reader` (SQuAD 2.0 F1 over answerable and unanswerable copies).
RULES_ALONE = 0.75
RULES_LEAD = 0.3
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_unavailable: list[str] = []  # why the shipped model could not be loaded, once per process

Features = tuple[float, ...] | None  # the confidence model's inputs (None when there is no answer)


def answer_question(index: CorpusIndex, question: str, reader: str | None = None, within: list[Passage] | None = None) -> Answer:
    """Answer one question from the index: a span of a passage with citations, or a reasoned None.

    `reader` is "both" (the default: each reader answers and `_combine` chooses), "neural"
    (the shipped model alone) or "rules" (the hand-written span rules alone).
    `within`: read only these passages instead of the ones retrieval finds (a gold paragraph, say).
    """
    return answer_with_features(index, question, reader, within)[0]


def answer_with_features(
    index: CorpusIndex, question: str, reader: str | None = None, within: list[Passage] | None = None
) -> tuple[Answer, Features]:
    """The answer, and the confidence model's inputs it was given (None when there is no answer)."""
    # 1. Analyse: the question's key terms, names and expected answer type.
    q = analyze_question(question)
    if not q.terms:
        return Answer(question=question, note="The question has no words to look up; ask about something the articles cover."), None
    if not index.passages:
        return Answer(question=question, note="There are no articles to search."), None
    # 2. Retrieve: BM25 and the re-ranker, with the corpus's own names for the question's words.
    expansions = query_expansions(q, index)
    hits = [(p, 1.0) for p in within] if within is not None else rank_passages(index, q, TOP_PASSAGES, expansions)
    if not hits:
        return Answer(question=question, note="Not found in the articles: none of them mentions these words."), None
    missing = [t for t in q.proper if index.bm25.doc_freq(t) == 0 and t not in expansions.values()]
    if missing:
        names = ", ".join(sorted(_surface(q, t) for t in missing))
        return not_found(question, hits, index, f"Not found in the articles: they never mention {names}."), None
    # 3 and 4. Read, and assemble each reader's answer; with both readers, see `_combine`.
    name = reader_name(reader)
    model = choose_reader(name, question)
    if model is None:
        return _rules_answer(question, q, index, hits, expansions)
    neural = _model_answer(model, question, q, index, hits, expansions)
    if name != BOTH:
        return neural
    return _combine(neural, _rules_answer(question, q, index, hits, expansions))


def _combine(neural: tuple[Answer, Features], rules: tuple[Answer, Features]) -> tuple[Answer, Features]:
    """The model's answer unless the rules' is more confident by RULES_LEAD; when one reader abstains, the
    other's answer (the rules' only when at least RULES_ALONE sure); when both do, the rules' reason."""
    n, r = neural[0], rules[0]
    if not r.found:
        return neural if n.found else rules
    if not n.found:
        return rules if r.confidence >= RULES_ALONE else neural
    return rules if r.confidence > n.confidence + RULES_LEAD else neural


def reader_name(reader: str | None) -> str:
    """The reader asked for: `reader`, else the NEWSQA_READER environment variable, else DEFAULT_READER."""
    if reader is None:
        reader = os.environ.get("NEWSQA_READER", "").strip().lower() or DEFAULT_READER
    if reader not in READERS:
        raise ValueError(f"unknown reader {reader!r}: use one of {', '.join(READERS)}")
    return reader


def choose_reader(reader: str | None, question: str) -> NeuralReader | None:
    """The model to read with, or None for the rules alone: when asked for them, for a Russian question
    (the encoder is English-only), or when the shipped model cannot be loaded (said once on stderr)."""
    reader = reader_name(reader)
    if reader == RULES or _CYRILLIC.search(question):
        return None
    if _unavailable:
        return None
    try:
        return shipped_reader()
    except (ReaderUnavailable, ImportError) as exc:
        _unavailable.append(str(exc))
        print(f"newsqa: the neural reader is unavailable, answering with the rules: {exc}", file=sys.stderr)
        return None


def _rules_answer(
    question: str, q: Question, index: CorpusIndex, hits: list[tuple[Passage, float]], expansions: dict[str, str]
) -> tuple[Answer, Features]:
    """The rule reader's answer, with the rules' confidence model."""
    reading = read_with_rules(q, index, hits, expansions)
    if reading is None:
        return not_found(question, hits, index, "Not found in the articles: no passage covers the question's key terms."), None
    top = reading.top
    answer = assemble_answer(question, q, index, top.passage, top.sent, top.span, top.passage_score, hits)
    features = confidence_features(
        q.kind, top.coverage, top.typed, reading.margin, top.passage.id == hits[0][0].id, len(answer.citations) - 1, answer.answer or ""
    )
    confidence = probability(features)
    answer.confidence = round(confidence if top.span is not None else min(confidence, 0.5), 3)
    if q.kind in CONFLICT_KINDS and top.span is not None:
        add_conflicts(answer, index, top, reading.covering)
    return answer, features


def _model_answer(
    model: NeuralReader, question: str, q: Question, index: CorpusIndex, hits: list[tuple[Passage, float]], expansions: dict[str, str]
) -> tuple[Answer, Features]:
    """The neural reader's answer: the best span in the retrieved passages, its score combined with retrieval's."""
    found, coverage, why_not = read_passages(model, question, q, index, hits, expansions)
    if why_not is not None:
        return not_found(question, hits, index, why_not), None
    _, top, passage, score = found[0]
    sent = sentence_around(passage.text, top.start, top.end)
    answer = assemble_answer(question, q, index, passage, sent, (top.start, top.end), score, hits)
    features = reader_features(
        top.margin, top.probability, lead(found), passage.id == hits[0][0].id, len(answer.citations) - 1, answer.answer or "",
        coverage, text_coverage(index, q, passage.text[sent[0] : sent[1]], expansions),
    )
    confidence = probability(features, reader_weights())
    if confidence < READER_ABSTAIN:
        return not_found(question, hits, index, UNSURE), None
    answer.confidence = round(confidence, 3)
    if q.kind in CONFLICT_KINDS:
        close = close_choices(found)
        add_conflicts(answer, index, close[0], close)
    return answer, features


def _surface(q: Question, term: str) -> str:
    """The question's own spelling of one of its terms."""
    for tok in q.tokens:
        if tok.term == term:
            return q.text[tok.start : tok.end]
    return term
