"""What the moment commands ask: the moment at a second, the moments a message quotes and
the episode it means, members' saved moments and a server's most-saved (cached)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.models.episode_views import ChapterEntry, EpisodeSummary
from bot.models.moment_views import MomentTally, MomentView, SavedMoment
from bot.moments.message_times import episode_references, times_in
from bot.moments.moment_time import check_within
from bot.search.catalogue import Catalogue
from bot.store import Store

TOP_CACHE_SECONDS = 60.0  # /top moments is this fresh at worst; a save refreshes it at once
LIKELY_EPISODES = 5


@dataclass(frozen=True, slots=True)
class MessageMoments:
    """What "Find moment" read in a message: its times, and the episode when it could tell
    (`how`: thread, text or reply), else the likely ones to choose from."""

    times: list[int]
    episode: EpisodeSummary | None = None
    how: str | None = None
    likely: list[EpisodeSummary] = field(default_factory=list)


class MomentService:
    """Moments over the store and the catalogue; pure of Discord."""

    def __init__(
        self, store: Store, catalogue: Catalogue, *, clock: Callable[[], float] = time.monotonic
    ):
        self._store = store
        self._catalogue = catalogue
        self._clock = clock
        self._top: dict[tuple[int | None, int | None], tuple[float, list[MomentTally]]] = {}

    async def episode(self, episode_id: int) -> EpisodeSummary | None:
        return (await self._store.episode_summaries([episode_id])).get(episode_id)

    async def episodes(self, ids: Sequence[int]) -> dict[int, EpisodeSummary]:
        return await self._store.episode_summaries(ids)

    async def moment(
        self, episode: EpisodeSummary, seconds: int, note: str | None = None
    ) -> MomentView:
        """The moment at `seconds` of `episode`; `MomentTimeError` past its end."""
        check_within(seconds, episode.duration)
        context = await self._store.moment_context(episode.id, seconds)
        return MomentView(episode, seconds, context, note=(note or "").strip() or None)

    async def chapter_starts(self, episode_id: int) -> list[ChapterEntry]:
        return await self._catalogue.chapters(episode_id)

    # ------------------------------------------------------------------ "Find moment"

    async def read_message(
        self,
        text: str,
        *,
        guild_id: int | None,
        channel_id: int | None,
        replied_text: str | None = None,
        thread_name: str | None = None,
    ) -> MessageMoments:
        """The times in `text` and the episode it is about: (a) the discussion thread it is
        in, (b) a reference in its text, (c) a reference in the message it replies to.
        Else the likely ones: the episodes the thread's name refers to ("ep 99", "#99";
        `thread_name`, a thread that is no episode's discussion), then those close to a
        reference that named none, then the latest."""
        times = times_in(text)
        if channel_id is not None:
            episode_id = await self._store.episode_of_thread(guild_id, channel_id)
            if episode_id is not None and (found := await self.episode(episode_id)):
                return MessageMoments(times, found, "thread")
        near: list[EpisodeSummary] = []  # close to a reference that named no episode
        for source, how in ((text, "text"), (replied_text or "", "reply")):
            for reference in episode_references(source):
                resolution = await self._catalogue.resolve_episode(reference, guild_id=guild_id)
                if resolution.episode is not None:
                    return MessageMoments(times, resolution.episode, how)
                near += resolution.closest
        named = await self._named_in(thread_name or "", guild_id)
        latest = await self._catalogue.latest(guild_id=guild_id, count=LIKELY_EPISODES)
        likely = list({e.id: e for e in [*named, *near, *latest]}.values())
        return MessageMoments(times, None, None, likely[: LIKELY_EPISODES * 2])

    async def _named_in(self, name: str, guild_id: int | None) -> list[EpisodeSummary]:
        """The episodes a thread's name refers to, in its order (at most `LIKELY_EPISODES`)."""
        named: list[EpisodeSummary] = []
        for reference in episode_references(name)[:LIKELY_EPISODES]:
            resolution = await self._catalogue.resolve_episode(reference, guild_id=guild_id)
            if resolution.episode is not None:
                named.append(resolution.episode)
        return named

    # ------------------------------------------------------------------ discussion threads

    async def discussion_thread(self, guild_id: int, episode_id: int) -> int | None:
        return await self._store.discussion_thread(guild_id, episode_id)

    async def register_thread(self, guild_id: int, episode_id: int, thread_id: int) -> int:
        """Register a newly opened thread (it replaces one that is gone); the thread id."""
        return await self._store.register_discussion_thread(
            guild_id, episode_id, thread_id, replace=True
        )

    async def announce_channel(self, guild_id: int) -> int | None:
        """Where this server's episodes are announced (threads open there), or None."""
        settings = await self._store.announce_settings(guild_id)
        if settings is None or not settings.enabled:
            return None
        return settings.channel_id

    # ------------------------------------------------------------------ saved moments

    async def save(
        self, guild_id: int | None, user_id: int, episode_id: int, seconds: int, note: str | None
    ) -> bool:
        """Save a member's moment; False when it was saved already."""
        saved = await self._store.save_moment(guild_id, user_id, episode_id, seconds, note)
        if saved:
            self._forget_top(guild_id)
        return saved

    async def remove(
        self, guild_id: int | None, user_id: int, episode_id: int, seconds: int
    ) -> bool:
        removed = await self._store.remove_saved_moment(guild_id, user_id, episode_id, seconds)
        if removed:
            self._forget_top(guild_id)
        return removed

    async def saved(self, guild_id: int | None, user_id: int) -> list[SavedMoment]:
        return await self._store.saved_moments(guild_id, user_id)

    async def top(
        self, guild_id: int | None, *, episode_id: int | None = None, limit: int = 10
    ) -> list[MomentTally]:
        """A server's most-saved moments, from a cache refreshed by saves or after a minute."""
        key = (guild_id, episode_id)
        cached = self._top.get(key)
        if cached is not None and self._clock() - cached[0] < TOP_CACHE_SECONDS:
            return cached[1][:limit]
        tallies = await self._store.top_moments(guild_id, episode_id=episode_id, limit=25)
        self._top[key] = (self._clock(), tallies)
        return tallies[:limit]

    def _forget_top(self, guild_id: int | None) -> None:
        for key in [k for k in self._top if k[0] == guild_id]:
            del self._top[key]
