"""What the fake Discord holds: ids, permissions, the test guild, messages, interactions."""

from __future__ import annotations

import base64
import itertools
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakediscord.state import DiscordState

DISCORD_EPOCH_MS = 1420070400000
_counter = itertools.count()


def snowflake() -> int:
    """A new id shaped like Discord's: milliseconds since 2015 in the high bits, unique."""
    millis = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (millis << 22) | (next(_counter) % (1 << 22))


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


def bot_token(user_id: int) -> str:
    """A token shaped like a bot token: base64(user id) . timestamp . signature."""
    head = base64.urlsafe_b64encode(str(user_id).encode()).decode().rstrip("=")
    return f"{head}.{secrets.token_urlsafe(4)}.{secrets.token_urlsafe(27)}"


class Perm:
    """Discord's permission bits, the ones the fake reasons about."""

    CREATE_INSTANT_INVITE = 1 << 0
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    CHANGE_NICKNAME = 1 << 26
    MANAGE_ROLES = 1 << 28
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    SEND_MESSAGES_IN_THREADS = 1 << 38
    ALL = (1 << 53) - 1

    EVERYONE_LOCKED = USE_APPLICATION_COMMANDS | ADD_REACTIONS | CHANGE_NICKNAME


def names_of(bits: int) -> list[str]:
    return [
        name
        for name, value in vars(Perm).items()
        if name.isupper() and not name.startswith(("ALL", "EVERYONE")) and bits & value
    ]


# Channel types.
TEXT, DM, NEWS, PUBLIC_THREAD, FORUM = 0, 1, 5, 11, 15

# Interaction types.
APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5


def user_object(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "discriminator": "0",
        "global_name": None if bot else name.title(),
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


@dataclass
class Member:
    """A guild member the tests can act as."""

    user: dict[str, Any]
    roles: list[int]

    @property
    def id(self) -> int:
        return int(self.user["id"])

    def payload(self, permissions: int | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "user": self.user,
            "roles": [str(r) for r in self.roles],
            "flags": 0,
            "joined_at": "2024-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "nick": None,
            "avatar": None,
            "premium_since": None,
            "pending": False,
            "communication_disabled_until": None,
        }
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data


@dataclass
class Guild:
    """The one test guild: two text channels, a forum, roles, an admin and a member."""

    id: int
    name: str
    owner_id: int
    roles: dict[int, dict[str, Any]] = field(default_factory=dict)
    channels: dict[int, dict[str, Any]] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)

    def add_role(self, name: str, permissions: int, **extra: Any) -> dict[str, Any]:
        role_id = self.id if name == "@everyone" else snowflake()
        role = {
            "id": str(role_id),
            "name": name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": len(self.roles),
            "permissions": str(permissions),
            "managed": False,
            "mentionable": False,
            "flags": 0,
            **extra,
        }
        self.roles[role_id] = role
        return role

    def add_channel(self, name: str, kind: int, **extra: Any) -> dict[str, Any]:
        channel_id = snowflake()
        channel = {
            "id": str(channel_id),
            "type": kind,
            "guild_id": str(self.id),
            "name": name,
            "position": len(self.channels),
            "permission_overwrites": [],
            "parent_id": None,
            "nsfw": False,
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "flags": 0,
            **extra,
        }
        if kind in (TEXT, NEWS):
            channel["topic"] = None
        if kind == FORUM:
            channel.update(
                available_tags=[],
                default_reaction_emoji=None,
                default_sort_order=None,
                default_forum_layout=0,
                default_thread_rate_limit_per_user=0,
                topic=None,
            )
        self.channels[channel_id] = channel
        return channel

    def permissions(self, member: Member, channel_id: int | None = None) -> int:
        """The member's permissions (in a channel: after its overwrites)."""
        if member.id == self.owner_id:
            return Perm.ALL
        bits = int(self.roles[self.id]["permissions"])
        for role_id in member.roles:
            bits |= int(self.roles[role_id]["permissions"])
        if bits & Perm.ADMINISTRATOR:
            return Perm.ALL
        channel = self.channels.get(channel_id) if channel_id is not None else None
        if channel is not None and channel["type"] == PUBLIC_THREAD:
            channel = self.channels.get(int(channel["parent_id"]))
        if channel is not None:
            allow = deny = 0
            for overwrite in channel["permission_overwrites"]:
                target = int(overwrite["id"])
                if target == self.id or target in member.roles or target == member.id:
                    allow |= int(overwrite["allow"])
                    deny |= int(overwrite["deny"])
            bits = (bits & ~deny) | allow
        return bits


class FakeMessage:
    """A message as the fake stores it. `data` is the Discord message object (edited in
    place, so a test holding this sees the latest version); the rest is what the bot sent."""

    def __init__(self, data: dict[str, Any], *, allowed_mentions: Any, interaction_id: int | None):
        self.data = data
        self.allowed_mentions = allowed_mentions
        self.interaction_id = interaction_id
        self.edits = 0
        self.deleted = False

    @property
    def id(self) -> int:
        return int(self.data["id"])

    @property
    def channel_id(self) -> int:
        return int(self.data["channel_id"])

    @property
    def content(self) -> str:
        return self.data.get("content") or ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.data.get("embeds") or []

    @property
    def components(self) -> list[dict[str, Any]]:
        return self.data.get("components") or []

    @property
    def flags(self) -> int:
        return self.data.get("flags") or 0

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & 64)

    @property
    def loading(self) -> bool:
        """A deferred response still showing "… is thinking"."""
        return bool(self.flags & 128)

    def buttons(self) -> list[dict[str, Any]]:
        return [
            child
            for row in self.components
            for child in row.get("components") or []
            if child.get("type") == 2
        ]

    def button(self, label: str) -> dict[str, Any]:
        """The button whose label contains `label` (case-insensitive)."""
        found = [b for b in self.buttons() if label.lower() in (b.get("label") or "").lower()]
        assert len(found) == 1, f"{len(found)} buttons match {label!r}: {self.buttons()}"
        return found[0]

    def text(self) -> str:
        """Everything a member can read: content, and every embed's visible text."""
        parts = [self.content]
        for embed in self.embeds:
            parts += [
                (embed.get("author") or {}).get("name") or "",
                embed.get("title") or "",
                embed.get("description") or "",
            ]
            parts += [f"{f.get('name')}\n{f.get('value')}" for f in embed.get("fields") or []]
            parts.append((embed.get("footer") or {}).get("text") or "")
        return "\n".join(part for part in parts if part)

    def __repr__(self) -> str:
        flags = " ephemeral" if self.ephemeral else ""
        return f"<FakeMessage {self.id}{flags} {self.text()[:80]!r}>"


class InteractionHandle:
    """One interaction the fake dispatched, and everything the bot answered to it."""

    def __init__(self, fake: DiscordState, payload: dict[str, Any], label: str):
        self.fake = fake
        self.payload = payload
        self.label = label  # "/episode", "/feed add", "click next", "autocomplete /episode"
        self.id = int(payload["id"])
        self.token: str = payload["token"]
        self.type: int = payload["type"]
        self.dispatched_at = time.monotonic()
        self.callback_type: int | None = None
        self.callback_data: dict[str, Any] | None = None
        self.callback_at: float | None = None
        self.original_id: int | None = None
        self.followup_ids: list[int] = []
        self.choices_sent: list[dict[str, Any]] | None = None

    @property
    def responded(self) -> bool:
        return self.callback_type is not None

    @property
    def latency(self) -> float | None:
        """Seconds from dispatch to the callback arriving."""
        return None if self.callback_at is None else self.callback_at - self.dispatched_at

    @property
    def original(self) -> FakeMessage | None:
        return self.fake.messages.get(self.original_id) if self.original_id else None

    @property
    def followups(self) -> list[FakeMessage]:
        return [self.fake.messages[i] for i in self.followup_ids]

    def visible_messages(self) -> list[FakeMessage]:
        """The messages this interaction produced that a member can read, in order."""
        found = []
        original = self.original
        if original is not None and not original.loading and not original.deleted:
            found.append(original)
        found += [m for m in self.followups if not m.deleted]
        return found

    async def response(self, within: float = 10.0) -> int:
        """Wait for the initial callback; its type (4 message, 5 defer, 6, 7, 8)."""
        await self.fake.wait_for(lambda: self.responded, within, f"a response to {self.label}")
        assert self.callback_type is not None
        return self.callback_type

    async def reply(self, within: float = 10.0) -> FakeMessage:
        """Wait for the first message a member can read (after a defer: the edit or the
        follow-up that replaces "thinking…")."""
        await self.fake.wait_for(
            lambda: bool(self.visible_messages()), within, f"a reply to {self.label}"
        )
        return self.visible_messages()[0]

    async def messages(self, count: int, within: float = 10.0) -> list[FakeMessage]:
        await self.fake.wait_for(
            lambda: len(self.visible_messages()) >= count,
            within,
            f"{count} replies to {self.label}",
        )
        return self.visible_messages()

    async def choices(self, within: float = 10.0) -> list[dict[str, Any]]:
        """Wait for an autocomplete answer; the choices."""
        await self.fake.wait_for(
            lambda: self.choices_sent is not None, within, f"choices for {self.label}"
        )
        assert self.choices_sent is not None
        return self.choices_sent

    def __repr__(self) -> str:
        return f"<Interaction {self.label} callback={self.callback_type}>"
