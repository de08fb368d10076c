"""`episode-bot ask`: run a slash command offline against the store and print the reply.

How an admin checks the catalogue before inviting the bot, and how the README shows the
commands without a token:

    episode-bot ask '/when topic:"learning rates"'
    episode-bot ask --json '/latest count:3'
    episode-bot ask --complete '/episode query:aror'

The cogs of `EXTENSIONS` are loaded into a bot that never connects, so the command line
is parsed against the real command tree: names, option types, ranges and choices come
from the schema the bot would sync, and what is typed becomes the interaction data
Discord would send (checked as Discord checks it: unknown options, wrong types, values
out of range, missing required options are usage errors). The data is then dispatched
through the tree exactly as discord.py dispatches a real interaction (transformers,
checks, the error layer), with `ConsoleInteraction` standing in for the interaction: it
records each response as the request discord.py would make, its body built by
discord.py's own payload functions. The recording is printed as readable text, or as
JSON with `--json`.
"""

from __future__ import annotations

import json
import math
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO, cast

import discord
from discord import app_commands
from discord.http import handle_message_parameters
from discord.utils import MISSING
from discord.webhook.async_ import interaction_message_response_params, interaction_response_params

from bot.app.client import EXTENSIONS, EpisodeBot
from bot.app.settings import Settings
from bot.ingest.fetch import Fetcher
from bot.ingest.importer import Importer
from bot.store import Store
from bot.ui.render import message_problems, plain
from bot.ui.views import Paginator

# Made-up snowflakes for the console "interaction"; they only appear in request paths.
CONSOLE_INTERACTION_ID = 1
CONSOLE_APPLICATION_ID = 2
CONSOLE_USER_ID = 3
CONSOLE_CHANNEL_ID = 4
CONSOLE_TOKEN = "console"

_OPTION_TYPES = {
    3: "text",
    4: "a whole number",
    5: "true or false",
    6: "a user",
    7: "a channel",
    8: "a role",
    9: "a user or role",
    10: "a number",
    11: "an attachment",
}
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


class AskError(Exception):
    """The command line does not describe a command Discord would send (exit code 2)."""


# ---------------------------------------------------------------- command line → payload


def split_words(words: Sequence[str]) -> list[str]:
    """The command line as tokens: one argument is split like a shell would
    (`'/when topic:"two words"'`), several are taken as already split."""
    if len(words) != 1:
        return list(words)
    try:
        return shlex.split(words[0])
    except ValueError as exc:
        raise AskError(f"cannot read the command line: {exc}") from None


@dataclass
class CommandCall:
    """What the command line asks for, as Discord would send it."""

    command: app_commands.Command[Any, ..., Any]
    data: dict[str, Any]  # the interaction's `data`
    focused: str | None = None  # the option being completed (--complete)


def build_call(
    tree: app_commands.CommandTree,
    tokens: Sequence[str],
    *,
    guild_id: int | None,
    complete: bool = False,
) -> CommandCall:
    """Parse `/name [group] [sub] option:value ...` against the tree into interaction data.

    With `complete`, the last option given is the one being typed: its value is sent raw
    and marked `focused`, and missing required options are fine (as in Discord).
    """
    if not tokens:
        raise AskError("say which command to run, e.g. '/latest'")
    name = tokens[0].removeprefix("/").lower()
    guild = discord.Object(guild_id) if guild_id is not None else None
    found = (tree.get_command(name, guild=guild) if guild else None) or tree.get_command(name)
    if not isinstance(found, app_commands.Command | app_commands.Group):
        known = ", ".join(f"/{c.name}" for c in _commands(tree, guild))
        raise AskError(f"there is no command /{name} (the commands are: {known})")
    root = found
    rest = list(tokens[1:])
    path: list[app_commands.Group] = []
    command: app_commands.Command[Any, ..., Any] | app_commands.Group = root
    while isinstance(command, app_commands.Group):
        subnames = ", ".join(c.name for c in command.commands)
        if not rest or ":" in rest[0]:
            raise AskError(f"/{command.qualified_name} needs a subcommand: {subnames}")
        sub = command.get_command(rest[0].lower())
        if sub is None:
            raise AskError(
                f"/{command.qualified_name} has no subcommand {rest[0]!r} (it has: {subnames})"
            )
        path.append(command)
        command = sub
        rest.pop(0)
    if root.guild_only and guild_id is None:
        raise AskError(f"/{command.qualified_name} only works in a server: add --guild ID")

    schema = {option["name"]: option for option in command.to_dict(tree).get("options", [])}
    given: dict[str, Any] = {}
    order: list[str] = []
    for token in rest:
        option_name, colon, raw = token.partition(":")
        option_name = option_name.lower()
        if not colon:
            raise AskError(f"expected option:value, got {token!r}")
        if option_name not in schema:
            known = ", ".join(schema) or "none"
            raise AskError(
                f"/{command.qualified_name} has no option {option_name!r} (its options: {known})"
            )
        if option_name in given:
            raise AskError(f"option {option_name!r} is given twice")
        given[option_name] = raw
        order.append(option_name)

    focused = order[-1] if complete and order else None
    if complete:
        if focused is None:
            raise AskError("--complete needs the option being typed, e.g. '/episode query:aror'")
        if not schema[focused].get("autocomplete"):
            raise AskError(f"option {focused!r} of /{command.qualified_name} has no autocomplete")
    else:
        missing = [n for n, o in schema.items() if o.get("required") and n not in given]
        if missing:
            raise AskError(
                f"/{command.qualified_name} needs {', '.join(missing)} "
                f"(e.g. {missing[0]}:{'…' if len(missing) == 1 else ''})"
            )

    options: list[dict[str, Any]] = []
    for option_name in order:
        option = schema[option_name]
        if option_name == focused:
            # Discord sends what is typed so far, as text, whatever the option's type.
            options.append(
                {
                    "name": option_name,
                    "type": option["type"],
                    "value": given[option_name],
                    "focused": True,
                }
            )
        else:
            value = convert_option(option, given[option_name])
            options.append({"name": option_name, "type": option["type"], "value": value})

    # Nest the options in their subcommand (type 1) and any inner group (type 2).
    if path:
        options = [{"name": command.name, "type": 1, "options": options}]
        for group in reversed(path[1:]):
            options = [{"name": group.name, "type": 2, "options": options}]
    data: dict[str, Any] = {"id": "0", "name": root.name, "type": 1, "options": options}
    if guild_id is not None and tree.get_command(root.name, guild=guild) is root:
        data["guild_id"] = str(guild_id)
    return CommandCall(command=command, data=data, focused=focused)


CONSOLE_MESSAGE_ID = 5  # the message a message command runs on (`ask --message`)


def build_message_call(
    tree: app_commands.CommandTree, name: str, text: str, *, guild_id: int | None
) -> dict[str, Any]:
    """The interaction data of a message command ("Find moment") run on a message with
    `text`, as Discord sends it: `type` 3, the message in `resolved.messages`."""
    guild = discord.Object(guild_id) if guild_id is not None else None
    kind = discord.AppCommandType.message
    found = (tree.get_command(name, guild=guild, type=kind) if guild else None) or (
        tree.get_command(name, type=kind)
    )
    if found is None:
        known = ", ".join(repr(c.name) for c in tree.get_commands(type=kind)) or "none"
        raise AskError(f"there is no message command {name!r} (the message commands: {known})")
    message: dict[str, Any] = {
        "id": str(CONSOLE_MESSAGE_ID),
        "channel_id": str(CONSOLE_CHANNEL_ID),
        "author": {"id": str(CONSOLE_USER_ID), "username": "console", "discriminator": "0"},
        "content": text,
        "timestamp": datetime.now(UTC).isoformat(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "type": 0,
    }
    data: dict[str, Any] = {
        "id": "0",
        "name": found.name,
        "type": kind.value,
        "target_id": str(CONSOLE_MESSAGE_ID),
        "resolved": {"messages": {str(CONSOLE_MESSAGE_ID): message}},
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    return data


def _commands(
    tree: app_commands.CommandTree, guild: discord.abc.Snowflake | None
) -> list[app_commands.Command[Any, ..., Any] | app_commands.Group]:
    found = list(tree.get_commands(type=discord.AppCommandType.chat_input))
    if guild is not None:
        found += tree.get_commands(guild=guild, type=discord.AppCommandType.chat_input)
    return sorted(found, key=lambda c: c.name)


def convert_option(option: dict[str, Any], raw: str) -> Any:
    """A typed option value as Discord would send it, refused as Discord would refuse it."""
    name, kind = option["name"], option["type"]
    if kind == 3:
        if not raw:
            raise AskError(f'{name} needs a value, e.g. {name}:"some words"')
        value: Any = raw
        low, high = option.get("min_length"), option.get("max_length")
        if (low is not None and len(raw) < low) or (high is not None and len(raw) > high):
            raise AskError(f"{name} must be {low or 0} to {high or 6000} characters long")
    elif kind == 4:
        try:
            value = int(raw.strip())
        except ValueError:
            raise AskError(f"{name} must be a whole number, not {raw!r}") from None
        _check_range(option, value, raw)
    elif kind == 10:
        try:
            value = float(raw.strip())
        except ValueError:
            raise AskError(f"{name} must be a number, not {raw!r}") from None
        if not math.isfinite(value):
            raise AskError(f"{name} must be a number, not {raw!r}")
        _check_range(option, value, raw)
    elif kind == 5:
        if raw.strip().lower() not in _TRUE | _FALSE:
            raise AskError(f"{name} must be true or false, not {raw!r}")
        value = raw.strip().lower() in _TRUE
    elif kind in (6, 7, 8, 9):
        # Discord sends the channel, role or user itself (resolved data from the server);
        # offline there is no server to take it from, and an id alone fails the transformer.
        raise AskError(
            f"{name} is {_OPTION_TYPES[kind]}, which Discord fills in from the server; "
            "ask runs offline and cannot"
        )
    else:
        raise AskError(f"{name} is {_OPTION_TYPES.get(kind, 'an option')}, which ask can't send")
    choices = option.get("choices")
    if choices:
        for choice in choices:
            if choice["value"] == value or str(choice["name"]).lower() == raw.strip().lower():
                return choice["value"]
        listed = ", ".join(str(c["name"]) for c in choices)
        raise AskError(f"{name} must be one of: {listed}")
    return value


def _check_range(option: dict[str, Any], value: float, raw: str) -> None:
    """Refuse a value outside the option's range, echoing it as typed (`{value:g}` would
    turn a 20-digit number into `1e+20`)."""
    low, high = option.get("min_value"), option.get("max_value")
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            bounds = f"between {low} and {high}"
        elif low is not None:
            bounds = f"at least {low}"
        else:
            bounds = f"at most {high}"
        raise AskError(f"{option['name']} must be {bounds}, not {raw.strip()}")


# ---------------------------------------------------------------- the console interaction


@dataclass
class Request:
    """One request discord.py would have made to answer the interaction."""

    method: str
    path: str
    body: dict[str, Any]
    view: discord.ui.View | None = None
    choices: list[app_commands.Choice[Any]] | None = None

    @property
    def ephemeral(self) -> bool:
        data = self.body.get("data", self.body) or {}
        return bool(int(data.get("flags", 0) or 0) & 64)

    @property
    def message(self) -> dict[str, Any] | None:
        """The message this request sends or edits (None for a defer, choices or a delete)."""
        if self.method == "DELETE":
            return None
        if self.method == "POST" and self.path.endswith("/callback"):
            return self.body.get("data") if self.body.get("type") in (4, 7) else None
        return self.body

    def to_json(self) -> dict[str, Any]:
        return {"request": f"{self.method} {self.path}", "body": self.body}


class ConsoleUser:
    """The admin at the console, as the member who ran the command."""

    def __init__(self) -> None:
        self.id = CONSOLE_USER_ID
        self.name = self.display_name = self.global_name = "console"
        self.mention = f"<@{self.id}>"
        self.bot = False

    def __str__(self) -> str:
        return self.name


class ConsoleResponse:
    """`interaction.response`, recording instead of calling Discord."""

    def __init__(self, parent: ConsoleInteraction):
        self._parent = parent
        self._type: int | None = None

    def is_done(self) -> bool:
        return self._type is not None

    @property
    def type(self) -> discord.InteractionResponseType | None:
        return discord.InteractionResponseType(self._type) if self._type else None

    def _claim(self, kind: int) -> None:
        if self._type is not None:
            raise discord.InteractionResponded(self._parent)  # type: ignore[arg-type]
        self._type = kind

    async def send_message(
        self,
        content: Any | None = None,
        *,
        embed: discord.Embed = MISSING,
        embeds: Sequence[discord.Embed] = MISSING,
        file: discord.File = MISSING,
        files: Sequence[discord.File] = MISSING,
        view: discord.ui.View = MISSING,
        tts: bool = False,
        ephemeral: bool = False,
        allowed_mentions: discord.AllowedMentions = MISSING,
        suppress_embeds: bool = False,
        silent: bool = False,
        delete_after: float | None = None,
        poll: discord.Poll = MISSING,
    ) -> None:
        self._claim(discord.InteractionResponseType.channel_message.value)
        params = interaction_message_response_params(
            type=discord.InteractionResponseType.channel_message.value,
            content=content,
            tts=tts,
            embeds=embeds,
            embed=embed,
            file=file,
            files=files,
            previous_allowed_mentions=self._parent.client.allowed_mentions,
            allowed_mentions=allowed_mentions,
            flags=_flags(ephemeral, suppress_embeds, silent),
            view=view,
            poll=poll,
        )
        self._parent.record("POST", self._parent.callback_path, params.payload or {}, view=view)

    async def defer(self, *, ephemeral: bool = False, thinking: bool = False) -> None:
        kind = discord.InteractionResponseType.deferred_channel_message.value
        self._claim(kind)
        params = interaction_response_params(kind, {"flags": 64} if ephemeral else None)
        self._parent.record("POST", self._parent.callback_path, params.payload or {})

    async def edit_message(
        self,
        *,
        content: Any | None = MISSING,
        embed: discord.Embed | None = MISSING,
        embeds: Sequence[discord.Embed] = MISSING,
        view: discord.ui.View | None = MISSING,
        allowed_mentions: discord.AllowedMentions | None = MISSING,
        **_: Any,
    ) -> None:
        kind = discord.InteractionResponseType.message_update.value
        self._claim(kind)
        params = interaction_message_response_params(
            type=kind,
            content=content,
            embed=embed,
            embeds=embeds,
            view=view,
            allowed_mentions=allowed_mentions,
            previous_allowed_mentions=self._parent.client.allowed_mentions,
        )
        self._parent.record("POST", self._parent.callback_path, params.payload or {}, view=view)

    async def autocomplete(self, choices: Sequence[app_commands.Choice[Any]]) -> None:
        kind = discord.InteractionResponseType.autocomplete_result.value
        self._claim(kind)
        params = interaction_response_params(kind, {"choices": [c.to_dict() for c in choices]})
        self._parent.record(
            "POST", self._parent.callback_path, params.payload or {}, choices=list(choices)
        )

    async def send_modal(self, modal: discord.ui.Modal, /) -> None:
        raise AskError("this command opens a form (a modal), which ask cannot show")


class ConsoleFollowup:
    """`interaction.followup`: the webhook for messages after the first response."""

    def __init__(self, parent: ConsoleInteraction):
        self._parent = parent

    async def send(
        self,
        content: str = MISSING,
        *,
        embed: discord.Embed = MISSING,
        embeds: Sequence[discord.Embed] = MISSING,
        file: discord.File = MISSING,
        files: Sequence[discord.File] = MISSING,
        view: discord.ui.View = MISSING,
        tts: bool = False,
        ephemeral: bool = False,
        allowed_mentions: discord.AllowedMentions = MISSING,
        suppress_embeds: bool = False,
        silent: bool = False,
        wait: bool = False,
        **_: Any,
    ) -> None:
        params = handle_message_parameters(
            content=MISSING if content is None else content,
            tts=tts,
            file=file,
            files=files,
            embed=embed,
            embeds=embeds,
            flags=_flags(ephemeral, suppress_embeds, silent),
            view=view,
            allowed_mentions=allowed_mentions,
            previous_allowed_mentions=self._parent.client.allowed_mentions,
        )
        path = f"/webhooks/{CONSOLE_APPLICATION_ID}/{CONSOLE_TOKEN}?wait=1"
        self._parent.record("POST", path, params.payload or {}, view=view)


class ConsoleInteraction:
    """Stands in for `discord.Interaction` with the surface handlers use; records replies.

    The member is the admin at the console, with the Manage Server permission; the guild
    is `--guild` (None: outside any server, so only the global feeds are visible).
    """

    def __init__(
        self,
        client: EpisodeBot,
        data: dict[str, Any],
        *,
        guild_id: int | None,
        autocomplete: bool = False,
    ):
        self.client = client
        self._state = client._connection  # read by discord.py's Namespace
        self.id = CONSOLE_INTERACTION_ID
        self.application_id = CONSOLE_APPLICATION_ID
        self.token = CONSOLE_TOKEN
        self.type = (
            discord.InteractionType.autocomplete
            if autocomplete
            else discord.InteractionType.application_command
        )
        self.data = data
        self.guild_id = guild_id
        self.guild = None
        self.channel_id = CONSOLE_CHANNEL_ID
        self.channel = None
        self.message = None
        self.user = ConsoleUser()
        # A member who may manage the server: what an admin checking the catalogue is.
        self.permissions = discord.Permissions.general() | discord.Permissions.text()
        self.app_permissions = discord.Permissions.all()
        self.locale = discord.Locale.american_english
        self.guild_locale = None
        self.created_at = datetime.now(UTC)
        self.extras: dict[Any, Any] = {}
        self.command_failed = False
        self.response = ConsoleResponse(self)
        self.followup = ConsoleFollowup(self)
        self.requests: list[Request] = []
        # Filled by CommandTree._call, as for a real interaction.
        self._cs_command: Any = None
        self._cs_namespace: Any = None

    @property
    def command(self) -> Any:
        return self._cs_command

    @property
    def namespace(self) -> Any:
        return self._cs_namespace

    @property
    def callback_path(self) -> str:
        return f"/interactions/{self.id}/{self.token}/callback"

    def record(
        self,
        method: str,
        path: str,
        body: dict[str, Any],
        *,
        view: discord.ui.View | None = MISSING,
        choices: list[app_commands.Choice[Any]] | None = None,
    ) -> None:
        self.requests.append(Request(method, path, body, view=view or None, choices=choices))

    async def delete_original_response(self) -> None:
        path = f"/webhooks/{CONSOLE_APPLICATION_ID}/{CONSOLE_TOKEN}/messages/@original"
        self.record("DELETE", path, {})

    async def edit_original_response(
        self,
        *,
        content: str | None = MISSING,
        embed: discord.Embed | None = MISSING,
        embeds: Sequence[discord.Embed] = MISSING,
        view: discord.ui.View | None = MISSING,
        allowed_mentions: discord.AllowedMentions | None = None,
        **_: Any,
    ) -> None:
        params = handle_message_parameters(
            content=content,
            embed=embed,
            embeds=embeds,
            view=view,
            allowed_mentions=allowed_mentions,
            previous_allowed_mentions=self.client.allowed_mentions,
        )
        path = f"/webhooks/{CONSOLE_APPLICATION_ID}/{CONSOLE_TOKEN}/messages/@original"
        self.record("PATCH", path, params.payload or {}, view=view)


def _flags(ephemeral: bool, suppress_embeds: bool, silent: bool) -> discord.MessageFlags:
    """Message flags as discord.py computes them (MISSING when none is set)."""
    if not (ephemeral or suppress_embeds or silent):
        return cast(discord.MessageFlags, MISSING)
    flags = discord.MessageFlags._from_value(0)
    flags.ephemeral = ephemeral
    flags.suppress_embeds = suppress_embeds
    flags.suppress_notifications = silent
    return flags


# ---------------------------------------------------------------- running it


@dataclass
class AskResult:
    """What the command did: every request, and whether it ended in an error message."""

    requests: list[Request] = field(default_factory=list)
    failed: bool = False
    focused: str | None = None


async def run_command(
    bot: EpisodeBot,
    tokens: Sequence[str],
    *,
    guild_id: int | None = None,
    complete: bool = False,
    message: str | None = None,
) -> AskResult:
    """Parse `tokens` against the bot's tree and dispatch them as an interaction; with
    `message`, `tokens` name a message command run on a message with that text."""
    if message is not None:
        data = build_message_call(bot.tree, " ".join(tokens), message, guild_id=guild_id)
        interaction = ConsoleInteraction(bot, data, guild_id=guild_id)
        await bot.tree._call(interaction)  # type: ignore[arg-type]
        return AskResult(interaction.requests, interaction.command_failed)
    call = build_call(bot.tree, tokens, guild_id=guild_id, complete=complete)
    interaction = ConsoleInteraction(bot, call.data, guild_id=guild_id, autocomplete=complete)
    # The dispatch discord.py runs for every slash command and autocomplete request:
    # namespace, transformers, checks, the callback, and the tree's error layer.
    await bot.tree._call(interaction)  # type: ignore[arg-type]
    return AskResult(interaction.requests, interaction.command_failed, call.focused)


async def ask(
    words: Sequence[str],
    *,
    settings: Settings,
    db_path: Path | str,
    guild_id: int | None = None,
    as_json: bool = False,
    complete: bool = False,
    message: str | None = None,
    out: TextIO,
    err: TextIO,
) -> int:
    """`episode-bot ask`: run the command, print what Discord would show; the exit code
    (0 answered, 1 answered with an error message). Raises AskError on a usage error."""
    tokens = list(words) if message is not None else split_words(words)
    async with (
        await Store.open(db_path, create=False) as store,
        Fetcher(allow_private=settings.allow_private_feed_urls) as fetcher,
    ):
        bot = _offline_bot(settings, store, fetcher)
        async with bot:
            # Only the cogs: nothing else of the bot's start-up (no login, no sync, no polls).
            for extension in EXTENSIONS:
                await bot.load_extension(extension)
            result = await run_command(
                bot, tokens, guild_id=guild_id, complete=complete, message=message
            )
    if as_json:
        out.write(json.dumps([r.to_json() for r in result.requests], indent=2, ensure_ascii=False))
        out.write("\n")
    else:
        out.write(describe(result))
    for problem in limit_problems(result):
        # Discord would refuse the message: worth knowing before members see an error.
        print(f"episode-bot ask: warning: Discord would refuse this: {problem}", file=err)
    return 1 if result.failed else 0


def limit_problems(result: AskResult) -> list[str]:
    """What in the recorded messages breaks Discord's limits (see render.message_problems)."""
    problems: list[str] = []
    for request in result.requests:
        message = request.message
        if message is None:
            continue
        embeds = [discord.Embed.from_dict(e) for e in message.get("embeds", [])]
        components = message.get("components", [])
        problems += message_problems(message.get("content"), embeds, components)
    return problems


def _offline_bot(settings: Settings, store: Store, fetcher: Fetcher) -> EpisodeBot:
    return EpisodeBot(
        settings=settings, store=store, fetcher=fetcher, importer=Importer(store, fetcher)
    )


# ---------------------------------------------------------------- readable output

_DISCORD_TIME = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")
_MASKED_LINK = re.compile(r"\[((?:\\.|[^\]\\])*)\]\(([^)\s]+)\)")
_ESCAPED = re.compile(r"\\([\\*_`~|>#\-\[\]<@:().!])")
_CODE = re.compile(r"`([^`\n]+)`")


def readable(text: str) -> str:
    """Discord Markdown as console text: dates spelled out, links as `text <url>`."""
    text = _DISCORD_TIME.sub(_spell_time, text)
    text = _MASKED_LINK.sub(lambda m: f"{m.group(1)} <{m.group(2)}>", text)
    text = _CODE.sub(r"\1", text)
    text = _ESCAPED.sub(r"\1", text)
    return plain(text.replace("\u200b", ""))


def _spell_time(match: re.Match[str]) -> str:
    moment = datetime.fromtimestamp(int(match.group(1)), UTC)
    style = match.group(2) or "f"
    if style in "dD":
        return moment.strftime("%Y-%m-%d")
    if style in "tT":
        return moment.strftime("%H:%M UTC")
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def describe(result: AskResult) -> str:
    """Every request of `result` as text a person reads on a console."""
    lines: list[str] = []
    for request in result.requests:
        if request.choices is not None:
            lines.append(f"Autocomplete for {result.focused}: {len(request.choices)} choices")
            width = max((len(c.name) for c in request.choices), default=0)
            lines += [f"  {c.name.ljust(width)}  → {c.value}" for c in request.choices]
            continue
        if request.method == "DELETE":
            lines.append("(the “thinking…” message is deleted, so the answer stays private)")
            continue
        message = request.message
        if message is None:
            who = "only the member" if request.ephemeral else "everyone"
            lines.append(f"(deferred: {who} sees “thinking…” until the answer comes)")
            continue
        lines.append(_heading(request))
        if message.get("content"):
            lines.append(readable(message["content"]))
        for embed in message.get("embeds", []):
            lines += _describe_embed(embed)
        lines += _describe_components(message.get("components", []))
        if isinstance(request.view, Paginator) and len(request.view.pages) > 1:
            lines.append(
                f"(page 1 of {len(request.view.pages)}; in Discord the member who asked "
                "turns the pages with the buttons)"
            )
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _heading(request: Request) -> str:
    kind = {
        "POST": "reply" if request.path.endswith("/callback") else "follow-up",
        "PATCH": "edit",
    }[request.method]
    audience = "ephemeral: only the member who asked sees it" if request.ephemeral else "public"
    return f"── {kind} ({audience}) ──"


def _describe_embed(embed: dict[str, Any]) -> list[str]:
    bar = "│ "
    lines: list[str] = []
    if embed.get("author"):
        lines.append(bar + readable(embed["author"].get("name", "")))
    if embed.get("title"):
        title = readable(embed["title"])
        lines.append(bar + (f"{title} <{embed['url']}>" if embed.get("url") else title))
    if embed.get("description"):
        lines += [bar + line for line in readable(embed["description"]).split("\n")]
    for item in embed.get("fields", []):
        lines.append(bar)
        lines.append(bar + readable(item["name"]))
        lines += [bar + "  " + line for line in readable(item["value"]).split("\n")]
    if embed.get("thumbnail"):
        lines.append(bar + f"thumbnail <{embed['thumbnail']['url']}>")
    if embed.get("image"):
        lines.append(bar + f"image <{embed['image']['url']}>")
    if embed.get("footer"):
        lines.append(bar)
        lines.append(bar + readable(embed["footer"].get("text", "")))
    return lines


def _describe_components(rows: list[dict[str, Any]]) -> list[str]:
    buttons = []
    for row in rows:
        for component in row.get("components", []):
            emoji = (component.get("emoji") or {}).get("name")
            label = " ".join(part for part in (emoji, component.get("label")) if part)
            if component.get("url"):
                label += f" <{component['url']}>"
            if component.get("disabled"):
                label += " (disabled)"
            buttons.append(f"[{label}]")
    return [f"Buttons: {' '.join(buttons)}"] if buttons else []
