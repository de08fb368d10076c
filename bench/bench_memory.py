"""Memory benchmark: the bot's RSS while members page through a 10,000-episode catalogue.

The bot runs as users run it (`python -m bot run`) against the loopback fake Discord of the
tests (tests/fakediscord), over a copy of the synthetic catalogue (bench/synthetic.py:
10,000 episodes, 150,000 chapters; built first if missing). Workers (12 by default, so
8–16 interactions are in flight at once) send a mix of paged commands — /search, /guest,
/when, /chapters — with /episode, /related, autocomplete and page turns (Next/Previous on
each worker's recent paged answers). The bot process's RSS (and its peak, VmHWM) is read
from /proc when ready and after 800, 3,000 and 10,000 interactions.

Target (issue 15): under 120 MiB through 10,000 interactions.

    .venv/bin/python bench/bench_memory.py [--count 10000] [--workers 12]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import synthetic  # noqa: E402
from bench.machine import describe_machine  # noqa: E402
from bot.app.runner import invite_permissions  # noqa: E402
from tests.fakediscord import FakeDiscord, FakeMessage  # noqa: E402
from tests.fakediscord.botprocess import start_bot  # noqa: E402

CHECKPOINTS = (800, 3_000, 10_000)
RECENT_PAGES = 6  # paged answers each worker keeps turning
NEVER = 4_102_444_800  # 2100-01-01: the synthetic feed is never polled (it has no server)


def rss_mib(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of `pid` in MiB."""
    values: dict[str, float] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def prepare_store(workdir: Path) -> None:
    """The synthetic catalogue copied to where the bot opens its store, never polled."""
    if not synthetic.DEFAULT_PATH.exists():
        print("building the synthetic catalogue (a few minutes, once)…", file=sys.stderr)
        synthetic.build()
    target = workdir / "episode-bot.db"
    source, copy = sqlite3.connect(synthetic.DEFAULT_PATH), sqlite3.connect(target)
    try:
        source.backup(copy)
        copy.execute("UPDATE feeds SET next_poll_at = ?", (NEVER,))
        copy.commit()
    finally:
        copy.close()
        source.close()


class Load:
    """The interaction mix; each worker draws from its own seeded random generator."""

    def __init__(self, fake: FakeDiscord, worker: int):
        self.fake = fake
        self.rng = random.Random(1000 + worker)
        self.words = _CORPUS.words[40:3000]  # content words, common to rare
        self.pages: list[FakeMessage] = []  # this worker's recent paged answers
        self.kinds: Counter[str] = Counter()

    def mix(self) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
        return [
            ("/search", self.search),
            ("turn a page", self.turn),
            ("/guest", self.guest),
            ("turn a page", self.turn),
            ("/when", self.when),
            ("/chapters", self.chapters),
            ("turn a page", self.turn),
            ("/search", self.search),
            ("/episode", self.episode),
            ("turn a page", self.turn),
            ("/related", self.related),
            ("autocomplete", self.autocomplete),
        ]

    def _episode_number(self) -> str:
        return str(self.rng.randint(1, synthetic.EPISODES))

    async def _paged(self, command: str, **options: Any) -> None:
        message = await (await self.fake.invoke(command, **options)).reply(within=60)
        if any(b.get("custom_id", "").startswith("pages:") for b in message.buttons()):
            self.pages = [*self.pages, message][-RECENT_PAGES:]

    async def search(self) -> None:
        words = " ".join(self.rng.sample(self.words, self.rng.choice((1, 1, 2))))
        await self._paged("search", query=words)

    async def guest(self) -> None:
        # The busiest guests first: they have pages of episodes.
        index = min(int(self.rng.paretovariate(1.2)) - 1, len(_CORPUS.guests) - 1)
        await self._paged("guest", name=_CORPUS.guests[index])

    async def when(self) -> None:
        await self._paged("when", topic=self.rng.choice(self.words))

    async def chapters(self) -> None:
        await self._paged("chapters", episode=self._episode_number())

    async def episode(self) -> None:
        await (await self.fake.invoke("episode", query=self._episode_number())).reply(within=60)

    async def related(self) -> None:
        await (await self.fake.invoke("related", episode=self._episode_number())).reply(within=60)

    async def autocomplete(self) -> None:
        word = self.rng.choice(self.words)[:3]
        await (await self.fake.autocomplete("episode", "query", word)).choices(within=60)

    async def turn(self) -> None:
        for old in reversed(self.pages):
            message = self.fake.messages.get(old.id, old)  # as it is now
            for label in ("Next", "◀ Previous"):
                button = _button(message, label)
                if button is not None and not button.get("disabled"):
                    await (await self.fake.click(message, button["custom_id"])).response(within=60)
                    return
        await self.search()  # nothing left to turn: ask for something new


def _button(message: FakeMessage, label: str) -> dict[str, Any] | None:
    for button in message.buttons():
        if label in (button.get("label") or ""):
            return button
    return None


_CORPUS = synthetic.corpus()


async def run(count: int, workers: int, arena_max: int | None) -> None:
    checkpoints = [c for c in CHECKPOINTS if c < count] + [count]
    rows: list[tuple[str, float, float, float]] = []
    kinds: Counter[str] = Counter()
    errors: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        prepare_store(workdir)
        async with FakeDiscord() as fake:
            fake.set_bot_permissions(invite_permissions().value)
            extra = {"LOG_LEVEL": "WARNING"}
            if arena_max is not None:
                extra["MALLOC_ARENA_MAX"] = str(arena_max)
            bot = await start_bot(fake, workdir, extra=extra)
            assert bot.process is not None
            pid = bot.process.pid
            try:
                rss, peak = rss_mib(pid)
                rows.append(("ready", rss, peak, 0.0))
                done = 0
                started = time.perf_counter()
                loads = [Load(fake, worker) for worker in range(workers)]

                async def worker(load: Load, quota: int) -> None:
                    plan = load.mix()
                    for step in range(quota):
                        label, action = plan[(step + load.rng.randrange(len(plan))) % len(plan)]
                        try:
                            await action()
                        except (AssertionError, TimeoutError) as error:
                            errors.append(f"{label}: {str(error)[:200]}")
                        kinds[label] += 1

                for checkpoint in checkpoints:
                    todo = checkpoint - done
                    share = [
                        todo // workers + (1 if i < todo % workers else 0) for i in range(workers)
                    ]
                    await asyncio.gather(
                        *(worker(load, n) for load, n in zip(loads, share, strict=True))
                    )
                    done = checkpoint
                    rss, peak = rss_mib(pid)
                    rows.append((f"after {done:,}", rss, peak, time.perf_counter() - started))
                violations = list(fake.violations)
            finally:
                await bot.stop()

    print(describe_machine())
    print(
        f"Bot process RSS over {synthetic.EPISODES:,} synthetic episodes, {workers} workers "
        f"(interactions in flight at once), through the fake Discord"
        + (f"; MALLOC_ARENA_MAX={arena_max}" if arena_max is not None else "")
    )
    print()
    print("| when | RSS MiB | peak MiB | elapsed s |")
    print("|---|---:|---:|---:|")
    for label, rss, peak, elapsed in rows:
        print(f"| {label} | {rss:.1f} | {peak:.1f} | {elapsed:.0f} |")
    print()
    print("mix: " + ", ".join(f"{label} {n}" for label, n in kinds.most_common()))
    print(f"target: under 120 MiB; errors: {len(errors)}; violations: {len(violations)}")
    for line in [*errors[:5], *map(str, violations[:5])]:
        print(f"  {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=CHECKPOINTS[-1], help="interactions")
    parser.add_argument("--workers", type=int, default=12, help="interactions at once")
    parser.add_argument(
        "--malloc-arena-max",
        type=int,
        default=None,
        help="run the bot with MALLOC_ARENA_MAX set (glibc: fewer per-thread heaps)",
    )
    args = parser.parse_args()
    asyncio.run(run(args.count, args.workers, args.malloc_arena_max))


if __name__ == "__main__":
    main()
