"""Related episodes: which episodes share guests and distinctive words, and why.

Each episode gets a *signature*: its most distinctive terms — words and two-word phrases
of its title, chapter titles and notes, weighted TF-IDF against its own feed, with the
feed's boilerplate removed (links, sponsor and "subscribe" lines, and any term found in
more than 30% of the feed's episodes: hosts' names, the show's name, recurring ads), and
what a fan would not call a topic: a bare first name (capitalised, of anyone the catalogue
credits or a common given name: "Claire", "Dan"), fillers and contractions ("still",
"we'll"), the feed's segment names (chapter titles it repeats: "Pre-show",
"Housekeeping", "Sponsor: Acme") and pieces of the show's name ("Bomb" of "Giant
Bombcast"). Weights are L2-normalised, so the dot product of two signatures is their
cosine similarity. Two episodes' score is that similarity plus a bonus per shared guest
(people with a full name other than hosts, and other than people on so many of a feed's
episodes that they are boilerplate too, or regulars: a guest on `REGULAR_GUEST_EPISODES`
or `REGULAR_GUEST_SHARE` of one feed), plus a bonus per shared subject: a two-word phrase
of both episodes' titles or chapter titles that few of the feed's episodes have ("Apache
Mesos"), kept in the signature however long the notes are, and shown as the first reason.
Another show's episode is kept only for such a subject (prominent in both, rare in both
shows) or a shared guest: a common word or a similar prose is no reason to leave a show.

The best few related episodes of every episode are stored with their reasons, so that
`/related` is a lookup. They are computed when episodes are imported:

* a feed's first import (or an import that changes much of it) computes the feed whole;
* otherwise only the new and updated episodes are scored against the catalogue, and each
  is offered to the lists of the episodes it shares something with — the only lists it
  can enter. Document frequencies are kept per feed and updated by the same episodes.

Lists hold the best `KEEP` episodes of the same feed and the best `KEEP` of other feeds,
so that a guild that cannot see another feed still gets a full list (filtered when read).
"""

from __future__ import annotations

import asyncio
import heapq
import json
import logging
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from bot.common import boilerplate
from bot.models.related_types import (
    Document,
    FeedTerms,
    RelatedRow,
    Signature,
    SignatureTerm,
    is_boilerplate,
)
from bot.search.fts_query import STOPWORDS, fold
from bot.store import Store

log = logging.getLogger(__name__)

KEEP = 5  # related episodes kept per episode, in its own feed and in other feeds each
SIGNATURE_SIZE = 32  # distinctive terms kept per episode
GUEST_BONUS = 0.5  # per shared guest, on the cosine scale
FULL_RECOMPUTE_SHARE = 0.25  # more changed episodes than this share of a feed: compute it whole
MAX_POSTINGS = 150  # a term in more signatures than this links too much to mean much
REASON_TERMS = 3  # shared terms shown as the reason
# A guest on this many of one feed's episodes is a regular (a panelist tagged as a guest),
# and no reason to link episodes: every other episode of theirs would be "related".
REGULAR_GUEST_EPISODES = 6
REGULAR_GUEST_SHARE = 0.15  # ... or on this share of a feed's episodes (4 at least)
# Two episodes of a feed whose titles or chapter titles share a phrase of two meaningful
# words ("Apache Mesos", "weight decay") are about the same subject: linked for it, with
# the phrase as the first reason — when the phrase is in few of the feed's signatures
# (a recurring segment or series name is in many).
SUBJECT_BONUS = 0.3
SUBJECT_MAX_EPISODES = 12
SUBJECT_RESERVE = 6  # such phrases kept in a signature beyond its SIGNATURE_SIZE terms
# Another show's episode is listed only for a shared real guest (a full name) or a shared
# subject: a phrase of both episodes' titles or chapter titles, prominent in both
# signatures (this weight at least, of 1) and on few episodes of either show. A shared
# word, first name or a similarity of prose is no reason to leave the show.
CROSS_SUBJECT_WEIGHT = 0.15
# A chapter title (or its part before ":"/" - ") on this share of a feed's episodes with
# chapters (and at least SEGMENT_MIN of them) is a segment ("Housekeeping", "Pre-show",
# "Listener mail"), whose words are no topic of that feed.
SEGMENT_SHARE = 0.1
SEGMENT_MIN = 3
# Phrases every kind of show says, no subject.
_GENERIC_PHRASES = frozenset(
    ("deep dive", "sneak peek", "sneak peak", "happy birthday", "long term", "short term")
)

# How much a word counts, by where it appears.
TITLE_WEIGHT = 3.0
CHAPTER_WEIGHT = 2.0
NOTES_WEIGHT = 1.0

# Words of podcast notes that say nothing about the topic.
_GENERIC = frozenset(
    fold(word)
    for word in (
        """
    episode episodes podcast podcasts show shows today week weeks talk talks talked
    talking discuss discusses discussed discussion chat chats conversation guest guests
    host hosts join joins joined listen listening listener listeners new also get gets
    one two three first last next back part make makes made way ways thing things lot
    lots much many well good great really just like know think going want see look come
    comes year years time times day days us let lets everything something anything
    nothing everyone people link links click check find follow free please thanks thank
    welcome hear tell tells intro outro introduction recap wrap wrap-up wrapup closing
    thoughts yes cold open opening meet actually part pt bonus trailer teaser update
    announcement segment
    question questions answer answers special best live latest interview twitter call calls
    still skip might maybe we'll we're you'll i'm it's that's there's pre-show preshow
    housekeeping sponsor sponsors feedback mailbag topic topics chapter chapters
    """.split()  # noqa: SIM905
        # Dates in titles ("Bombcast 12 Feb", "Fredag 3 mars") link episodes by the calendar.
        + """
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec
    januar februar märz mai juni juli oktober dezember
    janvier février mars avril juin juillet août septembre octobre novembre décembre
    enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre
    januari februari maart mei augustus juni juli
    monday tuesday wednesday thursday friday saturday sunday
    montag dienstag mittwoch donnerstag freitag samstag sonntag
    måndag tisdag onsdag torsdag fredag lördag söndag hur
    """.split()  # noqa: SIM905
    )
)
# Given names common enough to be anyone's, known before the catalogue has people: a feed
# whose notes say "Bob" and "Vinny" credits nobody as Bob or Vinny. Without those that are
# also common words (Will, Mark, Grace, Bill), which `document_terms` only drops capitalised
# anyway.
COMMON_FIRST_NAMES = frozenset(
    """
    aaron adam adrian al alan albert alex alexander alexandra ali alice alison amanda amy
    andrea andreas andrew andy angela anna anne anthony antonio ashley barbara ben benjamin
    bernd bob brad brandon brenda brett brian bruce carl carlos carol caroline catherine
    charles charlie chris christine christopher claire claudia craig dan daniel
    danny dave david deborah dennis diana diane donald doug douglas drew ed edward elena
    elizabeth emily emma eric erik eva fabian felix florian francesco frank fred gary
    george greg gregory hannah hans harry heather helen henry ian isabel jack jacob james
    jamie jan jane janet jason jean jeff jeffrey jen jennifer jeremy jerry jessica jim
    jimmy joe joel johannes john johnny jon jonathan jose joseph josh joshua juan
    julia julian julie justin karen kate katherine katie kathy keith kelly ken kevin kim
    klaus kyle larry laura lauren linda lisa lucas luis lukas maria marie markus
    martin mary matt matthew matthias megan melissa michael michelle mike nancy
    nathan nick nicholas nicole oliver olivia pablo pam patrick paul peter phil philip
    rachel rebecca richard rick rob robert roger ron ronald ryan sam samantha sandra sara
    sarah scott sean sebastian simon stefan stephanie stephen steve steven susan thomas
    tim timothy todd tom tommy tony tyler vinny walter wayne william wolfgang
    """.split()  # noqa: SIM905
)
# Words that are no topic alone ("big", "send", "need"), though a phrase may hold one
# ("Big Bang", "climate change"): verbs, adjectives and adverbs of any talk.
_WEAK_ALONE_WORDS = """
    able add added adds another around away bad big bigger biggest almost already always
    work works worked working bit bits better best
    ask asked asks become becomes bring brings call called came cause change come coming
    could different does done during easy end ends enough ever every feel feels felt fine
    give gives given giving gone good got hard help helps hold keep keeps kept kind knew
    later least left less little long longer mean meant need needs never nice old once
    own plus put puts rather ready real right run runs said same saw seem seems send sends
    set sets shown side since small soon start started starts stay stop sure take takes
    taken taking tell told took tried tries try trying turn turned turns use used uses
    using want wanted wants whole wrong yet edition everybody anybody somebody else ago
    boy girl guy guys man men woman women thing story stories season deep dive return
    returns returned world life state house future
    bisschen mal halt eigentlich gibt geht heute immer wieder einfach genau viel viele
    ganz schon dabei doch neue neuen neues
"""
# Function words of the other languages of podcast notes that STOPWORDS lacks, as written
# (lower case, accents kept: "für" is one, "fur" is a topic): "für andere", "beim
# Recruiting" are no phrases.
_FUNCTION_WORDS = frozenset(
    """
    für über wer wen wem vom beim zum zur ans ins andere anderen anderer eigene eigenen
    eigener kleine kleinen große großen grosse sollte sollten soll kann können könnte
    muss müssen mehr weniger unser unsere unseren euch dich dir mich uns ihr ihre ihren
    seine seinen diese dieser dieses diesem jeder jede jedes alle allem allen etwas
    nichts dann weil warum ohne gegen durch zwischen wird werden wurde hat haben hatte
    sind aber wenn dass nur wirklich welche welcher wieso weshalb jetzt hier dort sehr
    gut gute guten neu richtig wichtig wichtige heißt
    avec sans chez sont mais comme cette leur leurs très aussi tout tous toute
    pero como más muy sobre también este esta estos todo todos cuando donde
    och eller inte också efter utan vara hade eftersom
    """.split()  # noqa: SIM905
)
_URL = re.compile(
    r"(?:https?://|www\.)\S+|\S+@\S+\.\w+|\b[\w.-]+\.(?:com|org|net|fm|io|dev|de|co|uk|ly|me|tv)"
    r"\b\S*",
    re.IGNORECASE,
)
# Lines that are housekeeping rather than content.
_BOILERPLATE_MARKERS = (
    "sponsor",
    "promo code",
    "use code",
    "offer code",
    "discount",
    "% off",
    "patreon",
    "subscribe",
    "support the show",
    "support this show",
    "support our show",
    "support the podcast",
    "advertis",
    "privacy",
    "rate and review",
    "leave a review",
    "leave us a review",
    "follow us",
    "newsletter",
    "merch",
    "affiliate",
    "unterstütz",
    "werbung",
)
_TLD = re.compile(r"\.(?:com|org|net|fm|io|dev|de|co|uk|ly|me|tv)\b", re.IGNORECASE)
# What ends a phrase: any character other than a letter, digit, space, hyphen, apostrophe.
_RUN_BREAK = re.compile(r"[^\w \t'’-]+")
_WORD = re.compile(r"[^\W\d_][^\W_]*(?:['’-][^\W_]+)*")
_POSSESSIVE = re.compile(r"['’]s$")
# "we'll", "didn't", "you've": a contraction is never a topic, whatever the pronoun.
_CONTRACTION = re.compile(r"['’](?:ll|re|ve|d|m|t)$|n['’]t$")


_KEYS: dict[str, str] = {}  # word -> key ("" when not meaningful); a vocabulary is small
# key -> its best spelling seen in this process: lower case if ever, else as written
# ("Zoë", "Adam"); a real word either way, never a key such as "tomatoe".
_FORMS: dict[str, str] = {}


def term_key(word: str) -> str:
    """How a word is identified: folded, possessive and plural endings dropped, so that
    "Rates", "rate" and "rate's" are one term."""
    key = _POSSESSIVE.sub("", word.lower() if word.isascii() else fold(word))
    if len(key) > 4 and key.endswith("ies"):
        return key[:-3] + "y"
    if len(key) > 4 and key.endswith(("sses", "xes", "ches", "shes")):
        return key[:-2]
    if len(key) > 3 and key.endswith("s") and not key.endswith(("ss", "us", "is")):
        return key[:-1]
    return key


_WEAK_ALONE = frozenset(term_key(word) for word in _WEAK_ALONE_WORDS.split())
_COMMON_FIRST_NAME_KEYS = frozenset(term_key(name) for name in COMMON_FIRST_NAMES)


def _meaningful_key(word: str) -> str:
    """`term_key(word)`, or "" for words that say nothing (cached: this runs per word)."""
    key = _KEYS.get(word)
    if key is None:
        key = term_key(word)
        lower = word.lower()
        if (
            lower in STOPWORDS  # "goes" is a stopword, its key "goe" is not; "für" is one
            or lower in _GENERIC
            or lower in _FUNCTION_WORDS
            or len(key) < 3
            or key in STOPWORDS
            or key in _GENERIC
            or key.isdigit()
            or _CONTRACTION.search(key)
        ):
            key = ""
        else:
            form = _POSSESSIVE.sub("", word)
            known = _FORMS.get(key)
            if known is None or _form_rank(form, key) > _form_rank(known, key):
                _FORMS[key] = form
        if len(_KEYS) < 500_000:
            _KEYS[word] = key
    return key


def _form_rank(form: str, key: str) -> tuple[bool, bool]:
    # Lower case first (a capital from a title is not a name), then the key's own form.
    return form.islower(), form == key


def _phrase_rank(form: str) -> tuple[bool, bool]:
    # A phrase reads as written together: words alike in case first ("United States",
    # "learning rates"; not "united States" pieced from two words' forms), then lower case.
    words = form.split(" ")
    alike = all(w.islower() for w in words) or all(w[:1].isupper() for w in words)
    return alike, form.islower()


def _note_phrase_form(key: str, form: str) -> None:
    known = _FORMS.get(key)
    if known is None:
        if len(_FORMS) < 500_000:
            _FORMS[key] = form
    elif _phrase_rank(form) > _phrase_rank(known):
        _FORMS[key] = form


def term_form(key: str) -> str:
    """How a term reads: its best spelling seen ("learning rates" for the key "learning
    rate", "Zoë" for "zoe"; see `_form_rank`); a phrase as it was written together."""
    if " " in key:
        return _FORMS.get(key) or " ".join(_FORMS.get(part, part) for part in key.split(" "))
    return _FORMS.get(key, key)


Counts = dict[str, float]  # term -> weighted count in one episode


def document_keys(
    doc: Document, boiler: frozenset[str] = frozenset(), names: frozenset[str] = frozenset()
) -> set[str]:
    """The distinct terms of an episode (what document frequencies count)."""
    return set(document_terms(doc, boiler, names))


def document_terms(
    doc: Document, boiler: frozenset[str] = frozenset(), names: frozenset[str] = frozenset()
) -> Counts:
    """Words of an episode weighted by where they appear, and the two-word phrases of
    its title and chapter titles (phrases of prose are mostly noise, and costly).

    `boiler`: the lines its feed repeats (bot/common/boilerplate.py), left out of the
    notes — a sponsor read on a tenth of the episodes links them by the sponsor's name.
    `names`: first names (`first_name_keys`), no term when capitalised ("Claire" links
    nothing, "claire de lune" may), though a phrase may start with one ("Claire Evans"),
    as it may with a word in `_WEAK_ALONE` ("big bang")."""
    counts: Counts = {}
    _add_text(counts, doc.title, TITLE_WEIGHT, names)
    for chapter in doc.chapters:
        _add_text(counts, chapter, CHAPTER_WEIGHT, names)
    notes = boilerplate.learned_removed(doc.notes, boiler) if boiler else doc.notes
    if _maybe_boilerplate(notes):
        notes = "\n".join(line for line in notes.split("\n") if not _maybe_boilerplate(line))
    if "://" in notes or "www." in notes or "@" in notes or _TLD.search(notes):
        notes = _URL.sub(" ", notes)
    # Counted per distinct word first (in C): notes are most of the text.
    keys = _KEYS
    weak = _WEAK_ALONE
    for word, n in Counter(_WORD.findall(notes)).items():
        key = keys.get(word)
        if key is None:
            key = _meaningful_key(word)
        if key and key not in weak and not (key in names and word[0].isupper()):
            counts[key] = counts.get(key, 0.0) + n * NOTES_WEIGHT
    return counts


def _maybe_boilerplate(text: str) -> bool:
    lowered = text.lower()
    return any(marker in lowered for marker in _BOILERPLATE_MARKERS)


def _add_text(
    counts: Counts, text: str, weight: float, names: frozenset[str] = frozenset()
) -> None:
    if "://" in text or "www." in text or "@" in text or _TLD.search(text):
        text = _URL.sub(" ", text)
    # Runs of words with nothing but spaces between them: phrases never cross punctuation.
    for run in _RUN_BREAK.split(text):
        previous = previous_word = ""
        previous_alone = False
        for word in _WORD.findall(run):
            key = _KEYS.get(word)
            if key is None:
                key = _meaningful_key(word)
            if not key:
                previous = ""
                continue
            alone = key not in _WEAK_ALONE and not (key in names and word[0].isupper())
            if alone:
                counts[key] = counts.get(key, 0.0) + weight
            if previous and (alone or previous_alone):
                phrase = f"{previous} {key}"
                if phrase not in counts:
                    _note_phrase_form(phrase, f"{previous_word} {_POSSESSIVE.sub('', word)}")
                counts[phrase] = counts.get(phrase, 0.0) + weight
            previous, previous_word, previous_alone = key, _POSSESSIVE.sub("", word), alone


def name_keys(names: Iterable[str]) -> frozenset[str]:
    """The terms of names that say nothing about an episode: the show's title, its hosts;
    and each name's words after a space (" giant|bombcast"; no term starts with one), for
    `_names_only`."""
    counts: Counts = {}
    for name in names:
        _add_text(counts, name, 1.0)
        counts[" " + "|".join(term_key(w) for w in _WORD.findall(name))] = 1.0
    return frozenset(counts)


_TF: dict[float, float] = {}  # weighted count -> 1 + log(count); counts repeat a lot


def signature(
    counts: Counts,
    df: dict[str, int],
    episodes: int,
    exclude: frozenset[str] = frozenset(),
    idf: dict[str, float] | None = None,
) -> Signature:
    """The `SIGNATURE_SIZE` most distinctive terms (TF-IDF), weights L2-normalised.

    `exclude`: terms never distinctive (see `name_keys`); `idf`: a cache shared by the
    episodes of one feed."""
    idf = {} if idf is None else idf
    scored = []
    for key, count in counts.items():
        weight = idf.get(key)
        if weight is None:
            frequency = max(df.get(key, 1), 1)
            if (
                key in exclude
                or is_boilerplate(frequency, episodes)
                or _names_only(key, exclude)
                or key in _GENERIC_PHRASES
            ):
                weight = 0.0
            else:
                weight = math.log(1 + episodes / frequency)
            idf[key] = weight
        if weight:
            tf = _TF.get(count)
            if tf is None:
                tf = _TF[count] = 1 + math.log(count)
            scored.append((tf * weight, key))
    kept = heapq.nlargest(SIGNATURE_SIZE, scored)
    if len(scored) > SIGNATURE_SIZE:
        # A phrase of the titles few episodes share ("Apache Kafka") stays, however much
        # else the notes say: it is what links the episodes on one subject.
        floor = kept[-1][0]
        kept += heapq.nlargest(
            SUBJECT_RESERVE,
            (
                (weight, key)
                for weight, key in scored
                if weight < floor and " " in key and df.get(key, 1) <= SUBJECT_MAX_EPISODES
            ),
        )
    norm = math.sqrt(sum(weight * weight for weight, _ in kept)) or 1.0
    return {key: SignatureTerm(weight / norm, term_form(key)) for weight, key in kept}


@dataclass(slots=True)
class Candidate:
    """Another episode and what it shares with the one being scored."""

    episode_id: int
    feed_id: int
    similarity: float = 0.0
    terms: list[tuple[float, str, str]] = field(default_factory=list)  # weight, form, key
    people: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)  # shared title phrases, as read

    @property
    def score(self) -> float:
        return self.similarity + GUEST_BONUS * min(len(self.people), 2)

    def crosses_well(self) -> bool:
        """Whether another show's episode has a link worth leaving the show for: a shared
        guest with a full name, or a shared subject (see `score_in_memory`)."""
        return bool(self.subjects) or any(len(name.split()) >= 2 for name in self.people)


def reasons(candidate: Candidate) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The shared people, and the few shared terms worth showing, strongest first: not
    parts of a shared person's name, and a phrase instead of its own words."""
    name_words = {term_key(w) for name in candidate.people for w in _WORD.findall(name)}
    shown: list[tuple[str, str]] = []  # key, form
    subjects = [(_subject_key(form), form) for form in candidate.subjects]
    # A phrase a fan recognises ("weight decay") before single words, each by weight.
    ranked = sorted(candidate.terms, key=lambda t: -t[0])[: REASON_TERMS * 4]
    ranked.sort(key=lambda t: " " not in t[2])
    for _, form, key in [(0.0, form, key) for key, form in subjects] + ranked:
        parts = set(key.split(" "))
        if parts <= name_words:
            continue
        if any(parts <= set(other.split(" ")) for other, _ in shown):
            continue
        chained = _chain(shown, key, form)
        if chained is not None:  # "domain driven" + "driven design": one subject
            shown[chained[0]] = chained[1]
            continue
        absorbed = [i for i, (other, _) in enumerate(shown) if set(other.split(" ")) <= parts]
        if absorbed:  # the phrase takes the place of its first word shown
            shown[absorbed[0]] = (key, form)
            shown = [item for i, item in enumerate(shown) if i not in absorbed[1:]]
        else:
            shown.append((key, form))
    return tuple(candidate.people), tuple(form for _, form in shown[:REASON_TERMS])


def _chain(shown: list[tuple[str, str]], key: str, form: str) -> tuple[int, tuple[str, str]] | None:
    """Where a phrase continues one shown ("domain driven" then "driven design"): its
    place and the longer phrase, or None."""
    if " " not in key:
        return None
    first, _, last = key.partition(" ")
    first_form, _, last_form = form.partition(" ")
    for i, (other, other_form) in enumerate(shown):
        if " " not in other or len(other.split(" ")) > 3:
            continue
        if other.rsplit(" ", 1)[1] == first:
            return i, (f"{other} {last}", f"{other_form} {last_form}")
        if other.split(" ", 1)[0] == last:
            return i, (f"{first} {other}", f"{first_form} {other_form}")
    return None


def _subject_key(form: str) -> str:
    return " ".join(term_key(word) for word in form.split(" "))


def best_lists(
    episode_id: int,
    feed_id: int,
    candidates: Iterable[Candidate],
    shared: SharedTerms | None = None,
) -> list[RelatedRow]:
    """The `KEEP` best of the same feed and the `KEEP` best of other feeds; `shared`
    fills in the terms of the chosen ones (see `Scores`)."""
    same: list[Candidate] = []
    other: list[Candidate] = []
    for candidate in candidates:
        if candidate.episode_id == episode_id or candidate.score <= 0:
            continue
        if candidate.feed_id == feed_id:
            same.append(candidate)
        elif candidate.crosses_well():
            other.append(candidate)
    rows = []
    for group in (same, other):
        group.sort(key=lambda c: (-c.score, -c.episode_id))
        for candidate in group[:KEEP]:
            if shared is not None and not candidate.terms:
                candidate.terms = shared(episode_id, candidate.episode_id)
            rows.append(row_for(episode_id, feed_id, candidate))
    return rows


def merge_offer(current: Sequence[RelatedRow], offer: RelatedRow) -> list[RelatedRow] | None:
    """`current` with `offer` in its place, or None when the list would need recomputing
    (the offered episode was on it and now scores lower: something else may belong)."""
    group = [r for r in current if r.same_feed == offer.same_feed]
    previous = next((r for r in group if r.related_id == offer.related_id), None)
    if previous is not None and offer.score < previous.score and len(group) >= KEEP:
        return None
    group = [r for r in group if r.related_id != offer.related_id]
    if offer.score > 0:
        group.append(offer)
    group.sort(key=lambda r: (-r.score, -r.related_id))
    rest = [r for r in current if r.same_feed != offer.same_feed]
    return rest + group[:KEEP]


# ---------------------------------------------------------------------- computing


SharedTerms = Callable[[int, int], list[tuple[float, str, str]]]


@dataclass(slots=True)
class Scores:
    """Each target's most similar episodes, and how to list the terms a pair shares
    (asked only for the pairs that are kept: most candidates are not)."""

    found: dict[int, dict[int, Candidate]]
    shared: SharedTerms


def score_in_memory(
    signatures: dict[int, Signature],
    feed_of: dict[int, int],
    postings: dict[str, list[tuple[int, float, str]]],
    targets: Iterable[int],
    keep: int = KEEP * 3,
) -> Scores:
    """For each target episode, the episodes most similar to it (cosine of signatures):
    the best `keep` of its own feed and of other feeds.

    `postings`: term -> (episode, weight, form) of every signature holding it (targets
    included). Terms in very many signatures of the target's feed are skipped: they link
    everything to everything and weigh little. Similarities are summed in plain floats first; only
    the few best become `Candidate`s (this runs for every episode of a feed)."""
    weights = {key: {e: w for e, w, _ in posting} for key, posting in postings.items()}
    feed_counts: dict[str, Counter[int | None]] = {}  # phrase -> its episodes per feed
    own_postings: dict[tuple[str, int], list[tuple[int, float, str]]] = {}
    found_all: dict[int, dict[int, Candidate]] = {}
    for target in targets:
        sums: dict[int, float] = {}
        feed = feed_of[target]
        subjects: dict[int, list[str]] = {}
        for key, term in signatures[target].items():
            posting = postings.get(key, ())
            if len(posting) > MAX_POSTINGS:
                # Counted within the show: how many other shows say a word changes
                # nothing in this one (and is no reason to leave it).
                posting = own_postings.get((key, feed), posting)
                if posting is postings[key]:
                    posting = own_postings[key, feed] = [
                        p for p in posting if feed_of.get(p[0]) == feed
                    ]
                if len(posting) > MAX_POSTINGS:
                    continue
            own = term.weight
            for other, weight, _form in posting:
                sums[other] = sums.get(other, 0.0) + own * weight
            if " " in key:
                # Phrases come from titles and chapter titles only (`document_terms`).
                per_feed = feed_counts.get(key)
                if per_feed is None:
                    per_feed = feed_counts[key] = Counter(feed_of.get(e) for e, _, _ in posting)
                for other in _subject_sharers(target, feed, own, posting, feed_of, per_feed):
                    found = subjects.setdefault(other, [])
                    if len(found) < 2:
                        sums[other] = sums.get(other, 0.0) + SUBJECT_BONUS
                    found.append(term.form)
        sums.pop(target, None)
        same = [e for e in sums if feed_of[e] == feed]
        other_feeds = [e for e in sums if feed_of[e] != feed]
        chosen = heapq.nlargest(keep, same, key=sums.__getitem__) + heapq.nlargest(
            keep, other_feeds, key=sums.__getitem__
        )
        found_all[target] = {
            e: Candidate(e, feed_of[e], sums[e], subjects=list(dict.fromkeys(subjects.get(e, []))))
            for e in chosen
        }

    def shared(target: int, other: int) -> list[tuple[float, str, str]]:
        return [
            (term.weight * weights[key][other], term.form, key)
            for key, term in signatures[target].items()
            if other in weights.get(key, ())
        ]

    return Scores(found_all, shared)


def _subject_sharers(
    target: int,
    feed: int,
    own: float,
    posting: Sequence[tuple[int, float, str]],
    feed_of: dict[int, int],
    per_feed: Counter[int | None],
) -> list[int]:
    """The episodes a phrase of the target's titles makes about the same subject: those
    of its show when few of the show's episodes have it, and those of another show when
    the phrase is prominent in both signatures and few of either show's episodes have it
    (`per_feed`: how many episodes of each feed hold the phrase)."""
    if per_feed[feed] > SUBJECT_MAX_EPISODES:
        return []
    prominent = own >= CROSS_SUBJECT_WEIGHT
    return [
        other
        for other, weight, _ in posting
        if other != target
        and (
            feed_of.get(other) == feed
            or (
                prominent
                and weight >= CROSS_SUBJECT_WEIGHT
                and per_feed[feed_of.get(other)] <= SUBJECT_MAX_EPISODES
            )
        )
    ]


def add_guests(
    found: dict[int, dict[int, Candidate]],
    guests: dict[int, list[tuple[int, str]]],
    episodes_of: dict[int, list[tuple[int, int]]],
    feed_sizes: dict[int, int] | None = None,
) -> None:
    """Add the shared guests to each target's candidates.

    `guests`: episode -> (person id, name) of its guests; `episodes_of`: person ->
    (episode, feed) of every episode they are a guest on; `feed_sizes`: episodes of the
    feeds whose size is known, where a guest on `REGULAR_GUEST_SHARE` of them is a
    regular too. A one-word name ("Claire") is nobody two episodes can be said to share."""
    sizes = feed_sizes or {}
    regulars = set()
    for person_id, credits in episodes_of.items():
        per_feed = Counter(feed for _, feed in credits)
        if any(
            n >= REGULAR_GUEST_EPISODES
            or (feed in sizes and n >= max(4, REGULAR_GUEST_SHARE * sizes[feed]))
            for feed, n in per_feed.items()
        ):
            regulars.add(person_id)
    for target, candidates in found.items():
        for person_id, name in guests.get(target, ()):
            if person_id in regulars or len(name.split()) < 2:
                continue  # a panelist tagged as a guest: not what two episodes share
            for other, other_feed in episodes_of.get(person_id, ()):
                if other == target:
                    continue
                candidate = candidates.get(other)
                if candidate is None:
                    candidate = candidates[other] = Candidate(other, other_feed)
                if name not in candidate.people:
                    candidate.people.append(name)


def row_for(episode_id: int, feed_id: int, candidate: Candidate) -> RelatedRow:
    """The stored line for `candidate` on `episode_id`'s list."""
    people, terms = reasons(candidate)
    return RelatedRow(
        episode_id,
        candidate.episode_id,
        candidate.feed_id == feed_id,
        round(candidate.score, 6),
        people,
        terms,
    )


def _reverse(candidate: Candidate, target: int, target_feed: int, shared: SharedTerms) -> Candidate:
    """The same pair seen from the other side (the score is symmetric)."""
    terms = candidate.terms or shared(target, candidate.episode_id)
    return Candidate(
        target,
        target_feed,
        candidate.similarity,
        list(terms),
        list(candidate.people),
        list(candidate.subjects),
    )


# ---------------------------------------------------------------------- refreshing


class RelatedRefresh:
    """Keeps the related lists of one feed current across one import.

    `prepare()` before the import writes (it notes which terms the updated episodes had,
    so their document frequencies can be taken back), `run()` after it."""

    def __init__(
        self,
        store: Store,
        feed_id: int,
        updated_ids: list[int],
        before: dict[int, set[str]],
        full: bool,
    ):
        self._store = store
        self._feed_id = feed_id
        self._updated = updated_ids
        self._before = before
        self.full = full

    @classmethod
    async def prepare(
        cls, store: Store, feed_id: int, *, new_count: int, updated_ids: list[int]
    ) -> RelatedRefresh:
        known = (await store.feed_terms(feed_id, terms=())).episodes
        changed = new_count + len(updated_ids)
        full = known == 0 or changed > FULL_RECOMPUTE_SHARE * known
        before: dict[int, set[str]] = {}
        if not full and updated_ids:
            docs = await store.related_documents(episode_ids=updated_ids)
            boiler = await feed_boilerplate(store, feed_id)  # as the terms were counted
            words = await FeedWords.load(store, feed_id)
            before = await asyncio.to_thread(
                lambda: {d.episode_id: document_keys(d, boiler, words.names) for d in docs}
            )
        return cls(store, feed_id, list(updated_ids), before, full)

    async def run(self, new_ids: Sequence[int]) -> None:
        if not new_ids and not self._updated:
            return
        if self.full:
            await refresh_feed(self._store, self._feed_id)
        else:
            await self._incremental(list(new_ids))

    async def _incremental(self, new_ids: list[int]) -> None:
        store, feed_id = self._store, self._feed_id
        changed = [*new_ids, *self._updated]
        changed_set = set(changed)
        docs = await store.related_documents(episode_ids=changed)
        boiler = await feed_boilerplate(store, feed_id)
        words = await FeedWords.load(store, feed_id)
        counts = await asyncio.to_thread(
            lambda: {d.episode_id: document_terms(d, boiler, words.names) for d in docs}
        )
        keysets = {episode_id: set(terms) for episode_id, terms in counts.items()}
        wanted = set().union(*keysets.values(), *self._before.values())
        feed = await store.feed_terms(feed_id, wanted)
        deltas: Counter[str] = Counter()
        for keys in self._before.values():
            deltas.subtract(keys)
        for keys in keysets.values():
            deltas.update(keys)
        df = {term: feed.df.get(term, 0) + deltas.get(term, 0) for term in wanted}
        episodes = feed.episodes + len(new_ids)
        exclude = name_keys(await store.feed_names(feed_id)) | words.segments
        signatures = await asyncio.to_thread(
            lambda: {
                d.episode_id: signature(counts[d.episode_id], df, episodes, exclude) for d in docs
            }
        )
        terms = set().union(*(s.keys() for s in signatures.values()))
        postings, feed_of = await store.signature_postings(terms)
        _replace_postings(postings, signatures, changed_set)
        feed_of.update(dict.fromkeys(signatures, feed_id))
        scores = score_in_memory(signatures, feed_of, postings, signatures)
        found = scores.found
        guests, episodes_of = await store.guests_of(list(signatures))
        add_guests(found, guests, episodes_of, {feed_id: episodes})
        lists = {e: best_lists(e, feed_id, found[e].values(), scores.shared) for e in signatures}

        # Offer each changed episode to the lists it may enter: those of the episodes it
        # shares something with (the score is symmetric).
        offers: dict[int, list[RelatedRow]] = defaultdict(list)
        for target, candidates in found.items():
            for candidate in candidates.values():
                if candidate.episode_id in changed_set:
                    continue
                if candidate.feed_id == feed_id or candidate.crosses_well():
                    offers[candidate.episode_id].append(
                        row_for(
                            candidate.episode_id,
                            candidate.feed_id,
                            _reverse(candidate, target, feed_id, scores.shared),
                        )
                    )
        holders = (await store.lists_containing(self._updated)) - changed_set
        current = await store.related_lists(set(offers) | holders)
        recompute: set[int] = set()
        for holder in set(offers) | holders:
            held = list(current.get(holder, []))
            offered = {row.related_id for row in offers.get(holder, [])}
            if any(r.related_id in self._updated and r.related_id not in offered for r in held):
                recompute.add(holder)  # an updated episode no longer shares anything
                continue
            rows: list[RelatedRow] | None = held
            for offer in offers.get(holder, []):
                rows = merge_offer(rows, offer) if rows is not None else None
                if rows is None:
                    recompute.add(holder)
                    break
            if rows is not None and holder not in recompute:
                lists[holder] = rows
        if recompute:
            lists.update(await self._recompute(recompute, signatures, changed_set))
        df_changes = {term: delta for term, delta in deltas.items() if delta}
        if new_ids:
            df_changes[""] = len(new_ids)
        await store.save_related(
            feed_id=feed_id, df_changes=df_changes, signatures=signatures, lists=lists
        )
        log.debug(
            "related: %d changed episodes of feed %d, %d lists offered, %d recomputed",
            len(changed),
            feed_id,
            len(offers),
            len(recompute),
        )

    async def _recompute(
        self, episode_ids: set[int], fresh: dict[int, Signature], changed: set[int]
    ) -> dict[int, list[RelatedRow]]:
        """Whole lists of some episodes, against the catalogue with the fresh signatures."""
        store = self._store
        signatures = await store.signatures_of(sorted(episode_ids))
        terms = set().union(*(s.keys() for s in signatures.values()))
        postings, feed_of = await store.signature_postings(terms)
        _replace_postings(postings, fresh, changed)
        feed_of.update(dict.fromkeys(fresh, self._feed_id))
        scores = score_in_memory({**fresh, **signatures}, feed_of, postings, episode_ids)
        guests, episodes_of = await store.guests_of(sorted(episode_ids))
        add_guests(scores.found, guests, episodes_of)
        return {
            e: best_lists(e, feed_of.get(e, 0), scores.found[e].values(), scores.shared)
            for e in episode_ids
        }


def _replace_postings(
    postings: dict[str, list[tuple[int, float, str]]],
    fresh: dict[int, Signature],
    changed: set[int],
) -> None:
    """Postings read from the store, with the changed episodes' new signatures in place
    of their stored ones."""
    for term in list(postings):
        postings[term] = [p for p in postings[term] if p[0] not in changed]
    for episode_id, terms in fresh.items():
        for term, entry in terms.items():
            postings.setdefault(term, []).append((episode_id, entry.weight, entry.form))


async def refresh_feed(store: Store, feed_id: int) -> None:
    """Compute a feed's related lists whole: document frequencies, every signature, every
    list; and offer its episodes to the lists of other feeds' episodes (whose old entries
    for them are dropped: an episode that changed may no longer belong there)."""
    docs = await store.related_documents(feed_id=feed_id)
    boiler = await feed_boilerplate(store, feed_id)
    names = _COMMON_FIRST_NAME_KEYS | first_name_keys(await store.credited_names())
    words = FeedWords(names, segment_keys(docs))
    await words.save(store, feed_id)
    exclude = name_keys(await store.feed_names(feed_id)) | words.segments

    def signatures_of_feed() -> tuple[Counter[str], dict[int, Signature]]:
        df: Counter[str] = Counter()
        counts = {}
        for doc in docs:
            counts[doc.episode_id] = terms = document_terms(doc, boiler, names)
            df.update(terms.keys())
        idf: dict[str, float] = {}
        return df, {
            d.episode_id: signature(counts[d.episode_id], df, len(docs), exclude, idf) for d in docs
        }

    df, signatures = await asyncio.to_thread(signatures_of_feed)
    terms = set().union(*(s.keys() for s in signatures.values())) if signatures else set()
    postings, feed_of = await store.signature_postings(terms, exclude_feed=feed_id)
    for episode_id, entries in signatures.items():
        feed_of[episode_id] = feed_id
        for term, entry in entries.items():
            postings.setdefault(term, []).append((episode_id, entry.weight, entry.form))
    scores = await asyncio.to_thread(score_in_memory, signatures, feed_of, postings, signatures)
    found = scores.found
    guests, episodes_of = await store.guests_of(list(signatures))
    add_guests(found, guests, episodes_of, {feed_id: len(docs)})
    lists = await asyncio.to_thread(
        lambda: {e: best_lists(e, feed_id, found[e].values(), scores.shared) for e in signatures}
    )

    offers: dict[int, list[RelatedRow]] = defaultdict(list)
    for target, candidates in found.items():
        for candidate in candidates.values():
            if candidate.feed_id != feed_id and candidate.crosses_well():
                offers[candidate.episode_id].append(
                    row_for(
                        candidate.episode_id,
                        candidate.feed_id,
                        _reverse(candidate, target, feed_id, scores.shared),
                    )
                )
    holding = await store.lists_containing(signatures)  # of this feed's episodes
    holders = set(offers) | (holding - set(signatures))
    current = await store.related_lists(holders)
    for holder in holders:
        kept = [r for r in current.get(holder, []) if r.related_id not in signatures]
        lists[holder] = _top(kept + offers.get(holder, []))
    await store.save_related(
        feed_id=feed_id,
        df_replace=FeedTerms(len(docs), dict(df)),
        signatures=signatures,
        lists=lists,
    )


@dataclass(frozen=True, slots=True)
class FeedWords:
    """What a feed's terms leave out besides its boilerplate, fixed at its last whole
    computation so that later incremental ones count terms the same way: the first names
    of the catalogue's people (`first_name_keys`) and the feed's segment names
    (`segment_keys`)."""

    names: frozenset[str] = frozenset()
    segments: frozenset[str] = frozenset()

    @staticmethod
    def state_key(feed_id: int) -> str:
        return f"related_words:{feed_id}"

    @classmethod
    async def load(cls, store: Store, feed_id: int) -> FeedWords:
        stored = await store.get_state(cls.state_key(feed_id))
        if not stored:
            return cls()
        data = json.loads(stored)
        return cls(frozenset(data.get("names", ())), frozenset(data.get("segments", ())))

    async def save(self, store: Store, feed_id: int) -> None:
        value = {"names": sorted(self.names), "segments": sorted(self.segments)}
        await store.set_state(self.state_key(feed_id), json.dumps(value))


def first_name_keys(names: Iterable[str]) -> frozenset[str]:
    """The first names of people with a full name ("Claire" of "Claire Evans"): alone and
    capitalised, such a word is a person nobody can tell apart, not a topic."""
    keys = set()
    for name in names:
        words = _WORD.findall(name)
        if len(words) > 2 and words[0].casefold() in _NAME_TITLES:
            words = words[1:]  # "Dr Ivo Brandt": Ivo
        if len(words) >= 2 and words[0][:1].isupper():
            key = term_key(words[0])
            if len(key) >= 3:
                keys.add(key)
    return frozenset(keys)


_NAME_TITLES = frozenset(("dr", "prof", "mr", "mrs", "ms", "mx", "sir", "dame", "rev"))
_SEGMENT_HEAD = re.compile(r"\s*[:|–—]\s*|\s+-\s+")


def segment_keys(docs: Sequence[Document]) -> frozenset[str]:
    """The terms of a feed's segment names: chapter titles (whole, or their part before
    ":" or " - ", as "Sponsor: Acme") on `SEGMENT_SHARE` of its episodes with chapters."""
    chaptered = [doc for doc in docs if doc.chapters]
    seen: Counter[str] = Counter()
    for doc in chaptered:
        titles = set()
        for chapter in doc.chapters:
            for part in (chapter, _SEGMENT_HEAD.split(chapter, maxsplit=1)[0]):
                # compared by their words alone: "Sponsor: Acme (2)" is "sponsor acme"
                if key := " ".join(_WORD.findall(part.lower())):
                    titles.add(key)
        seen.update(titles)
    floor = max(SEGMENT_MIN, SEGMENT_SHARE * len(chaptered))
    counts: Counts = {}
    for title, n in seen.items():
        if n >= floor:
            _add_text(counts, title, 1.0)
    return frozenset(counts)


def _names_only(key: str, exclude: frozenset[str]) -> bool:
    """A phrase of name words only, in any order ("bombcast giant" of "Giant Bombcast"),
    or the start of a name run together ("giant bomb" of "Giant Bombcast"); a word that
    starts a longer name word ("bomb" of "Bombcast")."""
    if " " not in key:
        return len(key) >= 4 and any(
            name[0] == " " and any(w != key and w.startswith(key) for w in name[1:].split("|"))
            for name in exclude
        )
    if all(part in exclude for part in key.split(" ")):
        return True
    joined = key.replace(" ", "")
    return len(joined) >= 6 and any(
        name[0] == " " and name[1:].replace("|", "").startswith(joined) for name in exclude
    )


async def feed_boilerplate(store: Store, feed_id: int) -> frozenset[str]:
    """The lines a feed repeats, as learned at its last import (nothing before)."""
    return boilerplate.keys_from_state(await store.get_state(boilerplate.state_key(feed_id)))


def _top(rows: list[RelatedRow]) -> list[RelatedRow]:
    result = []
    for same in (True, False):
        group = sorted(
            (r for r in rows if r.same_feed == same and r.score > 0),
            key=lambda r: (-r.score, -r.related_id),
        )
        result += group[:KEEP]
    return result
