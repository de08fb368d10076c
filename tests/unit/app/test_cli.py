"""The command line as a user runs it: import, export, --db, exit codes."""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from bot.app.cli import import_sources, main
from bot.ingest.fetch import Fetcher
from bot.ingest.importer import Importer
from bot.store import load_migrations
from tests.support.paths import EXAMPLES, PROJECT

# Each test in an empty folder (no stray .env) with no settings set.
pytestmark = pytest.mark.usefixtures("clean_environment")

EXAMPLE_FEED = str(EXAMPLES / "feed.xml")


def test_import_prints_one_summary_line_per_feed_and_exits_0(tmp_path, capsys):
    db = tmp_path / "x.db"
    assert main(["import", EXAMPLE_FEED, "--db", str(db), "--offline"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert " new, 0 updated, 0 unchanged" in out[0]
    assert "chapters found" in out[0]

    assert main(["import", EXAMPLE_FEED, "--db", str(db), "--offline"]) == 0
    again = capsys.readouterr().out
    assert "0 new, 0 updated" in again and "(not modified)" in again


def test_a_failing_feed_among_good_ones_exits_1_and_names_it(tmp_path, capsys):
    bad = tmp_path / "bad.xml"
    bad.write_text("this is not a feed", encoding="utf-8")
    code = main(["import", EXAMPLE_FEED, str(bad), "--db", str(tmp_path / "x.db"), "--offline"])
    assert code == 1
    first, second = capsys.readouterr().out.strip().splitlines()
    assert "new" in first
    assert str(bad) in second and "failed" in second


def test_database_path_comes_from_the_environment_unless_db_is_given(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "env" / "store.db"))
    assert main(["import", EXAMPLE_FEED, "--offline"]) == 0
    assert (tmp_path / "env" / "store.db").exists()
    assert main(["import", EXAMPLE_FEED, "--offline", "--db", str(tmp_path / "flag.db")]) == 0
    assert (tmp_path / "flag.db").exists()


def test_export_prints_the_spec_schema_as_json_lines(tmp_path, capsys):
    db = str(tmp_path / "x.db")
    main(["import", EXAMPLE_FEED, "--db", db, "--offline"])
    capsys.readouterr()
    assert main(["export", "--db", db]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) > 20
    expected_keys = {
        "feed",
        "guid",
        "title",
        "number",
        "season",
        "published",
        "duration",
        "link",
        "audio_url",
        "image",
        "chapters",
        "persons",
        "transcript_url",
        "transcript",
    }
    for row in rows:
        assert set(row) == expected_keys
        assert row["feed"] == EXAMPLE_FEED
        if row["published"] is not None:
            assert row["published"].endswith("Z") and "T" in row["published"]
        assert row["duration"] is None or isinstance(row["duration"], int)
        for chapter in row["chapters"]:
            assert set(chapter) == {"start", "title", "source"}
            assert chapter["source"] in {"json", "psc", "notes", "transcript"}
        for person in row["persons"]:
            assert set(person) == {"name", "role"}
    assert any(row["chapters"] for row in rows)
    assert any(p["role"] == "guest" for row in rows for p in row["persons"])


def test_a_bad_setting_is_a_one_line_error_and_exit_2(monkeypatch, capsys):
    monkeypatch.setenv("POLL_INTERVAL_MINUTES", "soon")
    assert main(["export"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "POLL_INTERVAL_MINUTES" in err


def test_a_store_from_a_newer_version_is_exit_2(tmp_path, capsys):
    db = tmp_path / "new.db"
    raw = sqlite3.connect(db)
    raw.execute("PRAGMA user_version = 999")
    raw.close()
    assert main(["export", "--db", str(db)]) == 2
    assert "newer episode-bot" in capsys.readouterr().err


def test_a_db_that_is_not_a_store_is_a_one_line_error_and_exit_2(tmp_path, capsys):
    # `--db` pointed at the feed by mistake: a clear line, not a traceback (or a hang).
    feed = tmp_path / "feed.xml"
    feed.write_bytes((EXAMPLES / "feed.xml").read_bytes())
    assert main(["export", "--db", str(feed)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"episode-bot: cannot open the store at {feed}: file is not a database"


def test_usage_errors_exit_2():
    with pytest.raises(SystemExit) as exit_info:
        main(["import"])
    assert exit_info.value.code == 2


def test_settings_come_from_a_dotenv_file_in_the_working_directory(tmp_path, capsys):
    (tmp_path / ".env").write_text(f"DATABASE_PATH={tmp_path / 'dotenv.db'}\n", encoding="utf-8")
    assert main(["import", EXAMPLE_FEED, "--offline"]) == 0
    assert (tmp_path / "dotenv.db").exists()


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as stderr is when a person runs the CLI."""

    def isatty(self) -> bool:
        return True


async def test_a_terminal_sees_a_progress_bar_per_feed_that_is_cleared_after(store):
    terminal, out = Terminal(), io.StringIO()
    async with Fetcher() as fetcher:
        code = await import_sources(
            [EXAMPLE_FEED, EXAMPLE_FEED],
            store,
            fetcher,
            offline=True,
            out=out,
            progress_stream=terminal,
            force=True,
        )
    assert code == 0
    drawn = terminal.getvalue()
    assert "[1/2] " in drawn and "[2/2] " in drawn and "feed.xml [" in drawn
    assert "[------------------------] 0/5 reading" in drawn
    assert "[########################] 5/5 done" in drawn
    assert drawn.endswith("\r\x1b[K")  # the bar is wiped before the summary line
    assert len(out.getvalue().splitlines()) == 2


async def test_a_pipe_gets_no_progress_bar(store):
    not_a_terminal = io.StringIO()
    async with Fetcher() as fetcher:
        await import_sources(
            [EXAMPLE_FEED],
            store,
            fetcher,
            offline=True,
            out=io.StringIO(),
            progress_stream=not_a_terminal,
        )
    assert not_a_terminal.getvalue() == ""


def test_export_of_a_store_that_does_not_exist_is_exit_2_and_creates_nothing(tmp_path, capsys):
    missing = tmp_path / "typo" / "store.db"
    assert main(["export", "--db", str(missing)]) == 2
    assert "there is no store at" in capsys.readouterr().err
    assert not missing.parent.exists()


# ---------------------------------------------------------------------- one bad source


def long_label_url() -> str:
    # A host label over 63 characters: the IDNA codec's UnicodeError escaped the fetcher
    # (issue 9). However the fetcher reports it, the command line gives it one line.
    return f"http://{'a' * 64}.example/feed.xml"


def test_a_source_that_raised_past_the_importer_is_one_line_and_the_rest_are_imported(
    tmp_path, capsys
):
    db = str(tmp_path / "x.db")
    assert main(["import", long_label_url(), EXAMPLE_FEED, "--db", db, "--offline"]) == 1
    captured = capsys.readouterr()
    first, second = captured.out.strip().splitlines()
    assert first.startswith(f"{long_label_url()}: failed: ")
    assert "new, 0 updated" in second  # the good feed after it is imported
    assert "Traceback" not in captured.err


class BuggyImporter(Importer):
    """The real importer over the real store, with a genuine bug that one source triggers
    (what any bug left in parsing or fetching does to the command line)."""

    async def import_source(self, source, **options):
        if source.endswith("buggy.xml"):
            b"\xed\xa0\x80".decode("utf-8")  # a lone surrogate: UnicodeDecodeError
        return await super().import_source(source, **options)


BUG = (
    "failed: unexpected UnicodeDecodeError: 'utf-8' codec can't decode byte 0xed in "
    "position 0: invalid continuation byte"
)


def test_a_bug_while_importing_one_source_is_one_line_and_the_others_are_imported(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr("bot.app.cli.Importer", BuggyImporter)
    db, buggy = str(tmp_path / "x.db"), str(tmp_path / "buggy.xml")
    assert main(["import", EXAMPLE_FEED, buggy, EXAMPLE_FEED, "--db", db, "--offline"]) == 1
    captured = capsys.readouterr()
    imported, failed, again = captured.out.strip().splitlines()
    assert "new, 0 updated" in imported
    assert failed == f"{buggy}: {BUG}"
    assert "(not modified)" in again  # the source after it is still read
    assert captured.err == ""  # no traceback
    assert main(["export", "--db", db]) == 0
    assert len(capsys.readouterr().out.splitlines()) > 20


def test_log_level_debug_shows_the_traceback_of_a_bug(tmp_path):
    # In its own process: logging is configured from LOG_LEVEL as when a person runs it.
    buggy = str(tmp_path / "buggy.xml")
    script = (
        "import sys, bot.app.cli, tests.unit.app.test_cli as t; "
        "bot.app.cli.Importer = t.BuggyImporter; "
        "sys.exit(bot.app.cli.main(sys.argv[1:]))"
    )
    args = ["import", buggy, "--db", str(tmp_path / "x.db"), "--offline"]
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    quiet, debug = (
        subprocess.run(
            [sys.executable, "-c", script, *args],
            cwd=tmp_path,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        for extra in ({}, {"LOG_LEVEL": "DEBUG"})
    )
    for done in (quiet, debug):
        assert done.returncode == 1, done.stderr
        assert done.stdout == f"{buggy}: {BUG}\n"
    assert quiet.stderr == ""
    assert "Traceback" in debug.stderr and "UnicodeDecodeError" in debug.stderr


async def test_import_sources_survives_a_bug_in_one_source(store, tmp_path):
    out = io.StringIO()
    buggy = str(tmp_path / "buggy.xml")
    async with Fetcher() as fetcher:
        code = await import_sources(
            [buggy, EXAMPLE_FEED],
            store,
            fetcher,
            importer=BuggyImporter(store, fetcher, remote_files=False),
            out=out,
            progress_stream=io.StringIO(),
        )
    assert code == 1
    failed, imported = out.getvalue().splitlines()
    assert failed == f"{buggy}: {BUG}"
    assert "new, 0 updated" in imported


# ---------------------------------------------------------------------- an empty file


@pytest.mark.parametrize("command", [["export"], ["ask", "/latest"]])
def test_an_empty_file_given_as_the_store_is_refused_like_a_missing_one(tmp_path, capsys, command):
    empty = tmp_path / "empty.db"
    empty.touch()
    assert main([*command, "--db", str(empty)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith(
        f"there is no store at {empty}: import a feed first (episode-bot import SOURCE)"
    )
    assert err.count("\n") == 0
    assert empty.stat().st_size == 0  # left as it was, not made into a store


def test_import_makes_an_empty_file_into_a_store(tmp_path, capsys):
    empty = tmp_path / "empty.db"
    empty.touch()
    assert main(["import", EXAMPLE_FEED, "--db", str(empty), "--offline"]) == 0
    assert main(["export", "--db", str(empty)]) == 0


# ---------------------------------------------------------------------- a read-only store


def run_without_write_permission(args: list[str], cwd) -> subprocess.CompletedProcess:
    """The CLI in a process that genuinely cannot write a file without write permission.

    Root writes any file whatever its mode, through CAP_DAC_OVERRIDE; as root (as these
    tests run in CI) the process is started with that capability dropped, so the kernel
    refuses it as it refuses any user. As another user `chmod` alone does it."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: root can write a read-only file")
        dropped = "-dac_override,-dac_read_search"
        prefix = [setpriv, f"--inh-caps={dropped}", f"--bounding-set={dropped}"]
    return subprocess.run(
        [*prefix, sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},  # this tree's code
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def read_only_store(tmp_path, capsys):
    """A store with the example feed, its file (and SQLite's files beside it) read-only;
    the folder stays writable."""
    db = tmp_path / "store.db"
    assert main(["import", EXAMPLE_FEED, "--db", str(db), "--offline"]) == 0
    capsys.readouterr()
    for path in tmp_path.glob("store.db*"):
        path.chmod(0o444)
    return db


@pytest.mark.parametrize(
    "command",
    [
        ["import", EXAMPLE_FEED, "--offline"],
        ["import", EXAMPLE_FEED, "--offline", "--force"],
        ["run"],
    ],
)
def test_a_command_that_writes_to_a_read_only_store_is_one_line_and_exit_2(
    read_only_store, tmp_path, monkeypatch, command
):
    monkeypatch.setenv("DISCORD_TOKEN", "not.a.token")
    done = run_without_write_permission([*command, "--db", str(read_only_store)], tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"episode-bot: the store at {read_only_store} is read-only: ")
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize("command", [["export"], ["ask", "/latest"]])
def test_commands_that_only_read_still_read_a_read_only_store(read_only_store, tmp_path, command):
    done = run_without_write_permission([*command, "--db", str(read_only_store)], tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) > 3  # the episodes, read as usual


@pytest.mark.parametrize("command", [["export"], ["ask", "/latest"]])
def test_a_read_only_store_that_needs_migrating_is_one_line_and_exit_2(tmp_path, command):
    # Written by an older episode-bot: opening it means upgrading its schema, a write.
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as raw:
        version, _, sql = load_migrations()[0]
        raw.executescript(sql)
        raw.execute(f"PRAGMA user_version = {version}")
    raw.close()
    db.chmod(0o444)
    done = run_without_write_permission([*command, "--db", str(db)], tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"episode-bot: the store at {db} is read-only: ")
    assert done.stderr.count("\n") == 1, done.stderr
