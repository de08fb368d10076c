"""Poll benchmark: one poll cycle over 500 loopback feeds, unchanged (304) and with one new
episode each, through the real Poller, Importer, Fetcher and store.

For each cycle: wall time (median of runs), time per feed, peak memory allocated during
the cycle (tracemalloc, a separate traced run), the process's peak RSS, and the most
connections the server saw open at once. The new-episode cycle also queues the outbox
(three guilds announce), as in production.

Target (issue 4): a 304 cycle for 500 feeds under 5 s with at most 20 connections at once.

    python3 dev.py bench poll        (or .venv/bin/python bench/bench_poll.py [--feeds N])
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.machine import describe_machine
from bot.announce.poller import DEFAULT_CONCURRENCY, Poller
from bot.ingest.fetch import Fetcher
from bot.ingest.importer import Importer
from bot.store import Store

EPISODES_PER_FEED = 20
RUNS = 3
GUILDS = 3


def feed_bytes(feed: int, episodes: int) -> bytes:
    """A small but realistic feed: `episodes` items with notes and chapter timestamps."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    items = []
    for n in range(episodes - 1, -1, -1):
        published = format_datetime(start + timedelta(days=7 * n), usegmt=True)
        items.append(
            f"<item><guid>f{feed}-e{n}</guid><title>Show {feed}, episode {n}</title>"
            f"<pubDate>{published}</pubDate><link>https://example.com/{feed}/{n}</link>"
            f'<enclosure url="https://cdn.example.com/{feed}/{n}.mp3" type="audio/mpeg" '
            'length="1"/><itunes:duration>3600</itunes:duration>'
            f"<itunes:episode>{n + 1}</itunes:episode><description>&lt;p&gt;About topic {n}."
            "&lt;/p&gt;&lt;p&gt;0:00 Intro&lt;/p&gt;&lt;p&gt;12:30 The topic&lt;/p&gt;"
            "&lt;p&gt;48:00 Questions&lt;/p&gt;</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>'
        f"<title>Show {feed}</title><link>https://example.com/{feed}</link>"
        f"<description>Bench show {feed}</description>{''.join(items)}</channel></rss>"
    ).encode()


class FeedFarm:
    """A loopback server with N feeds; counts the connections open at once."""

    def __init__(self, feeds: int) -> None:
        self.episodes = [EPISODES_PER_FEED] * feeds
        self.bodies = [feed_bytes(i, EPISODES_PER_FEED) for i in range(feeds)]
        self.max_connections = 0
        self.statuses: dict[int, int] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0

    def etag(self, feed: int) -> str:
        return f'"{feed}-{self.episodes[feed]}"'

    def add_episode_everywhere(self) -> None:
        for feed in range(len(self.episodes)):
            self.episodes[feed] += 1
            self.bodies[feed] = feed_bytes(feed, self.episodes[feed])

    def reset_counters(self) -> None:
        self.max_connections = 0
        self.statuses.clear()

    async def handle(self, request: web.Request) -> web.Response:
        assert self._runner is not None and self._runner.server is not None
        # Open connections (busy or kept alive), as the server counts them.
        self.max_connections = max(self.max_connections, len(self._runner.server.connections))
        feed = int(request.match_info["feed"])
        etag = self.etag(feed)
        if request.headers.get("If-None-Match") == etag:
            status, body = 304, None
        else:
            status, body = 200, self.bodies[feed]
        self.statuses[status] = self.statuses.get(status, 0) + 1
        return web.Response(
            status=status, body=body, headers={"ETag": etag, "Content-Type": "application/rss+xml"}
        )

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/feed/{feed}.xml", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, feed: int) -> str:
        return f"http://127.0.0.1:{self.port}/feed/{feed}.xml"


async def make_all_due(store: Store) -> None:
    async with store.transaction() as db:
        await db.execute("UPDATE feeds SET next_poll_at = 0")


async def timed(fn: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await fn()
    return time.perf_counter() - start


async def traced_peak(fn: Callable[[], Awaitable[object]]) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        await fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def run(feeds: int) -> list[tuple[str, ...]]:
    farm = FeedFarm(feeds)
    await farm.start()
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory() as folder:
        async with await Store.open(Path(folder) / "bench.db") as store, Fetcher() as fetcher:
            importer = Importer(store, fetcher, remote_files=False)
            poller = Poller(
                store, trusted=importer, guarded=importer, guard=fetcher, interval_minutes=15
            )
            for guild in range(GUILDS):
                await store.set_announce_channel(
                    1000 + guild, 2000 + guild, role_id=None, thread=True, user_id=None
                )
            urls = [farm.url(i) for i in range(feeds)]

            def row(name: str, seconds: list[float], peak: int) -> tuple[str, ...]:
                best = statistics.median(seconds)
                return (
                    name,
                    str(feeds),
                    f"{best:.2f} s",
                    f"{best / feeds * 1000:.2f} ms",
                    f"{peak / 2**20:.1f} MiB" if peak else "–",
                    f"{rss_mib():.0f} MiB",
                    str(farm.max_connections),
                    ", ".join(f"{n}×{s}" for s, n in sorted(farm.statuses.items())),
                )

            # First import (the back catalogues; nothing is announced).
            farm.reset_counters()
            first = await timed(lambda: poller.import_feeds(urls))
            rows.append(row(f"first import ({EPISODES_PER_FEED} episodes each)", [first], 0))

            # Unchanged: every feed answers 304.
            times = []
            farm.reset_counters()
            for _ in range(RUNS):
                await make_all_due(store)
                times.append(await timed(poller.poll_due))
            await make_all_due(store)
            peak = await traced_peak(poller.poll_due)
            rows.append(row("cycle, all 304", times, peak))

            # One new episode in every feed: parse, store, queue the announcements.
            times = []
            farm.reset_counters()
            for _ in range(RUNS):
                farm.add_episode_everywhere()
                await make_all_due(store)
                times.append(await timed(poller.poll_due))
            farm.add_episode_everywhere()
            await make_all_due(store)
            peak = await traced_peak(poller.poll_due)
            rows.append(row("cycle, 1 new episode each", times, peak))
            queued = await store.fetchone("SELECT count(*) FROM deliveries")
            assert queued is not None and queued[0] == feeds * GUILDS * (RUNS + 1)
    await farm.close()
    return rows


def print_table(rows: list[tuple[str, ...]]) -> None:
    header = (
        "phase",
        "feeds",
        "time",
        "per feed",
        "peak alloc",
        "peak RSS",
        "max conns",
        "answers",
    )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    print(f"| {line} |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=500)
    args = parser.parse_args()
    print(describe_machine())
    print(
        f"Poller: {DEFAULT_CONCURRENCY} feeds at once; fetcher pool 20 connections; "
        f"times are medians of {RUNS} cycles; peak alloc from a separate traced cycle."
    )
    print()
    rows = asyncio.run(run(args.feeds))
    print_table(rows)
    cycle_304 = rows[1]
    print()
    print(
        f"Target: a 304 cycle for 500 feeds under 5 s with ≤ 20 connections at once: "
        f"{cycle_304[2]}, {cycle_304[6]} connections."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
