"""The engine's settings, read once from the environment (`NEWSQA_*`) and validated in one typed place.

The command line and the bot build one `EngineSettings` when they start (`load_engine_settings`); a bad
value is one line that names the variable, exit status 2, before any question is asked. Nothing on the
answer path reads `os.environ`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from retrieval.errors import UsageError

Reader = Literal["neural", "rules", "both"]


class EngineSettings(BaseSettings):
    """How questions are answered and articles fetched. Each field is set by `NEWSQA_<FIELD>` (`.env.example` lists them)."""

    model_config = SettingsConfigDict(env_prefix="NEWSQA_", extra="ignore", frozen=True)

    reader: Reader = Field(
        default="both",
        description="The span reader: `neural` (the shipped model), `rules` (the hand-written span rules) or `both` "
        "(the model, unless the rules are clearly surer).",
    )
    reader_model: Path | None = Field(
        default=None,
        description="A reader folder to answer with instead of the packaged one (`bench/train_reader.py --export` writes them; "
        "hash-checked the same way).",
    )
    dense: bool = Field(default=True, description="Hybrid retrieval: passage vectors beside BM25. `false`: BM25 alone.")
    dense_max_passages: int = Field(
        default=50_000, ge=0,
        description="Above this many passages retrieval is BM25 alone (embedding costs about 5-10 ms a passage on two cores, "
        "once per passage text: the vectors are cached beside the index).",
    )
    allow_private_addresses: bool = Field(
        default=False,
        description="`newsqa add URL` also downloads from loopback, link-local, private and other non-public addresses "
        "(your own intranet); by default such an address, or a redirect or DNS answer leading to one, is refused.",
    )


def env_name(field: str) -> str:
    return f"NEWSQA_{field.upper()}"


def load_engine_settings(**overrides: object) -> EngineSettings:
    """The settings from the environment (and `_env_file`, where given), a bad value as `UsageError`."""
    overrides.setdefault("_env_file", None)
    try:
        return EngineSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"] if isinstance(p, str))
        message = error["msg"].removeprefix("Value error, ")
        raise UsageError(f"bad setting {env_name(where)}: {message} (see .env.example)") from None
