"""Typo tolerance from the catalogue's own vocabulary ("Hessain" finds "Hessian").

Tried only when the words as typed find nothing confident: each word that no searched
index holds in any form is replaced by the closest index term (rapidfuzz's ratio over the
`fts5vocab` terms, which are porter stems; same first letter, similar length; ties go to
the term in more rows). The reply says what was searched instead ("showing results for
…"), with the words as the results spell them.

The vocabulary reads run within the store's search budget; one that is cut off
(QueryTooSlow) leaves the words as typed: a respelling or a word's other forms are a
bonus, never worth failing a command for (logged once per command).
"""

from __future__ import annotations

import logging
import math
import re
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from rapidfuzz import fuzz, process

from bot.search.fts_query import QueryPlan, SearchText, fold, is_stopword
from bot.search.fts_query import words as split_words
from bot.search.languages import (
    LANGUAGE_STOPWORDS,
    MAX_FORMS,
    MIN_STEM,
    SNOWBALL,
    MarkedTerms,
    index_prefix,
    index_term,
    language_code,
    same_stem,
    stem,
)
from bot.store import QueryTooSlow, Store
from bot.store.episode_reads import Scope

log = logging.getLogger(__name__)

MIN_LENGTH = 4  # shorter words are too close to too many others
SCORE_CUTOFF = 72.0
_MARKED = re.compile("\x02([^\x03]*)\x03")


@dataclass(frozen=True, slots=True)
class Spelling:
    topic: str  # what to search instead (index terms in place of the unknown words)
    replaced: dict[str, str]  # typed word -> index term


class Vocabulary:
    """The index terms by first letter, read once per `vocabulary_generation`."""

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
        # The typed word and its own stem ("difusion" -> "difus" ~ "diffus"): terms are stems.
        found = []
        for typed in dict.fromkeys((word, index_term(word))):
            found += process.extract(
                typed, candidates, scorer=_stem_ratio, score_cutoff=SCORE_CUTOFF, limit=5
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
_cache: weakref.WeakKeyDictionary[Store, tuple[tuple[int, int], Vocabulary]] = (
    weakref.WeakKeyDictionary()
)


async def vocabulary(store: Store) -> Vocabulary:
    async def read() -> Vocabulary:
        return Vocabulary(await store.search_vocabulary())

    return await _kept(_cache, store, read)


_Kept = TypeVar("_Kept")


async def _kept(
    cache: weakref.WeakKeyDictionary[Store, tuple[tuple[int, int], _Kept]],
    store: Store,
    build: Callable[[], Awaitable[_Kept]],
) -> _Kept:
    """What `build` makes, kept in `cache` while the store's `vocabulary_generation` holds."""
    generation = await store.vocabulary_generation()
    cached = cache.get(store)
    if cached is not None and cached[0] == generation:
        return cached[1]
    found = await build()
    cache[store] = (generation, found)
    return found


@dataclass(slots=True)
class _Forms:
    languages: dict[int, str | None]  # feed id -> ISO 639-1 code (None: not known)
    marked: MarkedTerms | None = None  # read on the first non-ASCII word searched
    rows: dict[str, int] = field(default_factory=dict)  # index term -> rows holding it
    # (word, language) -> its forms there (`_forms_in`): a word searched again reads none
    stems: dict[tuple[str, str], list[str]] = field(default_factory=dict)


_forms: weakref.WeakKeyDictionary[Store, tuple[tuple[int, int], _Forms]] = (
    weakref.WeakKeyDictionary()
)


async def _word_forms(store: Store) -> _Forms:
    async def read() -> _Forms:
        stored = await store.feed_languages()
        return _Forms({feed_id: language_code(value) for feed_id, value in stored.items()})

    return await _kept(_forms, store, read)


async def language_parts(
    store: Store, scope: Scope, *, forms: _Forms | None = None
) -> list[tuple[Scope, str | None]]:
    """The scope in parts by the language of its feeds, for the languages search treats
    apart (a Snowball stemmer or a stopword list; English is the index's own): each with
    its ISO code, the other feeds together with None. One part for most catalogues."""
    forms = forms or await _word_forms(store)
    feeds: dict[str, set[int]] = {}
    for feed_id, code in forms.languages.items():
        if code is None or code == "en" or not scope.contains(feed_id):
            continue
        if code in SNOWBALL or code in LANGUAGE_STOPWORDS:
            feeds.setdefault(code, set()).add(feed_id)
    if not feeds:
        return [(scope, None)]
    groups: list[tuple[frozenset[int], str | None]] = [
        (frozenset(ids), code) for code, ids in sorted(feeds.items())
    ]
    every = scope.feed_ids if not scope.everything else frozenset(forms.languages)
    rest = every - set().union(*feeds.values())
    if rest:
        groups.append((frozenset(rest), None))
    # One part for the whole scope keeps the scope itself; the largest of several is
    # "every feed but the others'" when it can be (no statement lists thousands of ids).
    parts = scope.split([ids for ids, _ in groups])
    return [(part, code) for part, (_, code) in zip(parts, groups, strict=True)]


async def search_plans(store: Store, text: str, scope: Scope) -> list[tuple[Scope, QueryPlan]]:
    """What to run for a member's text, per part of the scope (`language_parts`): each
    part's words parsed without its language's stopwords and widened by their forms
    there (`word_forms`). Parts whose expressions are the same run as one, so most
    catalogues run one. [] when there is nothing to search."""
    plans: dict[QueryPlan, set[int]] = {}
    forms = await _word_forms(store)  # one read of the generation for the whole plan
    widen = True  # until a read of the vocabulary is cut off: then the words as typed
    for part, code in await language_parts(store, scope, forms=forms):
        stopwords = LANGUAGE_STOPWORDS.get(code, frozenset()) if code else frozenset()
        parsed = SearchText.parse(text, stopwords)
        variants: dict[str, list[str]] = {}
        if widen:
            try:
                variants = await word_forms(store, parsed.words, code, forms=forms)
            except QueryTooSlow:
                widen = False
                log.warning("search %r: the word forms took too long; searching as typed", text)
        plan = parsed.plan(variants)
        if plan is not None:
            plans.setdefault(plan, set()).update(part.feed_ids)
    if len(plans) == 1:
        return [(scope, next(iter(plans)))]
    parts = scope.split([frozenset(ids) for ids in plans.values()])
    return list(zip(parts, plans, strict=True))


async def word_forms(
    store: Store, words: Sequence[str], code: str | None, *, forms: _Forms | None = None
) -> dict[str, list[str]]:
    """The other forms to search each of `words` by in feeds of language `code`
    (bot/search/languages.py): the index terms sharing its Snowball stem there ("starter"
    is not "Start" in an English show: only that language's feeds search them), and its
    spellings with the diacritics the index kept (in any feed). Words without any are
    left out. QueryTooSlow when a read of the vocabulary is cut off."""
    if code is None and all(word.isascii() for word in words):
        return {}  # nothing to widen: no read at all
    forms = forms or await _word_forms(store)
    found: dict[str, list[str]] = {}
    for word in words:
        variants = list(await _forms_in(store, word, code, forms)) if code else []
        if not word.isascii():
            if forms.marked is None:
                forms.marked = MarkedTerms(await store.marked_terms())
            variants += forms.marked.spellings(word)
        if variants:
            found[word] = variants
    return found


async def _forms_in(store: Store, word: str, code: str, forms: _Forms) -> list[str]:
    """The index terms that are forms of `word` in language `code` (bot/search/languages),
    read from the vocabulary range the word's stem starts, most frequent first; kept with
    the vocabulary's generation (`forms`)."""
    known = forms.stems.get((word, code))
    if known is not None:
        return known
    found: list[str] = []
    stemmed = stem(word, code)
    if stemmed is not None and len(stemmed) >= MIN_STEM and stemmed.isalpha():
        prefix = index_prefix(word, stemmed)
        if len(prefix) >= MIN_STEM - 1:
            counts = await store.terms_starting(prefix)
            found = same_stem(word, counts, code)
            found.sort(key=lambda t: -counts[t])
            found = found[:MAX_FORMS]
    forms.stems[word, code] = found
    return found


async def word_weights(store: Store, words: Sequence[str]) -> dict[str, float]:
    """How distinctive each word is in the catalogue: 1 / ln(2 + rows holding its index
    term), so a rare word weighs most and "learning" in a machine-learning show little.
    Read from the vocabulary (cached per `vocabulary_generation`); all 1.0 when that read
    is cut off at the store's search budget."""
    forms = await _word_forms(store)
    terms = {w: index_term(fold(w)) for w in words}
    missing = [t for t in set(terms.values()) if t not in forms.rows]
    if missing:
        try:
            forms.rows.update(await store.term_rows(missing))
        except QueryTooSlow:
            # Unknown rarity: every word weighs the same (partial matches by word count).
            log.warning("weighing %r took too long; the words weigh the same", list(words))
            return dict.fromkeys(words, 1.0)
    # A word nothing holds weighs as one held once: unknown is not more telling than rare.
    return {w: 1 / math.log(2 + max(1, forms.rows.get(t, 0))) for w, t in terms.items()}


async def respell(store: Store, topic: str) -> Spelling | None:
    """The topic with its unknown words replaced by the closest index terms; None when
    every word is known, no replacement is close enough, or a read of the vocabulary
    was cut off at the store's search budget (the words are searched as typed)."""
    try:
        return await _respelled(store, topic)
    except QueryTooSlow:
        log.warning("respelling %r took too long; searching it as typed", topic)
        return None


async def _respelled(store: Store, topic: str) -> Spelling | None:
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
