"""`episode-bot doctor` on the shard set-up and the poller's leader lease: lease rows written
through the real store's methods, read back by the doctor beside the open store."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time

import pytest

from bot.app.cli import main
from bot.app.settings import Settings
from bot.ops.doctor import diagnose
from bot.store import Store
from bot.store.lease_rows import POLLER_LEASE, read_leases
from cogs.feed_polling import LeaderLease
from tests.support.catalogues import import_feeds
from tests.support.paths import EXAMPLES

pytestmark = pytest.mark.usefixtures("clean_environment")

SHARDED = Settings(shard_count=4, shard_ids=(0, 1))


@pytest.fixture
async def db(tmp_path):
    path = tmp_path / "store.db"
    await import_feeds(path, EXAMPLES / "feed.xml")
    return path


async def take(db, holder: str, *, ago: int = 0, ttl: int = 30) -> None:
    """`holder` takes the poller's lease as the bot does, `ago` seconds in the past."""
    async with await Store.open(db) as store:
        assert await store.try_acquire(POLLER_LEASE, holder, int(time.time()) - ago, ttl)


async def lease_line(db, settings: Settings):
    report = await diagnose(settings, db, {}, quick=True)
    (check,) = [c for c in report.checks if c.area == "lease"]
    return check, report


async def test_the_doctor_reads_the_lease_the_polling_cog_takes(db):
    async with await Store.open(db) as store:
        lease = LeaderLease(store, holder="host-b:77:5e6f7a8b")
        assert await lease.held()
    check, _ = await lease_line(db, SHARDED)
    assert check.status == "ok" and "held by host-b:77:5e6f7a8b" in check.detail


async def test_a_lease_held_by_a_running_leader_names_it_and_until_when(db):
    await take(db, "host-a:4242:1a2b3c4d")
    check, report = await lease_line(db, SHARDED)
    assert check.status == "ok" and report.ok
    assert check.detail.startswith("held by host-a:4242:1a2b3c4d until 20")
    assert " UTC (in " in check.detail and "polls the feeds and sends the announcements" in (
        check.detail
    )
    assert check.facts["holder"] == "host-a:4242:1a2b3c4d" and check.facts["valid"] is True


async def test_a_lease_given_up_at_a_clean_stop_is_fine_while_the_bot_is_stopped(db):
    await take(db, "host-a:1:x")
    async with await Store.open(db) as store:
        assert await store.release(POLLER_LEASE, "host-a:1:x")
    check, report = await lease_line(db, SHARDED)
    assert check.status == "ok" and report.ok
    assert check.detail.startswith("nobody holds it: fine while the bot is stopped")
    assert check.facts["holder"] is None


async def test_a_lease_that_expired_long_ago_says_plainly_what_it_means(db):
    await take(db, "host-a:1:x", ago=3600)  # a leader killed an hour ago, nobody since
    check, report = await lease_line(db, SHARDED)
    assert check.status == "ok" and report.ok
    assert "nobody holds it: host-a:1:x's expired at " in check.detail
    assert "fine while the bot is stopped; if it is running, no process is polling" in (
        check.detail
    )
    assert check.facts["valid"] is False


async def test_a_lease_that_just_expired_is_about_to_be_taken_over(db):
    await take(db, "host-a:1:x", ago=40, ttl=30)  # expired 10 s ago
    check, _ = await lease_line(db, SHARDED)
    assert check.status == "ok"
    assert "another process takes over within a minute" in check.detail


async def test_without_shard_ids_the_lease_is_not_used(db):
    check, report = await lease_line(db, Settings())
    assert check.status == "skip" and report.ok
    assert check.detail == "not used: without SHARD_IDS this process polls and announces on its own"


async def test_without_shard_ids_a_lease_another_process_holds_is_a_problem(db):
    await take(db, "host-b:7:y")  # a sharded process polls this store right now
    check, report = await lease_line(db, Settings())
    assert check.status == "fail" and not report.ok
    assert "held by host-b:7:y" in check.detail and "every episode twice" in check.detail


async def test_without_shard_ids_an_old_expired_lease_is_only_mentioned(db):
    await take(db, "host-b:7:y", ago=3600)
    check, report = await lease_line(db, Settings())
    assert check.status == "skip" and report.ok
    assert "host-b:7:y's expired at" in check.detail


async def test_a_store_from_before_leases_has_none(db):
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE leader_lease")
    conn.commit()
    conn.close()
    assert read_leases(db) == {}
    check, report = await lease_line(db, SHARDED)
    assert check.status == "ok" and report.ok and check.detail.startswith("nobody holds it")


async def test_the_lease_is_read_while_the_leader_holds_the_store_open(db):
    async with await Store.open(db) as store:
        assert await store.try_acquire(POLLER_LEASE, "me:1:z", int(time.time()), 30)
        async with store.transaction() as conn:  # a write in progress
            await conn.execute("UPDATE feeds SET title = title")
            check, _ = await lease_line(db, SHARDED)
    assert check.detail.startswith("held by me:1:z until ")


@pytest.mark.parametrize(
    ("settings", "detail"),
    [
        (
            Settings(),
            "not set: one process runs as many shards as Discord recommends, and polls",
        ),
        (Settings(shard_count=3), "SHARD_COUNT 3: one process runs all 3 shards, and polls"),
        (
            Settings(shard_count=4, shard_ids=(2,)),
            "SHARD_COUNT 4, SHARD_IDS 2: this process runs shard 2 of 4, other processes on "
            "the store the rest; the process holding the leader lease polls and announces",
        ),
        (
            Settings(shard_count=2, shard_ids=(0, 1)),
            "SHARD_COUNT 2, SHARD_IDS 0, 1: this process runs all 2 shards; the process "
            "holding the leader lease polls and announces",
        ),
    ],
)
async def test_the_shard_set_up_is_shown_as_configured(db, settings, detail):
    report = await diagnose(settings, db, {}, quick=True)
    (check,) = [c for c in report.checks if c.area == "shards"]
    assert (check.status, check.detail) == ("ok", detail)


def test_json_carries_the_shards_and_the_lease_as_values(db, monkeypatch, capsys):
    monkeypatch.setenv("SHARD_COUNT", "4")
    monkeypatch.setenv("SHARD_IDS", "1,3")
    asyncio.run(take(db, "host-c:9:q"))
    assert main(["doctor", "--quick", "--json", "--db", str(db)]) == 0
    checks = {c["area"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert checks["shards"]["facts"] == {"shard_count": 4, "shard_ids": [1, 3]}
    lease = checks["lease"]["facts"]
    assert (lease["name"], lease["used"], lease["holder"], lease["valid"]) == (
        "poller",
        True,
        "host-c:9:q",
        True,
    )
    assert lease["expires_at"] > time.time()
    assert "facts" not in checks["store"]  # only the checks that have values carry them


def test_the_text_report_has_the_lease_and_shard_lines(db, monkeypatch, capsys):
    monkeypatch.setenv("SHARD_COUNT", "2")
    monkeypatch.setenv("SHARD_IDS", "0")
    assert main(["doctor", "--quick", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "✓ shards: SHARD_COUNT 2, SHARD_IDS 0: this process runs shard 0 of 2" in out
    assert "✓ lease: nobody holds it: fine while the bot is stopped" in out
