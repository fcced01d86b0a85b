"""Starting the bot: settings, the engine, Discord endpoints, and the run loop."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.client import create_bot
from bot.settings import BotSettings, load_settings
from retrieval.cli.render import use_colour
from retrieval.engine import Engine
from retrieval.errors import NewsqaError

log = logging.getLogger(__name__)


def use_endpoints(api_base: str | None, gateway: str | None) -> None:
    """Point discord.py at another REST base and gateway (a local double in tests); None keeps Discord's."""
    if api_base:
        Route.BASE = api_base.rstrip("/")
    if gateway:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)


# discord.py's own format, without its colours.
LOG_FORMAT = logging.Formatter("[{asctime}] [{levelname:<8}] {name}: {message}", "%Y-%m-%d %H:%M:%S", style="{")


def setup_logging(stream: TextIO | None = None) -> None:
    """The bot's log on standard error (or `stream`), at INFO.

    Coloured only on a terminal without NO_COLOR, the rule the command line follows: discord.py's own
    choice also colours any stream inside a container, so a log file or `docker logs` held escape codes.
    """
    handler = logging.StreamHandler(stream)
    if use_colour(handler.stream):
        discord.utils.setup_logging(handler=handler, level=logging.INFO)  # discord.py's coloured format
    else:
        discord.utils.setup_logging(handler=handler, formatter=LOG_FORMAT, level=logging.INFO)


def no_voice_warnings() -> None:
    """newsqa never joins a voice channel: no "PyNaCl / davey is not installed" warning at every start."""
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False


async def serve(settings: BotSettings, engine: Engine, **client_options: object) -> None:
    """Log in and run until the bot is closed or the task is cancelled."""
    token = settings.token()
    use_endpoints(settings.discord_api_base, settings.discord_gateway)
    no_voice_warnings()
    bot = create_bot(settings, engine, **client_options)
    async with bot:
        try:
            await bot.start(token)
        except discord.LoginFailure as exc:
            raise NewsqaError(
                "Discord rejected the bot token: copy a fresh one from the Developer Portal "
                "(your application → Bot → Reset Token) into DISCORD_TOKEN"
            ) from exc
        except discord.PrivilegedIntentsRequired as exc:  # not expected with Intents.default()
            raise NewsqaError("Discord refused an intent the bot asked for; see docs/discord.md") from exc


def run(corpus: Path | None = None, index_dir: Path | None = None) -> int:
    """`newsqa discord` and `python -m bot`: read settings, open the corpus, run the bot.

    `corpus` and `index_dir` (the command line's --corpus and --index-dir) override the settings.
    """
    overrides: dict[str, object] = {}
    if corpus is not None:
        overrides["corpus_dir"] = corpus
    if index_dir is not None:
        overrides["index_dir"] = index_dir
    settings = load_settings(**overrides)
    settings.token()  # no token: say how to get one before reading any article
    setup_logging()
    engine = Engine.open(settings.corpus_dir, settings.index_dir)
    for note in engine.last_report.notes:
        log.warning("%s", note)
    if engine.skipped:
        log.warning("%d files skipped; 'newsqa index' says why", len(engine.skipped))
    if settings.discord_api_base or settings.discord_gateway:
        log.warning("using a non-Discord API (NEWSQA_DISCORD_API_BASE / NEWSQA_DISCORD_GATEWAY): for testing only")
    try:
        asyncio.run(serve(settings, engine))
    except KeyboardInterrupt:
        pass
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m bot`: the same as `newsqa discord`."""
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Run the newsqa Discord bot. Settings come from the environment and .env (see .env.example).",
    )
    parser.add_argument("--corpus", metavar="DIR", type=Path, default=None, help="folder of articles; default: $NEWSQA_CORPUS_DIR")
    parser.add_argument("--index-dir", metavar="DIR", type=Path, default=None, help="where the saved index lives; default: $NEWSQA_INDEX_DIR")
    args = parser.parse_args(argv)
    try:
        return run(args.corpus, args.index_dir)
    except NewsqaError as exc:
        print(f"newsqa discord: error: {exc}", file=sys.stderr)
        return exc.exit_code
