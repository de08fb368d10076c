"""Quality report over every fixture feed: what a fan reads, counted per feed.

All fixture feeds are imported into one store (offline), as a server following many
shows would have them; then, per feed:

  episodes        episodes imported
  with guest      episodes with at least one guest (tagged or inferred), and distinct guests
  boilerplate     cards whose summary holds a boilerplate line or sentence (a line the
                  feed repeats, learned at import, or an ad / call-to-action marker):
                  before (the notes as stored) -> after (as the card shows them now).
                  The same detector decides both, so "after" counts what its fallback
                  keeps (notes that are nothing but a repeated line with no ad marker,
                  "Week of 3 May", keep that line).
  related         related slots (`/related`, 5 per episode) and how many point to another
                  show, with the reasons most often given for those
  title flags     trailers / teasers / bonus episodes flagged from the title (no episodeType)

    .venv/bin/python bench/bench_quality_report.py [--feeds N]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.common import boilerplate
from bot.ingest.fetch import Fetcher
from bot.ingest.importer import Importer
from bot.search.catalogue import Catalogue
from bot.search.lookup_cache import lookup_cache
from bot.store import Store
from bot.ui.render import card_summary, episode_kind

FEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "feeds"
RELATED_SLOTS = 5


def feed_files(limit: int | None) -> list[Path]:
    files = sorted(p for p in FEEDS.iterdir() if p.suffix.lower() in (".xml", ".rss", ".atom"))
    return files[:limit] if limit else files


def has_boilerplate(summary: str, keys: frozenset[str]) -> bool:
    return any(boilerplate.is_boilerplate(unit, keys) for unit in boilerplate.units(summary))


def short_name(title: str | None, path: str) -> str:
    name = (title or Path(path).stem.split("__")[-1]).strip()
    name = name.replace("|", "/")  # a cell of a Markdown table
    return name if len(name) <= 28 else name[:27] + "…"


async def report(limit: int | None) -> None:
    files = feed_files(limit)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "quality.db"
        started = time.perf_counter()
        async with await Store.open(db) as store, Fetcher() as fetcher:
            importer = Importer(store, fetcher, remote_files=False)
            for path in files:
                await importer.import_source(str(path))
        imported = time.perf_counter() - started

        raw = sqlite3.connect(db)
        feeds = raw.execute("SELECT id, title, url FROM feeds ORDER BY id").fetchall()
        guests = {
            feed_id: (episodes, people)
            for feed_id, episodes, people in raw.execute(
                """SELECT e.feed_id, count(DISTINCT ep.episode_id), count(DISTINCT ep.person_id)
                   FROM episode_persons ep JOIN episodes e ON e.id = ep.episode_id
                   WHERE lower(ep.role) != 'host' GROUP BY e.feed_id"""
            )
        }
        raw.close()

        rows = []
        totals: Counter[str] = Counter()
        cross_reasons: Counter[str] = Counter()
        all_reasons: Counter[str] = Counter()
        people_reasons: Counter[str] = Counter()
        phrase_first = 0
        async with await Store.open(db) as store:
            catalogue = Catalogue(store)
            index = await lookup_cache(store).index()
            stored_people = len({pid for _, pid, _, _ in (await store.lookup_rows()).credits})
            merged_people = len(index.people)
            for feed_id, title, url in feeds:
                keys = boilerplate.keys_from_state(
                    await store.get_state(boilerplate.state_key(feed_id))
                )
                ids = [
                    r["id"]
                    for r in await store.fetchall(
                        "SELECT id FROM episodes WHERE feed_id = ? ORDER BY id", (feed_id,)
                    )
                ]
                before = after = slots = crossing = flagged = 0
                for episode_id in ids:
                    stored = await store.episode_detail(episode_id)
                    shown = await catalogue.episode_detail(episode_id, guild_id=None)
                    assert stored is not None and shown is not None
                    before += has_boilerplate(card_summary(stored.notes_text), keys)
                    after += has_boilerplate(card_summary(shown.notes_text), keys)
                    if stored.episode.episode_type == "full" and episode_kind(stored.episode):
                        flagged += 1
                    related = await catalogue.related(
                        episode_id, guild_id=None, limit=RELATED_SLOTS
                    )
                    slots += len(related)
                    for item in related:
                        all_reasons.update(item.shared_terms[:3])
                        people_reasons.update(item.shared_people)
                        if item.shared_terms and " " in item.shared_terms[0]:
                            phrase_first += 1
                        if item.episode.feed_id != feed_id:
                            crossing += 1
                            cross_reasons.update(item.shared_people or item.shared_terms[:2])
                with_guest, people = guests.get(feed_id, (0, 0))
                row = {
                    "feed": short_name(title, url),
                    "episodes": len(ids),
                    "with guest": with_guest,
                    "guests": people,
                    "before": before,
                    "after": after,
                    "slots": slots,
                    "crossing": crossing,
                    "flagged": flagged,
                }
                rows.append(row)
                totals.update({k: v for k, v in row.items() if isinstance(v, int)})

    episodes = totals["episodes"]
    print(f"{len(files)} fixture feeds, {episodes} episodes, imported in {imported:.1f} s")
    print()
    print(
        "| feed | episodes | with guest | guests | boilerplate in summary (before → after)"
        " | related slots | to another show | title-flagged |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in [*rows, {"feed": "**all**", **totals}]:
        print(
            f"| {r['feed']} | {r['episodes']} | {r['with guest']} | {r['guests']} "
            f"| {r['before']} → {r['after']} | {r['slots']} | {r['crossing']} | {r['flagged']} |"
        )
    print()
    print(
        f"People (every role): {stored_people} stored spellings, {merged_people} after"
        " merging aliases (diacritics, middle initials, honorifics, shared href)."
    )
    share = 100 * totals["before"] / max(1, totals["episodes"])
    share_after = 100 * totals["after"] / max(1, totals["episodes"])
    cross = 100 * totals["crossing"] / max(1, totals["slots"])
    print()
    print(f"Cards with boilerplate in the summary: {share:.1f}% before, {share_after:.1f}% after.")
    print(f"Related slots pointing to another show: {cross:.1f}%.")
    if cross_reasons:
        common = ", ".join(f"{reason} ({n})" for reason, n in cross_reasons.most_common(12))
        print(f"Most common reasons for those: {common}")
    print(
        f"Related slots whose first reason is a phrase: {phrase_first}; linked by a shared"
        f" guest: {sum(people_reasons.values())}, most often: "
        + ", ".join(f"{name} ({n})" for name, n in people_reasons.most_common(8))
    )
    common = ", ".join(f"{reason} ({n})" for reason, n in all_reasons.most_common(30))
    print(f"Most common shared topics over all related slots: {common}")
    print()
    print(learning_time())


def learning_time() -> str:
    """How long learning the boilerplate of The Daily (845 episodes) takes (budget 1 s)."""
    from bot.common.plain_text import html_to_text
    from bot.ingest.feedparse import parse_feed

    (daily,) = [path for path in feed_files(None) if "the-daily" in path.name]
    feed = parse_feed(daily.read_bytes(), source=daily.name)
    notes = [html_to_text(e.notes_html) for e in feed.episodes]
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        boilerplate.learn(notes)
        runs.append(time.perf_counter() - start)
    median = sorted(runs)[2]
    verdict = "met" if median < 1.0 else "NOT met"
    return (
        f"Learning the boilerplate of {feed.title} ({len(notes)} episodes): "
        f"{median * 1000:.0f} ms, median of 5 (budget 1 s: {verdict})."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=None, help="only the first N feeds")
    asyncio.run(report(parser.parse_args().feeds))


if __name__ == "__main__":
    main()
