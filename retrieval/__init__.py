"""newsqa's engine: ingestion, BM25 retrieval and extractive answers. Knows nothing of Discord."""

from __future__ import annotations

from retrieval.errors import NewsqaError, UsageError
from retrieval.models import Answer, Article, ArticleInfo, Citation, Passage

__version__ = "0.1.0"

__all__ = ["Answer", "Article", "ArticleInfo", "Citation", "NewsqaError", "Passage", "UsageError", "__version__"]
