"""Plain data shared by the parser, the importer, the store and the renderers.

Nothing here knows about Discord or SQLite: these are the values that flow between them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

ChapterSource = Literal["psc", "json", "notes", "transcript"]
ChapterKind = Literal["chapter", "ad"]  # "ad": a sponsor read or ad break, kept in its place
EpisodeType = Literal["full", "trailer", "bonus"]


@dataclass(frozen=True, slots=True)
class Chapter:
    """One entry of an episode's table of contents."""

    start: float  # seconds from the start of the audio; fractions are kept
    title: str
    source: ChapterSource
    url: str | None = None  # a link the chapter points at (JSON chapters)
    image: str | None = None
    kind: ChapterKind = "chapter"


@dataclass(frozen=True, slots=True)
class Person:
    """Someone on a show: `podcast:person`, or inferred from titles and notes."""

    name: str
    role: str = "host"  # lower-case Podcasting 2.0 role: host, guest, producer, ...
    group: str | None = None
    href: str | None = None
    image: str | None = None
    inferred: bool = False
    # What the credit says besides the name, kept out of it so that one person is one
    # person: an honorific, a role, an affiliation ("Dr.", "CEO of Acme", "Quarry Labs").
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class TranscriptRef:
    """A `podcast:transcript` link (the file itself is fetched later)."""

    url: str
    type: str  # MIME type as given: text/vtt, application/x-subrip, application/json, ...
    language: str | None = None
    rel: str | None = None  # "captions" when the file is closed captions


@dataclass(frozen=True, slots=True)
class Soundbite:
    """A `podcast:soundbite`: a highlight the publisher chose."""

    start: float
    duration: float
    title: str | None = None


@dataclass(slots=True)
class ParsedEpisode:
    """One `<item>` / `<entry>` as read from a feed, before it is stored."""

    title: str
    guid: str | None = None
    notes_html: str = ""  # the richest of content:encoded / description / summary, as HTML
    number: int | None = None
    number_label: str | None = None  # podcast:episode display="..."
    season: int | None = None
    season_label: str | None = None  # podcast:season name="..."
    published: datetime | None = None  # always UTC when known
    duration: int | None = None  # whole seconds; None when unknown (or 00:00:00)
    link: str | None = None
    audio_url: str | None = None
    audio_type: str | None = None
    image: str | None = None
    episode_type: EpisodeType = "full"
    persons: list[Person] = field(default_factory=list)  # item-level podcast:person
    transcripts: list[TranscriptRef] = field(default_factory=list)
    chapters_url: str | None = None  # podcast:chapters url
    chapters_type: str | None = None
    psc_chapters: list[Chapter] = field(default_factory=list)
    soundbites: list[Soundbite] = field(default_factory=list)


@dataclass(slots=True)
class ParsedFeed:
    """A whole feed as read from its bytes."""

    title: str
    link: str | None = None
    description: str = ""
    image: str | None = None
    language: str | None = None
    author: str | None = None
    podcast_guid: str | None = None  # podcast:guid (channel level)
    persons: list[Person] = field(default_factory=list)  # channel-level podcast:person
    episodes: list[ParsedEpisode] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TimedPassage:
    """A sentence of the notes and the time it points at, in seconds."""

    start: float
    text: str
