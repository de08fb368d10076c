"""Settings: every SPEC variable, its default, and a clear error for a bad value."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.app.settings import VARIABLES, ConfigError, Settings
from tests.support.paths import PROJECT


def test_defaults_match_the_spec():
    settings = Settings.from_env({})
    assert settings.discord_token is None
    assert settings.database_path == Path("data/episode-bot.db")
    assert settings.feeds == ()
    assert settings.poll_interval_minutes == 15
    assert settings.dev_guild_id is None
    assert settings.discord_api_base == "https://discord.com/api/v10"
    assert settings.discord_gateway_url == "wss://gateway.discord.gg/"
    assert settings.allow_private_feed_urls is False
    assert settings.log_level == "INFO"


def test_feeds_are_split_on_spaces_and_commas():
    settings = Settings.from_env({"FEEDS": " https://a.example/feed.xml, b.xml\n  c.xml,,"})
    assert settings.feeds == ("https://a.example/feed.xml", "b.xml", "c.xml")


def test_values_are_parsed():
    settings = Settings.from_env(
        {
            "DISCORD_TOKEN": "abc.def",
            "DATABASE_PATH": "/tmp/x.db",
            "POLL_INTERVAL_MINUTES": "5",
            "DEV_GUILD_ID": "123456789012345678",
            "DISCORD_API_BASE": "http://127.0.0.1:9999/api/v10/",
            "DISCORD_GATEWAY_URL": "ws://127.0.0.1:9999/gateway",
            "ALLOW_PRIVATE_FEED_URLS": "TRUE",
            "LOG_LEVEL": "debug",
        }
    )
    assert settings.discord_token == "abc.def"
    assert settings.database_path == Path("/tmp/x.db")
    assert settings.poll_interval_minutes == 5
    assert settings.dev_guild_id == 123456789012345678
    assert settings.discord_api_base == "http://127.0.0.1:9999/api/v10"
    assert settings.discord_gateway_url == "ws://127.0.0.1:9999/gateway"
    assert settings.allow_private_feed_urls is True
    assert settings.log_level == "DEBUG"


def test_the_token_never_appears_in_the_repr():
    settings = Settings.from_env({"DISCORD_TOKEN": "super-secret-token"})
    assert "super-secret-token" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("POLL_INTERVAL_MINUTES", "often"),
        ("POLL_INTERVAL_MINUTES", "0"),
        ("DEV_GUILD_ID", "my-server"),
        ("ALLOW_PRIVATE_FEED_URLS", "maybe"),
        ("LOG_LEVEL", "LOUD"),
        ("DISCORD_API_BASE", "discord.com/api"),
        ("DISCORD_GATEWAY_URL", "https://gateway.discord.gg"),
    ],
)
def test_a_bad_value_is_a_config_error_naming_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})


def test_env_example_names_every_variable_the_bot_reads():
    # .env.example is where an operator learns the settings: none missing, none made up.
    example = (PROJECT / ".env.example").read_text(encoding="utf-8")
    named = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))
    assert named == set(VARIABLES)
