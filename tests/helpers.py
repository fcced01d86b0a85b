"""What the tests share besides fixtures: the repository's paths, a writer of small articles, and
`run_newsqa`, the one way a test runs the command line.

`run_newsqa` runs `newsqa` in this process (no interpreter start-up, no model load per call) and
returns what a subprocess would: the exit status, standard output and standard error. A test starts
a real process only where the process is the point (signals, locks held by another process, a kill
or a time limit, the interpreter's own start-up, the installed console script) and says why there.
Fixtures and pytest hooks stay in `conftest.py`.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "corpus"


def write_article(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@dataclass(frozen=True)
class Result:
    """One run of the command, shaped like `subprocess.CompletedProcess` (text mode); it also unpacks
    as `code, out, err = run_newsqa(...)`."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def __iter__(self) -> Iterator[int | str]:
        return iter((self.returncode, self.stdout, self.stderr))


def run_newsqa(
    *args: str,
    stdin: str | bytes | None = None,
    env: Mapping[str, str | None] | None = None,
    columns: int = 80,
    cwd: Path | str | None = None,
) -> Result:
    """`newsqa ARGS...` run in this process, as a user's shell would run it with pipes for its streams.

    `stdin` is what the command reads (text, or bytes that need not be UTF-8; none: an empty input);
    `env` sets variables for this run only (None unsets one); `COLUMNS` is `columns`, so help text wraps
    the same everywhere; `cwd` is the working folder for this run (default: the test's). The exit status
    is what `main` returns, or the code of a `SystemExit` (argparse's --help and usage errors); an
    exception that escapes `main` is printed to standard error with status 1, as the interpreter does.

    The rest of the environment is the test's (conftest.py's autouse fixture clears `NEWSQA_*` and
    `DISCORD_*`). What one run leaves behind that a new process would not have is put back: the
    environment, the working folder, the standard streams, the `retrieval` logger's handler (the command
    binds one to the standard error it finds), the engine's once-per-process notices, and the WordNet
    found when `env` names another `NEWSQA_WORDNET_DIR`. Kept on purpose, as what makes this fast: the
    loaded models and the pure caches. Not captured: what C code writes straight to file descriptors 1
    and 2 (pytest's own capture gets that).
    """
    import retrieval.answer as answer
    import retrieval.synonyms as synonyms
    from retrieval.cli import main

    data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin or b""
    out, err = io.BytesIO(), io.BytesIO()
    # The streams of a process on pipes: UTF-8 text over bytes, no newline translation, not a terminal
    # (so no colour and no progress bar); standard error escapes what it cannot encode, as Python's does.
    streams = (
        io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline="\n"),
        io.TextIOWrapper(out, encoding="utf-8", newline="\n", write_through=True),
        io.TextIOWrapper(err, encoding="utf-8", errors="backslashreplace", newline="\n", write_through=True),
    )
    engine_log = logging.getLogger("retrieval")
    with contextlib.ExitStack() as undo:
        undo.enter_context(_environment({**(env or {}), "COLUMNS": str(columns)}))
        if cwd is not None:
            undo.enter_context(_chdir(cwd))
        undo.enter_context(_saved_logger(engine_log))
        undo.enter_context(_saved_list(answer._unavailable))
        if env is not None and "NEWSQA_WORDNET_DIR" in env:  # WordNet is found once per process
            undo.callback(synonyms.reset)
            synonyms.reset()
        undo.enter_context(_standard_streams(*streams))
        for handler in list(engine_log.handlers):  # main binds a fresh handler to this run's stderr
            engine_log.removeHandler(handler)
        code = _exit_status(main, list(args))
        for stream in streams[1:]:
            stream.flush()
        stdout, stderr = out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8")
    return Result(args=("newsqa", *args), returncode=code, stdout=stdout, stderr=stderr)


def _exit_status(main, argv: list[str]) -> int:  # noqa: ANN001 - retrieval.cli.main
    try:
        return main(argv)
    except SystemExit as exc:  # argparse (--help, --version, a usage error) exits from inside the parser
        if exc.code is None:
            return 0
        if isinstance(exc.code, int):
            return exc.code
        print(exc.code, file=sys.stderr)
        return 1
    except Exception:  # what the interpreter would do with it: the traceback, status 1
        traceback.print_exc(file=sys.stderr)
        return 1


def _set_environment(values: Mapping[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@contextlib.contextmanager
def _environment(changes: Mapping[str, str | None]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in changes}
    try:
        _set_environment(changes)
        yield
    finally:
        _set_environment(saved)


@contextlib.contextmanager
def _chdir(path: Path | str) -> Iterator[None]:  # contextlib.chdir, which Python 3.10 lacks
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


@contextlib.contextmanager
def _saved_logger(logger: logging.Logger) -> Iterator[None]:
    handlers, level = list(logger.handlers), logger.level
    try:
        yield
    finally:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        for handler in handlers:
            logger.addHandler(handler)
        logger.setLevel(level)


@contextlib.contextmanager
def _saved_list(items: list[str]) -> Iterator[None]:
    saved = list(items)
    items.clear()
    try:
        yield
    finally:
        items[:] = saved


@contextlib.contextmanager
def _standard_streams(stdin: io.TextIOWrapper, stdout: io.TextIOWrapper, stderr: io.TextIOWrapper) -> Iterator[None]:
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = stdin, stdout, stderr
    try:
        yield
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
