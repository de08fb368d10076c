"""Moments in the conversation: /moment, the "Find moment" message command, ⭐ Save,
/saved and /top moments (issue 14).

Thin handlers over `MomentService` (bot/moments/moment_service.py) and the card renderers
(bot/ui/moment_cards.py). The buttons on cards are `DynamicItem`s registered here, so they
work after a restart; they call back into this cog through `MomentActions`.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Sequence

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.client import EpisodeBot
from bot.app.tree import UserError
from bot.common.plain_text import truncate
from bot.common.timefmt import format_timestamp
from bot.models.episode_views import EpisodeSummary
from bot.models.moment_views import MomentView, SavedMoment
from bot.moments.moment_service import MomentService
from bot.moments.moment_time import MomentTimeError, check_within, parse_moment_time
from bot.search.catalogue import Catalogue
from bot.ui import moment_cards as cards
from bot.ui import render
from bot.ui.episode_options import complete_episode, resolve_episode
from bot.ui.replies import NO_MENTIONS, reply
from bot.ui.views import BaseView, defer_if_slow

log = logging.getLogger(__name__)

FIND_MOMENT = "Find moment"
NOTE_MAX = 300  # characters of a note Discord lets a member type
SAVED_LIMIT = 100  # /saved shows the newest this many


class MomentsCog(commands.Cog, name=cards.MOMENTS_COG):
    """Sharing, finding and saving moments of episodes."""

    top = app_commands.Group(name="top", description="The server's favourites")

    def __init__(self, bot: EpisodeBot, moments: MomentService, catalogue: Catalogue):
        self.bot = bot
        self.moments = moments
        self.catalogue = catalogue
        self.find_menu = app_commands.ContextMenu(name=FIND_MOMENT, callback=self.find_moment)
        self.resolve_channel = bot.resolve_channel  # a channel by id (tests give their own)
        # Weak: a lock lives while a /discuss holds or waits for it, so a bot that runs for
        # years does not keep one per episode and server ever asked about.
        self._thread_locks: weakref.WeakValueDictionary[tuple[int, int], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.find_menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(FIND_MOMENT, type=discord.AppCommandType.message)

    # ------------------------------------------------------------------ /moment

    @app_commands.command(name="moment")
    @app_commands.describe(
        episode="The episode: its number, words from its title, or a guest",
        time="When: 34:10, 1:02:03, 34m10s, 1h2m or seconds (2040)",
        note="What you want to say about it (optional)",
    )
    async def moment(
        self,
        interaction: discord.Interaction,
        episode: str,
        time: str,
        note: app_commands.Range[str, 0, NOTE_MAX] | None = None,
    ) -> None:
        """Share a moment of an episode: its chapter, what is said there, and a play link."""
        summary = await resolve_episode(self.catalogue, interaction, episode)
        view = await self._moment(summary, time, note)
        shared_by = _name(interaction)
        await reply(
            interaction,
            embed=cards.moment_card(view, shared_by=shared_by),
            view=cards.moment_buttons(summary, [view.seconds]),
        )

    @moment.autocomplete("episode")
    async def _moment_episode(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await complete_episode(self.catalogue, interaction, current)

    @moment.autocomplete("time")
    async def _moment_time(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """The chosen episode's chapter starts (what the member typed first, if a time)."""
        try:
            return await self._time_choices(interaction, current)
        except Exception:
            log.exception("time autocomplete failed for %r", current[:100])
            return []

    async def _time_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        typed: list[app_commands.Choice[str]] = []
        try:
            seconds = parse_moment_time(current)
            stamp = format_timestamp(seconds)
            typed = [app_commands.Choice(name=stamp, value=stamp)]
        except MomentTimeError:
            pass
        text = str(getattr(interaction.namespace, "episode", "") or "").strip()
        if not text:
            return typed
        resolution = await self.catalogue.resolve_episode(text, guild_id=interaction.guild_id)
        if resolution.episode is None:
            return typed
        needle = current.strip().casefold()
        out = list(typed)
        for chapter in await self.moments.chapter_starts(resolution.episode.id):
            stamp = format_timestamp(chapter.start)
            label = f"{stamp} · {render.plain(chapter.title)}"
            if needle and needle not in label.casefold():
                continue
            out.append(app_commands.Choice(name=label[:100], value=stamp))
            if len(out) >= 25:
                break
        return out

    async def _moment(
        self, episode: EpisodeSummary, time: str, note: str | None = None
    ) -> MomentView:
        try:
            seconds = parse_moment_time(time)
            return await self.moments.moment(episode, seconds, note)
        except MomentTimeError as error:
            raise UserError(str(error)) from None

    # ------------------------------------------------------------------ Find moment

    async def find_moment(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """Every time quoted in a message, as moment cards (private, with a Share button)."""
        replied = None
        if message.reference is not None and isinstance(
            message.reference.resolved, discord.Message
        ):
            replied = message.reference.resolved.content
        channel = getattr(message, "channel", None)
        channel_id = getattr(channel, "id", None) or interaction.channel_id
        found = await self.moments.read_message(
            message.content or "",
            guild_id=interaction.guild_id,
            channel_id=channel_id,
            replied_text=replied,
            thread_name=_thread_name(channel, interaction, channel_id),
        )
        if not found.times:
            await reply(interaction, cards.no_times_message(), ephemeral=True)
            return
        if found.episode is None:
            if not found.likely:
                raise UserError("There are no episodes here yet, so no moment to find.")
            await reply(
                interaction,
                cards.which_episode_message(found.times),
                view=cards.picker_view(found.times, found.likely),
                ephemeral=True,
            )
            return
        embeds, times = await self._cards(found.episode, found.times)
        await reply(
            interaction,
            embeds=embeds,
            view=cards.moment_buttons(found.episode, times, share=True),
            ephemeral=True,
        )

    async def _cards(
        self, episode: EpisodeSummary, times: Sequence[int], *, shared_by: str | None = None
    ) -> tuple[list[discord.Embed], list[int]]:
        """A card per time within the episode; `UserError` when none is."""
        embeds: list[discord.Embed] = []
        kept: list[int] = []
        problems: list[str] = []
        for seconds in times[: cards.MAX_CARDS]:
            try:
                view = await self.moments.moment(episode, seconds)
            except MomentTimeError as error:
                problems.append(str(error))
                continue
            embeds.append(cards.moment_card(view, shared_by=shared_by))
            kept.append(seconds)
        if not embeds:
            raise UserError(problems[0] if problems else cards.no_times_message())
        return embeds, kept

    # ------------------------------------------------------------------ the buttons

    async def save_pressed(
        self, interaction: discord.Interaction, episode_id: int, seconds: int
    ) -> None:
        episode = await self.moments.episode(episode_id)
        if episode is None:
            raise UserError("That episode is no longer in the catalogue, so I can't save it.")
        try:  # the card's second, checked; its passage is not needed to save it
            check_within(seconds, episode.duration)
        except MomentTimeError as error:
            raise UserError(str(error)) from None
        note = cards.note_of(interaction.message)
        new = await self.moments.save(
            interaction.guild_id, interaction.user.id, episode_id, seconds, note
        )
        await reply(interaction, cards.saved_message(episode, seconds, new=new), ephemeral=True)

    async def share_pressed(
        self, interaction: discord.Interaction, episode_id: int, times: list[int]
    ) -> None:
        episode = await self.moments.episode(episode_id)
        if episode is None:
            raise UserError("That episode is no longer in the catalogue.")
        embeds, kept = await self._cards(episode, times, shared_by=_name(interaction))
        await reply(interaction, embeds=embeds, view=cards.moment_buttons(episode, kept))

    async def episode_picked(
        self, interaction: discord.Interaction, episode_id: int, times: list[int]
    ) -> None:
        episode = await self.moments.episode(episode_id)
        if episode is None:
            raise UserError("That episode is no longer in the catalogue.")
        embeds, kept = await self._cards(episode, times)
        await interaction.response.edit_message(
            content=None,
            embeds=embeds,
            view=cards.moment_buttons(episode, kept, share=True),
            allowed_mentions=NO_MENTIONS,
        )

    async def unsave_pressed(
        self, interaction: discord.Interaction, episode_id: int, seconds: int
    ) -> None:
        """A /saved 🗑️ Remove (after a restart too): removes the presser's own saved moment
        here, answers privately, and redraws the /saved message without it when it is the
        presser's."""
        removed = await self.moments.remove(
            interaction.guild_id, interaction.user.id, episode_id, seconds
        )
        episode = await self.moments.episode(episode_id)
        text = cards.removed_message(episode, seconds, removed=removed)
        if removed and _own_message(interaction):
            view = SavedMomentsView(self.moments, owner_id=interaction.user.id)
            view.index = cards.saved_page_index(interaction.message)
            await view.load(interaction.guild_id)
            await view.show(interaction)
        elif removed:
            text += " Run `/saved` again to see the rest."
        await reply(interaction, text, ephemeral=True)

    async def saved_page_pressed(self, interaction: discord.Interaction, index: int) -> None:
        """A /saved ◀ Previous / Next ▶ (after a restart too): that page of the presser's
        own saved moments, redrawn in place."""
        if not _own_message(interaction):
            raise UserError("These are someone else's saved moments: `/saved` shows yours.")
        view = SavedMomentsView(self.moments, owner_id=interaction.user.id)
        view.index = index
        await view.load(interaction.guild_id)
        await view.show(interaction)

    # ------------------------------------------------------------------ /saved

    @app_commands.command(name="saved")
    async def saved(self, interaction: discord.Interaction) -> None:
        """Your own saved moments in this server (only you see them), with remove buttons."""
        view = SavedMomentsView(self.moments, owner_id=interaction.user.id)
        await view.load(interaction.guild_id)
        if not view.moments:
            await reply(interaction, cards.nothing_saved_message(), ephemeral=True)
            return
        await reply(interaction, embed=view.page(), view=view, ephemeral=True)

    # ------------------------------------------------------------------ /top moments

    @top.command(name="moments")
    @app_commands.describe(episode="Only this episode's moments (optional)")
    async def top_moments(
        self, interaction: discord.Interaction, episode: str | None = None
    ) -> None:
        """The moments members of this server saved most."""
        scope = None
        if episode is not None and episode.strip():
            scope = await resolve_episode(self.catalogue, interaction, episode)
        tallies = await self.moments.top(
            interaction.guild_id, episode_id=scope.id if scope else None
        )
        if not tallies:
            await reply(interaction, cards.nothing_top_message(scope), ephemeral=True)
            return
        episodes = await self.moments.episodes([t.episode_id for t in tallies])
        await reply(interaction, embed=cards.top_embed(tallies, episodes, scope=scope))

    @top_moments.autocomplete("episode")
    async def _top_episode(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await complete_episode(self.catalogue, interaction, current)

    # ------------------------------------------------------------------ /discuss

    @app_commands.command(name="discuss")
    @app_commands.guild_only()
    @app_commands.describe(episode="The episode: its number, words from its title, or a guest")
    async def discuss(self, interaction: discord.Interaction, episode: str) -> None:
        """Find the episode's discussion thread in this server, or open it."""
        summary = await resolve_episode(self.catalogue, interaction, episode)
        guild_id = interaction.guild_id
        if guild_id is None:
            raise UserError("Discussion threads live in a server: run this in one.")
        thread_id, opened = await defer_if_slow(
            interaction, self._discussion_thread(interaction, guild_id, summary)
        )
        await reply(interaction, cards.discussion_message(summary, thread_id, opened=opened))

    async def _discussion_thread(
        self, interaction: discord.Interaction, guild_id: int, episode: EpisodeSummary
    ) -> tuple[int, bool]:
        """The episode's thread here, (id, whether it was opened now). One lock per episode
        and server: two members asking at once get the same thread."""
        lock = self._thread_locks.setdefault((guild_id, episode.id), asyncio.Lock())
        async with lock:
            known = await self.moments.discussion_thread(guild_id, episode.id)
            if known is not None and await self._thread_alive(known):
                return known, False
            thread_id = await self._open_thread(interaction, guild_id, episode)
            winner = await self.moments.register_thread(guild_id, episode.id, thread_id)
            return winner, winner == thread_id

    async def _thread_alive(self, thread_id: int) -> bool:
        """Whether a registered thread still exists; an archived one is reopened."""
        try:
            thread = await self.resolve_channel(thread_id)
        except discord.NotFound:
            return False
        except discord.HTTPException:
            return True  # can't tell (permissions, Discord trouble): keep it, never duplicate
        if isinstance(thread, discord.Thread) and thread.archived:
            try:
                await thread.edit(archived=False)
            except discord.HTTPException:
                log.info("could not unarchive discussion thread %s", thread_id)
        return True

    async def _open_thread(
        self, interaction: discord.Interaction, guild_id: int, episode: EpisodeSummary
    ) -> int:
        """Open the thread in the announce channel (a post when it is a forum), else here;
        its first message is the episode card and the chapters."""
        settings = await self.moments.announce_channel(guild_id)
        channel: object = interaction.channel
        if settings is not None:
            try:
                channel = await self.resolve_channel(settings)
            except discord.HTTPException:
                channel = interaction.channel
        detail = await self.catalogue.episode_detail(episode.id, guild_id=guild_id)
        if detail is None:
            raise UserError("That episode is no longer in the catalogue here.")
        chapters = await self.catalogue.chapters(episode.id)
        embeds = [render.episode_card(detail)]
        pages = render.chapter_pages(episode, chapters)
        if pages:
            embeds.append(pages[0])
        name = cards.thread_name(episode)
        message: discord.Message | None = None
        try:
            if isinstance(channel, discord.ForumChannel):
                made = await channel.create_thread(
                    name=name, embeds=embeds, allowed_mentions=NO_MENTIONS
                )
                return made.thread.id
            if isinstance(channel, discord.TextChannel):
                message = await channel.send(embeds=embeds, allowed_mentions=NO_MENTIONS)
                thread = await message.create_thread(name=name)
                return thread.id
        except discord.HTTPException as error:
            if message is not None:  # the card is posted, its thread is not: take it back
                try:
                    await message.delete()
                except discord.HTTPException:
                    log.info("could not delete the card of a thread that failed to open")
            if isinstance(error, discord.Forbidden):
                raise UserError(
                    "I'm not allowed to open a thread there: I need Send Messages and Create "
                    "Public Threads in the announcement channel (or this one)."
                ) from None
            log.warning("opening a discussion thread failed: %s", error)
            why = truncate(error.text or f"HTTP {error.status}", 200)
            raise UserError(
                f"Discord would not open the thread there ({why}): "
                "try again, or ask an admin to check the announcement channel."
            ) from None
        raise UserError(
            "I can open discussion threads only in a text or forum channel: run `/discuss` "
            "in one, or ask an admin to set one with `/announce channel`."
        )


class SavedMomentsView(BaseView):
    """A member's saved moments, a page at a time, with a remove button for each on the page
    (private). Its buttons are answered by persistent items, so they outlive a restart: the
    page turners by `SavedPageButton`, the remove buttons by `UnsaveMomentButton`; both
    redraw the presser's own list."""

    refusal = "These are someone else's saved moments."

    def __init__(self, moments: MomentService, *, owner_id: int):
        super().__init__(owner_id=owner_id)
        self.service = moments
        self.guild_id: int | None = None
        self.moments: list[SavedMoment] = []  # newest first
        self.episodes: dict[int, EpisodeSummary] = {}
        self.index = 0

    async def load(self, guild_id: int | None) -> None:
        self.guild_id = guild_id
        assert self.owner_id is not None
        self.moments = (await self.service.saved(guild_id, self.owner_id))[:SAVED_LIMIT]
        self.episodes = await self.service.episodes([s.episode_id for s in self.moments])
        self._build()

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.moments) // cards.SAVED_PER_PAGE))

    def _on_page(self) -> list[int]:
        start = self.index * cards.SAVED_PER_PAGE
        return list(range(start, min(start + cards.SAVED_PER_PAGE, len(self.moments))))

    def page(self) -> discord.Embed:
        lines = [
            cards.saved_line(self.episodes.get(self.moments[i].episode_id), self.moments[i])
            for i in self._on_page()
        ]
        return cards.saved_page(lines, index=self.index, pages=self.pages, total=len(self.moments))

    def _build(self) -> None:
        self.clear_items()
        self.index = max(0, min(self.index, self.pages - 1))
        for number, i in enumerate(self._on_page(), 1):
            moment = self.moments[i]
            stamp = format_timestamp(moment.seconds)
            self.add_item(
                cards.RemoveButtonOnPage(
                    moment.episode_id, moment.seconds, label=f"Remove {number} ({stamp})"
                )
            )
        if self.pages > 1:
            self.add_item(
                cards.SavedPageTurner(
                    self.index - 1, "prev", label="◀ Previous", disabled=self.index == 0, row=1
                )
            )
            self.add_item(
                cards.SavedPageTurner(
                    self.index + 1,
                    "next",
                    label="Next ▶",
                    disabled=self.index >= self.pages - 1,
                    row=1,
                )
            )

    async def show(self, interaction: discord.Interaction) -> None:
        self._build()
        if not self.moments:
            self.stop()
            await interaction.response.edit_message(
                content=cards.nothing_saved_message(),
                embed=None,
                view=None,
                allowed_mentions=NO_MENTIONS,
            )
            return
        await interaction.response.edit_message(
            embed=self.page(), view=self, allowed_mentions=NO_MENTIONS
        )


def _thread_name(
    channel: object, interaction: discord.Interaction, channel_id: int | None
) -> str | None:
    """The name of the thread the message is in ("ep 99 spoilers"), when it is one."""
    for candidate in (channel, interaction.channel):
        if isinstance(candidate, discord.Thread) and candidate.id == channel_id:
            return candidate.name
    return None


def _own_message(interaction: discord.Interaction) -> bool:
    """Whether the pressed message is the presser's own /saved answer (so it may be redrawn
    with their list)."""
    message = interaction.message
    if message is None:
        return False
    metadata = getattr(message, "interaction_metadata", None)
    return metadata is not None and getattr(metadata.user, "id", None) == interaction.user.id


def _name(interaction: discord.Interaction) -> str:
    return str(getattr(interaction.user, "display_name", "") or "a member")


async def setup(bot: EpisodeBot) -> None:
    """Load the cog over the bot's store and catalogue; register the card buttons that
    outlive a process (Save, Share, the episode picker, /saved's Remove)."""
    bot.add_dynamic_items(
        cards.SaveMomentButton,
        cards.ShareMomentsButton,
        cards.EpisodePicker,
        cards.UnsaveMomentButton,
        cards.SavedPageButton,
    )
    services = bot.services
    moments = MomentService(services.store, services.catalogue)
    await bot.add_cog(MomentsCog(bot, moments, services.catalogue))
