"""Guests: an honorific or an affiliation is kept as the credit's detail, never in the name
(so one person is one person); and the traps that would make up a guest. Made-up shows
in our own words, then the fixture feeds."""

from __future__ import annotations

import pytest

from bot.common.plain_text import html_to_text
from bot.ingest.feedparse import parse_feed
from bot.ingest.people import credit, guest_detail, infer_feed_guests, infer_guests, split_credit
from bot.models.parsed_feed import Person
from bot.search.person_aliases import alias_key
from tests.support.paths import fixture_feed


@pytest.mark.parametrize(
    ("credited", "name", "detail"),
    [
        ("Dr. Oona Vesterlund", "Oona Vesterlund", "Dr."),
        ("Prof. Dr. Oona Vesterlund", "Oona Vesterlund", "Prof. Dr."),
        ("Ambassador Teodor Halvard", "Teodor Halvard", "Ambassador"),
        ("Oona Vesterlund - Kilnworks", "Oona Vesterlund", "Kilnworks"),
        ("Oona Vesterlund (Kilnworks)", "Oona Vesterlund", "Kilnworks"),
        ("Oona Vesterlund, CEO of Kilnworks", "Oona Vesterlund", "CEO of Kilnworks"),
        ("Dr. Oona Vesterlund | Kilnworks", "Oona Vesterlund", "Dr., Kilnworks"),
        ("Oona Vesterlund", "Oona Vesterlund", None),
        ("Dr. Who", "Dr. Who", None),  # nothing would be left of the name
        ("Kilnworks - Podcast", "Kilnworks - Podcast", None),  # no name before the dash
    ],
)
def test_a_credit_splits_into_name_and_detail(credited, name, detail):
    assert split_credit(credited) == (name, detail)


def test_a_tagged_person_keeps_what_the_tag_said_as_detail():
    tagged = Person("Dr. Oona Vesterlund - Kilnworks", role="guest", href="https://o.example")
    credited = credit(tagged)
    assert (credited.name, credited.detail, credited.href) == (
        "Oona Vesterlund",
        "Dr., Kilnworks",
        "https://o.example",
    )
    assert credit(Person("Oona Vesterlund")) == Person("Oona Vesterlund")


@pytest.mark.parametrize(
    ("name", "title", "notes", "detail"),
    [
        ("Oona Vesterlund", "Ep 7: Oona Vesterlund, Kilnworks", "", "Kilnworks"),
        (
            "Oona Vesterlund",
            "Ep 8: Oona Vesterlund - Head of Glazes, Kilnworks",
            "",
            "Head of Glazes, Kilnworks",
        ),
        (
            "Oona Vesterlund",
            "Salt firing",
            "Our guest is Oona Vesterlund (Kilnworks).",
            "Kilnworks",
        ),
        (
            "Oona Vesterlund",
            "Salt firing",
            "We talk to Oona Vesterlund, the founder of Kilnworks, about salt.",
            "founder of Kilnworks",
        ),
        (
            "Oona Vesterlund",
            "Salt firing",
            "Oona Vesterlund, a researcher who fires with wood, joins us.",
            "researcher",
        ),
        ("Teodor Halvard", "Ambassador Teodor Halvard on treaties", "", "Ambassador"),
        # Nothing that is not an affiliation:
        ("Oona Vesterlund", "Salt firing", "Oona Vesterlund, who fires with wood.", None),
        ("Oona Vesterlund", "Salt with Oona Vesterlund, Bo Lind", "", None),  # another guest
        ("Oona Vesterlund", "Oona Vesterlund - Episode 12", "", None),
        # After a dash in a title, the topic is no detail; a role or an organisation is.
        ("Oona Vesterlund", "Oona Vesterlund - Why Kilns Crack", "", None),
        ("Oona Vesterlund", "Ep 9: Oona Vesterlund – Glazes Without Borax", "", None),
        ("Oona Vesterlund", "Oona Vesterlund - Kilnworks Studio", "", "Kilnworks Studio"),
        ("Oona Vesterlund", "Salt firing", "Oona Vesterlund, Bo Lind and friends.", None),
    ],
)
def test_the_detail_a_title_or_notes_give_beside_a_name(name, title, notes, detail):
    assert guest_detail(name, title, notes, others=[name, "Bo Lind"]) == detail


def test_an_inferred_guest_has_the_name_alone_and_the_rest_as_detail():
    (guest,) = infer_guests("Interview with Dr. Oona Vesterlund (Kilnworks)", "")
    assert (guest.name, guest.detail) == ("Oona Vesterlund", "Dr., Kilnworks")


def test_one_person_is_one_person_whatever_the_credit_says_beside_the_name():
    episodes = [
        ("Salt firing with Dr. Oona Vesterlund", "Dr. Oona Vesterlund fires with salt."),
        ("Wood firing", "Our guest: Oona Vesterlund - Kilnworks"),
        ("Soda firing", "Joined by Oona Vesterlund (Kilnworks)."),
    ]
    found = infer_feed_guests(episodes, show_title="Kiln Talk")
    assert [[p.name for p in people] for people in found] == [["Oona Vesterlund"]] * 3
    credits = ("Dr. Oona Vesterlund", "Oona Vesterlund - Kilnworks", "Oona Vesterlund (Kilnworks)")
    keys = {alias_key(credited) for credited in credits}
    assert keys == {"oona vesterlund"}


@pytest.mark.parametrize(
    ("title", "notes"),
    [
        # links to older episodes name their guests, not this one's
        ("Glaze chemistry", "Last week: #41 – Salt kilns with Bo Lind"),
        ("Glaze chemistry", "See also episode 12: Bo Lind on glazes (feat. Ida Marsh)"),
        ("Glaze chemistry", "Related episodes\nKC 9: Soda firing featuring Ida Marsh"),
        # the host, with a word or two before the name
        ("Glaze chemistry", "Your Kiln Host Dana Pell is joined by nobody this week."),
        ("Glaze chemistry", "Joined by co-host Dana Pell."),
        # sentence fragments in Title Case
        ("With Great Power Comes Great Responsibility", ""),
        ("Featuring Brand New Tools", "We look at brand new tools."),
        ("Guest: The Whole Team", "The whole team is here."),
    ],
)
def test_the_traps_name_no_guest(title, notes):
    assert infer_guests(title, notes, hosts=["Dana Pell"]) == []


def _fixture_guests(part: str) -> dict[str, list[Person]]:
    path = fixture_feed(part)
    feed = parse_feed(path.read_bytes(), source=str(path))
    found = infer_feed_guests(
        [(e.title, html_to_text(e.notes_html)) for e in feed.episodes],
        show_title=feed.title,
        hosts=[p.name for p in feed.persons],
        language=feed.language,
    )
    return {e.title: people for e, people in zip(feed.episodes, found, strict=True)}


def test_titans_of_nuclear_keeps_the_organisation_as_detail():
    # "Ep 28: Jose Reyes, NuScale Power": the guest, then a comma and the organisation.
    (guest,) = _fixture_guests("titans-of-nuclear")["Ep 28: Jose Reyes, NuScale Power"]
    assert (guest.name, guest.detail) == ("Jose Reyes", "NuScale Power")


def test_80000_hours_keeps_the_ambassador_as_detail():
    # "#65 - Ambassador Bonnie Jenkins on 8 years pursuing WMD arms control, …"
    guests = _fixture_guests("80000HoursPodcast")
    title = next(t for t in guests if t.startswith("#65 - Ambassador Bonnie Jenkins"))
    assert [(p.name, p.detail) for p in guests[title]] == [("Bonnie Jenkins", "Ambassador")]


def test_the_daily_keeps_the_reporters_beat_as_detail():
    # "Natalie Kitroeff, a business reporter for The New York Times, …" in the notes of
    # "Two Crashes, a Single Jet: The Story of Boeing’s 737 Max".
    guests = _fixture_guests("the-daily")
    title = next(t for t in guests if t.startswith("Two Crashes, a Single Jet"))
    details = {p.name: p.detail for p in guests[title]}
    assert details["Natalie Kitroeff"] == "business reporter for The New York Times"
