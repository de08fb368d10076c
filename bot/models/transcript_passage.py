"""A transcript as data: the cues a file gives (`Segment`) and the passages merged from them
(`Passage`), which the sync job stores and the store indexes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Segment:
    """One cue (or word, or paragraph) as the file gives it. Times are seconds or None."""

    text: str
    start: float | None = None
    end: float | None = None
    speaker: str | None = None


@dataclass(frozen=True, slots=True)
class Passage:
    """A sentence or two by one speaker: what is indexed and quoted."""

    text: str
    start: float | None
    end: float | None
    speaker: str | None
