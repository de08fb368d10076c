"""The store as a file: a consistent copy of it, and a look at it that writes nothing.

Both use their own plain `sqlite3` connection rather than the `Store`'s: a backup and a
health check must work beside a running bot (another process holding the store open)
and on a store the `Store` would refuse to open (damaged, or newer than this code), and
must never migrate or otherwise write to it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.models.store_health import ChannelHealth, FeedHealth, StoreHealth

_CHECK_LINES = 5  # SQLite's complaints kept from an integrity or quick check


def read_only_connection(path: str | Path) -> sqlite3.Connection:
    """A read-only connection: `mode=ro` never creates the file nor writes to it (the
    doctor's and the backup's look at a store another process may hold open)."""
    uri = Path(path).absolute().as_uri() + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn


def copy_store(source: str | Path, dest: str | Path) -> None:
    """Copy the store at `source` into a new file `dest` through SQLite's online backup
    API, in one step: the copy is the store as one read transaction sees it (every commit
    before it began, none after), while the bot goes on writing beside it (WAL mode lets
    a writer commit while a reader holds its snapshot). Blocking: run it in a thread."""
    src = read_only_connection(source)
    try:
        dst = sqlite3.connect(str(dest), isolation_level=None)
        try:
            src.backup(dst, pages=-1)  # -1: all pages in one step, one snapshot
            # The copy is one self-contained file: no -wal beside it.
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
    finally:
        src.close()


def _check(conn: sqlite3.Connection, *, quick: bool) -> str:
    """`integrity_check` (or `quick_check`) on `conn`: "ok", or its first complaints."""
    pragma = "quick_check" if quick else "integrity_check"
    return "\n".join(str(row[0]) for row in conn.execute(f"PRAGMA {pragma}({_CHECK_LINES})"))


def check_integrity(path: str | Path, *, quick: bool = False) -> str:
    """SQLite's `integrity_check` (or the faster `quick_check`) of the store at `path`:
    "ok", or its first complaints, one per line. Blocking: run it in a thread."""
    conn = read_only_connection(path)
    try:
        return _check(conn, quick=quick)
    finally:
        conn.close()


def read_health(path: str | Path, *, quick_check: bool = True) -> StoreHealth:
    """The schema version, `quick_check` (skipped: "skipped"), feeds, announcement channels
    and bot state of the store at `path`, read without writing. Raises `sqlite3.Error` on
    a file SQLite cannot read. Blocking: run it in a thread."""
    conn = read_only_connection(path)
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        quick = _check(conn, quick=True) if quick_check else "skipped"
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        feeds: list[FeedHealth] = []
        if "feeds" in tables:
            feeds = [
                FeedHealth(
                    id=row[0],
                    url=row[1],
                    title=row[2],
                    status=row[3],
                    last_polled_at=row[4],
                    last_success_at=row[5],
                    last_error=row[6],
                )
                for row in conn.execute(
                    "SELECT id, url, title, status, last_polled_at, last_success_at, last_error "
                    "FROM feeds ORDER BY id"
                )
            ]
        channels: list[ChannelHealth] = []
        if "announce_settings" in tables:
            channels = [
                ChannelHealth(
                    guild_id=row[0],
                    channel_id=row[1],
                    enabled=bool(row[2]),
                    thread=bool(row[3]),
                    blocked=bool(row[4]),
                    last_error=row[5],
                )
                for row in conn.execute(
                    "SELECT guild_id, channel_id, enabled, thread, blocked, last_error "
                    "FROM announce_settings ORDER BY guild_id"
                )
            ]
        state: dict[str, str] = {}
        if "bot_state" in tables:
            state = {
                str(key): str(value)
                for key, value in conn.execute("SELECT key, value FROM bot_state")
            }
    finally:
        conn.close()
    return StoreHealth(
        schema_version=version,
        quick_check=quick,
        feeds=feeds,
        channels=channels,
        state=state,
    )
