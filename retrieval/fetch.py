"""Download a news page and turn it into a Markdown article with front matter (`newsqa add URL`).

`--timeout` is a deadline for the whole download: connecting, the headers and the body. urllib's own
timeout is per socket operation, so a server that sends one byte a second would never trip it; here a
timer shuts the connection's socket down when the deadline passes, whatever is being read.

Only public addresses are connected to, unless the caller allows private ones (`addresses.py`): each
connection, the first and every redirect's, resolves its host once, checks every address and connects
to a checked one.
"""

from __future__ import annotations

import base64
import functools
import html
import http.client
import math
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from urllib.parse import urlsplit, urlunsplit

from retrieval.addresses import public_addresses
from retrieval.errors import NewsqaError, UsageError
from retrieval.admission import MAX_ARTICLE_BYTES, safe_file_name
from retrieval.bounded import Refused, TooLarge, TooSlow, call_bounded

DEFAULT_TIMEOUT = 20.0
MAX_TIMEOUT = 3600.0  # an hour for one page is no deadline; threading.Timer overflows near 1e10 s
MAX_REDIRECTS = 10
USER_AGENT = "newsqa/0.1 (+article import)"
_TEXT_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
_CHUNK = 64 * 1024


def is_url(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


class _Deadline:
    """Shuts down every socket of one download when its time is up, so that no read outlives it."""

    def __init__(self, seconds: float):
        self.at = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def passed(self) -> bool:
        return self.expired or time.monotonic() >= self.at

    def remaining(self) -> float:
        return max(0.001, self.at - time.monotonic())

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def connection(
        self, base: type[http.client.HTTPConnection], req: urllib.request.Request, guard: _Guard | None
    ) -> type[http.client.HTTPConnection]:
        """A connection class for `req` that keeps this deadline and, with a guard, connects only to
        checked public addresses of the page's host."""
        deadline = self
        target = urlsplit(req.full_url)
        # Through a proxy the proxy connects to the page, resolving its name again: the check is all we can do.
        proxied = req.has_proxy() or bool(getattr(req, "_tunnel_host", None))

        class Connection(base):  # type: ignore[valid-type, misc]
            def connect(self) -> None:
                self.timeout = deadline.remaining()  # connecting, then each read, waits at most this long
                if guard is not None:
                    # Resolved once here, under urllib's error handling: a name that does not resolve is the
                    # usual "cannot download"; a non-public address is PrivateAddress, passed through as it is.
                    port = target.port or (443 if target.scheme == "https" else 80)
                    checked = public_addresses(target.hostname or "", port, guard.lead(req.full_url))
                    if not proxied:
                        # http.client connects through this attribute: the checked addresses, never the name
                        # again. The name still goes in the Host header and, for https, in SNI and the
                        # certificate check (HTTPSConnection wraps the socket with server_hostname=self.host).
                        self._create_connection = functools.partial(_connect_to_any, checked)
                super().connect()
                deadline.watch(self.sock)

        return Connection


class _Guard:
    """Refuses non-public addresses for one download: its first request's and every redirect's."""

    def __init__(self, url: str):
        self.url = url

    def lead(self, url: str) -> str:
        """How a refusal of `url` begins: the page the user gave, and the redirect if this is one."""
        if url == self.url:
            return f"{_short(self.url)}:"
        return f"{_short(self.url)} redirects to {_short(url)}, and"


def _connect_to_any(
    addresses: list[str], address: tuple[str, int], timeout: float | None = None, source_address: object = None
) -> socket.socket:
    """`socket.create_connection` to the first of `addresses` that answers, on `address`'s port."""
    error: OSError | None = None
    for each in addresses:
        try:
            return socket.create_connection((each, address[1]), timeout, source_address)  # type: ignore[arg-type]
        except OSError as exc:
            error = exc
    raise error or OSError(f"no address for {address[0]}")


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class _HttpHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline, guard: _Guard | None):
        super().__init__()
        self.deadline = deadline
        self.guard = guard

    def http_open(self, req):  # noqa: ANN001, ANN201 - urllib's signature
        return self.do_open(self.deadline.connection(http.client.HTTPConnection, req, self.guard), req)


class _HttpsHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline, guard: _Guard | None):
        super().__init__()
        self.deadline = deadline
        self.guard = guard

    def https_open(self, req):  # noqa: ANN001, ANN201 - urllib's signature
        connection = self.deadline.connection(http.client.HTTPSConnection, req, self.guard)
        return self.do_open(connection, req, context=self._context)


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow at most `MAX_REDIRECTS` redirects, to http(s) addresses only (urllib would also follow
    one to ftp://)."""

    max_redirections = MAX_REDIRECTS

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, ANN201 - urllib's signature
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise urllib.error.URLError(f"redirected to a non-web address {_short(newurl)!r}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)

    def http_error_302(self, req, fp, code, msg, headers):  # noqa: ANN001, ANN201 - urllib's signature
        # urllib refuses a redirect to file:// itself, before redirect_request, with an HTTPError of
        # the 3xx code, which read as "a redirect loop": say what it is instead.
        target = headers.get("location") or headers.get("uri")
        if target and urlsplit(urllib.parse.urljoin(req.full_url, target)).scheme not in ("http", "https"):
            raise urllib.error.URLError(f"redirected to a non-web address {_short(target)!r}")
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def fetch_article(
    url: str, timeout: float = DEFAULT_TIMEOUT, max_bytes: int = MAX_ARTICLE_BYTES, *, allow_private_addresses: bool = False
) -> tuple[str, bytes]:
    """Download `url` and extract its article: (a safe .md file name, the Markdown bytes).

    Raises `NewsqaError` with what went wrong, in one line: unreachable, too slow, too large, not a
    page, no text, a host that is not public (`PrivateAddress`, unless `allow_private_addresses`).
    `timeout` is the most seconds the whole download may take.
    """
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and (parts.port or 1) > 0
    except ValueError:  # "http://[::1", a port out of range
        valid = False
    if not valid:
        raise UsageError(f"not a web address: {_short(url)} (use http:// or https://)")
    if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and 0 < timeout <= MAX_TIMEOUT):
        raise UsageError(
            f"the download timeout must be a number of seconds above 0 and at most {MAX_TIMEOUT:g}, not {_number(timeout)}: "
            "pass --timeout SECONDS"
        )
    shown = _short(url)
    with _Deadline(timeout) as deadline:
        try:
            guard = None if allow_private_addresses else _Guard(url)
            final_url, content_type, charset, body = _download(url, deadline, max_bytes, guard)
        except NewsqaError:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever a hostile server makes urllib raise: one line
            if deadline.passed() or _timed_out(exc):  # each socket wait is bounded by what is left
                raise NewsqaError(f"{shown} did not answer within {timeout:g} s: try again later or pass a longer --timeout") from exc
            raise NewsqaError(_download_error(shown, exc)) from exc
    if content_type == "text/plain":
        try:
            text = body.decode(charset or "utf-8", "replace")
        except (LookupError, UnicodeError):  # a charset Python does not know, or a codec that can't replace (idna): UTF-8
            text = body.decode("utf-8", "replace")
        text = html.escape(text)
        body = f"<html><body><pre>{text}</pre></body></html>".encode()
    # Reading the page is part of the same deadline: trafilatura is quadratic in an article's
    # paragraphs (a 1.15 MB page took 16 s), so it runs where it can be stopped.
    try:
        payload = {"html": base64.b64encode(body).decode("ascii"), "url": _without_credentials(final_url)}
        markdown = call_bounded("markdown", payload, seconds=deadline.remaining())
        if not isinstance(markdown, str):
            raise RuntimeError("the worker's page is not text")
    except TooSlow:
        raise NewsqaError(timeout_message(url, timeout)) from None
    except TooLarge:
        raise NewsqaError(f"{shown}: reading the page took too much memory: nothing added") from None
    except (Refused, RuntimeError) as exc:
        raise NewsqaError(f"{shown}: {exc}: nothing added") from exc
    title = re.search(r"^title: (.*)$", markdown, re.MULTILINE)
    stem = _slug(title.group(1)) if title else ""
    if not stem:
        stem = _slug(f"{parts.hostname} {parts.path}")
    return safe_file_name(f"{stem or 'article'}.md"), markdown.encode("utf-8")


def _download(url: str, deadline: _Deadline, max_bytes: int, guard: _Guard | None) -> tuple[str, str, str | None, bytes]:
    """The final address, content type, charset and body of `url`, read before the deadline."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "text/html,*/*;q=0.5"})
    limit = f"the limit for an article is {max_bytes // 1_048_576} MiB"
    opener = urllib.request.build_opener(_HttpHandler(deadline, guard), _HttpsHandler(deadline, guard), _HttpOnlyRedirects)
    shown = _short(url)
    with opener.open(request, timeout=deadline.remaining()) as response:
        final_url = response.geturl()
        content_type = (response.headers.get_content_type() or "").lower()
        if content_type not in _TEXT_TYPES:
            raise NewsqaError(f"{shown} is {_short(content_type) or 'of unknown type'}, not a web page: nothing added")
        length = response.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > max_bytes:
            raise NewsqaError(f"{shown} is too large ({int(length) / 1_048_576:.1f} MiB): {limit}")
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:
            chunk = response.read(min(_CHUNK, max_bytes + 1 - size))
            if deadline.expired:
                raise TimeoutError("the download deadline passed")
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:
            raise NewsqaError(f"{shown} is too large (over {max_bytes // 1_048_576} MiB): {limit}")
        return final_url, content_type, response.headers.get_content_charset(), b"".join(chunks)


def _timed_out(exc: BaseException) -> bool:
    reason = getattr(exc, "reason", None)
    return isinstance(exc, TimeoutError) or isinstance(reason, TimeoutError)


def _download_error(shown: str, exc: Exception) -> str:
    """One line for a failed download, saying what to check."""
    if isinstance(exc, urllib.error.HTTPError):
        if 300 <= exc.code < 400:
            return f"{shown} redirects in a loop or more than {MAX_REDIRECTS} times: check the address"
        return f"{shown} answered HTTP {exc.code} {_short(str(exc.reason))}: check the address"
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason.strerror if isinstance(exc.reason, OSError) and exc.reason.strerror else exc.reason
        return f"cannot download {shown} ({_short(str(reason))}): check the address and your connection"
    if isinstance(exc, TimeoutError):
        return f"{shown} did not answer in time: try again later or pass a longer --timeout"
    if isinstance(exc, (ValueError, http.client.InvalidURL)):
        return f"cannot download {shown}: the address is not valid ({exc.__class__.__name__}): check it"
    if isinstance(exc, OSError) and exc.strerror:
        return f"cannot download {shown} ({exc.strerror}): try again later"
    return f"cannot download {shown}: the server sent something that is not a valid HTTP response ({exc.__class__.__name__})"


def timeout_message(url: str, timeout: float) -> str:
    """What `newsqa add` says of a page that could not be read within --timeout."""
    return (
        f"{_short(url)}: reading the page took longer than --timeout {timeout:g} s allows: nothing added; "
        "pass a longer --timeout, or save the article's text as a .txt file and add that"
    )


def _number(value: object) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else repr(value)


def _short(text: str, limit: int = 200) -> str:
    """Text from the network or the command line for a one-line message: no line breaks, bounded."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _without_credentials(url: str) -> str:
    """The address to cite, without any user name or password in it."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _slug(text: str) -> str:
    words = re.findall(r"[^\W_]+", text.lower())
    slug = "-".join(words)
    return slug[:80].rstrip("-")
