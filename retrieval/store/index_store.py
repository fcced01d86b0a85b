"""`IndexStore`: the saved index of one corpus folder, opened, checked and updated incrementally.

An update scans the folder (scan.py), reads only new and changed files, chooses one article per
content and id (plan.py), numbers terms and builds BM25 from stored term ids (terms.py), and writes
a new generation that replaces the old one atomically (write.py), under the writers' lock (lock.py).
Loading verifies everything (layout.py). A store keeps the generation it last loaded or wrote: while
`CURRENT` still names it and its files keep their sizes and times, the next update (the bot's)
takes it from memory instead of reading and checksumming it again.

When the index can't be written (a full disk, a read-only or exhausted file system), the previous
generation, still intact, is answered from, with a one-line warning; nothing half-written stays.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from retrieval.errors import NewsqaError
from retrieval.index import CorpusIndex
from retrieval.admission import printable, safe_file_name
from retrieval.models import IndexReport
from retrieval.store.fsutil import is_no_room
from retrieval.store.layout import (
    DamagedIndex,
    FileEntry,
    FileStat,
    OutdatedIndex,
    load_generation,
    read_current,
    same_files,
)
from retrieval.store.lock import IndexLock
from retrieval.store.owned import claim
from retrieval.store.snapshot import Snapshot
from retrieval.store.plan import FreshArticle, articles_for, choose, report_changes
from retrieval.store.scan import read_file, scan
from retrieval.store.terms import bm25_for, number_terms
from retrieval.store.write import NewGeneration, remove_leftovers, write_generation
from retrieval.tokens import TOKENIZER_ID

DEFAULT_LOCK_TIMEOUT = 120.0


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


@dataclass
class CorpusState:
    """What the index in memory was built from: enough for the cheap change check."""

    generation: str
    files: dict[str, FileEntry]


class IndexNotSaved(NewsqaError):
    """No index could be written (a full disk) and there is no previous one to answer from."""


class IndexStore:
    """The saved index of one corpus folder, in `index_dir`."""

    def __init__(self, index_dir: Path, corpus_dir: Path, lock_timeout: float = DEFAULT_LOCK_TIMEOUT):
        self.index_dir = Path(index_dir)
        self.shown_dir = printable(str(self.index_dir))  # in messages: on one line, whatever the path holds
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
                current = read_current(self.index_dir)
                if current is None:
                    return None
                kept = self._kept
                if (
                    kept is not None and kept.generation == current.generation
                    and kept.manifest_sha256 == current.manifest_sha256 and kept.unchanged_on_disk()
                ):
                    return kept
                self._kept = load_generation(self.index_dir, current, self.corpus_key, TOKENIZER_ID)
                return self._kept
            except FileNotFoundError as exc:
                last = exc
                continue  # CURRENT moved on while we were reading: read the new one
        raise DamagedIndex(f"a file of the current generation is missing ({Path(last.filename or '').name})")

    def scan(self) -> dict[str, FileStat]:
        """The corpus folder's article candidates, by name (nothing read)."""
        return scan(self.corpus_dir)

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
        try:
            with self._locked(on_wait):
                notes: list[str] = []
                try:
                    snapshot = self.load()
                except DamagedIndex as exc:
                    notes.append(f"warning: the saved index in {self.shown_dir} is damaged ({exc}); rebuilding it")
                    snapshot = None
                except OutdatedIndex as exc:
                    notes.append(f"the saved index in {self.shown_dir} is out of date ({exc}); rebuilding it")
                    snapshot = None
                try:
                    index, report, state = self._update(snapshot, progress, loaded)
                except OSError as exc:
                    if is_no_room(exc):  # room for the next try: what crashed writers left (we hold the lock)
                        with contextlib.suppress(OSError):
                            remove_leftovers(self.index_dir)
                    raise
        except OSError as exc:
            if not is_no_room(exc):
                raise NewsqaError(f"cannot update the index in {self.shown_dir} ({exc.strerror or exc}): pass --index-dir DIR") from exc
            index, report, state = self._previous(exc, loaded)
            notes = []
        report.notes = notes + report.notes
        report.seconds = round(time.perf_counter() - started, 4)
        return index, report, state

    def _previous(self, exc: OSError, loaded: tuple[str, CorpusIndex] | None) -> tuple[CorpusIndex, IndexReport, CorpusState]:
        """The index to answer from when a new one can't be written: the one in memory or the saved one."""
        why = f"{exc.strerror or exc}"
        try:
            snapshot = self.load()
        except (DamagedIndex, OutdatedIndex):
            snapshot = None
        if snapshot is None:
            raise IndexNotSaved(
                f"cannot save the index in {self.shown_dir} ({why}) and there is no previous one: "
                "free some space or pass --index-dir DIR"
            ) from exc
        if loaded is not None and loaded[0] == snapshot.generation:
            index = loaded[1]
        else:
            index = snapshot.to_index()
        report = IndexReport(unchanged=list(index.articles), skipped=index.skipped)
        report.notes = [
            f"warning: cannot save the updated index in {self.shown_dir} ({why}); answering from the previous "
            "index: free some space and run the command again"
        ]
        # The generation's own file list: the folder still differs, so the next check tries again.
        return index, report, CorpusState(snapshot.generation, snapshot.files)

    def _update(
        self, snapshot: Snapshot | None, progress: ProgressFactory | None, loaded: tuple[str, CorpusIndex] | None = None
    ) -> tuple[CorpusIndex, IndexReport, CorpusState]:
        old_files = snapshot.files if snapshot else {}
        files, fresh, files_read = self._read_changes(snapshot, progress)
        plan = choose(files, old_files)
        report = report_changes(plan, files, snapshot)
        report.files_read, report.articles_tokenized = files_read, len(fresh)

        if snapshot is not None and same_files(files, old_files):
            # Nothing changed, or only racy entries were read again and found the same: the saved
            # generation stays (its racy marks too, so those few files are checked again next time)
            # rather than 600 MB rewritten at a million passages to clear a flag.
            state = CorpusState(snapshot.generation, files)
            if loaded is not None and loaded[0] == snapshot.generation:
                return loaded[1], report, state  # nothing to do: keep the index in memory
            return snapshot.to_index(), report, state

        # Unchanged articles keep their stored text, passage rows and term ids, copied from the
        # previous generation: nothing is tokenized again, turned back into strings or made an object.
        articles = articles_for(plan, fresh, snapshot)
        vocab, term_ids, term_ptr, term_map = number_terms(articles, snapshot)
        bm25 = bm25_for(articles, snapshot, vocab, term_ids, term_ptr, term_map)
        new = NewGeneration(articles, files, vocab, term_ids, term_ptr, bm25)
        written = write_generation(self.index_dir, self.corpus_key, new, snapshot)
        self._kept = written
        return written.to_index(bm25), report, CorpusState(written.generation, files)

    def _read_changes(
        self, snapshot: Snapshot | None, progress: ProgressFactory | None
    ) -> tuple[dict[str, FileEntry], dict[str, FreshArticle], int]:
        """Every file's entry (unchanged ones as they were), the articles read now by content key,
        and how many files were read."""
        old_files = snapshot.files if snapshot else {}
        scanned_at = time.time_ns()
        seen = self.scan()
        files: dict[str, FileEntry] = {}
        fresh: dict[str, FreshArticle] = {}
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

        def known(key: str) -> bool:
            return key in fresh or (snapshot is not None and snapshot.number_of(key) is not None)

        files_read = 0
        bar = progress(len(to_read)) if progress and to_read else None
        try:
            for name in to_read:
                entry, parsed, was_read = read_file(self.corpus_dir, name, seen[name], old_files.get(name), known, scanned_at)
                files_read += was_read
                files[name] = entry
                if parsed is not None:
                    fresh[parsed.key] = parsed
                if bar is not None:
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()
        return files, fresh, files_read

    # -- locking --

    def _locked(self, on_wait: Callable[[str], None] | None) -> IndexLock:
        try:
            self.index_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise NewsqaError(
                f"cannot create the index folder {self.shown_dir} ({exc.strerror or exc}): pass --index-dir DIR"
            ) from exc
        claim(self.index_dir, self.shown_dir)  # before the lock file is made: nothing written in a folder not ours
        return IndexLock(self.index_dir, self.lock_timeout, on_wait, self.shown_dir)
