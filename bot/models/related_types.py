"""The data relatedness passes between the store and `bot.related.scoring`: episode texts,
a feed's document frequencies, signatures and the stored related-list rows.

`is_boilerplate` lives here, beside `FeedTerms`, because the store applies it in the query
that lists an episode's candidates and the scoring applies it to signatures: one rule.
"""

from __future__ import annotations

from dataclasses import dataclass

BOILERPLATE_SHARE = 0.3  # a term in more of a feed's episodes than this is not distinctive


@dataclass(slots=True)
class Document:
    """The text of one episode that relatedness reads."""

    episode_id: int
    feed_id: int
    title: str
    chapters: list[str]
    notes: str


@dataclass(slots=True)
class FeedTerms:
    """A feed's document frequencies: term -> number of its episodes using it."""

    episodes: int
    df: dict[str, int]


@dataclass(frozen=True, slots=True)
class SignatureTerm:
    weight: float
    form: str


Signature = dict[str, SignatureTerm]


def is_boilerplate(df: int, episodes: int) -> bool:
    """A term in more than 30% of a feed's episodes (and at least three) is not distinctive."""
    return df >= 3 and df > BOILERPLATE_SHARE * episodes


@dataclass(frozen=True, slots=True)
class RelatedRow:
    """One stored line of an episode's related list."""

    episode_id: int
    related_id: int
    same_feed: bool
    score: float
    shared_people: tuple[str, ...]
    shared_terms: tuple[str, ...]
