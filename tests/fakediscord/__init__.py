"""A loopback fake Discord (REST + gateway) for end-to-end tests of the real bot.

`server.py` is the facade the tests use (`FakeDiscord`), composing the areas over the
shared state in `state.py`: the gateway (`gateway.py`), the REST plumbing (`rest.py`) and
routes (`rest_app.py`, `rest_interactions.py`, `rest_messages.py`, `rest_threads.py`),
and what a member does (`actions.py`). `limits.py` holds the limits it enforces, and
`botprocess.py` runs the bot in its own process against it.
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
