"""The admin commands, called through their real cog callbacks with specced fakes:
`/feed add|remove|list|refresh`, `/announce channel|off|test`, and the poller cog."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from unittest.mock import create_autospec
from urllib.parse import urlsplit

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from bot.announce.poller import PollOutcome
from bot.app.client import EpisodeBot
from bot.app.settings import Settings
from bot.app.tree import UserError, explain
from bot.ingest.fetch import Fetcher
from bot.ingest.importer import Importer
from bot.store import Store
from bot.store.announcement_rows import GuildFeed
from bot.ui.views import Paginator
from cogs.announce import AnnounceCog
from cogs.feed_polling import PollerCog
from cogs.feeds import FeedsCog, feed_list_pages, refresh_message
from tests.support.fake_channels import (
    FORUM_CHANNEL_ID,
    GUILD_ID,
    OTHER_GUILD_ID,
    ROLE_ID,
    TEXT_CHANNEL_ID,
    ChannelWorld,
    Item,
    feed_xml,
)
from tests.support.fake_interactions import fake_interaction

NOW = datetime.now(UTC)
ADMIN = discord.Permissions(manage_guild=True)
CATALOGUE = [
    Item(f"ep-{n}", f"Episode {n}", NOW - timedelta(days=30 - n), number=n) for n in range(3)
]


class Admin:
    """The bot's admin cogs over a real store, as `setup()` wires them, with a fake guild."""

    def __init__(self, bot: EpisodeBot, world: ChannelWorld) -> None:
        self.bot = bot
        self.world = world
        services = bot.services  # as every cog's setup() takes them
        self.services = services
        # The sender talks to the fake channels instead of the bot's cache.
        services.announcer._resolve = world.resolve
        services.announcer._me = lambda: world.bot_user_id
        self.feeds = FeedsCog(bot.store, services.poller, services.announcer)
        self.announce = AnnounceCog(bot.store, services.announcer)

    def interaction(self, *, permissions=ADMIN, guild_id=GUILD_ID):
        fake = fake_interaction(permissions=permissions, guild_id=guild_id)
        fake.interaction.guild = self.world.guild()
        return fake


async def make_admin(
    store: Store,
    *,
    allow_private: bool,
    fetcher_class: type[Fetcher] = Fetcher,
    importer_class: type[Importer] = Importer,
):
    fetcher = fetcher_class(timeout=2)
    bot = EpisodeBot(
        settings=Settings(allow_private_feed_urls=allow_private),
        store=store,
        fetcher=fetcher,
        importer=importer_class(store, fetcher, remote_files=False),
        extensions=(),
    )
    admin = Admin(bot, ChannelWorld())
    return admin, fetcher


@pytest.fixture
async def admin(store):
    """Private feed URLs allowed (the loopback feed server is private)."""
    admin, fetcher = await make_admin(store, allow_private=True)
    yield admin
    await admin.bot.close()  # closes the services it built
    await fetcher.close()


@pytest.fixture
async def strict_admin(store):
    """The default: /feed add refuses private addresses."""
    admin, fetcher = await make_admin(store, allow_private=False)
    yield admin
    await admin.bot.close()  # closes the services it built
    await fetcher.close()


class BuggyImporter(Importer):
    """The real importer over the real store, with a genuine bug that the sources in
    `buggy` trigger (what a bug left in parsing or fetching does to the commands)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.buggy: set[str] = set()

    async def import_source(self, source, **options):
        if source in self.buggy:
            b"\xed\xa0\x80".decode("utf-8")  # a lone surrogate: UnicodeDecodeError
        return await super().import_source(source, **options)


class BuggyFetcher(Fetcher):
    """The real fetcher, with the bug issue 9 found in it: a host label over 63 characters
    reached the IDNA codec, which raises UnicodeError."""

    async def check_public_url(self, url: str) -> None:
        (urlsplit(url).hostname or "").encode("idna")
        await super().check_public_url(url)


@pytest.fixture
async def buggy_admin(store):
    admin, fetcher = await make_admin(
        store, allow_private=True, fetcher_class=BuggyFetcher, importer_class=BuggyImporter
    )
    yield admin
    await admin.bot.close()  # closes the services it built
    await fetcher.close()


BUG = (
    "unexpected UnicodeDecodeError: 'utf-8' codec can't decode byte 0xed in position 0: "
    "invalid continuation byte"
)


async def add_feed(admin: Admin, url: str, *, guild_id=GUILD_ID):
    fake = admin.interaction(guild_id=guild_id)
    await admin.feeds.add.callback(admin.feeds, fake.interaction, url=url)
    return fake


# ---------------------------------------------------------------------- who may use them


def admin_commands(admin: Admin) -> list[app_commands.Command]:
    feeds, announce = admin.feeds, admin.announce
    return [
        feeds.add,
        feeds.remove,
        feeds.list_feeds,
        feeds.refresh,
        announce.channel,
        announce.off,
        announce.test,
    ]


async def test_admin_commands_refuse_a_member_without_manage_server(admin):
    member = admin.interaction(permissions=discord.Permissions.none())
    allowed = admin.interaction(permissions=ADMIN)
    for command in admin_commands(admin):
        # The checks as discord.py runs them before the callback.
        with pytest.raises(app_commands.MissingPermissions) as refused:
            await command._check_can_run(member.interaction)
        assert explain(refused.value) == (
            "You need the Manage Server permission to use this command."
        )
        assert await command._check_can_run(allowed.interaction), command.qualified_name
    assert member.sent == []  # refused before anything ran


def test_admin_groups_are_hidden_from_members_and_only_in_servers(admin):
    for cog in (admin.feeds, admin.announce):
        group = cog.__cog_app_commands_group__
        assert group.default_permissions == discord.Permissions(manage_guild=True)
        assert group.guild_only


# ---------------------------------------------------------------------- /feed add


async def test_feed_add_imports_a_feed_for_this_server_only(admin, store, server):
    server.route("/show.xml", feed_xml("Loopback Show", CATALOGUE))
    fake = await add_feed(admin, server.url("/show.xml"))

    assert fake.sent[0].kind == "defer" and fake.sent[0].ephemeral
    answer = fake.last
    assert answer.ephemeral
    assert "Imported **Loopback Show**: 3 episodes, 9 chapters" in answer.content
    assert "back catalogue won't be announced" in answer.content
    assert [f.title for f in await store.guild_feeds(GUILD_ID)] == ["Loopback Show"]
    assert await store.guild_feeds(OTHER_GUILD_ID) == []  # not visible in another guild
    assert (await store.fetchone("SELECT count(*) FROM deliveries"))[0] == 0

    again = await add_feed(admin, server.url("/show.xml"))
    assert "already follows **Loopback Show**" in again.last.content
    other = await add_feed(admin, server.url("/show.xml"), guild_id=OTHER_GUILD_ID)
    assert "Now following **Loopback Show**" in other.last.content
    assert len(await store.guild_feeds(OTHER_GUILD_ID)) == 1


async def test_feed_add_refuses_private_addresses_unless_allowed(strict_admin, store, server):
    server.route("/show.xml", feed_xml("Loopback Show", CATALOGUE))
    with pytest.raises(UserError, match="private address"):
        await add_feed(strict_admin, server.url("/show.xml"))
    with pytest.raises(UserError, match="private address"):
        await add_feed(strict_admin, "http://127.0.0.1/feed.xml")
    assert (await store.fetchone("SELECT count(*) FROM feeds"))[0] == 0
    assert server.requests == []  # refused before any request


async def test_feed_add_refuses_what_is_not_a_web_url(admin, store):
    fake = admin.interaction()  # each refusal raises before anything is sent
    for url in ("ftp://example.com/feed.xml", "file:///etc/passwd", "not a url", "http://[::1"):
        with pytest.raises(UserError, match="Only http:// and https://"):
            await admin.feeds.add.callback(admin.feeds, fake.interaction, url=url)
    assert (await store.fetchone("SELECT count(*) FROM feeds"))[0] == 0


async def test_feed_add_of_something_that_is_not_a_feed_stores_nothing(admin, store, server):
    server.route("/page.html", "<html><body>hello</body></html>", content_type="text/html")
    server.route("/gone.xml", "", status=404)
    with pytest.raises(UserError, match=r"couldn't read .* as a podcast feed: not a readable"):
        await add_feed(admin, server.url("/page.html"))
    with pytest.raises(UserError, match="404"):
        await add_feed(admin, server.url("/gone.xml"))
    assert (await store.fetchone("SELECT count(*) FROM feeds"))[0] == 0


async def test_feed_add_tells_the_admin_what_an_unexpected_error_was(buggy_admin, store, server):
    server.route("/buggy.xml", feed_xml("Buggy", CATALOGUE))
    buggy = server.url("/buggy.xml")
    buggy_admin.bot.services.importer.buggy.add(buggy)
    with pytest.raises(UserError) as refused:
        await add_feed(buggy_admin, buggy)
    assert explain(refused.value) == f"I couldn't import <{buggy}>: {BUG}."

    long_label = f"http://{'a' * 64}.example/feed.xml"
    with pytest.raises(UserError) as refused:
        await add_feed(buggy_admin, long_label)
    message = explain(refused.value)
    assert message is not None
    assert message.startswith(f"I couldn't import <{long_label}>: unexpected UnicodeError: ")
    assert (await store.fetchone("SELECT count(*) FROM feeds"))[0] == 0

    server.route("/show.xml", feed_xml("Loopback Show", CATALOGUE))
    fake = await add_feed(buggy_admin, server.url("/show.xml"))  # the next one works
    assert "Imported **Loopback Show**" in fake.last.content


# ---------------------------------------------------------------------- list, remove, refresh


async def test_feed_list_shows_each_feed_with_its_status_and_the_announcement_status(
    admin, store, server
):
    server.route("/a.xml", feed_xml("Alpha", CATALOGUE))
    await add_feed(admin, server.url("/a.xml"))
    async with store.transaction() as db:
        await db.execute(
            "UPDATE feeds SET status = 'paused', last_error = 'HTTP 500 Internal Server Error'"
        )
    await store.set_announce_channel(
        GUILD_ID, TEXT_CHANNEL_ID, role_id=None, thread=True, user_id=None
    )
    await store.record_guild_error(GUILD_ID, "missing the Embed Links permission", block=True)
    fake = admin.interaction()

    await admin.feeds.list_feeds.callback(admin.feeds, fake.interaction)

    [page] = fake.messages()
    assert page.ephemeral
    [embed] = page.embeds
    [field] = embed.fields
    assert field.name == "Alpha"
    assert "3 episodes · added here" in field.value
    assert "Last poll: <t:" in field.value and ":R>" in field.value
    assert "paused" in field.value
    assert "Last error: HTTP 500 Internal Server Error" in field.value
    assert f"<#{TEXT_CHANNEL_ID}>" in embed.description
    assert "missing the Embed Links permission" in embed.description
    assert "**stopped**" in embed.description


async def test_feed_list_is_paged_when_long(admin, store):
    for n in range(20):
        await store.ensure_feed(f"https://example.com/{n}.xml", guild_id=GUILD_ID)
    fake = admin.interaction()
    await admin.feeds.list_feeds.callback(admin.feeds, fake.interaction)
    [message] = fake.messages()  # one message, turned with buttons, not three
    assert message.ephemeral
    assert isinstance(message.view, Paginator)
    assert message.view.owner_id == fake.interaction.user.id
    pages = message.view.pages
    assert len(pages) == 3
    assert message.embeds == [pages[0]]
    assert sum(len(page.fields) for page in pages) == 20
    assert all(len(page) <= 6000 for page in pages)
    assert pages[0].footer.text == "Page 1 of 3"
    assert message.view.next_page.custom_id.startswith("pages:")  # persistent: see below
    message.view.stop()


async def test_feed_list_pages_are_rebuilt_from_the_store_for_a_turn(admin, store):
    """After a restart (or once the answer is no longer kept) a turn reads the list again,
    as it is now, in the guild of the admin who turns."""
    for n in range(20):
        await store.ensure_feed(f"https://example.com/{n}.xml", guild_id=GUILD_ID)
    answer = await admin.feeds.load_pages(admin.interaction().interaction, "f", "")
    assert answer is not None and answer.source.count == 3
    second = answer.source.page(1)
    assert second.footer.text == "Page 2 of 3" and len(second.fields) == 8
    elsewhere = await admin.feeds.load_pages(
        admin.interaction(guild_id=GUILD_ID + 1).interaction, "f", ""
    )
    assert elsewhere is not None and elsewhere.source.count == 1
    assert "No feeds yet" in (elsewhere.source.page(0).description or "")


def test_feed_titles_and_errors_are_shown_literally():
    loud = "**Loud** @everyone <@&123456789012345678>"
    feed = GuildFeed(
        id=1,
        url="https://example.com/loud.xml",
        title=loud,
        is_global=False,
        followed_here=True,
        episode_count=1,
        last_polled_at=None,
        last_success_at=None,
        last_error="HTTP 500 @here",
        status="failing",
        failure_count=1,
        next_poll_at=None,
    )
    [page] = feed_list_pages([feed], None, {})
    [field] = page.fields
    outcome = PollOutcome(feed.url, feed.id, title=loud, error="HTTP 500 @here")
    for text in (field.name, field.value, refresh_message([outcome], {})):
        assert "@everyone" not in text.replace("@\u200beveryone", "")
        assert "@here" not in text.replace("@\u200bhere", "")
        assert "<@&" not in text.replace("\\<@&", "")
    assert field.name.startswith("\\*\\*Loud\\*\\*")


async def test_feed_remove_offers_and_removes_only_this_servers_feeds(admin, store, server):
    server.route("/mine.xml", feed_xml("Mine", CATALOGUE))
    server.route("/global.xml", feed_xml("Everyone's", CATALOGUE))
    await add_feed(admin, server.url("/mine.xml"))
    await admin.services.poller.import_feeds([server.url("/global.xml")])

    fake = admin.interaction()
    choices = await admin.feeds._remove_autocomplete(fake.interaction, "")
    assert [c.name for c in choices] == ["Mine"]
    with pytest.raises(UserError, match="global feeds"):
        await admin.feeds.remove.callback(admin.feeds, fake.interaction, feed="Everyone's")

    await admin.feeds.remove.callback(admin.feeds, fake.interaction, feed=choices[0].value)
    assert "no longer follows **Mine**" in fake.last.content and fake.last.ephemeral
    assert [f.title for f in await store.guild_feeds(GUILD_ID)] == ["Everyone's"]
    # Nobody follows it any more: gone from the store with its episodes.
    assert await store.feed_by_url(server.url("/mine.xml")) is None


async def test_feed_refresh_reports_new_episodes_and_resumes_a_paused_feed(admin, store, server):
    route = server.route("/show.xml", feed_xml("Show", CATALOGUE))
    await add_feed(admin, server.url("/show.xml"))
    async with store.transaction() as db:
        await db.execute("UPDATE feeds SET status = 'paused', failure_count = 9")
    fresh = Item("fresh", "Brand new", NOW - timedelta(hours=1), number=3)
    route.body = feed_xml("Show", [*CATALOGUE, fresh]).encode()
    fake = admin.interaction()

    await admin.feeds.refresh.callback(admin.feeds, fake.interaction, feed=None)

    assert fake.sent[0].kind == "defer"
    assert fake.last.content == "**Show** (resumed): 1 new episode: Brand new"
    assert (await store.guild_feeds(GUILD_ID))[0].status == "ok"


# ---------------------------------------------------------------------- /announce


def role(*, mentionable: bool) -> discord.Role:
    made = create_autospec(discord.Role, instance=True)
    made.id = ROLE_ID
    made.mention = f"<@&{ROLE_ID}>"
    made.mentionable = mentionable
    made.is_default.return_value = False
    return made


MISSING_CASES = [
    ("text", "send_messages", True, "**Send Messages**"),
    ("text", "embed_links", True, "**Embed Links**"),
    ("text", "read_message_history", True, "**Read Message History**"),
    ("text", "create_public_threads", True, "**Create Public Threads**"),
    ("text", "send_messages_in_threads", True, "**Send Messages in Threads**"),
    ("text", "view_channel", False, "**View Channel**"),
    ("forum", "send_messages", True, "**Create Posts**"),
    ("forum", "send_messages_in_threads", True, "**Send Messages in Threads**"),
]


async def test_announce_channel_names_the_missing_permission(admin, store):
    channels = {"text": admin.world.text_channel(), "forum": admin.world.forum_channel()}
    fake = admin.interaction()  # each refusal raises before anything is sent
    for kind, denied, thread, named in MISSING_CASES:
        channel = channels[kind]
        granted = discord.Permissions.all()
        granted.update(**{denied: False})
        channel.permissions_for.return_value = granted
        with pytest.raises(UserError) as refused:
            await admin.announce.channel.callback(
                admin.announce, fake.interaction, channel=channel, thread=thread
            )
        assert named in str(refused.value), (kind, denied)
        assert f"I can't announce in {channel.mention} yet" in str(refused.value)
    assert await store.announce_settings(GUILD_ID) is None


async def test_a_role_that_is_not_mentionable_needs_mention_everyone(admin, store):
    channel = admin.world.text_channel(mention_everyone=False)
    fake = admin.interaction()
    with pytest.raises(UserError, match="Mention @everyone, @here and All Roles"):
        await admin.announce.channel.callback(
            admin.announce, fake.interaction, channel=channel, role=role(mentionable=False)
        )
    await admin.announce.channel.callback(
        admin.announce, fake.interaction, channel=channel, role=role(mentionable=True)
    )
    assert fake.last.ephemeral
    assert fake.last.allowed_mentions.to_dict() == discord.AllowedMentions.none().to_dict()
    settings = await store.announce_settings(GUILD_ID)
    assert (settings.channel_id, settings.role_id, settings.thread) == (
        TEXT_CHANNEL_ID,
        ROLE_ID,
        True,
    )


async def test_announce_channel_clears_a_block_and_sends_what_waited(admin, store, server):
    route = server.route("/show.xml", feed_xml("Show", CATALOGUE))
    await add_feed(admin, server.url("/show.xml"))
    await store.set_announce_channel(
        GUILD_ID, TEXT_CHANNEL_ID, role_id=None, thread=False, user_id=None
    )
    await store.record_guild_error(GUILD_ID, "missing the Embed Links permission", block=True)
    route.body = feed_xml("Show", [*CATALOGUE, Item("n", "Waited", NOW)]).encode()
    await admin.services.poller.poll_feeds([f.id for f in await store.guild_feeds(GUILD_ID)])
    await admin.services.announcer.drain()
    assert admin.world.posted == []  # blocked
    channel = admin.world.text_channel()
    fake = admin.interaction()

    await admin.announce.channel.callback(
        admin.announce, fake.interaction, channel=channel, thread=False
    )

    assert "earlier problem is cleared: missing the Embed Links permission" in fake.last.content
    await admin.services.announcer.drain()  # after the one the command started
    assert [p.embed.title for p in admin.world.announcements(TEXT_CHANNEL_ID)] == ["Waited"]


async def test_announce_test_posts_the_latest_episode_marked_as_a_test(admin, store, server):
    server.route("/show.xml", feed_xml("Show", CATALOGUE))
    await add_feed(admin, server.url("/show.xml"))
    channel = admin.world.text_channel()
    await admin.announce.channel.callback(
        admin.announce,
        admin.interaction().interaction,
        channel=channel,
        role=role(mentionable=True),
    )
    fake = admin.interaction()

    await admin.announce.test.callback(admin.announce, fake.interaction)

    [post] = admin.world.announcements(TEXT_CHANNEL_ID)
    assert post.embed.title == "Episode 2"
    assert post.content.startswith("**Test announcement**")
    assert post.allowed_mentions.to_dict() == discord.AllowedMentions.none().to_dict()
    [thread_id] = admin.world.threads
    assert admin.world.thread_names[thread_id] == "Test: Episode 2"
    assert f"Posted a test announcement in <#{TEXT_CHANNEL_ID}>" in fake.last.content
    assert post.message.jump_url in fake.last.content
    assert (await store.fetchone("SELECT count(*) FROM deliveries"))[0] == 0


async def test_announce_test_without_a_channel_says_what_to_do(admin):
    with pytest.raises(UserError, match="/announce channel"):
        await admin.announce.test.callback(admin.announce, admin.interaction().interaction)


async def test_announce_off_stops_announcing_and_drops_waiting_ones(admin, store, server):
    route = server.route("/show.xml", feed_xml("Show", CATALOGUE))
    await add_feed(admin, server.url("/show.xml"))
    await store.set_announce_channel(
        GUILD_ID, FORUM_CHANNEL_ID, role_id=None, thread=True, user_id=None
    )
    route.body = feed_xml("Show", [*CATALOGUE, Item("n", "New", NOW)]).encode()
    await admin.services.poller.poll_feeds([f.id for f in await store.guild_feeds(GUILD_ID)])
    fake = admin.interaction()

    await admin.announce.off.callback(admin.announce, fake.interaction)

    assert "won't be announced here any more" in fake.last.content
    assert not (await store.announce_settings(GUILD_ID)).enabled
    assert await store.delivery_counts(GUILD_ID) == {"skipped": 1}


# ---------------------------------------------------------------------- the poller cog


async def test_the_poller_cog_imports_feeds_polls_and_announces_then_stops_on_unload(store, server):
    route = server.route("/show.xml", feed_xml("Show", CATALOGUE))
    world = ChannelWorld()
    world.text_channel()
    async with Fetcher() as fetcher:
        importer = Importer(store, fetcher, remote_files=False)
        bot = create_autospec(commands.Bot, instance=True)
        admin_bot = EpisodeBot(
            settings=Settings(poll_interval_minutes=1),
            store=store,
            fetcher=fetcher,
            importer=importer,
            extensions=(),
        )
        services = admin_bot.services
        services.announcer._resolve = world.resolve
        cog = PollerCog(
            bot,
            poller=services.poller,
            announcer=services.announcer,
            feeds=[server.url("/show.xml")],
            tick_seconds=0.01,
        )
        await cog.run_once()  # FEEDS imported, back catalogue not announced
        assert [f.title for f in await store.guild_feeds(GUILD_ID)] == ["Show"]
        await store.set_announce_channel(
            GUILD_ID, TEXT_CHANNEL_ID, role_id=None, thread=False, user_id=None
        )
        route.body = feed_xml("Show", [*CATALOGUE, Item("n", "New one", NOW)]).encode()
        async with store.transaction() as db:
            await db.execute("UPDATE feeds SET next_poll_at = 0")

        await cog.cog_load()  # the loop runs once the bot is ready
        for _ in range(200):
            if world.announcements(TEXT_CHANNEL_ID):
                break
            await asyncio.sleep(0.01)
        bot.wait_until_ready.assert_awaited()
        assert cog.tick.is_running()
        await cog.cog_unload()
        assert not cog.tick.is_running()
        await admin_bot.close()
    assert [p.embed.title for p in world.announcements(TEXT_CHANNEL_ID)] == ["New one"]


async def test_feed_refresh_names_an_unexpected_error_and_refreshes_the_other_feeds(
    buggy_admin, store, server
):
    server.route("/buggy.xml", feed_xml("Buggy", CATALOGUE))
    good = server.route("/good.xml", feed_xml("Good", CATALOGUE))
    await add_feed(buggy_admin, server.url("/buggy.xml"))
    await add_feed(buggy_admin, server.url("/good.xml"))
    buggy_admin.bot.services.importer.buggy.add(server.url("/buggy.xml"))
    fresh = Item("fresh", "Brand new", NOW - timedelta(hours=1), number=3)
    good.body = feed_xml("Good", [*CATALOGUE, fresh]).encode()
    fake = buggy_admin.interaction()

    await buggy_admin.feeds.refresh.callback(buggy_admin.feeds, fake.interaction, feed=None)

    assert fake.last.ephemeral
    assert fake.last.content.splitlines() == [
        f"**Buggy**: failed: {BUG}.",
        "**Good**: 1 new episode: Brand new",
    ]
    [buggy] = [f for f in await store.guild_feeds(GUILD_ID) if f.title == "Buggy"]
    assert buggy.last_error == BUG  # and /feed list shows it
