"""Hostile questions and options, through the real command: bytes that are not UTF-8, strict
decoding, huge questions, `--wait 0`, bad timeouts. One line per answer or error, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from retrieval.engine import Engine
from tests.helpers import REPO, run_newsqa

QUESTIONS = (
    b"who is \xff?\nwhen was the last Putin\xe2\x80\x93Biden call?\n\n\xc3\x28 \xed\xa0\x80\n" + b"x" * 5000 + b"\n"
    + b"who\ris Bob Woodward?\n\xe2\x80\xa8 who?\n"  # a carriage return and a line separator inside one line
)


def run(*args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """The real command in a child process, for the tests where the interpreter's own standard streams are the
    point (their encoding from the locale and PYTHONIOENCODING) or a lock that another process holds."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    return subprocess.run(
        [sys.executable, "-m", "retrieval.cli", *args], input=stdin, capture_output=True, cwd=REPO,
        env={**base, **(env or {})}, timeout=120,
    )


@pytest.mark.parametrize("io_encoding", [None, "utf-8:strict", "ascii:strict"])
@pytest.mark.slow
def test_batch_mode_prints_one_json_line_per_input_line_whatever_the_bytes(io_encoding: str | None) -> None:
    env = {"PYTHONIOENCODING": io_encoding} if io_encoding else {}
    result = run("ask", "--json", "-", stdin=QUESTIONS, env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode("utf-8").split("\n")[:-1]  # JSON Lines end at newlines (not at U+2028)
    assert len(lines) == QUESTIONS.count(b"\n")
    answers = [json.loads(line) for line in lines]
    assert answers[0]["question"] in ("who is \ufffd?", "who is ??")  # '?' where stdout can't say U+FFFD
    assert answers[1]["answer"] == "February 12, 2022"
    assert answers[2]["note"] == "The question is empty."
    assert answers[4]["answer"] is None and "too long" in answers[4]["note"]
    assert answers[5]["question"] == "who\ris Bob Woodward?"
    assert b"Traceback" not in result.stderr


def test_an_undecodable_question_as_an_argument_is_answered(tmp_path: Path) -> None:
    result = run_newsqa("ask", "--json", os.fsdecode(b"who is \xff?"))  # the argument as the interpreter decodes it
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["question"] == "who is \ufffd?"


@pytest.mark.parametrize("io_encoding", [None, "utf-8:strict"])
@pytest.mark.slow
def test_chat_goes_on_after_bytes_that_are_not_utf8(io_encoding: str | None) -> None:
    env = {"PYTHONIOENCODING": io_encoding} if io_encoding else {}
    result = run("chat", stdin=b"who is \xff?\nwhen was the last Putin call?\n:quit\n", env=env)
    assert result.returncode == 0, result.stderr
    assert "February 12, 2022" in result.stdout.decode("utf-8") and b"Traceback" not in result.stderr


def test_the_engine_cleans_what_it_is_asked(seed_corpus: Path, tmp_path: Path) -> None:
    engine = Engine.open(seed_corpus, tmp_path / "idx")
    for question in ("who is \udcff?", b"who is \xff?", "\x00\x1b[31m who?", "?" * 3000):
        answer = engine.ask(question)
        json.loads(answer.model_dump_json())
        assert answer.answer is None


def test_index_wait_0_does_not_wait(seed_corpus: Path, tmp_path: Path) -> None:
    from filelock import FileLock

    index_dir = tmp_path / "idx"
    index_dir.mkdir()
    (index_dir / "lock.owner").write_text(json.dumps({"pid": 4242, "since": 0}))
    with FileLock(str(index_dir / "lock")):  # a real process: the lock is held by another one, this test
        result = run("index", "--corpus", str(seed_corpus), "--index-dir", str(index_dir), "--wait", "0")
    assert result.returncode == 1
    assert result.stderr.decode().splitlines() == [
        f"newsqa: error: the index in {index_dir} is being updated by another newsqa process (pid 4242): "
        "run the command again when it has finished (or wait with --wait SECONDS)"
    ]


@pytest.mark.parametrize(
    "args, message",
    [
        (["index", "--wait", "-1"], "the time to wait for another indexer must be 0 or more seconds, not -1.0"),
        (["index", "--wait", "nan"], "the time to wait for another indexer must be 0 or more seconds, not nan"),
        (["add", "http://127.0.0.1:9/x", "--timeout", "0"], "the download timeout must be a number of seconds above 0 and at most 3600, not 0"),
        (["add", "http://127.0.0.1:9/x", "--timeout", "inf"], "the download timeout must be a number of seconds above 0 and at most 3600, not inf"),
        # Issue #26, defect 12: a thread's OverflowError, blamed on the server.
        (["add", "http://127.0.0.1:9/x", "--timeout", "1e10"], "the download timeout must be a number of seconds above 0 and at most 3600, not 1e+10"),
    ],
)
def test_bad_waits_and_timeouts_are_one_line_usage_errors(seed_corpus: Path, tmp_path: Path, args: list[str], message: str) -> None:
    result = run_newsqa(*args, "--corpus", str(seed_corpus), "--index-dir", str(tmp_path / "idx"))
    assert result.returncode in (1, 2)
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and errors[0].startswith(f"newsqa: error: {message}"), result.stderr


def test_a_path_with_a_newline_is_named_on_one_line(tmp_path: Path) -> None:
    result = run_newsqa("ask", "--corpus", str(tmp_path / "two\nlines"), "who?")
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"newsqa: error: corpus folder not found: {tmp_path}/two\\nlines (pass --corpus DIR with your articles)")
