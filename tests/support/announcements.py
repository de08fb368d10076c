"""An announced episode as the announcer reads it from the store, for tests of the message."""

from __future__ import annotations

from bot.store.announcement_rows import AnnouncedChapter, AnnouncedEpisode


def episode(**overrides) -> AnnouncedEpisode:
    values = dict(
        id=1,
        feed_title="Warm Restarts",
        feed_link="https://example.com/",
        title="Learning rate warmup, explained",
        number=12,
        number_label=None,
        season=None,
        published_at=1_700_000_000,
        duration=4722,
        notes_text="We talk about warmup. Then about schedules.",
        link="https://example.com/ep12",
        audio_url="https://cdn.example.com/ep12.mp3",
        image="https://cdn.example.com/ep12.jpg",
        chapters=(AnnouncedChapter(0, "Intro"), AnnouncedChapter(62.5, "Why warm up")),
    )
    values.update(overrides)
    return AnnouncedEpisode(**values)
