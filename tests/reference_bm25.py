"""The test oracle for BM25: rank-bm25's `BM25Okapi` with Lucene's idf, the definition of newsqa's score.

The idf is Lucene's `log(1 + (N - n + 0.5) / (n + 0.5))`, which never reaches 0 (rank-bm25's own gives 0
to a term found in exactly half of the passages, so a two-passage corpus can score everything 0; its
issues #39, #43). `retrieval.bm25.BM25Index` must give the same scores, bit for bit (tests/test_bm25.py,
bench/bench_scale.py's exactness check). Slow: for tests and benchmarks only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from rank_bm25 import BM25Okapi

from retrieval.bm25 import B, K1


class _LuceneOkapi(BM25Okapi):
    def _calc_idf(self, nd):  # noqa: ANN001 - rank_bm25's own signature
        for word, freq in nd.items():
            self.idf[word] = math.log(1.0 + (self.corpus_size - freq + 0.5) / (freq + 0.5))


class ReferenceBM25:
    """rank-bm25's BM25Okapi with Lucene's idf."""

    def __init__(self, corpus: Sequence[Sequence[str]], k1: float = K1, b: float = B):
        self._bm25 = _LuceneOkapi([list(doc) for doc in corpus], k1=k1, b=b)

    def get_scores(self, query: Sequence[str]) -> np.ndarray:
        return self._bm25.get_scores(list(query))
