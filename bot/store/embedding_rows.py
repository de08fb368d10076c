"""Passage embeddings of the semantic layer (issue 12): vectors kept beside the passages."""

from __future__ import annotations

from bot.store.base import StoreBase


class EmbeddingStore(StoreBase):
    """Vectors of passages, chapter titles and notes sentences, for /when's meaning layer."""
