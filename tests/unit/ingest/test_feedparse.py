"""bot.ingest.feedparse: real fixture feeds first, then small feeds written here for the edges."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest

from bot.common.plain_text import NOTES_CUT_MARK, NOTES_LIMIT, html_to_text
from bot.ingest.feedparse import FeedParseError, parse_duration, parse_feed, parse_pub_date
from bot.models.parsed_feed import (
    Chapter,
    ParsedEpisode,
    ParsedFeed,
    Person,
    Soundbite,
    TranscriptRef,
)
from tests.support.paths import SHARED_FIXTURES, fixture_feed, shared_fixtures_or_skip

_FEEDS_DIR = SHARED_FIXTURES / "feeds"
ALL_FEEDS = sorted(p.name for p in _FEEDS_DIR.iterdir()) if _FEEDS_DIR.is_dir() else ["(absent)"]


@cache
def _parsed(name_part: str) -> ParsedFeed:
    return parse_feed(fixture_feed(name_part).read_bytes(), source=name_part)


def _episode(name_part: str, title_start: str) -> ParsedEpisode:
    matches = [e for e in _parsed(name_part).episodes if e.title.startswith(title_start)]
    assert len(matches) == 1, f"{len(matches)} episodes of {name_part} start {title_start!r}"
    return matches[0]


def _utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def _rss(items: str, *, channel: str = "", namespaces: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        f" {namespaces}><channel><title>Test show</title>{channel}{items}</channel></rss>"
    ).encode()


# --------------------------------------------------------------------------------------
# Every real feed


@pytest.mark.parametrize("name", ALL_FEEDS)
def test_every_fixture_feed_keeps_every_item_with_a_title(name: str) -> None:
    path = fixture_feed(name)
    data = path.read_bytes()
    # Counted independently of the parser: the raw `<item` tags in the bytes.
    expected = len(re.findall(rb"<item[\s>]", data)) + len(re.findall(rb"<entry[\s>]", data))

    feed = parse_feed(data, source=path.name)

    assert len(feed.episodes) == expected
    assert feed.title.strip()
    assert feed.title != path.name  # the real title, not the fallback
    assert all(episode.title.strip() for episode in feed.episodes)
    assert all(p.published is None or p.published.tzinfo is UTC for p in feed.episodes), (
        "dates must be UTC"
    )


def test_fixture_list_is_the_real_one() -> None:
    # Guards the parametrised test above against silently running on nothing.
    shared_fixtures_or_skip()
    assert len(ALL_FEEDS) >= 40


# --------------------------------------------------------------------------------------
# Malformed real feeds


def test_iso_8859_1_feed_gives_correct_catalan_titles() -> None:
    feed = _parsed("2022-series-i-cinema")
    assert feed.title == "Sèries i Cinema"
    titles = [e.title for e in feed.episodes]
    assert "Sèries per mirar al febrer" in titles
    assert "Gran Gala del programa 600 d'El violí vermell" in titles


def test_undefined_html_entity_in_a_title_becomes_the_character() -> None:
    # <title>EPISODE 7&nbsp;- Money and Mindset&nbsp;</title>, no DTD defines &nbsp;
    titles = [e.title for e in _parsed("babesinbusiness").episodes]
    assert "EPISODE 7\u00a0- Money and Mindset" in titles


def test_unknown_entity_name_stays_visible_instead_of_vanishing() -> None:
    # comintegrator writes "[&ellip;]" (not an HTML entity) at the end of a summary.
    episode = _episode("comintegrator", "EP 96 - 22-Screen Bar")
    assert episode.notes_html.endswith("futureproofing a system [&ellip;]")


def test_undefined_entity_does_not_cut_the_rest_of_the_feed() -> None:
    feed = _parsed("no-agenda")
    assert len(feed.episodes) == 29
    notes = _episode("no-agenda", '1374: "Shetard"').notes_html
    assert "Pat E" in notes and "Kristi Jensen" in notes
    assert feed.episodes[-1].audio_url


def test_php_warning_before_the_declaration_is_skipped() -> None:
    feed = _parsed("canal")
    assert feed.title == "Canal Meia Horinha"
    assert feed.language == "pt-BR"
    assert (
        feed.episodes[0].title == "#7 – Gerenciamento de Projetos – Muito mais que uma certificação"
    )


def test_raw_ampersand_in_an_attribute_does_not_lose_the_feed() -> None:
    # podcast20.xml: <itunes:category text="News & Politics" />
    feed = _parsed("fourviere-podcast__packages_core_tests_fixtures_podcast20")
    assert feed.podcast_guid == "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    assert feed.episodes[0].title == "Episode 152: Drop the TOC"


def test_unbound_itunes_prefix_still_gives_numbers_seasons_and_types() -> None:
    # de-grote-no-guid.xml uses itunes:* without declaring the namespace.
    episodes = _parsed("de-grote-no-guid").episodes
    assert [e.number for e in episodes] == [10, 9, 8, 8, 7, 6, 5, 4, 3, 2, 1, None]
    assert {e.season for e in episodes[:-1]} == {1}
    assert episodes[7].episode_type == "bonus"
    assert episodes[-1].episode_type == "trailer"
    assert episodes[0].duration == 2047
    assert all(e.guid is None for e in episodes)


def test_capitalised_itunes_namespace_uri_is_still_itunes() -> None:
    # Taverncast declares xmlns:itunes="http://www.itunes.com/DTDs/Podcast-1.0.dtd".
    feed = _parsed("itunes-missing-image")
    assert feed.author is not None and feed.author.startswith("Bryce Erwin")
    assert all(e.duration for e in feed.episodes)
    assert _episode("itunes-missing-image", "Taverncast 62").duration == 1 * 3600 + 9 * 60 + 50


def test_broken_itunes_image_falls_back_to_the_rss_image() -> None:
    # <itunes:image>href=http://...png"></itunes:image>: no usable href.
    assert _parsed("itunes-missing-image").image == "http://www.taverncast.com/itunes-logo.png"


# --------------------------------------------------------------------------------------
# Dates


def test_item_without_pub_date_is_kept_with_no_date() -> None:
    episodes = _parsed("episode-with-no-pub-date").episodes
    assert len(episodes) == 6
    first = _episode("episode-with-no-pub-date", "Podcast Help Desk going 2 times weekly")
    assert first.published is None
    assert first.audio_url
    assert episodes[1].published == _utc(2020, 11, 21, 9, 20, 8)


def test_escaped_plus_in_the_zone_is_read() -> None:
    # EngineeringKiosk: <pubDate>Tue, 30 Jun 2026 01:00:46 &#43;0000</pubDate>
    episode = _parsed("EngineeringKiosk").episodes[0]
    assert episode.published == _utc(2026, 6, 30, 1, 0, 46)
    assert all(e.published is not None for e in _parsed("EngineeringKiosk").episodes)


@pytest.mark.parametrize(
    ("title_start", "expected"),
    [
        ("Taverncast 62 - Temporal Anomaly", _utc(2015, 11, 7, 17)),  # 07 Nov 2015 12:00:00 EST
        ("TC1337: The End Begins", _utc(2010, 11, 23, 1, 30)),  # Tue 23 Nov 2010 (no comma)
        ("Taverncast Special - Outtakes", _utc(2012, 8, 12, 15)),  # 12 August 2012 ... EST
        ("Taverncast: The Screen - The Omen", _utc(2006, 6, 6, 10, 30)),  # Tue, 6 June 2006
    ],
)
def test_sloppy_rfc822_dates_in_taverncast(title_start: str, expected: datetime) -> None:
    assert _episode("itunes-missing-image", title_start).published == expected


def test_named_pacific_zone_is_converted_to_utc() -> None:
    # Giant Bomb: Tue, 01 Oct 2019 14:30:00 PST
    assert _parsed("giantbomb").episodes[0].published == _utc(2019, 10, 1, 22, 30)


def test_impossible_day_gives_no_date_but_keeps_the_episode() -> None:
    # AppLoad: <pubDate>Thu, 118 Jun 2015 14:30:25 +0200</pubDate>
    episode = _episode("appload", "AppLoad 215")
    assert episode.published is None
    assert episode.audio_url


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tue, 10 Jun 2003 04:00:00 GMT", _utc(2003, 6, 10, 4)),
        ("Tue, 10 Jun 2003 04:00:00 +0200", _utc(2003, 6, 10, 2)),
        ("Tue, 10 Jun 2003 04:00:00 -0530", _utc(2003, 6, 10, 9, 30)),
        ("10 Jun 2003 04:00:00 EDT", _utc(2003, 6, 10, 8)),  # no weekday
        ("Fri, 10 Jun 2003 04:00:00 Z", _utc(2003, 6, 10, 4)),  # wrong weekday, Z
        ("Tue, 10 Jun 2003 04:00:00 UT", _utc(2003, 6, 10, 4)),
        ("Tue, 10 Jun 2003 04:00:00 +0000 (UTC)", _utc(2003, 6, 10, 4)),
        ("Tue, 10 Jun 2003 04:00:00", _utc(2003, 6, 10, 4)),  # no zone: UTC
        ("Tue, 3 Jun 2003 04:00 PDT", _utc(2003, 6, 3, 11)),  # one-digit day, no seconds
        ("Tuesday, 10 June 2003 04:00:00 CET", _utc(2003, 6, 10, 3)),
        ("Tue, 10 Jun 03 04:00:00 GMT", _utc(2003, 6, 10, 4)),  # two-digit year
        ("Tue, 10 Jun 2003", _utc(2003, 6, 10)),  # date only
        ("2003-06-10T04:00:00Z", _utc(2003, 6, 10, 4)),
        ("2003-06-10T04:00:00.250+02:00", _utc(2003, 6, 10, 2, 0, 0, 250000)),
        ("2003-06-10 04:00:00", _utc(2003, 6, 10, 4)),
        ("2003-06-10", _utc(2003, 6, 10)),
        ("", None),
        ("soon", None),
        ("Tue, 31 Feb 2003 04:00:00 GMT", None),
        ("Tue, 10 Foo 2003 04:00:00 GMT", None),
        ("2003-13-45T00:00:00Z", None),
    ],
)
def test_pub_date_forms(text: str, expected: datetime | None) -> None:
    assert parse_pub_date(text) == expected


def test_dc_date_is_used_when_there_is_no_pub_date() -> None:
    data = _rss(
        "<item><title>A</title><dc:date>2021-03-02T12:00:00+01:00</dc:date></item>",
        namespaces='xmlns:dc="http://purl.org/dc/elements/1.1/"',
    )
    assert parse_feed(data).episodes[0].published == _utc(2021, 3, 2, 11)


# --------------------------------------------------------------------------------------
# Durations


def test_bare_seconds_duration() -> None:
    # catalyst: <itunes:duration>2266</itunes:duration>
    episode = _episode("catalyst", "Inside the most sophisticated plan")
    assert episode.duration == 2266


def test_duration_in_a_tag_with_a_space_before_the_bracket() -> None:
    # naked scientists: <itunes:duration >59:12</itunes:duration>
    feed = _parsed("naked_scientists")
    assert feed.episodes[0].title == "Naked Scientists 10.12.12 - Why's Graphene Great?"
    assert feed.episodes[0].duration == 59 * 60 + 12


def test_duration_with_a_namespace_declared_on_the_element() -> None:
    # giantbomb: <itunes:duration xmlns:itunes="...">10475</itunes:duration>
    assert _parsed("giantbomb").episodes[0].duration == 10475


def test_hh_mm_ss_durations() -> None:
    # <itunes:duration>04:09:15</itunes:duration>, 00:30:52, 1:21:32
    assert _episode("feedjira__feedjira__spec_sample_feeds_CRE", "CRE206").duration == 14955
    assert _parsed("the-daily").episodes[0].duration == 30 * 60 + 52
    assert _episode("itunes-missing-image", "Taverncast 61").duration == 3600 + 21 * 60 + 32


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1:02:03", 3723),
        ("01:02:03", 3723),
        ("59:12", 3552),
        ("75:30", 4530),
        ("4:05", 245),
        ("1234", 1234),
        ("1234.5", 1234),
        (" 3600 ", 3600),
        ("00:00:00", None),
        ("0", None),
        ("0:00", None),
        ("", None),
        (None, None),
        ("about an hour", None),
        ("-5", None),
        ("1:2:3:4", None),
        ("00:60:05", 3605),  # as Taverncast writes 1:00:05
    ],
)
def test_duration_forms(text: str | None, expected: int | None) -> None:
    assert parse_duration(text) == expected


# --------------------------------------------------------------------------------------
# Podcasting 2.0 and Podlove


def test_channel_person_in_podnews() -> None:
    assert _parsed("podnews").persons == [
        Person(
            name="James Cridland",
            role="host",
            group="cast",
            href="https://www.podchaser.com/creators/james-cridland-107Zzj6lDG",
            image="https://podnews.net/uploads/james-cridland-400x400.jpg",
        )
    ]


def test_person_names_spread_over_lines_become_one_line() -> None:
    # podcast20.xml writes "Adam\n                Curry" inside podcast:person.
    persons = (
        _parsed("fourviere-podcast__packages_core_tests_fixtures_podcast20").episodes[0].persons
    )
    assert [(p.name, p.role, p.group) for p in persons[:2]] == [
        ("Adam Curry", "host", "cast"),
        ("Dave Jones", "host", "cast"),
    ]


def test_linux_unplugged_hosts_and_guests() -> None:
    episodes = _parsed("LinuxUnplugged").episodes
    first = episodes[0]
    assert [(p.name, p.role) for p in first.persons] == [
        ("Chris Fisher", "host"),
        ("Wes Payne", "host"),
    ]
    roles = {p.role for e in episodes for p in e.persons}
    assert roles == {"host", "guest"}
    # Many carry href="" and email="": empty attributes are None, not "".
    assert all(p.href is None or p.href.startswith("http") for e in episodes for p in e.persons)
    assert any(p.href is None for e in episodes for p in e.persons)


def test_guest_with_image_in_the_mike_neumann_show() -> None:
    person = _parsed("themnshow").episodes[0].persons[0]
    assert person.name == "Dr. Timothy M. Jurgensen"
    assert person.role == "guest"
    assert person.image == "https://mikeneumann.show/assets/static/TMJurgensen.jpeg"


def test_transcript_in_engineering_kiosk() -> None:
    episode = _parsed("EngineeringKiosk").episodes[0]
    assert episode.title.startswith("#274 Openwashing")
    assert episode.transcripts == [
        TranscriptRef(
            url="https://s3.us-east-2.amazonaws.com/pod-public-transcripts/2026/6/28/9/"
            "1b023705-bd1b-414c-90d3-c44070487b9c_2723177825.vtt",
            type="text/vtt",
            language="de",
        )
    ]


def test_podcast_chapters_link_in_linux_unplugged() -> None:
    episode = _parsed("LinuxUnplugged").episodes[0]
    assert episode.chapters_url == (
        "https://feeds.fireside.fm/linuxunplugged/json/episodes/"
        "189424ce-542a-437a-98bb-a14563d3760b/chapters"
    )
    assert episode.chapters_type == "application/json"
    assert sum(e.chapters_url is not None for e in _parsed("LinuxUnplugged").episodes) == 112


def test_podcast_chapters_link_in_podcast20() -> None:
    episodes = _parsed("fourviere-podcast__packages_core_tests_fixtures_podcast20").episodes
    assert episodes[0].chapters_url is not None
    assert episodes[0].chapters_url.startswith("https://reflex.livewire.io/chapters/podcast/")
    assert episodes[0].chapters_type == "application/json"
    assert all(e.chapters_url for e in episodes)


def test_psc_chapters_in_cre() -> None:
    episode = _episode("feedjira__feedjira__spec_sample_feeds_CRE", "CRE206")
    assert episode.psc_chapters[:3] == [
        Chapter(start=0.0, title="Intro", source="psc"),
        Chapter(start=56.455, title="Vorstellung Stefan Brill", source="psc"),
        Chapter(start=450.989, title="Elektrochemie und das Ohr", source="psc"),
    ]


def test_psc_chapters_are_sorted_and_accept_plain_seconds() -> None:
    # CRE207 lists "01:35:00.034 Abschied" early and has start="50" / start="59.12".
    chapters = _episode("feedjira__feedjira__spec_sample_feeds_CRE", "CRE207").psc_chapters
    starts = [c.start for c in chapters]
    assert starts == sorted(starts)
    assert starts[:4] == [26.407, 50.0, 59.12, 89.201]
    assert chapters[0].url == "https://example.com"
    assert chapters[0].image == "https://pics.example.com/pic.png"
    assert chapters[-1].title == "Abschied"


def test_podcast_episode_display_and_season_name() -> None:
    episode = _parsed("themnshow").episodes[0]
    assert (episode.number, episode.number_label) == (54, "Social Media")
    assert (episode.season, episode.season_label) == (1, "Breakfasts with Dr. Tim")


def test_decimal_podcast_episode_is_a_label_not_a_number() -> None:
    data = _rss(
        "<item><title>A</title><podcast:episode>12.5</podcast:episode></item>"
        '<item><title>B</title><podcast:episode display="Pilot">1</podcast:episode>'
        "<itunes:episode>3</itunes:episode></item>",
        namespaces='xmlns:podcast="https://podcastindex.org/namespace/1.0"',
    )
    first, second = parse_feed(data).episodes
    assert (first.number, first.number_label) == (None, "12.5")
    assert (second.number, second.number_label) == (3, "Pilot")  # itunes:episode first


def test_soundbites_in_the_mike_neumann_show() -> None:
    assert _episode("themnshow", "Community").soundbites == [
        Soundbite(start=104.4, duration=12.0, title="Mike triggers Tim by saying Advertising"),
        Soundbite(start=230.6, duration=8.6, title="Have we ever talked about Advertising?"),
    ]


# --------------------------------------------------------------------------------------
# Episode types, numbers, images, notes


def test_trailer_and_bonus_episode_types() -> None:
    assert _episode("podnews", "Podnews - your daily briefing").episode_type == "trailer"
    types = [e.episode_type for e in _parsed("start_podcast").episodes]
    assert types.count("bonus") == 3
    assert types[-1] == "trailer"
    assert types.count("full") == 7


def test_episode_type_ignores_case_and_empty_means_full() -> None:
    # 202 fixture items carry an empty <itunes:episodeType></itunes:episodeType>.
    data = _rss(
        "<item><title>A</title><itunes:episodeType> Bonus </itunes:episodeType></item>"
        "<item><title>B</title><itunes:episodeType></itunes:episodeType></item>"
        "<item><title>C</title><itunes:episodeType>teaser</itunes:episodeType></item>"
    )
    assert [e.episode_type for e in parse_feed(data).episodes] == ["bonus", "full", "full"]


def test_episode_numbers_from_itunes_episode() -> None:
    episode = _parsed("EngineeringKiosk").episodes[0]
    assert episode.number == 274


def test_notes_prefer_the_richest_field() -> None:
    # LINUX Unplugged: a one-line <description>, full notes in content:encoded.
    episode = _parsed("LinuxUnplugged").episodes[0]
    assert len(episode.notes_html) > 1000
    assert "<" in episode.notes_html


# --------------------------------------------------------------------------------------
# Small feeds written for one behaviour each


def test_richest_notes_win_and_content_encoded_wins_ties() -> None:
    long_html = "<p>" + "word " * 50 + "</p>"
    data = _rss(
        f"<item><title>A</title><description>Short.</description>"
        f"<content:encoded><![CDATA[{long_html}]]></content:encoded></item>"
        "<item><title>B</title><description>Same text</description>"
        "<content:encoded><![CDATA[<b>Same text</b>]]></content:encoded></item>"
        "<item><title>C</title><description><![CDATA[<p><a href='https://x.example/very/long'>"
        "x</a></p>]]></description><itunes:summary>A plain summary that says more.</itunes:summary>"
        "</item>"
    )
    episodes = parse_feed(data).episodes
    assert episodes[0].notes_html == long_html
    assert episodes[1].notes_html == "<b>Same text</b>"
    assert episodes[2].notes_html == "A plain summary that says more."


def test_audio_enclosure_is_preferred_over_others() -> None:
    data = _rss(
        "<item><title>A</title>"
        '<enclosure url="https://x.example/cover.jpg" type="image/jpeg" length="1"/>'
        '<enclosure url=" https://x.example/a.mp3 " type="audio/mpeg" length="2"/>'
        "</item>"
    )
    episode = parse_feed(data).episodes[0]
    assert (episode.audio_url, episode.audio_type) == ("https://x.example/a.mp3", "audio/mpeg")


def test_images_fall_back_to_media_thumbnail() -> None:
    data = _rss(
        '<item><title>A</title><itunes:image href="https://x.example/a.jpg"/></item>'
        '<item><title>B</title><media:thumbnail url="https://x.example/b.jpg"/></item>'
        "<item><title>C</title></item>",
        namespaces='xmlns:media="http://search.yahoo.com/mrss/"',
    )
    assert [e.image for e in parse_feed(data).episodes] == [
        "https://x.example/a.jpg",
        "https://x.example/b.jpg",
        None,
    ]


def test_old_podcast_namespace_uri_and_variants_are_recognised() -> None:
    data = (
        b'<rss version="2.0" xmlns:pc="https://github.com/Podcastindex-org/podcast-namespace/'
        b'blob/main/docs/1.0.md" xmlns:it="http://www.itunes.com/DTDs/Podcast-1.0.dtd">'
        b"<channel><title>T</title><pc:guid> abc </pc:guid>"
        b'<item><title>A</title><pc:person role="Guest">Ann Lee</pc:person>'
        b"<pc:episode>7</pc:episode><it:duration>10:00</it:duration>"
        b'<pc:transcript url="https://x.example/t.srt"/></item></channel></rss>'
    )
    feed = parse_feed(data)
    assert feed.podcast_guid == "abc"
    episode = feed.episodes[0]
    assert episode.persons == [Person(name="Ann Lee", role="guest")]
    assert episode.number == 7
    assert episode.duration == 600
    assert episode.transcripts == [
        TranscriptRef(url="https://x.example/t.srt", type="application/x-subrip")
    ]


def test_item_without_title_gets_one_from_itunes_title_or_the_notes() -> None:
    data = _rss(
        "<item><itunes:title>From iTunes</itunes:title></item>"
        "<item><title>  </title>"
        "<description>&lt;p&gt;Notes first line&lt;/p&gt;</description></item>"
        '<item><enclosure url="https://x.example/ep-3.mp3?x=1" type="audio/mpeg"/></item>'
    )
    assert [e.title for e in parse_feed(data).episodes] == [
        "From iTunes",
        "Notes first line",
        "ep-3.mp3",
    ]


def test_atom_feed() -> None:
    data = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
  <title type="html">Tea &amp;amp; Tangents</title>
  <link rel="self" href="https://tea.example/feed.atom"/>
  <link href="https://tea.example/"/>
  <subtitle>A slow show about tea.</subtitle>
  <author><name>Mira Okafor</name></author>
  <id>urn:uuid:1c7a</id>
  <updated>2024-05-02T09:00:00Z</updated>
  <entry>
    <title>Oolong, slowly</title>
    <id>tag:tea.example,2024:ep-2</id>
    <link rel="alternate" type="text/html" href="https://tea.example/2"/>
    <link rel="enclosure" type="audio/ogg" href="https://cdn.tea.example/2.ogg" length="123"/>
    <published>2024-05-02T10:30:00+02:00</published>
    <updated>2024-05-03T00:00:00Z</updated>
    <summary>Short.</summary>
    <content type="html">&lt;p&gt;We steep &lt;b&gt;oolong&lt;/b&gt; five times.&lt;/p&gt;</content>
    <itunes:duration>31:05</itunes:duration>
    <itunes:episode>2</itunes:episode>
  </entry>
  <entry>
    <title>Green tea</title>
    <id>tag:tea.example,2024:ep-1</id>
    <link href="https://tea.example/1"/>
    <updated>2024-04-01T08:00:00Z</updated>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">
      <p>Sencha and <i>gyokuro</i>.</p></div></content>
  </entry>
</feed>"""
    feed = parse_feed(data)
    assert (feed.title, feed.link, feed.author) == (
        "Tea & Tangents",
        "https://tea.example/",
        "Mira Okafor",
    )
    assert feed.description == "A slow show about tea."
    second, first = feed.episodes
    assert second.title == "Oolong, slowly"
    assert second.guid == "tag:tea.example,2024:ep-2"
    assert second.link == "https://tea.example/2"
    assert (second.audio_url, second.audio_type) == ("https://cdn.tea.example/2.ogg", "audio/ogg")
    assert second.published == _utc(2024, 5, 2, 8, 30)
    assert second.notes_html == "<p>We steep <b>oolong</b> five times.</p>"
    assert (second.duration, second.number) == (1865, 2)
    assert first.published == _utc(2024, 4, 1, 8)
    assert first.notes_html == "<p>Sencha and <i>gyokuro</i>.</p>"
    assert first.audio_url is None


def test_rss_1_0_items_beside_the_channel() -> None:
    data = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://r.example/"><title>Old school</title><link>https://r.example/</link></channel>
  <item rdf:about="https://r.example/1"><title>One</title><link>https://r.example/1</link>
    <dc:date>2004-01-02T03:04:05Z</dc:date></item>
  <item rdf:about="https://r.example/2"><title>Two</title></item>
</rdf:RDF>"""
    feed = parse_feed(data)
    assert feed.title == "Old school"
    assert [e.title for e in feed.episodes] == ["One", "Two"]
    assert feed.episodes[0].published == _utc(2004, 1, 2, 3, 4, 5)


def test_utf8_feed_with_a_stray_windows_1252_byte() -> None:
    # Declared UTF-8, but one curly apostrophe pasted as the single byte 0x92.
    data = _rss("<item><title>It\x92s here &amp; now</title></item>").replace(b"\xc2\x92", b"\x92")
    assert parse_feed(data).episodes[0].title == "It’s here & now"


def test_utf16_feed_with_bom() -> None:
    text = _rss("<item><title>Ĉu vi aŭdas?</title></item>").decode()
    data = text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert parse_feed(data).episodes[0].title == "Ĉu vi aŭdas?"


def test_html_entities_outside_cdata_but_not_inside_it() -> None:
    data = _rss(
        "<item><title>Caf&eacute; &amp; Cr&egrave;me&hellip;</title>"
        "<description><![CDATA[<p>K&eacute;ep&nbsp;as HTML</p>]]></description></item>"
    )
    episode = parse_feed(data).episodes[0]
    assert episode.title == "Café & Crème…"
    assert episode.notes_html == "<p>K&eacute;ep&nbsp;as HTML</p>"


def test_entities_declared_in_the_doctype_are_not_expanded_but_html_ones_read() -> None:
    data = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY nbsp "&#160;"><!ENTITY me "Mallory">]>'
        b"<rss><channel><title>a&nbsp;b</title><item><title>by &me;</title></item></channel></rss>"
    )
    feed = parse_feed(data)
    assert feed.title == "a\u00a0b"
    assert feed.episodes[0].title == "by &me;"


def test_html_entities_under_an_rss_091_doctype_become_characters() -> None:
    data = (
        b'<?xml version="1.0" encoding="ISO-8859-1"?>\n'
        b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"'
        b' "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n'
        b'<rss version="0.91"><channel><title>Caf&eacute; \xe9t\xe9</title>'
        b"<item><title>Cr&egrave;me</title></item></channel></rss>"
    )
    feed = parse_feed(data)
    assert feed.title == "Café été"
    assert feed.episodes[0].title == "Crème"


# --------------------------------------------------------------------------------------
# Inputs that are not (whole) feeds


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "no XML found (the document is empty)"),
        (b"  \n\t ", "no XML found (the document is empty)"),
        (bytes(range(256)) * 8, "no XML found (the data is binary)"),
        (b"\x1f\x8b\x08\x00" + bytes(64), "no XML found (the data is gzip-compressed)"),
        (b'{"title": "not a feed"}', "no XML found (the document looks like JSON)"),
        (b"just some words", "no XML found"),
        (
            b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
            b"<body><h1>Bad&nbsp;Gateway</h1><br></body></html>",
            "not an RSS or Atom feed (the document's root is <html>)",
        ),
        (
            b'<?xml version="1.0"?><opml version="2.0"><body/></opml>',
            "not an RSS or Atom feed (the document's root is <opml>)",
        ),
    ],
)
def test_not_a_feed_gives_a_one_line_reason(data: bytes, reason: str) -> None:
    with pytest.raises(FeedParseError) as caught:
        parse_feed(data, source="https://x.example/feed")
    assert str(caught.value) == reason
    assert caught.value.source == "https://x.example/feed"
    assert "\n" not in str(caught.value)


def test_truncated_feed_keeps_what_arrived() -> None:
    data = _rss(
        "<item><title>One</title><guid>1</guid></item>"
        "<item><title>Two</title><guid>2</guid><description>abc</description></item>"
        "<item><title>Three</title><guid>3</guid><description>half a sent"
    )
    data = data[: data.index(b"half a sent") + len(b"half a sent")]
    episodes = parse_feed(data).episodes
    assert [(e.title, e.guid) for e in episodes] == [("One", "1"), ("Two", "2"), ("Three", "3")]
    assert episodes[1].notes_html == "abc"


def test_external_entities_are_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    for entity in (secret.as_uri(), "file:///etc/passwd"):
        data = (
            f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY e SYSTEM "{entity}">]>'
            "<rss><channel><title>X &e; Y</title>"
            "<item><title>&e;</title><description>before &e; after</description></item>"
            "</channel></rss>"
        ).encode()
        feed = parse_feed(data)
        everything = repr(feed)
        assert "TOP-SECRET-CONTENT" not in everything
        assert "root:" not in everything
        assert len(feed.episodes) == 1


# --------------------------------------------------------------------------------------
# Limits (issue 9): surrogate references, huge notes


@pytest.mark.parametrize("reference", ["&#xD800;", "&#xdfff;", "&#55296;", "&#x0D83D;&#xDE00;"])
def test_a_reference_to_a_surrogate_becomes_a_replacement_character(reference: str) -> None:
    data = _rss(
        f"<item><title>Bad {reference} title</title><guid>1</guid>"
        f"<description>Before {reference} after.</description>"
        f'<enclosure url="https://example.com/a{reference}.mp3" type="audio/mpeg"/></item>'
        "<item><title>Next</title><guid>2</guid></item>"
    )
    first, second = parse_feed(data).episodes
    replaced = "\ufffd" * reference.count("&")
    assert first.title == f"Bad {replaced} title"
    assert first.notes_html == f"Before {replaced} after."
    assert first.audio_url == f"https://example.com/a{replaced}.mp3"
    assert second.title == "Next"


def test_a_surrogate_reference_inside_cdata_is_left_to_the_text_conversion() -> None:
    data = _rss(
        "<item><title>T</title><description><![CDATA[<p>x &#xD800; y</p>]]></description></item>"
    )
    (episode,) = parse_feed(data).episodes
    assert episode.notes_html == "<p>x &#xD800; y</p>"
    assert html_to_text(episode.notes_html) == "x \ufffd y"


@cache
def _huge_notes_feed() -> bytes:
    """An 11 MB description (libxml2 refuses text nodes over 10 MB without `huge_tree`),
    with an item after it."""
    paragraph = "&lt;p&gt;Lorem ipsum dolor sit amet, consectetur adipiscing elit.&lt;/p&gt;\n"
    notes = paragraph * (11_000_000 // len(paragraph))
    return _rss(
        f"<item><title>Huge</title><guid>1</guid><description>{notes}</description></item>"
        "<item><title>After</title><guid>2</guid><description>Small.</description></item>"
    )


def test_huge_notes_are_read_cut_to_the_cap_and_the_items_after_them_are_kept() -> None:
    data = _huge_notes_feed()
    assert len(data) > 11_000_000
    huge, after = parse_feed(data).episodes
    assert NOTES_LIMIT - 1000 < len(huge.notes_html) <= NOTES_LIMIT
    assert huge.notes_html.startswith("<p>Lorem ipsum")
    assert huge.notes_html.endswith("</p>" + NOTES_CUT_MARK)
    assert (after.title, after.notes_html) == ("After", "Small.")


def test_a_large_document_reads_small_notes_like_a_small_one() -> None:
    item = "<item><title>Zoë</title><description>Grüße 🎙️ &amp; more</description></item>"
    alone = parse_feed(_rss(item)).episodes[0]
    padding = "<item><title>Pad</title><description>" + "x" * 9_000_000 + "</description></item>"
    in_a_large_one = parse_feed(_rss(item + padding)).episodes[0]
    assert in_a_large_one.notes_html == alone.notes_html == "Grüße 🎙️ & more"


def test_notes_written_as_xml_elements_are_cut_to_the_cap() -> None:
    paragraphs = "<p>Lorem ipsum <b>dolor</b> sit amet.</p>" * 20_000  # 760 K characters
    data = _rss(
        f"<item><title>T</title><content:encoded>{paragraphs}</content:encoded></item>",
        channel=f"<description>{paragraphs}</description>",
    )
    feed = parse_feed(data)
    for notes in (feed.episodes[0].notes_html, feed.description):
        assert NOTES_LIMIT - 1000 < len(notes) <= NOTES_LIMIT
        assert notes.startswith("<p>Lorem ipsum <b>dolor</b> sit amet.</p>")
        assert notes.endswith("</p>" + NOTES_CUT_MARK)
