"""Checks on the code base itself: every cog loads, the command tree Discord would receive
is valid, and the tests fake nothing without a spec."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import unicodedata

import discord
import pytest
from discord import app_commands

from bot.app.client import EXTENSIONS, EpisodeBot
from bot.app.settings import Settings
from bot.ingest.fetch import Fetcher
from bot.ingest.importer import Importer
from bot.store import Store
from tests.support.paths import PROJECT

COGS = PROJECT / "cogs"
TESTS = PROJECT / "tests"
MOCK_FACTORIES = {"Mock", "MagicMock", "AsyncMock", "NonCallableMock", "NonCallableMagicMock"}
SPEC_KEYWORDS = {"spec", "spec_set"}


def cog_modules() -> list[str]:
    return sorted(f"cogs.{p.stem}" for p in COGS.glob("*.py") if p.stem != "__init__")


@pytest.fixture
async def loaded_bot():
    """The bot with every extension loaded, never connected."""
    store = await Store.open(":memory:")
    fetcher = Fetcher()
    bot = EpisodeBot(
        settings=Settings(), store=store, fetcher=fetcher, importer=Importer(store, fetcher)
    )
    async with bot:
        for extension in EXTENSIONS:
            await bot.load_extension(extension)
        yield bot
    await fetcher.close()
    await store.close()


def test_every_module_in_cogs_has_an_async_setup():
    assert cog_modules(), "no cogs found"
    for name in cog_modules():
        module = importlib.import_module(name)
        setup = getattr(module, "setup", None)
        assert setup is not None, f"{name} has no setup()"
        assert inspect.iscoroutinefunction(setup), f"{name}.setup is not async"


def test_every_cog_module_is_an_extension_the_bot_loads():
    assert sorted(EXTENSIONS) == cog_modules()


async def test_the_tree_has_no_duplicate_command_names(loaded_bot):
    names = [c.name for c in loaded_bot.tree.get_commands()]
    assert names, "no commands registered"
    assert len(names) == len(set(names))
    for command in loaded_bot.tree.walk_commands():
        if isinstance(command, app_commands.Group):
            sub = [c.name for c in command.commands]
            assert len(sub) == len(set(sub)), f"/{command.name} repeats a subcommand"


def valid_name(name: str) -> bool:
    """Discord's `^[-_'\\p{L}\\p{N}]{1,32}$`, lowercase (without the `regex` module)."""
    if not 1 <= len(name) <= 32 or name != name.lower():
        return False
    return all(char in "-_'" or unicodedata.category(char)[0] in ("L", "N") for char in name)


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("episode", True),
        ("ça-va_'1", True),
        ("Episode", False),
        ("two words", False),
        ("", False),
        ("x" * 33, False),
        ("a/b", False),
    ],
)
def test_the_name_check_itself(name, ok):
    assert valid_name(name) is ok


def check_options(where: str, options: list[dict]) -> None:
    assert len(options) <= 25, f"{where}: more than 25 options"
    required = [bool(o.get("required")) for o in options if o["type"] not in (1, 2)]
    assert required == sorted(required, reverse=True), f"{where}: required options must come first"
    for option in options:
        label = f"{where} {option['name']}"
        assert valid_name(option["name"]), f"{label}: bad name"
        assert 1 <= len(option["description"]) <= 100, f"{label}: description length"
        for choice in option.get("choices", []):
            assert 1 <= len(choice["name"]) <= 100, f"{label}: choice name length"
        assert len(option.get("choices", [])) <= 25, f"{label}: more than 25 choices"
        if option["type"] in (1, 2):
            check_options(label, option.get("options", []))


async def test_every_command_and_option_is_valid_for_discord(loaded_bot):
    tree = loaded_bot.tree
    for command in tree.get_commands():
        payload = command.to_dict(tree)
        where = f"/{command.name}"
        if payload.get("type", 1) == 1:
            assert valid_name(payload["name"]), f"{where}: bad name"
            assert 1 <= len(payload["description"]) <= 100, f"{where}: description length"
        else:  # a context menu: any case, spaces allowed ("Find moment")
            assert 1 <= len(payload["name"]) <= 32 and payload["name"].strip(), where
        check_options(where, payload.get("options", []))
        assert len(json.dumps(payload, ensure_ascii=False)) <= 8000, f"{where}: payload too big"


async def test_every_command_explains_itself_with_a_docstring_or_description(loaded_bot):
    for command in loaded_bot.tree.walk_commands():
        assert command.description and command.description != "…", (
            f"/{command.qualified_name} has no description"
        )


def mock_calls_without_spec(source: str) -> list[int]:
    """Line numbers of `Mock(...)`-style calls that pass neither `spec` nor `spec_set`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name in MOCK_FACTORIES and not SPEC_KEYWORDS & {k.arg for k in node.keywords}:
            found.append(node.lineno)
    return found


def test_the_mock_scan_finds_an_unspecced_mock():
    source = "from unittest import mock\na = mock.MagicMock()\nb = AsyncMock(spec=int)\n"
    assert mock_calls_without_spec(source) == [2]


def test_no_mock_in_the_tests_is_without_a_spec():
    offenders = {
        path.relative_to(PROJECT).as_posix(): lines
        for path in TESTS.rglob("*.py")
        if (lines := mock_calls_without_spec(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}, "use create_autospec or spec= for every mock"


def test_discord_py_is_the_version_the_fakes_were_written_for():
    # tests/support/fake_interactions.py and bot/ask/offline.py mirror discord.py 2.7's
    # interaction surface.
    assert discord.version_info[:2] == (2, 7)
