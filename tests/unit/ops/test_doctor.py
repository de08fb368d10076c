"""`episode-bot doctor`: each check's ✓ and ✗ over real stores, the token against the
loopback fake Discord, `--json`, `--quick` and the exit code."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from bot.app.cli import main
from bot.app.settings import Settings
from bot.ops.backup import backup_name
from bot.ops.doctor import SYNC_HASH_KEY, current_tree_hash, diagnose
from bot.store import Store
from tests.fakediscord.models import Perm
from tests.fakediscord.server import FakeDiscord
from tests.support.catalogues import import_feeds
from tests.support.paths import EXAMPLES

pytestmark = pytest.mark.usefixtures("clean_environment")


@pytest.fixture
async def db(tmp_path):
    path = tmp_path / "store.db"
    await import_feeds(path, EXAMPLES / "feed.xml")
    return path


@pytest.fixture
async def fake():
    async with FakeDiscord() as started:
        yield started
        assert started.violations == []  # the doctor's calls are ones Discord knows


def lines(report, area):
    return [c for c in report.checks if c.area == area]


def only(report, area):
    (check,) = lines(report, area)
    return check


def settings_for(fake: FakeDiscord | None = None, **extra) -> Settings:
    if fake is None:
        return Settings(**extra)
    return Settings(discord_token=fake.token, discord_api_base=fake.api_base, **extra)


def sql(path, statement, params=()):
    conn = sqlite3.connect(path)
    try:
        conn.execute(statement, params)
        conn.commit()
    finally:
        conn.close()


# ------------------------------------------------------------------ the command line


def test_quick_on_a_healthy_store_exits_0_and_never_prints_the_token(db, monkeypatch, capsys):
    monkeypatch.setenv("DISCORD_TOKEN", "super-secret-token-value")
    monkeypatch.setenv("FEEDS", str(EXAMPLES / "feed.xml"))
    assert main(["doctor", "--quick", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "super-secret-token-value" not in out
    assert "✓ configuration: set: DISCORD_TOKEN, FEEDS" in out
    assert "– token: not asked of Discord (--quick)" in out
    assert "✓ store: " in out and "schema " in out and "WAL " in out and " free" in out


def test_a_missing_store_is_a_problem_and_exits_1(tmp_path, capsys):
    assert main(["doctor", "--quick", "--db", str(tmp_path / "none.db")]) == 1
    assert "✗ store: there is no store" in capsys.readouterr().out
    assert not (tmp_path / "none.db").exists()  # the doctor creates nothing


def test_json_prints_one_object_with_every_check(db, monkeypatch, capsys):
    monkeypatch.setenv("DISCORD_TOKEN", "super-secret-token-value")
    assert main(["doctor", "--quick", "--json", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "super-secret" not in out
    payload = json.loads(out)
    assert payload["ok"] is True
    assert {c["area"] for c in payload["checks"]} >= {"configuration", "token", "store"}
    assert {c["status"] for c in payload["checks"]} <= {"ok", "fail", "skip"}


def test_an_unusable_setting_is_a_failed_configuration_line(db, monkeypatch, capsys):
    monkeypatch.setenv("LOG_FORMAT", "xml")
    assert main(["doctor", "--db", str(db)]) == 1
    assert "✗ configuration: LOG_FORMAT must be text or json" in capsys.readouterr().out


# ------------------------------------------------------------------ the store


async def test_a_damaged_store_fails_its_check(tmp_path):
    path = tmp_path / "broken.db"
    path.write_bytes(b"this is not a database at all" * 200)
    report = await diagnose(Settings(), path, {}, quick=True)
    assert not report.ok
    assert only(report, "store").status == "fail"


async def test_a_corrupt_page_fails_quick_check(db, tmp_path):
    # Damage an index page behind SQLite's back: the file opens, quick_check complains.
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode = DELETE")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute(
        "SELECT rootpage FROM sqlite_master WHERE type = 'index' AND tbl_name = 'episodes'"
    ).fetchone()[0]
    conn.close()
    data = bytearray(db.read_bytes())
    start = (root - 1) * page_size
    data[start + 8 : start + page_size] = b"\xff" * (page_size - 8)
    db.write_bytes(bytes(data))
    report = await diagnose(Settings(), db, {})
    check = only(report, "store")
    assert check.status == "fail" and "damaged" in check.detail


async def test_a_store_from_a_newer_version_fails(db):
    sql(db, "PRAGMA user_version = 999")
    check = only(await diagnose(Settings(), db, {}, quick=True), "store")
    assert check.status == "fail" and "newer episode-bot" in check.detail


async def test_too_little_free_disk_fails(db):
    report = await diagnose(Settings(), db, {}, quick=True, min_free_bytes=1 << 60)
    assert "almost full" in only(report, "store").detail
    assert not report.ok


async def test_a_healthy_store_reports_its_schema_and_sizes(db):
    check = only(await diagnose(Settings(), db, {}), "store")
    assert check.status == "ok"
    assert "quick_check ok" in check.detail and str(db) in check.detail


# ------------------------------------------------------------------ the token


async def test_the_token_is_accepted_and_the_application_id_shown(db, fake):
    check = only(await diagnose(settings_for(fake), db, {}), "token")
    assert check.status == "ok"
    assert str(fake.application_id) in check.detail and fake.token not in check.detail


async def test_a_rejected_token_fails(db, fake):
    settings = Settings(discord_token="bm9wZQ.x.y", discord_api_base=fake.api_base)
    check = only(await diagnose(settings, db, {}), "token")
    assert check.status == "fail" and "rejected" in check.detail


async def test_no_token_fails_unless_quick(db):
    assert only(await diagnose(Settings(), db, {}), "token").status == "fail"
    assert only(await diagnose(Settings(), db, {}, quick=True), "token").status == "skip"


async def test_an_unreachable_discord_fails(db, fake):
    settings = Settings(discord_token=fake.token, discord_api_base="http://127.0.0.1:9/api")
    check = only(await diagnose(settings, db, {}), "token")
    assert check.status == "fail" and "cannot reach Discord" in check.detail


# ------------------------------------------------------------------ feeds


async def test_a_polled_feed_passes_and_a_failing_or_paused_one_fails(db):
    report = await diagnose(Settings(), db, {})
    (feed,) = lines(report, "feed")
    assert feed.status == "ok"
    sql(db, "UPDATE feeds SET status = 'failing', last_error = 'HTTP 503', last_polled_at = 1")
    (feed,) = lines(await diagnose(Settings(), db, {}), "feed")
    assert feed.status == "fail" and "HTTP 503" in feed.detail
    sql(db, "UPDATE feeds SET status = 'paused'")
    (feed,) = lines(await diagnose(Settings(), db, {}), "feed")
    assert feed.status == "fail" and "paused" in feed.detail


# ------------------------------------------------------------------ channels


async def announce_in(db, guild_id, channel_id, *, thread=True):
    async with await Store.open(db) as store:
        await store.set_announce_channel(
            guild_id, channel_id, role_id=None, thread=thread, user_id=None
        )


async def test_a_channel_where_the_bot_lacks_permissions_fails_and_names_them(db, fake):
    await announce_in(db, fake.guild.id, int(fake.text_channel["id"]))
    check = only(await diagnose(settings_for(fake), db, {}), "channel")
    assert check.status == "fail"
    assert "Create Public Threads" in check.detail and "Read Message History" in check.detail
    assert "Send Messages," not in check.detail  # its role grants that one


async def test_a_channel_with_every_permission_passes(db, fake):
    fake.bot_role["permissions"] = str(
        int(fake.bot_role["permissions"])
        | Perm.READ_MESSAGE_HISTORY
        | Perm.CREATE_PUBLIC_THREADS
        | Perm.SEND_MESSAGES_IN_THREADS
    )
    await announce_in(db, fake.guild.id, int(fake.text_channel["id"]))
    check = only(await diagnose(settings_for(fake), db, {}), "channel")
    assert check.status == "ok", check.detail


async def test_without_threads_the_thread_permissions_are_not_needed(db, fake):
    fake.bot_role["permissions"] = str(
        int(fake.bot_role["permissions"]) | Perm.READ_MESSAGE_HISTORY
    )
    await announce_in(db, fake.guild.id, int(fake.text_channel["id"]), thread=False)
    assert only(await diagnose(settings_for(fake), db, {}), "channel").status == "ok"


async def test_a_deleted_channel_or_a_blocked_server_fails(db, fake):
    await announce_in(db, fake.guild.id, 123456789)
    check = only(await diagnose(settings_for(fake), db, {}), "channel")
    assert check.status == "fail" and "no longer exists" in check.detail
    sql(db, "UPDATE announce_settings SET blocked = 1, last_error = 'Missing Access'")
    check = only(await diagnose(Settings(), db, {}), "channel")
    assert check.status == "fail" and "Missing Access" in check.detail


# ------------------------------------------------------------------ commands


async def test_commands_in_sync_pass_and_a_changed_tree_fails(db, fake):
    settings = settings_for(fake)
    key = f"{SYNC_HASH_KEY}:{fake.application_id}"
    assert only(await diagnose(settings, db, {}), "commands").status == "fail"  # never synced
    async with await Store.open(db) as store:
        await store.set_state(key, await current_tree_hash(settings))
    check = only(await diagnose(settings, db, {}), "commands")
    assert check.status == "ok", check.detail
    # Without the token, the one application the store knows is assumed.
    assert only(await diagnose(Settings(), db, {}), "commands").status == "ok"
    async with await Store.open(db) as store:
        await store.set_state(key, "0" * 64)
    check = only(await diagnose(settings, db, {}), "commands")
    assert check.status == "fail" and "restart the bot" in check.detail


async def test_a_development_server_is_synced_at_every_start(db):
    check = only(await diagnose(Settings(dev_guild_id=42), db, {}), "commands")
    assert check.status == "ok" and "42" in check.detail


async def test_the_doctor_reads_a_store_the_running_bot_holds_open(db):
    async with await Store.open(db) as store, store.transaction() as conn:
        await conn.execute("UPDATE feeds SET title = title")  # a write in progress
        report = await asyncio.wait_for(diagnose(Settings(), db, {}, quick=True), 10)
    assert only(report, "store").status == "ok"


# ------------------------------------------------------------------ backups


async def test_backups_are_skipped_when_off_and_fail_when_days_old(db, tmp_path):
    assert only(await diagnose(Settings(), db, {}, quick=True), "backups").status == "skip"
    folder = tmp_path / "backups"
    settings = Settings(backup_dir=folder)
    assert only(await diagnose(settings, db, {}, quick=True), "backups").status == "ok"
    folder.mkdir()
    (folder / backup_name(datetime.now(UTC) - timedelta(days=3))).write_bytes(b"x")
    check = only(await diagnose(settings, db, {}, quick=True), "backups")
    assert check.status == "fail" and "3 days ago" in check.detail
    (folder / backup_name(datetime.now(UTC) - timedelta(hours=2))).write_bytes(b"x")
    check = only(await diagnose(settings, db, {}, quick=True), "backups")
    assert check.status == "ok" and "2 in " in check.detail
