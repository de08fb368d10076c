"""The vocabulary reads behind respelling, per-language word forms and word weights run
within the store's search budget; one that is cut off leaves the words as typed (one
warning), and the command answers all the same. Real SQLite files; a read is cut off
by running it with a budget of nothing, as the store's own budget tests do."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.search.catalogue import Catalogue
from bot.store import QueryTooSlow, Store
from tests.support.catalogues import Item, import_feeds, write_feed

GERMAN = [
    Item("Mechanische Tastatur im Test", "de1", number=1, days=1,
         notes="Wir bauen eine Tastatur aus Einzelteilen und löten die Schalter selbst."),
    Item("Gehalt verhandeln", "de2", number=2, days=2,
         notes="Wie spricht man im Jahresgespräch über das Gehalt und die nächste Stufe?"),
]  # fmt: skip
ENGLISH = [
    Item("Second-order optimisers", "en1", number=1, days=1,
         notes="The Hessian matrix and why Newton's method is too expensive at scale."),
    Item("Sourdough at home", "en2", number=2, days=2,
         notes="We keep a sourdough starter alive for a month and bake with it every day."),
]  # fmt: skip

# The reads search draws on for the bonus words (bot/store/episode_reads.py).
VOCABULARY_READS = (
    "search_vocabulary",
    "marked_terms",
    "terms_starting",
    "term_rows",
    "indexed_words",
    "surface_form",
)


@pytest.fixture
async def store(tmp_path: Path):
    path = tmp_path / "budget.db"
    await import_feeds(
        path,
        write_feed(tmp_path, "de.xml", "Technik Kiosk", GERMAN, language="de-DE"),
        write_feed(tmp_path, "en.xml", "Gradient Notes", ENGLISH, language="en"),
    )
    async with await Store.open(path) as opened:
        yield opened


def _cut_off_vocabulary(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every vocabulary read runs with no budget left (the store stops it at once, with
    QueryTooSlow); the search statements keep the store's budget."""
    for name in VOCABULARY_READS:
        real = getattr(store, name)

        async def stopped(*args, _real=real, **kwargs):
            budget, store.search_budget = store.search_budget, 0.0
            try:
                return await _real(*args, **kwargs)
            finally:
                store.search_budget = budget

        monkeypatch.setattr(store, name, stopped)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


async def test_each_vocabulary_read_is_stopped_past_the_budget(tmp_path: Path):
    path = tmp_path / "stopped.db"
    await import_feeds(
        path, write_feed(tmp_path, "en.xml", "Gradient Notes", ENGLISH, language="en")
    )
    async with await Store.open(path, search_budget=0.0) as store:
        reads = [
            store.search_vocabulary(),
            store.marked_terms(),
            store.terms_starting("hess"),
            store.term_rows(["hessian"]),
            store.indexed_words(["hessian"]),
            store.surface_form("hessian"),
        ]
        for read in reads:
            with pytest.raises(QueryTooSlow):
                await read
        assert len(await store.latest_episodes(None, 5)) == 2  # other reads go on


async def test_a_typo_is_respelled_within_the_budget(store):
    moments, searched = await Catalogue(store).when_spelled("Hessain matrix", guild_id=None)
    assert searched is not None and searched.startswith("hessian")
    assert moments[0].episode.title == "Second-order optimisers"


async def test_a_cut_off_respelling_searches_the_words_as_typed(store, monkeypatch, caplog):
    _cut_off_vocabulary(store, monkeypatch)
    with caplog.at_level(logging.WARNING):
        moments, searched = await Catalogue(store).when_spelled("Hessain", guild_id=None)
    assert (moments, searched) == ([], None)  # nothing holds the typo: nothing found
    # One line per bonus lost: the respelling, and the German forms of the word.
    assert sorted(_warnings(caplog)) == [
        "respelling 'Hessain' took too long; searching it as typed",
        "search 'Hessain': the word forms took too long; searching as typed",
    ]


async def test_cut_off_word_forms_search_the_words_as_typed(store, monkeypatch, caplog):
    catalogue = Catalogue(store)
    _cut_off_vocabulary(store, monkeypatch)
    with caplog.at_level(logging.WARNING):
        assert await catalogue.search("Tastaturen", guild_id=None) == []  # as typed
        # A word the feed holds as typed is found all the same.
        found = await catalogue.search("Tastatur Schalter", guild_id=None)
    assert [h.episode.title for h in found] == ["Mechanische Tastatur im Test"]
    warned = _warnings(caplog)
    # One line per command, however many parts and words had forms to read.
    assert len(warned) == 2 and all("word forms took too long" in w for w in warned)
    # Nothing of the cut-off kept: within the budget, the plural finds the singular.
    monkeypatch.undo()
    assert [h.episode.title for h in await catalogue.search("Tastaturen", guild_id=None)] == [
        "Mechanische Tastatur im Test"
    ]


async def test_cut_off_word_weights_still_answer_partial_matches(store, monkeypatch, caplog):
    _cut_off_vocabulary(store, monkeypatch)
    with caplog.at_level(logging.WARNING):
        # No episode holds all three words: two of three are a partial match, each word
        # weighing the same.
        hits = await Catalogue(store).search("sourdough starter newton", guild_id=None)
    assert [(h.episode.title, h.match) for h in hits] == [("Sourdough at home", "any")]
    assert any("weighing" in w for w in _warnings(caplog))
    assert all(h.match == "any" for h in hits)
    assert any("took too long" in w for w in _warnings(caplog))
