"""Text and chapter extraction speed: a whole real feed, and hostile input.

The tests check what hostile input gives; this times it, since a regex that turns
quadratic shows here first (each hostile case should take milliseconds, not seconds).

    python3 dev.py bench text        (or .venv/bin/python bench/bench_text.py)
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.machine import describe_machine
from bot.common.plain_text import html_to_text
from bot.ingest.chapters import chapters_from_notes
from bot.ingest.feedparse import parse_feed

FEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "feeds"
RUNS = 5

HOSTILE: list[tuple[str, Callable[[str], object], str]] = [
    ("html_to_text", html_to_text, "<script>" * 20_000),
    ("html_to_text", html_to_text, "<!--" * 20_000),
    ("html_to_text", html_to_text, "<p" * 20_000),
    ("html_to_text", html_to_text, "&lt;p" * 20_000),
    ("html_to_text", html_to_text, "<" * 50_000),
    ("chapters_from_notes", chapters_from_notes, "00:00 " * 20_000),
    ("chapters_from_notes", chapters_from_notes, "1:00" + " - 1:00" * 10_000),
    ("chapters_from_notes", chapters_from_notes, "(00:00) x" * 5_000),
    ("chapters_from_notes", chapters_from_notes, "x " * 20_000 + "(" * 20_000 + "1:00"),
    ("chapters_from_notes", chapters_from_notes, 'class="osf_chapter">' * 20_000),
]


def median_ms(work: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.process_time()
        work()
        times.append((time.process_time() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    print(describe_machine())
    print()
    print("| input | function | size | time (CPU, median of 5) |")
    print("|---|---|---:|---:|")
    matches = sorted(FEEDS.glob("EngineeringKiosk*")) if FEEDS.is_dir() else []
    if matches:
        notes = [e.notes_html for e in parse_feed(matches[0].read_bytes()).episodes]
        size = sum(map(len, notes))
        print(
            f"| EngineeringKiosk, all {len(notes)} items | html_to_text | {size:,} chars | "
            f"{median_ms(lambda: [html_to_text(n) for n in notes]):.1f} ms |"
        )
        print(
            f"| EngineeringKiosk, all {len(notes)} items | chapters_from_notes | {size:,} chars "
            f"| {median_ms(lambda: [chapters_from_notes(n) for n in notes]):.1f} ms |"
        )
    for name, function, text in HOSTILE:
        shown = repr(text[:24]) + "…"
        print(
            f"| {shown} | {name} | {len(text):,} chars | "
            f"{median_ms(lambda f=function, t=text: f(t)):.1f} ms |"
        )


if __name__ == "__main__":
    main()
