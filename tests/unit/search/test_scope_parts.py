"""A scope split by the languages of its feeds on an instance with many feeds: /when,
/search and the total of a capped list find each language's episodes, never a feed the
guild does not see, and no statement binds more parameters than SQLite allows (999
before SQLite 3.32, and on builds that keep the old limit). Real SQLite file."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.models.parsed_feed import ParsedFeed
from bot.search.catalogue import Catalogue
from bot.search.result_totals import ResultTotals
from bot.search.spelling import language_parts, search_plans
from bot.store import EpisodeWrite, Store
from bot.store.episode_reads import Scope

GERMAN_FEEDS = 300
ENGLISH_FEEDS = 900
OLD_VARIABLE_LIMIT = 999
PRIVATE_GUILD = 77


def _episode(key: str, title: str, notes: str) -> EpisodeWrite:
    return EpisodeWrite(
        key=key, guid=key, title=title, notes_html=notes, notes_text=notes, number=1,
        number_label=None, season=None, season_label=None, published_at=1_700_000_000,
        duration=None, link=None, audio_url=None, audio_type=None, image=None,
        episode_type="full", chapters_url=None, chapters_type=None, chapters_error=None,
        content_hash=key, chapters=[], persons=[], transcripts=[], soundbites=[],
    )  # fmt: skip


async def _build(path: Path) -> None:
    async with await Store.open(path) as store:

        async def add(url: str, language: str, title: str, notes: str, **kw: Any) -> None:
            feed_id = await store.ensure_feed(url, **kw)
            await store.save_feed_import(
                feed_id,
                ParsedFeed(title=url, language=language),
                content_hash=url,
                etag=None,
                last_modified=None,
                new=[_episode(url, title, notes)],
                updated=[],
            )

        for n in range(GERMAN_FEEDS):
            await add(f"de-{n}", "de", f"Folge {n}: Tastatur", "Eine Tastatur aus Einzelteilen.")
        for n in range(ENGLISH_FEEDS):
            await add(f"en-{n}", "en", f"Episode {n}: Sourdough", "A starter needs flour.")
        # A feed only one guild follows: nobody else's scope holds it.
        await add(
            "private",
            "de",
            "Geheime Tastatur",
            "Eine Tastatur aus Einzelteilen.",
            guild_id=PRIVATE_GUILD,
        )


@pytest.fixture(scope="module")
def many_feeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("many") / "many.db"
    asyncio.run(_build(path))
    return path


@pytest.fixture
async def store(many_feeds: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The store, its statements' parameter counts recorded (`bound`)."""
    async with await Store.open(many_feeds) as opened:
        bound: list[int] = []
        for name in ("fetchall", "fetchone"):
            real = getattr(opened, name)

            async def counted(sql: str, params: Any = (), *, _real: Any = real, **kw: Any) -> Any:
                bound.append(len(params))
                return await _real(sql, params, **kw)

            monkeypatch.setattr(opened, name, counted)
        opened.bound = bound
        yield opened


def _feeds(hits: Iterator[Any]) -> set[str]:
    return {hit.episode.feed_title for hit in hits}


@pytest.mark.parametrize("guild_id", [None, PRIVATE_GUILD])
async def test_each_language_finds_its_own_episodes(store, guild_id):
    catalogue = Catalogue(store)
    # The German plural finds the singular by the German forms, in German feeds only.
    german = await catalogue.search("Tastaturen", guild_id=guild_id, limit=1000)
    expected = {f"de-{n}" for n in range(GERMAN_FEEDS)}
    if guild_id == PRIVATE_GUILD:
        expected.add("private")
    assert _feeds(iter(german)) == expected
    assert await ResultTotals(store).search_total("Tastaturen", guild_id=guild_id) == len(expected)
    english = await catalogue.search("sourdough starter", guild_id=guild_id, limit=1000)
    # More matches than are ranked (RANK_CAP): those ranked are English, and all count.
    assert english and _feeds(iter(english)) <= {f"en-{n}" for n in range(ENGLISH_FEEDS)}
    assert await ResultTotals(store).search_total("sourdough starter", guild_id=guild_id) == (
        ENGLISH_FEEDS
    )
    moments = await catalogue.when("Tastaturen", guild_id=guild_id, limit=25)
    assert moments and _feeds(iter(moments)) <= expected
    assert max(store.bound) <= OLD_VARIABLE_LIMIT


async def test_the_larger_part_names_the_feeds_it_leaves_out(store):
    scope = await store.scope(PRIVATE_GUILD)
    parts = await language_parts(store, scope)
    # German and the rest: the larger part says which feeds it leaves out, not its own.
    assert [code for _, code in parts] == ["de", None]
    rest = parts[1][0]
    assert len(rest.feed_ids) == ENGLISH_FEEDS
    assert rest.others is not None and len(rest.others) == GERMAN_FEEDS + 1
    where, params = rest.sql("e.feed_id")
    assert "NOT IN" in where and len(params) <= OLD_VARIABLE_LIMIT
    # A search whose plan is the same in every language runs on the scope itself.
    plans = await search_plans(store, "flour", scope)
    assert [part for part, _ in plans] == [scope]


async def test_one_language_for_the_whole_scope_keeps_the_scope(store):
    languages = await store.feed_languages()
    german = Scope(frozenset(f for f, code in languages.items() if code == "de"), everything=False)
    assert await language_parts(store, german) == [(german, "de")]
