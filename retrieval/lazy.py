"""The articles and passages of a saved index, made into objects only when asked for.

At 1M passages, one `Passage` object per passage and one `Article` per article, each holding its
text as a `str`, took some 2 GB of memory (issue #6). A loaded generation keeps instead a few numbers
per passage in NumPy arrays and each article's metadata in lists; the texts stay in the memory-mapped
`texts.bin`. `StoredPassages[i]` and `StoredArticles[id]` make the `Passage` and `Article` a caller
asks for (a question touches a few dozen), with the same fields and text as before: a passage's text
is `article.text[start:end]`, decoded from the mapped bytes of its article (the last few hundred
articles' texts are kept decoded).
"""

from __future__ import annotations

import functools
import mmap
from collections.abc import Iterator, Mapping, Sequence
from typing import overload

import numpy as np

from retrieval.models import Article, ArticleInfo, Passage

TEXT_CACHE = 512  # decoded article texts (and their Article objects) kept: a question reads up to ~30
PASSAGE_CACHE = 4096  # Passage objects kept: a question looks at a few dozen, some of them several times


def advise(mapped: object, advice: str) -> None:
    """`mapped.madvise(mmap.<advice>)` where there is such a thing (a mapped file, on a system that has it)."""
    if isinstance(mapped, mmap.mmap) and hasattr(mmap, advice):
        try:
            mapped.madvise(getattr(mmap, advice))
        except (OSError, ValueError):
            pass


class ArticleTexts:
    """Article `i`'s text is `texts[text_at[i]:text_at[i + 1]]`, UTF-8."""

    def __init__(self, texts: bytes | mmap.mmap, text_at: Sequence[int]):
        self.texts = texts
        self.text_at = text_at

        # A closure, not a cached bound method: that would be a reference cycle, which the frozen
        # collector (engine._collector_paused) never frees, keeping every old generation mapped.
        @functools.lru_cache(maxsize=TEXT_CACHE)
        def text(i: int) -> str:
            return texts[text_at[i] : text_at[i + 1]].decode("utf-8")

        self.text = text


class StoredArticles(Mapping[str, Article]):
    """Article id -> `Article`, made on access from the metadata lists and the mapped texts."""

    def __init__(
        self,
        ids: list[str],
        paths: list[str],
        titles: list[str],
        published: list[str | None],
        urls: list[str | None],
        sources: list[str | None],
        texts: ArticleTexts,
    ):
        self.ids, self.paths, self.titles = ids, paths, titles
        self.published, self.urls, self.sources = published, urls, sources
        self.texts = texts
        self.position = {article_id: i for i, article_id in enumerate(ids)}
        text = texts.text

        # A closure over the lists, not a cached method (a cycle through self: see ArticleTexts).
        @functools.lru_cache(maxsize=TEXT_CACHE)
        def article(i: int) -> Article:
            # Validated when written, and checksummed since; but pydantic-core validates these few
            # fields in half the time `model_construct` takes in Python (1.9 against 3.9 us a passage).
            return Article(
                id=ids[i], path=paths[i], title=titles[i], published=published[i], url=urls[i], source=sources[i],
                text=text(i),
            )

        self.article = article

    def __getitem__(self, article_id: str) -> Article:
        return self.article(self.position[article_id])

    def __contains__(self, article_id: object) -> bool:
        return article_id in self.position

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return f"<StoredArticles: {len(self)} articles>"


class StoredPassages(Sequence[Passage]):
    """Passage `j` of the index: its article's position `article[j]`, its paragraph number, its start
    and end in the article text (characters), and its heading (`headings[heading[j]]`, -1 for none)."""

    def __init__(
        self,
        articles: StoredArticles,
        article: np.ndarray,
        number: np.ndarray,
        start: np.ndarray,
        end: np.ndarray,
        heading: np.ndarray,
        headings: list[str],
    ):
        self.articles = articles
        self.article, self.number, self.start, self.end, self.heading = article, number, start, end, heading
        self.headings = headings
        ids, text = articles.ids, articles.texts.text

        @functools.lru_cache(maxsize=PASSAGE_CACHE)  # a closure, not a cached method: see ArticleTexts
        def passage(j: int) -> Passage:
            a = int(article[j])
            article_id = ids[a]
            n, s, e, h = int(number[j]), int(start[j]), int(end[j]), int(heading[j])
            return Passage(
                id=f"{article_id}#{n}", article_id=article_id, number=n, start=s, end=e,
                text=text(a)[s:e], heading=headings[h] if h >= 0 else None,
            )

        self._passage = passage

    def __len__(self) -> int:
        return len(self.article)

    @overload
    def __getitem__(self, j: int) -> Passage: ...
    @overload
    def __getitem__(self, j: slice) -> list[Passage]: ...
    def __getitem__(self, j: int | slice) -> Passage | list[Passage]:
        if isinstance(j, slice):
            return [self._passage(k) for k in range(*j.indices(len(self)))]
        j = int(j)
        if j < 0:
            j += len(self)
        if not 0 <= j < len(self):
            raise IndexError("passage index out of range")
        return self._passage(j)

    def __iter__(self) -> Iterator[Passage]:
        return (self._passage.__wrapped__(j) for j in range(len(self)))  # all of them: past the cache

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    # A list's equality, a list's unhashability. The ignore: typeshed types object.__hash__ as never None.
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<StoredPassages: {len(self)} passages>"

    def first_passages(self) -> dict[str, int]:
        """Article id -> position of its first passage (an article's passages sit together, in order)."""
        if not len(self.article):
            return {}
        starts = np.flatnonzero(np.diff(self.article, prepend=-1)).tolist()
        ids = self.articles.ids
        return {ids[a]: j for a, j in zip(self.article[starts].tolist(), starts)}

    def counts(self) -> np.ndarray:
        """The number of passages of each article, by position."""
        return np.bincount(self.article, minlength=len(self.articles.ids))

    def article_infos(self) -> list[ArticleInfo]:
        a = self.articles
        counts = self.counts().tolist()
        return [
            ArticleInfo(id=a.ids[i], title=a.titles[i], published=a.published[i], url=a.urls[i], passages=counts[i])
            for i in range(len(a.ids))
        ]
