"""Episode commands: /episode, /chapters, /related, /latest, /guest.

Thin handlers: resolve what the member typed, ask the catalogue, render, reply. Every
`episode` argument is re-resolved here, whatever autocomplete offered, because a member
can type anything and send it.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.client import EpisodeBot
from bot.app.tree import UserError
from bot.models.episode_views import EpisodeDetail
from bot.search.catalogue import Catalogue
from bot.ui import render
from bot.ui.episode_options import complete_episode, resolve_episode
from bot.ui.replies import reply
from bot.ui.views import (
    EPISODES_COG,
    EpisodeCardButton,
    ExpiredPagesButton,
    PagedAnswer,
    PageTurnButton,
    Paginator,
    episode_card_view,
)

log = logging.getLogger(__name__)


class EpisodesCog(commands.Cog, name=EPISODES_COG):
    """Looking up episodes: the card, chapters, related episodes, the newest, a guest's."""

    # Paged answers this cog rebuilds for `PageTurnButton`: chapters (key: the episode's
    # id) and a guest's episodes (key: the name asked for).
    page_kinds = ("c", "g")

    def __init__(self, catalogue: Catalogue):
        self.catalogue = catalogue

    # ------------------------------------------------------------------ /episode

    @app_commands.command(name="episode")
    @app_commands.describe(query="An episode number, words from its title, or a guest's name")
    async def episode(self, interaction: discord.Interaction, query: str) -> None:
        """Show an episode: date, length, summary, guests, with buttons for chapters."""
        summary = await resolve_episode(self.catalogue, interaction, query)
        detail = await self._detail(interaction, summary.id)
        await reply(interaction, embed=render.episode_card(detail), view=episode_card_view(detail))

    @episode.autocomplete("query")
    async def _episode_query(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await complete_episode(self.catalogue, interaction, current)

    # ------------------------------------------------------------------ /chapters

    @app_commands.command(name="chapters")
    @app_commands.describe(episode="The episode: its number, words from its title, or a guest")
    async def chapters(self, interaction: discord.Interaction, episode: str) -> None:
        """List an episode's chapters, each with a link that plays from that moment."""
        summary = await resolve_episode(self.catalogue, interaction, episode)
        await self.show_chapters(interaction, summary.id, ephemeral=False)

    @chapters.autocomplete("episode")
    async def _chapters_episode(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await complete_episode(self.catalogue, interaction, current)

    async def show_chapters(
        self, interaction: discord.Interaction, episode_id: int, *, ephemeral: bool
    ) -> None:
        """The chapter list, paged for whoever asked (also the card's Chapters button)."""
        detail = await self._detail(interaction, episode_id)
        chapters = await self.catalogue.chapters(episode_id)
        if not chapters:
            await reply(interaction, render.no_chapters_message(detail), ephemeral=True)
            return
        pages = render.chapter_list(detail.episode, chapters)
        await Paginator(pages, owner_id=interaction.user.id, kind="c", key=str(episode_id)).start(
            interaction, ephemeral=ephemeral
        )

    # ------------------------------------------------------------------ /related

    @app_commands.command(name="related")
    @app_commands.describe(episode="The episode: its number, words from its title, or a guest")
    async def related(self, interaction: discord.Interaction, episode: str) -> None:
        """Find the episodes most like this one, and say why (shared guests and topics)."""
        summary = await resolve_episode(self.catalogue, interaction, episode)
        await self.show_related(interaction, summary.id, ephemeral=False)

    @related.autocomplete("episode")
    async def _related_episode(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await complete_episode(self.catalogue, interaction, current)

    async def show_related(
        self, interaction: discord.Interaction, episode_id: int, *, ephemeral: bool
    ) -> None:
        """The related episodes (also the card's Related button)."""
        detail = await self._detail(interaction, episode_id)
        related = await self.catalogue.related(episode_id, guild_id=interaction.guild_id)
        if not related:
            await reply(interaction, render.no_related_message(detail.episode), ephemeral=True)
            return
        embed = render.related_embed(detail.episode, related)
        await reply(interaction, embed=embed, ephemeral=ephemeral)

    # ------------------------------------------------------------------ /latest

    @app_commands.command(name="latest")
    @app_commands.describe(count="How many episodes to show (1 to 10; 5 if left out)")
    async def latest(
        self, interaction: discord.Interaction, count: app_commands.Range[int, 1, 10] = 5
    ) -> None:
        """Show the newest episodes, newest first."""
        count = max(1, min(10, count))  # Discord enforces the range; a direct call may not
        episodes = await self.catalogue.latest(guild_id=interaction.guild_id, count=count)
        if not episodes:
            await reply(
                interaction,
                "There are no episodes here yet. An admin can follow a feed with `/feed add`.",
                ephemeral=True,
            )
            return
        await reply(interaction, embed=render.latest_embed(episodes))

    # ------------------------------------------------------------------ /guest

    @app_commands.command(name="guest")
    @app_commands.describe(name="The person's name (autocomplete suggests the people I know)")
    async def guest(self, interaction: discord.Interaction, name: str) -> None:
        """List the episodes with a guest (or host), newest first."""
        name = name.strip()
        if not name:
            raise UserError("Tell me whose episodes you're looking for: a guest's name.")
        person = await self.catalogue.person(name, guild_id=interaction.guild_id)
        if person is None or not person.episodes:
            suggestions = await self.catalogue.complete_person(name, guild_id=interaction.guild_id)
            raise UserError(render.person_not_found_message(name, suggestions))
        pages = render.guest_list(person)
        await Paginator(pages, owner_id=interaction.user.id, kind="g", key=name).start(interaction)

    @guest.autocomplete("name")
    async def _guest_name(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        try:
            people = await self.catalogue.complete_person(current, guild_id=interaction.guild_id)
            return render.choices(people)
        except Exception:
            log.exception("person autocomplete failed for %r", current[:100])
            return []

    # ------------------------------------------------------------------ page turns

    async def load_pages(
        self, interaction: discord.Interaction, kind: str, key: str
    ) -> PagedAnswer | None:
        """A paged answer rebuilt for a page turn (`PageSources`); None when it can't be."""
        if kind == "c" and key.isdigit():
            detail = await self.catalogue.episode_detail(int(key), guild_id=interaction.guild_id)
            chapters = await self.catalogue.chapters(int(key)) if detail else []
            if detail is None or not chapters:
                return None
            return PagedAnswer(render.chapter_list(detail.episode, chapters))
        if kind == "g" and key:
            person = await self.catalogue.person(key, guild_id=interaction.guild_id)
            return PagedAnswer(render.guest_list(person)) if person and person.episodes else None
        return None

    # ------------------------------------------------------------------ helpers

    async def _detail(self, interaction: discord.Interaction, episode_id: int) -> EpisodeDetail:
        detail = await self.catalogue.episode_detail(episode_id, guild_id=interaction.guild_id)
        if detail is None:
            # Removed since the card was posted (or its feed no longer followed here).
            raise UserError("That episode is no longer in the catalogue here. Try `/latest`.")
        return detail


async def setup(bot: EpisodeBot) -> None:
    """Load the cog with the bot's catalogue; register the buttons that outlive a process:
    the card's, the page turners', and the answer to old page buttons whose pages are gone."""
    bot.add_dynamic_items(EpisodeCardButton, PageTurnButton, ExpiredPagesButton)
    await bot.add_cog(EpisodesCog(bot.services.catalogue))
