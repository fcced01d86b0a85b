"""Term numbering and BM25 for a new generation, from stored term ids and the terms read now.

An update may run in a thread beside a bot's event loop, so no step here holds the GIL for long (at
100k passages the longest measured is about 30 ms, bench/RESULTS.md): stored term ids are renumbered
with array arithmetic and BM25 is rebuilt from them (`BM25Index.build_from_ids`), never turned back
into strings, or, when articles are only added, their postings are merged into the stored ones
(`BM25Index.insert_passages`).
"""

from __future__ import annotations

import bisect
import heapq

import numpy as np

from retrieval.bm25 import BM25Index, term_numbers
from retrieval.store import layout
from retrieval.store.snapshot import Snapshot
from retrieval.store.plan import FreshArticle, PlannedArticle


def number_terms(
    articles: list[PlannedArticle], snapshot: Snapshot | None
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray | None]:
    """The new generation's terms in sorted order, every passage's term ids into them (int32, back to
    back), where each passage's ids start (int64, one more than there are passages), and each stored
    term's new id, -1 for a term dropped (None: every stored term keeps its id).

    Stored articles keep their stored ids, shifted past the new terms sorted in before them: array
    arithmetic, no string per token. Only the terms of articles read now are looked up one by one.
    """
    old = snapshot.vocab if snapshot is not None else []
    new_terms: set[str] = set()
    for parsed in articles:
        if isinstance(parsed, FreshArticle):
            for passage_terms in parsed.terms:
                new_terms.update(passage_terms)
    missing = sorted_in_steps([t for t in new_terms if not in_sorted(old, t)])
    vocab = old + missing
    if old and missing:
        vocab.sort()  # two sorted runs: one linear merge
    number = term_numbers(vocab) if not old else {t: bisect.bisect_left(vocab, t) for t in new_terms}
    old_to_new = None
    if missing:
        at = np.array([bisect.bisect_left(old, t) for t in missing], dtype=np.int64)
        old_to_new = (np.arange(len(old)) + np.searchsorted(at, np.arange(len(old)), side="right")).astype(np.int32)

    ids: list[np.ndarray] = []
    lengths: list[np.ndarray] = []
    run: list[int] = []  # consecutive stored articles [first, last + 1], copied in one slice

    def copy_run() -> None:
        if run:
            assert snapshot is not None  # only stored articles make a run
            lo, hi = snapshot.passage_at[run[0]], snapshot.passage_at[run[1]]
            ptr = snapshot.term_ptr
            stored = np.asarray(snapshot.term_ids[int(ptr[lo]) : int(ptr[hi])])
            ids.append(old_to_new[stored] if old_to_new is not None else stored.astype(np.int32))
            lengths.append(np.diff(np.asarray(ptr[lo : hi + 1])))
            run.clear()

    for parsed in articles:
        i = parsed.stored
        if i is not None:
            if run and run[1] == i:
                run[1] = i + 1
            else:
                copy_run()
                run[:] = [i, i + 1]
            continue
        copy_run()
        terms = parsed.terms if isinstance(parsed, FreshArticle) else []
        count = sum(map(len, terms))
        ids.append(np.fromiter((number[t] for passage in terms for t in passage), dtype=np.int32, count=count))
        lengths.append(np.fromiter(map(len, terms), dtype=np.int64, count=len(terms)))
    copy_run()
    term_ids = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int32)
    term_ptr = np.zeros(sum(map(len, lengths)) + 1, dtype=np.int64)
    if lengths:
        np.cumsum(np.concatenate(lengths), out=term_ptr[1:])

    # Terms only removed or replaced articles used are dropped, so that every term has a passage.
    kept = {p.stored for p in articles if p.stored is not None}
    if snapshot is not None and len(kept) < len(snapshot.ids) and len(vocab):
        counts = np.bincount(term_ids, minlength=len(vocab))
        if not counts.all():
            used = np.flatnonzero(counts)
            renumber = np.full(len(vocab), -1, dtype=np.int32)
            renumber[used] = np.arange(len(used), dtype=np.int32)
            term_ids = renumber[term_ids]
            vocab = [vocab[i] for i in used.tolist()]
            old_to_new = renumber[old_to_new] if old_to_new is not None else renumber[: len(old)]
    return vocab, term_ids, term_ptr, old_to_new


def bm25_for(
    articles: list[PlannedArticle],
    snapshot: Snapshot | None,
    vocab: list[str],
    term_ids: np.ndarray,
    term_ptr: np.ndarray,
    term_map: np.ndarray | None,
) -> BM25Index:
    """BM25 over the new generation. When the update only adds articles (every stored article kept, in
    its order), the new passages' postings are merged into the stored arrays: at 1M passages that
    takes a fraction of the time of sorting all 34M postings again, which edits and removals still do.
    """
    kept = [p.stored for p in articles if p.stored is not None]
    if snapshot is None or not snapshot.ids or kept != list(range(len(snapshot.ids))):
        return BM25Index.build_from_ids(term_ids, np.diff(term_ptr), vocab)
    at: list[np.ndarray] = []
    tokens: list[np.ndarray] = []
    number = 0
    for parsed in articles:
        n = parsed.passage_count
        if parsed.stored is None:
            at.append(np.arange(number, number + n))
            tokens.append(term_ids[int(term_ptr[number]) : int(term_ptr[number + n])])
        number += n
    new = np.concatenate(at) if at else np.zeros(0, dtype=np.int64)
    new_tokens = np.concatenate(tokens) if tokens else np.zeros(0, dtype=np.int32)
    return BM25Index.insert_passages(
        snapshot.bm25_arrays, vocab, term_map, new, new_tokens, term_ptr[new + 1] - term_ptr[new]
    )


def sorted_in_steps(items: list[str]) -> list[str]:
    """`sorted(items)`; a long list is sorted in chunks and merged (sorting 200k terms in one call
    holds the GIL for ~0.1 s: a full build's vocabulary)."""
    if len(items) <= layout.JSON_CHUNK:
        return sorted(items)
    chunks = [sorted(items[i : i + layout.JSON_CHUNK]) for i in range(0, len(items), layout.JSON_CHUNK)]
    return list(heapq.merge(*chunks))


def in_sorted(terms: list[str], term: str) -> bool:
    i = bisect.bisect_left(terms, term)
    return i < len(terms) and terms[i] == term
