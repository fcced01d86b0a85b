"""The searchable corpus: articles, their passages, and a BM25 index over the passages."""

from __future__ import annotations

import bisect
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypedDict

import numpy as np

from retrieval.bm25 import BM25Index, lucene_idf
from retrieval.dense import DenseIndex
from retrieval.lazy import StoredPassages
from retrieval.models import Article, ArticleInfo, Passage, SkippedFile
from retrieval.tokens import tokenize


class PassageRefFields(TypedDict):
    """The fields of a `PassageRef` (retrieval/models.py), as `CorpusIndex.reference` gives them."""

    article_id: str
    title: str
    published: str | None
    url: str | None
    passage_id: str
    paragraph: int
    passage_text: str


def passage_terms(passage: Passage) -> list[str]:
    """What a passage is indexed under: its heading (kept as context) and its text."""
    heading = tokenize(passage.heading) if passage.heading else []
    return heading + tokenize(passage.text)


@dataclass
class CorpusIndex:
    """Everything a question needs, immutable once built: swap a new one in to update."""

    # A dict and a list when built in memory; loaded from a saved index, a mapping and a sequence
    # that make each `Article` and `Passage` when it is asked for (retrieval/lazy.py).
    articles: Mapping[str, Article]
    passages: Sequence[Passage]
    bm25: BM25Index
    skipped: list[SkippedFile] = field(default_factory=list)
    # Every indexed term in sorted order, for `expand`; sorted here if not given (~0.1 s at 200k terms).
    sorted_vocab: list[str] | None = field(default=None, repr=False, compare=False)
    # The passages' vectors for dense retrieval (`retrieval.dense.attach`), a row per passage; None: BM25 alone.
    dense: DenseIndex | None = field(default=None, repr=False, compare=False)

    @classmethod
    def build(
        cls,
        articles: Sequence[Article],
        passages: Sequence[Passage],
        skipped: Sequence[SkippedFile] = (),
        terms: Sequence[Sequence[str]] | None = None,
    ) -> CorpusIndex:
        """Index passages; `terms` may carry their already-tokenized terms (one list per passage)."""
        if terms is None:
            terms = [passage_terms(p) for p in passages]
        return cls(
            articles={a.id: a for a in articles},
            passages=list(passages),
            bm25=BM25Index.build(terms),
            skipped=list(skipped),
        )

    def __post_init__(self) -> None:
        if self.sorted_vocab is None:
            self.sorted_vocab = sorted(self.bm25.vocab)

    def idf(self, term: str) -> float:
        """Lucene idf of a term; a term found nowhere gets the idf of a term in no passage."""
        i = self.bm25.vocab.get(term)
        if i is None:
            return float(lucene_idf(max(self.bm25.n_docs, 1), 0))
        return float(self.bm25.idf[i])

    def expand(self, term: str) -> list[str]:
        """Indexed terms that share a long prefix with a term the corpus lacks ("spokesperson" -> "spokesman")."""
        if term in self.bm25.vocab or len(term) < 5 or not term.isalpha():
            return []
        out = []
        vocab = self.sorted_vocab
        assert vocab is not None  # __post_init__ sorts it when not given
        for size in range(len(term), 4, -1):
            prefix = term[:size]
            i = bisect.bisect_left(vocab, prefix)
            while i < len(vocab) and vocab[i].startswith(prefix):
                cand = vocab[i]
                if size >= max(5, 0.6 * min(len(cand), len(term))):
                    out.append(cand)
                i += 1
            if out:
                return out[:5]
        return []

    @functools.cached_property
    def _first_passage(self) -> dict[str, int]:
        """Article id -> position of its first passage (an article's passages sit together, in order)."""
        if isinstance(self.passages, StoredPassages):
            return self.passages.first_passages()
        first: dict[str, int] = {}
        for i, p in enumerate(self.passages):
            first.setdefault(p.article_id, i)
        return first

    @functools.cached_property
    def _article_starts(self) -> np.ndarray:
        """The positions of the articles' first passages, in order (an article ends where the next starts)."""
        return np.array(sorted(self._first_passage.values()), dtype=np.int64)

    def article_rows(self, article_id: str) -> range:
        """The positions of the article's passages (empty for an article the index does not hold)."""
        start = self._first_passage.get(article_id)
        if start is None:
            return range(0)
        starts = self._article_starts
        k = int(np.searchsorted(starts, start, side="right"))
        return range(start, int(starts[k]) if k < len(starts) else len(self.passages))

    def article_mentions(self, article_id: str, term: str) -> bool:
        """Whether any passage of the article holds the term: a search of the term's postings, no text read."""
        rows = self.article_rows(article_id)
        ids = self.bm25.passages_with(term)
        j = int(np.searchsorted(ids, rows.start))
        return bool(rows) and j < len(ids) and int(ids[j]) < rows.stop

    def reference(self, passage: Passage) -> PassageRefFields:
        """The fields of a `PassageRef` to `passage`: its article's title, date and address, where it stands."""
        article = self.articles[passage.article_id]
        return {
            "article_id": article.id,
            "title": article.title,
            "published": article.published,
            "url": article.url,
            "passage_id": passage.id,
            "paragraph": passage.number,
            "passage_text": passage.text,
        }

    def passage(self, passage_id: str) -> Passage | None:
        """The passage with this id ('<article-id>#<n>'), or None when the index has no such passage."""
        article_id, _, number = passage_id.rpartition("#")
        if not number.isdigit() or article_id not in self._first_passage:
            return None
        i = self._first_passage[article_id] + int(number) - 1
        if i < len(self.passages) and self.passages[i].id == passage_id:
            return self.passages[i]
        if isinstance(self.passages, StoredPassages):
            return None  # a stored article's passages are numbered 1, 2, ... in order: no such number
        return next((p for p in self.passages if p.id == passage_id), None)

    def row(self, passage: Passage) -> int:
        """The passage's position in `passages` (and in the dense vectors)."""
        i = self._first_passage[passage.article_id] + passage.number - 1
        if i < len(self.passages) and self.passages[i].id == passage.id:
            return i
        return self._rows[passage.id]

    @functools.cached_property
    def _rows(self) -> dict[str, int]:
        """Passage id -> position, for an index built in memory whose paragraphs are not numbered 1, 2, ..."""
        return {p.id: i for i, p in enumerate(self.passages)}

    def search(self, terms: Sequence[str], k: int) -> list[tuple[Passage, float]]:
        """The k best passages for query terms, with their BM25 scores."""
        ids, scores = self.bm25.top_k(terms, k)
        return [(self.passages[int(i)], float(s)) for i, s in zip(ids, scores)]

    def article_infos(self) -> list[ArticleInfo]:
        if isinstance(self.passages, StoredPassages):
            return self.passages.article_infos()
        counts: dict[str, int] = {}
        for p in self.passages:
            counts[p.article_id] = counts.get(p.article_id, 0) + 1
        return [
            ArticleInfo(id=a.id, title=a.title, published=a.published, url=a.url, passages=counts.get(a.id, 0))
            for a in self.articles.values()
        ]
