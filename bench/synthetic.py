"""A deterministic synthetic catalogue for the command benchmarks.

10,000 episodes of one show, 150,000 chapters, ~3 KB of notes each, guests, with word
frequencies that follow Zipf's law over a vocabulary of real-looking words (a few very
common — the English function words first — most rare), written through the real
migrations and schema. Rows go in with plain sqlite3 `executemany` in one transaction
(the FTS5 indexes are kept by the schema's own triggers); the derived data the importer
would store — timed passages of the notes and the related episodes — is computed with
the project's own code.

    .venv/bin/python bench/synthetic.py [PATH]     (default: bench/out/synthetic-v1.db)
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import sys
import time
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.ingest.passages import timed_passages
from bot.related.scoring import refresh_feed
from bot.store import Store
from bot.store.episode_writes import person_key

VERSION = 1
SEED = 20240101
EPISODES = 10_000
CHAPTERS_PER_EPISODE = 15
NOTES_WORDS = 450  # ~3 KB of text
VOCABULARY = 20_000
GUESTS = 2_500
OUT = Path(__file__).resolve().parent / "out"
DEFAULT_PATH = OUT / f"synthetic-v{VERSION}.db"

FUNCTION_WORDS = """
    the of and to a in is that it for on with as was we this you be are at have by not
    but what from or they can so about an all one if there more like their when which
    how do just them some then out up model data training learning network
""".split()  # noqa: SIM905
_ONSETS = """
    b c d f g h j k l m n p r s t v w z br cr dr fl gr pl pr sk st tr sh ch th
""".split()  # noqa: SIM905
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ie", "ou", "io"]
_CODAS = [""] * 6 + ["n", "r", "s", "t", "l", "m", "nd", "rt", "st", "ng", "ck"]


@dataclass(frozen=True, slots=True)
class Corpus:
    """The generator's vocabulary and Zipf weights, shared with the benchmark's queries."""

    words: list[str]
    cumulative: list[float]
    guests: list[str]


def make_word(rng: random.Random) -> str:
    syllables = rng.choice((1, 2, 2, 2, 3, 3, 4))
    return "".join(
        rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(syllables)
    )


def corpus(seed: int = SEED) -> Corpus:
    rng = random.Random(seed)
    words = list(FUNCTION_WORDS)
    seen = set(words)
    while len(words) < VOCABULARY:
        word = make_word(rng)
        if word not in seen and len(word) >= 3:
            seen.add(word)
            words.append(word)
    weights = [1 / (rank**1.07) for rank in range(1, len(words) + 1)]
    guests = []
    for _ in range(GUESTS):
        guests.append(f"{make_word(rng).title()} {make_word(rng).title()}")
    return Corpus(words, list(accumulate(weights)), guests)


def build(path: Path = DEFAULT_PATH, seed: int = SEED) -> dict[str, float]:
    """Write the catalogue to `path` (replaced); returns timings in seconds."""
    timings: dict[str, float] = {}
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    asyncio.run(_migrate(path))

    start = time.perf_counter()
    rng = random.Random(seed + 1)
    words = corpus(seed)
    rows = list(_episodes(rng, words))
    timings["generate"] = time.perf_counter() - start

    start = time.perf_counter()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("BEGIN")
    db.execute(
        "INSERT INTO feeds (id, url, title, is_global, created_at, last_success_at) "
        "VALUES (1, 'https://example.com/synthetic.xml', 'The Synthetic Hour', 1, 0, 0)"
    )
    people = ["Ada Hostwell", "Bram Cohoster", *words.guests]
    db.executemany(
        "INSERT INTO persons (id, name, name_key) VALUES (?, ?, ?)",
        [(i + 1, name, person_key(name)) for i, name in enumerate(people)],
    )
    db.executemany(
        """INSERT INTO episodes (id, feed_id, key, guid, title, notes_html, notes_text, number,
               published_at, duration, audio_url, episode_type, content_hash, first_seen_at,
               updated_at)
           VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'full', 'h', 0, 0)""",
        [
            (
                r.id,
                f"ep-{r.id}",
                f"ep-{r.id}",
                r.title,
                r.notes,
                r.notes,
                r.id,
                1_400_000_000 + r.id * 86_400 * 2,
                r.duration,
                f"https://example.com/audio/{r.id}.mp3",
            )
            for r in rows
        ],
    )
    db.executemany(
        """INSERT INTO chapters (episode_id, position, start, title, source)
           VALUES (?, ?, ?, ?, 'notes')""",
        [(r.id, i, start, title) for r in rows for i, (start, title) in enumerate(r.chapters)],
    )
    db.executemany(
        "INSERT INTO episode_persons (episode_id, person_id, role) VALUES (?, ?, ?)",
        [(r.id, 1, "host") for r in rows]
        + [(r.id, 2, "host") for r in rows]
        + [(r.id, 3 + r.guest, "guest") for r in rows],
    )
    db.execute("COMMIT")
    timings["insert"] = time.perf_counter() - start

    start = time.perf_counter()
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO passages (episode_id, kind, start, text) VALUES (?, 'notes', ?, ?)",
        [(r.id, p.start, p.text) for r in rows for p in timed_passages(r.notes, [], r.duration)],
    )
    db.execute("COMMIT")
    db.close()
    timings["passages"] = time.perf_counter() - start

    start = time.perf_counter()
    asyncio.run(_related(path))
    timings["related (whole feed)"] = time.perf_counter() - start
    return timings


async def _migrate(path: Path) -> None:
    async with await Store.open(path):
        pass


async def _related(path: Path) -> None:
    async with await Store.open(path) as store:
        await refresh_feed(store, 1)


@dataclass(slots=True)
class _Episode:
    id: int
    title: str
    notes: str
    chapters: list[tuple[float, str]]
    duration: int
    guest: int


def _zipf_words(rng: random.Random, words: Corpus, count: int) -> list[str]:
    return rng.choices(words.words, cum_weights=words.cumulative, k=count)


def _content_words(rng: random.Random, words: Corpus, count: int) -> list[str]:
    """Zipf words without the function words (titles read like titles)."""
    found: list[str] = []
    while len(found) < count:
        found += [w for w in _zipf_words(rng, words, count * 2) if w not in FUNCTION_WORDS[:40]]
    return found[:count]


def _episodes(rng: random.Random, words: Corpus):
    # Some guests come back often, most once or twice (the busiest is on ~1% of episodes).
    guest_weights = list(accumulate(1 / (r**0.6) for r in range(1, GUESTS + 1)))
    for episode_id in range(1, EPISODES + 1):
        guest = rng.choices(range(GUESTS), cum_weights=guest_weights)[0]
        guest_name = words.guests[guest]
        topic = _content_words(rng, words, rng.randint(3, 6))
        title = f"{episode_id}: {guest_name} on {' '.join(topic).capitalize()}"
        duration = rng.randint(1800, 7200)
        sentences = [f"{guest_name} joins us to talk about {' '.join(topic[:2])}."]
        total = 0
        while total < NOTES_WORDS:
            sentence = _zipf_words(rng, words, rng.randint(8, 22))
            total += len(sentence)
            sentences.append(" ".join(sentence).capitalize() + ".")
        if rng.random() < 0.3:  # a timed sentence in the prose, as real notes have
            minute, second = divmod(rng.randint(60, duration - 60), 60)
            moment = " ".join(_content_words(rng, words, 4))
            sentences.insert(3, f"At {minute}:{second:02d} in, {guest_name} explains {moment}.")
        paragraphs = [" ".join(sentences[i : i + 6]) for i in range(0, len(sentences), 6)]
        starts = sorted(rng.sample(range(60, duration), CHAPTERS_PER_EPISODE - 1))
        chapters = [(0.0, "Intro")] + [
            (float(s), " ".join(_content_words(rng, words, rng.randint(2, 6))).capitalize())
            for s in starts
        ]
        yield _Episode(episode_id, title, "\n\n".join(paragraphs), chapters, duration, guest)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PATH
    timings = build(path)
    path.with_suffix(".json").write_text(json.dumps(timings), encoding="utf-8")
    print(f"synthetic catalogue written to {path}")
    for name, seconds in timings.items():
        print(f"  {name}: {seconds:.1f} s")


if __name__ == "__main__":
    main()
