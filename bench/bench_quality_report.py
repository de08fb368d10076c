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
                  show, with the reasons most often given for those and within a show;
                  reasons a fan would not recognise (a bare first name, a stopword or
                  filler, a segment name the feed repeats), counted by judges of this
                  script's own (`weak_reason`), not by the rules the scoring applies
  subjects        episodes whose title or chapter titles share a two-word phrase with at
                  most four others of their show ("Apache Kafka"): how many of those
                  others their /related lists
  title flags     trailers / teasers / bonus episodes flagged from the title (no episodeType)

    .venv/bin/python bench/bench_quality_report.py [--feeds N] [--store PATH [--rescore]]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import re
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
from bot.related.scoring import refresh_feed
from bot.search.catalogue import Catalogue
from bot.search.fts_query import STOPWORDS, fold
from bot.search.lookup_cache import lookup_cache
from bot.store import Store
from bot.ui.render import card_summary, episode_kind

FEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "feeds"
RELATED_SLOTS = 5
SUBJECT_MAX = 5  # a title phrase on at most this many episodes of a show is a subject

# The report's own judges of a reason a fan would not recognise, independent of the
# scoring's rules: common first names (besides the first names of every person in the
# store), and words that say nothing on their own.
COMMON_FIRST_NAMES = frozenset(
    """
    adam alex alice amy andrew anna ben bill bob brad brian chris claire dan daniel dave
    david drew emily emma eric frank george greg jack james jane jason jeff jen jennifer
    jim joe john jon josh julia kate kevin laura lisa mark matt matthew michael mike nick
    paul peter rachel ray rob robert ryan sam sarah scott steve tom tony vinny will
    """.split()  # noqa: SIM905
)
FILLERS = frozenset(
    """
    able add bad big bit better call come could end feel give good great hard help keep
    kind left let lot might need new next nice old part plus put real send set show skip
    start still stuff sure take thing think time today try turn use want way week well
    what whole work year episode episodes edition special teaser trailer bonus part
    """.split()  # noqa: SIM905
)
_CONTRACTION = re.compile(r"['’](?:ll|re|ve|d|m|s|t)$|n['’]t$", re.I)
_SEGMENT_TEXT = re.compile(r"[^\w\s-]+|\d+")


def segment_key(text: str) -> str:
    return " ".join(_SEGMENT_TEXT.sub(" ", fold(text)).split())


def weak_reason(reason: str, first_names: frozenset[str], segments: frozenset[str]) -> str:
    """Why a shown reason says nothing to a fan ("first name", "filler", "segment"), or ""."""
    key = fold(reason)
    if key in segments or segment_key(reason) in segments:
        return "segment"
    if " " in key:
        return ""
    if key in first_names:
        return "first name"
    if key in STOPWORDS or key in FILLERS or _CONTRACTION.search(key):
        return "filler"
    return ""


def feed_files(limit: int | None) -> list[Path]:
    files = sorted(p for p in FEEDS.iterdir() if p.suffix.lower() in (".xml", ".rss", ".atom"))
    return files[:limit] if limit else files


def has_boilerplate(summary: str, keys: frozenset[str]) -> bool:
    return any(boilerplate.is_boilerplate(unit, keys) for unit in boilerplate.units(summary))


def short_name(title: str | None, path: str) -> str:
    name = (title or Path(path).stem.split("__")[-1]).strip()
    name = name.replace("|", "/")  # a cell of a Markdown table
    return name if len(name) <= 28 else name[:27] + "…"


async def report(limit: int | None, kept: Path | None, rescore: bool) -> None:
    files = feed_files(limit)
    with tempfile.TemporaryDirectory() as folder:
        db = kept or Path(folder) / "quality.db"
        started = time.perf_counter()
        async with await Store.open(db) as store, Fetcher() as fetcher:
            if kept is None or not await store.fetchall("SELECT 1 FROM feeds LIMIT 1"):
                importer = Importer(store, fetcher, remote_files=False)
                for path in files:
                    await importer.import_source(str(path))
            elif rescore:  # the related lists again, by the scoring as it is now
                for (feed_id,) in await store.fetchall("SELECT id FROM feeds ORDER BY id"):
                    await refresh_feed(store, feed_id)
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
        first_names = COMMON_FIRST_NAMES | {
            fold(name.split()[0])
            for (name,) in raw.execute("SELECT name FROM persons")
            if len(name.split()) > 1
        }
        segments = feed_segments(raw)
        subjects = feed_subjects(raw)
        raw.close()

        rows = []
        totals: Counter[str] = Counter()
        cross_reasons: Counter[str] = Counter()
        all_reasons: Counter[str] = Counter()
        people_reasons: Counter[str] = Counter()
        same_reasons: Counter[str] = Counter()
        weak: Counter[str] = Counter()
        weak_examples: dict[str, Counter[str]] = {}
        shown_reasons = 0
        subject_pairs = subject_listed = 0
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
                feed_segments_ = segments.get(feed_id, frozenset())
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
                    listed = {item.episode.id for item in related}
                    # as many as the list can hold: 5 slots for 9 such others is no miss
                    others = subjects.get(episode_id, set())
                    subject_pairs += min(len(others), RELATED_SLOTS)
                    subject_listed += min(len(others & listed), RELATED_SLOTS)
                    for item in related:
                        all_reasons.update(item.shared_terms[:3])
                        if item.episode.feed_id == feed_id:
                            same_reasons.update(item.shared_terms[:3])
                        for reason in item.shared_terms[:3]:
                            shown_reasons += 1
                            if why := weak_reason(reason, first_names, feed_segments_):
                                weak[why] += 1
                                weak_examples.setdefault(why, Counter())[reason] += 1
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
    common = ", ".join(f"{reason} ({n})" for reason, n in same_reasons.most_common(30))
    print(f"Most common shared topics within a show: {common}")
    print(
        f"Reasons shown (3 a slot at most): {shown_reasons}; a fan would not recognise"
        f" {sum(weak.values())}: "
        + "; ".join(
            f"{why} {n} ("
            + ", ".join(f"{r} {c}" for r, c in weak_examples[why].most_common(8))
            + ")"
            for why, n in weak.most_common()
        )
    )
    print(
        f"Episodes sharing a title or chapter-title phrase with at most {SUBJECT_MAX - 1}"
        f" others of their show: {subject_listed} of {subject_pairs} such others listed"
        f" by /related ({100 * subject_listed / max(1, subject_pairs):.0f}%; at most"
        f" {RELATED_SLOTS} an episode)."
    )
    print()
    print(learning_time())


def feed_segments(raw: sqlite3.Connection) -> dict[int, frozenset[str]]:
    """Per feed, the chapter titles on a tenth of its episodes with chapters and the title
    prefixes ("Mailbag: …") on 30% of its episodes (3 at least): segment names, not
    topics. (A series of a few episodes, "Clean Architecture – …", is a subject.)"""
    seen: dict[tuple[int, str], set[int]] = {}
    with_chapters: dict[int, set[int]] = {}
    rows = raw.execute(
        "SELECT e.feed_id, e.id, c.title FROM chapters c JOIN episodes e ON e.id = c.episode_id"
    )
    for feed_id, episode_id, text in rows:
        with_chapters.setdefault(feed_id, set()).add(episode_id)
        if key := segment_key(text):
            seen.setdefault((feed_id, key), set()).add(episode_id)
    sizes = dict(raw.execute("SELECT feed_id, count(*) FROM episodes GROUP BY feed_id"))
    for feed_id, episode_id, text in raw.execute("SELECT feed_id, id, title FROM episodes"):
        head, separator, *_ = [*re.split(r"(\s*[:|–—]\s*|\s+-\s+)", text, maxsplit=1), ""]
        if separator and (key := segment_key(head)):
            seen.setdefault((feed_id, "prefix " + key), set()).add(episode_id)
    found: dict[int, set[str]] = {}
    for (feed_id, key), episodes in seen.items():
        prefix = key.startswith("prefix ")
        base = sizes.get(feed_id, 0) if prefix else len(with_chapters.get(feed_id, ()))
        if len(episodes) >= max(3, base * (0.3 if prefix else 0.1)):
            found.setdefault(feed_id, set()).add(key.removeprefix("prefix "))
    return {feed_id: frozenset(keys) for feed_id, keys in found.items()}


_TITLE_RUN = re.compile(r"[^\w \t'’-]+")
_TITLE_WORD = re.compile(r"[^\W\d_][^\W_]*(?:['’-][^\W_]+)*")
# Function words of the feeds' other languages, as written ("für andere" is no subject).
FUNCTION_WORDS = frozenset(
    """
    für über wer wen wem vom beim zum zur andere anderen eigene kleine große sollte kann
    mehr unser unsere dich dir mich uns ihr ihre seine diese dieser jeder alle etwas
    dann weil warum ohne gegen durch wird werden hat haben sind aber wenn dass nur
    man geht gibt deine dein meine mein welche eines einer einem
    avec sans sont mais comme cette pero como más muy sobre también och eller inte
    """.split()  # noqa: SIM905
)


def title_phrases(text: str) -> set[str]:
    """Two adjacent words of a title, neither a stopword, a filler or shorter than 3
    letters, never across punctuation: the report's own reading of a subject."""
    found = set()
    for run in _TITLE_RUN.split(text):
        words = [w.lower() for w in _TITLE_WORD.findall(run)]
        for a, b in itertools.pairwise(words):
            if all(
                len(w) >= 3 and w not in STOPWORDS and w not in FILLERS and w not in FUNCTION_WORDS
                for w in (a, b)
            ):
                found.add(fold(f"{a} {b}"))
    return found


def feed_subjects(raw: sqlite3.Connection) -> dict[int, set[int]]:
    """Per episode, the others of its show that share a two-word phrase of its title or
    chapter titles which at most `SUBJECT_MAX` episodes of the show have."""
    texts: dict[int, list[str]] = {}
    for episode_id, title in raw.execute("SELECT episode_id, title FROM chapters"):
        texts.setdefault(episode_id, []).append(title)
    having: dict[tuple[int, str], set[int]] = {}
    for episode_id, feed_id, title in raw.execute("SELECT id, feed_id, title FROM episodes"):
        for text in (title, *texts.get(episode_id, ())):
            for phrase in title_phrases(text):
                having.setdefault((feed_id, phrase), set()).add(episode_id)
    found: dict[int, set[int]] = {}
    for episodes in having.values():
        if 2 <= len(episodes) <= SUBJECT_MAX:
            for episode_id in episodes:
                found.setdefault(episode_id, set()).update(episodes - {episode_id})
    return found


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
    parser.add_argument(
        "--store", type=Path, default=None, help="keep the store here; reuse it when it exists"
    )
    parser.add_argument(
        "--rescore", action="store_true", help="with --store: compute every related list again"
    )
    args = parser.parse_args()
    asyncio.run(report(args.feeds, args.store, args.rescore))


if __name__ == "__main__":
    main()
