"""Limits benchmark (issue 9): notes that repeat one word, and a read that runs away.

1. One document. The example show plus "Dolor Show": five ordinary episodes and one whose
   notes are "dolor " × 40,000 (240 KB), with a chapter title and a transcript that say
   the same. `/search dolor` and `/when dolor` through `Catalogue` (the service the cogs
   call, through the real store), beside FTS5's own `snippet()` and `highlight()` of that
   document, which is what /search and /when paid for it before. Target: ≤ 200 ms each.
2. Everyone else while a read runs away. A read that would run for minutes is started
   again and again, each time stopped at the search budget (`SEARCH_BUDGET`); meanwhile
   the other commands' service paths are timed: with one reader connection (as before
   the pool: every read queued behind the runaway) and with the store's `READERS`.
3. End to end (skip with --no-e2e): the bot in its own process with both feeds; /search
   dolor, /when dolor and /latest through the loopback fake Discord (dispatch → callback).

    .venv/bin/python bench/bench_limits_search.py [--runs N] [--seconds S] [--no-e2e]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import describe_machine  # noqa: E402
from bot.ingest.fetch import Fetcher  # noqa: E402
from bot.ingest.importer import Importer  # noqa: E402
from bot.models.transcript_passage import Segment  # noqa: E402
from bot.search.catalogue import Catalogue  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.store.base import READERS, SEARCH_BUDGET, QueryTooSlow  # noqa: E402
from bot.transcripts.transcript_parse import merge_passages  # noqa: E402
from cogs.search import SEARCH_LIMIT, WHEN_LIMIT  # noqa: E402
from tests.support.catalogues import Item, write_feed  # noqa: E402

DOLOR = "dolor " * 40000
EXAMPLE_FEED = ROOT / "examples" / "feed.xml"
# A read that would run for hours (10^12 steps), far past any budget.
RUNAWAY = """WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1e12)
             SELECT count(*) FROM n"""


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def row(label: str, values: list[float], *extra: str) -> str:
    cells = [label, *extra, str(len(values))]
    cells += [f"{statistics.median(values):.1f}", f"{percentile(values, 0.99):.1f}"]
    cells.append(f"{max(values):.1f}")
    return "| " + " | ".join(cells) + " |"


def dolor_feed(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    items = [
        Item(f"Episode {n}", f"e{n}", notes=f"Lorem ipsum dolor sit amet, part {n}.", days=n)
        for n in range(1, 6)
    ]
    items.append(Item("Nothing but dolor", "spam", notes=DOLOR, days=10))
    return write_feed(folder, "dolor.xml", "Dolor Show", items)


async def build(path: Path, folder: Path) -> None:
    """The example show and Dolor Show, with a 240 KB chapter title and a transcript of
    "dolor" on the ordinary episodes of Dolor Show."""
    async with await Store.open(path) as store, Fetcher() as fetcher:
        importer = Importer(store, fetcher, remote_files=False)
        for feed in (EXAMPLE_FEED, dolor_feed(folder)):
            summary = await importer.import_source(str(feed))
            assert summary.ok, summary.line()
        async with store.transaction() as db:
            await db.execute(
                """INSERT INTO chapters (episode_id, position, start, title, source)
                   SELECT id, 99, 60, ?, 'notes' FROM episodes WHERE guid = 'e1'""",
                (DOLOR,),
            )
        segments = [Segment("dolor " * 50, i * 10.0, i * 10.0 + 9, None) for i in range(800)]
        passages = merge_passages(segments)
        for row_ in await store.fetchall("SELECT id FROM episodes WHERE guid LIKE 'e_'"):
            await store.save_transcript(
                row_[0],
                f"https://example.com/{row_[0]}.vtt",
                format="vtt",
                passages=passages,
                segment_count=len(segments),
                etag=None,
                last_modified=None,
                content_hash="x",
                parser_version="1",
            )


async def timed(call: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    await call()
    return (time.perf_counter() - start) * 1000


async def one_document(path: Path, runs: int) -> list[str]:
    """Section 1: the table rows."""
    rows = []
    async with await Store.open(path) as store:
        catalogue = Catalogue(store)
        found = await store.fetchone("SELECT id FROM episodes WHERE guid = 'spam'")
        assert found is not None
        spam = found[0]
        before = {
            "FTS5 snippet() of the notes (what /search paid before)": f"""
                SELECT snippet(episodes_fts, 1, '[', ']', '…', 24) FROM episodes_fts
                WHERE episodes_fts MATCH '"dolor"' AND rowid = {spam}""",
            "FTS5 highlight() of the chapter title (what /when paid)": """
                SELECT highlight(chapters_fts, 0, '[', ']') FROM chapters_fts
                WHERE chapters_fts MATCH '"dolor"' AND length(chapters_fts.title) > 100000""",
        }
        for label, sql in before.items():
            rows.append(row(label, [await timed(functools.partial(store.fetchall, sql))]))
        calls: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
            ("/search dolor", lambda: catalogue.search("dolor", guild_id=None, limit=SEARCH_LIMIT)),
            ("/when dolor", lambda: catalogue.when("dolor", guild_id=None, limit=WHEN_LIMIT)),
            (
                "/search dolor sit amet",
                lambda: catalogue.search("dolor sit amet", guild_id=None, limit=SEARCH_LIMIT),
            ),
            (
                "/when dolor in the 240 KB episode",
                lambda: catalogue.when("dolor", guild_id=None, episode_id=spam, limit=WHEN_LIMIT),
            ),
        ]
        for _, call in calls:  # warm the caches
            await call()
        for label, call in calls:
            rows.append(row(label, [await timed(call) for _ in range(runs)]))
    return rows


async def under_runaway(
    path: Path, readers: int, length: float, *, runaway: bool
) -> tuple[list[str], int]:
    """Section 2: other commands' service times for `length` seconds, while runaway
    reads are cut off (or not: the baseline)."""
    async with await Store.open(path, readers=readers) as store:
        catalogue = Catalogue(store)

        async def episode() -> None:
            found = await catalogue.resolve_episode("12", guild_id=None)
            assert found.episode is not None
            await catalogue.episode_detail(found.episode.id, guild_id=None)

        commands: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
            ("/latest", lambda: catalogue.latest(guild_id=None, count=10)),
            ("/episode 12", episode),
            ("autocomplete", lambda: catalogue.complete_episode("zo", guild_id=None)),
            ("/search learning rate", lambda: catalogue.search("learning rate", guild_id=None)),
            ("/when learning rate", lambda: catalogue.when("learning rate", guild_id=None)),
        ]
        for _, call in commands:
            await call()
        cuts = 0

        async def run_away() -> None:
            nonlocal cuts
            while True:
                try:
                    await store.fetchall(RUNAWAY, budget=store.search_budget)
                except QueryTooSlow:
                    cuts += 1

        task = asyncio.create_task(run_away()) if runaway else None
        await asyncio.sleep(0.05)
        timings: dict[str, list[float]] = defaultdict(list)
        end = time.perf_counter() + length
        index = 0
        while time.perf_counter() < end:
            label, call = commands[index % len(commands)]
            timings[label].append(await timed(call))
            index += 1
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    every = [t for values in timings.values() for t in values]
    runaway_cell = "yes" if runaway else "no"
    rows = [row(label, values, str(readers), runaway_cell) for label, values in timings.items()]
    rows.append(row("**all**", every, str(readers), runaway_cell))
    return rows, cuts


async def end_to_end(folder: Path, runs: int) -> list[str]:
    """Section 3: through the fake Discord, the bot in its own process."""
    from bot.app.runner import invite_permissions
    from tests.fakediscord import FakeDiscord, InteractionHandle
    from tests.fakediscord.botprocess import start_bot

    rows = []
    feeds = [EXAMPLE_FEED, dolor_feed(folder)]
    async with FakeDiscord() as fake:
        fake.set_bot_permissions(invite_permissions().value)
        bot = await start_bot(
            fake, folder, feeds=feeds, ready_feeds=2, extra={"LOG_LEVEL": "WARNING"}
        )
        try:
            interactions: list[tuple[str, Callable[[], Awaitable[InteractionHandle]]]] = [
                ("/search dolor", lambda: fake.invoke("search", query="dolor")),
                ("/when dolor", lambda: fake.invoke("when", topic="dolor")),
                ("/latest", lambda: fake.invoke("latest")),
            ]
            for label, start in interactions:
                latencies = []
                for _ in range(runs + 2):  # the first two warm the caches
                    handle = await start()
                    await handle.reply(within=30)
                    assert handle.latency is not None
                    latencies.append(handle.latency * 1000)
                rows.append(row(label, latencies[2:]))
            violations = len(fake.violations)
        finally:
            await bot.stop()
    rows.append(f"| (violations recorded by the fake: {violations}) | | | | |")
    return rows


async def run(runs: int, seconds: float, e2e: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "limits.db"
        await build(path, folder)
        document = await one_document(path, runs)
        runaway_rows = []
        cut_counts = {}
        for readers, runaway in ((READERS, False), (1, True), (READERS, True)):
            rows, cuts = await under_runaway(path, readers, seconds, runaway=runaway)
            runaway_rows += rows
            if runaway:
                cut_counts[readers] = cuts
        e2e_rows = await end_to_end(folder / "e2e", runs) if e2e else []

    print(describe_machine())
    print()
    print(
        "1. One document: notes of 'dolor ' × 40,000 (240 KB), a chapter title and "
        f"transcripts saying the same; service path via Catalogue, {runs} runs, ms"
    )
    print()
    print("| call | n | p50 | p99 | max |")
    print("|---|---:|---:|---:|---:|")
    print("\n".join(document))
    print()
    print("target: /search and /when on the document ≤ 200 ms")
    print()
    print(
        f"2. Other commands while a runaway read is cut off at the {SEARCH_BUDGET:g} s budget, "
        f"again and again ({seconds:g} s each; cut {cut_counts.get(1, 0)} times with one "
        f"reader, {cut_counts.get(READERS, 0)} with {READERS}); service path, ms"
    )
    print()
    print("| command | readers | runaway | n | p50 | p99 | max |")
    print("|---|---:|---|---:|---:|---:|---:|")
    print("\n".join(runaway_rows))
    if e2e_rows:
        print()
        print(
            f"3. End to end through the fake Discord, bot in its own process, {runs} runs "
            "each; dispatch → callback, ms"
        )
        print()
        print("| interaction | n | p50 | p99 | max |")
        print("|---|---:|---:|---:|---:|")
        print("\n".join(e2e_rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="runs per call in sections 1, 3")
    parser.add_argument(
        "--seconds", type=float, default=8.0, help="length of each runaway measurement"
    )
    parser.add_argument("--no-e2e", action="store_true", help="skip the fake Discord section")
    args = parser.parse_args()
    asyncio.run(run(args.runs, args.seconds, not args.no_e2e))


if __name__ == "__main__":
    main()
