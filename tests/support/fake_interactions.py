"""Specced fakes of discord.py objects, for calling real cog callbacks directly.

Every fake is built with `create_autospec` from the real discord.py class, so a handler
that calls a method Discord doesn't have, or with the wrong arguments, fails the test.
What the handler sent is recorded, in order, in `Sent` objects a test can read like a
member would see them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from unittest.mock import create_autospec

import discord

GUILD_ID = 111111111111111111
MEMBER_ID = 222222222222222222
OTHER_MEMBER_ID = 333333333333333333
CHANNEL_ID = 444444444444444444


@dataclass
class Sent:
    """One thing the bot did in answer: `kind` is send, followup, defer, edit or autocomplete."""

    kind: str
    kwargs: dict[str, Any]

    @property
    def content(self) -> str | None:
        return self.kwargs.get("content")

    @property
    def embeds(self) -> list[discord.Embed]:
        if self.kwargs.get("embed") is not None:
            return [self.kwargs["embed"]]
        return list(self.kwargs.get("embeds") or [])

    @property
    def ephemeral(self) -> bool:
        return bool(self.kwargs.get("ephemeral"))

    @property
    def view(self) -> discord.ui.View | None:
        return self.kwargs.get("view")

    @property
    def allowed_mentions(self) -> discord.AllowedMentions | None:
        return self.kwargs.get("allowed_mentions")

    def text(self) -> str:
        """Everything a member can read in the message: content and every embed field."""
        parts = [self.content or ""]
        for embed in self.embeds:
            parts += [embed.title or "", embed.description or ""]
            parts += [f"{f.name}\n{f.value}" for f in embed.fields]
            parts += [embed.footer.text or "", embed.author.name or ""]
        return "\n".join(part for part in parts if part)


@dataclass
class FakeInteraction:
    """A specced `discord.Interaction` and the record of what was sent through it."""

    interaction: Any
    sent: list[Sent] = field(default_factory=list)

    @property
    def last(self) -> Sent:
        assert self.sent, "the handler sent nothing"
        return self.sent[-1]

    def messages(self) -> list[Sent]:
        """The sends that carry a message (not defers or autocomplete answers)."""
        return [s for s in self.sent if s.kind in ("send", "followup", "edit", "edit_original")]


def fake_interaction(
    *,
    guild_id: int | None = GUILD_ID,
    user_id: int = MEMBER_ID,
    permissions: discord.Permissions | None = None,
    app_permissions: discord.Permissions | None = None,
    channel_id: int = CHANNEL_ID,
) -> FakeInteraction:
    """An interaction from a member (by default without special permissions) in a guild."""
    interaction = create_autospec(discord.Interaction, instance=True)
    fake = FakeInteraction(interaction)
    done = False

    def record(kind: str, marks_done: bool):
        async def side_effect(*args: Any, **kwargs: Any) -> None:
            nonlocal done
            if marks_done:
                assert not done, f"{kind}: the interaction was already responded to"
                done = True
            if args:
                kwargs = (
                    {"content": args[0], **kwargs}
                    if kind != "autocomplete"
                    else {"choices": args[0], **kwargs}
                )
            fake.sent.append(Sent(kind, kwargs))

        return side_effect

    response = create_autospec(discord.InteractionResponse, instance=True)
    response.is_done.side_effect = lambda: done
    response.send_message.side_effect = record("send", True)
    response.defer.side_effect = record("defer", True)
    response.edit_message.side_effect = record("edit", True)
    response.autocomplete.side_effect = record("autocomplete", True)
    followup = create_autospec(discord.Webhook, instance=True)
    followup.send.side_effect = record("followup", False)

    user = create_autospec(discord.Member, instance=True)
    user.id = user_id
    user.mention = f"<@{user_id}>"
    user.display_name = "member"

    interaction.response = response
    interaction.followup = followup
    interaction.user = user
    interaction.guild_id = guild_id
    interaction.channel_id = channel_id
    interaction.id = 555555555555555555
    interaction.command = None  # as for a button press; a command's test sets it
    interaction.permissions = permissions or discord.Permissions.none()
    interaction.app_permissions = app_permissions or discord.Permissions.all()
    interaction.edit_original_response.side_effect = record("edit_original", False)
    interaction.delete_original_response.side_effect = record("delete_original", False)
    interaction.extras = {}
    return fake
