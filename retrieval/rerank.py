"""The engine's passage ranking: BM25's best passages, re-ordered by where the question's words meet.

BM25 counts a passage's matching words wherever they stand, so a passage that repeats the topic of
a question ("Super Bowl" three times) can outscore the one that answers it in one sentence
("Lady Gaga performed the national anthem"). The passages BM25 ranks highest (`RERANK_DEPTH` of
them, never the whole corpus) are re-scored with two pieces of evidence, each 0..1:

- **sentence**: the largest idf-weighted share of the question's key terms that a single sentence
  of the passage holds (best-passage evidence, Callan 1994: an answer is stated in one place);
- **names**: the idf-weighted share of the question's names (words it capitalises) that the
  passage, its heading or its article's title mention (a name only another paragraph of the article
  says counts `ARTICLE_SHARE`, found in the term's postings): a passage that never names the person or
  place asked about rarely answers for them.

    score = bm25 + best_bm25 * (SENTENCE_WEIGHT * sentence + NAME_WEIGHT * names)

so the bonus is measured in units of the best BM25 score of the question, and a passage keeps its
BM25 score when it has no evidence. BM25 itself is untouched: `CorpusIndex.search` is still exactly
rank-bm25's score; this module only orders what it returns.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from retrieval.index import CorpusIndex
from retrieval.models import Passage
from retrieval.reader.question import Question
from retrieval.sentences import split_sentences
from retrieval.synonyms import pertainyms
from retrieval.tokens import _word_term, tokenize

RERANK_DEPTH = 20  # BM25 passages re-scored per question: cheap at any corpus size
SENTENCE_WEIGHT = 0.25
NAME_WEIGHT = 0.25
# Hybrid retrieval (`fuse`): the passages closest to the question's vector join BM25's, and the two
# scores are mixed with DENSE_WEIGHT. Chosen on validation questions by `python -m bench.fusion`.
DENSE_DEPTH = 20
DENSE_WEIGHT = 0.7
TYPO_MIN_LETTERS = 5  # shorter words have too many neighbours one letter away ("cat": "car", "cut", "act")
ARTICLE_SHARE = 0.25  # a name only another paragraph of the article says; 0.5 and 1.0 lost XQuAD half A top-1 (94.1 -> 93.5%)


def query_expansions(q: Question, index: CorpusIndex) -> dict[str, str]:
    """Indexed term -> question term it stands for, for question words the corpus spells otherwise."""
    out: dict[str, str] = {}
    for t in q.terms:
        for e in index.expand(t):
            out.setdefault(e, t)
    # A place the corpus names only by its adjective, or the other way round: "Finland" in the
    # question, "the Finnish capital" in the article (WordNet's pertainyms).
    for tok in q.tokens:
        if tok.stop or tok.term not in q.terms or index.bm25.doc_freq(tok.term) or tok.term in out.values():
            continue
        for word in pertainyms(q.text[tok.start : tok.end]):
            term, stop = _word_term(word)
            if not stop and index.bm25.doc_freq(term):
                out.setdefault(term, tok.term)
    # A word the corpus never says, one typo away from one it does ("fianl", "jurnal", "oficer"): the
    # corpus's word, the commonest of them, stands for it.
    for tok in q.tokens:
        word = q.text[tok.start : tok.end].lower()
        if tok.stop or tok.term not in q.terms or index.bm25.doc_freq(tok.term) or tok.term in out.values():
            continue
        if len(word) >= TYPO_MIN_LETTERS and word.isalpha():
            known = {term for term, stop in map(_word_term, _one_edit(word)) if not stop and index.bm25.doc_freq(term)}
            if known:
                out.setdefault(max(sorted(known), key=index.bm25.doc_freq), tok.term)
    return out


def _one_edit(word: str) -> set[str]:
    """Every string one deletion, transposition, substitution or insertion of a letter away from `word`."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return (
        {a + b[1:] for a, b in splits if b}
        | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
        | {a + c + b[1:] for a, b in splits if b for c in letters}
        | {a + c + b for a, b in splits for c in letters}
    ) - {word}


def query_terms(q: Question, expansions: dict[str, str]) -> list[str]:
    """What BM25 is asked for: the question's key terms, then the corpus spellings standing in for some."""
    return q.terms + list(expansions)


def passage_evidence(
    passage: Passage, title: str, q: Question, weights: dict[str, float], expansions: dict[str, str],
    index: CorpusIndex | None = None,
) -> tuple[float, float]:
    """(sentence, names) evidence of a passage for a question, each 0..1 (see the module's docstring)."""
    total = math.fsum(weights.values())
    sentence = 0.0
    terms: set[str] = set()
    for lo, hi in split_sentences(passage.text):
        found = {expansions.get(t, t) for t in tokenize(passage.text[lo:hi])}
        terms |= found
        if total:
            sentence = max(sentence, math.fsum(weights[t] for t in found if t in weights) / total)
    names = {t for t in q.proper if t in weights}
    names_total = math.fsum(weights[t] for t in names)
    if not names_total:
        return sentence, 1.0
    around = " ".join(filter(None, (title, passage.heading)))
    mentioned = names & (terms | {expansions.get(t, t) for t in tokenize(around)})
    # A name the passage leaves out but its article says elsewhere ("Nordlinja" in the first paragraph,
    # "chief executive Maria Lindqvist" in the second) counts in part: the passage is about it, as a
    # passage of an article that never names it is not.
    elsewhere = {t for t in names - mentioned if index is not None and article_says(index, passage.article_id, t, expansions)}
    return sentence, (math.fsum(weights[t] for t in mentioned) + ARTICLE_SHARE * math.fsum(weights[t] for t in elsewhere)) / names_total


def article_says(index: CorpusIndex, article_id: str, term: str, expansions: dict[str, str]) -> bool:
    """Whether any paragraph of the article says a question term, as written or as a corpus spelling standing for it."""
    spellings = [term] + [e for e, t in expansions.items() if t == term]
    return any(index.article_mentions(article_id, s) for s in spellings)


def rerank(
    index: CorpusIndex, q: Question, hits: list[tuple[Passage, float]], expansions: dict[str, str]
) -> list[tuple[Passage, float]]:
    """BM25 hits re-ordered by sentence and name evidence, each with its re-rank score; ties keep BM25 order."""
    if not hits:
        return []
    weights = {t: index.idf(t) for t in q.terms}
    best = hits[0][1]
    scored = []
    for rank, (passage, bm25) in enumerate(hits):
        article = index.articles.get(passage.article_id)
        sentence, names = passage_evidence(passage, article.title if article else "", q, weights, expansions, index)
        scored.append((bm25 + best * (SENTENCE_WEIGHT * sentence + NAME_WEIGHT * names), rank, passage))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [(passage, score) for score, _, passage in scored]


def rank_passages(
    index: CorpusIndex, q: Question, k: int, expansions: dict[str, str] | None = None, vector: np.ndarray | None = None,
    dense_weight: float | None = None,
) -> list[tuple[Passage, float]]:
    """The engine's k best passages for a question, best first: BM25's top `RERANK_DEPTH`, re-ranked, and
    where the index has passage vectors and the question's `vector` is given, fused with the passages
    closest to it (`fuse`)."""
    if expansions is None:
        expansions = query_expansions(q, index)
    hits = index.search(query_terms(q, expansions), max(k, RERANK_DEPTH))
    ranked = rerank(index, q, hits, expansions)
    if index.dense is None or vector is None:
        return ranked[:k]
    return fuse(index, q, ranked, vector, expansions, k, DENSE_WEIGHT if dense_weight is None else dense_weight)


def fuse(
    index: CorpusIndex, q: Question, ranked: list[tuple[Passage, float]], vector: np.ndarray, expansions: dict[str, str], k: int,
    weight: float,
) -> list[tuple[Passage, float]]:
    """Lexical and dense rankings as one: each candidate (the re-ranked BM25 hits and the `DENSE_DEPTH`
    passages closest to the question) scores `(1 - weight) * lexical + weight * cosine`, its lexical
    score relative to the best re-ranked one (a passage BM25 did not return has its sentence and name
    evidence alone). Best first; ties keep the lexical order, then the index's."""
    assert index.dense is not None
    sims = index.dense.similarities(vector)
    best = ranked[0][1] if ranked and ranked[0][1] > 0 else 1.0
    lexical: dict[int, tuple[Passage, float]] = {index.row(p): (p, s / best) for p, s in ranked}
    weights = {t: index.idf(t) for t in q.terms}
    depth = min(DENSE_DEPTH, len(sims))
    for row in np.argpartition(-sims, depth - 1)[:depth]:
        row = int(row)
        if row not in lexical:
            passage = index.passages[row]
            article = index.articles.get(passage.article_id)
            sentence, names = passage_evidence(passage, article.title if article else "", q, weights, expansions, index)
            lexical[row] = (passage, SENTENCE_WEIGHT * sentence + NAME_WEIGHT * names)
    order = {row: n for n, row in enumerate(lexical)}
    fused = sorted(lexical.items(), key=lambda item: (-((1 - weight) * item[1][1] + weight * float(sims[item[0]])), order[item[0]], item[0]))
    return [(p, (1 - weight) * s + weight * float(sims[row])) for row, (p, s) in fused[:k]]


def rank_within(
    index: CorpusIndex, q: Question, articles: Sequence[str], k: int, expansions: dict[str, str] | None = None,
    vector: np.ndarray | None = None, dense_weight: float | None = None,
) -> list[tuple[Passage, float]]:
    """The k best passages of `articles` alone (the story a conversation is about), best first: every
    passage of them scored as `rank_passages` scores its candidates, BM25 re-ranked and, where the index
    has vectors, fused with the cosine to `vector`. Ties keep the articles' order, then the passages'."""
    if expansions is None:
        expansions = query_expansions(q, index)
    terms = query_terms(q, expansions)
    ranges = [r for a in dict.fromkeys(articles) if (r := index.article_rows(a))]
    if not ranges:
        return []
    rows = [i for r in ranges for i in r]
    scores = np.concatenate([index.bm25.scores_between(terms, r.start, r.stop) for r in ranges])
    order = np.argsort(-scores, kind="stable")
    ranked = rerank(index, q, [(index.passages[rows[i]], float(scores[i])) for i in order], expansions)
    if index.dense is None or vector is None:
        return ranked[:k]
    weight = DENSE_WEIGHT if dense_weight is None else dense_weight
    best = ranked[0][1] if ranked[0][1] > 0 else 1.0
    fused = [(p, (1 - weight) * s / best + weight * float(index.dense.vectors[index.row(p)] @ vector)) for p, s in ranked]
    fused.sort(key=lambda h: -h[1])  # stable: ties keep the lexical order
    return fused[:k]
