"""What a member typed, made into safe FTS5 queries.

Member text is never FTS5 syntax: it is split into words the way the index's tokenizer
(`porter unicode61 remove_diacritics 2`) splits text — letters and digits, everything
else a separator — and every word goes into the query inside double quotes, so `AND(`,
`NEAR`, `*`, `^`, `:` and column names are just words or nothing at all.

A query matches in tiers, most precise first: all of the words, with the hits that hold
them as a phrase ranked first (`is_phrase_match`), then — only when all of the words
match nothing — any of them. Very common words ("the", "and", ...) are dropped when other
words remain: they match almost every row, which makes bm25 slow (its cost grows with the
number of matches) and adds nothing.

The transcript moments query (bot/transcripts/transcript_search.py) reads the same words
through `topic_terms` — stricter: a topic of stopwords alone is no topic — and builds its
expressions with `fts_all`, `fts_any` and `fts_near`. One stopword list serves both.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# Longer input is cut: nobody searches with a paragraph, and each word costs a doclist.
MAX_QUERY_WORDS = 8
MAX_WORD_LENGTH = 40

# Letters and digits (unicode61's token characters); `_` is a separator for it too.
_WORD = re.compile(r"[^\W_]+")

# Function words that match nearly everything. English first (most feeds), then the
# commonest of the other languages seen in real feeds, then the filler of speech
# (transcripts). Dropped from a search only when it has other words: "The Who" still finds
# the band; a transcript topic made only of these finds nothing rather than every passage.
STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are aren as at be because been
    before being below between both but by can cannot could did do does doing don down
    during each few for from further had has have having he her here hers herself him
    himself his how i if in into is isn it its itself just let me more most my myself no
    nor not now of off on once only or other ought our ours ourselves out over own same
    she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves also get got
    like really s t ve ll re d m der die das und ist nicht ein eine einen einem einer
    mit von zu den dem des im auf für sich auch es wir ich sie er als am aus bei nach
    wie noch oder el la los las un una unos unas y o de del en que por para con se lo su
    sus es al le les des et est du au aux une pour dans qui ce het een en van ik je zijn
    op te dat niet och att det som en ett är på för med av till den
    couldn didn doesn hadn hasn haven mustn shan shouldn upon us wasn weren won wouldn
    yeah yes okay ok oh uh um umm hmm mm ah actually basically literally gonna gotta wanna
    kinda sorta kind sort thing things stuff lot lots getting go going goes went know think
    thought say said says mean means right well something anything everything nothing
    someone maybe probably pretty quite much many one two even still way back see look
    make made
    """.split()  # noqa: SIM905
)


def fold(text: str) -> str:
    """Case-folded, with diacritics removed: how names and titles are compared ("Zoë" ==
    "zoe"), like the index's `remove_diacritics 2`."""
    if text.isascii():  # most text, and the hot path of phrase matching: no decomposition
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """The words of `text` as the index splits them: runs of letters and digits, in lower
    case (the index folds diacritics itself when it reads a quoted query string)."""
    return _WORD.findall(unicodedata.normalize("NFC", text).lower())


# As `is_stopword` compares them: folded, so "für" in the list matches "fur" typed or read.
_FOLDED_STOPWORDS = frozenset(fold(word) for word in STOPWORDS)


def is_stopword(word: str) -> bool:
    return fold(word) in _FOLDED_STOPWORDS


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """What one search runs: the FTS5 expression of all the words (ranked), the phrase
    whose matches among those hits rank first (None for a single word: nothing to tell
    apart), and the expression of any word (only when the words together match nothing;
    None when there is nothing looser to try)."""

    all: str
    phrase: tuple[str, ...] | None
    any: str | None
    terms: tuple[str, ...] = ()  # one expression per word (with its forms)


@dataclass(frozen=True, slots=True)
class SearchText:
    """What a member typed, as the words to look for.

    `words` are the distinctive words (stopwords dropped unless nothing else remains);
    `phrase` is the typed words with stopwords trimmed only at the ends, so that
    "state of the art" is still looked for as that phrase.
    """

    words: tuple[str, ...]
    phrase: tuple[str, ...]

    @classmethod
    def parse(cls, text: str | None, stopwords: frozenset[str] = frozenset()) -> SearchText:
        """`stopwords`: folded function words of the feeds' language, dropped as well."""
        found = [w[:MAX_WORD_LENGTH] for w in words(text or "")][: MAX_QUERY_WORDS * 2]
        content = [w for w in found if not is_stopword(w) and fold(w) not in stopwords]
        if not content:
            phrase = found[:MAX_QUERY_WORDS]
            return cls(tuple(dict.fromkeys(phrase)), tuple(phrase))
        first = found.index(content[0])
        last = len(found) - found[::-1].index(content[-1])
        phrase = found[first:last][:MAX_QUERY_WORDS]
        return cls(tuple(dict.fromkeys(content))[:MAX_QUERY_WORDS], tuple(phrase))

    @property
    def only_common_words(self) -> bool:
        return all(is_stopword(w) for w in self.words)

    def plan(self, variants: Mapping[str, Sequence[str]] | None = None) -> QueryPlan | None:
        """The expressions to run (None when there are no words). `variants`: index terms
        that also count as a word (its forms in the feeds' languages, its accented
        spelling: bot/search/languages.py), ORed with it."""
        if not self.words:
            return None
        forms = variants or {}
        terms = tuple(_group(w, forms.get(w, ())) for w in self.words)
        if len(self.words) == 1 and len(self.phrase) <= 1:
            return QueryPlan(terms[0], None, None, terms)
        # FTS5 joins a parenthesised group to the rest only with an explicit AND.
        every = (" AND " if forms else " ").join(terms)
        loose = None
        if len(self.words) > 1 and not self.only_common_words:
            # "the OR who" would match everything: common words never stand alone.
            loose = " OR ".join(terms)
        return QueryPlan(every, self.phrase, loose, terms)


def _group(word: str, variants: Sequence[str]) -> str:
    """A word and its variants as one FTS5 term: `"w"`, or `("w" OR "v" OR "s" *)` (a
    variant ending in `*` is a prefix: a stem, bot/search/languages.py)."""
    if not variants:
        return _quote(word)
    atoms = [_quote(word)] + [
        _quote(v[:-1]) + " *" if v.endswith("*") else _quote(v) for v in variants if v.strip("*")
    ]
    return "(" + " OR ".join(atoms) + ")"


def _quote(text: str) -> str:
    """An FTS5 string: double quotes around it, inner quotes doubled."""
    return '"' + text.replace('"', '""') + '"'


# ---- transcript topics: every word must be distinctive


def topic_terms(topic: str) -> list[str]:
    """The index terms of a member's topic: `words` (letters and digits; "Bradley-Terry" is
    two), stopwords and repeats dropped, at most MAX_QUERY_WORDS. [] means "no topic"
    (e.g. "the", "what is it"): unlike a search, a topic never falls back to common words."""
    seen: list[str] = []
    for word in words(topic):
        if is_stopword(word) or word in seen:
            continue
        seen.append(word)
    return seen[:MAX_QUERY_WORDS]


def fts_all(terms: Sequence[str]) -> str:
    """An FTS5 query matching text that holds every term (user text is always quoted)."""
    return " ".join(_quote(t) for t in terms)


def fts_any(terms: Sequence[str]) -> str:
    """An FTS5 query matching text that holds any of the terms."""
    return " OR ".join(_quote(t) for t in terms)


def fts_near(terms: Sequence[str], distance: int | None = None) -> str:
    """An FTS5 query for the terms close together (stopwords between them are allowed)."""
    if len(terms) == 1:
        return _quote(terms[0])
    gap = distance if distance is not None else 2 * len(terms)
    return f"NEAR({' '.join(_quote(t) for t in terms)}, {gap})"


_MARKED_TOKEN = re.compile("\x02|\x03|[^\\W_]+")


def _same_word(token: str, word: str) -> bool:
    """Whether a highlighted token is (a form of) a query word: FTS5 already matched it
    with stemming, this only tells the query's words apart ("rates" ~ "rate")."""
    if token == word:
        return True
    common = 0
    for a, b in zip(token, word, strict=False):
        if a != b:
            break
        common += 1
    return common >= max(3, min(len(token), len(word)) - 3)


def is_phrase_match(highlighted: str, phrase: tuple[str, ...]) -> bool:
    """Whether text highlighted for an all-words query holds the words as typed, in
    order and side by side (stopwords inside the phrase must be there as they are).

    Read from the highlight markers in Python: asking the index for a phrase match per
    row costs a seek through every word's positions, which is slow for common words."""
    if len(phrase) < 2:
        return True
    tokens: list[tuple[str, bool]] = []
    marked = False
    for match in _MARKED_TOKEN.finditer(highlighted):
        token = match.group()
        if token == "\x02":
            marked = True
        elif token == "\x03":
            marked = False
        else:
            tokens.append((fold(token), marked))
    wanted = [(fold(w), is_stopword(w)) for w in phrase]
    for start in range(len(tokens) - len(wanted) + 1):
        for (token, is_marked), (word, common) in zip(
            tokens[start : start + len(wanted)], wanted, strict=True
        ):
            if common:
                if token != word:
                    break
            elif not (is_marked and _same_word(token, word)):
                break
        else:
            return True
    return False


def coverage(highlighted: str, words: Sequence[str]) -> int:
    """How many of the distinct `words` a hit highlighted for them holds (read from the
    highlight markers, like `is_phrase_match`): what ranks "any word" matches, so that a
    passage with two of three words comes before one with a single rare word."""
    return len(held_words(highlighted, words))


def held_words(highlighted: str, words: Sequence[str]) -> list[str]:
    """Those of `words` (distinct) that a hit highlighted for them holds."""
    marked: set[str] = set()
    inside = False
    for match in _MARKED_TOKEN.finditer(highlighted):
        token = match.group()
        if token == "\x02":
            inside = True
        elif token == "\x03":
            inside = False
        elif inside:
            marked.add(fold(token))
    return [word for word in dict.fromkeys(words) if any(_same_word(t, fold(word)) for t in marked)]
