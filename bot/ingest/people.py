"""Guests inferred from episode titles and notes, for episodes no `podcast:person` names.

Pure functions. `infer_guests(title, notes)` reads the common forms:

- strong (a word says "this is a guest"): "… with Name", "interview with Name",
  "feat. Name" / "ft. Name" / "featuring Name", "guest Name" / "Guest: Name" /
  "special guests A and B", and in the notes "my guest today is Name", "joined by Name";
- weak (only the shape says so): "Name: Topic" and "Name on Topic" at the start of the
  title (after any "#12 –" / "Episode 12:" / "Show 12:" prefix). These need the notes to
  spell the name the same way (capitals and all), and — in `infer_feed_guests`, what the
  importer uses — a feed that titles its episodes so as a habit (a quarter of them), in
  English, since "Dark Mail: A New Hope" and German nouns have the same shape. "with
  Name" also needs the notes to agree ("Developing with Limited Sight").

The rule throughout is never to invent a person from a fragment: a name is 2–4
capitalised words (any script; particles such as "de", "van", "von", "bin" allowed inside;
hyphens, apostrophes and middle initials allowed), with no digits, no ALL-CAPS words, no
common words (days, months, "The", "Episode", "Part", topic words), nothing that looks
like an organisation ("University", "Labs", "Inc"), and not the show's own name or hosts.
Every inferred person has role "guest" and `inferred=True`, and as its `detail` what the
title or notes say beside the name ("Dr.", "NuScale Power", "founder of Acme"; see
`guest_detail`); a tagged credit's honorific and affiliation are split off the same way
(`split_credit`, `credit`), so that one person is one person.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.common import boilerplate
from bot.models.parsed_feed import Person
from bot.search.fts_query import fold

MAX_GUESTS = 6
_NOTES_LIMIT = 6000  # guests are named early; long notes are mostly links


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Lower-case words allowed inside a name: "Benjamin van der Veen", "Ahmad bin Ali".
PARTICLES = _words(
    "de da di del della dei des der den du van von ter ten zu bin binti ibn al el la le "
    "dos das do y e st"
)
# Titles before a name, dropped: "Dr. Timothy M. Jurgensen" -> "Timothy M. Jurgensen".
_HONORIFICS = _words(
    "dr dr. prof prof. professor sir dame mr mr. mrs mrs. ms ms. mx mx. gov gov. governor "
    "sen sen. senator rep rep. rev rev. fr fr. capt capt. captain gen gen. judge mayor "
    "ambassador amb amb. minister chancellor rabbi imam bishop lt lt. col col. sgt sgt."
)
_MONTHS_AND_DAYS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec "
    "monday tuesday wednesday thursday friday saturday sunday today tomorrow yesterday"
)
_ORGANISATION_WORDS = (
    "inc llc ltd corp corporation company co university college school academy institute "
    "foundation group labs lab laboratory association society council bank agency media "
    "records studios studio network radio tv club church department dept ministry committee "
    "party league federation union center centre museum hospital festival press times post "
    "journal magazine games entertainment technologies technology systems solutions partners "
    "capital ventures holdings international global national commission office service "
    "services industries alliance initiative project fund trust institute podcast podcasts "
    "show shows channel news daily weekly bureau desk"
)
# Words that start titles and topics far more often than names do. Deliberately without
# common first names that are also words (Will, Mark, Grace, Rose): a missed guest is
# better than an invented one, but not every "Will" is a verb.
_COMMON_WORDS = (
    "the a an and or of in on at to for with from by about into over after before "
    "episode episodes ep part parts chapter season series edition volume vol special bonus "
    "live trailer intro introduction introducing interview interviews conversation chat "
    "talk talks q&a ama mailbag update updates review reviews recap roundup highlights "
    "best worst year years week weeks day days night nights morning evening "
    "guest guests friend friends team crew panel everyone everybody family gang people "
    "listener listeners audience fans host hosts cohost "
    "new old how why what when where who which whose this that these those our my your "
    "their his her its we you they it is are was be more most less deep dive hot take "
    "takes tips tricks ideas idea future history story stories life love money time game "
    "games war power data science machine learning design code coding software "
    "engineering web clean architecture open source big small great good bad first last "
    "final next inside behind beyond beginning end age rise fall art business health "
    "music film films movie movies book books world state states united city country "
    "america american europe european british english returns return again back welcome "
    "farewell goodbye hello happy merry christmas holiday holidays summer winter spring "
    "autumn part meet meets vs versus behind scenes lightning round random thoughts "
    "questions answers news report reports breaking latest field notes letter letters "
    "ask anything everything nothing something why how making made make all dark light "
    "smart home getting things done"
)
# Products and companies that title case makes look like first names ("Apache Storm").
_BRAND_WORDS = (
    "apache google microsoft amazon apple windows linux android oracle java python ruby "
    "rails visual adobe mozilla firefox chrome facebook meta twitter netflix spotify tesla "
    "nvidia intel cisco docker kubernetes azure github gitlab ubuntu debian fedora redhat "
    "mongodb mysql postgres postgresql redis jquery angular react node swift kotlin scala "
    "rust golang clojure haskell erlang elixir perl php silverlight xbox playstation "
    "nintendo sony samsung openai deepmind anthropic youtube tiktok instagram reddit "
    "wikipedia bitcoin ethereum"
)
# Job titles in Title Case after a name ("Stacy Phillips, Managing Director of …").
_ROLE_WORDS = (
    "director managing president founder co-founder cofounder chief officer editor "
    "principal vice executive manager correspondent reporter producer analyst emeritus "
    "associate assistant lecturer chairman chairwoman chairperson secretary treasurer "
    "researcher scientist engineer economist historian author writer"
)
NOT_NAME_WORDS = _words(
    " ".join((_MONTHS_AND_DAYS, _ORGANISATION_WORDS, _COMMON_WORDS, _BRAND_WORDS, _ROLE_WORDS))
)
# Capitals inside a name come after these prefixes only (McBride, DeJardin, LeBron);
# elsewhere they mark a product: ZooKeeper, JavaScript, DevOps.
_INNER_CAPITAL_PREFIXES = _words("Mc Mac De Di Da Du La Le Van Von Fitz St")

# One token of a name: a capitalised word, maybe hyphenated or with an apostrophe
# (Harlan-Miyata, O'Brien, McBride), or a middle initial ("M.").
_APOSTROPHES = "'’"
_TOKEN = re.compile(r"[^\W\d_][\w'’.-]*|[&+,]|[^\w\s]", re.UNICODE)
_NUMBER_PREFIX = re.compile(
    r"""^\s*(?:
        \#\s?\d{1,5}                                          # "#498"
      | (?:episode|ep\.?|folge|épisode|episodio|no\.?)\s*\#?\s?\d{1,5}   # "Episode 12"
      | \d{1,5}(?=\s*[:.|–—-])                                # "12:" / "158-"
      | [^\W\d][\w'’.&-]*(?:\s+[^\W\d][\w'’.&-]*){0,3}\s+\#?\d{1,5}(?=\s*[:|–—-])
                                                  # "Herding Code 99:", "SE-Radio Episode 248:"
    )\s*[:.|–—-]*\s*""",
    re.I | re.X,
)
_LABEL_PREFIX = re.compile(
    r"^\s*(?:bonus|special(?:\s+episode)?|rerun|replay|encore|re-?release|repost|update|"
    r"live|preview|sneak\s+peek|best\s+of|classic(?:\s+episode)?|from\s+the\s+archives?|extra|minisode)"
    r"\s*[:|–—-]\s*",
    re.I,
)
_STRONG_TITLE_MARKERS = re.compile(
    r"(?:\binterview(?:ing)?\s+with|\bin\s+conversation\s+with|\btalking\s+with"
    r"|\bfeat\.|\bfeat\b|\bft\.|\bfeaturing|\bspecial\s+guests?:?|\bguests?:?)\s+",
    re.I,
)
# "with" names a guest in "Knockout Javascript with Steve Sanderson", but also a topic in
# "Developing with Limited Sight": the notes must spell the name the same way.
_WITH_MARKER = re.compile(r"(?:\bwith|\bw/|\bmit)\s+", re.I)
_STRONG_NOTES_MARKERS = re.compile(
    r"(?:\b(?:my|our|today'?s|this\s+week'?s|this\s+episode'?s)\s+(?:special\s+)?guests?"
    r"(?:\s+(?:today|this\s+week|this\s+time|on\s+the\s+show))?\s*(?:is|are|was|were|:)"
    r"|\bguests?\s*:|\bguest\(s\)\s*:|\bguests?\s+(?:in|on)\s+this\s+(?:episode|show)\s*:"
    r"|\bjoined\s+by|\binterview(?:ing)?\s+with|\bin\s+conversation\s+with"
    r"|\bfeaturing|\bfeat\.|\bft\.)\s+",
    re.I,
)
# "Ann talks to Bo Chen": a conversation, whose guest is usually the one talked to, but
# not always ("Bo Chen talks with Ann, our host"): see `_talk_partner`.
_TALK_MARKER = re.compile(
    r"\b(?:talks|speaks|chats|sits\s+down)\s+(?:to|with)\s+|\bsits\s+down\s+with\s+", re.I
)
_PRONOUNS = frozenset({"he", "she", "they", "who", "er", "sie"})
# A name in this many of a feed's conversations ("Ann talks to …", "… talks to Ann") is
# the feed's host, and the other party is the guest.
TALK_HOST_EPISODES = 3
# A marker that opens a list, one guest a line ("Guests in this episode:\n\nAnn Lee is …").
_LIST_MARKER = re.compile(
    r"(?:\bguests?|\bguest\(s\)|\bguests?\s+(?:in|on)\s+this\s+(?:episode|show))\s*:[ \t]*$",
    re.I | re.M,
)
_LIST_BULLET = re.compile(r"^\s*(?:[-–—•*·]|\d{1,2}[.)])?\s*")
# What may follow a name at the start of a list line: the end, a comma, a dash, "is"/"ist".
_AFTER_LISTED_NAME = re.compile(r"^\s*(?:$|[,:(–—-]|\b(?:is|was|ist|war|from|of)\b)", re.I)
_MAX_LIST_LINES = 12
# A notes line that names another episode before the marker ("DD 3: Typography (feat. Ann
# Lee)", "#41 – … with …", "Episode 12: …", "Previously: …"): a link to an older episode,
# whose guest is not this episode's.
_EPISODE_REFERENCE = re.compile(
    r"(?:^|[\s(\[])(?:\#\s?|[A-Z]{1,5}\s?|(?:episode|ep\.?|folge)\s*\#?)?\d{1,5}\s*[:|–—-]\s"
    r"|\b(?:previously|see\s+also|related\s+episodes?|more\s+episodes"
    r"|listen\s+again|also\s+listen)\b",
    re.I | re.M,
)
# A share of a feed's episodes (and at least this many) naming one person makes them a
# regular — a host or panelist — not a guest.
REGULAR_SHARE = 0.5
REGULAR_MIN_EPISODES = 5
_WEAK_AFTER_NAME = re.compile(
    r"^\s*(?::\s+\S|(?:on|talks|discusses|explains|returns|is\s+back|again)\b)", re.I
)


@dataclass(frozen=True, slots=True)
class GuestEvidence:
    """A name found in an episode, and the form that named it."""

    name: str
    weak: bool  # "Name: Topic" / "Name on Topic": only the title's shape says so
    # "Ann Lee talks to Bo Chen": Bo Chen, with partner "Ann Lee" (the one who talks; ""
    # when that is no name) — the guest instead where Bo Chen turns out to be the host.
    partner: str | None = None
    form: str = ""  # "returns": "Ann Lee Returns", counted in a feed that has it twice


def guest_evidence(
    title: str,
    notes_text: str = "",
    *,
    show_title: str = "",
    hosts: Iterable[str] = (),
) -> list[GuestEvidence]:
    """Every guest a title and its notes name in a common form, strong forms first.

    `show_title` and `hosts` are never guests (a show named "Catalyst with Shayle Kann"
    says "with Shayle Kann" in every title).
    """
    excluded = {_fold(name) for name in hosts}
    show = _fold(show_title)
    found: list[GuestEvidence] = []

    def is_host(key: str) -> bool:
        return key in excluded or bool(show and key in show) or _is_host_variant(key, excluded)

    def add(
        names: Iterable[str], *, weak: bool = False, partner: str | None = None, form: str = ""
    ) -> None:
        for name in names:
            key = _fold(name)
            if is_host(key):
                continue
            if any(_fold(seen.name) == key for seen in found):
                continue
            found.append(GuestEvidence(name, weak, partner, form))

    core = _strip_prefixes(title)
    # WordPress notes often end by repeating the title ("The post … appeared first on …"):
    # a title can't corroborate itself.
    notes = notes_text[:_NOTES_LIMIT].replace(" ".join(title.split()), " ")
    for match in _STRONG_TITLE_MARKERS.finditer(core):
        add(read_names(core[match.end() :]))
    for match in _STRONG_NOTES_MARKERS.finditer(notes):
        # Looked for on the marker's line, in its own sentence, close before it.
        start = max(notes.rfind("\n", 0, match.start()) + 1, match.start() - 120)
        sentence = max(
            notes.rfind(". ", start, match.start()), notes.rfind("? ", start, match.start())
        )
        if sentence >= 0:
            start = sentence + 2
        if _EPISODE_REFERENCE.search(notes, start, match.start()):
            continue  # "DD 3: Type on screens (feat. Ann Lee)": another episode's guest
        names = read_names(notes[match.end() :])
        if names and boilerplate.is_marker(notes[start : _sentence_end(notes, match.end())]):
            continue  # "Sponsored by Acme, featuring Ann Lee's new course": an ad
        add(names)
    lower = notes.casefold()
    for match in _talk_markers(notes):
        line_start = notes.rfind("\n", 0, match.start()) + 1
        before = notes[max(line_start, match.start() - 80) : match.start()].split()
        if before and before[-1].casefold() in _PRONOUNS:
            continue  # "She speaks to our reporter Bo Chen": the reporter, not the guest
        talked_to = read_names(notes[match.end() :])
        if not talked_to:
            continue
        if _EPISODE_REFERENCE.search(notes, max(line_start, match.start() - 120), match.start()):
            continue
        sentence_start = max(line_start, notes.rfind(". ", line_start, match.start()) + 2)
        if boilerplate.is_marker(notes[sentence_start : _sentence_end(notes, match.end())]):
            continue
        talker = _name_before(notes[max(line_start, match.start() - 80) : match.start()])
        if is_host(_fold(talked_to[0])) or (
            talker and talker in core and not any(name in core for name in talked_to)
        ):
            # "Bo Chen talks to our host Ann Lee", or the title names the one talking
            # ("Bo Chen on Kilns"): the one talking is the guest
            add([talker] if talker else [])
        else:
            add(talked_to, partner=talker or "")
    for match in _LIST_MARKER.finditer(notes) if "guest" in lower else ():
        line_start = notes.rfind("\n", 0, match.start()) + 1
        if boilerplate.is_marker(notes[line_start : match.end()]):
            continue
        add(_listed_names(notes[match.end() :]))
    # "with" and the weak forms need the notes to spell the name exactly so (capitals and
    # all), which a topic in Title Case ("Continuous Delivery") seldom is in running text.
    for match in _WITH_MARKER.finditer(core):
        add(name for name in read_names(core[match.end() :]) if name in notes)
    # "Ann Lee Returns": a guest coming back, when the notes name them too.
    add((name for name in _returns_form(core) if name in notes), form="returns")
    names, consumed = _read_names(core)
    if names and _WEAK_AFTER_NAME.match(core[consumed:]):
        add((name for name in names if name in notes), weak=True)
    return found


def _sentence_end(notes: str, at: int) -> int:
    """Where the sentence (or line) running at `at` ends: an ad in the next sentence of
    a one-paragraph description ("Guests: Ann Lee. For more information … ad choices")
    is not this one's."""
    ends = [i for i in (notes.find(". ", at), notes.find("\n", at)) if i >= 0]
    return min(ends) if ends else len(notes)


_TALK_WORDS = ("talks", "Talks", "speaks", "Speaks", "chats", "Chats", "sits", "Sits")


def _talk_markers(notes: str) -> list[re.Match[str]]:
    """`_TALK_MARKER` in `notes`, found from its verbs with `str.find` (the regex scan
    of whole notes costs more than the rest of the reading)."""
    found = []
    for word in _TALK_WORDS:
        at = notes.find(word)
        while at >= 0:
            if at == 0 or not notes[at - 1].isalnum():
                match = _TALK_MARKER.match(notes, at)
                if match is not None:
                    found.append(match)
            at = notes.find(word, at + len(word))
    found.sort(key=lambda m: m.start())
    return found


def _name_before(text: str) -> str | None:
    """The name that ends `text` ("… author Brendan Gregg"), or None."""
    tokens = text.split()
    for size in (4, 3, 2):
        if len(tokens) >= size:
            candidate = " ".join(tokens[-size:])
            name = clean_name(candidate)
            if name is not None and name == candidate:
                return name
    return None


def _listed_names(text: str) -> list[str]:
    """The names that open the lines after a list marker, blank lines skipped, until a
    line that does not start with a name (or an ad)."""
    names: list[str] = []
    for raw in text.split("\n")[1 : _MAX_LIST_LINES + 1]:
        line = raw.strip()
        if not line:
            continue
        if boilerplate.is_marker(line):
            break
        body = _LIST_BULLET.sub("", line, count=1)
        found, consumed = _read_names(body)
        if not found or not _AFTER_LISTED_NAME.match(body[consumed:]):
            break
        names.extend(found)
    return names


# Title templates a feed may use for its guests, each counted only in a feed where most
# titles fit it (`title_forms`), since each alone also fits topics now and then.
def _comma_form(core: str) -> list[str]:
    """`Ep 12: Ann Lee, Quarry Labs`: a name, then a comma and the affiliation."""
    head, comma, _ = core.partition(",")
    name = clean_name(head.strip()) if comma else None
    return [name] if name and name == head.strip() else []


_END_SEPARATOR = re.compile(r"\s[-–—|]\s+(?!.*\s[-–—|]\s)(.+?)\s*$")


def _end_form(core: str) -> list[str]:
    """`Building a Kiln – Ann Lee`: the name after the last dash."""
    match = _END_SEPARATOR.search(core)
    if match is None:
        return []
    tail = match.group(1).strip(" .!?")
    names = read_names(tail)
    return names if names and " and ".join(names) in (tail, tail.replace(" & ", " and ")) else []


def _only_name_form(core: str) -> list[str]:
    """A title that is a name and nothing else: `Ann Lee`."""
    text = core.strip(" .!?")
    name = clean_name(text)
    return [name] if name and name == text else []


_RETURNS = re.compile(r"^(.+?)\s+(?:returns|is\s+back)\b\s*[!.:]?", re.I)


def _returns_form(core: str) -> list[str]:
    """`Ann Lee Returns` (`Ann Lee Is Back: …`)."""
    match = _RETURNS.match(core)
    if match is None:
        return []
    name = clean_name(match.group(1).strip())
    return [name] if name and name == match.group(1).strip() else []


TITLE_FORMS = {
    "name, org": _comma_form,
    "… – name": _end_form,
    "name only": _only_name_form,
}
# A title form is the feed's template when this share of its titles (and at least
# TITLE_FORM_MIN of them) fit it.
TITLE_FORM_SHARE = 0.5
TITLE_FORM_MIN = 3


def title_forms(titles: Sequence[str]) -> dict[str, list[list[str]]]:
    """The title templates most of a feed's titles use: {form: names per title}."""
    cores = [_strip_prefixes(title) for title in titles]
    learned: dict[str, list[list[str]]] = {}
    for form, read in TITLE_FORMS.items():
        names = [read(core) for core in cores]
        hits = sum(1 for found in names if found)
        if hits >= max(TITLE_FORM_MIN, TITLE_FORM_SHARE * len(titles)):
            learned[form] = names
    return learned


def infer_guests(
    title: str,
    notes_text: str = "",
    *,
    show_title: str = "",
    hosts: Iterable[str] = (),
) -> list[Person]:
    """The guests one episode's title and notes name; [] when unsure. Role "guest",
    `inferred=True`. The weak forms count here; `infer_feed_guests` (what the importer
    uses) also asks that the feed use them as a habit."""
    evidence = guest_evidence(title, notes_text, show_title=show_title, hosts=hosts)
    return _guests(evidence, weak=True, title=title, notes=notes_text)


def infer_feed_guests(
    episodes: Sequence[tuple[str, str]],
    *,
    show_title: str = "",
    hosts: Iterable[str] = (),
    language: str | None = None,
) -> list[list[Person]]:
    """Guests for each (title, notes) of one feed, in order.

    The weak forms count only in a feed that uses them as a habit — at least three
    episodes and a quarter of them ("Herding Code 87: Jeff Atwood on …") — and only in
    English (or unknown-language) feeds, where capitals mark names rather than nouns. A
    feed where one title in fifty reads "Dark Mail: A New Hope" gets no guest from it.
    """
    hosts = list(hosts)
    found = [
        guest_evidence(title, notes, show_title=show_title, hosts=hosts)
        for title, notes in episodes
    ]
    # "Ann Lee Returns" is a habit in a feed that titles two episodes so; once, it is as
    # likely an app ("Yik Yak Returns").
    if sum(any(e.form == "returns" for e in evidence) for evidence in found) < 2:
        found = [[e for e in evidence if e.form != "returns"] for evidence in found]
    # Conversations: someone in several of them is the host, and the other one the guest.
    talkers = Counter(
        key
        for evidence in found
        for key in {
            _fold(name) for e in evidence if e.partner is not None for name in (e.name, e.partner)
        }
        if key
    )
    talk_hosts = {key for key, n in talkers.items() if n >= TALK_HOST_EPISODES}
    if talk_hosts:
        found = [_swap_talk_hosts(evidence, talk_hosts) for evidence in found]
    # The feed's own title templates ("Ep 12: Ann Lee, Quarry", "… – Ann Lee", a title that
    # is only a name): strong where most of its titles use one.
    excluded = {_fold(name) for name in hosts}
    show = _fold(show_title)
    for names in title_forms([title for title, _ in episodes]).values():
        for evidence, in_title in zip(found, names, strict=True):
            seen = {_fold(e.name) for e in evidence}
            for name in in_title:
                key = _fold(name)
                if key in seen or key in excluded or (show and key in show):
                    continue
                if _is_host_variant(key, excluded):
                    continue
                evidence.append(GuestEvidence(name, False))
                seen.add(key)
    weak_hits = sum(any(e.weak for e in evidence) for evidence in found)
    english = language is None or not language.strip() or language.lower().startswith("en")
    habit = english and weak_hits >= max(3, len(episodes) / 4)
    # Someone named on half the episodes is a host or a regular panelist, never a guest.
    named = Counter(_fold(e.name) for evidence in found for e in evidence)
    floor = max(REGULAR_MIN_EPISODES, REGULAR_SHARE * len(episodes))
    regulars = {key for key, n in named.items() if n >= floor}
    if regulars:
        found = [[e for e in evidence if _fold(e.name) not in regulars] for evidence in found]
    return [
        _guests(evidence, weak=habit, title=title, notes=notes)
        for evidence, (title, notes) in zip(found, episodes, strict=True)
    ]


def _swap_talk_hosts(evidence: list[GuestEvidence], hosts: set[str]) -> list[GuestEvidence]:
    """The evidence with a conversation's host replaced by the one they talked with."""
    kept: list[GuestEvidence] = []
    for e in evidence:
        if e.partner is not None and _fold(e.name) in hosts:
            if not e.partner or _fold(e.partner) in hosts:
                continue
            e = GuestEvidence(e.partner, e.weak)
        if all(_fold(k.name) != _fold(e.name) for k in kept):
            kept.append(e)
    return kept


_CREDIT_SUFFIX = re.compile(r"\s+[-–—|]\s+(.*)$|\s*\(([^()]*)\)\s*$|,\s+(.*)$")


def split_credit(name: str) -> tuple[str, str | None]:
    """A credited name without the honorific before it and the affiliation after it, and
    what was cut, as the credit's detail: "Dr. Ann Lee" is ("Ann Lee", "Dr."), "Ann Lee -
    Acme Corp" ("Ann Lee", "Acme Corp"), "Ann Lee (Acme)" and "Ann Lee, CTO at Acme"
    alike. A name that would be left too short (or that is not read as a name) is kept as
    written, with no detail."""
    text = " ".join(name.split())
    tokens = text.split(" ")
    titles: list[str] = []
    while len(tokens) > 2 and tokens[0].casefold() in _HONORIFICS:
        titles.append(tokens.pop(0))
    text = " ".join(tokens)
    details = [" ".join(titles)] if titles else []
    match = _CREDIT_SUFFIX.search(text)
    if match is not None:
        bare = text[: match.start()]
        if len(bare.split()) >= 2 and clean_name(bare) == bare:
            text = bare
            details.append(next(part for part in match.groups() if part is not None).strip())
    return text, ", ".join(part for part in details if part) or None


def credit_name(name: str) -> str:
    """`split_credit`'s name: "Dr. Ann Lee", "Ann Lee - Acme Corp", "Ann Lee (Acme)" and
    "Ann Lee, CTO at Acme" are all "Ann Lee"."""
    return split_credit(name)[0]


def credit(person: Person) -> Person:
    """The person credited by name alone, what the credit said besides it kept as its
    `detail` (a detail it already has comes first)."""
    name, detail = split_credit(person.name)
    if name == person.name:
        return person
    both = ", ".join(part for part in (person.detail, detail) if part) or None
    return dataclasses.replace(person, name=name, detail=both)


def _is_host_variant(key: str, hosts: set[str]) -> bool:
    """A host's name with words before it ("Titan Host Ann Lee", "Co-host Ann Lee"), or
    a host's first and last names without the middle one."""
    for host in hosts:
        if key.endswith(" " + host):
            return True
        parts = host.split()
        if len(parts) > 2 and key == f"{parts[0]} {parts[-1]}":
            return True
    return False


def _guests(
    evidence: list[GuestEvidence], *, weak: bool, title: str = "", notes: str = ""
) -> list[Person]:
    """The evidence as inferred guests, the weak forms only with `weak`; each with the
    detail its title or notes give beside the name (`guest_detail`)."""
    names = [e.name for e in evidence if weak or not e.weak][:MAX_GUESTS]
    return [
        Person(
            name=name,
            role="guest",
            inferred=True,
            detail=guest_detail(name, title, notes, others=names),
        )
        for name in names
    ]


_DETAIL_HONORIFIC = re.compile(
    r"((?:(?:Dr|Prof|Professor|Ambassador|Amb|Sen|Senator|Rep|Gov|Governor|Gen|General|Rev"
    r"|Sir|Dame|Judge|Mayor|Minister|Capt|Captain|Col|Lt)\.?\s+)+)$"
)
# After a name in a title: ", Org" or " - Role, Org" up to the end or the next "|"; after
# a dash only a role or an organisation ("Ann Lee - Why Cities Flood" names the topic).
_DETAIL_IN_TITLE = re.compile(r"^\s*(,|\s[-–—|])\s+([^|\n]{2,80}?)\s*(?:\||$)")
_ORGANISATION = _words(_ORGANISATION_WORDS)
_DETAIL_IN_PARENS = re.compile(r"^\s*\(([^()\n]{2,60})\)")
# After a name in the notes: ", the founder of Acme," — a role word must say it is one.
_DETAIL_IN_NOTES = re.compile(r"^,\s+([^,.;:!?\n]{2,80}?)\s*(?=[,.;:!?\n]|$)")
_DETAIL_CLAUSE = re.compile(r"(?:,\s*|\s+|^)(?:who|which|where|whose|when)\b", re.I)
_DETAIL_ARTICLE = re.compile(r"^(?:a|an|the|our)\s+", re.I)
_DETAIL_ROLES = re.compile(
    r"\b(?:ceo|cto|coo|cfo|founder|co-founder|cofounder|director|professor|president|head"
    r"|chief|editor|author|researcher|scientist|engineer|economist|historian|reporter"
    r"|correspondent|analyst|lecturer|fellow|partner|manager|chair|chairman|chairwoman"
    r"|minister|ambassador|senator|journalist|writer|designer|developer|maintainer|lead"
    r"|vp|vice)\b",
    re.I,
)


def guest_detail(
    name: str, title: str, notes: str = "", *, others: Sequence[str] = ()
) -> str | None:
    """What a title or notes say beside a guest's name, for the credit's detail: an
    honorific before it ("Ambassador Bonnie Jenkins"), an affiliation after it in the
    title ("Ep 28: Jose Reyes, NuScale Power", "Ep 409: Emma McDaid - Head of Project
    Management, Magnox Ltd"), in brackets ("Ann Lee (Quarry Labs)") or a role after a
    comma in the notes ("Alexander Malkevich, the founder of USA Really"). Never another
    guest's name, a number or an episode reference; None when nothing is said."""
    honorific = affiliation = None
    for text, in_title in ((title, True), (notes[:_NOTES_LIMIT], False)):
        at = text.find(name)
        if at < 0:
            continue
        before = _DETAIL_HONORIFIC.search(text[max(0, at - 40) : at])
        if before is not None and honorific is None:
            honorific = " ".join(before.group(1).split())
        if affiliation is not None:
            continue
        after = text[at + len(name) :]
        raw = None
        if (found := _DETAIL_IN_PARENS.match(after)) is not None:
            raw = found.group(1)
        elif in_title and (found := _DETAIL_IN_TITLE.match(after)) is not None:
            if found.group(1) == "," or _names_role(found.group(2)):
                raw = found.group(2)
        elif (
            not in_title
            and (found := _DETAIL_IN_NOTES.match(after)) is not None
            and _DETAIL_ROLES.search(found.group(1))
        ):
            raw = found.group(1)
        if raw is not None:
            detail = " ".join(raw.split())
            # "a reporter who spoke to us from …": the role, not the clause after it
            detail = _DETAIL_CLAUSE.split(detail, maxsplit=1)[0]
            detail = _DETAIL_ARTICLE.sub("", detail).strip(" ,-–—")
            if _plain_detail(detail, others):
                affiliation = detail
    return ", ".join(part for part in (honorific, affiliation) if part) or None


def _names_role(detail: str) -> bool:
    """Whether a title's words after a dash say what the guest is: a role ("Head of
    Glazes"), an organisation ("Magnox Ltd"), or both after a comma."""
    words = {w.casefold().strip(".") for w in detail.split()}
    return "," in detail or bool(_DETAIL_ROLES.search(detail)) or bool(words & _ORGANISATION)


def _plain_detail(detail: str, others: Sequence[str]) -> bool:
    lowered = detail.casefold()
    return (
        bool(detail)
        and not any(ch.isdigit() for ch in detail)
        and not detail.startswith(("@", "http", "www."))
        and not any(other in detail for other in others)
        and not any(word in lowered for word in ("episode", "folge", "part ", "feat"))
    )


def _strip_prefixes(title: str) -> str:
    text = " ".join(title.split())
    for _ in range(2):  # "Bonus: Episode 12: ..." and "12: Bonus: ..."
        text = _NUMBER_PREFIX.sub("", text, count=1)
        text = _LABEL_PREFIX.sub("", text, count=1)
    return text


def read_names(text: str) -> list[str]:
    """Names at the start of `text`: "Ann Lee", "Ann Lee and Bo Chen", "A, B & C"; [] if none.

    Reading stops at the first word that can't be part of a name ("from", "about", ")");
    a candidate that fails `clean_name` ends the list ("with Ann Lee and friends").
    """
    return _read_names(text)[0]


def _read_names(text: str) -> tuple[list[str], int]:
    """(names, how many characters of `text` they took up)."""
    names: list[str] = []
    current: list[str] = []
    consumed = 0
    joined = False  # the last token was "and", "&", "+" or ","
    for match in _TOKEN.finditer(text):
        word = match.group()
        if "\n" in text[consumed : match.start()] and (current or names):
            break  # a name never runs over a line break ("Guest: Ann Lee\nHost: ...")
        if word.casefold() in _JOINERS:
            if joined and not current:
                continue  # ", and"
            name = _name_of(current) if current else None
            if name is None:
                break
            names.append(name)
            current, joined = [], True
            continue
        if not _could_be_name_token(word, at_start=not current):
            break
        current.append(word)
        consumed, joined = match.end(), False
        if word.endswith(".") and not _is_initial(word) and word.casefold() not in _HONORIFICS:
            break  # the end of a sentence: "... with Ann Lee. He ..."
    name = _name_of(current) if current else None
    if name is not None:
        names.append(name)
    return names, consumed


def _name_of(tokens: list[str]) -> str | None:
    """The tokens as a name; a name of two words or more before a particle that starts an
    affiliation comes first ("Matthias Kirschner von der FSFE", "Ann Lee of Quarry" ->
    the person; "Ursula von der Leyen" has one word before it, and stays whole)."""
    for i in range(2, len(tokens)):
        if tokens[i].casefold() in _AFFILIATION_PARTICLES:
            before = clean_name(" ".join(tokens[:i]))
            if before is not None:
                return before
            break
    return clean_name(" ".join(tokens))


_AFFILIATION_PARTICLES = frozenset({"von", "de", "of", "at", "bei", "vom"})


_JOINERS = frozenset({"and", "und", "&", "+", ","})


def _could_be_name_token(word: str, *, at_start: bool) -> bool:
    lower = word.casefold()
    if lower in _HONORIFICS and at_start:
        return True
    if lower in PARTICLES and not at_start:
        return True
    first = word[0]
    return first.isalpha() and first.isupper()


def clean_name(candidate: str) -> str | None:
    """`candidate` as a person's name (honorifics dropped), or None if it isn't one."""
    tokens = candidate.split()
    while tokens and tokens[0].casefold() in _HONORIFICS:
        tokens.pop(0)
    if not tokens or tokens[0].casefold() in PARTICLES or tokens[-1].casefold() in PARTICLES:
        return None  # "van Veen", "Ann van": cut off mid-name
    name_tokens = [t for t in tokens if t.casefold() not in PARTICLES]
    if not 2 <= len(name_tokens) <= 4 or len(tokens) > 6:
        return None
    initials = 0
    for token in name_tokens:
        if _is_initial(token):
            initials += 1
            continue
        if not _is_name_word(token):
            return None
    if initials and (_is_initial(name_tokens[-1]) or initials >= len(name_tokens) - 1):
        return None  # "J. K." or "Ann B.": not enough of a name
    return " ".join(tokens).strip(".,")


def _is_initial(token: str) -> bool:
    return len(token) == 2 and token[0].isalpha() and token[0].isupper() and token[1] == "."


def _is_name_word(token: str) -> bool:
    token = token.rstrip(".")
    if not token or any(ch.isdigit() for ch in token):
        return False
    parts = [p for p in re.split(rf"[-{_APOSTROPHES}]", token) if p]
    if not parts:
        return False
    for position, part in enumerate(parts):
        letters = [ch for ch in part if ch.isalpha()]
        if len(letters) != len(part):
            return False
        if len(part) >= 2 and part.isupper():
            return False  # NASA, AI, CEO: not names (and shouting isn't either)
        # O'Brien, Harlan-Miyata: each part capitalised; "d'Ancona" style prefixes too.
        if not part[0].isupper() and not (position == 0 and len(part) <= 2):
            return False
        inner = next((i for i in range(1, len(part)) if part[i].isupper()), None)
        if inner is not None and part[:inner] not in _INNER_CAPITAL_PREFIXES:
            return False
    if token.casefold() in NOT_NAME_WORDS or _fold(token) in NOT_NAME_WORDS:
        return False
    return len(token) >= 2


def _fold(text: str) -> str:
    """Case- and accent-insensitive form, for comparing names (O’Brien is O'Brien)."""
    return " ".join(fold(text).replace("’", "'").split())
