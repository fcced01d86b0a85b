"""BM25 as rank-bm25 defines it, with Lucene's always-positive idf, and a fast exact implementation.

`ReferenceBM25` is rank-bm25's `BM25Okapi` with one change: the idf is Lucene's
`log(1 + (N - n + 0.5) / (n + 0.5))`, which never reaches 0 (rank-bm25 gives 0 to a term found in
exactly half of the passages, so a two-passage corpus can score everything 0; its issues #39, #43).
It is the definition of the score and is used in tests.

`BM25Index` computes the same scores from postings stored once per term, so a query touches only the
passages that contain its terms instead of walking every passage in Python.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

K1 = 1.5
B = 0.75


def lucene_idf(n_docs: int, doc_freq: np.ndarray | int) -> np.ndarray | float:
    """Lucene's BM25 idf: positive for every term, however common."""
    return np.log(1.0 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5))


class ReferenceBM25:
    """rank-bm25's BM25Okapi with Lucene's idf: the definition of newsqa's score (slow; for tests)."""

    def __init__(self, corpus: Sequence[Sequence[str]], k1: float = K1, b: float = B):
        from rank_bm25 import BM25Okapi

        class _LuceneOkapi(BM25Okapi):
            def _calc_idf(self, nd):  # noqa: ANN001 - rank_bm25's own signature
                for word, freq in nd.items():
                    self.idf[word] = math.log(1.0 + (self.corpus_size - freq + 0.5) / (freq + 0.5))

        self._bm25 = _LuceneOkapi([list(doc) for doc in corpus], k1=k1, b=b)

    def get_scores(self, query: Sequence[str]) -> np.ndarray:
        return self._bm25.get_scores(list(query))


class BM25Index:
    """Exact BM25 over per-term postings: `top_k` returns passage numbers and scores, best first."""

    def __init__(
        self,
        vocab: dict[str, int],
        indptr: np.ndarray,
        doc_ids: np.ndarray,
        term_freqs: np.ndarray,
        doc_lens: np.ndarray,
        k1: float = K1,
        b: float = B,
    ):
        self.vocab = vocab
        self.indptr = indptr
        self.doc_ids = doc_ids
        self.term_freqs = term_freqs
        self.doc_lens = doc_lens
        self.k1 = k1
        self.b = b
        self.n_docs = int(len(doc_lens))
        self.avgdl = float(doc_lens.sum()) / self.n_docs if self.n_docs else 0.0
        doc_freq = np.diff(indptr).astype(np.float64)
        self.idf = lucene_idf(self.n_docs, doc_freq) if self.n_docs else np.zeros(0)

    @classmethod
    def build(cls, corpus: Sequence[Sequence[str]], k1: float = K1, b: float = B) -> BM25Index:
        """Index token lists (one per passage)."""
        counts = [Counter(doc) for doc in corpus]
        terms = sorted({t for c in counts for t in c})
        vocab = {t: i for i, t in enumerate(terms)}
        postings: list[list[tuple[int, int]]] = [[] for _ in terms]
        for doc_id, c in enumerate(counts):
            for term, tf in c.items():
                postings[vocab[term]].append((doc_id, tf))
        indptr = np.zeros(len(terms) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(p) for p in postings])
        doc_ids = np.fromiter((d for p in postings for d, _ in p), dtype=np.int32, count=int(indptr[-1]))
        term_freqs = np.fromiter((f for p in postings for _, f in p), dtype=np.float64, count=int(indptr[-1]))
        doc_lens = np.array([len(doc) for doc in corpus], dtype=np.float64)
        return cls(vocab, indptr, doc_ids, term_freqs, doc_lens, k1=k1, b=b)

    def __len__(self) -> int:
        return self.n_docs

    def doc_freq(self, term: str) -> int:
        i = self.vocab.get(term)
        return 0 if i is None else int(self.indptr[i + 1] - self.indptr[i])

    def get_scores(self, query: Sequence[str]) -> np.ndarray:
        """The BM25 score of every passage, as rank-bm25's `get_scores` computes it."""
        scores = np.zeros(self.n_docs)
        for term in query:
            i = self.vocab.get(term)
            if i is None:
                continue
            lo, hi = self.indptr[i], self.indptr[i + 1]
            docs = self.doc_ids[lo:hi]
            tf = self.term_freqs[lo:hi]
            dl = self.doc_lens[docs]
            scores[docs] += self.idf[i] * (tf * (self.k1 + 1) / (tf + self.k1 * (1 - self.b + self.b * dl / self.avgdl)))
        return scores

    def top_k(self, query: Sequence[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k best passages that share a term with the query: (passage numbers, scores), best first.

        Ties are broken by passage number, so the order is deterministic.
        """
        if self.n_docs == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        scores = self.get_scores(query)
        matched = np.flatnonzero(scores > 0)
        if len(matched) > k:
            part = np.argpartition(-scores[matched], k - 1)[:k]
            kth = scores[matched[part]].min()
            matched = matched[scores[matched] >= kth]  # keep every tie at the boundary
        order = np.lexsort((matched, -scores[matched]))[:k]
        best = matched[order]
        return best, scores[best]

    def to_arrays(self) -> tuple[list[str], dict[str, np.ndarray]]:
        """What a saved index stores: the vocabulary (term i is `vocab[i]`) and plain arrays."""
        terms = sorted(self.vocab, key=self.vocab.__getitem__)
        arrays = {
            "indptr": self.indptr,
            "doc_ids": self.doc_ids,
            "term_freqs": self.term_freqs,
            "doc_lens": self.doc_lens,
        }
        return terms, arrays

    @classmethod
    def from_arrays(cls, terms: Sequence[str], arrays: dict[str, np.ndarray], k1: float = K1, b: float = B) -> BM25Index:
        """Rebuild from `to_arrays` output; the arrays may be memory-mapped."""
        vocab = {t: i for i, t in enumerate(terms)}
        return cls(vocab, arrays["indptr"], arrays["doc_ids"], arrays["term_freqs"], arrays["doc_lens"], k1=k1, b=b)
