"""The times a chat message quotes, and the episode it names.

"at 34:10 she says…", "the bit around 1:02:03 in ep 99", "34m10s". Not moments: clock
times ("at 5:30pm", "19:00 CET"), times in a line with a date ("March 3 at 19:00"),
anything inside a URL, a code block or a quote (`> ` lines: usually another message,
often a bot's).
"""

from __future__ import annotations

import re

from bot.moments.moment_time import MAX_SECONDS, seconds_in

MAX_TIMES = 5

_CODE_BLOCK = re.compile(r"```.*?(?:```|$)", re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_BLOCK_QUOTE = re.compile(r"^>>> .*", re.DOTALL | re.MULTILINE)
_QUOTE_LINE = re.compile(r"^\s*>.*$", re.MULTILINE)
_URL = re.compile(r"<?(?:https?://|www\.)\S+>?", re.IGNORECASE)
_SPOILER_OR_MENTION = re.compile(r"<[@#:a-z][^>\s]*>")

_COLON_TIME = re.compile(r"(?<![\w:./#,-])(\d{1,3}:\d{2}(?::\d{2})?)(?![\w:]|[.,/]\d)")
_UNIT_TIME = re.compile(
    r"(?<![\w:./#-])(\d{1,2}h\d{1,2}m(?:\d{1,2}s)?|\d{1,2}h\d{1,2}s|\d{1,3}m\d{1,2}s"
    r"|\d{1,2}h(?=\s+in\b))(?![\w:])",
    re.IGNORECASE,
)
_CLOCK_AFTER = re.compile(
    r"\s*(?:(?:am|a\.m\.|pm|p\.m\.|uhr|o'clock|oclock|hrs)(?!\w)"
    r"|(?:[ecmp][sd]t|aes?t|aedt|gmt|utc|ces?t|mes?z|bst|et|pt|ct|mt)\b)",
    re.IGNORECASE,
)
_CLOCK_BEFORE = re.compile(r"(?:\bo'?clock|\btomorrow|\btonight|\btoday|\bmeet(?:ing)?)\W+$", re.I)
_DATE = re.compile(
    r"\b(?:\d{1,2}\.?\s*(?:jan|feb|m[aä]r|apr|ma[iy]|jun|jul|aug|sep|o[ck]t|nov|de[cz])[a-z]*\b"
    r"|(?:mon|tues|wednes|thurs|fri|satur|sun)day|(?:january|february|march|april|june|july"
    r"|august|september|october|november|december)\s+\d{1,2}\b"
    r"|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4})",
    re.IGNORECASE,
)

_NUMBER_REFERENCE = re.compile(
    r"(?:\b(?:ep|eps|episode|folge|épisode)\.?\s*#?\s*|(?<![\w&/])#)(\d{1,5})\b", re.IGNORECASE
)
_QUOTED = re.compile(r"[\"“”«„]([^\"“”«»„\n]{3,80})[\"“”»]")


def visible_text(text: str) -> str:
    """The message as its author wrote it: no code, quotes, URLs or mentions (each replaced
    by a space, so that words on either side stay apart)."""
    for pattern in (_CODE_BLOCK, _INLINE_CODE, _BLOCK_QUOTE, _QUOTE_LINE, _URL):
        text = pattern.sub(" ", text)
    return _SPOILER_OR_MENTION.sub(" ", text)


def times_in(text: str, *, limit: int = MAX_TIMES) -> list[int]:
    """The moments (whole seconds) a message quotes, in order, each once, at most `limit`."""
    found: list[tuple[int, int, int]] = []  # (line, position, seconds)
    for number, line in enumerate(visible_text(text).split("\n")):
        if _DATE.search(line):
            continue
        for pattern in (_COLON_TIME, _UNIT_TIME):
            for match in pattern.finditer(line):
                before = line[: match.start()]
                if _CLOCK_AFTER.match(line, match.end()) or _CLOCK_BEFORE.search(before):
                    continue
                seconds = seconds_in(match.group(1).lower())
                if seconds is not None and seconds <= MAX_SECONDS:
                    found.append((number, match.start(), seconds))
    ordered: list[int] = []
    for _, _, seconds in sorted(found):
        if seconds not in ordered:
            ordered.append(seconds)
    return ordered[:limit]


def episode_references(text: str) -> list[str]:
    """What in a message names an episode, most explicit first: numbers ("ep 99", "#99",
    "episode 99"), then title fragments in quotes."""
    visible = visible_text(text)
    references: list[str] = []
    for match in _NUMBER_REFERENCE.finditer(visible):
        if match.group(1) not in references:
            references.append(match.group(1))
    for match in _QUOTED.finditer(visible):
        fragment = " ".join(match.group(1).split())
        if fragment and fragment not in references and seconds_in(fragment) is None:
            references.append(fragment)
    return references
