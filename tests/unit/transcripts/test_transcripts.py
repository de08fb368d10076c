"""Transcripts: every format read exactly, cues merged into passages, the best link chosen,
and the moments a member gets from /when — exact times, speakers, one hit per minute."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.common.timefmt import seconds_from_json
from bot.ingest.fetch import Fetcher
from bot.ingest.importer import Importer
from bot.models.episode_views import HIGHLIGHT_END, HIGHLIGHT_START
from bot.models.parsed_feed import TranscriptRef
from bot.models.transcript_passage import Passage, Segment
from bot.search.fts_query import topic_terms
from bot.store import Store
from bot.store.passage_ranking import passage_score, trim_quote
from bot.transcripts.transcript_parse import (
    TranscriptError,
    merge_passages,
    parse_transcript,
    rank_transcripts,
    transcript_format,
)
from bot.transcripts.transcript_search import transcript_moments
from bot.transcripts.transcript_sync import TranscriptSync
from tests.support.paths import EXAMPLES

S, E = HIGHLIGHT_START, HIGHLIGHT_END
TRANSCRIPTS = EXAMPLES / "transcripts"


def seg(text, start=None, end=None, speaker=None):
    return Segment(text, start, end, speaker)


# --------------------------------------------------------------------------- parsing


VTT_WITH_VOICES = """WEBVTT Kind: captions

NOTE This is a comment
that spans two lines.

STYLE
::cue { color: yellow }

intro-1
00:00:01.500 --> 00:00:04.000 align:start position:10%
<v Ann Lee>Hello and <i>welcome</i>.</v>

00:01:02.250 --> 01:02:03.000
<v.loud Bo Chen>Thanks &amp; hi!
"""

VTT_PLAIN = """WEBVTT

1
00:05.000 --> 00:07.500
First line
second line of the cue.

2
00:08.000 --> 00:09.000
<c.yellow>Styled</c> text <00:00:08.500>with a timestamp tag.
"""

VTT_TWO_VOICES = """WEBVTT

00:00:10.000 --> 00:00:20.000
<v Ann>Are you sure?</v> <v Bo>Quite sure.</v>
"""

VTT_ROLL_UP = """WEBVTT

00:00:01.000 --> 00:00:03.000
the first line

00:00:03.000 --> 00:00:05.000
the first line
and the second line
"""

SRT_WITH_NAMES = """1
00:00:01,000 --> 00:00:03,500
Ann Lee: Good morning.

2
00:00:03,600 --> 00:00:06,000
Still Ann, with no label.

3
00:01:00,000 --> 00:01:02,000
<i>Bo Chen:</i> Morning!
"""

SRT_COLONS = """1
00:00:01,000 --> 00:00:02,000
Here's the thing: it works.

2
00:00:03,000 --> 00:00:04,000
So: what now?
"""

SRT_ONE_WORD_LABELS = """1
00:00:01,000 --> 00:00:02,000
ADAM: In the morning!

2
00:00:03,000 --> 00:00:04,000
DAVE: Hello.

3
00:00:05,000 --> 00:00:06,000
ADAM: Boom.

4
00:00:07,000 --> 00:00:08,000
DAVE: Yes.
"""

SRT_NO_NAMES = "\ufeff1\r\n00:00:00,500 --> 00:00:02,000\r\nNote: not a speaker.\r\n\r\n"

JSON_SEGMENTS = json.dumps(
    {
        "version": "1.0.0",
        "segments": [
            {"speaker": "Ann Lee", "startTime": 0.5, "endTime": 1.0, "body": "Hello"},
            {"startTime": "2.25", "endTime": 3, "body": " world &amp; all "},
            {"speaker": "Bo Chen", "startTime": "00:01:05.5", "endTime": 66, "body": "Hi."},
            {"speaker": "Bo Chen", "startTime": 70, "body": ""},
        ],
    }
)

HTML_TRANSCRIPT = """<!DOCTYPE html><html><head><title>Transcript</title>
<style>p {}</style></head><body>
<cite>Ann Lee:</cite><time>0:00</time><p>Welcome to the show.</p>
<p>We have a lot to cover.</p>
<cite>Bo Chen:</cite><time>0:05</time><p>Thanks for having me.</p>
</body></html>"""

TEXT_TRANSCRIPT = """Ann Lee: Welcome to the show.

We have a lot to cover.

Bo Chen  0:05
Thanks for having me.
"""


@pytest.mark.parametrize(
    ("body", "declared", "fmt", "expected"),
    [
        (
            VTT_WITH_VOICES,
            "vtt",
            "vtt",
            [
                seg("Hello and welcome.", 1.5, 4.0, "Ann Lee"),
                seg("Thanks & hi!", 62.25, 3723.0, "Bo Chen"),
            ],
        ),
        (
            VTT_PLAIN,
            None,
            "vtt",
            [
                seg("First line second line of the cue.", 5.0, 7.5),
                seg("Styled text with a timestamp tag.", 8.0, 9.0),
            ],
        ),
        (
            VTT_TWO_VOICES,
            "vtt",
            "vtt",
            [seg("Are you sure?", 10.0, 15.417, "Ann"), seg("Quite sure.", 15.417, 20.0, "Bo")],
        ),
        (
            VTT_ROLL_UP,
            "vtt",
            "vtt",
            [seg("the first line", 1.0, 3.0), seg("and the second line", 3.0, 5.0)],
        ),
        (
            SRT_WITH_NAMES,
            "srt",
            "srt",
            [
                seg("Good morning.", 1.0, 3.5, "Ann Lee"),
                seg("Still Ann, with no label.", 3.6, 6.0, "Ann Lee"),
                seg("Morning!", 60.0, 62.0, "Bo Chen"),
            ],
        ),
        (SRT_NO_NAMES, "srt", "srt", [seg("Note: not a speaker.", 0.5, 2.0)]),
        (
            SRT_COLONS,
            "srt",
            "srt",
            [seg("Here's the thing: it works.", 1.0, 2.0), seg("So: what now?", 3.0, 4.0)],
        ),
        (
            SRT_ONE_WORD_LABELS,
            "srt",
            "srt",
            [
                seg("In the morning!", 1.0, 2.0, "ADAM"),
                seg("Hello.", 3.0, 4.0, "DAVE"),
                seg("Boom.", 5.0, 6.0, "ADAM"),
                seg("Yes.", 7.0, 8.0, "DAVE"),
            ],
        ),
        (
            JSON_SEGMENTS,
            "json",
            "json",
            [
                seg("Hello", 0.5, 1.0, "Ann Lee"),
                seg("world & all", 2.25, 3.0),
                seg("Hi.", 65.5, 66.0, "Bo Chen"),
            ],
        ),
        (
            HTML_TRANSCRIPT,
            "html",
            "html",
            [
                seg("Welcome to the show.", speaker="Ann Lee"),
                seg("We have a lot to cover.", speaker="Ann Lee"),
                seg("Thanks for having me.", speaker="Bo Chen"),
            ],
        ),
        (
            TEXT_TRANSCRIPT,
            "text",
            "text",
            [
                seg("Welcome to the show.", speaker="Ann Lee"),
                seg("We have a lot to cover.", speaker="Ann Lee"),
                seg("Thanks for having me.", speaker="Bo Chen"),
            ],
        ),
    ],
    ids=["vtt-voices", "vtt-plain", "vtt-two-voices", "vtt-roll-up", "srt-names",
         "srt-bom-crlf", "srt-colons-in-sentences", "srt-one-word-labels", "json", "html",
         "text"],
)  # fmt: skip
def test_each_format_reads_exact_times_speakers_and_text(body, declared, fmt, expected):
    parsed = parse_transcript(body.encode("utf-8"), declared)
    assert parsed.format == fmt
    assert parsed.segments == expected


def test_the_bytes_decide_when_the_link_mislabels_them():
    # An SRT file announced as JSON, a VTT file announced as plain text.
    assert parse_transcript(SRT_WITH_NAMES.encode(), "json").format == "srt"
    assert parse_transcript(VTT_PLAIN.encode(), "text").format == "vtt"


def test_untimed_formats_are_never_timed():
    assert not parse_transcript(HTML_TRANSCRIPT.encode(), "html").timed
    assert not parse_transcript(TEXT_TRANSCRIPT.encode(), "text").timed
    assert parse_transcript(VTT_PLAIN.encode(), "vtt").timed


def test_windows_1252_bytes_are_read():
    body = "1\n00:00:01,000 --> 00:00:02,000\nCafé crème\n".encode("cp1252")
    assert parse_transcript(body, "srt").segments[0].text == "Café crème"


@pytest.mark.parametrize(
    "body",
    [b"", b"   \n", b'{"chapters": []}', b'{"segments": "nope"}', b"WEBVTT\n\nNOTE only\n"],
    ids=["empty", "blank", "chapters-json", "bad-segments", "no-cues"],
)
def test_a_file_with_no_transcript_in_it_is_an_error(body):
    with pytest.raises(TranscriptError):
        parse_transcript(body, "json" if body.startswith(b"{") else "vtt")


@pytest.mark.parametrize(
    ("name", "fmt", "count", "first", "last_start"),
    [
        ("ep3.srt", "srt", 38, ("Maren Achterberg", 4.0, 13.1), 3684.0),
        ("ep9.vtt", "vtt", 32, (None, 3.0, 11.1), 3464.0),
        ("ep12.vtt", "vtt", 47, ("Maren Achterberg", 2.0, 11.8), 4620.0),
        ("ep12.json", "json", 47, ("Maren Achterberg", 2.0, 11.8), 4620.0),
        ("ep15.json", "json", 31, ("Kwame Osei-Bonsu", 5.0, 13.8), 3720.0),
        ("ep21.srt", "srt", 30, ("Maren Achterberg", 4.0, 11.7), 3589.0),
        ("ep26.vtt", "vtt", 30, ("Maren Achterberg", 3.0, 10.7), 3821.0),
    ],
)
def test_the_example_transcripts_read_completely(name, fmt, count, first, last_start):
    path = TRANSCRIPTS / name
    parsed = parse_transcript(path.read_bytes(), transcript_format(None, name))
    assert parsed.format == fmt
    assert len(parsed.segments) == count
    head = parsed.segments[0]
    assert (head.speaker, head.start, head.end) == first
    assert parsed.segments[-1].start == last_start
    assert all(s.text and "<" not in s.text for s in parsed.segments)


def test_ep12_vtt_and_json_hold_the_same_cues():
    vtt = parse_transcript((TRANSCRIPTS / "ep12.vtt").read_bytes(), "vtt").segments
    from_json = parse_transcript((TRANSCRIPTS / "ep12.json").read_bytes(), "json").segments
    assert vtt == from_json


# --------------------------------------------------------------------------- hostile files


@pytest.mark.parametrize("declared", ["json", "vtt", "text", None])
def test_json_nested_too_deeply_is_a_transcript_error(declared):
    with pytest.raises(TranscriptError, match="nested too deeply"):
        parse_transcript("[" * 100_000, declared)
    with pytest.raises(TranscriptError, match="nested too deeply"):
        parse_transcript(b'{"segments": ' + b"[" * 100_000, declared)


@pytest.mark.parametrize("huge", ["1" * 400, "-" + "1" * 400, '"' + "1" * 400 + '"'])
def test_a_json_time_too_large_for_a_float_skips_the_segment(huge):
    body = (
        '{"segments": ['
        f'{{"startTime": {huge}, "endTime": 2, "body": "Lost."}},'
        f'{{"startTime": 1, "endTime": {huge}, "body": "Kept."}},'
        '{"startTime": 3, "endTime": 4, "body": "Fine."}]}'
    )
    segments = parse_transcript(body.encode(), "json").segments
    assert [(s.text, s.start, s.end) for s in segments] == [
        ("Lost.", None, 2.0),
        ("Kept.", 1.0, None),
        ("Fine.", 3.0, 4.0),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(10**400, None), (-(10**400), None), ("1" * 400, None), ("1e400", None), (12, 12.0)],
    ids=["huge-int", "huge-negative", "huge-string", "inf-string", "ordinary"],
)
def test_seconds_from_json_never_overflows(value, expected):
    assert seconds_from_json(value) == expected


@pytest.mark.parametrize(
    "timing",
    [
        "99999999999999999999999:00:00,000 --> 99999999999999999999999:00:01,000",
        "00:00:00," + "9" * 400 + " --> 00:00:01,000",
        "1" * 400 + ":00.000 --> 00:01.000",
    ],
    ids=["huge-hours", "huge-fraction", "huge-minutes"],
)
def test_a_cue_with_an_absurd_timestamp_is_skipped(timing):
    for head in ("", "WEBVTT\n\n"):
        body = f"{head}1\n{timing}\nLost.\n\n2\n00:00:01,000 --> 00:00:02,000\nKept.\n"
        segments = parse_transcript(body, "srt").segments
        assert [(s.text, s.start) for s in segments] == [("Kept.", 1.0)]


def test_lone_surrogates_in_json_become_replacement_characters():
    body = (
        b'{"segments": [{"startTime": 1, "endTime": 2, "body": "caf\\ud800 ok \\udfff",'
        b' "speaker": "Ann \\udc80Lee"}]}'
    )
    [segment] = parse_transcript(body, "json").segments
    assert segment.text == "caf\ufffd ok \ufffd"
    assert segment.speaker == "Ann \ufffdLee"
    segment.text.encode("utf-8"), segment.speaker.encode("utf-8")  # what SQLite needs


@pytest.mark.parametrize("declared", ["vtt", "srt", "html", "text"])
def test_lone_surrogates_in_a_str_transcript_become_replacement_characters(declared):
    bodies = {
        "vtt": "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Ann \udc80>Hi \ud800 there\n",
        "srt": "1\n00:00:01,000 --> 00:00:02,000\nHi \ud800 there\n",
        "html": "<html><body><p>Hi \ud800 there</p></body></html>",
        "text": "Hi \ud800 there\n\nAgain.",
    }
    segments = parse_transcript(bodies[declared], declared).segments
    assert segments[0].text == "Hi \ufffd there"
    assert segments[0].speaker == ("Ann \ufffd" if declared == "vtt" else None)
    for segment in segments:
        segment.text.encode("utf-8"), (segment.speaker or "").encode("utf-8")


# --------------------------------------------------------------------------- merging


def test_word_level_segments_merge_into_sentences():
    # One word per segment, as many JSON transcripts give them.
    words = ["Deep", "nets", "generalise", ".", "Nobody", "knows", "why", ".", "Really", "?"]
    segments = [seg(w, i * 0.5, i * 0.5 + 0.4, "Ann") for i, w in enumerate(words)]
    passages = merge_passages(segments, target_chars=10)
    assert [p.text for p in passages] == ["Deep nets generalise .", "Nobody knows why .",
                                          "Really ?"]  # fmt: skip
    assert (passages[1].start, passages[1].end) == (2.0, 3.9)
    assert all(p.speaker == "Ann" for p in passages)


def test_passages_never_join_two_speakers_or_a_long_pause():
    segments = [
        seg("One", 0.0, 1.0, "Ann"),
        seg("two", 1.1, 2.0, "Ann"),
        seg("three", 2.1, 3.0, "Bo"),
        seg("four", 10.0, 11.0, "Bo"),
    ]
    assert [(p.text, p.speaker) for p in merge_passages(segments)] == [
        ("One two", "Ann"),
        ("three", "Bo"),
        ("four", "Bo"),
    ]


def test_a_passage_ends_after_two_sentences():
    segments = [seg("Yes.", 0, 1), seg("I agree.", 1, 2), seg("Go on.", 2, 3)]
    assert [p.text for p in merge_passages(segments)] == ["Yes. I agree.", "Go on."]


def test_an_overlong_cue_is_split_with_its_time_shared():
    sentence = "This sentence is exactly fifty characters long ok."
    cue = seg(" ".join([sentence] * 10), 100.0, 200.0, "Ann")
    passages = merge_passages([cue], max_chars=160)
    assert all(len(p.text) <= 160 for p in passages)
    assert " ".join(p.text for p in passages) == cue.text
    assert passages[0].start == 100.0 and passages[-1].end == 200.0
    starts = [p.start for p in passages]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)


def test_untimed_paragraphs_stay_untimed():
    passages = merge_passages([seg("Hello there.", speaker="Ann"), seg("Hi.", speaker="Bo")])
    assert passages == [
        Passage("Hello there.", None, None, "Ann"),
        Passage("Hi.", None, None, "Bo"),
    ]


# --------------------------------------------------------------------------- choosing


@pytest.mark.parametrize(
    ("mime", "url", "fmt"),
    [
        ("text/vtt", "https://x.example/t.vtt", "vtt"),
        ("application/x-subrip", "https://x.example/t.srt", "srt"),
        ("application/srt", "https://x.example/t", "srt"),
        ("application/json", "https://x.example/t.json", "json"),
        ("text/html", "https://x.example/transcript", "html"),
        ("text/plain", "https://x.example/t.txt", "text"),
        ("text/plain", "https://x.example/t.srt?token=1", "srt"),  # mislabelled
        ("application/json", "https://x.example/captions.vtt", "vtt"),  # extension wins
        ("application/x-subrip", "https://x.example/t.txt", "srt"),  # a timed claim wins
        ("", "https://x.example/t.webvtt", "vtt"),
        ("text/html; charset=utf-8", "https://x.example/t.html", "html"),
        ("application/pdf", "https://x.example/t.pdf", None),
    ],
)
def test_the_format_of_a_link_comes_from_extension_and_mime(mime, url, fmt):
    assert transcript_format(mime, url) == fmt


def test_timed_formats_are_preferred_json_then_vtt_then_srt_then_html_then_text():
    refs = [
        TranscriptRef("t.txt", "text/plain"),
        TranscriptRef("t", "text/html"),
        TranscriptRef("t.srt", "application/srt"),
        TranscriptRef("t.vtt", "text/vtt"),
        TranscriptRef("t.json", "application/json"),
    ]
    assert [r.url for r in rank_transcripts(refs)] == ["t.json", "t.vtt", "t.srt", "t", "t.txt"]


# --------------------------------------------------------------------------- query helpers


@pytest.mark.parametrize(
    ("topic", "terms"),
    [
        ("neural tangent kernel", ["neural", "tangent", "kernel"]),
        ("The Lottery Ticket", ["lottery", "ticket"]),
        ("Bradley-Terry", ["bradley", "terry"]),
        ('what is "muP"?', ["mup"]),
        ("the", []),
        ("what is it", []),
        ("Zoë", ["zoë"]),
        ("NEAR(a b) OR *", ["near", "b"]),  # FTS syntax is just words
    ],
)
def test_topic_terms_drop_stopwords_and_syntax(topic, terms):
    assert topic_terms(topic) == terms


def test_a_phrase_scores_above_scattered_words_and_density_counts():
    phrase = f"the {S}lottery{E} {S}ticket{E} picture"
    scattered = f"a {S}lottery{E} win bought a train {S}ticket{E} for the ride home"
    one_term = f"a {S}lottery{E} win bought a train to the coast for the weekend"
    assert passage_score(phrase, 2, S, E) > passage_score(scattered, 2, S, E)
    assert passage_score(scattered, 2, S, E) > passage_score(one_term, 2, S, E)
    assert passage_score("no highlight here", 1, S, E) == 0.0


def test_a_quote_is_trimmed_around_the_highlight_without_cutting_it():
    text = " ".join(["filler"] * 60) + f" {S}grokking{E} " + " ".join(["tail"] * 60)
    quote = trim_quote(text, 80, S, E)
    assert f"{S}grokking{E}" in quote
    assert quote.startswith("…") and quote.endswith("…")
    assert len(quote.replace(S, "").replace(E, "")) <= 84
    short = f"just {S}this{E}"
    assert trim_quote(short, 80, S, E) == short


# --------------------------------------------------------------------------- moments


async def _build_example_store(path) -> None:
    async with await Store.open(path) as store, Fetcher() as fetcher:
        summary = await Importer(store, fetcher, remote_files=False).import_source(
            str(EXAMPLES / "feed.xml")
        )
        await TranscriptSync(store, fetcher, remote_files=False).sync_feed(summary.feed_id)


@pytest.fixture(scope="module")
def example_store_path(tmp_path_factory):
    """The example feed imported with its transcripts indexed, built once for the module
    (the tests below only read it)."""
    path = tmp_path_factory.mktemp("transcripts") / "store.db"
    asyncio.run(_build_example_store(path))
    return path


@pytest.fixture
async def catalogue(example_store_path):
    """(store, {episode number: episode id}) over the example feed and its transcripts."""
    async with await Store.open(example_store_path) as store:
        rows = await store.fetchall("SELECT number, id FROM episodes WHERE number IS NOT NULL")
        yield store, {row["number"]: row["id"] for row in rows}


@pytest.mark.parametrize(
    ("topic", "number", "start", "speaker"),
    [
        ("neural tangent kernel", 12, 1335.0, "Zoë Harlan-Miyata"),
        ("lazy training", 12, 1900.0, "Zoë Harlan-Miyata"),
        ("lottery ticket", 12, 618.0, "Zoë Harlan-Miyata"),
        ("warmup schedule", 12, 3370.0, "Kwame Osei-Bonsu"),
        ("polysemantic", 9, 461.0, None),
        ("superposition", 9, 620.0, None),
        ("activation patching", 9, None, None),
        ("Hessian", 3, 1876.0, "José Ibarreche"),
        ("linear scaling rule", 3, 210.0, "Maren Achterberg"),
        ("Adam epsilon", 3, 2570.0, "Maren Achterberg"),
        ("reward hacking", 15, 2054.0, "Çağla Demirtaş"),
        ("KL penalty", 15, 2278.0, "Çağla Demirtaş"),
        ("Bradley-Terry", 15, 1309.0, "Çağla Demirtaş"),
        ("mean-field", 21, 552.0, "Zoë Harlan-Miyata"),
        ("Shampoo", 26, 1794.0, "José Ibarreche"),
        ("Newton-Schulz", 26, 2050.0, "José Ibarreche"),
    ],
)
async def test_transcript_only_terms_land_on_the_exact_moment(
    catalogue, topic, number, start, speaker
):
    store, ids = catalogue
    moments = await transcript_moments(store, topic, guild_id=None, marks=(S, E))
    assert moments, topic
    in_episode = [m for m in moments if m.episode_id == ids[number]]
    assert in_episode and moments[0].episode_id == ids[number]
    if start is not None:
        assert start in [m.start for m in in_episode]
        hit = next(m for m in in_episode if m.start == start)
        assert hit.speaker == speaker
        assert S in hit.text and E in hit.text


async def test_a_term_in_two_episodes_finds_both(catalogue):
    store, ids = catalogue
    moments = await transcript_moments(store, "muP", guild_id=None, marks=(S, E))
    assert {(m.episode_id, m.start) for m in moments} >= {(ids[12], 2960.0), (ids[21], 810.0)}


async def test_a_topic_said_twice_in_one_minute_is_one_moment(catalogue):
    store, ids = catalogue
    # Episode 21 says "grokking" at 18:25 and again at 18:31.
    moments = await transcript_moments(store, "grokking", guild_id=None, marks=(S, E))
    starts = [m.start for m in moments if m.episode_id == ids[21]]
    assert len([s for s in starts if 1080 <= s < 1140]) == 1


async def test_a_phrase_said_in_two_places_gives_both_moments(catalogue):
    store, ids = catalogue
    moments = await transcript_moments(
        store, "neural tangent kernel", guild_id=None, episode_id=ids[12], marks=(S, E)
    )
    assert {1335.0, 4015.0} <= {m.start for m in moments}
    assert {m.speaker for m in moments} >= {"Zoë Harlan-Miyata", "Maren Achterberg"}


async def test_moments_are_best_first_and_respect_the_limit(catalogue):
    store, _ = catalogue
    moments = await transcript_moments(store, "learning rate", guild_id=None, limit=4)
    assert len(moments) == 4
    assert [m.score for m in moments] == sorted((m.score for m in moments), reverse=True)


async def test_stopwords_alone_are_not_a_topic(catalogue):
    store, _ = catalogue
    assert await transcript_moments(store, "the", guild_id=None) == []
    assert await transcript_moments(store, "what is it about", guild_id=None) == []


async def test_an_episode_without_a_transcript_has_no_moments(catalogue):
    store, ids = catalogue
    assert await transcript_moments(store, "dropout", guild_id=None, episode_id=ids[4]) == []


async def test_a_guild_sees_only_its_own_and_the_global_feeds(tmp_path):
    async with await Store.open(tmp_path / "store.db") as store, Fetcher() as fetcher:
        feed = str((EXAMPLES / "feed.xml").resolve())
        await store.ensure_feed(feed, guild_id=111)  # /feed add in guild 111 only
        summary = await Importer(store, fetcher, remote_files=False).import_source(feed)
        await TranscriptSync(store, fetcher, remote_files=False).sync_feed(summary.feed_id)
        assert await transcript_moments(store, "lazy training", guild_id=111)
        assert await transcript_moments(store, "lazy training", guild_id=222) == []
        assert await transcript_moments(store, "lazy training", guild_id=None) == []


async def test_the_when_source_adapter_takes_an_fts_expression_and_a_scope(catalogue):
    store, ids = catalogue
    hits = await store.transcript_hits('"lazy training"', await store.scope(None))
    assert [(h.episode_id, h.start, h.speaker, h.kind) for h in hits] == [
        (ids[12], 1900.0, "Zoë Harlan-Miyata", "transcript")
    ]
    assert f"{S}lazy training{E}" in hits[0].text  # a phrase is highlighted as one


async def test_transcript_info_says_what_the_episode_has(catalogue):
    store, ids = catalogue
    info = await store.transcript_info(ids[12])
    assert (info.format, info.segments, info.timed) == ("json", 47, True)
    assert info.url == "transcripts/ep12.json"  # JSON preferred over the VTT
    assert await store.transcript_info(ids[4]) is None


async def test_export_counts_the_segments_of_each_transcript(catalogue):
    store, _ = catalogue
    rows = {row["number"]: row async for row in store.export_rows()}
    assert rows[12]["transcript"] == {"segments": 47}
    assert rows[3]["transcript"] == {"segments": 38}
    assert rows[4]["transcript"] is None
    assert rows[12]["transcript_url"] == "transcripts/ep12.vtt"  # the SPEC field stays
