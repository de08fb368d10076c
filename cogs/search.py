"""Finding things said: /when (the moments a topic comes up) and /search (episodes).

Search text is the member's words, never query syntax: the catalogue quotes it. These two
can be the slowest commands on a huge catalogue, so they defer when an answer takes long.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.client import EpisodeBot
from bot.app.tree import UserError
from bot.models.episode_views import EpisodeSummary, Moment
from bot.search.catalogue import Catalogue, SearchTooSlow
from bot.ui import render
from bot.ui.episode_options import complete_episode, resolve_episode
from bot.ui.moment_cards import save_buttons_for
from bot.ui.replies import reply
from bot.ui.views import DEFER_AFTER, ExpiredPagesButton, Paginator, defer_if_slow

log = logging.getLogger(__name__)

WHEN_LIMIT = 25  # moments fetched for /when: five pages of five
SEARCH_LIMIT = 25  # episodes fetched for /search: five pages of five, as /when


class SearchCog(commands.Cog, name="Search"):
    """Search the catalogue: moments in episodes, and whole episodes."""

    def __init__(self, catalogue: Catalogue, *, defer_after: float = DEFER_AFTER):
        self.catalogue = catalogue
        self.defer_after = defer_after

    @app_commands.command(name="when")
    @app_commands.describe(
        topic="What was talked about, in your own words",
        episode="Only look in this episode (number, title words or a guest)",
    )
    async def when(
        self, interaction: discord.Interaction, topic: str, episode: str | None = None
    ) -> None:
        """Find the moments a topic comes up, with times and links that play from there."""
        if not topic.strip():
            raise UserError("Tell me what to look for, e.g. `/when topic:learning rate warmup`.")
        scope: EpisodeSummary | None = None
        if episode is not None and episode.strip():
            scope = await resolve_episode(self.catalogue, interaction, episode)
        try:
            moments, searched = await defer_if_slow(
                interaction,
                self.catalogue.when_spelled(
                    topic,
                    guild_id=interaction.guild_id,
                    episode_id=scope.id if scope else None,
                    limit=WHEN_LIMIT,
                ),
                after=self.defer_after,
            )
        except SearchTooSlow as exc:  # stopped at the store's time budget
            raise UserError(str(exc)) from None
        if not moments:
            await reply(interaction, render.nothing_when_message(topic, scope), ephemeral=True)
            return
        pages = render.moment_pages(
            topic, moments, scope=scope, capped=len(moments) >= WHEN_LIMIT, searched=searched
        )
        saves = save_rows(pages, moments)
        await Paginator(pages, owner_id=interaction.user.id, page_items=saves).start(interaction)

    @when.autocomplete("episode")
    async def _when_episode(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await complete_episode(self.catalogue, interaction, current)

    @app_commands.command(name="search")
    @app_commands.describe(query="Words to look for in titles, show notes and chapters")
    async def search(self, interaction: discord.Interaction, query: str) -> None:
        """Search every episode's title, show notes and chapters; best matches first."""
        if not query.strip():
            raise UserError("Tell me what to search for, e.g. `/search query:diffusion`.")
        try:
            hits = await defer_if_slow(
                interaction,
                self.catalogue.search(query, guild_id=interaction.guild_id, limit=SEARCH_LIMIT),
                after=self.defer_after,
            )
        except SearchTooSlow as exc:  # stopped at the store's time budget
            raise UserError(str(exc)) from None
        if not hits:
            await reply(interaction, render.nothing_found_message(query), ephemeral=True)
            return
        pages = render.search_pages(query, hits, capped=len(hits) >= SEARCH_LIMIT)
        await Paginator(pages, owner_id=interaction.user.id).start(interaction)


def save_rows(
    pages: Sequence[discord.Embed], moments: Sequence[Moment]
) -> list[list[discord.ui.Item[Any]]]:
    """For each `/when` page, a ⭐ Save button per timed moment on it (the moments cog's
    persistent Save answers them). Pages hold their moments in order, as many as fields."""
    rows: list[list[discord.ui.Item[Any]]] = []
    start = 0
    for page in pages:
        shown = moments[start : start + len(page.fields)]
        start += len(page.fields)
        rows.append(list(save_buttons_for(shown)))
    return rows


async def setup(bot: EpisodeBot) -> None:
    """Load the cog over the bot's catalogue; old page buttons get an answer."""
    bot.add_dynamic_items(ExpiredPagesButton)
    await bot.add_cog(SearchCog(bot.services.catalogue))
