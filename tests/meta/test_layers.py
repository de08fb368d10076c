"""The direction of the house: plain data at the bottom, the store above it, services above
the store, Discord presentation and cogs on top. Read from the source (every import,
including those inside functions and TYPE_CHECKING blocks), so a shortcut fails here."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
STDLIB = sys.stdlib_module_names


def modules(package: str) -> list[tuple[str, Path]]:
    root = PROJECT / package.replace(".", "/")
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(PROJECT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found.append((name, path))
    return found


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, as absolute dotted names."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def top(name: str) -> str:
    return name.split(".")[0]


def own(name: str) -> bool:
    return top(name) in ("bot", "cogs")


def test_the_layer_rules_see_every_package():
    # A rule over an empty list would pass for nothing.
    assert len(modules("bot.models")) >= 4
    assert len(modules("bot.store")) >= 6
    assert len(modules("cogs")) >= 5


@pytest.mark.parametrize(("name", "path"), modules("bot.models"), ids=lambda v: str(v))
def test_plain_data_imports_only_the_standard_library(name, path):
    outside = {
        imported
        for imported in imports_of(path)
        if not imported.startswith("bot.models")
        and top(imported) not in STDLIB
        and imported != "__future__"
    }
    assert not outside, f"{name} imports {sorted(outside)}"


@pytest.mark.parametrize(("name", "path"), modules("bot.store"), ids=lambda v: str(v))
def test_the_store_imports_only_models_the_standard_library_and_its_drivers(name, path):
    allowed_third_party = {"aiosqlite"}
    outside = {
        imported
        for imported in imports_of(path)
        if not imported.startswith(("bot.models", "bot.store"))
        and (own(imported) or top(imported) not in STDLIB | allowed_third_party)
        and imported != "__future__"
    }
    assert not outside, f"{name} imports {sorted(outside)}"


@pytest.mark.parametrize(("name", "path"), modules("bot.common"), ids=lambda v: str(v))
def test_common_helpers_import_only_models_and_each_other(name, path):
    outside = {
        imported
        for imported in imports_of(path)
        if own(imported) and not imported.startswith(("bot.models", "bot.common"))
    }
    assert not outside, f"{name} imports {sorted(outside)}"


@pytest.mark.parametrize(("name", "path"), modules("cogs"), ids=lambda v: str(v))
def test_a_cog_imports_no_other_cog(name, path):
    others = {i for i in imports_of(path) if top(i) == "cogs" and not i.startswith(name)}
    assert not others, f"{name} imports {sorted(others)}"


@pytest.mark.parametrize(("name", "path"), modules("bot"), ids=lambda v: str(v))
def test_the_bot_package_never_imports_a_cog(name, path):
    assert not {i for i in imports_of(path) if top(i) == "cogs"}, name


def test_importing_the_store_loads_no_parser_matcher_or_discord():
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, bot.store, bot.models.episode_views; "
            "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT,
    ).stdout.split()
    assert not {"rapidfuzz", "lxml", "discord", "aiohttp"} & set(loaded)
