"""Retrieval alone: the passages BM25 ranks best for a query, with the words that matched."""

from __future__ import annotations

from retrieval.config import SEARCH_K
from retrieval.index import CorpusIndex
from retrieval.models import SearchHit, SearchResult
from retrieval.tokens import iter_tokens, tokenize


def search(index: CorpusIndex, query: str, k: int = SEARCH_K) -> SearchResult:
    """The `k` best passages for `query` by BM25 (no re-ranking, no answer), best first.

    A query with no indexed word (empty, or only stop words) finds nothing rather than everything.
    """
    terms = tokenize(query)
    if not terms or k < 1:
        return SearchResult(query=query)
    wanted = set(terms)
    hits = []
    for passage, score in index.search(terms, k):
        if score <= 0:
            continue
        matches = [(t.start, t.end) for t in iter_tokens(passage.text) if not t.stop and t.term in wanted]
        hits.append(SearchHit(**index.reference(passage), score=round(score, 4), matches=matches))
    return SearchResult(query=query, hits=hits)
