"""`newsqa add URL` against a hostile loopback server: one that drips bytes, loops redirects, sends
no HTTP, or passes markup off as plain text. Every case ends, with one line saying what to do."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from retrieval.errors import NewsqaError
from retrieval.fetch import fetch_article

PAGE = b"The real story: the Harbor Line ferry carries 300 passengers between the two piers, the operator said.\n"


def _drip(conn: socket.socket, data: bytes, stop: threading.Event) -> None:
    for i in range(len(data)):
        if stop.is_set():
            return
        conn.sendall(data[i : i + 1])
        time.sleep(0.05)


def _answer(conn: socket.socket, path: str, stop: threading.Event) -> None:
    headers = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n"
    if path == "/drip-headers":
        _drip(conn, headers + b"x" * 100, stop)
    elif path == "/drip-body":
        conn.sendall(headers)
        _drip(conn, b"<p>" + b"word " * 10_000, stop)
    elif path == "/silent":
        stop.wait()
    elif path == "/loop":
        conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n")
    elif path == "/garbage":
        conn.sendall(b"\x00\xffNOT HTTP\r\n\r\n")
    elif path == "/odd-charset":
        body = b"<html><body><p>" + PAGE + b"</p></body></html>"
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=no-such-codec\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    elif path == "/plain":
        body = b"<h1>Injected headline</h1>\n<script>alert(1)</script>\n\n" + PAGE
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))


@pytest.fixture
def server() -> Iterator[str]:
    """A raw HTTP server on 127.0.0.1 whose answers are byte-exact and as slow as we like (so the tests
    download with `allow_private_addresses=True`, as from an intranet)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()

    def handle(conn: socket.socket) -> None:
        with conn:
            try:
                request = conn.recv(65536).decode("latin-1")
                path = request.split(" ")[1] if " " in request else "/"
                _answer(conn, path, stop)
            except OSError:
                pass  # the client gave up: that is the point

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    listener.close()


@pytest.mark.parametrize("path", ["/drip-headers", "/drip-body", "/silent"])
def test_a_server_that_drips_is_given_up_on_at_the_deadline(server: str, path: str) -> None:
    with pytest.raises(NewsqaError) as caught:
        fetch_article(server + path, timeout=1, allow_private_addresses=True)
    assert str(caught.value) == f"{server}{path} did not answer within 1 s: try again later or pass a longer --timeout"


def test_a_redirect_loop_is_one_line(server: str) -> None:
    with pytest.raises(NewsqaError) as caught:
        fetch_article(server + "/loop", timeout=10, allow_private_addresses=True)
    assert str(caught.value) == f"{server}/loop redirects in a loop or more than 10 times: check the address"


def test_a_server_that_speaks_no_http_is_one_line(server: str) -> None:
    with pytest.raises(NewsqaError) as caught:
        fetch_article(server + "/garbage", timeout=10, allow_private_addresses=True)
    assert "\n" not in str(caught.value) and "not a valid HTTP response" in str(caught.value)


def test_plain_text_is_text_not_markup(server: str) -> None:
    name, markdown = fetch_article(server + "/plain", timeout=10, allow_private_addresses=True)
    text = markdown.decode()
    assert "title: Injected headline" not in text and "<h1>Injected headline</h1>" in text
    assert "carries 300 passengers" in text and name.endswith(".md")


def test_a_charset_python_does_not_know_is_read_as_utf8(server: str) -> None:
    _, markdown = fetch_article(server + "/odd-charset", timeout=10, allow_private_addresses=True)
    assert "carries 300 passengers" in markdown.decode()
