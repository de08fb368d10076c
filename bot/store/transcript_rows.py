"""The transcript half of the store: passages, what to fetch next, and the moments query.

The moments query (`topic_moments`) is built to stay fast at millions of passages,
where `MATCH … ORDER BY rank` is not: bm25 scores every matching row, so one common word
costs hundreds of milliseconds. Instead it works in two stages:

1. **Episodes first.** `transcript_episodes_fts` holds one document per episode (its whole
   transcript). Ranking those with bm25 costs one score per matching episode, not per
   matching passage, and says which episodes talk about the topic most, not merely which
   passages were stored last. At most RANK_CAP episodes are ranked: when more say every
   word (a common word in a very large catalogue), the newest RANK_CAP of them, found by a
   walk of the word lists that needs no positions or scores. Terms near each other
   (`NEAR`) are tried first for a multi-word topic, then all terms anywhere.
2. **Passages inside them.** Each episode's passages are one contiguous id range, so the
   passage index is read with `rowid BETWEEN first AND last` (a seek, not a scan), unranked;
   the few dozen rows are scored in Python from FTS5 `highlight()` (coverage, phrase,
   density), near-duplicates within a minute collapse, and the best of each episode are
   kept. Passages are read for any of the topic's words, so an episode that never says
   them all in one breath still yields its best passage; the score ranks full matches
   and phrases first. Passages inside an ad (an ad chapter, a sponsor read) are left out.
3. **Segments** (`transcript_hits` with the topic's terms): which terms each passage of
   the best episodes holds (outside ads) is read as rowids, and a passage is scored with
   its neighbours, so a topic discussed over several passages beats a passing mention.

Two entrances share the engine (`_moments`), both taking FTS5 expressions already built
by bot/search/fts_query.py (the store never reads member text): `transcript_hits`, which
/when calls (through bot/search/catalogue.py) with one match tier's expression, and
`topic_moments`, which takes the episode and passage expressions of a topic; a topic as
typed goes through `bot.transcripts.transcript_search.transcript_moments`, which is what
the tests and `bench/bench_transcripts.py` (beside plain FTS5) exercise. Passages are
ranked by the pure helpers of bot/store/passage_ranking.py.

Its statements run within the store's search budget (`StoreBase`: past it, QueryTooSlow),
and a transcript that says a word in every passage costs at most `_ROWS_PER_EPISODE` short
passages per candidate episode, scored off the event loop when there are many.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import aiosqlite

from bot.models.episode_views import HIGHLIGHT_END, HIGHLIGHT_START
from bot.models.parsed_feed import TranscriptRef
from bot.models.transcript_passage import Passage
from bot.store.base import StoreBase, now, visible_feeds
from bot.store.passage_ranking import (
    collapse_nearby,
    passage_score,
    segment_score,
    trim_quote,
)

if TYPE_CHECKING:
    from bot.store.episode_reads import Scope

# Episodes ranked per stage-1 query at most (bm25 costs ~2.5 µs per episode document); a
# catalogue where more episodes say every word of the topic ranks the newest of them.
RANK_CAP = 2000
QUOTE_WIDTH = 220  # visible characters of a quote (Discord embed fields allow 1024)
_ROWS_PER_EPISODE = 400  # a 4-hour episode saying a word every minute still fits
_SCORE_ON_LOOP = 200  # passages scored on the event loop at most; more in a worker thread
_MIN_CANDIDATE_EPISODES = 8
# A sponsor read runs about this long past a marked passage ("this episode is brought to
# you by…", "use promo code…"); a last ad chapter is taken to run this long.
SPONSOR_READ = 60.0
AD_CHAPTER = 120.0

# The expression that builds an episode's document for transcript_episodes_fts. Inserts
# and deletes must use the same text (the index is contentless): always this expression.
_EPISODE_DOCUMENT = """
    SELECT group_concat(text, char(10)) AS doc
    FROM (SELECT text FROM transcript_passages WHERE episode_id = ? ORDER BY id)
"""


@dataclass(frozen=True, slots=True)
class TranscriptState:
    """What the store remembers of one transcript link of an episode."""

    url: str
    status: str  # ok / failed
    format: str | None
    etag: str | None
    last_modified: str | None
    content_hash: str | None
    parser_version: str | None
    error: str | None
    attempts: int
    checked_at: int
    episode_hash: str | None  # the episode's content hash when this link was last checked


@dataclass(frozen=True, slots=True)
class TranscriptJob:
    """An episode with transcript links, as the sync job sees it."""

    episode_id: int
    feed_id: int
    feed_url: str  # the feed's URL or absolute path: the base for relative links
    episode_hash: str  # the item's content hash: changes when the feed changes the item
    refs: list[TranscriptRef]
    states: dict[str, TranscriptState] = field(default_factory=dict)  # by url


@dataclass(frozen=True, slots=True)
class TranscriptInfo:
    """The transcript stored for an episode, as `transcript_info` reports it."""

    episode_id: int
    url: str
    format: str
    segments: int
    passages: int
    timed: bool


@dataclass(frozen=True, slots=True)
class TranscriptMoment:
    """A passage where a topic comes up. `text` is the quote: trimmed, with the matched
    words between the highlight markers. `start` is None for an untimed (HTML or text)
    transcript: quote it, but offer no jump link."""

    episode_id: int
    passage_id: int
    start: float | None
    end: float | None
    speaker: str | None
    text: str
    score: float  # in (0, 1]: episode relevance x passage quality; higher is better
    kind: str = "transcript"  # as the other /when sources' hits (bot.store.episode_reads.FtsHit)


class TranscriptStore(StoreBase):
    """Transcript writes of the sync job and the reads of /when, /chapters and export."""

    # ------------------------------------------------------------------ sync job

    async def transcript_jobs(self, feed_id: int | None = None) -> list[TranscriptJob]:
        """Episodes with transcript links (of one feed, or all), with what is known of each
        link; the sync job decides what is due (`bot.transcripts.transcript_sync.links_to_try`)."""
        feed_filter = "AND e.feed_id = ?" if feed_id is not None else ""
        params: tuple[int, ...] = (feed_id,) if feed_id is not None else ()
        rows = await self.fetchall(
            f"""SELECT r.episode_id, e.feed_id, f.url AS feed_url, e.content_hash,
                       r.url, r.type, r.language, r.rel
                FROM transcript_refs r
                JOIN episodes e ON e.id = r.episode_id
                JOIN feeds f ON f.id = e.feed_id
                WHERE 1 {feed_filter}
                ORDER BY r.episode_id, r.rowid""",
            params,
        )
        jobs: dict[int, TranscriptJob] = {}
        for row in rows:
            job = jobs.get(row["episode_id"])
            if job is None:
                job = jobs[row["episode_id"]] = TranscriptJob(
                    row["episode_id"], row["feed_id"], row["feed_url"], row["content_hash"], []
                )
            job.refs.append(TranscriptRef(row["url"], row["type"], row["language"], row["rel"]))
        state_rows = await self.fetchall(
            f"""SELECT t.* FROM transcripts t JOIN episodes e ON e.id = t.episode_id
                WHERE 1 {feed_filter}""",
            params,
        )
        for row in state_rows:
            job = jobs.get(row["episode_id"])
            if job is not None:
                job.states[row["url"]] = TranscriptState(
                    row["url"],
                    row["status"],
                    row["format"],
                    row["etag"],
                    row["last_modified"],
                    row["content_hash"],
                    row["parser_version"],
                    row["error"],
                    row["attempts"],
                    row["checked_at"],
                    row["episode_hash"],
                )
        return list(jobs.values())

    async def save_transcript(
        self,
        episode_id: int,
        url: str,
        *,
        format: str,
        passages: Sequence[Passage],
        segment_count: int,
        etag: str | None,
        last_modified: str | None,
        content_hash: str,
        parser_version: str,
        episode_hash: str | None = None,
    ) -> None:
        """Replace the episode's passages with these, in one transaction, and record the
        link as the episode's transcript (any other link's stored passages are gone)."""
        timed = any(p.start is not None for p in passages)
        async with self.transaction() as db:
            await self._drop_episode_document(db, episode_id)
            await db.execute("DELETE FROM transcript_passages WHERE episode_id = ?", (episode_id,))
            await db.executemany(
                """INSERT INTO transcript_passages (episode_id, start, end, speaker, text)
                   VALUES (?, ?, ?, ?, ?)""",
                [(episode_id, p.start, p.end, p.speaker, p.text) for p in passages],
            )
            async with db.execute(
                "SELECT min(id), max(id) FROM transcript_passages WHERE episode_id = ?",
                (episode_id,),
            ) as cursor:
                first_id, last_id = await cursor.fetchone() or (None, None)
            await db.execute(
                f"""INSERT INTO transcript_episodes_fts (rowid, text)
                    SELECT ?, doc FROM ({_EPISODE_DOCUMENT}) WHERE doc IS NOT NULL""",
                (episode_id, episode_id),
            )
            await db.execute(
                "DELETE FROM transcripts WHERE episode_id = ? AND url <> ? AND status = 'ok'",
                (episode_id, url),
            )
            await db.execute(
                """INSERT INTO transcripts (episode_id, url, format, status, etag, last_modified,
                       content_hash, parser_version, segment_count, passage_count, timed,
                       first_passage_id, last_passage_id, error, attempts, checked_at,
                       episode_hash)
                   VALUES (?, ?, ?, 'ok', ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 0, ?, ?)
                   ON CONFLICT (episode_id, url) DO UPDATE SET
                       format = excluded.format, status = 'ok', etag = excluded.etag,
                       last_modified = excluded.last_modified,
                       content_hash = excluded.content_hash,
                       parser_version = excluded.parser_version,
                       segment_count = excluded.segment_count,
                       passage_count = excluded.passage_count, timed = excluded.timed,
                       first_passage_id = excluded.first_passage_id,
                       last_passage_id = excluded.last_passage_id, error = NULL,
                       attempts = 0, checked_at = excluded.checked_at,
                       episode_hash = excluded.episode_hash""",
                (
                    episode_id,
                    url,
                    format,
                    etag,
                    last_modified,
                    content_hash,
                    parser_version,
                    segment_count,
                    len(passages),
                    int(timed),
                    first_id,
                    last_id,
                    now(),
                    episode_hash,
                ),
            )

    async def mark_transcript_unchanged(
        self,
        episode_id: int,
        url: str,
        *,
        etag: str | None,
        last_modified: str | None,
        episode_hash: str | None = None,
    ) -> None:
        """The stored transcript is still current (304, or the same bytes): note the check."""
        async with self.transaction() as db:
            await db.execute(
                """UPDATE transcripts SET checked_at = ?, etag = coalesce(?, etag),
                       last_modified = coalesce(?, last_modified), episode_hash = ?
                   WHERE episode_id = ? AND url = ?""",
                (now(), etag, last_modified, episode_hash, episode_id, url),
            )

    async def mark_transcript_failed(
        self,
        episode_id: int,
        url: str,
        error: str,
        *,
        format: str | None = None,
        episode_hash: str | None = None,
    ) -> None:
        """A link that could not be fetched or read. The episode keeps any transcript it
        has, from another link or from an earlier version of this one (which stays 'ok',
        with the error noted, until a later check succeeds)."""
        async with self.transaction() as db:
            await db.execute(
                """INSERT INTO transcripts (episode_id, url, format, status, error, attempts,
                       checked_at, episode_hash)
                   VALUES (?, ?, ?, 'failed', ?, 1, ?, ?)
                   ON CONFLICT (episode_id, url) DO UPDATE SET
                       status = transcripts.status,
                       error = excluded.error, attempts = transcripts.attempts + 1,
                       checked_at = excluded.checked_at, episode_hash = excluded.episode_hash,
                       format = coalesce(excluded.format, transcripts.format)""",
                (episode_id, url, format, error, now(), episode_hash),
            )

    async def forget_stale_transcripts(self, feed_id: int | None = None) -> int:
        """Drop transcripts whose link the feed no longer lists (and their passages);
        returns how many episodes lost their stored transcript."""
        feed_filter = "AND e.feed_id = ?" if feed_id is not None else ""
        params: tuple[int, ...] = (feed_id,) if feed_id is not None else ()
        rows = await self.fetchall(
            f"""SELECT t.episode_id, t.url, t.status FROM transcripts t
                JOIN episodes e ON e.id = t.episode_id
                WHERE NOT EXISTS (SELECT 1 FROM transcript_refs r
                                  WHERE r.episode_id = t.episode_id AND r.url = t.url)
                {feed_filter}""",
            params,
        )
        if not rows:
            return 0
        dropped = 0
        async with self.transaction() as db:
            for row in rows:
                if row["status"] == "ok":
                    await self._drop_episode_document(db, row["episode_id"])
                    await db.execute(
                        "DELETE FROM transcript_passages WHERE episode_id = ?", (row["episode_id"],)
                    )
                    dropped += 1
                await db.execute(
                    "DELETE FROM transcripts WHERE episode_id = ? AND url = ?",
                    (row["episode_id"], row["url"]),
                )
        return dropped

    @staticmethod
    async def _drop_episode_document(db: aiosqlite.Connection, episode_id: int) -> None:
        await db.execute(
            f"""INSERT INTO transcript_episodes_fts (transcript_episodes_fts, rowid, text)
                SELECT 'delete', ?, doc FROM ({_EPISODE_DOCUMENT}) WHERE doc IS NOT NULL""",
            (episode_id, episode_id),
        )

    # ------------------------------------------------------------------ reads

    async def transcript_info(self, episode_id: int) -> TranscriptInfo | None:
        """The episode's stored transcript, or None (none offered, not fetched yet, or
        every link failed). For tests and diagnostics: the commands read what they need
        in their own queries."""
        row = await self.fetchone(
            """SELECT episode_id, url, format, segment_count, passage_count, timed
               FROM transcripts WHERE episode_id = ? AND status = 'ok'""",
            (episode_id,),
        )
        if row is None:
            return None
        return TranscriptInfo(
            row["episode_id"],
            row["url"],
            row["format"],
            row["segment_count"],
            row["passage_count"],
            bool(row["timed"]),
        )

    async def transcript_totals(self, feed_id: int) -> tuple[int, int]:
        """(episodes with a stored transcript, their segments) for one feed."""
        row = await self.fetchone(
            """SELECT count(*), coalesce(sum(t.segment_count), 0) FROM transcripts t
               JOIN episodes e ON e.id = t.episode_id
               WHERE e.feed_id = ? AND t.status = 'ok'""",
            (feed_id,),
        )
        return (row[0], row[1]) if row else (0, 0)

    # ------------------------------------------------------------------ moments

    async def topic_moments(
        self,
        episode_queries: Sequence[str],
        passage_queries: Sequence[str],
        term_count: int,
        *,
        guild_id: int | None,
        episode_id: int | None = None,
        limit: int = 10,
        per_episode: int = 2,
        marks: tuple[str, str] = (HIGHLIGHT_START, HIGHLIGHT_END),
    ) -> list[TranscriptMoment]:
        """Where a topic comes up in the transcripts a guild can see, best first.

        The topic is given as FTS5 expressions built by `bot.search.fts_query`: the
        episodes are ranked by `episode_queries` (tried in order, the first weighing most),
        their passages read by `passage_queries` (the next for episodes the one before
        found nothing in) and scored for `term_count` terms. With `episode_id`, only that
        episode (and up to `limit` moments from it); otherwise at most `per_episode`
        moments from each of the best episodes. Hits within a minute of a better one in the
        same episode collapse into it. [] when there are no expressions.
        """
        if not episode_queries or not passage_queries or limit <= 0:
            return []
        visible, params = visible_feeds(guild_id)
        return await self._moments(
            list(episode_queries),
            list(passage_queries),
            term_count,
            (f" AND e.feed_id IN ({visible})", list(params)),
            episode_id=episode_id,
            limit=limit,
            per_episode=per_episode,
            marks=marks,
        )

    async def transcript_hits(
        self,
        expression: str,
        scope: Scope,
        *,
        episode_id: int | None = None,
        limit: int = 25,
        terms: Sequence[str] = (),
        whole_topic: bool = True,
    ) -> list[TranscriptMoment]:
        """`topic_moments` for one FTS5 expression built by `bot.search.fts_query` (one match
        tier: phrase, all words or any word) within a `Scope`: the shape of the other
        /when sources (`chapter_hits`, `passage_hits`). The moments carry
        `kind="transcript"` and the speaker.

        `terms`, one FTS5 expression per word of the topic (with its forms), turn on
        segment scoring: a stretch of neighbouring passages that holds the topic between
        them counts (`passage_ranking.segment_score`), so a topic discussed over several
        passages beats a passing mention of all its words in one. `whole_topic`: the
        expression asks for all the words (a segment joins only from an episode that says
        every one of them outside its ads)."""
        where, params = scope.sql("e.feed_id")
        return await self._moments(
            [expression],
            [expression],
            _term_count(expression),
            (where, list(params)),
            episode_id=episode_id,
            limit=limit,
            per_episode=2,
            marks=(HIGHLIGHT_START, HIGHLIGHT_END),
            terms=list(terms),
            whole_topic=whole_topic,
        )

    async def _moments(
        self,
        episode_queries: list[str],
        passage_queries: list[str],
        term_count: int,
        scope: tuple[str, list[Any]],
        *,
        episode_id: int | None,
        limit: int,
        per_episode: int,
        marks: tuple[str, str],
        terms: list[str] | None = None,
        whole_topic: bool = True,
    ) -> list[TranscriptMoment]:
        where, params = scope
        if limit <= 0:
            return []
        if episode_id is not None:
            row = await self.fetchone(
                f"""SELECT t.first_passage_id, t.last_passage_id FROM transcripts t
                    JOIN episodes e ON e.id = t.episode_id
                    WHERE t.episode_id = ? AND t.status = 'ok'{where}""",
                (episode_id, *params),
                budget=self.search_budget,
            )
            if row is None or row[0] is None:
                return []
            candidates = [_Candidate(episode_id, row[0], row[1], 1.0)]
            per_episode = limit
        else:
            # Each episode gives at most `per_episode` moments, so limit / per_episode
            # episodes (and a few more, for those with fewer) fill the list; reading the
            # passages of more is the cost of this query, so no more are read.
            wanted = -(-limit // per_episode) + 2
            candidates = await self._candidate_episodes(
                episode_queries, where, params, max(wanted, _MIN_CANDIDATE_EPISODES)
            )
        found = await self._best_passages(candidates, passage_queries, term_count, marks)
        if terms and len(terms) > 1:
            await self._score_segments(candidates, found, terms, marks, whole_topic=whole_topic)
        moments: list[TranscriptMoment] = []
        for candidate in candidates:
            best = collapse_nearby(
                found.get(candidate.episode_id, []),
                start_of=lambda m: m.start,
                score_of=lambda m: m.score,
                keep=per_episode,
            )
            moments.extend(
                replace(
                    m,
                    text=trim_quote(m.text, QUOTE_WIDTH, *marks),
                    score=round(m.score * candidate.weight, 6),
                )
                for m in best
            )
        moments.sort(key=lambda m: (-m.score, m.episode_id, m.start or 0.0))
        return moments[:limit]

    async def _candidate_episodes(
        self, queries: list[str], where: str, params: list[Any], count: int
    ) -> list[_Candidate]:
        """Stage 1: the episodes whose whole transcript best matches, with a weight in
        (0, 1] that falls gently with rank and for looser queries (tried in order).

        At most RANK_CAP episodes are ranked per query: when more match every word (a
        common word in a large catalogue), the newest RANK_CAP of them. Finding that
        cutoff walks the word lists only (no positions, no scores), so it is cheap."""
        cutoff = await self._episode_cutoff(queries[-1])
        sql = f"""
            SELECT d.rowid AS episode_id, t.first_passage_id, t.last_passage_id
            FROM transcript_episodes_fts d
            JOIN episodes e ON e.id = d.rowid
            JOIN transcripts t ON t.episode_id = e.id AND t.status = 'ok'
            WHERE transcript_episodes_fts MATCH ? AND d.rowid >= ?{where}
            ORDER BY d.rank LIMIT ?"""
        found: list[_Candidate] = []
        seen: set[int] = set()
        for query_index, query in enumerate(queries):
            rows = await self.fetchall(
                sql, (query, cutoff, *params, count), budget=self.search_budget
            )
            for row in rows:
                if row[0] in seen or row[1] is None:
                    continue
                seen.add(row[0])
                weight = (1.0 if query_index == 0 else 0.8) / (1 + 0.05 * len(found))
                found.append(_Candidate(row[0], row[1], row[2], weight))
            if len(found) >= count:
                break
        return found[:count]

    async def _episode_cutoff(self, query: str) -> int:
        """The lowest episode id worth ranking for `query`: the RANK_CAP-th newest episode
        holding all its words (any, for an OR query), or 0 when fewer do."""
        if " OR " not in query:
            # Phrases and NEAR groups need positions to check; every word is enough here.
            words = [w for group in _QUOTED_TEXT.findall(query) for w in group.split()]
            query = " ".join(_quoted(w) for w in words) if words else query
        row = await self.fetchone(
            """SELECT rowid FROM transcript_episodes_fts WHERE transcript_episodes_fts MATCH ?
               ORDER BY rowid DESC LIMIT 1 OFFSET ?""",
            (query, RANK_CAP - 1),
            budget=self.search_budget,
        )
        return int(row[0]) if row else 0

    async def _score_segments(
        self,
        candidates: list[_Candidate],
        found: dict[int, list[TranscriptMoment]],
        terms: list[str],
        marks: tuple[str, str],
        *,
        whole_topic: bool,
    ) -> None:
        """Segment scoring, in place: which of the topic's `terms` each passage of the
        candidate episodes holds is read from the index (rowids only, no highlight: cheap
        even for a common word), every found passage is re-scored with its neighbours
        (`segment_score`), and the centre of each episode's best segment joins them
        (highlighted for any of the terms), to be kept if it ranks among the best.
        Passages inside an ad count for nothing here: with `whole_topic` (a match of all
        words), an episode that says some of the topic only in an ad gives no centre."""
        arms, params = [], []
        for candidate in candidates[:_SEGMENT_EPISODES]:
            for index, term in enumerate(terms):
                arms.append(_TERM_ROWS)
                params += [candidate.episode_id, index, term]
                params += [candidate.first_id, candidate.last_id, _SEGMENT_ROWS]
        rows = await self.fetchall(" UNION ALL ".join(arms), params, budget=self.search_budget)
        held: dict[int, dict[int, tuple[float | None, set[int]]]] = {}
        for episode, index, rowid, start in rows:
            held.setdefault(episode, {}).setdefault(rowid, (start, set()))[1].add(index)
        centres: list[tuple[int, int, float]] = []
        for episode, passages in held.items():
            moments = found.get(episode, [])
            for position, moment in enumerate(moments):
                moments[position] = replace(
                    moment,
                    score=segment_score(moment.score, passages, moment.passage_id, len(terms)),
                )
            # A candidate beside the found passages: the episode's best few are kept. Not
            # when, outside its ads, the episode never says the whole topic.
            said: set[int] = set().union(*(entry[1] for entry in passages.values()))
            if whole_topic and len(said) < len(terms):
                continue
            best = max(passages, key=lambda rowid: segment_score(0.0, passages, rowid, len(terms)))
            score = segment_score(0.0, passages, best, len(terms))
            if score > 0 and all(m.passage_id != best for m in moments):
                centres.append((episode, best, score))
        if not centres:
            return
        any_term = " OR ".join(terms)
        arms, params = [], []
        for episode, rowid, _ in centres:
            arms.append(_PASSAGES_IN_RANGE)
            params += [*marks, any_term, rowid, rowid, episode, 1]
        scores = {rowid: score for _, rowid, score in centres}
        for row in await self.fetchall(" UNION ALL ".join(arms), params, budget=self.search_budget):
            if row["in_ad"]:
                continue
            found.setdefault(row["episode_id"], []).append(_moment(row, scores[row["id"]]))

    async def _best_passages(
        self,
        candidates: list[_Candidate],
        queries: list[str],
        term_count: int,
        marks: tuple[str, str],
    ) -> dict[int, list[TranscriptMoment]]:
        """Stage 2: the matching passages of each candidate episode, scored; one statement
        for all the episodes (a seek into each one's id range). Episodes with no passage
        matching the first query try the next, if any. Passages inside an ad (an ad
        chapter, a sponsor read: `IN_AD`) are left out: a mattress read does not answer
        "sleep"."""
        start_mark, end_mark = marks
        found: dict[int, list[TranscriptMoment]] = {}
        waiting = list(candidates)
        for query in queries:
            if not waiting:
                break
            parts, params = [], []
            for candidate in waiting:
                parts.append(_PASSAGES_IN_RANGE)
                params += [
                    start_mark,
                    end_mark,
                    query,
                    candidate.first_id,
                    candidate.last_id,
                    candidate.episode_id,
                    _ROWS_PER_EPISODE,
                ]
            rows = await self.fetchall(" UNION ALL ".join(parts), params, budget=self.search_budget)

            def score(rows: list[aiosqlite.Row] = rows) -> None:
                for row in rows:
                    if row["in_ad"]:
                        continue
                    found.setdefault(row["episode_id"], []).append(
                        _moment(row, passage_score(row["text"], term_count, start_mark, end_mark))
                    )

            if len(rows) > _SCORE_ON_LOOP:
                # Transcripts that say the word in every passage: thousands of rows at
                # ~50 µs each, which would hold up every other command on the event loop.
                await asyncio.to_thread(score)
            else:
                score()
            waiting = [c for c in waiting if c.episode_id not in found]
        return found


def _moment(row: aiosqlite.Row, score: float) -> TranscriptMoment:
    """A passage read by `_PASSAGES_IN_RANGE` as a moment with its score."""
    return TranscriptMoment(
        row["episode_id"], row["id"], row["start"], row["end"], row["speaker"], row["text"], score
    )


@dataclass(frozen=True, slots=True)
class _Candidate:
    episode_id: int
    first_id: int  # the episode's passages are the ids first_id..last_id
    last_id: int
    weight: float


# Whether passage `p` is inside an ad: an ad chapter (to the next chapter, or AD_CHAPTER
# seconds for the last), or a sponsor read (a passage migration 0010 marks `sponsor`, or
# one starting at most SPONSOR_READ seconds after one). Two seeks into small partial
# indexes per matching row; the marker patterns are read only for an untimed passage.
# IN_AD_CHAPTER serves any timed row `p` with an episode_id (notes passages too).
IN_AD_CHAPTER = f"""EXISTS (SELECT 1 FROM chapters c
    WHERE c.kind = 'ad' AND c.episode_id = p.episode_id AND c.start <= p.start
      AND p.start < coalesce(
          (SELECT min(n.start) FROM chapters n
           WHERE n.episode_id = c.episode_id AND n.position > c.position),
          c.start + {AD_CHAPTER}))"""
IN_AD = f"""(CASE WHEN p.start IS NULL THEN p.sponsor ELSE (
    EXISTS (SELECT 1 FROM transcript_passages s INDEXED BY transcript_passages_sponsor
            WHERE s.sponsor AND s.episode_id = p.episode_id
              AND s.start BETWEEN p.start - {SPONSOR_READ} AND p.start)
    OR {IN_AD_CHAPTER}) END)"""
# One candidate episode's matching passages (a member of a UNION ALL): the rowid range is
# a seek into the passage index, so this costs the episode's matches, not the catalogue's.
_PASSAGES_IN_RANGE = f"""
    SELECT * FROM (
        SELECT p.episode_id, p.id, p.start, p.end, p.speaker, {IN_AD} AS in_ad,
               highlight(transcript_fts, 0, ?, ?) AS text
        FROM transcript_fts JOIN transcript_passages p ON p.id = transcript_fts.rowid
        WHERE transcript_fts MATCH ? AND transcript_fts.rowid BETWEEN ? AND ?
              AND p.episode_id = ?
        LIMIT ?)"""
# Which passages of one episode hold one term of the topic: rowids only (a member of a
# UNION ALL, one per episode and term), for segment scoring. Not those inside an ad: a
# sponsor read is no segment, and lends its neighbours no support.
_TERM_ROWS = f"""
    SELECT * FROM (
        SELECT ? AS episode_id, ? AS term, p.id, p.start
        FROM transcript_fts JOIN transcript_passages p ON p.id = transcript_fts.rowid
        WHERE transcript_fts MATCH ? AND transcript_fts.rowid BETWEEN ? AND ?
              AND NOT {IN_AD}
        LIMIT ?)"""
# Episodes whose segments are scored: the best ranked (the list shows few others), and
# the passages read per term and episode (a word said in more is the episode's subject:
# where it is said says little more).
_SEGMENT_EPISODES = 6
_SEGMENT_ROWS = 120
_QUOTED_TERM = re.compile(r'"(?:[^"]|"")+"')
# A parenthesised group of a word's forms (`("w" OR "v" OR "s" *)`): one term of the topic.
_TERM_GROUP = re.compile(r'\((?:[^()"]|"(?:[^"]|"")*")*\)')


def _term_count(expression: str) -> int:
    """How many of the topic's terms an expression holds: each quoted word, a group of
    one word's forms counting once."""
    return max(1, len(_QUOTED_TERM.findall(_TERM_GROUP.sub('"w"', expression))))


_QUOTED_TEXT = re.compile(r'"((?:[^"]|"")+)"')


def _quoted(word: str) -> str:
    """An FTS5 string: double quotes around it, inner quotes doubled."""
    return '"' + word.replace('"', '""') + '"'
