"""Replies: never a mention, and ephemeral answers stay private after a slow defer."""

from __future__ import annotations

import discord

from bot.ui.replies import NO_MENTIONS, defer_publicly, reply
from tests.support.fake_interactions import fake_interaction


async def test_the_first_answer_is_the_response_and_carries_no_mentions():
    fake = fake_interaction()
    await reply(fake.interaction, "hi @everyone")
    assert [s.kind for s in fake.sent] == ["send"]
    assert fake.last.allowed_mentions == NO_MENTIONS
    assert fake.last.allowed_mentions.to_dict() == discord.AllowedMentions.none().to_dict()


async def test_a_later_answer_is_a_follow_up():
    fake = fake_interaction()
    await fake.interaction.response.defer(ephemeral=True, thinking=True)
    await reply(fake.interaction, "done", ephemeral=True)
    assert [s.kind for s in fake.sent] == ["defer", "followup"]
    assert fake.last.ephemeral


async def test_an_ephemeral_answer_after_a_public_defer_removes_the_thinking_message_first():
    # Discord makes the first follow-up after a public defer public, whatever its flags.
    fake = fake_interaction()
    await defer_publicly(fake.interaction)
    await reply(fake.interaction, "Nothing found.", ephemeral=True)
    assert [s.kind for s in fake.sent] == ["defer", "delete_original", "followup"]
    assert fake.last.ephemeral


async def test_a_public_answer_after_a_public_defer_replaces_the_thinking_message():
    fake = fake_interaction()
    await defer_publicly(fake.interaction)
    await reply(fake.interaction, "Results")
    await reply(fake.interaction, "A private note", ephemeral=True)
    assert [s.kind for s in fake.sent] == ["defer", "followup", "followup"]
