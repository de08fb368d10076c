"""A new episode's announcement leaves ads and calls to action out of its summary."""

from __future__ import annotations

from bot.announce.announcement import build_announcement, delivery_marker
from tests.support.announcements import episode


def test_the_announcement_summary_has_no_sponsor_read_or_patreon_plug():
    made = episode(
        feed_title="Tide Tables",
        title="Spring tides",
        number=3,
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
    embed = build_announcement(made, marker=delivery_marker(1)).embed
    assert embed.description == "Why the moon pulls harder twice a month."
