"""Search in the feed's own language (issue 12, item 4): a word finds its other forms by
the Snowball stemmer of the feed's language, a word typed without accents finds it with
them in any script, and a feed that declares no language is read for one at import."""

from __future__ import annotations

import pytest

from bot.ingest.fetch import Fetcher
from bot.search.catalogue import Catalogue
from bot.search.fts_query import SearchText
from bot.search.languages import detect, language_code, same_stem, strip_marks
from bot.store import Store
from bot.transcripts.transcript_sync import TranscriptSync
from tests.support.catalogues import Item, import_feeds, write_feed

GERMAN = [
    Item("Mechanische Tastatur im Test", "de1", number=1, days=1,
         notes="Wir bauen eine Tastatur aus Einzelteilen und löten die Schalter selbst."),
    Item("Gehalt verhandeln", "de2", number=2, days=2,
         notes="Wie spricht man im Jahresgespräch über das Gehalt und die nächste Stufe?"),
    Item("Der Start ins Studium", "de3", number=3, days=3,
         notes="Die Startseite der Uni und der erste Tag auf dem Campus."),
]  # fmt: skip
ENGLISH = [
    Item("Sourdough at home", "en1", number=1, days=1,
         notes="We keep a sourdough starter alive for a month and bake with it every day."),
    Item("Starting a bakery", "en2", number=2, days=2,
         notes="What it takes to start a small bakery and what we would do again."),
]  # fmt: skip
GREEK = [
    Item("Καλημέρα από την Αθήνα", "el1", number=1, days=1,
         notes="Συζητάμε για τη θάλασσα, τα νησιά και το καλοκαίρι στην Ελλάδα."),
    Item("Ο καιρός του χειμώνα", "el2", number=2, days=2,
         notes="Βροχή και χιόνι στα βουνά της Ελλάδας, και τι σημαίνει για τους αγρότες."),
]  # fmt: skip


@pytest.fixture
async def catalogue(tmp_path):
    feeds = [
        write_feed(tmp_path, "de.xml", "Technik Kiosk", GERMAN, language="de-DE"),
        write_feed(tmp_path, "en.xml", "Crumb Talk", ENGLISH, language="en"),
        write_feed(tmp_path, "el.xml", "Ελληνικά Νέα", GREEK, language=None),  # detected
    ]
    path = tmp_path / "languages.db"
    await import_feeds(path, *feeds)
    async with await Store.open(path) as store:
        yield Catalogue(store)


async def _titles(catalogue: Catalogue, topic: str) -> list[str]:
    return [m.episode.title for m in await catalogue.when(topic, guild_id=None)]


async def test_a_german_plural_finds_the_singular_in_a_german_feed(catalogue):
    assert (await _titles(catalogue, "Tastaturen"))[:1] == ["Mechanische Tastatur im Test"]
    assert (await _titles(catalogue, "Gehälter"))[:1] == ["Gehalt verhandeln"]


async def test_a_stem_never_reaches_into_a_compound_or_another_languages_feed(catalogue):
    # "starter" is "start" to the German stemmer: the English show's starter is found as
    # typed, and neither "Start" nor "Startseite" of the German show comes with it.
    titles = await _titles(catalogue, "sourdough starter")
    assert titles and set(titles) == {"Sourdough at home"}


async def test_greek_typed_without_accents_finds_it_with_them(catalogue):
    assert (await _titles(catalogue, "καλημερα"))[:1] == ["Καλημέρα από την Αθήνα"]
    hits = await catalogue.search("ΚΑΙΡΟΣ χειμωνα", guild_id=None)
    assert [h.episode.title for h in hits] == ["Ο καιρός του χειμώνα"]


async def test_a_feed_without_a_language_is_read_for_one_at_import(catalogue):
    languages = await catalogue._store.feed_languages()
    assert sorted(filter(None, map(language_code, languages.values()))) == ["de", "el", "en"]


@pytest.mark.parametrize(
    ("texts", "code"),
    [
        (["Wir sprechen heute über die Zukunft der Arbeit und was das für uns heißt."] * 3, "de"),
        (["Hablamos de la historia de la ciudad y de los que la construyeron."] * 3, "es"),
        (["We talk about the history of the city and the people who built it."] * 3, "en"),
        (["Transformer GPU CUDA Kubernetes Docker"] * 3, None),
    ],
)
def test_detect_counts_each_languages_function_words(texts, code):
    assert detect(texts) == code


def test_forms_share_the_stem_and_survive_the_index_stemming_again():
    terms = ["tastatur", "tastaturen", "tastaturlayout", "startseite"]
    assert same_stem("Tastaturen", terms, "de") == ["tastatur"]
    assert same_stem("Tastatur", terms, "de") == ["tastaturen"]
    assert same_stem("Tastatur", terms, "en") == []  # English: the index's porter does it
    assert strip_marks("Καλημέρα") == "καλημερα"


async def test_a_feeds_own_stopwords_are_dropped_only_in_its_feeds(catalogue):
    # "beim" is a German function word: dropped in the German show, where the title says
    # "im Test", not "beim Test" (the English show's search keeps it).
    titles = await _titles(catalogue, "Tastatur beim Test")
    assert titles[:1] == ["Mechanische Tastatur im Test"]


def test_parse_drops_the_given_stopwords_too():
    assert SearchText.parse("Schriftart zum Programmieren").words == (
        "schriftart",
        "zum",
        "programmieren",
    )
    german = SearchText.parse("Schriftart zum Programmieren", frozenset({"zum"}))
    assert german.words == ("schriftart", "programmieren")


async def test_a_greek_typo_without_accents_is_respelled(catalogue):
    moments, shown = await catalogue.when_spelled("καλιμερα", guild_id=None)
    assert shown is not None and moments
    assert moments[0].episode.title == "Καλημέρα από την Αθήνα"


async def test_a_word_searched_again_reads_no_vocabulary(catalogue, monkeypatch):
    # The forms of a word in the German feed's language are read once per catalogue
    # generation, not at every search (each read is a range of four indexes' vocabularies).
    store = catalogue._store
    reads: list[str] = []
    terms_starting = store.terms_starting

    async def counted(prefix: str) -> dict[str, int]:
        reads.append(prefix)
        return await terms_starting(prefix)

    monkeypatch.setattr(store, "terms_starting", counted)
    first = await _titles(catalogue, "Tastaturen")
    assert first[:1] == ["Mechanische Tastatur im Test"] and reads
    read_once = len(reads)
    assert await _titles(catalogue, "Tastaturen") == first
    assert len(reads) == read_once


async def test_a_transcript_synced_after_a_search_is_searched_without_accents(tmp_path):
    # Transcripts arrive apart from imports (no new episode): the accented terms they
    # bring are found by a word typed without accents at once, not at the next import.
    (tmp_path / "el.vtt").write_text(
        "WEBVTT\n\n00:01:00.000 --> 00:01:08.000\nΤο ψωμί με προζύμι θέλει υπομονή.\n",
        encoding="utf-8",
    )
    transcript = '<podcast:transcript url="el.vtt" type="text/vtt" language="el"/>'
    items = [Item("Φούρνος", "f1", number=1, days=1, notes="Ψήνουμε.", extra=[transcript])]
    path = tmp_path / "bakery.db"
    await import_feeds(path, write_feed(tmp_path, "f.xml", "Αρτοποιία", items, language="el"))
    async with await Store.open(path) as store:
        catalogue = Catalogue(store)
        assert await _titles(catalogue, "προζυμι") == []  # no transcript yet
        async with Fetcher() as fetcher:
            feed_id = (await store.fetchone("SELECT id FROM feeds"))[0]
            await TranscriptSync(store, fetcher, remote_files=False).sync_feed(feed_id)
        assert await _titles(catalogue, "προζυμι") == ["Φούρνος"]
