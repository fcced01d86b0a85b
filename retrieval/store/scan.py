"""Looking at the corpus folder: the cheap scan (names, sizes, times; nothing read) and reading the
files that are new or changed, each admitted by the one rule in `retrieval.ingest`."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from retrieval.errors import NewsqaError
from retrieval.index import passage_terms
from retrieval.admission import SUPPORTED_SUFFIXES, UnreadableArticle, admit_article_file, printable, read_article_file
from retrieval.ingest import parse_article_bytes
from retrieval.store.layout import FileEntry, FileStat
from retrieval.store.plan import FreshArticle, parser_kind

# A file modified this close to the moment it was indexed may change again within the same mtime
# tick, keeping its size and time; its entry is marked racy and its content re-checked next time.
# Whole-second times mean a coarse file system (FAT keeps 2 s); otherwise the kernel's clock tick.
RACY_COARSE_NS = 2_000_000_000
RACY_FINE_NS = 100_000_000


def racy(mtime_ns: int, scanned_at: int) -> bool:
    window = RACY_COARSE_NS if mtime_ns % 1_000_000_000 == 0 else RACY_FINE_NS
    return mtime_ns + window > scanned_at


def scan(corpus_dir: Path) -> dict[str, FileStat]:
    """The corpus folder's entries that are, or pose as, articles, by name: every visible regular file,
    and anything else named like an article (a FIFO, a folder, a link), with the reason it is refused."""
    out: dict[str, FileStat] = {}
    # Each entry is dropped as soon as it is read: 100k entries with their cached stats (some
    # twenty objects each) freed at once would hold the GIL for ~0.1 s.
    try:
        with os.scandir(corpus_dir) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith("."):
                    continue
                try:
                    if entry.is_file(follow_symlinks=False):
                        st = entry.stat(follow_symlinks=False)
                        out[name] = FileStat(st.st_size, st.st_mtime_ns)
                    elif entry.is_symlink() or name.lower().endswith(SUPPORTED_SUFFIXES):
                        out[name] = _odd_entry(corpus_dir, name)
                except OSError:
                    continue  # vanished while we looked
    except OSError as exc:
        raise NewsqaError(f"cannot read the corpus folder {printable(str(corpus_dir))}: {exc.strerror or exc}") from exc
    return out


def _odd_entry(corpus_dir: Path, name: str) -> FileStat:
    """A link, or something that is not a regular file under an article's name: the stat of what it
    leads to if it is admitted (so that a change to a linked file is seen), else why not."""
    try:
        _, st = admit_article_file(corpus_dir, name)
    except UnreadableArticle as exc:
        lst = os.lstat(corpus_dir / name)
        return FileStat(lst.st_size if stat.S_ISREG(lst.st_mode) else 0, lst.st_mtime_ns, str(exc))
    return FileStat(st.st_size, st.st_mtime_ns)


def read_file(
    corpus_dir: Path, name: str, st: FileStat, prev: FileEntry | None, known: Callable[[str], bool], scanned_at: int
) -> tuple[FileEntry, FreshArticle | None, int]:
    """Read one new or changed file: its entry, its article if it had to be tokenized, and whether it
    was read at all."""
    entry = FileEntry(name=name, size=st.st_size, mtime_ns=st.st_mtime_ns, racy=racy(st.st_mtime_ns, scanned_at))
    try:
        if st.refusal is not None:
            raise UnreadableArticle(st.refusal)
        admit_article_file(corpus_dir, name)  # type, name, kind, size: refused without reading
    except UnreadableArticle as exc:
        return replace(entry, status="skipped", reason=str(exc)), None, 0
    try:
        data, after = read_article_file(corpus_dir, name)
    except UnreadableArticle as exc:
        return replace(entry, status="skipped", reason=str(exc)), None, 1
    digest = hashlib.sha256(data).hexdigest()
    entry = replace(
        entry, size=after.st_size, mtime_ns=after.st_mtime_ns, sha256=digest, racy=racy(after.st_mtime_ns, scanned_at),
    )
    key = f"{parser_kind(name)}:{digest}"
    if prev is not None and prev.sha256 == digest and prev.status == "skipped":
        return replace(entry, status="skipped", reason=prev.reason), None, 1  # still unreadable, same reason
    if known(key):
        return entry, None, 1  # the same content is indexed or parsed already: reuse it
    try:
        article, passages = parse_article_bytes(data, name)
    except UnreadableArticle as exc:
        return replace(entry, status="skipped", reason=str(exc)), None, 1
    return entry, FreshArticle(article, passages, [passage_terms(p) for p in passages], key), 1
