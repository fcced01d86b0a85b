"""`newsqa index --watch`: re-index whenever the corpus folder changes, once per burst of changes."""

from __future__ import annotations

import argparse
import contextlib
import os
import stat
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval.admission import printable
from retrieval.cli.render import describe_report, json_text
from retrieval.errors import NewsqaError

if TYPE_CHECKING:
    from retrieval.engine import Engine

WATCH_QUIET_MS = 500  # a batch of changes ends after this much quiet...
WATCH_MAX_MS = 10_000  # ...or after this long, so a long copy still shows progress
WATCH_READY_MS = 500  # the watcher wakes this often when nothing changes (its first wake says it is running)
WATCH_GONE_S = 3.0  # a corpus folder moved away or deleted may be replaced within this long; then the watch ends
WATCH_GONE_POLL_S = 0.1


def notice(message: str) -> None:
    """A one-line notice on standard error, `newsqa: ...`."""
    print(f"newsqa: {message}", file=sys.stderr, flush=True)


def progress_bar(total: int):  # noqa: ANN201 - a tqdm bar
    from tqdm import tqdm

    return tqdm(total=total, desc="newsqa: indexing", unit="file", file=sys.stderr, leave=False)


def terminal_progress():  # noqa: ANN201 - a progress factory, or None
    """A progress bar on a terminal; none in a pipe or CI."""
    return progress_bar if sys.stderr.isatty() else None


def watch(engine: Engine, args: argparse.Namespace) -> int:
    """Re-index whenever the corpus folder changes: one re-index per burst of changes.

    A folder replaced at the same path (moved away or deleted, and a new one made) is followed: the new
    folder is watched and re-indexed. If no folder takes its place within `WATCH_GONE_S`, the watch
    ends with a one-line error and status 1."""
    first = True
    try:
        while True:
            watched = _folder_identity(engine.corpus_dir)
            if watched is not None and not _watch_one_folder(engine, args, watched, first=first):
                return 0
            first = False
            if not _wait_for_folder(engine.corpus_dir, WATCH_GONE_S):
                notice(
                    f"error: {printable(str(engine.corpus_dir))} is gone (moved or deleted) and no folder took its place "
                    f"within {WATCH_GONE_S:g} s: stopped watching"
                )
                return 1
            notice(f"{printable(str(engine.corpus_dir))} was replaced by a new folder: re-indexing it and watching it")
    except KeyboardInterrupt:
        # Ctrl-C is how a watch ends, whenever it comes: while waiting (watchfiles raises it to us, rather
        # than logging "KeyboardInterrupt caught" itself) or in the middle of a re-index, which leaves the
        # saved index as it was before that re-index.
        return 0


def _watch_one_folder(engine: Engine, args: argparse.Namespace, watched: tuple[int, int], first: bool) -> bool:
    """Watch the folder now at the corpus path until it is no longer there: True when it was moved away,
    deleted or replaced (the caller looks for its successor), False if the watcher itself stopped."""
    from watchfiles import watch as watch_changes

    # The watcher follows the folder itself (an inotify watch is on the inode), not its path: when the
    # folder goes, it reports the folder deleted and then nothing more, even from a new folder made at
    # the same path (which may even get the same inode number back).
    root = {os.path.abspath(engine.corpus_dir), os.path.realpath(engine.corpus_dir)}

    def relevant(_change: object, path: str) -> bool:
        # not our own temporary files or editors' swap files, but always the folder itself
        return path in root or not Path(path).name.startswith(".")

    changes_seen = watch_changes(
        engine.corpus_dir, watch_filter=relevant, step=WATCH_QUIET_MS, debounce=WATCH_MAX_MS,
        raise_interrupt=True, recursive=False, rust_timeout=WATCH_READY_MS, yield_on_timeout=True,
    )
    started = False
    with contextlib.closing(changes_seen):
        for changes in changes_seen:
            if any(path in root for _, path in changes) or _folder_identity(engine.corpus_dir) != watched:
                return True  # the folder watched is not at the path any more: don't index what is there now
            if not started:
                # The watcher is running now (its first yield comes from it). A file that arrived between
                # the last index and this moment raised no event, so look once more before saying so.
                started = True
                reindex_and_report(engine, args, quiet_if_unchanged=first)
                print(f"watching {engine.corpus_dir} for changes (Ctrl-C stops)", flush=True)
            elif changes:
                reindex_and_report(engine, args)
    return False


def _folder_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the folder at `path`, or None when there is none."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino) if stat.S_ISDIR(info.st_mode) else None


def _wait_for_folder(path: Path, seconds: float) -> bool:
    """Whether a folder is at `path` within `seconds` (`rm -r` then `mkdir`, or `mv` then `mkdir`, leave a gap)."""
    deadline = time.monotonic() + seconds
    while _folder_identity(path) is None:
        if time.monotonic() >= deadline:
            return False
        time.sleep(WATCH_GONE_POLL_S)
    return True


def reindex_and_report(engine: Engine, args: argparse.Namespace, quiet_if_unchanged: bool = False) -> None:
    """One re-index for `index --watch`, printed as `index` prints it; an error is shown, not raised."""
    try:
        report = engine.reindex(progress=terminal_progress(), on_wait=notice)
    except NewsqaError as exc:  # e.g. another indexer held the lock too long: keep watching
        notice(f"error: {exc}")
        return
    for note in report.notes:
        notice(note)
    if args.json and not (quiet_if_unchanged and not report.changed):
        print(json_text(report), flush=True)
    elif not args.json and (report.changed or report.files_read):
        for line in describe_report(report, verbose=getattr(args, "verbose", False)):
            print(line, flush=True)
