"""Asking: `/ask`, questions addressed to the bot by mentioning it, and `/sources`."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import AskCooldown
from bot.conversation import chain_turns
from bot.replies import NO_MENTIONS, OOPS
from bot.render import answer_embed, message_text, sources_pages
from bot.views import PagesView, PassagesView, passages_view
from retrieval.conversation import Conversation, chat_answer

if TYPE_CHECKING:
    from bot.client import NewsqaBot

log = logging.getLogger(__name__)

QUESTION_MAX_LENGTH = 500
MENTION_HELP = "Ask me about the articles after the mention, for example: {mention} when was the last Putin–Biden call?"


def ask_cooldown(interaction: discord.Interaction[NewsqaBot]) -> bool:
    """An app-command check: one question per cooldown period per user."""
    interaction.client.cooldown.check(interaction.user.id)
    return True


def question_from_mention(content: str, bot_id: int) -> str:
    """The message without the mentions of the bot: the question it asks."""
    return " ".join(re.sub(rf"<@!?{bot_id}>", " ", content).split())


class QuestionsCog(commands.Cog):
    """Questions and the list of sources, open to everyone."""

    def __init__(self, bot: NewsqaBot) -> None:
        self.bot = bot

    @app_commands.command(name="ask", description="Ask a question about the articles; the answer cites its sources.")
    @app_commands.describe(question="What do you want to know? For example: when was the last Putin–Biden call?")
    @app_commands.check(ask_cooldown)
    async def ask(
        self, interaction: discord.Interaction[NewsqaBot], question: app_commands.Range[str, 1, QUESTION_MAX_LENGTH]
    ) -> None:
        # The first response must come within 3 seconds; the answer may take longer.
        await interaction.response.defer(thinking=True)
        answer = await self.bot.answer(question)
        view = passages_view(answer, timeout=self.bot.settings.button_timeout_seconds)
        message = await interaction.followup.send(
            embed=answer_embed(answer), view=view or discord.utils.MISSING, allowed_mentions=NO_MENTIONS, wait=True
        )
        if isinstance(view, PassagesView):
            view.message = message

    @app_commands.command(name="sources", description="List the articles the bot answers from.")
    async def sources(self, interaction: discord.Interaction[NewsqaBot]) -> None:
        pages = sources_pages(self.bot.engine.sources())
        if len(pages) == 1:
            await interaction.response.send_message(embed=pages[0], ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        view = PagesView(pages, owner_id=interaction.user.id, timeout=self.bot.settings.button_timeout_seconds)
        await interaction.response.send_message(embed=pages[0], view=view, ephemeral=True, allowed_mentions=NO_MENTIONS)
        view.message = await interaction.original_response()

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """A message that mentions the bot is a question; the reply is the same answer as `/ask`.

        Discord's Reply to one of the bot's answers mentions the bot without writing `<@id>` in the
        text, so the mentions Discord parsed decide, not the text; such a reply continues the
        conversation of the answer it replies to.
        """
        me = self.bot.user
        if me is None or message.author.bot or not any(user.id == me.id for user in message.mentions):
            return
        question = question_from_mention(message.content, me.id)
        try:
            if not question:
                await message.reply(
                    message_text(MENTION_HELP.format(mention=f"@{me.name}")),
                    mention_author=False,
                    allowed_mentions=NO_MENTIONS,
                )
                return
            try:
                self.bot.cooldown.check(message.author.id)
            except AskCooldown as exc:
                await message.reply(str(exc), mention_author=False, allowed_mentions=NO_MENTIONS, delete_after=10)
                return
            async with message.channel.typing():
                question = question[:QUESTION_MAX_LENGTH]
                conversation = Conversation(await chain_turns(message, me.id))
                answer = conversation.unfounded(question)
                if answer is None:
                    resolved = conversation.resolve(question)
                    answer = chat_answer(await self.bot.answer(resolved, conversation.topic), question, resolved)
            view = passages_view(answer, timeout=self.bot.settings.button_timeout_seconds)
            sent = await message.reply(
                embed=answer_embed(answer), view=view or discord.utils.MISSING, mention_author=False, allowed_mentions=NO_MENTIONS
            )
            if isinstance(view, PassagesView):
                view.message = sent
        except discord.Forbidden:
            log.warning("no permission to reply in channel %s of guild %s", message.channel.id, message.guild and message.guild.id)
        except Exception:
            log.exception("error answering a mention from user %s", message.author.id)
            try:
                await message.reply(OOPS, mention_author=False, allowed_mentions=NO_MENTIONS)
            except discord.HTTPException:
                pass
