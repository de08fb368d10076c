"""How many results an answer has in all, so that a list capped at 25 says "top 25 of 475"."""

from __future__ import annotations

from bot.store.base import StoreBase


class ResultCountStore(StoreBase):
    """Counts of matches, read with the same scope as the lists they cap."""
