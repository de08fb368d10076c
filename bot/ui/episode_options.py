"""The `episode` option every command shares: resolving what a member typed, and its
autocomplete. Autocomplete choices are only suggestions, so every command re-resolves."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.app.tree import UserError
from bot.models.episode_views import EpisodeSummary
from bot.search.catalogue import Catalogue
from bot.ui import render

log = logging.getLogger(__name__)

EMPTY_EPISODE = "Tell me which episode: its number (`12`), words from its title, or a guest's name."


async def resolve_episode(
    catalogue: Catalogue, interaction: discord.Interaction, text: str
) -> EpisodeSummary:
    """The episode a member meant, or a `UserError` listing the closest ones."""
    text = text.strip()
    if not text:
        raise UserError(EMPTY_EPISODE)
    resolution = await catalogue.resolve_episode(text, guild_id=interaction.guild_id)
    if resolution.episode is None:
        raise UserError(
            render.not_found_message(text, resolution.closest, ambiguous=resolution.ambiguous)
        )
    return resolution.episode


async def complete_episode(
    catalogue: Catalogue, interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Autocomplete for any `episode` option; never fails (a failure offers nothing)."""
    try:
        suggestions = await catalogue.complete_episode(current, guild_id=interaction.guild_id)
        return render.choices(suggestions)
    except Exception:
        log.exception("episode autocomplete failed for %r", current[:100])
        return []
