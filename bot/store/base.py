"""The store's foundation: connections, migrations and transactions.

Two connections to one WAL database: writes go through `_writer` under a lock, one
transaction at a time; reads use `_reader`, so a member's `/search` never waits behind
an import and never sees half of one. An in-memory store (tests) uses one connection.
"""

from __future__ import annotations

import asyncio
import importlib.resources
import logging
import os
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Self

import aiosqlite

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_[\w-]+\.sql$")
# SQLite's default limit on bound parameters is 32766 (3.32+); stay well below it.
_CHUNK = 900


class StoreError(Exception):
    """The store cannot be used as it is; the message says why and what to do."""


def load_migrations() -> list[tuple[int, str, str]]:
    """The numbered `.sql` files shipped in `bot/migrations`, in order: (version, name, sql)."""
    found = []
    for entry in importlib.resources.files("bot.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    for expected, (version, name, _) in enumerate(found, start=1):
        if version != expected:
            raise StoreError(
                f"migration {name} is out of sequence (expected number {expected:04d})"
            )
    return found


def now() -> int:
    """The current time as the store keeps it: whole Unix seconds."""
    return int(time.time())


def chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    """`items` in slices small enough to bind as the parameters of one `IN (...)`."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


class StoreBase:
    """Owns the SQLite connections. Open with `await Store.open(path)`; close when done."""

    def __init__(self, path: str, writer: aiosqlite.Connection, reader: aiosqlite.Connection):
        self.path = path
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    async def open(cls, path: str | Path, *, create: bool = True) -> Self:
        """Open the store at `path` (or `:memory:`) and migrate it; it is created if need
        be, unless `create` is False (commands that only read: a mistyped path would
        otherwise answer from a new, empty store)."""
        path_text = str(path)
        in_memory = path_text == ":memory:"
        if not in_memory:
            if not create and not await asyncio.to_thread(os.path.exists, path_text):
                raise StoreError(
                    f"there is no store at {path_text}: import a feed first "
                    "(episode-bot import SOURCE)"
                )
            await asyncio.to_thread(_make_parent_folder, path_text)
        writer = await cls._connect(path_text)
        try:
            if not in_memory:
                mode = await scalar(writer, "PRAGMA journal_mode = WAL")
                if str(mode).lower() != "wal":
                    log.warning("SQLite refused WAL mode for %s (got %s)", path_text, mode)
            await _migrate(writer, path_text)
            reader = writer if in_memory else await cls._connect(path_text)
        except BaseException as exc:
            # Closed on every failure: an open aiosqlite connection's thread keeps the
            # process alive after the error is reported.
            await writer.close()
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"cannot open the store at {path_text}: {exc}") from None
            raise
        return cls(path_text, writer, reader)

    @staticmethod
    async def _connect(path: str) -> aiosqlite.Connection:
        conn = None
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves.
            conn = await aiosqlite.connect(path, isolation_level=None)
            conn.row_factory = aiosqlite.Row
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA busy_timeout = 5000")
            # The first statement that reads the file: "file is not a database" shows here.
            await conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            if conn is not None:
                await conn.close()
            raise StoreError(f"cannot open the store at {path}: {exc}") from None
        return conn

    async def close(self) -> None:
        if self._reader is not self._writer:
            await self._reader.close()
        await self._writer.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction at a time; rolled back on any exception."""
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            else:
                await self._writer.execute("COMMIT")

    async def schema_version(self) -> int:
        return int(await scalar(self._reader, "PRAGMA user_version"))

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        """Run a read query on the reader connection."""
        async with self._reader.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def optimize_search_indexes(self) -> list[str]:
        """Merge each full-text index into one b-tree (FTS5 `optimize`); the names done.

        Incremental writes (every import, every transcript) leave an index in many
        segments, and a query seeks in each: on 2M transcript passages, merging halved the
        passage reads of /when. It takes about 2 s there and holds the write lock, so it
        runs after bulk imports and once a day, not after every write."""
        rows = await self.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%USING fts5%'"
        )
        names = [row[0] for row in rows]
        async with self.transaction() as db:
            for name in names:
                await db.execute(f'INSERT INTO "{name}" ("{name}") VALUES (\'optimize\')')
        return names

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        """Run a read query on the reader connection; its first row, or None."""
        async with self._reader.execute(sql, params) as cursor:
            return await cursor.fetchone()


def _make_parent_folder(path: str) -> None:
    folder = Path(path).expanduser().parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise StoreError(f"cannot create the folder {folder} for the store: {reason}") from None


async def scalar(db: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> Any:
    async with db.execute(sql, params) as cursor:
        row = await cursor.fetchone()
    return None if row is None else row[0]


async def _migrate(db: aiosqlite.Connection, path: str) -> None:
    """Bring the schema up to date; each migration and its version bump in one transaction."""
    migrations = load_migrations()
    latest = migrations[-1][0] if migrations else 0
    current = int(await scalar(db, "PRAGMA user_version"))
    if current > latest:
        raise StoreError(
            f"the store at {path} was written by a newer episode-bot (schema {current}; this "
            f"version knows up to {latest}). Upgrade episode-bot, or point DATABASE_PATH elsewhere."
        )
    for version, name, sql in migrations:
        if version <= current:
            continue
        log.info("applying migration %s to %s", name, path)
        try:
            await db.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
        except sqlite3.Error as exc:
            if db.in_transaction:
                await db.execute("ROLLBACK")
            raise StoreError(f"migration {name} failed on {path}: {exc}") from None


def visible_feeds(guild_id: int | None) -> tuple[str, tuple[Any, ...]]:
    """A subquery (and its parameters) for the ids of the feeds a guild sees: the global
    feeds (FEEDS, the CLI) plus those the guild follows with /feed add. Outside a guild
    (direct messages, `episode-bot ask` without --guild) only the global feeds."""
    if guild_id is None:
        return "SELECT id FROM feeds WHERE is_global = 1", ()
    return (
        "SELECT id FROM feeds WHERE is_global = 1 "
        "UNION SELECT feed_id FROM guild_feeds WHERE guild_id = ?",
        (guild_id,),
    )
