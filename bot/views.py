"""Buttons under the bot's messages: the cited passages in full, and pages of `/sources`."""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.render import passage_embeds
from retrieval.models import Answer

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()


class _View(discord.ui.View):
    """A view whose failures go to the bot's one error handler."""

    message: discord.Message | discord.InteractionMessage | None = None

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]) -> None:
        from bot.client import report_error

        await report_error(interaction, error)

    async def on_timeout(self) -> None:
        # Take the buttons away rather than leave ones that no longer answer.
        if self.message is not None:
            try:
                await self.message.edit(view=None, allowed_mentions=NO_MENTIONS)
            except discord.HTTPException as exc:
                log.debug("could not remove expired buttons: %s", exc)


class PassagesView(_View):
    """'Show passages' under an answer: anyone who presses it sees the cited passages, privately."""

    def __init__(self, answer: Answer, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.answer = answer
        if not (answer.citations or answer.hints):
            self.remove_item(self.show_passages)

    @discord.ui.button(label="Show passages", style=discord.ButtonStyle.secondary, emoji="📄")
    async def show_passages(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await interaction.response.send_message(
            embeds=passage_embeds(self.answer), ephemeral=True, allowed_mentions=NO_MENTIONS
        )


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
