"""Fetching transcripts after an import: the background job that fills the transcript index.

For each episode with `podcast:transcript` links, the best link (JSON, WebVTT, SRT, then
HTML and text; see `bot.transcripts.transcript_parse.rank_transcripts`) is fetched, parsed,
merged into passages and stored; when it fails, the next link is tried. The rules are the catalogue
fetcher's: the same `Fetcher` (timeouts, size cap, redirects, SSRF guard), a conditional
GET with the validators of the last fetch, at most a few fetches at a time, and a host
that keeps failing is left alone for the rest of the run.

Each transcript is read once per version: an episode is looked at again only when the
importer rewrote it (its item changed), or when a failed link is due for a retry (backing
off, then giving up until the item changes), or with `force`. An unchanged file (304, or
the same bytes) is not parsed again. For a local feed, relative and `file:` links are read
from disk beside it (`Fetcher.read_source(url, base=feed)`), but only from the feed's own
folder and below; a web feed's `file:` links are refused. A broken or refused transcript is
logged in one line and recorded; the episode stays as it is.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from bot.ingest.fetch import Fetcher, FetchError, OutsideFeedFolderError
from bot.models.parsed_feed import TranscriptRef
from bot.models.transcript_passage import Passage
from bot.store import Store
from bot.store.transcript_rows import TranscriptJob, TranscriptState
from bot.transcripts.transcript_parse import (
    ParsedTranscript,
    TranscriptError,
    merge_passages,
    parse_transcript,
    rank_transcripts,
    transcript_format,
)

log = logging.getLogger(__name__)

# Bump when parsing or merging changes what is stored: every transcript is then re-read.
PARSER_VERSION = "1"
TRANSCRIPT_MAX_BYTES = 10 * 1024 * 1024  # a 3-hour word-level JSON file is ~5 MB
RETRY_AFTER_SECONDS = 6 * 3600  # doubled after each further failure
MAX_ATTEMPTS = 5  # then wait until the episode changes
_CONCURRENCY = 4
_HOST_FAILURE_LIMIT = 3  # after this many failures, skip a host for the rest of the run


@dataclass(slots=True)
class TranscriptSyncSummary:
    """What one run did for one feed."""

    feed_id: int
    source: str = ""
    indexed: int = 0  # transcripts fetched, parsed and stored in this run
    unchanged: int = 0  # checked and still current (304 or the same bytes)
    failed: int = 0  # links that could not be fetched or read
    skipped: int = 0  # not tried now: offline, waiting to retry, host failing
    segments: int = 0  # segments stored in this run
    episodes_with_transcripts: int = 0  # after the run, in this feed
    total_segments: int = 0  # after the run, in this feed

    def line(self) -> str:
        """One line for the command line, e.g. `feed.xml: transcripts: 6 indexed, ...`."""
        name = self.source or f"feed {self.feed_id}"
        return (
            f"{name}: transcripts: {self.indexed} indexed, {self.unchanged} unchanged, "
            f"{self.failed} failed, {self.skipped} skipped; "
            f"{self.episodes_with_transcripts} episodes have one ({self.total_segments} segments)"
        )


def links_to_try(
    job: TranscriptJob, *, now: float, force: bool = False
) -> list[tuple[TranscriptRef, TranscriptState | None]]:
    """The links of an episode to fetch in this run, best first, with what is known of each.

    Links ranked below the one whose transcript is stored are not needed. The stored one is
    checked again only when the episode changed since (or with `force`, or after a parser
    upgrade); a failed link after its retry delay, or when the episode changed.
    """
    wanted: list[tuple[TranscriptRef, TranscriptState | None]] = []
    for ref in rank_transcripts(job.refs):
        state = job.states.get(ref.url)
        changed = state is not None and state.episode_hash != job.episode_hash
        if state is None:
            wanted.append((ref, None))
        elif state.status == "ok":
            if force or changed or state.parser_version != PARSER_VERSION:
                wanted.append((ref, state))
            break  # everything below is worse than what we have
        elif force or changed or _retry_due(state, now):
            wanted.append((ref, state))
    return wanted


def _retry_due(state: TranscriptState, now: float) -> bool:
    if state.attempts >= MAX_ATTEMPTS:
        return False
    delay = RETRY_AFTER_SECONDS * 2 ** max(0, state.attempts - 1)
    return bool(now - state.checked_at >= delay)


def prepare_passages(body: bytes, declared: str | None) -> tuple[ParsedTranscript, list[Passage]]:
    """Parse a transcript and merge it into passages (CPU work: run it in a thread)."""
    parsed = parse_transcript(body, declared)
    return parsed, merge_passages(parsed.segments)


class TranscriptSync:
    """Fetches and indexes the transcripts of imported feeds. Share one per process."""

    def __init__(
        self,
        store: Store,
        fetcher: Fetcher,
        *,
        remote_files: bool = True,
        concurrency: int = _CONCURRENCY,
        clock: Callable[[], float] = time.time,
    ):
        self._store = store
        self._fetcher = fetcher
        # False: transcripts on the network are not fetched; files beside a local feed are.
        self._remote_files = remote_files
        self._concurrency = concurrency
        self._clock = clock
        self._running: dict[int, asyncio.Task[TranscriptSyncSummary]] = {}
        self._again: set[int] = set()

    async def sync_feed(self, feed_id: int, *, force: bool = False) -> TranscriptSyncSummary:
        """Fetch what is due for one feed; never raises for a bad transcript or host."""
        summary = TranscriptSyncSummary(feed_id)
        await self._store.forget_stale_transcripts(feed_id)
        jobs = await self._store.transcript_jobs(feed_id)
        if jobs:
            summary.source = jobs[0].feed_url
        await self._run(jobs, summary, force)
        totals = await self._store.transcript_totals(feed_id)
        summary.episodes_with_transcripts, summary.total_segments = totals
        return summary

    def sync_in_background(self, feed_id: int) -> asyncio.Task[TranscriptSyncSummary]:
        """Start `sync_feed` as a task (the poller's call after an import). A request for a
        feed already being synced runs once more after the current run, not alongside it."""
        running = self._running.get(feed_id)
        if running is not None and not running.done():
            self._again.add(feed_id)
            return running
        task = asyncio.create_task(self._background(feed_id), name=f"transcripts-{feed_id}")
        self._running[feed_id] = task
        return task

    async def _background(self, feed_id: int) -> TranscriptSyncSummary:
        try:
            while True:
                self._again.discard(feed_id)
                summary = await self.sync_feed(feed_id)
                log.info("%s", summary.line())
                if feed_id not in self._again:
                    return summary
        except asyncio.CancelledError:
            raise
        except Exception:
            # The job must never take the poller down; the next import tries again.
            log.exception("transcript sync of feed %s failed", feed_id)
            return TranscriptSyncSummary(feed_id)
        finally:
            self._running.pop(feed_id, None)

    async def close(self) -> None:
        """Cancel background runs (on shutdown); what was stored stays stored."""
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # ------------------------------------------------------------------ the work

    async def _run(
        self, jobs: list[TranscriptJob], summary: TranscriptSyncSummary, force: bool
    ) -> None:
        now = self._clock()
        semaphore = asyncio.Semaphore(self._concurrency)
        host_failures: Counter[str] = Counter()

        async def one_episode(job: TranscriptJob) -> None:
            for ref, state in links_to_try(job, now=now, force=force):
                outcome, segments = await self._one_link(
                    job, ref, state, semaphore, host_failures, force
                )
                summary.segments += segments
                if outcome == "indexed":
                    summary.indexed += 1
                    return
                if outcome == "unchanged":
                    summary.unchanged += 1
                    return
                if outcome == "failed":
                    summary.failed += 1
                else:
                    summary.skipped += 1

        await asyncio.gather(*(one_episode(job) for job in jobs))

    async def _one_link(
        self,
        job: TranscriptJob,
        ref: TranscriptRef,
        state: TranscriptState | None,
        semaphore: asyncio.Semaphore,
        host_failures: Counter[str],
        force: bool,
    ) -> tuple[str, int]:
        """Fetch, parse and store one link: ("indexed", segments stored), or "unchanged",
        "failed" or "skipped" with 0."""
        declared = transcript_format(ref.type, ref.url)
        try:
            target = urljoin(job.feed_url, ref.url) if _is_web(job.feed_url) else ref.url
            remote = _is_web(target)
            host = (urlsplit(target).hostname or "") if remote else ""
        except ValueError:  # a host urllib can't split: "http://[oops/t.vtt"
            return await self._failed(job, ref, "could not fetch: invalid URL", declared), 0
        if remote and not self._remote_files:
            return "skipped", 0
        if host and host_failures[host] >= _HOST_FAILURE_LIMIT:
            return "skipped", 0
        # Conditional GET only when what we hold came from this parser version.
        conditional = (
            state is not None
            and state.status == "ok"
            and not force
            and state.parser_version == PARSER_VERSION
        )
        try:
            async with semaphore:
                result = await self._fetcher.read_source(
                    ref.url,
                    base=job.feed_url,
                    etag=state.etag if conditional and state else None,
                    last_modified=state.last_modified if conditional and state else None,
                    max_bytes=TRANSCRIPT_MAX_BYTES,
                )
            if result.status == 304 or result.body is None:
                await self._store.mark_transcript_unchanged(
                    job.episode_id,
                    ref.url,
                    etag=result.etag,
                    last_modified=result.last_modified,
                    episode_hash=job.episode_hash,
                )
                return "unchanged", 0
            content_hash = hashlib.sha256(result.body).hexdigest()
            if conditional and state and state.content_hash == content_hash:
                await self._store.mark_transcript_unchanged(
                    job.episode_id,
                    ref.url,
                    etag=result.etag,
                    last_modified=result.last_modified,
                    episode_hash=job.episode_hash,
                )
                return "unchanged", 0
            parsed, passages = await asyncio.to_thread(prepare_passages, result.body, declared)
        except OutsideFeedFolderError as exc:
            # Said once, with the feed: someone wrote a feed that reaches for the bot's disk.
            log.warning("%s: episode %s: transcript %s", job.feed_url, job.episode_id, exc)
            return await self._failed(job, ref, str(exc), declared, logged=True), 0
        except FetchError as exc:
            if host:
                host_failures[host] += 1
            return await self._failed(job, ref, f"could not fetch: {exc}", declared), 0
        except TranscriptError as exc:
            return await self._failed(job, ref, f"could not read: {exc}", declared), 0
        except Exception as exc:
            # A parser bug on some odd file must not stop the feed's other transcripts.
            log.exception("reading transcript %s of episode %s failed", ref.url, job.episode_id)
            reason = f"could not read: unexpected error ({type(exc).__name__})"
            return await self._failed(job, ref, reason, declared), 0
        try:
            await self._store.save_transcript(
                job.episode_id,
                ref.url,
                format=parsed.format,
                passages=passages,
                segment_count=len(parsed.segments),
                etag=result.etag,
                last_modified=result.last_modified,
                content_hash=content_hash,
                parser_version=PARSER_VERSION,
                episode_hash=job.episode_hash,
            )
        except sqlite3.IntegrityError:
            return "skipped", 0  # the episode was deleted meanwhile (its feed removed)
        log.debug(
            "transcript of episode %s: %s, %d segments, %d passages",
            job.episode_id,
            parsed.format,
            len(parsed.segments),
            len(passages),
        )
        return "indexed", len(parsed.segments)

    async def _failed(
        self,
        job: TranscriptJob,
        ref: TranscriptRef,
        reason: str,
        declared: str | None,
        *,
        logged: bool = False,
    ) -> str:
        if not logged:
            log.warning("transcript %s of episode %s skipped: %s", ref.url, job.episode_id, reason)
        await self._store.mark_transcript_failed(
            job.episode_id, ref.url, reason, format=declared, episode_hash=job.episode_hash
        )
        return "failed"


def _is_web(source: str) -> bool:
    return urlsplit(source).scheme.lower() in ("http", "https")


class FeedTranscripts:
    """The bot's transcript syncs: each feed's transcripts are read through the fetcher its
    feed is read with (FEEDS trusted; a guild's feeds through the private-address guard)."""

    def __init__(self, store: Store, *, trusted: TranscriptSync, guarded: TranscriptSync):
        self._store = store
        self._trusted = trusted
        self._guarded = guarded

    def feed_changed(self, feed_id: int, trusted: bool) -> asyncio.Task[TranscriptSyncSummary]:
        """After an import that stored new or updated episodes: sync in the background."""
        return (self._trusted if trusted else self._guarded).sync_in_background(feed_id)

    async def sync_every_feed(self) -> None:
        """At start (stores imported before have never been synced) and once a day (failed
        links are retried on their own backoff): start a background sync for every feed."""
        for feed in await self._store.feeds():
            self.feed_changed(feed.id, feed.is_global)

    async def close(self) -> None:
        await self._trusted.close()
        await self._guarded.close()
