"""Retrieval alone: the passages ranked best for a query, with the words that matched.

BM25 alone (exact, rank-bm25's scores), or hybrid where the index has passage vectors: BM25's best and
the dense encoder's best, each scored `(1 - DENSE_WEIGHT) * bm25 / best bm25 + DENSE_WEIGHT * cosine`
(the weight the answer path uses, `retrieval.rerank.DENSE_WEIGHT`), each hit saying which ranker found it.
"""

from __future__ import annotations

import numpy as np

from retrieval.config import SEARCH_K
from retrieval.index import CorpusIndex
from retrieval.models import FoundBy, Passage, SearchHit, SearchResult
from retrieval.rerank import DENSE_DEPTH, DENSE_WEIGHT
from retrieval.tokens import iter_tokens, tokenize

# A passage only the dense encoder found is shown when its cosine with the query is at least this: related
# news passages score about 0.3 to 0.8 with all-MiniLM-L6-v2, an unrelated one about 0 to 0.15.
SEARCH_FLOOR = 0.25


def search(index: CorpusIndex, query: str, k: int = SEARCH_K, vector: np.ndarray | None = None) -> SearchResult:
    """The `k` best passages for `query`, best first: by BM25 alone, or hybrid when the query's `vector`
    is given and the index has passage vectors (no re-ranking, no answer).

    A query with no indexed word (empty, or only stop words) finds nothing by BM25; hybrid, the dense
    encoder may still find passages close in meaning.
    """
    terms = tokenize(query)
    if k < 1 or not query.strip():
        return SearchResult(query=query)
    lexical = [(p, s) for p, s in index.search(terms, max(k, DENSE_DEPTH) if vector is not None else k) if s > 0] if terms else []
    if vector is None or index.dense is None:
        ranked: list[tuple[Passage, float, FoundBy]] = [(p, s, "bm25") for p, s in lexical[:k]]
    else:
        ranked = _hybrid(index, lexical, vector, k)
    wanted = set(terms)
    hits = []
    for passage, score, found_by in ranked:
        matches = [(t.start, t.end) for t in iter_tokens(passage.text) if not t.stop and t.term in wanted]
        hits.append(SearchHit(**index.reference(passage), score=round(score, 4), matches=matches, found_by=found_by))
    return SearchResult(query=query, hits=hits)


def _hybrid(index: CorpusIndex, lexical: list[tuple[Passage, float]], vector: np.ndarray, k: int) -> list[tuple[Passage, float, FoundBy]]:
    assert index.dense is not None
    sims = index.dense.similarities(vector)
    best = lexical[0][1] if lexical else 1.0
    found: dict[int, tuple[Passage, float, FoundBy]] = {index.row(p): (p, s / best, "bm25") for p, s in lexical}
    for row, cosine in index.dense.search(vector, max(k, DENSE_DEPTH)):
        if row not in found and cosine < SEARCH_FLOOR:
            continue  # a passage only the encoder found, and not close: noise for a query the corpus does not cover
        passage, s, _ = found.get(row, (index.passages[row], 0.0, ""))
        found[row] = (passage, s, "both" if row in found else "dense")
    order = {row: n for n, row in enumerate(found)}
    scored = sorted(found.items(), key=lambda item: (-((1 - DENSE_WEIGHT) * item[1][1] + DENSE_WEIGHT * float(sims[item[0]])), order[item[0]]))
    return [(p, (1 - DENSE_WEIGHT) * s + DENSE_WEIGHT * float(sims[row]), by) for row, (p, s, by) in scored[:k]]
