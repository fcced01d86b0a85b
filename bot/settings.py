"""The bot's settings, read from the environment and `.env` in one typed place."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from retrieval.config import BUNDLED_CORPUS
from retrieval.errors import UsageError
from retrieval.ingest import MAX_ARTICLE_BYTES

NO_TOKEN_MESSAGE = (
    "no Discord bot token: create an application and its bot at https://discord.com/developers/applications, "
    "then set DISCORD_TOKEN=... in the environment or in .env (see .env.example)"
)


def _id_list(value: object) -> object:
    """`123, 456` (the way people write it in .env) as a list of ids; JSON lists pass through."""
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(value, str):
        return [part for part in value.replace(";", ",").replace(" ", ",").split(",") if part]
    return value


class BotSettings(BaseSettings):
    """Every setting of the Discord bot; `.env.example` documents each key."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSQA_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    discord_token: SecretStr | None = Field(default=None, validation_alias="DISCORD_TOKEN")
    corpus_dir: Path = BUNDLED_CORPUS
    index_dir: Path | None = Field(default=None, description="Where the saved index lives (default: a cache folder).")
    dev_guild_id: int | None = Field(default=None, ge=1, description="Sync slash commands to this guild only.")
    sync_commands_globally: bool = Field(
        default=False, description="Sync slash commands to every guild (takes up to an hour to show)."
    )
    owner_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    ask_cooldown_seconds: float = Field(default=5.0, ge=0, le=3600)
    shard_count: int | None = Field(default=None, ge=1, le=10_000)
    shard_ids: Annotated[tuple[int, ...], NoDecode] = ()
    max_upload_bytes: int = Field(default=1_048_576, ge=1, le=MAX_ARTICLE_BYTES)
    reindex_interval_seconds: float = Field(default=300.0, ge=0, le=86_400)
    button_timeout_seconds: float = Field(default=900.0, ge=1, le=86_400)
    discord_api_base: str | None = Field(default=None, pattern=r"^https?://\S+$")
    discord_gateway: str | None = Field(default=None, pattern=r"^wss?://\S+$")

    _split_ids = field_validator("owner_ids", "shard_ids", mode="before")(_id_list)

    @field_validator("discord_token", mode="before")
    @classmethod
    def _blank_token_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("discord_api_base")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _shards_fit(self) -> BotSettings:
        if self.shard_ids:
            if self.shard_count is None:
                raise ValueError("NEWSQA_SHARD_IDS needs NEWSQA_SHARD_COUNT")
            bad = [i for i in self.shard_ids if not 0 <= i < self.shard_count]
            if bad:
                raise ValueError(f"NEWSQA_SHARD_IDS {bad} are outside 0..{self.shard_count - 1}")
        return self

    def token(self) -> str:
        """The bot token, or `UsageError` saying how to get one. The only place the secret is read."""
        if self.discord_token is None:
            raise UsageError(NO_TOKEN_MESSAGE)
        return self.discord_token.get_secret_value().strip()


ENV_FILE = Path(".env")
MAX_ENV_BYTES = 64 * 1024  # a settings file is a few lines; anything larger is not one


def check_env_file(path: Path = ENV_FILE) -> None:
    """Refuse a `.env` that reading would hang on or choke on (a pipe, a device, a folder, a huge or
    undecodable file) with one line that says what to do; a missing one is fine."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise UsageError(f"{path}: cannot read it ({exc.strerror}); fix its permissions or remove it") from None
    if not stat.S_ISREG(info.st_mode):
        raise UsageError(f"{path} is not a plain file (a pipe, a device or a folder): make it a file of KEY=value lines (see .env.example) or remove it")
    if info.st_size > MAX_ENV_BYTES:
        raise UsageError(f"{path} is {info.st_size:,} bytes, not a settings file: keep its KEY=value lines (see .env.example) or remove it")
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text: save it as UTF-8 (see .env.example) or remove it") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read it ({exc.strerror}); fix its permissions or remove it") from None


def env_name(field: str) -> str:
    """The environment variable that sets `field`."""
    if field == "discord_token":
        return "DISCORD_TOKEN"
    return f"NEWSQA_{field.upper()}"


def load_settings(**overrides: Any) -> BotSettings:
    """Read the settings, turning a bad value into one line that names the variable to fix.

    `overrides` are raw values, as the environment would give them: pydantic validates them (hence Any)."""
    if overrides.get("_env_file", ENV_FILE) is not None:
        check_env_file(Path(str(overrides.get("_env_file", ENV_FILE))))
    try:
        return BotSettings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"] if isinstance(p, str))
        message = error["msg"].removeprefix("Value error, ")
        # Never echo the input: for DISCORD_TOKEN it would be the secret.
        what = f"bad setting {env_name(where)}" if where else "bad settings"
        raise UsageError(f"{what}: {message} (see .env.example)") from None
