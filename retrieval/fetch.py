"""Download a news page and turn it into a Markdown article with front matter (`newsqa add URL`)."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from retrieval.errors import NewsqaError, UsageError
from retrieval.ingest import MAX_ARTICLE_BYTES, UnreadableArticle, html_to_markdown, safe_file_name

DEFAULT_TIMEOUT = 20.0
USER_AGENT = "newsqa/0.1 (+article import)"
_TEXT_TYPES = ("text/html", "application/xhtml+xml", "text/plain")


def is_url(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def fetch_article(url: str, timeout: float = DEFAULT_TIMEOUT, max_bytes: int = MAX_ARTICLE_BYTES) -> tuple[str, bytes]:
    """Download `url` and extract its article: (a safe .md file name, the Markdown bytes).

    Raises `NewsqaError` with what went wrong: unreachable, too slow, too large, not a page, no text.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"not a web address: {url!r} (use http:// or https://)")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "text/html,*/*;q=0.5"})
    limit = f"the limit for an article is {max_bytes // 1_048_576} MiB"
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    try:
        with opener.open(request, timeout=timeout) as response:
            final_url = response.geturl()
            content_type = (response.headers.get_content_type() or "").lower()
            if content_type not in _TEXT_TYPES:
                raise NewsqaError(f"{url} is {content_type or 'of unknown type'}, not a web page: nothing added")
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise NewsqaError(f"{url} is too large ({int(length) / 1_048_576:.1f} MiB): {limit}")
            body = response.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise NewsqaError(f"{url} is too large (over {max_bytes // 1_048_576} MiB): {limit}")
    except urllib.error.HTTPError as exc:
        raise NewsqaError(f"{url} answered HTTP {exc.code} {exc.reason}: check the address") from exc
    except urllib.error.URLError as exc:
        raise NewsqaError(f"cannot download {url} ({exc.reason}): check the address and your connection") from exc
    except TimeoutError as exc:
        raise NewsqaError(f"{url} did not answer within {timeout:.0f} s: try again later") from exc
    except OSError as exc:
        raise NewsqaError(f"cannot download {url} ({exc.strerror or exc})") from exc
    if content_type == "text/plain":
        body = f"<html><body><pre>{body.decode('utf-8', 'replace')}</pre></body></html>".encode()
    try:
        markdown = html_to_markdown(body, url=final_url, source=None)
    except UnreadableArticle as exc:
        raise NewsqaError(f"{url}: {exc}: nothing added") from exc
    title = re.search(r"^title: (.*)$", markdown, re.MULTILINE)
    stem = _slug(title.group(1)) if title else ""
    if not stem:
        stem = _slug(f"{parts.hostname} {parts.path}")
    return safe_file_name(f"{stem or 'article'}.md"), markdown.encode("utf-8")


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) addresses only (urllib would also follow one to ftp://)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, ANN201 - urllib's signature
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise urllib.error.URLError(f"redirected to a non-web address {newurl!r}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _slug(text: str) -> str:
    words = re.findall(r"[^\W_]+", text.lower())
    slug = "-".join(words)
    return slug[:80].rstrip("-")
