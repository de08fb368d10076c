"""The store's foundation: connections, migrations, transactions, and the limits on both.

One WAL database, several connections: writes go through `_writer` under a lock, one
transaction at a time; reads take one of a few reader connections (`READERS`) for the
length of a statement, so a member's `/search` never waits behind an import, never sees
half of one, and a slow read holds up only its own reader while `/latest` is answered on
another. An in-memory store (tests) has one connection for everything.

Limits, so that one feed or one process cannot stall the rest:

- A search statement runs within a time budget (`SEARCH_BUDGET`): past it, the reader's
  connection is interrupted and the caller gets `QueryTooSlow`. (Not on an in-memory
  store: interrupting its one connection could hit a write.)
- A write waits for another process's write (another `episode-bot import`) for up to
  `WRITE_WAIT` (SQLite's busy handler, which retries with backoff), logs that it waits
  after a second, and gives up with a one-line `StoreError`.
- A write that SQLite refuses for a reason outside the program (a full disk, an I/O
  error, a read-only file) is rolled back, if SQLite has not already done so, and
  becomes a `StoreError` that says what happened and that nothing was written.
"""

from __future__ import annotations

import asyncio
import importlib.resources
import logging
import os
import re
import sqlite3
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import aiosqlite

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_[\w-]+\.sql$")
# SQLite's default limit on bound parameters is 32766 (3.32+); stay well below it.
_CHUNK = 900

READERS = 3  # reader connections of a file store: a runaway read holds up one of them
SEARCH_BUDGET = 2.0  # seconds a search statement may run before it is stopped
WRITE_WAIT = 60.0  # seconds a write waits for another process's write to finish
_WAIT_NOTICE = 1.0  # a write waiting this long says so in the log
_READER_BUSY_TIMEOUT_MS = 5000  # WAL readers wait only while another opens or recovers
_CUT_AGAIN = 0.05  # past its budget, a read is interrupted again this often until it stops

Params = Sequence[Any] | Mapping[str, Any]  # positional (?) or named (:name) parameters


class StoreError(Exception):
    """The store cannot be used as it is; the message says why and what to do."""


class QueryTooSlow(StoreError):
    """A read ran past its time budget and was stopped (nothing is wrong with the store)."""

    def __init__(self, budget: float):
        super().__init__(f"the query took too long (over {budget:g} s) and was stopped")
        self.budget = budget


@dataclass(eq=False, slots=True)
class _Reader:
    """A reader connection, lent to one statement at a time. `cut`: its budget ran out."""

    conn: aiosqlite.Connection
    cut: bool = False


class _ReaderPool:
    """Idle readers, lent first come, first served: a returned reader goes to the read
    that has waited longest (an `asyncio.Queue` would let a task that reads in a loop
    take it back before the waiting read wakes up)."""

    def __init__(self, readers: Iterable[_Reader]):
        self._idle = deque(readers)
        self._waiting: deque[asyncio.Future[_Reader]] = deque()

    async def take(self) -> _Reader:
        if self._idle and not self._waiting:
            return self._idle.popleft()
        turn: asyncio.Future[_Reader] = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        try:
            return await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.give_back(turn.result())  # handed over just as the wait was cancelled
            else:
                self._waiting.remove(turn)
            raise

    def give_back(self, reader: _Reader) -> None:
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(reader)
                return
        self._idle.append(reader)


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


def placeholders(count: int) -> str:
    """`?, ?, ?` for `count` parameters (the inside of an `IN (...)`)."""
    return ", ".join("?" * count)


def chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    """`items` in slices small enough to bind as the parameters of one `IN (...)`."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


class StoreBase:
    """Owns the SQLite connections. Open with `await Store.open(path)`; close when done."""

    def __init__(
        self,
        path: str,
        writer: aiosqlite.Connection,
        readers: Sequence[aiosqlite.Connection],
        *,
        search_budget: float | None = SEARCH_BUDGET,
        write_wait: float = WRITE_WAIT,
    ):
        self.path = path
        self._writer = writer
        self._readers = [_Reader(conn) for conn in readers]
        self._pool = _ReaderPool(self._readers)
        # An in-memory store reads on its writer: never interrupt that connection.
        self._can_interrupt = writer not in readers
        self.search_budget = search_budget
        self.write_wait = write_wait
        self._write_lock = asyncio.Lock()
        self._close_hooks: list[Callable[[], Awaitable[None]]] = []

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    async def open(
        cls,
        path: str | Path,
        *,
        create: bool = True,
        readers: int = READERS,
        search_budget: float | None = SEARCH_BUDGET,
        write_wait: float = WRITE_WAIT,
    ) -> Self:
        """Open the store at `path` (or `:memory:`) and migrate it; it is created if need
        be, unless `create` is False (commands that only read: a mistyped path would
        otherwise answer from a new, empty store). `readers`: reader connections (a file
        store); `search_budget`: seconds a search statement may run (None: no limit);
        `write_wait`: seconds a write waits for another process's write."""
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
        reader_connections: list[aiosqlite.Connection] = []
        try:
            if not in_memory:
                mode = await scalar(writer, "PRAGMA journal_mode = WAL")
                if str(mode).lower() != "wal":
                    log.warning("SQLite refused WAL mode for %s (got %s)", path_text, mode)
            await _migrate(writer, path_text)
            # From now on a write waits its turn behind another process's (see transaction).
            await writer.execute(f"PRAGMA busy_timeout = {round(write_wait * 1000)}")
            for _ in range(0 if in_memory else max(1, readers)):
                reader_connections.append(await cls._connect(path_text))
        except BaseException as exc:
            # Closed on every failure: an open aiosqlite connection's thread keeps the
            # process alive after the error is reported.
            for conn in reader_connections:
                await conn.close()
            await writer.close()
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"cannot open the store at {path_text}: {exc}") from None
            raise
        return cls(
            path_text,
            writer,
            reader_connections or [writer],
            search_budget=search_budget,
            write_wait=write_wait,
        )

    @staticmethod
    async def _connect(path: str) -> aiosqlite.Connection:
        conn = None
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves.
            conn = await aiosqlite.connect(path, isolation_level=None)
            conn.row_factory = aiosqlite.Row
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute(f"PRAGMA busy_timeout = {_READER_BUSY_TIMEOUT_MS}")
            # The first statement that reads the file: "file is not a database" shows here.
            await conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            if conn is not None:
                await conn.close()
            raise StoreError(f"cannot open the store at {path}: {exc}") from None
        return conn

    def on_close(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Run `hook` first when the store closes (a service's background work on it)."""
        self._close_hooks.append(hook)

    async def close(self) -> None:
        for hook in self._close_hooks:
            await hook()
        for reader in self._readers:
            if reader.conn is not self._writer:
                await reader.conn.interrupt()  # a read still running would hold up the close
                await reader.conn.close()
        await self._writer.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ writes

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction at a time; rolled back on any exception.

        Behind another process's write it waits up to `write_wait` seconds. A write that
        SQLite refuses for a reason outside the program (full disk, I/O error, read-only
        file, another writer for too long) raises a one-line `StoreError`."""
        async with self._write_lock:
            await self._begin()
            try:
                yield self._writer
                await self._writer.execute("COMMIT")
            except BaseException as exc:  # the body's, or a COMMIT SQLite refused
                await self._roll_back()
                failure = self._write_failure(exc)
                if failure is not None:
                    raise failure from None
                raise

    async def _begin(self) -> None:
        """BEGIN IMMEDIATE: take the write lock now, waiting (SQLite's busy handler, with
        backoff, up to `write_wait`) while another process holds it."""
        started = time.monotonic()
        notice = asyncio.get_running_loop().call_later(
            _WAIT_NOTICE, log.warning, "waiting for another writer to finish with %s…", self.path
        )
        try:
            await self._writer.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            failure = self._write_failure(exc)
            if failure is not None:
                raise failure from None
            raise
        finally:
            notice.cancel()
        waited = time.monotonic() - started
        if waited >= _WAIT_NOTICE:
            log.info("the other writer finished; %s is ours after %.1f s", self.path, waited)

    async def _roll_back(self) -> None:
        """ROLLBACK, unless SQLite has already rolled back (it does on a full disk and some
        I/O errors): a second error would hide the first."""
        if not self._writer.in_transaction:
            return
        try:
            await self._writer.execute("ROLLBACK")
        except sqlite3.Error:
            log.exception("rolling back a failed write on %s failed too", self.path)

    def _write_failure(self, exc: BaseException) -> StoreError | None:
        """The `StoreError` for a write SQLite refused for a reason outside the program,
        or None (a bug: constraint, syntax, … is raised as it is)."""
        if not isinstance(exc, sqlite3.Error):
            return None
        code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
        where = f"the store at {self.path}"
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return StoreError(
                f"another process has been writing to {where} for over {self.write_wait:g} s "
                "(another episode-bot import?); nothing was written: try again when it is done"
            )
        if code == sqlite3.SQLITE_FULL:
            return StoreError(
                f"the disk is full: nothing was written to {where} (SQLite: {exc}); "
                "free some space and try again"
            )
        if code == sqlite3.SQLITE_READONLY:
            return StoreError(f"{where} is read-only (SQLite: {exc}); nothing was written")
        if code in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
            return StoreError(
                f"cannot write to {where}: a disk or file system error (SQLite: {exc}); "
                "nothing was written"
            )
        if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
            return StoreError(f"{where} is damaged (SQLite: {exc}); nothing was written")
        if code == sqlite3.SQLITE_NOMEM:
            return StoreError(f"out of memory writing to {where}; nothing was written")
        return None

    # ------------------------------------------------------------------ reads

    @asynccontextmanager
    async def _reading(self, budget: float | None) -> AsyncIterator[aiosqlite.Connection]:
        """An idle reader connection for one statement, interrupted past `budget`
        seconds (QueryTooSlow). A read that is cancelled stops its statement, so that
        the connection is soon free for the next."""
        reader = await self._pool.take()
        reader.cut = False
        watchdog = None
        try:
            if budget is not None and self._can_interrupt:
                if budget <= 0:
                    raise QueryTooSlow(budget)
                watchdog = asyncio.create_task(self._cut_after(reader, budget))
            try:
                yield reader.conn
            except sqlite3.OperationalError as exc:
                if reader.cut and exc.sqlite_errorcode == sqlite3.SQLITE_INTERRUPT:
                    raise QueryTooSlow(budget or 0.0) from None
                raise
            except asyncio.CancelledError:
                if self._can_interrupt:
                    await reader.conn.interrupt()
                raise
        finally:
            if watchdog is not None:
                watchdog.cancel()
            self._pool.give_back(reader)

    @staticmethod
    async def _cut_after(reader: _Reader, budget: float) -> None:
        """Interrupt the reader's statement once its budget is spent, and again until it
        stops: an interrupt that lands between two statements is forgotten, and SQLite
        notices one only between steps (not inside one long FTS5 function call). Cancelled
        when the read ends; `interrupt()` does not suspend, so a cancelled watchdog never
        reaches the next read's statement."""
        await asyncio.sleep(budget)
        while True:
            reader.cut = True
            await reader.conn.interrupt()
            await asyncio.sleep(_CUT_AGAIN)

    async def schema_version(self) -> int:
        return int((await self.fetchone("PRAGMA user_version"))[0])  # type: ignore[index]

    async def fetchall(
        self, sql: str, params: Params = (), *, budget: float | None = None
    ) -> list[aiosqlite.Row]:
        """Run a read query on an idle reader connection; stopped with `QueryTooSlow` past
        `budget` seconds (None: no limit; searches pass `self.search_budget`)."""
        async with self._reading(budget) as conn:
            # One job on the connection's thread: nothing (a cursor's close) queues behind
            # a statement that a cancelled read must interrupt first.
            return list(await conn.execute_fetchall(sql, params))

    async def fetchone(
        self, sql: str, params: Params = (), *, budget: float | None = None
    ) -> aiosqlite.Row | None:
        """Run a read query on an idle reader connection; its first row, or None."""
        async with self._reading(budget) as conn:
            cursor = await conn.execute(sql, params)
            try:
                return await cursor.fetchone()
            except asyncio.CancelledError:
                if self._can_interrupt:
                    await conn.interrupt()  # before the close, which waits for the statement
                raise
            finally:
                await cursor.close()

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
