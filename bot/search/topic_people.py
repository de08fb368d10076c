"""A person of the catalogue named in a /when topic ("what Çağla said about sycophancy").

The name is taken out of the topic (what is left is what to look for) and the moments of
that person come first: the passages they speak, then the rest of their own episodes, then
everything else. A name is a person's full name (folded: "Zoe Harlan-Miyata" is "Zoë
Harlan-Miyata"), or one word of it typed with a capital ("José", "Ndiaye"): a lower-case
word alone is a topic word ("max pooling" is not about Max Kless).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from bot.models.episode_views import Moment
from bot.search.fts_query import fold, is_stopword
from bot.search.fts_query import words as split_words
from bot.search.lookup import IndexedPerson

# Possessives and the words that join a name to its topic: left out of what is looked for.
_LINKS = frozenset(
    {"s", "said", "says", "say", "on", "about", "talks", "talking", "explains", "asks", "asked"}
)


@dataclass(frozen=True, slots=True)
class TopicPerson:
    person: IndexedPerson
    rest: str  # the topic without the name: what to look for
    episodes: frozenset[int]  # the person's episodes


class PeopleByWord:
    """The people of a catalogue by the folded words of their names: a topic is checked
    against the few people sharing one of its words, not against everyone."""

    def __init__(self, people: Iterable[IndexedPerson]):
        self.by_word: dict[str, list[IndexedPerson]] = {}
        for person in people:
            for word in {fold(w) for w in split_words(person.name)}:
                self.by_word.setdefault(word, []).append(person)

    def candidates(self, folded_words: Iterable[str]) -> list[IndexedPerson]:
        found: dict[int, IndexedPerson] = {}
        for word in folded_words:
            for person in self.by_word.get(word, ()):
                found[person.id] = person
        return list(found.values())


_built: list[tuple[object, PeopleByWord]] = []  # the latest index's, one entry


def people_by_word(index: object, people: Iterable[IndexedPerson]) -> PeopleByWord:
    """`PeopleByWord` of a lookup index, built once per index (the index is rebuilt,
    and so this, when the catalogue changes)."""
    if _built and _built[0][0] is index:
        return _built[0][1]
    built = PeopleByWord(people)
    _built[:] = [(index, built)]
    return built


def person_in_topic(
    topic: str,
    people: Iterable[IndexedPerson] | PeopleByWord,
    in_scope: Collection[int] | None = None,
) -> TopicPerson | None:
    """The person the topic names (the longest name match; full names before single
    words, then the person with the most episodes), or None; None also when nothing but
    the name is left to look for (then the name itself is the topic)."""
    typed = split_words(topic)
    folded = [fold(w) for w in typed]
    capital = [w[:1].isupper() for w in _cased_words(topic)]
    if not isinstance(people, PeopleByWord):
        people = PeopleByWord(people)
    best: tuple[int, int, IndexedPerson, tuple[int, ...]] | None = None
    for person in people.candidates(folded):
        names = [fold(w) for w in split_words(person.name)]
        if not names:
            continue
        episodes = {e for e, _ in person.episodes}
        if in_scope is not None:
            episodes &= set(in_scope)
        if not episodes:
            continue
        found = _full_match(folded, names)
        score = 2 * len(names) if found else 0
        if not found:
            for position, word in enumerate(folded):
                if (
                    word in names
                    and len(word) >= 3
                    and not is_stopword(word)
                    and position < len(capital)
                    and capital[position]
                ):
                    found, score = (position,), 1
                    break
        if found and (best is None or (score, len(episodes)) > (best[0], best[1])):
            best = (score, len(episodes), person, found)
    if best is None:
        return None
    _, _, person, positions = best
    rest = [
        word
        for position, word in enumerate(typed)
        if position not in positions and fold(word) not in _LINKS
    ]
    if not any(not is_stopword(w) for w in rest):
        return None
    return TopicPerson(person, " ".join(rest), frozenset(e for e, _ in person.episodes))


def person_first(moments: Sequence[Moment], named: TopicPerson) -> list[Moment]:
    """The person's own words (and the chapters of their episodes) first, then the rest
    of their episodes (those with them as a guest or host, or named in the title), then
    the rest; each group in the order it came (stable), confident matches before partial
    ones."""
    name = fold(named.person.name)
    first = fold(named.person.name.split()[0]) if named.person.name.split() else name

    def level(moment: Moment) -> int:
        own = moment.episode.id in named.episodes or name in fold(moment.episode.title)
        speaker = fold(moment.speaker or "")
        if speaker and (speaker in (name, first) or speaker.startswith(name)):
            return 0
        if own and moment.kind == "chapter":  # a chapter of their episode on the topic
            return 0
        return 1 if own else 2

    return sorted(moments, key=lambda m: (m.match == "any", level(m)))


def _cased_words(text: str) -> list[str]:
    """The words of `text` with their case kept (`words` lower-cases them)."""
    return re.findall(r"[^\W_]+", text)


def _full_match(folded: Sequence[str], names: Sequence[str]) -> tuple[int, ...]:
    """The positions of the full name in the typed words, or ()."""
    size = len(names)
    for start in range(len(folded) - size + 1):
        if list(folded[start : start + size]) == list(names):
            return tuple(range(start, start + size))
    return ()
