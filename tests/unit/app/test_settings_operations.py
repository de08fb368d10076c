"""The operations settings: LOG_FORMAT, BACKUP_DIR, BACKUP_KEEP."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app.settings import ConfigError, Settings


def test_defaults_are_text_logs_and_no_backups():
    settings = Settings.from_env({})
    assert settings.log_format == "text"
    assert settings.backup_dir is None and settings.backup_keep == 7


def test_json_logs_and_a_backup_folder_are_read():
    settings = Settings.from_env(
        {"LOG_FORMAT": " JSON ", "BACKUP_DIR": "/srv/backups", "BACKUP_KEEP": "30"}
    )
    assert settings.log_format == "json"
    assert settings.backup_dir == Path("/srv/backups") and settings.backup_keep == 30


@pytest.mark.parametrize(
    ("name", "value"),
    [("LOG_FORMAT", "xml"), ("BACKUP_KEEP", "0"), ("BACKUP_KEEP", "-1"), ("BACKUP_KEEP", "a")],
)
def test_bad_values_name_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})
