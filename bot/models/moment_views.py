"""What a moment card shows and what members saved, as the store reads them (plain data)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.models.episode_views import ChapterEntry, EpisodeSummary


@dataclass(frozen=True, slots=True)
class SpokenPassage:
    """The transcript passage playing at a second, with who said it (when known)."""

    start: float
    end: float | None
    speaker: str | None
    text: str


@dataclass(frozen=True, slots=True)
class MomentContext:
    """What the store knows about one second of an episode."""

    chapter: ChapterEntry | None  # the chapter that contains the second
    passage: SpokenPassage | None  # the transcript passage at that second
    notes_sentence: str | None  # a show-notes sentence naming (about) that time


@dataclass(frozen=True, slots=True)
class MomentView:
    """Everything a moment card shows: the episode, the second, and what is there."""

    episode: EpisodeSummary
    seconds: int
    context: MomentContext
    note: str | None = None  # the member's own words, as typed (escaped when shown)


@dataclass(frozen=True, slots=True)
class SavedMoment:
    """One of a member's saved moments."""

    episode_id: int
    seconds: int
    note: str | None
    created_at: int


@dataclass(frozen=True, slots=True)
class MomentTally:
    """A moment of a server and how many members saved it."""

    episode_id: int
    seconds: int
    saves: int
