"""Settings from the environment and .env, `.env.example`, and starting the bot from the command line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import BotSettings, load_settings
from retrieval.cli import main as cli_main
from retrieval.errors import UsageError
from tests.helpers import REPO, run_newsqa

SECRET = "MTIz.secret-token-value"


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", SECRET)
    monkeypatch.setenv("NEWSQA_CORPUS_DIR", str(tmp_path))
    monkeypatch.setenv("NEWSQA_DEV_GUILD_ID", "123456789012345678")
    monkeypatch.setenv("NEWSQA_OWNER_IDS", "111, 222")
    monkeypatch.setenv("NEWSQA_ASK_COOLDOWN_SECONDS", "2.5")
    monkeypatch.setenv("NEWSQA_SHARD_COUNT", "4")
    monkeypatch.setenv("NEWSQA_SHARD_IDS", "2,3")
    settings = load_settings(_env_file=None)
    assert settings.token() == SECRET
    assert settings.corpus_dir == tmp_path
    assert settings.dev_guild_id == 123456789012345678
    assert settings.owner_ids == frozenset({111, 222})
    assert settings.ask_cooldown_seconds == 2.5
    assert (settings.shard_count, settings.shard_ids) == (4, (2, 3))
    assert SECRET not in repr(settings) and SECRET not in str(settings.model_dump())


def test_settings_come_from_a_dotenv_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"DISCORD_TOKEN={SECRET}\nNEWSQA_OWNER_IDS=[7, 8]\nSOMETHING_ELSE=ignored\n")
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.token() == SECRET
    assert settings.owner_ids == frozenset({7, 8})


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("NEWSQA_ASK_COOLDOWN_SECONDS", "-1", "bad setting NEWSQA_ASK_COOLDOWN_SECONDS: Input should be greater than or equal to 0"),
        ("NEWSQA_MAX_UPLOAD_BYTES", "999999999999", "bad setting NEWSQA_MAX_UPLOAD_BYTES: Input should be less than or equal to 10485760"),
        ("NEWSQA_DISCORD_API_BASE", "ftp://x", "bad setting NEWSQA_DISCORD_API_BASE: String should match pattern"),
        ("NEWSQA_SHARD_IDS", "1", "bad settings: NEWSQA_SHARD_IDS needs NEWSQA_SHARD_COUNT"),
        ("NEWSQA_OWNER_IDS", "alice", "bad setting NEWSQA_OWNER_IDS: Input should be a valid integer"),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_variable(monkeypatch, key: str, value: str, message: str) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(UsageError) as exc:
        load_settings(_env_file=None)
    assert str(exc.value).startswith(message)
    assert "\n" not in str(exc.value)


def test_no_token_says_how_to_get_one() -> None:
    settings = BotSettings(_env_file=None)
    with pytest.raises(UsageError, match=r"create an application and its bot at https://discord.com/developers"):
        settings.token()
    assert BotSettings(_env_file=None, discord_token="   ").discord_token is None


def test_env_example_documents_every_setting() -> None:
    text = (REPO / ".env.example").read_text()
    keys = re.findall(r"^#?\s*([A-Z_]+)=", text, re.MULTILINE)
    expected = {"DISCORD_TOKEN"} | {f"NEWSQA_{name.upper()}" for name in BotSettings.model_fields if name != "discord_token"}
    assert expected <= set(keys), f"missing from .env.example: {sorted(expected - set(keys))}"
    lines = text.splitlines()
    for key in expected:
        at = next(i for i, line in enumerate(lines) if re.match(rf"^#?\s*{key}=", line))
        assert lines[at - 1].startswith("#") and not re.match(r"^#\s*[A-Z_]+=", lines[at - 1]), f"{key} has no comment"


@pytest.mark.parametrize("command", ["newsqa discord", "python -m bot"])
def test_starting_without_a_token_is_one_line_and_exit_status_2(tmp_path: Path, command: str) -> None:
    if command == "newsqa discord":
        result = run_newsqa("discord", cwd=tmp_path)  # a folder without a .env
    else:  # a real process: `python -m bot` is the bot's own entry point (bot/__main__.py), not the newsqa command
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSQA_", "DISCORD_"))}
        env["PYTHONPATH"] = str(REPO)
        result = subprocess.run([sys.executable, "-m", "bot"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("newsqa")
    assert "no Discord bot token: create an application and its bot at https://discord.com/developers/applications" in line
    assert "set DISCORD_TOKEN" in line
    assert "Traceback" not in result.stderr


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _folder(path: Path) -> None:
    path.mkdir()


def _huge(path: Path) -> None:
    path.write_bytes(b"# padding\n" * 20_000)


def _binary(path: Path) -> None:
    path.write_bytes(b"DISCORD_TOKEN=\xff\xfe\n")


@pytest.mark.parametrize("make, says", [(_fifo, "not a plain file"), (_folder, "not a plain file"), (_huge, "not a settings file"), (_binary, "not UTF-8")])
def test_a_dotenv_that_is_no_settings_file_is_one_line_not_a_hang(tmp_path: Path, make, says: str) -> None:
    """A .env that is a pipe used to block the bot's start for ever (reading it waits for a writer)."""
    make(tmp_path / ".env")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSQA_", "DISCORD_"))}
    env["PYTHONPATH"] = str(REPO)
    # A child process with a time limit: a .env that is a pipe would block for ever.
    result = subprocess.run([sys.executable, "-m", "bot"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert ".env" in line and says in line and "remove it" in line


def test_discord_is_a_documented_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli_main(["discord", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: newsqa discord [-h] [--corpus DIR]")
    assert "DISCORD_TOKEN" in out


def test_the_engine_does_not_import_discord() -> None:
    code = "import sys, retrieval.engine, retrieval.cli; sys.exit('discord' in sys.modules)"
    # A fresh process: what importing the engine and the command line loads, not what this test run has.
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, timeout=60)
    assert result.returncode == 0
