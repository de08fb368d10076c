"""Timed passages: the sentences of show notes that sit next to a timestamp.

Besides a chapter list, notes often point into the audio in prose — "At 12:30 in, she
explains why a few stickers worried the industry", "the bit about warmup (41:05)". Each
such sentence is a moment `/when` can jump to. The importer derives them once, when it
stores an episode; lines of the chapter list itself are chapters and are left out.

A time in prose counts only when it reads as a position in the audio: in brackets, at the
start of a line, or after a word such as "at", "around" or "from". Clock times ("9:30 am",
"14:00 Uhr"), ratios ("16:9", "1:1") and references ("John 3:16") are not moments.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from bot.common.plain_text import truncate
from bot.common.timefmt import parse_timestamp
from bot.models.parsed_feed import Chapter, TimedPassage
from bot.search.fts_query import fold

MAX_PASSAGE_LENGTH = 300

_T = r"\d{1,3}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
# A time that is not part of a longer token: not `v1:30`, `10:30am`, `2001:db8::1`.
_TIME = re.compile(rf"(?<![\w:.,/])({_T})(?![\w:]|[.,]\d)")
_QUICK_TIME = re.compile(r":\d\d")
_CLOCK_AFTER = re.compile(
    r"\s*(?:(?:am|a\.m\.|pm|p\.m\.|uhr|h|hrs|o'clock|oclock)(?!\w)"
    r"|(?:[ecmp][sd]t|aes?t|aedt|gmt|utc|ces?t|mes?z|bst|et|pt|ct|mt)\b)",
    re.IGNORECASE,
)
# Words after which a time is a place in the audio ("at 12:30", "around 1:02:00"). Not
# "from" or "to": "from 6:30 to 8:00" is more often a clock than a stretch of audio.
_CUE_WORDS = frozenset(
    {"at", "around", "about", "after", "circa", "ca"}
    | {"approximately", "roughly", "minute", "minutes", "mark", "timestamp", "time", "@", "~"}
    | {"um", "ab", "bei", "gegen", "ca.", "minuto", "minute", "vers", "desde", "a", "vanaf"}
)
_WORD_BEFORE = re.compile(r"([^\s]+)\s*$")
# Event listings ("9 October: talk at Waterstones (17:00)") give clock times, not moments.
_DATE = re.compile(
    r"\b(?:\d{1,2}\.?\s*(?:jan|feb|m[aä]r|apr|ma[iy]|jun|jul|aug|sep|o[ck]t|nov|de[cz])[a-z]*"
    r"|(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*day|(?:january|february|march|april|june|july"
    r"|august|september|october|november|december)\s+\d{1,2})\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+")


def timed_passages(
    notes_text: str, listed: Sequence[Chapter] = (), duration: float | None = None
) -> list[TimedPassage]:
    """The timed passages of plain-text notes (see the module docstring).

    `listed` are the chapters read from the same notes: their lines are not passages.
    Times at or past a known `duration` are dropped.
    """
    if not notes_text or not _QUICK_TIME.search(notes_text):
        return []
    limit = duration if duration else float("inf")
    listed_by_second = _by_second(listed)
    found: dict[tuple[float, str], TimedPassage] = {}
    for line in notes_text.split("\n"):
        if not _QUICK_TIME.search(line) or _is_chapter_line(line, listed_by_second):
            continue
        if _DATE.search(line):
            continue
        for sentence in _sentences(line):
            for start, text in _sentence_moments(sentence, at_line_start=line.startswith(sentence)):
                if 0 <= start < limit and _has_words(text):
                    found.setdefault((start, text), TimedPassage(start, text))
    return sorted(found.values(), key=lambda p: p.start)


# Chapters by the whole second they start in: a line's time is compared with the few
# chapters near it, not with the whole list (quadratic: 32,000 lines took 23 s).
_ListedBySecond = dict[int, list[tuple[float, str]]]
_CLOSE = 1.5  # seconds between a line's time and a chapter's start that still match


def _by_second(listed: Sequence[Chapter]) -> _ListedBySecond:
    by_second: _ListedBySecond = {}
    for chapter in listed:
        by_second.setdefault(math.floor(chapter.start), []).append(
            (chapter.start, fold(chapter.title))
        )
    return by_second


def _is_chapter_line(line: str, listed: _ListedBySecond) -> bool:
    """Whether the line is an entry of the chapter list: its time and its title."""
    if not listed:
        return False
    folded = fold(line)
    for match in _TIME.finditer(line):
        start = parse_timestamp(match.group(1))
        if start is None:
            continue
        for second in range(math.floor(start - _CLOSE), math.floor(start + _CLOSE) + 1):
            for chapter_start, title in listed.get(second, ()):
                if abs(chapter_start - start) < _CLOSE and title in folded:
                    return True
    return False


def _sentences(line: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(line) if part.strip()]


def _sentence_moments(sentence: str, *, at_line_start: bool) -> list[tuple[float, str]]:
    """(start, text) for each time in the sentence that points into the audio."""
    marks: list[tuple[re.Match[str], float, bool]] = []  # match, seconds, bracketed
    for match in _TIME.finditer(sentence):
        start = parse_timestamp(match.group(1))
        if start is None or _CLOCK_AFTER.match(sentence, match.end()):
            continue
        before = sentence[: match.start()]
        bracketed = before.rstrip().endswith(("(", "[")) and sentence[match.end() :].lstrip(
            " -–—"
        ).startswith((")", "]"))
        leading = at_line_start and not before.strip(" \t-–—•*>([")
        word = _WORD_BEFORE.search(before)
        cued = word is not None and word.group(1).casefold().strip("(,;") in _CUE_WORDS
        if bracketed or leading or cued:
            marks.append((match, start, bracketed))
    if not marks:
        return []
    if len(marks) == 1:
        return [(marks[0][1], _clip(sentence))]
    # Several times in one sentence: each labels its own stretch of it — the words
    # before a bracketed time ("warmup (12:30), decay (25:00)"), else the words after.
    moments = []
    if all(bracketed for _, _, bracketed in marks):
        edge = 0
        for match, start, _ in marks:
            end = sentence.find(")", match.end())
            end = len(sentence) if end < 0 else end + 1
            moments.append((start, _clip(sentence[edge:end].strip(" ,;"))))
            edge = end
    else:
        for index, (match, start, _) in enumerate(marks):
            end = marks[index + 1][0].start() if index + 1 < len(marks) else len(sentence)
            moments.append((start, _clip(sentence[match.start() : end].strip(" ,;"))))
    return moments


_LETTERS = re.compile(r"[^\W\d_]{3,}")


def _has_words(text: str) -> bool:
    """Whether the passage says something besides its time."""
    return _LETTERS.search(_TIME.sub(" ", text)) is not None


def _clip(text: str) -> str:
    return truncate(" ".join(text.split()), MAX_PASSAGE_LENGTH)
