"""EMBEDDING_MODEL: /when's meaning layer is off unless a model is named, and then the bot
runs without numpy or model2vec until it is."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.app.services import semantic_layer
from bot.app.settings import Settings
from tests.support.paths import PROJECT


def test_the_meaning_layer_is_off_by_default_and_on_when_a_model_is_named():
    assert Settings.from_env({}).embedding_model is None
    assert Settings.from_env({"EMBEDDING_MODEL": "  "}).embedding_model is None
    named = Settings.from_env({"EMBEDDING_MODEL": " minishlab/potion-base-8M "})
    assert named.embedding_model == "minishlab/potion-base-8M"


def test_without_a_model_the_bot_builds_no_layer_and_imports_neither_numpy_nor_model2vec():
    # A fresh interpreter: what the bot imports to serve, with the setting unset.
    code = (
        "import sys\n"
        "from bot.app.client import EpisodeBot\n"
        "from bot.app.services import semantic_layer\n"
        "from bot.app.settings import Settings\n"
        "import cogs.search\n"
        "assert semantic_layer(Settings.from_env({}), None) is None\n"
        "loaded = {'numpy', 'model2vec'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


def test_a_named_model_gives_when_a_layer_that_loads_it_later(store):
    pytest.importorskip("model2vec", reason="the semantic extra is not installed")
    layer = semantic_layer(Settings(embedding_model="/nowhere/model"), store)
    assert layer is not None and layer.model == "/nowhere/model"
    assert layer.search is None  # nothing loaded while the bot is being built
