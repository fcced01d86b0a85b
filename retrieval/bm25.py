"""BM25 as rank-bm25 defines it, with Lucene's always-positive idf, computed fast and exactly.

The score is defined by rank-bm25's `BM25Okapi` with Lucene's idf, `log(1 + (N - n + 0.5) / (n + 0.5))`,
which never reaches 0: the test oracle in `tests/reference_bm25.py`. `BM25Index` computes the same scores,
bit for bit, from postings stored once per term, so a query touches only the passages that contain its
terms instead of walking every passage in Python:

- A passage's BM25 contribution for a term is `idf(term) * w(tf, dl)`, and `w` depends only on the
  term's frequency in the passage and the passage's length. The distinct `(tf, dl)` pairs of a corpus
  are few (thousands), so each posting stores a 2-byte code of its pair and `w` is computed once per
  pair, in float64, with rank-bm25's own expression and operation order: the scores are exact.
- A query adds `idf * w` into a per-thread buffer for the passages each term lists, in query order
  (the order rank-bm25 adds them in, so the floating-point sums are identical), then partially sorts
  only the passages it touched.
- Everything a query needs is a handful of flat arrays (`to_arrays`), which a saved index loads
  memory-mapped: opening a million-passage index reads no postings until a query needs them.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from itertools import chain
from typing import overload

import numpy as np

K1 = 1.5
B = 0.75

# Dense (tf, dl) grid used to number the pairs in one linear pass; above this many cells, sort instead.
_MAX_PAIR_GRID = 1 << 24
# Passages per step when building from token lists.
_BUILD_CHUNK = 2048
# Terms per step when building a vocabulary dict: a 200k-term dict built in one call holds the GIL ~50 ms.
_VOCAB_CHUNK = 16384
# Passages per np.repeat call when building from term ids (about 2M tokens, ~20 ms).
_REPEAT_CHUNK = 65536
# Postings per np.take call when renumbering stored postings in a merge (about 10 ms).
_MERGE_CHUNK = 1 << 22
_ARRAY_NAMES = ("indptr", "doc_ids", "impact_codes", "pair_tf", "pair_dl", "doc_lens")


@overload
def lucene_idf(n_docs: int, doc_freq: int) -> float: ...
@overload
def lucene_idf(n_docs: int, doc_freq: np.ndarray) -> np.ndarray: ...
def lucene_idf(n_docs: int, doc_freq: np.ndarray | int) -> np.ndarray | float:
    """Lucene's BM25 idf: positive for every term, however common.

    Computed with `math.log`, as the reference does, so that the two agree to the last bit.
    """
    if np.ndim(doc_freq) == 0:
        return math.log(1.0 + (n_docs - int(doc_freq) + 0.5) / (int(doc_freq) + 0.5))
    doc_freq = np.asarray(doc_freq)
    values, inverse = np.unique(doc_freq, return_inverse=True)  # few distinct frequencies
    logs = np.array([math.log(1.0 + (n_docs - int(n) + 0.5) / (int(n) + 0.5)) for n in values], dtype=np.float64)
    return logs[inverse].reshape(doc_freq.shape)


def term_numbers(terms: Sequence[str]) -> dict[str, int]:
    """`{terms[i]: i}`, built in steps so that another thread gets the GIL in between."""
    vocab: dict[str, int] = {}
    for start in range(0, len(terms), _VOCAB_CHUNK):
        vocab.update(zip(terms[start : start + _VOCAB_CHUNK], range(start, start + _VOCAB_CHUNK)))
    return vocab


def _smallest_uint(max_value: int) -> type:
    for dtype in (np.uint8, np.uint16, np.uint32):
        if max_value <= np.iinfo(dtype).max:
            return dtype
    return np.uint64


class BM25Index:
    """Exact BM25 over per-term postings: `top_k` returns passage numbers and scores, best first.

    Postings of term `i` are `doc_ids[indptr[i]:indptr[i + 1]]` (ascending passage numbers) with the
    codes `impact_codes[...]` of their `(tf, dl)` pairs: pair `c` is `(pair_tf[c], pair_dl[c])`.
    """

    def __init__(
        self,
        vocab: dict[str, int],
        indptr: np.ndarray,
        doc_ids: np.ndarray,
        impact_codes: np.ndarray,
        pair_tf: np.ndarray,
        pair_dl: np.ndarray,
        doc_lens: np.ndarray,
        k1: float = K1,
        b: float = B,
    ):
        # np.asarray turns a np.memmap into a plain view of the same pages: nothing is copied.
        self.vocab = vocab
        self.indptr = np.asarray(indptr)
        self.doc_ids = np.asarray(doc_ids)
        self.impact_codes = np.asarray(impact_codes)
        self.pair_tf = np.asarray(pair_tf)
        self.pair_dl = np.asarray(pair_dl)
        self.doc_lens = np.asarray(doc_lens)
        self.k1 = k1
        self.b = b
        self.n_docs = int(len(self.doc_lens))
        if len(self.indptr) != len(vocab) + 1 or len(self.doc_ids) != len(self.impact_codes):
            raise ValueError("BM25 arrays do not fit together: the saved index is damaged; re-index")
        # rank-bm25: avgdl = (sum of lengths, a Python int) / corpus size.
        self.avgdl = int(self.doc_lens.sum(dtype=np.int64)) / self.n_docs if self.n_docs else 0.0
        self.idf = lucene_idf(self.n_docs, np.diff(self.indptr)) if self.n_docs else np.zeros(len(vocab))
        self._pair_weight = self._weights(self.pair_tf, self.pair_dl)
        self._local = threading.local()

    def _weights(self, tf: np.ndarray, dl: np.ndarray) -> np.ndarray:
        """rank-bm25's `tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))`, same operations, same order."""
        if len(tf) == 0:
            return np.zeros(0)
        tf = tf.astype(np.int64)
        dl = dl.astype(np.int64)
        return tf * (self.k1 + 1) / (tf + self.k1 * (1 - self.b + self.b * dl / self.avgdl))

    # --- building -------------------------------------------------------------------------------

    @classmethod
    def build(cls, corpus: Sequence[Sequence[str]], k1: float = K1, b: float = B) -> BM25Index:
        """Index token lists (one per passage); terms are numbered in order of first occurrence."""
        # Chunks keep every C-level step short: a re-index in a worker thread then hands the GIL
        # back often enough that the bot's event loop is never held up for long.
        vocab: dict[str, int] = {}
        parts = []
        for start in range(0, len(corpus), _BUILD_CHUNK):
            chunk = corpus[start : start + _BUILD_CHUNK]
            for term in dict.fromkeys(chain.from_iterable(chunk)):
                vocab.setdefault(term, len(vocab))
            count = sum(map(len, chunk))
            parts.append(np.fromiter(map(vocab.__getitem__, chain.from_iterable(chunk)), dtype=np.int32, count=count))
        token_ids = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
        doc_lens = np.fromiter(map(len, corpus), dtype=np.int64, count=len(corpus))
        return cls.build_from_ids(token_ids, doc_lens, list(vocab), k1=k1, b=b)

    @classmethod
    def build_from_ids(
        cls,
        token_ids: np.ndarray,
        doc_lens: np.ndarray,
        terms: Sequence[str],
        k1: float = K1,
        b: float = B,
    ) -> BM25Index:
        """Index passages given as term ids: `token_ids` holds every passage's tokens one after another
        (`terms[token_ids[j]]` is a token), `doc_lens` how many tokens each passage has.

        No Python-level work per token: what a saved index needs to rebuild after one article changes.
        Terms that no passage uses are left out of the vocabulary.
        """
        token_ids = np.asarray(token_ids)
        doc_lens = np.asarray(doc_lens, dtype=np.int64)
        n_docs, n_terms = len(doc_lens), len(terms)
        if doc_lens.ndim != 1 or token_ids.ndim != 1 or (len(doc_lens) and doc_lens.min() < 0):
            raise ValueError("token_ids and doc_lens must be flat arrays, doc_lens non-negative")
        if int(doc_lens.sum()) != len(token_ids):
            raise ValueError(f"doc_lens add up to {int(doc_lens.sum())} tokens but token_ids has {len(token_ids)}")
        if len(token_ids) and (token_ids.min() < 0 or token_ids.max() >= n_terms):
            raise ValueError(f"token ids must lie in [0, {n_terms}): one is out of range")
        # Keep only the terms that occur, in their given order.
        used = np.flatnonzero(np.bincount(token_ids, minlength=n_terms)) if len(token_ids) else np.zeros(0, np.int64)
        remap = np.full(n_terms, -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        if len(used) == n_terms:
            vocab = term_numbers(terms)
        else:
            vocab = term_numbers([terms[i] for i in used.tolist()])
        # Sort (term, passage) keys: runs of equal keys are postings, run lengths their tf.
        key = remap[token_ids]
        key *= max(n_docs, 1)
        # np.repeat holds the GIL (0.4 s over 34M tokens): add each token's passage number in steps.
        starts = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(doc_lens, out=starts[1:])
        for first in range(0, n_docs, _REPEAT_CHUNK):
            last = min(n_docs, first + _REPEAT_CHUNK)
            key[starts[first] : starts[last]] += np.repeat(np.arange(first, last, dtype=np.int64), doc_lens[first:last])
        del starts
        key, tf = _count_keys(key)
        term_of_posting = key // max(n_docs, 1)
        doc_ids = (key - term_of_posting * max(n_docs, 1)).astype(np.int32)
        del key
        indptr = np.zeros(len(used) + 1, dtype=np.int64)
        np.cumsum(np.bincount(term_of_posting, minlength=len(used)), out=indptr[1:])
        del term_of_posting
        codes, pair_tf, pair_dl = _pair_codes(tf, doc_lens[doc_ids])
        return cls(vocab, indptr, doc_ids, codes, pair_tf, pair_dl, doc_lens.astype(np.int32), k1=k1, b=b)

    @classmethod
    def insert_passages(
        cls,
        arrays: dict[str, np.ndarray],
        terms: Sequence[str],
        term_map: np.ndarray | None,
        at: np.ndarray,
        token_ids: np.ndarray,
        doc_lens: np.ndarray,
        k1: float = K1,
        b: float = B,
    ) -> BM25Index:
        """What `build_from_ids` builds over the passages of `arrays` with new ones inserted among them,
        made by merging the new passages' postings into the stored ones instead of sorting them all.

        `arrays` are `arrays()` over old term ids; old term `i` is `terms[term_map[i]]` (`term_map`
        ascending; None: the same ids). The new passages are given as in `build_from_ids`, in term ids
        into `terms`; `at` (ascending) are their numbers among all passages, and the old passages take
        the numbers left, in their order. Every term must have a passage (nothing is removed here).
        """
        old_indptr = np.asarray(arrays["indptr"])
        old_docs = np.asarray(arrays["doc_ids"])
        old_codes = np.asarray(arrays["impact_codes"])
        old_lens = np.asarray(arrays["doc_lens"])
        at = np.asarray(at, dtype=np.int64)
        token_ids = np.asarray(token_ids, dtype=np.int64)
        doc_lens = np.asarray(doc_lens, dtype=np.int64)
        n_old_terms, n_terms = len(old_indptr) - 1, len(terms)
        n_docs = len(old_lens) + len(at)
        term_map = np.arange(n_old_terms) if term_map is None else np.asarray(term_map, dtype=np.int64)
        if len(at) != len(doc_lens) or int(doc_lens.sum()) != len(token_ids) or len(term_map) != n_old_terms:
            raise ValueError("at, doc_lens and token_ids do not fit together")
        if len(at) and (at[0] < 0 or at[-1] >= n_docs or (np.diff(at) <= 0).any()):
            raise ValueError("passage numbers must be ascending and below the number of passages")
        if len(token_ids) and (token_ids.min() < 0 or token_ids.max() >= n_terms):
            raise ValueError(f"token ids must lie in [0, {n_terms}): one is out of range")
        if n_old_terms and (term_map[0] < 0 or term_map[-1] >= n_terms or (np.diff(term_map) <= 0).any()):
            raise ValueError("term_map must be ascending, into the terms")

        # The new passages' postings, sorted by (term, passage): tiny next to the stored ones.
        key = token_ids * n_docs + np.repeat(at, doc_lens)
        key, tf = _count_keys(key)
        new_terms, new_docs = key // n_docs, key % n_docs
        # `before[j]`: old passages numbered below new passage j's number; new passage j goes there.
        before = at - np.arange(len(at))
        lens = np.insert(old_lens.astype(np.int32), before, doc_lens.astype(np.int32))

        counts = np.zeros(n_terms, dtype=np.int64)
        counts[term_map] = np.diff(old_indptr)
        counts += np.bincount(new_terms, minlength=n_terms)
        if not counts.all():
            raise ValueError("a term has no passage")
        indptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])

        # Where each new posting goes among the old ones: at the start of the old terms after its term,
        # and for a term the old passages have, after its postings in old passages numbered before it.
        old_term = np.searchsorted(term_map, new_terms)
        lo = old_indptr[old_term].astype(np.int64)
        known = old_term < n_old_terms
        known[known] = term_map[old_term[known]] == new_terms[known]
        hi = lo.copy()
        hi[known] = old_indptr[old_term[known] + 1]
        limit = new_docs - np.searchsorted(at, new_docs)  # old passages numbered below it
        while (searching := lo < hi).any():  # one binary search per posting, all at once
            mid = (lo + hi) // 2
            below = old_docs[np.minimum(mid, len(old_docs) - 1)] < limit
            lo = np.where(searching & below, mid + 1, lo)
            hi = np.where(searching & ~below, mid, hi)
        # Old passage numbers shift past the new passages numbered below them.
        docs = old_docs
        if len(at) and at[0] < len(old_lens):
            number = np.delete(np.arange(n_docs, dtype=np.int32), at)
            docs = np.empty_like(old_docs)
            for start in range(0, len(old_docs), _MERGE_CHUNK):
                np.take(number, old_docs[start : start + _MERGE_CHUNK], out=docs[start : start + _MERGE_CHUNK])
        doc_ids = np.insert(docs, lo, new_docs.astype(np.int32))

        # Pair codes number the (tf, dl) pairs in order: renumber the old ones if new pairs sort in.
        old_tf, old_dl = np.asarray(arrays["pair_tf"]), np.asarray(arrays["pair_dl"])
        new_dl = lens[new_docs].astype(np.int64)
        width = int(max(old_dl.max(initial=0), new_dl.max(initial=0))) + 1
        old_keys = old_tf.astype(np.int64) * width + old_dl
        new_keys = tf * width + new_dl
        pairs = np.union1d(old_keys, new_keys)
        dtype = _smallest_uint(max(len(pairs) - 1, 0xFFFF))
        codes = old_codes
        if len(pairs) != len(old_keys):
            renumber = np.searchsorted(pairs, old_keys).astype(dtype)
            codes = np.empty(len(old_codes), dtype=dtype)
            for start in range(0, len(old_codes), _MERGE_CHUNK):
                np.take(renumber, old_codes[start : start + _MERGE_CHUNK], out=codes[start : start + _MERGE_CHUNK])
        codes = np.insert(codes.astype(dtype, copy=False), lo, np.searchsorted(pairs, new_keys).astype(dtype))
        vocab = term_numbers(terms)
        return cls(
            vocab, indptr, doc_ids, codes, (pairs // width).astype(np.int32), (pairs % width).astype(np.int32), lens,
            k1=k1, b=b,
        )

    # --- queries --------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self.n_docs

    @property
    def term_freqs(self) -> np.ndarray:
        """Each posting's term frequency (derived from its pair code; builds an array as long as `doc_ids`)."""
        return self.pair_tf[self.impact_codes]

    def doc_freq(self, term: str) -> int:
        i = self.vocab.get(term)
        return 0 if i is None else int(self.indptr[i + 1] - self.indptr[i])

    def passages_with(self, term: str) -> np.ndarray:
        """The passage numbers holding a term, in ascending order (empty for a term nowhere)."""
        i = self.vocab.get(term)
        if i is None:
            return self.doc_ids[:0]
        return self.doc_ids[self.indptr[i] : self.indptr[i + 1]]

    def _postings(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Passage numbers holding term `i`, and the term's score in each."""
        lo, hi = self.indptr[i], self.indptr[i + 1]
        return self.doc_ids[lo:hi], self.idf[i] * self._pair_weight[self.impact_codes[lo:hi]]

    def get_scores(self, query: Sequence[str]) -> np.ndarray:
        """The BM25 score of every passage, as rank-bm25's `get_scores` computes it."""
        scores = np.zeros(self.n_docs)
        for term in query:
            i = self.vocab.get(term)
            if i is not None:
                docs, contrib = self._postings(i)
                np.add.at(scores, docs, contrib)
        return scores

    def scores_between(self, query: Sequence[str], lo: int, hi: int) -> np.ndarray:
        """The BM25 scores of passages lo..hi-1 (an article's), as `get_scores` gives them: each term's
        postings searched for that range, the rest of the corpus untouched."""
        scores = np.zeros(max(hi - lo, 0))
        for term in query:
            i = self.vocab.get(term)
            if i is None:
                continue
            docs, contrib = self._postings(i)
            a, b = np.searchsorted(docs, [lo, hi])
            np.add.at(scores, docs[a:b] - lo, contrib[a:b])
        return scores

    def _buffer(self) -> np.ndarray:
        """A zeroed score array for this thread; callers put the zeros back."""
        buf = getattr(self._local, "scores", None)
        if buf is None:
            buf = self._local.scores = np.zeros(self.n_docs)
        return buf

    def top_k(self, query: Sequence[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k best passages that share a term with the query: (passage numbers, scores), best first.

        Ties are broken by passage number, so the order is deterministic.
        """
        ids = [i for i in map(self.vocab.get, query) if i is not None]
        if self.n_docs == 0 or k <= 0 or not ids:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        scores = self._buffer()
        touched: list[np.ndarray] = []
        seen: set[int] = set()
        try:
            # Terms are added in query order, repeats included, as rank-bm25 adds them: same sums.
            for i in ids:
                docs, contrib = self._postings(i)
                if not seen:
                    touched.append(docs)
                elif i not in seen:
                    touched.append(docs[scores[docs] == 0.0])  # every contribution is > 0
                seen.add(i)
                np.add.at(scores, docs, contrib)
            cand = np.concatenate(touched) if len(touched) > 1 else np.array(touched[0])
            vals = scores[cand]
        finally:
            for docs in touched:
                scores[docs] = 0.0
        if len(cand) > k:
            kth = -np.partition(-vals, k - 1)[k - 1]
            keep = vals >= kth  # every tie at the boundary, so that ties break by passage number
            cand, vals = cand[keep], vals[keep]
        order = np.lexsort((cand, -vals))[:k]
        return cand[order].astype(np.int64), vals[order]

    @staticmethod
    def check_arrays(n_terms: int, arrays: dict[str, np.ndarray]) -> None:
        """Raise ValueError unless `arrays` are `to_arrays` arrays that fit together and `n_terms` terms."""
        missing = set(_ARRAY_NAMES) - set(arrays)
        if missing:
            raise ValueError(f"saved BM25 index lacks {', '.join(sorted(missing))}: re-index")
        if any(np.ndim(arrays[name]) != 1 for name in _ARRAY_NAMES):
            raise ValueError("BM25 arrays must be flat: the saved index is damaged; re-index")
        if len(arrays["indptr"]) != n_terms + 1 or len(arrays["doc_ids"]) != len(arrays["impact_codes"]):
            raise ValueError("BM25 arrays do not fit together: the saved index is damaged; re-index")

    # --- saving ---------------------------------------------------------------------------------

    def to_arrays(self) -> tuple[list[str], dict[str, np.ndarray]]:
        """What a saved index stores: the vocabulary (term i is `terms[i]`) and plain arrays."""
        return sorted(self.vocab, key=self.vocab.__getitem__), self.arrays()

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays of `to_arrays`, without sorting the vocabulary (for a caller that has it in order)."""
        return {name: getattr(self, name) for name in _ARRAY_NAMES}

    @classmethod
    def from_arrays(cls, terms: Sequence[str], arrays: dict[str, np.ndarray], k1: float = K1, b: float = B) -> BM25Index:
        """Rebuild from `to_arrays` output; the arrays may be read-only memory maps and are not copied."""
        cls.check_arrays(len(terms), arrays)
        vocab = term_numbers(terms)
        if len(vocab) != len(terms):
            raise ValueError("saved BM25 vocabulary repeats a term: re-index")
        return cls(
            vocab,
            arrays["indptr"],
            arrays["doc_ids"],
            arrays["impact_codes"],
            arrays["pair_tf"],
            arrays["pair_dl"],
            arrays["doc_lens"],
            k1=k1,
            b=b,
        )


def _pair_codes(tf: np.ndarray, dl: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Number the distinct (tf, dl) pairs of the postings: (code per posting, pair_tf, pair_dl)."""
    if len(tf) == 0:
        return np.zeros(0, np.uint16), np.zeros(0, np.int32), np.zeros(0, np.int32)
    width = int(dl.max()) + 1
    key = tf.astype(np.int64) * width + dl
    cells = (int(tf.max()) + 1) * width
    if cells <= _MAX_PAIR_GRID:
        present = np.zeros(cells, dtype=bool)
        present[key] = True
        pairs = np.flatnonzero(present)
        rank = np.zeros(cells, dtype=np.int64)
        rank[pairs] = np.arange(len(pairs))
        codes = rank[key]
    else:
        pairs, codes = np.unique(key, return_inverse=True)
    codes = codes.astype(_smallest_uint(max(len(pairs) - 1, 0xFFFF)))
    return codes, (pairs // width).astype(np.int32), (pairs % width).astype(np.int32)


def _count_keys(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort (term, passage) keys in place; each distinct key once, with how often it occurred (its tf)."""
    key.sort()
    if not len(key):
        return key, np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    return key[starts], np.diff(np.append(starts, len(key)))
