"""Dense retrieval: questions and passages as vectors of a sentence encoder, compared by cosine.

BM25 finds passages that say the question's words; the encoder (all-MiniLM-L6-v2, trained for semantic
search; `dense_model/`, int8 ONNX, SHA-256 checked as the reader is) finds the passage that says the
same thing in other words ("the boss" and "chief executive"). Its vectors are computed once per passage
text and kept in a content-addressed cache beside the saved index (`VectorCache`), so re-indexing
embeds only new or changed passages, and a damaged cache is rebuilt, never trusted.

`bench/export_embedder.py` writes the model. No torch at answer time: onnxruntime and `tokenizers`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from retrieval.reader.neural import ReaderUnavailable, file_sha256, open_model_folder

if TYPE_CHECKING:
    from retrieval.index import CorpusIndex

log = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).with_name("dense_model")
DIM = 384
BATCH = 32  # texts per onnxruntime call, sorted by length so that little is padding
MAX_TEXT_CHARS = 4000  # the encoder reads 256 tokens (about 1,000 characters of news): no need to tokenize more
CACHE_VERSION = 1


class Embedder:
    """Encodes texts as unit vectors; safe to share between threads."""

    def __init__(self, model_dir: Path = MODEL_DIR, threads: int | None = None):
        manifest, self.tokenizer, self.session = open_model_folder(model_dir, "the dense encoder", threads)
        try:
            self.max_len = int(manifest["max_len"])
            self.dim = int(manifest["dim"])
            self.model_sha256 = str(manifest["model_sha256"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ReaderUnavailable(f"the dense encoder in {model_dir} is missing or unreadable ({exc}); reinstall newsqa") from exc
        self.tokenizer.enable_truncation(self.max_len)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit vector (float32, `dim` wide) per text, in order."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encoded = self.tokenizer.encode_batch([t[:MAX_TEXT_CHARS] for t in texts])
        order = sorted(range(len(texts)), key=lambda i: len(encoded[i].ids))
        for lo in range(0, len(order), BATCH):
            rows = order[lo : lo + BATCH]
            width = max(len(encoded[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for r, i in enumerate(rows):
                n = len(encoded[i].ids)
                ids[r, :n] = encoded[i].ids
                mask[r, :n] = 1
            (vectors,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})
            out[rows] = vectors
        return out


@lru_cache(maxsize=1)
def shipped_embedder() -> Embedder:
    """The packaged encoder, loaded once per process."""
    return Embedder()


def text_key(text: str) -> bytes:
    """The cache key of a passage text: its SHA-256, 16 bytes of it."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:16]


class VectorCache:
    """Passage vectors by text, saved as two files beside the index: `vectors-keys.npy` (16-byte keys)
    and `vectors.npy` (float32 rows), with `vectors.json` holding their SHA-256 and the encoder's.

    Written to temporary names and renamed, so a crash leaves the old cache or the new one; anything
    that does not check out (sizes, hashes, another encoder) is ignored and rebuilt. Loading reads no
    pickle (`allow_pickle=False`).
    """

    def __init__(self, folder: Path | None, embedder: Embedder):
        self.folder = folder
        self.embedder = embedder
        self.vectors: dict[bytes, np.ndarray] = {}
        if folder is not None:
            self._load()

    def _load(self) -> None:
        assert self.folder is not None
        try:
            meta = json.loads((self.folder / "vectors.json").read_text(encoding="utf-8"))
            if meta.get("version") != CACHE_VERSION or meta.get("encoder_sha256") != self.embedder.model_sha256:
                return
            keys_path, rows_path = self.folder / "vectors-keys.npy", self.folder / "vectors.npy"
            if file_sha256(keys_path) != meta["keys_sha256"] or file_sha256(rows_path) != meta["vectors_sha256"]:
                log.warning("the passage vector cache in %s is damaged: rebuilding it", self.folder)
                return
            keys = np.load(keys_path, allow_pickle=False)
            rows = np.load(rows_path, allow_pickle=False)
        except (OSError, ValueError, KeyError, TypeError):
            return
        if keys.dtype != np.dtype("V16") and keys.dtype != np.dtype("S16") or rows.shape != (len(keys), self.embedder.dim):
            return
        self.vectors = {bytes(k): rows[i] for i, k in enumerate(keys.tobytes()[j : j + 16] for j in range(0, len(keys) * 16, 16))}

    def matrix(self, texts: Sequence[str]) -> np.ndarray:
        """The vectors of `texts` (a row each), embedding and caching the ones not seen before."""
        keys = [text_key(t) for t in texts]
        todo = {k: t for k, t in zip(keys, texts) if k not in self.vectors}
        if todo:
            fresh = self.embedder.embed(list(todo.values()))
            self.vectors.update(zip(todo.keys(), fresh))
        out = np.zeros((len(texts), self.embedder.dim), dtype=np.float32)
        for i, k in enumerate(keys):
            out[i] = self.vectors[k]
        if todo or len(self.vectors) > 2 * max(len(set(keys)), 1):
            self._save(set(keys))
        return out

    def _save(self, live: set[bytes]) -> None:
        """Keep the vectors of the texts in use (and no others), atomically."""
        if self.folder is None:
            return
        self.vectors = {k: v for k, v in self.vectors.items() if k in live}
        keys = np.frombuffer(b"".join(self.vectors.keys()), dtype="S16") if self.vectors else np.zeros(0, dtype="S16")
        rows = np.stack(list(self.vectors.values())) if self.vectors else np.zeros((0, self.embedder.dim), dtype=np.float32)
        from retrieval.store.fsutil import create_temporary  # not at the top: the store imports the index, which imports this

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            written = {}
            for name, array in (("vectors-keys.npy", keys), ("vectors.npy", rows)):
                fd, tmp = create_temporary(self.folder, f".{name}.")
                with os.fdopen(fd, "wb") as fh:
                    np.save(fh, array, allow_pickle=False)
                written[name] = tmp
            meta = {"version": CACHE_VERSION, "encoder_sha256": self.embedder.model_sha256,
                    "keys_sha256": file_sha256(written["vectors-keys.npy"]), "vectors_sha256": file_sha256(written["vectors.npy"])}
            for name, tmp in written.items():
                os.replace(tmp, self.folder / name)
            fd, tmp = create_temporary(self.folder, ".vectors.json.")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(meta, fh)
            os.replace(tmp, self.folder / "vectors.json")
        except OSError as exc:  # a cache that cannot be written costs time next start, nothing else
            log.warning("cannot save the passage vectors in %s: %s", self.folder, exc)


class DenseIndex:
    """The passages' vectors, a row per passage in the index's order, and a search over them."""

    def __init__(self, vectors: np.ndarray):
        self.vectors = vectors

    def similarities(self, query: np.ndarray) -> np.ndarray:
        return self.vectors @ query

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The k passages closest to the query vector: (row, cosine), best first, ties by row."""
        if not len(self.vectors) or k <= 0:
            return []
        sims = self.similarities(query)
        k = min(k, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.lexsort((top, -sims[top]))]
        return [(int(i), float(sims[i])) for i in top]


def attach(index: CorpusIndex, cache_dir: Path | None, max_passages: int, embedder: Embedder | None = None) -> CorpusIndex:
    """Give `index` its passages' vectors (read from the cache in `cache_dir`, the rest embedded and
    cached), unless it has more than `max_passages` passages or the encoder cannot be loaded: then
    retrieval stays BM25 alone, and the log says why. Returns the index."""
    n = len(index.passages)
    if n == 0 or n > max_passages:
        if n:
            log.info("dense retrieval is off for %d passages (NEWSQA_DENSE_MAX_PASSAGES is %d): BM25 alone", n, max_passages)
        return index
    try:
        embedder = embedder or shipped_embedder()
    except (ReaderUnavailable, ImportError) as exc:
        log.warning("dense retrieval is unavailable, BM25 alone: %s", exc)
        return index
    texts = [p.text for p in index.passages]
    index.dense = DenseIndex(VectorCache(cache_dir, embedder).matrix(texts))
    return index
