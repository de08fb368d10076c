"""`episode-bot ask --message TEXT 'Find moment'` and saved moments in `episode-bot export`."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.app.cli import main
from bot.store import Store
from tests.support.paths import EXAMPLES

pytestmark = pytest.mark.usefixtures("clean_environment")


@pytest.fixture
def db(tmp_path, capsys) -> str:
    path = str(tmp_path / "store.db")
    assert main(["import", str(EXAMPLES / "feed.xml"), "--db", path, "--transcripts"]) == 0
    capsys.readouterr()
    return path


def test_ask_runs_find_moment_on_a_message_offline(db, capsys):
    text = "at 17:10 and 30:08 in ep 12 they… (not at 5:30pm)"
    assert main(["ask", "--db", db, "--message", text, "Find moment"]) == 0
    out = capsys.readouterr().out
    assert "(ephemeral: only the member who asked sees it)" in out
    assert "17:10 · #12 · " in out and "30:08 · #12 · " in out and "5:30" not in out
    assert "Zoë Harlan-Miyata:** At initialisation" in out
    assert "[⭐ Save 17:10] [⭐ Save 30:08] [📣 Share]" in out


def test_ask_json_sends_the_exact_payload_with_no_mentions(db, capsys):
    assert main(["ask", "--db", db, "--json", "--message", "ep 12 at 1:00", "Find moment"]) == 0
    (request,) = json.loads(capsys.readouterr().out)
    message = request["body"]["data"]
    assert message["allowed_mentions"] == {"parse": []}
    assert message["embeds"][0]["url"].endswith("#t=60")


def test_ask_names_the_message_commands_when_one_is_unknown(db, capsys):
    assert main(["ask", "--db", db, "--message", "x", "Nope"]) == 2
    assert "'Find moment'" in capsys.readouterr().err


def test_export_lists_saved_moments_as_their_own_object_type_after_the_episodes(db, capsys):
    async def save() -> None:
        async with await Store.open(db) as store:
            (row,) = await store.fetchall("SELECT id FROM episodes WHERE number = 12")
            await store.save_moment(42, 7, row["id"], 1030, "the CLT bit")

    asyncio.run(save())
    assert main(["export", "--db", db]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert all("type" not in line for line in lines[:-1])
    assert lines[-1] == {
        "type": "saved_moment",
        "feed": lines[0]["feed"],
        "guid": next(e["guid"] for e in lines if e.get("number") == 12),
        "guild_id": 42,
        "user_id": 7,
        "seconds": 1030,
        "note": "the CLT bit",
        "saved_at": lines[-1]["saved_at"],
    }
