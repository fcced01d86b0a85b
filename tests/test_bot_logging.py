"""What the bot writes to its log at start: plain lines in a file, and no warning about voice it never uses."""

from __future__ import annotations

import logging
from pathlib import Path

import discord
import pytest

from bot import app
from bot.client import NewsqaBot


@pytest.fixture
def root_handlers():  # noqa: ANN201 - a generator fixture
    """The handlers `newsqa discord` adds to the root logger are removed after the test."""
    before = list(logging.getLogger().handlers)
    level = logging.getLogger().level
    yield
    for handler in logging.getLogger().handlers:
        if handler not in before:
            logging.getLogger().removeHandler(handler)
    logging.getLogger().setLevel(level)


def test_a_bot_start_logs_plain_lines_and_no_voice_warning(
    seed_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    root_handlers: None,
) -> None:
    # As in a container whose output goes to a log file: not a terminal, but discord.py's own check says
    # "colour" inside Docker. With NO_COLOR=1 (or any file) the log must hold no escape codes.
    monkeypatch.chdir(tmp_path)  # no developer's .env
    monkeypatch.setenv("DISCORD_TOKEN", "MTIz.not-a-real-token")
    monkeypatch.setenv("NEWSQA_INDEX_DIR", str(tmp_path / "idx"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setattr(discord.utils, "is_docker", lambda: True)
    # Without PyNaCl and davey installed, discord.py warns once per process: make this test the first.
    monkeypatch.setattr(discord.VoiceClient, "warn_nacl", True)
    monkeypatch.setattr(discord.VoiceClient, "warn_dave", True)

    async def logged_in(self: NewsqaBot, token: str, **_kwargs: object) -> None:
        logging.getLogger("bot.client").info("logged in as newsqa (a stand-in for Discord)")

    monkeypatch.setattr(NewsqaBot, "start", logged_in)
    assert app.run(corpus=seed_corpus) == 0
    log = capsys.readouterr().err
    assert "logged in as newsqa (a stand-in for Discord)" in log
    assert "\x1b[" not in log
    assert "PyNaCl" not in log and "davey" not in log
    assert "] [INFO    ] bot.client: logged in as newsqa" in log
