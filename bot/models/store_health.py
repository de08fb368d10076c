"""What `episode-bot doctor` reads about a store: plain rows, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class FeedHealth:
    """One feed as the poller left it."""

    id: int
    url: str
    title: str
    status: str  # 'ok', 'failing' or 'paused'
    last_polled_at: int | None
    last_success_at: int | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class ChannelHealth:
    """One server's announcement settings."""

    guild_id: int
    channel_id: int
    enabled: bool
    thread: bool  # a discussion thread opened on each announcement
    blocked: bool
    last_error: str | None


@dataclass(frozen=True, slots=True)
class StoreHealth:
    """The store file as SQLite sees it, read without writing to it."""

    schema_version: int
    quick_check: str  # "ok", or SQLite's first complaints
    feeds: list[FeedHealth] = field(default_factory=list)
    channels: list[ChannelHealth] = field(default_factory=list)
    state: dict[str, str] = field(default_factory=dict)  # bot_state, e.g. command hashes
