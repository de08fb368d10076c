"""End to end: the admin commands and new-episode announcements, in a guild.

One bot process (FEEDS = the example show) and one loopback feed server serve the module.
An admin follows feeds with `/feed add`, sets `/announce channel`; a feed gains an episode
and exactly one announcement (with its thread) arrives at the fake Discord — also when the
bot is killed with the announcement in flight, and after a restart. Members without
Manage Server can't use any of it. Each test asserts the fake recorded no violation.
"""

from __future__ import annotations

import email.utils
import time

import pytest
import pytest_asyncio

from tests.fakediscord import CommandNotAvailable, FakeDiscord
from tests.fakediscord.botprocess import SharedBot
from tests.support.feedserver import FeedServer
from tests.support.paths import EXAMPLES, fixture_feed, shared_fixtures_or_skip

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.usefixtures("fresh_violations"),
]

SHOW = "/loopback-show.xml"


def show_feed(numbers: list[int], *, title: str = "Loopback Radio") -> bytes:
    """A small feed with these episodes (newest first), each published within the hour."""
    items = []
    for number in sorted(numbers, reverse=True):
        published = email.utils.formatdate(time.time() - 3600 + number * 60, usegmt=True)
        items.append(
            f"""<item>
  <title>{number}: {EPISODE_TITLES.get(number, f"Episode {number}")}</title>
  <guid isPermaLink="false">loopback-{number}</guid>
  <pubDate>{published}</pubDate>
  <link>https://example.org/loopback/{number}</link>
  <description><![CDATA[<p>Notes for episode {number}.</p><p>(00:00) Hello<br />(05:30) The
  main part<br />(41:00) Goodbye</p>]]></description>
  <enclosure url="https://example.org/loopback/ep{number}.mp3" length="1000" type="audio/mpeg"/>
  <itunes:duration>45:00</itunes:duration>
  <itunes:episode>{number}</itunes:episode>
</item>"""
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel><title>{title}</title><link>https://example.org/loopback</link>
<description>A show served from 127.0.0.1.</description>
{"".join(items)}
</channel></rss>""".encode()


# Titles that try to ping: nothing the bot sends may let them.
EPISODE_TITLES = {3: "@everyone listen, and <@&123456789012345678> too"}


@pytest.fixture(scope="module")
def fake(shared_fake):
    return shared_fake


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def feeds():
    async with FeedServer() as server:
        yield server


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def bot(fake, tmp_path_factory):
    shared = SharedBot(
        fake, tmp_path_factory.mktemp("admin"), feeds=[EXAMPLES / "feed.xml"], ready_feeds=1
    )
    await shared.start()
    yield shared
    assert await shared.stop() == 0, shared.process.tail()


def announcements(fake: FakeDiscord, channel: dict) -> list:
    """The bot's own posts in a channel (not its public answers to commands there)."""
    return [m for m in fake.channel_messages(channel) if m.interaction_id is None]


def announced_number(message) -> str | None:
    """The Episode field of an announcement ("#4"): its title leaves the number out."""
    fields = message.embeds[0].get("fields", [])
    return next((f["value"] for f in fields if f["name"] == "Episode"), None)


async def admin(fake: FakeDiscord, command: str, **options):
    """Run an admin command as the guild's admin; its (ephemeral) answer."""
    handle = await fake.invoke(command, member=fake.admin, **options)
    message = await handle.reply(within=10)
    assert message.ephemeral, f"/{command} answered in public: {message!r}"
    return message


# --------------------------------------------------------------------------- who may


async def test_a_member_without_manage_server_is_refused_feed_add(fake, bot, feeds):
    feeds.route("/members-feed.xml", show_feed([1]))
    url = feeds.url("/members-feed.xml")
    # Discord doesn't even offer the command: it is synced with Manage Server as default.
    with pytest.raises(CommandNotAvailable, match="MANAGE_GUILD"):
        await fake.invoke("feed add", member=fake.member, url=url)

    # A server may grant it to everyone (Server Settings > Integrations); the bot still
    # checks the member's own permission.
    handle = await fake.invoke("feed add", member=fake.member, override_permissions=True, url=url)
    refusal = await handle.reply()
    assert refusal.ephemeral
    assert refusal.content == "You need the Manage Server permission to use this command."
    assert feeds.requests_for("/members-feed.xml") == []
    assert fake.violations == []


# --------------------------------------------------------------------------- /feed


async def test_feed_add_defers_at_once_and_answers_by_follow_up(fake, bot, feeds):
    slow = feeds.route("/slow.xml", show_feed([1, 2], title="Slow Show"), delay=0.8)
    fake.response_deadline = 0.5  # the feed takes longer than this deadline to arrive
    try:
        handle = await fake.invoke("feed add", member=fake.admin, url=feeds.url("/slow.xml"))
        assert await handle.response() == 5  # "thinking…" first, within the deadline
        answer = await handle.reply(within=10)
    finally:
        fake.response_deadline = 3.0
        slow.delay = 0  # later refreshes of every feed need not wait for it
    assert answer.ephemeral
    assert "Slow Show" in answer.content and "2 episodes" in answer.content
    assert fake.violations == []


async def test_fixture_feeds_added_to_the_guild_answer_member_commands(fake, bot, feeds):
    shared_fixtures_or_skip()
    for name in ("pc20rss", "Hanselminutes"):
        feeds.route(f"/{name}.xml", fixture_feed(name).read_bytes())
        answer = await admin(fake, "feed add", url=feeds.url(f"/{name}.xml"))
        assert "episodes" in answer.content, answer.content

    listed = await admin(fake, "feed list")
    assert "Podcasting 2.0" in listed.text() and "Hanselminutes" in listed.text()

    guest = await (await fake.invoke("guest", name="Dave Jones")).reply()
    assert "6 episodes" in guest.text() and "Rocket in your Pocket" in guest.text()

    card = await (await fake.invoke("episode", query="Rocket in your Pocket")).reply()
    assert card.embeds[0]["fields"][0]["value"] == "#56"

    found = await (await fake.invoke("search", query="Knockout Javascript")).reply()
    assert fake.violations == []
    assert "Knockout Javascript with Steve Sanderson" in found.text()


# --------------------------------------------------------------------------- announcements


async def test_announce_channel_refuses_a_role_it_could_not_ping(fake, bot):
    refusal = await admin(
        fake, "announce channel", channel=fake.text_channel["id"], role=fake.quiet_role["id"]
    )
    # The invite grants no Mention Everyone: a role must be mentionable to be pinged.
    assert "Mention" in refusal.content
    assert fake.violations == []


async def test_a_new_episode_is_announced_once_with_a_thread_even_across_a_restart(
    fake, bot, feeds
):
    channel = fake.text_channel
    set_up = await admin(fake, "announce channel", channel=channel["id"], role=fake.ping_role["id"])
    assert channel["id"] in set_up.content
    fake.allow_ping(fake.ping_role)

    feeds.route(SHOW, show_feed([1, 2]))
    await admin(fake, "feed add", url=feeds.url(SHOW))
    await admin(fake, "feed refresh", feed=feeds.url(SHOW))
    assert announcements(fake, channel) == []  # the back catalogue is not announced

    feeds.route(SHOW, show_feed([1, 2, 3]))  # the feed gains an episode
    refreshed = await admin(fake, "feed refresh", feed=feeds.url(SHOW))
    assert "3:" in refreshed.content or "1 new" in refreshed.content, refreshed.content
    await fake.wait_for(lambda: fake.threads, 10, "the announcement's thread")
    [announcement] = announcements(fake, channel)
    assert f"<@&{fake.ping_role['id']}>" in announcement.content
    assert announcement.data["mention_roles"] == [fake.ping_role["id"]]
    assert not announcement.data["mention_everyone"]
    assert "listen" in announcement.embeds[0]["title"]
    thread = fake.thread_for(announcement)
    assert thread is not None and 1 <= len(thread["name"]) <= 100
    await fake.wait_for(lambda: fake.channel_messages(thread), 10, "the chapter list")
    assert "5:30" in fake.channel_messages(thread)[0].text()

    # Killed and started again over the same store: nothing is announced twice.
    await bot.kill()
    await bot.start()
    await admin(fake, "feed refresh", feed=feeds.url(SHOW))
    assert len(announcements(fake, channel)) == 1
    assert len(fake.threads) == 1
    assert fake.violations == []


async def test_an_announcement_whose_answer_was_lost_in_a_crash_is_not_posted_again(
    fake, bot, feeds
):
    channel = fake.text_channel
    before = len(announcements(fake, channel))
    feeds.route(SHOW, show_feed([1, 2, 3, 4]))
    # Discord stores the message, but the bot dies before the answer reaches it.
    in_flight = fake.hold("POST /channels/*/messages", after=True)
    await admin(fake, "feed refresh", feed=feeds.url(SHOW))
    await fake.wait_for(in_flight.arrived.is_set, 10, "the announcement to be posted")
    await bot.kill()
    in_flight.release()

    await bot.start()  # finds its message by the marker in the embed, adds only the thread
    posted = announcements(fake, channel)[-1]
    await fake.wait_for(lambda: fake.thread_for(posted), 15, "the thread on the adopted post")
    assert len(announcements(fake, channel)) == before + 1
    assert announced_number(posted) == "#4"
    assert fake.violations == []


async def test_announce_test_in_a_forum_creates_a_post(fake, bot):
    forum = fake.forum_channel
    await admin(fake, "announce channel", channel=forum["id"])
    answer = await admin(fake, "announce test")
    assert "test announcement" in answer.content.lower()
    posts = [t for t in fake.threads if t["parent_id"] == forum["id"]]
    assert len(posts) == 1
    [starter] = fake.channel_messages(posts[0])[:1]
    assert starter.id == int(posts[0]["id"])
    assert starter.embeds and "test" in starter.text().lower()
    assert fake.violations == []
