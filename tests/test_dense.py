"""Hybrid retrieval: the shipped sentence encoder, its vector cache beside the index, and what a user sees."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from retrieval.dense import MODEL_DIR, DenseIndex, Embedder, VectorCache, shipped_embedder
from retrieval.engine import Engine, build_index
from retrieval.reader.neural import ReaderUnavailable
from retrieval.settings import EngineSettings
from tests.helpers import write_article

BRANNOCK = """---
title: Brannock Foods names new leadership
published: 2026-05-04
---
GLASGOW, May 4. Brannock Foods said on Monday that chief executive Dagny Ferrow will lead the company's move into frozen meals.

The company, which employs 2,300 people, reported record sales of canned soup last year.

Ferrow, who joined from a rival in 2019, said the new plant in Paisley would open next spring.
"""
WEATHER = """---
title: Cold snap grips the north
published: 2026-05-05
---
Temperatures fell to minus twelve degrees in the Highlands overnight, forecasters said.

Schools in three villages stayed closed because of ice on the roads.
"""


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    write_article(folder, "brannock.md", BRANNOCK)
    write_article(folder, "weather.md", WEATHER)
    return folder


def test_a_question_and_the_passage_that_answers_it_in_other_words_are_closest() -> None:
    embed = shipped_embedder().embed
    q = embed(["who's the boss at brannock"])[0]
    passages = embed([
        "Brannock Foods said on Monday that chief executive Dagny Ferrow will lead the company.",
        "Brannock Foods reported record sales of canned soup last year.",
        "Temperatures fell to minus twelve degrees in the Highlands overnight.",
    ])
    sims = passages @ q
    assert np.argmax(sims) == 0
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-3)


def test_an_encoder_whose_file_does_not_match_its_hash_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(MODEL_DIR, folder)
    with open(folder / "embedder.onnx", "r+b") as fh:
        fh.seek(1000)
        fh.write(b"\x00\x01\x02")
    with pytest.raises(ReaderUnavailable, match="SHA-256"):
        Embedder(folder)


class Counting:
    """The shipped encoder, counting the texts it is asked to embed."""

    def __init__(self) -> None:
        self.inner = shipped_embedder()
        self.dim, self.model_sha256 = self.inner.dim, self.inner.model_sha256
        self.texts = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.texts += len(texts)
        return self.inner.embed(texts)


def test_vectors_are_cached_by_text_and_only_new_text_is_embedded(tmp_path: Path) -> None:
    counting = Counting()
    first = VectorCache(tmp_path, counting).matrix(["one passage", "another passage"])
    assert counting.texts == 2
    again = VectorCache(tmp_path, counting).matrix(["another passage", "a new one", "one passage"])
    assert counting.texts == 3  # only "a new one"
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[2], first[0])


def test_a_damaged_vector_cache_is_rebuilt_not_trusted(tmp_path: Path) -> None:
    counting = Counting()
    good = VectorCache(tmp_path, counting).matrix(["one passage"])
    rows = np.load(tmp_path / "vectors.npy")
    rows[0] = 0.5
    np.save(tmp_path / "vectors.npy", rows)  # the checksum in vectors.json no longer matches
    again = VectorCache(tmp_path, counting).matrix(["one passage"])
    assert counting.texts == 2
    assert np.array_equal(again, good)
    meta = json.loads((tmp_path / "vectors.json").read_text())
    assert set(meta) == {"version", "encoder_sha256", "keys_sha256", "vectors_sha256"}


def test_dense_search_ranks_by_cosine_ties_by_row() -> None:
    vectors = np.array([[1.0, 0.0], [0.6, 0.8], [0.6, 0.8], [0.0, 1.0]], dtype=np.float32)
    hits = DenseIndex(vectors).search(np.array([0.0, 1.0], dtype=np.float32), 3)
    assert [row for row, _ in hits] == [3, 1, 2]


def test_the_saved_index_keeps_its_vectors_and_reembeds_only_what_changed(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    engine = Engine.open(corpus, index_dir, settings=EngineSettings(_env_file=None))
    assert engine.index.dense is not None and len(engine.index.dense.vectors) == len(engine.index.passages)
    assert (index_dir / "dense-vectors" / "vectors.json").is_file()
    write_article(corpus, "late.md", "---\ntitle: Late news\n---\nThe ferry to Arran was cancelled because of the storm.\n")
    engine.reindex()
    assert len(engine.index.dense.vectors) == len(engine.index.passages)
    rows = {p.id: engine.index.dense.vectors[i] for i, p in enumerate(engine.index.passages)}
    fresh = shipped_embedder().embed(["The ferry to Arran was cancelled because of the storm."])[0]
    assert float(rows["late#1"] @ fresh) > 0.999


def test_with_dense_off_retrieval_is_bm25_alone(corpus: Path) -> None:
    assert build_index(corpus, EngineSettings(dense=False, _env_file=None)).dense is None
    assert build_index(corpus, EngineSettings(dense_max_passages=2, _env_file=None)).dense is None  # more passages than that
    assert build_index(corpus, EngineSettings(_env_file=None)).dense is not None


def test_a_paraphrased_question_is_answered_from_the_passage_found_by_meaning(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from retrieval.cli import main

    assert main(["search", "--corpus", str(corpus), "--json", "-k", "1", "who is the boss at brannock"]) == 0
    hit = json.loads(capsys.readouterr().out)["hits"][0]
    assert "chief executive" in hit["passage_text"] and hit["found_by"] in ("dense", "both")
    assert main(["search", "--corpus", str(corpus), "--json", "--bm25", "who is the boss at brannock"]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert all(h["found_by"] == "bm25" for h in hits)
    assert main(["ask", "--corpus", str(corpus), "--json", "who's the boss at brannock"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["answer"] is not None and "Dagny Ferrow" in answer["answer"]


def test_a_bad_engine_setting_is_one_line_and_exit_2(corpus: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from retrieval.cli import main

    monkeypatch.setenv("NEWSQA_READER", "nural")
    assert main(["ask", "--corpus", str(corpus), "who leads brannock?"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "NEWSQA_READER" in err and "'neural', 'rules' or 'both'" in err
