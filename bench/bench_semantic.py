"""Semantic layer benchmark (issue 12 item 5): what /when's meaning layer costs.

1. Embedding speed. A 1-hour transcript (9,000 spoken words: the sentences of the example
   show's and bench/relevance's transcripts, in turn, as passages of up to two sentences)
   embedded as the backlog does it (each passage with its neighbours), pinned to one core
   with one thread. Target: <= 2 s.
2. Store growth. The example show and bench/relevance's Slow Tokens imported with their
   transcripts, then every passage, notes passage and chapter title embedded: bytes of the
   store file (checkpointed) per 1,000 vectors.
3. /when at scale. The synthetic catalogue of bench/bench_transcripts.py (10,000 episodes,
   Zipf words) with N transcript passages (default 500,000; the issue's size is 2,000,000:
   `--passages 2000000`, which takes a while to build), all embedded by the backlog
   (timed: the first fill's throughput), then bench_transcripts' query mix through
   `Catalogue.when` with the layer off and on (p50/p99), and the layer's own part
   (`SemanticSearch.nearest`: sign-code scan, exact rescoring, coverage). Target: <= 80 ms
   p99 with the layer on at 2M passages.

Needs the `semantic` extra and a model2vec model (a folder: e.g. one distilled from
all-MiniLM-L6-v2 into bench/out/, see README).

    .venv/bin/python bench/bench_semantic.py MODEL [--passages N] [--queries N] [--skip-scale]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import bench_transcripts  # noqa: E402
from bench.machine import describe_machine  # noqa: E402
from bot.ingest.fetch import Fetcher  # noqa: E402
from bot.ingest.importer import Importer  # noqa: E402
from bot.search.catalogue import Catalogue  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.transcripts.transcript_parse import parse_transcript  # noqa: E402
from bot.transcripts.transcript_sync import TranscriptSync  # noqa: E402
from cogs.search import WHEN_LIMIT  # noqa: E402

OUT = ROOT / "bench" / "out"
TRANSCRIPTS = (ROOT / "examples" / "transcripts", ROOT / "bench" / "relevance" / "transcripts")
FEEDS = (ROOT / "examples" / "feed.xml", ROOT / "bench" / "relevance" / "slow-tokens.xml")
HOUR_WORDS = 9000  # about 150 words a minute
PASSAGES = 500_000


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def one_core() -> None:
    """This process on one CPU, its libraries on one thread each."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
        os.environ[name] = "1"
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


# --------------------------------------------------------------------------- 1. speed


def hour_of_talk() -> list[str]:
    """Passages of a 1-hour transcript, from real sentences (see the module docstring)."""
    sentences: list[str] = []
    for folder in TRANSCRIPTS:
        for path in sorted(folder.iterdir()):
            if path.suffix in (".vtt", ".srt"):
                parsed = parse_transcript(path.read_bytes(), None)
                sentences += [s.text for s in parsed.segments if s.text.strip()]
    passages: list[str] = []
    words = 0
    index = 0
    while words < HOUR_WORDS:
        text = f"{sentences[index % len(sentences)]} {sentences[(index + 1) % len(sentences)]}"
        passages.append(text)
        words += len(text.split())
        index += 2
    return passages


def embedding_speed(model: str) -> list[str]:
    from bot.semantic.embedder import Embedder

    embedder = Embedder.load(model)
    passages = hour_of_talk()
    before, after = ["", *passages[:-1]], [*passages[1:], ""]
    embedder.embed_in_context(passages[:50], before[:50], after[:50])  # warm up
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        embedder.embed_in_context(passages, before, after)
        runs.append(time.perf_counter() - started)
    words = sum(len(p.split()) for p in passages)
    return [
        "| transcript | passages | words | embed (median of 5) | target |",
        "|---|---:|---:|---:|---:|",
        f"| 1 hour, one core | {len(passages)} | {words} | {statistics.median(runs):.3f} s "
        "| <= 2 s |",
    ]


# --------------------------------------------------------------------------- 2. growth


def file_bytes(path: Path) -> int:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        size = db.execute("PRAGMA page_size").fetchone()[0]
        free = db.execute("PRAGMA freelist_count").fetchone()[0]
    return int((pages - free) * size)


async def store_growth(model: str) -> list[str]:
    from bot.semantic.embedder import Embedder
    from bot.semantic.semantic_layer import SemanticLayer

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "growth.db"
        async with await Store.open(path) as store, Fetcher() as fetcher:
            importer = Importer(store, fetcher, remote_files=False)
            sync = TranscriptSync(store, fetcher, remote_files=False)
            for feed in FEEDS:
                summary = await importer.import_source(str(feed))
                assert summary.feed_id is not None, summary.line()
                await sync.sync_feed(summary.feed_id)
        before = await asyncio.to_thread(file_bytes, path)
        async with await Store.open(path) as store:
            layer = SemanticLayer.with_embedder(store, Embedder.load(model))
            assert layer.backlog is not None
            count = await layer.backlog.run_pass(thorough=True)
            await layer.close()
        after = await asyncio.to_thread(file_bytes, path)
    dims = Embedder.load(model).dims
    per_thousand = (after - before) / count * 1000
    return [
        "| vectors | dims | store before | store after | per 1,000 vectors |",
        "|---:|---:|---:|---:|---:|",
        f"| {count} | {dims} | {before / 1e6:.2f} MB | {after / 1e6:.2f} MB "
        f"| {per_thousand / 1e3:.0f} kB |",
    ]


# --------------------------------------------------------------------------- 3. scale


def scale_store(passages: int) -> tuple[Path, list[str]]:
    """The synthetic catalogue with `passages` transcript passages (built once, kept in
    bench/out/ beside what it took)."""
    path = OUT / f"semantic-{passages}.db"
    record = Path(f"{path}.build.json")
    if path.exists() and record.exists():
        return path, json.loads(record.read_text(encoding="utf-8"))["samples"]
    OUT.mkdir(parents=True, exist_ok=True)
    catalogue = OUT / f"synthetic-v{bench_transcripts.synthetic.VERSION}.db"
    bench_transcripts._catalogue(path, catalogue if catalogue.exists() else None)
    _, stored, samples = asyncio.run(
        bench_transcripts._write_transcripts(path, passages, bench_transcripts.SEED)
    )
    asyncio.run(bench_transcripts._compact(path))
    record.write_text(json.dumps({"store": stored, "samples": samples}), encoding="utf-8")
    return path, samples


async def when_at_scale(model: str, path: Path, samples: list[str], queries: int) -> list[str]:
    from bot.semantic.embedder import Embedder
    from bot.semantic.semantic_layer import SemanticLayer

    mix = bench_transcripts.query_mix(queries, samples)
    clock = time.perf_counter
    async with await Store.open(path) as store:
        layer = SemanticLayer.with_embedder(store, Embedder.load(model))
        assert layer.backlog is not None and layer.search is not None
        started = clock()
        embedded = await layer.backlog.run_pass(thorough=True)
        fill = clock() - started
        started = clock()
        await layer.search.refresh()
        load = clock() - started
        stored, _ = await store.embedding_totals()
        words, meaning = Catalogue(store), Catalogue(store, fusion=layer)
        timings: dict[str, list[float]] = {"off": [], "on": [], "layer": []}
        for counted in (False, True):  # the first pass warms the caches
            for query in mix:
                for name, catalogue in (("off", words), ("on", meaning)):
                    started = clock()
                    await catalogue.when(query.topic, guild_id=None, limit=WHEN_LIMIT)
                    if counted:
                        timings[name].append((clock() - started) * 1000)
                started = clock()
                await layer.search.nearest(
                    query.topic, guild_id=None, episode_id=None, count=WHEN_LIMIT
                )
                if counted:
                    timings["layer"].append((clock() - started) * 1000)
        recall = await prefilter_recall(store, layer.search, mix[:50])
        await layer.close()
    rate = embedded / fill if fill and embedded else 0.0
    lines = [
        f"{stored:,} vectors; this run embedded {embedded:,} in {fill:.0f} s"
        + (f" ({rate:,.0f} a second)" if rate else " (already there)")
        + f"; the in-memory index loaded in {load:.1f} s.",
        "",
        f"Prefilter recall: of the {WHEN_LIMIT} nearest vectors by exact cosine over all of "
        f"them, {recall:.1%} are among the {layer.search.prefilter} nearest sign codes "
        "(50 topics of the mix).",
        "",
        "| /when, topical mix | queries | p50 ms | p99 ms |",
        "|---|---:|---:|---:|",
    ]
    for name, label in (
        ("off", "layer off (words only)"),
        ("on", "layer on (words + meaning, fused)"),
        ("layer", "the layer's part alone (nearest)"),
    ):
        values = timings[name]
        lines.append(
            f"| {label} | {len(values)} | {statistics.median(values):.1f} "
            f"| {percentile(values, 0.99):.1f} |"
        )
    return lines


async def prefilter_recall(store: Store, search: Any, topics: list[Any]) -> float:
    """Share of the exact nearest vectors (brute force over every stored vector) that the
    sign-code prefilter keeps as candidates."""
    import numpy as np

    from bot.semantic.embedder import from_bytes

    queries = search.embedder.embed([t.topic for t in topics])
    best: list[list[tuple[float, int]]] = [[] for _ in topics]
    after = 0
    while True:
        rows = await store.vectors_after(after, 100_000)
        if not rows:
            break
        after = rows[-1][0]
        ids = np.array([r[0] for r in rows])
        scores = from_bytes([r[3] for r in rows], search.embedder.dims) @ queries.T
        for column in range(len(topics)):
            top = np.argsort(-scores[:, column])[:WHEN_LIMIT]
            merged = best[column] + [(float(scores[i, column]), int(ids[i])) for i in top]
            best[column] = sorted(merged, reverse=True)[:WHEN_LIMIT]
    kept = total = 0
    for column, query in enumerate(queries):
        candidates = set(search.index.nearest(query, search.prefilter))
        kept += sum(1 for _, i in best[column] if i in candidates)
        total += len(best[column])
    return kept / total if total else 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", help="a model2vec model: a folder or a hub name")
    parser.add_argument("--passages", type=int, default=PASSAGES)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--skip-scale", action="store_true", help="only sections 1 and 2")
    args = parser.parse_args()
    print(describe_machine())
    print(f"model: {args.model}\n")
    speed_lines = None
    if not args.skip_scale:
        path, samples = scale_store(args.passages)  # before pinning: the build may use both
    one_core()
    speed_lines = embedding_speed(args.model)
    print("\n".join(speed_lines), "\n")
    print("\n".join(asyncio.run(store_growth(args.model))), "\n")
    if not args.skip_scale:
        print(f"/when over {args.passages:,} synthetic transcript passages:\n")
        print("\n".join(asyncio.run(when_at_scale(args.model, path, samples, args.queries))))


if __name__ == "__main__":
    main()
