"""What the command line prints about the index: `newsqa index`, update notices in ask and chat, the bar."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from retrieval import cli
from retrieval.cli import main
from tests.helpers import REPO, run_newsqa, write_article

FERRY = "Harbor ferry returns\n\nThe Harbor Line ferry carries 300 passengers between the two piers, the operator said.\n"
FERRY_SEATS = "how many passengers does the Harbor Line ferry carry?"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(100)


@pytest.fixture
def args(seed_corpus: Path, tmp_path: Path) -> list[str]:
    return ["--corpus", str(seed_corpus), "--index-dir", str(tmp_path / "idx")]


def seconds_free(text: str) -> str:
    return re.sub(r"\d+\.\d\d s\b", "T s", text)


def test_index_prints_what_changed_and_why_files_were_skipped(
    seed_corpus: Path, tmp_path: Path, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    (seed_corpus / "photo.txt").write_bytes(PNG)
    os.utime(seed_corpus / "photo.txt", (1_700_000_000, 1_700_000_000))  # not just written: read once only
    assert main(["index", "--verbose", *args]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert seconds_free(out) == (
        "added: 000_b25523e41b776a03\n"
        "added: 001_03d8b65938a66cc9\n"
        "skipped: photo.txt: binary data, not text: save the article as a UTF-8 .txt or .md file\n"
        "2 added, 0 updated, 0 removed, 0 renamed, 0 unchanged, 1 skipped (3 files read, 2 tokenized, T s)\n"
        f"index: {tmp_path / 'idx'}\n"
    )
    write_article(seed_corpus, "ferry.txt", FERRY)
    (seed_corpus / "001_03d8b65938a66cc9.txt").unlink()
    (seed_corpus / "000_b25523e41b776a03.txt").rename(seed_corpus / "kremlin.txt")
    assert main(["index", "-v", *args]) == 0
    out, _ = capsys.readouterr()
    assert seconds_free(out).splitlines()[:-1] == [
        "added: ferry",
        "removed: 001_03d8b65938a66cc9",
        "renamed: 000_b25523e41b776a03 -> kremlin",
        "skipped: photo.txt: binary data, not text: save the article as a UTF-8 .txt or .md file",
        "1 added, 0 updated, 1 removed, 1 renamed, 0 unchanged, 1 skipped (2 files read, 1 tokenized, T s)",
    ]


def test_index_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert main(["index", "--json", *args]) == 0
    report = json.loads(capsys.readouterr().out)
    assert sorted(report["added"]) == ["000_b25523e41b776a03", "001_03d8b65938a66cc9"]
    assert report["files_read"] == 2


def test_ask_says_in_one_line_that_it_updated_the_index(
    seed_corpus: Path, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    main(["index", *args])
    capsys.readouterr()
    write_article(seed_corpus, "ferry.txt", FERRY)
    assert main(["ask", FERRY_SEATS, *args]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == "300"
    assert seconds_free(err) == "newsqa: the corpus changed; index updated (1 added, 0 updated, 0 removed) in T s\n"
    assert main(["ask", FERRY_SEATS, *args]) == 0
    assert capsys.readouterr().err == ""


def test_chat_picks_up_an_article_added_during_the_session(
    seed_corpus: Path, args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def lines():  # noqa: ANN202
        yield FERRY_SEATS
        write_article(seed_corpus, "ferry.txt", FERRY)  # someone drops an article in meanwhile
        yield FERRY_SEATS
        yield ":quit"

    feed = lines()
    monkeypatch.setattr("builtins.input", lambda _prompt="": next(feed))
    assert main(["chat", *args]) == 0
    out, err = capsys.readouterr()
    assert "300" not in out.split("Not found", 1)[0]
    assert out.splitlines()[-4] == "300" or "\n300\n" in out
    assert seconds_free(err).splitlines()[-1] == (
        "newsqa: the corpus changed; index updated (1 added, 0 updated, 0 removed) in T s"
    )


def test_index_of_a_missing_corpus_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", "--corpus", str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err == (
        f"newsqa: error: corpus folder not found: {tmp_path / 'nope'} (pass --corpus DIR with your articles); try 'newsqa index --help'\n"
    )


def test_unwritable_index_dir_is_a_one_line_error(seed_corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["index", "--corpus", str(seed_corpus), "--index-dir", str(blocker / "idx")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"newsqa: error: cannot create the index folder {blocker / 'idx'} (")
    assert err.endswith("): pass --index-dir DIR\n") and err.count("\n") == 1


@pytest.mark.slow
def test_progress_bar_only_on_a_terminal(seed_corpus: Path, tmp_path: Path) -> None:
    import fcntl
    import pty
    import struct
    import termios

    sys.path.insert(0, str(REPO / "bench"))
    from synthetic_articles import write_corpus

    write_corpus(seed_corpus, 300)
    piped = run_newsqa("index", "--corpus", str(seed_corpus), "--index-dir", str(tmp_path / "a"))
    assert piped.returncode == 0 and piped.stderr == ""
    # A real process for the terminal: its standard error is a pseudo-terminal, with a size.
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a real terminal has a size
    proc = subprocess.Popen(
        [sys.executable, "-m", "retrieval.cli", "index", "--corpus", str(seed_corpus), "--index-dir", str(tmp_path / "b")],
        stdout=subprocess.DEVNULL, stderr=slave, env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=REPO,
    )
    os.close(slave)
    shown = b""
    try:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal's last writer is gone
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(master)
        proc.wait(timeout=120)
    assert proc.returncode == 0
    assert b"newsqa: indexing" in shown and b"/302 [" in shown


def test_cli_module_keeps_its_commands() -> None:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {"ask", "chat", "sources", "index", "add", "remove"} <= set(sub.choices)


def test_first_run_says_it_indexed_and_sources_uses_the_index_dir(
    seed_corpus: Path, tmp_path: Path, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sources", *args]) == 0
    out, err = capsys.readouterr()
    assert seconds_free(err) == "newsqa: indexed 2 articles in T s\n"
    assert out.splitlines()[-1] == "2 articles, 19 passages"
    assert (tmp_path / "idx" / "CURRENT").is_file()
    assert main(["sources", *args]) == 0
    assert capsys.readouterr().err == ""


def test_remove_says_when_a_copy_keeps_the_text_and_copies_are_removed_by_their_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue #26, defect 7: remove said it removed an article a copy kept answerable, and the copies'
    ids were refused."""
    corpus = tmp_path / "corpus"
    for name in ("a.txt", "b.txt", "c.txt"):
        write_article(corpus, name, "Ferry\n\nThe Harbor Line ferry carries 300 passengers between the two piers.\n")
    args = ["--corpus", str(corpus), "--index-dir", str(tmp_path / "idx")]
    assert main(["index", *args]) == 0
    capsys.readouterr()
    assert main(["remove", "c", *args]) == 0  # a copy, by its id
    assert capsys.readouterr().out == "removed c (c.txt); 1 article left\n"
    assert main(["remove", "a", *args]) == 0
    assert capsys.readouterr().out == (
        "removed a (a.txt); 1 article left\n"
        "its text is still indexed: b is an identical copy; 'newsqa remove b' removes that too\n"
    )
    assert sorted(p.name for p in corpus.iterdir()) == ["b.txt"]
