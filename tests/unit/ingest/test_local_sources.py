"""Feeds on disk, end to end: a local feed reads files from its own folder and nowhere else,
and a bad link in a feed (a file outside, a host name DNS can't take) is one line in the
output, not a traceback, a lost import or a secret in the search index."""

from __future__ import annotations

import io
import json
import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app.cli import import_sources, main
from bot.ingest.fetch import Fetcher
from bot.ingest.importer import Importer
from bot.store import Store
from bot.transcripts.transcript_search import transcript_moments
from tests.support.paths import EXAMPLES, PROJECT

pytestmark = pytest.mark.usefixtures("clean_environment")

SECRET = "FAKE.TOKEN.s3cr3t"
# The reproduction in issue 9, item 1.
ENV_FEED = """<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel><title>L</title>
<item><title>E</title><guid>e</guid><podcast:transcript url="/proc/self/environ" type="text/plain"/></item></channel></rss>
"""  # noqa: E501
LONG_LABEL_HOST = "a" * 64 + ".example"


def feed_xml(items: list[tuple[str, str]]) -> str:
    """A small RSS feed: (guid, the item's podcast:transcript / podcast:chapters tags)."""
    body = "".join(
        f"<item><title>Episode {guid}</title><guid>{guid}</guid>{tags}</item>"
        for guid, tags in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0" '
        'xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel>'
        f"<title>Local Show</title>{body}</channel></rss>"
    )


def transcript(url: str) -> str:
    return f'<podcast:transcript url="{url}" type="application/x-subrip"/>'


def chapters(url: str) -> str:
    return f'<podcast:chapters url="{url}" type="application/json+chapters"/>'


def srt(text: str) -> str:
    return f"1\n00:00:30,000 --> 00:00:33,000\nBo Chen: {text}\n"


def chapters_json(title: str) -> str:
    return json.dumps({"version": "1.2.0", "chapters": [{"startTime": 0, "title": title}]})


def store_mentions(db: Path, secret: str) -> list[str]:
    """Every table of the store whose rows hold `secret`, as text or in an FTS index's blobs."""
    found = []
    with sqlite3.connect(db) as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master")]
        for table in tables:
            try:
                rows = connection.execute(f'SELECT * FROM "{table}"').fetchall()
            except sqlite3.Error:  # an index, a trigger
                continue
            for row in rows:
                for value in row:
                    if (isinstance(value, str) and secret in value) or (
                        isinstance(value, bytes) and secret.encode() in value
                    ):
                        found.append(table)
    return found


# --------------------------------------------------------------------------- outside files


@pytest.mark.skipif(not Path("/proc/self/environ").is_file(), reason="needs Linux's /proc")
def test_the_reported_feed_cannot_put_the_bots_token_in_the_search_index(tmp_path, capsys):
    (tmp_path / "env.xml").write_text(ENV_FEED, encoding="utf-8")
    # The bot's own process, as in the report: the token is in its environment.
    environment = {**os.environ, "DISCORD_TOKEN": SECRET, "PYTHONPATH": str(PROJECT)}
    command = [sys.executable, "-m", "bot", "import", "--transcripts", "env.xml", "--db", "env.db"]

    run = subprocess.run(
        command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120
    )

    assert run.returncode in (0, 1), run.stderr
    assert "Traceback" not in run.stderr
    refusals = [line for line in run.stderr.splitlines() if "/proc/self/environ" in line]
    assert len(refusals) == 1, run.stderr
    folder = tmp_path.resolve()
    assert str(folder / "env.xml") in refusals[0]
    assert f"/proc/self/environ is outside the feed's folder {folder}; not read" in refusals[0]
    assert "transcripts: 0 indexed, 0 unchanged, 1 failed" in run.stdout
    assert "s3cr3t" not in run.stdout + run.stderr
    assert store_mentions(tmp_path / "env.db", "s3cr3t") == []

    code = main(["ask", "/when topic:DISCORD_TOKEN", "--db", str(tmp_path / "env.db")])

    assert code == 0
    assert "s3cr3t" not in capsys.readouterr().out


async def test_a_local_feed_indexes_nothing_from_outside_its_folder(tmp_path, caplog):
    show = tmp_path / "show"
    show.mkdir()
    secret = tmp_path / "secret.srt"
    secret.write_text(srt("the password is s3cr3t"), encoding="utf-8")
    (tmp_path / "chapters.json").write_text(chapters_json("s3cr3t chapter"), encoding="utf-8")
    (show / "inside.srt").write_text(srt("batch norm is older than you think"), encoding="utf-8")
    (show / "link.srt").symlink_to(secret)
    (show / "alias.srt").symlink_to(show / "inside.srt")
    refused = ["../secret.srt", str(secret), secret.as_uri(), "link.srt"]
    feed = show / "feed.xml"
    feed.write_text(
        feed_xml(
            [(f"t{i}", transcript(url)) for i, url in enumerate(refused)]
            + [("alias", transcript("alias.srt")), ("c", chapters("../chapters.json"))]
        ),
        encoding="utf-8",
    )
    out = io.StringIO()
    caplog.set_level(logging.WARNING)

    async with await Store.open(tmp_path / "store.db") as store, Fetcher() as fetcher:
        code = await import_sources([str(feed)], store, fetcher, transcripts=True, out=out)
        moments = await transcript_moments(store, "s3cr3t", guild_id=None)
        kept = await transcript_moments(store, "batch norm", guild_id=None)
        rows = [row async for row in store.export_rows()]
        errors = dict(await store.fetchall("SELECT guid, chapters_error FROM episodes"))

    imported, transcripts = out.getvalue().splitlines()
    assert code == 0
    assert "6 new" in imported
    assert transcripts.startswith("Local Show: transcripts: 1 indexed, 0 unchanged, 4 failed")
    assert moments == [] and len(kept) == 1
    assert "s3cr3t" not in json.dumps(rows)
    assert store_mentions(tmp_path / "store.db", "s3cr3t") == []
    assert (
        errors["c"] == f"../chapters.json is outside the feed's folder {show.resolve()}; not read"
    )
    # One warning per refused link, naming the feed and the link.
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    for url in [*refused, "../chapters.json"]:
        lines = [line for line in warnings if f" {url} is outside the feed's folder" in line]
        assert len(lines) == 1, (url, warnings)
        assert lines[0].startswith(f"{feed.resolve()}: ") and "\n" not in lines[0]
    assert len(warnings) == len(refused) + 1


# --------------------------------------------------------------------------- bad host names


async def test_a_chapters_link_with_a_bad_host_name_does_not_stop_the_import(tmp_path):
    (tmp_path / "chapters.json").write_text(chapters_json("Welcome"), encoding="utf-8")
    feed = tmp_path / "feed.xml"
    feed.write_text(
        feed_xml(
            [
                ("long", chapters(f"http://{LONG_LABEL_HOST}/c.json")),
                ("unicode", chapters("https://" + "é" * 60 + ".example/c.json")),
                ("bracket", chapters("http://[oops/c.json")),
                ("good", chapters("chapters.json")),
            ]
        ),
        encoding="utf-8",
    )

    async with await Store.open(tmp_path / "store.db") as store, Fetcher() as fetcher:
        summary = await Importer(store, fetcher).import_source(str(feed))
        errors = dict(await store.fetchall("SELECT guid, chapters_error FROM episodes"))

    assert summary.ok, summary.line()
    assert (summary.new, summary.chapters) == (4, 1)
    assert errors["long"].startswith("invalid host name in URL: aaaa")
    assert errors["long"].endswith("(a label is longer than 63 characters)")
    assert errors["unicode"].startswith("invalid host name in URL: éééé")
    assert errors["bracket"] == "invalid URL: http://[oops/c.json"
    assert errors["good"] is None


def test_import_of_a_bad_host_name_then_a_good_feed_imports_the_good_one(tmp_path, capsys):
    bad = f"http://{LONG_LABEL_HOST}/feed.xml"

    code = main(
        ["import", bad, str(EXAMPLES / "feed.xml"), "--db", str(tmp_path / "x.db"), "--offline"]
    )

    captured = capsys.readouterr()
    first, second = captured.out.strip().splitlines()
    assert code == 1
    assert first.startswith(f"{bad}: failed: invalid host name in URL: aaaa")
    assert first.endswith("(a label is longer than 63 characters)")
    assert second.startswith("Warm Restarts (") and " new," in second
    assert "Traceback" not in captured.err
