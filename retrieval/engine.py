"""The engine's front door: open a corpus folder, ask questions, list sources, re-index."""

from __future__ import annotations

from pathlib import Path

from retrieval.answer import answer_question
from retrieval.errors import UsageError
from retrieval.index import CorpusIndex
from retrieval.ingest import load_corpus
from retrieval.models import Answer, ArticleInfo, SkippedFile


class Engine:
    """Answers questions over one corpus folder. Thread-safe for readers: the index is swapped whole."""

    def __init__(self, corpus_dir: Path, index: CorpusIndex):
        self.corpus_dir = corpus_dir
        self.index = index  # replaced by one assignment; readers keep the one they started with

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


def build_index(folder: Path) -> CorpusIndex:
    """Read a corpus folder and index it from scratch."""
    articles, passages, skipped = load_corpus(folder)
    return CorpusIndex.build(articles, passages, skipped)
