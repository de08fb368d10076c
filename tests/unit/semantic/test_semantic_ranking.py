"""The pure parts of the meaning layer: fusing two ranked lists, and the sign-code scan."""

from __future__ import annotations

import numpy as np

from bot.models.episode_views import EpisodeSummary, Moment
from bot.semantic.embedder import to_bytes, unit
from bot.semantic.semantic_fusion import fuse_moments
from bot.semantic.semantic_search import NearMoment
from bot.semantic.vector_index import VectorIndex
from bot.store.embedding_rows import SOURCE_TRANSCRIPT, EmbeddedMoment


def episode(episode_id: int) -> EpisodeSummary:
    return EpisodeSummary(
        episode_id,
        1,
        "Show",
        f"Episode {episode_id}",
        episode_id,
        None,
        None,
        None,
        None,
        "full",
        None,
        None,
        None,
    )


def said(episode_id: int, start: float, match="all") -> Moment:
    return Moment(episode(episode_id), start, "transcript", "words", 1.0, match=match)


def near(episode_id: int, start: float, score=0.8, sure=True) -> NearMoment:
    moment = EmbeddedMoment(SOURCE_TRANSCRIPT, 1, episode_id, start, "transcript", "meant", "Ann")
    return NearMoment(episode(episode_id), moment, score, score, sure)


def places(moments: list[Moment]) -> list[tuple[int, float | None, str]]:
    return [(m.episode.id, m.start, m.match) for m in moments]


def test_a_moment_both_lists_hold_comes_first():
    fused = fuse_moments([said(1, 10), said(2, 500)], [near(2, 520), near(3, 0)], 10)
    assert places(fused)[0] == (2, 500, "all")


def test_at_equal_standing_the_words_come_before_the_meaning():
    fused = fuse_moments([said(1, 10)], [near(3, 0)], 10)
    assert places(fused) == [(1, 10, "all"), (3, 0, "meaning")]


def test_a_moment_only_near_in_meaning_is_labelled_by_how_sure():
    fused = fuse_moments([], [near(3, 0), near(4, 0, score=0.55, sure=False)], 10)
    assert [m.match for m in fused] == ["meaning", "related"]
    assert fused[0].speaker == "Ann" and fused[0].text == "meant"


def test_a_partial_match_that_the_meaning_confirms_is_about_the_topic():
    fused = fuse_moments([said(1, 10, "any")], [near(1, 30)], 10)
    assert places(fused) == [(1, 10, "meaning")]
    unsure = fuse_moments([said(1, 10, "any")], [near(1, 30, sure=False)], 10)
    assert places(unsure) == [(1, 10, "any")]


def test_the_fused_list_keeps_to_the_limit():
    fused = fuse_moments([said(1, s) for s in range(0, 600, 100)], [near(2, 0)], 3)
    assert len(fused) == 3


def test_the_sign_code_scan_finds_the_nearest_vectors_within_the_feeds_asked():
    rng = np.random.default_rng(1)
    vectors = unit(rng.standard_normal((5000, 64)).astype(np.float32))
    index = VectorIndex(64)
    rows = [(i + 1, i, 1 + i % 2, blob) for i, blob in enumerate(to_bytes(vectors))]
    index.add(rows[:3000])
    index.add(rows[3000:])  # loaded in two goes, as new vectors arrive
    query = vectors[1234] + 0.05 * rng.standard_normal(64).astype(np.float32)
    assert 1235 in index.nearest(query, 20)
    assert 1235 not in index.nearest(query, 20, feeds=frozenset({2}))  # its feed is 1
    assert index.loaded_upto == 5000


def test_phrase_matches_heading_the_word_list_stay_first_in_their_order():
    lexical = [said(1, 10, "phrase"), said(2, 500, "phrase"), said(3, 40)]
    fused = fuse_moments(lexical, [near(2, 510), near(3, 50), near(4, 0)], 10)
    assert places(fused)[:2] == [(1, 10, "phrase"), (2, 500, "phrase")]


def test_an_opening_that_previews_the_hour_gains_nothing_from_meaning():
    # The words put the discussion (at 1500) before the host's preview (at 12); the
    # preview is near in meaning too, but the episode has a later moment for the topic.
    lexical = [said(1, 1500), said(1, 12, "phrase")]
    fused = fuse_moments(lexical, [near(1, 20), near(1, 1510)], 10)
    assert places(fused)[0] == (1, 1500, "all")


def test_an_episode_matched_by_its_words_gets_the_place_the_meaning_finds():
    episode_level = Moment(episode(5), None, "episode", "title", 1.0, match="all")
    fused = fuse_moments([episode_level], [near(5, 2035)], 10)
    assert places(fused) == [(5, 2035, "all")]
    assert fused[0].kind == "transcript" and fused[0].speaker == "Ann"


def test_a_moment_only_near_the_topic_moves_no_word_match_up():
    lexical = [said(1, 10), said(2, 500)]
    fused = fuse_moments(lexical, [near(2, 510, score=0.55, sure=False)], 10)
    assert places(fused)[:2] == [(1, 10, "all"), (2, 500, "all")]


def test_the_prefilter_finds_the_nearest_when_it_samples_the_cut_distance():
    rng = np.random.default_rng(2)
    vectors = unit(rng.standard_normal((20000, 64)).astype(np.float32))
    index = VectorIndex(64)
    index.add([(i + 1, i, 1, blob) for i, blob in enumerate(to_bytes(vectors))])
    hits = 0
    for row in range(0, 20000, 1000):
        query = vectors[row] + 0.05 * rng.standard_normal(64).astype(np.float32)
        hits += row + 1 in index.nearest(query, 5, shortlist=50)  # far fewer than the rows
    assert hits >= 18
