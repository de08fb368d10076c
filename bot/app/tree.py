"""The one error layer for slash commands: what went wrong, told to the member who asked.

Known user errors become short ephemeral messages; anything unexpected is logged with its
traceback and the member gets an apology, never a stack trace or silence. Buttons answer
their errors the same way (`answer_error`, used by bot/ui/views.py).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import discord
from discord import app_commands

from bot.ui.replies import reply

log = logging.getLogger(__name__)


class UserError(app_commands.AppCommandError):
    """Something about the request that the member can fix; its text is shown to them."""


SLOW_COMMAND_SECONDS = 1.0  # a command (or autocomplete) slower than this is logged

RESTARTING = "That command isn't available right now (I may be restarting): try again in a minute."
APOLOGY = "Sorry, something went wrong on my side. It has been logged; please try again later."


def explain(error: BaseException) -> str | None:
    """The message for a known user error, or None when the error is unexpected."""
    if isinstance(error, app_commands.CommandInvokeError) and isinstance(error.original, UserError):
        error = error.original
    if isinstance(error, UserError):
        return str(error)
    if isinstance(error, app_commands.MissingPermissions):
        return f"You need the {_names(error.missing_permissions)} permission to use this command."
    if isinstance(error, app_commands.BotMissingPermissions):
        return f"I need the {_names(error.missing_permissions)} permission here to do that."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works in a server."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.TransformerError):
        return f"I couldn't understand {str(error.value)[:100]!r} for that option."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here."
    if isinstance(error, app_commands.CommandNotFound):
        # The bot is stopping (its cogs, and their commands, are unloaded first) or a
        # client still shows a command this version no longer has.
        return RESTARTING
    return None


def _names(permissions: list[str]) -> str:
    """`manage_guild` as Discord's client names it: "Manage Server"."""
    return ", ".join(p.replace("_", " ").replace("guild", "server").title() for p in permissions)


async def answer_error(
    interaction: discord.Interaction, error: BaseException, *, what: str
) -> None:
    """Tell the member what went wrong with `what` (a command, a button): a known user
    error in its own words, anything else logged with its traceback and an apology."""
    message = explain(error)
    if message is None:
        log.error("%s failed", what, exc_info=getattr(error, "original", error))
        message = APOLOGY
    try:
        await reply(interaction, message, ephemeral=True)
    except discord.HTTPException:
        # The interaction may have expired; the log above is all we can do.
        log.warning("could not tell the member about an error in %s", interaction.id)


class EpisodeTree(app_commands.CommandTree):
    """Command tree whose `on_error` answers every failed command, and which logs a slow
    one (over `SLOW_COMMAND_SECONDS`) once, with its context."""

    async def _call(self, interaction: discord.Interaction) -> None:
        # discord.py's one entry point for every command and autocomplete interaction.
        started = time.monotonic()
        try:
            await super()._call(interaction)
        finally:
            elapsed = time.monotonic() - started
            if elapsed > SLOW_COMMAND_SECONDS:
                log_slow_command(interaction, elapsed)

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError, /
    ) -> None:
        command = interaction.command.qualified_name if interaction.command else "?"
        await answer_error(interaction, error, what=f"command /{command}")


def log_slow_command(interaction: discord.Interaction, elapsed: float) -> None:
    """One warning for a slow command: its name, the option names given (never their
    values: a member's text stays out of the log), where, and how long it took."""
    data: dict[str, Any] = dict(interaction.data or {})
    name = str(data.get("name", "?"))
    options: list[dict[str, Any]] = list(data.get("options", []))
    while options and options[0].get("type") in (1, 2):  # a subcommand (group): go in
        name += f" {options[0]['name']}"
        options = options[0].get("options", [])
    kind = "autocomplete" if interaction.type is discord.InteractionType.autocomplete else ""
    given = ", ".join(str(option.get("name")) for option in options) or "no options"
    guild = interaction.guild
    log.warning(
        "slow %s /%s (%s) took %.1f s",
        kind or "command",
        name,
        given,
        elapsed,
        extra={
            "command": name,
            "guild": interaction.guild_id,
            "shard": getattr(guild, "shard_id", None),
            "seconds": round(elapsed, 2),
        },
    )
