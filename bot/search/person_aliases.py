"""One person under several spellings: merged when the autocomplete index is built.

The store keys a person by the name as written (case and spaces folded), so "José Núñez",
"Jose Nunez", "Guy L. Steele Jr" and "Guy Steele", or a `podcast:person` "Dave Jones"
and "David Jones" with the same `href`, are separate rows. Merging them here, at lookup,
rather than when credits are written, changes nothing stored: no migration, no rewrite of
existing rows, nothing to undo if a merge turns out wrong, and a new rule applies to every
store at its next index build. Every command that shows a person (/guest, its
autocomplete) goes through this index; each answer is still filtered by the feeds the
server follows, so one server sees one person with the episodes it can see.

Two spellings are one person when:
- their alias keys are equal: folded (case, diacritics; ä ö ü ß spelled ae oe ue ss, so
  "Jürgen Höller" is "Juergen Hoeller"), without honorifics, without middle initials,
  without "Jr"/"Sr"/"III" and without an affiliation after the name ("- Acme", "(Acme)",
  ", CTO at Acme"); or
- they share a `podcast:person` href and the same first name with a last name one letter
  apart ("Roy Scheinfeld" / "Roy Sheinfeld", both linked to the company's site), or, when
  the href is a page of its own rather than a bare site ("https://x.org/" is on every
  colleague), the same last name ("Dave Jones" / "David Jones").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.search.fts_query import fold
from bot.search.lookup import IndexedPerson, lookup_words

_HONORIFICS = frozenset(
    "dr prof professor sir dame mr mrs ms mx rev fr capt gen sen rep gov amb ambassador".split()  # noqa: SIM905
)
_SUFFIXES = frozenset(("jr", "sr", "ii", "iii", "iv", "phd", "md"))
_TRANSLITERATED = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe",
                                 "Ü": "Ue", "ß": "ss"})  # fmt: skip
_WORD = re.compile(r"[^\W_][\w'-]*")


# What may follow a name in a credit written before its affiliation was cut off ("Ann Lee -
# Acme", "Ann Lee (Acme)", "Ann Lee, CTO at Acme"): stores filled then keep it in the name.
_AFFILIATION = re.compile(r"\s+[-–—|]\s+.*$|\s*\([^()]*\)\s*$|,\s+.*$")


def alias_key(name: str) -> str:
    """The spelling-free identity of a name ("Dr. José M. Núñez Jr." -> "jose nunez";
    "Ann Lee - Acme" -> "ann lee")."""
    bare = _AFFILIATION.sub("", name)
    if len(bare.split()) >= 2:
        name = bare
    words = _WORD.findall(fold(name.translate(_TRANSLITERATED)).replace("’", "'"))
    while len(words) > 2 and words[0] in _HONORIFICS:
        words.pop(0)
    while len(words) > 2 and words[-1] in _SUFFIXES:
        words.pop()
    if len(words) > 2:
        words = [words[0], *(w for w in words[1:-1] if len(w) > 1), words[-1]]
    return " ".join(words)


def _page(href: str | None) -> tuple[str, bool] | None:
    """The href's identity and whether it is a page (rather than a bare site, which
    colleagues share), or None for no link."""
    if not href:
        return None
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", href.strip().casefold())
    text = text.removeprefix("www.").rstrip("/")
    site, _, path = text.partition("/")
    return (text, bool(path)) if site else None


def _same_person(a: str, b: str, *, colleagues: bool) -> bool:
    """Two alias keys behind one href: the same last name ("dave ortmann" / "david
    ortmann") on a person's own page, or the same first name and a last name one letter
    apart ("roy scheinfeld" / "roy sheinfeld"), even on a company's site (`colleagues`:
    the href is a bare site, which two colleagues, or relatives, may share)."""
    first_a, _, last_a = a.rpartition(" ")
    first_b, _, last_b = b.rpartition(" ")
    if last_a == last_b and not colleagues:
        return True
    return first_a == first_b and _one_edit(last_a, last_b)


def _one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            rest = a[i + 1 :] if len(a) == len(b) else a[i:]
            return rest == b[i + 1 :]
    return True


def merge_aliases(
    people: Iterable[IndexedPerson], hrefs: dict[int, str] | None = None
) -> list[IndexedPerson]:
    """The people with every alias folded into one: the spelling credited on most
    episodes names it, with the words of every spelling (so either is found)."""
    people = list(people)
    hrefs = hrefs or {}
    parent = {p.id: p.id for p in people}

    def root(person_id: int) -> int:
        while parent[person_id] != person_id:
            parent[person_id] = parent[parent[person_id]]
            person_id = parent[person_id]
        return person_id

    def join(a: int, b: int) -> None:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    by_key: dict[str, int] = {}
    by_page: dict[str, list[tuple[int, str]]] = {}
    for person in people:
        key = alias_key(person.name)
        if key.count(" ") >= 1:  # a one-word name is too little to merge on
            if key in by_key:
                join(by_key[key], person.id)
            else:
                by_key[key] = person.id
        page = _page(hrefs.get(person.id))
        if page and key:
            link, is_page = page
            for other_id, other_key in by_page.get(link, ()):
                if _same_person(key, other_key, colleagues=not is_page):
                    join(other_id, person.id)
            by_page.setdefault(link, []).append((person.id, key))
    groups: dict[int, list[IndexedPerson]] = {}
    for person in people:
        groups.setdefault(root(person.id), []).append(person)
    merged: list[IndexedPerson] = []
    for group in groups.values():
        if len(group) == 1:
            merged.append(group[0])
            continue
        main = max(group, key=lambda p: (len({e for e, _ in p.episodes}), -p.id))
        words = list(dict.fromkeys(w for p in group for w in (*p.words, *lookup_words(p.name))))
        episodes = list(dict.fromkeys(e for p in group for e in p.episodes))
        merged.append(IndexedPerson(main.id, main.name, main.folded, tuple(words), episodes))
    return merged
