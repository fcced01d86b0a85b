"""`run_newsqa`, the in-process command line the tests use: it answers as a process would, and each run
starts as a new process would, whatever the run before it left."""

from __future__ import annotations

import io
import json
import logging
import os
import sys
from pathlib import Path

from retrieval import __version__
from tests.helpers import run_newsqa


def test_the_status_and_both_streams_come_back_as_from_a_process() -> None:
    assert tuple(run_newsqa("--version")) == (0, f"newsqa {__version__}\n", "")
    code, out, err = run_newsqa("ask")  # argparse's usage error is a SystemExit inside main
    assert (code, out) == (2, "")
    assert err == "newsqa: error: the following arguments are required: question; try 'newsqa ask --help'\n"


def test_standard_input_may_be_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    result = run_newsqa("ask", "--json", "-", "--index-dir", str(tmp_path / "idx"), stdin=b"who is \xff?\n")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["question"] == "who is \ufffd?"


def test_env_and_cwd_hold_for_the_run_only(tmp_path: Path) -> None:
    cwd, columns, streams = os.getcwd(), os.environ.get("COLUMNS"), (sys.stdin, sys.stdout, sys.stderr)
    result = run_newsqa("ask", "who?", env={"NEWSQA_READER": "bogus"}, cwd=tmp_path)
    assert result.returncode == 2 and "bad setting NEWSQA_READER" in result.stderr
    assert "NEWSQA_READER" not in os.environ and os.environ.get("COLUMNS") == columns
    assert os.getcwd() == cwd and (sys.stdin, sys.stdout, sys.stderr) == streams


def test_each_run_has_its_own_log_on_its_own_stderr(tmp_path: Path) -> None:
    # The command binds a log handler to the standard error it finds (a `main()` called under capsys
    # leaves one bound to that test's capture), and says once per process that a reader is unavailable:
    # each run must say it, on its own standard error.
    engine_log = logging.getLogger("retrieval")
    stale = logging.StreamHandler(io.StringIO())
    engine_log.addHandler(stale)
    try:
        env = {"NEWSQA_READER_MODEL": str(tmp_path / "no-reader"), "NEWSQA_READER": "neural"}
        for _ in range(2):
            result = run_newsqa("ask", "Who is Bob Woodward?", "--index-dir", str(tmp_path / "idx"), env=env)
            assert result.returncode == 0, result.stderr
            assert "newsqa: the neural reader is unavailable, answering with the rules: " in result.stderr
        assert engine_log.handlers[-1] is stale and stale.stream.getvalue() == ""
    finally:
        engine_log.removeHandler(stale)
