"""Who may change the corpus, and how often one person may ask: decided by the bot itself.

Discord's default command permissions only hide a command; a server's admins can grant it to
anyone in Server Settings → Integrations, so the bot checks again on every call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

import discord
from discord import app_commands

if TYPE_CHECKING:
    from bot.client import NewsqaBot


class NotCorpusAdmin(app_commands.CheckFailure):
    """The member may not re-index or add articles."""

    def __init__(self) -> None:
        super().__init__("Only members with the Manage Server permission (or the bot's owners) can change the articles.")


class AskCooldown(app_commands.CheckFailure):
    """The member asked too recently."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        seconds = max(1, round(retry_after + 0.49))
        super().__init__(f"One question at a time, please: you can ask again in {seconds} s.")


def may_manage_corpus(user_id: int, permissions: discord.Permissions | None, owner_ids: Collection[int]) -> bool:
    """True for the bot's owners and for members with Manage Server (or Administrator)."""
    if user_id in owner_ids:
        return True
    if permissions is None:
        return False
    return permissions.manage_guild or permissions.administrator


def require_corpus_admin(interaction: discord.Interaction[NewsqaBot]) -> bool:
    """An app-command check: raises `NotCorpusAdmin` unless `may_manage_corpus` says yes."""
    owner_ids = interaction.client.settings.owner_ids
    permissions = interaction.permissions if interaction.guild_id is not None else None
    if not may_manage_corpus(interaction.user.id, permissions, owner_ids):
        raise NotCorpusAdmin()
    return True


class Cooldown:
    """One question per `seconds` per user; shared by /ask and mentions."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._last: dict[int, float] = {}

    def hit(self, user_id: int) -> float:
        """Record a question; return 0 when it may go ahead, else the seconds left to wait."""
        if self.seconds <= 0:
            return 0.0
        now = self._clock()
        last = self._last.get(user_id)
        if last is not None and now - last < self.seconds:
            return self.seconds - (now - last)
        self._last[user_id] = now
        if len(self._last) > 10_000:  # forget people whose cooldown is over, so memory stays bounded
            self._last = {u: t for u, t in self._last.items() if now - t < self.seconds}
        return 0.0

    def check(self, user_id: int) -> None:
        """`hit`, raising `AskCooldown` when the user must wait."""
        retry_after = self.hit(user_id)
        if retry_after:
            raise AskCooldown(retry_after)
