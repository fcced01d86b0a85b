"""Pure functions from the engine's models to Discord embeds and message text.

Discord's limits hold by construction: every piece of text is escaped first and then fitted to its
own budget, and the budgets add up to less than the per-message limits. Long quotes are cut at a
sentence boundary when one is close, else at a word boundary, and end with an ellipsis.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

import discord

from retrieval.admission import printable
from retrieval.decide import confidence_level
from retrieval.models import Answer, ArticleInfo, ChatAnswer, Citation, IndexReport, group_by_article

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_COUNT_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
EMBED_TOTAL_LIMIT = 6000  # all embeds of one message together
EMBEDS_PER_MESSAGE = 10
URL_LIMIT = 2048

# Our own budgets, well inside the limits: an answer should read at a glance.
ANSWER_BUDGET = 600
SENTENCE_BUDGET = 1200
NOTE_BUDGET = 300
READ_AS_BUDGET = 600  # "read as: ..." when a follow-up was rewritten
MAX_SOURCES = 5
SOURCES_PER_PAGE = 10

ELLIPSIS = "…"
# An answer's colour follows its confidence (retrieval/config.py: green at 0.7 or more, amber below).
CONFIDENT_COLOUR = discord.Colour.green()
UNSURE_COLOUR = discord.Colour(0xFFB000)  # amber
LEVEL_COLOURS = {"high": CONFIDENT_COLOUR, "medium": UNSURE_COLOUR, "low": UNSURE_COLOUR}
NOT_FOUND_COLOUR = discord.Colour.light_grey()
INFO_COLOUR = discord.Colour.blurple()

_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s)")
_SENTENCE_START = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=\S)")


# --- text ---------------------------------------------------------------------------------------


def squash(text: str) -> str:
    """One line: runs of whitespace (newlines included) become one space."""
    return " ".join(text.split())


def shorten(text: str, limit: int) -> str:
    """`text` on one line, at most `limit` characters; cut at a sentence or word boundary + '…'."""
    text = squash(text)
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    window = text[: limit - 1]
    # A sentence boundary if it keeps at least half the room; a quote should end where a thought does.
    ends = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() <= limit - 2]
    if ends and ends[-1] >= limit // 2:
        return text[: ends[-1]] + " " + ELLIPSIS
    cut = window.rsplit(" ", 1)[0] if " " in window else window
    if len(cut) < limit // 2:  # one very long word: cut inside it rather than lose most of the room
        cut = window
    return cut.rstrip(" ,;:-–—") + ELLIPSIS


def shorten_left(text: str, limit: int) -> str:
    """Like `shorten`, but keeps the end of `text`: '…' + the last sentences or words."""
    text = squash(text)
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    window = text[len(text) - (limit - 1) :]
    starts = [m.end() for m in _SENTENCE_START.finditer(window)]
    starts = [s for s in starts if len(window) - s >= limit // 2]
    if starts:
        return ELLIPSIS + " " + window[starts[0] :] if len(window) - starts[0] <= limit - 2 else ELLIPSIS + window
    if " " in window:
        rest = window.split(" ", 1)[1]
        if len(rest) >= limit // 2:
            return ELLIPSIS + rest
    return ELLIPSIS + window


def escape(text: str) -> str:
    """Discord markdown escaped, so article text shows as written (links are left clickable)."""
    return discord.utils.escape_markdown(text)


def fit(text: str, limit: int, cut: Callable[[str, int], str] = shorten) -> str:
    """`text` escaped for Discord markdown and shortened by `cut` (its end; `shorten_left`: its
    start) so that the escaped result fits `limit`."""
    budget = limit
    while budget > 0:
        out = escape(cut(text, budget))
        if len(out) <= limit:
            return out
        budget -= len(out) - limit
    return ""


def highlight(text: str, start: int, end: int, limit: int) -> str:
    """`text` escaped, with `text[start:end]` in bold, cut around that span to fit `limit`."""
    if not 0 <= start < end <= len(text) or not text[start:end].strip():
        return fit(text, limit)
    before, span, after = text[:start], text[start:end], text[end:]
    bold = "**" + fit(span, max(1, limit // 2 - 4)) + "**"
    sep_left = " " if before[-1:].isspace() or span[:1].isspace() else ""
    sep_right = " " if after[:1].isspace() or span[-1:].isspace() else ""
    room = limit - len(bold) - len(sep_left) - len(sep_right)
    whole_before, whole_after = fit(before, len(before) * 2 + 1), fit(after, len(after) * 2 + 1)
    if len(whole_before) + len(whole_after) <= room:
        left, right = whole_before, whole_after
    else:
        # Keep more of what follows the answer: it usually finishes the sentence.
        before_room = min(len(whole_before), max(room // 3, room - len(whole_after)))
        left = fit(before, before_room, shorten_left) if before_room > 0 else ""
        right = fit(after, room - len(left)) if room - len(left) > 0 else ""
    if not left:
        sep_left = ""
    if not right:
        sep_right = ""
    return left + sep_left + bold + sep_right + right


def _safe_url(url: str | None) -> str | None:
    """An http(s) link that can go inside a markdown link, or None."""
    if not url or not url.startswith(("http://", "https://")) or len(url) > 512:
        return None
    if any(c.isspace() for c in url) or not url.isprintable():  # no escape sequence, override or zero-width character
        return None
    return url.replace("(", "%28").replace(")", "%29")


def link(title: str, url: str | None, limit: int) -> str:
    """The title as a markdown link when there is a usable URL; the whole result fits `limit`."""
    safe = _safe_url(url)
    if safe is None:
        return fit(title, limit)
    text = fit(title, limit - len(safe) - 4).replace("[", "\\[").replace("]", "\\]")
    if len(text) + len(safe) + 4 > limit or not text:
        return fit(title, limit)
    return f"[{text}]({safe})"


def source_line(number: int, citations: Sequence[Citation], limit: int) -> str:
    """'[1] Title · 2024-11-11 · ¶2, ¶10' for the passages of one article, the title linked when it has a URL."""
    first = citations[0]
    paragraphs = ", ".join(f"¶{n}" for n in dict.fromkeys(c.paragraph for c in citations))
    tail = f" · {first.published or 'undated'} · {paragraphs}"
    head = f"`[{number}]` "
    if len(tail) > limit // 2:  # hundreds of paragraphs of one article: say how many instead
        tail = f" · {first.published or 'undated'} · {len(citations)} paragraphs"
    return head + link(first.title, first.url, limit - len(head) - len(tail)) + tail


def confidence_footer(confidence: float) -> str:
    """The footer of an answer: its confidence alone, 'Low confidence' under the fitted `levels().low`."""
    label = "Low confidence" if confidence_level(confidence) == "low" else "Confidence"
    return f"{label} {confidence:.0%}"


def code(text: str, limit: int) -> str:
    """`text` (a file name, an article id) as inline code, cut to `limit`: a backtick can't be
    escaped inside one, so it is shown as U+02CB (ˋ) and can end nothing early; characters that are
    not printable (direction overrides, zero-width ones) are shown escaped."""
    return "`" + clip(printable(text).replace("`", "\u02cb"), limit) + "`"


def clip(text: str, limit: int) -> str:
    """Already-escaped text cut to `limit` (for text we composed ourselves, e.g. lists of names)."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


# --- answers ------------------------------------------------------------------------------------


def answer_embed(answer: Answer) -> discord.Embed:
    """The embed for one answer: bold answer, quoted sentence, numbered sources; its colour and
    footer say how confident it is."""
    if not answer.found:
        return not_found_embed(answer)
    title = fit(answer.question, TITLE_LIMIT) or "Answer"
    parts = [f"**{fit(answer.answer or '', ANSWER_BUDGET)}**"]
    if read_as := _read_as(answer):
        parts.insert(0, read_as)
    if answer.sentence and squash(answer.sentence) != squash(answer.answer or ""):
        parts.append("> " + fit(answer.sentence, SENTENCE_BUDGET))
    if answer.note:
        parts.append("*" + fit(answer.note, NOTE_BUDGET) + "*")
    colour = LEVEL_COLOURS[confidence_level(answer.confidence)]
    embed = discord.Embed(title=title, description="\n".join(parts), colour=colour)
    if answer.citations:
        embed.add_field(name="Sources", value=_numbered(answer.citations), inline=False)
    embed.set_footer(text=confidence_footer(answer.confidence))
    return embed


def not_found_embed(answer: Answer) -> discord.Embed:
    """'Not found in the articles', with the closest passages as hints."""
    note = answer.note or "The articles don't answer this question."
    description = f"{fit(note, NOTE_BUDGET)}\nYou asked: *{fit(answer.question, ANSWER_BUDGET)}*"
    if read_as := _read_as(answer):
        description += "\n" + read_as
    embed = discord.Embed(title=NOT_FOUND_TITLE, description=description, colour=NOT_FOUND_COLOUR)
    if answer.hints:
        shown = answer.hints[:MAX_SOURCES]
        each = FIELD_VALUE_LIMIT // len(shown) - 1
        lines = []
        for i, hint in enumerate(shown, start=1):
            head = source_line(i, [hint], min(each // 2, 300))
            snippet = "> " + fit(hint.passage_text, max(10, each - len(head) - 3))
            lines.append(head + "\n" + snippet)
        embed.add_field(name="Closest passages", value=clip("\n".join(lines), FIELD_VALUE_LIMIT), inline=False)
        embed.set_footer(text="These passages are the nearest the articles come; they may not answer it.")
    return embed


def _read_as(answer: Answer) -> str | None:
    """'*read as: What did Dmitry Peskov call the reports?*' for a follow-up that was rewritten."""
    if isinstance(answer, ChatAnswer) and answer.rewritten:
        return f"*{READ_AS_PREFIX}{fit(answer.resolved_question, READ_AS_BUDGET)}*"
    return None


# --- reading our own answers back (a reply continues the conversation they are part of) ----------------

NOT_FOUND_TITLE = "Not found in the articles"
READ_AS_PREFIX = "read as: "
_CONFIDENCE_FOOTER = re.compile(r"(?:Low confidence|Confidence) \d+%")
_BOLD_LINE = re.compile(r"\*\*(.*)\*\*")
_ITALIC_LINE = re.compile(r"\*(.*)\*")
_YOU_ASKED = re.compile(r"You asked: \*(.*)\*")


def unescape(text: str) -> str:
    """The text `escape` escaped: each backslash-escaped character as itself."""
    return re.sub(r"\\(.)", r"\1", text)


def exchange_of(embed: discord.Embed) -> tuple[str, str, str | None] | None:
    """(question, the question it was read as, answer or None) from one of our answer embeds; None for
    any other embed. The inverse of `answer_embed`, up to what was cut to fit Discord's limits."""
    lines = (embed.description or "").split("\n")
    read_as = next((m.group(1) for line in lines if (m := _ITALIC_LINE.fullmatch(line))
                    and m.group(1).startswith(READ_AS_PREFIX)), None)
    resolved = unescape(read_as[len(READ_AS_PREFIX) :]) if read_as else None
    if embed.title == NOT_FOUND_TITLE:
        asked = next((m.group(1) for line in lines if (m := _YOU_ASKED.fullmatch(line))), None)
        if asked is None:
            return None
        question = unescape(asked)
        return question, resolved or question, None
    if not embed.title or not _CONFIDENCE_FOOTER.fullmatch(embed.footer.text or ""):
        return None
    answer = next((m.group(1) for line in lines if (m := _BOLD_LINE.fullmatch(line))), None)
    if answer is None:
        return None
    question = unescape(embed.title)
    return question, resolved or question, unescape(answer)


def _numbered(citations: Sequence[Citation]) -> str:
    """One numbered line per cited article, its paragraphs together."""
    groups = group_by_article(list(citations))
    shown = groups[:MAX_SOURCES]
    more = len(groups) - len(shown)
    tail = f"\n…and {more} more" if more else ""
    each = (FIELD_VALUE_LIMIT - len(tail)) // len(shown) - 1
    lines = [source_line(i, group, each) for i, group in enumerate(shown, start=1)]
    return clip("\n".join(lines) + tail, FIELD_VALUE_LIMIT)


def passage_embeds(answer: Answer) -> list[discord.Embed]:
    """The cited passages in full (the hints when there is no answer), the answer in bold.

    One embed per passage, all of them together within Discord's 6000 characters per message.
    """
    return citation_embeds(answer.citations if answer.found else answer.hints, marked=answer.found)


def citation_embeds(citations: Sequence[Citation], marked: bool) -> list[discord.Embed]:
    """Passages in full, one embed each; with `marked`, each citation's `[start, end)` in bold."""
    citations = list(citations)[:MAX_SOURCES]
    if not citations:
        return [discord.Embed(description="No passages to show.", colour=INFO_COLOUR)]
    embeds: list[discord.Embed] = []
    for i, citation in enumerate(citations, start=1):
        embed = discord.Embed(
            title=fit(f"[{i}] {citation.title}", TITLE_LIMIT), url=_safe_url(citation.url), colour=INFO_COLOUR
        )
        date = citation.published or "undated"
        embed.set_footer(text=clip(f"{date} · paragraph {citation.paragraph} · {citation.passage_id}", 200))
        embeds.append(embed)
    fixed = sum(len(e) for e in embeds)
    room = (EMBED_TOTAL_LIMIT - 100 - fixed) // len(embeds)
    each = min(DESCRIPTION_LIMIT, room)
    for embed, citation in zip(embeds, citations):
        if marked:
            embed.description = highlight(citation.passage_text, citation.start, citation.end, each)
        else:
            embed.description = fit(citation.passage_text, each)
    return embeds


# --- sources ------------------------------------------------------------------------------------


def sources_pages(infos: Sequence[ArticleInfo], per_page: int = SOURCES_PER_PAGE) -> list[discord.Embed]:
    """`/sources` as pages of at most `per_page` articles each, with 'Page k of n'."""
    if not infos:
        return [discord.Embed(title="No articles indexed", description="The corpus folder has no readable articles.")]
    total_passages = sum(i.passages for i in infos)
    pages = math.ceil(len(infos) / per_page)
    embeds = []
    for page in range(pages):
        chunk = infos[page * per_page : (page + 1) * per_page]
        lines = []
        for n, info in enumerate(chunk, start=page * per_page + 1):
            meta = f"{info.published or 'undated'} · {info.passages} passages · {code(info.id, 80)}"
            lines.append(f"**{n}.** {link(info.title, info.url, 250)}\n{meta}")
        embed = discord.Embed(
            title=f"Indexed articles: {len(infos)}", description="\n".join(lines), colour=INFO_COLOUR
        )
        embed.set_footer(text=f"Page {page + 1} of {pages} · {total_passages} passages in all")
        embeds.append(embed)
    return embeds


# --- index reports and short messages -----------------------------------------------------------


def report_text(report: IndexReport, headline: str) -> str:
    """What a re-index changed, as message text within 2000 characters."""
    counts = (
        f"{len(report.added)} added, {len(report.updated)} updated, {len(report.removed)} removed, "
        f"{len(report.unchanged)} unchanged ({report.seconds:.2f} s)"
    )
    lines = [f"{headline} {counts}."]
    for label, ids in (("Added", report.added), ("Updated", report.updated), ("Removed", report.removed)):
        if ids:
            lines.append(f"{label}: " + ", ".join(code(i, 100) for i in ids[:10]) + (" …" if len(ids) > 10 else ""))
    for skipped in report.skipped[:5]:
        lines.append(f"Skipped {code(skipped.path, 100)}: {fit(skipped.reason, 200)}")
    if len(report.skipped) > 5:
        lines.append(f"…and {len(report.skipped) - 5} more skipped files.")
    return clip("\n".join(lines), CONTENT_LIMIT)


def message_text(text: str) -> str:
    """Plain text from us or the engine (an error message), escaped and within 2000 characters."""
    return fit(text, CONTENT_LIMIT)
