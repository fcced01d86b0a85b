"""What the command line prints for people: answers, sources, search hits and index reports."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, TextIO

from pydantic import BaseModel

from retrieval.admission import printable
from retrieval.decide import confidence_level
from retrieval.models import Answer, ArticleInfo, ChatAnswer, Citation, IndexReport, SearchResult, group_by_article

if TYPE_CHECKING:
    from retrieval.cache import SavedIndex
    from retrieval.conversation import Turn

# ANSI colours, used only on a terminal that wants them (see `use_colour`).
GREEN, AMBER, BOLD, RESET = "\033[32m", "\033[33m", "\033[1m", "\033[0m"
LEVEL_COLOURS = {"high": GREEN, "medium": AMBER, "low": AMBER}
SKIPPED_SHOWN = 10  # `newsqa index` names this many skipped files, then says how many more


# Characters that JSON may carry raw but that end a line for `str.splitlines()` and other readers of
# "one JSON object per line" (NEL, LINE and PARAGRAPH SEPARATOR), or that a terminal acts on (C1).
_JSON_RAW = re.compile("[\x7f-\x9f\u2028\u2029]")


def json_text(value: object, indent: int | None = None) -> str:
    """`value` (a model or plain data) as JSON: non-ASCII text as it is, but on one line whatever it
    holds (with `indent`, one line per field)."""
    if isinstance(value, BaseModel):
        text = value.model_dump_json(indent=indent)
    else:
        text = json.dumps(value, ensure_ascii=False, indent=indent)
    # Such characters can only stand inside JSON strings, where their escape means the same.
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def use_colour(stream: TextIO) -> bool:
    """Colour for a terminal, never for a pipe or a file, nor when NO_COLOR is set (no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def _paint(text: str, colour: str, colour_on: bool) -> str:
    return f"{colour}{text}{RESET}" if colour_on else text


def confidence_text(confidence: float, colour: bool = False) -> str:
    """'confidence 0.86' (green on a terminal at the fitted `levels().confident`), amber under it, and
    'low confidence 0.32' under `levels().low` (retrieval/decide.py)."""
    level = confidence_level(confidence)
    label = f"{'low confidence' if level == 'low' else 'confidence'} {confidence:.2f}"
    return _paint(label, LEVEL_COLOURS[level], colour)


def render_answer(answer: Answer, colour: bool = False) -> str:
    """A short, readable answer for a person: the answer, the quoted sentence, numbered sources."""
    lines: list[str] = []
    if answer.answer is None:
        lines.append(answer.note or "Not found in the articles.")
        if answer.hints:
            lines.append("Closest passages:")
            for i, hint in enumerate(answer.hints, start=1):
                lines.append(f"  [{i}] {source_line([hint])}")
                lines.append(f"      {shorten(hint.passage_text, 160)}")
        return "\n".join(lines)
    lines.append(_paint(answer.answer, BOLD, colour))
    if answer.sentence and answer.sentence != answer.answer:
        lines.append(f"  “{answer.sentence}”")
    for time_note in answer.time_notes:
        if time_note.lower() not in (answer.note or "").lower():
            lines.append(f"  ({time_note})")
    extra = f" · {answer.note}" if answer.note else ""
    if answer.as_of and (not answer.note or answer.as_of not in answer.note):
        extra += f" · as of {answer.as_of}"
    lines.append(f"  {confidence_text(answer.confidence, colour)}{extra}")
    lines.append("Sources:")
    for i, group in enumerate(group_by_article(answer.citations), start=1):
        lines.append(f"  [{i}] {source_line(group)}")
    return "\n".join(lines)


def render_chat_answer(answer: ChatAnswer, colour: bool = False) -> str:
    """An answer in `newsqa chat`: how the question was read, when it was rewritten, then the answer."""
    text = render_answer(answer, colour)
    if answer.rewritten:
        return f"(read as: {answer.resolved_question})\n{text}"
    return text


def render_history(turns: Sequence[Turn]) -> str:
    """`:history` in `newsqa chat`: each question, how it was read, and its answer."""
    if not turns:
        return "No questions yet in this conversation."
    lines = []
    for i, turn in enumerate(turns, start=1):
        lines.append(f"{i}. {turn.question}")
        if turn.resolved_question != turn.question:
            lines.append(f"   (read as: {turn.resolved_question})")
        lines.append(f"   -> {shorten(turn.answer, 160) if turn.answer else 'not found in the articles'}")
    return "\n".join(lines)


def source_line(citations: Sequence[Citation]) -> str:
    """'Title (2024-11-11), paragraph 11', or 'paragraphs 2, 10' for several passages of one article."""
    first = citations[0]
    date = first.published or "undated"
    url = f" <{first.url}>" if first.url else ""
    numbers = list(dict.fromkeys(c.paragraph for c in citations))
    where = f"paragraph {numbers[0]}" if len(numbers) == 1 else "paragraphs " + ", ".join(map(str, numbers))
    return f"{first.title} ({date}), {where}{url}"


def shorten(text: str, width: int) -> str:
    """`text` on one line, at most `width` characters, cut at a word with '…'."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text[: width - 1].rsplit(" ", 1)[0]
    return cut + "…"


def render_sources(infos: Sequence[ArticleInfo]) -> str:
    """`newsqa sources`: one line per article (id, date, passages, title) and the totals."""
    if not infos:
        return "No articles indexed."
    infos = [i.model_copy(update={"id": printable(i.id)}) for i in infos]  # a newline in a file name splits no line
    width = max(len(i.id) for i in infos)
    lines = [f"{'id'.ljust(width)}  {'date'.ljust(10)}  passages  title"]
    for info in infos:
        lines.append(f"{info.id.ljust(width)}  {(info.published or '-').ljust(10)}  {info.passages:>8}  {info.title}")
    lines.append(f"{len(infos)} articles, {sum(i.passages for i in infos)} passages")
    return "\n".join(lines)


def render_search(result: SearchResult, colour: bool = False) -> str:
    """The passages `newsqa search` found, best first, the matching words marked.

    Matches are in bold on a terminal and between *asterisks* elsewhere, so a pipe shows them too.
    """
    if not result.hits:
        return f"No passage matches {result.query!r}."
    lines = []
    for i, hit in enumerate(result.hits, start=1):
        date = hit.published or "undated"
        found = "" if hit.found_by == "bm25" else f" · found by {'BM25 and meaning' if hit.found_by == 'both' else 'meaning'}"
        lines.append(f"[{i}] {hit.title} ({date}), paragraph {hit.paragraph} · {hit.passage_id} · score {hit.score:.2f}{found}")
        lines.append(f"    {mark_matches(hit.passage_text, hit.matches, colour)}")
    return "\n".join(lines)


def mark_matches(text: str, matches: Sequence[tuple[int, int]], colour: bool = False) -> str:
    """`text` with each `[start, end)` of `matches` marked, on one line."""
    out, at = [], 0
    for start, end in matches:
        out.append(text[at:start])
        out.append(f"{BOLD}{text[start:end]}{RESET}" if colour else f"*{text[start:end]}*")
        at = end
    out.append(text[at:])
    return " ".join("".join(out).split())


def describe_report(report: IndexReport, verbose: bool = False) -> Iterator[str]:
    """The lines `newsqa index` prints: with `verbose` one per article, always the skipped files, a summary."""
    if verbose:
        for label, ids in (("added", report.added), ("updated", report.updated), ("removed", report.removed)):
            for article_id in ids:
                yield f"{label}: {printable(article_id)}"
        for old, new in report.renamed.items():
            yield f"renamed: {printable(old)} -> {printable(new)}"
    shown = report.skipped if verbose else report.skipped[:SKIPPED_SHOWN]
    for skipped in shown:
        yield f"skipped: {printable(skipped.path)}: {skipped.reason}"
    if len(shown) < len(report.skipped):
        yield f"skipped: {len(report.skipped) - len(shown)} more files (--verbose lists them all)"
    yield (
        f"{len(report.added)} added, {len(report.updated)} updated, {len(report.removed)} removed, "
        f"{len(report.renamed)} renamed, {len(report.unchanged)} unchanged, {len(report.skipped)} skipped "
        f"({report.files_read} files read, {report.articles_tokenized} tokenized, {report.seconds:.2f} s)"
    )


def update_notice(report: IndexReport) -> str | None:
    """The one line `ask`, `chat` and `sources` print when the index had to be updated first."""
    if report.added and not (report.unchanged or report.updated or report.removed or report.renamed):
        return f"indexed {len(report.added)} articles in {report.seconds:.2f} s"
    if report.changed:
        parts = [f"{len(report.added)} added", f"{len(report.updated)} updated", f"{len(report.removed)} removed"]
        if report.renamed:
            parts.append(f"{len(report.renamed)} renamed")
        return f"the corpus changed; index updated ({', '.join(parts)}) in {report.seconds:.2f} s"
    return None


def skipped_notice(count: int) -> str | None:
    """One line for the files the index skipped, however many: `newsqa index` gives the reasons."""
    if not count:
        return None
    return f"{count} file{'' if count == 1 else 's'} skipped; 'newsqa index' says why"


def render_cache(entries: Sequence[SavedIndex], pruned: Sequence[SavedIndex], prune_asked: bool = False) -> str:
    """`newsqa cache`: one line per saved index, then what --prune removed or could remove."""
    from retrieval.config import cache_root

    if not entries:
        return f"No saved indexes in {cache_root()}."
    gone = {e.path for e in pruned}
    lines = [f"Saved indexes in {cache_root()}:", f"  {'size':>9}  {'last used':<16}  corpus folder"]
    for e in entries:
        state = " (removed)" if e.path in gone else "" if e.corpus_exists else " (gone)"
        corpus = e.corpus if e.corpus is not None else f"? ({e.path.name}: no readable manifest)"
        lines.append(f"  {_size(e.bytes):>9}  {e.last_used.astimezone():%Y-%m-%d %H:%M}  {corpus}{state}")
    stale = [e for e in entries if e.corpus is not None and not e.corpus_exists]
    if prune_asked:
        lines.append(f"Removed {len(pruned)} index{'' if len(pruned) == 1 else 'es'} ({_size(sum(e.bytes for e in pruned))}).")
    elif stale:
        lines.append(f"{len(stale)} of them index a folder that is gone: 'newsqa cache --prune' removes them.")
    return "\n".join(lines)


def _size(n: int) -> str:
    """'512 B', '17.9 KiB', '24.1 MiB', '1.2 GiB'."""
    if n < 1024:
        return f"{n} B"
    size = float(n)
    for unit in ("KiB", "MiB", "GiB"):
        size /= 1024
        if size < 1024 or unit == "GiB":
            break
    return f"{size:.1f} {unit}"
