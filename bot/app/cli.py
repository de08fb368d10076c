"""The `episode-bot` command line: the SPEC's subcommands, exit codes and `--db` option.

Exit codes: 0 ok, 1 partial failure (some feed failed, the rest imported), 2 usage or
configuration error. The CLI prints its results; the bot itself only logs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from dotenv import load_dotenv

from bot.announce.poller import unexpected_error
from bot.app.settings import ConfigError, Settings
from bot.ingest.fetch import Fetcher
from bot.ingest.importer import Importer, ImportSummary, canonical_source
from bot.ops.log_format import configure_logging
from bot.store import Store, StoreError
from bot.store.base import scalar
from bot.transcripts.transcript_sync import TranscriptSync

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db", metavar="PATH", type=Path, help="the SQLite store (overrides DATABASE_PATH)"
    )
    parser = argparse.ArgumentParser(
        prog="episode-bot",
        description="A podcast's back catalogue as Discord slash commands.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    importing = commands.add_parser(
        "import", parents=[common], help="import feeds (URLs or file paths) into the store"
    )
    importing.add_argument("sources", nargs="+", metavar="SOURCE", help="feed URL or file path")
    importing.add_argument(
        "--offline",
        action="store_true",
        help="do not fetch chapter files or transcripts over the network "
        "(files beside a local feed are still read)",
    )
    importing.add_argument(
        "--force", action="store_true", help="re-read feeds even when they have not changed"
    )
    importing.add_argument(
        "--transcripts",
        action="store_true",
        help="then fetch and index the episodes' transcripts (podcast:transcript)",
    )

    commands.add_parser(
        "export", parents=[common], help="print every episode as JSON Lines (one object per line)"
    )

    asking = commands.add_parser(
        "ask",
        parents=[common],
        help="run a slash command offline against the store and print the reply",
        description="Run a slash command offline against the store and print the reply, "
        "e.g. episode-bot ask '/when topic:\"learning rates\"'",
    )
    asking.add_argument(
        "words",
        nargs="+",
        metavar="COMMAND",
        help="the command as typed in Discord: '/NAME option:value option:\"two words\"'",
    )
    asking.add_argument(
        "--json", action="store_true", help="print the exact message payloads Discord would get"
    )
    asking.add_argument(
        "--complete",
        action="store_true",
        help="print the autocomplete choices for the last option given",
    )
    asking.add_argument(
        "--message",
        metavar="TEXT",
        help="run a message command (e.g. 'Find moment') on a message with this text",
    )
    asking.add_argument(
        "--guild",
        metavar="ID",
        type=int,
        help="run as in this server (sees its feeds too); default: global feeds only",
    )

    running = commands.add_parser(
        "run", parents=[common], help="connect to Discord and serve (needs DISCORD_TOKEN)"
    )
    running.add_argument(
        "--sync",
        action="store_true",
        help="sync the slash commands globally even if they have not changed",
    )
    inviting = commands.add_parser(
        "invite",
        parents=[common],
        help="print the URL that adds the bot to a server (needs DISCORD_TOKEN)",
    )
    inviting.add_argument(
        "--mention-any-role",
        action="store_true",
        help="also ask for Mention @everyone, @here and All Roles (only needed to ping an "
        "announcement role that is not mentionable)",
    )
    backing_up = commands.add_parser(
        "backup",
        parents=[common],
        help="write a consistent copy of the store to DEST (safe while the bot runs)",
    )
    backing_up.add_argument(
        "dest",
        metavar="DEST",
        help="the copy's file name, or a folder (existing, or ending in /) to put a dated copy in",
    )
    doctoring = commands.add_parser(
        "doctor",
        parents=[common],
        help="check the configuration, token, store, feeds, channels and commands; "
        "exit 1 when something is wrong",
    )
    doctoring.add_argument("--json", action="store_true", help="print one JSON object")
    doctoring.add_argument(
        "--quick",
        action="store_true",
        help="only what needs no network: configuration and store (a container health check)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `episode-bot` and `python -m bot`; returns the exit code."""
    # `.env` in the working directory; the real environment wins over it.
    load_dotenv(Path.cwd() / ".env", override=False)
    args = build_parser().parse_args(argv)  # exits with 2 on a usage error
    try:
        settings = Settings.from_env(os.environ)
    except ConfigError as exc:
        if args.command == "doctor":  # what is wrong is the doctor's to say: exit 1
            from bot.ops.doctor import configuration_error, print_report

            print_report(configuration_error(str(exc)), sys.stdout, as_json=args.json)
            return EXIT_PARTIAL
        print(f"episode-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    # The CLI prints its results; its log shows only problems unless LOG_LEVEL asks for
    # more. The bot (`run`) logs at LOG_LEVEL, INFO by default.
    quiet = args.command != "run" and not os.environ.get("LOG_LEVEL")
    configure_logging(
        "WARNING" if quiet else settings.log_level, settings.log_format, stream=sys.stderr
    )
    db_path = args.db or settings.database_path
    handler = {
        "import": _import,
        "export": _export,
        "ask": _ask,
        "run": _run,
        "invite": _invite,
        "backup": _backup,
        "doctor": _doctor,
    }[args.command]
    try:
        return asyncio.run(handler(args, settings, db_path))
    except (StoreError, sqlite3.Error) as exc:
        if is_read_only(exc):
            print(
                f"episode-bot: the store at {db_path} is read-only: {args.command} needs to "
                "write to it (make it, and its -wal and -shm files, writable by this user, "
                "or give another --db)",
                file=sys.stderr,
            )
        elif isinstance(exc, StoreError):
            print(f"episode-bot: {exc}", file=sys.stderr)
        else:
            raise
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def is_read_only(exc: BaseException) -> bool:
    """Whether SQLite refused a write because the store cannot be written (a read-only file
    or file system), here or in the error this one replaced."""
    seen: BaseException | None = exc
    visited: set[int] = set()
    while seen is not None and id(seen) not in visited:
        visited.add(id(seen))
        code = getattr(seen, "sqlite_errorcode", None)
        # The primary code: SQLITE_READONLY_DBMOVED and the like are read-only too.
        if (
            isinstance(seen, sqlite3.Error)
            and code is not None
            and code & 0xFF == sqlite3.SQLITE_READONLY
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class _RolledBack(Exception):
    pass


async def require_writable(store: Store) -> None:
    """Raise SQLite's read-only error now, before any work, if the store can't be written:
    the schema version is rewritten with its own value in a transaction rolled back."""
    try:
        async with store.transaction() as db:
            version = int(await scalar(db, "PRAGMA user_version"))
            await db.execute(f"PRAGMA user_version = {version}")
            raise _RolledBack
    except _RolledBack:
        pass


def require_store_file(db_path: Path) -> None:
    """Refuse an empty file as a store, as a missing one is (`Store.open(create=False)`):
    SQLite would take it for an empty database and migrate it into a new, empty store.
    A missing file is left to `Store.open`, which says the same."""
    path = str(db_path)
    if path == ":memory:":
        return
    try:
        empty = os.path.getsize(path) == 0
        # Committed pages may still be only in the write-ahead log beside it.
        empty = empty and not (os.path.exists(path + "-wal") and os.path.getsize(path + "-wal"))
    except OSError:
        return
    if empty:
        raise StoreError(
            f"there is no store at {path}: import a feed first (episode-bot import SOURCE)"
        )


async def import_sources(
    sources: Sequence[str],
    store: Store,
    fetcher: Fetcher,
    *,
    offline: bool = False,
    force: bool = False,
    transcripts: bool = False,
    out: TextIO | None = None,
    progress_stream: TextIO | None = None,
    importer: Importer | None = None,
) -> int:
    """Import each source, print a one-line summary per feed; the exit code.

    Each source is imported on its own: one that fails, even by raising (a bug its content
    triggers), gets its line and the next is imported. Only a store that can't be used
    (read-only, broken) stops the run. With `transcripts`, each imported feed's
    transcripts are then fetched and indexed, with a second line per feed counting them.
    """
    out = out or sys.stdout
    progress_stream = progress_stream or sys.stderr
    importer = importer or Importer(store, fetcher, remote_files=not offline)
    sync = TranscriptSync(store, fetcher, remote_files=not offline) if transcripts else None
    failed = 0
    for index, source in enumerate(sources, start=1):
        bar = ProgressBar(progress_stream, prefix=f"[{index}/{len(sources)}]", name=source)
        try:
            summary: ImportSummary = await importer.import_source(source, progress=bar, force=force)
        except Exception as exc:
            _raise_if_fatal(exc)
            summary = ImportSummary(source=_source_name(source), error=unexpected_error(exc))
            # The traceback is for whoever fixes the bug: LOG_LEVEL=DEBUG shows it.
            log.debug("importing %s raised", source, exc_info=True)
        finally:
            bar.clear()
        print(summary.line(), file=out, flush=True)
        failed += not summary.ok
        if sync is not None and summary.ok and summary.feed_id is not None:
            name = summary.title or summary.source
            try:
                synced = await sync.sync_feed(summary.feed_id, force=force)
            except Exception as exc:
                _raise_if_fatal(exc)
                log.debug("fetching the transcripts of %s raised", source, exc_info=True)
                print(f"{name}: transcripts: failed: {unexpected_error(exc)}", file=out)
                failed += 1
                continue
            synced.source = name
            print(synced.line(), file=out, flush=True)
    await store.optimize_search_indexes()  # a bulk write: leave the indexes compact
    return EXIT_PARTIAL if failed else EXIT_OK


def _raise_if_fatal(exc: Exception) -> None:
    """A store that can't be written or used fails every source alike: stop (exit 2)."""
    if isinstance(exc, StoreError) or is_read_only(exc):
        raise exc


def _source_name(source: str) -> str:
    """The source as its summary line names it (a path made absolute), or as given."""
    try:
        return canonical_source(source)
    except Exception:  # the same bug may be in naming it
        return source


async def _import(args: argparse.Namespace, settings: Settings, db_path: Path) -> int:
    async with await Store.open(db_path) as store, Fetcher() as fetcher:
        await require_writable(store)  # one line now, not a failure per source
        return await import_sources(
            args.sources,
            store,
            fetcher,
            offline=args.offline,
            force=args.force,
            transcripts=args.transcripts,
        )


async def _export(args: argparse.Namespace, settings: Settings, db_path: Path) -> int:
    await asyncio.to_thread(require_store_file, db_path)
    async with await Store.open(db_path, create=False) as store:
        async for row in store.export_rows():
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        # Then members' saved moments: objects of their own type ("type": "saved_moment").
        async for moment in store.export_saved_moments():
            sys.stdout.write(json.dumps(moment, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return EXIT_OK


async def _ask(args: argparse.Namespace, settings: Settings, db_path: Path) -> int:
    # Imported here: it loads discord.py and the cogs, which import and export don't need.
    from bot.ask.offline import AskError, ask

    await asyncio.to_thread(require_store_file, db_path)
    try:
        return await ask(
            args.words,
            settings=settings,
            db_path=db_path,
            guild_id=args.guild,
            as_json=args.json,
            complete=args.complete,
            message=args.message,
            out=sys.stdout,
            err=sys.stderr,
        )
    except AskError as exc:
        print(f"episode-bot ask: {exc}", file=sys.stderr)
        return EXIT_USAGE


async def _run(args: argparse.Namespace, settings: Settings, db_path: Path) -> int:
    # Imported here, like `ask`: discord.py and the cogs are only needed to serve.
    from bot.app.runner import RunError, run_bot

    if await asyncio.to_thread(os.path.exists, db_path):
        # The bot writes as it serves (polls, announcements): refuse a read-only store
        # now, in one line, rather than log its errors on every tick.
        async with await Store.open(db_path) as store:
            await require_writable(store)
    try:
        return await run_bot(settings, db_path, force_sync=args.sync)
    except RunError as exc:
        print(f"episode-bot: {exc}", file=sys.stderr)
        return exc.code


async def _invite(args: argparse.Namespace, settings: Settings, db_path: Path) -> int:
    from bot.app.runner import RunError, invite

    try:
        url, note = await invite(settings, mention_any_role=args.mention_any_role)
    except RunError as exc:
        print(f"episode-bot: {exc}", file=sys.stderr)
        return exc.code
    if note:
        print(f"episode-bot: {note}", file=sys.stderr)
    print(url)
    return EXIT_OK


async def _backup(args: argparse.Namespace, settings: Settings, db_path: Path) -> int:
    from bot.ops.backup import BackupError, backup_store_async

    dest = Path(args.dest)
    try:
        if args.dest.endswith(("/", os.sep)):
            await asyncio.to_thread(dest.mkdir, parents=True, exist_ok=True)
        result = await backup_store_async(db_path, dest)
    except BackupError as exc:
        print(f"episode-bot backup: {exc}", file=sys.stderr)
        return EXIT_PARTIAL
    print(f"backed up {db_path} to {result.path} ({result.size} bytes, integrity ok)")
    return EXIT_OK


async def _doctor(args: argparse.Namespace, settings: Settings, db_path: Path) -> int:
    from bot.ops.doctor import diagnose, print_report

    report = await diagnose(settings, db_path, os.environ, quick=args.quick)
    print_report(report, sys.stdout, as_json=args.json)
    return EXIT_OK if report.ok else EXIT_PARTIAL


class ProgressBar:
    """A one-line progress bar on a terminal; silent when the stream is not a terminal."""

    WIDTH = 24

    def __init__(self, stream: TextIO, prefix: str, name: str = ""):
        self._stream = stream
        name = name if len(name) <= 40 else "…" + name[-39:]
        self._prefix = f"{prefix} {name}".strip()
        self._active = stream.isatty()
        self._drawn = False

    def __call__(self, label: str, done: int, total: int) -> None:
        if not self._active or total <= 0:
            return
        filled = self.WIDTH * done // total
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self._stream.write(f"\r{self._prefix} [{bar}] {done}/{total} {label}\x1b[K")
        self._stream.flush()
        self._drawn = True

    def clear(self) -> None:
        if self._drawn:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
            self._drawn = False
