"""Discord's limits, checked the way Discord checks them, with Discord's error shape.

discord.py checks almost none of these before sending, so a bot that builds a 2,001
character message or 26 autocomplete choices only finds out from Discord. Each check here
returns a `FormErrors`; when it is not empty the fake answers 400 with
`{"code": 50035, "message": "Invalid Form Body", "errors": {...}}`, where `errors` nests
by the path of the offending field (`{"embeds": {"0": {"title": {"_errors": [...]}}}}`).

Source: Discord's API reference (Message, Embed limits, Message Components, Application
Commands, Threads); the numbers themselves are the constants below.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
ACTION_ROWS_MAX = 5
BUTTONS_PER_ROW_MAX = 5
CUSTOM_ID_MAX = 100
BUTTON_LABEL_MAX = 80
BUTTON_URL_MAX = 512
SELECT_OPTIONS_MAX = 25
SELECT_PLACEHOLDER_MAX = 150
AUTOCOMPLETE_CHOICES_MAX = 25
CHOICE_NAME_MAX = 100
CHOICE_VALUE_MAX = 100
COMMAND_NAME_MAX = 32
COMMAND_DESCRIPTION_MAX = 100
COMMAND_OPTIONS_MAX = 25
COMMAND_CHOICES_MAX = 25
COMMAND_TOTAL_MAX = 8000
GLOBAL_CHAT_COMMANDS_MAX = 100
THREAD_NAME_MAX = 100
AUTO_ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)
STRING_OPTION_LENGTH_MAX = 6000

# Option types (Discord's ApplicationCommandOptionType).
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)
VALUE_TYPES = {STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT}

# Button styles and component types.
BUTTON_LINK, BUTTON_PREMIUM = 5, 6
ACTION_ROW, BUTTON = 1, 2
SELECT_TYPES = {3, 5, 6, 7, 8}

# Flags a bot may set when sending: SUPPRESS_EMBEDS, EPHEMERAL, SUPPRESS_NOTIFICATIONS,
# IS_COMPONENTS_V2.
SENDABLE_FLAGS = 4 | 64 | 4096 | 32768
EPHEMERAL = 64

MAX_LENGTH = "BASE_TYPE_MAX_LENGTH"
BAD_LENGTH = "BASE_TYPE_BAD_LENGTH"
REQUIRED = "BASE_TYPE_REQUIRED"
CHOICES = "BASE_TYPE_CHOICES"
BAD_TYPE = "BASE_TYPE_BAD_TYPE"


class FormErrors:
    """Errors collected under their field paths, in Discord's nested `_errors` shape."""

    def __init__(self) -> None:
        self.errors: dict[str, Any] = {}
        self._flat: list[str] = []

    def add(self, path: Iterable[object], code: str, message: str) -> None:
        node = self.errors
        keys = [str(key) for key in path]
        for key in keys:
            node = node.setdefault(key, {})
        node.setdefault("_errors", []).append({"code": code, "message": message})
        self._flat.append(f"{'.'.join(keys) or '(body)'}: {message}")

    def max_length(self, path: Iterable[object], value: Any, limit: int) -> None:
        if value is not None and len(value) > limit:
            self.add(path, MAX_LENGTH, f"Must be {limit} or fewer in length.")

    def length_between(self, path: Iterable[object], value: Any, low: int, high: int) -> None:
        size = len(value) if value is not None else 0
        if not low <= size <= high:
            self.add(path, BAD_LENGTH, f"Must be between {low} and {high} in length.")

    def extend(self, other: FormErrors) -> None:
        """Add every error of `other` (already carrying its own path prefix)."""
        self._flat += other._flat
        _merge(self.errors, other.errors)

    def __bool__(self) -> bool:
        return bool(self._flat)

    def messages(self) -> list[str]:
        """One readable line per error, `path.to.field: message`."""
        return list(self._flat)

    def body(self) -> dict[str, Any]:
        return {"code": 50035, "message": "Invalid Form Body", "errors": self.errors}


def _merge(into: dict[str, Any], other: dict[str, Any]) -> None:
    for key, value in other.items():
        if key == "_errors":
            into.setdefault("_errors", []).extend(value)
        else:
            _merge(into.setdefault(key, {}), value)


# --------------------------------------------------------------------------- messages


def embed_length(embed: Mapping[str, Any]) -> int:
    """The characters Discord counts towards the 6,000 per message."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    for field in embed.get("fields") or []:
        total += len(field.get("name") or "") + len(field.get("value") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    return total


def _check_url(errors: FormErrors, path: list[object], url: Any, schemes: tuple[str, ...]) -> None:
    if url is None:
        return
    if not isinstance(url, str) or not url.startswith(tuple(f"{s}://" for s in schemes)):
        errors.add(
            path,
            "URL_TYPE_INVALID_URL",
            f"Not a well formed URL. Scheme must be one of {', '.join(schemes)}.",
        )
    elif len(url) > 2048:
        errors.max_length(path, url, 2048)


def check_embed(errors: FormErrors, path: list[object], embed: Mapping[str, Any]) -> None:
    errors.max_length([*path, "title"], embed.get("title"), EMBED_TITLE_MAX)
    errors.max_length([*path, "description"], embed.get("description"), EMBED_DESCRIPTION_MAX)
    _check_url(errors, [*path, "url"], embed.get("url"), ("http", "https"))
    color = embed.get("color")
    if color is not None and not (isinstance(color, int) and 0 <= color <= 0xFFFFFF):
        errors.add([*path, "color"], "NUMBER_TYPE_MAX", "int value should be <= 16777215.")
    fields = embed.get("fields") or []
    errors.max_length([*path, "fields"], fields, EMBED_FIELDS_MAX)
    for index, field in enumerate(fields):
        where = [*path, "fields", index]
        for key, limit in (("name", EMBED_FIELD_NAME_MAX), ("value", EMBED_FIELD_VALUE_MAX)):
            text = field.get(key)
            if not text:
                errors.add([*where, key], REQUIRED, "This field is required")
            else:
                errors.max_length([*where, key], text, limit)
    footer = embed.get("footer")
    if footer is not None:
        if not footer.get("text"):
            errors.add([*path, "footer", "text"], REQUIRED, "This field is required")
        errors.max_length([*path, "footer", "text"], footer.get("text"), EMBED_FOOTER_MAX)
        _check_url(errors, [*path, "footer", "icon_url"], footer.get("icon_url"), _IMAGE_SCHEMES)
    author = embed.get("author")
    if author is not None:
        if not author.get("name"):
            errors.add([*path, "author", "name"], REQUIRED, "This field is required")
        errors.max_length([*path, "author", "name"], author.get("name"), EMBED_AUTHOR_MAX)
        _check_url(errors, [*path, "author", "url"], author.get("url"), ("http", "https"))
        _check_url(errors, [*path, "author", "icon_url"], author.get("icon_url"), _IMAGE_SCHEMES)
    for key in ("image", "thumbnail"):
        if embed.get(key) is not None:
            _check_url(errors, [*path, key, "url"], embed[key].get("url"), _IMAGE_SCHEMES)


_IMAGE_SCHEMES = ("http", "https", "attachment")


def check_components(errors: FormErrors, path: list[object], rows: Any) -> None:
    if not isinstance(rows, list):
        errors.add(path, BAD_TYPE, "Must be an array.")
        return
    errors.max_length(path, rows, ACTION_ROWS_MAX)
    custom_ids: set[str] = set()
    for row_index, row in enumerate(rows):
        where = [*path, row_index]
        if row.get("type") != ACTION_ROW:
            errors.add(
                [*where, "type"], "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "Expected an action row."
            )
            continue
        children = row.get("components") or []
        if not children:
            errors.add([*where, "components"], BAD_LENGTH, "Must be between 1 and 5 in length.")
        errors.max_length([*where, "components"], children, BUTTONS_PER_ROW_MAX)
        has_select = any(child.get("type") in SELECT_TYPES for child in children)
        if has_select and len(children) > 1:
            errors.add(
                [*where, "components"],
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            )
        for child_index, child in enumerate(children):
            _check_component(errors, [*where, "components", child_index], child, custom_ids)


def _check_component(
    errors: FormErrors, path: list[object], component: Mapping[str, Any], seen: set[str]
) -> None:
    kind = component.get("type")
    custom_id = component.get("custom_id")
    if kind == BUTTON:
        style = component.get("style")
        if style not in (1, 2, 3, 4, 5, 6):
            errors.add([*path, "style"], CHOICES, "Value must be one of (1, 2, 3, 4, 5, 6).")
        errors.max_length([*path, "label"], component.get("label"), BUTTON_LABEL_MAX)
        if style == BUTTON_LINK:
            url = component.get("url")
            if not url:
                errors.add([*path, "url"], REQUIRED, "This field is required")
            else:
                errors.max_length([*path, "url"], url, BUTTON_URL_MAX)
                _check_url(errors, [*path, "url"], url, ("http", "https", "discord"))
            if custom_id is not None:
                errors.add(
                    [*path, "custom_id"],
                    "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED",
                    "A custom id cannot be set on a link button",
                )
            custom_id = None
        elif style != BUTTON_PREMIUM:
            if component.get("url") is not None:
                errors.add(
                    [*path, "url"],
                    "BUTTON_COMPONENT_URL_NOT_ALLOWED",
                    "A url requires a link style",
                )
            if not custom_id:
                errors.add([*path, "custom_id"], REQUIRED, "This field is required")
        if not component.get("label") and not component.get("emoji") and style != BUTTON_PREMIUM:
            errors.add([*path, "label"], REQUIRED, "A button needs a label or an emoji")
    elif kind in SELECT_TYPES:
        if not custom_id:
            errors.add([*path, "custom_id"], REQUIRED, "This field is required")
        errors.max_length(
            [*path, "placeholder"], component.get("placeholder"), SELECT_PLACEHOLDER_MAX
        )
        if kind == 3:
            options = component.get("options") or []
            errors.length_between([*path, "options"], options, 1, SELECT_OPTIONS_MAX)
            values: set[str] = set()
            for index, option in enumerate(options):
                where = [*path, "options", index]
                errors.length_between([*where, "label"], option.get("label"), 1, 100)
                errors.length_between([*where, "value"], option.get("value"), 1, 100)
                errors.max_length([*where, "description"], option.get("description"), 100)
                if option.get("value") in values:
                    errors.add(
                        [*where, "value"],
                        "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED",
                        "Select component option value cannot be duplicated",
                    )
                values.add(option.get("value"))
        low, high = component.get("min_values", 1), component.get("max_values", 1)
        if not (0 <= low <= 25 and 1 <= high <= 25 and low <= high):
            errors.add([*path, "max_values"], "NUMBER_TYPE_MAX", "min/max values out of range")
    else:
        errors.add([*path, "type"], CHOICES, f"Unknown component type {kind!r} in an action row.")
        return
    if custom_id is not None:
        if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= CUSTOM_ID_MAX:
            errors.add([*path, "custom_id"], BAD_LENGTH, "Must be between 1 and 100 in length.")
        elif custom_id in seen:
            errors.add(
                [*path, "custom_id"],
                "COMPONENT_CUSTOM_ID_DUPLICATED",
                "Component custom id cannot be duplicated",
            )
        seen.add(custom_id)


def check_allowed_mentions(errors: FormErrors, path: list[object], allowed: Any) -> None:
    if allowed is None:
        return
    parse = allowed.get("parse") or []
    for value in parse:
        if value not in ("roles", "users", "everyone"):
            errors.add(
                [*path, "parse"], CHOICES, "Value must be one of ('roles', 'users', 'everyone')."
            )
    for key in ("users", "roles"):
        if key in parse and allowed.get(key):
            errors.add(
                [*path, key],
                "SET_TYPE_ALREADY_CONTAINS_VALUE",
                f'parse:["{key}"] and {key}: [ids] are mutually exclusive.',
            )
        errors.max_length([*path, key], allowed.get(key), 100)


def check_message(
    payload: Mapping[str, Any],
    *,
    path: Iterable[object] = (),
    allow_ephemeral: bool = False,
) -> FormErrors:
    """Check a message body (create or edit) against Discord's limits.

    `path` prefixes every error (`("data",)` for an interaction callback, `("message",)`
    for a forum post). Emptiness is the caller's to check (for an edit: on the result).
    """
    errors = FormErrors()
    base = list(path)
    content = payload.get("content")
    if content is not None:
        if not isinstance(content, str):
            errors.add([*base, "content"], BAD_TYPE, "Could not interpret the value as a string.")
        else:
            errors.max_length([*base, "content"], content, CONTENT_MAX)
    embeds = payload.get("embeds")
    if embeds is not None:
        errors.max_length([*base, "embeds"], embeds, EMBEDS_MAX)
        for index, embed in enumerate(embeds):
            check_embed(errors, [*base, "embeds", index], embed)
        if sum(embed_length(embed) for embed in embeds) > EMBED_TOTAL_MAX:
            errors.add(
                [*base, "embeds"],
                "MAX_EMBED_SIZE_EXCEEDED",
                f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}",
            )
    components = payload.get("components")
    flags = payload.get("flags") or 0
    if components is not None and not flags & 32768:
        check_components(errors, [*base, "components"], components)
    if flags & ~SENDABLE_FLAGS or (flags & EPHEMERAL and not allow_ephemeral):
        errors.add([*base, "flags"], "MESSAGE_FLAGS_INVALID", "Invalid message flags")
    check_allowed_mentions(errors, [*base, "allowed_mentions"], payload.get("allowed_mentions"))
    return errors


def is_empty_message(message: Mapping[str, Any]) -> bool:
    """Discord refuses (50006) a message with no content, embeds, attachments or poll."""
    return not (
        (message.get("content") or "").strip()
        or message.get("embeds")
        or message.get("attachments")
        or message.get("sticker_ids")
        or message.get("poll")
        or (message.get("flags") or 0) & 32768  # components v2 carry their own text
    )


EMPTY_MESSAGE = {"code": 50006, "message": "Cannot send an empty message"}


# --------------------------------------------------------------------------- autocomplete


def check_autocomplete(payload: Mapping[str, Any]) -> FormErrors:
    errors = FormErrors()
    choices = (payload.get("data") or {}).get("choices")
    if choices is None:
        errors.add(["data", "choices"], REQUIRED, "This field is required")
        return errors
    errors.max_length(["data", "choices"], choices, AUTOCOMPLETE_CHOICES_MAX)
    for index, choice in enumerate(choices):
        where = ["data", "choices", index]
        errors.length_between([*where, "name"], choice.get("name"), 1, CHOICE_NAME_MAX)
        _check_choice_value(errors, [*where, "value"], choice.get("value"))
    return errors


def _check_choice_value(errors: FormErrors, path: list[object], value: Any) -> None:
    if isinstance(value, str):
        errors.max_length(path, value, CHOICE_VALUE_MAX)
    elif isinstance(value, bool) or not isinstance(value, int | float):
        errors.add(path, BAD_TYPE, "Must be a string or a number.")


# --------------------------------------------------------------------------- threads


def check_thread(payload: Mapping[str, Any]) -> FormErrors:
    errors = FormErrors()
    name = payload.get("name")
    if not isinstance(name, str) or not name.strip():
        errors.add(["name"], BAD_LENGTH, f"Must be between 1 and {THREAD_NAME_MAX} in length.")
    else:
        errors.length_between(["name"], name, 1, THREAD_NAME_MAX)
    duration = payload.get("auto_archive_duration")
    if duration is not None and duration not in AUTO_ARCHIVE_DURATIONS:
        errors.add(
            ["auto_archive_duration"],
            CHOICES,
            f"Value must be one of {{{', '.join(map(str, AUTO_ARCHIVE_DURATIONS))}}}.",
        )
    slowmode = payload.get("rate_limit_per_user")
    if slowmode is not None and not 0 <= slowmode <= 21600:
        errors.add(["rate_limit_per_user"], "NUMBER_TYPE_MAX", "int value should be <= 21600.")
    return errors


# --------------------------------------------------------------------------- commands

# Discord: ^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$, lowercase where a case exists.
_NAME_PUNCTUATION = set("-_'")


def valid_command_name(name: Any) -> bool:
    return (
        isinstance(name, str)
        and 1 <= len(name) <= COMMAND_NAME_MAX
        and all(ch.isalnum() or ch in _NAME_PUNCTUATION for ch in name)
        and name == name.lower()
    )


def command_length(command: Mapping[str, Any]) -> int:
    """Characters Discord counts towards the 8,000 per command: names, descriptions and
    choice names and values, at every level."""
    total = len(command.get("name") or "") + len(command.get("description") or "")
    for option in command.get("options") or []:
        total += command_length(option)
    for choice in command.get("choices") or []:
        total += len(str(choice.get("name") or "")) + len(str(choice.get("value") or ""))
    return total


def check_commands(commands: Any) -> FormErrors:
    """Check a bulk-overwrite body (`PUT .../commands`)."""
    errors = FormErrors()
    if not isinstance(commands, list):
        errors.add([], BAD_TYPE, "Must be an array.")
        return errors
    seen: set[tuple[int, str]] = set()
    chat_inputs = 0
    for index, command in enumerate(commands):
        kind = command.get("type", 1)
        key = (kind, command.get("name"))
        if key in seen:
            errors.add(
                [index, "name"],
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                f"Application command names must be unique ({command.get('name')!r} twice)",
            )
        seen.add(key)
        chat_inputs += kind == 1
        _check_command(errors, [index], command)
    if chat_inputs > GLOBAL_CHAT_COMMANDS_MAX:
        errors.add([], MAX_LENGTH, f"Must be {GLOBAL_CHAT_COMMANDS_MAX} or fewer in length.")
    return errors


def _check_command(errors: FormErrors, path: list[object], command: Mapping[str, Any]) -> None:
    kind = command.get("type", 1)
    name = command.get("name")
    description = command.get("description")
    if kind == 1:
        if not valid_command_name(name):
            errors.add(
                [*path, "name"],
                "APPLICATION_COMMAND_INVALID_NAME",
                f"Command name is invalid: {name!r} (1-32 lowercase letters, digits, - _ ')",
            )
        errors.length_between([*path, "description"], description, 1, COMMAND_DESCRIPTION_MAX)
    else:
        errors.length_between([*path, "name"], name, 1, COMMAND_NAME_MAX)
        if description:
            errors.add(
                [*path, "description"],
                "APPLICATION_COMMAND_INVALID_DESCRIPTION",
                "Context menu commands cannot have a description",
            )
    permissions = command.get("default_member_permissions")
    if permissions is not None:
        try:
            int(permissions)
        except (TypeError, ValueError):
            errors.add([*path, "default_member_permissions"], BAD_TYPE, "Not a permission integer")
    contexts = command.get("contexts")
    if contexts is not None and any(c not in (0, 1, 2) for c in contexts):
        errors.add([*path, "contexts"], CHOICES, "Value must be one of (0, 1, 2).")
    if kind == 1 and command_length(command) > COMMAND_TOTAL_MAX:
        errors.add(
            path,
            "APPLICATION_COMMAND_TOO_LARGE",
            f"Command exceeds maximum size ({COMMAND_TOTAL_MAX})",
        )
    _check_options(errors, [*path, "options"], command.get("options") or [], depth=0)


def _check_options(errors: FormErrors, path: list[object], options: Any, *, depth: int) -> None:
    errors.max_length(path, options, COMMAND_OPTIONS_MAX)
    kinds = [option.get("type") for option in options]
    subcommands = [kind for kind in kinds if kind in (SUB_COMMAND, SUB_COMMAND_GROUP)]
    if subcommands and len(subcommands) != len(kinds):
        errors.add(
            path,
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "Sub-commands and sub-command groups cannot be mixed with other options",
        )
    names: set[str] = set()
    optional_seen = False
    for index, option in enumerate(options):
        where = [*path, index]
        kind = option.get("type")
        name = option.get("name")
        if not valid_command_name(name):
            errors.add(
                [*where, "name"],
                "APPLICATION_COMMAND_INVALID_NAME",
                f"Option name is invalid: {name!r}",
            )
        if name in names:
            errors.add(
                [*where, "name"],
                "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                f"Option name {name!r} is already used",
            )
        names.add(name)
        errors.length_between(
            [*where, "description"], option.get("description"), 1, COMMAND_DESCRIPTION_MAX
        )
        if kind == SUB_COMMAND_GROUP:
            if depth > 0:
                errors.add(
                    [*where, "type"],
                    "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                    "Sub-command groups can only be nested in a command",
                )
            children = option.get("options") or []
            if any(child.get("type") != SUB_COMMAND for child in children):
                errors.add(
                    [*where, "options"],
                    "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                    "A sub-command group may only contain sub-commands",
                )
            _check_options(errors, [*where, "options"], children, depth=depth + 1)
            continue
        if kind == SUB_COMMAND:
            if depth > 1:
                errors.add(
                    [*where, "type"],
                    "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                    "Sub-commands nest at most two deep",
                )
            children = option.get("options") or []
            if any(child.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP) for child in children):
                errors.add(
                    [*where, "options"],
                    "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                    "A sub-command may not contain sub-commands",
                )
            _check_options(errors, [*where, "options"], children, depth=depth + 1)
            continue
        if kind not in VALUE_TYPES:
            errors.add([*where, "type"], CHOICES, f"Unknown option type {kind!r}")
            continue
        if option.get("required"):
            if optional_seen:
                errors.add(
                    [*where, "required"],
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            optional_seen = True
        choices = option.get("choices")
        if choices:
            if kind not in (STRING, INTEGER, NUMBER):
                errors.add(
                    [*where, "choices"],
                    "APPLICATION_COMMAND_OPTION_CHOICES_TYPE_INVALID",
                    "Choices are only allowed on string, integer and number options",
                )
            errors.max_length([*where, "choices"], choices, COMMAND_CHOICES_MAX)
            for choice_index, choice in enumerate(choices):
                at = [*where, "choices", choice_index]
                errors.length_between([*at, "name"], choice.get("name"), 1, CHOICE_NAME_MAX)
                _check_choice_value(errors, [*at, "value"], choice.get("value"))
            if option.get("autocomplete"):
                errors.add(
                    [*where, "autocomplete"],
                    "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID",
                    "Autocomplete cannot be set on an option with choices",
                )
        if option.get("autocomplete") and kind not in (STRING, INTEGER, NUMBER):
            errors.add(
                [*where, "autocomplete"],
                "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID",
                "Autocomplete is only allowed on string, integer and number options",
            )
        for key in ("min_length", "max_length"):
            value = option.get(key)
            if value is not None and (kind != STRING or not 0 <= value <= STRING_OPTION_LENGTH_MAX):
                errors.add(
                    [*where, key],
                    "NUMBER_TYPE_MAX",
                    f"{key} must be 0-{STRING_OPTION_LENGTH_MAX}, on a string option",
                )
        for key in ("min_value", "max_value"):
            if option.get(key) is not None and kind not in (INTEGER, NUMBER):
                errors.add([*where, key], BAD_TYPE, f"{key} is only for integer and number options")
        if option.get("channel_types") is not None and kind != CHANNEL:
            errors.add([*where, "channel_types"], BAD_TYPE, "channel_types only on channel options")
