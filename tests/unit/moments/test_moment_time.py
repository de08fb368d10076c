"""The `time` option of /moment, and the times a chat message quotes."""

from __future__ import annotations

import pytest

from bot.moments.message_times import episode_references, times_in, visible_text
from bot.moments.moment_time import MomentTimeError, check_within, parse_moment_time


@pytest.mark.parametrize(
    ("typed", "seconds"),
    [
        ("34:10", 2050),
        ("1:02:03", 3723),
        ("34m10s", 2050),
        ("2040", 2040),
        ("1h2m", 3720),
        ("1h", 3600),
        ("45s", 45),
        (" 1h 2m 3s ", 3723),
        ("75:30", 4530),
        ("0", 0),
        ("12.5", 12),
    ],
)
def test_a_time_reads_as_members_write_it(typed, seconds):
    assert parse_moment_time(typed) == seconds


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("-34:10", "before the episode starts"),
        ("−5", "before the episode starts"),
        ("", "Tell me when"),
        ("soon", "can't read"),
        ("1:75", "can't read"),
        ("1h75m", "can't read"),
        ("999999", "far longer"),
    ],
)
def test_a_time_that_cannot_be_used_says_why(typed, says):
    with pytest.raises(MomentTimeError, match=says):
        parse_moment_time(typed)


def test_a_time_past_the_end_of_the_episode_is_refused_with_its_length():
    check_within(3599, 3600)
    check_within(99999, None)  # unknown length: anything goes
    with pytest.raises(MomentTimeError, match="only 1:00:00 long"):
        check_within(3600, 3600)


@pytest.mark.parametrize(
    ("message", "times"),
    [
        ("at 34:10 she says", [2050]),
        ("34:10 and then 1:02:03, and 34:10 again", [2050, 3723]),
        ("around 34m10s, and 1h2m in", [2050, 3720]),
        ("1:00 2:00 3:00 4:00 5:00 6:00", [60, 120, 180, 240, 300]),
        ("second line\nat 3:00", [180]),
    ],
)
def test_the_times_a_message_quotes_in_order_each_once_at_most_five(message, times):
    assert times_in(message) == times


@pytest.mark.parametrize(
    "message",
    [
        "see you at 5:30pm",
        "at 5:30 PM",
        "starts 19:00 CET",
        "on March 3 at 19:00",
        "2024-05-01 10:30",
        "https://example.com/watch?t=12:30",
        "<https://example.com/12:30>",
        "`12:30`",
        "```\n12:30\n```",
        "> at 12:30 the bot said",
        ">>> quoted\n12:30 still quoted",
        "aspect 16:9",
        "v1:30",
    ],
)
def test_clock_times_dates_links_code_and_quotes_are_not_moments(message):
    assert times_in(message) == []


def test_visible_text_keeps_what_the_author_wrote_around_what_is_left_out():
    assert visible_text("a `x` b https://x.y c").split() == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("message", "references"),
    [
        ("at 30:08 in ep 99 they", ["99"]),
        ("episode 12 and #13", ["12", "13"]),
        ("Ep.7", ["7"]),
        ('the bit in "Infinitely wide nets" at 3:58', ["Infinitely wide nets"]),
        ("“Scaling laws” #4", ["4", "Scaling laws"]),
        ('quoted time "3:58" is no title', []),
        ("nothing here <#123> &#39;", []),
    ],
)
def test_episode_references_numbers_first_then_quoted_titles(message, references):
    assert episode_references(message) == references
