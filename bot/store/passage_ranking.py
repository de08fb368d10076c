"""How the moments query ranks the passages it reads: pure functions over FTS5
`highlight()` text (stdlib only), private to the store's SQL engine.

`passage_score` scores a highlighted passage, `segment_score` weighs it with its
neighbours, `collapse_nearby` keeps one hit per minute, and `trim_quote` cuts a passage
down around its first highlight.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import TypeVar

_WORD = re.compile(r"\w+")
T = TypeVar("T")


def highlight_spans(text: str, start: str, end: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the highlighted spans (markers included) in `text`."""
    spans: list[tuple[int, int]] = []
    position = 0
    while True:
        opened = text.find(start, position)
        if opened < 0:
            return spans
        closed = text.find(end, opened + len(start))
        if closed < 0:
            return spans
        spans.append((opened, closed + len(end)))
        position = closed + len(end)


def passage_score(text: str, term_count: int, start: str, end: str) -> float:
    """How well a highlighted passage answers a topic of `term_count` terms, in [0, 1].

    Coverage (how many different terms matched) counts most; then whether the terms
    appear together as a phrase; then density (matches per word, saturating), so a short
    passage that says the words twice beats a long one that says them once.
    """
    spans = highlight_spans(text, start, end)
    if not spans:
        return 0.0
    matched = {text[a + len(start) : b - len(end)].casefold() for a, b in spans}
    coverage = min(1.0, len(matched) / max(1, term_count))
    words = max(1, len(_WORD.findall(text)))
    density = len(spans) / (len(spans) + 0.5 + words / 40)
    if term_count <= 1:
        together = 1.0
    else:
        run = best = 1
        for (_, previous_end), (next_start, _) in pairwise(spans):
            between = text[previous_end:next_start]
            run = run + 1 if not _WORD.search(between) else 1
            best = max(best, run)
        together = 1.0 if best >= min(term_count, len(matched)) and len(matched) > 1 else 0.4
    return round(coverage * coverage * (0.55 * together + 0.45 * density), 6)


# A passage's segment: its neighbours (ids are consecutive in an episode) that start at
# most this many seconds before or after it (untimed passages: SEGMENT_REACH on each side).
SEGMENT_SECONDS = 75.0
SEGMENT_REACH = 3


def segment_score(
    own: float, held: dict[int, tuple[float | None, set[int]]], rowid: int, term_count: int
) -> float:
    """A passage's score with its neighbours: `held` maps the episode's passage ids to
    their start and the indexes of the topic's terms each holds. The segment (neighbours
    within SEGMENT_SECONDS) scores by how much of the topic it holds between its passages
    (squared, as `passage_score`'s coverage) and how many of them speak of it (support,
    up to four); the passage keeps its own score (`own`, from `passage_score`), weighed by
    that support: a passing mention alone keeps 0.7 of it, one inside a discussion all.
    """
    centre = held.get(rowid)
    start = centre[0] if centre else None
    speaking = []
    for other in range(rowid - SEGMENT_REACH, rowid + SEGMENT_REACH + 1):
        entry = held.get(other)
        if entry is None:
            continue
        if start is not None and entry[0] is not None and abs(entry[0] - start) > SEGMENT_SECONDS:
            continue
        speaking.append(entry[1])
    covered: set[int] = set().union(*speaking) if speaking else set()
    coverage = min(1.0, len(covered) / max(1, term_count))
    support = min(1.0, len(speaking) / 4)
    segment = 0.6 * coverage * coverage * support
    return round(max(own * (0.7 + 0.3 * support), segment), 6)


def collapse_nearby(
    hits: Sequence[T],
    *,
    start_of: Callable[[T], float | None],
    score_of: Callable[[T], float],
    window: float = 60.0,
    keep: int | None = None,
) -> list[T]:
    """The best hits of one episode, best first, dropping any that starts within `window`
    seconds of a better one kept ("the same minute"). Untimed hits are never merged."""
    kept: list[T] = []
    kept_starts: list[float] = []
    for hit in sorted(hits, key=score_of, reverse=True):
        start = start_of(hit)
        if start is not None:
            if any(abs(other - start) < window for other in kept_starts):
                continue
            kept_starts.append(start)
        kept.append(hit)
        if keep is not None and len(kept) >= keep:
            break
    return kept


def trim_quote(text: str, width: int, start: str, end: str) -> str:
    """At most about `width` visible characters of a highlighted passage, centred on its
    first highlight, cut at word boundaries with "…", never inside a highlight."""
    visible = len(text) - text.count(start) * len(start) - text.count(end) * len(end)
    if visible <= width:
        return text
    spans = highlight_spans(text, start, end)
    focus = spans[0][0] if spans else 0
    left = max(0, focus - width // 3)
    right = min(len(text), left + width + (len(start) + len(end)) * len(spans))
    left = max(0, min(left, right - width))
    # Never cut a marker pair in half.
    for a, b in spans:
        if a < left < b:
            left = a
        if a < right < b:
            right = b
    if left > 0:
        space = text.find(" ", left)
        if 0 <= space < focus:
            left = space + 1
    if right < len(text):
        space = text.rfind(" ", left, right)
        if space > focus:
            right = space
    quote = text[left:right].strip()
    return ("…" if left > 0 else "") + quote + ("…" if right < len(text) else "")
