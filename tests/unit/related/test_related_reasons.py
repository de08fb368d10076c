"""Related: the reasons are what a fan would say. No bare first name, filler, contraction,
segment name or piece of the show's name; a phrase before single words; another show's
episode only for a shared subject or a guest with a full name. Made-up shows."""

from __future__ import annotations

import pytest

from bot.models.episode_views import EpisodeSummary, RelatedEpisode
from bot.models.related_types import Document
from bot.related.scoring import (
    Candidate,
    _meaningful_key,
    _names_only,
    best_lists,
    document_terms,
    first_name_keys,
    name_keys,
    reasons,
    segment_keys,
    signature,
    term_form,
)
from bot.search.catalogue import Catalogue, pick_related
from bot.store import Store
from tests.support.catalogues import Item, import_feeds, write_feed


def doc(title: str, notes: str = "", chapters: tuple[str, ...] = ()) -> Document:
    return Document(1, 1, title, list(chapters), notes)


@pytest.mark.parametrize(
    "word",
    ["we'll", "didn't", "you've", "goes", "themselves", "für", "beim", "still", "might"],
)
def test_fillers_contractions_and_function_words_are_no_terms(word):
    assert _meaningful_key(word) == ""


def test_fur_without_its_umlaut_is_a_topic():
    # "für" is a German function word; "fur" (of a coat) is a subject
    assert _meaningful_key("fur") == "fur"


def test_a_weak_word_is_no_topic_alone_but_may_start_a_phrase():
    counts = document_terms(doc("The Big Bang and big ideas", "A big week."))
    assert "big" not in counts
    assert "big bang" in counts


def test_a_capitalised_first_name_is_no_term_but_its_full_name_phrase_is():
    names = first_name_keys(["Claire Okafor", "Dr Ivo Brandt", "Madonna"])
    assert names == {"claire", "ivo"}
    counts = document_terms(
        doc("Kilns with Claire Okafor", "Claire fires the kiln. Claire said the kiln cracked."),
        names=names,
    )
    assert "claire" not in counts
    assert "claire okafor" in counts  # the title's full name is still a phrase
    assert "kiln" in counts


def test_a_one_word_name_gives_no_first_name():
    assert first_name_keys(["Madonna", "Cher"]) == frozenset()


def test_segment_names_are_chapter_titles_on_a_tenth_of_the_chaptered_episodes():
    docs = [
        Document(
            i,
            1,
            f"Episode {i}",
            ["Letters from listeners", "Sponsor: Quillfeather Pens", f"Glaze recipe {i}"],
            "",
        )
        for i in range(8)
    ] + [Document(99, 1, "Salt firing", ["Salt firing at cone ten"], "")]
    segments = segment_keys(docs)
    assert {"letter", "quillfeather", "quillfeather pen"} <= segments
    assert "salt" not in segments  # once is a topic
    assert "glaze" in segments  # "Glaze recipe 3": the words before the number recur
    assert "firing" not in segments


def test_a_phrase_of_the_shows_name_run_together_is_no_topic():
    exclude = name_keys(["Giant Kilncast"])
    assert _names_only("giant kiln", exclude)
    assert not _names_only("salt glaze", exclude)


def test_a_rare_title_phrase_stays_in_a_long_signature():
    # 60 notes words outweigh the phrase, which only three episodes' titles hold
    counts = {f"word{i}": 9.0 for i in range(60)} | {"salt glaze": 3.0}
    df = {f"word{i}": 1 for i in range(60)} | {"salt glaze": 3}
    assert "salt glaze" in signature(counts, df, 200)


def test_phrases_come_first_and_chain_into_one_subject():
    candidate = Candidate(
        2,
        1,
        0.5,
        [
            (0.9, "kiln", "kiln"),
            (0.5, "wood fired", "wood fired"),
            (0.4, "fired kilns", "fired kiln"),
        ],
    )
    _, terms = reasons(candidate)
    assert terms[0] == "wood fired kilns"
    assert "kiln" not in terms  # its phrase is shown instead


def test_another_shows_episode_needs_a_subject_or_a_full_name_guest():
    plain = Candidate(2, 9, 0.9, [(0.9, "kiln", "kiln")])
    first_name_only = Candidate(3, 9, 0.9, people=["Claire"])
    subject = Candidate(4, 9, 0.4, subjects=["salt glaze"])
    guest = Candidate(5, 9, 0.1, people=["Claire Okafor"])
    rows = best_lists(1, 1, [plain, first_name_only, subject, guest])
    assert {row.related_id for row in rows} == {4, 5}


# Two made-up shows: a pottery show and a chemistry show. They share the subject "salt
# glaze" in titles, a guest with a full name, and a first name and a word in their notes.
POTTERY = [
    ("Salt glaze at cone ten", "Claire loads the kiln and throws salt in at the peak.", ()),
    ("Throwing bowls", "Centering, opening and pulling walls.", ()),
    ("Raku evenings", "Reduction in a bin of sawdust, with a guest.", ("Ines Varga",)),
    ("Trimming feet", "Claire trims the feet of bowls when leather hard.", ()),
    ("Glaze chemistry basics", "Silica, alumina and fluxes.", ()),
]
CHEMISTRY = [
    ("The chemistry of salt glaze", "Sodium vapour meets silica on the pot's surface.", ()),
    ("Batteries", "Claire explains lithium and why it burns.", ()),  # a first name only
    ("Pigments", "Cobalt, iron and chrome.", ("Ines Varga",)),
    ("Soap", "Fats and lye.", ()),
]


def items(prefix: str, rows: list[tuple[str, str, tuple[str, ...]]]) -> list[Item]:
    return [
        Item(title, f"{prefix}{i}", notes=notes, number=i, days=i, guests=guests)
        for i, (title, notes, guests) in enumerate(rows, 1)
    ]


async def related_titles(tmp_path, title: str):
    pottery = write_feed(tmp_path, "pottery.xml", "Wheel Time", items("p", POTTERY))
    chemistry = write_feed(tmp_path, "chem.xml", "Bench Notes", items("c", CHEMISTRY))
    await import_feeds(tmp_path / "two.db", pottery, chemistry)
    async with await Store.open(tmp_path / "two.db") as store:
        catalogue = Catalogue(store)
        episode = (await catalogue.resolve_episode(title, guild_id=None)).episode
        assert episode is not None
        return await catalogue.related(episode.id, guild_id=None)


async def test_another_show_is_linked_for_a_shared_subject_and_named(tmp_path):
    related = await related_titles(tmp_path, "Salt glaze at cone ten")
    other = [r for r in related if r.episode.feed_title == "Bench Notes"]
    assert [r.episode.title for r in other] == ["The chemistry of salt glaze"]
    assert other[0].shared_terms[0].casefold() == "salt glaze"
    titles = [r.episode.title for r in related]
    assert "Batteries" not in titles  # "Claire" in both notes is no link


async def test_another_show_is_linked_for_a_shared_guest(tmp_path):
    related = await related_titles(tmp_path, "Raku evenings")
    other = [r for r in related if r.episode.feed_title == "Bench Notes"]
    assert [(r.episode.title, r.shared_people) for r in other] == [("Pigments", ("Ines Varga",))]


async def test_a_new_episode_is_read_with_the_words_its_feed_left_out(tmp_path):
    # The feed's first import fixes which words are no topic (first names, segments);
    # an episode imported later is counted the same way, not linked by "Claire".
    words = "anagama catenary bourry noborigama sprung groundhog train fastfire bottle "
    words += "tunnel shuttle raku"
    rows = [
        (f"Kiln log {word}", f"{'Claire' if i < 2 else 'We'} checked the {word} kiln.", ())
        for i, word in enumerate(words.split())
    ]  # "Claire" on 3 of 13 episodes: under the share that makes a word boilerplate
    pottery = write_feed(tmp_path, "pottery.xml", "Wheel Time", items("p", rows))
    await import_feeds(tmp_path / "one.db", pottery)
    rows.append(("Bowls for soup", "Claire throws bowls. Claire trims bowls. Claire!", ()))
    write_feed(tmp_path, "pottery.xml", "Wheel Time", items("p", rows))
    await import_feeds(tmp_path / "one.db", pottery)
    async with await Store.open(tmp_path / "one.db") as store:
        catalogue = Catalogue(store)
        episode = (await catalogue.resolve_episode("Bowls for soup", guild_id=None)).episode
        assert episode is not None
        related = await catalogue.related(episode.id, guild_id=None)
    assert all("Claire" not in r.shared_terms for r in related)


def test_a_word_that_starts_a_word_of_the_shows_name_is_no_topic():
    exclude = name_keys(["Giant Kilncast"])
    assert _names_only("kiln", exclude)  # the brand inside "Kilncast"
    assert not _names_only("kilncast", exclude)  # a name word itself is excluded as such
    assert not _names_only("glaze", exclude)


def related_row(episode_id: int, feed_id: int, score: float, **shared) -> RelatedEpisode:
    summary = EpisodeSummary(
        episode_id, feed_id, f"Show {feed_id}", f"Episode {episode_id}", episode_id, None,
        None, None, None, "full", None, None, None,
    )  # fmt: skip
    return RelatedEpisode(summary, score, **shared)


def test_a_strong_link_to_another_show_takes_the_last_place_from_a_weaker_one():
    own = [related_row(i, 1, 0.5 - i / 100) for i in range(2, 8)]  # six of its own show
    strong = related_row(20, 2, 0.6, shared_terms=("salt glaze",))
    picked = pick_related([*own, strong], feed_id=1, limit=5)
    assert [r.episode.id for r in picked] == [2, 3, 4, 5, 20]


def test_another_shows_weaker_or_weak_link_stays_out_of_a_full_list():
    own = [related_row(i, 1, 0.5 - i / 100) for i in range(2, 8)]
    weaker = related_row(20, 2, 0.4, shared_terms=("salt glaze",))
    weak = related_row(21, 2, 0.2)  # under CROSS_SHOW_SCORE, no shared guest
    assert [r.episode.id for r in pick_related([*own, weaker, weak], 1, 5)] == [2, 3, 4, 5, 6]
    assert [r.episode.id for r in pick_related([own[0], weak, weaker], 1, 5)] == [2, 20]


def test_a_phrase_reads_as_it_was_written_together():
    counts = document_terms(
        doc("Sanctions on North Korea", "the north of Korea; a korea desk", ("United States",))
    )
    assert {"north korea", "united state"} <= set(counts)
    assert term_form("north korea") == "North Korea"  # not "north Korea" from its words
    assert term_form("united state") == "United States"
