"""Real processes against one saved index: killed mid-write, two at once, one waiting, `--watch`."""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from retrieval.cli import watch
from retrieval.answer import answer_question
from retrieval.engine import Engine
from retrieval.store import IndexStore
from tests.helpers import REPO, run_newsqa, write_article

sys.path.insert(0, str(REPO / "bench"))
from synthetic_articles import write_corpus  # noqa: E402

BRIDGE = (
    "Springfield opens the Elm Street bridge\n\nThe mayor of Springfield, Jane Holloway, opened the Elm Street "
    "bridge on March 5, 2024, after three years of construction.\n\nThe Elm Street bridge cost 42 million dollars, "
    "city officials said on Tuesday.\n"
)
BRIDGE_COST = "how much did the Elm Street bridge cost?"


def newsqa(*args: str, **kwargs) -> subprocess.Popen[str]:  # noqa: ANN003
    """A real process: these tests kill it mid-write, run two at once, hold its lock from this one, or
    watch a folder while it runs and stop it with Ctrl-C (SIGINT)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "retrieval.cli", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO, **kwargs,
    )


class Lines:
    """A process's output lines, read by a thread, so that waiting for one can fail instead of hang."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        self.proc, self.queue = proc, queue.Queue()
        threading.Thread(target=self._read, args=(proc.stdout,), daemon=True).start()

    def _read(self, stream) -> None:  # noqa: ANN001
        for line in stream:
            self.queue.put(line.rstrip("\n"))
        self.queue.put(None)

    def next(self, seconds: float = 60.0) -> str:
        try:
            line = self.queue.get(timeout=seconds)
        except queue.Empty:
            raise AssertionError(f"no output for {seconds:.0f} s") from None
        assert line is not None, self.proc.stderr.read() if self.proc.stderr else "the process ended"
        return line

    def rest(self) -> str:
        """What is left once the process has ended."""
        out = []
        while (line := self.queue.get(timeout=30)) is not None:
            out.append(line)
        return "\n".join(out)


def current(index_dir: Path) -> str:
    return json.loads((index_dir / "CURRENT").read_text())["generation"]


@pytest.mark.slow
def test_killed_while_writing_leaves_the_previous_index_usable(seed_corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "idx"
    write_article(seed_corpus, "bridge.txt", BRIDGE)
    Engine.open(seed_corpus, index_dir)
    before = current(index_dir)
    write_corpus(seed_corpus, 1500)  # enough work that writing the new generation takes a while
    proc = newsqa("index", "--corpus", str(seed_corpus), "--index-dir", str(index_dir))
    caught = None
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        tmp = [e.name for e in os.scandir(index_dir) if e.name.startswith("tmp-")]
        if tmp and any(os.scandir(index_dir / tmp[0])):  # some files of the new generation are written
            os.kill(proc.pid, signal.SIGKILL)
            caught = tmp[0]
            break
        time.sleep(0.0005)
    proc.wait()
    assert caught is not None, "the indexer finished before it could be killed mid-write"
    assert proc.returncode == -signal.SIGKILL
    assert (index_dir / caught).is_dir()  # the half-written generation is there...
    assert current(index_dir) == before  # ...but was never made current

    snapshot = IndexStore(index_dir, seed_corpus).load()  # loads, verified, without rebuilding
    assert snapshot is not None and snapshot.generation == before
    assert answer_question(snapshot.to_index(), BRIDGE_COST).answer == "42 million dollars"

    engine = Engine.open(seed_corpus, index_dir)  # the next run finishes the job and tidies up
    assert engine.last_report.notes == []
    assert len(engine.last_report.added) == 1500
    assert engine.ask("how much did the Carlow1 airport cost?").answer == "485 million dollars"
    assert not any(p.name.startswith("tmp-") for p in index_dir.iterdir())


@pytest.mark.slow
def test_two_indexers_at_once(seed_corpus: Path, tmp_path: Path) -> None:
    from filelock import FileLock

    index_dir = tmp_path / "idx"
    index_dir.mkdir()
    write_article(seed_corpus, "bridge.txt", BRIDGE)
    write_corpus(seed_corpus, 400)
    # Both start while the lock is held (as by a third indexer), so they truly overlap however fast
    # indexing is; then they race for it.
    with FileLock(str(index_dir / "lock")):
        procs = [newsqa("index", "--corpus", str(seed_corpus), "--index-dir", str(index_dir)) for _ in range(2)]
        first_lines = [p.stderr.readline() for p in procs]
    assert all("waiting for another newsqa process" in line for line in first_lines), first_lines
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    summaries = [out.splitlines()[-2] for out, _ in results]
    # One built the index; the other waited for it and found nothing left to do.
    assert sorted(s.split(",")[0] for s in summaries) == ["0 added", "403 added"]
    engine = Engine.open(seed_corpus, index_dir)
    assert engine.last_report.notes == [] and engine.last_report.files_read == 0
    assert engine.ask(BRIDGE_COST).answer == "42 million dollars"
    assert len(list(index_dir.glob("gen-*"))) == 1


def test_an_indexer_that_waits_too_long_gives_up_with_a_clear_message(seed_corpus: Path, tmp_path: Path) -> None:
    from filelock import FileLock

    index_dir = tmp_path / "idx"
    index_dir.mkdir()
    (index_dir / "lock.owner").write_text(json.dumps({"pid": 4242, "since": 0}))
    with FileLock(str(index_dir / "lock")):
        proc = newsqa("index", "--corpus", str(seed_corpus), "--index-dir", str(index_dir), "--wait", "1")
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert err.splitlines() == [
        f"newsqa: waiting for another newsqa process (pid 4242) to finish updating the index in {index_dir} (up to 1 s)",
        f"newsqa: error: the index in {index_dir} is still being updated by another newsqa process (pid 4242) after 1 s: "
        "run the command again when it has finished (or wait longer with --wait SECONDS)",
    ]
    assert not (index_dir / "CURRENT").exists()


@pytest.mark.slow
def test_watch_reindexes_once_for_a_hundred_copied_files(seed_corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "idx"
    proc = newsqa("index", "--watch", "--corpus", str(seed_corpus), "--index-dir", str(index_dir))
    out = Lines(proc)
    try:
        lines = []
        while not (lines and lines[-1].startswith("watching ")):
            lines.append(out.next())
        staging = tmp_path / "staging"
        write_corpus(staging, 100)
        for path in sorted(staging.iterdir()):
            path.replace(seed_corpus / path.name)  # as a file manager moves a batch in
        update = []
        while True:
            line = out.next()
            update.append(line)
            if " added, " in line:
                break
        time.sleep(2.0)  # any second re-index would have started by now
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    rest = out.rest()
    assert update[-1].startswith("100 added, 0 updated, 0 removed, 0 renamed, 2 unchanged, 0 skipped (100 files read")
    assert len(update) == 1  # the summary only: without --verbose no line per article
    assert " added, " not in rest, rest  # no second re-index
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    assert Engine.open(seed_corpus, index_dir).last_report.files_read == 0


@pytest.mark.slow
def test_ctrl_c_ends_a_watch_quietly(seed_corpus: Path, tmp_path: Path) -> None:
    # Ctrl-C is the documented way to stop `--watch`: it exits 0 and prints nothing about it (watchfiles
    # used to log "KeyboardInterrupt caught, stopping watch" through Python's last-resort handler).
    proc = newsqa("index", "--watch", "--corpus", str(seed_corpus), "--index-dir", str(tmp_path / "idx"))
    out = Lines(proc)
    try:
        while not out.next().startswith("watching "):
            pass
        time.sleep(0.5)  # in the watcher's wait, where a user presses Ctrl-C
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    assert proc.returncode == 0
    assert proc.stderr is not None and proc.stderr.read() == ""


def _replace_folder(folder: Path, how: str, graveyard: Path) -> None:
    if how == "mv":
        folder.rename(graveyard)  # as a user moves the old articles aside
    else:
        shutil.rmtree(folder)


@pytest.mark.parametrize("how", ["mv", "rm"])
def test_watch_follows_a_corpus_folder_replaced_at_the_same_path(seed_corpus: Path, tmp_path: Path, how: str) -> None:
    """Issue #26, defect 10: once the folder was moved away (or deleted) and a new one made at the same
    path, --watch saw nothing more and indexed nothing, silently. A new folder made at once after `rm -r`
    may even get the old one's inode number back."""
    index_dir = tmp_path / "idx"
    proc = newsqa("index", "--watch", "--corpus", str(seed_corpus), "--index-dir", str(index_dir))
    out = Lines(proc)
    try:
        while not out.next().startswith("watching "):
            pass
        _replace_folder(seed_corpus, how, tmp_path / "old")
        write_article(seed_corpus, "bridge.txt", BRIDGE)  # makes the new folder
        assert out.next(15).startswith("1 added, 0 updated, 2 removed, ")  # the new folder, re-indexed
        assert out.next() == f"watching {seed_corpus} for changes (Ctrl-C stops)"
        write_article(seed_corpus, "ferry.txt", "Ferry news\n\nThe Harbor Line ferry carries 300 passengers.\n")
        assert out.next(15).startswith("1 added, 0 updated, 0 removed, ")  # and watched
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    assert proc.returncode == 0
    assert proc.stderr is not None and proc.stderr.read() == (
        f"newsqa: {seed_corpus} was replaced by a new folder: re-indexing it and watching it\n"
    )
    engine = Engine.open(seed_corpus, index_dir)
    assert engine.last_report.files_read == 0 and sorted(engine.index.articles) == ["bridge", "ferry"]


GONE_S = 3.0  # watch.WATCH_GONE_S, written out: a test that fails on the code before it needs no import of it


def test_watch_ends_with_one_line_when_the_corpus_folder_is_gone(seed_corpus: Path, tmp_path: Path) -> None:
    proc = newsqa("index", "--watch", "--corpus", str(seed_corpus), "--index-dir", str(tmp_path / "idx"))
    out = Lines(proc)
    try:
        while not out.next().startswith("watching "):
            pass
        gone = time.monotonic()
        seed_corpus.rename(tmp_path / "old")
        proc.wait(timeout=GONE_S + 10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert GONE_S <= time.monotonic() - gone < GONE_S + 5
    assert proc.returncode == 1 and out.rest() == ""
    assert proc.stderr is not None and proc.stderr.read() == (
        f"newsqa: error: {seed_corpus} is gone (moved or deleted) and no folder took its place within "
        f"{GONE_S:g} s: stopped watching\n"
    )


class _Watching(Exception):
    pass


def test_watch_indexes_a_file_that_arrived_before_the_watcher_started(
    seed_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file saved after the first index but before the watcher runs raises no event; `--watch` must
    # still have it indexed by the time it says it is watching.
    engine = Engine.open(seed_corpus, tmp_path / "idx")
    write_article(seed_corpus, "ferry.md", "---\ntitle: Ferry\n---\nThe night ferry to Tallinn leaves at 11 p.m. from pier four.\n")
    printed: list[str] = []

    def record(*args: object, **_kwargs: object) -> None:
        printed.append(" ".join(map(str, args)))
        if printed[-1].startswith("watching "):
            raise _Watching

    monkeypatch.setattr(watch, "print", record, raising=False)
    with pytest.raises(_Watching):
        watch.watch(engine, argparse.Namespace(json=False))
    assert "ferry" in engine.index.articles
    assert any(line.startswith("1 added, ") for line in printed[:-1]), printed
    assert answer_question(engine.index, "When does the night ferry to Tallinn leave?").answer.startswith("11 p.m.")


def test_ctrl_c_during_a_watch_reindex_ends_the_watch_cleanly(
    seed_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ctrl-C is how `--watch` stops; it may land inside a re-index rather than in the wait.
    engine = Engine.open(seed_corpus, tmp_path / "idx")

    def interrupted(**_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(engine, "reindex", interrupted)
    assert watch.watch(engine, argparse.Namespace(json=False)) == 0


@pytest.mark.parametrize("command", ["index", "add", "remove", "ask", "search", "chat", "sources", "eval", "discord"])
def test_every_command_has_help_with_an_example(command: str) -> None:
    proc = run_newsqa(command, "--help")
    assert proc.returncode == 0, proc.stderr
    assert "Example" in proc.stdout
    assert "--index-dir DIR" in proc.stdout and "--corpus DIR" in proc.stdout
