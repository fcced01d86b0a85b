"""Buttons under the bot's messages: the cited passages in full, and pages of `/sources`."""

from __future__ import annotations

import logging
import re
import zlib
from typing import TYPE_CHECKING, Any, cast

import discord

from bot.render import INFO_COLOUR, MAX_SOURCES, citation_embeds, passage_embeds
from bot.replies import NO_MENTIONS, report_error
from retrieval.models import Answer

if TYPE_CHECKING:
    from bot.client import NewsqaBot
    from retrieval.engine import Engine

log = logging.getLogger(__name__)


class _View(discord.ui.View):
    """A view whose failures go to the bot's one error handler."""

    message: discord.Message | discord.InteractionMessage | None = None

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]) -> None:
        await report_error(interaction, error)

    async def on_timeout(self) -> None:
        # Take the buttons away rather than leave ones that no longer answer.
        if self.message is not None:
            try:
                await self.message.edit(view=None, allowed_mentions=NO_MENTIONS)
            except discord.HTTPException as exc:
                log.debug("could not remove expired buttons: %s", exc)


PASSAGES_ID_PREFIX = "newsqa:passages:"
CUSTOM_ID_LIMIT = 100  # Discord's limit on a button's custom_id


def _text_tag(text: str) -> str:
    """Four hex digits of the passage text's CRC-32: tells a passage changed since the answer."""
    return format(zlib.crc32(text.encode("utf-8")) & 0xFFFF, "04x")


def passages_custom_id(answer: Answer) -> str | None:
    """The 'Show passages' button's custom_id: which passages to show, as many as fit in 100 characters.

    It carries everything the button needs, so the button keeps working after the bot restarts:
    `newsqa:passages:` then `a` (an answer: mark the span) or `h` (hints), then per passage
    `<start>,<end>,<tag>,<length of id>:<id>`. None when not even the first passage fits.
    """
    citations = (answer.citations if answer.found else answer.hints)[:MAX_SOURCES]
    custom_id = PASSAGES_ID_PREFIX + ("a" if answer.found else "h")
    added = 0
    for c in citations:
        start, end = (c.start, c.end) if answer.found else (0, 0)
        ref = f"{start},{end},{_text_tag(c.passage_text)},{len(c.passage_id)}:{c.passage_id}"
        if len(custom_id) + len(ref) > CUSTOM_ID_LIMIT:
            break
        custom_id += ref
        added += 1
    return custom_id if added else None


_REF = re.compile(r"(\d+),(\d+),([0-9a-f]{4}),(\d+):")


def parse_passages_custom_id(custom_id: str) -> tuple[bool, list[tuple[str, int, int, str]]] | None:
    """(marked, [(passage id, start, end, tag), ...]) from a custom_id; None when it is not one of ours."""
    if not custom_id.startswith(PASSAGES_ID_PREFIX) or len(custom_id) <= len(PASSAGES_ID_PREFIX):
        return None
    kind, rest = custom_id[len(PASSAGES_ID_PREFIX)], custom_id[len(PASSAGES_ID_PREFIX) + 1 :]
    if kind not in "ah":
        return None
    refs: list[tuple[str, int, int, str]] = []
    while rest:
        m = _REF.match(rest)
        if m is None:
            return None
        size = int(m.group(4))
        pid = rest[m.end() : m.end() + size]
        if len(pid) != size or not pid:
            return None
        refs.append((pid, int(m.group(1)), int(m.group(2)), m.group(3)))
        rest = rest[m.end() + size :]
    return (kind == "a", refs) if refs else None


class ShowPassagesButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=re.escape(PASSAGES_ID_PREFIX) + r"[ah].+"):
    """'Show passages' under an answer: anyone who presses it sees the cited passages, privately.

    A dynamic item: discord.py routes every press with a matching custom_id here, so buttons under
    answers sent before a restart still work. The passages are looked up in the index as it is now.
    """

    def __init__(self, custom_id: str) -> None:
        super().__init__(
            discord.ui.Button(label="Show passages", style=discord.ButtonStyle.secondary, emoji="📄", custom_id=custom_id)
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ShowPassagesButton:
        return cls(match.group(0))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await interaction.response.send_message(
                # discord.py types an item's callback for any client; this one is always ours.
                embeds=self.embeds(cast("NewsqaBot", interaction.client).engine),
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )
        except Exception as exc:  # a dynamic item's errors would only reach discord.py's log
            await report_error(interaction, exc)

    def embeds(self, engine: Engine) -> list[discord.Embed]:
        parsed = parse_passages_custom_id(self.custom_id)
        if parsed is None:
            return [discord.Embed(description="This button is not one of mine.", colour=INFO_COLOUR)]
        marked, refs = parsed
        citations = []
        for pid, start, end, tag in refs:
            c = engine.cite(pid, start, end)
            if c is not None and _text_tag(c.passage_text) == tag:
                citations.append(c)
        if not citations:
            return [discord.Embed(description=PASSAGES_GONE, colour=INFO_COLOUR)]
        return citation_embeds(citations, marked=marked)


PASSAGES_GONE = "These passages have changed or were removed since this answer: ask again for a fresh one."


class PassagesView(_View):
    """'Show passages' held in this process's memory, for the rare answer whose first passage id is
    too long to travel in a custom_id: it stops working after `timeout` or a restart."""

    def __init__(self, answer: Answer, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.answer = answer

    @discord.ui.button(label="Show passages", style=discord.ButtonStyle.secondary, emoji="📄")
    async def show_passages(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await interaction.response.send_message(
            embeds=passage_embeds(self.answer), ephemeral=True, allowed_mentions=NO_MENTIONS
        )


def passages_view(answer: Answer, timeout: float) -> discord.ui.View | None:
    """The buttons under an answer: 'Show passages' when it cites anything, else none.

    The button outlives the bot's process when its passages fit in a custom_id (nearly always).
    """
    if not (answer.citations or answer.hints):
        return None
    custom_id = passages_custom_id(answer)
    if custom_id is None:
        return PassagesView(answer, timeout)
    view = discord.ui.View(timeout=None)
    view.add_item(ShowPassagesButton(custom_id))
    return view


class PagesView(_View):
    """Previous / next through a list of embeds, for the member who asked for it."""

    def __init__(self, pages: list[discord.Embed], owner_id: int, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.pages = pages
        self.owner_id = owner_id
        self.page = 0
        self._update_buttons()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                "These pages belong to someone else: use /sources for your own.",
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )
            return False
        return True

    def _update_buttons(self) -> None:
        self.previous_page.disabled = self.page == 0
        self.next_page.disabled = self.page >= len(self.pages) - 1

    async def _show(self, interaction: discord.Interaction) -> None:
        self._update_buttons()
        await interaction.response.edit_message(embed=self.pages[self.page], view=self, allowed_mentions=NO_MENTIONS)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous_page(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        self.page = max(0, self.page - 1)
        await self._show(interaction)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next_page(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        self.page = min(len(self.pages) - 1, self.page + 1)
        await self._show(interaction)
