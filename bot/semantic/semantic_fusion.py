"""Words and meaning in one list: reciprocal rank fusion of /when's lexical moments and
the moments nearest the topic in meaning.

Each list gives a moment `weight / (RRF_K + rank)`; a moment in both (the same episode,
starting within `SAME_MOMENT` seconds) adds both, so what the words and the meaning agree
on comes first; the phrase matches heading the lexical list stay before all others.
Ties keep the lexical order. An episode-level lexical match (title or notes) takes the
place of the first near moment of that episode: where in it the topic comes up. A moment
found only by meaning is labelled with the match tier "meaning" (or "related", when it is
near but not sure: a partial match); a partial lexical match ("any": some of the words)
that the meaning is sure of becomes "meaning" too. Phrase and all-words matches keep
their tier.
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
SEMANTIC_WEIGHT = 1.0
SAME_MOMENT = 45.0  # seconds apart at most, for a lexical and a near moment to be one
# An episode's opening (as bot/search/catalogue.OPENING): a host's preview of the hour is
# near every topic of it in meaning too. A near moment there counts for nothing when the
# same episode has a later moment for the topic (the discussion the preview announces).
OPENING = 90.0


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
    semantic_weight: float = SEMANTIC_WEIGHT,
) -> list[Moment]:
    """The fused list, best first, at most `limit` moments. The lexical list's own order
    (which already puts previews after the discussion and partial matches by how much
    of the topic they hold) is its rank."""
    entries = [_Entry(moment, 1.0 / (k + rank), rank) for rank, moment in enumerate(lexical, 1)]
    later = {m.episode.id for m in lexical if m.start is not None and m.start >= OPENING} | {
        f.episode.id for f in near if f.moment.start is not None and f.moment.start >= OPENING
    }
    near = [f for f in near if not (_in_opening(f) and f.episode.id in later)]
    for rank, found in enumerate(near, 1):
        share = semantic_weight / (k + rank)
        same = next((e for e in entries if not e.confirmed and _same(e.moment, found)), None)
        if same is not None:
            # Only a sure near moment confirms the words; one only near the topic may
            # still say where in an episode it is (below), but moves nothing up.
            same.score += share if found.sure else 0.0
            same.confirmed = True
            if same.moment.start is None and found.moment.start is not None:
                # The words matched the episode (its title or notes): the meaning says
                # where in it. The moment becomes that place, with the words' tier.
                same.moment = dataclasses.replace(
                    _as_moment(found), match=same.moment.match, score=same.moment.score
                )
            if same.moment.match == "any" and found.sure:
                same.moment = dataclasses.replace(same.moment, match="meaning")
            continue
        entries.append(_Entry(_as_moment(found), share, len(lexical) + rank, confirmed=True))
    # The topic's words side by side (a phrase match) heading the lexical list is the
    # strongest sign there is: those moments stay first, in that order; the rest are fused.
    # (A phrase match the lexical ranking put lower, such as an opening that previews the
    # hour, is fused with the others.)
    leading = next((i for i, m in enumerate(lexical) if m.match != "phrase"), len(lexical))
    entries.sort(key=lambda e: (0, 0.0, e.order) if e.order <= leading else (1, -e.score, e.order))
    return [e.moment for e in entries[:limit]]


def _in_opening(found: NearMoment) -> bool:
    start = found.moment.start
    return start is not None and start < OPENING and found.moment.kind != "chapter"


def _same(moment: Moment, found: NearMoment) -> bool:
    if moment.episode.id != found.episode.id:
        return False
    if moment.kind == "episode":
        return True  # an episode-level match: any moment of that episode
    if moment.start is None or found.moment.start is None:
        return moment.start is None and found.moment.start is None
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
