"""`newsqa add URL` downloads only from public addresses (issue #26, defect 15): a page on loopback,
link-local or private addresses, by its address, by a name or by a redirect, is refused in one line
unless the user opts in for their own intranet.

The test server listens on 127.0.0.1. To play a public site, `resolve_host` (our DNS) answers chosen
names with public addresses, and `socket.create_connection` (our network) routes those addresses to
the test server and records every address newsqa connects to.
"""

from __future__ import annotations

import http.server
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from retrieval import addresses
from retrieval.engine import Engine
from retrieval.errors import NewsqaError
from retrieval.fetch import fetch_article
from tests.helpers import run_newsqa

PAGE = b"""<!doctype html><html><head><title>Ferry news</title></head><body><article><h1>Harbor Line ferry</h1>
<p>The Harbor Line ferry carries 300 passengers between the two piers, the operator said on Monday.</p>
</article></body></html>"""
PUBLIC = "93.184.215.14"  # a public address (example.com's): what our DNS answers for news.example; never reached
OPT_IN = "to download from your own network, pass --allow-private-addresses or set NEWSQA_ALLOW_PRIVATE_ADDRESSES=true"


class _Handler(http.server.BaseHTTPRequestHandler):
    requests: list[tuple[str, str | None]] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.requests.append((self.path, self.headers.get("Host")))
        if self.path.startswith("/to/"):  # /to/<address>: a redirect there, on this server's port
            self.send_response(302)
            self.send_header("Location", f"http://{self.path[4:]}:{self.server.server_address[1]}/secret")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[int]:
    """The test server's port; `_Handler.requests` lists what it was asked for."""
    _Handler.requests = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Our DNS and network: news.example is PUBLIC, intranet.example 10.0.0.5, other names as the system
    says; a connection to PUBLIC reaches 127.0.0.1. Returns the addresses connected to, in order."""
    names = {"news.example": [PUBLIC], "intranet.example": ["10.0.0.5"]}
    real_resolve, real_connect = addresses.resolve_host, socket.create_connection
    connected: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        return names[host] if host in names else real_resolve(host, port)

    def connect(address: tuple[str, int], *args: object, **kwargs: object) -> socket.socket:
        connected.append(address[0])
        routed = "127.0.0.1" if address[0] in (PUBLIC, "news.example") else address[0]  # unchecked: by name
        return real_connect((routed, address[1]), *args, **kwargs)

    monkeypatch.setattr(addresses, "resolve_host", resolve)
    monkeypatch.setattr(socket, "create_connection", connect)
    return connected


@pytest.fixture
def corpus(seed_corpus: Path, tmp_path: Path) -> list[str]:
    Engine.open(seed_corpus, tmp_path / "idx")
    return ["--corpus", str(seed_corpus), "--index-dir", str(tmp_path / "idx")]


def test_a_page_on_loopback_is_refused_unasked_and_nothing_is_stored(
    server: int, network: list[str], seed_corpus: Path, corpus: list[str]
) -> None:
    before = sorted(p.name for p in seed_corpus.iterdir())
    url = f"http://127.0.0.1:{server}/secret"
    code, out, err = run_newsqa("add", url, *corpus)
    assert code == 1 and out == ""
    assert err == f"newsqa: error: {url}: 127.0.0.1 is a loopback address: refused, nothing added; {OPT_IN}\n"
    assert network == [] and _Handler.requests == []  # not even connected to
    assert sorted(p.name for p in seed_corpus.iterdir()) == before


@pytest.mark.parametrize(
    "target, what",
    [
        ("127.0.0.1", "127.0.0.1 is a loopback address"),
        ("intranet.example", "intranet.example is 10.0.0.5, a private address"),
    ],
)
def test_a_public_page_that_redirects_to_a_private_address_is_refused(
    server: int, network: list[str], seed_corpus: Path, corpus: list[str],
    target: str, what: str,
) -> None:
    before = sorted(p.name for p in seed_corpus.iterdir())
    url = f"http://news.example:{server}/to/{target}"
    code, out, err = run_newsqa("add", url, *corpus)
    assert code == 1
    assert err == (
        f"newsqa: error: {url} redirects to http://{target}:{server}/secret, and {what}: refused, nothing added; {OPT_IN}\n"
    )
    assert network == [PUBLIC] and [path for path, _ in _Handler.requests] == [f"/to/{target}"]  # /secret never asked
    assert sorted(p.name for p in seed_corpus.iterdir()) == before


@pytest.mark.parametrize("how", ["option", "setting"])
def test_the_opt_in_downloads_from_a_private_address(
    server: int, network: list[str], seed_corpus: Path, corpus: list[str],
    monkeypatch: pytest.MonkeyPatch, how: str,
) -> None:
    if how == "setting":
        monkeypatch.setenv("NEWSQA_ALLOW_PRIVATE_ADDRESSES", "true")
    option = ["--allow-private-addresses"] if how == "option" else []
    code, out, err = run_newsqa("add", *option, f"http://news.example:{server}/to/127.0.0.1", *corpus)
    assert code == 0, err
    assert out.splitlines()[0] == f"added http://news.example:{server}/to/127.0.0.1 as harbor-line-ferry.md"
    assert "url: http://127.0.0.1:" in (seed_corpus / "harbor-line-ferry.md").read_text(encoding="utf-8")


def test_a_name_is_resolved_once_and_its_checked_address_connected_to(
    server: int, network: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: a second answer (127.0.0.1) after the checked one must never be used. The Host
    header still names the site."""
    answers = iter([[PUBLIC], ["127.0.0.1"]])
    monkeypatch.setattr(addresses, "resolve_host", lambda host, port: next(answers))
    name, markdown = fetch_article(f"http://news.example:{server}/page", timeout=10)
    assert name == "harbor-line-ferry.md" and b"300 passengers" in markdown
    assert network == [PUBLIC] and _Handler.requests == [("/page", f"news.example:{server}")]
    assert next(answers) == ["127.0.0.1"]  # asked once


@pytest.mark.parametrize(
    "host, what",
    [
        ("[::1]", "::1 is a loopback address"),
        ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1 is a loopback address"),  # IPv4-mapped: Python 3.11 calls it neither
        ("[::ffff:a00:1]", "::ffff:10.0.0.1 is a private address"),
        ("[fe80::1]", "fe80::1 is a link-local address"),
        ("169.254.169.254", "169.254.169.254 is a link-local address"),  # cloud metadata
        ("10.1.2.3", "10.1.2.3 is a private address"),
        ("0.0.0.0", "0.0.0.0 is an unspecified address"),  # Linux connects it to this machine
        ("2130706433", "2130706433 is 127.0.0.1, a loopback address"),  # the C library reads it as 127.0.0.1
        ("0x7f.1", "0x7f.1 is 127.0.0.1, a loopback address"),
        ("224.0.0.1", "224.0.0.1 is a multicast address"),
        ("240.0.0.1", "240.0.0.1 is a reserved address"),
    ],
)
def test_every_kind_of_non_public_address_is_refused(network: list[str], host: str, what: str) -> None:
    url = f"http://{host}:8080/secret"
    with pytest.raises(NewsqaError) as caught:
        fetch_article(url, timeout=5)
    assert str(caught.value) == f"{url}: {what}: refused, nothing added; {OPT_IN}"
    assert network == []


def test_localhost_is_refused(network: list[str]) -> None:
    with pytest.raises(NewsqaError, match=r"^http://localhost:8080/x: localhost is (127\.0\.0\.1|::1), a loopback address: refused"):
        fetch_article("http://localhost:8080/x", timeout=5)
    assert network == []


def test_a_name_with_one_private_address_among_public_ones_is_refused(
    network: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(addresses, "resolve_host", lambda host, port: [PUBLIC, "192.168.1.1"])
    with pytest.raises(NewsqaError, match=r"^http://mixed\.example/: mixed\.example is 192\.168\.1\.1, a private address: refused"):
        fetch_article("http://mixed.example/", timeout=5)
    assert network == []


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")
def test_https_to_a_checked_address_still_checks_the_certificate_of_the_name(
    network: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Connected to the checked address, https still sends the name (SNI) and checks the certificate
    against it: a certificate for news.example is accepted, the same connection to other.example is not."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=news.example",
         "-addext", "subjectAltName=DNS:news.example", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    names: list[str | None] = []
    server_side.sni_callback = lambda sock, name, context: names.append(name)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.socket = server_side.wrap_socket(httpd.socket, server_side=True)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    monkeypatch.setattr(addresses, "resolve_host", lambda host, port: [PUBLIC])
    monkeypatch.setattr(ssl, "_create_default_https_context", lambda: ssl.create_default_context(cafile=str(cert)))
    port = httpd.server_address[1]
    try:
        _, markdown = fetch_article(f"https://news.example:{port}/page", timeout=10)
        assert b"300 passengers" in markdown and names == ["news.example"] and network == [PUBLIC]
        with pytest.raises(NewsqaError, match="CERTIFICATE_VERIFY_FAILED|certificate"):
            fetch_article(f"https://other.example:{port}/page", timeout=10)
    finally:
        httpd.shutdown()
        httpd.server_close()
