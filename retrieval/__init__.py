"""newsqa's engine: ingestion, BM25 retrieval and extractive answers. Knows nothing of Discord."""

from __future__ import annotations

from retrieval.errors import NewsqaError, UsageError
from retrieval.models import Answer, Article, ArticleInfo, Citation, Passage

__all__ = ["Answer", "Article", "ArticleInfo", "Citation", "NewsqaError", "Passage", "UsageError"]
