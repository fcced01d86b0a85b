"""How much of a question a passage says: the idf-weighted share of its key terms (both readers' abstention signal)."""

from __future__ import annotations

import math

from retrieval.index import CorpusIndex
from retrieval.models import Passage
from retrieval.reader.question import Question
from retrieval.rerank import article_says
from retrieval.tokens import iter_tokens

# The weight, in a sentence's context, of a question name that only another paragraph of its article
# says. XQuAD level at 0.5 (1.0 loses F1 0.1); on bench/news +1.2 EM (1 question of 81).
ARTICLE_NAMES = 0.5


def term_weights(q: Question, index: CorpusIndex) -> dict[str, float]:
    """Each key term's idf; the question's focus verbs count half again."""
    w = {t: index.idf(t) for t in q.terms}
    for t in q.focus_verbs:
        if t in w:
            w[t] *= 1.5
    return w


def matched(terms: set[str], q: Question, expansions: dict[str, str]) -> set[str]:
    """The question's key terms among `terms`, a term standing for one (`expansions`) counted as it."""
    return {t for t in q.terms if t in terms} | {expansions[t] for t in terms if t in expansions}


def weight_of(terms: set[str], weights: dict[str, float]) -> float:
    """Summed weight of terms; `fsum` is exact, so set order can never decide a near-tie."""
    return math.fsum(weights[t] for t in terms)


def text_coverage(index: CorpusIndex, q: Question, text: str, expansions: dict[str, str]) -> float:
    """The idf-weighted share of the question's key terms that `text` alone says (a quoted sentence, say)."""
    weights = term_weights(q, index)
    total = math.fsum(weights.values())
    return weight_of(matched({t.term for t in iter_tokens(text)}, q, expansions), weights) / total if total else 0.0


def passage_coverage(index: CorpusIndex, q: Question, passage: Passage, expansions: dict[str, str]) -> float:
    """The idf-weighted share of the question's key terms that the passage, its heading or its article's
    title says; a question name that only another paragraph of the article says counts ARTICLE_NAMES."""
    weights = term_weights(q, index)
    total = math.fsum(weights.values())
    terms = {t.term for t in iter_tokens(passage.text)}
    if passage.heading:
        terms |= {t.term for t in iter_tokens(passage.heading)}
    article = index.articles.get(passage.article_id)
    if article is not None and article.title:
        terms |= {t.term for t in iter_tokens(article.title)}
    said = matched(terms, q, expansions)
    elsewhere = {t for t in q.proper if t in weights and t not in said and article_says(index, passage.article_id, t, expansions)}
    return (weight_of(said, weights) + ARTICLE_NAMES * weight_of(elsewhere, weights)) / total if total else 0.0
