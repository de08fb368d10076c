"""Segment scoring never looks inside an ad: a sponsor read that says the topic's words
over several passages is no segment, and the discussion of the topic elsewhere in the
episode is still found (bot/store/transcript_rows.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.ingest.fetch import Fetcher
from bot.search.catalogue import Catalogue
from bot.store import Store
from bot.transcripts.transcript_sync import TranscriptSync
from tests.support.catalogues import Item, import_feeds, write_feed

# Neither the read (1:00-1:40) nor the talk (10:00-10:40) says both words in one passage;
# the read says them in five passages, the talk in three.
FILLER = " We will get to the letters in a minute, after a few words from the sponsor."
TALK = " That came up in three letters this month, so we asked someone who knows."
CUES = [
    (60, "This episode is brought to you by Nightfall, makers of the mattress we sleep on."
         + FILLER),
    (70, "Every Nightfall bed comes with a firmness dial on the side, as they tell us." + FILLER),
    (80, "Pick the mattress that suits how you sleep, on your back or on your side." + FILLER),
    (90, "Set the firmness once and forget it, or change it every night if you like." + FILLER),
    (100, "Nightfall ships the mattress rolled up in a box to your door, for free." + FILLER),
    (600, "Our listener asked whether an old mattress causes back pain in the morning." + TALK),
    (620, "The physiotherapist said firmness matters less than people like to think." + TALK),
    (640, "What counts is that the mattress still supports your spine as you lie." + TALK),
]  # fmt: skip


# An episode that says "dial" only in its sponsor read, and "firmness" in its talk.
AD_WORD = [
    (60, "This episode is brought to you by Nightfall: turn the dial and sleep." + FILLER),
    (600, "The physiotherapist said firmness matters less than people like to think." + TALK),
]


def _vtt(cues: list[tuple[int, str]]) -> str:
    def clock(seconds: int) -> str:
        return f"00:{seconds // 60:02d}:{seconds % 60:02d}.000"

    blocks = [f"{clock(start)} --> {clock(start + 8)}\n{text}" for start, text in cues]
    return "WEBVTT\n\n" + "\n\n".join(blocks) + "\n"


@pytest.fixture
async def catalogue(tmp_path: Path):
    (tmp_path / "back.vtt").write_text(_vtt(CUES), encoding="utf-8")
    (tmp_path / "apart.vtt").write_text(_vtt(AD_WORD), encoding="utf-8")
    transcript = '<podcast:transcript url="back.vtt" type="text/vtt" language="en"/>'
    apart = '<podcast:transcript url="apart.vtt" type="text/vtt" language="en"/>'
    items = [
        Item("Back pain mailbag", "b1", number=1, days=1,
             notes="Listener questions.", extra=[transcript]),
        Item("Odds and ends", "b2", number=2, days=2, notes="Housekeeping.", extra=[apart]),
    ]  # fmt: skip
    path = tmp_path / "segments.db"
    await import_feeds(path, write_feed(tmp_path, "back.xml", "Spine Time", items))
    async with await Store.open(path) as store:
        async with Fetcher() as fetcher:
            feed_id = (await store.fetchone("SELECT id FROM feeds"))[0]
            await TranscriptSync(store, fetcher, remote_files=False).sync_feed(feed_id)
        yield Catalogue(store)


async def test_the_discussion_is_found_and_the_sponsor_read_is_not(catalogue):
    moments = await catalogue.when("mattress firmness", guild_id=None)
    timed = [m.start for m in moments if m.start is not None]
    assert timed, "the talk at 10:00-10:40 holds the topic between its passages"
    assert all(600 <= start <= 640 for start in timed), timed


async def test_a_word_said_only_in_an_ad_makes_no_match_of_all_words(catalogue):
    # Episode 2's transcript holds "firmness dial" only with the read: its talk of
    # firmness is no answer to the topic (at most a partial match, not one of all words).
    moments = await catalogue.when("firmness dial", guild_id=None)
    assert [(m.episode.number, m.start, m.match) for m in moments if m.match != "any"] == []
