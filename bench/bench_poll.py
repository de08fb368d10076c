"""Poll benchmark: poll cycles over 500 loopback feeds, unchanged (304) and with one new
episode each, through the real Poller, Importer, Fetcher and store.

Each measured cycle runs in a fresh worker process against the store the earlier phases
left, so that its memory figures are its own: the process's peak RSS only ever grows, and
an earlier phase (or the feed server, which runs in a process of its own as a real feed
host would) would otherwise be counted in a later one. In the worker, a thread samples
`/proc/self/statm` every 2 ms from just before the cycle to its end:

- **RSS before**: the worker with the store open and the poller built, before the cycle;
- **peak RSS**: the most the worker held during the cycle (also checked against the
  kernel's high-water mark); **growth** is peak minus before: what the cycle itself costs;
- **peak alloc**: Python allocations (tracemalloc) in a separate traced run of the same
  cycle, since tracing slows the cycle and its own bookkeeping inflates RSS;
- **time**: the median of `RUNS` cycles, each in its own worker; the memory figures are the
  highest of those runs.

The last row runs several new-episode cycles back to back in one worker, as the running bot
does: memory that a cycle keeps (caches, fragmentation) shows there as growth.

Target (issue 4): a 304 cycle for 500 feeds under 5 s with at most 20 connections at once.
Target (issue 15): the new-episode cycle under 120 MiB peak RSS.

    python3 dev.py bench poll        (or .venv/bin/python bench/bench_poll.py [--feeds N])
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import urllib.request
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.machine import describe_machine
from bot.announce.poller import DEFAULT_CONCURRENCY, DEFAULT_WORK_CONCURRENCY, Poller
from bot.ingest.fetch import Fetcher
from bot.ingest.importer import Importer
from bot.search.lookup_cache import lookup_cache
from bot.store import Store

EPISODES_PER_FEED = 20
RUNS = 3
GUILDS = 3
BACK_TO_BACK = 4  # new-episode cycles run in one worker for the steady-state row
LARGE = (16, 2_000)  # feeds, episodes each: big documents, where parse and store cost most
_PAGE = os.sysconf("SC_PAGE_SIZE")
_SCRIPT = str(Path(__file__).resolve())


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


# ---------------------------------------------------------------------- the feed server


class FeedFarm:
    """A loopback server with N feeds; counts the connections open at once. Runs in its own
    process (`--serve`); `/control/*` lets the benchmark add an episode everywhere and read
    or reset the counters."""

    def __init__(self, feeds: int, episodes: int) -> None:
        self.episodes = [episodes] * feeds
        self.bodies = [feed_bytes(i, episodes) for i in range(feeds)]
        self.max_connections = 0
        self.statuses: dict[int, int] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0

    def etag(self, feed: int) -> str:
        return f'"{feed}-{self.episodes[feed]}"'

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

    async def add_episode(self, request: web.Request) -> web.Response:
        for feed in range(len(self.episodes)):
            self.episodes[feed] += 1
            self.bodies[feed] = feed_bytes(feed, self.episodes[feed])
        return web.json_response({"episodes": self.episodes[0]})

    async def stats(self, request: web.Request) -> web.Response:
        answer = {"max_connections": self.max_connections, "statuses": self.statuses}
        if request.method == "POST":  # read and reset
            self.max_connections = 0
            self.statuses = {}
        return web.json_response(answer)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/feed/{feed}.xml", self.handle)
        app.router.add_post("/control/add-episode", self.add_episode)
        app.router.add_route("*", "/control/stats", self.stats)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


async def serve(feeds: int, episodes: int) -> None:
    farm = FeedFarm(feeds, episodes)
    await farm.start()
    print(farm.port, flush=True)
    # Until the benchmark closes our stdin.
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


def control(port: int, what: str) -> dict[str, Any]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/control/{what}", method="POST")
    with urllib.request.urlopen(request, timeout=30) as answer:
        result: dict[str, Any] = json.load(answer)
        return result


# ---------------------------------------------------------------------- a worker (one phase)


def rss_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * _PAGE


class RssSampler:
    """The process's resident size, sampled every 2 ms in a thread: the highest seen."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            self._stop.wait(0.002)

    def __enter__(self) -> RssSampler:
        self.peak = rss_bytes()
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())


async def make_all_due(store: Store) -> None:
    async with store.transaction() as db:
        await db.execute("UPDATE feeds SET next_poll_at = 0")


async def worker(args: argparse.Namespace) -> dict[str, Any]:
    """One phase in this (fresh) process: prints its figures as JSON."""
    urls = [f"http://127.0.0.1:{args.port}/feed/{i}.xml" for i in range(args.feeds)]
    async with await Store.open(args.db) as store, Fetcher() as fetcher:
        importer = Importer(store, fetcher, remote_files=False)
        poller = Poller(
            store,
            trusted=importer,
            guarded=importer,
            guard=fetcher,
            interval_minutes=15,
            work_concurrency=args.work,
        )
        if args.phase == "count":
            deliveries = await store.fetchone("SELECT count(*) FROM deliveries")
            return {"deliveries": deliveries[0] if deliveries else 0}
        if args.phase == "first":
            for guild in range(GUILDS):
                await store.set_announce_channel(
                    1000 + guild, 2000 + guild, role_id=None, thread=True, user_id=None
                )
        else:
            # The running bot holds the autocomplete index, which an import rebuilds.
            await lookup_cache(store).index()
        seconds: list[float] = []
        before = peak = alloc = 0
        for cycle in range(args.cycles):
            if args.phase == "new":
                control(args.port, "add-episode")
            if args.phase != "first":
                await make_all_due(store)
            if cycle == 0:
                before = rss_bytes()
            if args.traced:
                tracemalloc.start()
            with RssSampler() as sampler:
                start = time.perf_counter()
                if args.phase == "first":
                    outcomes = await poller.import_feeds(urls)
                else:
                    outcomes = await poller.poll_due()
                seconds.append(time.perf_counter() - start)
            if args.traced:
                alloc = max(alloc, tracemalloc.get_traced_memory()[1])
                tracemalloc.stop()
            peak = max(peak, sampler.peak)
            failed = [o for o in outcomes if o.error]
            assert not failed, failed[:3]
            if args.phase == "new":
                assert sum(o.new for o in outcomes) == args.feeds, "every new episode imported"
    high_water = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {
        "seconds": seconds,
        "before": before,
        # The kernel's high-water mark includes the set-up, which is below the cycle's peak
        # unless sampling missed a spike: take it only when the set-up was not the larger.
        "peak": max(peak, high_water) if high_water > before else peak,
        "alloc": alloc,
    }


def run_worker(
    feeds: int,
    episodes: int,
    phase: str,
    db: Path,
    port: int,
    *,
    cycles: int = 1,
    traced: bool = False,
) -> Any:
    command = [sys.executable, _SCRIPT, "--worker", phase, "--db", str(db), "--port", str(port)]
    command += ["--feeds", str(feeds), "--episodes", str(episodes), "--cycles", str(cycles)]
    if traced:
        command.append("--traced")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"worker {phase} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------- the benchmark


def mib(value: float) -> str:
    return f"{value / 2**20:.0f} MiB"


def scenario(feeds: int, episodes: int, *, full: bool) -> list[tuple[str, ...]]:
    """The phases over `feeds` feeds of `episodes` episodes, each worker on the store the
    earlier ones left. `full`: also the 304 cycle and the back-to-back cycles."""
    farm = subprocess.Popen(
        [sys.executable, _SCRIPT, "--serve", "--feeds", str(feeds), "--episodes", str(episodes)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert farm.stdout is not None and farm.stdin is not None
    port = int(farm.stdout.readline())
    rows: list[tuple[str, ...]] = []
    size = f"{len(feed_bytes(0, episodes)) / 1024:,.0f} KB"

    def row(name: str, runs: list[dict[str, Any]], traced: dict[str, Any] | None) -> None:
        seconds = [s for r in runs for s in r["seconds"]]
        best = statistics.median(seconds)
        before = max(r["before"] for r in runs)
        peak = max(r["peak"] for r in runs)
        growth = max(r["peak"] - r["before"] for r in runs)
        stats = control(port, "stats")  # read and reset
        rows.append(
            (
                name,
                str(feeds),
                f"{best:.2f} s",
                f"{best / feeds * 1000:.2f} ms",
                f"{traced['alloc'] / 2**20:.1f} MiB" if traced else "–",
                mib(before),
                mib(peak),
                f"+{mib(growth)}",
                str(stats["max_connections"]),
                ", ".join(f"{n}×{s}" for s, n in sorted(stats["statuses"].items())),
            )
        )

    def work(phase: str, **options: Any) -> Any:
        return run_worker(feeds, episodes, phase, db, port, **options)

    try:
        with tempfile.TemporaryDirectory() as folder:
            db = Path(folder) / "bench.db"
            control(port, "stats")
            row(f"first import ({episodes:,} episodes each, {size})", [work("first")], None)
            if full:
                runs = [work("304") for _ in range(RUNS)]
                row("cycle, all 304", runs, work("304", traced=True))
            runs = [work("new") for _ in range(RUNS)]
            label = "cycle, 1 new episode each" + ("" if full else f" ({size} feeds)")
            row(label, runs, work("new", traced=True))
            cycles = RUNS + 1
            if full:
                steady = work("new", cycles=BACK_TO_BACK)
                row(f"{BACK_TO_BACK} new-episode cycles in one process", [steady], None)
                cycles += BACK_TO_BACK
            queued = work("count")["deliveries"]
            if queued != feeds * GUILDS * cycles:
                raise SystemExit(f"queued {queued} announcements, not {feeds * GUILDS * cycles}")
    finally:
        farm.stdin.close()
        farm.wait(timeout=30)
    return rows


def print_table(rows: list[tuple[str, ...]]) -> None:
    header = (
        "phase",
        "feeds",
        "time",
        "per feed",
        "peak alloc",
        "RSS before",
        "peak RSS",
        "growth",
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
    parser.add_argument("--episodes", type=int, default=EPISODES_PER_FEED, help=argparse.SUPPRESS)
    parser.add_argument("--large", type=int, default=LARGE[0], help="feeds in the large run")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--worker", choices=("first", "304", "new", "count"), help=argparse.SUPPRESS
    )
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--cycles", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    # A worker's feeds parsed and stored at once (to compare with the default by hand).
    parser.add_argument(
        "--work", type=int, default=DEFAULT_WORK_CONCURRENCY, help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.feeds, args.episodes))
        return 0
    if args.worker:
        args.phase = args.worker
        print(json.dumps(asyncio.run(worker(args))))
        return 0
    print(describe_machine())
    print(
        f"Poller: {DEFAULT_CONCURRENCY} feeds read at once, {DEFAULT_WORK_CONCURRENCY} of them "
        "parsed and stored at once; fetcher pool 20 connections; "
        f"each cycle in a fresh process (the feed server in another) with the autocomplete "
        f"index built, as in the bot; times are medians of {RUNS} cycles, memory the most of "
        f"them; peak alloc from a separate traced cycle."
    )
    print()
    rows = scenario(args.feeds, EPISODES_PER_FEED, full=True)
    rows += scenario(args.large, LARGE[1], full=False)
    print_table(rows)
    cycle_304 = rows[1]
    cycle_new = rows[2]
    print()
    print(
        f"Target: a 304 cycle for 500 feeds under 5 s with ≤ 20 connections at once: "
        f"{cycle_304[2]}, {cycle_304[8]} connections."
    )
    print(f"Target: the new-episode cycle under 120 MiB peak RSS: {cycle_new[6]}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
