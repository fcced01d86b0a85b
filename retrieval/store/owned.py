"""What in an index folder newsqa made, and may therefore replace or delete.

newsqa writes into a folder only once it holds newsqa's marker file, `NEWSQA-INDEX`: a folder it
creates, or finds empty, gets one; a folder that already holds an index of an older newsqa (nothing
in it but names newsqa uses) is adopted. Any other folder is refused before anything is written in
it (`--index-dir ~/Documents` once lost every `gen-*`, `tmp-*` and `.*.tmp` there, issue #26).

Inside a marked folder, clean-up removes only the exact names newsqa gives what it writes:
generations `gen-NNNNNN`, temporary generations `tmp-<32 hex digits>` and the temporary files of
`CURRENT` and `lock.owner`. A look-alike (`gen-ealogy`, `tmp-thesis`, `.draft.tmp`) is left alone.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from retrieval.admission import printable
from retrieval.errors import NewsqaError

MARKER = "NEWSQA-INDEX"
MARKER_TEXT = (
    b"This folder holds a saved index of newsqa. newsqa replaces and deletes the files it made here\n"
    b"(CURRENT, lock, lock.owner, gen-NNNNNN/, tmp-<hex>/, dense-vectors/); delete the whole folder to drop the index.\n"
)
GENERATION = re.compile(r"gen-[0-9]{6,}")
TEMPORARY_GENERATION = re.compile(r"tmp-[0-9a-f]{32}")
# `write_atomic`'s temporary names: `.<name>.<16 hex digits>.tmp`; older versions used mkstemp's
# eight characters of [a-z0-9_].
TEMPORARY_FILE = re.compile(r"\.(CURRENT|lock\.owner)\.([0-9a-f]{16}|[a-z0-9_]{8})\.tmp")
VECTORS = "dense-vectors"  # the passage vectors' cache (retrieval/dense.py), a folder of its own
OWN_FILES = frozenset({MARKER, "CURRENT", "lock", "lock.owner", VECTORS})


class NotAnIndexFolder(NewsqaError):
    """The index folder holds files newsqa did not make: nothing is written there."""


def is_own_name(name: str) -> bool:
    """A name newsqa gives something it writes in an index folder."""
    return name in OWN_FILES or any(p.fullmatch(name) for p in (GENERATION, TEMPORARY_GENERATION, TEMPORARY_FILE))


def is_marked(index_dir: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(index_dir / MARKER).st_mode)
    except OSError:
        return False


def claim(index_dir: Path, shown_dir: str) -> None:
    """Make sure `index_dir` is newsqa's to write in, marking it if it is new, empty or an older
    newsqa's index; `NotAnIndexFolder` if it holds anything else. Call before taking the lock."""
    if is_marked(index_dir):
        return
    try:
        names = os.listdir(index_dir)
    except OSError as exc:
        raise NewsqaError(f"cannot read the index folder {shown_dir} ({exc.strerror or exc}): pass --index-dir DIR") from exc
    foreign = sorted(n for n in names if not is_own_name(n))
    if foreign:
        raise NotAnIndexFolder(
            f"{shown_dir} is not an index folder of newsqa (it holds {printable(foreign[0])!r}"
            f"{f' and {len(foreign) - 1} more' if len(foreign) > 1 else ''}), and newsqa writes and deletes files "
            "in its index folder: pass --index-dir with a new or empty folder"
        )
    try:
        fd = os.open(index_dir / MARKER, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666)
    except FileExistsError:
        return  # another process marked it meanwhile
    with os.fdopen(fd, "wb") as fh:
        fh.write(MARKER_TEXT)
