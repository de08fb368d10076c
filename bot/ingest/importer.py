"""Feed import: read a source, parse it, derive chapters, store it; say what changed.

The importer is the only writer of the catalogue. It is used by `episode-bot import`, at
start for `FEEDS`, by `/feed add` and by the poller, always through `import_source`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

from bot.common import boilerplate
from bot.common.plain_text import html_to_text
from bot.ingest.chapters import (
    ChapterFileError,
    chapters_from_json,
    chapters_from_notes,
    finalize_chapters,
)
from bot.ingest.feedparse import FeedParseError, parse_feed
from bot.ingest.fetch import Fetcher, FetchError, OutsideFeedFolderError
from bot.ingest.passages import timed_passages
from bot.ingest.people import credit, infer_feed_guests
from bot.models.parsed_feed import Chapter, ParsedEpisode, ParsedFeed, Person
from bot.related.scoring import RelatedRefresh
from bot.search.languages import detect, language_code
from bot.search.lookup_cache import lookup_cache
from bot.store import EpisodeWrite, FeedRecord, Store, StoredEpisodeState

log = logging.getLogger(__name__)

# Bumped whenever parsing or chapter derivation changes what is stored, so that the next
# import of an unchanged feed re-derives it instead of skipping it by content hash.
DERIVATION_VERSION = "3"  # 2: guests inferred from titles and notes (issue 6); 3: notes capped

# Progress callback: (what is being done, done so far, total).
ProgressFn = Callable[[str, int, int], None]

_CHAPTER_FILE_LIMIT = 2 * 1024 * 1024  # a chapters file is small; refuse anything silly
_CHAPTER_FETCH_CONCURRENCY = 8
_HOST_FAILURE_LIMIT = 3  # after this many failures, skip a chapters host for the run


@dataclass(slots=True)
class ImportSummary:
    """What one import of one source did, for the command line and for `/feed`."""

    source: str
    title: str = ""
    feed_id: int | None = None
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    chapters: int = 0  # chapters stored for the new and updated episodes
    not_modified: bool = False  # 304, or the same bytes as last time
    error: str | None = None
    new_episode_ids: list[int] = field(default_factory=list)
    # Seconds spent per phase (read, parse, chapters, store, related): for logs and bench.
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None

    def line(self) -> str:
        """A one-line summary such as `Show (feed.xml): 3 new, 1 updated, 272 unchanged, ...`."""
        name = f"{self.title} ({self.source})" if self.title else self.source
        if self.error:
            return f"{name}: failed: {self.error}"
        note = " (not modified)" if self.not_modified else ""
        return (
            f"{name}: {self.new} new, {self.updated} updated, {self.unchanged} unchanged"
            f"{note}; {self.chapters} chapters found"
        )


def is_url(source: str) -> bool:
    """Whether `source` is an http(s) URL rather than a path or a `file:` URL."""
    return urlsplit(source).scheme.lower() in ("http", "https")


def canonical_source(source: str) -> str:
    """How a source is identified in the store: a URL as given, a path made absolute."""
    source = source.strip()
    if is_url(source):
        return source
    if source.lower().startswith("file:"):
        source = url2pathname(urlsplit(source).path)  # `%20` is a space, as for the fetcher
    return str(Path(source).expanduser().resolve())


class Importer:
    """Reads sources through an injected fetcher into an injected store."""

    def __init__(self, store: Store, fetcher: Fetcher, *, remote_files: bool = True):
        self._store = store
        self._fetcher = fetcher
        # False: chapter files (and later transcripts) on the network are not fetched;
        # files beside a local feed are still read. Tests and `--offline` use this.
        self._remote_files = remote_files

    async def import_source(
        self,
        source: str,
        *,
        progress: ProgressFn | None = None,
        force: bool = False,
        guild_id: int | None = None,
        added_by: int | None = None,
    ) -> ImportSummary:
        """Import one feed; never raises for a bad feed (the summary carries the error).

        `force` re-parses even when the bytes are unchanged (ignores ETag and content hash).
        `guild_id` (/feed add): a feed new to the store is created visible in that guild only.
        """
        source = canonical_source(source)
        summary = ImportSummary(source=source)
        clock = _PhaseClock(summary.timings, progress)
        known = await self._store.feed_by_url(source)
        if known:
            summary.title, summary.feed_id = known.title, known.id
        try:
            result = await self._fetcher.read_source(
                source,
                etag=None if force or not known else known.etag,
                last_modified=None if force or not known else known.last_modified,
            )
        except FetchError as exc:
            return await self._failed(summary, str(exc))
        clock.lap("read")

        if result.status == 304 or result.body is None:
            return await self._not_modified(summary, known, result.etag, result.last_modified)
        digest = hashlib.sha256(DERIVATION_VERSION.encode())
        digest.update(result.body)  # (not `+`: that copies a body of up to 50 MB)
        content_hash = digest.hexdigest()
        if known and not force and known.content_hash == content_hash:
            return await self._not_modified(summary, known, result.etag, result.last_modified)

        try:
            # Parsing and text extraction are CPU work: keep them off the event loop.
            prepared = await asyncio.to_thread(_prepare, result.body, source)
        except FeedParseError as exc:
            return await self._failed(summary, f"not a readable feed: {exc}")
        # The body (up to 50 MB) is not needed past parsing: free it for the rest of the
        # import, which several feeds may be in at once.
        etag, last_modified = result.etag, result.last_modified
        del result
        feed, writes = prepared
        del prepared
        summary.title = feed.title
        # The feed's boilerplate (recurring sponsor reads, calls to action), learned from
        # all of its current notes: kept out of card summaries (bot/common/boilerplate.py).
        learned = await asyncio.to_thread(boilerplate.learn, [w.notes_text for w in writes])
        # What search reads of the notes: without that boilerplate (written with the
        # episodes, indexed once).
        searched = await asyncio.to_thread(_search_notes, writes, learned)
        clock.lap("parse")

        feed_id = (
            known.id
            if known
            else await self._store.ensure_feed(source, guild_id=guild_id, added_by=added_by)
        )
        summary.feed_id = feed_id
        states = await self._store.episode_states(feed_id)
        new, updated, retry = _classify(writes, states)
        summary.unchanged = len(writes) - len(new) - len(updated)
        del writes, states  # the unchanged episodes are done with: only the rest is written

        # Chapters are derived only for what will be written: notes first (CPU work, in a
        # thread), then chapter files, which replace them when they yield any.
        await asyncio.to_thread(_chapters_from_notes, [*new, *updated, *retry])
        await self._fetch_chapter_files([*new, *updated, *retry], source, progress)
        # A retried chapters file that now works is an update; one that still fails is not.
        updated += [w for w in retry if w.chapters_error is None]
        summary.unchanged -= sum(1 for w in retry if w.chapters_error is None)
        clock.lap("chapters")
        related = await RelatedRefresh.prepare(
            self._store,
            feed_id,
            new_count=len(new),
            updated_ids=[w.id for w in updated if w.id is not None],
        )

        summary.new_episode_ids = await self._store.save_feed_import(
            feed_id,
            feed,
            content_hash=content_hash,
            etag=etag,
            last_modified=last_modified,
            new=new,
            updated=updated,
        )
        await self._store.set_state(boilerplate.state_key(feed_id), json.dumps(learned))
        # What search reads of the notes of the feed's other episodes, whose boilerplate may
        # have changed with this import (a line becomes boilerplate as it recurs).
        await self._store.save_search_notes(feed_id, searched)
        clock.lap("store")
        # Related episodes are derived data: only the new and updated ones (and the lists
        # they can enter) are recomputed, unless the import changed much of the feed.
        await related.run(summary.new_episode_ids)
        if summary.new_episode_ids or updated:
            lookup_cache(self._store).refresh_soon()
        clock.lap("related")
        log.debug("imported %s: %s", source, summary.timings)
        summary.new, summary.updated = len(new), len(updated)
        summary.chapters = sum(len(w.chapters) for w in [*new, *updated])
        return summary

    async def _failed(self, summary: ImportSummary, reason: str) -> ImportSummary:
        summary.error = reason
        if summary.feed_id is not None:  # a known feed: note the failure on it
            await self._store.record_poll(summary.feed_id, error=reason)
        log.info("import of %s failed: %s", summary.source, reason)
        return summary

    async def _not_modified(
        self,
        summary: ImportSummary,
        known: FeedRecord | None,
        etag: str | None,
        last_modified: str | None,
    ) -> ImportSummary:
        summary.not_modified = True
        if known:
            summary.unchanged = known.episode_count
            await self._store.record_poll(known.id, etag=etag, last_modified=last_modified)
        return summary

    async def _fetch_chapter_files(
        self, writes: list[EpisodeWrite], source: str, progress: ProgressFn | None
    ) -> None:
        """Fetch the Podcasting 2.0 chapter files (concurrently, capped) of episodes without
        psc chapters; a file that yields chapters replaces those found in the notes.

        The order of trust is psc, then the JSON file, then the notes; a failure is kept in
        `chapters_error` and the notes chapters stay.
        """
        wanted = [w for w in writes if w.chapters_url and not _has_source(w.chapters, "psc")]
        if not wanted:
            return
        semaphore = asyncio.Semaphore(_CHAPTER_FETCH_CONCURRENCY)
        failures: Counter[str] = Counter()
        done = 0

        async def fetch_one(write: EpisodeWrite) -> None:
            nonlocal done
            assert write.chapters_url is not None
            url = write.chapters_url
            try:
                target = urljoin(source, url) if is_url(source) else url
                host = urlsplit(target).hostname or ""
            except ValueError:  # "http://[oops/": urllib can't split it; read_source says so
                target = host = ""
            try:
                if is_url(target) and not self._remote_files:
                    raise FetchError("not fetched (offline import)")
                async with semaphore:
                    # Checked once a slot is free: the fetches before it may have failed.
                    if failures[host] >= _HOST_FAILURE_LIMIT:
                        raise FetchError(f"skipped: {host} failed {_HOST_FAILURE_LIMIT} times")
                    result = await self._fetcher.read_source(
                        write.chapters_url, base=source, max_bytes=_CHAPTER_FILE_LIMIT
                    )
                if result.body is None:
                    raise FetchError("empty response")
                chapters = chapters_from_json(result.body)
                chapters = finalize_chapters(chapters, write.duration)
                if not chapters:
                    raise ChapterFileError("the chapters file lists no chapters")
            except (FetchError, ChapterFileError) as exc:
                if isinstance(exc, OutsideFeedFolderError):  # a feed reaching for the bot's disk
                    log.warning("%s: %s: chapters %s", source, write.title, exc)
                if host and isinstance(exc, FetchError) and is_url(target):
                    failures[host] += 1
                write.chapters_error = str(exc)
            else:
                write.chapters = chapters
                write.chapters_error = None
            finally:
                done += 1
                if progress:
                    progress("chapter files", done, len(wanted))

        await asyncio.gather(*(fetch_one(w) for w in wanted))


# Each phase, and what the progress bar says while the next one runs.
_NEXT_STEP = {
    "read": "parsing",
    "parse": "finding chapters",
    "chapters": "storing",
    "store": "relating episodes",
    "related": "done",
}
_PHASES = tuple(_NEXT_STEP)


class _PhaseClock:
    """Records the seconds since the previous lap under a phase name, and tells the
    progress callback (a terminal's progress bar) what comes next."""

    def __init__(self, into: dict[str, float], progress: ProgressFn | None = None):
        self._into = into
        self._progress = progress
        self._last = time.perf_counter()
        if progress:
            progress("reading", 0, len(_PHASES))

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self._into[phase] = self._into.get(phase, 0.0) + now - self._last
        self._last = now
        if self._progress:
            self._progress(_NEXT_STEP[phase], _PHASES.index(phase) + 1, len(_PHASES))


def _chapters_from_notes(writes: list[EpisodeWrite]) -> None:
    for write in writes:
        listed = chapters_from_notes(write.notes_html, write.duration, notes_text=write.notes_text)
        if not write.chapters:  # psc chapters, when present, are already there
            write.chapters = listed
        # The notes' other timed sentences ("At 12:30 in, ..."); list lines are chapters.
        write.passages = timed_passages(write.notes_text, listed, write.duration)


def _has_source(chapters: list[Chapter], source: str) -> bool:
    return bool(chapters) and chapters[0].source == source


def _classify(
    writes: list[EpisodeWrite], states: dict[str, StoredEpisodeState]
) -> tuple[list[EpisodeWrite], list[EpisodeWrite], list[EpisodeWrite]]:
    """Split into new, updated (content changed) and retry (unchanged, chapters file failed)."""
    new, updated, retry = [], [], []
    for write in writes:
        state = states.get(write.key)
        if state is None:
            new.append(write)
        elif state.content_hash != write.content_hash:
            write.id = state.id
            updated.append(write)
        elif state.chapters_error and write.chapters_url:
            write.id = state.id
            retry.append(write)
    return new, updated, retry


# ---------------------------------------------------------------------- pure preparation


def _prepare(body: bytes, source: str) -> tuple[ParsedFeed, list[EpisodeWrite]]:
    """Parse the bytes and turn every item into an EpisodeWrite (runs in a worker thread)."""
    feed = parse_feed(body, source=source)
    keys = assign_keys(feed.episodes)
    numbers = infer_numbers(feed.episodes)
    notes = [html_to_text(e.notes_html) for e in feed.episodes]
    if not language_code(feed.language):
        # No usable `<language>`: read it from the text, so that search stems the feed's
        # words in its own language (bot/search/languages.py). Stored as the feed's.
        texts = [feed.title, feed.description]
        texts += [t for e, n in zip(feed.episodes, notes, strict=True) for t in (e.title, n)]
        feed.language = detect(texts) or feed.language
    guests = _inferred_guests(feed, notes)
    writes: dict[str, EpisodeWrite] = {}
    for episode, key, number, text, inferred in zip(
        feed.episodes, keys, numbers, notes, guests, strict=True
    ):
        if key in writes:  # truly the same item twice: keep the first (newest) copy
            continue
        writes[key] = _episode_write(episode, key, number, feed, text, inferred)
    # The parsed items (notes HTML and all) are not needed once written out: the rest of an
    # import, which for a big feed lasts seconds, should not hold the feed twice.
    feed.episodes = []
    return feed, list(writes.values())


def _search_notes(writes: list[EpisodeWrite], learned: dict[str, int]) -> dict[str, str | None]:
    """By episode key, the notes search reads: without the feed's boilerplate and ad
    markers (bot/common/boilerplate.py), or None when there is none to take out; also set
    on each write, so that new and updated episodes are written (and indexed) with it."""
    found: dict[str, str | None] = {}
    for write in writes:
        content, changed = boilerplate.content_and_changed(write.notes_text, learned)
        found[write.key] = write.search_notes = content if changed else None
    return found


def _inferred_guests(feed: ParsedFeed, notes: list[str]) -> list[list[Person]]:
    """Guests named by the titles and notes of the items that carry no `podcast:person` of
    their own (bot/ingest/people.py); [] for the items that do, whose tags are the whole truth."""
    untagged = [i for i, e in enumerate(feed.episodes) if not e.persons]
    guests: list[list[Person]] = [[] for _ in feed.episodes]
    if not untagged:
        return guests
    found = infer_feed_guests(
        [(feed.episodes[i].title, notes[i]) for i in untagged],
        show_title=feed.title,
        hosts=[p.name for p in feed.persons],
        language=feed.language,
    )
    for i, people in zip(untagged, found, strict=True):
        guests[i] = people
    return guests


def _episode_write(
    episode: ParsedEpisode,
    key: str,
    number: int | None,
    feed: ParsedFeed,
    notes_text: str,
    inferred: list[Person],
) -> EpisodeWrite:
    # Item-level people replace the channel's (Podcasting 2.0 rule); guests inferred from
    # the title and notes join the channel's people on items that have none of their own.
    persons = episode.persons or [*feed.persons, *inferred]
    # "Dr. Ann Lee" and "Ann Lee - Acme" are Ann Lee, with "Dr." and "Acme" as the
    # credit's detail (bot/ingest/people.py).
    persons = [credit(p) for p in persons]
    published = int(episode.published.timestamp()) if episode.published else None
    content_hash = hashlib.sha1(
        repr(
            (
                episode.title,
                episode.guid,
                episode.notes_html,
                number,
                episode.number_label,
                episode.season,
                episode.season_label,
                published,
                episode.duration,
                episode.link,
                episode.audio_url,
                episode.audio_type,
                episode.image,
                episode.episode_type,
                episode.chapters_url,
                episode.chapters_type,
                episode.psc_chapters,
                persons,
                episode.transcripts,
                episode.soundbites,
            )
        ).encode()
    ).hexdigest()
    return EpisodeWrite(
        key=key,
        guid=episode.guid,
        title=episode.title,
        notes_html=episode.notes_html,
        notes_text=notes_text,
        number=number,
        number_label=episode.number_label,
        season=episode.season,
        season_label=episode.season_label,
        published_at=published,
        duration=episode.duration,
        link=episode.link,
        audio_url=episode.audio_url,
        audio_type=episode.audio_type,
        image=episode.image or feed.image,
        episode_type=episode.episode_type,
        chapters_url=episode.chapters_url,
        chapters_type=episode.chapters_type,
        chapters_error=None,
        content_hash=content_hash,
        chapters=finalize_chapters(episode.psc_chapters, episode.duration),
        persons=list(persons),
        transcripts=list(episode.transcripts),
        soundbites=list(episode.soundbites),
    )


def assign_keys(episodes: list[ParsedEpisode]) -> list[str]:
    """The identity of each item within its feed.

    The guid when it is present and unique in the feed; otherwise the enclosure URL, then
    the link, then a hash of title and date — each only when no other item of the feed
    has the same one. Items that agree on every one of these are truly the same item.
    """
    guid_counts = Counter(e.guid for e in episodes if e.guid)
    audio_counts = Counter(e.audio_url for e in episodes if e.audio_url)
    link_counts = Counter(e.link for e in episodes if e.link)
    keys = []
    for episode in episodes:
        if episode.guid and guid_counts[episode.guid] == 1:
            keys.append(episode.guid)
        elif episode.audio_url and audio_counts[episode.audio_url] == 1:
            keys.append(f"audio:{episode.audio_url}")
        elif episode.link and link_counts[episode.link] == 1:
            keys.append(f"link:{episode.link}")
        else:
            date = episode.published.isoformat() if episode.published else ""
            digest = hashlib.sha1(f"{episode.title}\n{date}".encode()).hexdigest()[:20]
            keys.append(f"hash:{digest}")
    return keys


# Episode numbers that titles carry when the feed has no itunes:episode: "#498 – ...",
# "Episode 220 - ...", "100: ...", "Herding Code 99: ...", "CRE207 ...", "Ep 458: ...".
_TITLE_NUMBER_PATTERNS = [
    re.compile(r"^\s*#\s?(\d{1,5})\b"),
    re.compile(r"^\s*(?:episode|ep\.?|folge|épisode|episodio|afl\.?)\s*#?\s?(\d{1,5})\b", re.I),
    re.compile(r"^\s*(\d{1,5})\s*(?:[:.|–—-]\s|\s[-–—|:]\s)"),
    re.compile(r"^[^\W\d][\w'’.&-]*(?:\s+[^\W\d][\w'’.&-]*){0,3}\s+#?(\d{1,5})\s*[:|–—-]\s"),
    re.compile(r"^\s*[A-Z]{2,8}(\d{2,5})\b"),
]


def title_number(title: str) -> int | None:
    """The episode number a title starts with, in the common forms; None otherwise."""
    for pattern in _TITLE_NUMBER_PATTERNS:
        match = pattern.match(title)
        if match:
            return int(match.group(1))
    return None


def infer_numbers(episodes: list[ParsedEpisode]) -> list[int | None]:
    """Numbers from the feed's tags, or from titles when the feed numbers them consistently.

    Title numbers are used only when most items carry one and they are nearly unique, so
    that a feed of "10 tips for ..." titles is not numbered by accident.
    """
    tagged = [e.number for e in episodes]
    if sum(n is not None for n in tagged) >= len(episodes) / 2:
        return tagged
    from_titles = [title_number(e.title) for e in episodes]
    found = [n for n in from_titles if n is not None]
    if len(found) < max(3, len(episodes) / 2) or len(set(found)) < 0.9 * len(found):
        return tagged
    return [
        tag if tag is not None else guess for tag, guess in zip(tagged, from_titles, strict=True)
    ]
