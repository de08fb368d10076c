"""Import: every real fixture feed, idempotent re-imports, updates, failures that lose nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.ingest.fetch import Fetcher
from bot.ingest.importer import Importer, assign_keys, infer_numbers, title_number
from bot.models.parsed_feed import ParsedEpisode
from bot.store import Store
from tests.support.paths import EXAMPLES, SHARED_FIXTURES, fixture_feed, shared_fixtures_or_skip


def item_count(path: Path) -> int:
    """Counted independently of the parser: the `<item>` (or Atom `<entry>`) start tags."""
    data = path.read_bytes()
    return len(re.findall(rb"<item[\s>]", data)) or len(re.findall(rb"<entry[\s>]", data))


def all_fixture_feeds() -> list[Path]:
    feeds = SHARED_FIXTURES / "feeds"
    return sorted(feeds.iterdir()) if feeds.is_dir() else []


@pytest.fixture
async def importer(store):
    async with Fetcher() as fetcher:
        yield Importer(store, fetcher, remote_files=False)


async def episode_count(store: Store) -> int:
    return (await store.fetchone("SELECT count(*) FROM episodes"))[0]


@pytest.mark.parametrize("feed", all_fixture_feeds(), ids=lambda p: p.name.split("__")[-1])
async def test_every_fixture_feed_imports_every_item_and_reimports_as_a_no_op(importer, feed):
    first = await importer.import_source(str(feed))
    assert first.ok, first.line()
    assert first.new == item_count(feed)
    assert first.title

    again = await importer.import_source(str(feed))
    assert (again.new, again.updated, again.unchanged) == (0, 0, first.new)
    assert again.not_modified

    # Even re-parsed from scratch, nothing differs: the parse is deterministic.
    forced = await importer.import_source(str(feed), force=True)
    assert (forced.new, forced.updated, forced.unchanged) == (0, 0, first.new)


def test_fixture_feeds_are_present_or_the_suite_says_why():
    shared_fixtures_or_skip()
    assert len(all_fixture_feeds()) >= 40


async def test_a_changed_feed_reports_new_updated_and_keeps_vanished_episodes(
    importer, store, tmp_path
):
    feed = tmp_path / "show.xml"
    feed.write_text(make_feed(ITEM_A, ITEM_B), encoding="utf-8")
    first = await importer.import_source(str(feed))
    assert (first.new, first.updated) == (2, 0)

    changed_b = ITEM_B.replace("Talking about dropout.", "Talking about dropout and warmup.")
    feed.write_text(make_feed(ITEM_C, changed_b), encoding="utf-8")  # A vanished, C is new
    second = await importer.import_source(str(feed))
    assert (second.new, second.updated, second.unchanged) == (1, 1, 0)
    titles = [
        row["title"] for row in await store.fetchall("SELECT title FROM episodes ORDER BY id")
    ]
    assert titles == ["A: First", "B: Second", "C: Third"]
    notes = await store.fetchone("SELECT notes_text FROM episodes WHERE guid = 'b'")
    assert "warmup" in notes["notes_text"]


async def test_updated_notes_re_derive_the_chapters(importer, store, tmp_path):
    feed = tmp_path / "show.xml"
    listed = ITEM_A.replace("Hello.", "Chapters:\n0:00 Intro\n5:00 Wide networks\n12:30 Kernels\n")
    feed.write_text(make_feed(listed), encoding="utf-8")
    await importer.import_source(str(feed))
    relisted = listed.replace("12:30 Kernels", "12:30 Kernels\n20:00 Questions")
    feed.write_text(make_feed(relisted), encoding="utf-8")
    summary = await importer.import_source(str(feed))
    assert summary.updated == 1
    rows = await store.fetchall("SELECT start, title, source FROM chapters ORDER BY position")
    assert [(r["start"], r["title"], r["source"]) for r in rows] == [
        (0.0, "Intro", "notes"),
        (300.0, "Wide networks", "notes"),
        (750.0, "Kernels", "notes"),
        (1200.0, "Questions", "notes"),
    ]


async def test_a_broken_feed_is_a_clear_error_and_keeps_the_stored_episodes(
    importer, store, tmp_path
):
    feed = tmp_path / "show.xml"
    feed.write_text(make_feed(ITEM_A, ITEM_B), encoding="utf-8")
    await importer.import_source(str(feed))
    feed.write_text("<html><body>502 Bad Gateway</body></html>", encoding="utf-8")
    summary = await importer.import_source(str(feed))
    assert not summary.ok
    assert str(feed) in summary.line() and "failed" in summary.line()
    assert "\n" not in summary.line()
    assert await episode_count(store) == 2
    (record,) = await store.feeds()
    assert record.last_error == summary.error


async def test_a_file_url_names_the_same_feed_as_its_path(importer, store, tmp_path):
    folder = tmp_path / "my show"
    folder.mkdir()
    (folder / "show.xml").write_text(make_feed(ITEM_A), encoding="utf-8")
    by_url = await importer.import_source((folder / "show.xml").as_uri())  # `my%20show`
    by_path = await importer.import_source(str(folder / "show.xml"))
    assert (by_url.ok, by_url.new) == (True, 1)
    assert by_path.source == by_url.source == str((folder / "show.xml").resolve())
    assert by_path.not_modified


async def test_a_missing_file_is_an_error_that_creates_no_feed(importer, store, tmp_path):
    summary = await importer.import_source(str(tmp_path / "nope.xml"))
    assert not summary.ok
    assert await store.feeds() == []


async def test_a_crash_while_storing_leaves_the_store_as_it_was(
    importer, store, tmp_path, monkeypatch
):
    from bot.store import episode_writes

    feed = tmp_path / "show.xml"
    feed.write_text(make_feed(ITEM_A), encoding="utf-8")
    await importer.import_source(str(feed))
    feed.write_text(make_feed(ITEM_B, ITEM_A.replace("Hello.", "Changed.")), encoding="utf-8")

    async def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(episode_writes, "_insert_episode_children", crash)
    with pytest.raises(RuntimeError):
        await importer.import_source(str(feed))
    rows = await store.fetchall("SELECT guid, notes_text FROM episodes")
    assert [(r["guid"], r["notes_text"]) for r in rows] == [("a", "Hello.")]


async def test_example_feed_takes_chapters_from_files_beside_it(importer, store):
    summary = await importer.import_source(str(EXAMPLES / "feed.xml"))
    assert summary.ok and summary.new > 20
    sources = {
        row["source"] for row in await store.fetchall("SELECT DISTINCT source FROM chapters")
    }
    assert sources == {"psc", "json", "notes"}
    errors = await store.fetchall(
        "SELECT title, chapters_error FROM episodes WHERE chapters_error IS NOT NULL"
    )
    assert errors == []


async def test_json_chapters_fall_back_to_the_notes_when_the_file_is_missing(
    importer, store, tmp_path
):
    feed = tmp_path / "show.xml"
    item = ITEM_A.replace("Hello.", "0:00 Intro\n5:00 Middle\n9:00 End").replace(
        "</item>", '<podcast:chapters url="missing.json" type="application/json"/></item>'
    )
    feed.write_text(make_feed(item), encoding="utf-8")
    await importer.import_source(str(feed))
    row = await store.fetchone("SELECT chapters_error FROM episodes")
    assert "missing.json" in row["chapters_error"]
    titles = [r["title"] for r in await store.fetchall("SELECT title FROM chapters")]
    assert titles == ["Intro", "Middle", "End"]


async def test_json_chapters_win_over_notes_chapters(importer, store, tmp_path):
    feed = tmp_path / "show.xml"
    (tmp_path / "chapters.json").write_text(
        '{"version":"1.2.0","chapters":[{"startTime":0,"title":"Cold open"},'
        '{"startTime":62.5,"title":"Hidden","toc":false},{"startTime":90,"title":"Main"}]}',
        encoding="utf-8",
    )
    item = ITEM_A.replace("Hello.", "0:00 Intro\n5:00 Middle\n9:00 End").replace(
        "</item>", '<podcast:chapters url="chapters.json" type="application/json"/></item>'
    )
    feed.write_text(make_feed(item), encoding="utf-8")
    await importer.import_source(str(feed))
    rows = await store.fetchall("SELECT start, title, source FROM chapters ORDER BY position")
    assert [(r["start"], r["title"], r["source"]) for r in rows] == [
        (0.0, "Cold open", "json"),
        (90.0, "Main", "json"),
    ]


# ---------------------------------------------------------------------- keys and numbers


def episode(title="T", guid=None, audio=None, link=None) -> ParsedEpisode:
    return ParsedEpisode(title=title, guid=guid, audio_url=audio, link=link)


def test_keys_fall_back_from_duplicate_guids_to_enclosure_link_and_hash():
    items = [
        episode("One", guid="same", audio="https://x/1.mp3"),
        episode("Two", guid="same", audio="https://x/2.mp3"),
        episode("Three", link="https://x/3"),
        episode("Four"),
        episode("Five", guid="five"),
    ]
    keys = assign_keys(items)
    assert keys[:3] == ["audio:https://x/1.mp3", "audio:https://x/2.mp3", "link:https://x/3"]
    assert keys[3].startswith("hash:")
    assert keys[4] == "five"
    assert len(set(keys)) == 5


def test_truly_identical_items_share_a_key():
    keys = assign_keys([episode("Same"), episode("Same")])
    assert keys[0] == keys[1]


@pytest.mark.parametrize(
    ("title", "number"),
    [
        ("#498 – Anthony Kaldellis: Roman Empire", 498),
        ("Episode 220 - Epstein and Eugenics", 220),
        ("Ep 458: Brian Woods - Head of School", 458),
        ("100: Goldilocks Fidelity (feat. Daniel Burka)", 100),
        ("158- Sandhogs", 158),
        ("Herding Code 99: David Ebbo on NuGet", 99),
        ("SE-Radio Episode 248: Axel Rauschmayer", 248),
        ("CRE207 Planetarien", 207),
        ("Naked Scientists 10.12.12 - Why's Graphene Great?", None),
        ("10 things I wish I knew", None),
        ("The 2020 election", None),
    ],
)
def test_title_numbers_in_the_common_forms(title, number):
    assert title_number(title) == number


def test_title_numbers_are_used_only_when_the_feed_numbers_consistently():
    numbered = [episode(f"#{n} – Guest {n}") for n in (3, 2, 1)]
    assert infer_numbers(numbered) == [3, 2, 1]
    listicles = [episode("10 tips for sleep"), episode("A talk"), episode("Another talk")]
    assert infer_numbers(listicles) == [None, None, None]


async def test_lexfridman_episodes_get_their_numbers_from_titles(importer, store):
    await importer.import_source(str(fixture_feed("lexfridman")))
    row = await store.fetchone("SELECT title FROM episodes WHERE number = 498")
    assert row["title"].startswith("#498 – Anthony Kaldellis")


# ---------------------------------------------------------------------- a tiny feed

ITEM_A = """<item><title>A: First</title><guid>a</guid><description>Hello.</description>
<itunes:duration>30:00</itunes:duration>
<enclosure url="https://example.com/a.mp3" type="audio/mpeg" length="1"/></item>"""
ITEM_B = """<item><title>B: Second</title><guid>b</guid>
<description>Talking about dropout.</description>
<enclosure url="https://example.com/b.mp3" type="audio/mpeg" length="1"/></item>"""
ITEM_C = """<item><title>C: Third</title><guid>c</guid><description>New.</description>
<enclosure url="https://example.com/c.mp3" type="audio/mpeg" length="1"/></item>"""


def make_feed(*items: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" '
        'xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel>'
        "<title>Test Show</title><link>https://example.com</link>"
        + "".join(items)
        + "</channel></rss>"
    )


# ---------------------------------------------------------------------- chapter files


def chaptered_item(n: int, url: str) -> str:
    return (
        f"<item><title>Ep {n}</title><guid>g{n}</guid><description>0:00 Intro\n5:00 Middle\n"
        f"9:00 End</description><enclosure url='https://example.com/{n}.mp3' type='audio/mpeg'/>"
        f'<podcast:chapters url="{url}" type="application/json"/></item>'
    )


async def chapter_errors(store: Store) -> list[str | None]:
    rows = await store.fetchall("SELECT chapters_error FROM episodes ORDER BY guid")
    return [row["chapters_error"] for row in rows]


async def test_a_failed_chapters_file_is_retried_and_is_an_update_once_it_works(
    importer, store, tmp_path
):
    feed = tmp_path / "show.xml"
    feed.write_text(make_feed(chaptered_item(1, "chapters.json")), encoding="utf-8")
    first = await importer.import_source(str(feed))
    assert first.new == 1 and "file not found" in (await chapter_errors(store))[0]

    # The feed's bytes change (so it is re-read) but the item does not.
    feed.write_text(make_feed(chaptered_item(1, "chapters.json")) + "\n", encoding="utf-8")
    still_missing = await importer.import_source(str(feed))
    assert (still_missing.updated, still_missing.unchanged) == (0, 1)

    (tmp_path / "chapters.json").write_text(
        '{"chapters": [{"startTime": 0, "title": "Cold open"}]}', encoding="utf-8"
    )
    feed.write_text(make_feed(chaptered_item(1, "chapters.json")), encoding="utf-8")
    found = await importer.import_source(str(feed))
    assert (found.updated, found.unchanged, found.chapters) == (1, 0, 1)
    assert await chapter_errors(store) == [None]
    rows = await store.fetchall("SELECT title, source FROM chapters")
    assert [(r["title"], r["source"]) for r in rows] == [("Cold open", "json")]


async def test_a_chapters_file_over_the_cap_keeps_the_notes_chapters(importer, store, tmp_path):
    feed = tmp_path / "show.xml"
    (tmp_path / "huge.json").write_bytes(b" " * (2 * 1024 * 1024 + 1))
    feed.write_text(make_feed(chaptered_item(1, "huge.json")), encoding="utf-8")
    await importer.import_source(str(feed))
    assert await chapter_errors(store) == ["response larger than 2 MB"]
    titles = [r["title"] for r in await store.fetchall("SELECT title FROM chapters")]
    assert titles == ["Intro", "Middle", "End"]


async def test_a_failing_chapters_host_is_given_up_on_after_three_failures(store, server):
    items = [chaptered_item(n, f"/chapters/{n}.json") for n in range(1, 21)]
    server.route("/feed.xml", make_feed(*items))
    for n in range(1, 21):
        server.route(f"/chapters/{n}.json", b"oops", status=500)
    async with Fetcher() as fetcher:
        summary = await Importer(store, fetcher).import_source(server.url("/feed.xml"))
    assert summary.ok and summary.new == 20
    errors = await chapter_errors(store)
    skipped = [e for e in errors if e == "skipped: 127.0.0.1 failed 3 times"]
    failed = [e for e in errors if e == "HTTP 500 Internal Server Error"]
    assert skipped and len(skipped) + len(failed) == 20
    fetched = [r for r in server.requests if r.path.startswith("/chapters/")]
    assert len(fetched) == len(failed) < 20
    # The notes' chapters stay where the file could not be had.
    assert summary.chapters == 20 * 3


async def test_an_offline_import_of_a_web_feed_fetches_no_chapter_files(importer, store, server):
    server.route("/feed.xml", make_feed(chaptered_item(1, "/chapters/1.json")))
    await importer.import_source(server.url("/feed.xml"))
    assert await chapter_errors(store) == ["not fetched (offline import)"]
    assert [r.path for r in server.requests] == ["/feed.xml"]
