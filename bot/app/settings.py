"""Configuration: read once, at start, from the environment (and `.env`), then passed around.

No module reads the environment at import time; `Settings.from_env` is called by the
command line entry point and the result is injected into whatever needs it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE_PATH = "data/episode-bot.db"
DEFAULT_API_BASE = "https://discord.com/api/v10"
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg/"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_LOG_LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
_LOG_FORMATS = ("text", "json")
DEFAULT_BACKUP_KEEP = 7

# Every variable the bot reads, in the order of README's configuration table (doctor lists
# which are set; the tests clear them; .env.example names them all).
VARIABLES = (
    "DISCORD_TOKEN",
    "DATABASE_PATH",
    "FEEDS",
    "POLL_INTERVAL_MINUTES",
    "DEV_GUILD_ID",
    "DISCORD_API_BASE",
    "DISCORD_GATEWAY_URL",
    "ALLOW_PRIVATE_FEED_URLS",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "BACKUP_DIR",
    "BACKUP_KEEP",
    "SHARD_COUNT",
    "SHARD_IDS",
    "EMBEDDING_MODEL",
)


class ConfigError(Exception):
    """A setting has a value we cannot use; the message names the variable."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Every variable of the SPEC's configuration table, parsed and checked."""

    # repr=False: the token must never end up in a log line or a traceback.
    discord_token: str | None = field(default=None, repr=False)
    database_path: Path = Path(DEFAULT_DATABASE_PATH)
    feeds: tuple[str, ...] = ()
    poll_interval_minutes: float = 15.0
    dev_guild_id: int | None = None
    discord_api_base: str = DEFAULT_API_BASE
    discord_gateway_url: str = DEFAULT_GATEWAY_URL
    allow_private_feed_urls: bool = False
    log_level: str = "INFO"
    log_format: str = "text"  # "text" or "json" (one object per line)
    backup_dir: Path | None = None  # None: no daily backups
    backup_keep: int = DEFAULT_BACKUP_KEEP
    shard_count: int | None = None  # None: Discord's recommendation
    shard_ids: tuple[int, ...] | None = None  # None: every shard of shard_count
    # /when's meaning layer: a model2vec model (a folder or a hub name); None: off.
    embedding_model: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Build settings from a mapping such as `os.environ`; raise ConfigError on bad values."""

        def text(name: str) -> str:
            return env.get(name, "").strip()

        token = text("DISCORD_TOKEN") or None
        feeds = tuple(part for part in re.split(r"[\s,]+", text("FEEDS")) if part)

        interval_text = text("POLL_INTERVAL_MINUTES") or "15"
        try:
            interval = float(interval_text)
        except ValueError:
            raise ConfigError(
                f"POLL_INTERVAL_MINUTES must be a number of minutes, not {interval_text!r}"
            ) from None
        if not 1 <= interval <= 24 * 60:
            raise ConfigError("POLL_INTERVAL_MINUTES must be between 1 and 1440")

        guild_text = text("DEV_GUILD_ID")
        if guild_text and not guild_text.isdigit():
            raise ConfigError(f"DEV_GUILD_ID must be a server id (digits), not {guild_text!r}")

        allow_text = text("ALLOW_PRIVATE_FEED_URLS").lower()
        if allow_text not in _TRUE | _FALSE:
            raise ConfigError(f"ALLOW_PRIVATE_FEED_URLS must be true or false, not {allow_text!r}")

        level = (text("LOG_LEVEL") or "INFO").upper()
        if level not in _LOG_LEVELS:
            raise ConfigError(f"LOG_LEVEL must be one of {', '.join(sorted(_LOG_LEVELS))}")

        log_format = (text("LOG_FORMAT") or "text").lower()
        if log_format not in _LOG_FORMATS:
            raise ConfigError(f"LOG_FORMAT must be text or json, not {log_format!r}")

        backup_dir = text("BACKUP_DIR")
        keep_text = text("BACKUP_KEEP") or str(DEFAULT_BACKUP_KEEP)
        if not keep_text.isdigit() or int(keep_text) < 1:
            raise ConfigError(
                f"BACKUP_KEEP must be a whole number of copies, 1 or more, not {keep_text!r}"
            )

        shard_count, shard_ids = _shards(text("SHARD_COUNT"), text("SHARD_IDS"))

        api_base = (text("DISCORD_API_BASE") or DEFAULT_API_BASE).rstrip("/")
        gateway = text("DISCORD_GATEWAY_URL") or DEFAULT_GATEWAY_URL
        for name, value, schemes in (
            ("DISCORD_API_BASE", api_base, ("http://", "https://")),
            ("DISCORD_GATEWAY_URL", gateway, ("ws://", "wss://")),
        ):
            if not value.startswith(schemes):
                raise ConfigError(f"{name} must start with {' or '.join(schemes)}")

        return cls(
            discord_token=token,
            database_path=Path(text("DATABASE_PATH") or DEFAULT_DATABASE_PATH),
            feeds=feeds,
            poll_interval_minutes=interval,
            dev_guild_id=int(guild_text) if guild_text else None,
            discord_api_base=api_base,
            discord_gateway_url=gateway,
            allow_private_feed_urls=allow_text in _TRUE,
            log_level=level,
            log_format=log_format,
            backup_dir=Path(backup_dir) if backup_dir else None,
            backup_keep=int(keep_text),
            shard_count=shard_count,
            shard_ids=shard_ids,
            embedding_model=text("EMBEDDING_MODEL") or None,
        )


def _shards(count_text: str, ids_text: str) -> tuple[int | None, tuple[int, ...] | None]:
    """SHARD_COUNT (a whole number, 1 or more) and SHARD_IDS (ids below it, e.g. `0,1`;
    only with SHARD_COUNT: a subset means nothing without the total)."""
    if count_text and (not count_text.isdigit() or int(count_text) < 1):
        raise ConfigError(
            f"SHARD_COUNT must be a whole number of shards, 1 or more, not {count_text!r}"
        )
    count = int(count_text) if count_text else None
    if not ids_text:
        return count, None
    if count is None:
        raise ConfigError("SHARD_IDS needs SHARD_COUNT (the total number of shards)")
    parts = [part for part in re.split(r"[\s,]+", ids_text) if part]
    if not parts or not all(part.isdigit() for part in parts):
        raise ConfigError(f"SHARD_IDS must be shard numbers separated by commas, not {ids_text!r}")
    ids = tuple(sorted({int(part) for part in parts}))
    if ids[-1] >= count:
        raise ConfigError(
            f"SHARD_IDS must be below SHARD_COUNT ({count}): shards are numbered 0 to {count - 1}"
        )
    return count, ids
