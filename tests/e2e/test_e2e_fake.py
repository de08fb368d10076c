"""The fake Discord itself: it must catch what real Discord would refuse, or the end-to-end
tests prove nothing. A tiny discord.py client in this process (the real library, talking
to the fake over loopback) does each wrong thing once; the fake must answer as Discord
does and record the violation.
"""

from __future__ import annotations

import asyncio

import discord
import pytest
from discord import app_commands

from tests.fakediscord import FakeDiscord, Perm, SchemaError, limits
from tests.fakediscord.mentions import pings
from tests.fakediscord.tinybot import TinyBot, point_discord_at, running


@pytest.fixture
async def fake(monkeypatch):
    async with FakeDiscord() as server:
        point_discord_at(server, monkeypatch)
        yield server


async def test_a_good_reply_arrives_whole_and_without_violations(fake):
    bot = TinyBot(fake)

    @bot.command("hello")
    async def hello(interaction: discord.Interaction, name: str) -> None:
        embed = discord.Embed(title="Hi", description=f"Hello {name}")
        await interaction.response.send_message(
            "hi", embed=embed, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )

    async with running(bot):
        handle = await fake.invoke("hello", name="Maren")
        message = await handle.reply()
    assert message.ephemeral and message.content == "hi"
    assert message.embeds[0]["description"] == "Hello Maren"
    assert fake.violations == []


async def test_the_fake_refuses_options_the_schema_does_not_have(fake):
    bot = TinyBot(fake)

    @bot.command("hello")
    async def hello(interaction: discord.Interaction, name: str) -> None: ...

    async with running(bot):
        with pytest.raises(SchemaError, match="no option 'nmae'"):
            await fake.invoke("hello", nmae="x")
        with pytest.raises(SchemaError, match="required"):
            await fake.invoke("hello")
        with pytest.raises(SchemaError, match="expects text"):
            await fake.invoke("hello", name=12)


@pytest.mark.parametrize(
    ("send", "expected"),
    [
        (dict(content="x" * 2001), "content: Must be 2000 or fewer in length."),
        (dict(embed=discord.Embed(title="t" * 257)), "data.embeds.0.title"),
        (
            dict(embeds=[discord.Embed(description="d" * 4000) for _ in range(2)]),
            "Embed size exceeds maximum size of 6000",
        ),
        (dict(content=""), "Cannot send an empty message"),
    ],
)
async def test_messages_over_discords_limits_are_refused_and_recorded(fake, send, expected):
    bot = TinyBot(fake)

    @bot.command("big")
    async def big(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(**send)

    async with running(bot):
        handle = await fake.invoke("big")
        await fake.wait_for(lambda: bot.errors, 5, "the send to fail")
    assert isinstance(bot.errors[0], discord.HTTPException)
    assert bot.errors[0].status == 400
    assert not handle.responded
    assert any(expected in violation for violation in fake.violations), fake.violations


async def test_too_many_autocomplete_choices_are_refused(fake):
    bot = TinyBot(fake)

    async def suggest(interaction: discord.Interaction, current: str):
        return [app_commands.Choice(name=f"n{i}", value=str(i)) for i in range(30)]

    @bot.command("pick")
    @app_commands.autocomplete(value=suggest)
    async def pick(interaction: discord.Interaction, value: str) -> None: ...

    async with running(bot):
        await fake.autocomplete("pick", "value", "n")
        await fake.wait_for(lambda: fake.violations, 5, "the violation")
    assert "data.choices: Must be 25 or fewer in length." in fake.violations[0]


async def test_buttons_duplicate_ids_and_long_labels_are_refused(fake):
    bot = TinyBot(fake)

    @bot.command("buttons")
    async def buttons(interaction: discord.Interaction) -> None:
        view = discord.ui.View()
        view.add_item(discord.ui.Button(label="a" * 81, custom_id="same"))
        view.add_item(discord.ui.Button(label="b", custom_id="same"))
        await interaction.response.send_message("pick", view=view)

    async with running(bot):
        await fake.invoke("buttons")
        await fake.wait_for(lambda: bot.errors, 5, "the send to fail")
    [violation] = fake.violations
    assert "Must be 80 or fewer in length" in violation
    assert "Component custom id cannot be duplicated" in violation


async def test_a_late_response_gets_10062_and_is_recorded(fake):
    fake.response_deadline = 0.2  # Discord's 3 s, shortened so the test stays quick
    bot = TinyBot(fake)

    @bot.command("slow")
    async def slow(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.3)
        await interaction.response.send_message("too late")

    async with running(bot):
        await fake.invoke("slow")
        await fake.wait_for(lambda: bot.errors, 5, "the send to fail")
    assert isinstance(bot.errors[0], discord.NotFound) and bot.errors[0].code == 10062
    assert any("no response within 0.2 s" in v for v in fake.violations)


async def test_an_ephemeral_follow_up_after_a_public_defer_is_public_and_recorded(fake):
    bot = TinyBot(fake)

    @bot.command("oops")
    async def oops(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await interaction.followup.send("only for you?", ephemeral=True)

    async with running(bot):
        handle = await fake.invoke("oops")
        message = await handle.reply()
    assert not message.ephemeral
    assert any("first follow-up after a public defer" in v for v in fake.violations)


async def test_deleting_the_thinking_message_frees_the_next_follow_up_to_be_ephemeral(fake):
    bot = TinyBot(fake)

    @bot.command("fine")
    async def fine(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await interaction.delete_original_response()
        await interaction.followup.send("only for you", ephemeral=True)

    async with running(bot):
        message = await (await fake.invoke("fine")).reply()
    assert message.ephemeral and message.content == "only for you"
    assert fake.violations == []


async def test_messages_that_could_ping_are_recorded_unless_they_ping_the_allowed_role(fake):
    channel = fake.text_channel
    role = fake.ping_role["id"]
    bot = TinyBot(fake)
    async with running(bot):
        target = bot.get_channel(int(channel["id"]))
        await target.send(
            f"<@&{role}> new episode",
            allowed_mentions=discord.AllowedMentions(roles=[discord.Object(int(role))]),
        )
        assert len(fake.violations) == 1  # no role is allowed yet
        fake.allow_ping(fake.ping_role)
        await target.send(
            f"<@&{role}> new episode",
            allowed_mentions=discord.AllowedMentions(roles=[discord.Object(int(role))]),
        )
        assert len(fake.violations) == 1
        await target.send("@everyone look", allowed_mentions=discord.AllowedMentions.all())
    assert len(fake.violations) == 2 and "@everyone" in fake.violations[1]


async def test_a_second_thread_on_a_message_is_refused_with_160004(fake):
    bot = TinyBot(fake)
    fake.set_bot_permissions(Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES | Perm.CREATE_PUBLIC_THREADS)
    async with running(bot):
        channel = bot.get_channel(int(fake.text_channel["id"]))
        message = await channel.send("episode 31")
        thread = await message.create_thread(name="Episode 31", auto_archive_duration=1440)
        assert thread.id == message.id
        with pytest.raises(discord.HTTPException) as raised:
            await message.create_thread(name="again")
    assert raised.value.code == 160004
    assert len(fake.threads) == 1
    assert any("second thread" in v for v in fake.violations)


async def test_a_thread_needs_the_create_public_threads_permission(fake):
    bot = TinyBot(fake)  # the default bot role: view, send, embed links; no threads
    async with running(bot):
        channel = bot.get_channel(int(fake.text_channel["id"]))
        message = await channel.send("episode 31")
        with pytest.raises(discord.Forbidden):
            await message.create_thread(name="Episode 31")
    assert any("CREATE_PUBLIC_THREADS" in v for v in fake.violations)


async def test_a_dropped_gateway_is_resumed_and_missed_events_are_replayed(fake):
    bot = TinyBot(fake)

    @bot.command("ping")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong")

    async with running(bot):
        await fake.drop_connection()
        handle = await fake.invoke("ping")  # sent while the bot is away: kept for RESUME
        await fake.wait_resumed()
        assert (await handle.reply()).content == "pong"
    assert fake.gateway_connections == ["/gateway", "/resume"]
    assert len(fake.identifies) == 1
    assert fake.violations == []


async def test_a_429_with_via_and_retry_after_is_retried_by_the_client(fake):
    bot = TinyBot(fake)

    @bot.command("ping")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong")

    async with running(bot):
        fake.inject_429("POST /interactions/*/callback", retry_after=0.05)
        handle = await fake.invoke("ping")
        assert (await handle.reply()).content == "pong"
    assert len(fake.rate_limited) == 1
    assert fake.violations == []


def test_invalid_commands_are_refused_at_sync():
    errors = limits.check_commands(
        [
            {"name": "Episode", "description": "x", "options": []},
            {"name": "ok", "description": "", "options": []},
            {
                "name": "opts",
                "description": "x",
                "options": [
                    {"name": "a", "description": "a", "type": 3},
                    {"name": "b", "description": "b", "type": 3, "required": True},
                ],
            },
            {
                "name": "many",
                "description": "x",
                "options": [
                    {
                        "name": "c",
                        "description": "c",
                        "type": 3,
                        "choices": [{"name": str(i), "value": str(i)} for i in range(26)],
                    }
                ],
            },
        ]
    )
    text = "\n".join(errors.messages())
    assert "0.name: Command name is invalid" in text
    assert "1.description: Must be between 1 and 100 in length." in text
    assert "2.options.1.required" in text
    assert "3.options.0.choices: Must be 25 or fewer in length." in text
    assert errors.body()["errors"]["0"]["name"]["_errors"][0]["code"] == (
        "APPLICATION_COMMAND_INVALID_NAME"
    )


def test_pings_follow_allowed_mentions():
    content = "@everyone <@123456789012345678> <@&223456789012345678>"
    assert pings(content, None) == [
        "@everyone",
        "user:123456789012345678",
        "role:223456789012345678",
    ]
    assert pings(content, {"parse": []}) == []
    assert pings(content, {"parse": [], "roles": ["223456789012345678"]}) == [
        "role:223456789012345678"
    ]


def button(custom_id: str = "b", **extra) -> dict:
    return {"type": 2, "style": 1, "label": "Go", "custom_id": custom_id, **extra}


def row(*children: dict) -> dict:
    return {"type": 1, "components": list(children)}


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            {"content": "x", "components": [row(button(f"b{i}")) for i in range(6)]},
            "components: Must be 5 or fewer",
        ),
        (
            {"content": "x", "components": [row(*[button(f"b{i}") for i in range(6)])]},
            "components.0.components: Must be 5 or fewer",
        ),
        (
            {"content": "x", "components": [row(button("c" * 101))]},
            "custom_id: Must be between 1 and 100",
        ),
        (
            {"content": "x", "components": [row(button(label="l" * 81))]},
            "label: Must be 80 or fewer",
        ),
        (
            {
                "content": "x",
                "components": [
                    row(
                        {
                            "type": 2,
                            "style": 5,
                            "label": "Listen",
                            "url": "https://e.org/" + "a" * 500,
                        }
                    )
                ],
            },
            "url: Must be 512 or fewer",
        ),
        (
            {
                "content": "x",
                "components": [
                    row(
                        button("a"),
                        {"type": 3, "custom_id": "s", "options": [{"label": "a", "value": "a"}]},
                    )
                ],
            },
            "maximum width",
        ),
        (
            {"embeds": [{"fields": [{"name": "n", "value": ""}]}]},
            "embeds.0.fields.0.value: This field is required",
        ),
        (
            {"embeds": [{"description": "d", "footer": {"text": ""}}]},
            "embeds.0.footer.text: This field is required",
        ),
        ({"embeds": [{"title": "t"}] * 11}, "embeds: Must be 10 or fewer"),
        (
            {"content": "x", "allowed_mentions": {"parse": ["roles"], "roles": ["1"]}},
            "mutually exclusive",
        ),
    ],
)
def test_message_limits(message, expected):
    errors = limits.check_message(message)
    assert any(expected in line for line in errors.messages()), errors.messages()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"name": ""}, "name: Must be between 1 and 100"),
        ({"name": "n" * 101}, "name: Must be between 1 and 100"),
        (
            {"name": "ok", "auto_archive_duration": 30},
            "auto_archive_duration: Value must be one of",
        ),
    ],
)
def test_thread_limits(body, expected):
    assert any(expected in line for line in limits.check_thread(body).messages())


def test_a_valid_message_and_thread_pass():
    good = {
        "content": "x" * 2000,
        "embeds": [{"title": "t" * 256, "description": "d" * 4096, "footer": {"text": "f"}}],
        "components": [
            row(button("a"), {"type": 2, "style": 5, "label": "Listen", "url": "https://e.org/a"})
        ],
        "allowed_mentions": {"parse": []},
    }
    assert not limits.check_message(good)
    assert not limits.check_thread({"name": "n" * 100, "auto_archive_duration": 10080})
