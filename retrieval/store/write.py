"""Writing a generation: every file under a temporary folder, flushed to disk, renamed into place,
and only then made current by replacing the one-line `CURRENT` (the commit point).

A process killed at any moment leaves the previous generation in force; a failed write (a full disk)
removes what it wrote. Everything is written in pieces (a line, an article, a chunk of terms at a
time): one serialisation call over the whole corpus would hold the GIL long enough to stall a bot.
Articles that did not change are copied from the previous generation (text bytes, passage rows,
their lines), never made into objects.
"""

from __future__ import annotations

import array
import bisect
import hashlib
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.bm25 import BM25Index
from retrieval.models import Article, Passage
from retrieval.store import layout
from retrieval.store.fsutil import fsync_dir, map_file, remove, write_atomic
from retrieval.store.layout import FORMAT_VERSION, FileEntry, load_npy
from retrieval.store.owned import GENERATION, TEMPORARY_FILE, TEMPORARY_GENERATION
from retrieval.store.snapshot import Lines, Metadata, Snapshot
from retrieval.store.plan import PlannedArticle, StoredArticle
from retrieval.tokens import TOKENIZER_ID


class DataFile:
    """A data file of a new generation, written in pieces, flushed to disk, its size and SHA-256
    recorded in `data` as it is written."""

    def __init__(self, folder: Path, name: str, data: dict[str, dict[str, Any]]):
        self.name, self.data = name, data
        self.fh = open(folder / name, "xb", buffering=1 << 20)
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.lines: list[bytes] = []
        self.ends = array.array("q")  # where each added line's newline is in the file
        self.line_end = -1

    def write(self, blob: bytes | memoryview) -> None:
        if len(blob):
            self.fh.write(blob)
            self.sha256.update(blob)
            self.size += len(blob)

    def add_line(self, line: bytes) -> None:
        """Write `line` and a newline; lines are written a few thousand at a time."""
        self.line_end += len(line) + 1
        self.ends.append(self.line_end)
        self.lines.append(line)
        if len(self.lines) >= layout.LINES_PER_WRITE:
            self._write_lines()

    def _write_lines(self) -> None:
        if self.lines:
            self.lines.append(b"")
            self.write(b"\n".join(self.lines))
            self.lines.clear()

    def __enter__(self) -> DataFile:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        try:
            if exc_type is None:
                self._write_lines()
                self.fh.flush()
                os.fsync(self.fh.fileno())
                self.data[self.name] = {"size": self.size, "sha256": self.sha256.hexdigest()}
        finally:
            self.fh.close()


def json_line(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()  # ASCII, so never a raw newline


def json_list(items: list[str]) -> Any:
    """A JSON list of strings, encoded a chunk at a time."""
    yield b"["
    for start in range(0, len(items), layout.JSON_CHUNK):
        if start:
            yield b","
        yield json_line(items[start : start + layout.JSON_CHUNK])[1:-1]
    yield b"]"


def put_array(folder: Path, name: str, values: np.ndarray, data: dict[str, dict[str, Any]]) -> None:
    with DataFile(folder, name, data) as out:
        # Not a real file to NumPy: it hands over the array 16 MiB at a time (no copy of the whole).
        np.save(out, np.ascontiguousarray(values), allow_pickle=False)


def remove_leftovers(index_dir: Path) -> None:
    """Remove what crashed or failed writers left: temporary generations and small files, by their
    exact names (owned.py); a look-alike such as `tmp-thesis` is not ours and stays."""
    for leftover in index_dir.iterdir():
        if TEMPORARY_GENERATION.fullmatch(leftover.name) or TEMPORARY_FILE.fullmatch(leftover.name):
            remove(leftover)


@dataclass(frozen=True)
class NewGeneration:
    """What a new generation holds: its articles in order, every corpus file's entry, the sorted
    vocabulary with every passage's term ids (`term_ptr` says where each passage's start), BM25."""

    articles: list[PlannedArticle]
    files: dict[str, FileEntry]
    vocab: list[str]
    term_ids: np.ndarray
    term_ptr: np.ndarray
    bm25: BM25Index


def write_generation(index_dir: Path, corpus_key: str, new: NewGeneration, snapshot: Snapshot | None) -> Snapshot:
    """Write a complete new generation and make it current; returns it, kept for the next update.
    The caller holds the lock. On any failure, nothing it wrote is left behind."""
    articles, vocab, term_ids, term_ptr, bm25 = new.articles, new.vocab, new.term_ids, new.term_ptr, new.bm25
    remove_leftovers(index_dir)  # a crashed writer's; we hold the lock
    tmp = index_dir / f"tmp-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        writer = _Writer(tmp, snapshot)
        # In line order. `files` comes in scan order with new and changed files last; the snapshot
        # kept for the next update pairs its `files` with `file_lines` by position, so they must
        # agree (a kept snapshot in scan order once copied a new file's line over another's).
        files = {name: new.files[name] for name in sorted(new.files)}
        writer.files(files)
        writer.articles(articles)
        with DataFile(tmp, "vocab.json", writer.data) as out:
            for piece in json_list(vocab):
                out.write(piece)
        put_array(tmp, "term_ids.npy", term_ids, writer.data)
        put_array(tmp, "term_ptr.npy", term_ptr, writer.data)
        for name, values in bm25.arrays().items():
            put_array(tmp, f"bm25-{name}.npy", values, writer.data)
        manifest = {
            "format": FORMAT_VERSION,
            "tokenizer": TOKENIZER_ID,
            "corpus": corpus_key,
            "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "articles": len(articles),
            "passages": len(term_ptr) - 1,
            "data": writer.data,
        }
        raw = json.dumps(manifest, separators=(",", ":")).encode()
        with open(tmp / "manifest.json", "xb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        fsync_dir(tmp)
        generation = _commit(index_dir, tmp, raw, snapshot)
    except BaseException:
        remove(tmp)
        raise
    folder = index_dir / generation
    # The arrays and texts just written, memory-mapped (their pages are still in the page cache).
    return Snapshot(
        generation=generation,
        folder=folder,
        manifest=manifest,
        files=files,
        file_lines=Lines(map_file(folder / "files.jsonl"), np.array(writer.file_ends, dtype=np.int64)),
        article_lines=Lines(map_file(folder / "articles.jsonl"), np.array(writer.article_ends, dtype=np.int64)),
        ids=writer.ids,
        paths=writer.paths,
        keys=writer.keys,
        text_at=writer.text_at,
        passage_at=writer.passage_at,
        texts=map_file(folder / "texts.bin"),
        **writer.meta.fields(),
        vocab=vocab,
        term_ids=load_npy(folder / "term_ids.npy"),
        term_ptr=load_npy(folder / "term_ptr.npy"),
        bm25_arrays={name: load_npy(folder / f"bm25-{name}.npy") for name in bm25.arrays()},
        manifest_sha256=hashlib.sha256(raw).hexdigest(),
    )


def _commit(index_dir: Path, tmp: Path, manifest: bytes, snapshot: Snapshot | None) -> str:
    """Rename the written folder into place, then point CURRENT at it; remove older generations."""
    generation = f"gen-{_next_generation(index_dir):06d}"
    folder = index_dir / generation
    os.replace(tmp, folder)
    fsync_dir(index_dir)
    current = {"generation": generation, "manifest_sha256": hashlib.sha256(manifest).hexdigest()}
    try:
        write_atomic(index_dir / "CURRENT", json.dumps(current).encode())
    except BaseException:
        remove(folder)  # never made current
        raise
    keep = {generation, snapshot.generation if snapshot is not None else None}  # a reader may still be loading it
    for old in index_dir.glob("gen-*"):
        if GENERATION.fullmatch(old.name) and old.name not in keep:
            remove(old)
    return generation


def _next_generation(index_dir: Path) -> int:
    numbers = [int(p.name[4:]) for p in index_dir.glob("gen-*") if GENERATION.fullmatch(p.name)]
    return max(numbers, default=0) + 1


class _Writer:
    """files.jsonl, texts.bin and articles.jsonl of a new generation, and what its Snapshot needs of
    them, collected as they are written."""

    def __init__(self, folder: Path, snapshot: Snapshot | None):
        self.folder, self.snapshot = folder, snapshot
        self.data: dict[str, dict[str, Any]] = {}
        self.ids: list[str] = []
        self.paths: list[str] = []
        self.keys: list[str] = []
        self.text_at, self.passage_at = [0], [0]
        self.meta = Metadata(snapshot.headings if snapshot is not None else None)
        self.file_ends: array.array[int] = array.array("q")
        self.article_ends: array.array[int] = array.array("q")

    def files(self, files: dict[str, FileEntry]) -> None:
        """One line per file, copied from the previous generation where the entry is the same."""
        old = self.snapshot
        stored_names = list(old.files) if old is not None else []  # in line order: sorted
        with DataFile(self.folder, "files.jsonl", self.data) as out:
            for name, entry in files.items():
                line = None
                if old is not None and old.files.get(name) == entry:
                    j = bisect.bisect_left(stored_names, name)
                    if j < len(stored_names) and stored_names[j] == name:
                        line = old.file_lines[j]
                out.add_line(line if line is not None else json_line(entry.to_json()))
        self.file_ends = out.ends

    def articles(self, articles: list[PlannedArticle]) -> None:
        """The texts back to back and one line per article; stored ones copied a run at a time."""
        old = self.snapshot
        stored_texts = memoryview(old.texts) if old is not None else memoryview(b"")
        text_run = [0, 0]  # stored text bytes not yet written, one slice for consecutive articles
        rows_run = [0, 0]  # stored passage rows not yet collected, likewise

        def collect_rows() -> None:
            if old is not None and rows_run[1] > rows_run[0]:
                self.meta.add_rows(old.passage_rows[rows_run[0] : rows_run[1]])
            rows_run[:] = [0, 0]

        with DataFile(self.folder, "texts.bin", self.data) as texts, DataFile(self.folder, "articles.jsonl", self.data) as lines:
            for parsed in articles:
                if isinstance(parsed, StoredArticle):
                    i, stored = parsed.stored, parsed.snapshot
                    start, end = stored.text_at[i], stored.text_at[i + 1]
                    if start != text_run[1]:
                        texts.write(stored_texts[text_run[0] : text_run[1]])
                        text_run[0] = start
                    text_run[1] = end
                    size = end - start
                else:
                    texts.write(stored_texts[text_run[0] : text_run[1]])
                    text_run = [0, 0]
                    blob = parsed.article.text.encode("utf-8")
                    texts.write(blob)
                    size = len(blob)
                if isinstance(parsed, StoredArticle) and parsed.renamed_as is None:
                    # As it is stored: its line, metadata and passage rows.
                    i, stored = parsed.stored, parsed.snapshot
                    line = stored.article_lines[i]
                    self.meta.add(stored.titles[i], stored.published[i], stored.urls[i], stored.sources[i])
                    lo, hi = stored.passage_at[i], stored.passage_at[i + 1]
                    if lo != rows_run[1]:
                        collect_rows()
                        rows_run[0] = lo
                    rows_run[1] = hi
                else:
                    collect_rows()
                    article, passages = _objects(parsed)
                    rows = [[p.number, p.start, p.end, p.heading] for p in passages]
                    record: dict[str, Any] = {
                        "id": article.id, "file": article.path, "key": parsed.key, "title": article.title,
                        "text_bytes": size, "passages": rows,
                    }
                    record.update({k: v for k, v in (("published", article.published), ("url", article.url), ("source", article.source)) if v})
                    line = json_line(record)
                    self.meta.add(article.title, article.published, article.url, article.source)
                    self.meta.add_passages(rows)
                lines.add_line(line)
                self.ids.append(parsed.article_id)
                self.paths.append(parsed.path)
                self.keys.append(parsed.key)
                self.text_at.append(self.text_at[-1] + size)
                self.passage_at.append(self.passage_at[-1] + parsed.passage_count)
            texts.write(stored_texts[text_run[0] : text_run[1]])
            collect_rows()
        self.article_ends = lines.ends


def _objects(parsed: PlannedArticle) -> tuple[Article, list[Passage]]:
    """The objects of an article read now or renamed (a stored one under its name has none made)."""
    if isinstance(parsed, StoredArticle):
        if parsed.renamed_as is None:
            return parsed.snapshot.article(parsed.stored)
        return parsed.renamed_as
    return parsed.article, parsed.passages
