"""The Discord client: a `commands.Bot` with the engine passed in, its cogs, and its life cycle."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import Cooldown
from bot.corpus import CorpusCog
from bot.questions import QuestionsCog
from bot.replies import NO_MENTIONS, report_error
from bot.settings import BotSettings
from bot.views import ShowPassagesButton
from retrieval.engine import Engine
from retrieval.models import Answer, IndexReport

log = logging.getLogger(__name__)

# Threads that answer questions. Answering is mostly Python holding the GIL, so more threads add no
# throughput, only contenders that the event loop queues behind for the GIL: with asyncio.to_thread's
# pool (6 threads on 2 CPUs) 50 questions during a re-index at 100k passages held the loop up to
# 99 ms, with 2 threads up to 36 ms, in the same time for all 50 (bench/RESULTS.md).
ANSWER_THREADS = 2


class NewsqaTree(app_commands.CommandTree["NewsqaBot"]):
    """The command tree whose `on_error` is the bot's one error handler."""

    async def on_error(self, interaction: discord.Interaction[NewsqaBot], error: app_commands.AppCommandError) -> None:
        await report_error(interaction, error)


class NewsqaBot(commands.Bot):
    """Answers questions about the articles in one corpus folder, through slash commands and mentions."""

    def __init__(self, settings: BotSettings, engine: Engine, **options: Any) -> None:
        options.setdefault("shard_count", settings.shard_count)
        if settings.shard_ids:
            options.setdefault("shard_ids", list(settings.shard_ids))
        super().__init__(
            # No prefix commands (see on_message); a mention is a question, not a command prefix.
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=discord.Intents.default(),
            allowed_mentions=NO_MENTIONS,
            tree_cls=NewsqaTree,
            **options,
        )
        self.settings = settings
        self.engine = engine
        self.cooldown = Cooldown(settings.ask_cooldown_seconds)
        self._poll_task: asyncio.Task[None] | None = None
        self._answer_pool = ThreadPoolExecutor(ANSWER_THREADS, thread_name_prefix="newsqa-answer")

    # --- the engine, off the event loop -------------------------------------------------------

    async def answer(self, question: str, focus: Sequence[str] = ()) -> Answer:
        """The engine's answer, computed in one of the bot's few answering threads; `focus`: the
        articles of the conversation's story."""
        return await asyncio.get_running_loop().run_in_executor(self._answer_pool, self.engine.ask, question, tuple(focus))

    async def refresh_index(self) -> IndexReport:
        """Pick up added, changed and removed articles, in a worker thread; questions keep flowing."""
        return await asyncio.to_thread(self.engine.reindex)

    async def add_article(self, filename: str, data: bytes) -> IndexReport:
        """Store an uploaded article and index it, in a worker thread."""
        return await asyncio.to_thread(self.engine.add_article, filename, data)

    # --- life cycle -----------------------------------------------------------------------------

    async def setup_hook(self) -> None:
        # Presses of 'Show passages' under answers sent by any earlier run of the bot land here too.
        self.add_dynamic_items(ShowPassagesButton)
        await self.add_cog(QuestionsCog(self))
        await self.add_cog(CorpusCog(self))
        await self.sync_commands()
        if self.settings.reindex_interval_seconds > 0:
            self._poll_task = asyncio.create_task(self._poll_corpus(), name="newsqa-reindex-poll")

    async def sync_commands(self) -> None:
        """Slash commands to the dev guild when one is set, globally only when asked to."""
        if self.settings.dev_guild_id:
            guild = discord.Object(id=self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d slash commands to guild %s", len(synced), guild.id)
        elif self.settings.sync_commands_globally:
            synced = await self.tree.sync()
            log.info("synced %d slash commands globally (they can take up to an hour to appear)", len(synced))
        else:
            log.warning(
                "slash commands not synced: set NEWSQA_DEV_GUILD_ID for one guild or "
                "NEWSQA_SYNC_COMMANDS_GLOBALLY=true for all; mentions work either way"
            )

    async def _poll_corpus(self) -> None:
        interval = self.settings.reindex_interval_seconds
        while True:
            await asyncio.sleep(interval)
            try:
                # The cheap check first (names, sizes, times); a `newsqa index --watch` running beside
                # the bot changes the folder too, and the update then just loads its saved index.
                if not await asyncio.to_thread(self.engine.is_stale):
                    continue
                report = await self.refresh_index()
            except Exception:
                log.exception("periodic re-index failed; the previous index stays in use")
            else:
                if report.changed:
                    log.info(
                        "re-indexed: %d added, %d updated, %d removed in %.2f s",
                        len(report.added), len(report.updated), len(report.removed), report.seconds,
                    )

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: questions by mention are handled by the questions cog's listener."""

    async def on_ready(self) -> None:
        infos = self.engine.sources()
        log.info(
            "logged in as %s (id %s) in %d guilds; %d articles, %d passages",
            self.user, self.user.id if self.user else "?", len(self.guilds), len(infos), sum(i.passages for i in infos),
        )

    async def close(self) -> None:
        if self._poll_task is not None:
            self._poll_task.cancel()
            try:
                await self._poll_task
            except asyncio.CancelledError:
                pass
            self._poll_task = None
        await super().close()
        self._answer_pool.shutdown(wait=False)  # a question still being answered finishes on its own


class ShardedNewsqaBot(NewsqaBot, commands.AutoShardedBot):
    """`NewsqaBot` on discord.py's AutoShardedBot, for `NEWSQA_SHARD_COUNT`."""


def create_bot(settings: BotSettings, engine: Engine, **options: Any) -> NewsqaBot:
    """The bot for these settings: sharded when a shard count is set."""
    cls = ShardedNewsqaBot if settings.shard_count else NewsqaBot
    return cls(settings, engine, **options)
