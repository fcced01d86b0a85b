"""Read article files into `Article`s and split them into `Passage`s, leaving boilerplate out.

Articles arrive messy: clipping headers, a title run into its lede, paragraphs split by blank lines
or by single newlines, ticker lines, photo captions and credits, section headings. Every passage
keeps its offsets into `Article.text`, so `article.text[p.start:p.end] == p.text` always holds.
"""

from __future__ import annotations

import base64
import itertools
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from retrieval.reader.lexicon import MONTH_ABBREVIATIONS, MONTH_NAMES, WEEKDAY_NAMES
from retrieval.admission import (  # noqa: F401 - MAX_ARTICLE_BYTES and safe_file_name: long importable from here
    HTML_SUFFIXES,
    MAX_ARTICLE_BYTES,
    SUPPORTED_SUFFIXES,
    UnreadableArticle,
    check_article_size,
    check_suffix,
    read_article_file,
    safe_file_name,
    shown_name,
)
from retrieval.bounded import Refused, TooLarge, TooSlow, call_bounded
from retrieval.dates import parse_date
from retrieval.frontmatter import read_front_matter
from pydantic import ValidationError

from retrieval.models import Article, Passage, SkippedFile
from retrieval.tokens import tokenize


@dataclass(frozen=True)
class _Unit:
    """A paragraph-sized piece of the source text, before it is classified."""

    start: int
    end: int
    text: str


# --- reading ------------------------------------------------------------------------------------

# Longest metadata kept from an article (characters): a title is a headline, not a paragraph. A
# hostile front matter or first line of 10 MiB would otherwise be every citation's title.
MAX_TITLE_CHARS = 300
MAX_SOURCE_CHARS = 200
MAX_URL_CHARS = 2048
# A passage longer than this is cut into several: the answer step's cost grows faster than a
# passage's length (0.15 s for 8,000 characters, minutes for a 1 MB paragraph). Real paragraphs stay
# whole: the longest in XQuAD is 2,078 characters, in SQuADShifts 3,330, in bench/news 478.
MAX_PASSAGE_CHARS = 4000
# Passages one article may make. Each costs about 1.6 KB while indexing: a 2 MB file of one-letter
# lines made a million passages and took 1.6 GB (issue #26). 10 MiB of prose in passages of the
# largest size makes under 3,000; a long news article a few dozen. Lines are counted before
# boilerplate is dropped, with room for that.
MAX_PASSAGES = 10_000
# The longest an article may take to read. Only .md and .html files over SMALL_ARTICLE_BYTES can
# come near it (a .txt file is read in linear time), so only they are read in a child process that
# can be stopped: at the slowest rate known (markdown-it, 27 µs a byte of repeated `![`), 32 KiB
# take under a second here.
ARTICLE_SECONDS = 20.0
SMALL_ARTICLE_BYTES = 32 * 1024
MAX_UNITS = 2 * MAX_PASSAGES


# Characters that change how a terminal or Discord shows what follows them: C0 and C1 controls (a
# terminal's escape sequences) and the bidirectional embeddings, overrides and isolates (U+202A-E,
# U+2066-9: "Trojan Source" text that reads differently from what it is). In an article's text each
# becomes a space, so offsets stay those of the text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Also dropped from metadata shown on one line (title, source): characters that take no room, so a
# title can hide what it says or look like another one (zero-width spaces and joiners, direction
# marks, the soft hyphen, the byte-order mark).
_INVISIBLE = re.compile(r"[\u00ad\u061c\u180e\u200b-\u200f\u2060-\u2064\ufeff]")


def decode_article_bytes(data: bytes) -> str:
    """UTF-8 text with normalised newlines and NFC, or `UnreadableArticle` saying why not."""
    check_article_size(len(data))
    if b"\x00" in data[:8192]:
        raise UnreadableArticle("binary data, not text: save the article as a UTF-8 .txt or .md file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableArticle(
            f"not UTF-8 text (bad byte at offset {exc.start}): re-save the file as UTF-8"
        ) from exc
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    # Line and paragraph separators are line breaks (one character for one: offsets are kept); raw,
    # they would split "one JSON object per line" for readers that split at them.
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    # Control characters (a terminal's escape sequences among them) would reach every terminal and
    # message that quotes the article: each becomes a space, so offsets stay those of this text.
    text = _CONTROL.sub(" ", text)
    if not text.strip():
        raise UnreadableArticle("empty file")
    return text


def article_id_for(path: Path) -> str:
    """The deterministic id of an article file: its name without the extension."""
    return path.stem


def read_article(path: Path) -> tuple[Article, list[Passage]]:
    """Read one article file (.txt, .md or .html) into the article and its passages.

    Raises `UnreadableArticle` with the reason when the file can't be used.
    """
    data, _ = read_article_file(path.parent, path.name)
    return parse_article_bytes(data, path.name)


def parse_article_bytes(data: bytes, name: str, seconds: float | None = None) -> tuple[Article, list[Passage]]:
    """Parse the bytes of an article file called `name` (its type comes from the suffix), within
    `seconds` (default `ARTICLE_SECONDS`).

    Raises `UnreadableArticle` for anything that goes wrong: one bad article is skipped with a
    reason, never the end of an update. A large .md or .html file is read in a child process that
    is stopped when the time is up or it takes too much memory (retrieval/bounded.py).
    """
    check_suffix(name)
    check_article_size(len(data))
    if len(data) <= SMALL_ARTICLE_BYTES or Path(name).suffix.lower() == ".txt":
        return _parse_here(data, name)
    limit = ARTICLE_SECONDS if seconds is None else seconds
    try:
        out = call_bounded("parse", {"data": base64.b64encode(data).decode("ascii"), "name": name}, seconds=limit)
        return Article.model_validate(out["article"]), [Passage.model_validate(p) for p in out["passages"]]
    except Refused as exc:
        raise UnreadableArticle(str(exc)) from None
    except (RuntimeError, KeyError, TypeError, ValidationError) as exc:
        raise UnreadableArticle(f"cannot parse it ({exc}): fix or remove the file") from None
    except TooSlow:
        raise UnreadableArticle(
            f"reading it took over {limit:.3g} s (a page built to be slow to read?): save its text as a .txt file"
        ) from None
    except TooLarge:
        raise UnreadableArticle("reading it took too much memory: save its text as a .txt file") from None


def parse_job(payload: dict) -> dict:
    """`_parse_here` as a job of the bounded worker (`retrieval.bounded.JOBS`): JSON in, JSON out."""
    article, passages = _parse_here(base64.b64decode(payload["data"]), payload["name"])
    return {"article": article.model_dump(mode="json"), "passages": [p.model_dump(mode="json") for p in passages]}


def markdown_job(payload: dict) -> str:
    """`html_to_markdown` as a job of the bounded worker."""
    return html_to_markdown(base64.b64decode(payload["html"]), payload.get("url"), payload.get("source"))


def _parse_here(data: bytes, name: str) -> tuple[Article, list[Passage]]:
    try:
        return _parse(data, name)
    except UnreadableArticle:
        raise
    except (Exception, RecursionError) as exc:  # noqa: BLE001 - hostile input: a skip, not a crash
        raise UnreadableArticle(f"cannot parse it ({exc.__class__.__name__}): fix or remove the file") from exc


def _parse(data: bytes, name: str) -> tuple[Article, list[Passage]]:
    suffix = Path(name).suffix.lower()
    if suffix in HTML_SUFFIXES:
        text = decode_article_bytes(html_to_markdown(data).encode("utf-8"))
        parse = parse_markdown
    else:
        text = decode_article_bytes(data)
        parse = parse_markdown if suffix == ".md" else parse_plain_text
    article, passages = parse(text, article_id_for(Path(name)), name)
    if not passages:
        raise UnreadableArticle("no article text found (only a title or boilerplate)")
    return article, passages


def load_corpus(folder: Path) -> tuple[list[Article], list[Passage], list[SkippedFile]]:
    """Read every article in `folder` (sorted by name); unreadable files are skipped with a reason."""
    articles: list[Article] = []
    passages: list[Passage] = []
    skipped: list[SkippedFile] = []
    for name in sorted(os.listdir(folder)):
        if name.startswith(".") or (os.path.isdir(folder / name) and not name.lower().endswith(SUPPORTED_SUFFIXES)):
            continue  # hidden files, and sub-folders that don't pose as articles
        try:
            data, _ = read_article_file(folder, name)
            article, article_passages = parse_article_bytes(data, name)
        except UnreadableArticle as exc:
            skipped.append(SkippedFile(path=shown_name(name), reason=str(exc)))
            continue
        articles.append(article)
        passages.extend(article_passages)
    return articles, passages, skipped


# --- plain text ---------------------------------------------------------------------------------

_TERMINAL = ".!?…:;\"”’»)]"
_HEADER_DATE = re.compile(r"^\s*(?:date|published|dated?)\s*:?\s+(.*)$", re.IGNORECASE)
_HEADER_KEY = re.compile(r"^\s*(title|url|link|source|author|by)\s*:\s*(.*)$", re.IGNORECASE)
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_CITABLE_URL = re.compile(r"https?://[^\s/]+\S*", re.IGNORECASE)  # a host, then anything without spaces
# A byline: "By Jane Doe", "By Jane Doe / March 9, 2025", "By Jane Doe | Reuters". Metadata, not a passage.
_BYLINE = re.compile(r"^By\s+(?=[^\W\d_])(?P<name>[^/|·•—–]{1,80}?)\s*(?:[/|·•—–]\s*(?P<rest>.{0,120}))?$")
# The words a date line may hold besides its numbers: "Wednesday, March 12, 2025 at 9:30 a.m. EST".
_DATE_WORDS = frozenset(w.lower() for w in MONTH_NAMES + MONTH_ABBREVIATIONS + WEEKDAY_NAMES) | frozenset(
    "mon tue tues wed thu thur thurs fri sat sun at am pm a.m p.m updated published".split()
)
# No two quantifiers here may match the same characters in turn: "1" and 20,000 spaces took 5 s.
_TICKER = re.compile(r"^[+\-−]?\d[\d.,\s]*(?:[A-Z]{3}|%|[$€£¥₽])(?:\s*[+\-−]?\d[\d.,]*%?)?$")
_NO_LETTERS = re.compile(r"^[^\w]*$|^[\W\d_]*$")
_CREDIT = re.compile(
    r"^(?:©|\(c\)|copyright\b|photo\s*(?:credit)?\s*:|image\s*:|credit\s*:|picture\s*:|getty images|ap photo)",
    re.IGNORECASE,
)
_BOILERPLATE_LINE = re.compile(
    r"^(?:link|url|advertisement|read more|read also|see also|share( this)?( article)?|subscribe.*|"
    r"sign up.*|follow us.*|related( articles| news)?|comments?|print|email|tweet|top stories)\s*:?$",
    re.IGNORECASE,
)


def _units(text: str, base: int = 0) -> list[_Unit]:
    """Paragraph candidates: blank-line blocks, split further into lines unless they are hard-wrapped.

    Raises `UnreadableArticle` past `MAX_UNITS`: no more than that is ever made of one article."""
    units: list[_Unit] = []
    for block in re.finditer(r"[^\n]+(?:\n[^\n]*\S[^\n]*)*", text):
        found = itertools.islice(re.finditer(r"[^\n]+", block.group()), MAX_UNITS + 1)
        lines = [(m.start() + block.start(), m.end() + block.start(), m.group()) for m in found]
        lines = [(s, e, t) for s, e, t in lines if t.strip()]
        if _hard_wrapped([t for _, _, t in lines]):
            units.append(_strip_unit(base + lines[0][0], base + lines[-1][1], block.group()))
        else:
            units.extend(_strip_unit(base + s, base + e, t) for s, e, t in lines)
        if len(units) > MAX_UNITS:
            raise UnreadableArticle(_too_many_passages())
    return [u for u in units if u.text]


def _date_line(text: str) -> str | None:
    """The date of a line that is a date and nothing else ("March 9, 2025", "Date: 2025-03-12"), else None."""
    if m := _HEADER_DATE.match(text):
        return parse_date(m.group(1))
    if len(text) > 60 or not any(c.isdigit() for c in text):
        return None
    words = re.findall(r"[^\W\d_]+(?:\.[^\W\d_]+)*", text)
    if any(w.lower() not in _DATE_WORDS and not (w.isupper() and len(w) <= 4) for w in words):
        return None  # "300 passengers in 2025" is no date line
    return parse_date(re.sub(r"\b[A-Z]{2,4}\b", " ", text))  # without "EST": dateutil warns about zone names


def _byline(text: str) -> tuple[bool, str | None]:
    """Whether a line is a byline, and the date it gives after its name ("By Jane Doe / March 9, 2025")."""
    m = _BYLINE.match(text)
    if m is None or len(m.group("name").split()) > 6 or m.group("name").rstrip().endswith(tuple(_TERMINAL)):
        return False, None
    return True, parse_date(m.group("rest")) if m.group("rest") else None


def _is_meta_line(text: str) -> bool:
    """A date or byline line: its own unit, never joined with the title above it."""
    return _date_line(text.strip()) is not None or _byline(text.strip())[0]


def _too_many_passages() -> str:
    return (
        f"it would make over {MAX_PASSAGES:,} passages (each short line is one): "
        "join its lines into paragraphs or split it into several articles"
    )


def _hard_wrapped(lines: list[str]) -> bool:
    """True when a block's lines are one paragraph wrapped at a fixed width, not one paragraph each."""
    if len(lines) < 2 or any(_is_meta_line(ln) for ln in lines[:4]):
        return False
    inner = [ln.rstrip() for ln in lines[:-1]]
    open_ends = sum(1 for ln in inner if not ln.endswith(tuple(_TERMINAL)))
    widths = [len(ln) for ln in inner]
    return open_ends * 2 > len(inner) and max(widths) <= 120 and min(widths) >= 25


def _strip_unit(start: int, end: int, text: str) -> _Unit:
    stripped = text.strip()
    lead = len(text) - len(text.lstrip())
    return _Unit(start + lead, start + lead + len(stripped), stripped)


def _is_boilerplate(unit: _Unit) -> bool:
    t = unit.text
    return bool(
        _TICKER.match(t) or _NO_LETTERS.match(t) or _CREDIT.match(t) or _BOILERPLATE_LINE.match(t)
        or (_URL.fullmatch(t))
    )


def _is_short_line(text: str, max_words: int = 12) -> bool:
    """A heading-like line: few words and no sentence-ending punctuation."""
    return len(text.split()) <= max_words and not text.rstrip().endswith(tuple(_TERMINAL)) and text[:1].isupper()


def _split_title_lede(unit: _Unit, body_text: str) -> tuple[_Unit, _Unit | None]:
    """Split a headline run into its lede ("... between Putin, Trump Dmitry Peskov described ...").

    A split point is a capitalised word after at least three title words where the pair of words
    across the point never occurs in the body (so "Putin, Trump" stays together, because the body
    writes "Putin-Trump") while the lede's opening pair does (the lede repeats the body's names).
    """
    words = list(re.finditer(r"\S+", unit.text))
    if len(words) < 12:
        return unit, None
    body_terms = tokenize(body_text)
    body_pairs = set(zip(body_terms, body_terms[1:]))

    def first_term(i: int) -> str | None:
        terms = tokenize(words[i].group())
        return terms[0] if terms else None

    for i in range(3, min(len(words) - 5, 30)):
        word, prev = words[i].group(), words[i - 1].group()
        if not word[:1].isupper() or prev.endswith((".", ":", "!", "?")):
            continue
        a, b, c = first_term(i - 1), first_term(i), first_term(i + 1) if i + 1 < len(words) else None
        if a is None or b is None:
            continue
        if (a, b) not in body_pairs and (c is None or (b, c) in body_pairs):
            cut = words[i].start()
            title = _strip_unit(unit.start, unit.start + cut, unit.text[:cut])
            lede = _strip_unit(unit.start + cut, unit.end, unit.text[cut:])
            return title, lede
    return unit, None


def _classify(units: list[_Unit], need_title: bool) -> tuple[_Unit | None, list[tuple[_Unit, str | None]]]:
    """Pick the title, drop boilerplate and captions, attach headings; return body units with headings."""
    kept: list[_Unit] = []
    for i, unit in enumerate(units):
        if _is_boilerplate(unit):
            continue
        following = units[i + 1] if i + 1 < len(units) else None
        if following is not None and _CREDIT.match(following.text) and _is_short_line(unit.text, 15):
            continue  # a photo caption: the line just above a photo credit
        if i == len(units) - 1 and _is_short_line(unit.text, 15) and kept:
            continue  # a trailing caption or tag line with no paragraph after it
        kept.append(unit)
    title: _Unit | None = None
    if need_title and kept:
        title, kept = kept[0], kept[1:]
    body: list[tuple[_Unit, str | None]] = []
    heading: str | None = None
    for i, unit in enumerate(kept):
        nxt = kept[i + 1] if i + 1 < len(kept) else None
        if _is_short_line(unit.text) and nxt is not None and not _is_short_line(nxt.text):
            heading = unit.text
            continue
        body.append((unit, heading))
    return title, body


def parse_plain_text(text: str, article_id: str, path: str) -> tuple[Article, list[Passage]]:
    """A .txt article: optional clipping header lines, then the title (first line), then paragraphs."""
    meta: dict[str, str | None] = {}
    units = _units(text)
    # Header lines at the top: "date 2024-11-11 ...", "Title: ...", "URL: ...", "LINK".
    header_end = 0
    for unit in units[:6]:
        if _take_date_or_byline(unit, meta):
            header_end += 1
            continue
        if m := _HEADER_KEY.match(unit.text):
            key, value = m.group(1).lower(), m.group(2).strip()
            if key in ("url", "link") and (url := _URL.search(value)):
                meta.setdefault("url", url.group())
            elif key == "title" and value:
                meta.setdefault("title", value)
            elif key == "source" and value:
                meta.setdefault("source", value)
            header_end += 1
            continue
        if _is_boilerplate(unit):
            header_end += 1
            continue
        break
    body_units = units[header_end:]
    if "title" not in meta:
        # Date and byline lines just under the title ("By Jane Doe / March 9, 2025") are metadata too.
        first = next((i for i, u in enumerate(body_units) if not _is_boilerplate(u)), len(body_units))
        end = first + 1
        while end < min(len(body_units), first + 4) and _take_date_or_byline(body_units[end], meta):
            end += 1
        body_units = body_units[: first + 1] + body_units[end:]
    title_unit, body = _classify(body_units, need_title="title" not in meta)
    return _make_article(text, article_id, path, meta, title_unit, body)


def _take_date_or_byline(unit: _Unit, meta: dict[str, str | None]) -> bool:
    """Read a date line or a byline (and its date) into `meta`; False for any other line."""
    if (date := _date_line(unit.text)) is not None:
        meta.setdefault("published", date)
        return True
    is_byline, date = _byline(unit.text)
    if is_byline and date is not None:
        meta.setdefault("published", date)
    return is_byline


def _make_article(
    text: str,
    article_id: str,
    path: str,
    meta: dict[str, str | None],
    title_unit: _Unit | None,
    body: list[tuple[_Unit, str | None]],
) -> tuple[Article, list[Passage]]:
    title = meta.get("title")
    if title_unit is not None:
        body_text = " ".join(u.text for u, _ in body)
        title_unit, lede = _split_title_lede(title_unit, body_text)
        title = title_unit.text
        if lede is not None:
            body.insert(0, (lede, None))
    if not body and title_unit is not None:
        body = [(title_unit, None)]  # a one-paragraph article: its only line is both title and text
    body = [(piece, heading) for unit, heading in body for piece in _split_long(unit)]
    if len(body) > MAX_PASSAGES:
        raise UnreadableArticle(_too_many_passages())
    article = Article(
        id=article_id,
        path=path,
        title=_field(title, MAX_TITLE_CHARS) or article_id,
        published=meta.get("published"),
        url=_url(meta.get("url")),
        source=_field(meta.get("source"), MAX_SOURCE_CHARS),
        text=text,
    )
    passages = [
        Passage(
            id=f"{article_id}#{n}",
            article_id=article_id,
            number=n,
            start=unit.start,
            end=unit.end,
            text=unit.text,
            heading=heading,
        )
        for n, (unit, heading) in enumerate(body, start=1)
    ]
    return article, passages


def _split_long(unit: _Unit) -> list[_Unit]:
    """A paragraph over `MAX_PASSAGE_CHARS` as several passages, cut after a sentence where one ends
    in the second half of the window, else at a space (else anywhere). Offsets stay the article's."""
    text = unit.text
    if len(text) <= MAX_PASSAGE_CHARS:
        return [unit]
    pieces: list[_Unit] = []
    start = 0
    while len(text) - start > MAX_PASSAGE_CHARS:
        window = text[start : start + MAX_PASSAGE_CHARS]
        cut = max(window.rfind(". "), window.rfind("! "), window.rfind("? "), window.rfind("\n"))
        if cut < MAX_PASSAGE_CHARS // 2:
            cut = window.rfind(" ")
        end = start + (cut + 1 if cut > 0 else MAX_PASSAGE_CHARS)
        pieces.append(_strip_unit(unit.start + start, unit.start + end, text[start:end]))
        start = end
    pieces.append(_strip_unit(unit.start + start, unit.end, text[start:]))
    return [p for p in pieces if p.text]


def _field(value: str | None, limit: int) -> str | None:
    """A metadata value on one line, cut at a word to `limit` characters; None if empty."""
    if value is None:
        return None
    value = " ".join(_CONTROL.sub(" ", _INVISIBLE.sub("", value)).split())
    if len(value) > limit:
        value = value[: limit - 1].rsplit(" ", 1)[0].rstrip() + "…"
    return value or None


def _url(value: str | None) -> str | None:
    """A web address to cite, or None for anything else (another scheme, spaces, too long, or any
    character that is not printable: escape sequences, direction overrides, zero-width characters).
    The scheme is written in lower case (`HTTP://` is a web address too)."""
    if value is None:
        return None
    value = value.strip()
    if len(value) > MAX_URL_CHARS or not _CITABLE_URL.fullmatch(value) or not value.isprintable():
        return None
    scheme, rest = value.split(":", 1)
    return f"{scheme.lower()}:{rest}"


# --- markdown -----------------------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)


def parse_markdown(text: str, article_id: str, path: str) -> tuple[Article, list[Passage]]:
    """A .md article: YAML front matter (title, date, source, url), then Markdown, read as plain text.

    The article's text is the Markdown's plain text (retrieval/markdown.py), so that quotes and
    offsets carry no markup; `#` headings become the section context of the paragraphs under them.
    """
    from retrieval.markdown import markdown_to_text

    meta: dict[str, str | None] = {}
    body_start = 0
    if m := _FRONT_MATTER.match(text):
        data = read_front_matter(m.group(1))
        if isinstance(data, dict):
            if data.get("title"):
                meta["title"] = str(data["title"])
            meta["published"] = parse_date(data.get("date") or data.get("published"))
            if isinstance(data.get("url"), str):
                meta["url"] = data["url"]
            if data.get("source"):
                meta["source"] = str(data["source"])
        body_start = m.end()
    text, headings = markdown_to_text(text[body_start:])
    # Character references are decoded by the Markdown parser, after decode_article_bytes (markdown-it
    # already turns those of control characters into U+FFFD; not those of direction overrides).
    text = _CONTROL.sub(" ", text).replace("\u2028", " ").replace("\u2029", " ")
    levels = {h.start: h.level for h in headings}
    units = _units(text)
    title_unit: _Unit | None = None
    body: list[tuple[_Unit, str | None]] = []
    heading: str | None = None
    for unit in units:
        if (level := levels.get(unit.start)) is not None:
            if "title" not in meta and title_unit is None and not body and level == 1:
                meta["title"] = unit.text
            else:
                heading = unit.text or None
            continue
        if _is_boilerplate(unit):
            continue
        body.append((unit, heading))
    if "title" not in meta and body:
        title_unit = body.pop(0)[0]
    return _make_article(text, article_id, path, meta, title_unit, body)


# --- HTML ---------------------------------------------------------------------------------------


def html_to_markdown(html: bytes | str, url: str | None = None, source: str | None = None) -> str:
    """A news page's article as Markdown with YAML front matter (title, date, url, source).

    trafilatura finds the article among navigation, ads and comments and reads the page's metadata;
    the result is what `newsqa add URL` stores and what an .html file in the corpus is indexed as.
    """
    import warnings

    import trafilatura
    import yaml

    if isinstance(html, bytes) and _looks_binary(html):
        raise UnreadableArticle("binary data, not an HTML page")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lxml's FutureWarnings from inside trafilatura
        try:
            doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
        except Exception as exc:  # noqa: BLE001 - a parser failure on hostile HTML is a skip, not a crash
            raise UnreadableArticle(f"cannot parse the HTML ({exc.__class__.__name__})") from exc
    data = doc.as_dict() if doc is not None and hasattr(doc, "as_dict") else (doc or {})
    body = (data.get("text") or "").strip()
    if not body:
        raise UnreadableArticle("no article text found in the HTML page")
    title = (data.get("title") or "").strip() or None
    lines = [ln.strip() for ln in body.split("\n") if ln.strip()]
    if title and lines and lines[0] == title:
        lines = lines[1:]  # trafilatura repeats the headline as the first line
    if not lines:
        raise UnreadableArticle("no article text found in the HTML page (only a title)")
    meta: dict[str, str] = {}
    if title:
        meta["title"] = title
    if date := parse_date(data.get("date")):
        meta["date"] = date
    if page_url := (url or data.get("url")):
        meta["url"] = str(page_url)
    if site := (source or data.get("sitename") or data.get("hostname")):
        meta["source"] = str(site)
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000) if meta else ""
    # Paragraphs are separated by blank lines; a line starting like front matter or a heading is
    # plain text here, so escape nothing and keep the page's words as they are.
    return (f"---\n{front}---\n\n" if front else "") + "\n\n".join(lines) + "\n"


def _looks_binary(data: bytes) -> bool:
    return b"\x00" in data[:8192]
