"""Extractive answers, in four steps: analyse the question, retrieve passages, read them, assemble the answer.

The answer is always a slice of a passage. Two readers read: the shipped neural model
(`reader.neural`, its spans weighed in `reader.readings`) and the hand-written span rules
(`reader.rules`); by default both do and `decide` chooses, from the model's evidence (its no-answer
score, and how the question and the passage meet in words and in meaning) weighed by a model fitted on
validation questions with real unanswerable ones. The one lexical refusal left is a name the corpus never
mentions at all. `run` returns the whole `Trace`; `answer_question` its answer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np

from retrieval.assemble import CONFLICT_KINDS, add_conflicts, assemble_answer, not_found
from retrieval.dense import shipped_embedder
from retrieval.confidence import features as confidence_features, probability
from retrieval.decide import Choice, Decision, Evidence, confidence, decide, fitted, shown
from retrieval.index import CorpusIndex
from retrieval.models import Answer, Passage
from retrieval.reader.choice import sentence_around
from retrieval.reader.neural import NeuralReader, ReaderUnavailable, shipped_reader
from retrieval.reader.question import Question, analyze_question
from retrieval.reader.coverage import passage_coverage, text_coverage
from retrieval.reader.readings import NO_SPAN, UNCOVERED, UNSURE, Ranked, close_choices, lead, read_passages
from retrieval.reader.rules import read_with_rules
from retrieval.rerank import article_says, query_expansions, rank_passages, rank_within
from retrieval.settings import EngineSettings

log = logging.getLogger(__name__)

__all__ = ["Trace", "analyze_question", "answer_question", "choose_reader", "question_vector", "reader_name", "run"]

TOP_PASSAGES = 8  # passages retrieved for the readers (the neural reader reads the first READ_PASSAGES)
# A question in a conversation leaves the story's articles when another article says this much more of
# its words (idf-weighted share). Set by hand and checked on the people's-words dev conversations
# (bench/conversations/people/): too few of them switch stories to fit it.
LEAVE_MARGIN = 0.3
EXCLUDE_SPARE = 12  # passages retrieved beyond TOP_PASSAGES when some are to be excluded
NEURAL: Final = "neural"
RULES: Final = "rules"
BOTH: Final = "both"
READERS = (NEURAL, RULES, BOTH)
DEFAULT_READER = BOTH  # best on the held-out validation articles: bench/READER.md
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_unavailable: list[str] = []  # the reader folders that could not be loaded, said once per process
DEFAULT_SETTINGS = EngineSettings.model_construct()  # for callers that pass none: the library's defaults, not the environment's

Features = tuple[float, ...] | None  # the rules' confidence model's inputs (None when there is no answer)


@dataclass
class Trace:
    """One run of the answer pipeline: the answer given, and what it was chosen from (for `newsqa eval`,
    `bench.calibrate` and `bench.fit_decision`, which replay `decide` over these)."""

    answer: Answer
    hits: list[tuple[Passage, float]] = field(default_factory=list)
    neural: Answer | None = None  # the model's best span, assembled, before the decision (None: no span)
    evidence: Evidence | None = None  # what the decision knew of it
    rules: Answer | None = None  # the rules' answer (None: the rules were not asked)
    rules_features: Features = None  # the rules' confidence inputs (None: no span)
    choice: Choice = None  # the reader whose span was given


def answer_question(
    index: CorpusIndex, question: str, reader: str | None = None, within: list[Passage] | None = None, *,
    settings: EngineSettings | None = None, focus: Sequence[str] = (),
) -> Answer:
    """Answer one question from the index: a span of a passage with citations, or a reasoned None.

    `reader` is "both" (the default: each reader reads and `decide` chooses), "neural" (the shipped
    model alone) or "rules" (the hand-written span rules alone); None: `settings.reader`.
    `within`: read only these passages instead of the ones retrieval finds (a gold paragraph, say).
    `focus`: the articles a conversation is about, read first (see `run`).
    """
    return run(index, question, reader, within, settings=settings, focus=focus).answer


def run(
    index: CorpusIndex, question: str, reader: str | None = None, within: list[Passage] | None = None, *,
    settings: EngineSettings | None = None, decision: Decision | None = None, exclude: Callable[[Passage], bool] | None = None,
    focus: Sequence[str] = (),
) -> Trace:
    """The answer pipeline: analyse, retrieve, read, decide, assemble. `decision` overrides the fitted one;
    `exclude` drops retrieved passages (a question asked with its answer gone, to fit the decision on).
    `focus`: the articles of the story a conversation is about; the question is read against their
    passages alone unless it names something they do not say and another article does (`leaves_topic`)."""
    # 1. Analyse: the question's key terms, names and expected answer type.
    q = analyze_question(question)
    if not q.terms:
        return Trace(Answer(question=question, note="The question has no words to look up; ask about something the articles cover."))
    if not index.passages:
        return Trace(Answer(question=question, note="There are no articles to search."))
    settings = settings or DEFAULT_SETTINGS
    # 2. Retrieve: BM25 and the re-ranker, with the corpus's own names for the question's words, fused
    # with the passages closest in meaning where the index has their vectors.
    expansions = query_expansions(q, index)
    vector = question_vector(index, question)
    if within is not None:
        hits = [(p, 1.0) for p in within]
    else:
        hits = rank_passages(index, q, TOP_PASSAGES + EXCLUDE_SPARE * (exclude is not None), expansions, vector)
        hits = [h for h in hits if exclude is None or not exclude(h[0])][:TOP_PASSAGES]
        if focus and not leaves_topic(index, q, expansions, focus, hits):
            hits = rank_within(index, q, focus, TOP_PASSAGES, expansions, vector) or hits
    if not hits:
        return Trace(Answer(question=question, note="Not found in the articles: none of them mentions these words."))
    missing = [t for t in q.proper if index.bm25.doc_freq(t) == 0 and t not in expansions.values()]
    if missing:
        names = ", ".join(sorted(_surface(q, t) for t in missing))
        return Trace(not_found(question, hits, index, f"Not found in the articles: they never mention {names}."), hits)
    # 3. Read: the model's best span and its evidence, and the rules' span.
    name = reader_name(reader or settings.reader)
    model = choose_reader(name, question, settings.reader_model)
    trace = Trace(Answer(question=question), hits)
    found: list[Ranked] = []
    if model is not None:
        found, why_not = read_passages(model, question, q, index, hits, expansions)
        if why_not is None:
            trace.neural, trace.evidence = _model_answer(question, q, index, hits, expansions, found, vector)
    if model is None or name == BOTH:
        trace.rules, trace.rules_features = _rules_answer(question, q, index, hits, expansions)
    if model is None:  # the rules alone: their own confidence and abstention
        assert trace.rules is not None  # read just above
        trace.answer, trace.choice = trace.rules, (RULES if trace.rules.found else None)
        return trace
    # 4. Decide, with the fitted parameters, between the two spans and no answer.
    decision = decision or fitted()
    neural_conf = confidence(trace.evidence, decision) if trace.evidence is not None else None
    rules_conf = trace.rules.confidence if trace.rules is not None and trace.rules.found else None
    trace.choice = decide(neural_conf, rules_conf, decision)
    # The answer shows its confidence recalibrated on held-out answers; the trace keeps each reader's own.
    if trace.choice == RULES:
        assert trace.rules is not None and rules_conf is not None  # decide chose them: they have a confidence
        trace.answer = trace.rules.model_copy(update={"confidence": round(shown().of(rules_conf), 3)})
    elif trace.choice == NEURAL:
        assert trace.neural is not None and neural_conf is not None  # decide chose it: it has a span and a confidence
        trace.neural.confidence = round(neural_conf, 3)
        trace.answer = trace.neural.model_copy(update={"confidence": round(shown().of(neural_conf), 3)})
        if q.kind in CONFLICT_KINDS:
            close = close_choices(found)
            add_conflicts(trace.answer, index, close[0], close)
    else:
        trace.answer = not_found(question, hits, index, NO_SPAN if trace.neural is None else UNSURE)
    return trace


def leaves_topic(index: CorpusIndex, q: Question, expansions: dict[str, str], focus: Sequence[str], hits: list[tuple[Passage, float]]) -> bool:
    """Whether a question asked in a conversation about the `focus` articles is about something else:
    it names something (a capitalised name) that they never say and another article does, or the best
    passage retrieval finds comes from another article that says a larger idf-weighted share of the
    question's words, by `LEAVE_MARGIN` ("different thing, what caused the quillon bank outage")."""
    def says(article: str, term: str) -> bool:
        return article_says(index, article, term, expansions)

    if any(index.bm25.doc_freq(t) and not any(says(a, t) for a in focus) for t in q.proper):
        return True
    if not hits or hits[0][0].article_id in focus:
        return False
    weights = {t: index.idf(t) for t in q.terms}
    total = sum(weights.values()) or 1.0

    def share(article: str) -> float:
        return sum(w for t, w in weights.items() if says(article, t)) / total

    return share(hits[0][0].article_id) - max(share(a) for a in focus) >= LEAVE_MARGIN


def reader_name(reader: str | None) -> str:
    """The reader asked for: `reader`, else DEFAULT_READER."""
    reader = reader or DEFAULT_READER
    if reader not in READERS:
        raise ValueError(f"unknown reader {reader!r}: use one of {', '.join(READERS)}")
    return reader


def choose_reader(reader: str | None, question: str, model_dir: Path | None = None) -> NeuralReader | None:
    """The model to read with (the packaged one, or the reader folder `model_dir`), or None for the rules
    alone: when asked for them, for a Russian question (the encoder is English-only), or when the model
    cannot be loaded (logged once per folder)."""
    reader = reader_name(reader)
    if reader == RULES or _CYRILLIC.search(question):
        return None
    try:
        return shipped_reader(str(model_dir or ""))
    except (ReaderUnavailable, ImportError) as exc:
        if str(model_dir) not in _unavailable:
            _unavailable.append(str(model_dir))
            log.warning("the neural reader is unavailable, answering with the rules: %s", exc)
        return None


def question_vector(index: CorpusIndex, question: str) -> np.ndarray | None:
    """The question as the dense encoder sees it, where the index has passage vectors to compare it with."""
    if index.dense is None:
        return None
    return shipped_embedder().embed([question])[0]


def _rules_answer(
    question: str, q: Question, index: CorpusIndex, hits: list[tuple[Passage, float]], expansions: dict[str, str]
) -> tuple[Answer, Features]:
    """The rule reader's answer, with the rules' confidence model."""
    reading = read_with_rules(q, index, hits, expansions)
    if reading is None:
        return not_found(question, hits, index, UNCOVERED), None
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
    question: str, q: Question, index: CorpusIndex, hits: list[tuple[Passage, float]], expansions: dict[str, str],
    found: list[Ranked], vector: np.ndarray | None,
) -> tuple[Answer, Evidence]:
    """The neural reader's best span as an answer (its confidence still to be set), and its evidence."""
    _, top, passage, score = found[0]
    sent = sentence_around(passage.text, top.start, top.end)
    answer = assemble_answer(question, q, index, passage, sent, (top.start, top.end), score, hits)
    evidence = Evidence(
        margin=top.margin,
        probability=top.probability,
        lead=lead(found),
        first_passage=passage.id == hits[0][0].id,
        passages=len(answer.citations) - 1,
        words=len((answer.answer or "").split()),
        coverage=passage_coverage(index, q, passage, expansions),
        sentence_coverage=text_coverage(index, q, passage.text[sent[0] : sent[1]], expansions),
        similarity=_similarity(index, question, passage, vector),
    )
    return answer, evidence


def _similarity(index: CorpusIndex, question: str, passage: Passage, vector: np.ndarray | None) -> float:
    """The cosine of the question and the passage under the dense encoder (embedded here when the index
    has no vectors); 0 when the encoder is unavailable."""
    try:
        if vector is None:
            vector = shipped_embedder().embed([question])[0]
        if index.dense is not None:
            row = index.dense.vectors[index.row(passage)]
        else:
            row = shipped_embedder().embed([passage.text])[0]
    except (ReaderUnavailable, ImportError):
        return 0.0
    return float(row @ vector)


def _surface(q: Question, term: str) -> str:
    """The question's own spelling of one of its terms."""
    for tok in q.tokens:
        if tok.term == term:
            return q.text[tok.start : tok.end]
    return term
