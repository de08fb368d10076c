"""LOG_FORMAT=json: one object per line with its context; a slow command logged once,
with its name and options but never what the member typed."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys

import pytest

import bot.app.tree
from bot.app.settings import Settings
from bot.ask.offline import run_command
from bot.ingest.fetch import Fetcher
from bot.ingest.importer import Importer
from bot.ops.log_format import JsonFormatter
from tests.support.catalogues import example_store_file
from tests.support.cog_calls import RecordingBot, open_copy
from tests.support.paths import PROJECT


def record(message="fetched %s", args=("x",), **extra) -> logging.LogRecord:
    made = logging.LogRecord("bot.announce.poller", logging.INFO, __file__, 1, message, args, None)
    for name, value in extra.items():
        setattr(made, name, value)
    return made


def test_a_json_line_has_time_level_logger_and_message():
    line = JsonFormatter().format(record())
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "INFO" and entry["logger"] == "bot.announce.poller"
    assert entry["message"] == "fetched x"
    assert entry["time"].endswith("+00:00") and "T" in entry["time"]
    assert set(entry) == {"time", "level", "logger", "message"}


def test_a_json_line_carries_the_context_given_in_extra_and_nothing_else():
    entry = json.loads(
        JsonFormatter().format(
            record(guild=123, feed=7, command="when", shard=0, token="never", member_text="no")
        )
    )
    assert entry["guild"] == 123 and entry["feed"] == 7
    assert entry["command"] == "when" and entry["shard"] == 0
    assert "token" not in entry and "member_text" not in entry


def test_a_json_line_keeps_a_traceback_on_one_line():
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        made = record()
        made.exc_info = sys.exc_info()
    line = JsonFormatter().format(made)
    assert "\n" not in line
    assert "ValueError: boom" in json.loads(line)["error"]


async def test_the_cli_logs_json_lines_when_log_format_is_json(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "FEEDS")}
    env |= {"LOG_FORMAT": "json", "LOG_LEVEL": "INFO"}
    process = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "bot", "import", "--db", str(tmp_path / "s.db")],
        str(tmp_path / "missing.xml"),
        cwd=tmp_path,
        env=env | {"PYTHONPATH": str(PROJECT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await process.communicate()
    lines = err.decode().splitlines()
    assert lines, "nothing was logged"
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert any("missing.xml" in e["message"] for e in entries)
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)


@pytest.fixture(scope="module")
def example_store(tmp_path_factory):
    return example_store_file(tmp_path_factory.mktemp("example"))


async def test_a_slow_command_is_logged_once_with_its_options_but_not_their_values(
    example_store, tmp_path, monkeypatch, caplog
):
    monkeypatch.setattr(bot.app.tree, "SLOW_COMMAND_SECONDS", 0.0)  # every command is slow
    store = await open_copy(example_store, tmp_path)
    fetcher = Fetcher()
    client = RecordingBot(
        settings=Settings(), store=store, fetcher=fetcher, importer=Importer(store, fetcher)
    )
    try:
        async with client:
            await client.load_extension("cogs.search")
            caplog.set_level(logging.WARNING, logger="bot.app.tree")
            await run_command(client, ["/search", "query:my private words"])
    finally:
        await fetcher.close()
        await store.close()
    slow = [r for r in caplog.records if r.name == "bot.app.tree"]
    assert len(slow) == 1
    line = JsonFormatter().format(slow[0])
    entry = json.loads(line)
    assert entry["command"] == "search" and "seconds" in entry
    assert "query" in entry["message"] and "/search" in entry["message"]
    assert "private" not in line


async def test_a_command_under_the_threshold_is_not_logged(
    example_store, tmp_path, monkeypatch, caplog
):
    monkeypatch.setattr(bot.app.tree, "SLOW_COMMAND_SECONDS", 30.0)
    store = await open_copy(example_store, tmp_path)
    fetcher = Fetcher()
    client = RecordingBot(
        settings=Settings(), store=store, fetcher=fetcher, importer=Importer(store, fetcher)
    )
    try:
        async with client:
            await client.load_extension("cogs.search")
            await run_command(client, ["/search", "query:learning"])
    finally:
        await fetcher.close()
        await store.close()
    assert not [r for r in caplog.records if r.name == "bot.app.tree"]
