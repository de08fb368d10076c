"""End to end: the running bot as an operator sees it. With BACKUP_DIR it takes its daily
copy at start and prunes the old ones; `episode-bot doctor` beside it says all is well;
with LOG_FORMAT=json every line it logs is one JSON object."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from bot.app.runner import invite_permissions
from bot.ops.backup import backup_name, daily_copies
from tests.fakediscord import FakeDiscord
from tests.fakediscord.botprocess import bot_env, run_to_exit, start_bot
from tests.support.paths import EXAMPLES


@pytest.fixture
async def fake():
    async with FakeDiscord() as server:
        server.set_bot_permissions(invite_permissions().value)
        yield server


async def test_the_running_bot_backs_up_daily_logs_json_and_passes_the_doctor(fake, tmp_path):
    backups = tmp_path / "backups"
    backups.mkdir()
    long_ago = datetime.now(UTC) - timedelta(days=10)
    for day in range(3):  # older copies, beyond BACKUP_KEEP
        (backups / backup_name(long_ago - timedelta(days=day))).write_bytes(b"old")
    extra = {"BACKUP_DIR": str(backups), "BACKUP_KEEP": "2", "LOG_FORMAT": "json"}
    bot = await start_bot(fake, tmp_path, feeds=[EXAMPLES / "feed.xml"], ready_feeds=1, extra=extra)
    try:
        recent = backup_name(datetime.now(UTC) - timedelta(hours=1))
        # Taken at start (the newest copy was days old), then BACKUP_KEEP applied.
        await fake.wait_for(
            lambda: daily_copies(backups)[-1].name > recent and len(daily_copies(backups)) == 2,
            20,
            "the daily backup",
        )
        newest = daily_copies(backups)[-1]
        with contextlib.closing(sqlite3.connect(f"file:{newest}?mode=ro", uri=True)) as copy:
            assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert copy.execute("SELECT count(*) FROM episodes").fetchone()[0] > 0

        # The doctor, beside the running bot, over its store and with its settings.
        env = bot_env(fake, db_path=tmp_path / "episode-bot.db", extra=extra)
        doctor = await run_to_exit(env, cwd=tmp_path, args=["doctor", "--json"])
        assert doctor.returncode == 0, "\n".join(doctor.stdout_lines + doctor.lines)
        report = json.loads("\n".join(doctor.stdout_lines))
        areas = {c["area"]: c["status"] for c in report["checks"]}
        assert areas["token"] == "ok" and areas["store"] == "ok" and areas["feed"] == "ok"
        assert areas["backups"] == "ok" and areas["commands"] == "ok"
        assert fake.token not in "\n".join(doctor.stdout_lines)

        quick = await run_to_exit(env, cwd=tmp_path, args=["doctor", "--quick"])
        assert quick.returncode == 0
        assert quick.stdout_lines[-1] == "all good"
    finally:
        assert await bot.stop() == 0, bot.tail()

    lines = [line for line in bot.lines if line.strip()]
    assert lines
    entries = [json.loads(line) for line in lines]  # each line one object
    assert all({"time", "level", "logger", "message"} <= set(entry) for entry in entries)
    assert any("backed up the store" in entry["message"] for entry in entries)
    assert fake.token not in "\n".join(lines)
    assert fake.violations == []
