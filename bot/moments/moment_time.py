"""The `time` option of /moment: `34:10`, `1:02:03`, `34m10s`, `2040` (seconds), `1h2m`."""

from __future__ import annotations

import re

from bot.common.timefmt import format_timestamp, parse_timestamp

_UNITS = re.compile(
    r"^(?:(?P<h>\d{1,3})\s*h(?:ours?|rs?)?)?\s*"
    r"(?:(?P<m>\d{1,4})\s*m(?:in(?:utes?|s)?)?)?\s*"
    r"(?:(?P<s>\d{1,6})\s*s(?:ec(?:onds?|s)?)?)?$",
    re.IGNORECASE,
)
_SECONDS = re.compile(r"^\d{1,6}(?:\.\d+)?$")
MAX_SECONDS = 100 * 3600  # nothing is 100 hours long; a bigger number is a typo

USAGE = "Write the time as `34:10`, `1:02:03`, `34m10s`, `1h2m` or in seconds (`2040`)."


class MomentTimeError(ValueError):
    """The time cannot be used; the message says why, for the member."""


def parse_moment_time(text: str) -> int:
    """Whole seconds from a time as members write it; `MomentTimeError` when it is not
    one, or negative."""
    cleaned = text.strip().replace(" ", "")
    if not cleaned:
        raise MomentTimeError(f"Tell me when in the episode. {USAGE}")
    if cleaned.startswith(("-", "−")):
        raise MomentTimeError(f"`{_shown(text)}` is before the episode starts. {USAGE}")
    seconds = seconds_in(cleaned)
    if seconds is None:
        raise MomentTimeError(f"I can't read `{_shown(text)}` as a time. {USAGE}")
    if seconds > MAX_SECONDS:
        raise MomentTimeError(f"`{_shown(text)}` is far longer than any episode. {USAGE}")
    return seconds


def seconds_in(text: str) -> int | None:
    """The seconds `text` (one time, nothing else) stands for, or None."""
    if _SECONDS.match(text):
        return int(float(text))
    if ":" in text:
        parsed = parse_timestamp(text)
        return None if parsed is None else int(parsed)
    match = _UNITS.match(text)
    if match is None or not any(match.groupdict().values()):
        return None
    hours, minutes, seconds = (int(match[k] or 0) for k in ("h", "m", "s"))
    if match["h"] and (minutes >= 60 or seconds >= 60):
        return None
    if match["m"] and seconds >= 60:
        return None
    return hours * 3600 + minutes * 60 + seconds


def check_within(seconds: int, duration: int | None) -> None:
    """`MomentTimeError` when `seconds` is past the end of an episode `duration` long."""
    if duration and seconds >= duration:
        raise MomentTimeError(
            f"The episode is only {format_timestamp(duration)} long, so "
            f"{format_timestamp(seconds)} is past its end."
        )


def _shown(text: str) -> str:
    return text.strip().replace("`", "'")[:40]
