"""`/feed add|remove|list|refresh`: which podcast feeds a guild follows (admins only).

Global feeds (FEEDS) are visible in every guild; `/feed add` follows a feed in this guild
only. Handlers are thin: the Poller validates, imports and polls; the functions at the
bottom render what it found. Every reply is ephemeral.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import discord
from discord import app_commands
from discord.ext import commands

from bot.announce.announcer import Announcer
from bot.announce.poller import (
    FeedRefused,
    FollowResult,
    Poller,
    PollOutcome,
    check_feed_url,
    unexpected_error,
)
from bot.app.client import EpisodeBot
from bot.app.tree import UserError
from bot.common.plain_text import truncate
from bot.store import Store
from bot.store.announcement_rows import OPEN_STATES, AnnounceSettings, GuildFeed
from bot.ui.render import PagedList, literal
from bot.ui.replies import reply
from bot.ui.views import PagedAnswer, PageTurnButton, Paginator

log = logging.getLogger(__name__)

FEEDS_PER_PAGE = 8  # one embed field each; keeps a page far below the 6000-character cap
AUTOCOMPLETE_LIMIT = 25


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class FeedsCog(
    commands.GroupCog,
    group_name="feed",
    group_description="Follow podcast feeds in this server (Manage Server)",
):
    """The `/feed` group."""

    # Paged answers this cog rebuilds for `PageTurnButton`: /feed list (the guild's).
    page_kinds = ("f",)

    def __init__(self, store: Store, poller: Poller, announcer: Announcer) -> None:
        self.store = store
        self.poller = poller
        self.announcer = announcer
        super().__init__()

    # ------------------------------------------------------------------ /feed add

    @app_commands.command(name="add", description="Follow a podcast feed in this server")
    @app_commands.describe(url="The feed's address (http or https)")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def add(
        self, interaction: discord.Interaction, url: app_commands.Range[str, 1, 2000]
    ) -> None:
        """Validate and import the feed (its back catalogue is not announced)."""
        guild_id = _guild_id(interaction)
        try:
            check_feed_url(url)  # a plain typo is answered at once
        except FeedRefused as refused:
            raise UserError(str(refused)) from None
        # Fetching and importing takes longer than Discord's 3 seconds.
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            result = await self.poller.follow(url, guild_id=guild_id, user_id=interaction.user.id)
        except FeedRefused as refused:
            raise UserError(str(refused)) from None
        except Exception as exc:
            # The poller answers for the feed; this is a bug elsewhere. The admin still
            # learns what happened to their URL, not only that something went wrong.
            log.exception("/feed add %s failed", url)
            raise UserError(
                f"I couldn't import <{url.strip()}>: {unexpected_error(exc)}."
            ) from None
        await reply(interaction, follow_message(result), ephemeral=True)

    # ------------------------------------------------------------------ /feed remove

    @app_commands.command(name="remove", description="Stop following a feed in this server")
    @app_commands.describe(feed="A feed this server added with /feed add")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def remove(
        self, interaction: discord.Interaction, feed: app_commands.Range[str, 1, 200]
    ) -> None:
        """Unfollow one of this guild's own feeds (global feeds can't be removed here)."""
        guild_id = _guild_id(interaction)
        feeds = await self.store.guild_feeds(guild_id)
        chosen = pick_feed(feeds, feed)
        if chosen is None:
            raise UserError(
                f"This server doesn't follow a feed matching “{literal(feed.strip(), 100)}”. "
                "`/feed list` shows the feeds here."
            )
        if not chosen.followed_here:
            raise UserError(
                f"**{_name(chosen)}** is one of the bot's global feeds (FEEDS): every server "
                "sees it, and only the bot's operator can remove it."
            )
        await self.store.unfollow_feed(guild_id, chosen.id)
        note = " It stays visible here as a global feed." if chosen.is_global else ""
        await reply(
            interaction,
            f"This server no longer follows **{_name(chosen)}**; its new episodes won't be "
            f"announced here.{note}",
            ephemeral=True,
        )

    @remove.autocomplete("feed")
    async def _remove_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        feeds = await self.store.guild_feeds(_guild_id(interaction))
        return feed_choices([f for f in feeds if f.followed_here], current)

    # ------------------------------------------------------------------ /feed list

    @app_commands.command(name="list", description="The feeds this server sees and how they are")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def list_feeds(self, interaction: discord.Interaction) -> None:
        """Feeds, episode counts, last poll, last error, status; announcement status."""
        pages = await self._feed_list(_guild_id(interaction))
        await Paginator(pages, owner_id=interaction.user.id, kind="f").start(
            interaction, ephemeral=True
        )

    async def _feed_list(self, guild_id: int) -> PagedList[tuple[str, str]]:
        feeds = await self.store.guild_feeds(guild_id)
        settings = await self.store.announce_settings(guild_id)
        counts = await self.store.delivery_counts(guild_id)
        return feed_list(feeds, settings, counts)

    async def load_pages(
        self, interaction: discord.Interaction, kind: str, key: str
    ) -> PagedAnswer | None:
        """The feed list rebuilt for a page turn (`PageSources`), as it is now."""
        if kind != "f" or interaction.guild_id is None:
            return None
        return PagedAnswer(await self._feed_list(interaction.guild_id))

    # ------------------------------------------------------------------ /feed refresh

    @app_commands.command(name="refresh", description="Check feeds for new episodes now")
    @app_commands.describe(feed="One feed (default: every feed this server sees)")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def refresh(
        self,
        interaction: discord.Interaction,
        feed: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        """Poll now and report what was new; a paused feed that reads fine is resumed."""
        guild_id = _guild_id(interaction)
        feeds = await self.store.guild_feeds(guild_id)
        if feed is not None:
            chosen = pick_feed(feeds, feed)
            if chosen is None:
                raise UserError(
                    f"No feed here matches “{literal(feed.strip(), 100)}”. `/feed list` shows them."
                )
            feeds = [chosen]
        if not feeds:
            raise UserError("This server sees no feeds yet. Add one with `/feed add`.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            # Each feed's own failure is in its outcome; this catches a bug around them.
            outcomes = await self.poller.poll_feeds([f.id for f in feeds])
        except Exception as exc:
            log.exception("/feed refresh failed")
            raise UserError(f"I couldn't refresh the feeds: {unexpected_error(exc)}.") from None
        if any(outcome.new for outcome in outcomes):
            self.announcer.drain_soon()  # announce now rather than at the next tick
        titles = {
            o.feed_id: await self.store.episode_titles(o.new_episode_ids) for o in outcomes if o.new
        }
        await reply(interaction, refresh_message(outcomes, titles), ephemeral=True)

    @refresh.autocomplete("feed")
    async def _refresh_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return feed_choices(await self.store.guild_feeds(_guild_id(interaction)), current)


# ---------------------------------------------------------------------- helpers


def _guild_id(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:  # guild_only() keeps this from happening
        raise UserError("This command only works in a server.")
    return interaction.guild_id


def _name(feed: GuildFeed) -> str:
    return literal(feed.title or feed.url, 150)


def feed_choices(feeds: list[GuildFeed], current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete: feeds whose title or URL contains what was typed (value: the id)."""
    needle = current.strip().casefold()
    matches = [
        f for f in feeds if not needle or needle in f.title.casefold() or needle in f.url.casefold()
    ]
    return [
        app_commands.Choice(name=truncate(f.title or f.url, 100) or str(f.id), value=str(f.id))
        for f in matches[:AUTOCOMPLETE_LIMIT]
    ]


def pick_feed(feeds: list[GuildFeed], value: str) -> GuildFeed | None:
    """Re-resolve an autocomplete value (an id) or what an admin typed (title or URL)."""
    value = value.strip()
    if value.isdigit():
        for feed in feeds:
            if feed.id == int(value):
                return feed
    folded = value.casefold()
    exact = [f for f in feeds if folded in (f.title.casefold(), f.url.casefold())]
    if len(exact) == 1:
        return exact[0]
    partial = [f for f in feeds if folded in f.title.casefold() or folded in f.url.casefold()]
    return partial[0] if len(partial) == 1 else None


def follow_message(result: FollowResult) -> str:
    title = literal(result.title or "the feed", 200)
    totals = f"{result.episodes} episodes, {result.chapters} chapters"
    if result.kind == "already_global":
        return f"**{title}** is already followed: it is one of the bot's global feeds ({totals})."
    if result.kind == "already_here":
        return f"This server already follows **{title}** ({totals})."
    verb = "Imported" if result.kind == "added" else "Now following"
    return (
        f"{verb} **{title}**: {totals}. Its back catalogue won't be announced; new episodes "
        "will be (set where with `/announce channel`)."
    )


def feed_status(feed: GuildFeed) -> str:
    if feed.status == "paused":
        return "⏸️ paused after failing for 48 hours — `/feed refresh` resumes it"
    if feed.status == "failing":
        retry = f", next try <t:{feed.next_poll_at}:R>" if feed.next_poll_at else ""
        return f"⚠️ failing ({feed.failure_count} in a row{retry})"
    return "✅ ok"


def feed_list_pages(
    feeds: list[GuildFeed], settings: AnnounceSettings | None, counts: dict[str, int]
) -> list[discord.Embed]:
    """`/feed list` as embeds of a few feeds each (pages), the first one saying where
    announcements go and whether something is wrong there."""
    return feed_list(feeds, settings, counts).pages()


def feed_list(
    feeds: list[GuildFeed], settings: AnnounceSettings | None, counts: dict[str, int]
) -> PagedList[tuple[str, str]]:
    """`feed_list_pages` as pages to draw: a field per feed, FEEDS_PER_PAGE a page."""
    status = announce_status(settings, counts)
    if not feeds:
        status += "\n\nNo feeds yet: add one with `/feed add`."
    fields = [(_name(feed), feed_field(feed)) for feed in feeds]

    def draw(group: Sequence[tuple[str, str]], index: int, total: int) -> discord.Embed:
        embed = discord.Embed(title="Feeds in this server")
        if index == 0:
            embed.description = status
        for name, value in group:
            embed.add_field(name=name, value=value, inline=False)
        if total > 1:
            embed.set_footer(text=f"Page {index + 1} of {total}")
        return embed

    starts = tuple(range(0, max(1, len(fields)), FEEDS_PER_PAGE))
    return PagedList(tuple(fields), starts, draw)


def feed_field(feed: GuildFeed) -> str:
    """A feed's line in /feed list: episodes, where from, last poll, status, error, URL."""
    scope = "global (FEEDS)" if feed.is_global else "added here"
    polled = f"<t:{feed.last_polled_at}:R>" if feed.last_polled_at else "never"
    lines = [
        f"{feed.episode_count} episodes · {scope}",
        f"Last poll: {polled} · {feed_status(feed)}",
    ]
    if feed.last_error:
        lines.append(f"Last error: {literal(feed.last_error, 300)}")
    lines.append(truncate(feed.url, 300))
    return truncate("\n".join(lines), 1024)


def announce_status(settings: AnnounceSettings | None, counts: dict[str, int]) -> str:
    """One paragraph on announcements here: where, and what is wrong, if anything."""
    if settings is None:
        return "Announcements: off. Turn them on with `/announce channel`."
    if not settings.enabled:
        return "Announcements: off (`/announce channel` turns them back on)."
    parts = [f"Announcements: in <#{settings.channel_id}>"]
    if settings.role_id:
        parts.append(f"mentioning <@&{settings.role_id}>")
    waiting = sum(counts.get(state, 0) for state in OPEN_STATES)
    if waiting:
        parts.append(f"{waiting} waiting")
    if counts.get("failed"):
        parts.append(f"{counts['failed']} failed")
    text = ", ".join(parts) + "."
    if settings.last_error:
        since = f" (<t:{settings.last_error_at}:R>)" if settings.last_error_at else ""
        # The announcer's own words, with channel mentions meant to show as links.
        error = discord.utils.escape_markdown(truncate(settings.last_error, 500))
        text += f"\n⚠️ Last problem{since}: {error}."
        if settings.blocked:
            text += " Announcements are **stopped** until you fix it and run `/announce channel`."
    return text


def refresh_message(outcomes: list[PollOutcome], titles: dict[int | None, list[str]]) -> str:
    """What `/feed refresh` found, a line per feed."""
    lines = []
    for outcome in outcomes:
        name = literal(outcome.title or outcome.url, 120)
        if outcome.error:
            paused = " The feed stays paused." if outcome.status == "paused" else ""
            lines.append(f"**{name}**: failed: {literal(outcome.error, 300)}.{paused}")
            continue
        resumed = " (resumed)" if outcome.resumed else ""
        if outcome.new:
            new_titles = titles.get(outcome.feed_id, [])
            listed = "; ".join(literal(t, 80) for t in new_titles[:5])
            extra = f" and {len(new_titles) - 5} more" if len(new_titles) > 5 else ""
            plural = "s" if outcome.new != 1 else ""
            lines.append(f"**{name}**{resumed}: {outcome.new} new episode{plural}: {listed}{extra}")
        elif outcome.not_modified:
            lines.append(f"**{name}**{resumed}: no change since the last poll.")
        else:
            updated = f" ({outcome.updated} updated)" if outcome.updated else ""
            lines.append(f"**{name}**{resumed}: no new episodes{updated}.")
    return truncate("\n".join(lines) or "Nothing to refresh.", 2000)


async def setup(bot: EpisodeBot) -> None:
    services = bot.services
    bot.add_dynamic_items(PageTurnButton)  # its page turns, after a restart too
    await bot.add_cog(FeedsCog(services.store, services.poller, services.announcer))
