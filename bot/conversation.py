"""Conversations in Discord: a reply to one of the bot's answers continues the chain it belongs to.

The chain is read from the messages themselves, newest first: the answer replied to, the member's
question that answer replied to, the answer that question replied to, and so on, a few turns
back. Each of the bot's answers carries its question, how it was read and its answer (see
`bot.render.exchange_of`), so the bot keeps no memory that a restart or another shard would lose.
"""

from __future__ import annotations

import logging

import discord

from bot.render import exchange_of
from bot.views import parse_passages_custom_id
from retrieval.conversation import LOOKBACK, Turn, topic_after

log = logging.getLogger(__name__)

CHAIN_TURNS = LOOKBACK  # answers read back along a chain; the rewrite looks no further


async def referenced(message: discord.Message) -> discord.Message | None:
    """The message `message` replies to: sent with it by Discord, else fetched; None when there is
    none, it was deleted, or the bot may not read it."""
    ref = message.reference
    if ref is None or ref.message_id is None:
        return None
    if isinstance(ref.resolved, discord.Message):
        return ref.resolved
    if isinstance(ref.resolved, discord.DeletedReferencedMessage):
        return None
    if ref.channel_id != message.channel.id:
        return None  # a forwarded or cross-channel reference is no reply in this conversation
    try:
        return await message.channel.fetch_message(ref.message_id)
    except discord.HTTPException as exc:  # NotFound, Forbidden (no Read Message History), a server error
        log.info("could not read message %s of a reply chain: %s", ref.message_id, exc)
        return None


def _exchange(message: discord.Message, bot_id: int) -> tuple[str, str, str | None] | None:
    if message.author.id != bot_id:
        return None
    for embed in message.embeds:
        if (found := exchange_of(embed)) is not None:
            return found
    return None


def _sources(message: discord.Message) -> tuple[str | None, str | None]:
    """(the article an answer of ours came from, the article of the closest passage it showed instead),
    read from its 'Show passages' button, which carries the passage ids; (None, None) without one."""
    for row in message.components:
        for item in getattr(row, "children", ()):
            parsed = parse_passages_custom_id(getattr(item, "custom_id", None) or "")
            if parsed is not None:
                found, refs = parsed
                article = refs[0][0].rpartition("#")[0]
                return (article, None) if found else (None, article)
    return None, None


async def chain_turns(message: discord.Message, bot_id: int, limit: int = CHAIN_TURNS) -> list[Turn]:
    """The turns of the conversation that `message` continues, oldest first; empty when it is not a
    reply to one of the bot's answers (a mention on its own starts a new conversation)."""
    exchanges: list[tuple[str, str, str | None, tuple[str | None, str | None]]] = []
    current: discord.Message | None = message
    seen: set[int] = {message.id}
    while current is not None and len(exchanges) < limit:
        answer = await referenced(current)
        if answer is None or answer.id in seen:
            break
        seen.add(answer.id)
        exchange = _exchange(answer, bot_id)
        if exchange is None:
            break
        exchanges.append((*exchange, _sources(answer)))
        if len(exchanges) == limit:
            break
        current = await referenced(answer)  # the member's question that this answer replied to
        if current is not None and (current.id in seen or current.author.id == bot_id):
            break
        if current is not None:
            seen.add(current.id)
    turns: list[Turn] = []
    for question, resolved, answer_text, (answered_from, closest) in reversed(exchanges):
        story = topic_after(answered_from, closest, turns[-1].articles if turns else ())
        turns.append(Turn.of(question, resolved, answer_text, turns, story))
    return turns
