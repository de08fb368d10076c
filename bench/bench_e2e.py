"""End-to-end benchmark: interactions through the fake Discord, the bot in its own process.

The bot runs as users run it (`python -m bot run`, FEEDS = the example show) against the
loopback fake Discord of the tests (tests/fakediscord). 1,000 interactions are sent one
after another — each slash command, an autocomplete and a page-turning button click, in
turn — and for each the time from the INTERACTION_CREATE frame leaving the fake to the
interaction's callback arriving back at it is measured: what Discord's 3-second clock
sees, minus the network. Prints p50 / p99 / max per kind of interaction.

Target (issue 5): p50 ≤ 5 ms and p99 ≤ 20 ms on the 2-core machine.

    python3 dev.py bench e2e        (or .venv/bin/python bench/bench_e2e.py [--count N])
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import describe_machine  # noqa: E402
from bot.app.runner import invite_permissions  # noqa: E402
from tests.fakediscord import FakeDiscord, FakeMessage, InteractionHandle  # noqa: E402
from tests.fakediscord.botprocess import start_bot  # noqa: E402

WARMUP = 3  # rounds of every interaction before measuring (first queries fill caches)


def scenarios(fake: FakeDiscord, page: FakeMessage) -> list[tuple[str, Callable[[], Awaitable]]]:
    """(label, start one interaction and wait until it is fully answered)."""

    async def command(command_name: str, /, **options: Any) -> InteractionHandle:
        handle = await fake.invoke(command_name, **options)
        await handle.reply()
        return handle

    async def complete(name: str, option: str, value: str) -> InteractionHandle:
        handle = await fake.autocomplete(name, option, value)
        await handle.choices()
        return handle

    async def turn() -> InteractionHandle:
        label = "Next" if not page.button("Next")["disabled"] else "Previous"
        handle = await fake.click(page, label=label)
        await handle.response()
        return handle

    return [
        ("/episode 12", lambda: command("episode", query="12")),
        ("/episode title words", lambda: command("episode", query="optimisers after adam")),
        ("/chapters 12", lambda: command("chapters", episode="12")),
        ("/when learning rate", lambda: command("when", topic="learning rate")),
        ("/search learning rate", lambda: command("search", query="learning rate")),
        ("/related 12", lambda: command("related", episode="12")),
        ("/latest", lambda: command("latest")),
        ("/guest", lambda: command("guest", name="Zoë Harlan-Miyata")),
        ("autocomplete episode", lambda: complete("episode", "query", "zo")),
        ("button: turn a page", turn),
    ]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def run(count: int) -> None:
    loadavg = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeDiscord() as fake:
            fake.set_bot_permissions(invite_permissions().value)
            bot = await start_bot(
                fake,
                Path(tmp),
                feeds=[ROOT / "examples" / "feed.xml"],
                ready_feeds=1,
                ready_when="SELECT count(*) FROM related_episodes",
                extra={"LOG_LEVEL": "WARNING"},
            )
            try:
                page = await (await fake.invoke("when", topic="learning rate")).reply()
                plan = scenarios(fake, page)
                for _ in range(WARMUP):
                    for _, start in plan:
                        await start()
                timings: dict[str, list[float]] = defaultdict(list)
                for index in range(count):
                    label, start = plan[index % len(plan)]
                    handle = await start()
                    assert handle.latency is not None
                    timings[label].append(handle.latency * 1000)
                violations = list(fake.violations)
            finally:
                await bot.stop()

    every = [t for values in timings.values() for t in values]
    print(describe_machine())
    load = ", ".join(f"{value:.1f}" for value in loadavg)
    print(f"Load average before the run: {load} (other work on the machine inflates p99)")
    print()
    print(f"{count} sequential interactions, bot in its own process; dispatch → callback, ms")
    print()
    print("| interaction | n | p50 | p99 | max |")
    print("|---|---:|---:|---:|---:|")
    for label, values in [*timings.items(), ("**all**", every)]:
        print(
            f"| {label} | {len(values)} | {statistics.median(values):.1f} | "
            f"{percentile(values, 0.99):.1f} | {max(values):.1f} |"
        )
    print()
    print(f"target: p50 ≤ 5 ms, p99 ≤ 20 ms; violations recorded by the fake: {len(violations)}")
    for violation in violations[:5]:
        print(f"  {violation}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="interactions to measure")
    args = parser.parse_args()
    asyncio.run(run(args.count))


if __name__ == "__main__":
    main()
