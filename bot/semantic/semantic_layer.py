"""The semantic layer as the bot wires it: the model named by EMBEDDING_MODEL, the
background backlog, and /when's second opinion (`fuse`, the Catalogue's MomentFusion).

The model is loaded in a worker thread, by `start()` (the bot, at setup, with the backlog)
or at the first /when (`episode-bot ask`); a hub name is downloaded by model2vec on first
use. If it cannot be loaded, one log line says why and /when stays lexical. While the
index's first load runs, /when answers with words only.
"""

from __future__ import annotations

import asyncio
import logging

from bot.models.episode_views import Moment
from bot.semantic.embedder import Embedder, EmbedderUnavailable
from bot.semantic.embedding_backlog import EmbeddingBacklog
from bot.semantic.semantic_fusion import fuse_moments
from bot.semantic.semantic_search import SemanticSearch
from bot.store import Store

log = logging.getLogger(__name__)


class SemanticLayer:
    """Meaning for /when, over one store and one model (a `MomentFusion`)."""

    def __init__(self, store: Store, model: str, *, background: bool = True):
        self._store = store
        self.model = model
        self.background = background  # run the backlog (the bot); not for one-off answers
        self.search: SemanticSearch | None = None
        self.backlog: EmbeddingBacklog | None = None
        self._loaded: asyncio.Task[bool] | None = None
        self._starting: asyncio.Task[bool] | None = None

    @classmethod
    def with_embedder(
        cls, store: Store, embedder: Embedder, *, background: bool = False
    ) -> SemanticLayer:
        """A layer over a model already loaded (tests, benchmarks)."""
        layer = cls(store, embedder.name, background=background)
        layer._use(embedder)
        return layer

    def _use(self, embedder: Embedder) -> None:
        self.search = SemanticSearch(self._store, embedder)
        self.backlog = EmbeddingBacklog(self._store, embedder)

    async def load(self) -> bool:
        """Load the model (once; a failure is logged once and stays a failure)."""
        if self.search is not None:
            return True
        if self._loaded is None:
            self._loaded = asyncio.create_task(self._load(), name="semantic-model")
        return await asyncio.shield(self._loaded)

    async def _load(self) -> bool:
        try:
            embedder = await asyncio.to_thread(Embedder.load, self.model)
        except EmbedderUnavailable as exc:
            log.warning("EMBEDDING_MODEL: %s; /when searches words only", exc)
            return False
        self._use(embedder)
        log.info("semantic layer on: %s (%d dimensions)", self.model, embedder.dims)
        return True

    async def start(self) -> bool:
        """Load the model and start the backlog (with `background`); False when the
        model cannot be loaded. Safe to call more than once."""
        if not await self.load():
            return False
        if self.background and self.backlog is not None:
            self.backlog.start()
        return True

    def start_soon(self) -> None:
        """`start` in the background: the bot logs in meanwhile (a first download of a
        hub model may take a while)."""
        if self._starting is None:
            self._starting = asyncio.create_task(self.start(), name="semantic-start")

    async def fuse(
        self,
        topic: str,
        lexical: list[Moment],
        *,
        guild_id: int | None,
        episode_id: int | None,
        limit: int,
    ) -> list[Moment]:
        """The lexical moments fused with those nearest in meaning (bot/semantic/
        semantic_fusion.py); the lexical ones alone while the layer is not ready."""
        if self.search is None:
            if self._loaded is not None and not self._loaded.done():
                return lexical  # still loading (the bot's start): no member waits for it
            if not await self.load():
                return lexical
        assert self.search is not None
        try:
            near = await self.search.nearest(
                topic, guild_id=guild_id, episode_id=episode_id, count=limit
            )
        except Exception:
            # Meaning is a second opinion: a failure here never costs the answer.
            log.exception("the semantic layer failed on %r; answering with words only", topic)
            return lexical
        return fuse_moments(lexical, near, limit)

    async def close(self) -> None:
        for task in (self._starting, self._loaded):
            if task is not None and not task.done():
                task.cancel()
                await asyncio.wait({task})
        if self.backlog is not None:
            await self.backlog.close()
        if self.search is not None:
            await self.search.close()
