"""bot.ingest.chapters: tables of contents from show notes and Podcasting 2.0 chapter files.

Real formats are read from the fixture feeds in ../shared/fixtures (never copied here);
the short snippets below are written for these tests, for formats and traps that the
fixture feeds lack.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import pytest
from lxml import etree

from bot.ingest.chapters import (
    ChapterFileError,
    chapters_from_json,
    chapters_from_notes,
    finalize_chapters,
)
from bot.models.parsed_feed import Chapter
from tests.support.paths import fixture_feed, raw_item_element, shared_fixtures_or_skip

CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
SUMMARY = "{http://www.itunes.com/dtds/podcast-1.0.dtd}summary"


# ---------------------------------------------------------------- reading fixture items


def _feed_items(path: Path) -> list[etree._Element]:
    data = path.read_bytes()
    declaration = data.find(b"<?xml")
    if 0 < declaration < 4096:  # junk or whitespace before the declaration
        data = data[declaration:]
    parser = etree.XMLParser(recover=True, huge_tree=True, resolve_entities=False)
    root = etree.fromstring(data, parser)
    assert root is not None, f"{path.name} does not parse"
    return list(root.iter("item"))


@functools.cache
def _items(feed: str) -> list[etree._Element]:
    return _feed_items(fixture_feed(feed))


def notes_of(feed: str, title_start: str, field: str) -> str:
    """The text of one element (`description`, CONTENT, ...) of the item whose title
    starts with `title_start`, as an XML parser gives it."""
    for item in _items(feed):
        if (item.findtext("title") or "").strip().startswith(title_start):
            return item.findtext(field) or ""
    raise AssertionError(f"no item titled {title_start!r} in {feed}")


def richest_notes(item: etree._Element) -> str:
    """What ParsedEpisode.notes_html holds: the longest of the three note elements."""
    return max((item.findtext(tag) or "" for tag in (CONTENT, "description", SUMMARY)), key=len)


def pairs(chapters: list[Chapter]) -> list[tuple[float, str]]:
    return [(chapter.start, chapter.title) for chapter in chapters]


# ---------------------------------------------------------------- real formats

LEX_498 = [
    (0.0, "Introduction"),
    (11.0, "Sponsors, Comments, and Reflections"),
    (525.0, "The Roman Empire and the Byzantine Empire"),
    (762.0, "2,200 Years of Roman History"),
    (1986.0, "Power, violence, and civil war"),
    (3260.0, "Edict of Caracalla"),
    (4037.0, "Crisis of the Third Century"),
    (4905.0, "Constantine and the new Roman Empire"),
    (5626.0, "Christianity in the Roman Empire"),
    (7154.0, "Fall of the Western Roman Empire"),
    (7931.0, "Eunuchs, Taxes, and Power"),
    (9437.0, "Emperor Justinian and wars of conquest"),
    (10459.0, "The Arab conquests"),
    (11635.0, "Why the Roman empire survived so long"),
    (13201.0, "Lessons from history"),
]

KIOSK_274 = [
    (0.0, "Openwashing, digitale Souveränität und warum das Thema wichtiger wird"),
    (159.0, "Johannes Näder, FSFE und der politische Blick auf freie Software"),
    (511.0, "Info/Werbung"),
    # The ad break splits a topic: the same title again, kept as its own chapter.
    (571.0, "Johannes Näder, FSFE und der politische Blick auf freie Software"),
    (589.0, "Freie Software erklärt: Die vier Freiheiten und warum sie zählen"),
    (743.0, "Public Money Public Code und Open Source in der Verwaltung"),
    (994.0, "Digitale Souveränität, Europa und neue Abhängigkeiten"),
    (1287.0, "Was ist Openwashing und warum Firmen es betreiben"),
    (1533.0, "Souveränitätswashing, Delos Cloud und Vendor Lock-in"),
    (1829.0, "Wie Openwashing in der Praxis funktioniert"),
    (2171.0, "Community Edition, Enterprise Edition und Open Core"),
    (2515.0, "Bitwarden, Open Weight und KI als neue Openwashing-Fälle"),
    (3008.0, "Woran du Openwashing erkennst: Repo, Lizenz und Buildbarkeit"),
    (3120.0, "Was Entwickler:innen, Verwaltungen und Politik tun können"),
    (3602.0, "Home Assistant, Nextcloud und die Grauzonen im Alltag"),
    (4008.0, "Ausblick: Wie wir Openwashing langfristig zurückdrängen können"),
]

UNPLUGGED_378 = [
    (0.0, "Pre-show"),
    (61.0, "Intro"),
    (143.0, "Meet the Raspberry Pi 400"),
    (681.0, "Manjaro Update"),
    (1019.0, "State of Linux Gaming"),
    (1391.0, "GNOME 40"),
    (1656.0, "Building Native Apps on Linux"),
    (2896.0, "Housekeeping"),
    (3005.0, "Feedback"),
    (3527.0, "Pick"),
]


def test_lexfridman_parenthesised_mixed_mm_ss_and_h_mm_ss_with_en_dash_entity() -> None:
    # `(12:42) &#8211; 2,200 Years...<br />` lines under a bold "OUTLINE:" heading.
    chapters = chapters_from_notes(notes_of("lexfridman", "#498 ", "description"))
    assert pairs(chapters) == LEX_498
    assert {chapter.source for chapter in chapters} == {"notes"}


def test_engineering_kiosk_paragraph_per_chapter_keeps_repeated_titles() -> None:
    # `<h3>Sprungmarken</h3><p>(00:02:39) Title</p>...` in a CDATA <description>.
    assert pairs(chapters_from_notes(notes_of("EngineeringKiosk", "#274 ", "description"))) == (
        KIOSK_274
    )


def test_engineering_kiosk_entity_escaped_content_encoded_gives_the_same_list() -> None:
    # The same list in <content:encoded>, entity-escaped (`&lt;p&gt;(00:00:00) ...`).
    escaped = raw_item_element("EngineeringKiosk", "#274 ", "content:encoded")
    assert "&lt;p&gt;(00:02:39)" in escaped
    assert pairs(chapters_from_notes(escaped)) == KIOSK_274


def test_linux_unplugged_plain_text_list_keeps_prose_run_into_the_last_entry() -> None:
    # Plain text "Chapters:\n00:00:00 Pre-show\n..."; the last line runs into prose.
    chapters = chapters_from_notes(notes_of("LinuxUnplugged", "378:", "description"))
    assert pairs(chapters) == [*UNPLUGGED_378, (3863.0, "Post-show Special Guest: Jérôme Laban.")]


def test_linux_unplugged_html_version_cuts_the_following_paragraph() -> None:
    # In the HTML notes the guest line is its own paragraph, so the title ends cleanly.
    chapters = chapters_from_notes(notes_of("LinuxUnplugged", "378:", CONTENT))
    assert pairs(chapters) == [*UNPLUGGED_378, (3863.0, "Post-show")]


def test_design_details_bold_times_separated_by_link_lists() -> None:
    # `<p><strong>4:00</strong> - Introductions</p>` each followed by a <ul> of links.
    chapters = chapters_from_notes(notes_of("design-details", "80:", CONTENT))
    assert pairs(chapters) == [
        (240.0, "Introductions"),
        (1200.0, "Typekit, Editorially, etc."),
        (2400.0, "Type"),
        (2700.0, "Process, mentorship"),
    ]


def test_design_details_broken_markdown_emphasis_around_a_time() -> None:
    # One entry of episode 78 is written `<p>_12:00__ - Epicurrence and Diversity</p>`.
    chapters = chapters_from_notes(notes_of("design-details", "78:", CONTENT))
    assert pairs(chapters) == [
        (240.0, "Introductions"),
        (720.0, "Epicurrence and Diversity"),
        (1320.0, "Background, advice"),
    ]


def test_run_together_inline_list_with_double_escaped_entities() -> None:
    # "raus:(00:00) Intro - ... &quot;Wetten, dass...&quot; Auftritt(02:32) Die ...!(05:05)"
    # (the file has `&amp;quot;`: after XML decoding the notes still hold `&quot;`).
    notes = notes_of("itunes-keywords-astext", "Die mit Tokio Hotel", "description")
    assert "&quot;Wetten" in notes
    chapters = chapters_from_notes(notes)
    assert len(chapters) == 22
    assert pairs(chapters[:5]) == [
        (0.0, 'Intro - Legendärer Tokio Hotel "Wetten, dass..." Auftritt'),
        (152.0, "Die Tokio Hotel Super-Kreischerin - Unsere Ex-Mitarbeiterin!"),
        (305.0, "Warum klingt der Podcast wie Erkältung mit Blattgold?"),
        (369.0, "Reisebericht: Die wilde Fahrt in die Tokio-Hotel 2000er"),
        (558.0, "Keine Arenen mehr, aber Trucks müssen schon sein."),
    ]
    assert pairs(chapters[-1:]) == [
        (2757.0, "Zum Schluss glaubt Walerija an das Gute in der TV Landschaft")
    ]


def test_osf_chapter_boxes_put_the_title_before_the_time() -> None:
    # Podlove OSF: <h2 class="osf_chapter">Title</h2> <span class="osf_chaptertime">.
    chapters = chapters_from_notes(notes_of("CRE.xml", "CRE197", CONTENT))
    assert len(chapters) == 30
    assert pairs(chapters[:5]) == [
        (0.0, "Intro"),
        (80.0, "Begrüßung"),
        (182.0, "Einführung"),
        (325.0, "Clemens Schrimpe"),
        (731.0, "Internet Protocol (IP)"),
    ]
    assert (10599.0, "IP-Tunnel & Transition Strategies") in pairs(chapters)
    assert pairs(chapters[-1:]) == [(13769.0, "CRE Outro")]


def test_osf_boxes_without_times_give_no_chapters() -> None:
    # CRE200 has chapter boxes whose time spans are all empty.
    assert chapters_from_notes(notes_of("CRE.xml", "CRE200", CONTENT)) == []


def test_a_mistyped_time_is_dropped_instead_of_splitting_the_list() -> None:
    # Episode #16 lists (05:17) then (02:05) then (07:02): 02:05 is a typo.
    chapters = chapters_from_notes(notes_of("EngineeringKiosk", "#16 ", "description"))
    assert len(chapters) == 25
    assert pairs(chapters[3:6]) == [
        (294.0, "Saubere git history und Merge-Commits"),
        (317.0, "Code Reviews"),
        (422.0, "Muss der Code Reviewer immer mehr Erfahrung haben?"),
    ]
    assert 125.0 not in [chapter.start for chapter in chapters]


def test_two_mistyped_times_in_a_row_are_dropped_too() -> None:
    # Episode #15 lists (00:04:38), then (00:01:16) and (00:01:05), then (00:13:55).
    chapters = chapters_from_notes(notes_of("EngineeringKiosk", "#15 ", "description"))
    assert len(chapters) == 25
    assert [chapter.start for chapter in chapters[3:6]] == [223.0, 278.0, 835.0]


def test_a_time_too_far_ahead_is_dropped_too() -> None:
    notes = "00:00 A\n05:00 B\n95:00 C\n10:00 D\n15:00 E"
    assert pairs(chapters_from_notes(notes)) == [(0, "A"), (300, "B"), (600, "D"), (900, "E")]


def test_chapters_past_the_stated_duration_are_kept() -> None:
    # Issue 11: the duration tag is often a free preview's length, or wrong; the card
    # marks late chapters instead of the reader hiding them.
    notes = notes_of("lexfridman", "#498 ", "description")
    assert pairs(chapters_from_notes(notes, duration=7154.0)) == LEX_498
    assert pairs(chapters_from_notes(notes, duration=600.0)) == LEX_498


# ---------------------------------------------------------------- real traps


@pytest.mark.parametrize(
    ("feed", "title", "field"),
    [
        # Event dates with clock times: "9 October: ... Agony Aunt (16:30)".
        ("sentimental-garbage", "Wild Garbage #2", "description"),
        # "... beginning at 8:30 a.m." in prose.
        ("the-daily", "Special Edition: A Guide to the Mueller Hearings", "description"),
        # A list of topics with time ranges, but only inside an HTML attribute.
        ("titans-of-nuclear", "Ep 285", "description"),
        # A single "Dauer: 2:00:09" (duration) line.
        ("CRE.xml", "CRE199", CONTENT),
        # IPv6 addresses such as 2001:1560:42::42 in the links of chapter boxes.
        ("CRE.xml", "CRE196", CONTENT),
    ],
)
def test_real_notes_without_a_table_of_contents(feed: str, title: str, field: str) -> None:
    notes = notes_of(feed, title, field)
    assert re.search(r"\d:\d\d", notes)  # there are times, just no chapter list
    assert chapters_from_notes(notes) == []


# ---------------------------------------------------------------- formats (own snippets)

FORMATS = {
    "markdown bullets with bold linked times": (
        "### Show Notes\n\n* **[00:00](#t=00:00)** Welcome aboard\n"
        "* **[02:15](#t=02:15)** Why caching is hard\n* **[09:40](#t=09:40)** Tools we like",
        [(0.0, "Welcome aboard"), (135.0, "Why caching is hard"), (580.0, "Tools we like")],
    ),
    "html links on the times": (
        '<ul><li><a href="#t=00:00">00:00</a> Hello</li><li><a href="#t=01:31">01:31</a>'
        ' Layout talk</li><li><a href="#t=07:02">07:02</a> Wrap-up</li></ul>',
        [(0.0, "Hello"), (91.0, "Layout talk"), (422.0, "Wrap-up")],
    ),
    "timestamps heading, trailing spaces, a list after": (
        "Timestamps\n00:00:00 Welcome \n00:02:10 Sleep and light \n00:35:00 Caffeine timing\n"
        "\nWe also discuss:\n- Morning light\n- Coffee",
        [(0.0, "Welcome"), (130.0, "Sleep and light"), (2100.0, "Caffeine timing")],
    ),
    "mixed padding with hyphens": (
        "0:00 - Intro\n05:25 - The approach\n13:10 - Mapping a fly brain\n1:15:20 - Efficiency",
        [
            (0.0, "Intro"),
            (325.0, "The approach"),
            (790.0, "Mapping a fly brain"),
            (4520.0, "Efficiency"),
        ],
    ),
    "time after the title": (
        "Intro - 0:00\nListener mail - 4:10\nThe big story - 12:45\nGoodbye – 58:02",
        [(0.0, "Intro"), (250.0, "Listener mail"), (765.0, "The big story"), (3482.0, "Goodbye")],
    ),
    "time in brackets after the title": (
        "Intro (0:00)\nListener mail (4:10)\nThe big story [12:45]",
        [(0.0, "Intro"), (250.0, "Listener mail"), (765.0, "The big story")],
    ),
    "square brackets with hours": (
        "[00:00:00] Cold open\n[00:12:30] Interview\n[01:02:03] Outro",
        [(0.0, "Cold open"), (750.0, "Interview"), (3723.0, "Outro")],
    ),
    "pipe separator": (
        "00:00 | Welcome\n03:30 | Headlines\n10:00 | Deep dive",
        [(0.0, "Welcome"), (210.0, "Headlines"), (600.0, "Deep dive")],
    ),
    "colon separator": (
        "00:00: Welcome\n03:30: Headlines\n10:00: Deep dive",
        [(0.0, "Welcome"), (210.0, "Headlines"), (600.0, "Deep dive")],
    ),
    "no separator": (
        "00:00 Welcome\n03:30 Headlines\n10:00 Deep dive",
        [(0.0, "Welcome"), (210.0, "Headlines"), (600.0, "Deep dive")],
    ),
    "list not starting at zero": (
        "05:00 Second half begins\n12:00 Call-ins\n25:30 Lightning round",
        [(300.0, "Second half begins"), (720.0, "Call-ins"), (1530.0, "Lightning round")],
    ),
    "minutes past 59": (
        "0:00 Start\n45:00 Middle\n75:30 Late topic\n119:59 Very late",
        [(0.0, "Start"), (2700.0, "Middle"), (4530.0, "Late topic"), (7199.0, "Very late")],
    ),
    "fractions": (
        "00:00:00.000 Intro\n00:01:05.5 Part one\n00:10:00,250 Part two",
        [(0.0, "Intro"), (65.5, "Part one"), (600.25, "Part two")],
    ),
    "titles holding numbers, times and parentheses": (
        "<p>(0:00) Intro<br>(12:42) – 2,200 Years of Roman History<br>"
        "(1:07:17) - Why 3:00 am (and not 4:00) matters<br>(1:30:00) — Closing</p>",
        [
            (0.0, "Intro"),
            (762.0, "2,200 Years of Roman History"),
            (4037.0, "Why 3:00 am (and not 4:00) matters"),
            (5400.0, "Closing"),
        ],
    ),
    "unicode titles": (
        "00:00 Введение\n03:10 日本語のタイトル\n07:45 Ωmega — ünïcödé ✨",
        [(0.0, "Введение"), (190.0, "日本語のタイトル"), (465.0, "Ωmega — ünïcödé ✨")],
    ),
    "round bullets": (
        "• 00:00 Intro\n• 01:00 Part one\n• 02:00 Part two",
        [(0.0, "Intro"), (60.0, "Part one"), (120.0, "Part two")],
    ),
    "hyphen bullets": (
        "- 00:00 Intro\n- 01:00 Part one\n- 02:00 Part two",
        [(0.0, "Intro"), (60.0, "Part one"), (120.0, "Part two")],
    ),
    "list items": (
        "<ol><li>00:00 Intro</li><li>01:00 Part one</li><li>02:00 Part two</li></ol>",
        [(0.0, "Intro"), (60.0, "Part one"), (120.0, "Part two")],
    ),
    "numbered topics with time ranges": (
        "1) Opening remarks (0:00-11:39)\n2) The plan (11:39-26:24)\n3) Outlook (26:24-36:51)",
        [(0.0, "Opening remarks"), (699.0, "The plan"), (1584.0, "Outlook")],
    ),
    "run-together with a time inside a title": (
        "Kapitel: (00:00) Intro - hallo(01:10) Why 3:00 am (and not 4:00) matters!(05:00) End.",
        [(0.0, "Intro - hallo"), (70.0, "Why 3:00 am (and not 4:00) matters!"), (300.0, "End.")],
    ),
    "run-together bare times": (
        "0:00 Intro 5:25 The approach 13:10 Mapping a fly brain",
        [(0.0, "Intro"), (325.0, "The approach"), (790.0, "Mapping a fly brain")],
    ),
    "run-together with times after the titles": (
        "Intro (0:00) · Weather (5:00) · Sports (10:00)",
        [(0.0, "Intro"), (300.0, "Weather"), (600.0, "Sports")],
    ),
    "entity-escaped html": (
        "&lt;p&gt;(00:00) Intro&lt;/p&gt;&lt;p&gt;(01:00) Middle &amp;amp; more&lt;/p&gt;"
        "&lt;p&gt;(02:00) End&lt;/p&gt;",
        [(0.0, "Intro"), (60.0, "Middle & more"), (120.0, "End")],
    ),
}


@pytest.mark.parametrize(("notes", "expected"), FORMATS.values(), ids=FORMATS.keys())
def test_format(notes: str, expected: list[tuple[float, str]]) -> None:
    assert pairs(chapters_from_notes(notes)) == expected


# ---------------------------------------------------------------- lists whose lines were lost
# (issue 11) Own notes, one or two per family, written for these tests.

LOST_LINES = {
    # Editors that drop line breaks glue each time to the last word of the title before.
    "a paragraph with times glued to words": (
        "<p>Topics 0:00 Hello and who we are2:41 How a bridge carries load9:05 The "
        "concrete problem15:30 Wrap-up</p>",
        [
            (0.0, "Hello and who we are"),
            (161.0, "How a bridge carries load"),
            (545.0, "The concrete problem"),
            (930.0, "Wrap-up"),
        ],
    ),
    "inline star bullets, one glued": (
        "* 00:00 Cold open * 03:10 Where it began* 07:45 What they make now",
        [(0.0, "Cold open"), (190.0, "Where it began"), (465.0, "What they make now")],
    ),
    "bold markers between entries": (
        "**1:19 Backstory**18:02 The first prototype**33:40 Lessons",
        [(79.0, "Backstory"), (1082.0, "The first prototype"), (2020.0, "Lessons")],
    ),
    "en dashes between entries": (
        "– 0:00 Hello – 5:10 The garden – 12:20 Goodbye",
        [(0.0, "Hello"), (310.0, "The garden"), (740.0, "Goodbye")],
    ),
    "slashes between entries": (
        "0:00 Intro / 4:10 Setup / 13:55 The test",
        [(0.0, "Intro"), (250.0, "Setup"), (835.0, "The test")],
    ),
    "a heading glued with a colon": (
        "<p>Chapters:0:00 Intro</p><p>3:12 Bread basics</p><p>9:40 Sourdough</p>"
        "<p>14:05 Questions</p>",
        [(0.0, "Intro"), (192.0, "Bread basics"), (580.0, "Sourdough"), (845.0, "Questions")],
    ),
    "a heading glued to a bracketed time": (
        "Episode Topics:(07:00) What they do (12:10) Who pays (20:30) What next",
        [(420.0, "What they do"), (730.0, "Who pays"), (1230.0, "What next")],
    ),
    "a run-together list ends at the sentence after it": (
        "<p>Topics 0:00 Welcome2:41 Why dams silt up7:05 The fish ladder12:30 Wrap-up. "
        "Thanks for listening, and write to us.</p>",
        [
            (0.0, "Welcome"),
            (161.0, "Why dams silt up"),
            (425.0, "The fish ladder"),
            (750.0, "Wrap-up."),
        ],
    ),
    "a list introduced mid-paragraph": (
        "<p>Thanks for listening. In this one we cover: 0:00 Intro 3:05 Tools of the trade "
        "9:40 Questions</p>",
        [(0.0, "Intro"), (185.0, "Tools of the trade"), (580.0, "Questions")],
    ),
    "a heading glued after a dash": (
        "Timestamps —0:00 Hi 2:30 The news 8:45 Mailbag",
        [(0.0, "Hi"), (150.0, "The news"), (525.0, "Mailbag")],
    ),
    "dotted minutes in brackets among colons": (
        "<p>[0:00] Welcome</p><p>[6.12] Early history</p><p>[11.11] The turnaround</p>"
        "<p>[31:35] Competition</p>",
        [
            (0.0, "Welcome"),
            (372.0, "Early history"),
            (671.0, "The turnaround"),
            (1895.0, "Competition"),
        ],
    ),
    "dotted times with a trailing colon": (
        "00.00: Intro\n05.45: First story\n12.30: Second story\n20.10: Goodbye",
        [(0.0, "Intro"), (345.0, "First story"), (750.0, "Second story"), (1210.0, "Goodbye")],
    ),
    # `04:015` reads as 04:01, 04:05 or 04:15; any of them fits between 00:00 and 10:30.
    "a stray digit in the seconds": (
        "00:00 Welcome\n04:015 Opening remarks\n10:30 The interview\n25:00 Closing",
        [
            (0.0, "Welcome"),
            (255.0, "Opening remarks"),
            (630.0, "The interview"),
            (1500.0, "Closing"),
        ],
    ),
    "a stray letter after a time": (
        "00:00 Welcome\n12:30 The interview\n41:07n Closing thoughts\n50:00 Outtakes",
        [
            (0.0, "Welcome"),
            (750.0, "The interview"),
            (2467.0, "Closing thoughts"),
            (3000.0, "Outtakes"),
        ],
    ),
    "a semicolon for the first colon": (
        "0:00:00 Intro\n0:30:00 Middle\n1;05:10 Late part\n1:20:00 End",
        [(0.0, "Intro"), (1800.0, "Middle"), (3910.0, "Late part"), (4800.0, "End")],
    ),
    "at before every time": (
        "at 0:00 — Opening\nat 3:18 — The hinge\nat 9:50 — The fall",
        [(0.0, "Opening"), (198.0, "The hinge"), (590.0, "The fall")],
    ),
    "an at sign before every time, run together": (
        "@ 0:00 Welcome @ 5:20 Listener questions @ 12:40 Questions from the chat",
        [(0.0, "Welcome"), (320.0, "Listener questions"), (760.0, "Questions from the chat")],
    ),
    "part numbers inside the brackets": (
        "[Part 1 — 0:00] Set-up\n[Part 2 — 24:10] Field work\n[Part 3 — 51:00] Results",
        [(0.0, "Set-up"), (1450.0, "Field work"), (3060.0, "Results")],
    ),
    "time headings over groups of lines": (
        "3:00\nThe Factory\nsome link\n\n10:00\nHearthstone\nanother link\n\n21:30\nA quote\n",
        [(180.0, "The Factory"), (600.0, "Hearthstone"), (1290.0, "A quote")],
    ),
    "one entry out of order is a typo and is dropped": (
        "0:00 A start\n5:00 The middle\n3:00 A typo\n10:00 More\n15:00 The end",
        [(0.0, "A start"), (300.0, "The middle"), (600.0, "More"), (900.0, "The end")],
    ),
}


@pytest.mark.parametrize(("notes", "expected"), LOST_LINES.values(), ids=LOST_LINES.keys())
def test_lost_lines(notes: str, expected: list[tuple[float, str]]) -> None:
    assert pairs(chapters_from_notes(notes)) == expected


LOST_LINE_TRAPS = {
    "a ranked list of best moments": (
        "Best moments:\n1. 45:10 The big laugh\n2. 12:00 The confession\n3. 30:20 The song\n"
        "4. 50:05 The fight\n5. 20:00 The ending"
    ),
    "a ranked list run together": (
        "Top clips: 45:10 The big laugh 12:00 The confession 30:20 The song 50:05 The fight "
        "20:00 The ending 05:00 The start"
    ),
    "at a clock time in prose": "We meet at 3:18 and again at 9:50 and at 11:20 for dinner.",
    "a duration line": "Listen Time: Full Show 57:38",
    "times in a link": "https://example.com/watch?t=1:30 https://example.com/a/2:30 b/3:40",
    "a dotted number without brackets": "Prices rose 6.12 then 11.11 then 31.35 percent.",
    "glued to a single letter": "v1:30 v2:45 v3:50 are the versions",
    "times in running prose": (
        "The first 10:00 minutes are slow, the next 20:00 minutes are better, and the last "
        "30:00 minutes are great."
    ),
    "a run-together schedule of clock times": "Schedule: 9:00 Breakfast 12:30 Lunch 18:00 Dinner",
    "kick-off times in prose": "Kickoff at 19:30, halftime 20:15, final whistle 21:20.",
}


@pytest.mark.parametrize("notes", LOST_LINE_TRAPS.values(), ids=LOST_LINE_TRAPS.keys())
def test_lost_line_trap_gives_no_chapters(notes: str) -> None:
    assert chapters_from_notes(notes) == []


def test_a_run_together_list_of_200_kb_is_read_up_to_the_token_limit() -> None:
    notes = "Chapters: " + "".join(
        f"{i // 60}:{i % 60:02d} Topic {i} of the day" for i in range(9000)
    )
    chapters = chapters_from_notes(notes)
    assert len(notes) > 200_000
    assert len(chapters) == 1500
    assert pairs(chapters[:2]) == [(0.0, "Topic 0 of the day"), (1.0, "Topic 1 of the day")]


# ---------------------------------------------------------------- traps (own snippets)

TRAPS = {
    "clock times with am/pm": "Schedule:\n2:00 pm Doors open\n3:30 pm Panel\n5:00 pm Party",
    "clock times with a zone": "Live at 10:30 EST, again at 11:30 EST and at 12:30 EST.",
    "clock times after labels": "Doors: 7:30 pm\nShow: 8:15 pm\nAfterparty: 11:45 pm",
    "german clock times": "10:00 Uhr Frühstück\n12:30 Uhr Mittag\n18:00 Uhr Abendessen",
    "event dates with times": (
        "8 October: Live show (16:30)\n9 October: Signing (17:00)\n10 October: Panel (18:30)"
    ),
    "scores and ratios": "They won 3:1, then 2:0 and 4:2. The screen is 16:9, the old 4:3.",
    "bible verses": "John 3:16\nRomans 8:28\nPsalm 23:14\nGenesis 50:20",
    "bible verses after a dash": "Reading – John 3:16\nReading – Romans 8:28\nReading – Acts 17:11",
    "dates": "Recorded 2021-03-02, out 12.03.2020; 2020-01-05T10:30:00Z, 2020-01-06T11:45:00Z.",
    "a single time in prose": "<p>At 12:30 into the episode we finally get to the point.</p>",
    "times in parentheses in prose": (
        "We talk about the war (12:30), the economy (25:00), and sports (40:10)."
    ),
    "speaker turns with bracketed times": (
        "Alice (00:01)\nHello and welcome to the show.\nBob (00:15)\nThanks for having me.\n"
        "Alice (00:40)\nSo tell us about your work.\nBob (01:02)\nWell, it started years ago."
    ),
    "speaker turns with bare times": (
        "Alice 00:01\nHello and welcome.\nBob 00:15\nThanks.\nAlice 00:40\nSo, your work?"
    ),
    "subtitle cues": (
        "1\n00:00:01,000 --> 00:00:04,000\nHello there\n\n2\n00:00:05,000 --> 00:00:08,000\n"
        "General Kenobi\n\n3\n00:00:09,000 --> 00:00:12,000\nYou are a bold one"
    ),
    "only two timestamps": "00:00 Intro\n10:00 Outro",
    "no times at all": "<p>Just words.</p>",
    "empty": "",
}


@pytest.mark.parametrize("notes", TRAPS.values(), ids=TRAPS.keys())
def test_trap_gives_no_chapters(notes: str) -> None:
    assert chapters_from_notes(notes) == []


# ---------------------------------------------------------------- several lists


def test_a_sponsor_list_with_times_loses_to_the_chapter_list() -> None:
    notes = (
        "Sponsors:\n- Acme (0:45)\n- Widgets (30:10)\n- Gizmo (1:02:00)\n\n"
        "Chapters:\n0:00 Intro\n5:00 Topic one\n20:00 Topic two\n1:00:00 Outro"
    )
    assert pairs(chapters_from_notes(notes)) == [
        (0.0, "Intro"),
        (300.0, "Topic one"),
        (1200.0, "Topic two"),
        (3600.0, "Outro"),
    ]


JOKES = "Best moments:\n0:10 Joke one\n0:20 Joke two\n0:30 Joke three\n0:40 Joke four"
OUTLINE = "Outline:\n0:00 Intro\n5:00 Topic\n20:00 Outro"


@pytest.mark.parametrize("notes", [f"{JOKES}\n\n{OUTLINE}", f"{OUTLINE}\n\n{JOKES}"])
def test_the_list_under_a_chapter_heading_wins_over_a_longer_one(notes: str) -> None:
    assert pairs(chapters_from_notes(notes)) == [
        (0.0, "Intro"),
        (300.0, "Topic"),
        (1200.0, "Outro"),
    ]


SHORT = "00:00 A\n01:00 B\n02:00 C"
LONG = "00:00 One\n00:30 Two\n01:00 Three\n01:30 Four"


@pytest.mark.parametrize("notes", [f"{SHORT}\n\ntext\n\n{LONG}", f"{LONG}\n\ntext\n\n{SHORT}"])
def test_without_headings_the_longest_list_wins(notes: str) -> None:
    assert [title for _, title in pairs(chapters_from_notes(notes))] == [
        "One",
        "Two",
        "Three",
        "Four",
    ]


def test_a_repeated_list_is_taken_once() -> None:
    notes = (
        "00:00 Intro\n05:00 Middle\n10:00 End\n\nSee you!\n\n00:00 Intro\n05:00 Middle\n10:00 End"
    )
    assert pairs(chapters_from_notes(notes)) == [(0.0, "Intro"), (300.0, "Middle"), (600.0, "End")]


# ---------------------------------------------------------------- all fixture feeds

# Items per feed whose notes yield chapters. Verified by reading the items: they match
# the "items with timestamp lists" column of SOURCES.md, except design-details, where
# episode 78 has a real three-entry list written `_12:00__ - ...` that the table's
# count missed (67, not 66), and episode 3, whose notes are time headings (`2:00`, `3:00`,
# ...) over groups of links that the line reader missed (68). Every other fixture feed
# has no chapter list in its notes.
CHAPTERED_ITEMS = {
    "EngineeringKiosk": 236,
    "lexfridman": 100,
    "design-details": 68,
    "LinuxUnplugged": 14,
    "CRE.xml": 4,
    "itunes-keywords-astext": 1,
}


def test_every_item_of_every_fixture_feed() -> None:
    feeds = sorted((shared_fixtures_or_skip() / "feeds").iterdir())
    assert len(feeds) >= 40
    counts: dict[str, int] = {}
    for path in feeds:
        found = 0
        for item in _feed_items(path):
            chapters = chapters_from_notes(richest_notes(item))
            assert chapters == finalize_chapters(chapters, None)  # sorted, no duplicates
            assert all(chapter.title and chapter.source == "notes" for chapter in chapters)
            found += bool(chapters)
        if found:
            counts[next(k for k in CHAPTERED_ITEMS if k in path.name)] = found
    assert counts == CHAPTERED_ITEMS


@pytest.mark.parametrize(
    "adversarial",
    [
        "00:00 " * 20_000,
        "1:00" + " - 1:00" * 10_000,
        "(00:00) x" * 5_000,
        "x " * 20_000 + "(" * 20_000 + "1:00",
        'class="osf_chapter">' * 20_000,
        "fail7:05" * 30_000,
        "[6.12] " * 30_000,
        "ab" + "ab".join(f"{i // 60}:{i % 60:02d}" + "x" * 50 for i in range(3000)),
    ],
    ids=["bare times", "dashes", "bracketed", "brackets", "osf", "glued", "dotted", "no spaces"],
)
def test_hostile_notes_give_no_chapters(adversarial: str) -> None:
    # Input a quadratic regex would choke on; bench/bench_text.py times it.
    assert chapters_from_notes(adversarial) == []


# ---------------------------------------------------------------- finalize_chapters


def test_finalize_sorts_and_drops_empty_duplicate_and_negative_chapters() -> None:
    chapters = [
        Chapter(30.0, "Middle", "psc"),
        Chapter(0.0, "Intro", "psc"),
        Chapter(30.0, "Middle", "psc"),  # exact duplicate
        Chapter(45.0, "Middle", "psc"),  # same title elsewhere: kept
        Chapter(50.0, "  ", "psc"),  # empty title
        Chapter(60.0, "Past the end", "psc"),
        Chapter(-1.0, "Before the start", "psc"),
        Chapter(20.0, " Padded ", "psc"),
    ]
    assert pairs(finalize_chapters(chapters, 60.0)) == [
        (0.0, "Intro"),
        (20.0, "Padded"),
        (30.0, "Middle"),
        (45.0, "Middle"),
        (60.0, "Past the end"),
    ]


AD_TITLES = [
    "Sponsor: Acme Mattresses",
    "Sponsored by Hover",
    "SPONSOR - Squarespace",
    "(Sponsor) Acme",
    "Werbung",
    "Werbung für Acme",
    "Anzeige",
    "Ad break",
    "Ads",
    "Mid-roll ad",
    "A word from our sponsor",
]
NOT_AD_TITLES = [
    "Sponsors, Comments, and Reflections",  # Lex Fridman #498: the chapter mentions them
    "Adam and Eve",
    "Advertising in the 90s",
    "Ads are evil, we discuss",
    "Address book sync",
    "Sponsorship deals explained with a guest",
]


@pytest.mark.parametrize("title", AD_TITLES)
def test_sponsor_and_ad_titles_are_marked_as_ads(title: str) -> None:
    (chapter,) = finalize_chapters([Chapter(5.0, title, "notes")], None)
    assert chapter.kind == "ad"


@pytest.mark.parametrize("title", NOT_AD_TITLES)
def test_titles_that_only_mention_ads_are_chapters(title: str) -> None:
    (chapter,) = finalize_chapters([Chapter(5.0, title, "notes")], None)
    assert chapter.kind == "chapter"


def test_ad_chapters_keep_their_place_in_the_list() -> None:
    notes = "0:00 Intro\n4:30 Sponsor: Acme\n6:00 The interview\n40:00 Werbung\n41:30 Outro"
    assert [(c.start, c.title, c.kind) for c in chapters_from_notes(notes)] == [
        (0.0, "Intro", "chapter"),
        (270.0, "Sponsor: Acme", "ad"),
        (360.0, "The interview", "chapter"),
        (2400.0, "Werbung", "ad"),
        (2490.0, "Outro", "chapter"),
    ]


@pytest.mark.parametrize("duration", [None, 0, -5])
def test_finalize_keeps_everything_when_the_duration_is_unknown(duration: float | None) -> None:
    chapters = [Chapter(0.0, "A", "json"), Chapter(9999.0, "B", "json")]
    assert finalize_chapters(chapters, duration) == chapters


# ---------------------------------------------------------------- chapters_from_json


def chapter_file(name_part: str) -> bytes:
    folder = shared_fixtures_or_skip() / "chapters"
    (path,) = [p for p in folder.iterdir() if name_part in p.name]
    return path.read_bytes()


HYPERCATCHER = Chapter(
    1.0,
    "Cloud chapters created with Hypercatcher",
    "json",
    url="https://hypercatcher.com/",
    image="https://podcastindex.org/api/images/hypercatcher.jpg",
)
NOAGENDA_ART = "https://noagendaassets.com/enc/"


@pytest.mark.parametrize(
    ("name_part", "count", "first"),
    [
        (
            "PC20-100",  # a single chapter, not at zero
            1,
            Chapter(
                600.0,
                "Thank you Dreb Scott for 100 episodes of awesome chapters!!!",
                "json",
                image=NOAGENDA_ART + "1601061118.678_pciavatar.jpg",
            ),
        ),
        (
            "PC20-12",  # "url": "" means no link
            1,
            Chapter(20.0, "Start", "json", image=NOAGENDA_ART + "1605905437.39_pciavatar.jpg"),
        ),
        ("PC20-130", 16, HYPERCATCHER),
        ("PC20-145", 22, HYPERCATCHER),
        ("PC20-86", 65, HYPERCATCHER),
        ("chapters_example.json", 9, Chapter(0.0, "Intro", "json")),
        ("exampleComplex", 10, Chapter(0.0, "Intro", "json")),  # 11 entries, one toc:false
    ],
)
def test_chapter_files(name_part: str, count: int, first: Chapter) -> None:
    data = chapter_file(name_part)
    chapters = chapters_from_json(data)
    assert len(chapters) == count
    assert chapters[0] == first
    assert chapters == chapters_from_json(data.decode("utf-8"))  # bytes or str
    entries = json.loads(data)["chapters"]
    assert [c.start for c in chapters] == sorted(
        float(e["startTime"]) for e in entries if e.get("toc") is not False
    )


def test_chapter_file_titles_are_stripped_and_repeated_titles_kept() -> None:
    chapters = chapters_from_json(chapter_file("PC20-86"))
    titles = [chapter.title for chapter in chapters]
    assert titles.count("Boosts") == 3
    assert all(title == title.strip() for title in titles)
    assert pairs(chapters[1:3]) == [(5.0, "Intro"), (153.0, "Adams Rolls")]


def test_chapter_file_hides_toc_false_and_keeps_decimal_and_string_starts() -> None:
    data = {
        "version": "1.2.0",
        "chapters": [
            {"startTime": 0, "title": "Intro"},
            {"startTime": 12.5, "title": "Decimal", "url": "https://example.com/x", "img": ""},
            {"startTime": "30.25", "title": "String start"},
            {"startTime": 40, "title": "Hidden", "toc": False},
            {"startTime": 50},
            {"title": "No start"},
            {"startTime": True, "title": "Boolean start"},
            {"startTime": -3, "title": "Negative"},
            "not an object",
            {"startTime": 60, "title": "Shown", "toc": True},
        ],
    }
    chapters = chapters_from_json(json.dumps(data))
    assert chapters == [
        Chapter(0.0, "Intro", "json"),
        Chapter(12.5, "Decimal", "json", url="https://example.com/x"),
        Chapter(30.25, "String start", "json"),
        Chapter(60.0, "Shown", "json"),
    ]


def test_chapter_file_with_a_byte_order_mark() -> None:
    data = '\ufeff{"version": "1.2.0", "chapters": [{"startTime": 1, "title": "A"}]}'
    assert chapters_from_json(data) == [Chapter(1.0, "A", "json")]
    assert chapters_from_json(data.encode("utf-8")) == [Chapter(1.0, "A", "json")]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<html>not json</html>",
        b'{"chapters": [',
        b"\xff\xfe\xfa",
        b"[]",
        b'{"version": "1.2.0"}',
        b'{"chapters": {"startTime": 1}}',
        b"null",
    ],
)
def test_chapter_file_that_is_not_chapters_json_raises(data: bytes) -> None:
    with pytest.raises(ChapterFileError) as raised:
        chapters_from_json(data)
    assert raised.value.reason


@pytest.mark.parametrize(
    "data",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"chapters": [' + b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + b"]}",
    ],
    ids=["lists", "objects in the chapter list"],
)
def test_json_nested_too_deeply_is_not_chapters_json(data: bytes) -> None:
    with pytest.raises(ChapterFileError, match="nested too deeply"):
        chapters_from_json(data)


def test_a_start_too_large_for_a_float_skips_that_chapter() -> None:
    data = '{"chapters": [{"startTime": 1' + "0" * 400 + ', "title": "Never"},'
    data += ' {"startTime": 5, "title": "Kept"}]}'
    assert chapters_from_json(data) == [Chapter(5.0, "Kept", "json")]


def test_a_lone_surrogate_in_a_chapters_file_becomes_a_replacement_character() -> None:
    data = b'{"chapters": [{"startTime": 0, "title": "A \\ud800 b", "url": "https://x/\\udfff"}]}'
    (chapter,) = chapters_from_json(data)
    assert (chapter.title, chapter.url) == ("A \ufffd b", "https://x/\ufffd")
    chapter.title.encode("utf-8")


def test_linux_unplugged_sponsor_chapters_are_marked_as_ads_in_place() -> None:
    # Its plain-text lists hold `00:12:34 SPONSOR: Linode` among the topics (19 of them).
    path = fixture_feed("LinuxUnplugged")
    chapters = [c for item in _feed_items(path) for c in chapters_from_notes(richest_notes(item))]
    ads = [c for c in chapters if c.kind == "ad"]
    assert len(ads) == 19
    assert all(c.title.startswith("SPONSOR: ") for c in ads)
    assert not any(c.title.startswith("SPONSOR") for c in chapters if c.kind == "chapter")
