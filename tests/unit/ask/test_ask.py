"""`episode-bot ask`: the real command handlers, offline, over a store imported from the
example feed, printed as text or as the exact payload Discord would receive."""

from __future__ import annotations

import json
import re
import sqlite3

import discord
import pytest
from discord import app_commands

from bot.app.cli import main
from bot.app.client import EXTENSIONS
from bot.app.settings import Settings
from bot.ask.offline import (
    AskError,
    AskResult,
    Request,
    _offline_bot,
    build_call,
    describe,
    limit_problems,
    run_command,
)
from bot.ingest.fetch import Fetcher
from bot.store import Store
from tests.support.paths import EXAMPLES

# Each test in an empty folder (no stray .env) with no settings set.
pytestmark = pytest.mark.usefixtures("clean_environment")

EXAMPLE_FEED = str(EXAMPLES / "feed.xml")
GUILD = "123456789012345678"


@pytest.fixture
def db(tmp_path, capsys) -> str:
    path = str(tmp_path / "store.db")
    assert main(["import", EXAMPLE_FEED, "--db", path, "--offline"]) == 0
    capsys.readouterr()
    return path


@pytest.fixture
def ask(db, capsys):
    """Run `episode-bot ask --db DB WORDS...`: (exit code, stdout, stderr)."""

    def run(*words: str) -> tuple[int, str, str]:
        code = main(["ask", "--db", db, *words])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


# ---------------------------------------------------------------- readable text


def test_latest_prints_the_newest_episodes_as_text(ask):
    code, out, _ = ask("/latest count:3")
    assert code == 0
    assert out.startswith("── reply (public) ──\n")
    assert "│ Latest 3 episodes" in out
    assert re.search(r"│ #30 .+ <https://\S+> · \d{4}-\d{2}-\d{2} · 59:48", out), out
    assert out.count("\n│ #") == 3


def test_episode_card_shows_fields_links_and_buttons(ask):
    code, out, _ = ask("/episode query:12")
    assert code == 0
    assert "Zoë Harlan-Miyata" in out
    assert "1:18:42" in out
    assert re.search(r"│   \d{4}-\d{2}-\d{2}", out)  # the <t:…:D> date, spelled out
    assert "Buttons: [📑 Chapters (9)] [🔗 Related]" in out or "Buttons: [📑 Chapters (10)]" in out
    assert "[🎧 Listen <https://" in out


def test_when_prints_moments_with_times_and_jump_links_and_the_page_count(ask):
    code, out, _ = ask('/when topic:"learning rates"')
    assert code == 0
    assert "When did they talk about “learning rates”?" in out
    assert re.search(r"\d+:\d{2} · chapter", out)
    assert re.search(r"▶ Play from \d+:\d{2}(:\d{2})? <https://\S+#t=\d+>", out)
    assert "**learning rate" in out.lower()
    assert re.search(r"\(page 1 of \d+; in Discord the member who asked turns the pages", out)


def test_words_may_also_come_as_separate_arguments(ask):
    code_one, out_one, _ = ask("/when topic:'learning rates'")
    code_two, out_two, _ = ask("/when", "topic:learning rates")
    assert code_one == code_two == 0
    assert out_one == out_two


def test_an_unknown_episode_is_an_ephemeral_not_found_and_exit_1(ask):
    code, out, _ = ask("/episode query:qqqqzzzzxxxx")
    assert code == 1
    assert out.startswith("── reply (ephemeral: only the member who asked sees it) ──")
    assert "couldn't find an episode matching “qqqqzzzzxxxx”" in out


def test_complete_prints_the_autocomplete_choices(ask):
    code, out, _ = ask("--complete", "/episode query:zoe")
    assert code == 0
    first, *choices = out.strip().splitlines()
    assert first.startswith("Autocomplete for query: ")
    assert 1 <= len(choices) <= 25
    assert any("Zoë" in choice for choice in choices)


def test_complete_of_a_number_offers_that_episode_first(ask):
    code, out, _ = ask("--complete", "/chapters episode:12")
    assert code == 0
    assert "#12" in out.splitlines()[1]


# ---------------------------------------------------------------- --json


def test_json_is_the_exact_interaction_response(ask):
    code, out, _ = ask("--json", "/episode query:12")
    assert code == 0
    (request,) = json.loads(out)
    assert request["request"] == "POST /interactions/1/console/callback"
    body = request["body"]
    assert body["type"] == 4  # CHANNEL_MESSAGE_WITH_SOURCE
    message = body["data"]
    assert message["allowed_mentions"] == {"parse": []}
    assert "flags" not in message  # public
    (embed,) = message["embeds"]
    assert embed["title"].startswith("Zoë Harlan-Miyata")  # "#12" is in its field
    buttons = [c for row in message["components"] for c in row["components"]]
    custom_ids = [b.get("custom_id") for b in buttons if "custom_id" in b]
    assert [c.split(":")[:2] for c in custom_ids] == [
        ["episode", "chapters"],
        ["episode", "related"],
    ]
    assert any(b.get("url", "").endswith(".mp3") for b in buttons)


def test_json_of_an_error_is_ephemeral(ask):
    code, out, _ = ask("--json", "/episode query:qqqqzzzzxxxx")
    assert code == 1
    (request,) = json.loads(out)
    assert request["body"]["data"]["flags"] == 64
    assert request["body"]["data"]["allowed_mentions"] == {"parse": []}


def test_json_of_autocomplete_is_the_choices_payload(ask):
    code, out, _ = ask("--json", "--complete", "/guest name:zo")
    assert code == 0
    (request,) = json.loads(out)
    assert request["body"]["type"] == 8
    choices = request["body"]["data"]["choices"]
    assert 1 <= len(choices) <= 25
    assert all(set(c) == {"name", "value"} for c in choices)


# ---------------------------------------------------------------- usage errors: exit 2


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["/nope"], "there is no command /nope"),
        (["/latest count:abc"], "count must be a whole number, not 'abc'"),
        (["/latest count:11"], "count must be between 1 and 10, not 11"),
        (["/latest count:0"], "count must be between 1 and 10, not 0"),
        # Echoed as typed, not as a float (`1e+20`).
        (
            ["/latest count:100000000000000000000"],
            "count must be between 1 and 10, not 100000000000000000000",
        ),
        (
            ["/latest count:-12345678901234567890"],
            "count must be between 1 and 10, not -12345678901234567890",
        ),
        (["/latest size:3"], "/latest has no option 'size' (its options: count)"),
        (["/latest count:1 count:2"], "option 'count' is given twice"),
        (["/when"], "/when needs topic"),
        (["/when topic:"], "topic needs a value"),
        (["/when learning"], "expected option:value, got 'learning'"),
        (["/when topic:'unbalanced"], "cannot read the command line"),
        (["/feed"], "/feed needs a subcommand"),
        (["/feed frobnicate"], "/feed has no subcommand 'frobnicate'"),
        (["/feed list"], "/feed list only works in a server: add --guild ID"),
        (["--complete", "/latest count:3"], "option 'count' of /latest has no autocomplete"),
        (["--complete", "/episode"], "--complete needs the option being typed"),
    ],
)
def test_usage_errors_are_one_clear_line_and_exit_2(ask, words, message):
    code, out, err = ask(*words)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert lines[-1].startswith("episode-bot ask: ")
    assert message in lines[-1]


def test_a_store_that_does_not_exist_is_a_usage_error_and_is_not_created(tmp_path, capsys):
    missing = tmp_path / "typo.db"
    assert main(["ask", "--db", str(missing), "/latest"]) == 2
    assert "there is no store at" in capsys.readouterr().err
    assert not missing.exists()


def test_subcommands_of_groups_run_in_a_guild(ask):
    code, out, err = ask("--guild", GUILD, "/feed list")
    assert "there is no command" not in err and "needs a subcommand" not in err
    assert out.startswith("── ")  # the /feed list handler answered
    assert code in (0, 1)


# ---------------------------------------------------------------- guild scope


def test_guild_feeds_are_visible_only_with_guild(ask, db, tmp_path, capsys):
    # A second feed followed by one guild only (as /feed add would leave it).
    private = tmp_path / "private.xml"
    private.write_text(
        EXAMPLES.joinpath("feed.xml")
        .read_text(encoding="utf-8")
        .replace("Warm Restarts", "Secret Show")
        .replace("https://example.com/", "https://secret.example.com/"),
        encoding="utf-8",
    )
    assert main(["import", str(private), "--db", db, "--offline"]) == 0
    capsys.readouterr()
    with sqlite3.connect(db) as connection:
        (feed_id,) = connection.execute(
            "SELECT id FROM feeds WHERE title LIKE 'Secret Show%'"
        ).fetchone()
        connection.execute("UPDATE feeds SET is_global = 0 WHERE id = ?", (feed_id,))
        connection.execute(
            "INSERT INTO guild_feeds (guild_id, feed_id, added_at) VALUES (?, ?, 0)",
            (int(GUILD), feed_id),
        )
    _, everywhere, _ = ask("/latest count:10")
    _, in_guild, _ = ask("--guild", GUILD, "/latest count:10")
    assert "Secret Show" not in everywhere
    assert "Secret Show" in in_guild


# ---------------------------------------------------------------- parsing against any tree


def small_tree() -> app_commands.CommandTree:
    """A tree with what the bot's own commands don't have yet: nested groups, choices."""
    tree = app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))
    outer = app_commands.Group(name="feed", description="Feeds")
    inner = app_commands.Group(name="tags", description="Tags", parent=outer)

    @inner.command(name="add", description="Add a tag")
    @app_commands.choices(
        colour=[
            app_commands.Choice(name="Warm red", value="red"),
            app_commands.Choice(name="Cool blue", value="blue"),
        ]
    )
    async def add(
        interaction: discord.Interaction,
        tag: str,
        colour: str = "red",
        weight: float = 1.0,
        loud: bool = False,
    ) -> None: ...

    tree.add_command(outer)
    return tree


def test_nested_groups_nest_the_options_as_discord_does():
    call = build_call(
        small_tree(),
        ["/feed", "tags", "add", "tag:x", "colour:Cool blue", "weight:2.5", "loud:yes"],
        guild_id=None,
    )
    assert call.data["name"] == "feed"
    assert call.data["options"] == [
        {
            "name": "tags",
            "type": 2,
            "options": [
                {
                    "name": "add",
                    "type": 1,
                    "options": [
                        {"name": "tag", "type": 3, "value": "x"},
                        {"name": "colour", "type": 3, "value": "blue"},  # chosen by its name
                        {"name": "weight", "type": 10, "value": 2.5},
                        {"name": "loud", "type": 5, "value": True},
                    ],
                },
            ],
        },
    ]


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("colour:green", "colour must be one of: Warm red, Cool blue"),
        ("weight:heavy", "weight must be a number, not 'heavy'"),
        ("weight:nan", "weight must be a number"),
        ("loud:maybe", "loud must be true or false, not 'maybe'"),
    ],
)
def test_values_discord_would_refuse_are_refused(token, message):
    with pytest.raises(AskError, match=re.escape(message)):
        build_call(small_tree(), ["/feed", "tags", "add", "tag:x", token], guild_id=None)


def test_messages_over_discord_limits_are_reported():
    too_long = Request(
        "POST",
        "/interactions/1/console/callback",
        {"type": 4, "data": {"content": "x" * 2001, "embeds": []}},
    )
    fine = Request(
        "POST",
        "/interactions/1/console/callback",
        {"type": 4, "data": {"content": "hi", "embeds": []}},
    )
    assert limit_problems(AskResult([fine])) == []
    assert limit_problems(AskResult([too_long])) == ["content has 2001 characters (limit 2000)"]


async def test_a_slow_private_answer_is_shown_after_its_deleted_thinking_message(db):
    # Slow work defers publicly; a private answer then deletes the "thinking…" message.
    async with await Store.open(db) as store, Fetcher() as fetcher:
        bot = _offline_bot(Settings(), store, fetcher)
        async with bot:
            for extension in EXTENSIONS:
                await bot.load_extension(extension)
            bot.get_cog("Search").defer_after = 0  # every answer is "slow"
            result = await run_command(bot, ["/when", "topic:zzqqxx"])
    assert [r.method for r in result.requests] == ["POST", "DELETE", "POST"]
    assert limit_problems(result) == []
    out = describe(result)
    assert "(the “thinking…” message is deleted, so the answer stays private)" in out
    assert "── follow-up (ephemeral: only the member who asked sees it) ──" in out
    assert "couldn't find a moment about “zzqqxx”" in out
