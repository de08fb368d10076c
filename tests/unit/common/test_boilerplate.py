"""Boilerplate of a feed: lines its episodes repeat, learned from its own notes, and the
markers of ads and calls to action that cover a new feed's first episodes."""

from __future__ import annotations

import json

import pytest

from bot.common import boilerplate
from bot.common.plain_text import html_to_text
from bot.ingest.feedparse import parse_feed
from bot.ui.render import card_summary
from tests.support.paths import fixture_feed

# An invented feed: every episode ends with the same sponsor read and call to action,
# whose episode number and code change.
GARDEN_SHOW = [
    f"We prune {plant} with a guest from the allotment.\n"
    f"Episode {n} is sponsored by Trowelly. Use code DIG{n} for 15% off.\n"
    "Join the conversation in the Compost Corner forum every Thursday."
    for n, plant in enumerate(["roses", "apple trees", "lavender", "figs", "hedges"], 1)
]


def test_a_line_recurring_across_episodes_is_learned_whatever_its_numbers():
    keys = boilerplate.learn(GARDEN_SHOW)
    assert "episode is sponsored by trowelly" in keys  # numbers and code letters ignored?
    assert "join the conversation in the compost corner forum every thursday" in keys
    assert keys["join the conversation in the compost corner forum every thursday"] == 5
    # The lines that say what each episode is about recur nowhere.
    assert not any("prune" in key for key in keys)


def test_a_line_in_two_episodes_is_not_yet_boilerplate():
    assert boilerplate.learn(GARDEN_SHOW[:2]) == {}


def test_learned_lines_leave_the_summary_and_the_topic_stays():
    keys = boilerplate.learn(GARDEN_SHOW)
    assert boilerplate.without_boilerplate(GARDEN_SHOW[3], keys) == (
        "We prune figs with a guest from the allotment."
    )


def test_a_recurring_sentence_inside_a_paragraph_is_cut_and_the_rest_kept():
    notes = [
        f"Today: {topic}. Call the Nightjar hotline and leave a voicemail for the mailbag."
        for topic in ("owls at dusk", "swifts over the river", "a heron", "moths")
    ]
    keys = boilerplate.learn(notes)
    assert boilerplate.without_boilerplate(notes[1], keys) == "Today: swifts over the river."


@pytest.mark.parametrize(
    "line",
    [
        "This episode is sponsored by Lampshade Co.",
        "Sponsored by: Kettlewise and Mapleworks",
        "Thanks to our sponsors for making this possible",
        "Get 20% off with promo code BIRDS at checkout",
        "Use code OWL for a free month",
        "Support the show: buy us a coffee",
        "Become a patron and hear episodes early",
        "Sign up for our weekly newsletter at example.org",
        "Come chat with us in our community",
        "Join us on Discord to talk about the episode",
        "Hosted on Acast. See acast.com/privacy for more information.",
        "Powered by Podbean",
        "Werbung: Dieser Podcast wird unterstützt von Kaffeeröster Süd",
        "Das schnelle Feedback zur Episode: 👍 (top) 👎 (geht so)",
        "Mit dem Gutscheincode GARTEN sparst du zehn Prozent",
        "Rate and review us on your podcast app",
    ],
)
def test_markers_cover_a_new_feed_before_anything_recurs(line):
    assert boilerplate.is_marker(line)
    assert boilerplate.without_boilerplate(f"A walk through old orchards.\n{line}") == (
        "A walk through old orchards."
    )


@pytest.mark.parametrize(
    "line",
    [
        "We talk about why newsletters became a business again.",  # a topic, not an ad
        "Slack's founder on building chat tools",
        "Our guest sponsors a community garden in Leeds.",
        "Discount airlines and what they cost the climate",
    ],
)
def test_topics_that_mention_the_same_words_are_no_markers(line):
    assert not boilerplate.is_marker(line)


def test_notes_that_are_only_ads_leave_no_summary():
    assert boilerplate.without_boilerplate("Sponsored by Tealeaf.\nSupport the show!") == ""


def test_notes_that_are_only_a_repeated_line_without_ads_keep_it():
    notes = [f"Recorded in the week of {day} May" for day in (3, 10, 17, 24)]
    keys = boilerplate.learn(notes)
    assert "recorded in the week of may" in keys
    assert boilerplate.without_boilerplate(notes[1], keys) == notes[1]


def test_keys_round_trip_through_the_stored_state():
    keys = boilerplate.learn(GARDEN_SHOW)

    assert boilerplate.keys_from_state(json.dumps(keys)) == frozenset(keys)
    assert boilerplate.keys_from_state(None) == frozenset()
    assert boilerplate.keys_from_state("not json") == frozenset()


# ------------------------------------------------------------------ real feeds


def _feed_notes(name: str) -> tuple[list[str], list[str]]:
    feed = parse_feed(fixture_feed(name).read_bytes(), source=name)
    return [e.title for e in feed.episodes], [html_to_text(e.notes_html) for e in feed.episodes]


def _card(name: str, title: str) -> tuple[str, str]:
    titles, notes = _feed_notes(name)
    keys = boilerplate.learn(notes)
    text = notes[titles.index(title)]
    return card_summary(text), card_summary(boilerplate.without_boilerplate(text, keys))


def test_the_deprogram_card_keeps_the_topic_and_drops_the_patreon_block():
    # Its notes: the topic, then "You are listening to this episode 1 week after it was
    # released. … check out our Patreon", "Support the show", "Follow us on Twitter" —
    # on most of the feed's 385 episodes.
    before, after = _card("2026-02-13-deprogram", "Episode 220 - Epstein and Eugenics")
    assert "Support the show" in before
    assert after == "The files and the people who don't want to read them."


def test_the_design_details_card_drops_the_slack_invitation():
    # "Come chat with us in our new Slack team! Over 3,000 designers…" ends 43 of its notes.
    before, after = _card("design-details", "99: Internet Points (feat. Ian Silber)")
    assert "Slack" in before
    assert "Slack" not in after
    assert after.startswith("Today we sat down with Ian Silber, a designer")


def test_the_linux_unplugged_sponsor_reads_are_learned():
    # "Sponsored by:" and the DigitalOcean "promo code dounplugged" read recur on 22+ episodes.
    _, notes = _feed_notes("LinuxUnplugged")
    keys = boilerplate.learn(notes)
    assert "sponsored by" in keys
    assert "promo code dounplugged" in keys


def test_the_engineering_kiosk_feedback_prompt_and_ad_partners_are_learned():
    # German: "Das schnelle Feedback zur Episode: 👍 (top) 👎 (geht so)" and "Unsere aktuellen
    # Werbepartner findest du auf …" end most of its 276 episodes.
    _, notes = _feed_notes("EngineeringKiosk")
    keys = boilerplate.learn(notes)
    assert keys["das schnelle feedback zur episode"] > 200
    assert keys["unsere aktuellen werbepartner findest du auf"] > 200


def test_the_model_of_an_850_episode_feed_learns_its_recurring_line():
    # How long it takes (budget 1 s) is measured in bench/bench_quality_report.py.
    _, notes = _feed_notes("the-daily")
    assert len(notes) > 800
    keys = boilerplate.learn(notes)
    # "For more information on today's episode, visit nytimes.com/thedaily." on most of them.
    assert keys["for more information on today s episode visit nytimes com thedaily"] > 600
