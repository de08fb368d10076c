"""The background job that embeds what has no vector yet: new transcripts, new episodes'
chapters and notes passages, and at first everything already stored.

Incremental and resumable: the store says which episodes have rows without a vector
(`Store.episodes_to_embed`), so a restart carries on where the last run stopped. Work goes
in bounded batches (`EPISODES_PER_BATCH` episodes, each written in one transaction), the
embedding itself in a worker thread, so the bot keeps answering meanwhile. A pass runs at
start (looking at every passage once) and every `IDLE_SECONDS` after (a cheap check).

When the model (or how texts are put together, `RECIPE`) differs from the one the stored
vectors were made with, they are all dropped and made again.

Several processes on one store (SHARD_IDS): the one holding the lease "embedder" works,
the others only answer.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid

from bot.semantic.embedder import CONTEXT_WEIGHT, Embedder, to_bytes
from bot.store import Store
from bot.store.embedding_rows import SOURCE_TRANSCRIPT, TextToEmbed
from bot.store.lease_rows import EMBEDDER_LEASE

log = logging.getLogger(__name__)

EPISODES_PER_BATCH = 8  # a 1-hour transcript is ~600 passages: a few thousand texts a batch
IDLE_SECONDS = 60.0  # between passes, once nothing is left
LEASE_TTL = 300  # seconds; renewed every batch
# How texts are put together for a model: a change here re-embeds like a new model.
RECIPE = f"neighbours={CONTEXT_WEIGHT}"


def model_key(embedder: Embedder) -> str:
    """What the stored vectors are of: the model, its size, and the recipe."""
    return f"{embedder.name}|{embedder.dims}|{RECIPE}"


class EmbeddingBacklog:
    """Embeds the store's rows that have no vector, in the background (`start`/`close`)
    or a pass at a time (`run_pass`, for tests and `episode-bot`)."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        *,
        idle_seconds: float = IDLE_SECONDS,
        episodes_per_batch: int = EPISODES_PER_BATCH,
    ):
        self._store = store
        self._embedder = embedder
        self.idle_seconds = idle_seconds
        self.episodes_per_batch = episodes_per_batch
        self._holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._task: asyncio.Task[None] | None = None
        self._prepared = False

    async def prepare(self) -> None:
        """Drop the stored vectors if another model (or recipe) made them."""
        if self._prepared:
            return
        key = model_key(self._embedder)
        if await self._store.use_embedding_model(key):
            log.info("the embedding model changed (now %s): every passage is embedded again", key)
        self._prepared = True

    async def run_pass(self, *, thorough: bool = False) -> int:
        """Embed everything that has no vector now; how many vectors were stored.
        `thorough`: look at every transcript passage (once per start is enough)."""
        await self.prepare()
        episodes = await self._store.episodes_to_embed(1_000_000, thorough=thorough)
        stored = 0
        started = time.monotonic()
        for first in range(0, len(episodes), self.episodes_per_batch):
            if not await self._leading():
                break
            stored += await self.embed_episodes(episodes[first : first + self.episodes_per_batch])
        if stored:
            log.info(
                "embedded %d passages and titles of %d episodes in %.1f s",
                stored,
                len(episodes),
                time.monotonic() - started,
            )
        return stored

    async def embed_episodes(self, episode_ids: list[int]) -> int:
        """Embed these episodes' rows that have no vector; how many were stored."""
        texts = await self._store.texts_to_embed(episode_ids)
        if not texts:
            return 0
        vectors = await asyncio.to_thread(self._vectors, texts)
        rows = [
            (t.source, t.source_id, t.episode_id, v) for t, v in zip(texts, vectors, strict=True)
        ]
        return await self._store.save_embeddings(rows)

    def _vectors(self, texts: list[TextToEmbed]) -> list[bytes]:
        """The vectors of `texts` as stored bytes, in order (runs in a worker thread)."""
        spoken = [t for t in texts if t.source == SOURCE_TRANSCRIPT]
        other = [t for t in texts if t.source != SOURCE_TRANSCRIPT]
        by_row: dict[tuple[int, int], bytes] = {}
        if spoken:
            vectors = self._embedder.embed_in_context(
                [t.text for t in spoken], [t.before for t in spoken], [t.after for t in spoken]
            )
            by_row.update(
                zip([(t.source, t.source_id) for t in spoken], to_bytes(vectors), strict=True)
            )
        if other:
            vectors = self._embedder.embed([t.text for t in other])
            by_row.update(
                zip([(t.source, t.source_id) for t in other], to_bytes(vectors), strict=True)
            )
        return [by_row[(t.source, t.source_id)] for t in texts]

    async def _leading(self) -> bool:
        try:
            return await self._store.try_acquire(
                EMBEDDER_LEASE, self._holder, int(time.time()), LEASE_TTL
            )
        except Exception:
            log.exception("taking the embedder lease failed")
            return False

    # ------------------------------------------------------------------ background

    def start(self) -> None:
        """Run passes in the background until `close`."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="embedding-backlog")

    async def _run(self) -> None:
        thorough = True
        while True:
            try:
                await self.run_pass(thorough=thorough)
                thorough = False
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("embedding the backlog failed; trying again in a while")
            await asyncio.sleep(self.idle_seconds)

    async def close(self) -> None:
        """Stop the background passes (a batch in flight is dropped, not half written:
        each batch is one transaction) and give the lease up."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task})
            self._task = None
        try:
            await self._store.release(EMBEDDER_LEASE, self._holder)
        except Exception:
            log.exception("releasing the embedder lease failed")
