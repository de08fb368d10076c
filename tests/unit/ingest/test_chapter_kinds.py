"""Sponsor and ad chapters (issue 11), end to end: read from the notes, stored with their
kind, exported as `"kind": "ad"`, and marked in the /chapters reply; chapters past the
feed's stated duration are kept and marked."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.app.cli import import_sources
from bot.ingest.fetch import Fetcher
from bot.models.episode_views import ChapterEntry, EpisodeDetail, EpisodeSummary
from bot.store import Store
from bot.ui.render import chapter_line, episode_card, no_chapters_message

pytestmark = pytest.mark.usefixtures("clean_environment")

# Own notes: an ad break in the middle of a run-together list, and a duration tag (20
# minutes) shorter than the last chapter (a free preview's length).
FEED = """<?xml version="1.0"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>
<title>Kinds Show</title>
<item><title>Episode one</title><guid>one</guid><itunes:duration>1200</itunes:duration>
<description>Chapters: 0:00 Hello4:30 Sponsor: Acme Tools6:00 The workshop
31:15 Werbung33:00 Goodbye</description></item>
</channel></rss>
"""


async def test_ad_chapters_are_stored_exported_and_marked(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(FEED, encoding="utf-8")
    async with await Store.open(tmp_path / "store.db") as store, Fetcher() as fetcher:
        code = await import_sources([str(feed)], store, fetcher, out=io.StringIO())
        (row,) = [row async for row in store.export_rows()]
        episode_id = (await store.fetchall("SELECT id FROM episodes"))[0]["id"]
        entries = await store.chapter_entries(episode_id)

    assert code == 0
    assert row["chapters"] == [
        {"start": 0.0, "title": "Hello", "source": "notes"},
        {"start": 270.0, "title": "Sponsor: Acme Tools", "source": "notes", "kind": "ad"},
        {"start": 360.0, "title": "The workshop", "source": "notes"},
        {"start": 1875.0, "title": "Werbung", "source": "notes", "kind": "ad"},
        {"start": 1980.0, "title": "Goodbye", "source": "notes"},
    ]
    assert [(e.title, e.kind) for e in entries] == [
        ("Hello", "chapter"),
        ("Sponsor: Acme Tools", "ad"),
        ("The workshop", "chapter"),
        ("Werbung", "ad"),
        ("Goodbye", "chapter"),
    ]


SUMMARY = EpisodeSummary(
    id=1,
    feed_id=1,
    feed_title="Kinds Show",
    title="Episode one",
    number=None,
    number_label=None,
    season=None,
    published_at=None,
    duration=1200,
    episode_type="full",
    link=None,
    audio_url=None,
    image=None,
)


def test_the_reply_marks_an_ad_chapter() -> None:
    line = chapter_line(SUMMARY, ChapterEntry(270.0, "Sponsor: Acme Tools", "notes", kind="ad"))
    assert line.endswith("Sponsor: Acme Tools (ad)")


def test_the_reply_marks_a_chapter_past_the_stated_length() -> None:
    late = chapter_line(SUMMARY, ChapterEntry(1980.0, "Goodbye", "notes"))
    early = chapter_line(SUMMARY, ChapterEntry(360.0, "The workshop", "notes"))
    assert late.endswith("Goodbye (past the stated length)")
    assert "(past" not in early and "(ad)" not in early


# A chapters file that cannot be read, and notes with no list: the member is told why.
BROKEN_FILE_FEED = """<?xml version="1.0"?>
<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel>
<title>Broken Show</title>
<item><title>Episode two</title><guid>two</guid>
<podcast:chapters url="missing-chapters.json" type="application/json+chapters"/>
<description>We talk about 3:16 things.</description></item>
</channel></rss>
"""


async def test_a_failed_chapters_file_is_explained_on_the_card_and_in_chapters(
    tmp_path: Path,
) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(BROKEN_FILE_FEED, encoding="utf-8")
    async with await Store.open(tmp_path / "store.db") as store, Fetcher() as fetcher:
        await import_sources([str(feed)], store, fetcher, out=io.StringIO())
        episode_id = (await store.fetchall("SELECT id FROM episodes"))[0]["id"]
        detail = await store.episode_detail(episode_id)

    assert detail is not None and detail.chapter_count == 0
    assert detail.chapters_error  # kept for the logs; the member sees the plain sentence
    (field,) = [f for f in episode_card(detail).fields if f.name == "Chapters"]
    assert field.value == "The chapters file could not be loaded; the feed's notes have none"
    message = no_chapters_message(detail)
    assert "the chapters file could not be loaded; the feed's notes have none" in message
    assert str(tmp_path) not in message  # the reason, which may name a path, stays out


def test_without_a_failed_file_the_reply_still_says_no_chapters() -> None:
    detail = EpisodeDetail(SUMMARY, "", [], 0, False)
    assert "has no chapters in its feed" in no_chapters_message(detail)
