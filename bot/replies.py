"""What the bot tells users when something fails, and the one error handler that tells them.

Cogs, views and the client all send through here; this module imports none of them, so no import
needs hiding inside a function.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.checks import AskCooldown, NotCorpusAdmin
from bot.render import message_text
from retrieval.errors import NewsqaError

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
OOPS = "Something went wrong on my side; the details are in the bot's log."


def user_message(error: BaseException) -> str:
    """What the user is told about `error`: our own messages as they are, anything else in general terms."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, (NotCorpusAdmin, AskCooldown, NewsqaError)):
        return str(error)
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works in a server, not in direct messages."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here."
    return OOPS


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """The one error handler: a short ephemeral message for the user, the traceback in the log."""
    text = user_message(error)
    if text == OOPS:
        command = interaction.command.qualified_name if interaction.command else "component"
        log.error("error in %s for user %s", command, interaction.user.id, exc_info=error)
    else:
        log.info("refused %s for user %s: %s", interaction.command and interaction.command.name, interaction.user.id, text)
    await send_ephemeral(interaction, message_text(text))


async def send_ephemeral(interaction: discord.Interaction, text: str) -> None:
    """Reply privately, whether or not the interaction has had its one initial response yet."""
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        if interaction.response.type == discord.InteractionResponseType.deferred_channel_message:
            # A public "thinking…" message would show the error to everyone: remove it first.
            try:
                await interaction.delete_original_response()
            except discord.HTTPException:
                pass
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException:
        log.exception("could not tell user %s about an error", interaction.user.id)
