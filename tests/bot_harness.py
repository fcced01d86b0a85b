"""Run the real bot (bot.app.serve) against the Discord double, with a time limit and a clean ending."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from discord.gateway import DiscordWebSocket
from discord.http import Route
from discord_double import DiscordDouble

from bot.app import serve
from bot.settings import BotSettings
from retrieval.engine import Engine

TEST_TIMEOUT = 30.0


@dataclass
class Running:
    double: DiscordDouble
    engine: Engine
    settings: BotSettings
    logs: list[logging.LogRecord]


class _Collect(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(level=logging.DEBUG)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _is_ready(records: list[logging.LogRecord]) -> bool:
    return any(r.name == "bot.client" and r.getMessage().startswith("logged in as") for r in records)


def log_text(records: list[logging.LogRecord]) -> str:
    """Everything the log says, tracebacks included, as a handler would write it."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(r) for r in records)


def quiet_payload_problems(double: DiscordDouble) -> list[str]:
    """Every message the bot sent must carry allowed_mentions that ping nobody."""
    problems = []
    for sent in double.sent:
        mentions = sent.payload.get("allowed_mentions")
        if mentions is None or mentions.get("parse") != [] or mentions.get("users") or mentions.get("roles") \
                or mentions.get("replied_user"):
            problems.append(f"{sent.route}: allowed_mentions={mentions}")
    return problems


@asynccontextmanager
async def running_bot(
    corpus: Path, engine: Engine | None = None, double: DiscordDouble | None = None, **settings: Any
) -> AsyncIterator[Running]:
    """The bot logged in to the double, commands synced to the double's guild, shard(s) connected.

    On the way out: the bot is closed, the double stopped, discord.py's endpoints restored, and the
    run is checked: nothing rejected by the double, nothing that could ping, the token in no log.
    """
    double = double or DiscordDouble()
    await double.start()
    options = dict(
        _env_file=None, discord_token=double.token, corpus_dir=corpus, dev_guild_id=double.guild_id,
        discord_api_base=double.api_base, discord_gateway=double.gateway_url, ask_cooldown_seconds=0,
        reindex_interval_seconds=0,
    )
    options.update(settings)
    bot_settings = BotSettings(**options)
    engine = engine or Engine.open(corpus)
    records: list[logging.LogRecord] = []
    handler = _Collect(records)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    saved = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    task = asyncio.create_task(serve(bot_settings, engine, guild_ready_timeout=0.05))
    try:
        # Ready means on_ready ran: closing before that leaves discord.py dispatching into a closed client.
        await double.wait_for(lambda: _is_ready(records) or task.done(), timeout=10, what="the bot to be ready")
        if task.done():
            task.result()
        yield Running(double, engine, bot_settings, records)
    finally:
        task.cancel()
        try:
            await asyncio.wait_for(task, timeout=10)
        except asyncio.CancelledError:
            pass
        await double.close()
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved
        root.removeHandler(handler)
        root.setLevel(old_level)
    assert double.token not in log_text(records), "the bot token appeared in the log"
    assert not any(double.token in str(s.payload) for s in double.sent), "the bot token appeared in a message"
    assert not quiet_payload_problems(double), quiet_payload_problems(double)
    assert not double.unhandled, f"the bot called routes the double does not know: {double.unhandled}"


def run(scenario: Callable[[], Awaitable[None]], timeout: float = TEST_TIMEOUT) -> None:
    """Run an async test scenario in a fresh event loop, failing after `timeout` seconds.

    asyncio.run shuts the loop's worker threads down; afterwards no thread the scenario started may be left.
    """
    before = set(threading.enumerate())

    async def bounded() -> None:
        await asyncio.wait_for(scenario(), timeout)

    asyncio.run(bounded())
    for thread in threading.enumerate():
        if thread not in before:
            thread.join(timeout=5)  # e.g. discord.py's heartbeat thread, told to stop on close
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not left, f"threads left running: {left}"
