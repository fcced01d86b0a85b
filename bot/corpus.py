"""Changing the corpus: `/reindex` and `/add-article`, for server managers and the bot's owners."""

from __future__ import annotations

import logging
from pathlib import PurePath
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import require_corpus_admin
from bot.replies import NO_MENTIONS
from bot.render import code, report_text
from retrieval.admission import MAX_ARTICLE_BYTES, SUPPORTED_SUFFIXES, UnreadableArticle, check_suffix, safe_file_name
from retrieval.errors import NewsqaError, UsageError
from retrieval.store import IndexLocked

if TYPE_CHECKING:
    from bot.client import NewsqaBot

log = logging.getLogger(__name__)


def check_upload(filename: str, size: int, max_bytes: int) -> None:
    """Refuse, before downloading it, a file that can't be an article: `UsageError` says why.

    The engine's rule (`retrieval.admission`) decides the type; the bot's own limit may be lower."""
    name = PurePath(filename).name
    try:
        check_suffix(name)
    except UnreadableArticle as exc:
        raise UsageError(f"{name} is not an article file: attach a {', '.join(SUPPORTED_SUFFIXES)} file.") from exc
    limit = min(max_bytes, MAX_ARTICLE_BYTES)
    if size > limit:
        raise UsageError(f"{name} is {size:,} bytes; the limit is {limit:,} bytes.")


def in_user_terms(error: NewsqaError, action: str) -> NewsqaError:
    """What an admin is told when `action` failed: what happened, without server paths or process
    ids (those go to the log). A refusal of their own upload is already in their terms."""
    if isinstance(error, UsageError):
        return error
    log.warning("%s failed: %s", action, error)
    if isinstance(error, IndexLocked):
        return NewsqaError("Another re-index is running right now; try again in a minute.")
    return NewsqaError(f"The {action} did not complete; the previous index is still in use and the details are in the bot's log.")


class CorpusCog(commands.Cog):
    """Re-index and upload; refused for everyone but managers and owners, whatever Discord shows."""

    def __init__(self, bot: NewsqaBot) -> None:
        self.bot = bot

    @app_commands.command(name="reindex", description="Re-read the article folder and index what changed.")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.check(require_corpus_admin)
    async def reindex(self, interaction: discord.Interaction[NewsqaBot]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            report = await self.bot.refresh_index()
        except NewsqaError as exc:
            raise in_user_terms(exc, "re-index") from exc
        log.info("user %s re-indexed: %s", interaction.user.id, report.model_dump(exclude={"unchanged"}))
        await interaction.followup.send(
            report_text(report, "Re-indexed:"), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @app_commands.command(name="add-article", description=f"Add an article file ({', '.join(SUPPORTED_SUFFIXES)}) to the corpus and index it.")
    @app_commands.describe(file="The article as a UTF-8 text or Markdown file")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.check(require_corpus_admin)
    async def add_article(self, interaction: discord.Interaction[NewsqaBot], file: discord.Attachment) -> None:
        check_upload(file.filename, file.size, self.bot.settings.max_upload_bytes)
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await file.read()
        check_upload(file.filename, len(data), self.bot.settings.max_upload_bytes)
        try:
            report = await self.bot.add_article(file.filename, data)
        except NewsqaError as exc:
            raise in_user_terms(exc, "upload") from exc
        name = safe_file_name(file.filename)
        log.info("user %s added %s (%d bytes)", interaction.user.id, name, len(data))
        if report.added or report.updated:
            headline = f"Added {code(name, 200)}; it can be asked about now. Re-indexed:"
        else:
            headline = f"Stored {code(name, 200)}, but no new article text was indexed. Re-indexed:"
        await interaction.followup.send(report_text(report, headline), ephemeral=True, allowed_mentions=NO_MENTIONS)
