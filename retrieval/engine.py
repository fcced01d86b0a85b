"""The engine's front door: open a corpus folder, ask questions, list sources, re-index."""

from __future__ import annotations

import contextlib
import gc
import logging
import math
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from retrieval import dense
from retrieval.answer import answer_question
from retrieval.assemble import citation
from retrieval.errors import NewsqaError, UsageError
from retrieval.index import CorpusIndex
from retrieval.admission import (
    SUPPORTED_SUFFIXES,
    UnreadableArticle,
    check_article_size,
    check_suffix,
    printable,
    read_article_source,
    safe_file_name,
)
from retrieval.ingest import load_corpus, parse_article_bytes
from retrieval.models import Answer, ArticleInfo, Citation, IndexReport, SkippedFile
from retrieval.settings import EngineSettings, load_engine_settings
from retrieval.store import DEFAULT_LOCK_TIMEOUT, CorpusState, IndexNotSaved, IndexStore, ProgressFactory, default_index_dir
from retrieval.store.fsutil import create_temporary, is_no_room
from retrieval.store.owned import VECTORS

log = logging.getLogger(__name__)

# A question is a sentence or two; a longer one is refused with a note rather than analysed.
MAX_QUESTION_CHARS = 2000


def clean_question(question: str | bytes) -> str:
    """A question as text that can be printed and serialised: undecodable bytes (from a terminal or a
    pipe that is not UTF-8, which Python hands over as surrogate escapes) become U+FFFD."""
    if isinstance(question, bytes):
        return question.decode("utf-8", "replace")
    if question.isascii():
        return question
    return question.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


class Engine:
    """Answers questions over one corpus folder, from an index saved beside it in `index_dir`.

    Readers never lock: `self.index` is replaced by one assignment once a new index is complete, and
    a question keeps the index it started with. Re-indexing is serialised by a lock in this process
    and by a lock file between processes.
    """

    def __init__(
        self,
        corpus_dir: Path,
        index: CorpusIndex,
        store: IndexStore | None = None,
        state: CorpusState | None = None,
        report: IndexReport | None = None,
        settings: EngineSettings | None = None,
    ):
        self.corpus_dir = corpus_dir
        self.settings = settings or load_engine_settings()
        self.index = with_vectors(index, store, self.settings)
        self.store = store
        self.last_report = report or IndexReport(unchanged=list(index.articles), skipped=list(index.skipped))
        self._state = state
        self._reindex_lock = threading.Lock()

    @classmethod
    def open(
        cls,
        corpus_dir: Path | str,
        index_dir: Path | str | None = None,
        *,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        progress: ProgressFactory | None = None,
        on_wait: Callable[[str], None] | None = None,
        settings: EngineSettings | None = None,
    ) -> Engine:
        """Open the saved index of `corpus_dir`, updating it first if the folder changed.

        The index lives in `index_dir` (default: `default_index_dir(corpus_dir)`); `last_report`
        says what the update did, with notices such as why a damaged index was rebuilt.
        `settings` (default: read from the environment) says how questions are answered.
        """
        settings = settings or load_engine_settings()
        folder = Path(corpus_dir)
        if not (isinstance(lock_timeout, (int, float)) and math.isfinite(lock_timeout) and lock_timeout >= 0):
            raise UsageError(f"the time to wait for another indexer must be 0 or more seconds, not {lock_timeout}: pass --wait SECONDS")
        if not folder.is_dir():
            if folder.exists():
                raise UsageError(f"{printable(str(folder))} is a file, not a folder of articles: pass --corpus DIR with the folder that holds it")
            raise UsageError(f"corpus folder not found: {printable(str(folder))} (pass --corpus DIR with your articles)")
        store = IndexStore(Path(index_dir) if index_dir else default_index_dir(folder), folder, lock_timeout)
        with _collector_paused():
            try:
                index, report, state = store.open(progress=progress, on_wait=on_wait)
            except IndexNotSaved as exc:  # a full disk and no index yet: answer from one in memory
                index = build_index(folder)
                report = IndexReport(added=list(index.articles), skipped=list(index.skipped))
                report.notes = [f"warning: {exc}; answering from an index in memory for now"]
                return cls(folder, index, None, None, report, settings)
        return cls(folder, index, store, state, report, settings)

    def ask(self, question: str | bytes, focus: Sequence[str] = ()) -> Answer:
        """Answer one question; never raises for odd input, returns a 'not found' answer instead.
        `focus`: the articles a conversation is about (`Conversation.topic`), read first."""
        question = clean_question(question)
        if len(question) > MAX_QUESTION_CHARS:
            return Answer(
                question=question,
                note=f"The question is too long ({len(question):,} characters; the limit is {MAX_QUESTION_CHARS:,}): ask a shorter one.",
            )
        try:
            return answer_question(self.index, question, settings=self.settings, focus=focus)
        except Exception:  # noqa: BLE001 - one question's failure is that question's answer, not the session's end
            if os.environ.get("NEWSQA_DEBUG"):
                raise
            log.exception("answering %r failed", question[:200])
            return Answer(question=question, note="This question could not be answered (an internal error): try asking it another way.")

    def cite(self, passage_id: str, start: int = 0, end: int = 0) -> Citation | None:
        """A citation of `passage_id` as the index has it now, marking `[start, end)`; None when the
        passage is gone or the marked span no longer fits it."""
        index = self.index
        passage = index.passage(passage_id)
        if passage is None or not 0 <= start <= end <= len(passage.text):
            return None
        return citation(index, passage, start, end, 0.0)

    def sources(self) -> list[ArticleInfo]:
        return self.index.article_infos()

    @property
    def skipped(self) -> list[SkippedFile]:
        return self.index.skipped

    def is_stale(self) -> bool:
        """The cheap check: did a file of the corpus folder appear, go, or change size or time?"""
        if self.store is None:
            return True
        return self.store.stale(self._state)

    def refresh(self) -> IndexReport | None:
        """Re-index if the corpus folder changed since the index was built; the report if that
        changed any article (a file saved again with the same text changes none)."""
        if not self.is_stale():
            return None
        report = self.reindex()
        return report if report.changed or report.notes else None

    def reindex(self, progress: ProgressFactory | None = None, on_wait: Callable[[str], None] | None = None) -> IndexReport:
        """Update the saved index from the corpus folder and swap it in; safe from a worker thread.

        Only new and changed files are read; questions asked meanwhile are answered from the old index.
        """
        with self._reindex_lock:
            started = time.perf_counter()
            old = self.index
            with _collector_paused():
                new, report = self._rebuild(old, progress, on_wait)
                self.index = with_vectors(new, self.store, self.settings)
            report.seconds = round(time.perf_counter() - started, 4)
            self.last_report = report
            return report

    def _rebuild(
        self, old: CorpusIndex, progress: ProgressFactory | None, on_wait: Callable[[str], None] | None
    ) -> tuple[CorpusIndex, IndexReport]:
        """The new index for the corpus as it is now, and what changed since `old`."""
        if self.store is None:
            new = build_index(self.corpus_dir)
            report = diff_indexes(old, new)
        else:
            loaded = (self._state.generation, old) if self._state is not None else None
            new, report, state = self.store.update(progress=progress, on_wait=on_wait, loaded=loaded)
            if self._state is not None and state.generation != self._state.generation and not report.changed:
                # Another process brought the saved index up to date: say what changed for us.
                diff = diff_indexes(old, new)
                report.added, report.updated, report.removed = diff.added, diff.updated, diff.removed
                report.unchanged = diff.unchanged
            self._state = state
        return new, report

    def add_article(self, filename: str, data: bytes) -> IndexReport:
        """Store an uploaded article file in the corpus under a safe name, then re-index.

        Raises `UsageError` for a file that can't be an article (type, size, binary, not UTF-8, no text).
        """
        self.store_article(filename, data)
        return self.reindex()

    def store_article(self, filename: str, data: bytes, seconds: float | None = None) -> Path:
        """Check an article file and write it into the corpus folder under a safe name; no re-index.

        An existing file with other content keeps its name: the new one gets `-2`, `-3`... A file
        with the same name and content is left as it is. A name taken by anything but a regular
        file (a folder, a pipe, a link) is never opened, followed or replaced: the next name is used.
        Raises `UsageError` for a file that can't be an article (type, size, binary, not UTF-8, no text).
        """
        name = safe_file_name(filename)
        try:
            check_suffix(name)
            check_article_size(len(data))
            parse_article_bytes(data, name, seconds)  # within `seconds` (default: ingest.ARTICLE_SECONDS)
        except UnreadableArticle as exc:
            raise UsageError(f"{printable(name)} is not a usable article: {exc}") from exc
        stem, suffix = Path(name).stem, Path(name).suffix
        try:
            for n in range(1, 1000):
                target = self.corpus_dir / (name if n == 1 else f"{stem}-{n}{suffix}")
                if self._id_taken(target):
                    continue  # stored, it would never be indexed: its article id is another file's
                held = _holds(target, data)
                if held is True:
                    return target
                if held is None and _place(self.corpus_dir, target, data):
                    return target
                if held is None and _holds(target, data) is True:
                    return target  # another process stored the same file under this name meanwhile
        except OSError as exc:
            hint = "free some space on it" if is_no_room(exc) else "check that it is writable"
            raise NewsqaError(f"cannot store {printable(name)} in {printable(str(self.corpus_dir))} ({exc.strerror or exc}): {hint}") from exc
        raise NewsqaError(f"cannot store {printable(name)}: 999 files of that name are there already; rename it")

    def duplicate_file(self, article_id: str) -> str | None:
        """The file of an identical copy of an indexed article whose id is `article_id` (not indexed
        itself, it is removed by that id all the same)."""
        for skipped in self.index.skipped:
            if skipped.reason.startswith("same text as ") and Path(skipped.path).stem == article_id:
                return Path(skipped.path).name
        return None

    def _id_taken(self, target: Path) -> bool:
        """Is `target`'s article id (its name without the type) another file's, here or in the index?"""
        article = self.index.articles.get(target.stem)
        if article is not None and Path(article.path).name != target.name:
            return True
        return any(
            os.path.lexists(self.corpus_dir / other)
            for other in (f"{target.stem}{s}" for s in SUPPORTED_SUFFIXES)
            if other != target.name
        )

    def remove_article(self, article_id: str) -> IndexReport:
        """Delete an article's file from the corpus folder and the index.

        Raises `UsageError` for an id that is not indexed (`sources` lists the ids).
        """
        article = self.index.articles.get(article_id)
        name = Path(article.path).name if article is not None else self.duplicate_file(article_id)
        if name is None:
            raise UsageError(f"no article with id {article_id!r}: 'newsqa sources' lists the ids")
        path = self.corpus_dir / name  # a name inside the folder, never a path
        try:
            path.unlink()
        except FileNotFoundError:
            pass  # already gone: re-indexing drops it
        except OSError as exc:
            raise NewsqaError(f"cannot delete {path}: {exc.strerror or exc}") from exc
        return self.reindex()


def read_local_article(path: Path) -> tuple[str, bytes]:
    """The name and bytes of an article file to add (`newsqa add PATH`); `UsageError` says why not."""
    if path.is_dir():
        raise UsageError(f"{printable(str(path))} is a folder with no article files in it (.txt, .md, .html)")
    try:
        return path.name, read_article_source(path)
    except UnreadableArticle as exc:
        raise UsageError(f"{printable(path.name or str(path))} is not a usable article: {exc}") from exc
    except FileNotFoundError as exc:
        raise UsageError(f"no such file: {printable(str(path))}") from exc
    except OSError as exc:
        raise NewsqaError(f"cannot read {printable(str(path))}: {exc.strerror or exc}") from exc


def _holds(target: Path, data: bytes) -> bool | None:
    """Is `target` a regular file holding `data` (True), free (None), or taken (False)?"""
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode) or st.st_size != len(data):
        return False  # a folder, pipe or link is never opened: another name is used
    fd = os.open(target, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        return stat.S_ISREG(os.fstat(fd).st_mode) and fh.read(len(data) + 1) == data


def _place(folder: Path, target: Path, data: bytes) -> bool:
    """Write `data` under a random temporary name (created with O_EXCL, so nothing planted there is
    followed), then give it `target`'s name unless something took the name meanwhile. False if so."""
    fd, tmp = create_temporary(folder, ".newsqa-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, target)  # fails if the name exists, whatever it is: never replaces anything
        except FileExistsError:
            return False
        except OSError:  # no hard links here (some network and FAT file systems)
            if os.path.lexists(target):
                return False
            os.replace(tmp, target)
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Keep Python's cyclic garbage collector out of a re-index, then exempt the new index from it.

    A re-index allocates hundreds of thousands of objects; each full collection pass over them holds
    the GIL for hundreds of milliseconds, which stalls every other thread (a bot's event loop among
    them: measured 700 ms at 100k passages, bench/RESULTS.md). The index's objects hold no reference
    cycles and are freed by reference counting, so they need no collector: `gc.freeze()` moves them
    out of its way for good.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def build_index(folder: Path, settings: EngineSettings | None = None) -> CorpusIndex:
    """Read a corpus folder and index it from scratch, in memory only (passage vectors too, unless
    `settings.dense` is off)."""
    articles, passages, skipped = load_corpus(folder)
    return with_vectors(CorpusIndex.build(articles, passages, skipped), None, settings or load_engine_settings())


def with_vectors(index: CorpusIndex, store: IndexStore | None, settings: EngineSettings) -> CorpusIndex:
    """The index with its passages' vectors for hybrid retrieval (cached in the index folder), when the
    settings ask for them and it has them not yet."""
    if settings.dense and index.dense is None:
        dense.attach(index, store.index_dir / VECTORS if store is not None else None, settings.dense_max_passages)
    return index


def diff_indexes(old: CorpusIndex, new: CorpusIndex) -> IndexReport:
    """Which articles a new index added, updated, removed or kept, by id and text."""
    report = IndexReport(skipped=list(new.skipped))
    for article_id, article in new.articles.items():
        before = old.articles.get(article_id)
        if before is None:
            report.added.append(article_id)
        elif before.text != article.text:
            report.updated.append(article_id)
        else:
            report.unchanged.append(article_id)
    report.removed = [a for a in old.articles if a not in new.articles]
    return report
