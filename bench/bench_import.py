"""Import benchmark: the five largest fixture feeds, cold and unchanged, beside the peers.

For each feed, on the same bytes in the same run:
  feedparser     `feedparser.parse` (the usual choice)           -- parse only
  podcastparser  `podcastparser.parse` (gPodder's parser)         -- parse only
  lxml walk      a bare recovering lxml parse reading five fields -- parse only (the floor)
  floor          lxml walk + a raw `executemany` of the rows episode-bot stored (episodes
                 and chapters) into a fresh store with the real schema and FTS triggers
  cold import    episode-bot's import into a new store: read, parse, chapters, store (one
                 transaction); from the importer's own phase timings
  + related      then the derived data of a new feed: every episode's related list and the
                 autocomplete index (issue 3), computed once per feed, then incrementally
  total          the whole `import_source` call, wall clock
  unchanged      the same import again (skipped by content hash)

Targets (issue 2): cold import at least 2x faster than feedparser alone, within 3x of the
floor; unchanged under 10 ms per feed. Medians of several runs; prints a table.

    python3 dev.py bench import        (or .venv/bin/python bench/bench_import.py)
"""

from __future__ import annotations

import asyncio
import io
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.machine import describe_machine
from bot.ingest.fetch import Fetcher
from bot.ingest.importer import Importer
from bot.store import Store, load_migrations

FEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "feeds"
RUNS = 5


def median_ms(fn: Callable[[], object], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def lxml_walk(data: bytes) -> list[tuple[str, str, str, str, str]]:
    """The floor: parse with recovery and read five fields per item, nothing else."""
    start = re.search(rb"<\?xml|<rss|<feed", data)
    parser = etree.XMLParser(recover=True, resolve_entities=False, huge_tree=True, no_network=True)
    root = etree.fromstring(data[start.start() if start else 0 :], parser)
    rows = []
    for item in root.iter("item"):
        enclosure = item.find("enclosure")
        rows.append(
            (
                item.findtext("title") or "",
                item.findtext("guid") or "",
                item.findtext("description") or "",
                item.findtext("pubDate") or "",
                enclosure.get("url", "") if enclosure is not None else "",
            )
        )
    return rows


def floor_write_ms(episodes: list[tuple], chapters: list[tuple]) -> float:
    """A raw executemany of the rows episode-bot stored (episodes and chapters, with the
    real schema and its FTS triggers) into a fresh store: the cost of storing, no logic.

    Only the writing transaction is timed: the cold import is timed after `Store.open`,
    so creating the schema is not part of either."""
    with tempfile.TemporaryDirectory() as folder:
        db = sqlite3.connect(Path(folder) / "floor.db", isolation_level=None)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        for _, _, sql in load_migrations():
            db.executescript(sql)
        db.execute("INSERT INTO feeds (id, url, created_at) VALUES (1, 'floor', 0)")
        start = time.perf_counter()
        db.execute("BEGIN")
        db.executemany(
            f"INSERT INTO episodes ({', '.join(EPISODE_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(EPISODE_COLUMNS))})",
            episodes,
        )
        db.executemany(
            f"INSERT INTO chapters ({', '.join(CHAPTER_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(CHAPTER_COLUMNS))})",
            chapters,
        )
        db.execute("COMMIT")
        elapsed = (time.perf_counter() - start) * 1000
        db.close()
    return elapsed


EPISODE_COLUMNS = (
    "id",
    "feed_id",
    "key",
    "guid",
    "title",
    "notes_html",
    "notes_text",
    "number",
    "season",
    "published_at",
    "duration",
    "link",
    "audio_url",
    "image",
    "content_hash",
    "first_seen_at",
    "updated_at",
)
CHAPTER_COLUMNS = ("episode_id", "position", "start", "title", "source")


async def our_import(path: Path) -> tuple[float, float, float, float, list[tuple], list[tuple]]:
    """Cold import into a new store: its core and related phases and its total, then the
    unchanged re-import (milliseconds); and the episode and chapter rows it stored."""
    with tempfile.TemporaryDirectory() as folder:
        async with await Store.open(Path(folder) / "bench.db") as store, Fetcher() as fetcher:
            importer = Importer(store, fetcher, remote_files=False)
            start = time.perf_counter()
            summary = await importer.import_source(str(path))
            cold = (time.perf_counter() - start) * 1000
            start = time.perf_counter()
            again = await importer.import_source(str(path))
            unchanged = (time.perf_counter() - start) * 1000
            assert summary.ok and again.new == 0 and again.updated == 0, again.line()
            episodes = await store.fetchall(
                f"SELECT {', '.join(EPISODE_COLUMNS)} FROM episodes ORDER BY id"
            )
            chapters = await store.fetchall(
                f"SELECT {', '.join(CHAPTER_COLUMNS)} FROM chapters ORDER BY id"
            )
            phases = summary.timings
            core = 1000 * sum(phases[p] for p in ("read", "parse", "chapters", "store"))
            related = 1000 * phases["related"]
            rows = [tuple(r) for r in episodes], [tuple(r) for r in chapters]
            return core, related, cold, unchanged, *rows


def main() -> None:
    import feedparser
    import podcastparser

    if not FEEDS.is_dir():
        raise SystemExit(f"fixtures not found at {FEEDS}")
    largest = sorted(FEEDS.iterdir(), key=lambda p: p.stat().st_size, reverse=True)[:5]
    print(describe_machine())
    print()
    header = (
        "| feed | items | MB | feedparser | podcastparser | lxml walk | floor (walk+write) "
        "| cold import | vs feedparser | vs floor | + related | total | unchanged |"
    )
    print(header)
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for path in largest:
        data = path.read_bytes()
        items = len(re.findall(rb"<item[\s>]", data))
        fp = median_ms(lambda d=data: feedparser.parse(d), runs=3)
        pp = median_ms(lambda d=data, p=path: podcastparser.parse(p.name, io.BytesIO(d)))
        walk = median_ms(lambda d=data: lxml_walk(d))
        runs = [asyncio.run(our_import(path)) for _ in range(RUNS)]
        cold, related, total, unchanged = (
            statistics.median(run[i] for run in runs) for i in range(4)
        )
        episodes, chapters = runs[-1][4], runs[-1][5]
        floor = walk + statistics.median(floor_write_ms(episodes, chapters) for _ in range(RUNS))
        name = path.name.split("__")[-1][:38]
        print(
            f"| {name} | {items} | {len(data) / 1e6:.1f} | {fp:.0f} ms | {pp:.0f} ms | "
            f"{walk:.0f} ms | {floor:.0f} ms | {cold:.0f} ms | {fp / cold:.1f}x faster | "
            f"{cold / floor:.1f}x | {related:.0f} ms | {total:.0f} ms | {unchanged:.1f} ms |"
        )


if __name__ == "__main__":
    main()
