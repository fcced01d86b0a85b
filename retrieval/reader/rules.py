"""The rule reader: the best-scoring sentence of the retrieved passages and the span of the asked type in it.

Sentences are scored by the idf weight of the question's key terms they say (synonyms, the previous
sentence and the rest of the passage counting less); within the best ones, candidate spans of the
expected type (`spans.candidates`) are scored by `_fit`: their prior, their closeness to the
question's words and where they stand. Every weight here was chosen on XQuAD half A and confirmed on
half B (bench/EXPERIMENTS.md); the neural reader (`neural`, `readings`) is the held-out-tuned one.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass
from functools import lru_cache

from retrieval.index import CorpusIndex
from retrieval.models import Passage
from retrieval.reader.choice import Choice, normalize
from retrieval.reader.coverage import ARTICLE_NAMES, matched, term_weights, weight_of
from retrieval.reader.lexicon import FINITE_COPULAS, VERB_LEAD_INS
from retrieval.reader.question import (
    COPULA, DATE, DEFINITION, MANNER, NUMBER, AMOUNT, OBJECT, PERSON, PLACE, REASON, SAY, SUBJECT, THING,
    Question, question_synonyms,
)
from retrieval.reader.spans import Candidate, Word, candidates, name_candidates, sentence_words, verb_like, word_terms
from retrieval.rerank import article_says
from retrieval.sentences import split_sentences
from retrieval.tokens import Token, iter_tokens

RECENCY_MARGIN = 0.85  # "last / latest" questions: the latest article wins within 15% of the best score
# How much a sentence's best candidate adds to the sentence's own score, by expected type: little
# for noun phrases (every sentence has some), more where the cue itself says "this is the answer".
_FIT_WEIGHT = {THING: 0.05, SAY: 0.25, REASON: 0.25, DEFINITION: 0.25}
# Weight of the question's words found in the previous sentence but not in this one. Chosen on XQuAD
# half A (0.1 over 0.2; offline 0.1 to 0.2 over 0), confirmed on half B.
PREVIOUS_SENTENCE = 0.1
# A sentence word that shares a WordNet synset with a question word ("constructed" for "build",
# "resulted" for "led") adds this share of the question word's weight to the sentence's score, and
# stands for it when a candidate's closeness to the question's words is measured. It does not count
# towards coverage: there it made the engine answer 6 more of 612 unanswerable questions. Chosen on
# XQuAD half A (verb senses only, 3 senses, 0.5; over nouns too, hypernyms, derivations, 0.3 and
# 1.0), confirmed on half B: see bench/EXPERIMENTS.md, "WordNet synonyms".
SYNONYM_WEIGHT = 0.5
MIN_QUOTED_WORDS = 4  # a sentence quoted as the answer has at least this many words (not a dateline)
ABSTAIN_COVERAGE = 0.40  # chosen by the rule in bench/abstention.py: see bench/QUALITY.md, "Abstention threshold"


@dataclass
class RuleReading:
    """The rule reader's answer (`top`), every choice that covers the question best first, and how far
    the answer leads the best one that says something else (`_margin`)."""

    top: Choice
    covering: list[Choice]
    margin: float


def read_with_rules(q: Question, index: CorpusIndex, hits: list[tuple[Passage, float]], expansions: dict[str, str]) -> RuleReading | None:
    """The rule reader's choice among the passages' sentences, or None when none covers the question."""
    covering = sorted((c for c in _choices(q, index, hits, expansions) if c.coverage >= ABSTAIN_COVERAGE), key=lambda c: -c.score)
    if not covering:
        return None
    top = covering[0]
    # Near-ties between articles go to the dated one, the latest first: its answer can be placed in time.
    # For "last / latest" questions the latest article's statement wins over a wider margin.
    margin = RECENCY_MARGIN if q.recency else 0.97
    close = [c for c in covering if c.score >= margin * top.score and c.typed == top.typed]
    top = max(close, key=lambda c: (index.articles[c.passage.article_id].published or "", c.score))
    # Prefer a sentence that has an answer of the asked type when one scores close to the best.
    if not top.typed:
        typed = [c for c in covering if c.typed]
        if typed and typed[0].score >= 0.6 * top.score:
            top = typed[0]
    return RuleReading(top, covering, _margin(top, covering))


def _choices(q: Question, index: CorpusIndex, hits: list[tuple[Passage, float]], expansions: dict[str, str]) -> list[Choice]:
    """Every sentence of the passages as a choice: its best span of the asked type, or itself."""
    weights = term_weights(q, index)
    total = math.fsum(weights.values())
    synonyms = question_synonyms(q, exclude=expansions.keys())
    best_bm25 = hits[0][1]
    choices: list[Choice] = []
    for passage, bm25_score in hits:
        ptokens = iter_tokens(passage.text)
        heading_terms = {t.term for t in iter_tokens(passage.heading)} if passage.heading else set()
        # A news title sums its article up, and questions echo it: its words count as the passage's
        # context ("new" in "... approves new malaria vaccine", the text saying "a second malaria vaccine").
        # XQuAD level, and no more answers to questions no article answers (bench.abstention).
        article = index.articles.get(passage.article_id)
        if article is not None and article.title:
            heading_terms |= {t.term for t in iter_tokens(article.title)}
        p_matched = matched({t.term for t in ptokens} | heading_terms, q, expansions)
        # The question's names that only another paragraph of the same article says: "Nordlinja" for
        # "chief executive Maria Lindqvist told reporters", a paragraph after the one naming the company.
        elsewhere = weight_of({t for t in q.proper if t in weights and t not in p_matched and article_says(index, passage.article_id, t, expansions)}, weights)
        prev_matched: set[str] = set()
        prev_sent: tuple[int, int] | None = None
        for lo, hi in split_sentences(passage.text):
            stoks = [t for t in ptokens if lo <= t.start < hi]
            s_terms = {t.term for t in stoks}
            s_matched = matched(s_terms, q, expansions)
            # The question words this sentence says only with a synonym.
            s_synonyms = {synonyms[t] for t in s_terms if t in synonyms} - s_matched
            s_weight = weight_of(s_matched, weights)
            context = weight_of(p_matched - s_matched, weights) + ARTICLE_NAMES * elsewhere
            coverage = (s_weight + 0.5 * context) / total if total else 0.0
            score = s_weight + SYNONYM_WEIGHT * weight_of(s_synonyms, weights) + 0.35 * context + 0.3 * total * bm25_score / best_bm25
            # A sentence often answers what the sentence before it set up: "X was founded in 1822.
            # It was named after Andrew Jackson."
            score += PREVIOUS_SENTENCE * weight_of(prev_matched - s_matched, weights)
            prev_matched = s_matched
            if q.recency and re.search(r"\b(?:last|latest|most recent(?:ly)?)\b", passage.text[lo:hi], re.IGNORECASE):
                score += 0.2 * total
            words = sentence_words(passage.text, lo, hi, q) if q.kind in _NEEDS_WORDS else []
            cands = candidates(q, passage.text, lo, hi, stoks, words)
            if q.kind == DATE:
                cands = [_without_questions_year(passage.text, c, q) for c in cands]
            cands = [
                c for c in cands
                if not _repeats_question(passage.text[c.start : c.end], q, expansions) and not _names_question_acronym(passage.text, c, q)
            ]
            # Each candidate is scored where it stands and answered with its own span, except a pronoun
            # that opens the sentence ("He is also the oldest quarterback ..."): it is scored where it
            # stands and answered with the name it stands for, the previous sentence quoted too.
            scored = [(c, c) for c in cands]
            previous, prev_sent = prev_sent, (lo, hi)
            if q.kind == PERSON and previous is not None:
                scored += _antecedents(q, passage.text, lo, previous)
            if scored:
                near, near_terms = stoks, s_matched
                if s_synonyms:  # a synonym stands where its question word would for the candidates' closeness
                    near = [t._replace(term=synonyms[t.term]) if synonyms.get(t.term) in s_synonyms else t for t in stoks]
                    near_terms = s_matched | s_synonyms
                fits = [(_fit(at, q, words, near, near_terms, weights, passage.text), -at.start, at.end - at.start) for at, _ in scored]
                best_i = max(range(len(scored)), key=lambda i: (fits[i][0], fits[i][1], -fits[i][2]))
                best, fit = scored[best_i][1], fits[best_i][0]
                bonus = _FIT_WEIGHT.get(q.kind, 0.1) * total * fit
                quoted = (previous[0] if previous is not None and best.start < lo else lo, hi)
                choices.append(Choice(passage, bm25_score, quoted, (best.start, best.end), score + bonus, coverage, True))
            elif len(stoks) >= MIN_QUOTED_WORDS:  # a dateline ("STOCKHOLM, January 20.") says nothing to quote
                choices.append(Choice(passage, bm25_score, (lo, hi), None, score, coverage, False))
    return choices


def _margin(top: Choice, covering: list[Choice]) -> float:
    """How far the answer leads the best choice that says something else: 1 - its score / the answer's."""
    said = normalize(_said(top))
    other = next((c for c in covering if normalize(_said(c)) != said), None)
    if other is None or top.score <= 0:
        return 1.0
    return 1.0 - other.score / top.score


def _said(c: Choice) -> str:
    lo, hi = c.span if c.span is not None else c.sent
    return c.passage.text[lo:hi]


_EDGE_YEAR = re.compile(r"^(?P<rest>.*?\w)[\s,]+(?P<year>\d{4})$|^(?P<year2>\d{4})[\s,]+(?P<rest2>\w.*)$")


def _without_questions_year(text: str, c: Candidate, q: Question) -> Candidate:
    """A date without the year the question already gives: "July" for "In which month of 2018 ...?", not "July 2018"."""
    m = _EDGE_YEAR.match(text[c.start : c.end])
    if m is None or (m.group("year") or m.group("year2")) not in q.terms:
        return c
    if m.group("rest") is not None:
        return Candidate(c.start, c.start + m.end("rest"), c.kind, c.prior)
    return Candidate(c.start + m.start("rest2"), c.end, c.kind, c.prior)


_PRONOUN = re.compile(r"(?:He|She|His|Her)\b")


def _antecedents(q: Question, text: str, lo: int, prev: tuple[int, int]) -> list[tuple[Candidate, Candidate]]:
    """For a sentence opening with he/she/his/her: the pronoun as a stand-in for the previous sentence's first name."""
    m = _PRONOUN.match(text, lo)
    if m is None:
        return []
    names = [c for c in name_candidates(text, prev[0], prev[1], q, PERSON) if not _repeats_question(text[c.start : c.end], q)]
    if not names:
        return []
    name = names[0]
    return [(Candidate(m.start(), m.end(), PERSON, name.prior), name)]


_NEEDS_WORDS = frozenset({THING, PERSON, MANNER, PLACE})  # the types whose candidates come from noun-phrase chunks


_NEGATIONS = frozenset({"no", "not", "nor", "never", "none", "nobody", "nothing"})


def _repeats_question(span: str, q: Question, stand_ins: dict[str, str] | None = None) -> bool:
    """True when every content word of the span is already in the question, or stands for one of its words ("Finnish" for "Finland")."""
    terms = _answer_terms(span)
    return not terms or all(t in q.terms or (stand_ins is not None and t in stand_ins) for t in terms)


# Half A EM +0.3, half B level (with the "stands for" exception: without it B lost "What did the LMP
# acronym stand for?").
_ACRONYM_AFTER = re.compile(r"\s*\(([A-Z]{2,8})\)")
_WORDS = re.compile(r"[A-Za-z][\w'-]*")
_ASKS_EXPANSION = re.compile(r"\b(?:stands?|stood)\s+for\b|\bacronym|\babbreviat|\bshort\s+for\b|\binitials\b", re.IGNORECASE)


def _initials(text: str) -> str:
    return "".join(w[0] for w in _WORDS.findall(text) if w[0].isupper())


def _names_question_acronym(text: str, c: Candidate, q: Question) -> bool:
    """A name and its acronym are one thing: "American Sign Language (ASL)" repeats a question about ASL or sign language.

    The candidate is either the long form followed by its bracketed acronym, or the acronym in brackets
    after its long form; either repeats the question when the question has the acronym or most of the
    long form's words.
    """
    if _ASKS_EXPANSION.search(q.text):
        return False
    span = text[c.start : c.end]
    m = _ACRONYM_AFTER.match(text, c.end)
    if m and _initials(span) == m.group(1):
        long_form, acronym = span, m.group(1)
    elif re.fullmatch(r"[A-Z]{2,8}", span) and text[c.start - 1 : c.start] == "(" and text[c.end : c.end + 1] == ")":
        before = _WORDS.findall(text[max(0, c.start - 120) : c.start - 1])
        long_form = " ".join(before[-len(span) :])
        if _initials(long_form) != span:
            return False
        acronym = span
    else:
        return False
    if acronym.lower() in q.terms:
        return True
    terms = _answer_terms(long_form)
    return bool(terms) and 2 * sum(t in q.terms for t in terms) >= len(terms)


@lru_cache(maxsize=50_000)
def _answer_terms(span: str) -> tuple[str, ...]:
    return tuple(t.term for t in iter_tokens(span) if not t.stop or t.term in _NEGATIONS)


def _proximity(c: Candidate, stoks: list[Token], matched: set[str], weights: dict[str, float], head: str | None = None) -> float:
    """How close a candidate sits to the question's words in its sentence (0..1); the head noun may be inside."""
    total = weight_of(matched, weights)
    if not total:
        return 0.0
    got = 0.0
    starts = [x.start for x in stoks]  # sorted: the tokens between two offsets are counted by bisection
    for t in sorted(matched):
        dists = []
        for tok in stoks:
            if tok.term != t:
                continue
            if t == head and c.start <= tok.start < c.end:
                dists.append(0)
            elif tok.end <= c.start:
                dists.append(bisect.bisect_left(starts, c.start) - bisect.bisect_left(starts, tok.end))
            elif tok.start >= c.end:
                dists.append(bisect.bisect_left(starts, tok.start) - bisect.bisect_left(starts, c.end))
        if dists:
            got += weights[t] / (1 + min(dists))
    return got / total


def _bracket_fit(c: Candidate, q: Question, text: str) -> float:
    """A name glossed by a bracket holding the question's words is the answer: "Lunar Module Pilot (LMP)".

    What stands inside a bracket is itself a gloss, rarely what is asked for.
    """
    gloss = _GLOSS.match(text, c.end)
    if gloss and any(t.term in q.terms for t in iter_tokens(gloss.group(1)) if not t.stop):
        return BR_AFTER
    opened = text.rfind("(", max(0, c.start - 200), c.start)
    if opened != -1 and text.find(")", opened, c.start) == -1 and text.find(")", c.end, c.end + 200) != -1:
        return BR_IN
    return 0.0


_GLOSS = re.compile(r"\s*\(([^()]{1,120})\)")
# On half A the penalty inside a bracket was chosen (-0.2 over 0 and -0.4) and the gloss bonus made no
# difference (0, 0.3, 0.6); half B confirmed the penalty and took 0.3 among the tied bonuses.
BR_AFTER = 0.3
BR_IN = -0.2
_OBJECT_PRONOUNS = frozenset("him her them us me it".split())
_APPOSITION = re.compile(r",[^,;()]{3,100},\s+(\w+)")

# Chosen on XQuAD half A (0, -0.3, -0.6, -1.0 tried), confirmed on half B. A bonus when the word is
# the question's head noun ("remote [sensing]" for "What style of sensing?") did not help on half B.
MODIFIER_PENALTY = -0.3
# The word right after a question's verb is its object, not the subject a "Who described ...?" asks
# for. Half A: F1 +0.2 at -0.3 and below (0.3 is needed to undo the subject-before-verb bonus for
# "the Reuters [reports]"); half B level at -0.3, -0.6, -1.0.
SUBJECT_NOT_OBJECT = -0.6
# A person or place name that modifies the noun after it ("Academy Award nominee Lady Gaga") is not
# the name asked for. Half A EM +0.3 at -0.3 and -0.6 alike, half B level.
NAME_MODIFIER = -0.3


# "What was X blamed on?": the candidate right after the question's last preposition, itself after a
# question word, as the object bonus does for a verb. XQuAD level at 0.3 (half A F1 +0.1 at 0.6).
STRANDED_BONUS = 0.3


# Chosen as the other position bonuses are (0.3); XQuAD level, and 0.6 no different.
COPULA_APPOSITION = 0.3
# An apposition is a noun phrase closed by a comma, not a clause: ", a member of the board," but not
# ", who was ..." nor ", the city began to spend ... ." to the end of the sentence.
_APPOSED = re.compile(r",(?!\s*(?:who|whom|whose|which|that|when|where|while|and|but|or|as|if)\b)\s*([^,;()]{3,100}?)\s*[,;)]", re.IGNORECASE)


def _describes(text: str, end: int, q: Question, weights: dict[str, float]) -> bool:
    """Whether the apposition after a name ("Bob Woodward, a member of the board, ...") says most of the question."""
    m = _APPOSED.match(text, end)
    if m is None:
        return False
    said = {t.term for t in iter_tokens(m.group(1))} & weights.keys()
    return weight_of(said, weights) >= 0.5 * weight_of(set(weights), weights)


# A number followed by the noun a how-many question counts. XQuAD EM +0.4 (half A +0.3, half B level),
# the same at 0.3 and 0.6.
COUNTED_NOUN = 0.3


# The form a number takes for what is asked: a rate, share or proportion is a percentage ("to 21%" over
# "by 200 basis points", which sits closer to "rate"), a score is two numbers ("23–16" over "11 points").
# XQuAD level at 0.3, 0.6 and 1.0 for percentages (0.3 is not enough there); scores: one more right.
HEAD_FORM = 0.6
_PERCENT = re.compile(r"%|\bper ?cent\b|процент", re.IGNORECASE)
_SCORE = re.compile(r"\d+\s?[-–:]\s?\d+")
_HEAD_FORMS = {
    **{t.term: _PERCENT for t in iter_tokens("rate percentage percent proportion share")},
    **{t.term: _SCORE for t in iter_tokens("score scoreline")},
}


# "<participle> by", then maybe an article and title words: "drafted by Finance Minister [Maria Olsen]".
_BY_BEFORE = re.compile(r"(\w+)\s+by\s+(?:(?:the|a|an)\s+)?(?:[A-Z][\w.’'-]*\s+){0,3}$")


def _agent_of_question_verb(text: str, start: int, q: Question) -> bool:
    """Whether the candidate follows "<the question's verb> by": "made by [the Serum Institute]" for "Who makes ...?"."""
    m = _BY_BEFORE.search(text, max(0, start - 40), start)
    if m is None:
        return False
    toks = iter_tokens(m.group(1))
    return bool(toks) and not toks[0].stop and toks[0].term in q.terms


def _counts_head(c: Candidate, q: Question, stoks: list[Token], text: str) -> bool:
    """Whether the noun a how-many question counts follows the number, at most one word between ("four forced fumbles")."""
    after = [t for t in stoks if t.start >= c.end and not t.stop][:2]
    if not after or text[c.end : after[0].start].strip(" -"):
        return False
    return any(t.term == q.head for t in after)


def _fit(
    c: Candidate, q: Question, words: list[Word], stoks: list[Token], matched: set[str], weights: dict[str, float], text: str = ""
) -> float:
    """How well a candidate answers: its prior, its closeness to the question's words, where it stands."""
    score = c.prior + 1.5 * _proximity(c, stoks, matched, weights, q.head)
    if text:
        score += _bracket_fit(c, q, text)
    if c.kind in (NUMBER, AMOUNT) and q.head and _counts_head(c, q, stoks, text):
        score += COUNTED_NOUN  # "How many cars ...?" -> "400 cars", not "1,200 passengers and 400 cars"
    elif c.kind == NUMBER and q.head in _HEAD_FORMS and text and _HEAD_FORMS[q.head].search(text, c.start, c.end):
        score += HEAD_FORM  # "What is the key rate?" -> "21%", not "200 basis points"
    first = bisect.bisect_left(words, c.start, key=lambda w: w.start)
    last = bisect.bisect_left(words, c.end, key=lambda w: w.start) - 1
    if first > last:
        return score
    before = [w for w in words[max(0, first - 3) : first] if w.lower not in ("the", "a", "an")]
    after = [w for w in words[last + 1 : last + 3] if w.lower not in ("the", "a", "an")]
    # The verb after a subject, past its auxiliaries: "Biden had sent him a letter".
    verb_after = next((w for w in words[last + 1 : last + 4] if w.lower not in VERB_LEAD_INS), None)
    nxt = words[last + 1] if last + 1 < len(words) else None
    if (
        c.kind == THING
        and nxt is not None
        and nxt.in_question
        and not nxt.breaks
        and nxt.start - words[last].end <= 1
        and word_terms(nxt.surface)[1] != q.head
    ):
        # A modifier cut off from the question's noun it modifies ("theoretical [computer science]") is
        # rarely what is asked for, unless that noun is the one asked about ("remote [sensing]" for
        # "What style of sensing ...?").
        score += MODIFIER_PENALTY
    if (
        c.kind in (PERSON, PLACE)
        and nxt is not None
        and not nxt.breaks
        and nxt.surface.islower()
        and nxt.start - words[last].end <= 1
        and text[c.end : c.end + 1] not in ("'", "’")
    ):
        score += NAME_MODIFIER  # "Academy Award nominee Lady Gaga": a name that modifies a noun is not the one asked for
    if q.role == SUBJECT and verb_after is not None and verb_after.in_question:
        score += 0.3  # "What occurs after a dive?" -> "Decompression sickness occurs ..."; "Biden had sent ..."
    elif q.role == SUBJECT and text and _agent_of_question_verb(text, c.start, q):
        score += 0.3  # "Who makes the vaccine?" -> "... made by the Serum Institute": the passive's agent is its subject
    elif q.role == SUBJECT and text:
        appo = _APPOSITION.match(text, c.end)
        if appo and any(t.term in q.terms for t in iter_tokens(appo.group(1))):
            score += 0.3  # "Bob Woodward, a member of the board, suggested ...": the subject past its apposition
    if q.role == OBJECT and before and before[-1].in_question:
        score += 0.3  # "What did Gaga perform?" -> "... performed the national anthem"
    elif q.stranded and len(before) >= 2 and before[-1].lower == q.stranded and before[-2].in_question:
        score += STRANDED_BONUS  # "What was the plague blamed on?" -> "... blamed on the heavens"
    elif q.role == OBJECT and len(before) >= 2 and before[-1].lower in _OBJECT_PRONOUNS and before[-2].in_question:
        score += 0.3  # "What did Putin wish Trump?" -> "... wishing him a speedy recovery"
    if q.role == SUBJECT and before and before[-1].in_question and verb_like(before[-1]):
        score += SUBJECT_NOT_OBJECT  # "Who described the reports?": not "described [the reports]"
    if q.role == COPULA and (
        (before and before[-1].lower in FINITE_COPULAS) or (after and after[0].lower in FINITE_COPULAS)
    ):
        score += 0.3
    elif q.role == COPULA and q.kind == PERSON and text and _describes(text, c.end, q, weights):
        score += COPULA_APPOSITION  # "Who is a member of the board?" -> "Bob Woodward, a member of the board, ..."
    return score
