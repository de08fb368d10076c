"""Finding things said: /when (the moments a topic comes up) and /search (episodes).

Search text is the member's words, never query syntax: the catalogue quotes it. These two
can be the slowest commands on a huge catalogue, so they defer when an answer takes long.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.client import EpisodeBot
from bot.app.tree import UserError
from bot.models.episode_views import EpisodeSummary, Moment
from bot.search.catalogue import Catalogue, SearchTooSlow
from bot.search.result_totals import ResultTotals
from bot.ui import render
from bot.ui.episode_options import complete_episode, resolve_episode
from bot.ui.moment_cards import save_buttons_for
from bot.ui.render import PagedList
from bot.ui.replies import reply
from bot.ui.views import (
    DEFER_AFTER,
    ExpiredPagesButton,
    PagedAnswer,
    PageTurnButton,
    Paginator,
    defer_if_slow,
)

log = logging.getLogger(__name__)

WHEN_LIMIT = 25  # moments fetched for /when: five pages of five
SEARCH_LIMIT = 25  # episodes fetched for /search: five pages of five, as /when


class SearchCog(commands.Cog, name="Search"):
    """Search the catalogue: moments in episodes, and whole episodes."""

    # Paged answers this cog rebuilds for `PageTurnButton`: /search (key: the query) and
    # /when (key: "<episode id or nothing>:<topic>").
    page_kinds = ("s", "w")

    def __init__(
        self,
        catalogue: Catalogue,
        *,
        totals: ResultTotals | None = None,
        defer_after: float = DEFER_AFTER,
    ):
        self.catalogue = catalogue
        self.totals = totals  # None: a capped list says "Top 25", without a total
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
        answer = await defer_if_slow(
            interaction,
            self._when_answer(topic, scope, interaction.guild_id),
            after=self.defer_after,
        )
        if answer is None:
            await reply(interaction, render.nothing_when_message(topic, scope), ephemeral=True)
            return
        key = f"{scope.id if scope else ''}:{topic.strip()}"
        await Paginator(
            answer.source,
            owner_id=interaction.user.id,
            kind="w",
            key=key,
            page_items=answer.items or (),
        ).start(interaction)

    async def _when_answer(
        self, topic: str, scope: EpisodeSummary | None, guild_id: int | None
    ) -> PagedAnswer | None:
        """The /when moments as pages, each with a ⭐ Save per timed moment on it."""
        try:
            moments, searched = await self.catalogue.when_spelled(
                topic, guild_id=guild_id, episode_id=scope.id if scope else None, limit=WHEN_LIMIT
            )
        except SearchTooSlow as exc:  # stopped at the store's time budget
            raise UserError(str(exc)) from None
        if not moments:
            return None
        pages = render.moment_list(
            topic, moments, scope=scope, capped=len(moments) >= WHEN_LIMIT, searched=searched
        )
        return PagedAnswer(pages, save_rows(pages, moments))

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
        answer = await defer_if_slow(
            interaction, self._search_answer(query, interaction.guild_id), after=self.defer_after
        )
        if answer is None:
            await reply(interaction, render.nothing_found_message(query), ephemeral=True)
            return
        await Paginator(
            answer.source, owner_id=interaction.user.id, kind="s", key=query.strip()
        ).start(interaction)

    async def _search_answer(self, query: str, guild_id: int | None) -> PagedAnswer | None:
        """The /search hits as pages; a capped list says how many match in all."""
        try:
            hits = await self.catalogue.search(query, guild_id=guild_id, limit=SEARCH_LIMIT)
        except SearchTooSlow as exc:  # stopped at the store's time budget
            raise UserError(str(exc)) from None
        if not hits:
            return None
        capped = len(hits) >= SEARCH_LIMIT
        total = None
        if capped and self.totals is not None:
            total = await self.totals.search_total(query, guild_id=guild_id, hits=hits)
        return PagedAnswer(render.search_list(query, hits, capped=capped, total=total))

    async def load_pages(
        self, interaction: discord.Interaction, kind: str, key: str
    ) -> PagedAnswer | None:
        """A paged answer rebuilt for a page turn (`PageSources`); None when it can't be."""
        if kind == "s" and key.strip():
            return await self._search_answer(key, interaction.guild_id)
        scope_id, _, topic = key.partition(":")
        if kind != "w" or not topic.strip():
            return None
        scope = None
        if scope_id.isdigit():
            detail = await self.catalogue.episode_detail(
                int(scope_id), guild_id=interaction.guild_id
            )
            if detail is None:
                return None
            scope = detail.episode
        return await self._when_answer(topic, scope, interaction.guild_id)


def save_rows(
    pages: PagedList[Any], moments: Sequence[Moment]
) -> Callable[[int], list[discord.ui.Item[Any]]]:
    """For each `/when` page, a ⭐ Save button per timed moment on it (the moments cog's
    persistent Save answers them); the page's moments are those of its rows."""

    def saves(index: int) -> list[discord.ui.Item[Any]]:
        span = pages.span(index)
        return list(save_buttons_for(moments[span.start : span.stop]))

    return saves


async def setup(bot: EpisodeBot) -> None:
    """Load the cog over the bot's catalogue; page buttons are answered, old ones too."""
    bot.add_dynamic_items(PageTurnButton, ExpiredPagesButton)
    services = bot.services
    await bot.add_cog(SearchCog(services.catalogue, totals=ResultTotals(services.store)))
