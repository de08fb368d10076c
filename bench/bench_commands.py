"""Member-command benchmark: the service path of each command beside the raw FTS5 floor.

On the synthetic catalogue of `bench/synthetic.py` (10,000 episodes, 150,000 chapters;
built once and cached under bench/out/), each command's service path — the `Catalogue`
method the cog calls, through the real store and its aiosqlite reader — is timed over
1,000 calls with a realistic mix of input (1–3 word topics of common and rare words,
phrases from chapter titles, numbers, typos, prefixes as typed). Beside each call, in the
same run and through the same connection, the floor: the raw SQLite query a naive
implementation would run for the same text:

  autocomplete  `episodes_fts MATCH '{title}: "word"*' LIMIT 25` (a number: by number)
  /when         `chapters_fts` and `episodes_fts` MATCH the quoted words, ORDER BY rank
                LIMIT 25 (the two ranked queries its main sources need)
  /search       `episodes_fts MATCH` the quoted words ORDER BY rank LIMIT 25
(25: `WHEN_LIMIT` and `SEARCH_LIMIT`, what cogs/search.py asks for, five pages of five.)
  /related      the stored rows of one episode
  /episode      by number, or the best title match; then the episode row

Then the incremental related refresh when one new episode arrives. Targets (issue 3):
autocomplete p99 ≤ 10 ms; every command p99 ≤ 25 ms and within 2× of its floor.

    .venv/bin/python bench/bench_commands.py [--calls N] [--rebuild]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import synthetic
from bench.machine import describe_machine
from bot.models.parsed_feed import ParsedFeed
from bot.related.scoring import RelatedRefresh
from bot.search.catalogue import Catalogue
from bot.search.lookup_cache import lookup_cache
from bot.store import EpisodeWrite, Store
from cogs.search import SEARCH_LIMIT, WHEN_LIMIT  # what the commands ask for

SEED = 7


def quoted(text: str) -> str | None:
    words = re.findall(r"[^\W_]+", text.lower())
    return " ".join(f'"{w}"' for w in words) or None


class Mix:
    """Realistic member input drawn from the synthetic corpus (seeded)."""

    def __init__(
        self,
        corpus: synthetic.Corpus,
        chapter_titles: list[str],
        titles: list[str],
        guests: list[str] | None = None,
    ):
        self.rng = random.Random(SEED)
        self.corpus = corpus
        self.guests = guests or corpus.guests  # people who are on some episode
        content = [w for w in corpus.words if w not in synthetic.FUNCTION_WORDS]
        self.common = content[:300]
        self.middle = content[300:3000]
        self.rare = content[3000:]
        self.chapter_titles = chapter_titles
        self.titles = titles

    def word(self) -> str:
        pool = self.rng.choices([self.common, self.middle, self.rare], weights=[4, 3, 3])[0]
        return self.rng.choice(pool)

    def topic(self) -> str:
        """1–3 words: single words common and rare, phrases from real chapter titles."""
        kind = self.rng.random()
        if kind < 0.35:
            return self.word()
        if kind < 0.65:
            words = self.rng.choice(self.chapter_titles).split()
            size = min(len(words), self.rng.choice((2, 2, 3)))
            start = self.rng.randrange(0, len(words) - size + 1)
            return " ".join(words[start : start + size])
        if kind < 0.9:
            return " ".join(self.word() for _ in range(self.rng.choice((2, 3))))
        return "the " + self.word()  # with a stopword

    def typo(self, word: str) -> str:
        if len(word) < 4:
            return word
        i = self.rng.randrange(1, len(word) - 1)
        return word[:i] + self.rng.choice("aeioutnrs") + word[i + 1 :]

    def episode_text(self) -> str:
        """What a member types into an episode option."""
        kind = self.rng.random()
        number = self.rng.randint(1, synthetic.EPISODES)
        if kind < 0.3:
            return self.rng.choice((f"{number}", f"#{number}", f"ep {number}"))
        title = self.rng.choice(self.titles).split(": ", 1)[-1].split()
        if kind < 0.6:
            return " ".join(title[-3:])  # a title fragment
        if kind < 0.8:
            return " ".join(self.typo(w) for w in title[-2:])  # with typos
        return self.rng.choice(self.guests)  # a guest's name

    def typing(self) -> str:
        """What autocomplete receives: partial words, numbers, typos, names, nothing."""
        kind = self.rng.random()
        if kind < 0.05:
            return ""
        if kind < 0.25:
            return str(self.rng.randint(1, synthetic.EPISODES))[: self.rng.randint(1, 4)]
        if kind < 0.55:
            word = self.rng.choice(self.titles).split()[-1]
            return word[: self.rng.randint(2, max(2, len(word)))]
        if kind < 0.75:
            words = self.rng.choice(self.titles).split()[-2:]
            return f"{words[0]} {words[1][: self.rng.randint(1, len(words[1]))]}"
        if kind < 0.9:
            return self.typo(self.rng.choice(self.titles).split()[-1])
        name = self.rng.choice(self.guests)
        return name[: self.rng.randint(3, len(name))]


async def timed(fn: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await fn()
    return (time.perf_counter() - start) * 1000


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run_command(
    name: str,
    inputs: list[object],
    service: Callable[[object], Awaitable[object]],
    floor: Callable[[object], Awaitable[object]],
) -> dict[str, float | str]:
    service_ms, floor_ms = [], []
    for value in inputs:
        # Alternate which goes first, so neither always runs on a warmer cache.
        if len(service_ms) % 2:
            floor_ms.append(await timed(lambda v=value: floor(v)))
            service_ms.append(await timed(lambda v=value: service(v)))
        else:
            service_ms.append(await timed(lambda v=value: service(v)))
            floor_ms.append(await timed(lambda v=value: floor(v)))
    return {
        "command": name,
        "calls": len(inputs),
        "p50": statistics.median(service_ms),
        "p99": percentile(service_ms, 0.99),
        "floor p50": statistics.median(floor_ms),
        "floor p99": percentile(floor_ms, 0.99),
    }


async def benchmark(path: Path, calls: int) -> tuple[list[dict], dict[str, float]]:
    async with await Store.open(path) as store:
        catalogue = Catalogue(store)
        rows = await store.fetchall("SELECT title FROM chapters ORDER BY random() LIMIT 2000")
        chapter_titles = [r[0] for r in rows if len(r[0].split()) >= 2]
        titles = [r[0] for r in await store.fetchall("SELECT title FROM episodes")]
        guests = [
            r[0]
            for r in await store.fetchall(
                "SELECT DISTINCT p.name FROM persons p JOIN episode_persons ep "
                "ON ep.person_id = p.id WHERE ep.role = 'guest' ORDER BY p.id"
            )
        ]
        mix = Mix(synthetic.corpus(), chapter_titles, titles, guests)
        extra: dict[str, float] = {}
        extra["lookup index build (once per catalogue change)"] = await timed(
            lookup_cache(store).index
        )

        async def fetch(sql: str, params: tuple) -> None:
            await store.fetchall(sql, params)

        async def complete_floor(text: object) -> None:
            text = str(text)
            if text.isdigit():
                await fetch("SELECT id FROM episodes WHERE number = ?", (int(text),))
                return
            words = re.findall(r"[^\W_]+", text.lower())
            if not words:
                await fetch("SELECT id FROM episodes ORDER BY published_at DESC LIMIT 25", ())
                return
            expression = "{title}: " + " ".join(f'"{w}"' for w in words) + "*"
            await fetch(
                "SELECT rowid FROM episodes_fts WHERE episodes_fts MATCH ? LIMIT 25",
                (expression,),
            )

        async def ranked_floor(table: str, text: str, limit: int = 25) -> None:
            expression = quoted(text)
            if expression:
                await fetch(
                    f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rank LIMIT ?",
                    (expression, limit),
                )

        async def when_floor(text: object) -> None:
            await ranked_floor("chapters_fts", str(text), WHEN_LIMIT)
            await ranked_floor("episodes_fts", str(text), WHEN_LIMIT)

        async def episode_service(text: object) -> None:
            resolution = await catalogue.resolve_episode(str(text), guild_id=None)
            if resolution.episode:
                await catalogue.episode_detail(resolution.episode.id, guild_id=None)

        async def episode_floor(text: object) -> None:
            text = str(text)
            digits = re.fullmatch(r"(?:#|ep )?(\d+)", text)
            if digits:
                rows = await store.fetchall(
                    "SELECT id FROM episodes WHERE number = ?", (int(digits.group(1)),)
                )
            else:
                expression = quoted(text)
                rows = (
                    await store.fetchall(
                        "SELECT rowid FROM episodes_fts WHERE episodes_fts MATCH ? "
                        "ORDER BY rank LIMIT 1",
                        ("{title}: " + expression,),
                    )
                    if expression
                    else []
                )
            if rows:
                await fetch("SELECT * FROM episodes WHERE id = ?", (rows[0][0],))

        episode_ids = [r[0] for r in await store.fetchall("SELECT id FROM episodes")]
        results = [
            await run_command(
                "autocomplete (episode)",
                [mix.typing() for _ in range(calls)],
                lambda t: catalogue.complete_episode(str(t), guild_id=None),
                complete_floor,
            ),
            await run_command(
                "/when",
                [mix.topic() for _ in range(calls)],
                lambda t: catalogue.when(str(t), guild_id=None, limit=WHEN_LIMIT),
                when_floor,
            ),
            await run_command(
                "/search",
                [mix.topic() for _ in range(calls)],
                lambda t: catalogue.search(str(t), guild_id=None, limit=SEARCH_LIMIT),
                lambda t: ranked_floor("episodes_fts", str(t), SEARCH_LIMIT),
            ),
            await run_command(
                "/related",
                [mix.rng.choice(episode_ids) for _ in range(calls)],
                lambda e: catalogue.related(int(e), guild_id=None),
                lambda e: fetch(
                    "SELECT related_id FROM related_episodes WHERE episode_id = ? "
                    "ORDER BY score DESC LIMIT 5",
                    (e,),
                ),
            ),
            await run_command(
                "/episode (resolve + detail)",
                [mix.episode_text() for _ in range(calls)],
                episode_service,
                episode_floor,
            ),
        ]
    extra["related refresh, 1 new episode"] = await incremental_refresh(path, mix)
    return results, extra


async def incremental_refresh(path: Path, mix: Mix) -> float:
    """Milliseconds to refresh related episodes after one new episode (on a copy)."""
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "copy.db"
        shutil.copy(path, copy)
        async with await Store.open(copy) as store:
            guest = mix.rng.choice(mix.guests)
            topic = " ".join(mix.word() for _ in range(4))
            notes = " ".join(mix.word() for _ in range(450))
            write = EpisodeWrite(
                key="bench-new",
                guid="bench-new",
                title=f"{synthetic.EPISODES + 1}: {guest} on {topic}",
                notes_html=notes,
                notes_text=notes,
                number=synthetic.EPISODES + 1,
                number_label=None,
                season=None,
                season_label=None,
                published_at=int(time.time()),
                duration=3600,
                link=None,
                audio_url="https://example.com/new.mp3",
                audio_type="audio/mpeg",
                image=None,
                episode_type="full",
                chapters_url=None,
                chapters_type=None,
                chapters_error=None,
                content_hash="new",
                chapters=[],
                persons=[],
                transcripts=[],
                soundbites=[],
            )
            start = time.perf_counter()
            refresh = await RelatedRefresh.prepare(store, 1, new_count=1, updated_ids=[])
            prepare_ms = (time.perf_counter() - start) * 1000
            assert not refresh.full
            ids = await store.save_feed_import(
                1,
                ParsedFeed(title="The Synthetic Hour"),
                content_hash="x",
                etag=None,
                last_modified=None,
                new=[write],
                updated=[],
            )
            start = time.perf_counter()
            await refresh.run(ids)
            return prepare_ms + (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rebuild", action="store_true", help="regenerate the catalogue")
    args = parser.parse_args()
    path = synthetic.DEFAULT_PATH
    timings_path = path.with_suffix(".json")
    if args.rebuild or not path.exists() or not timings_path.exists():
        print(f"building the synthetic catalogue at {path} (once; cached) ...", flush=True)
        timings_path.write_text(json.dumps(synthetic.build(path)), encoding="utf-8")
    build = json.loads(timings_path.read_text(encoding="utf-8"))

    results, extra = asyncio.run(benchmark(path, args.calls))
    print(describe_machine())
    print()
    print(
        f"Synthetic catalogue: {synthetic.EPISODES:,} episodes, "
        f"{synthetic.EPISODES * synthetic.CHAPTERS_PER_EPISODE:,} chapters, ~3 KB notes each; "
        f"{args.calls:,} calls per command, times in ms."
    )
    print()
    print("| command | p50 | p99 | floor p50 | floor p99 | p50 / floor | p99 / floor |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['command']} | {r['p50']:.2f} | {r['p99']:.2f} | {r['floor p50']:.2f} "
            f"| {r['floor p99']:.2f} | {r['p50'] / max(r['floor p50'], 1e-9):.1f}× "
            f"| {r['p99'] / max(r['floor p99'], 1e-9):.1f}× |"
        )
    print()
    print("| once | time |")
    print("|---|---:|")
    for name, ms in extra.items():
        print(f"| {name} | {ms:.0f} ms |")
    for name, seconds in build.items():
        print(f"| synthetic build: {name} | {seconds:.1f} s |")


if __name__ == "__main__":
    main()
