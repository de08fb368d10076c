"""What the read service hands to the presentation: episodes, moments, hits, related
episodes and autocomplete choices, as plain frozen dataclasses (no behaviour, no I/O).

The store builds them from rows and `bot.search.catalogue` ranks them; `bot.ui` renders
them. Highlighted text marks matches with `HIGHLIGHT_START`/`HIGHLIGHT_END` (control
characters FTS5 writes around matched words, never found in feed text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# How a query matched: as a phrase, all words, any word (a partial match); or, from /when's
# semantic layer (bot/semantic, never /search), by meaning: "meaning" is about the topic in
# other words, "related" only near it (a partial match, shown as a closest match).
MatchTier = Literal["phrase", "all", "any", "meaning", "related"]
PARTIAL_TIERS: frozenset[str] = frozenset({"any", "related"})

HIGHLIGHT_START = "\x02"
HIGHLIGHT_END = "\x03"

MomentKind = Literal["chapter", "notes", "transcript", "soundbite", "episode"]


@dataclass(frozen=True, slots=True)
class EpisodeSummary:
    """An episode as a line in a list, with what a link or a jump link needs."""

    id: int
    feed_id: int
    feed_title: str
    title: str
    number: int | None
    number_label: str | None
    season: int | None
    published_at: int | None  # Unix seconds, UTC
    duration: int | None  # seconds
    episode_type: str  # full / trailer / bonus
    link: str | None
    audio_url: str | None
    image: str | None


@dataclass(frozen=True, slots=True)
class PersonCredit:
    name: str
    role: str  # host, guest, ...
    href: str | None = None
    inferred: bool = False
    detail: str | None = None  # what the credit says beside the name: "Dr.", "Acme Corp"


@dataclass(frozen=True, slots=True)
class EpisodeDetail:
    """Everything the episode card shows."""

    episode: EpisodeSummary
    notes_text: str
    persons: list[PersonCredit]
    chapter_count: int
    has_transcript: bool
    chapters_error: str | None = None  # why the feed's chapters file could not be read


@dataclass(frozen=True, slots=True)
class ChapterEntry:
    start: float
    title: str
    source: str
    url: str | None = None
    kind: str = "chapter"  # or "ad": a sponsor read or ad break


@dataclass(frozen=True, slots=True)
class Moment:
    """A place in an episode where a topic comes up (or the episode itself, start None)."""

    episode: EpisodeSummary
    start: float | None
    kind: MomentKind
    text: str  # what matched, highlighted with the markers above
    score: float  # relevance within its source (higher is better); the list is ranked
    speaker: str | None = None
    match: MatchTier = "phrase"  # how the topic matched: as a phrase, all words, any word


@dataclass(frozen=True, slots=True)
class SearchHit:
    episode: EpisodeSummary
    snippet: str  # highlighted with the markers above
    score: float
    match: MatchTier = "phrase"  # how the query matched: as a phrase, all words, any word
    start: float | None = None  # set when the snippet is a chapter title: where it starts


@dataclass(frozen=True, slots=True)
class RelatedEpisode:
    episode: EpisodeSummary
    score: float
    shared_people: tuple[str, ...] = ()
    shared_terms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Suggestion:
    """An autocomplete choice: `name` is shown (≤100 chars), `value` comes back (≤100)."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Resolution:
    """What an episode argument resolved to; `closest` are suggestions when it did not."""

    episode: EpisodeSummary | None
    closest: list[EpisodeSummary] = field(default_factory=list)
    # True when the text fits several episodes equally (the same number in two seasons or
    # two feeds): `closest` lists them, so the member can pick one.
    ambiguous: bool = False


@dataclass(frozen=True, slots=True)
class PersonEpisodes:
    name: str
    episodes: list[EpisodeSummary]  # newest first
    roles: tuple[str, ...] = ()


# /search scores: title > chapters > notes. A title match adds TITLE_BONUS; the best
# matching chapter title and the episode's bm25 (title 10, notes 1) add their share of
# the best score of their own index for the query.
