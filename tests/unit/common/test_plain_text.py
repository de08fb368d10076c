"""bot.common.plain_text: show-note HTML to readable lines, and cutting text to a limit."""

from __future__ import annotations

import pytest
from lxml import etree

from bot.common.plain_text import (
    NOTES_CUT_MARK,
    NOTES_LIMIT,
    cap_notes,
    html_to_text,
    plain_summary,
    title_without_number,
    truncate,
    without_surrogates,
)
from tests.support.paths import fixture_feed, raw_item_element

# ---------------------------------------------------------------- html_to_text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
        ("a<br>b<br/>c<BR />d", "a\nb\nc\nd"),
        ("<ul>\n<li>first</li>\n<li>second</li>\n</ul>", "first\nsecond"),
        ("<div>top</div><div>bottom</div>after", "top\nbottom\nafter"),
        ("<h3>Heading</h3>body", "Heading\n\nbody"),
        ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"),
        ("<p>bold <strong>word</strong> and <a href='x'>link</a>.</p>", "bold word and link."),
    ],
)
def test_block_tags_become_line_breaks_and_inline_tags_vanish(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_source_newlines_inside_html_are_only_spaces() -> None:
    assert html_to_text("<p>a long\nwrapped   line</p>\n\n\n<p>next</p>") == (
        "a long wrapped line\n\nnext"
    )


def test_plain_text_keeps_its_own_lines_but_at_most_one_blank_line() -> None:
    assert html_to_text("one\ntwo  \n\n\n\n  three\r\nfour") == "one\ntwo\n\nthree\nfour"


def test_entities_named_numeric_and_double_escaped_are_unescaped() -> None:
    assert html_to_text("caf&eacute; &#8211; &#x2014; &amp;quot;hi&amp;quot; &nbsp;x") == (
        'café – — "hi" x'
    )


def test_entity_escaped_html_is_unescaped_once_and_stripped() -> None:
    escaped = "&lt;p&gt;Hello &amp;amp; bye&lt;/p&gt;&lt;ul&gt;&lt;li&gt;one&lt;/li&gt;&lt;/ul&gt;"
    assert html_to_text(escaped) == "Hello & bye\n\none"


def test_twice_escaped_html_is_unescaped_twice() -> None:
    twice = "&amp;lt;p&amp;gt;Fish &amp;amp;amp; chips&amp;lt;/p&amp;gt;&amp;lt;p&amp;gt;x"
    assert html_to_text(twice) == "Fish & chips\n\nx"  # `&amp;amp;amp;` was a twice-escaped &


def test_a_literal_escaped_tag_inside_real_html_stays_text() -> None:
    # Real notes write `&lt;Arbeitgeber&gt;` meaning the placeholder text, not a tag.
    html = "<p>Lernst du bei &lt;Arbeitgeber&gt; genug?</p><p>Und &lt;b&gt; ist fett.</p>"
    assert html_to_text(html) == "Lernst du bei <Arbeitgeber> genug?\n\nUnd <b> ist fett."


def test_scripts_styles_and_comments_are_dropped() -> None:
    html = "<style>p {color: red}</style><p>kept</p><script>var a = 1 < 2;</script><!-- no -->x"
    assert html_to_text(html) == "kept\n\nx"


def test_an_unclosed_comment_hides_the_rest_like_a_browser() -> None:
    assert html_to_text("<p>shown</p><!-- never closed <p>hidden</p>") == "shown"


def test_whitespace_runs_collapse_including_non_breaking_spaces() -> None:
    assert html_to_text("<p>a \t\u00a0 b&nbsp;&nbsp;c</p>") == "a b c"


def test_empty_input_gives_empty_text() -> None:
    assert html_to_text("") == ""
    assert html_to_text("<p> </p><br>") == ""


@pytest.mark.parametrize(
    ("adversarial", "expected"),
    [
        ("<script>" * 20_000, ""),
        ("<!--" * 20_000, ""),
        ("<p" * 20_000, "<p" * 20_000),
        ("&lt;p" * 20_000, "<p" * 20_000),
        ("<" * 50_000, "<" * 50_000),
    ],
)
def test_unclosed_markup_is_read_as_text_or_dropped(adversarial: str, expected: str) -> None:
    # Hostile input a quadratic regex would choke on; bench/bench_text.py times it.
    assert html_to_text(adversarial) == expected


def test_real_entity_escaped_content_encoded_reads_like_its_cdata_description() -> None:
    # EngineeringKiosk writes <description> as CDATA HTML and <content:encoded> as
    # entity-escaped HTML; a consumer that does not decode XML entities gets `&lt;p&gt;`.
    escaped = raw_item_element("EngineeringKiosk", "#274 ", "content:encoded")
    assert escaped.startswith("&lt;p&gt;Open Source draufschreiben")
    text = html_to_text(escaped)
    assert "&lt;" not in text and "<p>" not in text
    lines = text.split("\n")
    heading = lines.index("Sprungmarken")
    assert lines[heading + 2 : heading + 5] == [
        "(00:00:00) Openwashing, digitale Souveränität und warum das Thema wichtiger wird",
        "",
        "(00:02:39) Johannes Näder, FSFE und der politische Blick auf freie Software",
    ]


def test_real_plain_text_description_keeps_its_lines() -> None:
    root = etree.parse(
        str(fixture_feed("LinuxUnplugged")), etree.XMLParser(recover=True, huge_tree=True)
    )
    item = next(i for i in root.iter("item") if i.findtext("title", "").startswith("378:"))
    text = html_to_text(item.findtext("description", ""))
    assert text.split("\n")[2:5] == ["Chapters:", "00:00:00 Pre-show", "00:01:01 Intro"]


# ---------------------------------------------------------------- truncate


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("exactly ten", 11, "exactly ten"),
        ("one two three four", 10, "one two…"),
        ("one two three four", 9, "one two…"),
        ("one two, three", 10, "one two…"),  # no dangling comma before the ellipsis
        ("https://example.com/a/very/long/path", 12, "https://exa…"),  # one word: cut it
        ("anything", 1, "…"),
        ("anything", 0, ""),
    ],
)
def test_truncate_cuts_at_a_word_boundary_with_an_ellipsis(
    text: str, limit: int, expected: str
) -> None:
    assert truncate(text, limit) == expected
    assert len(truncate(text, limit)) <= max(limit, 0)


def test_truncate_never_exceeds_the_limit_on_real_notes() -> None:
    text = html_to_text(raw_item_element("EngineeringKiosk", "#274 ", "content:encoded"))
    for limit in (1, 2, 5, 50, 100, 1024, 4096):
        cut = truncate(text, limit)
        assert len(cut) <= limit
        if len(text) > limit > 1:
            assert cut.endswith("…")
            # the kept words are whole words of the original
            assert text.startswith(cut[:-1].rstrip())


# ---------------------------------------------------------------- plain_summary


def test_summary_ends_at_the_last_sentence_that_fits() -> None:
    text = "First sentence here. Second one is here too! Third would not fit at all."
    assert plain_summary(text, 50) == "First sentence here. Second one is here too!"


def test_summary_falls_back_to_a_word_cut_when_the_only_sentence_end_is_too_early() -> None:
    text = "Hi. This is a long sentence without any other full stop in it at all"
    summary = plain_summary(text, 40)
    assert summary == "Hi. This is a long sentence without any…"
    assert len(summary) <= 40


def test_summary_collapses_lines_into_one_paragraph() -> None:
    assert plain_summary("Line one.\n\nLine   two.", 100) == "Line one. Line two."


def test_summary_never_cuts_mid_word_and_respects_the_limit() -> None:
    text = "Supercalifragilistic expialidocious words everywhere " * 20
    for limit in range(22, 200, 7):  # from just over the longest word
        summary = plain_summary(text, limit)
        assert len(summary) <= limit
        words = set(text.split())
        assert all(word in words for word in summary.rstrip("…").split())


@pytest.mark.parametrize(
    ("title", "number", "expected"),
    [
        ("12: Zoë on Wide Nets", 12, "Zoë on Wide Nets"),
        ("#12 – Zoë on Wide Nets", 12, "Zoë on Wide Nets"),
        ("Episode 12 | Zoë", 12, "Zoë"),
        ("12. Zoë", 12, "Zoë"),
        ("12: Zoë", 13, "12: Zoë"),  # another number: part of the title
        ("1.5 million tokens", 1, "1.5 million tokens"),
        ("3-2-1 launch", 3, "3-2-1 launch"),
        ("12:", 12, "12:"),  # nothing would be left
        ("Zoë on Wide Nets", None, "Zoë on Wide Nets"),
    ],
)
def test_a_leading_episode_number_is_dropped_only_when_the_label_shows_it(
    title: str, number: int | None, expected: str
) -> None:
    assert title_without_number(title, number) == expected


# ---------------------------------------------------------------- the notes cap (issue 9)


def test_notes_within_the_cap_are_kept_as_they_are() -> None:
    notes = "<p>" + "word " * 100 + "</p>"
    assert cap_notes(notes, len(notes)) is notes
    assert cap_notes("short") == "short"


def test_html_notes_over_the_cap_end_after_a_tag_with_the_mark() -> None:
    paragraph = "<p>" + "lorem ipsum " * 20 + "</p>\n"
    notes = paragraph * 50
    capped = cap_notes(notes, 1000)
    assert len(capped) <= 1000
    assert capped.endswith("</p>" + NOTES_CUT_MARK)
    assert html_to_text(capped).endswith("lorem ipsum\n\n[…]")


@pytest.mark.parametrize(
    "notes",
    [
        "<p>text</p>" + "x" * 880 + '<a href="https://example.com/' + "y" * 200 + '">l</a>',
        "&lt;p&gt;text&lt;/p&gt;" + "x" * 880 + "&lt;a href=&quot;" + "y" * 200,
        "word " * 195 + "&eacute;&eacute;",
    ],
    ids=["tag", "escaped tag", "entity"],
)
def test_the_cut_never_leaves_half_a_tag_or_an_entity(notes: str) -> None:
    head = cap_notes(notes, 990).removesuffix(NOTES_CUT_MARK)
    assert "<a" not in head and "&lt;a" not in head
    assert not head.endswith(("&", "&e", "&ea", "&eac", "&eacu", "&eacut"))
    assert "y" not in html_to_text(head)


def test_plain_notes_over_the_cap_end_at_a_line_or_between_words() -> None:
    lines = "\n".join(f"{i}:00 Topic number {i}" for i in range(10_000))
    capped = cap_notes(lines)
    assert len(capped) <= NOTES_LIMIT
    kept = capped.removesuffix(NOTES_CUT_MARK).split("\n")
    assert kept == lines.split("\n")[: len(kept)]  # whole lines only
    words = cap_notes("lorem ipsum " * 100, 500).removesuffix(NOTES_CUT_MARK)
    assert words.endswith("ipsum") or words.endswith("lorem")


def test_one_enormous_word_is_cut_where_it_is() -> None:
    capped = cap_notes("x" * 2000, 1000)
    assert capped == "x" * (1000 - len(NOTES_CUT_MARK)) + NOTES_CUT_MARK


# ---------------------------------------------------------------- lone surrogates (issue 9)


def test_lone_surrogates_become_replacement_characters() -> None:
    assert without_surrogates("a\ud800b\udfff") == "a\ufffdb\ufffd"
    assert without_surrogates("Zoë 🎙️") == "Zoë 🎙️"


def test_text_from_notes_with_a_lone_surrogate_can_be_encoded() -> None:
    text = html_to_text("<p>before \ud800 after</p>")
    assert text == "before \ufffd after"
    text.encode("utf-8")  # what SQLite does with it
    assert html_to_text("x &#xD800; &#55296; y") == "x \ufffd \ufffd y"
