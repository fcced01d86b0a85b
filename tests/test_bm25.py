"""BM25Index gives rank-bm25's scores (ReferenceBM25) and its ranking, ties included, at any size."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from retrieval.bm25 import BM25Index
from tests.reference_bm25 import ReferenceBM25


def reference_top(scores: np.ndarray, k: int) -> list[int]:
    """The definition of the top k: passages sharing a term (score > 0), best first, ties by number."""
    matched = np.flatnonzero(scores > 0)
    return [int(i) for i in matched[np.lexsort((matched, -scores[matched]))][:k]]


@pytest.fixture(scope="module")
def news_like() -> tuple[list[list[str]], list[list[str]]]:
    """3,000 passages with a skewed vocabulary, plus near-duplicates (copies, one word changed,
    one word added) so that rankings have exact ties and near-ties; and 300 queries."""
    rng = random.Random(6)
    words = [f"w{i}" for i in range(2000)]
    weights = [1 / (r + 3) for r in range(len(words))]
    corpus = [rng.choices(words, weights, k=rng.randint(3, 90)) for _ in range(3000)]
    for i in range(0, 600, 3):
        base = corpus[i]
        corpus.append(list(base))  # exact copy: ties with its original
        corpus.append(base[:-1] + [rng.choice(words)])  # one word changed
        corpus.append(base + [base[0]])  # one word repeated: same terms, longer
    corpus.append([])  # an empty passage
    queries = []
    for _ in range(300):
        source = rng.choice(corpus) or ["w1"]
        queries.append([rng.choice(source) for _ in range(rng.randint(1, 8))] + rng.sample(["zzz", "w5", "w1999"], 1))
    return corpus, queries


def test_scores_and_top10_equal_reference(news_like):
    corpus, queries = news_like
    ref, index = ReferenceBM25(corpus), BM25Index.build(corpus)
    ties_seen = 0
    for query in queries:
        expected = ref.get_scores(query)
        np.testing.assert_allclose(index.get_scores(query), expected, rtol=0, atol=1e-9)
        ids, scores = index.top_k(query, 10)
        assert ids.tolist() == reference_top(expected, 10), query
        np.testing.assert_allclose(scores, expected[ids], rtol=0, atol=1e-9)
        ties_seen += len(scores) - len(np.unique(scores))
    assert ties_seen > 50  # the corpus does exercise tie-breaking inside the top 10


def test_scores_are_bit_identical_to_reference(news_like):
    """Same operations in the same order as rank-bm25, so not even the last bit differs."""
    corpus, queries = news_like
    ref, index = ReferenceBM25(corpus), BM25Index.build(corpus)
    for query in queries[:50]:
        assert np.array_equal(index.get_scores(query), ref.get_scores(query))


def test_top_k_returns_only_passages_sharing_a_term():
    index = BM25Index.build([["cat"], ["dog"], ["cat", "dog"], ["bird"]])
    ids, scores = index.top_k(["cat"], 10)
    assert ids.tolist() == [0, 2]
    assert (scores > 0).all()
    assert index.top_k(["fish"], 10)[0].tolist() == []
    assert index.top_k(["cat"], 0)[0].tolist() == []


@pytest.mark.parametrize(
    "corpus, query",
    [
        ([["putin", "biden", "call"]], ["call"]),  # one passage: the term is in all of them
        ([["putin", "call"], ["biden", "summit"]], ["call"]),  # exactly half: rank-bm25's idf is 0 here
        ([["putin", "call"], ["biden", "call"]], ["call"]),  # in both
    ],
)
def test_tiny_corpora_still_score_matches(corpus, query):
    index = BM25Index.build(corpus)
    ids, scores = index.top_k(query, 10)
    assert len(ids) >= 1 and (scores > 0).all()
    np.testing.assert_allclose(index.get_scores(query), ReferenceBM25(corpus).get_scores(query), atol=1e-9)


def test_half_the_passages_trap_of_plain_rank_bm25():
    """Why newsqa uses Lucene's idf: plain BM25Okapi scores a two-passage corpus 0 for such a term."""
    from rank_bm25 import BM25Okapi

    corpus = [["putin", "call"], ["biden", "summit"]]
    assert BM25Okapi(corpus).get_scores(["call"]).max() == 0
    assert BM25Index.build(corpus).get_scores(["call"])[0] > 0


def test_empty_corpus():
    index = BM25Index.build([])
    assert len(index) == 0 and index.doc_freq("x") == 0
    assert index.get_scores(["x"]).shape == (0,)
    ids, scores = index.top_k(["x"], 10)
    assert ids.tolist() == [] and scores.tolist() == []
    terms, arrays = index.to_arrays()
    assert len(BM25Index.from_arrays(terms, arrays)) == 0


def test_passages_without_terms():
    index = BM25Index.build([[], [], []])
    assert index.top_k(["x"], 10)[0].tolist() == []


def test_unknown_and_repeated_query_terms():
    corpus = [["rate", "bank", "rate"], ["bank", "loan"], ["rate"], ["loan", "loan", "euro"]]
    ref, index = ReferenceBM25(corpus), BM25Index.build(corpus)
    for query in (["unknown"], ["rate", "rate"], ["rate", "unknown", "rate", "bank"], ["loan"] * 5):
        expected = ref.get_scores(query)
        np.testing.assert_allclose(index.get_scores(query), expected, atol=1e-9)
        assert index.top_k(query, 10)[0].tolist() == reference_top(expected, 10)
    assert index.top_k(["unknown"], 10)[0].tolist() == []
    # A repeated term counts twice, as in rank-bm25.
    assert index.get_scores(["rate", "rate"])[2] == pytest.approx(2 * index.get_scores(["rate"])[2])


def test_ties_break_by_passage_number():
    corpus = [["other"], ["same", "words"], ["x"], ["same", "words"], ["same", "words"]]
    ids, scores = BM25Index.build(corpus).top_k(["same"], 2)
    assert ids.tolist() == [1, 3] and scores[0] == scores[1]


def test_saved_arrays_load_memory_mapped(news_like, tmp_path: Path):
    corpus, queries = news_like
    index = BM25Index.build(corpus)
    terms, arrays = index.to_arrays()
    for name, array in arrays.items():
        np.save(tmp_path / f"{name}.npy", array, allow_pickle=False)
    loaded = {name: np.load(tmp_path / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in arrays}
    again = BM25Index.from_arrays(terms, loaded)
    # The postings stay on disk: read-only views of the mapped files, not copies.
    for name in ("doc_ids", "impact_codes", "indptr", "doc_lens"):
        array = getattr(again, name)
        assert not array.flags.writeable and np.shares_memory(array, loaded[name]), name
    assert again.vocab == index.vocab
    for query in queries[:100]:
        ids, scores = index.top_k(query, 10)
        ids2, scores2 = again.top_k(query, 10)
        assert ids2.tolist() == ids.tolist() and np.array_equal(scores, scores2)
    assert again.doc_freq("w1") == index.doc_freq("w1") > 0
    np.testing.assert_array_equal(again.idf, index.idf)


def test_build_from_ids_matches_build():
    corpus = [["b", "a", "b"], [], ["c"], ["a", "d", "d", "d"]]
    terms = ["unused", "d", "c", "b", "a"]  # any order; a term no passage uses is dropped
    ids = np.array([terms.index(t) for doc in corpus for t in doc], dtype=np.uint32)
    from_ids = BM25Index.build_from_ids(ids, [len(d) for d in corpus], terms)
    built = BM25Index.build(corpus)
    assert "unused" not in from_ids.vocab and set(from_ids.vocab) == set(built.vocab)
    for query in (["a"], ["d", "b"], ["c", "a", "unused"]):
        assert np.array_equal(from_ids.get_scores(query), built.get_scores(query))
        assert from_ids.top_k(query, 3)[0].tolist() == built.top_k(query, 3)[0].tolist()
    assert from_ids.doc_freq("a") == 2
    assert sorted(from_ids.term_freqs.tolist()) == sorted(built.term_freqs.tolist()) == [1, 1, 1, 2, 3]


def test_build_from_ids_in_small_steps_builds_the_same_index(news_like, monkeypatch):
    """The passage numbers are added a chunk of passages at a time (for the GIL): chunk edges change nothing."""
    import retrieval.bm25

    corpus, queries = news_like
    terms = sorted({t for doc in corpus for t in doc})
    number = {t: i for i, t in enumerate(terms)}
    ids = np.array([number[t] for doc in corpus for t in doc], dtype=np.int32)
    lens = [len(doc) for doc in corpus]
    whole = BM25Index.build_from_ids(ids, lens, terms)
    monkeypatch.setattr(retrieval.bm25, "_REPEAT_CHUNK", 7)
    monkeypatch.setattr(retrieval.bm25, "_VOCAB_CHUNK", 5)
    stepped = BM25Index.build_from_ids(ids, lens, terms)
    assert stepped.vocab == whole.vocab == number
    for name, array in whole.arrays().items():
        assert np.array_equal(stepped.arrays()[name], array), name
    ref = ReferenceBM25(corpus)
    for query in queries[:50]:
        assert np.array_equal(stepped.get_scores(query), ref.get_scores(query))


def _build_with(old: list[list[str]], new: list[list[str]], at: list[int]) -> tuple[BM25Index, BM25Index, list[list[str]]]:
    """(`insert_passages` of `new` at numbers `at` into an index of `old`, `build_from_ids` over all
    the passages in that order, all the passages) over one sorted vocabulary, as the saved index numbers it."""
    corpus = list(old)
    for number, passage in zip(at, new):
        corpus.insert(number, passage)
    terms = sorted({t for doc in corpus for t in doc})
    number = {t: i for i, t in enumerate(terms)}
    old_terms = sorted({t for doc in old for t in doc})
    stored = BM25Index.build_from_ids(
        np.array([old_terms.index(t) for doc in old for t in doc], dtype=np.int32), [len(d) for d in old], old_terms
    )
    merged = BM25Index.insert_passages(
        stored.arrays(), terms, np.array([number[t] for t in old_terms]), np.array(at),
        np.array([number[t] for doc in new for t in doc], dtype=np.int32), [len(d) for d in new],
    )
    full = BM25Index.build_from_ids(np.array([number[t] for doc in corpus for t in doc], dtype=np.int32), [len(d) for d in corpus], terms)
    return merged, full, corpus


@pytest.mark.parametrize(
    "new, at",
    [
        ([["zebra", "cross"]], [4]),  # appended, a new term sorted last
        ([["aardvark", "bridg", "bridg"]], [0]),  # first: every stored passage number shifts
        ([["bridg"], ["cost", "aardvark", "cost", "cost"]], [1, 3]),  # between, a new (tf, dl) pair
        ([[], ["bridg", "open"]], [2, 3]),  # an empty passage; two new passages side by side
        ([], []),  # nothing added
    ],
)
def test_inserting_passages_builds_what_a_full_build_does(new, at):
    old = [["bridg", "open", "bridg"], ["cost", "million"], [], ["open", "harbor", "ferri"]]
    merged, full, corpus = _build_with(old, new, at)
    assert merged.vocab == full.vocab
    for name, array in full.arrays().items():
        assert merged.arrays()[name].dtype == array.dtype, name
        assert np.array_equal(merged.arrays()[name], array), name
    ref = ReferenceBM25(corpus)
    for query in (["bridg"], ["cost", "aardvark"], ["open", "zebra", "open"], ["harbor"]):
        assert np.array_equal(merged.get_scores(query), ref.get_scores(query)), query
        assert merged.top_k(query, 10)[0].tolist() == reference_top(ref.get_scores(query), 10)


def test_inserting_passages_into_a_large_index(news_like, monkeypatch):
    """Many postings per term (binary searches of many steps), renumbered a chunk at a time."""
    import retrieval.bm25

    monkeypatch.setattr(retrieval.bm25, "_MERGE_CHUNK", 1000)
    corpus, queries = news_like
    new = [corpus[5] + ["zzz-new"], ["w0"] * 40, corpus[2001]]
    merged, full, everything = _build_with(corpus[:2500], new, [0, 1700, 2502])
    for name, array in full.arrays().items():
        assert np.array_equal(merged.arrays()[name], array), name
    ref = ReferenceBM25(everything)
    for query in queries[:30] + [["zzz-new", "w0"]]:
        scores = merged.get_scores(query)
        assert np.array_equal(scores, ref.get_scores(query))
        assert merged.top_k(query, 10)[0].tolist() == reference_top(ref.get_scores(query), 10)


def test_inserting_passages_rejects_bad_input():
    arrays = BM25Index.build_from_ids(np.array([0, 1]), [2], ["a", "b"]).arrays()
    with pytest.raises(ValueError, match="ascending"):
        BM25Index.insert_passages(arrays, ["a", "b"], None, np.array([1, 0]), np.array([0, 1]), [1, 1])
    with pytest.raises(ValueError, match="no passage"):
        BM25Index.insert_passages(arrays, ["a", "b", "c"], None, np.array([1]), np.array([0]), [1])


@pytest.mark.parametrize(
    "ids, lens, message",
    [
        ([0, 1], [3], "add up to 3"),
        ([0, 5], [2], "out of range"),
        ([0, -1], [2], "out of range"),
        ([0, 1], [3, -1], "non-negative"),
    ],
)
def test_build_from_ids_rejects_bad_input(ids, lens, message):
    with pytest.raises(ValueError, match=message):
        BM25Index.build_from_ids(np.array(ids), np.array(lens), ["a", "b"])


def test_from_arrays_rejects_incomplete_arrays():
    terms, arrays = BM25Index.build([["a"]]).to_arrays()
    del arrays["impact_codes"]
    with pytest.raises(ValueError, match="impact_codes"):
        BM25Index.from_arrays(terms, arrays)


def test_concurrent_queries_agree(news_like):
    """Each thread scores in its own buffer: answers in parallel equal answers one by one."""
    corpus, queries = news_like
    index = BM25Index.build(corpus)
    expected = [index.top_k(q, 10)[0].tolist() for q in queries]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda q: index.top_k(q, 10)[0].tolist(), queries * 3))
    assert got == expected * 3
