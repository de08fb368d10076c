"""Segment scoring (bot/store/passage_ranking.segment_score): a passage is scored with its
neighbours, so that a topic discussed over several passages beats a passing mention."""

from __future__ import annotations

from bot.store.passage_ranking import segment_score

# Passage id -> (start, indexes of the topic's three terms it holds).
DISCUSSION = {10: (600.0, {0}), 11: (620.0, {1}), 12: (640.0, {0, 2}), 13: (660.0, {1})}
MENTION = {40: (1800.0, {0, 1, 2})}


def test_a_discussion_outscores_a_passing_mention_of_every_word():
    mention = segment_score(0.5, MENTION, 40, 3)
    discussion = segment_score(0.0, DISCUSSION, 12, 3)
    assert discussion > mention


def test_a_passing_mention_keeps_most_of_its_own_score():
    assert segment_score(0.5, MENTION, 40, 3) == round(0.5 * (0.7 + 0.3 * 0.25), 6)


def test_neighbours_minutes_away_are_not_its_segment():
    sparse = {10: (600.0, {0}), 11: (900.0, {1}), 12: (1200.0, {2})}
    assert segment_score(0.0, sparse, 11, 3) < 0.1
    untimed = {10: (None, {0}), 11: (None, {1}), 12: (None, {2})}
    assert segment_score(0.0, untimed, 11, 3) > 0.3
