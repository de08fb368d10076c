"""Words and meaning in one list: reciprocal rank fusion of /when's lexical moments and
the moments nearest the topic in meaning.

Each list gives a moment `weight / (RRF_K + rank)`; a moment in both (the same episode,
starting within `SAME_MOMENT` seconds) adds both, so what the words and the meaning agree
on comes first. Ties keep the lexical order. A moment found only by meaning is labelled
with the match tier "meaning"; a partial lexical match ("any": some of the words) that
the meaning confirms becomes "meaning" too. Phrase and all-words matches keep their tier.
Measured on bench/bench_relevance.py (`--semantic MODEL`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from bot.models.episode_views import Moment, MomentKind
from bot.semantic.semantic_search import NearMoment

RRF_K = 5  # small: the first few of each list matter most (a /when page shows 5)
PARTIAL_WEIGHT = 0.5  # a lexical match of some of the words counts half
SEMANTIC_WEIGHT = 1.0
SAME_MOMENT = 45.0  # seconds apart at most, for a lexical and a near moment to be one


@dataclass(slots=True)
class _Entry:
    moment: Moment
    score: float
    order: int
    confirmed: bool = False  # a near moment has been added to it


def fuse_moments(
    lexical: Sequence[Moment],
    near: Sequence[NearMoment],
    limit: int,
    *,
    k: float = RRF_K,
    partial_weight: float = PARTIAL_WEIGHT,
    semantic_weight: float = SEMANTIC_WEIGHT,
) -> list[Moment]:
    """The fused list, best first, at most `limit` moments."""
    entries = [
        _Entry(moment, (partial_weight if moment.match == "any" else 1.0) / (k + rank), rank)
        for rank, moment in enumerate(lexical, 1)
    ]
    for rank, found in enumerate(near, 1):
        share = semantic_weight / (k + rank)
        same = next((e for e in entries if not e.confirmed and _same(e.moment, found)), None)
        if same is not None:
            same.score += share
            same.confirmed = True
            if same.moment.match == "any" and found.sure:
                same.moment = dataclasses.replace(same.moment, match="meaning")
            continue
        entries.append(_Entry(_as_moment(found), share, len(lexical) + rank, confirmed=True))
    entries.sort(key=lambda e: (-e.score, e.order))
    return [e.moment for e in entries[:limit]]


def _same(moment: Moment, found: NearMoment) -> bool:
    if moment.episode.id != found.episode.id:
        return False
    if moment.start is None or found.moment.start is None:
        return moment.start is None and found.moment.start is None and moment.kind != "episode"
    return abs(moment.start - found.moment.start) <= SAME_MOMENT


def _as_moment(found: NearMoment) -> Moment:
    return Moment(
        episode=found.episode,
        start=found.moment.start,
        kind=cast(MomentKind, found.moment.kind),
        text=found.text,
        score=round(found.score, 4),
        speaker=found.moment.speaker,
        match="meaning" if found.sure else "related",
    )
