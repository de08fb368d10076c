"""Transcript benchmark: /when's moments query over 2,000,000 transcript passages.

The synthetic catalogue of `bench/synthetic.py` (10,000 episodes of one show, Zipf word
frequencies) gets 200 transcript segments per episode — 2,000,000 of about 12 words each
(6–18), drawn from the same Zipf vocabulary, three speakers — written through the real
store (`Store.save_transcript`, one transaction per episode, FTS5 kept by triggers), as
the sync job writes them. Each segment is stored as one passage: the worst case for the
index (merging would make fewer, longer rows).

Then a deterministic mix of topics of 1–3 words, common and rare (and phrases taken from
the generated text, so that they exist), is timed three ways in the same run, through the
same aiosqlite connection:

  moments    `transcript_moments(store, topic, guild_id=None, limit=10)`
             (bot/transcripts/transcript_search.py over `Store.topic_moments`): the engine
             behind /when's transcript source (stopwords dropped, episodes ranked on the
             episode-level index, passages read inside the best episodes, scored,
             collapsed, trimmed; /when enters it through `transcript_hits`, once per
             match tier, with bot/search/fts_query.py's expressions)
  /when      `Catalogue.when(topic, guild_id=None, limit=WHEN_LIMIT)`: the whole of what
             the /when command runs (chapters, notes and transcripts, each match tier,
             episode-level matches), with the limit the command asks for
  plain      `SELECT rowid FROM transcript_fts WHERE transcript_fts MATCH ? ORDER BY rank
             LIMIT 10` with the same terms: what a straightforward FTS5 search costs

A topic made only of stopwords is not a topic (`/when the` answers at once with nothing),
so none is in the mix. Before timing, the full-text indexes are compacted
(`Store.optimize_search_indexes`), as the bot does after bulk imports and once a day.
Target (issue 6): /when p99 <= 50 ms. Prints the machine, the build time, the
compaction time, the size on disk, and a Markdown table.

    .venv/bin/python bench/bench_transcripts.py [--segments N] [--queries N] [--rebuild]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import synthetic
from bench.machine import describe_machine
from bot.models.transcript_passage import Passage
from bot.search.catalogue import Catalogue
from bot.search.fts_query import STOPWORDS, fts_all, topic_terms
from bot.store import Store
from bot.transcripts.transcript_search import transcript_moments
from cogs.search import WHEN_LIMIT

SEED = 6
VERSION = 1
SEGMENTS = 2_000_000
SPEAKERS = ("Ada Hostwell", "Bram Cohoster", None)  # the guest's cues are unlabelled
OUT = Path(__file__).resolve().parent / "out"
DEFAULT_PATH = OUT / f"transcripts-v{VERSION}.db"
TARGET_P99_MS = 50.0


# --------------------------------------------------------------------------- building


def _catalogue(path: Path, source: Path | None) -> float:
    """Put the 10k-episode synthetic catalogue at `path`: built by bench/synthetic.py, or
    copied from `source` (a catalogue it built with this code). Returns seconds spent."""
    start = time.perf_counter()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    if source is None:
        synthetic.build(path)
    else:
        with sqlite3.connect(source) as src, sqlite3.connect(path) as dst:
            src.backup(dst)  # a consistent copy even if the source is open elsewhere
    return time.perf_counter() - start


def _segments(rng: random.Random, corpus: synthetic.Corpus, count: int) -> list[Passage]:
    """`count` segments of 6–18 Zipf words, 15 s apart, rotating speakers by turn."""
    lengths = [rng.randint(6, 18) for _ in range(count)]
    words = rng.choices(corpus.words, cum_weights=corpus.cumulative, k=sum(lengths))
    passages, offset, speaker = [], 0, 0
    for index, length in enumerate(lengths):
        text = " ".join(words[offset : offset + length]).capitalize() + "."
        offset += length
        if rng.random() < 0.3:
            speaker = (speaker + 1) % len(SPEAKERS)
        start = index * 15.0
        passages.append(Passage(text, start, start + 12.0, SPEAKERS[speaker]))
    return passages


async def _write_transcripts(path: Path, segments: int, seed: int) -> tuple[float, float, list]:
    """Generate and store the transcripts; (generate seconds, store seconds, samples)."""
    corpus = synthetic.corpus()
    rng = random.Random(seed)
    generate = store_time = 0.0
    samples: list[str] = []  # a few segment texts, for phrase queries that exist
    async with await Store.open(path) as store:
        episode_ids = [row[0] for row in await store.fetchall("SELECT id FROM episodes")]
        per_episode = max(1, segments // len(episode_ids))
        for index, episode_id in enumerate(episode_ids):
            started = time.perf_counter()
            passages = _segments(rng, corpus, per_episode)
            if index % 50 == 0:
                samples += [p.text for p in rng.sample(passages, 3)]
            generated = time.perf_counter()
            await store.save_transcript(
                episode_id,
                f"https://example.com/transcripts/{episode_id}.vtt",
                format="vtt",
                passages=passages,
                segment_count=len(passages),
                etag=None,
                last_modified=None,
                content_hash="synthetic",
                parser_version="bench",
            )
            generate += generated - started
            store_time += time.perf_counter() - generated
            if index % 1000 == 999:
                print(f"  {index + 1} episodes stored ({store_time:.0f} s)", file=sys.stderr)
    return generate, store_time, samples


def _size_report(path: Path) -> tuple[int, dict[str, int]]:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        rows = db.execute(
            "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
        ).fetchall()
    groups: dict[str, int] = defaultdict(int)
    for name, size in rows:
        if name.startswith("transcript_episodes_fts"):
            groups["episode-level index (contentless)"] += size
        elif name.startswith("transcript_fts"):
            groups["passage index"] += size
        elif name.startswith("transcript_passages"):
            groups["passages (text, times, speakers) + index"] += size
        elif name == "transcripts":
            groups["transcripts (bookkeeping)"] += size
        else:
            groups["the rest of the catalogue"] += size
    return os.path.getsize(path), dict(groups)


# --------------------------------------------------------------------------- queries


@dataclass(frozen=True, slots=True)
class Query:
    kind: str
    topic: str


def query_mix(count: int, samples: list[str], seed: int = SEED) -> list[Query]:
    """Topics of 1–3 words as members type them: common, middling and rare words, pairs,
    phrases heard in the episodes, and a stopword or two around them."""
    corpus = synthetic.corpus()
    rng = random.Random(seed + 100)
    content = [w for w in corpus.words if w not in STOPWORDS]
    common, middling, rare = content[:150], content[150:2000], content[2000:]
    phrase_words = [
        [w for w in sample.rstrip(".").lower().split() if w not in STOPWORDS] for sample in samples
    ]
    phrase_words = [words for words in phrase_words if len(words) >= 3]

    def phrase(length: int) -> str:
        words = rng.choice(phrase_words)
        at = rng.randrange(0, len(words) - length + 1)
        return " ".join(words[at : at + length])

    makers = [
        ("1 word, common", 0.20, lambda: rng.choice(common)),
        ("1 word, middling", 0.12, lambda: rng.choice(middling)),
        ("1 word, rare", 0.12, lambda: rng.choice(rare)),
        ("2 words, common", 0.14, lambda: f"{rng.choice(common)} {rng.choice(common)}"),
        ("2 words, common + rare", 0.10, lambda: f"{rng.choice(common)} {rng.choice(rare)}"),
        ("2 words, heard together", 0.12, lambda: phrase(2)),
        ("3 words, heard together", 0.10, lambda: phrase(3)),
        ("with stopwords", 0.10, lambda: f"the {rng.choice(common)} of {rng.choice(middling)}"),
    ]
    queries = []
    for kind, share, make in makers:
        queries += [Query(kind, make()) for _ in range(max(1, round(count * share)))]
    rng.shuffle(queries)
    return queries


async def run_queries(path: Path, queries: list[Query]) -> dict[str, dict[str, list[float]]]:
    """{kind: {"moments": [ms], "when": [ms], "plain": [ms], "hits": [n]}} over the mix; a
    first pass over the whole mix warms the caches and is not counted."""
    results: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    plain_sql = (
        "SELECT rowid FROM transcript_fts WHERE transcript_fts MATCH ? ORDER BY rank LIMIT 10"
    )
    clock = time.perf_counter
    async with await Store.open(path) as store:
        catalogue = Catalogue(store)
        for counted in (False, True):
            for query in queries:
                started = clock()
                moments = await transcript_moments(store, query.topic, guild_id=None, limit=10)
                moments_ms = (clock() - started) * 1000
                started = clock()
                await catalogue.when(query.topic, guild_id=None, limit=WHEN_LIMIT)
                when_ms = (clock() - started) * 1000
                started = clock()
                await store.fetchall(plain_sql, (fts_all(topic_terms(query.topic)),))
                plain_ms = (clock() - started) * 1000
                if counted:
                    results[query.kind]["moments"].append(moments_ms)
                    results[query.kind]["when"].append(when_ms)
                    results[query.kind]["plain"].append(plain_ms)
                    results[query.kind]["hits"].append(len(moments))
        # Not in the mix (a stopword is not a topic), but what it would cost plain FTS5.
        started = clock()
        assert await transcript_moments(store, "the", guild_id=None) == []
        the = results["(not a topic: the)"]
        the["moments"].append((clock() - started) * 1000)
        started = clock()
        await store.fetchall(plain_sql, ('"the"',))
        the["plain"].append((clock() - started) * 1000)
    return results


async def _compact(path: Path) -> float:
    """Compact the indexes as the running bot does daily; seconds taken."""
    async with await Store.open(path) as store:
        started = time.perf_counter()
        await store.optimize_search_indexes()
        return time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def _cells(values: list[float]) -> str:
    """`p50 | p99` of a column, or dashes when it was not measured."""
    if not values:
        return "– | –"
    return f"{percentile(values, 0.5):.1f} ms | {percentile(values, 0.99):.1f} ms"


def print_report(results, build: dict[str, float], size: tuple[int, dict[str, int]]) -> None:
    print(describe_machine())
    print()
    print(
        f"Build: catalogue {build['catalogue']:.1f} s (bench/synthetic.py), "
        f"transcripts generated in {build['generate']:.1f} s and stored through "
        f"Store.save_transcript in {build['store']:.1f} s "
        f"({build['passages'] / build['store']:,.0f} passages/s)."
    )
    total, groups = size
    print(f"Size on disk: {total / 1e6:,.0f} MB in all:")
    for name, value in sorted(groups.items(), key=lambda item: -item[1]):
        print(f"  {name}: {value / 1e6:,.0f} MB")
    print()
    print(
        "| topics | n | moments p50 | moments p99 | /when p50 | /when p99 | plain FTS5 p50 "
        "| plain FTS5 p99 | found |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    everything: dict[str, list[float]] = defaultdict(list)
    for kind in sorted(results):
        row = results[kind]
        moments = row["moments"]
        if not kind.startswith("("):
            for column in ("moments", "when", "plain"):
                everything[column] += row.get(column, [])
        hits = row.get("hits", [])
        found = f"{sum(1 for h in hits if h) / len(hits):.0%}" if hits else "–"
        print(
            f"| {kind} | {len(moments)} | {_cells(moments)} | {_cells(row.get('when', []))} | "
            f"{_cells(row.get('plain', []))} | {found} |"
        )
    moments = everything["moments"]
    p99 = percentile(moments, 0.99)
    print(
        f"| **all** | {len(moments)} | **{percentile(moments, 0.5):.1f} ms** | "
        f"**{p99:.1f} ms** | {_cells(everything['when'])} | {_cells(everything['plain'])} | |"
    )
    print()
    when_p99 = percentile(everything["when"], 0.99)
    verdict = "met" if when_p99 <= TARGET_P99_MS else "MISSED"
    print(f"Target: /when p99 <= {TARGET_P99_MS:.0f} ms: {when_p99:.1f} ms, {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--segments", type=int, default=SEGMENTS)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--db", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--rebuild", action="store_true", help="rebuild even if the db exists")
    parser.add_argument(
        "--catalogue", type=Path, help="copy this bench/synthetic.py catalogue instead of building"
    )
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    # What the build took and a few of its segments, kept beside the store so that the
    # queries can be re-run without rebuilding.
    record = Path(f"{args.db}.build.json")
    built = json.loads(record.read_text(encoding="utf-8")) if record.exists() else {}
    if args.rebuild or not args.db.exists() or built.get("segments") != args.segments:
        record.unlink(missing_ok=True)
        catalogue = _catalogue(args.db, args.catalogue)
        generate, store_time, samples = asyncio.run(
            _write_transcripts(args.db, args.segments, SEED)
        )
        built = {
            "segments": args.segments,
            "build": {"catalogue": catalogue, "generate": generate, "store": store_time,
                      "passages": args.segments},
            "samples": samples,
        }  # fmt: skip
        record.write_text(json.dumps(built), encoding="utf-8")
    build, samples = built["build"], built["samples"]
    compacted = asyncio.run(_compact(args.db))
    print(f"Compacting the full-text indexes took {compacted:.1f} s.", file=sys.stderr)
    size = _size_report(args.db)
    queries = query_mix(args.queries, samples)
    results = asyncio.run(run_queries(args.db, queries))
    print_report(results, build, size)


if __name__ == "__main__":
    main()
