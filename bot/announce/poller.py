"""Polling feeds: which are due, reading them through the importer, backoff and pausing.

Each feed has its own schedule (`feeds.next_poll_at`): every `POLL_INTERVAL_MINUTES`, give
or take a random tenth so that feeds added together drift apart. Reads are conditional
(the importer sends the stored ETag / Last-Modified and skips unchanged bytes) and go
through the fetcher's timeouts and size caps, a few at a time; of the feeds that changed,
fewer still are parsed and stored at once (`ReadSlots`), so that a cycle in which every
feed has a new episode holds a few documents, not one per feed being read.

A failing feed backs off exponentially (capped); one that has failed for 48 hours is paused
until an admin's `/feed refresh` succeeds. Feeds a guild added are read through a fetcher
that refuses private addresses (unless ALLOW_PRIVATE_FEED_URLS); `FEEDS` are trusted.
Nothing one feed does — an error, a bug — stops the others.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from bot.ingest.fetch import Fetcher, FetchError, ReadSlots
from bot.ingest.importer import Importer, ImportSummary, canonical_source
from bot.store import Store, StoreError
from bot.store.announcement_rows import PollTarget

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 8  # feeds read at once; well under the fetcher's 20 connections
# Feeds parsed, stored and related at once: CPU work and one writer, so more than two
# only adds documents held in memory (a cycle of large feeds: 208 MiB at 8, 161 at 2).
DEFAULT_WORK_CONCURRENCY = 2
JITTER = 0.1  # each interval is stretched or shrunk by up to this fraction
MAX_BACKOFF = 6 * 3600  # seconds; a failing feed is still tried four times a day
PAUSE_AFTER = 48 * 3600  # seconds of failing in a row before a feed is paused


class FeedRefused(Exception):
    """`/feed add` cannot follow this URL; the text says why, for the admin."""


_UNEXPECTED = "unexpected "


def unexpected_error(exc: BaseException) -> str:
    """An exception the importer should have turned into a reason (a bug a feed triggered),
    as one line a person can act on: `unexpected UnicodeError: label too long`."""
    detail = " ".join(str(exc).split())  # one line, whatever the message holds
    text = f"{_UNEXPECTED}{type(exc).__name__}" + (f": {detail}" if detail else "")
    return text if len(text) <= 300 else text[:299] + "…"


@dataclass(slots=True)
class PollOutcome:
    """What one read of one feed did."""

    url: str
    feed_id: int | None
    title: str = ""
    new_episode_ids: list[int] = field(default_factory=list)
    updated: int = 0
    not_modified: bool = False
    error: str | None = None
    status: str = "ok"  # the feed's status afterwards: ok, failing or paused
    resumed: bool = False  # it had been failing or paused and now worked

    @property
    def new(self) -> int:
        return len(self.new_episode_ids)


FollowKind = Literal["added", "joined", "already_here", "already_global"]


@dataclass(frozen=True, slots=True)
class FollowResult:
    """The outcome of `/feed add` for a URL that is a valid feed."""

    kind: FollowKind
    feed_id: int
    title: str
    episodes: int
    chapters: int


class Poller:
    """Reads due feeds into the store. One per bot: it owns the per-feed locks and the cap.

    `trusted` imports global feeds (FEEDS, the CLI); `guarded` imports feeds a guild added,
    through `guard`, a fetcher that refuses private addresses (pass the trusted pair for
    both when ALLOW_PRIVATE_FEED_URLS is on). `concurrency` feeds are read at once, and
    `work_concurrency` of those with a new body are parsed and stored at once. `clock` and
    `rng` are injectable for tests.
    """

    def __init__(
        self,
        store: Store,
        *,
        trusted: Importer,
        guarded: Importer,
        guard: Fetcher,
        interval_minutes: float,
        concurrency: int = DEFAULT_CONCURRENCY,
        work_concurrency: int = DEFAULT_WORK_CONCURRENCY,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        on_feed_changed: Callable[[int, bool], object] | None = None,
    ) -> None:
        self._store = store
        # Told (feed id, read by the trusted importer?) after an import that stored new or
        # updated episodes: the transcript sync hangs off this.
        self._on_feed_changed = on_feed_changed
        self._trusted = trusted
        self._guarded = guarded
        self._guard = guard
        self.interval = interval_minutes * 60
        self.slots = ReadSlots(reading=concurrency, working=work_concurrency)
        self._locks: dict[str, asyncio.Lock] = {}
        self._clock = clock
        self._rng = rng or random.Random()

    # ------------------------------------------------------------------ schedule

    def now(self) -> int:
        return int(self._clock())

    def next_poll(self, at: int) -> int:
        """When a feed read successfully at `at` is read next: one interval, jittered."""
        return at + round(self.interval * self._rng.uniform(1 - JITTER, 1 + JITTER))

    def backoff(self, at: int, failures: int) -> int:
        """When a feed that has now failed `failures` times in a row is tried again."""
        delay = min(self.interval * 2 ** min(failures, 20), max(MAX_BACKOFF, self.interval))
        return at + round(float(delay) * self._rng.uniform(1 - JITTER, 1 + JITTER))

    # ------------------------------------------------------------------ polling

    async def poll_due(self) -> list[PollOutcome]:
        """One cycle: read every feed that is due (a few at a time). Never raises for a feed."""
        at = self.now()
        due = await self._store.due_feeds(at)
        if not due:
            return []
        # Claim them by scheduling their next poll first: a slow cycle can't pick them twice.
        await self._store.schedule_polls([(target.id, self.next_poll(at)) for target in due])
        outcomes = await asyncio.gather(*(self._poll(target) for target in due))
        new = sum(outcome.new for outcome in outcomes)
        failed = sum(outcome.error is not None for outcome in outcomes)
        log.info("polled %d feeds: %d new episodes, %d failed", len(due), new, failed)
        return list(outcomes)

    async def poll_feeds(self, feed_ids: Sequence[int]) -> list[PollOutcome]:
        """Read these feeds now, whatever their schedule (`/feed refresh`); a paused feed
        that reads successfully is resumed."""
        targets = [t for t in [await self._store.poll_target(i) for i in feed_ids] if t]
        outcomes = await asyncio.gather(*(self._poll(target) for target in targets))
        at = self.now()
        await self._store.schedule_polls(
            [(o.feed_id, self.next_poll(at)) for o in outcomes if o.feed_id and not o.error]
        )
        return list(outcomes)

    async def import_feeds(self, sources: Sequence[str]) -> list[PollOutcome]:
        """Import `FEEDS` at start: trusted, visible in every guild, then polled like any."""
        urls = [canonical_source(source) for source in sources]
        await self._store.mark_feeds_global(urls)
        outcomes = await asyncio.gather(*(self._import_global(url) for url in urls))
        for outcome in outcomes:
            if outcome.error:
                log.warning("FEEDS: %s failed: %s", outcome.url, outcome.error)
        return list(outcomes)

    async def _import_global(self, url: str) -> PollOutcome:
        target = await self._store.poll_target_by_url(url)
        if target is not None:
            outcome = await self._poll(target)
        else:
            async with self._lock_for(url), self.slots.turn():
                summary = await self._safely_import(self._trusted, url)
            outcome = _outcome(summary)
            if outcome.error is not None:
                # Down at start: keep it, so that it is retried (with backoff) and shown
                # in /feed list; its first successful import still announces nothing.
                feed_id = await self._store.ensure_feed(url)
                at = self.now()
                outcome.feed_id = feed_id
                outcome.status = await self._store.record_poll_failure(
                    feed_id,
                    outcome.error,
                    at=at,
                    next_poll_at=self.backoff(at, 1),
                    pause_after=PAUSE_AFTER,
                )
        if outcome.feed_id is not None and not outcome.error:
            await self._store.schedule_polls([(outcome.feed_id, self.next_poll(self.now()))])
        return outcome

    async def _poll(self, target: PollTarget) -> PollOutcome:
        """Read one feed and record how it went. Catches everything: one feed's problem
        (or a bug its content triggers) is recorded on that feed and the cycle goes on."""
        importer = self._trusted if target.is_global else self._guarded
        try:
            async with self._lock_for(target.url), self.slots.turn():
                summary = await self._safely_import(importer, target.url)
            summary.feed_id = summary.feed_id or target.id
            outcome = _outcome(summary)
            if not outcome.title:  # an import that raised names nothing: say which feed
                outcome.title = await self._store.feed_title(target.id)
            at = self.now()
            if outcome.error is not None:
                outcome.status = await self._store.record_poll_failure(
                    target.id,
                    outcome.error,
                    at=at,
                    next_poll_at=self.backoff(at, target.failure_count + 1),
                    pause_after=PAUSE_AFTER,
                )
                if outcome.status == "paused" and target.status != "paused":
                    log.warning("paused %s: failing for 48 hours (%s)", target.url, outcome.error)
            elif target.failure_count or target.status != "ok":
                await self._store.record_poll_recovered(target.id)
                outcome.resumed = True
            return outcome
        except StoreError as exc:  # the store's own words: another writer, a full disk
            log.warning("polling %s: %s", target.url, exc)
            return PollOutcome(target.url, target.id, error=str(exc), status=target.status)
        except Exception as exc:
            log.exception("polling %s failed unexpectedly", target.url)
            return PollOutcome(
                target.url, target.id, error=unexpected_error(exc), status=target.status
            )

    async def _safely_import(self, importer: Importer, url: str, **options: Any) -> ImportSummary:
        try:
            summary = await importer.import_source(url, **options)
        except StoreError as exc:
            # The store said no in its own words (another writer too long, a full disk).
            log.warning("importing %s: %s", url, exc)
            return ImportSummary(source=url, error=str(exc))
        except Exception as exc:
            # import_source reports bad feeds in the summary; this is a bug, logged in full,
            # and the admin reading /feed list or /feed refresh is told what it was.
            log.exception("importing %s raised", url)
            return ImportSummary(source=url, error=unexpected_error(exc))
        changed = summary.ok and (summary.new or summary.updated)
        if changed and summary.feed_id is not None and self._on_feed_changed is not None:
            self._on_feed_changed(summary.feed_id, importer is self._trusted)
        return summary

    def _lock_for(self, url: str) -> asyncio.Lock:
        # One read of a feed at a time: the poller, /feed refresh and /feed add may meet.
        return self._locks.setdefault(url, asyncio.Lock())

    # ------------------------------------------------------------------ /feed add

    async def follow(self, url: str, *, guild_id: int, user_id: int | None) -> FollowResult:
        """Follow a feed in one guild: validate the URL, import it if it is new (its back
        catalogue is not announced), or just let the guild see it if it is stored already.
        Raises FeedRefused with a message for the admin; nothing is stored then."""
        url = check_feed_url(url)
        try:
            # Up front, for a clear answer; the guarded fetcher checks again on every hop.
            await self._guard.check_public_url(url)
        except FetchError as exc:
            raise FeedRefused(f"I can't follow <{url}>: {exc}.") from None
        except Exception as exc:  # a bug the URL triggers: still an answer for the admin
            log.exception("checking %s raised", url)
            raise FeedRefused(f"I couldn't import <{url}>: {unexpected_error(exc)}.") from None
        source = canonical_source(url)
        async with self._lock_for(source):
            known = await self._store.poll_target_by_url(source)
            if known is not None:
                if known.is_global:
                    kind: FollowKind = "already_global"
                elif await self._store.follows_feed(guild_id, known.id):
                    kind = "already_here"
                else:
                    kind = "joined"
                    await self._store.follow_feed(guild_id, known.id, user_id)
                return await self._follow_result(kind, known.id)
            async with self.slots.turn():
                summary = await self._safely_import(
                    self._guarded, source, guild_id=guild_id, added_by=user_id
                )
        if summary.error is not None and summary.error.startswith(_UNEXPECTED):
            raise FeedRefused(f"I couldn't import <{url}>: {summary.error}.")
        if summary.error is not None or summary.feed_id is None:
            raise FeedRefused(f"I couldn't read <{url}> as a podcast feed: {summary.error}.")
        await self._store.schedule_polls([(summary.feed_id, self.next_poll(self.now()))])
        return await self._follow_result("added", summary.feed_id)

    async def _follow_result(self, kind: FollowKind, feed_id: int) -> FollowResult:
        target_title = await self._store.feed_title(feed_id)
        episodes, chapters = await self._store.feed_totals(feed_id)
        return FollowResult(kind, feed_id, target_title, episodes, chapters)


def check_feed_url(url: str) -> str:
    """The URL, trimmed, if it can be a feed to follow; FeedRefused if it is not http(s)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        usable = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an invalid IPv6 literal
        usable = False
    if not usable:
        raise FeedRefused("Only http:// and https:// feed addresses can be followed.")
    return url


def _outcome(summary: ImportSummary) -> PollOutcome:
    return PollOutcome(
        url=summary.source,
        feed_id=summary.feed_id,
        title=summary.title,
        new_episode_ids=list(summary.new_episode_ids),
        updated=summary.updated,
        not_modified=summary.not_modified,
        error=summary.error,
    )
