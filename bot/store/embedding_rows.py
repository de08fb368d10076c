"""Passage embeddings of the semantic layer (issue 12): vectors kept beside the passages.

Table `embeddings` (migration 0011): one vector per transcript passage, timed notes
passage (and soundbite) and chapter title, as signed bytes; triggers drop a vector with
its row. The store only keeps bytes: embedding and searching are bot/semantic's (numpy),
so that `import bot.store` needs neither.

What is missing is found per episode (`episodes_to_embed`): an episode's transcript is
written in one transaction and embedded in one, so "its last passage has a vector" says
the whole transcript has; notes passages and chapters are few and checked one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.store.base import StoreBase, chunks, now, placeholders
from bot.store.maintenance import read_only_connection
from bot.store.transcript_rows import IN_AD, IN_AD_CHAPTER

SOURCE_TRANSCRIPT = 1  # transcript_passages
SOURCE_NOTES = 2  # passages: timed notes sentences and soundbites
SOURCE_CHAPTER = 3  # chapters (not those marked 'ad')
EMBEDDING_MODEL_KEY = "embedding:model"  # bot_state: the model the stored vectors are of

# Each source's table, and the SQL that says a row still exists (a vector is written only
# for a row that is still there: one deleted since it was read leaves nothing behind).
_SOURCE_TABLES = {
    SOURCE_TRANSCRIPT: "transcript_passages",
    SOURCE_NOTES: "passages",
    SOURCE_CHAPTER: "chapters",
}


_MISSING_FAST = """
    SELECT t.episode_id FROM transcripts t
    WHERE t.status = 'ok' AND t.last_passage_id IS NOT NULL
      AND EXISTS (SELECT 1 FROM transcript_passages p WHERE p.id = t.last_passage_id)
      AND NOT EXISTS (SELECT 1 FROM embeddings e
                      WHERE e.source = 1 AND e.source_id = t.last_passage_id)
    UNION
    SELECT p.episode_id FROM passages p
    WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.source = 2 AND e.source_id = p.id)
    UNION
    SELECT c.episode_id FROM chapters c
    WHERE c.kind = 'chapter'
      AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.source = 3 AND e.source_id = c.id)
"""
# Every transcript passage looked at (a passage whose text changed lost its vector): once
# per start, it costs about a second per million passages.
_MISSING_THOROUGH = """
    SELECT DISTINCT p.episode_id FROM transcript_passages p
    WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.source = 1 AND e.source_id = p.id)
    UNION
""" + _MISSING_FAST.split("UNION", 1)[1]


@dataclass(frozen=True, slots=True)
class TextToEmbed:
    """A row without a vector: what to embed, and the text said just before and after it
    (the neighbouring transcript passages; empty for other sources)."""

    source: int
    source_id: int
    episode_id: int
    text: str
    before: str = ""
    after: str = ""


@dataclass(frozen=True, slots=True)
class StoredVector:
    """A stored vector (signed bytes) with where it belongs."""

    id: int
    source: int
    source_id: int
    episode_id: int
    feed_id: int  # 0 when not read (`vectors_of`)
    vector: bytes


@dataclass(frozen=True, slots=True)
class EmbeddedMoment:
    """What a vector embeds, as /when shows it: a moment of an episode."""

    source: int
    source_id: int
    episode_id: int
    start: float | None
    kind: str  # transcript, notes, soundbite, chapter
    text: str
    speaker: str | None = None


class EmbeddingStore(StoreBase):
    """Vectors of passages, chapter titles and notes sentences, for /when's meaning layer."""

    async def embedding_model(self) -> str | None:
        """The model the stored vectors were made with (None: none made yet)."""
        row = await self.fetchone(
            "SELECT value FROM bot_state WHERE key = ?", (EMBEDDING_MODEL_KEY,)
        )
        return None if row is None else str(row["value"])

    async def use_embedding_model(self, model: str) -> bool:
        """Make `model` the one the vectors are of: when another made them, they are all
        dropped (to be made again), in the same transaction. True when that happened."""
        async with self.transaction() as db:
            async with db.execute(
                "SELECT value FROM bot_state WHERE key = ?", (EMBEDDING_MODEL_KEY,)
            ) as cursor:
                row = await cursor.fetchone()
            if row is not None and row[0] == model:
                return False
            # No WHERE and no triggers on the table: SQLite empties it at once.
            await db.execute("DELETE FROM embeddings")
            await db.execute(
                """INSERT INTO bot_state (key, value, updated_at) VALUES (?, ?, ?)
                   ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                       updated_at = excluded.updated_at""",
                (EMBEDDING_MODEL_KEY, model, now()),
            )
            return row is not None

    async def episodes_to_embed(self, limit: int, *, thorough: bool = False) -> list[int]:
        """Up to `limit` episodes with rows that have no vector yet, oldest first.
        `thorough`: look at every transcript passage, not only each transcript's last."""
        rows = await self.fetchall(
            f"SELECT episode_id FROM ({_MISSING_THOROUGH if thorough else _MISSING_FAST}) "
            "ORDER BY episode_id LIMIT ?",
            (limit,),
        )
        return [int(row[0]) for row in rows]

    async def texts_to_embed(self, episode_ids: Sequence[int]) -> list[TextToEmbed]:
        """The rows of these episodes that have no vector, with their neighbours' text."""
        found: list[TextToEmbed] = []
        for part in chunks(list(episode_ids)):
            marks = placeholders(len(part))
            rows = await self.fetchall(
                f"""SELECT * FROM (
                        SELECT p.id, p.episode_id, p.text,
                               lag(p.text, 1, '') OVER w AS prev_text,
                               lead(p.text, 1, '') OVER w AS next_text
                        FROM transcript_passages p WHERE p.episode_id IN ({marks})
                        WINDOW w AS (PARTITION BY p.episode_id ORDER BY p.id)
                    ) AS t
                    WHERE NOT EXISTS (SELECT 1 FROM embeddings e
                                      WHERE e.source = 1 AND e.source_id = t.id)
                    ORDER BY t.id""",
                part,
            )
            found += [
                TextToEmbed(SOURCE_TRANSCRIPT, r["id"], r["episode_id"], r["text"], r[3], r[4])
                for r in rows
            ]
            rows = await self.fetchall(
                f"""SELECT p.id, p.episode_id, p.text FROM passages p
                    WHERE p.episode_id IN ({marks}) AND NOT EXISTS (
                        SELECT 1 FROM embeddings e WHERE e.source = 2 AND e.source_id = p.id)
                    ORDER BY p.id""",
                part,
            )
            found += [TextToEmbed(SOURCE_NOTES, r[0], r[1], r[2]) for r in rows]
            rows = await self.fetchall(
                f"""SELECT c.id, c.episode_id, c.title FROM chapters c
                    WHERE c.episode_id IN ({marks}) AND c.kind = 'chapter' AND NOT EXISTS (
                        SELECT 1 FROM embeddings e WHERE e.source = 3 AND e.source_id = c.id)
                    ORDER BY c.id""",
                part,
            )
            found += [TextToEmbed(SOURCE_CHAPTER, r[0], r[1], r[2]) for r in rows]
        return found

    async def save_embeddings(self, vectors: Sequence[tuple[int, int, int, bytes]]) -> int:
        """Store (source, source_id, episode_id, vector) rows in one transaction; a row
        deleted in the meantime, or one that already has a vector, is skipped. Returns
        how many were stored."""
        stored = 0
        async with self.transaction() as db:
            for source, table in _SOURCE_TABLES.items():
                rows = [(s, i, e, v, i) for s, i, e, v in vectors if s == source]
                if not rows:
                    continue
                before = db.total_changes
                await db.executemany(
                    f"""INSERT INTO embeddings (source, source_id, episode_id, vector)
                        SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM {table} WHERE id = ?)
                        ON CONFLICT (source, source_id) DO NOTHING""",
                    rows,
                )
                stored += db.total_changes - before
        return stored

    async def last_embedding_id(self) -> int:
        """The id of the newest vector (0: none): a reader holding up to it is current."""
        row = await self.fetchone("SELECT max(id) FROM embeddings")
        return int(row[0] or 0) if row is not None else 0

    async def vectors_after(self, after_id: int, limit: int) -> list[tuple[int, int, int, bytes]]:
        """Up to `limit` vectors written after `after_id`, oldest first, as (id,
        episode_id, feed_id, vector): what an in-memory index loads (plain tuples: there
        may be millions)."""
        rows = await self.fetchall(
            """SELECT e.id, e.episode_id, ep.feed_id, e.vector FROM embeddings e
               JOIN episodes ep ON ep.id = e.episode_id
               WHERE e.id > ? ORDER BY e.id LIMIT ?""",
            (after_id, limit),
        )
        return [(row[0], row[1], row[2], row[3]) for row in rows]

    async def vectors_of(self, ids: Sequence[int]) -> list[StoredVector]:
        """The stored vectors with these ids (those still there). Their feed is not read
        (`feed_id` 0): the caller's in-memory index knows it, and it costs a second
        lookup per row."""
        found: list[StoredVector] = []
        for part in chunks(list(ids)):
            rows = await self.fetchall(
                f"""SELECT id, source, source_id, episode_id, 0, vector FROM embeddings
                    WHERE id IN ({placeholders(len(part))})""",
                part,
            )
            found += [StoredVector(*row) for row in rows]
        return found

    async def vectors_of_episode(self, episode_id: int) -> list[StoredVector]:
        """Every vector of one episode (/when within an episode looks at all of them)."""
        rows = await self.fetchall(
            """SELECT e.id, e.source, e.source_id, e.episode_id, ep.feed_id, e.vector
               FROM embeddings e JOIN episodes ep ON ep.id = e.episode_id
               WHERE e.episode_id = ?""",
            (episode_id,),
        )
        return [StoredVector(*row) for row in rows]

    async def embedded_moments(
        self, keys: Sequence[tuple[int, int]]
    ) -> dict[tuple[int, int], EmbeddedMoment]:
        """What the (source, source_id) rows say and where, by key. Rows gone are absent,
        and so are those inside an ad: a passage in an ad chapter (to the next chapter,
        else AD_CHAPTER seconds) or in a sponsor read (SPONSOR_READ seconds from a passage
        migration 0010 marks `sponsor`), as /when's lexical half leaves them out."""
        found: dict[tuple[int, int], EmbeddedMoment] = {}
        by_source: dict[int, list[int]] = {}
        for source, source_id in keys:
            by_source.setdefault(source, []).append(source_id)
        for source, ids in by_source.items():
            for part in chunks(ids):
                marks = placeholders(len(part))
                if source == SOURCE_TRANSCRIPT:
                    sql = f"""SELECT id, episode_id, start, 'transcript', text, speaker
                              FROM transcript_passages p
                              WHERE id IN ({marks}) AND NOT {IN_AD}"""
                elif source == SOURCE_NOTES:
                    sql = f"""SELECT id, episode_id, start, kind, text, NULL
                              FROM passages p WHERE id IN ({marks}) AND NOT {IN_AD_CHAPTER}"""
                else:
                    sql = f"""SELECT id, episode_id, start, 'chapter', title, NULL
                              FROM chapters WHERE id IN ({marks}) AND kind = 'chapter'"""
                for row in await self.fetchall(sql, part):
                    found[(source, row[0])] = EmbeddedMoment(source, *row)
        return found

    async def embedding_totals(self) -> tuple[int, int]:
        """(vectors stored, rows that could have one): how far the backlog is."""
        row = await self.fetchone(
            """SELECT (SELECT count(*) FROM embeddings),
                      (SELECT count(*) FROM transcript_passages)
                      + (SELECT count(*) FROM passages)
                      + (SELECT count(*) FROM chapters WHERE kind = 'chapter')"""
        )
        return (int(row[0]), int(row[1])) if row is not None else (0, 0)


_PROGRESS = f"""SELECT (SELECT value FROM bot_state WHERE key = '{EMBEDDING_MODEL_KEY}'),
                      (SELECT count(*) FROM embeddings),
                      (SELECT count(*) FROM transcript_passages)
                      + (SELECT count(*) FROM passages)
                      + (SELECT count(*) FROM chapters WHERE kind = 'chapter')"""


def read_embedding_progress(path: str | Path) -> tuple[str | None, int, int] | None:
    """(the model the vectors are of, vectors stored, rows that could have one) of the store
    at `path`, through a read-only connection of its own (the doctor, beside a running
    bot); None on a store from before migration 0011. Blocking: run it in a thread."""
    conn = read_only_connection(path)
    try:
        found = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'embeddings'"
        ).fetchone()
        if found is None:
            return None
        model, stored, total = conn.execute(_PROGRESS).fetchone()
    finally:
        conn.close()
    return (None if model is None else str(model)), int(stored), int(total)
