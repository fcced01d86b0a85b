"""An answer built around a reader's choice: its sentence, the citations of every passage that says the
same, the other articles that say otherwise, and what its time words meant when it was written."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

from retrieval.index import CorpusIndex
from retrieval.models import Alternative, Answer, Citation, Passage
from retrieval.reader.choice import Choice, normalize
from retrieval.reader.lexicon import SAME_QUALIFIERS
from retrieval.reader.question import AMOUNT, DATE, DURATION, NUMBER, Question
from retrieval.sentences import split_sentences
from retrieval.timeaware import time_notes
from retrieval.tokens import Token, iter_tokens

CONFLICT_MARGIN = 0.85  # another article's different date or number is shown when it scores this close
SUPPORT_SHARE = 0.5
CONFLICT_KINDS = frozenset({DATE, NUMBER, AMOUNT, DURATION})  # the answers that can disagree


def citation(index: CorpusIndex, passage: Passage, start: int, end: int, score: float) -> Citation:
    """A citation of `passage_text[start:end]` with its article's title, date and address."""
    return Citation(**index.reference(passage), start=start, end=end, score=round(score, 4))
def assemble_answer(
    question: str,
    q: Question,
    index: CorpusIndex,
    passage: Passage,
    sent: tuple[int, int],
    span: tuple[int, int] | None,
    passage_score: float,
    hits: list[tuple[Passage, float]],
) -> Answer:
    """The answer `passage.text[span]` (the sentence when no span) with its sentence, citations of the
    passages that say the same, and the time notes; its confidence is the caller's to set."""
    lo, hi = sent
    sentence = passage.text[lo:hi]
    start, end = span if span is not None else (lo, hi)
    answer = passage.text[start:end]
    citations = [citation(index, passage, start, end, passage_score)]
    # Other passages that state the same answer: other articles first.
    wanted = normalize(answer)
    seen = {passage.id}
    support: list[Citation] = []
    # A passage supports the answer when the sentence that says it, with half weight for the rest of
    # its passage, shares at least half the question's weight that the quoted sentence has: "Biden" in
    # "congratulated Trump and Biden" does not support "Biden had sent him a letter".
    needed = SUPPORT_SHARE * _question_weight(iter_tokens(sentence), 0, len(sentence), q, index)
    for other, score in hits:
        if other.id in seen or not wanted:
            continue
        tokens: list[Token] | None = None
        for pos in _occurrences(other.text, answer):
            tokens = tokens if tokens is not None else iter_tokens(other.text)
            lo2, hi2 = next(((a, b) for a, b in split_sentences(other.text) if a <= pos[0] < b), (0, len(other.text)))
            if _question_weight(tokens, lo2, hi2, q, index) >= needed:
                seen.add(other.id)
                support.append(citation(index, other, pos[0], pos[1], score))
                break
    support.sort(key=lambda c: (c.article_id == passage.article_id, -c.score))
    citations.extend(support[:4])
    articles = {c.article_id for c in citations}
    note = f"Reported by {len(articles)} articles." if len(articles) > 1 else None
    published = index.articles[passage.article_id].published
    as_of = published if q.recency else None
    notes = time_notes(sentence, published)
    if notes:
        # Front ends that know only `note` still show what "this summer" meant.
        resolved = "; ".join(notes) + "."
        note = f"{note} {resolved[:1].upper()}{resolved[1:]}" if note else resolved[:1].upper() + resolved[1:]
    return Answer(
        question=question,
        answer=answer,
        sentence=sentence,
        citations=citations,
        note=note,
        time_notes=notes,
        as_of=as_of,
    )

def _question_weight(tokens: list[Token], lo: int, hi: int, q: Question, index: CorpusIndex) -> float:
    """The idf weight of the question's key terms said in `[lo, hi)` of a passage, and half of those only the rest says."""
    said = {t.term for t in tokens if lo <= t.start < hi}
    around = {t.term for t in tokens} - said
    return math.fsum(index.idf(t) for t in q.terms if t in said) + 0.5 * math.fsum(index.idf(t) for t in q.terms if t in around)


def _occurrences(text: str, answer: str) -> Iterator[tuple[int, int]]:
    """Where `answer` occurs in `text`, ignoring case, punctuation and spacing differences."""
    words = re.findall(r"\w+", answer)
    if not words:
        return
    pattern = r"\b" + r"\W+".join(re.escape(w) for w in words) + r"\b"
    for m in re.finditer(pattern, text, re.IGNORECASE):
        yield m.start(), m.end()


def find_normalized(text: str, answer: str) -> tuple[int, int] | None:
    """The first place `answer` occurs in `text` (see `_occurrences`)."""
    return next(_occurrences(text, answer), None)


def not_found(question: str, hits: list[tuple[Passage, float]], index: CorpusIndex, note: str) -> Answer:
    """No answer, with the closest passages as hints (their whole text cited, not an answer span)."""
    hints = [citation(index, p, 0, len(p.text), s) for p, s in hits[:3]]
    return Answer(question=question, answer=None, sentence=None, confidence=0.0, hints=hints, note=note)


_QUALIFIERS = [(re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b"), first) for first, words in SAME_QUALIFIERS]
_ONE_UNIT = re.compile(r"\b(?:an?|one)\s+(?=(?:second|minute|hour|day|week|month|year|decade)\b)")


def same_answer(a: str, b: str) -> bool:
    """Whether two spans say the same, qualifiers of a quantity read alike ("more than an hour", "over
    one hour")."""
    def canonical(text: str) -> str:
        text = normalize(text)
        for pattern, first in _QUALIFIERS:
            text = pattern.sub(first, text)
        return " ".join(_ONE_UNIT.sub("1 ", text).split())
    return canonical(a) == canonical(b)


def add_conflicts(answer: Answer, index: CorpusIndex, top: Choice, covering: list[Choice]) -> None:
    """Other articles that answer the same question with another date or number: show them, don't hide them."""
    cited = {c.article_id for c in answer.citations}
    seen: set[str] = set()
    for other in covering:
        article_id = other.passage.article_id
        if (
            other.span is None
            or article_id in cited
            or article_id in seen
            or other.score < CONFLICT_MARGIN * top.score
            or other.coverage < top.coverage - 0.1
        ):
            continue
        text = other.passage.text[other.span[0] : other.span[1]]
        if same_answer(text, answer.answer or "") or find_normalized(other.passage.text, answer.answer or "") is not None:
            continue
        seen.add(article_id)
        lo, hi = other.sent
        answer.conflicts.append(
            Alternative(
                answer=text,
                sentence=other.passage.text[lo:hi],
                citation=citation(index, other.passage, other.span[0], other.span[1], other.passage_score),
            )
        )
        if len(answer.conflicts) >= 3:
            break
    if answer.conflicts and answer.as_of:
        # A "last / latest" question: the older statements are superseded, not contradictions.
        earlier = "; ".join(f"{a.answer} ({_source(a.citation)})" for a in answer.conflicts)
        superseded = f"As of {answer.as_of}; earlier articles said: {earlier}."
        answer.note = f"{answer.note} {superseded}" if answer.note else superseded
    elif answer.conflicts:
        first = answer.citations[0]
        sides = [f"{answer.answer} ({_source(first)})"] + [f"{a.answer} ({_source(a.citation)})" for a in answer.conflicts]
        disagreement = "The articles disagree: " + "; ".join(sides) + "."
        answer.note = f"{answer.note} {disagreement}" if answer.note else disagreement
        answer.confidence = round(min(answer.confidence, 0.6), 3)


def _source(c: Citation) -> str:
    return f"{c.title}, {c.published}" if c.published else c.title

