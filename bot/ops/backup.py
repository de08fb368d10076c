"""Consistent copies of the live store: `episode-bot backup DEST` and the daily backup.

A copy is taken with SQLite's online backup API (`bot.store.maintenance.copy_store`), so
it holds every episode committed before it began and nothing half-written, while the bot
goes on importing and announcing. It is written beside its destination under a temporary
name, checked with `PRAGMA integrity_check`, flushed to disk and only then renamed into
place: a crash or a full disk never leaves a truncated file under a backup's name.

With `BACKUP_DIR` the bot keeps daily copies there (`DailyBackups`), named
`episode-bot-YYYYMMDD-HHMMSS.db` (UTC), and deletes all but the newest `BACKUP_KEEP`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.store.maintenance import check_integrity, copy_store

log = logging.getLogger(__name__)

DAILY_SECONDS = 24 * 3600
CHECK_EVERY_SECONDS = 3600.0  # how often the bot looks whether a daily copy is due
_NAME = re.compile(r"^episode-bot-(\d{8}-\d{6})\.db$")


class BackupError(Exception):
    """The copy could not be made or is not sound; the message says why."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    size: int
    seconds: float


def backup_name(at: datetime) -> str:
    """The file name of a copy taken at `at`: sorts by time, says when in UTC."""
    return f"episode-bot-{at.astimezone(UTC):%Y%m%d-%H%M%S}.db"


def backup_store(source: Path, dest: Path) -> BackupResult:
    """Copy the store at `source` to `dest` (a file, or an existing folder to put a
    dated copy in) and check the copy. Blocking: `backup_store_async` runs it in a thread."""
    started = time.monotonic()
    if not source.exists():
        raise BackupError(f"there is no store at {source}")
    if dest.is_dir():
        dest = dest / backup_name(datetime.now(UTC))
    if dest.exists() and dest.resolve() == source.resolve():
        raise BackupError("the destination is the store itself")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"cannot create {dest.parent}: {exc.strerror or exc}") from None
    partial = dest.with_name(f".{dest.name}.partial-{os.getpid()}")
    try:
        partial.unlink(missing_ok=True)
        copy_store(source, partial)
        verdict = check_integrity(partial)
        if verdict != "ok":
            raise BackupError(f"the copy failed its integrity check: {verdict}")
        _flush(partial)
        os.replace(partial, dest)
        _flush_folder(dest.parent)
    except OSError as exc:
        raise BackupError(f"cannot write {dest}: {exc.strerror or exc}") from None
    except Exception as exc:
        if isinstance(exc, BackupError):
            raise
        raise BackupError(f"cannot copy {source}: {exc}") from None
    finally:
        for leftover in (partial, Path(f"{partial}-journal")):
            leftover.unlink(missing_ok=True)
    return BackupResult(dest, dest.stat().st_size, time.monotonic() - started)


async def backup_store_async(source: Path, dest: Path) -> BackupResult:
    """`backup_store` off the event loop."""
    return await asyncio.to_thread(backup_store, source, dest)


def _flush(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _flush_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not every platform opens folders
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def daily_copies(folder: Path) -> list[Path]:
    """The daily copies in `folder`, oldest first (other files are not ours: left alone)."""
    try:
        names = sorted(entry.name for entry in folder.iterdir() if _NAME.match(entry.name))
    except FileNotFoundError:
        return []
    return [folder / name for name in names]


def taken_at(path: Path) -> float:
    """When a daily copy was taken (Unix seconds), from its name."""
    match = _NAME.match(path.name)
    assert match is not None
    return datetime.strptime(match.group(1), "%Y%m%d-%H%M%S").replace(tzinfo=UTC).timestamp()


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` daily copies; the paths deleted."""
    copies = daily_copies(folder)
    doomed = copies[: max(0, len(copies) - keep)]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


class DailyBackups:
    """The bot's daily copy: due when the newest copy in `folder` is a day old (so a
    restart neither skips a day nor takes an extra copy), then the old ones pruned."""

    def __init__(
        self,
        store_path: Path,
        folder: Path,
        keep: int,
        *,
        check_every: float = CHECK_EVERY_SECONDS,
    ) -> None:
        self.store_path = store_path
        self.folder = folder
        self.keep = keep
        self.check_every = check_every
        self._checked_at: float | None = None

    def due(self, now: float | None = None) -> bool:
        """Whether the newest copy is older than a day (or there is none)."""
        now = time.time() if now is None else now
        copies = daily_copies(self.folder)
        return not copies or now - taken_at(copies[-1]) >= DAILY_SECONDS

    async def run_if_due(self) -> BackupResult | None:
        """Take and prune a copy if one is due; looks at most every `check_every` seconds.
        Never raises: a failed backup is logged and tried again at the next look."""
        clock = time.monotonic()
        if self._checked_at is not None and clock - self._checked_at < self.check_every:
            return None
        self._checked_at = clock
        try:
            if not await asyncio.to_thread(self.due):
                return None
            await asyncio.to_thread(self.folder.mkdir, parents=True, exist_ok=True)
            result = await backup_store_async(self.store_path, self.folder)
            pruned = await asyncio.to_thread(prune, self.folder, self.keep)
        except Exception as exc:
            log.error("the daily backup of %s to %s failed: %s", self.store_path, self.folder, exc)
            return None
        log.info(
            "backed up the store to %s (%d bytes, %.1f s; %d old copies deleted)",
            result.path,
            result.size,
            result.seconds,
            len(pruned),
        )
        return result
