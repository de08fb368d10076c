"""Announcements: the message itself, the outbox, crashes, the backlog rule, Discord errors.

Real store files, real imports of generated feeds, and specced fake channels
(tests/support/fake_channels.py) that record what the sender posted.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest.mock import create_autospec

import discord
import pytest

from bot.announce.announcement import (
    CONTENT_LIMIT,
    build_announcement,
    delivery_marker,
    has_marker,
)
from bot.announce.announcer import MAX_ATTEMPTS, Announcer, catch_up_after, missing_permissions
from bot.ingest.fetch import Fetcher
from bot.ingest.importer import Importer, ImportSummary
from bot.store import Store
from bot.store.announcement_rows import AnnouncedChapter
from tests.support.announcements import episode
from tests.support.fake_channels import (
    FORUM_CHANNEL_ID,
    GUILD_ID,
    OTHER_GUILD_ID,
    ROLE_ID,
    TEXT_CHANNEL_ID,
    ChannelWorld,
    Crash,
    Item,
    feed_xml,
    http_error,
)

NOW = datetime.now(UTC)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


class FakeTime:
    """A monotonic clock that only moves when the sender sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_announcer(store: Store, world: ChannelWorld, *, clock=time.time, fake_time=None):
    fake_time = fake_time or FakeTime()
    return Announcer(
        store,
        resolve_channel=world.resolve,
        bot_user_id=lambda: world.bot_user_id,
        clock=clock,
        monotonic=fake_time.monotonic,
        sleep=fake_time.sleep,
    )


class Show:
    """A local feed file whose items tests change between imports."""

    def __init__(self, store: Store, path: Path, items: list[Item]) -> None:
        self.store = store
        self.path = path
        self.items = list(items)

    async def publish(self, *new: Item) -> ImportSummary:
        self.items += new
        self.path.write_text(feed_xml("Warm Restarts", self.items), encoding="utf-8")
        async with Fetcher() as fetcher:
            summary = await Importer(self.store, fetcher, remote_files=False).import_source(
                str(self.path), force=True
            )
        assert summary.ok, summary.line()
        return summary


BACK_CATALOGUE = [
    Item(f"old-{n}", f"Old episode {n}", days_ago(30 + n), number=n) for n in range(5)
]


@pytest.fixture
async def show(store, tmp_path):
    show = Show(store, tmp_path / "show.xml", BACK_CATALOGUE)
    await show.publish()
    return show


async def announce_in(store: Store, channel_id=TEXT_CHANNEL_ID, *, role_id=None, thread=True):
    await store.set_announce_channel(
        GUILD_ID, channel_id, role_id=role_id, thread=thread, user_id=None
    )


async def deliveries(store: Store) -> list[dict]:
    rows = await store.fetchall(
        """SELECT d.*, e.title FROM deliveries d JOIN episodes e ON e.id = d.episode_id
           ORDER BY d.id"""
    )
    return [dict(row) for row in rows]


# ---------------------------------------------------------------------- the message


@pytest.mark.parametrize(
    ("title", "number", "shown"),
    [
        ("12: Warmup, explained", 12, "Warmup, explained"),
        ("#12 Warmup, explained", 12, "Warmup, explained"),
        ("12: Warmup, explained", None, "12: Warmup, explained"),  # no Episode field
        ("12 Monkeys, revisited", 40, "12 Monkeys, revisited"),  # not the episode's number
    ],
)
def test_the_title_does_not_repeat_the_number_of_its_episode_field(title, number, shown):
    embed = build_announcement(episode(title=title, number=number), marker="m").embed
    assert embed.title == shown


def test_the_announcement_has_title_link_number_date_duration_summary_image_and_chapters():
    made = build_announcement(episode(), marker=delivery_marker(7))
    embed = made.embed
    fields = {field.name: field.value for field in embed.fields}
    assert embed.title == "Learning rate warmup, explained"
    assert embed.url == "https://example.com/ep12"
    assert embed.description == "We talk about warmup. Then about schedules."
    assert fields["Episode"] == "#12"
    assert fields["Published"] == "<t:1700000000:D>"
    assert fields["Duration"] == "1:18:42"
    assert fields["Chapters"] == "2 chapters"
    assert "[Listen](https://cdn.example.com/ep12.mp3)" in fields["Links"]
    assert embed.image.url == "https://cdn.example.com/ep12.jpg"
    assert has_marker([embed], "ref A7") and not has_marker([embed], "ref A77")
    assert made.thread_name == "Learning rate warmup, explained"
    assert made.chapter_messages == [
        "**Chapters** of **Learning rate warmup, explained**\n"
        "`0:00` [Intro](<https://cdn.example.com/ep12.mp3#t=0>)\n"
        "`1:02` [Why warm up](<https://cdn.example.com/ep12.mp3#t=62>)"
    ]


def test_the_role_is_mentioned_and_pinged_only_when_configured():
    plain = build_announcement(episode(), marker="ref A1")
    assert "<@&" not in plain.content
    assert plain.allowed_mentions.to_dict() == discord.AllowedMentions.none().to_dict()

    pinging = build_announcement(episode(), marker="ref A1", role_id=ROLE_ID)
    assert pinging.content.startswith(f"<@&{ROLE_ID}>")
    mentions = pinging.allowed_mentions.to_dict()
    assert mentions["roles"] == [ROLE_ID]
    assert mentions["parse"] == []  # no @everyone, no users

    test = build_announcement(episode(), marker="test announcement", role_id=ROLE_ID, test=True)
    assert "Test announcement" in test.content
    assert test.allowed_mentions.to_dict() == discord.AllowedMentions.none().to_dict()
    assert test.thread_name.startswith("Test: ")


def test_feed_text_can_neither_format_nor_ping():
    hostile = episode(
        title="**Bold** @everyone <@&123456789012345678>",
        feed_title="Show @here",
        notes_text="_under_ @everyone",
        chapters=(AnnouncedChapter(0, "[link](https://evil.example) @here"),),
    )
    made = build_announcement(hostile, marker="ref A1")
    assert made.embed.title.startswith("\\*\\*Bold\\*\\*")
    assert "@everyone" not in made.embed.title.replace("@\u200beveryone", "")
    assert "@here" not in made.content.replace("@\u200bhere", "")
    assert "\\_under\\_" in made.embed.description
    assert "\\[link\\]" in made.chapter_messages[0]


@pytest.mark.parametrize(
    ("title", "number", "expected"),
    [
        ("x" * 300, 1, "x" * 99 + "…"),
        ("   ", 42, "Episode 42"),
        ("", None, "New episode"),
        ("Line one\nline two", None, "Line one line two"),
    ],
)
def test_thread_names_are_1_to_100_characters(title, number, expected):
    made = build_announcement(episode(title=title, number=number), marker="ref A1")
    assert made.thread_name == expected
    assert 1 <= len(made.thread_name) <= 100


def test_a_long_chapter_list_is_split_into_messages_within_discords_limit():
    chapters = tuple(AnnouncedChapter(i * 30.0, f"Chapter {i} " + "w" * 120) for i in range(120))
    made = build_announcement(
        episode(chapters=chapters, title="T" * 400, feed_title="S" * 400), marker="ref A1"
    )
    assert len(made.chapter_messages) > 1
    assert all(len(text) <= CONTENT_LIMIT for text in made.chapter_messages)
    joined = "\n".join(made.chapter_messages)
    assert all(f"Chapter {i} " in joined for i in range(120))
    embed = made.embed
    assert len(embed.title) <= 256 and len(embed) <= 6000
    assert len(made.content) <= CONTENT_LIMIT


# ---------------------------------------------------------------------- the outbox


async def test_a_new_episode_is_announced_once_with_a_thread_listing_its_chapters(store, show):
    world = ChannelWorld()
    world.text_channel()
    await announce_in(store)
    await show.publish(Item("new-1", "A brand new episode", days_ago(0.1), number=6))

    await make_announcer(store, world).drain()
    await make_announcer(store, world).drain()  # nothing left: nothing more is posted

    [announcement] = world.announcements(TEXT_CHANNEL_ID)
    assert announcement.embed.title == "A brand new episode"
    [thread_id] = world.threads
    assert world.thread_names[thread_id] == "A brand new episode"
    [chapters] = world.messages(thread_id)
    assert "`5:30` [The main topic](<https://cdn.example.com/new-1.mp3#t=330>)" in chapters.content
    [row] = await deliveries(store)
    assert (row["state"], row["message_id"], row["thread_id"]) == (
        "sent",
        announcement.message.id,
        thread_id,
    )


async def test_the_back_catalogue_of_a_first_import_is_never_announced(store, tmp_path):
    await announce_in(store)
    show = Show(store, tmp_path / "other.xml", BACK_CATALOGUE)
    first = await show.publish()
    assert first.new == len(BACK_CATALOGUE)
    assert await deliveries(store) == []


async def test_an_edited_episode_is_not_announced_again(store, show):
    world = ChannelWorld()
    world.text_channel()
    await announce_in(store)
    await show.publish(Item("new-1", "Fresh", days_ago(0.1)))
    await make_announcer(store, world).drain()

    # The publisher fixes a typo in the notes, then re-keys the item (a new guid, same audio).
    show.items[-1].notes = "<p>0:00 Intro, corrected</p>"
    edited = await show.publish()
    assert (edited.new, edited.updated) == (0, 1)
    rekeyed = show.items.pop()
    show.items.append(Item("new-1-v2", "Fresh", rekeyed.published))
    # Same title and date under a new guid: the importer sees a new item, the outbox doesn't.
    again = await show.publish()
    assert again.new == 1
    await make_announcer(store, world).drain()

    assert len(world.announcements(TEXT_CHANNEL_ID)) == 1
    assert len(await deliveries(store)) == 1


async def test_after_downtime_only_the_three_newest_recent_episodes_are_announced(store, show):
    world = ChannelWorld()
    world.text_channel()
    await announce_in(store)
    missed = [Item(f"m{n}", f"Missed {n}", days_ago(6 - n)) for n in range(5)]  # 6..2 days
    stale = Item("stale", "Published ten days ago", days_ago(10))
    await show.publish(*missed, stale)

    await make_announcer(store, world).drain()

    titles = [p.embed.title for p in world.announcements(TEXT_CHANNEL_ID)]
    assert titles == ["Missed 2", "Missed 3", "Missed 4"]  # the newest three, oldest first
    states = {row["title"]: (row["state"], row["error"]) for row in await deliveries(store)}
    assert states["Published ten days ago"] == ("skipped", "older than the backlog limit")
    assert states["Missed 0"] == ("skipped", "too many waiting at once")
    assert states["Missed 1"][0] == "skipped"


async def test_four_episodes_published_at_once_are_all_announced(store, show):
    world = ChannelWorld()
    world.text_channel()
    await announce_in(store, thread=False)
    now = datetime.now(UTC)
    batch = [Item(f"b{n}", f"Part {n}", now - timedelta(minutes=20 - n)) for n in range(4)]
    await show.publish(*batch)  # one poll finds all four

    report = await make_announcer(store, world).drain()

    titles = [p.embed.title for p in world.announcements(TEXT_CHANNEL_ID)]
    assert titles == ["Part 0", "Part 1", "Part 2", "Part 3"]
    assert report.skipped == 0


async def test_new_episodes_of_several_feeds_in_one_poll_are_all_announced(store, tmp_path):
    world = ChannelWorld()
    world.text_channel()
    shows = [Show(store, tmp_path / f"show{n}.xml", BACK_CATALOGUE) for n in range(5)]
    for each in shows:
        await each.publish()
    await announce_in(store, thread=False)
    now = datetime.now(UTC)
    for n, each in enumerate(shows):
        await each.publish(Item(f"new-{n}", f"New on show {n}", now - timedelta(minutes=30 - n)))

    await make_announcer(store, world).drain()

    assert len(world.announcements(TEXT_CHANNEL_ID)) == 5


async def test_a_night_of_downtime_is_still_cut_to_the_newest_three(store, show):
    world = ChannelWorld()
    world.text_channel()
    await announce_in(store, thread=False)
    now = datetime.now(UTC)
    missed = [Item(f"n{n}", f"Night {n}", now - timedelta(hours=20 - 3 * n)) for n in range(5)]
    await show.publish(*missed)  # published 20 to 8 hours ago, found when the bot came back

    await make_announcer(store, world).drain()

    titles = [p.embed.title for p in world.announcements(TEXT_CHANNEL_ID)]
    assert titles == ["Night 2", "Night 3", "Night 4"]


async def test_announcements_that_waited_out_a_long_outage_are_cut_to_the_newest_three(store, show):
    world = ChannelWorld()
    world.text_channel()
    await announce_in(store, thread=False)
    now = datetime.now(UTC)
    await show.publish(
        *[Item(f"w{n}", f"Waited {n}", now - timedelta(minutes=9 - n)) for n in range(4)]
    )
    # Found on time, but Discord (or the guild's channel) was out of reach for a day.
    a_day_later = make_announcer(store, world, clock=lambda: time.time() + 24 * 3600)

    report = await a_day_later.drain()

    titles = [p.embed.title for p in world.announcements(TEXT_CHANNEL_ID)]
    assert titles == ["Waited 1", "Waited 2", "Waited 3"]
    assert report.skipped == 1


def test_catching_up_starts_after_six_hours_or_two_polls_when_polls_are_far_apart():
    assert catch_up_after(15) == 6 * 3600
    assert catch_up_after(12 * 60) == 24 * 3600


async def test_posts_in_one_channel_are_paced_a_second_apart(store, show):
    world = ChannelWorld()
    world.text_channel()
    await announce_in(store, thread=False)
    await show.publish(Item("a", "First", days_ago(0.2)), Item("b", "Second", days_ago(0.1)))
    fake_time = FakeTime()

    await make_announcer(store, world, fake_time=fake_time).drain()

    assert [p.embed.title for p in world.announcements(TEXT_CHANNEL_ID)] == ["First", "Second"]
    assert fake_time.sleeps == [pytest.approx(1.0)]
    assert world.threads == {}  # thread=False


async def test_every_guild_that_announces_and_sees_the_feed_gets_it_once(store, show):
    world = ChannelWorld()
    world.text_channel()
    other_channel = 500_000_000_000_000_099
    world.text_channel(other_channel)
    await announce_in(store)
    await store.set_announce_channel(
        OTHER_GUILD_ID, other_channel, role_id=None, thread=False, user_id=None
    )
    await store.set_announce_channel(
        222, 333, role_id=None, thread=False, user_id=None
    )  # announces, but this guild's own feeds only
    async with store.transaction() as db:  # a guild feed of another guild is not seen by 222
        await db.execute("UPDATE feeds SET is_global = 0")
        await db.execute(
            "INSERT INTO guild_feeds (guild_id, feed_id, added_at) SELECT ?, id, 0 FROM feeds",
            (GUILD_ID,),
        )
        await db.execute(
            "INSERT INTO guild_feeds (guild_id, feed_id, added_at) SELECT ?, id, 0 FROM feeds",
            (OTHER_GUILD_ID,),
        )
    await show.publish(Item("n", "New", days_ago(0.1)))

    await make_announcer(store, world).drain()

    assert len(world.announcements(TEXT_CHANNEL_ID)) == 1
    assert len(world.announcements(other_channel)) == 1
    assert {row["guild_id"] for row in await deliveries(store)} == {GUILD_ID, OTHER_GUILD_ID}


# ---------------------------------------------------------------------- crashes


async def restarted(path: Path) -> Store:
    return await Store.open(path)


async def test_a_crash_between_storing_and_sending_announces_once_after_restart(
    store, show, tmp_path
):
    await announce_in(store)
    await show.publish(Item("n", "New", days_ago(0.1)))
    world = ChannelWorld()
    world.text_channel()
    world.fail_next(TEXT_CHANNEL_ID, "send", Crash())  # dies inside the send: nothing posted
    with pytest.raises(Crash):
        await make_announcer(store, world).drain()
    [row] = await deliveries(store)
    assert row["state"] == "sending"

    async with await restarted(tmp_path / "store.db") as reopened:
        await make_announcer(reopened, world).drain()
        [row] = await deliveries(reopened)
    assert len(world.announcements(TEXT_CHANNEL_ID)) == 1
    assert row["state"] == "sent"


async def test_a_crash_between_sending_and_marking_does_not_announce_twice(store, show, tmp_path):
    await announce_in(store)
    await show.publish(Item("n", "New", days_ago(0.1)))
    world = ChannelWorld()
    world.text_channel()

    async def crash(*args, **kwargs):
        raise Crash()

    store.mark_posted = crash  # the message is in Discord, the store never hears of it
    with pytest.raises(Crash):
        await make_announcer(store, world).drain()
    [posted] = world.announcements(TEXT_CHANNEL_ID)

    async with await restarted(tmp_path / "store.db") as reopened:
        await make_announcer(reopened, world).drain()
        [row] = await deliveries(reopened)
    assert len(world.announcements(TEXT_CHANNEL_ID)) == 1  # adopted, not re-posted
    assert (row["state"], row["message_id"]) == ("sent", posted.message.id)
    assert len(world.threads) == 1  # and its thread was still made


async def test_a_crash_after_the_thread_leaves_no_duplicate_thread_or_chapter_list(
    store, show, tmp_path
):
    await announce_in(store)
    await show.publish(Item("n", "New", days_ago(0.1)))
    world = ChannelWorld()
    world.text_channel()
    original = store.mark_thread

    async def mark_then_crash(delivery_id, thread_id):
        await original(delivery_id, thread_id)
        raise Crash()

    store.mark_thread = mark_then_crash
    with pytest.raises(Crash):
        await make_announcer(store, world).drain()

    async with await restarted(tmp_path / "store.db") as reopened:
        await make_announcer(reopened, world).drain()
        [row] = await deliveries(reopened)
    [thread_id] = world.threads
    assert len(world.announcements(TEXT_CHANNEL_ID)) == 1
    assert len(world.messages(thread_id)) == 1  # one chapter list
    assert row["state"] == "sent"


async def test_a_crash_before_the_thread_makes_the_thread_once_after_restart(store, show, tmp_path):
    await announce_in(store)
    await show.publish(Item("n", "New", days_ago(0.1)))
    world = ChannelWorld()
    world.text_channel()
    world.fail_next(TEXT_CHANNEL_ID, "create_thread", Crash())
    with pytest.raises(Crash):
        await make_announcer(store, world).drain()
    assert (await deliveries(store))[0]["state"] == "posted"

    async with await restarted(tmp_path / "store.db") as reopened:
        await make_announcer(reopened, world).drain()
        [row] = await deliveries(reopened)
    [thread_id] = world.threads
    assert len(world.announcements(TEXT_CHANNEL_ID)) == 1
    assert len(world.messages(thread_id)) == 1
    assert (row["state"], row["thread_id"]) == ("sent", thread_id)


async def test_a_crash_after_a_forum_post_adopts_the_post(store, show, tmp_path):
    await announce_in(store, FORUM_CHANNEL_ID)
    await show.publish(Item("n", "Forum episode", days_ago(0.1)))
    world = ChannelWorld()
    world.forum_channel()

    async def crash(*args, **kwargs):
        raise Crash()

    store.mark_posted = crash
    with pytest.raises(Crash):
        await make_announcer(store, world).drain()

    async with await restarted(tmp_path / "store.db") as reopened:
        await make_announcer(reopened, world).drain()
        [row] = await deliveries(reopened)
    [post] = world.announcements(FORUM_CHANNEL_ID)
    assert post.kwargs["name"] == "Forum episode"
    [thread_id] = world.threads
    assert [m.content.split("\n")[0] for m in world.messages(thread_id)][1:] == [
        "**Chapters** of **Forum episode**"
    ]
    assert row["state"] == "sent"


# ---------------------------------------------------------------------- Discord errors


async def test_a_missing_permission_stops_the_guild_and_is_recorded_until_fixed(store, show):
    world = ChannelWorld()
    world.text_channel(embed_links=False)
    await announce_in(store)
    await show.publish(Item("n", "New", days_ago(0.1)))
    world.fail_next(TEXT_CHANNEL_ID, "send", http_error(403, 50013))

    await make_announcer(store, world).drain()

    settings = await store.announce_settings(GUILD_ID)
    assert settings.blocked
    assert "Embed Links" in settings.last_error
    [row] = await deliveries(store)
    assert row["state"] == "pending"  # not lost: waiting for the fix
    assert (await make_announcer(store, world).drain()).sent == 0
    assert world.announcements(TEXT_CHANNEL_ID) == []  # blocked: not retried on its own

    await announce_in(store)  # the admin fixes it and runs /announce channel again
    await make_announcer(store, world).drain()
    assert len(world.announcements(TEXT_CHANNEL_ID)) == 1
    assert not (await store.announce_settings(GUILD_ID)).blocked


async def test_a_deleted_channel_is_recorded_on_the_guild(store, show):
    world = ChannelWorld()
    world.text_channel()
    world.deleted.add(TEXT_CHANNEL_ID)
    await announce_in(store)
    await show.publish(Item("n", "New", days_ago(0.1)))

    await make_announcer(store, world).drain()

    settings = await store.announce_settings(GUILD_ID)
    assert settings.blocked and "no longer exists" in settings.last_error
    assert (await deliveries(store))[0]["state"] == "pending"


async def test_server_errors_are_retried_with_backoff_then_given_up_visibly(store, show):
    world = ChannelWorld()
    world.text_channel()
    await announce_in(store, thread=False)
    await show.publish(Item("n", "New", days_ago(0.1)))
    world.fail_next(TEXT_CHANNEL_ID, "send", http_error(503), times=2)
    clock = [time.time()]

    announcer = make_announcer(store, world, clock=lambda: clock[0])
    await announcer.drain()
    [row] = await deliveries(store)
    assert (row["state"], row["attempts"]) == ("sending", 1)
    assert row["next_attempt_at"] > clock[0]
    await announcer.drain()  # not due yet
    assert (await deliveries(store))[0]["attempts"] == 1

    for _ in range(2):
        clock[0] += 3600
        await announcer.drain()
    [row] = await deliveries(store)
    assert row["state"] == "sent"
    assert len(world.announcements(TEXT_CHANNEL_ID)) == 1

    await show.publish(Item("m", "Never goes out", days_ago(0.05)))
    world.fail_next(TEXT_CHANNEL_ID, "send", http_error(502), times=MAX_ATTEMPTS)
    for _ in range(MAX_ATTEMPTS):
        clock[0] += 3600
        await announcer.drain()
    failed = [row for row in await deliveries(store) if row["title"] == "Never goes out"]
    assert failed[0]["state"] == "failed"
    assert "gave up" in (await store.announce_settings(GUILD_ID)).last_error


async def test_a_thread_that_cannot_be_created_still_leaves_the_announcement(store, show):
    world = ChannelWorld()
    world.text_channel()
    await announce_in(store)
    await show.publish(Item("n", "New", days_ago(0.1)))
    world.fail_next(TEXT_CHANNEL_ID, "create_thread", http_error(403, 50013))

    await make_announcer(store, world).drain()

    assert len(world.announcements(TEXT_CHANNEL_ID)) == 1
    [row] = await deliveries(store)
    assert row["state"] == "sent" and "thread" in row["error"]
    assert "Create Public Threads" in (await store.announce_settings(GUILD_ID)).last_error


def test_missing_permissions_are_named_as_discord_names_them():
    world = ChannelWorld()
    me = world.guild().me
    text = world.text_channel(create_public_threads=False, read_message_history=False)
    assert missing_permissions(text, me) == ["Read Message History", "Create Public Threads"]
    assert missing_permissions(text, me, thread=False) == ["Read Message History"]
    forum = world.forum_channel(send_messages=False)
    assert missing_permissions(forum, me) == ["Create Posts"]
    role = create_autospec(discord.Role, instance=True)
    role.mentionable = False
    full = world.text_channel(123, mention_everyone=False)
    assert missing_permissions(full, me, role=role) == ["Mention @everyone, @here and All Roles"]
