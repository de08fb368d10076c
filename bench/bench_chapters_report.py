"""Chapter extraction report: what the show-notes reader finds in every fixture feed, and
where it disagrees with the reader of an earlier commit.

    .venv/bin/python bench/bench_chapters_report.py [BASE]   (BASE: a git revision, default
    the commit before the token reader, 17fcb2a)

Per feed: items, items with notes chapters (new / old), chapters found (new / old) and
the items on which the two readers disagree, each listed below the table with both
answers so a reviewer can judge them. Then timings: `html_to_text` + chapter reading over
all of EngineeringKiosk's items (old and new), and the slowest inputs (hostile notes
from bench_text.py and a 200 KB run-together list).
"""

from __future__ import annotations

import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_text import HOSTILE  # noqa: E402
from bot.common.plain_text import html_to_text  # noqa: E402
from bot.ingest import chapters as new_reader  # noqa: E402
from bot.ingest.feedparse import parse_feed  # noqa: E402
from bot.models.parsed_feed import Chapter  # noqa: E402

FEEDS = ROOT.parent / "shared" / "fixtures" / "feeds"
DEFAULT_BASE = "17fcb2a"
RUNS = 5


def old_reader(base: str) -> ModuleType:
    """bot/ingest/chapters.py as it was at `base`, imported as a throwaway module."""
    source = subprocess.run(
        ["git", "show", f"{base}:bot/ingest/chapters.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "old_chapters.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("old_chapters", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while decorating
    spec.loader.exec_module(module)
    return module


def pairs(chapters: list[Chapter]) -> list[tuple[float, str]]:
    return [(chapter.start, chapter.title) for chapter in chapters]


def median_ms(work: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.process_time()
        work()
        times.append((time.process_time() - started) * 1000)
    return statistics.median(times)


def run_together(size: int) -> str:
    """A run-together list of about `size` characters: `0:00 Topic 0 ...0:07 Topic 1 ...`."""
    parts = ["Chapters: "]
    index = 0
    while sum(map(len, parts)) < size:
        minutes, seconds = divmod(index * 7, 60)
        parts.append(f"{minutes}:{seconds:02d} Topic number {index} of the day")
        index += 1
    return "".join(parts)


def main() -> None:
    base = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_BASE
    old = old_reader(base)
    print(f"Reader now vs. the reader at {base}\n")
    print(
        "| feed | items | with chapters (new / old) | chapters (new / old) | marked ads (new) "
        "| disagree |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    differences: list[str] = []
    for path in sorted(FEEDS.iterdir()) if FEEDS.is_dir() else []:
        try:
            episodes = parse_feed(path.read_bytes()).episodes
        except Exception as error:  # a report lists what it cannot read
            print(f"| {path.name[:60]} | unreadable: {error} | | | | |")
            continue
        with_new = with_old = found_new = found_old = disagree = ads = 0
        for episode in episodes:
            notes = episode.notes_html or ""
            read = new_reader.chapters_from_notes(notes)
            ads += sum(chapter.kind == "ad" for chapter in read)
            new = pairs(read)
            before = pairs(old.chapters_from_notes(notes))
            with_new += bool(new)
            with_old += bool(before)
            found_new += len(new)
            found_old += len(before)
            if new != before:
                disagree += 1
                differences.append(
                    f"- {path.name[:50]} / {episode.title[:60]!r}\n"
                    f"  - new ({len(new)}): {new[:8]}{' …' if len(new) > 8 else ''}\n"
                    f"  - old ({len(before)}): {before[:8]}{' …' if len(before) > 8 else ''}"
                )
        if with_new or with_old or disagree:
            print(
                f"| {path.name[:60]} | {len(episodes)} | {with_new} / {with_old} | "
                f"{found_new} / {found_old} | {ads} | {disagree} |"
            )
    print("\nItems where the readers disagree:\n")
    print("\n".join(differences) or "(none)")

    print("\n| input | reader | size | time (CPU, median of 5) |")
    print("|---|---|---:|---:|")
    kiosk = sorted(FEEDS.glob("EngineeringKiosk*")) if FEEDS.is_dir() else []
    if kiosk:
        kiosk_notes = [e.notes_html for e in parse_feed(kiosk[0].read_bytes()).episodes]
        size = sum(map(len, kiosk_notes))
        for name, module in (("old", old), ("new", new_reader)):
            read = module.chapters_from_notes

            def kiosk_run(read: Callable[..., list[Chapter]] = read) -> None:
                for n in kiosk_notes:
                    read(n, notes_text=html_to_text(n))

            elapsed = median_ms(kiosk_run)
            print(
                f"| EngineeringKiosk, {len(kiosk_notes)} items, html_to_text + chapters | {name} | "
                f"{size:,} chars | {elapsed:.1f} ms |"
            )
    hostile = [text for name, _, text in HOSTILE if name == "chapters_from_notes"]
    # Hostile to the token reader in particular: glued, dotted, and one line, no spaces.
    hostile += [
        "fail7:05" * 30_000,
        "[6.12] " * 30_000,
        "ab" + "ab".join(f"{i // 60}:{i % 60:02d}" + "x" * 50 for i in range(3000)),
    ]
    for sample in [*hostile, run_together(200_000)]:
        for name, module in (("old", old), ("new", new_reader)):
            read = module.chapters_from_notes

            def one_run(read: Callable[[str], object] = read, sample: str = sample) -> None:
                read(sample)

            elapsed = median_ms(one_run)
            print(f"| {sample[:24]!r}… | {name} | {len(sample):,} chars | {elapsed:.1f} ms |")


if __name__ == "__main__":
    main()
