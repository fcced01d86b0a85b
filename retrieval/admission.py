"""The one rule that admits an article file, used by every reader of article files (the store's
update, the in-memory build, `newsqa add`, uploads): an article file type, a name that can be shown,
a regular file inside the corpus folder (a link only to one inside it), at most `MAX_ARTICLE_BYTES`;
and the safe name a new article is stored under. UTF-8 is checked where the text is decoded
(`retrieval.ingest.decode_article_bytes`)."""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from pathlib import Path

from retrieval.errors import NewsqaError

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm")
HTML_SUFFIXES = (".html", ".htm")
MAX_ARTICLE_BYTES = 10 * 1024 * 1024  # 10 MiB: far above any news article, far below a data dump.


class UnreadableArticle(NewsqaError):
    """An article file that cannot be read; its message is the reason."""

# A file name may hold 255 bytes on common file systems; a stored name keeps room for "-NNN".
MAX_NAME_BYTES = 200


def check_article_name(name: str) -> None:
    """Raise `UnreadableArticle` unless `name` has an article file type and is a name one can show."""
    check_suffix(name)
    if not is_printable_name(name):
        raise UnreadableArticle("its name holds a newline, control character or bytes that are not UTF-8: rename it")


def check_article_size(size: int) -> None:
    """Raise `UnreadableArticle` for a file over `MAX_ARTICLE_BYTES`."""
    if size > MAX_ARTICLE_BYTES:
        raise UnreadableArticle(_too_large(size))


def is_printable_name(name: str) -> bool:
    """No control characters, line separators or undecodable bytes (surrogate escapes) in `name`."""
    if name.isascii():
        return name.isprintable()
    return not any(unicodedata.category(c) in ("Cc", "Zl", "Zp", "Cs") for c in name)


def printable(name: str) -> str:
    """A file name or id for one line of output: newlines and other control characters escaped."""
    if name.isprintable():
        return name
    return "".join(c if c.isprintable() or c == " " else ascii(c)[1:-1] for c in name)


def shown_name(name: str) -> str:
    """A file name as reports carry it: as it is, unless it holds bytes that are not UTF-8 (which
    no JSON output can hold), then escaped."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return printable(name)
    return name


def admit_article_file(folder: Path, name: str) -> tuple[Path, os.stat_result]:
    """The one rule that admits a file of a corpus folder as an article: an article file type, a
    regular file (a link is followed only to a file inside the folder), at most `MAX_ARTICLE_BYTES`.

    Returns the path to open and its stat, nothing read; raises `UnreadableArticle` saying why not.
    """
    check_article_name(name)
    path = folder / name
    try:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            path = _link_target_inside(folder, path)
            st = os.stat(path)
    except FileNotFoundError as exc:
        raise UnreadableArticle("a link to nothing (its target is missing)") from exc
    except OSError as exc:
        raise UnreadableArticle(f"cannot read it ({exc.strerror or exc})") from exc
    _check_regular(st)
    check_article_size(st.st_size)
    return path, st


def _link_target_inside(folder: Path, link: Path) -> Path:
    """Where a link in the corpus folder leads, if that is a visible file inside the folder."""
    base = os.path.realpath(folder)
    target = os.path.realpath(link)
    inside = os.path.commonpath([base, target]) == base and target != base
    if not inside:
        raise UnreadableArticle("a link to a file outside the corpus folder: copy the article into the folder instead")
    if any(part.startswith(".") for part in Path(os.path.relpath(target, base)).parts):
        raise UnreadableArticle("a link to a hidden file: copy the article into the folder instead")
    return Path(target)


def _check_regular(st: os.stat_result) -> None:
    if stat.S_ISREG(st.st_mode):
        return
    if stat.S_ISDIR(st.st_mode):
        raise UnreadableArticle("a folder, not an article file")
    if stat.S_ISFIFO(st.st_mode):
        raise UnreadableArticle("a named pipe (FIFO), not an article file")
    raise UnreadableArticle("not a regular file (a socket or device): save the article as a file")


def read_article_file(folder: Path, name: str) -> tuple[bytes, os.stat_result]:
    """The bytes of an admitted article file and the stat of what was read (`admit_article_file`).

    Opened without following a last-moment link and without blocking on a pipe swapped in for the
    file; a file over the size limit is refused before it is read whole.
    """
    path, expected = admit_article_file(folder, name)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise UnreadableArticle(f"cannot read it ({exc.strerror or exc})") from exc
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        _check_regular(st)
        if (st.st_dev, st.st_ino) != (expected.st_dev, expected.st_ino):
            raise UnreadableArticle("it was replaced while being read: run the command again")
        try:
            data = fh.read(MAX_ARTICLE_BYTES + 1)
        except OSError as exc:
            raise UnreadableArticle(f"cannot read it ({exc.strerror or exc})") from exc
        check_article_size(len(data))
        return data, os.fstat(fd)  # the stat that matches what was read


def read_article_source(path: Path) -> bytes:
    """An article file named by the user to be added (outside the corpus, so a link is followed):
    an article file type, a regular file, within the size limit; a pipe is never waited on."""
    check_suffix(path.name)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)  # OSError (no such file...) is the caller's to word
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        _check_regular(st)
        check_article_size(st.st_size)
        data = fh.read(MAX_ARTICLE_BYTES + 1)
    check_article_size(len(data))
    return data


def check_suffix(name: str) -> None:
    """Raise `UnreadableArticle` unless `name` has an article file type."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableArticle(f"unsupported file type {suffix or '(none)'}: use .txt, .md or .html")


def _too_large(size: int) -> str:
    return f"too large ({size / 1_048_576:.1f} MiB; the limit is {MAX_ARTICLE_BYTES // 1_048_576} MiB)"


def safe_file_name(name: str) -> str:
    """A file name that stays inside the corpus folder: no folders, NULs, newlines or leading dots,
    and at most `MAX_NAME_BYTES` bytes of UTF-8 (file systems count bytes, not characters)."""
    base = re.split(r"[\\/]", name.replace("\x00", ""))[-1]
    base = unicodedata.normalize("NFC", base.encode("utf-8", "replace").decode("utf-8"))
    base = re.sub(r"[^\w.\-]+", "_", base).strip("._") or "article"
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    suffix = suffix.lower()
    if len(suffix.encode()) > 16:  # not a file type: part of the name
        stem, suffix = base, ""
    room = MAX_NAME_BYTES - len(suffix.encode()) - 1
    stem = stem.encode("utf-8")[:room].decode("utf-8", "ignore").strip("._") or "article"
    return f"{stem}.{suffix}" if suffix else stem
