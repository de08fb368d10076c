"""The command line as a user runs it: import, export, --db, exit codes."""

from __future__ import annotations

import io
import json
import sqlite3

import pytest

from bot.cli import import_sources, main
from bot.fetch import Fetcher
from tests.conftest import EXAMPLES

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
