"""Stores for the catalogue tests: the example feed imported once per module, copied per
test, and small hand-written feeds for what the example does not have."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from bot.ingest.fetch import Fetcher
from bot.ingest.importer import Importer
from bot.store import Store
from tests.support.paths import EXAMPLES

HOSTS = ("Maren Achterberg", "Kwame Osei-Bonsu")


async def import_feeds(path: Path, *feeds: Path) -> None:
    async with await Store.open(path) as store, Fetcher() as fetcher:
        importer = Importer(store, fetcher, remote_files=False)
        for feed in feeds:
            summary = await importer.import_source(str(feed))
            assert summary.ok, summary.line()


def store_file(path: Path, *feeds: Path) -> Path:
    """A store file with these feeds imported (for a module-scoped fixture)."""
    asyncio.run(import_feeds(path, *feeds))
    return path


def example_store_file(folder: Path) -> Path:
    """The example feed imported into a store file (built once per test module)."""
    return store_file(folder / "example.db", EXAMPLES / "feed.xml")


def copy_store(source: Path, folder: Path) -> Path:
    """A private copy of a built store (for a test that writes)."""
    target = folder / source.name
    shutil.copy(source, target)
    return target


@dataclass
class Item:
    """One `<item>` of a hand-written feed."""

    title: str
    guid: str
    notes: str = ""
    number: int | None = None
    season: int | None = None
    guests: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    days: int = 0  # published this many days after 2024-01-01
    episode_type: str = "full"
    extra: list[str] = field(default_factory=list)


def rss(title: str, items: list[Item], *, language: str | None = None) -> str:
    """A small RSS 2.0 feed with the iTunes and Podcasting 2.0 tags the importer reads;
    `language`: its `<language>` (none by default, as many feeds)."""
    parts = []
    for item in items:
        published = datetime(2024, 1, 1, 12, tzinfo=UTC) + timedelta(days=item.days)
        people = [
            f'<podcast:person role="guest">{escape(name)}</podcast:person>' for name in item.guests
        ] + [f'<podcast:person role="host">{escape(name)}</podcast:person>' for name in item.hosts]
        tags = [
            f"<title>{escape(item.title)}</title>",
            f'<guid isPermaLink="false">{escape(item.guid)}</guid>',
            f"<pubDate>{format_datetime(published)}</pubDate>",
            f"<description>{escape(item.notes)}</description>",
            f'<enclosure url="https://example.com/{escape(item.guid)}.mp3" type="audio/mpeg" '
            'length="1"/>',
            "<itunes:duration>3600</itunes:duration>",
            f"<itunes:episodeType>{item.episode_type}</itunes:episodeType>",
            *people,
            *item.extra,
        ]
        if item.number is not None:
            tags.append(f"<itunes:episode>{item.number}</itunes:episode>")
        if item.season is not None:
            tags.append(f"<itunes:season>{item.season}</itunes:season>")
        parts.append("<item>" + "".join(tags) + "</item>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" '
        'xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel>'
        f"<title>{escape(title)}</title><link>https://example.com/</link>"
        + (f"<language>{escape(language)}</language>" if language else "")
        + "<description>A test show.</description>"
        + "".join(parts)
        + "</channel></rss>"
    )


def write_feed(
    folder: Path, name: str, title: str, items: list[Item], *, language: str | None = None
) -> Path:
    path = folder / name
    path.write_text(rss(title, items, language=language), encoding="utf-8")
    return path
