"""Where a topic comes up in the transcripts: a member's topic as typed, made into the
moments query's FTS5 expressions (bot/search/fts_query.py) and run by the store
(`TranscriptStore.topic_moments`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.models.episode_views import HIGHLIGHT_END, HIGHLIGHT_START
from bot.search.fts_query import fts_all, fts_any, fts_near, topic_terms

if TYPE_CHECKING:
    from bot.store.transcript_rows import TranscriptMoment, TranscriptStore


async def transcript_moments(
    store: TranscriptStore,
    topic: str,
    *,
    guild_id: int | None,
    episode_id: int | None = None,
    limit: int = 10,
    per_episode: int = 2,
    marks: tuple[str, str] = (HIGHLIGHT_START, HIGHLIGHT_END),
) -> list[TranscriptMoment]:
    """Where the topic comes up in the transcripts a guild can see, best first.

    `topic` is what the member typed (never FTS syntax). With `episode_id`, only that
    episode (and up to `limit` moments from it); otherwise at most `per_episode` moments
    from each of the best episodes. Hits within a minute of a better one in the same
    episode collapse into it. [] when the topic is only stopwords.
    """
    terms = topic_terms(topic)
    if not terms or limit <= 0:
        return []
    if len(terms) > 1:
        # Episodes: the words close together first, then anywhere in the episode.
        # Passages: any of the words, in one pass; the score puts passages with all of
        # them, and with them side by side, first (two passes cost twice the seeks).
        episode_queries = [fts_near(terms), fts_all(terms)]
        passage_queries = [fts_any(terms)]
    else:
        episode_queries = passage_queries = [fts_all(terms)]
    return await store.topic_moments(
        episode_queries,
        passage_queries,
        len(terms),
        guild_id=guild_id,
        episode_id=episode_id,
        limit=limit,
        per_episode=per_episode,
        marks=marks,
    )
