"""Running the real bot in its own process, as users run it: `python -m bot run`.

The environment is built from scratch (no `.env`, no stray DISCORD_* variables from the
developer's shell), pointing the bot at a `FakeDiscord`. Its stderr is collected, so a
test can read the log (and a failing test shows its tail).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Self

from tests.fakediscord.server import FakeDiscord

PROJECT = Path(__file__).resolve().parents[2]


def bot_env(
    fake: FakeDiscord | None,
    *,
    db_path: Path,
    feeds: Sequence[str | Path] = (),
    dev_guild: bool = True,
    token: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment of a bot process talking to `fake`."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(db_path.parent)),
        "PYTHONPATH": str(PROJECT),
        "PYTHONUNBUFFERED": "1",
        "DATABASE_PATH": str(db_path),
        "FEEDS": " ".join(str(feed) for feed in feeds),
        "LOG_LEVEL": "INFO",
        "ALLOW_PRIVATE_FEED_URLS": "true",  # the tests' feed servers are on 127.0.0.1
        "EPISODE_BOT_GUILD_READY_TIMEOUT": "0.05",
    }
    if fake is not None:
        env["DISCORD_TOKEN"] = fake.token if token is None else token
        env["DISCORD_API_BASE"] = fake.api_base
        env["DISCORD_GATEWAY_URL"] = fake.gateway_url
        if dev_guild:
            env["DEV_GUILD_ID"] = str(fake.guild.id)
    elif token is not None:
        env["DISCORD_TOKEN"] = token
    env.update(extra or {})
    return env


class BotProcess:
    """`python -m bot <args>` in a subprocess with `env`, its working directory `cwd`."""

    def __init__(self, env: Mapping[str, str], *, cwd: Path, args: Sequence[str] = ("run",)):
        self.env = dict(env)
        self.cwd = cwd
        self.args = list(args)
        self.lines: list[str] = []
        self.stdout_lines: list[str] = []
        self.process: asyncio.subprocess.Process | None = None
        self._readers: list[asyncio.Task[None]] = []

    async def start(self) -> Self:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            *self.args,
            env=self.env,
            cwd=self.cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=1 << 24,  # DEBUG lines of discord.py carry whole payloads
        )
        assert self.process.stdout is not None and self.process.stderr is not None
        self._readers = [
            asyncio.create_task(self._read(self.process.stderr, self.lines)),
            asyncio.create_task(self._read(self.process.stdout, self.stdout_lines)),
        ]
        return self

    @staticmethod
    async def _read(stream: asyncio.StreamReader, into: list[str]) -> None:
        async for line in stream:
            into.append(line.decode(errors="replace").rstrip("\n"))

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    def tail(self, count: int = 30) -> str:
        return "bot log (last lines):\n  " + "\n  ".join(self.lines[-count:])

    @property
    def returncode(self) -> int | None:
        return None if self.process is None else self.process.returncode

    async def wait(self, within: float = 15.0) -> int:
        """Wait for the process to exit (and its output to be read); its exit code."""
        assert self.process is not None
        code = await asyncio.wait_for(self.process.wait(), within)
        await asyncio.wait_for(asyncio.gather(*self._readers), within)
        return code

    async def stop(self, signum: int = signal.SIGTERM, within: float = 15.0) -> int:
        """Send `signum` and wait for the exit; its exit code."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signum)
        return await self.wait(within)

    async def kill(self) -> None:
        """End it at once (SIGKILL), as a crash or an OOM killer would."""
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.wait()


async def run_to_exit(env: Mapping[str, str], *, cwd: Path, args: Sequence[str]) -> BotProcess:
    """Run `python -m bot <args>` to completion."""
    process = await BotProcess(env, cwd=cwd, args=args).start()
    await process.wait()
    return process


IMPORTED_FEEDS = "SELECT count(*) FROM feeds WHERE last_success_at IS NOT NULL"


async def start_bot(
    fake: FakeDiscord,
    workdir: Path,
    *,
    feeds: Sequence[str | Path] = (),
    extra: Mapping[str, str] | None = None,
    ready_feeds: int | None = None,
    ready_when: str | None = None,
) -> BotProcess:
    """Start the bot against `fake` (its store in `workdir`) and wait until it is on the
    gateway, its guild cached (and, with `ready_feeds`, until that many feeds have been
    imported; with `ready_when`, until that SQL reads non-zero from its store)."""
    db_path = workdir / "episode-bot.db"
    env = bot_env(fake, db_path=db_path, feeds=feeds, extra=extra)
    process = await BotProcess(env, cwd=workdir).start()
    fake.diagnostics = process.tail
    identified = len(fake.identifies)
    try:
        await fake.wait_until_ready(within=30, identifies=identified + 1)
        if ready_feeds:
            await wait_for_store(db_path, IMPORTED_FEEDS, ready_feeds, process)
        if ready_when:
            await wait_for_store(db_path, ready_when, 1, process)
    except BaseException:
        await process.kill()
        raise
    return process


class SharedBot:
    """The one bot process a test module shares (see `start_bot` for `options`); a test
    may kill it and start it again, with the same options, over the same store."""

    def __init__(self, fake: FakeDiscord, workdir: Path, **options: Any) -> None:
        self.fake = fake
        self.workdir = workdir
        self.options = options
        self._process: BotProcess | None = None

    @property
    def process(self) -> BotProcess:
        assert self._process is not None, "the bot was never started"
        return self._process

    async def start(self) -> None:
        self._process = await start_bot(self.fake, self.workdir, **self.options)

    async def kill(self) -> None:
        """End it at once, with no goodbye, as a crash would."""
        await self.process.kill()

    async def restart(self) -> None:
        """Kill it and start it again on the same store."""
        await self.kill()
        await self.start()

    async def stop(self, signum: int = signal.SIGTERM) -> int:
        """Send `signum` and wait for the exit; its exit code."""
        return await self.process.stop(signum)


def store_value(db_path: Path, sql: str) -> int:
    """One number read from the bot's store (0 while the store or table isn't there yet)."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as db:
            return int(db.execute(sql).fetchone()[0] or 0)
    except sqlite3.Error:
        return 0


async def wait_for_store(
    db_path: Path, sql: str, at_least: int, process: BotProcess, within: float = 30.0
) -> None:
    """Wait until `sql` reads at least `at_least` from the bot's store: the bot imports
    FEEDS in the background once it is ready, and derives related episodes after that."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while store_value(db_path, sql) < at_least:
        if process.returncode is not None or loop.time() > deadline:
            raise AssertionError(f"the store never had {sql} >= {at_least}\n{process.tail()}")
        await asyncio.sleep(0.05)
