"""What the member commands ask of the catalogue, and the plain values they get back.

`Catalogue` is the read-side service over the store: resolving what a member typed into an
episode, autocomplete, search, "when did they talk about X", related episodes. It knows
nothing of Discord; the cogs render its answers (bot/ui/render.py).

Matched text inside `Moment.text` and `SearchHit.snippet` is wrapped in HIGHLIGHT_START /
HIGHLIGHT_END (control characters that never occur in feed text), so the renderer can
escape Markdown in the text first and then turn the markers into bold.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.common import boilerplate
from bot.common.plain_text import title_without_number, truncate
from bot.models.episode_views import (
    HIGHLIGHT_START,
    ChapterEntry,
    EpisodeDetail,
    EpisodeSummary,
    MatchTier,
    Moment,
    PersonEpisodes,
    RelatedEpisode,
    Resolution,
    SearchHit,
    Suggestion,
)
from bot.search.fts_query import (
    QueryPlan,
    SearchText,
    coverage,
    fold,
    held_words,
    is_phrase_match,
)
from bot.search.fts_query import words as fold_words
from bot.search.lookup import (
    MAX_CHOICES,
    IndexedEpisode,
    LookupIndex,
    episode_value,
    parse_episode_value,
    parse_number,
    parse_person_value,
    person_value,
)
from bot.search.lookup_cache import lookup_cache
from bot.search.spelling import respell, search_plans, shown_as, word_weights
from bot.search.topic_people import people_by_word, person_first, person_in_topic
from bot.store import QueryTooSlow, Store
from bot.store.episode_reads import FtsHit, Scope
from bot.store.transcript_rows import TranscriptMoment

log = logging.getLogger(__name__)


class SearchTooSlow(Exception):
    """A search ran past the store's time budget and was stopped; the message is for the
    member (a cog shows it as it shows a user error)."""


TITLE_BONUS = 1.0
CHAPTER_SHARE = 0.6
NOTES_SHARE = 0.4
# Moments of one kind in the order /when lists them, at equal match precision.
_KIND_ORDER: dict[str, int] = {"chapter": 0, "notes": 1, "transcript": 2, "soundbite": 3}
_NAME_LIMIT = 100


class MomentFusion(Protocol):
    """A second opinion on /when's answer (the semantic layer, bot/semantic): given the
    topic and the lexical moments, the moments to show, fused and re-ranked."""

    async def fuse(
        self,
        topic: str,
        lexical: list[Moment],
        *,
        guild_id: int | None,
        episode_id: int | None,
        limit: int,
    ) -> list[Moment]: ...


class Catalogue:
    """Read-side services over the store. Every lookup is scoped to the feeds a guild sees
    (`guild_id`; None outside a guild: the global feeds only).

    Cheap to create: the autocomplete index is kept by the store, not here. `fusion`,
    when given, re-ranks /when's moments with meaning as well as words."""

    def __init__(self, store: Store, *, fusion: MomentFusion | None = None):
        self._store = store
        self._fusion = fusion

    # ------------------------------------------------------------------ resolving

    async def resolve_episode(self, text: str, *, guild_id: int | None) -> Resolution:
        """Accept what autocomplete offered, an episode number ("99", "#99", "ep 99"), or a
        title fragment (typos forgiven); otherwise return the closest matches."""
        text = " ".join((text or "").split())
        if not text:
            return Resolution(None, closest=await self._store.latest_episodes(guild_id, 5))
        index, scope = await lookup_cache(self._store).scope(guild_id)

        episode_id = parse_episode_value(text)
        if episode_id is not None:
            episode = index.by_id.get(episode_id)
            if episode is not None and scope.contains(episode.feed_id):
                return Resolution(await self._summary(episode.id))
            return Resolution(None)

        number = parse_number(text)
        if number is not None:
            found = index.by_number_in_scope(number, scope.filter)
            if len(found) == 1:
                return Resolution(await self._summary(found[0].id))
            if found:
                return Resolution(None, closest=await self._summaries(found[:5]), ambiguous=True)

        folded = " ".join(fold(text).split())
        titled = [e for e in index.by_title.get(folded, ()) if scope.contains(e.feed_id)]
        if titled:
            return Resolution(await self._summary(titled[0].id))

        matches = index.match_episodes(text, scope.filter, limit=8)
        if matches and matches[0].complete:
            top = matches[0]
            tied = [m for m in matches if m.complete and abs(m.score - top.score) < 1e-9]
            clear = len(matches) == 1 or top.score - matches[1].score >= 0.3
            if top.exact or (clear and top.score >= 1.1):
                # Equal matches: the title holding the words as typed, then the shortest
                # (the one most about them), then the newest.
                best = min(
                    tied,
                    key=lambda m: (
                        folded not in m.episode.folded_title,
                        len(m.episode.words),
                        m.episode.rank,
                    ),
                )
                return Resolution(await self._summary(best.episode.id))
        if number is not None:
            # No episode has that number: the ones with the nearest numbers.
            closest = _nearest_numbers(index, number.number, scope.filter)
        else:
            closest = [m.episode for m in matches[:5]]
        if not closest:
            closest = index.closest_titles(text, scope.filter)
        return Resolution(None, closest=await self._summaries(closest))

    async def complete_episode(self, text: str, *, guild_id: int | None) -> list[Suggestion]:
        """≤25 suggestions for an episode option: by number, title words, typos, guests.
        Empty text: the newest episodes."""
        text = " ".join((text or "").split())[:200]
        index, scope = await lookup_cache(self._store).scope(guild_id)
        chosen: list[IndexedEpisode] = []
        if not text:
            for episode in index.episodes:
                if scope.contains(episode.feed_id):
                    chosen.append(episode)
                    if len(chosen) == MAX_CHOICES:
                        break
        else:
            number = parse_number(text)
            if number is not None:
                chosen.extend(index.by_number_in_scope(number, scope.filter))
            digits = text.lstrip("#")
            if digits.isdigit():
                chosen.extend(index.numbers_starting(digits, scope.filter))
            if len(chosen) < MAX_CHOICES:
                chosen.extend(m.episode for m in index.match_episodes(text, scope.filter))
        several_feeds = len(scope.feed_ids) > 1
        suggestions: list[Suggestion] = []
        seen: set[int] = set()
        for episode in chosen:
            if episode.id in seen:
                continue
            seen.add(episode.id)
            feed = index.feeds.get(episode.feed_id) if several_feeds else None
            suggestions.append(Suggestion(_choice_name(episode, feed), episode_value(episode.id)))
            if len(suggestions) == MAX_CHOICES:
                break
        return suggestions

    async def complete_person(self, text: str, *, guild_id: int | None) -> list[Suggestion]:
        """≤25 people, with their episode counts in the name."""
        index, scope = await lookup_cache(self._store).scope(guild_id)
        suggestions = []
        for person, count, _ in index.match_people((text or "")[:200], scope.filter):
            label = f" ({count} episode{'s' if count != 1 else ''})"
            name = truncate(person.name, _NAME_LIMIT - len(label)) + label
            value = person.name if len(person.name) <= _NAME_LIMIT else person_value(person.id)
            suggestions.append(Suggestion(name, value))
        return suggestions

    # ------------------------------------------------------------------ one episode

    async def episode_detail(
        self, episode_id: int, *, guild_id: int | None
    ) -> EpisodeDetail | None:
        """The card of an episode the guild can see; None if it is gone or not visible
        there (a card's buttons carry an id, and a feed can be removed after posting)."""
        detail = await self._store.episode_detail(episode_id)
        if detail is None or not (await self._store.scope(guild_id)).contains(
            detail.episode.feed_id
        ):
            return None
        # The card shows a summary: the feed's boilerplate (sponsor reads, calls to action)
        # is left out of it; the stored notes are unchanged.
        keys = boilerplate.keys_from_state(
            await self._store.get_state(boilerplate.state_key(detail.episode.feed_id))
        )
        notes_text = boilerplate.without_boilerplate(detail.notes_text, keys)
        if notes_text != detail.notes_text:
            detail = dataclasses.replace(detail, notes_text=notes_text)
        return detail

    async def chapters(self, episode_id: int) -> list[ChapterEntry]:
        return await self._store.chapter_entries(episode_id)

    # ------------------------------------------------------------------ full text

    async def when(
        self, topic: str, *, guild_id: int | None, episode_id: int | None = None, limit: int = 25
    ) -> list[Moment]:
        """Ranked moments: chapter titles first, then timestamped passages of the notes (and
        transcripts, when present), then episode-level matches. User text, not FTS syntax.

        All of the topic's words must match; matches of the words as a phrase rank above
        the others; only when nothing matches all words does any word do. Within one
        precision, timed moments come by source (`_KIND_ORDER`), each source by bm25, and
        episode-level matches last (see `_moments`).

        A topic naming a person of the catalogue ("what Çağla said about sycophancy") is
        looked for without the name, and that person's moments come first
        (bot/search/topic_people.py); without the name nothing is found, the whole topic.

        Each feed is searched in its language (its stopwords dropped, its forms of the
        words found: bot/search/spelling.search_plans); partial matches are shown only
        when they hold most of the topic's weight (rare words weigh more), else nothing."""
        moments, _ = await self.when_spelled(
            topic, guild_id=guild_id, episode_id=episode_id, limit=limit
        )
        return moments

    async def when_spelled(
        self, topic: str, *, guild_id: int | None, episode_id: int | None = None, limit: int = 25
    ) -> tuple[list[Moment], str | None]:
        """`when`, and the topic searched instead when the words as typed found nothing
        confident and a respelling from the catalogue's vocabulary did ("Hessain" ->
        "hessian", for a reply's "showing results for …"); None when as typed."""
        if limit <= 0:
            return [], None
        moments, spelled = await self._when_lexical(topic, guild_id, episode_id, limit)
        if self._fusion is not None:
            moments = await self._fusion.fuse(
                topic, moments, guild_id=guild_id, episode_id=episode_id, limit=limit
            )
        return moments, spelled

    async def _when_lexical(
        self, topic: str, guild_id: int | None, episode_id: int | None, limit: int
    ) -> tuple[list[Moment], str | None]:
        moments = await self._when_named(topic, guild_id, episode_id, limit)
        if any(m.match != "any" for m in moments):
            return moments, None
        spelling = await respell(self._store, topic)
        if spelling is None:
            return moments, None
        respelled = await self._when_named(spelling.topic, guild_id, episode_id, limit)
        if not any(m.match != "any" for m in respelled):
            return moments, None
        return respelled, shown_as(spelling, [m.text for m in respelled[:5]])

    async def _when_named(
        self, topic: str, guild_id: int | None, episode_id: int | None, limit: int
    ) -> list[Moment]:
        # One read of the guild's scope serves the name lookup and the searches.
        index, scope = await lookup_cache(self._store).scope(guild_id)
        people = people_by_word(index, index.people.values())
        named = person_in_topic(topic, people, scope.filter)
        if named is not None:
            moments = await self._when(named.rest, scope, episode_id, limit)
            if moments:
                return person_first(moments, named)
        return await self._when(topic, scope, episode_id, limit)

    async def _when(
        self, topic: str, scope: Scope, episode_id: int | None, limit: int
    ) -> list[Moment]:
        text = SearchText.parse(topic)
        words = text.words
        plans = await self._plans(topic, scope)
        if not plans:
            return []
        found: list[tuple[FtsHit, MatchTier]] = []
        for loose in (False, True):
            if loose and found:
                continue
            # Partial matches: a wider pool, re-ranked by coverage below.
            pool = 3 * limit if loose else limit
            found, cut = await self._moments_of(plans, loose, episode_id, pool)
            if cut is not None and not found:
                # The looser "any word" tier would cost more, not less.
                raise _too_slow(cut)
            if cut is not None:
                log.warning("/when %r: a source took too long; answering without it", topic)
            if loose and found:
                # Partial matches only when they hold most of the topic (`_covers_enough`),
                # by how many of its words they hold, then as ranked: two of three words
                # before one rare word. Otherwise: nothing found.
                weights = await word_weights(self._store, words)
                found = sorted(
                    ((hit, "any") for hit, _ in found if _covers_enough(hit, words, weights)),
                    key=lambda item: -coverage(item[0].text, words),
                )[:limit]
        if any(tier != "any" for _, tier in found):
            found = await self._past_previews(found, plans, words)
        missing = [hit.episode_id for hit, _ in found if hit.summary is None]
        summaries = await self._store.episode_summaries(missing) if missing else {}
        moments = []
        for hit, tier in found:
            summary = hit.summary or summaries.get(hit.episode_id)
            if summary is not None:
                moments.append(
                    Moment(
                        episode=summary,
                        start=hit.start,
                        kind=hit.kind,  # type: ignore[arg-type]
                        text=hit.text,
                        score=round(hit.score, 4),
                        speaker=hit.speaker,
                        match=tier,
                    )
                )
        return moments

    async def _past_previews(
        self,
        found: list[tuple[FtsHit, MatchTier]],
        plans: list[tuple[Scope, QueryPlan]],
        words: tuple[str, ...],
    ) -> list[tuple[FtsHit, MatchTier]]:
        """A host's opening that lists the hour's topics ("coming up: coral bleaching,
        marine heatwaves, ...") holds every word of each topic but is not where it is
        discussed. A passage of an episode's first OPENING seconds comes after the
        episode's later moments for the topic: the confident ones found, or else the
        later passage of that episode holding most of the topic's words (at least
        half, found with any word; shown as a partial match) just before it."""
        openings = {hit.episode_id for hit, tier in found if tier != "any" and _is_opening(hit)}
        if not openings:
            return found
        later = {h.episode_id for h, t in found if t != "any" and not _is_opening(h)}
        inserted: dict[int, tuple[FtsHit, MatchTier]] = {}
        looked_into = sorted(openings - later)[:PREVIEW_EPISODES]
        feed_of: dict[int, int] = {}
        if len(plans) > 1:  # the part (language) of each episode's feed
            summaries = await self._store.episode_summaries(looked_into)
            feed_of = {e: summary.feed_id for e, summary in summaries.items()}
        for episode in looked_into:
            scope, plan = next(
                ((s, p) for s, p in plans if feed_of.get(episode) in s.feed_ids), plans[0]
            )
            if plan.any is None:
                continue
            try:
                hits, _ = await self._moments(plan.any, None, scope, episode, 10)
            except QueryTooSlow:
                continue
            candidates = [h for h, _ in hits if h.start is not None and not _is_opening(h)]
            best = max(candidates, key=lambda h: coverage(h.text, words), default=None)
            if best is not None and 2 * coverage(best.text, words) >= len(words):
                inserted[episode] = (best, "any")
        ordered: list[tuple[FtsHit, MatchTier]] = []
        demoted: dict[int, list[tuple[FtsHit, MatchTier]]] = {}
        for hit, tier in found:
            episode = hit.episode_id
            if tier != "any" and _is_opening(hit) and (episode in later or episode in inserted):
                if episode in inserted and episode not in demoted:
                    ordered.append(inserted[episode])
                demoted.setdefault(episode, []).append((hit, tier))
                continue
            ordered.append((hit, tier))
        # The openings go after their episode's last confident moment (or the inserted one).
        for episode, moved in demoted.items():
            last = max(
                (i for i, (h, t) in enumerate(ordered) if h.episode_id == episode),
                default=len(ordered) - 1,
            )
            ordered[last + 1 : last + 1] = moved
        return ordered

    async def _plans(self, topic: str, scope: Scope) -> list[tuple[Scope, QueryPlan]]:
        """What to run, per language of the scope's feeds (bot/search/spelling.search_plans)."""
        return await search_plans(self._store, topic, scope)

    async def _moments_of(
        self,
        plans: list[tuple[Scope, QueryPlan]],
        loose: bool,
        episode_id: int | None,
        limit: int,
    ) -> tuple[list[tuple[FtsHit, MatchTier]], float | None]:
        """`_moments` of one match tier over every part of the scope, merged as `_moments`
        orders them (phrase matches first, timed before episode-level, by source, by bm25)."""
        merged: list[tuple[FtsHit, MatchTier]] = []
        cut: float | None = None
        for scope, plan in plans:
            expression = plan.any if loose else plan.all
            if expression is None:
                continue
            found, stopped = await self._moments(
                expression,
                None if loose else plan.phrase,
                scope,
                episode_id,
                limit,
                plan.terms,
                whole_topic=not loose,
            )
            cut = stopped if stopped is not None else cut
            if len(plans) == 1:
                return found, cut
            merged += found
        merged.sort(key=lambda item: -item[0].score)
        merged.sort(
            key=lambda item: (
                item[1] != "phrase",
                item[0].start is None,
                _KIND_ORDER.get(item[0].kind, 9),
            )
        )
        return merged[:limit], cut

    async def _moments(
        self,
        expression: str,
        phrase: tuple[str, ...] | None,
        scope: Scope,
        episode_id: int | None,
        limit: int,
        terms: tuple[str, ...] = (),
        *,
        whole_topic: bool = True,
    ) -> tuple[list[tuple[FtsHit, MatchTier]], float | None]:
        """One expression's moments, ranked: phrase matches before the others; within
        each, timed sources in `_KIND_ORDER`, each by bm25; episode-level matches last.
        Moments of one episode in the same minute are one (the best ranked is kept), and
        an episode with a timed moment is not listed again at episode level. `terms` turn
        on segment scoring of transcripts; `whole_topic` (the all-words tier): a segment
        joins only when it holds every term.

        A source the store stopped at its time budget is left out: the moments of the
        others, and that budget (None when every source answered)."""
        cut: float | None = None

        def tier(hit: FtsHit) -> MatchTier:
            if _is_phrase(hit, phrase):
                return "phrase"
            # An episode whose title says the phrase (its snippet is of the notes).
            if phrase and hit.in_title and hit.summary and _says(hit.summary.title, phrase):
                return "phrase"
            return "all"

        # Extra rows, so that phrase matches ranked lower by bm25 still make the cut.
        wanted = limit + 25 if phrase else limit
        timed: list[tuple[FtsHit, MatchTier]] = []
        # Timed moments: chapters and note passages (with soundbites) in one statement,
        # transcript passages in another; `_KIND_ORDER` ranks them at equal precision.
        for source in ("timed", "transcript"):
            try:
                if source == "timed":
                    hits: Sequence[FtsHit | TranscriptMoment] = await self._store.timed_hits(
                        expression, scope, episode_id=episode_id, limit=wanted
                    )
                else:  # with the topic's words: segment scoring
                    hits = await self._store.transcript_hits(
                        expression,
                        scope,
                        episode_id=episode_id,
                        limit=wanted,
                        terms=terms,
                        whole_topic=whole_topic,
                    )
            except QueryTooSlow as stopped:
                cut = stopped.budget
                continue
            timed += [(hit, tier(hit)) for hit in map(_as_hit, hits)]
        # Stable sorts: bm25 order stays within each precision and kind.
        timed.sort(key=lambda item: -item[0].score)
        timed.sort(key=lambda item: (item[1] != "phrase", _KIND_ORDER.get(item[0].kind, 9)))
        moments: list[tuple[FtsHit, MatchTier]] = []
        seen: set[tuple[int, int]] = set()
        for hit, hit_tier in timed:
            key = (hit.episode_id, int((hit.start or 0) // 60))
            if key not in seen:
                seen.add(key)
                moments.append((hit, hit_tier))
        if sum(1 for _, t in moments if t == "phrase") < limit:
            # Episode-level matches come after the timed ones of the same precision.
            timed_episodes = {hit.episode_id for hit, _ in moments}
            try:
                episodes = await self._store.episode_hits(
                    expression,
                    scope,
                    episode_id=episode_id,
                    limit=limit - sum(1 for _, t in moments if t == "phrase"),
                    exclude=sorted(timed_episodes),
                )
            except QueryTooSlow as stopped:
                cut, episodes = stopped.budget, []
            moments += [(h, tier(h)) for h in episodes]
            moments.sort(key=lambda item: (item[1] != "phrase", item[0].start is None))
        return moments[:limit], cut

    async def search(self, query: str, *, guild_id: int | None, limit: int = 50) -> list[SearchHit]:
        """Episodes ranked by bm25 over title, notes and chapter titles, with snippets.

        Per episode: TITLE_BONUS when its title matches, plus CHAPTER_SHARE × its best
        chapter title's bm25 and NOTES_SHARE × its bm25 over title and notes (title 10,
        notes 1), each relative to the best score of its index for the query. The snippet
        is from whichever matched best: the notes (a highlighted fragment), a chapter
        title (with its start), or the title. All words must match; phrase matches rank
        above the others; any word is only a last resort, when all words match nothing.
        SearchTooSlow when the store stopped the search at its time budget."""
        text = SearchText.parse(query)
        if not text.words or limit <= 0:
            return []
        scope = await self._store.scope(guild_id)
        plans = await self._plans(query, scope)
        if not plans:
            return []
        ranked: list[tuple[int, float, str, float | None, MatchTier]] = []
        summaries: dict[int, EpisodeSummary] = {}
        for loose in (False, True):
            if loose and ranked:
                continue
            phrase = None if loose else plans[0][1].phrase
            episodes, chapters = [], []
            for part, plan in plans:
                expression = plan.any if loose else plan.all
                if expression is None:
                    continue
                try:
                    found = await self._store.search_hits(expression, part, limit=limit)
                except QueryTooSlow as stopped:
                    raise _too_slow(stopped.budget) from None
                episodes += found[0]
                chapters += found[1]
            # bm25 values of two indexes are not on one scale, and bm25's column weights
            # saturate: a title match is a fixed bonus, the rest is bm25 relative to the
            # best of its own index for this query.
            top_episode = max((h.score for h in episodes), default=0.0) or 1.0
            top_chapter = max((h.score for h in chapters), default=0.0) or 1.0
            summaries.update((h.episode_id, h.summary) for h in [*episodes, *chapters] if h.summary)
            best: dict[int, _Ranked] = {}
            for hit in episodes:
                notes = NOTES_SHARE * hit.score / top_episode
                best[hit.episode_id] = _Ranked(
                    TITLE_BONUS * hit.in_title + notes,
                    notes,
                    hit.text,
                    None,
                    _is_phrase(hit, phrase),
                )
            for hit in chapters:  # the best chapter of each episode
                weighted = CHAPTER_SHARE * hit.score / top_chapter
                entry = best.setdefault(hit.episode_id, _Ranked(0.0, 0.0, "", None, False))
                if HIGHLIGHT_START not in entry.snippet or weighted >= entry.notes:
                    entry.snippet, entry.start = hit.text, hit.start
                entry.score += weighted
                entry.phrase = entry.phrase or _is_phrase(hit, phrase)
            ordered = sorted(
                best.items(), key=lambda item: (not item[1].phrase, -item[1].score, -item[0])
            )
            if loose and ordered:
                # Partial matches as /when's: only those holding most of the topic (its
                # rare words weigh more), by the weight of the words they hold.
                weights = await word_weights(self._store, text.words)
                held = {
                    episode_id: _held_in_hit(entry.snippet, summaries.get(episode_id), text.words)
                    for episode_id, entry in ordered
                }
                ordered = sorted(
                    (item for item in ordered if _enough(held[item[0]], text.words, weights)),
                    key=lambda item: -sum(weights.get(w, 1.0) for w in held[item[0]]),
                )
            for episode_id, entry in ordered[:limit]:
                tier: MatchTier = "any" if loose else ("phrase" if entry.phrase else "all")
                ranked.append((episode_id, entry.score, entry.snippet, entry.start, tier))
        hits = [
            SearchHit(summaries[e], snippet, round(score, 4), tier, start)
            for e, score, snippet, start, tier in ranked
            if e in summaries
        ]
        return await self._boilerplate_last(hits, text.words)

    async def _boilerplate_last(
        self, hits: list[SearchHit], words: tuple[str, ...]
    ) -> list[SearchHit]:
        """Hits whose words are only in their feed's boilerplate (a mattress ad found by
        "sleep") after all the others: matched in the notes only, and the notes without
        the lines the feed repeats (and ad markers) no longer hold any of the words."""
        in_notes = {
            hit.episode.id
            for hit in hits
            if hit.start is None and not _holds_any(hit.episode.title, words)
        }
        if not in_notes:
            return hits
        # One read of the notes of all of them, not one per hit.
        all_notes = await self._store.notes_texts(sorted(in_notes))
        keys: dict[int, frozenset[str]] = {}
        kept: list[SearchHit] = []
        ads: list[SearchHit] = []
        for hit in hits:
            episode = hit.episode
            if episode.id not in in_notes:
                kept.append(hit)
                continue
            if episode.feed_id not in keys:
                state = await self._store.get_state(boilerplate.state_key(episode.feed_id))
                keys[episode.feed_id] = boilerplate.keys_from_state(state)
            notes = all_notes.get(episode.id, "")
            content, _ = boilerplate.content_and_changed(notes, keys[episode.feed_id])
            if content == notes or _holds_any(content, words):
                kept.append(hit)
            else:
                ads.append(hit)
        return kept + ads

    # ------------------------------------------------------------------ lists

    async def related(
        self, episode_id: int, *, guild_id: int | None, limit: int = 5
    ) -> list[RelatedEpisode]:
        """The stored, precomputed related episodes (a lookup, not a computation), picked
        by `pick_related`."""
        stored = await self._store.related_episodes(episode_id, guild_id, 2 * RELATED_KEEP)
        own = await self._summary(episode_id)
        return pick_related(stored, own.feed_id if own else None, max(0, limit))

    async def latest(self, *, guild_id: int | None, count: int) -> list[EpisodeSummary]:
        return await self._store.latest_episodes(guild_id, max(0, min(count, 100)))

    async def person(self, name: str, *, guild_id: int | None) -> PersonEpisodes | None:
        """The episodes with that person, newest first; None when nobody matches."""
        name = (name or "").strip()
        if not name:
            return None
        index, scope = await lookup_cache(self._store).scope(guild_id)
        person = None
        person_id = parse_person_value(name)
        if person_id is not None:
            person = index.people.get(person_id)
        if person is None:
            person = index.person_by_name(name)
        if person is None or not index.count_in_scope(person, scope.filter):
            matches = index.match_people(name, scope.filter, limit=1)
            person = matches[0][0] if matches else None
        if person is None:
            return None
        ids = [
            episode_id
            for episode_id, _ in person.episodes
            if episode_id in index.by_id and scope.contains(index.by_id[episode_id].feed_id)
        ]
        if not ids:
            return None
        ordered = sorted(set(ids), key=lambda e: index.by_id[e].rank)
        summaries = await self._store.episode_summaries(ordered)
        roles: dict[str, int] = {}
        for episode_id, role in person.episodes:
            if episode_id in summaries:
                roles[role] = roles.get(role, 0) + 1
        return PersonEpisodes(
            person.name,
            [summaries[e] for e in ordered if e in summaries],
            tuple(sorted(roles, key=lambda r: -roles[r])),
        )

    # ------------------------------------------------------------------ helpers

    async def _summary(self, episode_id: int) -> EpisodeSummary | None:
        return (await self._store.episode_summaries([episode_id])).get(episode_id)

    async def _summaries(self, episodes: list[IndexedEpisode]) -> list[EpisodeSummary]:
        found = await self._store.episode_summaries([e.id for e in episodes])
        return [found[e.id] for e in episodes if e.id in found]


@dataclass(slots=True)
class _Ranked:
    """One episode's standing in a /search: its score (of which `notes` is the share of
    its title and notes bm25), the snippet shown, and whether it holds the phrase."""

    score: float
    notes: float
    snippet: str
    start: float | None
    phrase: bool


# Another show's episode is related only this strongly (cosine of distinctive terms; a
# shared guest always counts): a shared first name or a common word is not a link.
CROSS_SHOW_SCORE = 0.3


def pick_related(
    stored: list[RelatedEpisode], feed_id: int | None, limit: int
) -> list[RelatedEpisode]:
    """Of the same show first. Another show's episode only when the link is strong (a
    shared guest, or a similarity of at least CROSS_SHOW_SCORE; the importer stores such
    rows only for a shared subject phrase or a full-name guest), in the places its own
    show leaves free — or, the best of them, in the last place when it is more alike than
    the weakest of its own show's: a strong link to another show is not hidden behind
    five weak ones of this show."""
    same = [r for r in stored if r.episode.feed_id == feed_id]
    other = sorted(
        (
            r
            for r in stored
            if r.episode.feed_id != feed_id and (r.shared_people or r.score >= CROSS_SHOW_SCORE)
        ),
        key=lambda r: -r.score,
    )
    picked = same[:limit]
    if len(picked) < limit:
        return picked + other[: limit - len(picked)]
    if picked and other and other[0].score > min(r.score for r in picked):
        picked = [*picked[:-1], other[0]]
    return picked


RELATED_KEEP = 5  # bot/related/scoring.KEEP: lists hold this many per show and per other shows


def _holds_any(text: str, words: tuple[str, ...]) -> bool:
    """Whether `text` has a word that is (a form of) one of `words` (folded, stem-ish)."""
    if not text:
        return False
    present = set(fold_words(fold(text)))
    return any(
        token == word or (len(word) >= 4 and token.startswith(word[: max(4, len(word) - 2)]))
        for word in map(fold, words)
        for token in present
    )


# A passage starting this early is an episode's opening (a preview of the hour, maybe).
OPENING = 90.0
# Episodes looked into for the real discussion past a preview, per /when.
PREVIEW_EPISODES = 3


def _covers_enough(hit: FtsHit, words: tuple[str, ...], weights: dict[str, float]) -> bool:
    """Whether a partial ("any word") match is worth showing: it holds at least two of
    the topic's distinctive words, at least half of them, and at least half of the
    topic's weight (`word_weights`: the rarer a word, the more it weighs). One word of
    three ("computing" for "quantum computing") is not the topic, nor are the two common
    words of "graph neural networks for molecules" without the two that say what it is."""
    return _enough(held_words(hit.text, words), words, weights)


def _held_in_hit(snippet: str, summary: EpisodeSummary | None, words: tuple[str, ...]) -> list[str]:
    """The topic's words a /search hit holds: highlighted in its snippet, or in its title."""
    held = held_words(snippet, words)
    if summary is not None:
        held += [w for w in words if w not in held and _holds_any(summary.title, (w,))]
    return held


def _enough(held: list[str], words: tuple[str, ...], weights: dict[str, float]) -> bool:
    if len(held) < 2 or 2 * len(held) < len(words):
        return False
    total = sum(weights.get(w, 1.0) for w in words)
    return 2 * sum(weights.get(w, 1.0) for w in held) >= total


def _says(title: str, phrase: tuple[str, ...]) -> bool:
    """Whether a title holds the phrase's words side by side, as typed (folded)."""
    return f" {' '.join(map(fold, phrase))} " in f" {' '.join(fold_words(fold(title)))} "


def _is_opening(hit: FtsHit) -> bool:
    return hit.kind in ("transcript", "notes") and hit.start is not None and hit.start < OPENING


def _as_hit(hit: FtsHit | TranscriptMoment) -> FtsHit:
    """A hit of any moment source as an `FtsHit` (transcript moments have their own
    class, with the same fields plus the speaker)."""
    if isinstance(hit, FtsHit):
        return hit
    return FtsHit(hit.episode_id, hit.start, hit.text, hit.score, hit.kind, speaker=hit.speaker)


def _too_slow(budget: float) -> SearchTooSlow:
    return SearchTooSlow(
        f"That search took too long (over {budget:g} s), so I stopped it. "
        "Try more specific words, or fewer common ones."
    )


def _is_phrase(hit: FtsHit, phrase: tuple[str, ...] | None) -> bool:
    return phrase is None or is_phrase_match(hit.text, phrase)


def _nearest_numbers(
    index: LookupIndex, number: int, scope: frozenset[int] | None
) -> list[IndexedEpisode]:
    """Episodes with the numbers closest to one that does not exist."""
    numbered = [e for e in index.in_scope(scope) if e.number is not None]
    numbered.sort(key=lambda e: (abs(e.number - number), e.rank))  # type: ignore[operator]
    return numbered[:5]


def _choice_name(episode: IndexedEpisode, feed_title: str | None) -> str:
    """ "#12 · Infinitely Wide Networks (2024)" — within Discord's 100 characters."""
    if episode.number is not None:
        label = (
            f"S{episode.season}E{episode.number}"
            if episode.season is not None
            else f"#{episode.number}"
        )
    else:
        label = {"trailer": "Trailer", "bonus": "Bonus"}.get(episode.episode_type, "")
    title = title_without_number(episode.title, episode.number)
    year = (
        f" ({time.gmtime(episode.published_at).tm_year})"
        if episode.published_at is not None
        else ""
    )
    suffix = f"{year} — {feed_title}" if feed_title else year
    prefix = f"{label} · " if label else ""
    room = _NAME_LIMIT - len(prefix) - len(suffix)
    if room < 20:  # a very long show name gives way to the title
        suffix = truncate(suffix, max(0, _NAME_LIMIT - len(prefix) - 20))
        room = _NAME_LIMIT - len(prefix) - len(suffix)
    return (prefix + truncate(title, room) + suffix)[:_NAME_LIMIT] or f"Episode {episode.id}"
