"""Times as people write them, and the jump links that take a listener to a moment."""

from __future__ import annotations

import math
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# h:mm:ss, hh:mm:ss, m:ss, mm:ss, mmm:ss (minutes past 59), optional fraction.
_TIMESTAMP = re.compile(r"^\s*(?:(\d{1,3}):)?(\d{1,3}):(\d{2})(?:[.,](\d{1,3}))?\s*$")


def parse_timestamp(text: str) -> float | None:
    """Read `1:02:03`, `01:02:03.500`, `75:30` or `4:00` as seconds; None if it is not one.

    With hours present, minutes must be below 60; without hours, any minute count is
    accepted (`75:30` is 1:15:30, as people write it). Seconds must be below 60.
    """
    match = _TIMESTAMP.match(text)
    if match is None:
        return None
    hours_text, minutes_text, seconds_text, fraction_text = match.groups()
    minutes, seconds = int(minutes_text), int(seconds_text)
    if seconds >= 60:
        return None
    if hours_text is not None:
        if minutes >= 60:
            return None
        total = int(hours_text) * 3600 + minutes * 60 + seconds
    else:
        total = minutes * 60 + seconds
    if fraction_text:
        return float(total + int(fraction_text) / 10 ** len(fraction_text))
    return float(total)


def seconds_from_json(value: object) -> float | None:
    """A time as Podcasting 2.0 JSON files give it (chapters' and transcripts'
    `startTime`): a number, a numeric string, or an `H:MM:SS` string; None if it is none of
    these, negative, not finite or too large for a float (a 400-digit integer)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            seconds = float(value)
        except OverflowError:  # JSON spells out integers of any length
            return None
    elif isinstance(value, str):
        try:
            seconds = float(value.strip())
        except ValueError:
            parsed = parse_timestamp(value)
            if parsed is None:
                return None
            seconds = parsed
    else:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def format_timestamp(seconds: float) -> str:
    """`M:SS` under an hour, `H:MM:SS` from an hour (fractions are dropped)."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def format_duration(seconds: int | None) -> str | None:
    """A duration for humans: `1:02:03`, `45:10`; None when unknown."""
    if not seconds:
        return None
    return format_timestamp(seconds)


_YOUTUBE_HOSTS = {
    "youtube.com",
    "www.youtube.com",
    "m.youtube.com",
    "youtu.be",
    "music.youtube.com",
}


def _is_youtube(url: str | None) -> bool:
    if not url:
        return False
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return host in _YOUTUBE_HOSTS


def jump_link(seconds: float, *, audio_url: str | None, link: str | None = None) -> str | None:
    """The URL that starts playback at `seconds`.

    The SPEC's convention: a YouTube episode link gets `t=SECONDS`; otherwise the audio
    file URL gets the media fragment `#t=SECONDS` (any existing fragment is replaced).
    Returns None when the episode has neither.
    """
    whole = max(0, int(seconds))
    if _is_youtube(link):
        assert link is not None
        parts = urlsplit(link)
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "t"]
        query.append(("t", str(whole)))
        return urlunsplit(parts._replace(query=urlencode(query)))
    if audio_url:
        parts = urlsplit(audio_url)
        return urlunsplit(parts._replace(fragment=f"t={whole}"))
    return None
