"""`episode-bot doctor`: what is wrong, one ✓/✗ line each, exit 1 when something is.

Checks, in order: the configuration (which variables are set; never a value of the
token), the shards (SHARD_COUNT / SHARD_IDS as configured), the daily backups, the token
(accepted by Discord, and the application id), the store (schema version, `quick_check`,
size, WAL size, free disk), the leader lease (which process polls and announces, until
when), /when's meaning layer (off, or its model and how many passages are embedded), each
feed (last poll, last error, paused), each server's announcement channel (and the
permissions the bot lacks there), and the commands (the tree this code would sync against
the hash the bot stored when it last synced).

The store is read through its own read-only connection (`bot.store.maintenance`), so the
doctor works beside a running bot, never migrates or writes, and can describe a store the
bot would refuse to open. `--quick` (the container's health check) looks only at what
needs no network and no full read: the configuration, the shards, the backups, the store
and its lease.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TextIO

import aiohttp

from bot.app.settings import VARIABLES, Settings
from bot.models.store_health import ChannelHealth, FeedHealth, StoreHealth
from bot.ops.backup import DAILY_SECONDS, daily_copies, taken_at
from bot.store import load_migrations
from bot.store.embedding_rows import read_embedding_progress
from bot.store.lease_rows import EMBEDDER_LEASE, POLLER_LEASE, read_leases
from bot.store.maintenance import read_health

MIN_FREE_BYTES = 100 * 1024 * 1024  # less free disk than this beside the store is a problem
HTTP_TIMEOUT = 10.0
SYNC_HASH_KEY = "commands.global.sha256"  # as bot/app/client.py stores it, ":<app id>" after

Status = Literal["ok", "fail", "skip"]
_MARKS = {"ok": "✓", "fail": "✗", "skip": "–"}


@dataclass(slots=True)
class Check:
    """One line of the report."""

    area: str  # configuration, shards, backups, token, store, lease, feed, channel, commands
    status: Status
    detail: str
    subject: str = ""  # which feed or server, for the areas with several
    facts: dict[str, Any] = field(default_factory=dict)  # for --json: the values, unworded

    def line(self) -> str:
        name = f"{self.area} {self.subject}".strip()
        return f"{_MARKS[self.status]} {name}: {self.detail}"


@dataclass(slots=True)
class Report:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.status != "fail" for check in self.checks)

    def add(
        self,
        area: str,
        status: Status,
        detail: str,
        subject: str = "",
        facts: dict[str, Any] | None = None,
    ) -> Check:
        check = Check(area, status, detail, subject, facts or {})
        self.checks.append(check)
        return check

    def to_json(self) -> dict[str, Any]:
        checks = [asdict(check) for check in self.checks]
        for check in checks:
            if not check["facts"]:
                del check["facts"]
        return {"ok": self.ok, "checks": checks}


def print_report(report: Report, out: TextIO, *, as_json: bool = False) -> None:
    if as_json:
        out.write(json.dumps(report.to_json(), ensure_ascii=False) + "\n")
        return
    for check in report.checks:
        out.write(check.line() + "\n")
    problems = sum(check.status == "fail" for check in report.checks)
    out.write("all good\n" if not problems else f"{problems} problem(s)\n")


async def diagnose(
    settings: Settings,
    db_path: Path,
    env: Mapping[str, str],
    *,
    quick: bool = False,
    min_free_bytes: int = MIN_FREE_BYTES,
) -> Report:
    """Run every check (only the offline, cheap ones with `quick`); never raises."""
    report = Report()
    check_configuration(report, env)
    check_shards(report, settings)
    await asyncio.to_thread(check_backups, report, settings)
    identity = None if quick else await check_token(report, settings)
    if quick:
        report.add("token", "skip", "not asked of Discord (--quick)")
    health = await check_store(report, db_path, quick=quick, min_free_bytes=min_free_bytes)
    if health is not None:
        await check_lease(report, settings, db_path)
    if quick or health is None:
        return report
    await check_embeddings(report, settings, db_path)
    for feed in health.feeds:
        check_feed(report, feed)
    for channel in health.channels:
        await check_channel(report, channel, settings, identity)
    await check_commands(report, settings, health, identity)
    return report


# ------------------------------------------------------------------ configuration


def check_configuration(report: Report, env: Mapping[str, str]) -> None:
    """Which variables are set (their values are not shown: one of them is the token)."""
    given = [name for name in VARIABLES if env.get(name, "").strip()]
    detail = f"set: {', '.join(given)}" if given else "nothing set"
    report.add("configuration", "ok", detail + "; the rest are defaults")


def check_shards(report: Report, settings: Settings) -> None:
    """The shard set-up as configured (SHARD_COUNT / SHARD_IDS; the settings refuse a
    set-up that cannot work, so this line only says what it is)."""
    count, ids = settings.shard_count, settings.shard_ids
    facts: dict[str, Any] = {"shard_count": count, "shard_ids": list(ids) if ids else None}
    if ids is not None:
        shown = ", ".join(map(str, ids))
        runs = (
            f"all {count} shards"
            if len(ids) == count
            else f"shard{'s' if len(ids) > 1 else ''} {shown} of {count}, other processes on "
            "the store the rest"
        )
        detail = (
            f"SHARD_COUNT {count}, SHARD_IDS {shown}: this process runs {runs}; the process "
            "holding the leader lease polls and announces"
        )
    elif count is not None:
        detail = f"SHARD_COUNT {count}: one process runs all {count} shards, and polls"
    else:
        detail = "not set: one process runs as many shards as Discord recommends, and polls"
    report.add("shards", "ok", detail, facts=facts)


def configuration_error(message: str) -> Report:
    """The report when the settings cannot even be read."""
    report = Report()
    report.add("configuration", "fail", message)
    return report


def check_backups(report: Report, settings: Settings) -> None:
    folder = settings.backup_dir
    if folder is None:
        report.add("backups", "skip", "BACKUP_DIR is not set: no daily copies of the store")
        return
    copies = daily_copies(folder)
    if not copies:
        writable = _writable(folder)
        if writable:
            report.add("backups", "ok", f"none yet in {folder} (the running bot takes one daily)")
        else:
            report.add("backups", "fail", f"{folder} cannot be created or written by this user")
        return
    age = time.time() - taken_at(copies[-1])
    detail = f"{len(copies)} in {folder}, the newest {_ago(age)} ({copies[-1].name})"
    if age > 2 * DAILY_SECONDS:
        report.add("backups", "fail", detail + ": is the bot running?")
    else:
        report.add("backups", "ok", detail)


def _writable(folder: Path) -> bool:
    probe = folder
    while not probe.exists():
        if probe.parent == probe:
            return False
        probe = probe.parent
    return os.access(probe, os.W_OK | os.X_OK)


# ------------------------------------------------------------------ token


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the token says the bot is, as Discord answered."""

    token: str
    user_id: int
    name: str
    application_id: int


async def check_token(report: Report, settings: Settings) -> Identity | None:
    token = settings.discord_token
    if not token:
        report.add("token", "fail", "DISCORD_TOKEN is not set: `episode-bot run` needs it")
        return None
    base = settings.discord_api_base
    try:
        async with _discord_session(token) as session:
            me = await _get(session, f"{base}/users/@me")
            app = await _get(session, f"{base}/oauth2/applications/@me")
    except _Rejected as exc:
        if exc.status == 401:
            report.add("token", "fail", "Discord rejected DISCORD_TOKEN: reset it in the portal")
        else:
            report.add("token", "fail", f"Discord answered {exc.status} at {exc.url}")
        return None
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        report.add("token", "fail", f"cannot reach Discord at {base}: {exc or type(exc).__name__}")
        return None
    identity = Identity(token, int(me["id"]), str(me.get("username", "?")), int(app["id"]))
    report.add(
        "token",
        "ok",
        f"accepted: bot {identity.name} ({identity.user_id}), application "
        f"{identity.application_id}; intents: guilds only (no privileged intent needed)",
    )
    return identity


class _Rejected(Exception):
    def __init__(self, status: int, url: str):
        super().__init__(f"{status} {url}")
        self.status = status
        self.url = url


def _discord_session(token: str) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        headers={
            "Authorization": f"Bot {token}",
            "User-Agent": "DiscordBot (https://github.com/episode-bot, 0.1) episode-bot-doctor",
        },
        timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT),
    )


async def _get(session: aiohttp.ClientSession, url: str) -> Any:
    async with session.get(url) as response:
        if response.status >= 400:
            raise _Rejected(response.status, url.split("?")[0])
        return await response.json(content_type=None)


# ------------------------------------------------------------------ store


async def check_store(
    report: Report, db_path: Path, *, quick: bool, min_free_bytes: int
) -> StoreHealth | None:
    path = str(db_path)
    if not await asyncio.to_thread(db_path.is_file):
        report.add("store", "fail", f"there is no store at {path}: import a feed first")
        return None
    try:
        health = await asyncio.to_thread(read_health, db_path, quick_check=not quick)
    except sqlite3.Error as exc:
        report.add("store", "fail", f"SQLite cannot read {path}: {exc}")
        return None
    latest = load_migrations()[-1][0]
    size = await asyncio.to_thread(_size, db_path)
    wal = await asyncio.to_thread(_size, Path(f"{path}-wal"))
    free = (await asyncio.to_thread(shutil.disk_usage, db_path.parent)).free
    facts = (
        f"{path}, schema {health.schema_version}, quick_check {health.quick_check.splitlines()[0]}"
        f", {_bytes(size)}, WAL {_bytes(wal)}, {_bytes(free)} free"
    )
    problems = []
    if health.schema_version > latest:
        problems.append(
            f"written by a newer episode-bot (schema {health.schema_version} > {latest})"
        )
    if health.quick_check not in ("ok", "skipped"):
        problems.append("damaged: " + "; ".join(health.quick_check.splitlines()))
    if free < min_free_bytes:
        problems.append(f"the disk is almost full (under {_bytes(min_free_bytes)} free)")
    if problems:
        report.add("store", "fail", f"{facts}: {'; '.join(problems)}")
    else:
        note = "" if health.schema_version == latest else " (migrated at the next start)"
        report.add("store", "ok", facts + note)
    return health


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _bytes(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} TiB"  # pragma: no cover


def _ago(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} days ago"


# ------------------------------------------------------------------ the meaning layer


async def check_embeddings(report: Report, settings: Settings, db_path: Path) -> None:
    """/when's meaning layer: off, or its model and how far the background job has come
    (the vectors are made by the running bot; the model itself is not loaded here)."""
    wanted = settings.embedding_model
    if not wanted:
        report.add("embeddings", "skip", "EMBEDDING_MODEL not set: /when searches words only")
        return
    try:
        progress = await asyncio.to_thread(read_embedding_progress, db_path)
    except sqlite3.Error as exc:
        report.add("embeddings", "fail", f"cannot read the embeddings: {exc}")
        return
    if progress is None:
        report.add("embeddings", "fail", "the store has no embeddings table (start the bot once)")
        return
    model, stored, total = progress
    facts: dict[str, Any] = {"model": wanted, "stored_model": model, "vectors": stored}
    facts["rows"] = total
    if model is not None and model != wanted:
        detail = (
            f"EMBEDDING_MODEL {wanted}; the {stored:,} stored vectors are of {model}: the "
            "running bot makes them all again"
        )
    else:
        share = f" ({100 * stored // total}%)" if total else ""
        detail = f"EMBEDDING_MODEL {wanted}: {stored:,} of {total:,} passages embedded{share}"
    lease = (await asyncio.to_thread(read_leases, db_path)).get(EMBEDDER_LEASE)
    if lease is not None and lease[1] >= time.time():
        # Of several processes on one store, only the lease holder embeds.
        detail += f"; embedding now: {lease[0]}"
        facts["embedder"] = lease[0]
    report.add("embeddings", "ok", detail, facts=facts)


# ------------------------------------------------------------------ the leader lease

# A leader renews the lease every 10 s for 30 s; a lease expired this long is one that
# another process should already have taken over (cogs/feed_polling.py).
TAKEOVER_SECONDS = 60


async def check_lease(
    report: Report, settings: Settings, db_path: Path, *, now: float | None = None
) -> None:
    """Who holds the poller's leader lease and until when. Only processes started with
    SHARD_IDS take it: without SHARD_IDS the bot polls whatever the lease says, so a lease
    another process holds is a problem then (both would announce every episode)."""
    try:
        leases = await asyncio.to_thread(read_leases, db_path)
    except sqlite3.Error as exc:
        report.add("lease", "fail", f"cannot read the leader lease: {exc}")
        return
    at = time.time() if now is None else now
    lease = leases.get(POLLER_LEASE)
    sharded = settings.shard_ids is not None
    facts: dict[str, Any] = {"name": POLLER_LEASE, "used": sharded, "holder": None}
    if lease is not None:
        holder, expires = lease
        facts |= {"holder": holder, "expires_at": expires, "valid": expires >= at}
    if lease is None:
        held = "nobody holds it"
    else:
        holder, expires = lease
        when = _clock_time(expires)
        if expires >= at:
            held = f"held by {holder} until {when} (in {_span(expires - at)})"
        else:
            held = f"nobody holds it: {holder}'s expired at {when} ({_span(at - expires)} ago)"
    if not sharded:
        if lease is not None and lease[1] >= at:
            report.add(
                "lease",
                "fail",
                f"{held}, a process started with SHARD_IDS that polls this store; without "
                "SHARD_IDS this one would poll and announce beside it (every episode twice): "
                "give every process on the store SHARD_COUNT and SHARD_IDS",
                facts=facts,
            )
        else:
            note = "" if lease is None else f" ({held})"
            report.add(
                "lease",
                "skip",
                f"not used: without SHARD_IDS this process polls and announces on its own{note}",
                facts=facts,
            )
        return
    if lease is None:
        detail = (
            f"{held}: fine while the bot is stopped (a clean stop gives it up); a starting "
            "process takes it at its first tick and then polls and announces"
        )
    elif lease[1] >= at:
        detail = f"{held}: that process polls the feeds and sends the announcements"
    elif at - lease[1] <= TAKEOVER_SECONDS:
        detail = (
            f"{held}: its holder stopped renewing it; another process takes over within a minute"
        )
    else:
        detail = (
            f"{held}: fine while the bot is stopped; if it is running, no process is polling "
            "or announcing (look at the logs of its processes)"
        )
    report.add("lease", "ok", detail, facts=facts)


def _clock_time(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _span(seconds: float) -> str:
    """A duration as `_ago` words it, without the "ago"."""
    return _ago(seconds).removesuffix(" ago")


# ------------------------------------------------------------------ feeds


def check_feed(report: Report, feed: FeedHealth) -> None:
    name = feed.title or feed.url
    polled = (
        "never polled"
        if feed.last_polled_at is None
        else f"last polled {_ago(time.time() - feed.last_polled_at)}"
    )
    if feed.status == "paused":  # only ever after failing for 48 hours
        error = feed.last_error or "?"
        detail = f"paused after failing for 48 hours ({polled}; last error: {error}): "
        report.add("feed", "fail", detail + "/feed refresh resumes it", name)
    elif feed.status == "failing" or feed.last_error:
        report.add("feed", "fail", f"{polled}; last error: {feed.last_error or '?'}", name)
    else:
        report.add("feed", "ok", polled, name)


# ------------------------------------------------------------------ channels

# Discord's permission bits the announcer needs (bot/app/runner.py `invite_permissions`).
_ADMINISTRATOR = 1 << 3
_NEEDED = {
    "View Channel": 1 << 10,
    "Send Messages": 1 << 11,
    "Embed Links": 1 << 14,
    "Read Message History": 1 << 16,
}
_NEEDED_FOR_THREADS = {
    "Create Public Threads": 1 << 35,
    "Send Messages in Threads": 1 << 38,
}


def missing_permissions(
    channel: Mapping[str, Any],
    roles: list[Mapping[str, Any]],
    member: Mapping[str, Any],
    guild_id: int,
    *,
    threads: bool = True,
) -> list[str]:
    """The permissions the bot lacks in `channel`, computed as Discord does: @everyone,
    then the member's roles, then the channel's overwrites (@everyone, roles, member)."""
    by_id = {int(role["id"]): int(role["permissions"]) for role in roles}
    member_roles = [int(r) for r in member.get("roles", [])]
    user_id = int(member["user"]["id"]) if "user" in member else 0
    have = by_id.get(guild_id, 0)
    for role_id in member_roles:
        have |= by_id.get(role_id, 0)
    if not have & _ADMINISTRATOR:
        overwrites = {int(o["id"]): o for o in channel.get("permission_overwrites", [])}
        everyone = overwrites.get(guild_id)
        if everyone:
            have = (have & ~int(everyone["deny"])) | int(everyone["allow"])
        allow = deny = 0
        for role_id in member_roles:
            if role_id in overwrites:
                allow |= int(overwrites[role_id]["allow"])
                deny |= int(overwrites[role_id]["deny"])
        have = (have & ~deny) | allow
        own = overwrites.get(user_id)
        if own:
            have = (have & ~int(own["deny"])) | int(own["allow"])
    else:
        have = ~0
    needed = _NEEDED | (_NEEDED_FOR_THREADS if threads else {})
    return [name for name, bit in needed.items() if not have & bit]


async def check_channel(
    report: Report, channel: ChannelHealth, settings: Settings, identity: Identity | None
) -> None:
    subject = f"server {channel.guild_id}"
    where = f"channel {channel.channel_id}"
    if not channel.enabled:
        report.add("channel", "ok", f"announcements are off ({where})", subject)
        return
    if channel.blocked:
        report.add(
            "channel",
            "fail",
            f"announcements stopped in {where}: {channel.last_error or '?'} "
            "(fix it, then run /announce channel again)",
            subject,
        )
        return
    if identity is None:
        report.add("channel", "ok", f"{where} (permissions not checked without the token)", subject)
        return
    base = settings.discord_api_base
    try:
        async with _discord_session(identity.token) as session:
            channels = await _get(session, f"{base}/guilds/{channel.guild_id}/channels")
            roles = await _get(session, f"{base}/guilds/{channel.guild_id}/roles")
            member = await _get(
                session, f"{base}/guilds/{channel.guild_id}/members/{identity.user_id}"
            )
    except _Rejected as exc:
        reason = (
            "the bot is no longer in this server"
            if exc.status in (403, 404)
            else (f"Discord answered {exc.status}")
        )
        report.add("channel", "fail", f"{where}: {reason}", subject)
        return
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        report.add("channel", "fail", f"{where}: cannot reach Discord: {exc}", subject)
        return
    found = next((c for c in channels if int(c["id"]) == channel.channel_id), None)
    if found is None:
        report.add("channel", "fail", f"{where} no longer exists: run /announce channel", subject)
        return
    lacking = missing_permissions(found, roles, member, channel.guild_id, threads=channel.thread)
    name = f"#{found.get('name', channel.channel_id)}"
    if lacking:
        report.add("channel", "fail", f"{name}: the bot lacks {', '.join(lacking)}", subject)
    else:
        report.add("channel", "ok", f"{name}: the bot has every permission it needs", subject)


# ------------------------------------------------------------------ commands


async def current_tree_hash(settings: Settings) -> str:
    """The hash of the command tree this code would sync, built offline as `ask` builds
    it: the cogs loaded into a bot that never connects, over an empty in-memory store."""
    from bot.app.client import EXTENSIONS, EpisodeBot, command_tree_hash
    from bot.ingest.fetch import Fetcher
    from bot.ingest.importer import Importer
    from bot.store import Store

    async with await Store.open(":memory:") as store, Fetcher() as fetcher:
        bot = EpisodeBot(
            settings=settings, store=store, fetcher=fetcher, importer=Importer(store, fetcher)
        )
        async with bot:
            for extension in EXTENSIONS:
                await bot.load_extension(extension)
            return command_tree_hash(bot.tree)


async def check_commands(
    report: Report, settings: Settings, health: StoreHealth, identity: Identity | None
) -> None:
    if settings.dev_guild_id is not None:
        report.add(
            "commands",
            "ok",
            f"synced to the development server {settings.dev_guild_id} at every start",
        )
        return
    synced = {
        key.split(":", 1)[1]: value
        for key, value in health.state.items()
        if key.startswith(SYNC_HASH_KEY + ":")
    }
    if identity is not None:
        app_id: str | None = str(identity.application_id)
    elif len(synced) == 1:
        app_id = next(iter(synced))
    else:
        app_id = None
    stored = synced.get(app_id) if app_id is not None else None
    if stored is None:
        report.add(
            "commands",
            "fail",
            "never synced globally for this application: `episode-bot run` syncs them",
        )
        return
    try:
        current = await current_tree_hash(settings)
    except Exception as exc:
        report.add("commands", "fail", f"cannot build the command tree: {exc}")
        return
    if current == stored:
        report.add("commands", "ok", f"in sync (hash {current[:12]}, application {app_id})")
    else:
        report.add(
            "commands",
            "fail",
            f"changed since the last sync ({stored[:12]} synced, {current[:12]} now): "
            "restart the bot to sync them",
        )
