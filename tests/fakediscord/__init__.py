"""A loopback fake Discord (REST + gateway) for end-to-end tests of the real bot.

See `server.py` for what it serves and checks, `limits.py` for the limits it enforces,
and `botprocess.py` for running the bot in its own process against it.
"""

from tests.fakediscord.interactions import SchemaError
from tests.fakediscord.models import FakeMessage, InteractionHandle, Member, Perm
from tests.fakediscord.server import CommandNotAvailable, DiscordError, FakeDiscord

__all__ = [
    "CommandNotAvailable",
    "DiscordError",
    "FakeDiscord",
    "FakeMessage",
    "InteractionHandle",
    "Member",
    "Perm",
    "SchemaError",
]
