"""`/announce channel|off|test`: where and how new episodes are announced (admins only).

`/announce channel` checks at once that the bot can do everything an announcement needs
in that channel and names exactly what is missing. Every reply is ephemeral.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.announce.announcer import AnnounceError, Announcer, missing_permissions
from bot.app.client import EpisodeBot
from bot.app.tree import UserError
from bot.common.plain_text import truncate
from bot.store import Store
from bot.ui.replies import reply

log = logging.getLogger(__name__)


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class AnnounceCog(
    commands.GroupCog,
    group_name="announce",
    group_description="Announce new episodes in this server (Manage Server)",
):
    """The `/announce` group."""

    def __init__(self, store: Store, announcer: Announcer) -> None:
        self.store = store
        self.announcer = announcer
        super().__init__()

    @app_commands.command(name="channel", description="Announce new episodes in a channel")
    @app_commands.describe(
        channel="A text, announcement or forum channel",
        role="A role to mention in each announcement (default: none)",
        thread="Open a discussion thread on each announcement (default: yes)",
    )
    @app_commands.checks.has_permissions(manage_guild=True)
    async def channel(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | discord.ForumChannel,
        role: discord.Role | None = None,
        thread: bool = True,
    ) -> None:
        """Announce here from now on, after checking the bot's permissions there."""
        guild = interaction.guild
        if guild is None or interaction.guild_id is None:
            raise UserError("This command only works in a server.")
        if role is not None and role.is_default():
            raise UserError("Pick a role to mention, not @everyone.")
        if guild.me is None:
            raise UserError("I can't check my permissions here yet; try again in a minute.")
        missing = missing_permissions(channel, guild.me, role=role, thread=thread)
        if missing:
            raise UserError(missing_message(channel.mention, missing))
        previous = await self.store.announce_settings(interaction.guild_id)
        await self.store.set_announce_channel(
            interaction.guild_id,
            channel.id,
            role_id=role.id if role is not None else None,
            thread=thread,
            user_id=interaction.user.id,
        )
        forum = isinstance(channel, discord.ForumChannel)
        text = f"New episodes will be announced in {channel.mention}"
        if role is not None:
            text += f", mentioning {role.mention}"
        if forum:
            text += ", each as its own post with the chapter list"
        elif thread:
            text += ", each with a discussion thread listing the chapters"
        text += ". Try it with `/announce test`."
        if previous is not None and previous.last_error:
            error = discord.utils.escape_markdown(truncate(previous.last_error, 500))
            text += f"\nThe earlier problem is cleared: {error}."
            self.announcer.drain_soon()  # what waited for the fix goes out now
        await reply(interaction, text, ephemeral=True)

    @app_commands.command(name="off", description="Stop announcing new episodes here")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def off(self, interaction: discord.Interaction) -> None:
        """Stop announcing; announcements still waiting are dropped."""
        if interaction.guild_id is None:
            raise UserError("This command only works in a server.")
        was_on = await self.store.announce_off(interaction.guild_id)
        text = (
            "New episodes won't be announced here any more. `/announce channel` turns it back on."
            if was_on
            else "Announcements were already off here."
        )
        await reply(interaction, text, ephemeral=True)

    @app_commands.command(name="test", description="Post the latest episode's announcement now")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def test(self, interaction: discord.Interaction) -> None:
        """Post the newest episode's announcement, marked as a test, where they go."""
        guild = interaction.guild
        if guild is None or interaction.guild_id is None:
            raise UserError("This command only works in a server.")
        settings = await self.store.announce_settings(interaction.guild_id)
        if settings is None:
            raise UserError("No announcement channel is set: use `/announce channel` first.")
        channel = guild.get_channel(settings.channel_id)
        if channel is not None and guild.me is not None:
            role = guild.get_role(settings.role_id) if settings.role_id else None
            missing = missing_permissions(channel, guild.me, role=role, thread=settings.thread)
            if missing:
                raise UserError(missing_message(channel.mention, missing))
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            posted = await self.announcer.post_test(interaction.guild_id)
        except AnnounceError as error:
            raise UserError(str(error)) from None
        off = "" if settings.enabled else " (announcements are off: this was only a test)"
        await reply(
            interaction,
            f"Posted a test announcement in <#{posted.channel_id}>: {posted.jump_url}{off}",
            ephemeral=True,
        )


def missing_message(where: str, missing: list[str]) -> str:
    """The admin's instruction: exactly which permissions to grant, and where."""
    if len(missing) == 1:
        needed = f"the **{missing[0]}** permission"
    else:
        needed = "the " + ", ".join(f"**{name}**" for name in missing[:-1])
        needed += f" and **{missing[-1]}** permissions"
    them = "it" if len(missing) == 1 else "them"
    return (
        f"I can't announce in {where} yet: I'm missing {needed} there. "
        f"Grant {them} to my role (or in the channel's permissions) and run this again."
    )


async def setup(bot: EpisodeBot) -> None:
    services = bot.services
    await bot.add_cog(AnnounceCog(services.store, services.announcer))
