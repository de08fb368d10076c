"""Ads out of the search indexes (migration 0010, issues 12 and 13): the notes are searched
without their feed's boilerplate, ad chapters are not searched, and /when leaves out the
transcript passages of an ad chapter or a sponsor read. The notes stay as the feed wrote
them; a store written before the migration keeps searching until its next import."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.ingest.fetch import Fetcher
from bot.ingest.importer import Importer
from bot.search.catalogue import Catalogue
from bot.store import Store, load_migrations
from bot.transcripts.transcript_sync import TranscriptSync

# A made-up show of the relevance benchmark: a sponsor line in every episode's notes, a
# sponsor read in episode 2's transcript (no chapter) and an ad chapter in episode 3's.
SLOW_TOKENS = Path(__file__).resolve().parents[3] / "bench" / "relevance" / "slow-tokens.xml"


@pytest.fixture(scope="module")
def slow_tokens_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ads") / "slow.db"

    async def build() -> None:
        async with await Store.open(path) as store, Fetcher() as fetcher:
            summary = await Importer(store, fetcher, remote_files=False).import_source(
                str(SLOW_TOKENS)
            )
            assert summary.ok and summary.feed_id is not None
            await TranscriptSync(store, fetcher, remote_files=False).sync_feed(summary.feed_id)

    asyncio.run(build())
    return path


@pytest.fixture
async def catalogue(slow_tokens_file):
    async with await Store.open(slow_tokens_file) as store:
        yield Catalogue(store)


@pytest.mark.parametrize("topic", ["mattress", "Drowsy mattress discount", "cooling layer"])
async def test_a_sponsor_answers_no_search(catalogue, topic):
    assert await catalogue.when(topic, guild_id=None) == []
    assert await catalogue.search(topic, guild_id=None) == []


async def test_the_notes_and_the_ad_chapter_are_kept_as_the_feed_wrote_them(catalogue):
    store = catalogue._store
    notes = [row[0] for row in await store.fetchall("SELECT notes_text FROM episodes")]
    assert len(notes) == 3 and all("supported by Drowsy" in text for text in notes)
    kinds = await store.fetchall("SELECT kind FROM chapters WHERE title LIKE 'Sponsor:%'")
    assert [row[0] for row in kinds] == ["ad"]


async def test_sleep_finds_the_talk_about_sleep_never_the_mattress_read(catalogue):
    moments = await catalogue.when("sleep", guild_id=None)
    assert moments
    # Episode 2's read (13:00-14:10) and episode 3's ad chapter (12:00-14:00).
    ads = {2: (780, 860), 3: (720, 840)}
    for moment in moments:
        span = ads.get(moment.episode.number or 0)
        assert span is None or not (span[0] <= (moment.start or 0) < span[1]), moment


async def test_a_topic_discussed_over_several_passages_beats_a_passing_mention(catalogue):
    # Episode 3 names memory, consolidation and sleep together once in passing (5:00) and
    # discusses them over five passages from 24:10, none of which holds all three.
    moments = await catalogue.when("memory consolidation during sleep", guild_id=None)
    assert moments[0].episode.number == 3
    assert 1440 <= (moments[0].start or 0) <= 1570


async def test_a_store_from_before_the_migration_searches_its_notes_until_reimported(tmp_path):
    path = tmp_path / "old.db"
    raw = sqlite3.connect(path)
    for version, _, sql in load_migrations()[:9]:
        raw.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
    raw.execute(
        "INSERT INTO feeds (id, url, title, created_at, content_hash) VALUES (1, 'f', 'F', 0, 'h')"
    )
    raw.execute(
        """INSERT INTO episodes (id, feed_id, key, title, notes_text, content_hash,
               first_seen_at, updated_at) VALUES (1, 1, 'k', 'Owls', ?, 'h', 0, 0)""",
        ("Owls hunt at night. Sponsored by Driftwood beds.",),
    )
    raw.executemany(
        "INSERT INTO chapters (episode_id, position, start, title, source, kind) "
        "VALUES (1, ?, ?, ?, 'psc', ?)",
        [(0, 0, "Hunting at night", "chapter"), (1, 60, "Sponsor: Driftwood", "ad")],
    )
    raw.commit()
    raw.close()
    async with await Store.open(path) as store:
        assert await store.schema_version() == len(load_migrations())

        async def matches(table: str, word: str) -> int:
            rows = await store.fetchall(f"SELECT rowid FROM {table} WHERE {table} MATCH ?", (word,))
            return len(rows)

        # Until the next import, the notes are searched as they are…
        assert await matches("episodes_fts", "owls") == 1
        assert await matches("episodes_fts", "driftwood") == 1
        # …which the next import (the migration forgot every feed's content hash) changes.
        assert (await store.fetchone("SELECT content_hash FROM feeds"))[0] is None
        await store.save_search_notes(1, {"k": "Owls hunt at night."})
        assert await matches("episodes_fts", "driftwood") == 0
        assert await matches("episodes_fts", "hunt") == 1
        # The ad chapter left the index at once; the other stays.
        assert await matches("chapters_fts", "driftwood") == 0
        assert await matches("chapters_fts", "hunting") == 1
        notes = await store.fetchone("SELECT notes_text FROM episodes")
        assert "Driftwood" in notes[0]


async def test_search_notes_are_written_only_where_they_change(slow_tokens_file, tmp_path):
    copy = tmp_path / "copy.db"
    copy.write_bytes(slow_tokens_file.read_bytes())
    async with await Store.open(copy) as store:
        rows = await store.fetchall("SELECT key, search_notes FROM episodes ORDER BY key")
        stored = {row["key"]: row["search_notes"] for row in rows}
        assert await store.save_search_notes(1, stored) == 0  # as stored: nothing to write
        first = rows[0]["key"]
        changed = {**stored, first: "Drowsy nights.", "no-such-key": "x"}
        assert await store.save_search_notes(1, changed) == 1
        assert await store.save_search_notes(2, changed) == 0  # another feed's keys
        hits = await store.fetchall(
            "SELECT rowid FROM episodes_fts WHERE episodes_fts MATCH 'drowsy'"
        )
        assert len(hits) == 1
