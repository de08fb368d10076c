"""Import limits (issue 9): huge notes, surrogate references, hostile chapter files and
chapter lists tens of thousands of lines long, through the real importer into a real store.

Each case is a reproduction scaled to run in well under a second; bench/bench_limits_import.py
measures the full-size ones (memory and time).
"""

from __future__ import annotations

import math

import pytest

from bot.common.plain_text import NOTES_CUT_MARK, NOTES_LIMIT
from bot.common.timefmt import parse_timestamp
from bot.ingest.fetch import Fetcher
from bot.ingest.importer import Importer
from bot.ingest.passages import _TIME, _by_second, _is_chapter_line, timed_passages
from bot.models.parsed_feed import Chapter
from bot.search.fts_query import fold
from bot.store import Store
from bot.ui.render import card_summary, episode_card


@pytest.fixture
async def importer(store):
    async with Fetcher() as fetcher:
        yield Importer(store, fetcher, remote_files=False)


def feed_xml(*items: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel>'
        "<title>Limits</title>" + "".join(items) + "</channel></rss>"
    )


def item(guid: str, description: str, extra: str = "") -> str:
    return (
        f"<item><title>Episode {guid}</title><guid>{guid}</guid>"
        f"<description>{description}</description>"
        f'<enclosure url="https://example.com/{guid}.mp3" type="audio/mpeg"/>{extra}</item>'
    )


async def notes_of(store: Store, guid: str) -> tuple[int, str, str]:
    row = await store.fetchone(
        "SELECT id, notes_html, notes_text FROM episodes WHERE guid = ?", (guid,)
    )
    assert row is not None, guid
    return row["id"], row["notes_html"], row["notes_text"]


# ---------------------------------------------------------------------- huge notes


async def test_huge_notes_are_stored_capped_and_the_card_renders(importer, store, tmp_path):
    paragraph = "&lt;p&gt;Lorem ipsum dolor sit amet, consectetur adipiscing elit.&lt;/p&gt;\n"
    huge = paragraph * (3_000_000 // len(paragraph))
    path = tmp_path / "huge.xml"
    path.write_text(feed_xml(item("huge", huge), item("small", "Small notes.")), "utf-8")

    summary = await importer.import_source(str(path))

    assert summary.ok and summary.new == 2, summary.line()
    episode_id, notes_html, notes_text = await notes_of(store, "huge")
    assert NOTES_LIMIT - 1000 < len(notes_html) <= NOTES_LIMIT
    assert len(notes_text) <= NOTES_LIMIT
    assert notes_text.startswith("Lorem ipsum dolor sit amet")
    assert notes_text.endswith("elit.\n\n[…]")
    assert (await notes_of(store, "small"))[1:] == ("Small notes.", "Small notes.")
    detail = await store.episode_detail(episode_id)
    assert detail is not None
    card = episode_card(detail)
    assert card.description and card.description.startswith("Lorem ipsum dolor sit amet")
    assert len(card_summary(detail.notes_text)) <= 450


async def test_notes_under_the_cap_are_stored_whole(importer, store, tmp_path):
    notes = "Word " * 10_000
    path = tmp_path / "show.xml"
    path.write_text(feed_xml(item("a", notes)), "utf-8")
    await importer.import_source(str(path))
    _, notes_html, notes_text = await notes_of(store, "a")
    assert notes_html == notes.strip()
    assert not notes_text.endswith(NOTES_CUT_MARK)


# ---------------------------------------------------------------------- surrogates


async def test_a_surrogate_reference_neither_aborts_the_import_nor_the_next_one(
    importer, store, tmp_path
):
    bad = tmp_path / "bad.xml"
    bad.write_text(
        feed_xml(
            item("plain", "Before &#xD800; after &#56320;."),
            item("cdata", "<![CDATA[<p>Before &#xD800; after.</p>]]>"),
        ),
        "utf-8",
    )
    good = tmp_path / "good.xml"
    good.write_text(feed_xml(item("next", "Fine.")), "utf-8")

    first = await importer.import_source(str(bad))
    second = await importer.import_source(str(good))

    assert first.ok and first.new == 2, first.line()
    assert second.ok and second.new == 1, second.line()
    assert (await notes_of(store, "plain"))[2] == "Before \ufffd after \ufffd."
    assert (await notes_of(store, "cdata"))[2] == "Before \ufffd after."
    hits = await store.fetchall(
        "SELECT rowid FROM episodes_fts WHERE episodes_fts MATCH ?", ('"before"',)
    )
    assert len(hits) == 2


async def test_a_lone_surrogate_in_a_chapters_file_is_stored_as_a_replacement(
    importer, store, tmp_path
):
    (tmp_path / "chapters.json").write_text(
        '{"chapters": [{"startTime": 0, "title": "Intro \\ud800"}]}', "utf-8"
    )
    path = tmp_path / "show.xml"
    chapters = '<podcast:chapters url="chapters.json" type="application/json"/>'
    path.write_text(feed_xml(item("a", "Notes.", chapters)), "utf-8")
    summary = await importer.import_source(str(path))
    assert summary.ok, summary.line()
    rows = await store.fetchall("SELECT title, source FROM chapters")
    assert [(r["title"], r["source"]) for r in rows] == [("Intro \ufffd", "json")]


# ---------------------------------------------------------------------- chapter files


async def test_a_chapters_file_nested_too_deeply_keeps_the_notes_chapters_and_the_feed(
    importer, store, tmp_path
):
    (tmp_path / "deep.json").write_text('{"chapters": ' + "[" * 100_000 + "]" * 100_000 + "}")
    chapters = '<podcast:chapters url="deep.json" type="application/json"/>'
    path = tmp_path / "show.xml"
    path.write_text(
        feed_xml(item("a", "0:00 Intro\n5:00 Middle\n9:00 End", chapters), item("b", "B.")),
        "utf-8",
    )

    first = await importer.import_source(str(path))
    assert first.ok and first.new == 2, first.line()
    row = await store.fetchone("SELECT chapters_error FROM episodes WHERE guid = 'a'")
    assert row["chapters_error"] == "not valid JSON: nested too deeply"
    titles = [r["title"] for r in await store.fetchall("SELECT title FROM chapters")]
    assert titles == ["Intro", "Middle", "End"]

    # The next poll retries the file, fails the same way, and the feed stays healthy.
    path.write_text(path.read_text("utf-8") + "\n", "utf-8")
    again = await importer.import_source(str(path))
    assert again.ok and (again.updated, again.unchanged) == (0, 2), again.line()
    feed = await store.fetchone("SELECT last_error FROM feeds")
    assert feed["last_error"] is None


# ---------------------------------------------------------------------- long chapter lists


def chapter_list(count: int) -> str:
    return "\n".join(
        f"{i // 3600}:{i // 60 % 60:02d}:{i % 60:02d} Topic number {i}" for i in range(count)
    )


async def test_a_chapter_list_longer_than_the_cap_gives_the_chapters_of_what_is_kept(
    importer, store, tmp_path
):
    lines = chapter_list(20_000)  # ~450 K characters: the cap keeps the first ~11,000
    notes = f"Intro prose. At 0:05 we start.\n{lines}"
    path = tmp_path / "show.xml"
    path.write_text(feed_xml(item("a", notes)), "utf-8")

    summary = await importer.import_source(str(path))

    assert summary.ok, summary.line()
    _, _, notes_text = await notes_of(store, "a")
    kept = notes_text.count("Topic number")
    assert 10_000 < kept < 20_000
    assert summary.chapters == kept
    last = await store.fetchone("SELECT start, title FROM chapters ORDER BY position DESC")
    assert (last["start"], last["title"]) == (kept - 1, f"Topic number {kept - 1}")


def test_lines_of_a_long_chapter_list_are_not_passages_but_prose_is():
    count = 30_000
    listed = [Chapter(float(i), f"Topic number {i}", "notes") for i in range(count)]
    notes = f"At 0:05 we start.\n{chapter_list(count)}\nAround 1:02:03 we disagree."
    passages = timed_passages(notes, listed)
    assert [(p.start, p.text) for p in passages] == [
        (5.0, "At 0:05 we start."),
        (3723.0, "Around 1:02:03 we disagree."),
    ]


def _is_chapter_line_by_scanning(line: str, listed: list[Chapter]) -> bool:
    """The chapter-line check as it was (a scan of the whole list for every line), to show
    that the indexed one answers the same."""
    folded = fold(line)
    for match in _TIME.finditer(line):
        start = parse_timestamp(match.group(1))
        if start is None:
            continue
        for chapter in listed:
            if abs(chapter.start - start) < 1.5 and fold(chapter.title) in folded:
                return True
    return False


LISTED = [
    Chapter(0.0, "Intro", "notes"),
    Chapter(59.9, "Zoë's warmup", "notes"),
    Chapter(61.3, "Decay", "notes"),
    Chapter(120.0, "Outro", "notes"),
    Chapter(3599.5, "Late", "notes"),
]


@pytest.mark.parametrize(
    "line",
    [
        "0:00 Intro",
        "Intro (0:01)",
        "1:00 Zoe's warmup",  # 59.9 is 0.1 s away; folded titles compare without accents
        "1:01 ZOË'S WARMUP and more",
        "1:01 Decay",  # 61.3 is 0.3 s away
        "0:59 Decay",  # 2.3 s away: not this chapter
        "1:59 Outro",
        "1:58 Outro",  # 2 s away
        "2:01 Outro",
        "2:01.4 Outro",  # 1.4 s away
        "2:01.5 Outro",  # 1.5 s away: not any more
        "59:58 Late",
        "1:00:00 Late",
        "1:00:01 Late",
        "At 12:30 something else",
        "5:00 Intro",
        "no time at all",
    ],
)
def test_the_chapter_line_check_answers_as_the_full_scan_did(line: str) -> None:
    expected = _is_chapter_line_by_scanning(line, LISTED)
    assert _is_chapter_line(line, _by_second(LISTED)) is expected


def test_the_chapter_line_check_over_a_long_list_answers_as_the_full_scan_did() -> None:
    listed = [Chapter(i * 0.7, f"Topic {i}", "notes") for i in range(3000)]
    lines = [
        f"{math.floor(t) // 60}:{math.floor(t) % 60:02d} Topic {i}"
        for i, t in ((i, i * 0.7 + (i % 5 - 2) * 0.4) for i in range(0, 3000, 7))
    ]
    index = _by_second(listed)
    answers = [_is_chapter_line(line, index) for line in lines]
    assert answers == [_is_chapter_line_by_scanning(line, listed) for line in lines]
    assert any(answers) and not all(answers)


def test_an_empty_chapter_list_never_matches() -> None:
    assert _is_chapter_line("0:00 Intro", _by_second([])) is False
