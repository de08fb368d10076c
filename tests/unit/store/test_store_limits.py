"""Limits that keep one feed, one query or one process from stalling everyone else: a
search through notes that repeat one word 40,000 times, reads that would wait behind a
runaway query, two writers at once, and a full disk. Real SQLite files, real migrations;
nothing here asserts a duration (orderings and outcomes only)."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.models.episode_views import HIGHLIGHT_END, HIGHLIGHT_START
from bot.models.transcript_passage import Passage, Segment
from bot.search.catalogue import Catalogue, SearchTooSlow
from bot.store import Store, StoreError
from bot.store.base import QueryTooSlow
from bot.transcripts.transcript_parse import merge_passages
from tests.support.catalogues import Item, copy_store, store_file, write_feed
from tests.support.paths import EXAMPLES, PROJECT

# 240 KB of one word: before the limits, FTS5's snippet() spent ~10 s on it (its cost
# grows with the square of the matches in a document) and every other read waited.
DOLOR = "dolor " * 40000
# A read that runs for about ten seconds unless it is stopped.
RUNAWAY = """WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 5e7)
             SELECT count(*) FROM n"""


@asynccontextmanager
async def _log_notice(text: str) -> AsyncIterator[asyncio.Event]:
    """An event set when the store logs a line containing `text`."""
    seen = asyncio.Event()

    class Notice(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if text in record.getMessage():
                seen.set()

    handler = Notice()
    logger = logging.getLogger("bot.store.base")
    logger.addHandler(handler)
    try:
        yield seen
    finally:
        logger.removeHandler(handler)


@pytest.fixture(scope="module")
def dolor_file(tmp_path_factory) -> Path:
    """Five ordinary episodes that say "dolor" once, and one whose notes say nothing else
    (the newest)."""
    folder = tmp_path_factory.mktemp("dolor")
    # Each its own sentence: a line on every episode would be boilerplate, not searched.
    words = ["consectetur", "adipiscing", "elit", "tempor", "incididunt"]
    items = [
        Item(f"Episode {n}", f"e{n}", notes=f"Lorem ipsum dolor {words[n - 1]}.", days=n)
        for n in range(1, 6)
    ]
    items.append(Item("Nothing but dolor", "spam", notes=DOLOR, days=10))
    return store_file(folder / "dolor.db", write_feed(folder, "dolor.xml", "Dolor Show", items))


@pytest.fixture
async def dolor_store(dolor_file, tmp_path):
    async with await Store.open(copy_store(dolor_file, tmp_path), search_budget=1.0) as store:
        yield store


# ---------------------------------------------------------------------- one word, 40,000 times


async def test_search_for_a_word_repeated_through_a_whole_document_finishes_within_the_budget(
    dolor_store,
):
    # With a budget of 1 s, a statement that ran longer would have been stopped
    # (SearchTooSlow): an answer means the work per document is bounded.
    hits = await Catalogue(dolor_store).search("dolor", guild_id=None)
    assert len(hits) == 6
    spam = next(hit for hit in hits if hit.episode.title == "Nothing but dolor")
    # Adjacent marks merge: "**dolor dolor … dolor**…".
    assert spam.snippet.startswith(f"{HIGHLIGHT_START}dolor dolor")
    assert spam.snippet.endswith(f"dolor{HIGHLIGHT_END}…")
    assert len(spam.snippet) < 400  # a snippet, not the notes


async def test_when_over_a_word_repeated_through_a_whole_document_finishes_within_the_budget(
    dolor_store,
):
    moments = await Catalogue(dolor_store).when("dolor", guild_id=None)
    spam = [m for m in moments if m.episode.title == "Nothing but dolor"]
    assert len(spam) == 1 and spam[0].kind == "episode"
    assert spam[0].text.startswith(f"{HIGHLIGHT_START}dolor dolor")
    assert len(spam[0].text) < 400


async def test_a_chapter_title_of_240_kb_is_highlighted_in_its_first_part_only(dolor_store):
    async with dolor_store.transaction() as db:
        await db.execute(
            """INSERT INTO chapters (episode_id, position, start, title, source)
               SELECT id, 0, 60, ?, 'notes' FROM episodes WHERE title = 'Episode 1'""",
            (DOLOR,),
        )
    moments = await Catalogue(dolor_store).when("dolor", guild_id=None)
    chapter = next(m for m in moments if m.kind == "chapter")
    assert chapter.text.startswith(f"{HIGHLIGHT_START}dolor dolor")
    assert chapter.text.endswith("…") and len(chapter.text) < 10_000


async def test_a_transcript_repeating_one_word_gives_short_moments(dolor_store):
    episode = (await dolor_store.fetchone("SELECT id FROM episodes WHERE guid = 'e1'"))[0]
    segments = [Segment("dolor " * 50, float(i * 10), float(i * 10 + 9), None) for i in range(800)]
    passages: list[Passage] = merge_passages(segments)
    await dolor_store.save_transcript(
        episode,
        "https://example.com/e1.vtt",
        format="vtt",
        passages=passages,
        segment_count=len(segments),
        etag=None,
        last_modified=None,
        content_hash="x",
        parser_version="1",
    )
    moments = await Catalogue(dolor_store).when("dolor", guild_id=None)
    heard = [m for m in moments if m.kind == "transcript"]
    assert heard and all(len(m.text) <= 400 for m in heard)


# ---------------------------------------------------------------------- runaway reads


async def test_latest_is_answered_while_another_read_runs_away(dolor_store):
    runaway = asyncio.create_task(dolor_store.fetchall(RUNAWAY))
    await asyncio.sleep(0)  # the runaway has its reader and its statement is running
    latest = await Catalogue(dolor_store).latest(guild_id=None, count=3)
    assert [e.title for e in latest] == ["Nothing but dolor", "Episode 5", "Episode 4"]
    assert not runaway.done()  # /latest did not wait for it
    runaway.cancel()  # and a cancelled read stops its statement
    with pytest.raises(asyncio.CancelledError):
        await runaway
    for _ in range(6):  # every reader answers again
        assert (await dolor_store.fetchone("SELECT count(*) FROM episodes"))[0] == 6


async def test_a_read_past_its_budget_is_stopped_with_a_clear_message(dolor_store):
    with pytest.raises(QueryTooSlow, match=r"took too long \(over 0\.2 s\) and was stopped"):
        await dolor_store.fetchall(RUNAWAY, budget=0.2)
    assert (await dolor_store.fetchone("SELECT count(*) FROM episodes"))[0] == 6


async def test_a_search_stopped_at_its_budget_tells_the_member(dolor_file, tmp_path):
    # A budget of nothing: no search statement may run at all.
    async with await Store.open(copy_store(dolor_file, tmp_path), search_budget=0.0) as store:
        catalogue = Catalogue(store)
        with pytest.raises(SearchTooSlow, match=r"^That search took too long \(over 0 s\)"):
            await catalogue.search("lorem ipsum dolor", guild_id=None)
        with pytest.raises(SearchTooSlow, match="took too long"):
            await catalogue.when("lorem ipsum dolor", guild_id=None)
        assert len(await catalogue.latest(guild_id=None, count=10)) == 6  # reads go on


# ---------------------------------------------------------------------- two writers


async def test_a_writer_waits_for_another_writer_longer_than_the_busy_timeout(tmp_path):
    path = tmp_path / "store.db"
    async with await Store.open(path) as first, await Store.open(path) as second:
        async with first.transaction() as db, _log_notice("waiting for another writer") as told:
            await db.execute("INSERT INTO bot_state (key, value, updated_at) VALUES ('a', 1, 0)")
            waiting = asyncio.create_task(second.set_state("b", "2"))
            notice = asyncio.create_task(told.wait())
            await asyncio.wait([waiting, notice], return_when=asyncio.FIRST_COMPLETED)
            notice.cancel()
            assert not waiting.done(), waiting.exception()  # it waits: no "database is locked"
        await waiting  # and writes once the first has committed
        assert await second.get_state("a") == "1"
        assert await first.get_state("b") == "2"


async def test_a_writer_that_waits_too_long_gives_up_with_one_clear_line(tmp_path):
    path = tmp_path / "store.db"
    async with (
        await Store.open(path) as first,
        await Store.open(path, write_wait=0.3) as second,
        first.transaction(),
    ):
        with pytest.raises(StoreError) as raised:
            await second.set_state("b", "2")
    message = str(raised.value)
    assert "another process has been writing to the store" in message
    assert "over 0.3 s" in message and "nothing was written" in message
    assert "\n" not in message and raised.value.__cause__ is None


async def test_an_import_in_another_process_waits_for_the_writer_instead_of_failing(tmp_path):
    path = tmp_path / "store.db"
    async with await Store.open(path) as store:
        async with store.transaction():
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "import",
                "--offline",
                "--db",
                str(path),
                str(EXAMPLES / "feed.xml"),
                cwd=tmp_path,
                env={**os.environ, "PYTHONPATH": str(PROJECT), "LOG_LEVEL": "INFO"},
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            assert process.stderr is not None
            seen = []
            async for line in process.stderr:
                seen.append(line.decode())
                if "waiting for another writer" in seen[-1]:
                    break
            assert "waiting for another writer" in "".join(seen), "".join(seen)
        _, rest = await process.communicate()
        assert process.returncode == 0, "".join(seen) + rest.decode()
        assert (await store.fetchone("SELECT count(*) FROM episodes"))[0] > 0


# ---------------------------------------------------------------------- a full disk


async def test_a_full_disk_is_one_clear_error_and_leaves_earlier_data_intact(tmp_path):
    async with await Store.open(tmp_path / "store.db") as store:
        await store.set_state("kept", "yes")
        pages = (await store.fetchone("PRAGMA page_count"))[0]
        async with store.transaction() as db:  # the writer may not grow the file any more
            await db.execute(f"PRAGMA max_page_count = {pages + 1}")
        with pytest.raises(StoreError) as raised:
            await store.set_state("big", "x" * 1_000_000)
        message = str(raised.value)
        assert message.startswith("the disk is full: nothing was written")
        assert "database or disk is full" in message
        assert raised.value.__cause__ is None and raised.value.__suppress_context__
        assert await store.get_state("kept") == "yes"
        assert await store.get_state("big") is None
        await store.set_state("kept", "still")  # small writes still fit
        assert await store.get_state("kept") == "still"
