"""How many results an answer has in all, so that a list capped at 25 says "top 25 of 475"."""

from __future__ import annotations

from bot.store.base import QueryTooSlow, StoreBase
from bot.store.episode_reads import Scope


class ResultCountStore(StoreBase):
    """Counts of matches, read with the same scope as the lists they cap."""

    async def count_search_matches(self, expression: str, scope: Scope) -> int | None:
        """How many episodes of `scope` /search finds for the FTS5 `expression`: those
        whose title or notes match, or one of whose chapter titles does (the two indexes
        /search ranks). None when counting ran past the search budget."""
        where, params = scope.sql("e.feed_id")
        try:
            row = await self.fetchone(
                f"""SELECT count(*) FROM (
                        SELECT x.rowid FROM episodes_fts x JOIN episodes e ON e.id = x.rowid
                        WHERE episodes_fts MATCH ?{where}
                        UNION
                        SELECT c.episode_id FROM chapters_fts x
                        JOIN chapters c ON c.id = x.rowid JOIN episodes e ON e.id = c.episode_id
                        WHERE chapters_fts MATCH ?{where})""",
                [expression, *params, expression, *params],
                budget=self.search_budget,
            )
        except QueryTooSlow:
            return None
        return int(row[0]) if row is not None else 0
