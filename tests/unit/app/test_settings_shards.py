"""SHARD_COUNT and SHARD_IDS: read, checked, and passed to the bot."""

from __future__ import annotations

import pytest

from bot.app.cli import main
from bot.app.client import EpisodeBot
from bot.app.settings import ConfigError, Settings
from bot.ingest.fetch import Fetcher
from bot.ingest.importer import Importer
from bot.store import Store


def test_unset_means_discords_recommendation_and_every_shard():
    settings = Settings.from_env({})
    assert settings.shard_count is None and settings.shard_ids is None


def test_a_count_and_a_subset_are_read():
    settings = Settings.from_env({"SHARD_COUNT": "4", "SHARD_IDS": " 2, 0 1"})
    assert settings.shard_count == 4 and settings.shard_ids == (0, 1, 2)
    assert Settings.from_env({"SHARD_COUNT": "2"}).shard_ids is None


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"SHARD_COUNT": "0"}, "SHARD_COUNT"),
        ({"SHARD_COUNT": "two"}, "SHARD_COUNT"),
        ({"SHARD_IDS": "0"}, "SHARD_IDS needs SHARD_COUNT"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "2"}, "below SHARD_COUNT"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "0,x"}, "SHARD_IDS"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "-1"}, "SHARD_IDS"),
    ],
)
def test_bad_values_name_the_variable(env, says):
    with pytest.raises(ConfigError, match=says):
        Settings.from_env(env)


def test_a_shard_id_out_of_range_is_a_one_line_error_and_exit_2(monkeypatch, capsys):
    monkeypatch.setenv("SHARD_COUNT", "2")
    monkeypatch.setenv("SHARD_IDS", "0,5")
    assert main(["export"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "SHARD_IDS" in err


async def test_the_bot_is_given_the_shards(tmp_path):
    settings = Settings.from_env({"SHARD_COUNT": "4", "SHARD_IDS": "1,3"})
    async with await Store.open(tmp_path / "s.db") as store, Fetcher() as fetcher:
        bot = EpisodeBot(
            settings=settings, store=store, fetcher=fetcher, importer=Importer(store, fetcher)
        )
        try:
            assert bot.shard_count == 4 and bot.shard_ids == [1, 3]
        finally:
            await bot.close()
