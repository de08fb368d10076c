"""How many results a capped answer has in all, so that a list cut at 25 says "top 25 of
475" and never shows its own length as a total.

Counted with the same words, forms and guild scope as the list: the member's text parsed
as the catalogue parses it (bot/search/fts_query.py), widened by the same per-language
forms (bot/search/spelling.py), in the feeds the guild sees.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.models.episode_views import SearchHit
from bot.search.fts_query import SearchText
from bot.search.spelling import search_plans
from bot.store import Store


class ResultTotals:
    """Totals of matches for the answers that cap their lists."""

    def __init__(self, store: Store):
        self._store = store

    async def search_total(
        self, query: str, *, guild_id: int | None, hits: Sequence[SearchHit] = ()
    ) -> int | None:
        """How many episodes /search finds for `query` in the guild's scope; None when
        unknown (nothing to search, or counting ran past the store's search budget).

        `hits`: the capped list, whose match tier is counted: when every hit matched only
        some of the words (the last resort), the episodes with any of the words."""
        text = SearchText.parse(query)
        if not text.words:
            return None
        loose = bool(hits) and all(hit.match == "any" for hit in hits)
        scope = await self._store.scope(guild_id)
        total = 0
        # The parts of a scope are disjoint sets of feeds: their counts add up. The plans
        # are the list's own (each language's forms and stopwords, `search_plans`).
        for part, plan in await search_plans(self._store, query, scope):
            expression = plan.any if loose else plan.all
            if expression is None:
                continue
            found = await self._store.count_search_matches(expression, part)
            if found is None:
                return None
            total += found
        return total
