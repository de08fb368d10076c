"""Chapters: read from show notes, from Podcasting 2.0 chapter files, and tidied up.

`chapters_from_notes` finds the table of contents that people write into show notes
("(12:42) – Roman history", "00:02:23 Meet the Pi", "Intro - 0:00", ...). It works on
the notes as text lines (see `bot.common.plain_text.html_to_text`):

1. Every line is read as at most one entry — a time at the start ("lead") or at the end
   ("trail") of the line — or, when it holds at least three, as several run-together
   entries ("inline", e.g. `(00:00) Intro(02:32) Next(05:05) Third`). Clock times
   (`2:00 pm`, `at 10:30`), verses and scores (`John 3:16`, `3:1`), dates and subtitle
   cues are not entries.
2. Consecutive entries of one style form a block until a chapter heading intervenes or
   the times start over (a second list, or the list repeated). A block is cut into
   runs of ascending times; one or two mistyped times are dropped rather than cutting
   a list in two.
3. A run is a table of contents when it has at least three entries and does not read
   like transcript speaker turns (the same short titles again, each followed by speech).
4. Of several runs, one right under a heading such as "Chapters", "Timestamps",
   "Outline", "Show Notes" or "Sprungmarken" wins, then the longest, then the first.

Podlove OSF chapter boxes (title in `h2.osf_chapter`, time in `span.osf_chaptertime`)
are structured markup and are read from the HTML directly.

Lists whose line breaks an editor lost (issue 11) are read by a second, token reader
that does not depend on lines (see `_run_from_tokens`):

5. Every time-like token is found with its position, what stands before it (a bullet,
   `at`, `@`, `[Part 2 — `, a glued heading) and whether it is glued to a word
   (`fail7:05`). Dotted (`[6.12]`, `12.30:`) and mistyped times (`04:015`, `41:07n`,
   `1;05:10`) are tokens too, at a cost; clock times, verses, versions, dates and times
   in links are not.
6. A dynamic programme over the tokens picks the best-scoring ascending sequence:
   each chosen time earns a point (more at a line start, less when glued or mistyped),
   each title (the text up to the next chosen time or the line's end; for a time alone
   on its line, the next line) must read as one, and skipped tokens and tiny gaps cost.
7. The sequence is refused when it reads like a ranking (two or more of the list's
   times left out for going back), speaker turns, a clock schedule, or times scattered
   through prose (run together but not introduced by a heading or a colon).

The line reader stays the authority where both find a list: the token reader's list is
taken only when it is longer (and under a heading if the line reader's is).

Sponsor and ad chapters (`Sponsor: Acme`, `Werbung`, `Ad break`) keep their place and
are marked `kind="ad"` by `finalize_chapters`, whatever the source.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from itertools import pairwise

from bot.common.plain_text import html_to_text, without_surrogates
from bot.common.timefmt import parse_timestamp, seconds_from_json
from bot.models.parsed_feed import Chapter

MIN_ENTRIES = 3

_T = r"\d{1,3}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
# A time that is not part of a longer token: not `v1:30`, `10:30am`, `2001:db8::1`.
_TIME = re.compile(rf"(?<![\w:.,/])({_T})(?!\w|:\d)")
# A cheap filter for text that may hold a time: a literal first character lets the
# regex engine skip ahead, which makes this ~7x faster than searching for `\d:\d\d`.
_QUICK_TIME = re.compile(r":\d\d")
_QUICK_DOTTED = re.compile(r"\.\d\d[:\])]")  # `12.30:`, `[6.12]`, with no colon time
_BRACKETED_TIME = re.compile(rf"[(\[]\s*({_T})\s*[)\]]")
# Markdown emphasis hugging a time: `**12:00**`, `_12:00__` (seen in real notes).
_EMPHASIS = re.compile(r"(?<![\w*])[*_]{1,2}(?=\d)|(?<=\d)[*_]{1,2}(?![\w*])")
_MD_LINK = re.compile(r"\[([^\]\n]{1,300})\]\([^)\s]*\)")
_BULLET_OR_NUMBER = r"(?:[-*•·‣◦▪►>+–—]\s*|\d{1,2}[.)]\s+)"
_RANGE_END = rf"(?:\s*[-–—]\s*{_T}(?!\w|:\d))"
# A line that starts with a time, bare or in brackets, maybe as a range, after a bullet.
_LEADING = re.compile(
    rf"{_BULLET_OR_NUMBER}?(?:\(\s*({_T}){_RANGE_END}?\s*\)|\[\s*({_T}){_RANGE_END}?\s*\]"
    rf"|({_T})(?!\w|:\d){_RANGE_END}?)(.*)"
)
_LEAD_PREFIX = re.compile(rf"{_BULLET_OR_NUMBER}?")
_RANGE_HEAD = re.compile(rf"({_T})\s*[-–—]\s*$")
_TRAIL_SUFFIX = re.compile(r"\s*([)\]]?)[\s.,;]*")
_BULLET = re.compile(r"^(?:[-*•·‣◦▪►>+]\s*|\d{1,2}[.)]\s+)")
# What follows a clock time rather than a chapter title.
_CLOCK_AFTER = re.compile(
    r"\s*(?:(?:am|AM|a\.m\.|A\.M\.|pm|PM|p\.m\.|P\.M\.|Uhr|uhr|h|hrs|o'clock)(?!\w)"
    r"|(?:[ECMP][SD]T|AES?T|AEDT|GMT|UTC|CES?T|MES?Z|BST)\b|(?:ET|PT|CT|MT)\s*(?:$|[,;.)/]))"
)
# The last word of a title that is really "... at 10:30".
_CLOCK_WORDS = frozenset(
    {"at", "um", "from", "until", "till", "to", "by", "bis", "ab", "gegen", "ca", "circa"}
    | {"around", "before", "after", "starts", "starting", "begins", "doors", "time", "uhrzeit"}
)
_DATE_START = re.compile(
    r"^(?:\d{1,2}\.?\s*(?:jan|feb|m[aä]r|apr|ma[iy]|jun|jul|aug|sep|o[ck]t|nov|de[cz])"
    r"|(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*day\b|(?:jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|dec)"
    r"[a-z]*\.?\s+\d{1,2}\b)",
    re.IGNORECASE,
)
_HEADING = re.compile(
    r"^[\W_]*(?:chapters?|chapter markers|chapter list|kapitel(?:marken)?|sprungmarken"
    r"|time ?stamps?|time ?codes?|zeitstempel|zeitmarken|outline|episode outline|show ?notes"
    r"|contents|table of contents|topics|topics covered|in this episode|inhalt"
    r"|inhaltsverzeichnis|themen|agenda|segments?|episode guide|episode chapters|timeline)\b",
    re.IGNORECASE,
)
_TITLE_EDGE = " \t-–—:|•·*>~=,;/"
_TAG = re.compile(r"<[^<>]*>")
_AD_TITLE = re.compile(
    r"[\W_]*(?:sponsor(?:ed|s|ship)?(?:\s+(?:by|break|read|message|segment|spot))?"
    r"|werbung|werbepause|anzeige|reklame|publicit[ée]|pubblicit[àa]|ads?(?:\s+(?:break|read|spot))?"
    r"|advert(?:isement|isements)?|commercial(?:\s+break)?|(?:pre|mid|post)[- ]?roll(?:\s+ads?)?"
    r"|(?:a\s+)?word from our sponsors?)"
    r"\s*(?:$|[:\-–—|()\[\]]|\s+(?:by|von|für|from)\b)",
    re.IGNORECASE,
)
_OSF_BOX = re.compile(
    r'class="osf_chapter"[^<>]*>(.{0,2000}?)'  # the title, possibly wrapped in a link
    r'<span[^<>]*class="osf_chaptertime"([^<>]*)>([^<]*)<',  # data-time="663">00:11:03<
    re.DOTALL,
)
_DATA_TIME = re.compile(r"data-time=\"(\d+(?:\.\d+)?)\"")


class ChapterFileError(ValueError):
    """A chapters file that is not Podcasting 2.0 chapters JSON."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class _Entry:
    start: float
    title: str
    line: int  # index of the text line it was read from (-1 for OSF markup)
    style: str  # "lead", "trail", "inline" or "osf"


def is_ad_title(title: str) -> bool:
    """Whether a chapter title names a sponsor read or an ad break: `Sponsor: Acme`,
    `Sponsored by Acme`, `Werbung`, `Anzeige`, `Ad break`, `Ads`, `Mid-roll ad`. A
    title that only mentions sponsors (`Sponsors, Comments, and Reflections`) is not."""
    return _AD_TITLE.match(title) is not None


def finalize_chapters(chapters: Iterable[Chapter], duration: float | None) -> list[Chapter]:
    """Chapters sorted by start, without empty titles, negative starts or exact
    duplicates (same start and title). Titles are stripped, and sponsor and ad chapters
    are marked `kind="ad"` (they keep their place).

    Chapters at or past `duration` are kept: the feed's duration is often the length of
    a free preview, or simply wrong, and the chapter card says when a time lies past it.
    """
    del duration  # kept in the signature: callers pass it, and it no longer cuts
    seen: set[tuple[float, str]] = set()
    result: list[Chapter] = []
    for chapter in sorted(chapters, key=lambda c: c.start):
        title = chapter.title.strip()
        if not title or not 0 <= chapter.start < math.inf:
            continue  # also drops NaN starts: every comparison with NaN is false
        key = (chapter.start, title)
        if key in seen:
            continue
        seen.add(key)
        kind = "ad" if is_ad_title(title) else chapter.kind
        if title != chapter.title or kind != chapter.kind:
            chapter = replace(chapter, title=title, kind=kind)
        result.append(chapter)
    return result


def chapters_from_json(data: bytes | str) -> list[Chapter]:
    """Chapters from a Podcasting 2.0 chapters file (versions 1.0.0 to 1.2.0).

    Entries with `"toc": false` are hidden and left out; entries without a title or a
    start are skipped; `startTime` may be a number or a numeric string and keeps its
    fraction. Raises ChapterFileError when the file is not JSON (nested too deeply to
    read included) or has no chapter list.
    """
    if isinstance(data, str):
        data = data.lstrip("\ufeff")
    try:
        document = json.loads(data)
    except RecursionError as error:  # `[[[[...` 100,000 deep: json recurses per level
        raise ChapterFileError("not valid JSON: nested too deeply") from error
    except (ValueError, UnicodeDecodeError) as error:
        raise ChapterFileError(f"not valid JSON: {error}") from error
    if not isinstance(document, dict):
        raise ChapterFileError("the top level is not a JSON object")
    entries = document.get("chapters")
    if not isinstance(entries, list):
        raise ChapterFileError('no "chapters" list')
    chapters: list[Chapter] = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("toc") is False:
            continue
        start = seconds_from_json(entry.get("startTime"))
        title = _json_text(entry.get("title"))
        if start is None or title is None:
            continue
        chapters.append(
            Chapter(
                start=start,
                title=title,
                source="json",
                url=_json_text(entry.get("url")),
                image=_json_text(entry.get("img")),
            )
        )
    return finalize_chapters(chapters, None)


def _json_text(value: object) -> str | None:
    """A string of the file, stripped; None when it is not a string or is blank. JSON may
    spell out a lone surrogate (`"\\ud800"`), which nothing can encode: it becomes U+FFFD."""
    if not isinstance(value, str):
        return None
    return without_surrogates(value.strip()) or None


def chapters_from_notes(
    notes_html: str, duration: float | None = None, *, notes_text: str | None = None
) -> list[Chapter]:
    """The table of contents written into an episode's show notes, or [] if none.

    See the module docstring for what counts as a table of contents. Chapters at or
    past `duration` (when known) are dropped. `notes_text`, when the caller already has
    `html_to_text(notes_html)`, saves converting the notes a second time.
    """
    if not notes_html or not (_QUICK_TIME.search(notes_html) or _QUICK_DOTTED.search(notes_html)):
        return []
    runs: list[tuple[bool, list[_Entry]]] = []
    if "osf_chaptertime" in notes_html:
        osf = _osf_entries(notes_html)
        if len(osf) >= MIN_ENTRIES:
            runs.append((True, osf))
    if notes_text is None:
        notes_text = html_to_text(notes_html)
    lines = notes_text.split("\n")
    runs.extend(_runs_from_lines(lines))
    # Under a chapter heading first, then the longest; max() keeps the first on ties.
    best = max(runs, key=lambda run: (run[0], len(run[1])))[1] if runs else []
    flat = _flatten_markup(notes_text)
    token_run = _run_from_tokens(flat) if _may_hold_more_times(flat, len(best)) else None
    # The token reader wins only with more entries, and not over a list under a heading
    # unless it has one too.
    if (
        token_run is not None
        and len(token_run[1]) > len(best)
        and (token_run[0] or not any(heading for heading, _ in runs))
    ):
        best = token_run[1]
    if not best:
        return []
    chapters = [Chapter(start=e.start, title=e.title, source="notes") for e in best]
    return finalize_chapters(chapters, duration)


def _may_hold_more_times(text: str, found: int) -> bool:
    """Whether `text` may hold more than `found` time-like tokens: each token holds a
    separator and two digits (`:05`, `.12`), an `h:mm:ss` token two of them. Most notes
    with a line-by-line list hold no other time, and the token reader need not run."""
    if not found:
        return True
    return len(_TOKEN_SEED.findall(text)) - len(_HMS_SEED.findall(text)) > found


def _flatten_markup(text: str) -> str:
    """Markdown emphasis and links as plain words, for the token reader."""
    if "*" in text or "_" in text:
        text = text.replace("**", " ").replace("__", " ")
    if "](" in text:
        text = _MD_LINK.sub(r"\1", text)
    return text


def _osf_entries(notes_html: str) -> list[_Entry]:
    if "&lt;" in notes_html and "<span" not in notes_html:
        notes_html = html.unescape(notes_html)
    entries: list[_Entry] = []
    for box in _OSF_BOX.finditer(notes_html):
        raw_title, span_attributes, time_text = box.groups()
        start = parse_timestamp(time_text)
        if start is None:
            data_time = _DATA_TIME.search(span_attributes)
            start = float(data_time.group(1)) if data_time else None
        title = _clean_title(" ".join(html.unescape(_TAG.sub("", raw_title)).split()))
        if start is not None and title:
            entries.append(_Entry(start, title, -1, "osf"))
    ascending = all(a.start < b.start for a, b in pairwise(entries))
    return entries if ascending else []


def _runs_from_lines(lines: list[str]) -> list[tuple[bool, list[_Entry]]]:
    """Runs of at least MIN_ENTRIES entries that read as a table of contents, each with
    whether a chapter heading stands right above it."""
    entries: list[_Entry] = []
    prefaces: dict[int, str] = {}
    maybe_times = [index for index, line in enumerate(lines) if ":" in line]
    for index in maybe_times:
        line = lines[index]
        if not _QUICK_TIME.search(line):
            continue
        if "*" in line or "_" in line:
            line = _EMPHASIS.sub("", line.replace("**", ""))
        if "](" in line:
            line = _MD_LINK.sub(r"\1", line)
        found, preface = _parse_line(line, index)
        entries.extend(found)
        if found and preface:
            prefaces[index] = preface
    if len(entries) < MIN_ENTRIES:
        return []

    # Blocks: entries of one style with no heading between them that do not start over
    # (a second list, or the same list repeated, starts at or before the first start).
    blocks: list[list[_Entry]] = []
    for entry in entries:
        if blocks:
            block = blocks[-1]
            previous = block[-1]
            if (
                entry.style == previous.style
                and entry.start > block[0].start
                and not _heading_between(lines, previous.line, entry.line)
            ):
                block.append(entry)
                continue
        blocks.append([entry])

    entry_lines = {entry.line for entry in entries}
    all_lines = [entry.line for entry in entries]
    result: list[tuple[bool, list[_Entry]]] = []
    for block in blocks:
        if len(block) < MIN_ENTRIES:
            continue
        for run in _ascending_runs(block):
            if (
                len(run) >= MIN_ENTRIES
                and not _reads_like_speaker_turns(run, lines)
                and not _reads_like_ranking(all_lines, _flags(entries, run))
            ):
                heading = _under_heading(run[0].line, lines, entry_lines, prefaces)
                result.append((heading, run))
    return result


def _flags(entries: list[_Entry], run: list[_Entry]) -> list[bool]:
    """For each of `entries`, whether it is in `run`."""
    kept = {id(entry) for entry in run}
    return [id(entry) in kept for entry in entries]


def _is_heading(line: str) -> bool:
    return 0 < len(line) <= 80 and _HEADING.match(line) is not None


def _ascending_runs(entries: list[_Entry]) -> list[list[_Entry]]:
    """`entries` cut into runs of non-decreasing starts.

    A mistyped time does not cut a list in two: one or two entries that go back in time
    before the list carries on (`(05:17) ... (02:05) ... (07:02)`), or one entry too far
    ahead of the list (`10:00, 95:00, 20:00, 25:00`), are dropped instead.
    """
    runs: list[list[_Entry]] = [[]]
    index = 0
    while index < len(entries):
        entry, run = entries[index], runs[-1]
        if not run or entry.start >= run[-1].start:
            run.append(entry)
        elif any(later.start >= run[-1].start for later in entries[index + 1 : index + 3]):
            pass  # an entry that goes back in time: dropped
        elif (
            len(run) >= 2
            and entry.start >= run[-2].start
            and all(later.start >= entry.start for later in entries[index + 1 : index + 2])
        ):
            run[-1] = entry  # the entry before was too far ahead
        else:
            runs.append([entry])
        index += 1
    return runs


def _reads_like_speaker_turns(run: list[_Entry], lines: list[str]) -> bool:
    """Transcript turns (`Name (12:30)` then speech) rather than chapters: the same short
    titles come back, and speech lines separate most entries."""
    titles = [entry.title.casefold() for entry in run]
    if len(set(titles)) == len(titles):
        return False
    if sum(len(title.split()) <= 4 for title in titles) * 2 < len(titles):
        return False
    separated = sum(any(lines[i] for i in range(a.line + 1, b.line)) for a, b in pairwise(run))
    return separated * 2 >= len(run) - 1


def _heading_between(lines: list[str], first: int, last: int) -> bool:
    """Whether a chapter heading stands strictly between lines `first` and `last`."""
    return last - first > 1 and any(_is_heading(lines[i]) for i in range(first + 1, last))


def _under_heading(
    line: int, lines: list[str], entry_lines: set[int], prefaces: dict[int, str]
) -> bool:
    """Whether a chapter heading is among the three non-empty lines above `line` (or
    in the text that precedes a run-together list on the line itself)."""
    preface = prefaces.get(line)
    if preface and _is_heading(preface):
        return True
    seen = 0
    for index in range(line - 1, -1, -1):
        if not lines[index]:
            continue
        if index in entry_lines or seen == 3:
            return False
        if _is_heading(lines[index]):
            return True
        seen += 1
    return False


def _parse_line(line: str, index: int) -> tuple[list[_Entry], str]:
    """The entries one line holds, and for run-together lines the text before them."""
    inline = _parse_inline(line, index)
    if inline is not None:
        return inline
    entry = _parse_leading(line, index) or _parse_trailing(line, index)
    return ([entry] if entry else []), ""


def _parse_leading(line: str, index: int) -> _Entry | None:
    """`(12:42) – Title`, `00:02:23 Title`, `- [00:12:30] Title`, `0:00-5:25 Title`."""
    match = _LEADING.match(line)
    if match is None:
        return None
    in_parens, in_brackets, bare, rest = match.groups()
    if _CLOCK_AFTER.match(rest) or rest.lstrip().startswith((",", ";", "-->")):
        return None
    title = _clean_title(rest)
    start = parse_timestamp(in_parens or in_brackets or bare)
    return _Entry(start, title, index, "lead") if title and start is not None else None


_CLOSER = {"(": ")", "[": "]"}
_OPENER = {")": "(", "]": "["}


def _parse_trailing(line: str, index: int) -> _Entry | None:
    """`Intro - 0:00`, `Intro (0:00)`, `Intro [00:12:30]`, `1) Topic (1:19-13:45)`."""
    matches = list(_TIME.finditer(line))
    if not matches:
        return None
    match = matches[-1]
    suffix = _TRAIL_SUFFIX.fullmatch(line, match.end())
    if suffix is None:
        return None
    time_text, head = match.group(1), line[: match.start()]
    range_head = _RANGE_HEAD.search(head)
    if range_head:
        time_text, head = range_head.group(1), head[: range_head.start()]
    head = head.rstrip()
    closer = suffix.group(1)
    if closer:
        if not head.endswith(_OPENER[closer]):
            return None
        head = head[:-1].rstrip()
    elif head.endswith(("(", "[")):
        return None
    separated = head.endswith(("-", "–", "—", ":", "|"))
    if not (closer or separated):
        return None  # `John 3:16`, `Name 12:30`: a bare time after words is no entry
    title = _clean_title(_BULLET.sub("", head))
    start = parse_timestamp(time_text)
    if start is None or not title or _DATE_START.match(title):
        return None
    if title.rsplit(None, 1)[-1].casefold() in _CLOCK_WORDS:
        return None
    return _Entry(start, title, index, "trail")


def _parse_inline(line: str, index: int) -> tuple[list[_Entry], str] | None:
    """Several entries run together on one line, or None if the line is not like that."""
    if line.count(":") < MIN_ENTRIES:
        return None
    bracketed = list(_BRACKETED_TIME.finditer(line))
    if len(bracketed) >= MIN_ENTRIES:
        found = _split_inline(line, index, bracketed)
        if found is not None:
            return found
    times = list(_TIME.finditer(line))
    if len(times) < MIN_ENTRIES or not _LEAD_PREFIX.fullmatch(line, 0, times[0].start()):
        return None
    # Bare times: split only at times that stand alone between spaces and do not
    # follow "at", "um", "from", ...; `_split_inline` also needs them ascending, so
    # "Why 3:00 matters" inside a later title mostly stays whole.
    splits = [times[0]]
    for match in times[1:]:
        space = match.start() - 1
        if line[space] == " ":
            word_start = max(line.rfind(" ", 0, space) + 1, space - 20)
            if line[word_start:space].casefold() not in _CLOCK_WORDS:
                splits.append(match)
    return _split_inline(line, index, splits)


def _split_inline(
    line: str, index: int, marks: list[re.Match[str]]
) -> tuple[list[_Entry], str] | None:
    kept: list[tuple[re.Match[str], float]] = []
    for mark in marks:
        start = parse_timestamp(mark.group(1))
        if start is not None and (not kept or start > kept[-1][1]):
            kept.append((mark, start))
    if len(kept) < MIN_ENTRIES:
        return None
    preface = line[: kept[0][0].start()]
    after = [
        line[mark.end() : kept[i + 1][0].start() if i + 1 < len(kept) else len(line)]
        for i, (mark, _) in enumerate(kept)
    ]
    if not _clean_title(after[-1]) and _clean_title(preface):
        # `Intro (0:00) Weather (5:00) Sports (10:00)`: titles come before their times.
        titles = [preface, *after[:-1]]
        preface = ""
    else:
        titles = after
    entries = []
    for (_, start), following, raw in zip(kept, after, titles, strict=True):
        title = _clean_title(raw)
        # `... the war (12:30), the economy (25:00), ...` is prose, not a list;
        # `(2:00) pm` is a clock.
        if (
            title
            and not raw.lstrip().startswith((",", ";", ".", ")"))
            and not _CLOCK_AFTER.match(following)
        ):
            entries.append(_Entry(start, title, index, "inline"))
    if len(entries) < MIN_ENTRIES:
        return None
    return entries, preface.strip()


def _clean_title(raw: str) -> str:
    """A title without edge separators or unmatched edge brackets (whitespace in `raw`
    is already collapsed)."""
    title = raw.strip(_TITLE_EDGE)
    while title and (title[0] in "()[]" or title[-1] in "()[]"):
        if title[0] in ")]" or title[-1] in "([":
            title = (title[1:] if title[0] in ")]" else title[:-1]).strip(_TITLE_EDGE)
        elif title[0] in "([" and _CLOSER[title[0]] not in title:
            title = title[1:].strip(_TITLE_EDGE)
        elif title[-1] in ")]" and _OPENER[title[-1]] not in title:
            title = title[:-1].strip(_TITLE_EDGE)
        else:
            break
    return title


# ---------------------------------------------------------------- the token reader
#
# Lists whose line breaks were lost (`Topics 0:00 Welcome2:41 Why batteries fail7:05 ...`),
# inline bullets (`* 00:00 A * 03:10 B`), headings glued to the first entry
# (`Chapters:0:00 Intro`), dotted or mistyped times and time headings over groups of lines
# are read by looking at the notes as a stream of time-like tokens rather than lines:
# every token is found with its position and surroundings, and a dynamic programme picks
# the best-scoring ascending sequence of them; each title runs from its time to the next
# chosen time (or the end of its line). The line reader above stays the authority where
# both find a list: this reader wins only when it finds more entries.

# A time-like token: `7:05`, `1:05:10`, `1;05:10`, `04:015` (a stray digit), `6.12`.
_TOKEN = re.compile(r"(?<![\d/])(\d{1,3})([:;.])(\d{2,3})(?:(:)(\d{2,3}))?")
_TOKEN_SEED = re.compile(r"[:;.]\d\d")
_HMS_SEED = re.compile(r":\d\d:\d\d")
# What may stand right before a time and belongs to it, not to the previous title:
# `at `, `@ `, `[Part 2 — `, brackets, bullets, `1. `, a glued heading colon.
_TOKEN_PREFIX = re.compile(
    r"(?:(?:\b(?:at|um|ab)|@)\s*|[(\[]\s*(?:(?:part|teil|chapter|kapitel)\s+\d{1,2}\s*[-–—:]?\s*)?"
    r"|(?<!\w)(?:[*•·‣◦▪►+–—-]|/)\s*|(?<!\d)\d{1,2}[.)]\s+)$",
    re.IGNORECASE,
)
_TOKEN_HEADING = re.compile(
    r"(?:chapters?|chapter markers|kapitel(?:marken)?|sprungmarken|time ?stamps?|time ?codes?"
    r"|zeitstempel|zeitmarken|outline|topics(?: covered)?|inhalt|themen|agenda|segments?"
    r"|in this episode|contents)\W*$",
    re.IGNORECASE,
)
_CLOCK_HEADING = re.compile(
    r"\b(?:schedule|timetable|programme|program|fahrplan|zeitplan|ablauf|doors|opening hours"
    r"|öffnungszeiten|departures?|arrivals?|times? \((?:[A-Z]{2,4})\))",
    re.IGNORECASE,
)
# A sentence end: not after `Dr` or an initial (two lower-case letters before the stop).
_SENTENCE_END = re.compile(r"(?<=[a-zäöüß]{2})[.!?](?=\s+[A-ZÄÖÜ])")
_SEPARATOR_AFTER = re.compile(r"[ \t]*[-–—:|]")
_TOKEN_CLOCK_WORDS = _CLOCK_WORDS - {"at", "um", "ab"}
_WINDOW = 10  # how far back (in tokens) a chosen time may look for the one before it
_MAX_TOKENS = 1500  # no table of contents is longer; keeps hostile input linear
_MAX_SEEDS = 10 * _MAX_TOKENS  # `:05`-like places looked at, for the same reason
_MAX_TITLE = 150


@dataclass(slots=True)
class _Token:
    values: tuple[float, ...]  # what the time may mean (a typo can be read two ways)
    start: int  # where its prefix starts (the previous title ends here)
    end: int  # just after the time and any closing bracket or stray letter
    line: int
    line_start: bool  # only a bullet, bracket or prefix before it on its line
    penalty: float  # glued, dotted or mistyped: less likely a chapter time


def _token_values(groups: tuple[str | None, ...]) -> tuple[tuple[float, ...], float]:
    first, separator, second, _, third = groups
    assert first is not None and separator is not None and second is not None
    penalty = 0.0
    if third is None:
        parts = [first, second]
        if separator == ";":
            return (), 0.0
        if separator == ".":
            penalty += 0.3
    else:
        parts = [first, second, third]
        if separator == ";":
            penalty += 0.4
        elif separator == ".":
            return (), 0.0
    if any(len(part) > 2 for part in parts[1:-1]) or (len(parts) == 3 and len(first) > 2):
        return (), 0.0
    last = parts[-1]
    options = [last] if len(last) == 2 else sorted({last[:i] + last[i + 1 :] for i in range(3)})
    if len(last) == 3:
        penalty += 0.5
    values = []
    for option in options:
        # As parse_timestamp reads them (minutes below 60 only under hours), inline: this
        # runs for every time-like token of every episode.
        seconds = int(option)
        if seconds >= 60:
            continue
        if len(parts) == 3:
            minutes = int(parts[1])
            if minutes >= 60:
                continue
            values.append(float(int(parts[0]) * 3600 + minutes * 60 + seconds))
        else:
            values.append(float(int(parts[0]) * 60 + seconds))
    return tuple(values), penalty


def _tokens(text: str) -> tuple[list[_Token], int]:
    """The time-like tokens of `text` (at most _MAX_TOKENS), and where reading stopped."""
    tokens: list[_Token] = []
    line = 0
    line_begin = 0
    scanned = 0
    last_end = 0
    # Seeds (`:05`, `.12`) are found ~4x faster than the whole token: a character class
    # first lets the regex engine skip ahead; the token is then matched at its digits.
    for examined, seed in enumerate(_TOKEN_SEED.finditer(text)):
        separator = seed.start()
        if len(tokens) >= _MAX_TOKENS or examined >= _MAX_SEEDS:
            return tokens, separator
        if separator < last_end:
            continue
        begin = separator
        while begin > separator - 3 and begin > 0 and text[begin - 1].isdigit():
            begin -= 1
        if begin == separator:
            continue
        match = _TOKEN.match(text, begin)
        if match is None:
            continue
        begin, end = match.span()
        last_end = end
        newlines = text.count("\n", scanned, begin)
        if newlines:
            line += newlines
            line_begin = text.rfind("\n", scanned, begin) + 1
        scanned = begin
        before = text[begin - 1] if begin else " "
        after = text[end : end + 2]
        if after[:1] in (":", ".", ",") and after[1:2].isdigit():
            continue  # `10:30:00,000`, `1:2:3:4`, a version or a decimal
        if after[:1].isalpha() and (after[1:2].isalpha() or after[:1] in "aphAPH"):
            continue  # `10:30am`, `12:30h`, `fail7:05fail`
        values, penalty = _token_values(match.groups())
        if not values:
            continue
        if before in ":.," and begin >= 2 and text[begin - 2].isdigit():
            continue
        if before.isalpha():
            if not (begin >= 2 and text[begin - 2].isalpha()):
                continue  # `v1:30`, `T10:30`
            penalty += 0.3
        if match.group(2) == "." and not (
            (before in "([" and after[:1] in ")]") or after[:1] == ":"
        ):
            continue  # `6.12` is a time only as `[6.12]` or `12.30:`
        if after[:1].isalpha():
            if after[1:2].isalpha() or after[:1] in "aphAPH" or after[1:2] not in ("", " "):
                continue  # `10:30am`, `12:30h`, `3:1a2`
            end += 1
            penalty += 0.4
        if _CLOCK_AFTER.match(text, end):
            continue
        words = text[max(line_begin, begin - 12) : begin].split()
        prefix = None
        if not words or not words[-1][-1].isalnum() or words[-1].casefold() in ("at", "um", "ab"):
            prefix = _TOKEN_PREFIX.search(text, max(line_begin, begin - 40), begin)
        prefix_start = begin - (len(prefix.group()) if prefix else 0)
        if prefix:
            words = text[max(line_begin, prefix_start - 12) : prefix_start].split()
        if words and words[-1].casefold() in _TOKEN_CLOCK_WORDS:
            continue
        # `at 3:18 — The hinge` is an entry; `at 3:18 we talk` is prose.
        if (
            prefix
            and prefix.group().strip().casefold() in ("at", "um", "ab")
            and not _SEPARATOR_AFTER.match(text, end)
        ):
            continue
        if after[:1] in ")]":
            end += 1
        word_start = text.rfind(" ", line_begin, begin) + 1
        if "/" in text[word_start:begin] and not text[word_start:begin].endswith("/"):
            continue  # inside a URL
        if "=" in text[word_start:begin] or "#t" in text[word_start:begin]:
            continue
        starts_line = prefix_start - line_begin < 12 and not text[line_begin:prefix_start].strip(
            " \t*_-–—•·>#"
        )
        tokens.append(_Token(values, prefix_start, end, line, starts_line, penalty))
    return tokens, len(text)


def _token_title(text: str, token: _Token, stop: int) -> tuple[str, int, int]:
    """The title after `token`, up to `stop` or the end of its line; a time alone on its
    line is titled by the next non-empty line (a time heading over a group of notes).
    Also the title's line and where the text read ended: with any `stop` at or past that
    end, the title is the same."""
    stop = min(stop, token.end + 4 * _MAX_TITLE)  # a longer title is cut anyway
    line_end = text.find("\n", token.end, stop)
    raw_end = stop if line_end < 0 else line_end
    raw = text[token.end : raw_end]
    line = token.line
    if not raw.strip(_TITLE_EDGE + "()[]") and token.line_start and line_end >= 0:
        for _ in range(3):
            following = text.find("\n", line_end + 1, stop)
            raw_end = stop if following < 0 else following
            raw = text[line_end + 1 : raw_end]
            line += 1
            if raw.strip() or following < 0:
                break
            line_end = following
    if len(raw) > _MAX_TITLE:
        sentence = raw.find(". ", 3, _MAX_TITLE)
        raw = raw[: sentence + 1] if sentence > 0 else raw[:_MAX_TITLE].rsplit(" ", 1)[0]
    return " ".join(raw.split()), line, raw_end


def _title_score(title: str, raw_start: str) -> float | None:
    """How much a title reads like a chapter title; None when it cannot be one."""
    if raw_start[:1] in ",;" or raw_start.lstrip().startswith(("-->", ",", ";")):
        return None
    cleaned = _clean_title(title)
    if not cleaned or not any(ch.isalpha() for ch in cleaned):
        return None
    if _DATE_START.match(cleaned) or title.count("(") != title.count(")"):
        return None  # `Why 3:00 am (and not` is cut inside a bracket: not at a chapter time
    words = len(cleaned.split())
    return 1.0 if words <= 14 else 0.3


def _run_from_tokens(text: str) -> tuple[bool, list[_Entry]] | None:
    """The best ascending table of contents among the time-like tokens of `text`, with
    whether a chapter heading stands before it; None when none reads as one."""
    tokens, read = _tokens(text)
    text = text[:read]
    if len(tokens) < MIN_ENTRIES:
        return None
    # Nodes: one per reading of a token. best[n]: the score of the best chain ending at
    # node n, counting n's own token but not yet its title (it depends on the next time).
    nodes = [(index, value) for index, token in enumerate(tokens) for value in token.values]
    count = len(nodes)
    best = [0.0] * count
    back = [-1] * count
    lengths = [1] * count
    # Titles read to their line's end, per token: most titles end before the next time.
    free_titles: dict[int, tuple[str, int, int]] = {}
    for n in range(count):
        index, value = nodes[n]
        token = tokens[index]
        own = 1.0 - token.penalty + (0.3 if token.line_start else 0.0)
        best_score, best_from, best_len = own, -1, 1
        m = n - 1
        while m >= 0 and nodes[m][0] >= index - _WINDOW:
            prior_index, prior_value = nodes[m]
            if prior_index < index and prior_value < value and best[m] + own > best_score:
                prior = tokens[prior_index]
                free = free_titles.get(prior_index)
                if free is None:
                    free = free_titles[prior_index] = _token_title(text, prior, len(text))
                title = free[0] if free[2] <= token.start else ""
                if not title:
                    title = _token_title(text, prior, token.start)[0]
                quality = _title_score(title, text[prior.end : prior.end + 4])
                if quality is not None:
                    skipped = index - prior_index - 1
                    score = best[m] + own + quality - 0.5 * skipped
                    if value - prior_value < 5:
                        score -= 0.5
                    if score > best_score:
                        best_score, best_from, best_len = score, m, lengths[m] + 1
            m -= 1
        best[n], back[n], lengths[n] = best_score, best_from, best_len
    # The chain's last title runs to the end of its line.
    finish = -1
    finish_score = 0.0
    for n in range(count):
        if lengths[n] < MIN_ENTRIES:
            continue
        token = tokens[nodes[n][0]]
        title = _token_title(text, token, len(text))[0]
        quality = _title_score(title, text[token.end : token.end + 4])
        if quality is not None and best[n] + quality > finish_score:
            finish, finish_score = n, best[n] + quality
    if finish < 0:
        return None
    chain: list[int] = []
    while finish >= 0:
        chain.append(finish)
        finish = back[finish]
    chain.reverse()
    entries: list[_Entry] = []
    for position, n in enumerate(chain):
        index, value = nodes[n]
        token = tokens[index]
        stop = (
            tokens[nodes[chain[position + 1]][0]].start if position + 1 < len(chain) else len(text)
        )
        title, line, _ = _token_title(text, token, stop)
        if position + 1 == len(chain) and not token.line_start:
            # A run-together list ends inside its paragraph: `12:30 Wrap-up. Thanks for
            # listening!` ends at the sentence.
            end = _SENTENCE_END.search(title)
            title = title[: end.end()] if end else title
        entries.append(_Entry(value, _clean_title(title), line, "token"))
    chosen = {nodes[n][0] for n in chain}
    # The list: times at line starts, and every time on a line the chosen ones are on.
    chosen_lines = {tokens[i].line for i in chosen}
    listed = [i for i, token in enumerate(tokens) if token.line_start or token.line in chosen_lines]
    if _reads_like_ranking([tokens[i].line for i in listed], [i in chosen for i in listed]):
        return None
    lines = text.split("\n")
    if _reads_like_speaker_turns(entries, lines):
        return None
    first = tokens[nodes[chain[0]][0]]
    line_begin = text.rfind("\n", 0, first.start) + 1
    preface = text[line_begin : first.start].strip()
    heading = bool(preface) and _TOKEN_HEADING.search(preface) is not None
    if _CLOCK_HEADING.search(preface):
        return None  # `Schedule: 9:00 Breakfast 12:30 Lunch`: clock times
    if not any(tokens[i].line_start for i in chosen):
        # Run together, the list must be introduced (`Topics`, `Chapters:`, `we cover:`)
        # and read as titles: `The first 10:00 minutes are slow, the next 20:00 ...` is
        # prose.
        wordy = sum(len(entry.title.split()) > 14 for entry in entries)
        introduced = heading or preface.endswith((":", "-", "–", "—"))
        if wordy * 2 >= len(entries) or not introduced:
            return None
    if not preface:
        above = [line for line in lines[max(0, first.line - 3) : first.line] if line.strip()]
        heading = any(_is_heading(line) or _TOKEN_HEADING.search(line) for line in above)
    return heading, entries


def _reads_like_ranking(lines: list[int], chosen: list[bool]) -> bool:
    """A ranked list ("best moments") rather than a table of contents: of the list
    entries (on `lines`, in text order) next to the chosen ones, with at most one line
    between neighbours, two or more and at least a quarter were left out because they go
    back in time. A single out-of-order entry is a typo and keeps the list."""
    picked = [index for index, flag in enumerate(chosen) if flag]
    if not picked:
        return False
    low, high = picked[0], picked[-1]
    while low > 0 and lines[low] - lines[low - 1] <= 2:
        low -= 1
    while high + 1 < len(lines) and lines[high + 1] - lines[high] <= 2:
        high += 1
    left_out = sum(not flag for flag in chosen[low : high + 1])
    return left_out >= 2 and left_out * 4 >= high - low + 1
