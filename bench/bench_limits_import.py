"""Import limits (issue 9): the memory of importing one 49 MB description, and the time of
importing a chapter list of 32,000 (and 100,000) lines.

Every input is generated here, into a temporary folder. Each import runs in a fresh
subprocess into a fresh store (offline), so that its peak RSS (`VmHWM`) is the import's
own: the table gives it whole and, beside it, what the process held before the import
began (Python, lxml, discord.py, the open store). Time is the `import_source` call alone.

Targets: the 49 MB description imports in at most 300 MB of peak RSS, whatever its
form; 32,000 chapter lines import in at most 2 s. The notes are cut to NOTES_LIMIT
characters at import, so a list that long is mostly cut away: the second table times
the chapter and passage derivation over the whole list, to show that it is linear.

    python3 dev.py bench limits        (or .venv/bin/python bench/bench_limits_import.py)
"""

from __future__ import annotations

import asyncio
import functools
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.machine import describe_machine

RUNS = 3
DESCRIPTION_BYTES = 49_000_000
MEMORY_TARGET_MB = 300
TIME_TARGET_S = 2.0


def feed(description: str, *, prefix: str = "") -> str:
    """A feed whose first item carries `description` (already XML-escaped or in CDATA)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0"><channel><title>Limits</title>'
        f"<item><title>Huge</title><guid>huge</guid><description>{prefix}{description}"
        '</description><enclosure url="https://example.com/a.mp3" type="audio/mpeg"/></item>'
        "<item><title>Small</title><guid>small</guid><description>Fine.</description></item>"
        "</channel></rss>"
    )


def repeated(unit: str, size: int) -> str:
    return unit * (size // len(unit.encode("utf-8")))


def huge_feeds() -> list[tuple[str, str]]:
    """One 49 MB description in the forms feeds use, each a different path in the parser."""
    escaped = "&lt;p&gt;Lorem ipsum dolor sit amet, consectetur adipiscing elit.&lt;/p&gt;\n"
    html = "<p>Grüße aus Köln 🎙️ — lorem ipsum dolor sit amet, consectetur.</p>\n"
    plain = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\n"
    return [
        ("escaped HTML, ASCII", feed(repeated(escaped, DESCRIPTION_BYTES))),
        (
            "HTML in CDATA, with an emoji (4 bytes a character in a str)",
            feed(f"<![CDATA[{repeated(html, DESCRIPTION_BYTES)}]]>"),
        ),
        # `&nbsp;` is no XML entity: the strict parse fails and the cleaning path runs.
        (
            "plain text, malformed (recovering parser)",
            feed(repeated(plain, DESCRIPTION_BYTES), prefix="&nbsp;"),
        ),
    ]


def chapter_list(count: int) -> str:
    return "\n".join(
        f"{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d} Topic number {i}" for i in range(count)
    )


# ---------------------------------------------------------------------- one import


def _vm(field: str) -> int:
    """A `/proc/self/status` figure in kB (VmHWM: peak resident set; VmRSS: now)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


async def _import_one(path: Path, store_path: Path) -> dict[str, float]:
    from bot.ingest.fetch import Fetcher
    from bot.ingest.importer import Importer
    from bot.store import Store

    async with await Store.open(store_path) as store, Fetcher() as fetcher:
        importer = Importer(store, fetcher, remote_files=False)
        before_kb = _vm("VmRSS")
        started = time.perf_counter()
        summary = await importer.import_source(str(path))
        elapsed = time.perf_counter() - started
        assert summary.ok and summary.new == 2, summary.line()
        notes = await store.fetchone("SELECT max(length(notes_html)) FROM episodes")
        assert notes is not None
        return {
            "seconds": elapsed,
            "before_mb": before_kb / 1024,
            "peak_mb": _vm("VmHWM") / 1024,
            "notes_chars": notes[0],
            "chapters": summary.chapters,
        }


def measure(path: Path) -> dict[str, float]:
    """Import `path` in a fresh process into a fresh store and report on it."""
    with tempfile.TemporaryDirectory() as folder:
        output = subprocess.run(
            [sys.executable, __file__, "--one", str(path), str(Path(folder) / "store.db")],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    return json.loads(output.splitlines()[-1])


def median_of(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


# ---------------------------------------------------------------------- the tables


def cpu_seconds(work: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.process_time()
        work()
        times.append(time.process_time() - started)
    return statistics.median(times)


def verdict(target: str, peak_mb: float, seconds: float) -> str:
    if target == "memory":
        met = peak_mb <= MEMORY_TARGET_MB
        return f"≤ {MEMORY_TARGET_MB} MB: {'met' if met else 'MISSED'}"
    if target == "time":
        met = seconds <= TIME_TARGET_S
        return f"≤ {TIME_TARGET_S:.0f} s: {'met' if met else 'MISSED'}"
    return "(reference)"


def import_table(folder: Path) -> None:
    from bot.common.plain_text import NOTES_LIMIT

    print(f"Imports, each in a fresh process (median of {RUNS}).", end=" ")
    print(f"Notes are kept up to {NOTES_LIMIT:,} characters.")
    print()
    print("| input | feed | notes stored | chapters | peak RSS | held before | time | target |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    cases = [(f"49 MB description: {name}", text, "memory") for name, text in huge_feeds()]
    for count, target in ((32_000, "time"), (100_000, "")):
        cases.append((f"{count:,}-line chapter list", feed(chapter_list(count)), target))
    for name, text, target in cases:
        path = folder / "feed.xml"
        path.write_text(text, encoding="utf-8")
        runs = [measure(path) for _ in range(RUNS)]
        peak, seconds = median_of(runs, "peak_mb"), median_of(runs, "seconds")
        size, notes, chapters = path.stat().st_size, runs[0]["notes_chars"], runs[0]["chapters"]
        print(
            f"| {name} | {size / 1e6:.1f} MB | {notes:,.0f} chars | {chapters:,.0f} "
            f"| {peak:.0f} MB | {median_of(runs, 'before_mb'):.0f} MB | {seconds:.2f} s "
            f"| {verdict(target, peak, seconds)} |"
        )


def derivation_table() -> None:
    from bot.common.plain_text import html_to_text
    from bot.ingest.chapters import chapters_from_notes
    from bot.ingest.passages import timed_passages

    print(f"Chapters and passages derived from a whole list, not cut (CPU, median of {RUNS}).")
    print()
    print("| chapter lines | chapters_from_notes | timed_passages | chapters found |")
    print("|---:|---:|---:|---:|")
    for count in (32_000, 100_000):
        text = html_to_text(chapter_list(count))
        chapters = chapters_from_notes(text, notes_text=text)
        found = cpu_seconds(functools.partial(chapters_from_notes, text, notes_text=text))
        passages = cpu_seconds(functools.partial(timed_passages, text, chapters))
        print(f"| {count:,} | {found:.2f} s | {passages:.2f} s | {len(chapters):,} |")


def main() -> None:
    print(describe_machine())
    print()
    with tempfile.TemporaryDirectory() as folder:
        import_table(Path(folder))
    print()
    derivation_table()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(asyncio.run(_import_one(Path(sys.argv[2]), Path(sys.argv[3])))))
    else:
        main()
