"""The moments nearest a topic in meaning: the stored vectors of a guild's feeds.

Two steps, so that millions of passages cost milliseconds: the in-memory prefilter
(bot/semantic/vector_index.py: sign codes, then a sketch of each vector) picks `PREFILTER`
candidates, then their stored vectors are read and scored exactly (cosine), and the
nearest checked for how much of the topic's
words they cover. Only those at `FLOOR` or above count: under it, a passage shares at
most a loose theme or one word with the topic, and an absent topic answers nothing.

The index loads what the store holds on first use (in the background past `LOAD_WAIT`:
a /when meanwhile searches words only), then before each search what was written since
(one indexed read of the newest id).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import numpy as np

from bot.common.plain_text import truncate
from bot.models.episode_views import EpisodeSummary
from bot.semantic.embedder import Embedder, from_bytes
from bot.semantic.vector_index import VectorIndex
from bot.store import Store
from bot.store.embedding_rows import EmbeddedMoment, StoredVector
from bot.store.episode_reads import Scope

log = logging.getLogger(__name__)

# A moment is about the topic when the geometric mean of its cosine and its coverage of
# the topic's words (Embedder.coverage) is at least FLOOR (all-MiniLM-L6-v2 distilled to a
# static model, 256 dimensions: bench/bench_relevance.py --semantic; every negative of the
# set scores under it). Only the CANDIDATES nearest with a cosine of COSINE_FLOOR or more
# are looked at that closely.
SURE = 0.64
FLOOR = 0.5  # under SURE: shown as a closest match in meaning (tier "related"), if at all
COSINE_FLOOR = 0.4
CANDIDATES = 40  # (or /when's limit, if more): cost ~0.1 ms each, quality flat from 20 up
COVERAGE_SHARE = 0.5  # the score is cosine^(1 - share) * coverage^share
PREFILTER = 150  # candidates scored exactly, of the in-memory prefilter's
LOAD_BATCH = 20_000  # vectors read per statement when loading the index
LOAD_WAIT = 1.5  # seconds a /when waits for the index's first load before going without
NEARBY = 60.0  # seconds: two moments of one episode this close are one
QUOTE_WIDTH = 220  # characters of a moment's text (bot/store/transcript_rows.QUOTE_WIDTH)
_THREAD_FROM = 50_000  # rows: a scan this large runs in a worker thread


@dataclass(frozen=True, slots=True)
class NearMoment:
    """A moment found by meaning: what it is, where, and how near (cosine)."""

    episode: EpisodeSummary
    moment: EmbeddedMoment
    cosine: float  # of the topic's vector and the moment's
    score: float  # what ranks them: cosine and coverage of the topic's words together
    sure: bool = True  # score at SURE or above: about the topic, not only near it

    @property
    def text(self) -> str:
        return truncate(" ".join(self.moment.text.split()), QUOTE_WIDTH)


class SemanticSearch:
    """Nearest moments over the stored vectors, with the in-memory index kept current."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        *,
        floor: float = FLOOR,
        sure: float = SURE,
        prefilter: int = PREFILTER,
        load_wait: float = LOAD_WAIT,
    ):
        self._store = store
        self.embedder = embedder
        self.floor = floor
        self.sure = sure
        self.prefilter = prefilter
        self.load_wait = load_wait
        self.index = VectorIndex(embedder.dims)
        self._lock = asyncio.Lock()
        self._loading: asyncio.Task[None] | None = None
        self._stale = False

    async def refresh(self) -> None:
        """Load the vectors written since the last call (all of them the first time)."""
        async with self._lock:
            last = await self._store.last_embedding_id()
            if last < self.index.loaded_upto or self._stale:
                # Vectors were dropped (another model) or many are gone: start again.
                self.index.reset()
                self._stale = False
            while self.index.loaded_upto < last:
                rows = await self._store.vectors_after(self.index.loaded_upto, LOAD_BATCH)
                if not rows:
                    break
                if len(rows) >= 1000:
                    await asyncio.to_thread(self.index.add, rows)
                else:
                    self.index.add(rows)

    async def ready(self) -> bool:
        """Bring the index up to date; False when its first load is still running after
        `load_wait` (it goes on in the background) or the load failed."""
        if self._loading is None or self._loading.done():
            if _failure(self._loading) is not None:
                log.error("loading the semantic index failed", exc_info=_failure(self._loading))
            self._loading = asyncio.create_task(self.refresh(), name="semantic-index")
        done, _ = await asyncio.wait({self._loading}, timeout=self.load_wait)
        return bool(done) and not self._loading.cancelled() and _failure(self._loading) is None

    async def close(self) -> None:
        if self._loading is not None and not self._loading.done():
            self._loading.cancel()
            await asyncio.wait({self._loading})

    async def nearest(
        self, topic: str, *, guild_id: int | None, episode_id: int | None, count: int
    ) -> list[NearMoment]:
        """Up to `count` moments at `floor` or nearer the topic, nearest first, one per
        minute of an episode."""
        query = self.embedder.embed([topic])[0]
        if count <= 0 or not query.any() or not await self.ready():
            return []
        scope = await self._store.scope(guild_id)
        if episode_id is not None:
            # One episode: its few hundred vectors, all scored exactly.
            stored = await self._store.vectors_of_episode(episode_id)
        else:
            if self.index.size >= _THREAD_FROM:
                ids = await asyncio.to_thread(
                    self.index.nearest, query, self.prefilter, feeds=scope.filter
                )
            else:
                ids = self.index.nearest(query, self.prefilter, feeds=scope.filter)
            stored = await self._store.vectors_of(ids)
            if len(stored) < len(ids) // 2:
                self._stale = True  # half the candidates gone: reload at the next refresh
        return await self._moments(topic, query, stored, count, scope)

    async def _moments(
        self, topic: str, query: np.ndarray, stored: list[StoredVector], count: int, scope: Scope
    ) -> list[NearMoment]:
        if not stored:
            return []
        cosines = from_bytes([s.vector for s in stored], self.embedder.dims) @ query
        order = np.argsort(-cosines, kind="stable")
        nearest = [
            (stored[row], float(cosines[row]))
            for row in order[: max(CANDIDATES, count)]
            if cosines[row] >= COSINE_FLOOR
        ]
        found = await self._store.embedded_moments([(s.source, s.source_id) for s, _ in nearest])
        nearest = [(s, c) for s, c in nearest if (s.source, s.source_id) in found]
        covered = self.embedder.coverage(
            topic, [found[(s.source, s.source_id)].text for s, _ in nearest]
        )
        # Near as a whole, and covering the topic: a weighted geometric mean of the two.
        scored = [
            (vector, cosine, cosine ** (1 - COVERAGE_SHARE) * max(cover, 0.0) ** COVERAGE_SHARE)
            for (vector, cosine), cover in zip(nearest, covered, strict=True)
        ]
        scored = sorted((item for item in scored if item[2] >= self.floor), key=lambda i: -i[2])
        summaries = await self._store.episode_summaries(
            sorted({s.episode_id for s, _, _ in scored})
        )
        moments: list[NearMoment] = []
        for vector, cosine, score in scored:
            moment = found[(vector.source, vector.source_id)]
            summary = summaries.get(vector.episode_id)
            if summary is None or not scope.contains(summary.feed_id):
                continue
            if _near_one_of(moment, moments):
                continue
            moments.append(NearMoment(summary, moment, cosine, score, score >= self.sure))
            if len(moments) == count:
                break
        return moments


def _failure(task: asyncio.Task[None] | None) -> BaseException | None:
    if task is None or not task.done() or task.cancelled():
        return None
    return task.exception()


def _near_one_of(moment: EmbeddedMoment, chosen: list[NearMoment]) -> bool:
    """Whether a nearer moment of the same episode is within `NEARBY` seconds of it."""
    return any(
        other.moment.episode_id == moment.episode_id
        and (other.moment.start is None) == (moment.start is None)
        and (moment.start is None or abs((other.moment.start or 0) - moment.start) < NEARBY)
        for other in chosen
    )
