"""The saved indexes in the cache folder: which corpus each one is for, how big, when last used.

Every command that opens a corpus leaves its index in `$XDG_CACHE_HOME/newsqa/<name>-<hash>`
(retrieval/store.py); a temporary corpus leaves one behind that nothing would ever remove.
`newsqa cache` lists them and `--prune` deletes those whose corpus folder is gone.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from pydantic import BaseModel

from retrieval.config import cache_root
from retrieval.store.fsutil import read_regular, remove
from retrieval.store.layout import MAX_MANIFEST_BYTES
from retrieval.store.owned import is_own_name


class SavedIndex(BaseModel):
    """One index folder in the cache."""

    path: Path
    corpus: str | None  # the corpus folder it indexes, as its manifest records it (None: unreadable)
    corpus_exists: bool
    bytes: int
    last_used: dt.datetime  # the latest access or change of its files (as the file system records access)


def saved_indexes(root: Path | None = None) -> list[SavedIndex]:
    """The index folders under `root` (default: the cache folder), most recently used first."""
    root = cache_root() if root is None else root
    try:
        folders = [p for p in root.iterdir() if p.is_dir() and not p.is_symlink()]
    except FileNotFoundError:
        return []
    entries = [_describe(folder) for folder in folders if (folder / "CURRENT").is_file() or (folder / "lock").exists()]
    return sorted(entries, key=lambda e: e.last_used, reverse=True)


def _describe(folder: Path) -> SavedIndex:
    corpus = _corpus_of(folder)
    size, latest = 0, 0.0
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            try:
                st = os.stat(os.path.join(dirpath, name), follow_symlinks=False)
            except OSError:
                continue
            size += st.st_size
            latest = max(latest, st.st_atime, st.st_mtime)
    return SavedIndex(
        path=folder,
        corpus=corpus,
        corpus_exists=corpus is not None and Path(corpus).is_dir(),
        bytes=size,
        last_used=dt.datetime.fromtimestamp(latest, dt.timezone.utc),
    )


def _corpus_of(folder: Path) -> str | None:
    """The corpus folder recorded in the manifest of the generation `CURRENT` names."""
    try:
        current = json.loads(read_regular(folder / "CURRENT", 4096))  # never a pipe's read, which blocks
        generation = str(current["generation"])
        if "/" in generation or "\\" in generation or generation.startswith("."):
            return None
        manifest = json.loads(read_regular(folder / generation / "manifest.json", MAX_MANIFEST_BYTES))
        corpus = manifest.get("corpus")
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):  # any shape of damage
        return None
    return corpus if isinstance(corpus, str) else None


def prune(entries: list[SavedIndex]) -> list[SavedIndex]:
    """Delete the indexes whose corpus folder is gone; return those deleted.

    An index whose manifest can't be read is kept: it may be being written right now.
    """
    removed = []
    for entry in entries:
        if entry.corpus is not None and not entry.corpus_exists:
            _remove_index(entry.path)
            if not entry.path.exists():
                removed.append(entry)
    return removed


def _remove_index(folder: Path) -> None:
    """Delete what newsqa made in an index folder (owned.py's exact names), then the folder if that
    leaves it empty: anything else put there is not ours to delete."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if is_own_name(name):
            remove(folder / name)
    try:
        os.rmdir(folder)
    except OSError:
        pass
