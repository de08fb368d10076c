"""Typo tolerance from the catalogue's own vocabulary ("Hessain" finds "Hessian").

Tried only when the words as typed find nothing confident: each word that no searched
index holds in any form is replaced by the closest index term (rapidfuzz's ratio over the
`fts5vocab` terms, which are porter stems; same first letter, similar length; ties go to
the term in more rows). The reply says what was searched instead ("showing results for
…"), with the words as the results spell them.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.search.fts_query import fold, is_stopword
from bot.search.fts_query import words as split_words
from bot.store import Store

MIN_LENGTH = 4  # shorter words are too close to too many others
SCORE_CUTOFF = 72.0
_MARKED = re.compile("\x02([^\x03]*)\x03")


@dataclass(frozen=True, slots=True)
class Spelling:
    topic: str  # what to search instead (index terms in place of the unknown words)
    replaced: dict[str, str]  # typed word -> index term


class Vocabulary:
    """The index terms by first letter, read once per catalogue generation."""

    def __init__(self, counts: dict[str, int]):
        self.counts = counts
        self.by_letter: dict[str, list[str]] = {}
        for term in counts:
            if term[:1].isalpha() and len(term) >= MIN_LENGTH - 1:
                self.by_letter.setdefault(term[0], []).append(term)

    def closest(self, word: str) -> str | None:
        # Stems are shorter than the words they come from.
        candidates = [t for t in self.by_letter.get(word[:1], ()) if -6 <= len(t) - len(word) <= 3]
        if not candidates:
            return None
        found = process.extract(
            word, candidates, scorer=_stem_ratio, score_cutoff=SCORE_CUTOFF, limit=5
        )
        if not found:
            return None
        best = max(found, key=lambda item: (round(item[1]), self.counts.get(item[0], 0)))
        return str(best[0])


def _stem_ratio(word: str, term: str, **_: object) -> float:
    """rapidfuzz's ratio, or that of the word cut to about the stem's length when the
    stem is long enough to say something ("dedupliction" ~ "dedupl")."""
    score = fuzz.ratio(word, term)
    if len(term) >= 5 and len(word) > len(term) + 2:
        score = max(score, fuzz.ratio(word[: len(term) + 1], term) - 5)
    return score


# Per store, as bot/search/lookup_cache.py keeps its index: weakly, so that a closed store's
# vocabulary goes with it and a new store at the same address never sees it.
_cache: weakref.WeakKeyDictionary[Store, tuple[int, Vocabulary]] = weakref.WeakKeyDictionary()


async def vocabulary(store: Store) -> Vocabulary:
    generation = await store.lookup_generation()
    cached = _cache.get(store)
    if cached is not None and cached[0] == generation:
        return cached[1]
    found = Vocabulary(await store.search_vocabulary())
    _cache[store] = (generation, found)
    return found


async def respell(store: Store, topic: str) -> Spelling | None:
    """The topic with its unknown words replaced by the closest index terms; None when
    every word is known or no replacement is close enough."""
    typed = [fold(w) for w in split_words(topic)]
    unknown = [w for w in typed if len(w) >= MIN_LENGTH and not is_stopword(w) and w.isalpha()]
    if not unknown:
        return None
    known = await store.indexed_words(unknown)  # one query, not one per word
    unknown = [w for w in unknown if w not in known]
    if not unknown:
        return None
    vocab = await vocabulary(store)
    replaced: dict[str, str] = {}
    for word in unknown:
        term = vocab.closest(word)
        # The term is a stem: searched as a word of the text that has it.
        form = await store.surface_form(term) if term is not None else None
        if form is not None:
            replaced[word] = fold(form)
    if not replaced:
        return None
    return Spelling(" ".join(replaced.get(w, w) for w in typed), replaced)


def shown_as(spelling: Spelling, highlighted: list[str]) -> str:
    """The corrected topic as the results spell it: each replaced word as the first
    highlighted token that is a form of its index term (else the term itself)."""
    marked: list[str] = []
    for text in highlighted:
        marked += [w for m in _MARKED.finditer(text) for w in split_words(m.group(1))]
    shown = []
    for word in spelling.topic.split():
        form = word
        if word in spelling.replaced.values():
            for token in marked:
                if fold(token).startswith(word) or word.startswith(fold(token)):
                    form = token.lower()
                    break
        shown.append(form)
    return " ".join(shown)
