"""Finding an episode or a person from a few typed characters, in memory.

Autocomplete runs on every keystroke and must feel instant, so it does not query SQLite:
`LookupIndex` holds every episode's number, title words and guests, and every person's
name words, built once and rebuilt when the catalogue changes (the store keeps it). It
answers by number ("12", "#12", "ep 12", "S2E5"), by the start of any title or name
word, and forgives typos with rapidfuzz — on the few words of similar length only, never
on every title (that is ~20 ms at 10k episodes, too slow per keystroke).
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from bot.search.fts_query import fold

MAX_CHOICES = 25
# Below this rapidfuzz ratio a word is not a typo of another.
FUZZY_CUTOFF = 75.0
# A prefix matching more episodes than this is read by scanning newest first instead.
_SCAN_THRESHOLD = 1500

_WORD = re.compile(r"[^\W_]+")
# "12", "#12", "ep 12", "ep. 12", "episode #12", "no. 12", "e12", "folge 12"
_NUMBER = re.compile(
    r"^(?:#|no\.?|nr\.?|e|ep\.?|eps\.?|episode|episodes|folge|épisode|episodio|afl\.?)?\s*#?\s*"
    r"(\d{1,6})$",
    re.IGNORECASE,
)
# "S2E5", "s2 e5", "s02e05", "season 2 episode 5", "2x05"
_SEASON_NUMBER = re.compile(
    r"^(?:s|season|staffel|saison|temporada)\s*(\d{1,4})\s*[,.]?\s*"
    r"(?:e|ep\.?|episode|folge)\s*#?\s*(\d{1,6})$|^(\d{1,3})x(\d{1,4})$",
    re.IGNORECASE,
)
_ID_VALUE = re.compile(r"^id:(\d{1,18})$")
_PERSON_VALUE = re.compile(r"^person:(\d{1,18})$")
# Words that only say "episode" in a number query; not title words to match.
_NUMBER_WORDS = frozenset({"ep", "eps", "episode", "episodes", "no", "nr", "folge"})


def episode_value(episode_id: int) -> str:
    """The autocomplete value of an episode: unambiguous, whatever its title says."""
    return f"id:{episode_id}"


def parse_episode_value(text: str) -> int | None:
    match = _ID_VALUE.match(text.strip())
    return int(match.group(1)) if match else None


def person_value(person_id: int) -> str:
    return f"person:{person_id}"


def parse_person_value(text: str) -> int | None:
    match = _PERSON_VALUE.match(text.strip())
    return int(match.group(1)) if match else None


@dataclass(frozen=True, slots=True)
class NumberQuery:
    number: int
    season: int | None = None


def parse_number(text: str) -> NumberQuery | None:
    """An episode number as people type it, with the season when given."""
    text = " ".join(text.split())
    match = _SEASON_NUMBER.match(text)
    if match:
        season, number = match.group(1) or match.group(3), match.group(2) or match.group(4)
        return NumberQuery(int(number), int(season))
    match = _NUMBER.match(text)
    return NumberQuery(int(match.group(1))) if match else None


def lookup_words(text: str) -> list[str]:
    """Folded words, as the index keys them; interned, so that the index holds each word
    of the catalogue once, not once per title it is in (~4 MiB on 10,000 episodes)."""
    return [sys.intern(word) for word in _WORD.findall(fold(text))]


@dataclass(slots=True)
class IndexedEpisode:
    id: int
    feed_id: int
    number: int | None
    season: int | None
    title: str
    published_at: int | None
    episode_type: str
    folded_title: str
    words: tuple[str, ...]  # title words
    guest_words: tuple[str, ...] = ()  # words of its people's names
    rank: int = 0  # 0 = newest


@dataclass(slots=True)
class IndexedPerson:
    id: int
    name: str
    folded: str
    words: tuple[str, ...]
    episodes: list[tuple[int, str]] = field(default_factory=list)  # (episode id, role)


@dataclass(frozen=True, slots=True)
class EpisodeMatch:
    episode: IndexedEpisode
    score: float
    complete: bool  # every typed word matched
    exact: bool  # every typed word matched a whole word or a prefix (no typo needed)


class LookupIndex:
    """Episodes and people of the whole catalogue; every query is filtered by the feeds
    a guild sees (`scope`: a set of feed ids)."""

    def __init__(
        self,
        episodes: Iterable[IndexedEpisode],
        people: Iterable[IndexedPerson],
        feeds: dict[int, str],
    ):
        # Newest first: ties in every ranking go to the newest episode.
        self.episodes = sorted(
            episodes,
            key=lambda e: (e.published_at is None, -(e.published_at or 0), -e.id),
        )
        for rank, episode in enumerate(self.episodes):
            episode.rank = rank
        self.by_id = {e.id: e for e in self.episodes}
        self.feeds = feeds
        self.people = {p.id: p for p in people}
        self.by_number: dict[int, list[IndexedEpisode]] = defaultdict(list)
        postings: dict[str, list[IndexedEpisode]] = defaultdict(list)
        guest_postings: dict[str, list[IndexedEpisode]] = defaultdict(list)
        for episode in self.episodes:
            if episode.number is not None:
                self.by_number[episode.number].append(episode)
            for word in set(episode.words):
                postings[word].append(episode)
            for word in set(episode.guest_words) - set(episode.words):
                guest_postings[word].append(episode)
        self.postings = dict(postings)
        self.guest_postings = dict(guest_postings)
        person_postings: dict[str, list[IndexedPerson]] = defaultdict(list)
        for person in self.people.values():
            for word in set(person.words):
                person_postings[word].append(person)
        self.person_postings = dict(person_postings)
        vocabulary = set(self.postings) | set(self.guest_postings) | set(self.person_postings)
        self.vocabulary = sorted(vocabulary)
        by_length: dict[int, list[str]] = defaultdict(list)
        for word in self.vocabulary:
            by_length[len(word)].append(word)
        self._by_length = dict(by_length)
        by_length_first: dict[tuple[int, str], list[str]] = defaultdict(list)
        for word in self.vocabulary:
            by_length_first[(len(word), word[0])].append(word)
        self._by_length_first = dict(by_length_first)
        self._longest = max(map(len, self.vocabulary), default=0)
        self._starts_cache: dict[tuple[int, str | None], list[str]] = {}
        self.by_title: dict[str, list[IndexedEpisode]] = defaultdict(list)
        for episode in self.episodes:
            key = " ".join(episode.folded_title.split())
            # Most folded titles are already single-spaced: key them by that same string.
            self.by_title[episode.folded_title if key == episode.folded_title else key].append(
                episode
            )

    # ------------------------------------------------------------------ words

    def _prefixed(self, prefix: str) -> list[str]:
        start = bisect_left(self.vocabulary, prefix)
        found = []
        for word in self.vocabulary[start:]:
            if not word.startswith(prefix):
                break
            found.append(word)
        return found

    def _fuzzy(self, token: str) -> dict[str, float]:
        """Vocabulary words that `token` is a typo of, or whose start it is a typo of (the
        word is still being typed). rapidfuzz compares in C, over the words of about the
        token's length that share its first letter (typos rarely hit the first letter,
        and comparing with every word would cost milliseconds per keystroke)."""
        if len(token) < 3 or token.isdigit():
            return {}
        return self._fuzzy_among(token, token[0])

    def _fuzzy_among(self, token: str, first: str | None) -> dict[str, float]:
        pool: list[str] = []
        for length in range(max(1, len(token) - 1), len(token) + 3):
            pool.extend(self._words_by(length, first))
        found: dict[str, float] = {}
        for word, score, _ in process.extract(
            token, pool, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=12
        ):
            found[word] = score
        if len(token) >= 4:
            starts = self._starts(len(token), first)
            for start, score, _ in process.extract(
                token, starts, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF + 5, limit=6
            ):
                for word in self._prefixed(start)[:20]:
                    found[word] = max(found.get(word, 0.0), score - 5)
        return found

    def _words_by(self, length: int, first: str | None) -> list[str]:
        if first is None:
            return self._by_length.get(length, [])
        return self._by_length_first.get((length, first), [])

    def _starts(self, length: int, first: str | None) -> list[str]:
        """The distinct first `length` letters of longer words (cached; from the words of
        one first letter, a few hundred, so a keystroke never waits for all of them)."""
        key = (length, first)
        starts = self._starts_cache.get(key)
        if starts is None:
            found: set[str] = set()
            for longer in range(length + 1, self._longest + 1):
                found.update(w[:length] for w in self._words_by(longer, first))
            starts = self._starts_cache[key] = sorted(found)
        return starts

    def word_scores(self, token: str) -> dict[str, float]:
        """Words `token` stands for, scored: 3 whole word, 2 prefix, up to 1.5 typo.

        Every word may be a prefix (people type "inf wid"); typos are looked for from
        three letters on, when few words start with what was typed."""
        scores: dict[str, float] = {}
        for word in self._prefixed(token):
            scores[word] = 3.0 if word == token else 2.0
        if token not in scores and len(scores) < 3:
            for word, ratio in self._fuzzy(token).items():
                scores.setdefault(word, 1.5 * ratio / 100)
        return scores

    # ------------------------------------------------------------------ episodes

    def in_scope(self, scope: Collection[int] | None) -> list[IndexedEpisode]:
        if scope is None:
            return self.episodes
        return [e for e in self.episodes if e.feed_id in scope]

    def by_number_in_scope(
        self, query: NumberQuery, scope: Collection[int] | None
    ) -> list[IndexedEpisode]:
        found = [
            e
            for e in self.by_number.get(query.number, ())
            if (scope is None or e.feed_id in scope)
            and (query.season is None or e.season == query.season)
        ]
        return found

    def numbers_starting(
        self, digits: str, scope: Collection[int] | None, *, limit: int = MAX_CHOICES
    ) -> list[IndexedEpisode]:
        """Episodes whose number starts with `digits`, shortest numbers first: "1" gives
        #1, then #10–#19, then #100–#199 … (what a member typing a number wants)."""
        if not digits.isdigit() or not self.by_number:
            return []
        found: list[IndexedEpisode] = []
        low = high = int(digits)
        top = max(self.by_number)
        while low <= top and len(found) < limit:
            for number in range(low, min(high, top) + 1):
                found.extend(
                    e for e in self.by_number.get(number, ()) if scope is None or e.feed_id in scope
                )
                if len(found) >= limit:
                    break
            low, high = low * 10, high * 10 + 9
            if low == 0:
                break
        return found[:limit]

    def match_episodes(
        self, text: str, scope: Collection[int] | None, *, limit: int = MAX_CHOICES
    ) -> list[EpisodeMatch]:
        """Episodes whose title words (or guests' names) match the typed words, best first.

        Each typed word scores its best match in the episode (a guest's name counts a
        little less than the title); episodes matching every word come first."""
        tokens = [t for t in lookup_words(text) if t not in _NUMBER_WORDS] or lookup_words(text)
        if not tokens:
            return []
        tokens = tokens[:8]
        per_token = [self.word_scores(t) for t in tokens]
        sizes = []
        for scores in per_token:
            size = sum(
                len(self.postings.get(w, ())) + len(self.guest_postings.get(w, ())) for w in scores
            )
            sizes.append(size)
        order = sorted(range(len(tokens)), key=lambda i: sizes[i])
        first = order[0]
        if sizes[first] > _SCAN_THRESHOLD:
            candidates = self._scan(per_token[first], scope, limit * 4)
        else:
            candidates = {}
            for word, score in per_token[first].items():
                for episode in self.postings.get(word, ()):
                    if candidates.get(episode.id, (None, 0.0))[1] < score:
                        candidates[episode.id] = (episode, score)
                for episode in self.guest_postings.get(word, ()):
                    if candidates.get(episode.id, (None, 0.0))[1] < score * 0.9:
                        candidates[episode.id] = (episode, score * 0.9)
        matches = []
        for episode, first_score in candidates.values():
            if scope is not None and episode.feed_id not in scope:
                continue
            total, matched, exact = first_score, 1, first_score >= 2.0
            for index in order[1:]:
                best = _best_in(episode, per_token[index])
                if best:
                    total += best
                    matched += 1
                    exact = exact and best >= 1.8
                else:
                    exact = False
            complete = matched == len(tokens)
            if not complete and matched * 2 < len(tokens):
                continue
            matches.append(EpisodeMatch(episode, total / len(tokens), complete, exact and complete))
        matches.sort(key=lambda m: (not m.complete, -m.score, m.episode.rank))
        return matches[:limit]

    def _scan(
        self, scores: dict[str, float], scope: Collection[int] | None, wanted: int
    ) -> dict[int, tuple[IndexedEpisode, float]]:
        """Newest episodes matching a very common prefix (early exit after `wanted`)."""
        found: dict[int, tuple[IndexedEpisode, float]] = {}
        for episode in self.episodes:
            if scope is not None and episode.feed_id not in scope:
                continue
            best = _best_in(episode, scores)
            if best:
                found[episode.id] = (episode, best)
                if len(found) >= wanted:
                    break
        return found

    def closest_titles(
        self, text: str, scope: Collection[int] | None, limit: int = 5
    ) -> list[IndexedEpisode]:
        """Titles most like `text` as a whole (a last resort: QRatio over every title in
        scope, ~1 ms at 10k episodes)."""
        folded = fold(text)
        if not folded.strip():
            return []
        pool = {e.id: e.folded_title for e in self.in_scope(scope)}
        found = process.extract(folded, pool, scorer=fuzz.QRatio, limit=limit, score_cutoff=40)
        return [self.by_id[key] for _, _, key in found]

    # ------------------------------------------------------------------ people

    def match_people(
        self, text: str, scope: Collection[int] | None, *, limit: int = MAX_CHOICES
    ) -> list[tuple[IndexedPerson, int, float]]:
        """People in scope whose name words match, with their episode count in scope."""
        tokens = lookup_words(text)[:6]
        if not tokens:
            people = [(p, self.count_in_scope(p, scope), 0.0) for p in self.people.values()]
            people = [item for item in people if item[1]]
            people.sort(key=lambda item: (-item[1], item[0].folded))
            return people[:limit]
        per_token = [self.word_scores(t) for t in tokens]
        found: dict[int, float] = {}
        for word, score in per_token[0].items():
            for person in self.person_postings.get(word, ()):
                found[person.id] = max(found.get(person.id, 0.0), score)
        result = []
        for person_id, first_score in found.items():
            person = self.people[person_id]
            total = first_score
            for scores in per_token[1:]:
                best = max((scores.get(w, 0.0) for w in person.words), default=0.0)
                if not best:
                    break
                total += best
            else:
                count = self.count_in_scope(person, scope)
                if count:
                    result.append((person, count, total / len(tokens)))
        if len(result) < limit and len(typed := " ".join(tokens)) >= 3:
            # Inside a name too ("ngston" finds "Livingston"), below every word match;
            # both sides folded, so "Zoë" is found by "zoe" and the other way round.
            matched = {person.id for person, _, _ in result}
            for person in self.people.values():
                if person.id not in matched and typed in person.folded:
                    count = self.count_in_scope(person, scope)
                    if count:
                        result.append((person, count, 0.5))
        result.sort(key=lambda item: (-item[2], -item[1], item[0].folded))
        return result[:limit]

    def count_in_scope(self, person: IndexedPerson, scope: Collection[int] | None) -> int:
        return len(
            {
                episode_id
                for episode_id, _ in person.episodes
                if episode_id in self.by_id
                and (scope is None or self.by_id[episode_id].feed_id in scope)
            }
        )

    def person_by_name(self, name: str) -> IndexedPerson | None:
        folded = " ".join(fold(name).split())
        for person in self.people.values():
            if person.folded == folded:
                return person
        return None


def _best_in(episode: IndexedEpisode, scores: dict[str, float]) -> float:
    best = 0.0
    for word in episode.words:
        score = scores.get(word)
        if score and score > best:
            best = score
    for word in episode.guest_words:
        score = scores.get(word)
        if score and score * 0.9 > best:
            best = score * 0.9
    return best
