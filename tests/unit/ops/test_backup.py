"""`episode-bot backup` and the daily copies: consistent while an import writes, checked,
restorable, pruned."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.cli import main
from bot.ops.backup import (
    DAILY_SECONDS,
    BackupError,
    DailyBackups,
    backup_name,
    backup_store,
    daily_copies,
    prune,
)
from bot.store import Store
from tests.support.catalogues import import_feeds
from tests.support.paths import EXAMPLES, PROJECT, fixture_feed

pytestmark = pytest.mark.usefixtures("clean_environment")

BIG_FEEDS = ("EngineeringKiosk", "LinuxUnplugged", "the-daily", "planet-money")


def committed_episodes(path: Path) -> int:
    """Episodes committed in the store at `path`, as a reader sees it now."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        conn.execute("PRAGMA busy_timeout = 5000")
        return int(conn.execute("SELECT count(*) FROM episodes").fetchone()[0])
    finally:
        conn.close()


def integrity(path: Path) -> str:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


async def test_a_backup_during_a_running_import_is_sound_and_has_every_committed_episode(
    tmp_path,
):
    db = tmp_path / "live.db"
    await import_feeds(db, EXAMPLES / "feed.xml")
    feeds = [str(fixture_feed(name)) for name in BIG_FEEDS]
    # A real import in another process, as `episode-bot import` beside a running bot.
    importing = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "bot", "import", "--offline", "--db", str(db), *feeds],
        cwd=PROJECT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    copies: list[tuple[int, Path]] = []
    during = 0
    try:
        deadline = time.monotonic() + 120
        while importing.returncode is None and time.monotonic() < deadline:
            before = await asyncio.to_thread(committed_episodes, db)
            dest = tmp_path / f"copy-{len(copies)}.db"
            await asyncio.to_thread(backup_store, db, dest)
            during += importing.returncode is None  # the import was still running after it
            copies.append((before, dest))
            await asyncio.sleep(0.05)
    finally:
        _, err = await asyncio.wait_for(importing.communicate(), timeout=120)
    assert importing.returncode == 0, err.decode()
    assert during >= 2, "no backup overlapped the import"
    counts = []
    for before, copy in copies:
        assert integrity(copy) == "ok"
        copied = committed_episodes(copy)
        assert copied >= before, f"{copy.name} lost episodes committed before it began"
        counts.append(copied)
    # The import committed feed by feed while the copies were taken: they saw it grow.
    assert len(set(counts)) >= 2
    assert counts[-1] <= committed_episodes(db)
    assert not [p for p in tmp_path.iterdir() if ".partial" in p.name]


async def test_a_restored_copy_opens_with_the_store_and_serves_the_catalogue(tmp_path):
    db = tmp_path / "live.db"
    await import_feeds(db, EXAMPLES / "feed.xml")
    (tmp_path / "backups").mkdir()
    async with await Store.open(db) as live:
        expected = [e.id for e in await live.latest_episodes(None, 5)]
        copy = (await asyncio.to_thread(backup_store, db, tmp_path / "backups")).path
        # The copy is taken while the store is open, WAL and all.
    assert copy.parent == tmp_path / "backups" and copy.name.startswith("episode-bot-")
    assert not await asyncio.to_thread(Path(f"{copy}-wal").exists)
    restored = tmp_path / "restored" / "episode-bot.db"
    restored.parent.mkdir()
    restored.write_bytes(copy.read_bytes())
    async with await Store.open(restored, create=False) as store:
        assert [e.id for e in await store.latest_episodes(None, 5)] == expected
        assert expected


def test_backup_refuses_a_missing_store_and_leaves_nothing_behind(tmp_path):
    with pytest.raises(BackupError, match="no store"):
        backup_store(tmp_path / "missing.db", tmp_path / "copy.db")
    assert list(tmp_path.iterdir()) == []


def test_the_cli_backs_up_to_a_file_and_exits_0(tmp_path, capsys):
    db = tmp_path / "live.db"
    asyncio.run(import_feeds(db, EXAMPLES / "feed.xml"))
    assert main(["backup", str(tmp_path / "out.db"), "--db", str(db)]) == 0
    assert "integrity ok" in capsys.readouterr().out
    assert committed_episodes(tmp_path / "out.db") == committed_episodes(db)


def test_the_cli_says_why_a_backup_failed_and_exits_1(tmp_path, capsys):
    assert main(["backup", str(tmp_path / "out.db"), "--db", str(tmp_path / "none.db")]) == 1
    assert "no store" in capsys.readouterr().err


def test_pruning_keeps_the_newest_copies_and_leaves_other_files_alone(tmp_path):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for day in range(10):
        (tmp_path / backup_name(start + timedelta(days=day))).write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("mine")
    deleted = prune(tmp_path, 7)
    assert len(deleted) == 3
    assert daily_copies(tmp_path)[0].name == backup_name(start + timedelta(days=3))
    assert (tmp_path / "notes.txt").exists()


async def test_the_daily_backup_takes_a_copy_when_due_and_prunes_to_keep(tmp_path):
    db = tmp_path / "live.db"
    await import_feeds(db, EXAMPLES / "feed.xml")
    folder = tmp_path / "backups"
    folder.mkdir()
    old = datetime.now(UTC) - timedelta(days=3)
    for day in range(3):
        (folder / backup_name(old - timedelta(days=day))).write_bytes(b"old")
    backups = DailyBackups(db, folder, keep=2, check_every=0)
    assert backups.due()
    result = await backups.run_if_due()
    assert result is not None and integrity(result.path) == "ok"
    assert [p.name for p in daily_copies(folder)] == [
        backup_name(old),
        result.path.name,
    ]
    # A fresh copy: not due again for a day, whatever restarts happen.
    assert not DailyBackups(db, folder, keep=2).due()
    assert DailyBackups(db, folder, keep=2).due(time.time() + DAILY_SECONDS + 1)
    assert await backups.run_if_due() is None


async def test_a_failing_daily_backup_is_logged_not_raised(tmp_path, caplog):
    backups = DailyBackups(tmp_path / "missing.db", tmp_path / "backups", keep=2, check_every=0)
    assert await backups.run_if_due() is None
    assert "daily backup" in caplog.text and "no store" in caplog.text


def test_the_cli_puts_a_dated_copy_in_a_folder_named_with_a_slash(tmp_path, capsys):
    db = tmp_path / "live.db"
    asyncio.run(import_feeds(db, EXAMPLES / "feed.xml"))
    assert main(["backup", f"{tmp_path / 'new-folder'}/", "--db", str(db)]) == 0
    [copy] = daily_copies(tmp_path / "new-folder")
    assert integrity(copy) == "ok"
