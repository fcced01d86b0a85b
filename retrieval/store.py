"""The saved index: JSON and .npy files in a folder, updated incrementally and swapped in atomically.

An index folder holds generations; `CURRENT` names the complete one and is the commit point:

    CURRENT              {"generation": "gen-000007", "manifest_sha256": ...}
    gen-000007/
        manifest.json    format and tokenizer versions, the corpus, counts, and the size and SHA-256
                         of every data file
        files.jsonl      one line per corpus file: name, size, mtime, content hash, what became of it
        articles.jsonl   one line per indexed article: metadata, content key, text length, passages
        texts.bin        the article texts, UTF-8, back to back
        vocab.json       every indexed term, sorted: term ids below are positions in this list
        term_ids.npy     every passage's term ids, back to back; term_ptr.npy says where each starts
        bm25-<name>.npy  `BM25Index.arrays()`, over the same term ids (memory-mapped)
    lock, lock.owner     one writer at a time (filelock), and who that is
    tmp-*/               a generation being written, or left behind by a crash (the next writer removes it)

Nothing here can run code when loaded: JSON, raw UTF-8 and `.npy` read with `allow_pickle=False`.
A writer builds a whole new generation under a temporary name, flushes it to disk, renames it into
place and only then replaces `CURRENT`, so a process killed at any moment leaves the previous
generation in force. Every data file's size and checksum is verified on load; a damaged index is
rebuilt with a warning, one of another format, tokenizer or corpus with a notice. A store keeps the
generation it last loaded or wrote (texts, JSON Lines and arrays memory-mapped): while `CURRENT` still
names it and its files keep their sizes and times, the next update (the bot's) takes it from memory
instead of reading and checksumming it again. A generation another process wrote is always verified.

The index served from a generation holds no object per article or passage (retrieval/lazy.py): a
few numbers per passage in arrays, each article's metadata in lists, its text in the mapped
`texts.bin`; an `Article` or `Passage` is made when a question asks for it (issue #6: a whole engine
at 1M passages went from ~2.7 GB resident to a few hundred MB, bench/RESULTS.md).

Only new or changed files are read: a file whose name, size and modification time match the
manifest is taken from the saved index as it is. A read file whose content hash is already indexed
(a rename, a copy, a touch) reuses the stored passages and terms instead of being tokenized again.

An update may run in a thread beside a bot's event loop, so no step of it holds the GIL for long
(at 100k passages the longest measured is about 30 ms, bench/RESULTS.md): stored term ids are renumbered with array arithmetic
and BM25 is rebuilt from them (`BM25Index.build_from_ids`), never turned back into strings, or, when
articles are only added, their postings are merged into the stored ones (`BM25Index.insert_passages`); the
articles that did not change are copied from the previous generation (text bytes, passage rows, term
ids, their lines), never made into objects; JSON is read and written
a line or a chunk at a time, never in one call over the whole corpus.
"""

from __future__ import annotations

import array
import bisect
import hashlib
import heapq
import json
import mmap
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple, Protocol, overload

import numpy as np

from retrieval.bm25 import BM25Index, term_numbers
from retrieval.errors import NewsqaError
from retrieval.index import CorpusIndex, passage_terms
from retrieval.lazy import ArticleTexts, StoredArticles, StoredPassages, advise
from retrieval.ingest import (
    HTML_SUFFIXES,
    MAX_ARTICLE_BYTES,
    SUPPORTED_SUFFIXES,
    UnreadableArticle,
    article_id_for,
    parse_article_bytes,
    safe_file_name,
)
from retrieval.models import Article, IndexReport, Passage, SkippedFile
from retrieval.tokens import TOKENIZER_ID

FORMAT_VERSION = 4  # 2: BM25 arrays as (tf, length) pair codes; 3: one sorted vocabulary, JSON Lines; 4: .md articles as their plain text
DEFAULT_LOCK_TIMEOUT = 120.0
# A file modified this close to the moment it was indexed may change again within the same mtime
# tick, keeping its size and time; its entry is marked racy and its content re-checked next time.
# Whole-second times mean a coarse file system (FAT keeps 2 s); otherwise the kernel's clock tick.
RACY_COARSE_NS = 2_000_000_000
RACY_FINE_NS = 100_000_000


def _racy(mtime_ns: int, scanned_at: int) -> bool:
    window = RACY_COARSE_NS if mtime_ns % 1_000_000_000 == 0 else RACY_FINE_NS
    return mtime_ns + window > scanned_at


def _same_files(files: dict[str, FileEntry], old_files: dict[str, FileEntry]) -> bool:
    """The same entries, a racy mark aside: a file read again because it was racy and found unchanged."""
    if files.keys() != old_files.keys():
        return False
    return all(
        new == old or (old.racy and replace(old, racy=new.racy) == new)
        for new, old in ((files[n], old_files[n]) for n in files)
    )


class IndexLocked(NewsqaError):
    """Another process holds the index lock for longer than we were willing to wait."""


class DamagedIndex(Exception):
    """The saved index is truncated, corrupted or half there; the message says what is wrong."""


class OutdatedIndex(Exception):
    """The saved index was made by another format, tokenizer or for another corpus folder."""


class Progress(Protocol):
    def update(self, n: int = 1) -> Any: ...
    def close(self) -> Any: ...


ProgressFactory = Callable[[int], Progress]


def default_index_dir(corpus_dir: Path) -> Path:
    """`$NEWSQA_INDEX_DIR`, else `$XDG_CACHE_HOME/newsqa/<folder name>-<hash of its path>`."""
    if env := os.environ.get("NEWSQA_INDEX_DIR"):
        return Path(env).expanduser()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    resolved = str(Path(corpus_dir).resolve())
    digest = hashlib.sha256(resolved.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return cache / "newsqa" / f"{safe_file_name(Path(resolved).name or 'corpus')}-{digest}"


# --- what a generation records -------------------------------------------------------------------


class FileStat(NamedTuple):
    """What the change check needs of a file's stat, named as in `os.stat_result`."""

    st_size: int
    st_mtime_ns: int


@dataclass(frozen=True, slots=True)  # slots: 100k of them at 1M passages, ~35 MB less than with a __dict__ each
class FileEntry:
    """One file of the corpus folder as last seen: its stat, content hash, and what became of it."""

    name: str
    size: int
    mtime_ns: int
    sha256: str | None = None  # None for a file never read (unsupported type, too large)
    status: str = "indexed"  # "indexed", "duplicate" or "skipped"
    reason: str | None = None
    racy: bool = False

    def same_stat(self, size: int, mtime_ns: int) -> bool:
        return not self.racy and self.size == size and self.mtime_ns == mtime_ns

    def to_json(self) -> dict[str, Any]:
        """The entry without its name, leaving out what is unset."""
        # `is`, not `in (None, False)`: 0 == False, and an empty file's size is 0.
        values = ((k, getattr(self, k)) for k in self.__slots__)
        return {k: v for k, v in values if v is not None and v is not False and k != "name"}

    @classmethod
    def from_json(cls, name: str, data: dict[str, Any]) -> FileEntry:
        return cls(name=name, **data)


class ParsedArticle:
    """An article ready to index: its text and passages, and either each passage's terms (read now)
    or the number of the stored article in the previous generation whose term ids it takes over.

    A stored article's `Article` and `Passage` objects are made only if asked for (a rename): an
    update copies its text, passage rows and term ids from the previous generation as they are.
    """

    def __init__(
        self,
        article: Article | None,
        passages: list[Passage] | None,
        terms: list[list[str]] | None,
        key: str,  # "<parser>:<sha256>": the same bytes read as .txt and as .md are different articles
        stored: int | None = None,
        snapshot: Snapshot | None = None,  # where stored article `stored` is, when article is None
    ):
        self._article, self._passages = article, passages
        self.terms, self.key, self.stored, self.snapshot = terms, key, stored, snapshot

    @property
    def article(self) -> Article:
        if self._article is None:
            self._article, self._passages = self.snapshot._article(self.stored)  # type: ignore[union-attr,arg-type]
        return self._article

    @property
    def passages(self) -> list[Passage]:
        if self._passages is None:
            self._article, self._passages = self.snapshot._article(self.stored)  # type: ignore[union-attr,arg-type]
        return self._passages

    @property
    def unread(self) -> bool:
        """A stored article as it is stored: its objects never made (nor renamed)."""
        return self._article is None

    @property
    def article_id(self) -> str:
        return self.snapshot.ids[self.stored] if self.unread else self.article.id  # type: ignore[union-attr,index]

    @property
    def path(self) -> str:
        return self.snapshot.paths[self.stored] if self.unread else self.article.path  # type: ignore[union-attr,index]

    @property
    def passage_count(self) -> int:
        if self.unread:
            at = self.snapshot.passage_at  # type: ignore[union-attr]
            return at[self.stored + 1] - at[self.stored]  # type: ignore[operator]
        return len(self.passages)

    def renamed(self, file_name: str) -> ParsedArticle:
        """The same content under another file name: new ids, same passages and terms."""
        new_id = article_id_for(Path(file_name))
        old = self.article
        title = new_id if old.title == old.id else old.title  # the title fell back to the id
        article = old.model_copy(update={"id": new_id, "path": file_name, "title": title})
        passages = [
            p.model_copy(update={"id": f"{new_id}#{p.number}", "article_id": new_id}) for p in self.passages
        ]
        return ParsedArticle(article, passages, self.terms, self.key, self.stored)


def _parser_kind(name: str) -> str:
    # os.path.splitext(name)[1] of a file name, without its per-call overhead (an update asks for
    # every file of the corpus: 100k names at 1M passages).
    dot = name.rfind(".")
    suffix = name[dot:].lower() if dot > 0 and name[:dot].lstrip(".") else ""
    return "html" if suffix in HTML_SUFFIXES else suffix.lstrip(".")


def _article_id(name: str) -> str:
    """`article_id_for(Path(name))` of a file name (its stem), without making a Path: pathlib's rule."""
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


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
    file_lines: _Lines
    article_lines: _Lines
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
        counts = np.diff(np.asarray(self.passage_at, dtype=np.int64))
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

    def has_key(self, key: str) -> bool:
        return key in self._by_key

    def stored(self, key: str) -> ParsedArticle:
        """The stored article with this content key, without re-reading or re-tokenizing it (nor
        making its objects: an update copies what it needs of it from this generation)."""
        return ParsedArticle(None, None, None, key, stored=self._by_key[key], snapshot=self)

    def _article(self, i: int) -> tuple[Article, list[Passage]]:
        return self._articles.article(i), self._passages[self.passage_at[i] : self.passage_at[i + 1]]

    def skipped(self) -> list[SkippedFile]:
        return [SkippedFile(path=n, reason=self.files[n].reason or "") for n in sorted(self.files) if self.files[n].status != "indexed"]

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


# --- the store -----------------------------------------------------------------------------------


@dataclass
class CorpusState:
    """What the index in memory was built from: enough for the cheap change check."""

    generation: str
    files: dict[str, FileEntry]


class IndexStore:
    """The saved index of one corpus folder, in `index_dir`."""

    def __init__(self, index_dir: Path, corpus_dir: Path, lock_timeout: float = DEFAULT_LOCK_TIMEOUT):
        self.index_dir = Path(index_dir)
        self.corpus_dir = Path(corpus_dir)
        self.corpus_key = str(self.corpus_dir.resolve())
        self.lock_timeout = lock_timeout
        # The generation this store last loaded or wrote. While CURRENT still names it (with the same
        # manifest checksum), an update takes it from memory instead of reading and verifying ~750 MB
        # again at 1M passages; a generation another process wrote is always loaded and verified.
        self._kept: Snapshot | None = None

    # -- reading --

    def load(self) -> Snapshot | None:
        """The current generation, verified; None if there is none yet.

        Raises `DamagedIndex` or `OutdatedIndex`. A writer may replace the generation while we read
        it; then we read the new one.
        """
        for _ in range(3):
            try:
                return self._load_once()
            except FileNotFoundError as exc:
                last = exc
                continue  # CURRENT moved on while we were reading: read the new one
        raise DamagedIndex(f"a file of the current generation is missing ({Path(last.filename or '').name})")

    def _load_once(self) -> Snapshot | None:
        current_path = self.index_dir / "CURRENT"
        if not current_path.exists():
            return None
        try:
            current = json.loads(current_path.read_bytes())
            generation = str(current["generation"])
            manifest_sha = str(current["manifest_sha256"])
        except (ValueError, KeyError, TypeError) as exc:
            raise DamagedIndex("CURRENT is unreadable") from exc
        if not generation.startswith("gen-") or "/" in generation or "\\" in generation:
            raise DamagedIndex("CURRENT names no generation")
        kept = self._kept
        if kept is not None and kept.generation == generation and kept.manifest_sha256 == manifest_sha and kept.unchanged_on_disk():
            return kept
        folder = self.index_dir / generation
        if not folder.is_dir():
            raise DamagedIndex(f"{generation} is missing")
        raw = (folder / "manifest.json").read_bytes()
        if hashlib.sha256(raw).hexdigest() != manifest_sha:
            raise DamagedIndex("manifest.json does not match its checksum (truncated or corrupted)")
        try:
            manifest = json.loads(raw)
        except ValueError as exc:
            raise DamagedIndex("manifest.json is not valid JSON") from exc
        if manifest.get("format") != FORMAT_VERSION:
            raise OutdatedIndex(f"it has index format {manifest.get('format')}, this newsqa uses format {FORMAT_VERSION}")
        if manifest.get("tokenizer") != TOKENIZER_ID:
            raise OutdatedIndex(f"it was made with tokenizer {manifest.get('tokenizer')}, this newsqa uses {TOKENIZER_ID}")
        if manifest.get("corpus") != self.corpus_key:
            raise OutdatedIndex(f"it was made for the corpus {manifest.get('corpus')}, not {self.corpus_key}")
        data = manifest.get("data", {})
        contents: dict[str, bytes] = {}
        for name, expected in data.items():
            path = folder / name
            size = path.stat().st_size
            if size != expected["size"]:
                raise DamagedIndex(f"{name} is truncated or damaged ({size} bytes, expected {expected['size']})")
            # Checksummed through a memory map where the file is served mapped (texts.bin, the JSON
            # Lines files, the .npy arrays): no copy of 750 MB at a million passages, and the pages the
            # hash read are handed back after (they stay in the page cache for the parse and the queries).
            mapped = name.endswith(".npy") or name in _MAPPED
            blob = _map(path) if mapped else path.read_bytes()
            if hashlib.sha256(blob).hexdigest() != expected["sha256"]:
                raise DamagedIndex(f"{name} is corrupted (its checksum does not match)")
            if mapped:
                _release(blob)
            if not name.endswith(".npy"):
                contents[name] = blob
            del blob
        try:
            # A few thousand lines per json.loads, never one call over the whole corpus: that would
            # hold the GIL (and a bot's event loop) for ~0.1 s per 10k articles.
            files: dict[str, FileEntry] = {}
            file_lines = _Lines.of(contents["files.jsonl"])
            for entry in _parse_lines(file_lines):
                name = entry.pop("name")
                files[name] = FileEntry.from_json(name, entry)
            if len(files) != len(file_lines):
                raise ValueError("files.jsonl names a file twice")
            article_lines = _Lines.of(contents["articles.jsonl"])
            ids, paths, keys, text_at, passage_at = [], [], [], [0], [0]
            meta = _Metadata()
            for entry in _parse_lines(article_lines):
                ids.append(str(entry["id"]))
                paths.append(str(entry["file"]))
                keys.append(str(entry["key"]))
                text_at.append(text_at[-1] + int(entry["text_bytes"]))
                passage_at.append(passage_at[-1] + len(entry["passages"]))
                meta.add(entry["title"], entry.get("published"), entry.get("url"), entry.get("source"))
                meta.add_passages(entry["passages"])
            _release(file_lines.data)  # read through once to parse: only an update reads them again
            _release(article_lines.data)
            arrays = {
                name[len("bm25-") : -len(".npy")]: self._npy(folder / name)
                for name in data
                if name.startswith("bm25-") and name.endswith(".npy")
            }
            snapshot = Snapshot(
                generation=generation,
                folder=folder,
                manifest=manifest,
                files=files,
                file_lines=file_lines,
                article_lines=article_lines,
                ids=ids,
                paths=paths,
                keys=keys,
                text_at=text_at,
                passage_at=passage_at,
                texts=contents["texts.bin"],
                **meta.fields(),
                vocab=json.loads(contents["vocab.json"]),
                term_ids=self._npy(folder / "term_ids.npy"),
                term_ptr=self._npy(folder / "term_ptr.npy"),
                bm25_arrays=arrays,
                manifest_sha256=manifest_sha,
            )
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise DamagedIndex(f"the manifest and the data files disagree ({exc.__class__.__name__}: {exc})") from exc
        try:
            BM25Index.check_arrays(len(snapshot.vocab), arrays)
        except ValueError as exc:
            raise DamagedIndex(f"the BM25 arrays are unusable ({exc})") from exc
        n_passages = passage_at[-1]
        if len(ids) != manifest.get("articles") or n_passages != manifest.get("passages") or text_at[-1] != len(snapshot.texts):
            raise DamagedIndex("articles.jsonl does not match the manifest")
        term_ids, term_ptr = snapshot.term_ids, snapshot.term_ptr
        if len(term_ptr) != n_passages + 1 or int(term_ptr[-1]) != len(term_ids) or len(arrays["doc_lens"]) != n_passages:
            raise DamagedIndex("term_ptr.npy does not match the passages in the manifest")
        if len(term_ids) and (int(term_ids.min()) < 0 or int(term_ids.max()) >= len(snapshot.vocab)):
            raise DamagedIndex("term_ids.npy holds a term id that vocab.json lacks")
        _release_pages(term_ids)  # read through once to check it; only an update reads it again
        self._kept = snapshot
        return snapshot

    @staticmethod
    def _npy(path: Path) -> np.ndarray:
        try:
            return np.load(path, mmap_mode="r", allow_pickle=False)
        except ValueError as exc:  # a bad header, or an object array (which would need pickle)
            raise DamagedIndex(f"{path.name} is not a plain NumPy array file") from exc

    def scan(self) -> dict[str, FileStat]:
        """The corpus folder's article candidates: regular, non-hidden files, by name."""
        out: dict[str, FileStat] = {}
        # Each entry is dropped as soon as it is read: 100k entries with their cached stats (some
        # twenty objects each) freed at once would hold the GIL for ~0.1 s.
        try:
            with os.scandir(self.corpus_dir) as entries:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    try:
                        if entry.is_file():
                            st = entry.stat()
                            out[entry.name] = FileStat(st.st_size, st.st_mtime_ns)
                    except OSError:
                        continue  # vanished while we looked
        except OSError as exc:
            raise NewsqaError(f"cannot read the corpus folder {self.corpus_dir}: {exc.strerror or exc}") from exc
        return out

    def stale(self, state: CorpusState | None) -> bool:
        """The cheap check: has any file appeared, gone, or changed size or modification time?"""
        if state is None:
            return True
        seen = self.scan()
        if seen.keys() != state.files.keys():
            return True
        return any(not state.files[n].same_stat(st.st_size, st.st_mtime_ns) for n, st in seen.items())

    # -- opening and updating --

    def open(
        self, progress: ProgressFactory | None = None, on_wait: Callable[[str], None] | None = None
    ) -> tuple[CorpusIndex, IndexReport, CorpusState]:
        """The saved index if it is current (no lock, nothing read but stats), else `update()`."""
        started = time.perf_counter()
        try:
            snapshot = self.load()
        except (DamagedIndex, OutdatedIndex):
            snapshot = None  # update() loads it again under the lock and says why it rebuilds
        if snapshot is not None:
            state = CorpusState(snapshot.generation, snapshot.files)
            if not self.stale(state):
                index = snapshot.to_index()
                report = IndexReport(unchanged=list(index.articles), skipped=index.skipped)
                report.seconds = round(time.perf_counter() - started, 4)
                return index, report, state
        return self.update(progress=progress, on_wait=on_wait)

    def update(
        self,
        progress: ProgressFactory | None = None,
        on_wait: Callable[[str], None] | None = None,
        loaded: tuple[str, CorpusIndex] | None = None,
    ) -> tuple[CorpusIndex, IndexReport, CorpusState]:
        """Bring the saved index up to date with the corpus folder; read only new or changed files.

        `loaded` is (generation, index) already in memory: returned as it is if nothing changed.
        """
        started = time.perf_counter()
        with self._locked(on_wait):
            notes: list[str] = []
            try:
                snapshot = self.load()
            except DamagedIndex as exc:
                notes.append(f"warning: the saved index in {self.index_dir} is damaged ({exc}); rebuilding it")
                snapshot = None
            except OutdatedIndex as exc:
                notes.append(f"the saved index in {self.index_dir} is out of date ({exc}); rebuilding it")
                snapshot = None
            index, report, state = self._update(snapshot, progress, loaded)
        report.notes = notes + report.notes
        report.seconds = round(time.perf_counter() - started, 4)
        return index, report, state

    def _update(
        self, snapshot: Snapshot | None, progress: ProgressFactory | None, loaded: tuple[str, CorpusIndex] | None = None
    ) -> tuple[CorpusIndex, IndexReport, CorpusState]:
        old_files = snapshot.files if snapshot else {}
        report = IndexReport()
        scanned_at = time.time_ns()
        seen = self.scan()
        files: dict[str, FileEntry] = {}
        fresh: dict[str, ParsedArticle] = {}  # read and parsed in this update, by content key
        to_read = []
        for name in sorted(seen):
            st = seen[name]
            prev = old_files.get(name)
            # An article-id clash was never parsed, so it has nothing stored to take over with.
            clash = prev is not None and prev.status == "duplicate" and not (prev.reason or "").startswith("same text")
            if prev is not None and prev.same_stat(st.st_size, st.st_mtime_ns) and not clash:
                files[name] = prev
            else:
                to_read.append(name)
        bar = progress(len(to_read)) if progress and to_read else None
        try:
            for name in to_read:
                entry, parsed, was_read = self._read(
                    name, seen[name], old_files.get(name), lambda k: k in fresh or bool(snapshot and snapshot.has_key(k)),
                    scanned_at,
                )
                report.files_read += was_read
                files[name] = entry
                if parsed is not None:
                    fresh[parsed.key] = parsed
                    report.articles_tokenized += 1
                if bar is not None:
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()

        # Which files become articles: one per content key and one per article id. A file that
        # was indexed before keeps its place, so a new copy is the duplicate, not the original.
        def preference(name: str) -> tuple[int, str]:
            prev = old_files.get(name)
            return (0 if prev is not None and prev.status == "indexed" and prev.sha256 == files[name].sha256 else 1, name)

        keys: dict[str, str] = {}  # content key -> file name
        ids: dict[str, str] = {}  # article id -> file name
        key_of: dict[str, str] = {}  # file name -> content key
        chosen: list[str] = []
        for name in sorted((n for n in files if files[n].status != "skipped"), key=preference):
            entry = files[name]
            key = key_of[name] = f"{_parser_kind(name)}:{entry.sha256}"
            article_id = _article_id(name)
            if key in keys:
                files[name] = replace(entry, status="duplicate", reason=f"same text as {keys[key]} (indexed once)")
            elif article_id in ids:
                files[name] = replace(
                    entry, status="duplicate",
                    reason=f"another file, {ids[article_id]}, has the same article id {article_id!r}: rename one of them",
                )
            else:
                if entry.status != "indexed" or entry.reason is not None:
                    files[name] = replace(entry, status="indexed", reason=None)
                keys[key], ids[article_id] = name, name
                chosen.append(name)
        chosen.sort()
        article_ids = {name: article_id for article_id, name in ids.items()}
        plan = [(name, key_of[name]) for name in chosen]

        # The report, by article id.
        old_keys = snapshot.article_keys if snapshot else {}
        new_keys = {article_ids[name]: key for name, key in plan}
        old_by_key = {k: i for i, k in old_keys.items()}
        for article_id, key in new_keys.items():
            before = old_keys.get(article_id)
            if before == key:
                report.unchanged.append(article_id)
            elif before is not None:
                report.updated.append(article_id)
            elif key in old_by_key and old_by_key[key] not in new_keys:
                report.renamed[old_by_key[key]] = article_id
            else:
                report.added.append(article_id)
        report.removed = [i for i in old_keys if i not in new_keys and i not in report.renamed]
        skipped = [SkippedFile(path=n, reason=files[n].reason or "") for n in sorted(files) if files[n].status != "indexed"]
        report.skipped = skipped

        in_memory = loaded[1] if snapshot is not None and loaded is not None and loaded[0] == snapshot.generation else None
        if snapshot is not None and _same_files(files, old_files):
            # Nothing changed, or only racy entries were read again and found the same: the saved
            # generation stays (its racy marks too, so those few files are checked again next time)
            # rather than 600 MB rewritten at a million passages to clear a flag.
            state = CorpusState(snapshot.generation, files)
            if in_memory is not None:
                return in_memory, report, state  # nothing to do: keep the index in memory
            return snapshot.to_index(), report, state

        # Unchanged articles keep their stored text, passage rows and term ids, copied from the
        # previous generation: nothing is tokenized again, turned back into strings or made an object.
        articles: list[ParsedArticle] = []
        for name, key in plan:
            parsed = fresh.get(key)
            if parsed is None:
                parsed = snapshot.stored(key)  # type: ignore[union-attr] - only fresh or stored keys are chosen
            if parsed.path != name:
                parsed = parsed.renamed(name)
            articles.append(parsed)
        vocab, term_ids, term_ptr, term_map = _number_terms(articles, snapshot)
        bm25 = _bm25(articles, snapshot, vocab, term_ids, term_ptr, term_map)
        written = self._write(articles, files, snapshot, vocab, term_ids, term_ptr, bm25)
        return written.to_index(bm25), report, CorpusState(written.generation, files)

    def _read(
        self, name: str, st: FileStat, prev: FileEntry | None, known: Callable[[str], bool], scanned_at: int
    ) -> tuple[FileEntry, ParsedArticle | None, int]:
        """Read one new or changed file: its entry, its parsed article if it had to be tokenized,
        and whether it was read at all."""
        racy = _racy(st.st_mtime_ns, scanned_at)
        entry = FileEntry(name=name, size=st.st_size, mtime_ns=st.st_mtime_ns, racy=racy)
        if not name.lower().endswith(SUPPORTED_SUFFIXES):
            suffix = Path(name).suffix.lower() or "(none)"
            return replace(entry, status="skipped", reason=f"unsupported file type {suffix}: use .txt, .md or .html"), None, 0
        if st.st_size > MAX_ARTICLE_BYTES:
            return replace(
                entry, status="skipped",
                reason=f"too large ({st.st_size / 1_048_576:.1f} MiB; the limit is {MAX_ARTICLE_BYTES // 1_048_576} MiB)",
            ), None, 0
        try:
            with open(self.corpus_dir / name, "rb") as fh:
                data = fh.read(MAX_ARTICLE_BYTES + 1)
                after = os.fstat(fh.fileno())  # the stat that matches what we read
        except OSError as exc:
            return replace(entry, status="skipped", reason=f"cannot read it ({exc.strerror or exc})"), None, 1
        digest = hashlib.sha256(data).hexdigest()
        entry = replace(
            entry, size=after.st_size, mtime_ns=after.st_mtime_ns, sha256=digest,
            racy=_racy(after.st_mtime_ns, scanned_at),
        )
        key = f"{_parser_kind(name)}:{digest}"
        if prev is not None and prev.sha256 == digest and prev.status == "skipped":
            return replace(entry, status="skipped", reason=prev.reason), None, 1  # still unreadable, same reason
        if known(key):
            return entry, None, 1  # the same content is indexed or parsed already: reuse it
        try:
            article, passages = parse_article_bytes(data, name)
        except UnreadableArticle as exc:
            return replace(entry, status="skipped", reason=str(exc)), None, 1
        terms = [passage_terms(p) for p in passages]
        return entry, ParsedArticle(article, passages, terms, key), 1

    # -- writing --

    def _write(
        self,
        articles: list[ParsedArticle],
        files: dict[str, FileEntry],
        snapshot: Snapshot | None,
        vocab: list[str],
        term_ids: np.ndarray,
        term_ptr: np.ndarray,
        bm25: BM25Index,
    ) -> Snapshot:
        """Write a complete new generation and make it current; returns it, kept for the next update.

        Everything is written in pieces (a line, an article, a chunk of terms at a time): one
        serialisation call over the whole corpus would hold the GIL for long enough to stall a bot.
        """
        for leftover in self.index_dir.glob("tmp-*"):
            shutil.rmtree(leftover, ignore_errors=True)  # a crashed writer's; we hold the lock
        tmp = self.index_dir / f"tmp-{uuid.uuid4().hex}"
        tmp.mkdir()
        data: dict[str, dict[str, Any]] = {}
        # What the new generation's Snapshot needs, collected as it is written.
        ids: list[str] = []
        paths: list[str] = []
        keys: list[str] = []
        text_at, passage_at = [0], [0]
        meta = _Metadata(snapshot.headings if snapshot is not None else None)
        rows_run = [0, 0]  # stored passage rows not yet collected, one slice for consecutive articles

        def collect_rows() -> None:
            if rows_run[1] > rows_run[0]:
                meta.add_rows(snapshot.passage_rows[rows_run[0] : rows_run[1]])  # type: ignore[union-attr]
            rows_run[:] = [0, 0]

        stored_names = list(snapshot.files) if snapshot is not None else []  # in line order: sorted
        # In line order. `files` comes in scan order with new and changed files last; the snapshot
        # kept for the next update pairs its `files` with `file_lines` by position, so they must
        # agree (a kept snapshot in scan order once copied a new file's line over another's).
        files = {name: files[name] for name in sorted(files)}
        with _DataFile(tmp, "files.jsonl", data) as out:
            for name, entry in files.items():
                line = None
                if snapshot is not None and snapshot.files.get(name) == entry:
                    j = bisect.bisect_left(stored_names, name)
                    if j < len(stored_names) and stored_names[j] == name:
                        line = snapshot.file_lines[j]
                if line is None:
                    line = _json_line({"name": name, **entry.to_json()})
                out.add_line(line)
        file_ends = out.ends
        with _DataFile(tmp, "texts.bin", data) as texts, _DataFile(tmp, "articles.jsonl", data) as lines:
            stored_texts = memoryview(snapshot.texts) if snapshot is not None else memoryview(b"")
            run = [0, 0]  # stored text bytes not yet written, one slice for consecutive articles
            for parsed in articles:
                i = parsed.stored
                if i is not None:
                    start, end = snapshot.text_at[i], snapshot.text_at[i + 1]  # type: ignore[union-attr]
                    if start != run[1]:
                        texts.write(stored_texts[run[0] : run[1]])
                        run[0] = start
                    run[1] = end
                    size = end - start
                else:
                    texts.write(stored_texts[run[0] : run[1]])
                    run = [0, 0]
                    blob = parsed.article.text.encode("utf-8")
                    texts.write(blob)
                    size = len(blob)
                if parsed.unread:  # a stored article as it is: its line, metadata and passage rows
                    line = snapshot.article_lines[i]  # type: ignore[union-attr,index]
                    meta.add(snapshot.titles[i], snapshot.published[i], snapshot.urls[i], snapshot.sources[i])  # type: ignore[union-attr,index]
                    lo, hi = snapshot.passage_at[i], snapshot.passage_at[i + 1]  # type: ignore[union-attr,operator]
                    if lo != rows_run[1]:
                        collect_rows()
                        rows_run[0] = lo
                    rows_run[1] = hi
                else:
                    collect_rows()
                    a = parsed.article
                    entry: dict[str, Any] = {
                        "id": a.id, "file": a.path, "key": parsed.key, "title": a.title, "text_bytes": size,
                        "passages": [[p.number, p.start, p.end, p.heading] for p in parsed.passages],
                    }
                    entry.update({k: v for k, v in (("published", a.published), ("url", a.url), ("source", a.source)) if v})
                    line = _json_line(entry)
                    meta.add(a.title, a.published, a.url, a.source)
                    meta.add_passages([[p.number, p.start, p.end, p.heading] for p in parsed.passages])
                lines.add_line(line)
                ids.append(parsed.article_id)
                paths.append(parsed.path)
                keys.append(parsed.key)
                text_at.append(text_at[-1] + size)
                passage_at.append(passage_at[-1] + parsed.passage_count)
            texts.write(stored_texts[run[0] : run[1]])
            collect_rows()
        article_ends = lines.ends
        with _DataFile(tmp, "vocab.json", data) as out:
            for piece in _json_list(vocab):
                out.write(piece)
        _put_array(tmp, "term_ids.npy", term_ids, data)
        _put_array(tmp, "term_ptr.npy", term_ptr, data)
        for name, values in bm25.arrays().items():
            _put_array(tmp, f"bm25-{name}.npy", values, data)
        manifest = {
            "format": FORMAT_VERSION,
            "tokenizer": TOKENIZER_ID,
            "corpus": self.corpus_key,
            "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "articles": len(articles),
            "passages": len(term_ptr) - 1,
            "data": data,
        }
        raw = json.dumps(manifest, separators=(",", ":")).encode()
        with open(tmp / "manifest.json", "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        _fsync_dir(tmp)

        generation = f"gen-{self._next_generation():06d}"
        folder = self.index_dir / generation
        os.replace(tmp, folder)
        _fsync_dir(self.index_dir)
        manifest_sha = hashlib.sha256(raw).hexdigest()
        _write_atomic(self.index_dir / "CURRENT", json.dumps({"generation": generation, "manifest_sha256": manifest_sha}).encode())
        keep = {generation, snapshot.generation if snapshot is not None else None}  # a reader may still be loading it
        for old in self.index_dir.glob("gen-*"):
            if old.name not in keep:
                shutil.rmtree(old, ignore_errors=True)
        # The arrays and texts just written, memory-mapped (their pages are still in the page cache).
        written = Snapshot(
            generation=generation,
            folder=folder,
            manifest=manifest,
            files=files,
            file_lines=_Lines(_map(folder / "files.jsonl"), np.array(file_ends, dtype=np.int64)),
            article_lines=_Lines(_map(folder / "articles.jsonl"), np.array(article_ends, dtype=np.int64)),
            ids=ids,
            paths=paths,
            keys=keys,
            text_at=text_at,
            passage_at=passage_at,
            texts=_map(folder / "texts.bin"),
            **meta.fields(),
            vocab=vocab,
            term_ids=self._npy(folder / "term_ids.npy"),
            term_ptr=self._npy(folder / "term_ptr.npy"),
            bm25_arrays={name: self._npy(folder / f"bm25-{name}.npy") for name in bm25.arrays()},
            manifest_sha256=manifest_sha,
        )
        self._kept = written
        return written

    def _next_generation(self) -> int:
        numbers = [int(p.name[4:]) for p in self.index_dir.glob("gen-*") if p.name[4:].isdigit()]
        return max(numbers, default=0) + 1

    # -- locking --

    def _locked(self, on_wait: Callable[[str], None] | None) -> _IndexLock:
        try:
            self.index_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise NewsqaError(
                f"cannot create the index folder {self.index_dir} ({exc.strerror or exc}): pass --index-dir DIR"
            ) from exc
        return _IndexLock(self.index_dir, self.lock_timeout, on_wait)


# --- writing a generation in pieces --------------------------------------------------------------

# Items per json.dumps or sort call on a long list: each call is one uninterrupted hold of the GIL.
_JSON_CHUNK = 16384
_LINES_PER_WRITE = 4096
_LINES_PER_PARSE = 2048  # about 1 MB of article lines: ~10 ms a call


def _number_terms(
    articles: list[ParsedArticle], snapshot: Snapshot | None
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
        if parsed.terms is not None:
            for terms in parsed.terms:
                new_terms.update(terms)
    missing = _sorted_in_steps([t for t in new_terms if not _in_sorted(old, t)])
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
            lo, hi = snapshot.passage_at[run[0]], snapshot.passage_at[run[1]]  # type: ignore[union-attr]
            ptr = snapshot.term_ptr  # type: ignore[union-attr]
            stored = np.asarray(snapshot.term_ids[int(ptr[lo]) : int(ptr[hi])])  # type: ignore[union-attr]
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
        terms = parsed.terms or []
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


def _bm25(
    articles: list[ParsedArticle],
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


class _Metadata:
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

    def add_passages(self, passages: list[Any]) -> None:
        """Each passage as [number, start, end, heading]."""
        rows, heading_ids = self.rows, self.heading_ids
        for n, start, end, heading in passages:
            if heading is None:
                h = -1
            else:
                h = heading_ids.get(heading)
                if h is None:
                    h = heading_ids[heading] = len(self.headings)
                    self.headings.append(str(heading))
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


def _sorted_in_steps(items: list[str]) -> list[str]:
    """`sorted(items)`; a long list is sorted in chunks and merged (sorting 200k terms in one call
    holds the GIL for ~0.1 s: a full build's vocabulary)."""
    if len(items) <= _JSON_CHUNK:
        return sorted(items)
    chunks = [sorted(items[i : i + _JSON_CHUNK]) for i in range(0, len(items), _JSON_CHUNK)]
    return list(heapq.merge(*chunks))


def _in_sorted(terms: list[str], term: str) -> bool:
    i = bisect.bisect_left(terms, term)
    return i < len(terms) and terms[i] == term


_MAPPED = ("texts.bin", "files.jsonl", "articles.jsonl")


class _Lines(Sequence[bytes]):
    """The lines of a JSON Lines file, each without its newline: `ends[i]` is where line i's is."""

    def __init__(self, data: bytes | mmap.mmap, ends: np.ndarray):
        self.data, self.ends = data, ends

    @classmethod
    def of(cls, data: bytes | mmap.mmap) -> _Lines:
        if not len(data):
            return cls(data, np.zeros(0, dtype=np.int64))
        view = np.frombuffer(data, dtype=np.uint8)
        ends = np.flatnonzero(view == 10)
        del view  # a mapped file stays closable
        if not len(ends) or int(ends[-1]) != len(data) - 1:
            raise ValueError("the last line is incomplete")
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


def _parse_lines(lines: Sequence[bytes]) -> Iterator[Any]:
    """Each line's JSON value, parsed `_LINES_PER_PARSE` lines per json.loads call."""
    for start in range(0, len(lines), _LINES_PER_PARSE):
        chunk = lines[start : start + _LINES_PER_PARSE]
        values = json.loads(b"[" + b",".join(chunk) + b"]")
        if len(values) != len(chunk):
            raise ValueError("a line holds more than one JSON value")
        yield from values


def _json_line(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()  # ASCII, so never a raw newline


def _json_list(items: list[str]) -> Iterator[bytes]:
    """A JSON list of strings, encoded a chunk at a time."""
    yield b"["
    for start in range(0, len(items), _JSON_CHUNK):
        if start:
            yield b","
        yield _json_line(items[start : start + _JSON_CHUNK])[1:-1]
    yield b"]"


class _DataFile:
    """A data file of a new generation, written in pieces, flushed to disk, its size and SHA-256
    recorded in `data` as it is written."""

    def __init__(self, folder: Path, name: str, data: dict[str, dict[str, Any]]):
        self.name, self.data = name, data
        self.fh = open(folder / name, "wb", buffering=1 << 20)
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
        if len(self.lines) >= _LINES_PER_WRITE:
            self._write_lines()

    def _write_lines(self) -> None:
        if self.lines:
            self.lines.append(b"")
            self.write(b"\n".join(self.lines))
            self.lines.clear()

    def __enter__(self) -> _DataFile:
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


def _put_array(folder: Path, name: str, array: np.ndarray, data: dict[str, dict[str, Any]]) -> None:
    with _DataFile(folder, name, data) as out:
        # Not a real file to NumPy: it hands over the array 16 MiB at a time (no copy of the whole).
        np.save(out, np.ascontiguousarray(array), allow_pickle=False)


class _IndexLock:
    """The writers' lock: says who holds it to the one that waits, and gives up with a clear error."""

    def __init__(self, index_dir: Path, timeout: float, on_wait: Callable[[str], None] | None):
        from filelock import FileLock

        self.index_dir = index_dir
        self.timeout = timeout
        self.on_wait = on_wait
        self.lock = FileLock(str(index_dir / "lock"))
        self.owner = index_dir / "lock.owner"

    def __enter__(self) -> _IndexLock:
        from filelock import Timeout

        try:
            self.lock.acquire(timeout=0)
        except Timeout:
            holder = self._holder()
            if self.on_wait is not None:
                self.on_wait(
                    f"waiting for {holder} to finish updating the index in {self.index_dir} (up to {self.timeout:.0f} s)"
                )
            try:
                self.lock.acquire(timeout=self.timeout)
            except Timeout as exc:
                raise IndexLocked(
                    f"the index in {self.index_dir} is still being updated by {holder} after {self.timeout:.0f} s: "
                    "run the command again when it has finished (or wait longer with --wait SECONDS)"
                ) from exc
        try:
            _write_atomic(self.owner, json.dumps({"pid": os.getpid(), "since": time.time()}).encode(), sync=False)
        except OSError:
            pass  # only used to name the holder in a message
        return self

    def __exit__(self, *exc: object) -> None:
        self.lock.release()

    def _holder(self) -> str:
        try:
            pid = int(json.loads(self.owner.read_bytes())["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return "another newsqa process"
        return f"another newsqa process (pid {pid})"


def _map(path: Path) -> bytes | mmap.mmap:
    """A file's bytes, memory-mapped read-only (an empty file cannot be mapped: b"")."""
    with open(path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return b""
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)


def _release_pages(array: np.ndarray) -> None:
    """Let go of the pages of a read-only memory-mapped array that this process has read: they stay
    in the page cache, no longer counted in its resident memory, and are read again if needed."""
    _release(getattr(array, "_mmap", None))


def _release(mapped: object) -> None:
    """`_release_pages` of a read-only `mmap.mmap` (anything else: nothing to do)."""
    advise(mapped, "MADV_DONTNEED")


def _write_atomic(path: Path, blob: bytes, sync: bool = True) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(blob)
        if sync:
            fh.flush()
            os.fsync(fh.fileno())
    os.replace(tmp, path)
    if sync:
        _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not supported here (e.g. Windows); the rename order still holds
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
