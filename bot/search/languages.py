"""The languages of the feeds, and the forms of a searched word in each of them.

The full-text indexes stem every feed with English porter rules and fold diacritics of the
Latin script only (`porter unicode61 remove_diacritics 2`): "Tastaturen" does not find
"Tastatur", "καλημερα" typed without its accent does not find "Καλημέρα". Rather than a
second set of indexes, a searched word is widened to what the catalogue holds that shares
its Snowball stem in a language of the feeds searched (the stem, searched as a prefix),
or its spelling with diacritics in any script (the vocabulary's terms that kept theirs);
the FTS5 expression ORs them (bot/search/fts_query.py).

A feed's language is its `<language>` (ISO 639, "de-DE" -> "de"); a feed without one is
detected at import from its text by counting each language's stopwords (`detect`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping

import Stemmer

from bot.search.fts_query import fold
from bot.search.fts_query import words as split_words

# ISO 639-1 code -> PyStemmer algorithm. English is left to the index's own porter rules.
SNOWBALL = {
    "ca": "catalan", "da": "danish", "de": "german", "el": "greek", "es": "spanish",
    "fi": "finnish", "fr": "french", "hu": "hungarian", "it": "italian", "nl": "dutch",
    "no": "norwegian", "nb": "norwegian", "nn": "norwegian", "pt": "portuguese",
    "ro": "romanian", "ru": "russian", "sv": "swedish", "tr": "turkish", "pl": "polish",
    "cs": "czech", "id": "indonesian", "ga": "irish", "lt": "lithuanian",
}  # fmt: skip

# The commonest function words of each language: what `detect` counts, and what a search
# in a feed of that language drops (bot/search/fts_query.STOPWORDS holds the English ones
# and a few of the others already). Short lists: the words that make up most of any text.
LANGUAGE_STOPWORDS: dict[str, frozenset[str]] = {
    code: frozenset(fold(w) for w in text.split())
    for code, text in {
        "en": "the and of to is in that it was for on are with as this be at have from "
        "they but not what you we an or which their there been has were would will",
        "de": "der die das und ist nicht ein eine einen einem einer mit von zu den dem "
        "des im auf für sich auch es wir ich sie er als aus bei nach wie noch oder "
        "wird werden hat haben sind war aber wenn dass über nur zum zur vom beim ins "
        "fürs ums",
        "es": "el la los las un una unos unas y o de del en que por para con se lo su sus "
        "es al como más pero sus le ya muy sobre también fue ha este esta",
        "fr": "le la les un une des et est du au aux pour dans qui ce que il elle ne pas "
        "sur avec sont plus par nous vous ils mais comme cette son ses",
        "it": "il lo la i gli le un una uno e di del della dei che è per con non sono "
        "da nel nella si anche come più ma questo questa",
        "nl": "de het een en van ik je zijn op te dat niet is met voor er maar ook als "
        "aan wat nog bij uit wordt deze naar",
        "pt": "o a os as um uma e de do da dos das em no na que é para com não por mais "
        "se como mas foi ao pelo pela isso este esta",
        "sv": "och att det som en ett är på för med av till den inte jag har om var men "
        "så kan vi de ska sig från eller",
        "el": "και το τα η ο οι του της των στο στη στην να σε με για από που είναι θα "
        "δεν μια ένα αυτό τον την",
        "ca": "el la els les un una i de del en que per amb és no es al com més però "
        "aquest aquesta dels als",
    }.items()
}


def _languages_of_stopwords() -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    for code, stopwords in LANGUAGE_STOPWORDS.items():
        for word in stopwords:
            found[word] = (*found.get(word, ()), code)
    return found


# Stopword -> the languages it is one of (what `detect` counts).
_SHARED = _languages_of_stopwords()

# Shorter words are searched only as typed: their stems are too many other words' too.
MIN_STEM = 4
# Forms of one word searched at most, the most frequent first.
MAX_FORMS = 6
# Accented spellings of a word searched at most (the most frequent first).
MAX_SPELLINGS = 6


def language_code(value: str | None) -> str | None:
    """The ISO 639-1 code of a feed's `<language>` ("de-DE" -> "de", "EN_us" -> "en"),
    None when it says nothing usable."""
    if not value:
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0]
    return code if len(code) in (2, 3) and code.isalpha() else None


def detect(texts: Iterable[str], *, sample: int = 20_000) -> str | None:
    """The language of a feed from its text (titles and notes, the first `sample`
    characters of them): the language whose stopwords are most of its words, when they
    are a clear share; None when nothing stands out. A word that is a stopword of
    several languages ("de", "la") counts for each a share."""
    counts: dict[str, float] = {}
    total = 0
    read = 0
    for text in texts:
        for word in split_words(text[: sample - read]):
            total += 1
            shared = _SHARED.get(fold(word))
            if shared:
                for code in shared:
                    counts[code] = counts.get(code, 0.0) + 1 / len(shared)
        read += len(text)
        if read >= sample:
            break
    if not counts or total < 20:
        return None
    ranked = sorted(counts.items(), key=lambda item: -item[1])[:2]
    best, n = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    # Stopwords are a fifth to a half of running text: a tenth, and well ahead, is clear.
    return best if n >= 0.08 * total and n >= 1.5 * runner_up else None


def strip_marks(text: str) -> str:
    """Diacritics removed in every script ("Καλημέρα" -> "καλημερα"), case folded."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_stemmers: dict[str, Stemmer.Stemmer] = {}


def _stemmer(algorithm: str) -> Stemmer.Stemmer:
    stemmer = _stemmers.get(algorithm)
    if stemmer is None:
        stemmer = _stemmers[algorithm] = Stemmer.Stemmer(algorithm)
    return stemmer


def stem(word: str, code: str) -> str | None:
    """`word`'s Snowball stem in language `code` (diacritics stripped), None for English
    (the index stems it) and languages without a stemmer."""
    algorithm = SNOWBALL.get(code)
    return _stemmer(algorithm).stemWord(strip_marks(word)) if algorithm else None


def index_term(word: str) -> str:
    """The term the index holds for an English-stemmed word (its porter stem)."""
    return _stemmer("porter").stemWord(word) if word.isascii() else word


def index_prefix(word: str, stemmed: str) -> str:
    """The start every index term of a form of `word` shares: the index holds porter
    stems, which may cut a German or Spanish word shorter than its Snowball stem."""
    porter = _stemmer("porter").stemWord(strip_marks(word))
    common = 0
    for a, b in zip(porter, stemmed, strict=False):
        if a != b:
            break
        common += 1
    return stemmed[:common]


def same_stem(word: str, terms: Iterable[str], code: str) -> list[str]:
    """Those index `terms` that are forms of `word` in language `code` (the same Snowball
    stem: "tastaturen" for "Tastatur", never "startseite" for "Starter"), and that find
    themselves when quoted (the index stems a query again; porter is not idempotent)."""
    wanted = stem(word, code)
    if wanted is None:
        return []
    snowball = _stemmer(SNOWBALL[code])
    porter = _stemmer("porter")
    folded = strip_marks(word)
    return [
        t
        for t in terms
        if t != folded
        and t.isalpha()
        and snowball.stemWord(t) == wanted
        and porter.stemWord(t) == t
    ]


class MarkedTerms:
    """The index terms that kept their diacritics (the index folds the Latin script's
    only: "καλημέρα" stays as written), by their folded spelling, so that a word typed
    without its accents finds them. Built from the catalogue's non-ASCII terms."""

    def __init__(self, counts: Mapping[str, int]):
        self._counts = counts
        self.by_fold: dict[str, list[str]] = {}
        for term in counts:
            folded = strip_marks(term)
            if folded != term:
                self.by_fold.setdefault(folded, []).append(term)

    def spellings(self, word: str) -> list[str]:
        """The index terms spelled as `word` but for their diacritics, most frequent first."""
        found = self.by_fold.get(strip_marks(word), [])
        ranked = sorted((t for t in found if t != word), key=lambda t: -self._counts.get(t, 0))
        return ranked[:MAX_SPELLINGS]
