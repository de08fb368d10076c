"""Relevance benchmark (issue 12): does /when (and /search) find the moment a member means?

A labelled query set of our own, `bench/relevance/queries.jsonl`, one JSON object a line:

    {"id": "needle-ep3-hessian", "kind": "needle", "command": "when",
     "query": "top eigenvalue of the Hessian",
     "expect": {"feed": "Warm Restarts", "number": 3}, "window": [1756, 1900]}

- `kind`: needle (a rare phrase said once), topic (what a chapter or a stretch of talk is
  about), paraphrase (few or none of the words said), speaker (a person of the catalogue
  and a topic), typo, language (feeds not in English), negative (nothing covers it).
- `command`: "when" runs `Catalogue.when`, "search" runs `Catalogue.search`.
- `expect`: the episode, by `feed` (its title, as imported) with `number`, or by
  `title` (a substring of the episode title, folded); null for a negative.
- `window`: [from, to] seconds in which the moment must start; null: any moment of that
  episode (or, for /search, the episode).
- `also` (optional): other right answers, each {"expect": ..., "window": ...}, where the
  catalogue really holds the same thing twice (a chapter of another episode, another
  feed quoting the same law): a right answer is not a miss.

The store is built in a temporary folder from examples/feed.xml (with its chapters and
transcripts), bench/relevance/slow-tokens.xml (two made-up episodes whose openings preview
every topic of the hour; transcripts in bench/relevance/transcripts) and the fixture feeds
of FIXTURE_FEEDS (read in place from ../shared/fixtures/feeds, never copied). Printed per kind and
overall: top-1, top-3, MRR (of the first right answer in the first 25), and for negatives
the "nothing found" rate — nothing answered, or only the results labelled as partial
matches ("closest partial matches": match tier "any", or "related" from the meaning
layer) — and the share answered with
nothing at all. `--show` lists each miss;
`--no-partial` scores as if partial matches were never shown.

`--semantic MODEL` turns /when's meaning layer on (bot/semantic; needs the `semantic`
extra): every passage, notes passage and chapter title is embedded with the model2vec
model MODEL (a folder, e.g. one distilled from all-MiniLM-L6-v2 into bench/out/) and the
moments nearest the topic are fused with the lexical ones. `--floor` and `--sure` override
its score floors (for tuning: bot/semantic/semantic_search.py).

    .venv/bin/python bench/bench_relevance.py [--show] [--no-partial] [--kind KIND] [--json OUT]
        [--semantic MODEL [--floor SCORE] [--sure SCORE]]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.ingest.fetch import Fetcher  # noqa: E402
from bot.ingest.importer import Importer  # noqa: E402
from bot.models.episode_views import PARTIAL_TIERS, EpisodeSummary  # noqa: E402
from bot.search.catalogue import Catalogue  # noqa: E402
from bot.search.fts_query import fold  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.transcripts.transcript_sync import TranscriptSync  # noqa: E402

QUERIES = Path(__file__).resolve().parent / "relevance" / "queries.jsonl"
FIXTURES = ROOT.parent / "shared" / "fixtures" / "feeds"
EXAMPLE_FEED = ROOT / "examples" / "feed.xml"
# A made-up show of ours whose openings preview every topic of the hour (transcripts
# beside it): what the preview demotion is measured on.
SLOW_TOKENS = Path(__file__).resolve().parent / "relevance" / "slow-tokens.xml"
# The fixture feeds the set uses (file-name fragments).
FIXTURE_FEEDS = ("99pi", "Hanselminutes", "EngineeringKiosk", "rtve-podcast", "Ellinofreneia")
LIMIT = 25  # what /when fetches (cogs/search.WHEN_LIMIT)
Row = dict[str, Any]
KINDS = ("needle", "topic", "paraphrase", "speaker", "typo", "language", "negative")


def load(path: Path = QUERIES) -> list[Row]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("//"):
            row = json.loads(line)
            row.setdefault("command", "when")
            row.setdefault("window", None)
            assert row["kind"] in KINDS, f"line {number}: kind {row['kind']!r}"
            rows.append(row)
    return rows


def feeds() -> list[Path]:
    found = [EXAMPLE_FEED, SLOW_TOKENS]
    if FIXTURES.is_dir():
        for part in FIXTURE_FEEDS:
            found += [p for p in sorted(FIXTURES.iterdir()) if part in p.name]
    return found


async def build(path: Path) -> None:
    async with await Store.open(path) as store, Fetcher() as fetcher:
        importer = Importer(store, fetcher, remote_files=False)
        sync = TranscriptSync(store, fetcher, remote_files=False)
        for feed in feeds():
            summary = await importer.import_source(str(feed))
            if not summary.ok or summary.feed_id is None:
                raise SystemExit(f"import failed: {feed.name}: {summary.line()}")
            await sync.sync_feed(summary.feed_id)
        await store.optimize_search_indexes()


def is_expected(episode: EpisodeSummary, expect: Row) -> bool:
    if "number" in expect:
        return episode.number == expect["number"] and fold(expect.get("feed", "")) in fold(
            episode.feed_title
        )
    return fold(expect["title"]) in fold(episode.title)


def in_window(start: float | None, window: list[float] | None) -> bool:
    if window is None:
        return True
    return start is not None and window[0] <= start <= window[1]


async def answer(
    catalogue: Catalogue, row: Row, *, partial: bool = True
) -> tuple[int | None, str, list[str]]:
    """The rank (1-based) of the first right answer, what was answered ("confident": a
    match of all the words; "partial": only labelled partial matches; "empty"), and the
    top three, described."""
    if row["command"] == "search":
        hits = await catalogue.search(row["query"], guild_id=None, limit=LIMIT)
        items = [(h.episode, h.start, h.match) for h in hits]
    else:
        moments = await catalogue.when(row["query"], guild_id=None, limit=LIMIT)
        items = [(m.episode, m.start, m.match) for m in moments]
    confident = any(match not in PARTIAL_TIERS for _, _, match in items)
    answered = "confident" if confident else ("partial" if items else "empty")
    if not partial:  # what members would get if partial matches were never shown
        items = [item for item in items if item[2] not in PARTIAL_TIERS]
    rank = None
    answers = [(row["expect"], row["window"])] if row.get("expect") else []
    answers += [(other["expect"], other.get("window")) for other in row.get("also", ())]
    for position, (episode, start, _) in enumerate(items, 1):
        if any(is_expected(episode, e) and in_window(start, w) for e, w in answers):
            rank = position
            break
    top = [
        f"{e.number or ''} {e.title[:40]!r}@{'' if s is None else int(s)} [{m}]"
        for e, s, m in items[:3]
    ]
    return rank, answered, top


def table(results: list[tuple[Row, int | None, str]]) -> str:
    by_kind: dict[str, list[tuple[Row, int | None, str]]] = defaultdict(list)
    for item in results:
        by_kind[item[0]["kind"]].append(item)
    lines = [
        "| kind | queries | top-1 | top-3 | MRR | nothing found (negatives) | empty (negatives) |",
        "|---|---|---|---|---|---|---|",
    ]

    def row(name: str, items: list[tuple[Row, int | None, str]]) -> str:
        positives = [(r, rank) for r, rank, _ in items if r["kind"] != "negative"]
        negatives = [answered for r, _, answered in items if r["kind"] == "negative"]
        cells = [name, str(len(items))]
        if positives:
            n = len(positives)
            top1 = sum(1 for _, rank in positives if rank == 1) / n
            top3 = sum(1 for _, rank in positives if rank is not None and rank <= 3) / n
            mrr = sum(1 / rank for _, rank in positives if rank) / n
            cells += [f"{top1:.0%}", f"{top3:.0%}", f"{mrr:.3f}"]
        else:
            cells += ["–", "–", "–"]
        if negatives:
            n = len(negatives)
            cells.append(f"{sum(1 for a in negatives if a != 'confident') / n:.0%}")
            cells.append(f"{sum(1 for a in negatives if a == 'empty') / n:.0%}")
        else:
            cells += ["–", "–"]
        return "| " + " | ".join(cells) + " |"

    for kind in KINDS:
        if by_kind.get(kind):
            lines.append(row(kind, by_kind[kind]))
    lines.append(row("**all**", results))
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> None:
    rows = load()
    if args.kind:
        rows = [r for r in rows if r["kind"] == args.kind]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "relevance.db"
        started = time.perf_counter()
        await build(path)
        built = time.perf_counter() - started
        results: list[tuple[Row, int | None, str]] = []
        async with await Store.open(path) as store:
            catalogue = Catalogue(store)
            layer = None
            if args.semantic:
                layer = await semantic_layer(store, args.semantic, args.floor, args.sure)
                catalogue = Catalogue(store, fusion=layer)
            for row in rows:
                rank, answered, top = await answer(catalogue, row, partial=not args.no_partial)
                results.append((row, rank, answered))
                miss = rank != 1 if row["kind"] != "negative" else answered == "confident"
                if args.show and miss:
                    print(f"MISS {row['id']} [{row['kind']}] {row['query']!r} rank={rank}")
                    for line in top:
                        print("     ", line)
            if layer is not None:
                await layer.close()
    names = ", ".join(p.name.split("__")[-1] for p in feeds())
    print(f"\nRelevance: {len(rows)} labelled queries over {names} (built in {built:.1f} s)\n")
    print(table(results))
    if args.json:
        ranks = [{"id": r["id"], "rank": k, "answered": a} for r, k, a in results]
        await asyncio.to_thread(Path(args.json).write_text, json.dumps(ranks), "utf-8")


async def semantic_layer(store: Store, model: str, floor: float | None, sure: float | None) -> Any:
    """The meaning layer over the built store, every row embedded first (timed)."""
    from bot.semantic.embedder import Embedder
    from bot.semantic.semantic_layer import SemanticLayer

    embedder = Embedder.load(model)
    layer = SemanticLayer.with_embedder(store, embedder)
    assert layer.backlog is not None and layer.search is not None
    started = time.perf_counter()
    count = await layer.backlog.run_pass(thorough=True)
    print(f"semantic: {count} vectors of {model} in {time.perf_counter() - started:.1f} s")
    if floor is not None:
        layer.search.floor = floor
    if sure is not None:
        layer.search.sure = sure
    return layer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show", action="store_true", help="list the misses")
    parser.add_argument("--kind", choices=KINDS)
    parser.add_argument(
        "--no-partial", action="store_true", help="count partial matches as not shown"
    )
    parser.add_argument("--json", help="write each query's rank to this file")
    parser.add_argument("--semantic", metavar="MODEL", help="turn the meaning layer on")
    parser.add_argument("--floor", type=float, help="the meaning layer's lowest score shown")
    parser.add_argument("--sure", type=float, help="the meaning layer's confident score")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
