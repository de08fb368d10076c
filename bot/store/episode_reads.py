"""The read side of the catalogue: episodes as members ask for them, full-text matches for
/when and /search, related episodes, and the in-memory lookup index for autocomplete.

Every FTS5 query here receives an expression built by `bot.search.fts_query` (never member text),
and ranks at most `RANK_CAP` matches: bm25 costs about a microsecond per matching row and
`ORDER BY rank` scores every match, so a common word over a big catalogue would be slow.
Beyond the cap, the newest `RANK_CAP` matches (highest rowids) are ranked.

The work per matched document is bounded too. FTS5's `snippet()` scores a window around
every match against every other match, so its cost grows with the square of a document's
matches (notes repeating one word 40,000 times: ~10 s), and `highlight()` with its length.
So FTS5 marks texts up to `LONG_TEXT` characters itself, and `LongTextMarker` the longer
ones: a snippet from the first `SNIPPET_SCAN` characters, a highlight of the first
`LONG_TEXT`. Every search statement, and every read of the vocabulary that search draws on,
runs within the store's time budget (`StoreBase`: past it, QueryTooSlow).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.models.episode_views import (
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    ChapterEntry,
    EpisodeDetail,
    EpisodeSummary,
    PersonCredit,
    RelatedEpisode,
)
from bot.models.lookup_rows import LookupRows
from bot.models.related_types import (
    Document,
    FeedTerms,
    RelatedRow,
    Signature,
    SignatureTerm,
    is_boilerplate,
)
from bot.store.base import StoreBase, chunks, placeholders, visible_feeds

RANK_CAP = 500  # matches ranked by bm25 per query; beyond it, the newest are ranked
SNIPPET_TOKENS = 24
# Characters of a text FTS5 highlights (or snippets) itself: at worst (a one-letter word
# repeated) its snippet costs ~20 ms here, typical notes well under 1 ms. Longer texts
# go to LongTextMarker, which snippets the first SNIPPET_SCAN characters in pieces.
LONG_TEXT = 4096
SNIPPET_SCAN = 65536
_PIECE = 2048  # characters of a piece of a long text: its snippet costs ≤ ~5 ms
_PIECE_OVERLAP = 256  # so that a window across two pieces is whole in one of them
# The tokenizer of every full-text index of the store (bot/migrations): the marker's
# table must split and stem words as they do, or it would mark other words.
_TOKENIZER = "porter unicode61 remove_diacritics 2"

# bm25 weights of episodes_fts columns (title, notes_text); chapter titles are ranked in
# their own index and weigh between the two (see Catalogue.search).
TITLE_WEIGHT = 10.0
NOTES_WEIGHT = 1.0
# Feed ids a scope's SQL binds one by one; more go as one JSON array (`Scope`).
_INLINE_IDS = 500

_SUMMARY_COLUMNS = """
    e.id, e.feed_id, f.title AS feed_title, e.title, e.number, e.number_label, e.season,
    e.published_at, e.duration, e.episode_type, e.link, e.audio_url, e.image
"""

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Scope:
    """The feeds a lookup may see: `feed_ids`, or every feed when `everything`.

    `others`: the catalogue's feeds outside the scope, when the scope is every feed but
    those (a part of a whole-catalogue scope, `split`): its SQL then says NOT IN them
    when they are fewer, so a big part never carries thousands of ids."""

    feed_ids: frozenset[int]
    everything: bool
    others: frozenset[int] | None = None

    def contains(self, feed_id: int) -> bool:
        return self.everything or feed_id in self.feed_ids

    @property
    def filter(self) -> frozenset[int] | None:
        """For in-memory filters: None means no filter."""
        return None if self.everything else self.feed_ids

    def split(self, groups: Sequence[frozenset[int]]) -> list[Scope]:
        """The scope in parts, one per group of its feeds: itself when one group holds
        all of them; else explicit lists, but the largest group of a whole-catalogue
        scope is "every feed but the rest" (its statements stay short)."""
        if len(groups) == 1 and groups[0] >= self.feed_ids:
            return [self]
        largest = max(range(len(groups)), key=lambda i: len(groups[i]), default=-1)
        known = self.feed_ids.union(*groups)  # every feed, when the scope is everything
        return [
            Scope(ids, everything=False, others=known - ids)
            if i == largest and self.everything
            else Scope(ids, everything=False)
            for i, ids in enumerate(groups)
        ]

    def sql(self, column: str) -> tuple[str, list[Any]]:
        """` AND column IN (...)` (or NOT IN, or nothing) and its positional parameters."""
        where, values = self._where(column, lambda n: "?")
        return where, list(values)

    def named_sql(self, column: str, prefix: str = "f") -> tuple[str, dict[str, Any]]:
        """As `sql`, with named parameters (`:f0`, ...)."""
        where, values = self._where(column, lambda n: f":{prefix}{n}")
        return where, {f"{prefix}{n}": value for n, value in enumerate(values)}

    def _where(self, column: str, mark: Callable[[int], str]) -> tuple[str, list[Any]]:
        if self.everything:
            return "", []
        negate = self.others is not None and len(self.others) < len(self.feed_ids)
        ids = sorted(self.others if negate and self.others is not None else self.feed_ids)
        if not ids:
            return ("", []) if negate else (" AND 0", [])
        operator = "NOT IN" if negate else "IN"
        if len(ids) <= _INLINE_IDS:
            return f" AND {column} {operator} ({', '.join(map(mark, range(len(ids))))})", ids
        # One parameter however many feeds: SQLite limits the parameters of a statement.
        return f" AND {column} {operator} (SELECT value FROM json_each({mark(0)}))", [
            json.dumps(ids)
        ]


_ADJACENT_MARKS = re.compile(f"{HIGHLIGHT_END}([ \t]+){HIGHLIGHT_START}")


def merge_marks(text: str) -> str:
    """Adjacent highlighted words as one highlight: "**learning rate**", not
    "**learning** **rate**"."""
    return _ADJACENT_MARKS.sub(r"\1", text) if HIGHLIGHT_END in text else text


@dataclass(frozen=True, slots=True)
class FtsHit:
    """One row matched by an FTS5 query: whose, where, what, how well (higher is better)."""

    episode_id: int
    start: float | None
    text: str
    score: float
    kind: str = ""
    in_title: bool = False  # an episode hit whose title matched
    summary: EpisodeSummary | None = None
    speaker: str | None = None  # transcript passages

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", merge_marks(self.text))


def summary_from_row(row: aiosqlite.Row | dict[str, Any]) -> EpisodeSummary:
    return EpisodeSummary(
        id=row["id"],
        feed_id=row["feed_id"],
        feed_title=row["feed_title"] or "",
        title=row["title"],
        number=row["number"],
        number_label=row["number_label"],
        season=row["season"],
        published_at=row["published_at"],
        duration=row["duration"],
        episode_type=row["episode_type"],
        link=row["link"],
        audio_url=row["audio_url"],
        image=row["image"],
    )


class SearchStore(StoreBase):
    """Queries of the member commands, and the storage of derived search data."""

    _marker: LongTextMarker | None = None

    async def close(self) -> None:
        if self._marker is not None:
            await asyncio.to_thread(self._marker.close)
        await super().close()

    async def _hits(self, rows: Sequence[aiosqlite.Row], expression: str) -> list[FtsHit]:
        """The hits of a statement's rows, best first; texts too long for FTS5 to mark
        (`long_text`, `long_title`: their first part) are marked by the LongTextMarker."""
        snippets: dict[Hashable, str] = {}
        highlights: dict[Hashable, str] = {}
        for index, row in enumerate(rows):
            if row["long_text"] is not None:
                into = snippets if row["kind"] == "episode" else highlights
                into[(index, "text")] = row["long_text"]
            if row["long_title"] is not None:
                highlights[(index, "title")] = row["long_title"]
        marked: dict[Hashable, str] = {}
        if snippets or highlights:
            if self._marker is None:
                self._marker = LongTextMarker()
            marked = await self._marker.mark(expression, snippets, highlights)
        hits = [
            _hit(row, marked.get((index, "text")), marked.get((index, "title")))
            for index, row in enumerate(rows)
        ]
        hits.sort(key=lambda h: -h.score)
        return hits

    # ------------------------------------------------------------------ vocabulary

    # The indexes whose words members look for (titles, notes, chapters, passages).
    _VOCABULARY_INDEXES = ("episodes_fts", "chapters_fts", "passages_fts", "transcript_fts")

    async def search_vocabulary(self) -> dict[str, int]:
        """Every index term (porter stems, diacritics folded) of the searched indexes, with
        the number of rows holding it (summed over the indexes): what spelling
        suggestions are drawn from. Read through `fts5vocab` tables in the temp schema
        (per connection, nothing written to the file)."""
        return await self._term_counts("")

    async def marked_terms(self) -> dict[str, int]:
        """The index terms that start with a non-ASCII character (Greek for one: the
        tokenizer keeps the diacritics of scripts other than Latin), with their row counts:
        a range of the vocabulary (those terms sort after the ASCII ones), so an English
        catalogue reads little."""
        return await self._term_counts("WHERE term >= char(128)")

    async def terms_starting(self, prefix: str) -> dict[str, int]:
        """The index terms that start with `prefix`, with their row counts: a range of
        the vocabulary, read without scanning the rest of it."""
        if not prefix:
            return {}
        above = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return await self._term_counts("WHERE term >= ? AND term < ?", (prefix, above))

    async def term_rows(self, terms: Iterable[str]) -> dict[str, int]:
        """How many rows of the searched indexes hold each index term (0 for none)."""
        counts = dict.fromkeys(terms, 0)
        for chunk in chunks(list(counts)):
            counts.update(
                await self._term_counts(f"WHERE term IN ({placeholders(len(chunk))})", chunk)
            )
        return counts

    async def _term_counts(self, where: str, params: Sequence[str] = ()) -> dict[str, int]:
        """The terms of the searched indexes matching `where` (on the `fts5vocab` row
        table's `term`), with the rows holding each, summed over the indexes; one reader
        for all of them, within one search budget (QueryTooSlow past it)."""
        counts: dict[str, int] = {}
        async with self._reading(self.search_budget) as conn:
            for name in self._VOCABULARY_INDEXES:
                vocab = f"vocab_{name}"
                await conn.execute(
                    f'CREATE VIRTUAL TABLE IF NOT EXISTS temp."{vocab}" '
                    f"USING fts5vocab(main, '{name}', 'row')"
                )
                rows = await conn.execute_fetchall(
                    f'SELECT term, doc FROM temp."{vocab}" {where}', params
                )
                for term, count in rows:
                    counts[term] = counts.get(term, 0) + count
        return counts

    async def feed_languages(self) -> dict[int, str | None]:
        """Each feed's language as stored (its `<language>`, or the one detected at import)."""
        rows = await self.fetchall("SELECT id, language FROM feeds")
        return {row[0]: row[1] for row in rows}

    async def indexed_words(self, words: Iterable[str]) -> set[str]:
        """Those of `words` that some searched index holds (as the tokenizer reads them:
        any form of the word)."""
        found: set[str] = set()
        for word in dict.fromkeys(words):
            quoted = '"' + word.replace('"', '""') + '"'
            for name in self._VOCABULARY_INDEXES:
                row = await self.fetchone(
                    f'SELECT 1 FROM "{name}" WHERE "{name}" MATCH ? LIMIT 1',
                    (quoted,),
                    budget=self.search_budget,
                )
                if row is not None:
                    found.add(word)
                    break
        return found

    async def surface_form(self, term: str) -> str | None:
        """A word of the indexed text whose index term is `term` (a porter stem, which
        is not always a word: "polysemant" -> "polysemantic"), or None."""
        if not term.isalnum():
            return None
        for name in self._VOCABULARY_INDEXES:
            columns = [row[1] for row in await self.fetchall(f'PRAGMA table_info("{name}")')]
            for index, column in enumerate(columns):
                row = await self.fetchone(
                    f"""SELECT highlight("{name}", {index}, char(2), char(3)) FROM "{name}"
                        WHERE "{name}" MATCH ? LIMIT 1""",
                    (f'"{column}" : "{term}" *',),
                    budget=self.search_budget,
                )
                marked = re.search("\x02([^\x03]*)\x03", row[0] or "") if row else None
                if marked:
                    return marked.group(1).split()[0] if marked.group(1).split() else None
        return None

    # ------------------------------------------------------------------ scope

    async def scope(self, guild_id: int | None) -> Scope:
        """The feeds a guild sees (global feeds plus its own), or outside a guild the
        global ones; `everything` when that is every feed (no filter needed)."""
        return (await self.scope_and_generation(guild_id))[0]

    async def scope_and_generation(self, guild_id: int | None) -> tuple[Scope, int | None]:
        """A guild's scope and the catalogue's generation (bumped by triggers on every
        change that autocomplete sees), in one query."""
        visible_sql, params = visible_feeds(guild_id)
        rows = await self.fetchall(
            f"""SELECT id, id IN ({visible_sql}) AS visible,
                       (SELECT generation FROM lookup_generation WHERE id = 1) AS generation
                FROM feeds""",
            params,
        )
        visible = frozenset(row["id"] for row in rows if row["visible"])
        generation = rows[0]["generation"] if rows else None
        return Scope(visible, everything=len(visible) == len(rows)), generation

    # ------------------------------------------------------------------ episodes

    async def episode_summaries(self, ids: Sequence[int]) -> dict[int, EpisodeSummary]:
        found: dict[int, EpisodeSummary] = {}
        for chunk in chunks(list(dict.fromkeys(ids))):
            rows = await self.fetchall(
                f"""SELECT {_SUMMARY_COLUMNS} FROM episodes e JOIN feeds f ON f.id = e.feed_id
                    WHERE e.id IN ({placeholders(len(chunk))})""",
                chunk,
            )
            found.update((row["id"], summary_from_row(row)) for row in rows)
        return found

    async def latest_episodes(self, guild_id: int | None, count: int) -> list[EpisodeSummary]:
        """The newest episodes a guild can see; undated ones last."""
        visible_sql, params = visible_feeds(guild_id)
        rows = await self.fetchall(
            f"""SELECT {_SUMMARY_COLUMNS} FROM episodes e JOIN feeds f ON f.id = e.feed_id
                WHERE e.feed_id IN ({visible_sql})
                ORDER BY e.published_at IS NULL, e.published_at DESC, e.id DESC LIMIT ?""",
            [*params, count],
        )
        return [summary_from_row(row) for row in rows]

    async def episode_detail(self, episode_id: int) -> EpisodeDetail | None:
        """An episode with its notes text, chapter count, whether it has a transcript, and
        its people (hosts first) — in one query."""
        row = await self.fetchone(
            f"""SELECT {_SUMMARY_COLUMNS}, e.notes_text, e.chapters_error,
                       (SELECT count(*) FROM chapters c WHERE c.episode_id = e.id) AS chapters,
                       EXISTS (SELECT 1 FROM transcript_refs t WHERE t.episode_id = e.id)
                           AS has_transcript,
                       (SELECT json_group_array(json_array(name, role, href, inferred, detail))
                        FROM (SELECT p.name, ep.role, p.href, ep.inferred, ep.detail
                              FROM episode_persons ep JOIN persons p ON p.id = ep.person_id
                              WHERE ep.episode_id = e.id
                              ORDER BY ep.role != 'host', ep.role, ep.rowid)) AS people
                FROM episodes e JOIN feeds f ON f.id = e.feed_id WHERE e.id = ?""",
            (episode_id,),
        )
        if row is None:
            return None
        people = [
            PersonCredit(name, role, href, bool(inferred), detail)
            for name, role, href, inferred, detail in json.loads(row["people"] or "[]")
        ]
        return EpisodeDetail(
            summary_from_row(row),
            row["notes_text"],
            people,
            row["chapters"],
            bool(row["has_transcript"]),
            row["chapters_error"],
        )

    async def notes_texts(self, episode_ids: Sequence[int]) -> dict[int, str]:
        """The notes text of each of the episodes (those that exist)."""
        notes: dict[int, str] = {}
        for chunk in chunks(list(episode_ids)):
            rows = await self.fetchall(
                f"SELECT id, notes_text FROM episodes WHERE id IN ({placeholders(len(chunk))})",
                chunk,
            )
            notes.update((row["id"], row["notes_text"] or "") for row in rows)
        return notes

    async def chapter_entries(self, episode_id: int) -> list[ChapterEntry]:
        rows = await self.fetchall(
            """SELECT start, title, source, url, kind FROM chapters WHERE episode_id = ?
               ORDER BY position""",
            (episode_id,),
        )
        return [
            ChapterEntry(row["start"], row["title"], row["source"], row["url"], row["kind"])
            for row in rows
        ]

    # ------------------------------------------------------------------ full text

    async def timed_hits(
        self,
        expression: str,
        scope: Scope,
        *,
        episode_id: int | None = None,
        limit: int = 25,
    ) -> list[FtsHit]:
        """Chapters whose title matches, and timed passages of the notes and soundbites
        that match: the best `limit` of each, highlighted, in one statement (a round trip
        to the database thread costs as much as a small query)."""
        chapters, params = _ranked(
            "chapters_fts", "bm25(chapters_fts)", _CHAPTER_JOIN, "c.episode_id", scope, episode_id
        )
        passages, _ = _ranked(
            "passages_fts", "bm25(passages_fts)", _PASSAGE_JOIN, "p.episode_id", scope, episode_id
        )
        chapter_marked = _marked("chapters_fts", "chapter_ranked", "title")
        passage_marked = _marked("passages_fts", "passage_ranked", "text")
        rows = await self.fetchall(
            f"""WITH chapter_ranked AS MATERIALIZED ({chapters} ORDER BY rank_score LIMIT :limit),
                passage_ranked AS MATERIALIZED ({passages} ORDER BY rank_score LIMIT :limit),
                chapter_marked AS MATERIALIZED ({chapter_marked}),
                passage_marked AS MATERIALIZED ({passage_marked})
                SELECT 'chapter' AS kind, c.start, r.rank_score, m.text, NULL AS title_text,
                       m.long_text, NULL AS long_title, {_SUMMARY_COLUMNS}
                FROM chapter_ranked r JOIN chapter_marked m ON m.id = r.id
                JOIN chapters c ON c.id = r.id {_SUMMARY_JOIN.format(episode="c.episode_id")}
                UNION ALL
                SELECT p.kind, p.start, r.rank_score, m.text, NULL, m.long_text, NULL,
                       {_SUMMARY_COLUMNS}
                FROM passage_ranked r JOIN passage_marked m ON m.id = r.id
                JOIN passages p ON p.id = r.id {_SUMMARY_JOIN.format(episode="p.episode_id")}""",
            {**params, "q": expression, "limit": limit, **_HIGHLIGHT},
            budget=self.search_budget,
        )
        return await self._hits(rows, expression)

    async def episode_hits(
        self,
        expression: str,
        scope: Scope,
        *,
        episode_id: int | None = None,
        limit: int = 25,
        exclude: Sequence[int] = (),
    ) -> list[FtsHit]:
        """Episodes whose title or notes match (bm25, title weighted over notes), best
        first, with the matching words highlighted: a notes snippet, or the title when
        only the title matched. `exclude`: episodes not wanted (a snippet costs ~0.1 ms:
        only those returned are made)."""
        ranked, params = _episodes_ranked(scope, episode_id, exclude)
        rows = await self.fetchall(
            f"""WITH episode_ranked AS MATERIALIZED ({ranked}),
                episode_marked AS MATERIALIZED ({_EPISODE_MARKED}) {_EPISODE_ARM}""",
            {**params, "q": expression, "limit": limit, **_HIGHLIGHT},
            budget=self.search_budget,
        )
        return await self._hits(rows, expression)

    async def search_hits(
        self, expression: str, scope: Scope, *, limit: int = 25
    ) -> tuple[list[FtsHit], list[FtsHit]]:
        """For /search, in one statement: the best matching episodes (as `episode_hits`)
        and the best matching chapter of each episode, best episodes first."""
        episodes, params = _episodes_ranked(scope, None, ())
        chapters, _ = _ranked(
            "chapters_fts",
            "bm25(chapters_fts)",
            _CHAPTER_JOIN,
            "c.episode_id",
            scope,
            None,
            columns="c.episode_id AS episode_id",
            unscoped_join="JOIN chapters c ON c.id = x.rowid",
        )
        rows = await self.fetchall(
            f"""WITH episode_ranked AS MATERIALIZED ({episodes}),
                episode_marked AS MATERIALIZED ({_EPISODE_MARKED}),
                chapter_ranked AS MATERIALIZED ({chapters}),
                chapter_best AS MATERIALIZED (
                    SELECT id, episode_id, min(rank_score) AS rank_score FROM chapter_ranked
                    GROUP BY episode_id ORDER BY rank_score LIMIT :limit),
                chapter_marked AS MATERIALIZED ({_marked("chapters_fts", "chapter_best", "title")})
                {_EPISODE_ARM}
                UNION ALL
                SELECT 'chapter', c.start, b.rank_score, m.text, NULL, m.long_text, NULL,
                       {_SUMMARY_COLUMNS}
                FROM chapter_best b JOIN chapter_marked m ON m.id = b.id
                JOIN chapters c ON c.id = b.id {_SUMMARY_JOIN.format(episode="c.episode_id")}""",
            {**params, "q": expression, "limit": limit, **_HIGHLIGHT},
            budget=self.search_budget,
        )
        hits = await self._hits(rows, expression)
        return [h for h in hits if h.kind == "episode"], [h for h in hits if h.kind != "episode"]

    # ------------------------------------------------------------------ related

    async def related_episodes(
        self, episode_id: int, guild_id: int | None, limit: int
    ) -> list[RelatedEpisode]:
        """The stored related episodes a guild can see, best first (one query)."""
        visible_sql, params = visible_feeds(guild_id)
        rows = await self.fetchall(
            f"""SELECT {_SUMMARY_COLUMNS}, r.score, r.shared_people, r.shared_terms
                FROM related_episodes r JOIN episodes e ON e.id = r.related_id
                JOIN feeds f ON f.id = e.feed_id
                WHERE r.episode_id = ? AND e.feed_id IN ({visible_sql})
                ORDER BY r.score DESC, r.related_id DESC LIMIT ?""",
            [episode_id, *params, limit],
        )
        return [
            RelatedEpisode(
                summary_from_row(row),
                round(row["score"], 4),
                tuple(json.loads(row["shared_people"])),
                tuple(json.loads(row["shared_terms"])),
            )
            for row in rows
        ]

    async def related_documents(
        self, *, feed_id: int | None = None, episode_ids: Sequence[int] = ()
    ) -> list[Document]:
        """Title, chapter titles and notes of a feed's episodes, or of the given ones."""
        if feed_id is not None:
            rows = await self.fetchall(
                "SELECT id, feed_id, title, notes_text FROM episodes WHERE feed_id = ?",
                (feed_id,),
            )
            chapter_rows = await self.fetchall(
                """SELECT c.episode_id, c.title FROM chapters c
                   JOIN episodes e ON e.id = c.episode_id WHERE e.feed_id = ?
                   ORDER BY c.episode_id, c.position""",
                (feed_id,),
            )
        else:
            rows, chapter_rows = [], []
            for chunk in chunks(list(episode_ids)):
                rows += await self.fetchall(
                    f"""SELECT id, feed_id, title, notes_text FROM episodes
                        WHERE id IN ({placeholders(len(chunk))})""",
                    chunk,
                )
                chapter_rows += await self.fetchall(
                    f"""SELECT episode_id, title FROM chapters
                        WHERE episode_id IN ({placeholders(len(chunk))})
                        ORDER BY episode_id, position""",
                    chunk,
                )
        chapters: dict[int, list[str]] = defaultdict(list)
        for row in chapter_rows:
            chapters[row[0]].append(row[1])
        return [Document(row[0], row[1], row[2], chapters.get(row[0], []), row[3]) for row in rows]

    async def feed_names(self, feed_id: int) -> list[str]:
        """The feed's title and its hosts' names (never distinctive in its episodes)."""
        rows = await self.fetchall(
            """SELECT title FROM feeds WHERE id = ?
               UNION SELECT DISTINCT p.name FROM episode_persons ep
               JOIN persons p ON p.id = ep.person_id JOIN episodes e ON e.id = ep.episode_id
               WHERE e.feed_id = ? AND ep.role = 'host'""",
            (feed_id, feed_id),
        )
        return [row[0] for row in rows if row[0]]

    async def credited_names(self) -> list[str]:
        """The names of everyone the catalogue credits (hosts, guests, ...), each once."""
        rows = await self.fetchall(
            """SELECT p.name FROM persons p
               WHERE EXISTS (SELECT 1 FROM episode_persons ep WHERE ep.person_id = p.id)"""
        )
        return list(dict.fromkeys(row[0] for row in rows if row[0]))

    async def feed_terms(self, feed_id: int, terms: Iterable[str] | None = None) -> FeedTerms:
        """A feed's document frequencies: all of them, or those of `terms`."""
        count_row = await self.fetchone(
            "SELECT df FROM related_df WHERE feed_id = ? AND term = ''", (feed_id,)
        )
        df: dict[str, int] = {}
        if terms is None:
            rows = await self.fetchall(
                "SELECT term, df FROM related_df WHERE feed_id = ? AND term != ''", (feed_id,)
            )
            df = {row[0]: row[1] for row in rows}
        else:
            for chunk in chunks(sorted(set(terms))):
                rows = await self.fetchall(
                    f"""SELECT term, df FROM related_df
                        WHERE feed_id = ? AND term IN ({placeholders(len(chunk))})""",
                    [feed_id, *chunk],
                )
                df.update((row[0], row[1]) for row in rows)
        return FeedTerms(count_row[0] if count_row else 0, df)

    async def signature_postings(
        self, terms: Iterable[str], *, exclude_feed: int | None = None
    ) -> tuple[dict[str, list[tuple[int, float, str]]], dict[int, int]]:
        """Every stored signature entry of these terms: term -> (episode, weight, form),
        and the feed of each episode seen."""
        postings: dict[str, list[tuple[int, float, str]]] = defaultdict(list)
        feed_of: dict[int, int] = {}
        for chunk in chunks(sorted(set(terms))):
            rows = await self.fetchall(
                f"""SELECT t.term, t.episode_id, t.weight, t.form, e.feed_id
                    FROM related_terms t JOIN episodes e ON e.id = t.episode_id
                    WHERE t.term IN ({placeholders(len(chunk))}) AND e.feed_id IS NOT ?""",
                [*chunk, exclude_feed],
            )
            for term, episode_id, weight, form, feed_id in rows:
                postings[term].append((episode_id, weight, form))
                feed_of[episode_id] = feed_id
        return postings, feed_of

    async def signatures_of(self, episode_ids: Sequence[int]) -> dict[int, Signature]:
        found: dict[int, Signature] = {e: {} for e in episode_ids}
        for chunk in chunks(list(episode_ids)):
            rows = await self.fetchall(
                f"""SELECT episode_id, term, weight, form FROM related_terms
                    WHERE episode_id IN ({placeholders(len(chunk))})""",
                chunk,
            )
            for episode_id, term, weight, form in rows:
                found[episode_id][term] = SignatureTerm(weight, form)
        return found

    async def guests_of(
        self, episode_ids: Sequence[int]
    ) -> tuple[dict[int, list[tuple[int, str]]], dict[int, list[tuple[int, int]]]]:
        """The guests of these episodes — people credited other than as host, never a
        host anywhere, and not on so many of a feed's episodes that they say nothing
        (`is_boilerplate`, as a term) — and every episode (with its feed) each of them is a
        guest on."""
        guests: dict[int, list[tuple[int, str]]] = defaultdict(list)
        people: set[int] = set()
        for chunk in chunks(list(episode_ids)):
            rows = await self.fetchall(
                f"""SELECT DISTINCT ep.episode_id, p.id, p.name FROM episode_persons ep
                    JOIN persons p ON p.id = ep.person_id
                    WHERE ep.episode_id IN ({placeholders(len(chunk))}) AND ep.role != 'host'
                      AND NOT EXISTS (SELECT 1 FROM episode_persons h
                                      WHERE h.person_id = ep.person_id AND h.role = 'host')""",
                chunk,
            )
            for episode_id, person_id, name in rows:
                guests[episode_id].append((person_id, name))
                people.add(person_id)
        episodes_of: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for chunk in chunks(sorted(people)):
            rows = await self.fetchall(
                f"""SELECT DISTINCT ep.person_id, ep.episode_id, e.feed_id
                    FROM episode_persons ep JOIN episodes e ON e.id = ep.episode_id
                    WHERE ep.person_id IN ({placeholders(len(chunk))}) AND ep.role != 'host'""",
                chunk,
            )
            for person_id, episode_id, feed_id in rows:
                episodes_of[person_id].append((episode_id, feed_id))
        sizes = {
            row[0]: row[1]
            for row in await self.fetchall("SELECT feed_id, count(*) FROM episodes GROUP BY 1")
        }
        everywhere = set()
        for person_id, credits in episodes_of.items():
            per_feed: dict[int, int] = defaultdict(int)
            for _, feed_id in credits:
                per_feed[feed_id] += 1
            if any(is_boilerplate(n, sizes.get(f, 0)) for f, n in per_feed.items()):
                everywhere.add(person_id)
        for episode_id in list(guests):
            guests[episode_id] = [g for g in guests[episode_id] if g[0] not in everywhere]
        return dict(guests), {p: e for p, e in episodes_of.items() if p not in everywhere}

    async def related_lists(self, episode_ids: Iterable[int]) -> dict[int, list[RelatedRow]]:
        found: dict[int, list[RelatedRow]] = defaultdict(list)
        for chunk in chunks(sorted(set(episode_ids))):
            rows = await self.fetchall(
                f"""SELECT episode_id, related_id, same_feed, score, shared_people, shared_terms
                    FROM related_episodes WHERE episode_id IN ({placeholders(len(chunk))})""",
                chunk,
            )
            for row in rows:
                found[row[0]].append(
                    RelatedRow(
                        row[0],
                        row[1],
                        bool(row[2]),
                        row[3],
                        tuple(json.loads(row[4])),
                        tuple(json.loads(row[5])),
                    )
                )
        return found

    async def lists_containing(self, episode_ids: Iterable[int]) -> set[int]:
        """Episodes whose related list holds one of these."""
        found: set[int] = set()
        for chunk in chunks(sorted(set(episode_ids))):
            rows = await self.fetchall(
                f"""SELECT DISTINCT episode_id FROM related_episodes
                    WHERE related_id IN ({placeholders(len(chunk))})""",
                chunk,
            )
            found.update(row[0] for row in rows)
        return found

    async def save_related(
        self,
        *,
        feed_id: int,
        df_changes: dict[str, int] | None = None,
        df_replace: FeedTerms | None = None,
        signatures: dict[int, Signature],
        lists: dict[int, list[RelatedRow]],
    ) -> None:
        """Write one refresh in one transaction: the feed's document frequencies (changed
        by deltas, or replaced), the new signatures, and the replaced related lists."""
        async with self.transaction() as db:
            if df_replace is not None:
                await db.execute("DELETE FROM related_df WHERE feed_id = ?", (feed_id,))
                await db.executemany(
                    "INSERT INTO related_df (feed_id, term, df) VALUES (?, ?, ?)",
                    [(feed_id, "", df_replace.episodes)]
                    + [(feed_id, term, n) for term, n in df_replace.df.items()],
                )
            if df_changes:
                await db.executemany(
                    """INSERT INTO related_df (feed_id, term, df) VALUES (?, ?, ?)
                       ON CONFLICT (feed_id, term) DO UPDATE SET df = df + excluded.df""",
                    [(feed_id, term, delta) for term, delta in df_changes.items()],
                )
                await db.execute(
                    "DELETE FROM related_df WHERE feed_id = ? AND term != '' AND df <= 0",
                    (feed_id,),
                )
            ids = [(episode_id,) for episode_id in signatures]
            await db.executemany("DELETE FROM related_terms WHERE episode_id = ?", ids)
            await db.executemany(
                "INSERT INTO related_terms (episode_id, term, weight, form) VALUES (?, ?, ?, ?)",
                [
                    (episode_id, term, entry.weight, entry.form)
                    for episode_id, terms in signatures.items()
                    for term, entry in terms.items()
                ],
            )
            await db.executemany(
                "DELETE FROM related_episodes WHERE episode_id = ?", [(e,) for e in lists]
            )
            await db.executemany(
                """INSERT OR REPLACE INTO related_episodes (episode_id, related_id, same_feed,
                       score, shared_people, shared_terms) VALUES (?, ?, ?, ?, ?, ?)""",
                [
                    (
                        row.episode_id,
                        row.related_id,
                        int(row.same_feed),
                        row.score,
                        json.dumps(list(row.shared_people), ensure_ascii=False),
                        json.dumps(list(row.shared_terms), ensure_ascii=False),
                    )
                    for rows in lists.values()
                    for row in rows
                ],
            )

    # ------------------------------------------------------------------ lookup rows

    async def lookup_generation(self) -> int:
        """The catalogue's generation: it changes whenever autocomplete's data does."""
        row = await self.fetchone("SELECT generation FROM lookup_generation WHERE id = 1")
        return row[0] if row else 0

    async def vocabulary_generation(self) -> tuple[int, int]:
        """What the searched indexes' vocabulary is as of: the catalogue's generation and
        the newest transcript passage (transcripts are synced apart from imports and
        change no generation; a re-synced one gets new ids)."""
        row = await self.fetchone(
            """SELECT (SELECT generation FROM lookup_generation WHERE id = 1),
                      (SELECT max(id) FROM transcript_passages)"""
        )
        return (row[0] or 0, row[1] or 0) if row else (0, 0)

    async def lookup_rows(self) -> LookupRows:
        """What the autocomplete index is built from (`bot.search.lookup_cache`)."""
        episodes = await self.fetchall(
            """SELECT id, feed_id, number, season, title, published_at, episode_type
               FROM episodes"""
        )
        credits = await self.fetchall(
            """SELECT ep.episode_id, ep.person_id, p.name, ep.role FROM episode_persons ep
               JOIN persons p ON p.id = ep.person_id"""
        )
        feeds = await self.fetchall("SELECT id, title FROM feeds")
        hrefs = await self.fetchall("SELECT id, href FROM persons WHERE href IS NOT NULL")
        return LookupRows(
            episodes=[tuple(row) for row in episodes],
            credits=[tuple(row) for row in credits],
            feed_titles={row[0]: row[1] for row in feeds},
            hrefs={row[0]: row[1] for row in hrefs},
        )


# The parameters of marking: highlight markers, and what FTS5 marks itself (see LONG_TEXT).
_HIGHLIGHT = {"hs": HIGHLIGHT_START, "he": HIGHLIGHT_END, "long": LONG_TEXT, "scan": SNIPPET_SCAN}

_SUMMARY_JOIN = "JOIN episodes e ON e.id = {episode} JOIN feeds f ON f.id = e.feed_id"


def _marked(table: str, ranked: str, column: str) -> str:
    """The highlighted text (`text`) of the rows of CTE `ranked` (id, ...), read in one
    walk down the index over their rowid range: asking FTS5 for each row by rowid is a
    seek per row (~40 µs), the walk costs about a microsecond per match in the range. The
    `+` keeps SQLite from turning the IN into such seeks. A text longer than LONG_TEXT is
    not highlighted here: its first LONG_TEXT characters are `long_text`."""
    value = f"{table}.{column}"
    return f"""SELECT {table}.rowid AS id,
        CASE WHEN length({value}) <= :long THEN highlight({table}, 0, :hs, :he) END AS text,
        CASE WHEN length({value}) > :long THEN substr({value}, 1, :long) END AS long_text
        FROM {table}
        WHERE {table} MATCH :q
          AND {table}.rowid BETWEEN (SELECT min(id) FROM {ranked})
                                AND (SELECT max(id) FROM {ranked})
          AND +{table}.rowid IN (SELECT id FROM {ranked})"""


# The episodes of a statement with their notes snippet and highlighted title: needs a CTE
# `episode_ranked` (id, rank_score). Notes or a title longer than LONG_TEXT are left to
# LongTextMarker: `long_text` (one character past SNIPPET_SCAN tells that there is more)
# and `long_title`.
_EPISODE_MARKED = f"""
    SELECT episodes_fts.rowid AS id,
           CASE WHEN length(episodes_fts.notes_text) <= :long
                THEN snippet(episodes_fts, 1, :hs, :he, '…', {SNIPPET_TOKENS}) END AS text,
           CASE WHEN length(episodes_fts.title) <= :long
                THEN highlight(episodes_fts, 0, :hs, :he) END AS title_text,
           CASE WHEN length(episodes_fts.notes_text) > :long
                THEN substr(episodes_fts.notes_text, 1, :scan + 1) END AS long_text,
           CASE WHEN length(episodes_fts.title) > :long
                THEN substr(episodes_fts.title, 1, :long) END AS long_title
    FROM episodes_fts
    WHERE episodes_fts MATCH :q
      AND episodes_fts.rowid BETWEEN (SELECT min(id) FROM episode_ranked)
                                 AND (SELECT max(id) FROM episode_ranked)
      AND +episodes_fts.rowid IN (SELECT id FROM episode_ranked)"""
# The episode arm of a statement: needs `episode_ranked` and `episode_marked`.
_EPISODE_ARM = f"""
    SELECT 'episode' AS kind, NULL AS start, r.rank_score, m.text, m.title_text,
           m.long_text, m.long_title, {_SUMMARY_COLUMNS}
    FROM episode_ranked r JOIN episode_marked m ON m.id = r.id
    {_SUMMARY_JOIN.format(episode="r.id")}"""


def _episodes_ranked(
    scope: Scope, episode_id: int | None, exclude: Sequence[int]
) -> tuple[str, dict[str, Any]]:
    """(id, rank_score) of the best `:limit` episodes for `:q`: bm25 over title and notes
    (capped, see `_ranked`), together with the matches of the titles' own index (short
    documents, cheap), so that an old episode with the word in its title is found even
    when the word is so common that only the newest matches are ranked."""
    bm25 = f"bm25(episodes_fts, {TITLE_WEIGHT}, {NOTES_WEIGHT})"
    ranked, params = _ranked("episodes_fts", bm25, _EPISODE_JOIN, "e.id", scope, episode_id)
    titles, _ = _ranked(
        "episode_titles_fts",
        f"bm25(episode_titles_fts) * {TITLE_WEIGHT}",
        _EPISODE_JOIN,
        "e.id",
        scope,
        episode_id,
    )
    excluded = ", ".join(str(int(e)) for e in exclude)
    return (
        f"""SELECT id, min(rank_score) AS rank_score FROM (
                SELECT * FROM ({ranked} ORDER BY rank_score LIMIT :limit)
                UNION ALL
                SELECT * FROM ({titles} ORDER BY rank_score LIMIT :limit))
            WHERE id NOT IN ({excluded})
            GROUP BY id ORDER BY rank_score LIMIT :limit""",
        params,
    )


def _hit(row: aiosqlite.Row, text: str | None = None, title: str | None = None) -> FtsHit:
    """The hit of a row; `text` and `title` replace its own (marked by LongTextMarker)."""
    kind = row["kind"]
    text = text if text is not None else (row["text"] or "")
    title = title if title is not None else (row["title_text"] or "")
    if kind == "episode" and HIGHLIGHT_START not in text:
        text = title  # only the title matched: show it highlighted
    return FtsHit(
        row["id"],
        row["start"],
        text,
        -row["rank_score"],
        kind,
        in_title=HIGHLIGHT_START in title,
        summary=summary_from_row(row),
    )


# How a match reaches its episode, when a scope or one episode must be checked.
_CHAPTER_JOIN = "JOIN chapters c ON c.id = x.rowid JOIN episodes e ON e.id = c.episode_id"
_PASSAGE_JOIN = "JOIN passages p ON p.id = x.rowid JOIN episodes e ON e.id = p.episode_id"
_EPISODE_JOIN = "JOIN episodes e ON e.id = x.rowid"


def _ranked(
    table: str,
    bm25: str,
    join: str,
    episode_column: str,
    scope: Scope,
    episode_id: int | None,
    *,
    query: str = ":q",
    columns: str = "",
    unscoped_join: str = "",
) -> tuple[str, dict[str, Any]]:
    """A SELECT of (id, rank_score) for the matches of `query` in `table`, at most
    RANK_CAP of them ranked: the newest (highest rowids), found by an unranked walk down
    the index, which is cheap. Joins to the episode only when a scope or an episode must
    be checked (a join per matching row costs as much as ranking it)."""
    params: dict[str, Any] = {"cap": RANK_CAP - 1}
    where = ""
    if episode_id is not None:
        where = f" AND {episode_column} = :episode"
        params["episode"] = episode_id
    else:
        where, feeds = scope.named_sql("e.feed_id")
        params.update(feeds)
    source = f"{table} x {join}" if where else f"{table} x"
    extra = f", {columns}" if columns else ""
    cutoff = (
        f"coalesce((SELECT x.rowid FROM {source} WHERE {table} MATCH {query}{where} "
        f"ORDER BY x.rowid DESC LIMIT 1 OFFSET :cap), 0)"
    )
    if not where and unscoped_join:
        source = f"{table} x {unscoped_join}"
    return (
        f"SELECT x.rowid AS id, {bm25} AS rank_score{extra} FROM {source} "
        f"WHERE {table} MATCH {query}{where} AND x.rowid >= {cutoff}",
        params,
    )


class LongTextMarker:
    """Highlights and snippets of texts too long for FTS5 to mark cheaply (see LONG_TEXT),
    at a bounded cost: in a private in-memory FTS5 table with the store's tokenizer, on a
    worker thread. A snippet comes from the first SNIPPET_SCAN characters, cut into
    overlapping pieces of _PIECE characters: the piece that matches best (bm25, the first
    of equals) is snippeted. A highlight covers the text it is given (the first LONG_TEXT
    characters) and ends with "…"; a text that does not match there comes back unmarked
    (a snippet: empty)."""

    def __init__(self) -> None:
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # one marking at a time on the connection

    async def mark(
        self, expression: str, snippets: Mapping[Hashable, str], highlights: Mapping[Hashable, str]
    ) -> dict[Hashable, str]:
        """The snippets and highlights of these texts for an FTS5 expression, by key."""
        return await asyncio.to_thread(self._mark, expression, snippets, highlights)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _mark(
        self, expression: str, snippets: Mapping[Hashable, str], highlights: Mapping[Hashable, str]
    ) -> dict[Hashable, str]:
        keys: list[Hashable] = []
        rows: list[tuple[int, str]] = []
        pieces_of: list[int] = []  # per snippeted text: its number of pieces
        more: list[bool] = []  # per snippeted text: whether it goes on past the scan
        for key, text in snippets.items():
            pieces = _pieces(text[:SNIPPET_SCAN])
            rows += [(len(keys) << 10 | n, piece) for n, piece in enumerate(pieces)]
            keys.append(key)
            pieces_of.append(len(pieces))
            more.append(len(text) > SNIPPET_SCAN)
        first_highlight = len(keys)
        for key, text in highlights.items():
            rows.append((len(keys) << 10, text))
            keys.append(key)
        found: dict[Hashable, str] = {key: "" for key in snippets}
        found.update((key, text + "…") for key, text in highlights.items())
        with self._lock:
            db = self._connection()
            db.execute("DELETE FROM marking")
            db.executemany("INSERT INTO marking (rowid, text) VALUES (?, ?)", rows)
            # The best piece of each snippeted text: the most and rarest matches (bm25).
            for rowid, text in db.execute(
                f"""SELECT rowid, snippet(marking, 0, ?, ?, '…', {SNIPPET_TOKENS})
                    FROM marking
                    WHERE marking MATCH ? AND rowid IN (
                        SELECT id FROM (
                            SELECT rowid AS id, row_number() OVER (
                                PARTITION BY rowid >> 10 ORDER BY bm25(marking), rowid) AS n
                            FROM marking WHERE marking MATCH ? AND rowid < ?)
                        WHERE n = 1)""",
                (HIGHLIGHT_START, HIGHLIGHT_END, expression, expression, first_highlight << 10),
            ):
                index, piece = rowid >> 10, rowid & 1023
                if piece > 0 and not text.startswith("…"):
                    text = "…" + text
                if (piece < pieces_of[index] - 1 or more[index]) and not text.endswith("…"):
                    text += "…"
                found[keys[index]] = text
            for rowid, text in db.execute(
                """SELECT rowid, highlight(marking, 0, ?, ?) FROM marking
                   WHERE marking MATCH ? AND rowid >= ?""",
                (HIGHLIGHT_START, HIGHLIGHT_END, expression, first_highlight << 10),
            ):
                found[keys[rowid >> 10]] = text + "…"
            db.execute("DELETE FROM marking")
        return found

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            # Used from the worker threads of asyncio.to_thread, one at a time (the lock).
            self._conn = sqlite3.connect(":memory:", check_same_thread=False)
            self._conn.execute(
                f"CREATE VIRTUAL TABLE marking USING fts5 (text, tokenize = '{_TOKENIZER}')"
            )
        return self._conn


def _pieces(text: str) -> list[str]:
    """`text` in pieces of at most _PIECE characters, cut at spaces where there are some,
    each starting _PIECE_OVERLAP characters (or so) before the end of the one before."""
    pieces = []
    start = 0
    while True:
        end = start + _PIECE
        if end >= len(text):
            pieces.append(text[start:])
            return pieces
        cut = text.rfind(" ", start + _PIECE // 2, end)
        end = cut if cut > 0 else end
        pieces.append(text[start:end])
        start = end - _PIECE_OVERLAP
        space = text.find(" ", start, end)
        start = space + 1 if space >= 0 else start
