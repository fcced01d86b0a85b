"""`newsqa index --watch`: re-index whenever the corpus folder changes, once per burst of changes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval.cli.render import describe_report, json_text
from retrieval.errors import NewsqaError

if TYPE_CHECKING:
    from retrieval.engine import Engine

WATCH_QUIET_MS = 500  # a batch of changes ends after this much quiet...
WATCH_MAX_MS = 10_000  # ...or after this long, so a long copy still shows progress
WATCH_READY_MS = 500  # the watcher wakes this often when nothing changes (its first wake says it is running)


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
    """Re-index whenever the corpus folder changes: one re-index per burst of changes."""
    from watchfiles import watch as watch_changes

    def relevant(_change: object, path: str) -> bool:
        return not Path(path).name.startswith(".")  # our own temporary files, editors' swap files

    started = False
    try:
        for changes in watch_changes(
            engine.corpus_dir, watch_filter=relevant, step=WATCH_QUIET_MS, debounce=WATCH_MAX_MS,
            raise_interrupt=True, recursive=False, rust_timeout=WATCH_READY_MS, yield_on_timeout=True,
        ):
            if not started:
                # The watcher is running now (its first yield comes from it). A file that arrived between
                # the first index and this moment raised no event, so look once more before saying so.
                started = True
                reindex_and_report(engine, args, quiet_if_unchanged=True)
                print(f"watching {engine.corpus_dir} for changes (Ctrl-C stops)", flush=True)
            elif changes:
                reindex_and_report(engine, args)
    except KeyboardInterrupt:
        # Ctrl-C is how a watch ends, whenever it comes: while waiting (watchfiles raises it to us, rather
        # than logging "KeyboardInterrupt caught" itself) or in the middle of a re-index, which leaves the
        # saved index as it was before that re-index.
        pass
    return 0


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
