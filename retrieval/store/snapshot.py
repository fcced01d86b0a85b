"""A loaded generation in memory: its metadata lists and passage rows, its mapped texts, JSON Lines
and arrays, and the index served from it (articles and passages made only when asked for)."""

from __future__ import annotations

import array
import mmap
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from retrieval.bm25 import BM25Index
from retrieval.index import CorpusIndex
from retrieval.admission import shown_name
from retrieval.lazy import ArticleTexts, StoredArticles, StoredPassages
from retrieval.models import Article, Passage, SkippedFile

if TYPE_CHECKING:
    from retrieval.store.layout import FileEntry


class Lines(Sequence[bytes]):
    """The lines of a JSON Lines file, each without its newline: `ends[i]` is where line i's is."""

    def __init__(self, data: bytes | mmap.mmap, ends: np.ndarray):
        self.data, self.ends = data, ends

    @classmethod
    def of(cls, data: bytes | mmap.mmap) -> Lines:
        if not len(data):
            return cls(data, np.zeros(0, dtype=np.int64))
        view = np.frombuffer(data, dtype=np.uint8)
        ends = np.flatnonzero(view == 10)
        del view  # a mapped file stays closable
        if not len(ends) or int(ends[-1]) != len(data) - 1:
            raise ValueError("a JSON Lines file's last line is incomplete")
        return cls(data, ends)

    def __len__(self) -> int:
        return len(self.ends)

    @overload
    def __getitem__(self, i: int) -> bytes: ...
    @overload
    def __getitem__(self, i: slice) -> list[bytes]: ...
    def __getitem__(self, i: int | slice) -> bytes | list[bytes]:
        if isinstance(i, slice):
            start, stop, step = i.indices(len(self))
            if step != 1 or start >= stop:
                return [self[j] for j in range(start, stop, step)]
            ends = self.ends[start:stop].tolist()
            begin = int(self.ends[start - 1]) + 1 if start else 0
            blob = self.data[begin : ends[-1]]
            return [blob[b - begin : e - begin] for b, e in zip([begin] + [e + 1 for e in ends[:-1]], ends)]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("line index out of range")
        return self.data[int(self.ends[i - 1]) + 1 if i else 0 : int(self.ends[i])]


class Metadata:
    """The metadata lists and passage rows of a Snapshot, collected an article at a time."""

    def __init__(self, headings: list[str] | None = None):
        self.titles: list[str] = []
        self.published: list[str | None] = []
        self.urls: list[str | None] = []
        self.sources: list[str | None] = []
        self.headings: list[str] = list(headings or [])
        self.heading_ids = {h: i for i, h in enumerate(self.headings)}
        self.rows = array.array("i")  # C int: 32 bits on every platform NumPy supports
        self.blocks: list[np.ndarray] = []  # rows copied from a previous generation, in order with `rows`

    def add(self, title: str, published: str | None, url: str | None, source: str | None) -> None:
        self.titles.append(str(title))
        self.published.append(None if published is None else str(published))
        self.urls.append(None if url is None else str(url))
        self.sources.append(None if source is None else str(source))

    def add_passages(self, passages: Sequence[Sequence[Any]]) -> None:
        """Each passage as [number, start, end, heading]."""
        rows, heading_ids = self.rows, self.heading_ids
        for n, start, end, heading in passages:
            if heading is None:
                h = -1
            else:
                known = heading_ids.get(heading)
                if known is None:
                    h = heading_ids[heading] = len(self.headings)
                    self.headings.append(str(heading))
                else:
                    h = known
            rows.extend((n, start, end, h))

    def add_rows(self, block: np.ndarray) -> None:
        """Passage rows as they are (their heading numbers index the headings this began with)."""
        self._flush()
        self.blocks.append(block)

    def _flush(self) -> None:
        if self.rows:
            self.blocks.append(np.array(self.rows, dtype=np.int32).reshape(-1, 4))
            self.rows = array.array("i")

    def fields(self) -> dict[str, Any]:
        self._flush()
        rows = np.concatenate(self.blocks) if self.blocks else np.zeros((0, 4), dtype=np.int32)
        return {
            "titles": self.titles, "published": self.published, "urls": self.urls, "sources": self.sources,
            "passage_rows": rows.astype(np.int32, copy=False), "headings": self.headings,
        }


# --- a loaded generation -------------------------------------------------------------------------


@dataclass
class Snapshot:
    """A verified generation on disk. Stored article `i` has id `ids[i]`, its text is
    `texts[text_at[i]:text_at[i + 1]]`, its passages are numbers `passage_at[i]` to `passage_at[i + 1]`,
    and passage `j`'s term ids are `term_ids[term_ptr[j]:term_ptr[j + 1]]`, numbers into `vocab`."""

    generation: str
    folder: Path
    manifest: dict[str, Any]
    files: dict[str, FileEntry]
    # The lines of files.jsonl (in name order, as `files`) and articles.jsonl, to write them again
    # unchanged: slices of the memory-mapped files, not held in memory.
    file_lines: Lines
    article_lines: Lines
    ids: list[str]
    paths: list[str]
    keys: list[str]
    titles: list[str]
    published: list[str | None]
    urls: list[str | None]
    sources: list[str | None]
    text_at: list[int]
    passage_at: list[int]
    # One row per passage: its paragraph number, start and end in its article's text, heading (a
    # position in `headings`, -1 for none). int32: offsets are below MAX_ARTICLE_BYTES.
    passage_rows: np.ndarray
    headings: list[str]
    texts: bytes | mmap.mmap
    vocab: list[str]
    term_ids: np.ndarray
    term_ptr: np.ndarray
    bm25_arrays: dict[str, np.ndarray]
    manifest_sha256: str = ""

    def __post_init__(self) -> None:
        self._by_key = {k: i for i, k in enumerate(self.keys)}
        self._stats = self._data_stats()
        texts = ArticleTexts(self.texts, self.text_at)
        self._articles = StoredArticles(self.ids, self.paths, self.titles, self.published, self.urls, self.sources, texts)
        counts: np.ndarray = np.diff(np.asarray(self.passage_at, dtype=np.int64))  # numpy's stubs say timedelta64
        rows = self.passage_rows
        self._passages = StoredPassages(
            self._articles, np.repeat(np.arange(len(self.ids), dtype=np.int32), counts),
            rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3], self.headings,
        )

    def _data_stats(self) -> list[tuple[int, int]] | None:
        try:
            return [(st.st_size, st.st_mtime_ns) for st in (os.stat(self.folder / name) for name in sorted(self.manifest.get("data", {})))]
        except OSError:
            return None

    def unchanged_on_disk(self) -> bool:
        """Do the data files still have the sizes and times they had when this generation was verified
        or written? (Generations are never rewritten: this catches a file truncated or overwritten
        since, before an update copies from its memory-mapped pages; cheap stats, no checksums.)"""
        return self._stats is not None and self._data_stats() == self._stats

    @property
    def article_keys(self) -> dict[str, str]:
        """Indexed article id -> content key."""
        return dict(zip(self.ids, self.keys))

    def number_of(self, key: str) -> int | None:
        """The stored article with this content key, if there is one."""
        return self._by_key.get(key)

    def article(self, i: int) -> tuple[Article, list[Passage]]:
        """Stored article `i` and its passages, as objects."""
        return self._articles.article(i), self._passages[self.passage_at[i] : self.passage_at[i + 1]]

    def passage_count(self, i: int) -> int:
        return self.passage_at[i + 1] - self.passage_at[i]

    def skipped(self) -> list[SkippedFile]:
        return [SkippedFile(path=shown_name(n), reason=self.files[n].reason or "") for n in sorted(self.files) if self.files[n].status != "indexed"]

    def to_index(self, bm25: BM25Index | None = None) -> CorpusIndex:
        """The searchable index: articles and passages made when asked for (texts memory-mapped, see
        retrieval/lazy.py), BM25 arrays memory-mapped from disk. `bm25` is the same index in memory,
        just written, if there is one: its term numbering is taken instead of being made again, and
        its arrays are let go for the mapped copies (a few hundred MB of memory at 1M passages)."""
        if bm25 is None:
            bm25 = BM25Index.from_arrays(self.vocab, self.bm25_arrays)
        else:
            bm25 = BM25Index(bm25.vocab, **self.bm25_arrays, k1=bm25.k1, b=bm25.b)
        return CorpusIndex(
            articles=self._articles, passages=self._passages, bm25=bm25, skipped=self.skipped(), sorted_vocab=self.vocab,
        )
