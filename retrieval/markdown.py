"""Markdown articles as plain text: what the reader sees, not the markup.

markdown-it-py (a CommonMark parser) reads the body; the result keeps the words and drops the
syntax: `**bold**` and `_emphasis_` lose their markers, `[text](url)` keeps its text, images and
raw HTML go, list items lose their bullets (an ordered item keeps its number, which may be a year:
"2024. A year of ..."). Every block ends up a paragraph of its own, separated by a blank line;
lines within a paragraph stay lines, so the plain-text rules for paragraphs (retrieval/ingest.py)
apply as they do to .txt files. Headings are returned beside the text, with their level, so that
they still become the section context of the paragraphs under them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token


@dataclass(frozen=True)
class Heading:
    """A heading of the plain text: `text[start:end]` is its title."""

    start: int
    end: int
    level: int


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # CommonMark with tables (news pages have some); no typographic replacements, which would
    # change the article's characters.
    return MarkdownIt("commonmark").enable("table")


def markdown_to_text(source: str) -> tuple[str, list[Heading]]:
    """The plain text of a Markdown document, one block per paragraph, and where its headings are."""
    blocks: list[str] = []
    headings: list[tuple[int, int]] = []  # (index of the block, level)
    tokens = _parser().parse(source)
    row: list[str] | None = None
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.type == "heading_open" and tokens[i + 1].type == "inline":
            text = _inline_text(tokens[i + 1]).replace("\n", " ").strip()
            if text:
                headings.append((len(blocks), int(token.tag[1:])))
                blocks.append(text)
            i += 3
            continue
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            if any(cell for cell in row):
                blocks.append(" | ".join(row))
            row = None
        elif token.type == "inline" and row is not None:
            row.append(_inline_text(token).replace("\n", " ").strip())
        elif token.type == "inline":
            text = _inline_text(token).strip()
            marker = _ordered_marker(tokens, i)
            if text:
                blocks.append(marker + text)
        elif token.type in ("fence", "code_block") and token.content.strip():
            blocks.append(token.content.strip("\n"))
        i += 1
    text, starts = "", []
    for block in blocks:
        if text:
            text += "\n\n"
        starts.append(len(text))
        text += block
    found = [Heading(starts[b], starts[b] + len(blocks[b]), level) for b, level in headings]
    return text + ("\n" if text else ""), found


def _inline_text(token: Token) -> str:
    """The words of an inline run: markup dropped, line breaks kept as newlines."""
    out: list[str] = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n")
    return "".join(out)


def _ordered_marker(tokens: list[Token], i: int) -> str:
    """'3. ' when the inline run at `i` opens an item of an ordered list, else ''."""
    # An item's first inline follows list_item_open (tight lists hide the paragraph tokens).
    j = i - 1
    while j >= 0 and tokens[j].type == "paragraph_open":
        j -= 1
    if j >= 0 and tokens[j].type == "list_item_open" and tokens[j].info:
        return f"{tokens[j].info}{tokens[j].markup} "
    return ""
