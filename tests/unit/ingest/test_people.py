"""People: podcast:person imported as tagged, guests inferred from titles and notes only in
the common forms, and never a person made up from a fragment of a title."""

from __future__ import annotations

import asyncio

import pytest

from bot.common.plain_text import html_to_text
from bot.ingest.feedparse import parse_feed
from bot.ingest.fetch import Fetcher
from bot.ingest.importer import Importer
from bot.ingest.people import clean_name, credit_name, infer_feed_guests, infer_guests
from bot.store import Store
from tests.support.paths import EXAMPLES, fixture_feed

# --------------------------------------------------------------------------- inference

# Real titles from the fixture feeds (and the example feed). Notes are short stand-ins in
# our own words: the forms "with" and "Name: Topic" / "Name on Topic" need the notes to
# spell the name the same way.
HITS = [
    ("100: Goldilocks Fidelity (feat. Daniel Burka)", "", ["Daniel Burka"]),
    ("98: Inhale the Flattery (feat. Marc Hemeon & Joshua Taylor)", "",
     ["Marc Hemeon", "Joshua Taylor"]),
    ("69: Epicurrence Live (feat. Dustin Senos + Haraldur Thorleifsson)", "",
     ["Dustin Senos", "Haraldur Thorleifsson"]),
    ("4: Dropout, Ten Years On (with Yusuf Karaoğlu)", "Yusuf Karaoğlu explains dropout.",
     ["Yusuf Karaoğlu"]),
    ("13: Curriculum Learning, with Felix Amadi", "Felix Amadi asks a question.",
     ["Felix Amadi"]),
    ("Kayak, OWIN, Open Source Web Servers and more with Benjamin van der Veen",
     "Scott talks to Benjamin van der Veen.", ["Benjamin van der Veen"]),
    ("Deeper into the Netduino with Chris Walker from Secret Labs",
     "Chris Walker shows us boards.", ["Chris Walker"]),
    ("Herding Code 62: MonoTouch with Miguel de Icaza and Geoff Norton",
     "Miguel de Icaza and Geoff Norton join us.", ["Miguel de Icaza", "Geoff Norton"]),
    ("Making a hobby a job - Talking with Eric Herbrandson about his Silverlight-based MicroISV",
     "", ["Eric Herbrandson"]),
    ("SE-Radio Episode 243: RethinkDB with Slava Akhmechet", "Slava Akhmechet built it.",
     ["Slava Akhmechet"]),
    ("Herding Code 99: David Ebbo on NuGet", "David Ebbo tells us about NuGet.",
     ["David Ebbo"]),
    ("Herding Code 92: Dru Sellers and Rob Reynolds on Nu",
     "Dru Sellers and Rob Reynolds wrote Nu.", ["Dru Sellers", "Rob Reynolds"]),
    ("SE-Radio Episode 248: Axel Rauschmayer on JavaScript and ECMAScript 6",
     "Axel Rauschmayer explains the language.", ["Axel Rauschmayer"]),
    ("Herding Code 45: Larry O’Brien on Domain Specific Languages",
     "Larry O’Brien on DSLs.", ["Larry O’Brien"]),
    ("Episode 39: Scott C. Reynolds on Mac and iPhone Development",
     "Scott C. Reynolds switched to a Mac.", ["Scott C. Reynolds"]),
    ("Herding Code 56: Markus Völter on Model-Driven Development, DSLs and Product Line",
     "Markus Völter on models.", ["Markus Völter"]),
    ("Episode 227: Eric Brewer: The CAP Theorem, Then and Now", "Eric Brewer revisits CAP.",
     ["Eric Brewer"]),
    ("#498 – Anthony Kaldellis: Roman Empire, Byzantine Empire, Rise &#038; Fall of Empires",
     "Anthony Kaldellis is a historian.", ["Anthony Kaldellis"]),
    ("Gov. Andrew Cuomo: ‘It’s Making Sure We Live Through This.’",
     "Andrew Cuomo, the governor, on the crisis.", ["Andrew Cuomo"]),
    ("12: Zoë Harlan-Miyata on Infinitely Wide Neural Networks",
     "Zoë Harlan-Miyata works on theory.", ["Zoë Harlan-Miyata"]),
    # Notes alone, in their usual forms.
    ("Episode 198: Wil van der Aalst on Workflow Management Systems",
     "Recording Venue: WebEx\nGuest: Wil van der Aalst\nRobert Blumen interviews him.",
     ["Wil van der Aalst"]),
    ("Episode 185: Dwight Merriman on Replication",
     "Guest: Dwight Merriman\n\nAs application data size grows...", ["Dwight Merriman"]),
    ("Solo episode", "My guest today is Ana Lúcia Ferraz, who designs proteins.",
     ["Ana Lúcia Ferraz"]),
]  # fmt: skip

REFUSALS = [
    ("Herding Code 95: MonoDroid with Miguel and the Mono gang", "Miguel and the Mono gang."),
    ("Herding Code 86: Saqib Shaikh on Accessibility and Developing with Limited Sight",
     "Saqib Shaikh can develop with limited sight."),
    ("Episode 229: Flavio Junqueira on Distributed Coordination with Apache ZooKeeper",
     "Apache ZooKeeper is a coordination kernel."),
    ("Episode 211: Continuous Delivery on Windows with Rachel Laycock and Max Lincoln",
     "We talk about continuous delivery on Windows."),
    ("SE-Radio Episode 222: Nathan Marz on Real-Time Processing with Apache Storm",
     "He created Apache Storm."),
    ("The Latest: Why President Trump Changed His Tone on the Coronavirus", "The Latest."),
    ("Special Episode: This Tom Hanks Story Will Make You Feel Less Bad", "Tom Hanks"),
    ("#496 – FFmpeg: The Incredible Technology Behind Video on the Internet", "FFmpeg"),
    ("#490 – State of AI in 2026: LLMs, Coding, Scaling Laws, China, Agents, GPUs, AGI",
     "State of AI in 2026"),
    ("Clean Architecture - Are Microservices Truly Decoupled?", "Clean Architecture"),
    ("Design Anti-Patterns: YoYo, The God Object and More", "Design Anti-Patterns"),
    ("Learning to Live With the Coronavirus", "the Coronavirus"),
    ("Herding Code 93: Computer Errors, Home Media, and The Fall of The Roman Empire",
     "Computer Errors"),
    ("Giant Bombcast 600: Big Game Pass", "Big Game Pass"),
    ("Bonus: Live from the Lisbon Listener Meetup", "Lisbon Listener Meetup"),
    ("16: Mailbag — Warmup, Width and Weight Decay", "Weight Decay"),
    ("Episode 237: Go Behind the Scenes and Meet the Team", "Meet the Team"),
    ("Introducing Warm Restarts", "Warm Restarts"),
    ("Episode 618 Dec 5th 2017", "Dec 5th"),
    ("BONUS: The NFL's Violent Ballet", "NFL"),
    ("BONUS: Leading Marxist Scholar David Harvey on Trump, Wall Street and Debt Peonage",
     "Leading Marxist Scholar David Harvey"),
    ("Continual Learning and the Sleeping Brain (Hélène Marchetti, Part 2)",
     "Continual Learning"),
    ("17: Our Year in Papers", "Our Year"),
    ("Episode 13: Dark Mail: A New Hope | LINUX Unplugged 13", "Dark Mail is a project."),
]  # fmt: skip


@pytest.mark.parametrize(("title", "notes", "names"), HITS, ids=[h[0][:40] for h in HITS])
def test_guests_in_the_common_forms_are_found(title, notes, names):
    guests = infer_guests(title, notes)
    assert [g.name for g in guests] == names
    assert all(g.role == "guest" and g.inferred for g in guests)


@pytest.mark.parametrize(("title", "notes"), REFUSALS, ids=[r[0][:40] for r in REFUSALS])
def test_no_person_is_made_up_from_a_fragment(title, notes):
    found = {g.name for g in infer_guests(title, notes)}
    # A title that also names a real guest may keep that one, and nothing else.
    assert found <= {"Saqib Shaikh", "Flavio Junqueira", "Rachel Laycock", "Max Lincoln",
                     "Nathan Marz"}  # fmt: skip
    assert not found & {"Limited Sight", "Apache ZooKeeper", "Apache Storm",
                        "Continuous Delivery", "Tom Hanks", "Dark Mail"}  # fmt: skip


def test_a_title_that_names_a_guest_beside_a_topic_keeps_only_the_guest():
    guests = infer_guests(
        "Episode 211: Continuous Delivery on Windows with Rachel Laycock and Max Lincoln",
        "Johannes talks with Rachel Laycock and Max Lincoln about continuous delivery.",
    )
    assert [g.name for g in guests] == ["Rachel Laycock", "Max Lincoln"]


def test_the_show_and_its_hosts_are_never_guests():
    assert infer_guests("Catalyst with Shayle Kann", "Shayle Kann",
                        show_title="Catalyst with Shayle Kann") == []  # fmt: skip
    found = infer_guests(
        "Chat with Maren Achterberg and Ana Lúcia Ferraz",
        "Maren Achterberg and Ana Lúcia Ferraz talk.",
        hosts=["Maren Achterberg"],
    )
    assert [g.name for g in found] == ["Ana Lúcia Ferraz"]


@pytest.mark.parametrize(
    ("candidate", "name"),
    [
        ("Dr. Timothy M. Jurgensen", "Timothy M. Jurgensen"),
        ("Zoë Harlan-Miyata", "Zoë Harlan-Miyata"),
        ("Çağla Demirtaş", "Çağla Demirtaş"),
        ("Louis DeJardin", "Louis DeJardin"),
        ("Ahmad bin Ali", "Ahmad bin Ali"),
        ("Ludwig von Mises", "Ludwig von Mises"),
        ("Conan O’Brien", "Conan O’Brien"),
        ("Madonna", None),  # one word
        ("Ann van", None),  # cut off after a particle
        ("NASA Engineers", None),  # ALL CAPS
        ("Apache ZooKeeper", None),  # a product
        ("The Daily", None),
        ("Monday Morning", None),
        ("Stanford University", None),
        ("Episode Two", None),
        ("Agent 47", None),
        ("J. K.", None),
        ("Anna Maria Clara Sofia Lopez", None),  # five words: more likely a list
    ],
)
def test_what_counts_as_a_name(candidate, name):
    assert clean_name(candidate) == name


def _feed_guests(part: str) -> dict[str, list[str]]:
    path = fixture_feed(part)
    feed = parse_feed(path.read_bytes(), source=str(path))
    found = infer_feed_guests(
        [(e.title, html_to_text(e.notes_html)) for e in feed.episodes],
        show_title=feed.title,
        hosts=[p.name for p in feed.persons],
        language=feed.language,
    )
    return {
        e.title: [p.name for p in people] for e, people in zip(feed.episodes, found, strict=True)
    }


def test_name_on_topic_counts_in_a_feed_that_titles_every_episode_that_way():
    guests = _feed_guests("HerdingCode")
    assert guests["Herding Code 99: David Ebbo on NuGet"] == ["David Ebbo"]
    assert guests["Herding Code 87: Jeff Atwood on Area 51 and Stack Overflow"] == ["Jeff Atwood"]
    assert guests["Herding Code 94: Silverlight and HTML5"] == []


def test_name_colon_topic_is_ignored_where_it_is_no_habit_or_capitals_mark_nouns():
    # Podcasting 2.0 (pc20rss): one title in fifty-six reads "All Hands on Deck".
    assert _feed_guests("pc20rss")["Episode 34: All Hands on Deck"] == []
    # Engineering Kiosk is German: "Modern Fortran: Nach 70 Jahren ..." names no one.
    kiosk = _feed_guests("EngineeringKiosk")
    assert not any("Modern Fortran" in names for names in kiosk.values())
    assert not any("Servant Leadership" in names for names in kiosk.values())


# --------------------------------------------------------------------------- import


async def _import_all(path) -> None:
    async with await Store.open(path) as store, Fetcher() as fetcher:
        importer = Importer(store, fetcher, remote_files=False)
        for source in (EXAMPLES / "feed.xml", fixture_feed("no-agenda"),
                       fixture_feed("themnshow"), fixture_feed("pc20rss")):  # fmt: skip
            summary = await importer.import_source(str(source))
            assert summary.ok, summary.line()


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    fixture_feed("no-agenda")  # skips when the shared fixtures are absent
    path = tmp_path_factory.mktemp("people") / "store.db"
    asyncio.run(_import_all(path))
    return path


async def people_of(path, title: str) -> list[tuple[str, str, bool]]:
    async with await Store.open(path) as store:
        rows = await store.fetchall(
            """SELECT p.name, ep.role, ep.inferred FROM episode_persons ep
               JOIN persons p ON p.id = ep.person_id JOIN episodes e ON e.id = ep.episode_id
               WHERE e.title = ? ORDER BY ep.rowid""",
            (title,),
        )
    return [(row[0], row[1], bool(row[2])) for row in rows]


async def test_a_person_without_a_role_is_a_host(imported):
    # No Agenda tags Adam Curry with no role at all.
    assert await people_of(imported, '1393: "Space Wake"') == [
        ("Adam Curry", "host", False),
        ("John C Dvorak", "host", False),
    ]


async def test_item_level_people_replace_the_channel_people(imported):
    # The Mike Neumann Show: the channel names its host, each item names only the guest
    # (tagged "Dr. Timothy M. Jurgensen": the honorific is dropped, one person is one name).
    assert await people_of(imported, "Social Media") == [("Timothy M. Jurgensen", "guest", False)]


async def test_guests_and_hosts_from_item_tags(imported):
    assert await people_of(imported, "Episode 57: Rebel Rubes") == [
        ("Adam Curry", "host", False),
        ("Dave Jones", "host", False),
        ("Brian of London", "guest", False),
    ]
    assert await people_of(imported, "Episode 55: All Jacked Up") == [
        ("Adam Curry", "host", False),
        ("Dave Jones", "host", False),
    ]


async def test_untagged_items_get_inferred_guests_beside_the_channel_hosts(imported):
    assert await people_of(imported, "25: Pruning, Sparsity and Lottery Tickets with Emeka Ugwu") == [  # noqa: E501
        ("Maren Achterberg", "host", False),
        ("Kwame Osei-Bonsu", "host", False),
        ("Emeka Ugwu", "guest", True),
    ]  # fmt: skip
    assert await people_of(imported, "4: Dropout, Ten Years On (with Yusuf Karaoğlu)") == [
        ("Maren Achterberg", "host", False),
        ("Kwame Osei-Bonsu", "host", False),
        ("Yusuf Karaoğlu", "guest", True),
    ]
    # Tagged items keep exactly their tags.
    assert await people_of(imported, "29: Zoë Harlan-Miyata and Emeka Ugwu on Width and Sparsity") == [  # noqa: E501
        ("Zoë Harlan-Miyata", "guest", False),
        ("Emeka Ugwu", "guest", False),
    ]  # fmt: skip
    # Hosts-only items stay hosts-only.
    assert await people_of(imported, "16: Mailbag — Warmup, Width and Weight Decay") == [
        ("Maren Achterberg", "host", False),
        ("Kwame Osei-Bonsu", "host", False),
    ]


async def test_an_inferred_guest_and_a_tagged_one_are_the_same_person(imported):
    async with await Store.open(imported) as store:
        rows = await store.fetchall(
            """SELECT e.number FROM episode_persons ep JOIN persons p ON p.id = ep.person_id
               JOIN episodes e ON e.id = ep.episode_id
               WHERE p.name = 'Emeka Ugwu' ORDER BY e.number"""
        )
    assert [row[0] for row in rows] == [25, 29]


# ---------------------------------------------------------------- false guests (issue 13)


@pytest.mark.parametrize(
    ("credited", "name"),
    [
        ("Dr. Ann Lee", "Ann Lee"),
        ("Prof. Dr. Ann Lee", "Ann Lee"),
        ("Ambassador Ines Varga", "Ines Varga"),
        ("Ann Lee - Quarry Labs", "Ann Lee"),
        ("Ann Lee – Quarry Labs", "Ann Lee"),
        ("Ann Lee (Quarry Labs)", "Ann Lee"),
        ("Ann Lee, CTO at Quarry Labs", "Ann Lee"),
        ("Ann Lee | Quarry Labs", "Ann Lee"),
        ("Dr. Who", "Dr. Who"),  # nothing would be left of it
        ("Ann Harlan-Miyata", "Ann Harlan-Miyata"),  # a hyphen inside a name stays
        ("Quarry Labs - Podcast", "Quarry Labs - Podcast"),  # no name before the dash
    ],
)
def test_a_credit_loses_its_honorific_and_its_company(credited, name):
    assert credit_name(credited) == name


def test_a_guest_named_in_a_link_to_an_older_episode_is_not_this_episodes_guest():
    notes = (
        "We compare kerning on phones and on paper.\n"
        "Previously: DD 3: Type on screens (feat. Ann Lee)\n"
        "41: Grids and margins featuring Bo Chen"
    )
    assert infer_guests("Kerning on phones", notes) == []


def test_a_guest_named_in_this_episodes_own_notes_still_counts():
    notes = "In episode 42 our guest is Ann Lee, a type designer from Porto."
    assert [p.name for p in infer_guests("Kerning on phones", notes)] == ["Ann Lee"]


@pytest.mark.parametrize(
    "notes",
    ["Joined by co-host Dan Reyes.", "Joined by Titan Host Dan Reyes today."],
)
def test_a_host_with_a_word_before_the_name_is_no_guest(notes):
    assert infer_guests("Fonts on phones", notes, hosts=["Dan Reyes"]) == []


def test_someone_on_half_the_episodes_is_a_regular_not_a_guest():
    episodes = [(f"{n}: Topic {n}", f"Joined by Mira Solberg. Today: topic {n}.") for n in range(8)]
    episodes[3] = ("3: Printing presses", "Joined by Mira Solberg and Tomas Ekdahl.")
    found = infer_feed_guests(episodes, show_title="Press Room")
    assert [p.name for p in found[3]] == ["Tomas Ekdahl"]
    assert all(p.name != "Mira Solberg" for people in found for p in people)


def test_the_deprogram_names_next_weeks_guest_in_a_patreon_plug_which_is_not_taken():
    # "Episode 102 - Bubble City Boys (Ft. Matt Bors and Ben Clarkson)"; its notes end
    # "Episode 103 - The Creator Economy (Ft. Tom Nicholas) is already available there".
    guests = _feed_guests("2026-02-13-deprogram")
    assert guests["Episode 102 - Bubble City Boys (Ft. Matt Bors and Ben Clarkson)"] == [
        "Matt Bors",
        "Ben Clarkson",
    ]
    # "Episode 92 - … (Ft. Trueanon Brace Belden) is already available on Patreon"
    assert guests["Episode 91 - Park the Fascist | Back And To The Left #2"] == []


def test_an_ambassador_is_credited_by_name():
    guests = _feed_guests("80000HoursPodcast")
    title = (
        "#65 - Ambassador Bonnie Jenkins on 8 years pursuing WMD arms control, & diversity "
        "in diplomacy"
    )
    assert guests[title] == ["Bonnie Jenkins"]


@pytest.mark.parametrize(
    ("title", "notes", "guests"),
    [
        # German "mit Name" (the notes must spell the name too), an affiliation after "von".
        ("#12 Kompost im Winter - mit Greta Holm", "Greta Holm erklärt Kompost.", ["Greta Holm"]),
        (
            "#13 Brot backen mit Jonas Feld von der Mühle Nord",
            "Jonas Feld backt seit zwanzig Jahren.",
            ["Jonas Feld"],
        ),
        (
            "#14 Zeit und Uhren mit Lea Brandt und Tim Ost von Uhrwerk",
            "Lea Brandt und Tim Ost bauen Uhren.",
            ["Lea Brandt", "Tim Ost"],
        ),
        ("Leben mit Kindern", "Ein Gespräch über Familie.", []),  # a topic, no name
        (
            "Talk with Ursula von der Leyen",
            "Ursula von der Leyen on Europe.",
            ["Ursula von der Leyen"],
        ),
    ],
)
def test_with_mit_and_affiliations(title, notes, guests):
    assert [p.name for p in infer_guests(title, notes)] == guests


def test_engineering_kiosk_guests_come_from_mit_in_the_title():
    # German feed, no podcast:person; its titles end "- mit Name" or "mit Name von Firma".
    guests = _feed_guests("EngineeringKiosk")
    assert guests[
        "#274 Openwashing: Wenn Open Source nicht wirklich offen ist - mit Johannes Näder"
    ] == ["Johannes Näder"]
    assert guests[
        "#139 Security Engineering und Hacking-Wettbewerbe mit Frederik Braun von Mozilla"
    ] == ["Frederik Braun"]
    # "Java mit mmap, Unsafe & …": no name after "mit".
    assert (
        guests["#265 One Billion Row Challenge: Java mit mmap, Unsafe & richtig vielen Bit-Tricks"]
        == []
    )


# --------------------------------------------------------------------------- notes forms
# Made-up episodes in our own words, one per form the issue names, and one per trap.

NOTES_FORMS = [
    # "X talks to Name"
    (
        "Salt marshes",
        "Our reporter Ivo talks to Henrike Aldous, who maps tidal creeks.",
        ["Henrike Aldous"],
    ),
    (
        "Salt marshes",
        "This week Priya sits down with Oskar Lindqvist about eel grass.",
        ["Oskar Lindqvist"],
    ),
    # "Guests in this episode:" with one guest a line, blank lines between
    (
        "Why bells crack",
        "Bells, bronze and the cold.\nGuests in this episode:\n\nMarta Oyelaran is a bell "
        "founder in Leeds.\n\nTeodor Vass is a historian of foundries.\n\nProduced by our team.",
        ["Marta Oyelaran", "Teodor Vass"],
    ),
    # "Guest(s):" with several names on a bulleted list
    (
        "Kiln week",
        "Guest(s):\n- Rosalind Achebe, potter\n- Jonas Watanabe\n",
        ["Rosalind Achebe", "Jonas Watanabe"],
    ),
    # "Guests:" on one line, several names
    (
        "Kiln week",
        "Guests: Rosalind Achebe and Jonas Watanabe",
        ["Rosalind Achebe", "Jonas Watanabe"],
    ),
    # "#44 Classic episode – Name on …" (the name also in the notes, as the weak form asks)
    (
        "#44 Classic episode – Nadia Ferreira on rewilding rivers",
        "Nadia Ferreira explains how beavers rebuild a river.",
        ["Nadia Ferreira"],
    ),
    # "Name Returns"
    ("Tomasz Grell Returns", "Tomasz Grell is back to talk about bridges.", ["Tomasz Grell"]),
    # an ad in the next sentence of a one-paragraph description is not this sentence's
    (
        "Vote night",
        "Guests: Hedda Crane, who covered the count. For more information about"
        " your ad choices, visit our site.",
        ["Hedda Crane"],
    ),
    # a surname that is also a job word ("Senior")
    ("Gene editing", "Guests: Marit Senior, a columnist.", ["Marit Senior"]),
]

NOTES_TRAPS = [
    # sentence fragments after the marker
    ("Mother Talks to Her Sons", "A mother talks to her sons about the trial."),
    ("Budget night", "The minister talks to the press before the vote."),
    ("Budget night", "Anna talks to us from her kitchen in Leeds."),
    # a list that is not of names
    ("Bells", "Guests in this episode:\n\nThe bell founders of Leeds and their apprentices."),
    # a sponsor block that names someone
    (
        "Bells",
        "This episode is sponsored by Loomwell. Loomwell's founder Ada Brandt talks to "
        "you about socks.",
    ),
    ("Bells", "Sponsors:\n\nGuests: Ada Brandt and Cole Pike from Loomwell, use code BELLS"),
    # "Returns" of something that is not a person, or a person the notes never name
    ("The Comet Returns", "A comet comes back after 76 years."),
    ("Tomasz Grell Returns", "Bridges again, after a year."),
    # a pronoun talks to the reporter: the one talked to is staff, not the guest
    ("Ferry tales", "Lena runs the night ferry. She speaks to Ossian Drum about the tides."),
]


@pytest.mark.parametrize(("title", "notes", "names"), NOTES_FORMS)
def test_notes_forms_name_the_guests(title, notes, names):
    assert [p.name for p in infer_guests(title, notes)] == names


@pytest.mark.parametrize(("title", "notes"), NOTES_TRAPS)
def test_notes_traps_name_no_one(title, notes):
    assert infer_guests(title, notes) == []


def test_a_job_title_after_the_name_is_no_second_person():
    notes = "Ivo talks with Stacy Brandauer, Managing Director of Grid Things, about batteries."
    assert [p.name for p in infer_guests("Grid week", notes)] == ["Stacy Brandauer"]


def test_a_guest_who_talks_to_the_host_is_the_guest():
    # the title names the one who talks; the one talked to is the host
    notes = "Nadia Ferreira talks to Ivo Maren about beavers and rivers."
    found = infer_guests("Nadia Ferreira on beavers", notes)
    assert [p.name for p in found] == ["Nadia Ferreira"]


def test_someone_in_three_conversations_of_a_feed_is_its_host():
    episodes = [
        ("Tides", "Ivo Maren talks to Henrike Aldous about tides."),
        ("Eels", "Oskar Lindqvist talks to Ivo Maren about eels."),
        ("Reeds", "Ivo Maren talks to Rosalind Achebe about reeds."),
        ("Mud", "Mud, all of it."),
    ]
    found = infer_feed_guests(episodes, show_title="Marsh Radio")
    assert [[p.name for p in people] for people in found] == [
        ["Henrike Aldous"], ["Oskar Lindqvist"], ["Rosalind Achebe"], []]  # fmt: skip


def test_name_returns_once_in_a_feed_is_no_habit():
    # "Yik Yak Returns" (Reply All) reads as a name; one such title in a feed is not a habit.
    once = [("Pixel Pox Returns", "Pixel Pox is an app for sharing photos."), ("Mud", "")]
    assert infer_feed_guests(once, show_title="Marsh Radio") == [[], []]
    twice = [
        ("Tomasz Grell Returns", "Tomasz Grell is back."),
        ("Henrike Aldous Returns", "Henrike Aldous again."),
    ]
    found = infer_feed_guests(twice, show_title="Marsh Radio")
    assert [[p.name for p in people] for people in found] == [["Tomasz Grell"], ["Henrike Aldous"]]


def test_a_host_who_talks_to_a_guest_is_not_the_guest():
    notes = "Ivo Maren talks to Henrike Aldous about tidal creeks."
    found = infer_guests("Creeks", notes, hosts=["Ivo Maren"])
    assert [p.name for p in found] == ["Henrike Aldous"]


# --------------------------------------------------------------------------- title templates
# Made-up feeds: a template counts where most of the feed's titles use it.

COMMA_FEED = [
    ("Ep 12: Ann Holloway, Quarry Labs", "Chips and caches."),
    ("Ep 11: Bertrand Okafor, Fieldstone", "Compilers."),
    ("Ep 10: Chiara Benedetti, Open Kiln", "Kilns and firmware."),
    ("Ep 9: Listener mail, part two", "Your letters."),
]
END_FEED = [
    ("Building a kiln from bricks – Ann Holloway", ""),
    ("Why glazes crawl – Bertrand Okafor", ""),
    ("Wood firing, slowly – Chiara Benedetti & Dmitri Sokol", ""),
    ("Studio tour – Part 2", ""),
]
NAME_ONLY_FEED = [
    ("Ann Holloway", "She builds kilns."),
    ("Bertrand Okafor", "He glazes pots."),
    ("Chiara Benedetti", "Firmware for kilns."),
    ("Summer Special", "Clips from the year."),
]


@pytest.mark.parametrize(
    ("episodes", "expected"),
    [
        (COMMA_FEED, [["Ann Holloway"], ["Bertrand Okafor"], ["Chiara Benedetti"], []]),
        (
            END_FEED,
            [["Ann Holloway"], ["Bertrand Okafor"], ["Chiara Benedetti", "Dmitri Sokol"], []],
        ),
        (NAME_ONLY_FEED, [["Ann Holloway"], ["Bertrand Okafor"], ["Chiara Benedetti"], []]),
    ],
)
def test_a_feeds_own_title_template_names_its_guests(episodes, expected):
    found = infer_feed_guests(episodes, show_title="Kiln Talk")
    assert [[p.name for p in people] for people in found] == expected


def test_a_title_template_used_by_few_titles_names_no_one():
    # One title in six reads like a name or "…, Org": a topic, not the feed's habit.
    episodes = [
        ("Grace Hopper", "The life of the admiral, told by us."),
        ("Ep 3: Rust Belt, Revisited", "Factories."),
        ("Glazes that crawl – Cone Six", ""),
        ("Why kilns crack", ""),
        ("Firing schedules", ""),
        ("Clay bodies", ""),
    ]
    assert infer_feed_guests(episodes, show_title="Kiln Talk") == [[]] * 6


def test_a_host_in_every_title_template_is_a_regular_not_a_guest():
    episodes = [(f"Topic {n} – Vera Lindahl", "") for n in range(8)]
    assert infer_feed_guests(episodes, show_title="Kiln Talk") == [[]] * 8
    # and a host named as such never is, whatever the share
    found = infer_feed_guests(END_FEED, show_title="Kiln Talk", hosts=["Ann Holloway"])
    assert found[0] == []


# --------------------------------------------------------------------------- fixture feeds


def test_ideas_lists_its_guests_one_a_line():
    # CBC "Ideas": the notes end "Guests in this episode:" then one paragraph per guest,
    # "Cynda Rushton is a nurse …", "Robert Meagher is an emeritus professor …",
    # "Thea Lim is a novelist …".
    guests = _feed_guests("cbc-ideas")
    assert guests["Why moral suffering can be a good thing"] == [
        "Cynda Rushton", "Robert Meagher", "Thea Lim"]  # fmt: skip


def test_80000_hours_classic_episodes_name_their_guest():
    # "Classic episode - Paul Christiano on finding real solutions to the AI alignment
    # problem": the feed titles its episodes "#N – Name on Topic".
    guests = _feed_guests("80000Hours")
    classic = {t: g for t, g in guests.items() if "Classic episode" in t}
    assert any(g == ["Paul Christiano"] for t, g in classic.items() if "Paul Christiano" in t)


def test_titans_of_nuclear_titles_name_the_guest_before_the_organisation():
    # Titans of Nuclear titles nearly every episode "Ep 28: Jose Reyes, NuScale Power".
    guests = _feed_guests("titans-of-nuclear")
    assert guests["Ep 28: Jose Reyes, NuScale Power"] == ["Jose Reyes"]
    assert guests["Ep 89: Jeff Merrifield, Nuclear Regulatory Commission"] == [
        "Jeff Merrifield"]  # fmt: skip


def test_se_radio_guest_who_talks_to_the_host_named_in_the_title():
    # "Ben Hindman talks to Jeff Meyerson about Apache Mesos" (Jeff Meyerson hosts).
    guests = _feed_guests("se-radio")
    assert guests["SE-Radio Episode 235: Ben Hindman on Apache Mesos"] == ["Ben Hindman"]


def test_conan_returning_guests():
    # Conan O'Brien Needs A Friend: "Werner Herzog Returns", notes name Werner Herzog.
    guests = _feed_guests("conan")
    assert guests["Werner Herzog Returns"] == ["Werner Herzog"]


def test_the_daily_names_who_a_reporter_talks_to():
    # The Daily: "… talks to Alexander Malkevich, the founder of USA Really …".
    guests = _feed_guests("the-daily")
    assert any("Alexander Malkevich" in names for names in guests.values())
    assert not any("Her Sons" in " ".join(names) for names in guests.values())
