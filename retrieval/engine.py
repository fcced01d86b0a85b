"""The engine's front door: open a corpus folder, ask questions, list sources, re-index."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from retrieval.answer import answer_question
from retrieval.errors import NewsqaError, UsageError
from retrieval.index import CorpusIndex
from retrieval.ingest import MAX_ARTICLE_BYTES, SUPPORTED_SUFFIXES, decode_article_bytes, load_corpus, safe_file_name
from retrieval.models import Answer, ArticleInfo, IndexReport, SkippedFile


class Engine:
    """Answers questions over one corpus folder.

    Readers never lock: `self.index` is replaced by one assignment once a new index is complete, and
    a question keeps the index it started with. Re-indexing is serialised by a lock.
    """

    def __init__(self, corpus_dir: Path, index: CorpusIndex):
        self.corpus_dir = corpus_dir
        self.index = index
        self._reindex_lock = threading.Lock()

    @classmethod
    def open(cls, corpus_dir: Path | str) -> Engine:
        """Read and index every article in `corpus_dir`."""
        folder = Path(corpus_dir)
        if not folder.is_dir():
            raise UsageError(f"corpus folder not found: {folder} (pass --corpus DIR with your articles)")
        return cls(folder, build_index(folder))

    def ask(self, question: str) -> Answer:
        """Answer one question; never raises for odd input, returns a 'not found' answer instead."""
        return answer_question(self.index, question)

    def sources(self) -> list[ArticleInfo]:
        return self.index.article_infos()

    @property
    def skipped(self) -> list[SkippedFile]:
        return self.index.skipped

    def reindex(self) -> IndexReport:
        """Re-read the corpus folder and swap the new index in; safe to call from a worker thread."""
        with self._reindex_lock:
            started = time.perf_counter()
            old = self.index
            new = build_index(self.corpus_dir)
            report = diff_indexes(old, new)
            self.index = new
            report.seconds = round(time.perf_counter() - started, 4)
            return report


    def add_article(self, filename: str, data: bytes) -> IndexReport:
        """Store an uploaded article file in the corpus under a safe name, then re-index.

        Raises `UsageError` for a file that can't be an article (type, size, binary, not UTF-8).
        """
        name = safe_file_name(filename)
        if not name.lower().endswith(SUPPORTED_SUFFIXES):
            raise UsageError(f"{filename!r} is not an article file: use {', '.join(SUPPORTED_SUFFIXES)}")
        if len(data) > MAX_ARTICLE_BYTES:
            raise UsageError(f"{name} is too large: the limit is {MAX_ARTICLE_BYTES // 1_048_576} MiB")
        try:
            decode_article_bytes(data)
        except NewsqaError as exc:
            raise UsageError(f"{name}: {exc}") from exc
        target = self.corpus_dir / name
        stem, suffix = target.stem, target.suffix
        n = 1
        while target.exists() and target.read_bytes() != data:
            n += 1
            target = self.corpus_dir / f"{stem}-{n}{suffix}"
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
        return self.reindex()


def build_index(folder: Path) -> CorpusIndex:
    """Read a corpus folder and index it from scratch."""
    articles, passages, skipped = load_corpus(folder)
    return CorpusIndex.build(articles, passages, skipped)


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
