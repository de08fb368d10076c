"""Sending to Discord safely: no mentions, and the right call whatever was sent before.

Every member-facing message goes through `reply`, so no title containing `@everyone` or
`<@&123>` can ever ping anyone; only the announcer pings, and only its configured role.
"""

from __future__ import annotations

from typing import Any

import discord

NO_MENTIONS = discord.AllowedMentions.none()

# Set in `interaction.extras` when we deferred with a public "thinking…" message: Discord
# turns the first follow-up into that message, public whatever flag it carries.
PUBLIC_THINKING = "episode_bot_public_thinking"


async def defer_publicly(interaction: discord.Interaction) -> None:
    """Defer with a public "thinking…" message, remembering that we did."""
    await interaction.response.defer(thinking=True)
    interaction.extras[PUBLIC_THINKING] = True


async def reply(
    interaction: discord.Interaction,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    embeds: list[discord.Embed] | None = None,
    view: discord.ui.View | None = None,
    ephemeral: bool = False,
) -> None:
    """Answer an interaction: the initial response if none was sent, else a follow-up.

    An ephemeral answer after a public "thinking…" defer first deletes that message, or
    Discord would make the answer public in its place (its documented behaviour).
    """
    kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS, "ephemeral": ephemeral}
    if content is not None:
        kwargs["content"] = content
    if embed is not None:
        kwargs["embed"] = embed
    if embeds is not None:
        kwargs["embeds"] = embeds
    if view is not None:
        kwargs["view"] = view
    if interaction.response.is_done():
        if interaction.extras.pop(PUBLIC_THINKING, False) and ephemeral:
            await interaction.delete_original_response()
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)
