"""The poller against a loopback feed server: 200, 304, 404, 500, slow, huge, a redirect
loop and a feed that gains an episode; results read back from the store and from what the
sender was asked to post."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

import bot.ingest.importer
from bot.announce.announcer import Announcer
from bot.announce.poller import JITTER, PAUSE_AFTER, Poller
from bot.ingest.fetch import Fetcher
from bot.ingest.importer import Importer
from bot.store import Store
from bot.transcripts.transcript_search import transcript_moments
from tests.support.fake_channels import GUILD_ID, TEXT_CHANNEL_ID, ChannelWorld, Item, feed_xml

NOW = datetime.now(UTC)
INTERVAL_MINUTES = 15


def items(count: int, prefix: str = "ep") -> list[Item]:
    return [
        Item(f"{prefix}-{n}", f"Episode {n}", NOW - timedelta(days=40 - n), number=n)
        for n in range(count)
    ]


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def fetchers():
    # Short limits so that the slow and huge routes fail fast.
    async with (
        Fetcher(timeout=0.2, max_bytes=200_000, max_redirects=3) as trusted,
        Fetcher(timeout=0.2, max_bytes=200_000, allow_private=False) as guarded,
    ):
        yield trusted, guarded


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def poller(store, fetchers, clock):
    trusted, guarded = fetchers
    return Poller(
        store,
        trusted=Importer(store, trusted, remote_files=False),
        guarded=Importer(store, guarded, remote_files=False),
        guard=guarded,
        interval_minutes=INTERVAL_MINUTES,
        clock=clock,
        rng=random.Random(4),
    )


async def feed_row(store: Store, url: str) -> dict:
    row = await store.fetchone("SELECT * FROM feeds WHERE url = ?", (url,))
    assert row is not None, url
    return dict(row)


async def make_due(store: Store) -> None:
    async with store.transaction() as db:
        await db.execute("UPDATE feeds SET next_poll_at = 0")


async def test_a_feed_is_imported_then_polled_conditionally_and_scheduled_with_jitter(
    store, poller, server, clock
):
    route = server.route("/show.xml", feed_xml("Show", items(3)), etag='"v1"')
    url = server.url("/show.xml")
    [first] = await poller.import_feeds([url])
    assert (first.new, first.error) == (3, None)
    row = await feed_row(store, url)
    assert row["is_global"] == 1
    low, high = INTERVAL_MINUTES * 60 * (1 - JITTER), INTERVAL_MINUTES * 60 * (1 + JITTER)
    assert low <= row["next_poll_at"] - clock.now <= high

    assert await poller.poll_due() == []  # not due yet
    clock.now = row["next_poll_at"]
    [polled] = await poller.poll_due()
    assert polled.not_modified and polled.new == 0
    assert server.requests[-1].headers["If-None-Match"] == '"v1"'
    assert route.etag == '"v1"'
    row = await feed_row(store, url)
    assert (row["status"], row["last_error"], row["failure_count"]) == ("ok", None, 0)


async def test_a_feed_that_gains_an_episode_gets_it_announced_once(store, poller, server, clock):
    catalogue = items(4)
    route = server.route("/show.xml", feed_xml("Show", catalogue), etag='"v1"')
    url = server.url("/show.xml")
    await poller.import_feeds([url])
    await store.set_announce_channel(
        GUILD_ID, TEXT_CHANNEL_ID, role_id=None, thread=True, user_id=None
    )
    world = ChannelWorld()
    world.text_channel()
    announcer = Announcer(store, resolve_channel=world.resolve, bot_user_id=lambda: None)
    await announcer.drain()
    assert world.posted == []  # the back catalogue is not announced

    fresh = Item("fresh", "A fresh episode", NOW - timedelta(hours=1), number=4)
    route.body = feed_xml("Show", [*catalogue, fresh]).encode()
    route.etag = '"v2"'
    await make_due(store)
    [outcome] = await poller.poll_due()
    assert outcome.new == 1
    await make_due(store)
    [again] = await poller.poll_due()
    assert again.not_modified
    await announcer.drain()

    [announcement] = world.announcements(TEXT_CHANNEL_ID)
    assert announcement.embed.title == "A fresh episode"
    count = await store.fetchone("SELECT count(*) FROM episodes")
    assert count[0] == 5


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        (lambda server: server.route("/f.xml", "gone", status=404), "404"),
        (lambda server: server.route("/f.xml", "oops", status=500), "500"),
        (lambda server: server.route("/f.xml", feed_xml("S", items(1)), delay=5), "timed out"),
        (lambda server: server.route("/f.xml", stream=400_000), "larger"),
        (lambda server: server.redirect("/f.xml", "/f.xml"), "redirects"),
        (lambda server: server.route("/f.xml", "<html>not a feed</html>"), "not a readable feed"),
    ],
    ids=["404", "500", "slow", "huge", "redirect-loop", "not-a-feed"],
)
async def test_a_failing_feed_records_the_error_and_backs_off(
    store, poller, server, clock, setup, error
):
    server.route("/f.xml", feed_xml("Show", items(2)))
    url = server.url("/f.xml")
    await poller.import_feeds([url])
    setup(server)
    await make_due(store)

    [outcome] = await poller.poll_due()
    assert outcome.error and error in outcome.error
    row = await feed_row(store, url)
    assert (row["status"], row["failure_count"]) == ("failing", 1)
    assert error in row["last_error"]
    first_delay = row["next_poll_at"] - clock.now
    assert first_delay >= 2 * INTERVAL_MINUTES * 60 * (1 - JITTER)

    clock.now = row["next_poll_at"]
    await poller.poll_due()
    row = await feed_row(store, url)
    assert row["failure_count"] == 2
    assert row["next_poll_at"] - clock.now > first_delay  # exponential
    count = await store.fetchone("SELECT count(*) FROM episodes")
    assert count[0] == 2  # nothing lost


async def test_a_feed_failing_for_48_hours_is_paused_until_a_refresh_succeeds(
    store, poller, server, clock
):
    route = server.route("/f.xml", feed_xml("Show", items(2)))
    url = server.url("/f.xml")
    [imported] = await poller.import_feeds([url])
    route.status = 500
    start = clock.now
    while clock.now - start < PAUSE_AFTER + 3600:
        await make_due(store)
        await poller.poll_due()
        clock.now += 6 * 3600
    row = await feed_row(store, url)
    assert row["status"] == "paused"
    await make_due(store)
    assert await poller.poll_due() == []  # paused feeds are left alone

    [still] = await poller.poll_feeds([imported.feed_id])  # a failing refresh: still paused
    assert still.status == "paused"
    route.status = 200
    [resumed] = await poller.poll_feeds([imported.feed_id])
    assert resumed.resumed and resumed.error is None
    row = await feed_row(store, url)
    assert (row["status"], row["failure_count"], row["failing_since"]) == ("ok", 0, None)
    assert row["next_poll_at"] > clock.now


async def test_one_bad_feed_does_not_stop_the_others(store, poller, server, clock):
    good = server.route("/good.xml", feed_xml("Good", items(2)))
    server.route("/bad.xml", feed_xml("Bad", items(2, "bad")))
    server.route("/buggy.xml", feed_xml("Buggy", items(2, "buggy")))
    urls = [server.url(p) for p in ("/good.xml", "/bad.xml", "/buggy.xml")]
    await poller.import_feeds(urls)
    server.routes["/bad.xml"].status = 500
    good.body = feed_xml("Good", [*items(2), Item("n", "New", NOW)]).encode()
    trusted = poller._trusted
    real_import = trusted.import_source

    async def import_with_a_bug(source, **options):
        if source.endswith("/buggy.xml"):
            raise RuntimeError("a bug triggered by this feed")
        return await real_import(source, **options)

    trusted.import_source = import_with_a_bug
    await make_due(store)

    outcomes = {o.url: o for o in await poller.poll_due()}
    assert outcomes[urls[0]].new == 1
    assert "500" in outcomes[urls[1]].error
    assert outcomes[urls[2]].error == "unexpected RuntimeError: a bug triggered by this feed"
    assert (await feed_row(store, urls[2]))["status"] == "failing"


async def test_feeds_are_read_a_few_at_a_time(store, server, fetchers, clock):
    trusted, _ = fetchers
    importer = Importer(store, trusted, remote_files=False)
    for n in range(12):  # unchanged at the next poll (304): every import is only a read
        server.route(f"/f{n}.xml", feed_xml(f"Show {n}", items(1, f"s{n}")), etag=f'"{n}"')
    poller = Poller(
        store,
        trusted=importer,
        guarded=importer,
        guard=trusted,
        interval_minutes=INTERVAL_MINUTES,
        concurrency=3,
        clock=clock,
    )
    await poller.import_feeds([server.url(f"/f{n}.xml") for n in range(12)])
    in_flight = peak = 0
    real_import = importer.import_source

    async def counting(source, **options):
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            await asyncio.sleep(0.01)
            return await real_import(source, **options)
        finally:
            in_flight -= 1

    importer.import_source = counting
    await make_due(store)
    outcomes = await poller.poll_due()
    assert len(outcomes) == 12 and all(o.not_modified for o in outcomes)
    assert peak == 3


async def test_of_the_feeds_read_at_once_only_a_few_are_parsed_and_stored_at_once(
    store, server, fetchers, clock, monkeypatch
):
    trusted, _ = fetchers
    importer = Importer(store, trusted, remote_files=False)
    routes = [
        server.route(f"/f{n}.xml", feed_xml(f"Show {n}", items(2, f"s{n}")), etag=f'"{n}-1"')
        for n in range(12)
    ]
    poller = Poller(
        store,
        trusted=importer,
        guarded=importer,
        guard=trusted,
        interval_minutes=INTERVAL_MINUTES,
        concurrency=6,
        work_concurrency=2,
        clock=clock,
    )
    await poller.import_feeds([server.url(f"/f{n}.xml") for n in range(12)])
    await store.set_announce_channel(
        GUILD_ID, TEXT_CHANNEL_ID, role_id=None, thread=True, user_id=None
    )
    for n, route in enumerate(routes):  # a new episode in every feed
        route.body = feed_xml(f"Show {n}", items(3, f"s{n}")).encode()
        route.etag = f'"{n}-2"'

    # The parse (in a worker thread), made slow enough that the feeds would pile up in it.
    lock = threading.Lock()
    parsing = most_parsing = most_working = 0
    real_prepare = bot.ingest.importer._prepare

    def slow_prepare(body: bytes, source: str):
        nonlocal parsing, most_parsing, most_working
        with lock:
            parsing += 1
            most_parsing = max(most_parsing, parsing)
            most_working = max(most_working, poller.slots.busy)
        try:
            time.sleep(0.02)
            return real_prepare(body, source)
        finally:
            with lock:
                parsing -= 1

    monkeypatch.setattr(bot.ingest.importer, "_prepare", slow_prepare)
    in_flight = most_in_flight = 0
    real_import = importer.import_source

    async def counting(source, **options):
        nonlocal in_flight, most_in_flight
        in_flight += 1
        most_in_flight = max(most_in_flight, in_flight)
        try:
            return await real_import(source, **options)
        finally:
            in_flight -= 1

    importer.import_source = counting
    await make_due(store)
    outcomes = await poller.poll_due()

    assert most_parsing == 2 and most_working == 2  # parsed and stored two at a time
    assert most_in_flight > 2  # while the others are read (and wait, bodies in hand)
    assert most_in_flight <= 6 + 2
    assert [o.new for o in outcomes] == [1] * 12 and not any(o.error for o in outcomes)
    queued = await store.fetchone("SELECT count(*) FROM deliveries WHERE guild_id = ?", (GUILD_ID,))
    assert queued[0] == 12  # every new episode queued for its announcement
    assert poller.slots.busy == 0


async def test_guild_feeds_are_read_through_the_guarded_fetcher(store, poller, server, clock):
    server.route("/f.xml", feed_xml("Show", items(2)))
    url = server.url("/f.xml")
    await poller.import_feeds([url])
    async with store.transaction() as db:  # as if a guild had added it with /feed add
        await db.execute("UPDATE feeds SET is_global = 0, next_poll_at = 0")
        await db.execute(
            "INSERT INTO guild_feeds (guild_id, feed_id, added_at) SELECT ?, id, 0 FROM feeds",
            (GUILD_ID,),
        )

    [outcome] = await poller.poll_due()
    assert "private address" in outcome.error  # 127.0.0.1: refused for a guild's feed

    await poller.import_feeds([url])  # named in FEEDS: trusted and global again
    assert (await feed_row(store, url))["is_global"] == 1


async def test_a_guild_feed_nobody_follows_is_not_polled(store, poller, server):
    server.route("/f.xml", feed_xml("Show", items(1)))
    await poller.import_feeds([server.url("/f.xml")])
    async with store.transaction() as db:
        await db.execute("UPDATE feeds SET is_global = 0, next_poll_at = 0")
    assert await poller.poll_due() == []


async def test_a_feed_named_in_feeds_that_is_down_at_start_is_kept_and_retried(
    store, poller, server, clock
):
    route = server.route("/f.xml", "down", status=503)
    url = server.url("/f.xml")
    [outcome] = await poller.import_feeds([url])
    assert "503" in outcome.error
    row = await feed_row(store, url)
    assert (row["status"], row["is_global"], row["failure_count"]) == ("failing", 1, 1)

    route.status, route.body = 200, feed_xml("Show", items(2)).encode()
    clock.now = row["next_poll_at"]
    [recovered] = await poller.poll_due()
    assert (recovered.new, recovered.resumed) == (2, True)
    assert (await feed_row(store, url))["status"] == "ok"
    # Its first successful import is its back catalogue: nothing queued.
    assert (await store.fetchone("SELECT count(*) FROM deliveries"))[0] == 0


TRANSCRIPT_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel>
<title>Talk</title><item><guid>t1</guid><title>On kernels</title>
<enclosure url="https://cdn.example.com/t1.mp3" type="audio/mpeg" length="1"/>
<description>A talk.</description>
<podcast:transcript url="{url}" type="text/vtt"/></item></channel></rss>"""

TRANSCRIPT_VTT = """WEBVTT

00:01:05.000 --> 00:01:12.000
<v Ada Byrne>The neural tangent kernel stays fixed when the network is wide enough.
"""


async def test_an_import_that_changes_a_feed_indexes_its_transcripts(store, fetchers, server):
    from bot.transcripts.transcript_sync import FeedTranscripts, TranscriptSync

    trusted, guarded = fetchers
    transcripts = FeedTranscripts(
        store, trusted=TranscriptSync(store, trusted), guarded=TranscriptSync(store, guarded)
    )
    started = []
    poller = Poller(
        store,
        trusted=Importer(store, trusted),
        guarded=Importer(store, guarded),
        guard=guarded,
        interval_minutes=INTERVAL_MINUTES,
        on_feed_changed=lambda feed_id, is_trusted: started.append(
            transcripts.feed_changed(feed_id, is_trusted)
        ),
    )
    server.route("/t1.vtt", TRANSCRIPT_VTT, content_type="text/vtt")
    server.route("/talk.xml", TRANSCRIPT_FEED.format(url=server.url("/t1.vtt")), etag='"a"')
    await poller.import_feeds([server.url("/talk.xml")])
    assert len(started) == 1
    await asyncio.gather(*started)
    [moment] = await transcript_moments(store, "tangent kernel", guild_id=None)
    assert (moment.start, moment.speaker) == (65.0, "Ada Byrne")

    await make_due(store)
    await poller.poll_due()  # 304: nothing changed, no new sync started
    assert len(started) == 1
    await transcripts.close()


async def test_a_refresh_blocked_by_another_writer_says_so_not_internal_error(
    tmp_path, server, fetchers, clock
):
    # Another process (here: a second connection) holds the store's write lock for longer
    # than this store waits: the admin reads the store's own words, not "internal error".
    path = tmp_path / "store.db"
    trusted, guarded = fetchers
    url = server.url("/show.xml")
    server.route("/show.xml", feed_xml("Show", items(2)))
    async with await Store.open(path, write_wait=0.2) as store, await Store.open(path) as other:
        poller = Poller(
            store,
            trusted=Importer(store, trusted, remote_files=False),
            guarded=Importer(store, guarded, remote_files=False),
            guard=guarded,
            interval_minutes=INTERVAL_MINUTES,
            clock=clock,
        )
        (first,) = await poller.import_feeds([url])
        server.routes["/show.xml"].body = feed_xml("Show", [*items(2), Item("n", "New", NOW)])
        async with other.transaction():
            (outcome,) = await poller.poll_feeds([first.feed_id])
        assert outcome.error is not None
        assert "internal error" not in outcome.error and "unexpected" not in outcome.error
        assert "another process" in outcome.error
