"""Building INTERACTION_CREATE `data` from the commands the bot synced.

A test names a command and its options as a member would type them; the schema the bot
synced decides what Discord's client would send. An option the command doesn't have, a
missing required one, a value of the wrong type, outside its range or not among its
choices: the test fails here, before the bot sees anything, because a member couldn't
have sent it.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from tests.fakediscord import limits
from tests.fakediscord.models import Member

if TYPE_CHECKING:
    from tests.fakediscord.state import DiscordState


class SchemaError(AssertionError):
    """The test asked for something Discord's client would not send."""


def find_command(fake: DiscordState, name: str) -> tuple[dict[str, Any], int | None]:
    """The synced command called `name` visible in the guild, and its scope (guild id or
    None for global). Present in both scopes: Discord shows it twice, a bug."""
    guild_command = next((c for c in fake.synced.get(fake.guild.id, []) if c["name"] == name), None)
    global_command = next((c for c in fake.synced.get(None, []) if c["name"] == name), None)
    if guild_command and global_command:
        fake.violation(f"/{name} is synced both globally and to the guild: members see it twice")
    if guild_command:
        return guild_command, fake.guild.id
    if global_command:
        return global_command, None
    known = sorted({c["name"] for scope in fake.synced.values() for c in scope})
    raise SchemaError(f"no command /{name} was synced (synced: {', '.join(known) or 'none'})")


def build_command_data(
    fake: DiscordState,
    schema: dict[str, Any],
    names: list[str],
    options: dict[str, Any],
    *,
    member: Member,
    focused: str | None,
) -> dict[str, Any]:
    """`data` of an application command (or autocomplete) interaction."""
    resolved: dict[str, dict[str, Any]] = {}
    level = schema.get("options") or []
    path = f"/{schema['name']}"
    wrappers: list[dict[str, Any]] = []
    for sub in names[1:]:
        option = next((o for o in level if o["name"] == sub), None)
        if option is None or option["type"] not in (limits.SUB_COMMAND, limits.SUB_COMMAND_GROUP):
            subs = [o["name"] for o in level if o["type"] in (1, 2)]
            raise SchemaError(f"{path} has no subcommand {sub!r} (it has {subs})")
        wrappers.append({"name": sub, "type": option["type"], "options": []})
        level = option.get("options") or []
        path += f" {sub}"
    if any(o["type"] in (limits.SUB_COMMAND, limits.SUB_COMMAND_GROUP) for o in level):
        raise SchemaError(f"{path} needs a subcommand: {[o['name'] for o in level]}")

    values = _build_options(fake, path, level, options, resolved, member, focused)
    data: dict[str, Any] = {"name": schema["name"], "type": schema.get("type", 1)}
    if wrappers:
        for outer, inner in itertools.pairwise(wrappers):
            outer["options"] = [inner]
        wrappers[-1]["options"] = values
        data["options"] = [wrappers[0]]
    else:
        data["options"] = values
    if resolved:
        data["resolved"] = resolved
    return data


def _build_options(
    fake: DiscordState,
    path: str,
    schema_options: list[dict[str, Any]],
    given: dict[str, Any],
    resolved: dict[str, dict[str, Any]],
    member: Member,
    focused: str | None,
) -> list[dict[str, Any]]:
    by_name = {o["name"]: o for o in schema_options}
    for name in given:
        if name not in by_name:
            raise SchemaError(f"{path} has no option {name!r} (it has {sorted(by_name)})")
    if focused is None:
        missing = [
            o["name"] for o in schema_options if o.get("required") and o["name"] not in given
        ]
        if missing:
            raise SchemaError(f"{path}: required option(s) {missing} not given")
    built = []
    for option in schema_options:  # Discord sends them in the schema's order
        name = option["name"]
        if name not in given:
            continue
        if name == focused:
            if not option.get("autocomplete"):
                raise SchemaError(f"{path} option {name!r} has no autocomplete")
            # While typing, the focused value is the raw text, whatever the option's type.
            built.append(
                {"name": name, "type": option["type"], "value": str(given[name]), "focused": True}
            )
            continue
        value = _option_value(fake, path, option, given[name], resolved, member)
        built.append({"name": name, "type": option["type"], "value": value})
    return built


def _option_value(
    fake: DiscordState,
    path: str,
    option: dict[str, Any],
    value: Any,
    resolved: dict[str, dict[str, Any]],
    member: Member,
) -> Any:
    kind = option["type"]
    where = f"{path} {option['name']}:"
    if kind == limits.STRING:
        if not isinstance(value, str):
            raise SchemaError(f"{where} expects text, got {value!r}")
        low, high = option.get("min_length", 0), option.get("max_length", 6000)
        if not low <= len(value) <= high:
            raise SchemaError(f"{where} length must be {low}-{high}")
    elif kind == limits.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SchemaError(f"{where} expects an integer, got {value!r}")
    elif kind == limits.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SchemaError(f"{where} expects a number, got {value!r}")
    elif kind == limits.BOOLEAN:
        if not isinstance(value, bool):
            raise SchemaError(f"{where} expects True or False, got {value!r}")
    elif kind == limits.CHANNEL:
        channel = fake.guild.channels.get(_snowflake(value))
        if channel is None:
            raise SchemaError(f"{where} no such channel {value!r}")
        allowed = option.get("channel_types")
        if allowed is not None and channel["type"] not in allowed:
            raise SchemaError(
                f"{where} #{channel['name']} (type {channel['type']}) is not offered; "
                f"the option accepts channel types {allowed}"
            )
        permissions = fake.guild.permissions(member, int(channel["id"]))
        resolved.setdefault("channels", {})[channel["id"]] = {
            key: channel.get(key)
            for key in ("id", "type", "name", "parent_id", "guild_id", "nsfw", "flags", "position")
        } | {"permissions": str(permissions)}
        if "thread_metadata" in channel:
            resolved["channels"][channel["id"]]["thread_metadata"] = channel["thread_metadata"]
        return channel["id"]
    elif kind == limits.ROLE:
        role = fake.guild.roles.get(_snowflake(value))
        if role is None:
            raise SchemaError(f"{where} no such role {value!r}")
        resolved.setdefault("roles", {})[role["id"]] = role
        return role["id"]
    elif kind in (limits.USER, limits.MENTIONABLE):
        target = fake.guild.members.get(_snowflake(value))
        if target is None:
            raise SchemaError(f"{where} no such member {value!r}")
        resolved.setdefault("users", {})[str(target.id)] = target.user
        member_data = target.payload(fake.guild.permissions(target))
        member_data.pop("user")
        resolved.setdefault("members", {})[str(target.id)] = member_data
        return str(target.id)
    else:
        raise SchemaError(f"{where} option type {kind} is not supported by the fake")
    if kind in (limits.INTEGER, limits.NUMBER):
        low, high = option.get("min_value"), option.get("max_value")
        if (low is not None and value < low) or (high is not None and value > high):
            raise SchemaError(f"{where} {value} is outside {low}..{high}")
    choices = option.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        raise SchemaError(f"{where} {value!r} is not one of the choices {choices}")
    return value


def _snowflake(value: Any) -> int:
    if isinstance(value, dict):
        return int(value["id"])
    if isinstance(value, Member):
        return value.id
    return int(value)
