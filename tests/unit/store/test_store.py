"""The store: migrations on a real SQLite file, WAL, foreign keys, FTS kept in sync."""

from __future__ import annotations

import sqlite3

import pytest

from bot.models.parsed_feed import Chapter, ParsedFeed, Person
from bot.store import EpisodeWrite, Store, StoreError, load_migrations
from bot.store import base as store_module


def episode_write(key: str, title: str, notes: str = "", **overrides) -> EpisodeWrite:
    values = dict(
        key=key,
        guid=key,
        title=title,
        notes_html=notes,
        notes_text=notes,
        number=None,
        number_label=None,
        season=None,
        season_label=None,
        published_at=None,
        duration=None,
        link=None,
        audio_url=None,
        audio_type=None,
        image=None,
        episode_type="full",
        chapters_url=None,
        chapters_type=None,
        chapters_error=None,
        content_hash=key + title,
        chapters=[],
        persons=[],
        transcripts=[],
        soundbites=[],
    )
    values.update(overrides)
    return EpisodeWrite(**values)


async def save(store: Store, url: str, new=(), updated=()) -> tuple[int, list[int]]:
    feed_id = await store.ensure_feed(url)
    ids = await store.save_feed_import(
        feed_id,
        ParsedFeed(title="Show"),
        content_hash="h",
        etag=None,
        last_modified=None,
        new=list(new),
        updated=list(updated),
    )
    return feed_id, ids


async def test_a_new_file_is_migrated_to_the_latest_version_in_wal_mode(tmp_path):
    path = tmp_path / "sub" / "store.db"
    async with await Store.open(path) as store:
        assert await store.schema_version() == len(load_migrations())
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"feeds", "episodes", "chapters", "persons", "episodes_fts", "chapters_fts"} <= tables
    raw.close()


async def test_reopening_applies_nothing_twice(tmp_path):
    path = tmp_path / "store.db"
    async with await Store.open(path) as store:
        await save(store, "feed-a", new=[episode_write("g1", "First")])
    async with await Store.open(path) as store:
        assert len(await store.feeds()) == 1


async def test_a_store_from_a_newer_version_refuses_to_open(tmp_path):
    path = tmp_path / "store.db"
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA user_version = 999")
    raw.close()
    with pytest.raises(StoreError, match="newer episode-bot"):
        await Store.open(path)


async def test_a_failing_migration_leaves_the_previous_version_intact(tmp_path, monkeypatch):
    path = tmp_path / "store.db"
    async with await Store.open(path):
        pass
    real = load_migrations()
    broken = (len(real) + 1, "9999_broken.sql", "CREATE TABLE half_done (x);\nNOT SQL AT ALL;")
    monkeypatch.setattr(store_module, "load_migrations", lambda: [*real, broken])
    with pytest.raises(StoreError, match=r"9999_broken\.sql"):
        await Store.open(path)
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == len(real)
    leftover = raw.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'")
    assert leftover.fetchone()[0] == 0
    raw.close()


async def test_a_file_that_is_not_a_store_is_a_clear_error(tmp_path):
    path = tmp_path / "feed.xml"
    path.write_text("<rss>not a database</rss>" * 100, encoding="utf-8")
    with pytest.raises(StoreError, match=r"cannot open the store at .*feed\.xml: file is not a"):
        await Store.open(path)


async def test_a_store_folder_that_cannot_be_made_is_a_clear_error(tmp_path):
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    with pytest.raises(StoreError, match=r"cannot create the folder .*a-file/sub for the store"):
        await Store.open(tmp_path / "a-file" / "sub" / "store.db")


async def test_foreign_keys_cascade_from_feed_to_chapters(store):
    chapters = [Chapter(0, "Intro", "notes"), Chapter(60, "Main", "notes")]
    feed_id, _ = await save(store, "feed", new=[episode_write("g1", "One", chapters=chapters)])
    async with store.transaction() as db:
        await db.execute("DELETE FROM feeds WHERE id = ?", (feed_id,))
    assert await store.fetchall("SELECT * FROM chapters") == []


async def test_full_text_index_follows_inserts_updates_and_deletes(store):
    _, (episode_id,) = await save(
        store, "feed", new=[episode_write("g1", "Wide nets", "about the neural tangent kernel")]
    )

    async def matches(word: str) -> list[int]:
        rows = await store.fetchall(
            "SELECT rowid FROM episodes_fts WHERE episodes_fts MATCH ?", (word,)
        )
        return [row[0] for row in rows]

    assert await matches("tangent") == [episode_id]
    changed = episode_write("g1", "Wide nets", "now about dropout", id=episode_id)
    await save(store, "feed", updated=[changed])
    assert await matches("tangent") == []
    assert await matches("dropout") == [episode_id]
    async with store.transaction() as db:
        await db.execute("DELETE FROM episodes WHERE id = ?", (episode_id,))
    assert await matches("dropout") == []


async def test_a_failed_transaction_changes_nothing(store):
    await store.ensure_feed("feed")
    with pytest.raises(RuntimeError):
        async with store.transaction() as db:
            await db.execute("UPDATE feeds SET title = 'changed'")
            raise RuntimeError("crash mid-write")
    (feed,) = await store.feeds()
    assert feed.title == ""


async def test_people_are_shared_across_episodes_by_name(store):
    guest = Person("Zoë Example", role="guest")
    await save(
        store,
        "feed",
        new=[
            episode_write("g1", "One", persons=[guest]),
            episode_write("g2", "Two", persons=[Person("zoë  example", role="guest")]),
        ],
    )
    people = await store.fetchall("SELECT name FROM persons")
    assert [row["name"] for row in people] == ["Zoë Example"]
    links = await store.fetchall("SELECT count(*) FROM episode_persons")
    assert links[0][0] == 2


async def test_compacting_the_search_indexes_keeps_them_whole(store):
    _, (episode_id,) = await save(
        store, "feed", new=[episode_write("g1", "Wide nets", "about the neural tangent kernel")]
    )
    names = await store.optimize_search_indexes()
    assert {"episodes_fts", "chapters_fts", "transcript_fts"} <= set(names)
    for name in names:
        # FTS5's own check: raises if the index no longer matches its content.
        await store.fetchall(f'INSERT INTO "{name}" ("{name}") VALUES (\'integrity-check\')')
    rows = await store.fetchall("SELECT rowid FROM episodes_fts WHERE episodes_fts MATCH 'tangent'")
    assert [row[0] for row in rows] == [episode_id]
