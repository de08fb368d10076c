"""Who a message would ping: its content's mentions filtered by its `allowed_mentions`.

Discord pings a mention in `content` only when `allowed_mentions` lets it: no
`allowed_mentions` at all means everything in the content pings; `parse` lists the kinds
that ping (`everyone` covers @everyone and @here); `users` / `roles` list single ids.
Mentions inside embeds never ping, so only content is read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_EVERYONE = re.compile(r"@(everyone|here)\b")
_USER = re.compile(r"<@!?(\d{15,21})>")
_ROLE = re.compile(r"<@&(\d{15,21})>")


def pings(content: str | None, allowed_mentions: Mapping[str, Any] | None) -> list[str]:
    """What this message would ping, as `@everyone`, `@here`, `user:ID` and `role:ID`."""
    if not content:
        return []
    if allowed_mentions is None:
        parse = {"everyone", "users", "roles"}
        users: set[str] = set()
        roles: set[str] = set()
    else:
        parse = set(allowed_mentions.get("parse") or [])
        users = {str(u) for u in allowed_mentions.get("users") or []}
        roles = {str(r) for r in allowed_mentions.get("roles") or []}
    found = []
    if "everyone" in parse:
        found += [f"@{m.group(1)}" for m in _EVERYONE.finditer(content)]
    found += [
        f"user:{m.group(1)}"
        for m in _USER.finditer(content)
        if "users" in parse or m.group(1) in users
    ]
    found += [
        f"role:{m.group(1)}"
        for m in _ROLE.finditer(content)
        if "roles" in parse or m.group(1) in roles
    ]
    return list(dict.fromkeys(found))
