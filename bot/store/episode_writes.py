"""The catalogue half of the store: feeds, episodes and what hangs off them, and export."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from bot.models.parsed_feed import (
    Chapter,
    ParsedFeed,
    Person,
    Soundbite,
    TimedPassage,
    TranscriptRef,
)
from bot.store.announcement_rows import enqueue_announcements
from bot.store.base import StoreBase, chunks, now, placeholders, scalar


def person_key(name: str) -> str:
    """The identity of a person's name: case-folded, spaces collapsed."""
    return " ".join(name.split()).casefold()


@dataclass(frozen=True, slots=True)
class FeedRecord:
    id: int
    url: str
    title: str
    etag: str | None
    last_modified: str | None
    content_hash: str | None
    last_polled_at: int | None
    last_success_at: int | None
    last_error: str | None
    status: str
    is_global: bool  # FEEDS and the CLI; False for a feed a guild added with /feed add
    episode_count: int


@dataclass(slots=True)
class EpisodeWrite:
    """An episode ready to be stored: the parsed fields plus what the importer derived."""

    key: str
    guid: str | None
    title: str
    notes_html: str
    notes_text: str
    number: int | None
    number_label: str | None
    season: int | None
    season_label: str | None
    published_at: int | None
    duration: int | None
    link: str | None
    audio_url: str | None
    audio_type: str | None
    image: str | None
    episode_type: str
    chapters_url: str | None
    chapters_type: str | None
    chapters_error: str | None
    content_hash: str
    chapters: list[Chapter]
    persons: list[Person]
    transcripts: list[TranscriptRef]
    soundbites: list[Soundbite]
    id: int | None = None  # set for an update of a stored episode
    passages: list[TimedPassage] = field(default_factory=list)  # timed sentences of the notes
    # What search reads of the notes: without the feed's boilerplate (None: the notes).
    search_notes: str | None = None


@dataclass(frozen=True, slots=True)
class StoredEpisodeState:
    id: int
    content_hash: str
    chapters_url: str | None
    chapters_error: str | None


class CatalogueStore(StoreBase):
    """Writes of the importer and the reads that list feeds and export episodes."""

    # ------------------------------------------------------------------ feeds

    _FEED_COLUMNS = """
        f.id, f.url, f.title, f.etag, f.last_modified, f.content_hash, f.last_polled_at,
        f.last_success_at, f.last_error, f.status, f.is_global = 1 AS is_global,
        (SELECT count(*) FROM episodes e WHERE e.feed_id = f.id) AS episode_count
    """

    async def feed_by_url(self, url: str) -> FeedRecord | None:
        """The feed stored under this URL (or absolute path), or None."""
        row = await self.fetchone(
            f"SELECT {self._FEED_COLUMNS} FROM feeds f WHERE f.url = ?", (url,)
        )
        return FeedRecord(**dict(row)) if row else None

    async def feeds(self) -> list[FeedRecord]:
        """Every stored feed, oldest first."""
        rows = await self.fetchall(f"SELECT {self._FEED_COLUMNS} FROM feeds f ORDER BY f.id")
        return [FeedRecord(**dict(row)) for row in rows]

    async def ensure_feed(
        self, url: str, *, guild_id: int | None = None, added_by: int | None = None
    ) -> int:
        """The id of the feed with this URL, creating an empty row if it is new.

        With `guild_id` (/feed add) a new feed is visible in that guild only, and the guild
        follows it; without, a new feed is global (FEEDS, the CLI).
        """
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO feeds (url, created_at, is_global) VALUES (?, ?, ?) "
                "ON CONFLICT (url) DO NOTHING",
                (url, now(), int(guild_id is None)),
            )
            feed_id = int(await scalar(db, "SELECT id FROM feeds WHERE url = ?", (url,)))
            if guild_id is not None:
                await db.execute(
                    "INSERT OR IGNORE INTO guild_feeds (guild_id, feed_id, added_by, added_at) "
                    "VALUES (?, ?, ?, ?)",
                    (guild_id, feed_id, added_by, now()),
                )
            return feed_id

    async def record_poll(
        self,
        feed_id: int,
        *,
        error: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        """Note a poll that changed no episodes: unchanged (304 / same bytes) or failed."""
        timestamp = now()
        async with self.transaction() as db:
            if error is None:
                await db.execute(
                    """UPDATE feeds SET last_polled_at = ?, last_success_at = ?, last_error = NULL,
                           status = 'ok', etag = coalesce(?, etag),
                           last_modified = coalesce(?, last_modified)
                       WHERE id = ?""",
                    (timestamp, timestamp, etag, last_modified, feed_id),
                )
            else:
                await db.execute(
                    "UPDATE feeds SET last_polled_at = ?, last_error = ? WHERE id = ?",
                    (timestamp, error, feed_id),
                )

    async def episode_states(self, feed_id: int) -> dict[str, StoredEpisodeState]:
        """What the store holds for a feed, keyed by episode key: enough to classify an import."""
        rows = await self.fetchall(
            """SELECT key, id, content_hash, chapters_url, chapters_error
               FROM episodes WHERE feed_id = ?""",
            (feed_id,),
        )
        return {
            row["key"]: StoredEpisodeState(
                row["id"], row["content_hash"], row["chapters_url"], row["chapters_error"]
            )
            for row in rows
        }

    async def save_feed_import(
        self,
        feed_id: int,
        feed: ParsedFeed,
        *,
        content_hash: str,
        etag: str | None,
        last_modified: str | None,
        new: list[EpisodeWrite],
        updated: list[EpisodeWrite],
    ) -> list[int]:
        """Store one parsed feed in one transaction; return the ids of the new episodes.

        Unchanged episodes are not touched; episodes missing from the feed are kept (feeds
        truncate their history). A failure anywhere rolls the whole feed back.
        """
        timestamp = now()
        async with self.transaction() as db:
            # A feed's first import is its back catalogue: never announced.
            first_import = bool(
                await scalar(
                    db, "SELECT last_success_at IS NULL FROM feeds WHERE id = ?", (feed_id,)
                )
            )
            await db.execute(
                """UPDATE feeds SET title = ?, link = ?, description = ?, image = ?, language = ?,
                       author = ?, podcast_guid = ?, etag = ?, last_modified = ?, content_hash = ?,
                       last_polled_at = ?, last_success_at = ?, last_error = NULL, status = 'ok'
                   WHERE id = ?""",
                (
                    feed.title,
                    feed.link,
                    feed.description,
                    feed.image,
                    feed.language,
                    feed.author,
                    feed.podcast_guid,
                    etag,
                    last_modified,
                    content_hash,
                    timestamp,
                    timestamp,
                    feed_id,
                ),
            )
            if new:
                await db.executemany(
                    f"""INSERT INTO episodes ({", ".join(_EPISODE_FIELDS)}, feed_id, key,
                            first_seen_at, updated_at)
                        VALUES ({placeholders(len(_EPISODE_FIELDS))}, ?, ?, ?, ?)""",
                    [(*_episode_values(e), feed_id, e.key, timestamp, timestamp) for e in new],
                )
                by_key = {e.key: e for e in new}
                async with db.execute(
                    "SELECT key, id FROM episodes WHERE feed_id = ?", (feed_id,)
                ) as cursor:
                    for key, episode_id in await cursor.fetchall():
                        if key in by_key:
                            by_key[key].id = episode_id
            if updated:
                assignments = ", ".join(f"{name} = ?" for name in _EPISODE_FIELDS)
                await db.executemany(
                    f"UPDATE episodes SET {assignments}, updated_at = ? WHERE id = ?",
                    [(*_episode_values(e), timestamp, e.id) for e in updated],
                )
                stale = [(e.id,) for e in updated]
                for table in (
                    "chapters",
                    "episode_persons",
                    "transcript_refs",
                    "soundbites",
                    "passages",
                ):
                    await db.executemany(f"DELETE FROM {table} WHERE episode_id = ?", stale)
            await _insert_episode_children(db, [*new, *updated])
            new_ids = [e.id for e in new if e.id is not None]
            if not first_import:
                # Same transaction: a stored episode always has its announcements queued.
                await enqueue_announcements(db, new_ids, timestamp)
        return new_ids

    async def save_search_notes(self, feed_id: int, notes: dict[str, str | None]) -> int:
        """Set what search reads of each episode's notes (by episode key; None: the notes
        as they are), where it changed; returns how many episodes changed. Compared in
        the store, so the feed's notes are not read back for it. The full-text index
        follows by trigger (migration 0010)."""
        if not notes:
            return 0
        async with self.transaction() as db:
            cursor = await db.executemany(
                """UPDATE episodes SET search_notes = ?
                   WHERE feed_id = ? AND key = ? AND search_notes IS NOT ?""",
                [(text, feed_id, key, text) for key, text in notes.items()],
            )
            return max(0, cursor.rowcount)

    # ------------------------------------------------------------------ export

    async def export_rows(self) -> AsyncIterator[dict[str, Any]]:
        """Every episode as the SPEC's export object, feed by feed, oldest first."""
        episodes = await self.fetchall(
            """SELECT e.id, f.url AS feed, coalesce(e.guid, e.key) AS guid, e.title, e.number,
                      e.season, e.published_at, e.duration, e.link, e.audio_url, e.image
               FROM episodes e JOIN feeds f ON f.id = e.feed_id
               ORDER BY f.id, e.published_at IS NULL, e.published_at, e.id"""
        )
        chapters: dict[int, list[dict[str, Any]]] = {}
        for row in await self.fetchall(
            """SELECT episode_id, start, title, source, kind FROM chapters
               ORDER BY episode_id, position"""
        ):
            chapter = {"start": row["start"], "title": row["title"], "source": row["source"]}
            if row["kind"] == "ad":
                chapter["kind"] = "ad"  # sponsor reads and ad breaks (issue 11)
            chapters.setdefault(row["episode_id"], []).append(chapter)
        persons: dict[int, list[dict[str, Any]]] = {}
        for row in await self.fetchall(
            """SELECT ep.episode_id, p.name, ep.role FROM episode_persons ep
               JOIN persons p ON p.id = ep.person_id ORDER BY ep.episode_id, ep.rowid"""
        ):
            persons.setdefault(row["episode_id"], []).append(
                {"name": row["name"], "role": row["role"]}
            )
        transcripts: dict[int, str] = {}
        for row in await self.fetchall(
            "SELECT episode_id, url FROM transcript_refs ORDER BY episode_id, rowid"
        ):
            transcripts.setdefault(row["episode_id"], row["url"])
        # Segments of the stored (fetched and parsed) transcript; null when there is none.
        segments: dict[int, int] = {
            row["episode_id"]: row["segment_count"]
            for row in await self.fetchall(
                "SELECT episode_id, segment_count FROM transcripts WHERE status = 'ok'"
            )
        }
        for row in episodes:
            published = row["published_at"]
            yield {
                "feed": row["feed"],
                "guid": row["guid"],
                "title": row["title"],
                "number": row["number"],
                "season": row["season"],
                "published": (
                    time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(published))
                    if published is not None
                    else None
                ),
                "duration": row["duration"],
                "link": row["link"],
                "audio_url": row["audio_url"],
                "image": row["image"],
                "chapters": chapters.get(row["id"], []),
                "persons": persons.get(row["id"], []),
                "transcript_url": transcripts.get(row["id"]),
                "transcript": (
                    {"segments": segments[row["id"]]} if row["id"] in segments else None
                ),
            }


# The episode columns written on insert and update, in the order `_episode_values` gives.
_EPISODE_FIELDS = (
    "guid",
    "title",
    "notes_html",
    "notes_text",
    "number",
    "number_label",
    "season",
    "season_label",
    "published_at",
    "duration",
    "link",
    "audio_url",
    "audio_type",
    "image",
    "episode_type",
    "chapters_url",
    "chapters_type",
    "chapters_error",
    "content_hash",
    "search_notes",
)


def _episode_values(e: EpisodeWrite) -> tuple[Any, ...]:
    return (
        e.guid,
        e.title,
        e.notes_html,
        e.notes_text,
        e.number,
        e.number_label,
        e.season,
        e.season_label,
        e.published_at,
        e.duration,
        e.link,
        e.audio_url,
        e.audio_type,
        e.image,
        e.episode_type,
        e.chapters_url,
        e.chapters_type,
        e.chapters_error,
        e.content_hash,
        e.search_notes,
    )


async def _insert_episode_children(db: aiosqlite.Connection, episodes: list[EpisodeWrite]) -> None:
    """Chapters, people, transcript links and soundbites of freshly written episodes."""
    await db.executemany(
        """INSERT INTO chapters (episode_id, position, start, title, source, url, image, kind)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            (e.id, position, c.start, c.title, c.source, c.url, c.image, c.kind)
            for e in episodes
            for position, c in enumerate(e.chapters)
        ],
    )
    await db.executemany(
        """INSERT OR IGNORE INTO transcript_refs (episode_id, url, type, language, rel)
           VALUES (?, ?, ?, ?, ?)""",
        [(e.id, t.url, t.type, t.language, t.rel) for e in episodes for t in e.transcripts],
    )
    await db.executemany(
        "INSERT INTO soundbites (episode_id, start, duration, title) VALUES (?, ?, ?, ?)",
        [(e.id, s.start, s.duration, s.title) for e in episodes for s in e.soundbites],
    )
    # What /when searches besides chapters: timed sentences of the notes, and soundbites.
    await db.executemany(
        "INSERT INTO passages (episode_id, kind, start, text) VALUES (?, ?, ?, ?)",
        [(e.id, "notes", p.start, p.text) for e in episodes for p in e.passages]
        + [
            (e.id, "soundbite", s.start, s.title.strip())
            for e in episodes
            for s in e.soundbites
            if s.title and s.title.strip()
        ],
    )
    people: dict[str, Person] = {}
    for person in (p for e in episodes for p in e.persons if p.name.strip()):
        people.setdefault(person_key(person.name), person)  # the first spelling seen wins
    if not people:
        return
    await db.executemany(
        """INSERT INTO persons (name, name_key, href, image) VALUES (?, ?, ?, ?)
           ON CONFLICT (name_key) DO UPDATE SET
               href = coalesce(excluded.href, persons.href),
               image = coalesce(excluded.image, persons.image)""",
        [(" ".join(p.name.split()), key, p.href, p.image) for key, p in people.items()],
    )
    ids: dict[str, int] = {}
    keys = list(people)
    for chunk in chunks(keys):
        marks = placeholders(len(chunk))
        async with db.execute(
            f"SELECT name_key, id FROM persons WHERE name_key IN ({marks})", chunk
        ) as cursor:
            ids.update({key: person_id for key, person_id in await cursor.fetchall()})
    await db.executemany(
        """INSERT OR IGNORE INTO episode_persons
               (episode_id, person_id, role, grp, inferred, detail)
           VALUES (?, ?, ?, ?, ?, ?)""",
        [
            (e.id, ids[person_key(p.name)], p.role, p.group, int(p.inferred), p.detail)
            for e in episodes
            for p in e.persons
            if p.name.strip()
        ],
    )
