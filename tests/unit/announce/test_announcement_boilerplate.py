"""A new episode's announcement leaves ads and calls to action out of its summary."""

from __future__ import annotations

from bot.announce.announcement import build_announcement, delivery_marker
from bot.store.announcement_rows import AnnouncedEpisode


def test_the_announcement_summary_has_no_sponsor_read_or_patreon_plug():
    episode = AnnouncedEpisode(
        id=1,
        feed_title="Tide Tables",
        feed_link="https://example.com/",
        title="Spring tides",
        number=3,
        number_label=None,
        season=None,
        published_at=1_700_000_000,
        duration=1800,
        notes_text=(
            "This episode is sponsored by Barnacle Boots. Use code TIDE for 10% off.\n"
            "Why the moon pulls harder twice a month.\n"
            "Support the show on Patreon!"
        ),
        link="https://example.com/ep3",
        audio_url="https://cdn.example.com/ep3.mp3",
        image=None,
        chapters=(),
    )
    embed = build_announcement(episode, marker=delivery_marker(1)).embed
    assert embed.description == "Why the moon pulls harder twice a month."
