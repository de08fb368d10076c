"""/moment, "Find moment", ⭐ Save, /saved and /top moments as a member sees them.

Real cog callbacks with specced fakes over a real store: the example show imported with
its transcripts (episode 12 has JSON chapters and a JSON transcript with speakers;
episode 11 has a notes sentence "At 12:30 in, …" and no chapters).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest.mock import create_autospec

import discord
import pytest
from discord import app_commands

from bot.app.settings import Settings
from bot.ingest.fetch import Fetcher
from bot.ingest.importer import Importer
from bot.store import Store
from bot.transcripts.transcript_sync import TranscriptSync
from bot.ui import moment_cards as cards
from bot.ui.views import Paginator
from tests.support.catalogues import copy_store
from tests.support.cog_calls import (
    AUDIO,
    HOSTILE_INPUTS,
    RecordingBot,
    assert_acceptable,
    autocomplete,
    episode_id,
    invoke,
    member,
    press,
)
from tests.support.fake_channels import ChannelWorld, http_error
from tests.support.fake_interactions import (
    GUILD_ID,
    MEMBER_ID,
    OTHER_MEMBER_ID,
    FakeInteraction,
    Sent,
)
from tests.support.paths import EXAMPLES

COGS = ("cogs.episodes", "cogs.search", "cogs.moments")


async def _build(path: Path) -> None:
    async with await Store.open(path) as store, Fetcher() as fetcher:
        summary = await Importer(store, fetcher, remote_files=False).import_source(
            str(EXAMPLES / "feed.xml")
        )
        await TranscriptSync(store, fetcher, remote_files=False).sync_feed(summary.feed_id)


@pytest.fixture(scope="module")
def moments_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("moments") / "example.db"
    asyncio.run(_build(path))
    return path


@pytest.fixture
async def store(moments_db: Path, tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(copy_store(moments_db, tmp_path))
    yield opened
    await opened.close()


async def _bot(store: Store) -> RecordingBot:
    fetcher = Fetcher()
    bot = RecordingBot(
        settings=Settings(), store=store, fetcher=fetcher, importer=Importer(store, fetcher)
    )
    for extension in COGS:
        await bot.load_extension(extension)
    return bot


@pytest.fixture
async def bot(store: Store) -> RecordingBot:
    return await _bot(store)


# ---------------------------------------------------------------- helpers


def the_message(
    content: str,
    *,
    channel_id: int = 777,
    replied: str | None = None,
) -> Any:
    """A specced message as a message command receives it."""
    message = create_autospec(discord.Message, instance=True)
    message.content = content
    message.channel = SimpleNamespace(id=channel_id)
    if replied is None:
        message.reference = None
    else:
        original = create_autospec(discord.Message, instance=True)
        original.content = replied
        message.reference = SimpleNamespace(resolved=original)
    return message


async def find(bot: RecordingBot, fake: FakeInteraction, message: Any) -> Sent:
    menu = bot.tree.get_command("Find moment", type=discord.AppCommandType.message)
    assert isinstance(menu, app_commands.ContextMenu)
    fake.interaction.command = menu
    try:
        await menu.callback(fake.interaction, message)  # type: ignore[call-arg]
    except app_commands.AppCommandError as error:
        await bot.tree.on_error(fake.interaction, error)
    messages = fake.messages()
    assert len(messages) == 1
    assert_acceptable(messages[0])
    return messages[0]


def custom_ids(sent: Sent) -> list[str]:
    assert sent.view is not None
    ids = []
    for child in sent.view.children:
        item = child.item if isinstance(child, discord.ui.DynamicItem) else child
        if isinstance(item, discord.ui.Button | discord.ui.Select) and item.custom_id:
            ids.append(item.custom_id)
    return ids


async def press_dynamic(bot: RecordingBot, custom_id: str, fake: FakeInteraction) -> Sent:
    """Press a persistent item as a restarted bot would: rebuilt from its custom_id."""
    for cls in bot.registered_dynamic_items:
        match = cls.__discord_ui_compiled_template__.fullmatch(custom_id)
        if match:
            item = await cls.from_custom_id(fake.interaction, None, match)
            await item.callback(fake.interaction)
            messages = fake.messages()
            assert messages, custom_id
            assert_acceptable(messages[-1])
            return messages[-1]
    raise AssertionError(f"no dynamic item for {custom_id}")


# ---------------------------------------------------------------- /moment


async def test_a_moment_card_names_the_chapter_the_speaker_and_links_to_the_second(bot):
    sent = await invoke(bot, "moment", member(bot), episode="12", time="17:10", note=None)
    assert not sent.ephemeral
    card = sent.embeds[0]
    assert card.title.startswith("17:10 · #12 · Zoë Harlan-Miyata")
    assert "in *The infinite-width limit*, 0:08 into the chapter" in card.description
    assert "> **Zoë Harlan-Miyata:** At initialisation" in card.description
    assert card.url == AUDIO.format(12) + "#t=1030"
    assert f"[▶ Play from 17:10]({AUDIO.format(12)}#t=1030)" in card.description
    assert custom_ids(sent) == [f"moment:save:{await episode_id(bot, '12')}:1030"]


@pytest.mark.parametrize(
    ("typed", "seconds"),
    [("34:10", 2050), ("1:02:03", 3723), ("34m10s", 2050), ("2040", 2040), ("1h2m", 3720)],
)
async def test_every_way_of_writing_a_time_lands_on_the_same_second(bot, typed, seconds):
    sent = await invoke(bot, "moment", member(bot), episode="12", time=typed, note=None)
    assert sent.embeds[0].url == AUDIO.format(12) + f"#t={seconds}"


async def test_without_a_transcript_the_card_quotes_the_notes_sentence_naming_the_time(bot):
    sent = await invoke(bot, "moment", member(bot), episode="11", time="12:30", note=None)
    description = sent.embeds[0].description
    assert "> At 12:30 in, she explains why a few stickers" in description
    assert "from the show notes" in description


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("-5:00", "before the episode starts"),
        ("2:00:00", "is only 1:18:42 long"),
        ("soon", "can't read"),
        ("99:99", "can't read"),
    ],
)
async def test_a_time_before_the_start_or_past_the_end_is_explained_privately(bot, typed, says):
    sent = await invoke(bot, "moment", member(bot), episode="12", time=typed, note=None)
    assert sent.ephemeral and not sent.embeds
    assert says in sent.content


async def test_the_member_note_is_shown_literally_and_cut_to_fit(bot):
    note = "@everyone <@&123> **so** good " + "word " * 200
    sent = await invoke(bot, "moment", member(bot), episode="12", time="5:00", note=note)
    field = sent.embeds[0].fields[0]
    assert field.name == "Note"
    assert "@\u200beveryone" in field.value and "\\<@&123>" in field.value
    assert "\\*\\*so\\*\\*" in field.value
    assert len(field.value) <= cards.NOTE_LIMIT and field.value.endswith("…")


async def test_an_unknown_episode_is_a_private_not_found(bot):
    sent = await invoke(bot, "moment", member(bot), episode="zzzz qqqq", time="1:00", note=None)
    assert sent.ephemeral and not sent.embeds


async def test_time_autocomplete_offers_the_chosen_episodes_chapter_starts(bot):
    fake = member(bot)
    fake.interaction.namespace = SimpleNamespace(episode="12")
    command = bot.tree.get_command("moment")
    choices = await command._params["time"].autocomplete(command.binding, fake.interaction, "")
    assert [c.value for c in choices[:3]] == ["0:00", "1:02", "6:54"]
    assert choices[3].name == "17:01 · The infinite-width limit"
    typed = await command._params["time"].autocomplete(command.binding, fake.interaction, "34m")
    assert typed[0].value == "34:00"


async def test_episode_autocomplete_works_for_moment(bot):
    choices = await autocomplete(bot, "moment", "episode", "infinitely")
    assert choices and "Infinitely" in choices[0].name


# ---------------------------------------------------------------- Find moment


async def test_find_moment_reads_every_time_and_the_episode_named_in_the_text(bot):
    message = the_message("at 17:10 she says it, and again around 30:00 in ep 12 (see 5:30pm)")
    sent = await find(bot, member(bot), message)
    assert sent.ephemeral
    assert [e.url.rsplit("=", 1)[1] for e in sent.embeds] == ["1030", "1800"]
    ep = await episode_id(bot, "12")
    assert custom_ids(sent) == [
        f"moment:save:{ep}:1030",
        f"moment:save:{ep}:1800",
        f"moment:share:{ep}:1030,1800",
    ]


async def test_find_moment_takes_the_episode_from_its_discussion_thread(bot, store):
    ep = await episode_id(bot, "12")
    await store.register_discussion_thread(GUILD_ID, ep, 9001)
    sent = await find(bot, member(bot), the_message("the bit at 17:10!", channel_id=9001))
    assert sent.embeds[0].title.startswith("17:10 · #12")


async def test_find_moment_takes_the_episode_from_a_quoted_title(bot):
    message = the_message('in "Infinitely Wide Neural Networks" at 17:10 she explains')
    sent = await find(bot, member(bot), message)
    assert sent.embeds[0].title.startswith("17:10 · #12")


async def test_find_moment_takes_the_episode_from_the_replied_to_message(bot):
    message = the_message("yes, 17:10 is the best bit", replied="anyone listened to #12 yet?")
    sent = await find(bot, member(bot), message)
    assert sent.embeds[0].title.startswith("17:10 · #12")


async def test_find_moment_ignores_times_in_links_code_quotes_and_clocks(bot):
    text = (
        "> at 17:10 the bot said\n`12:00` and ```\n3:00\n``` "
        "https://example.com/x?t=14:00 see you at 5:30pm on March 3 at 19:00"
    )
    sent = await find(bot, member(bot), the_message(text + " #12"))
    assert sent.ephemeral and not sent.embeds
    assert "found no time" in sent.content


async def test_when_the_episode_is_unknown_find_moment_offers_the_latest_to_pick(bot):
    fake = member(bot)
    sent = await find(bot, fake, the_message("the bit at 17:10 is wild"))
    assert sent.ephemeral and "not which episode" in sent.content
    assert custom_ids(sent) == ["moment:pick:1030"]
    picker = sent.view.children[0]
    assert picker.item.options[0].label.startswith("#30")
    # Picking episode 12 shows its card in place.
    ep = await episode_id(bot, "12")
    presser = member(bot)
    chosen = await cards.EpisodePicker.from_custom_id(presser.interaction, None, {"times": "1030"})
    chosen.item._values = [str(ep)]  # what discord.py's _refresh_state fills in
    await chosen.callback(presser.interaction)
    edited = presser.messages()[-1]
    assert edited.kind == "edit" and edited.embeds[0].title.startswith("17:10 · #12")


async def test_share_posts_the_cards_publicly(bot):
    ep = await episode_id(bot, "12")
    sent = await press_dynamic(bot, f"moment:share:{ep}:1030,1800", member(bot))
    assert not sent.ephemeral and len(sent.embeds) == 2
    assert "shared by member" in sent.embeds[0].footer.text
    assert "moment:share" not in " ".join(custom_ids(sent))


async def test_a_shared_card_shows_the_sharers_name_without_control_characters(bot):
    ep = await episode_id(bot, "12")
    sharer = member(bot)
    sharer.interaction.user.display_name = "mem\u202eber\x07"
    sent = await press_dynamic(bot, f"moment:share:{ep}:1030", sharer)
    assert sent.embeds[0].footer.text.endswith("shared by member")


# ---------------------------------------------------------------- Save, /saved, /top moments


async def test_save_works_from_a_rebuilt_button_and_saving_twice_saves_once(bot, store):
    ep = await episode_id(bot, "12")
    fake = member(bot)
    fake.interaction.message = None
    first = await press_dynamic(bot, f"moment:save:{ep}:1030", fake)
    assert first.ephemeral and "Saved `17:10`" in first.content
    again = await press_dynamic(bot, f"moment:save:{ep}:1030", fake)
    assert "already saved" in again.content
    assert len(await store.saved_moments(GUILD_ID, fake.interaction.user.id)) == 1


async def test_save_reads_no_transcript_and_refuses_a_second_past_the_end(bot, store, monkeypatch):
    async def no_context(*_: Any) -> Any:
        raise AssertionError("a Save press needs no moment context")

    monkeypatch.setattr(store, "moment_context", no_context)
    ep = await episode_id(bot, "12")
    fake = member(bot)
    fake.interaction.message = None
    said = await press_dynamic(bot, f"moment:save:{ep}:1030", fake)
    assert said.ephemeral and "Saved `17:10`" in said.content
    past = await press_dynamic(bot, f"moment:save:{ep}:9999999", fake)
    assert past.ephemeral and "Saved" not in past.content and "Sorry" not in past.content
    assert len(await store.saved_moments(GUILD_ID, fake.interaction.user.id)) == 1


async def test_save_survives_a_restart(store, moments_db):
    first = await _bot(store)
    ep = await episode_id(first, "12")
    fake = member(first)
    fake.interaction.message = None
    await press_dynamic(first, f"moment:save:{ep}:1030", fake)
    await first.close()
    second = await _bot(store)
    listed = await invoke(second, "saved", member(second))
    assert "▶ 17:10" in listed.embeds[0].description


async def test_saved_lists_only_your_own_privately_and_remove_takes_one_out(bot, store):
    ep = await episode_id(bot, "12")
    for seconds in (60, 120, 180, 240, 300, 360):
        await store.save_moment(GUILD_ID, 222222222222222222, ep, seconds, None)
    await store.save_moment(GUILD_ID, OTHER_MEMBER_ID, ep, 999, None)
    fake = member(bot)
    sent = await invoke(bot, "saved", fake)
    assert sent.ephemeral
    assert "▶ 6:00" in sent.embeds[0].description and "16:39" not in sent.embeds[0].description
    assert "Page 1/2" in sent.embeds[0].footer.text
    view = sent.view
    remove = view.children[0]
    assert remove.label == "Remove 1 (6:00)"
    assert remove.custom_id == f"moment:unsave:{ep}:360"
    presser = member(bot)
    presser.interaction.message = saved_message(sent, owner=MEMBER_ID)
    said = await press_dynamic(bot, remove.custom_id, presser)
    assert said.ephemeral and "Removed `6:00`" in said.content
    (redrawn,) = [s for s in presser.messages() if s.kind == "edit"]
    assert "6:00" not in redrawn.embeds[0].description
    assert "▶ 5:00" in redrawn.embeds[0].description
    assert len(await store.saved_moments(GUILD_ID, fake.interaction.user.id)) == 5


async def test_saved_pages_turn_after_a_restart_and_only_for_their_owner(store, moments_db):
    first = await _bot(store)
    ep = await episode_id(first, "12")
    for seconds in (60, 120, 180, 240, 300, 360):
        await store.save_moment(GUILD_ID, MEMBER_ID, ep, seconds, None)
    sent = await invoke(first, "saved", member(first))
    turners = [c for c in sent.view.children if "moment:saved:" in (c.custom_id or "")]
    assert [(t.label, t.disabled) for t in turners] == [("◀ Previous", True), ("Next ▶", False)]
    await first.close()
    second = await _bot(store)
    presser = member(second)
    presser.interaction.message = saved_message(sent, owner=MEMBER_ID)
    await press_dynamic(second, turners[1].custom_id, presser)
    (page2,) = [s for s in presser.messages() if s.kind == "edit"]
    assert "Page 2/2" in page2.embeds[0].footer.text and "▶ 1:00" in page2.embeds[0].description
    other = member(second, user_id=OTHER_MEMBER_ID)
    other.interaction.message = saved_message(sent, owner=MEMBER_ID)
    said = await press_dynamic(second, turners[1].custom_id, other)
    assert said.ephemeral and "/saved" in said.content
    assert not [s for s in other.messages() if s.kind == "edit"]


def saved_message(sent: Sent, *, owner: int) -> Any:
    """The /saved message as a button press carries it: its page, and whose answer it is."""
    message = create_autospec(discord.Message, instance=True)
    message.embeds = sent.embeds
    message.interaction_metadata = SimpleNamespace(user=SimpleNamespace(id=owner))
    return message


async def test_remove_works_from_a_rebuilt_button_and_removing_twice_removes_once(bot, store):
    ep = await episode_id(bot, "12")
    await store.save_moment(GUILD_ID, MEMBER_ID, ep, 1030, None)
    await store.save_moment(GUILD_ID, MEMBER_ID, ep, 60, None)
    fake = member(bot)
    fake.interaction.message = None  # e.g. the /saved message is gone: answer, no redraw
    first = await press_dynamic(bot, f"moment:unsave:{ep}:1030", fake)
    assert first.ephemeral and "Removed `17:10` in #12" in first.content
    assert "/saved" in first.content  # no message to redraw: how to see the rest
    again = await press_dynamic(bot, f"moment:unsave:{ep}:1030", fake)
    assert again.ephemeral and "not in your saved list" in again.content
    assert [m.seconds for m in await store.saved_moments(GUILD_ID, MEMBER_ID)] == [60]


async def test_removing_the_last_one_redraws_the_saved_message_as_empty(bot, store):
    ep = await episode_id(bot, "12")
    await store.save_moment(GUILD_ID, MEMBER_ID, ep, 1030, None)
    sent = await invoke(bot, "saved", member(bot))
    fake = member(bot)
    fake.interaction.message = saved_message(sent, owner=MEMBER_ID)
    said = await press_dynamic(bot, f"moment:unsave:{ep}:1030", fake)
    assert "Removed `17:10`" in said.content
    (redrawn,) = [s for s in fake.messages() if s.kind == "edit"]
    assert "⭐ Save" in redrawn.content and redrawn.view is None


async def test_another_member_pressing_remove_removes_nothing_of_the_owners(bot, store):
    ep = await episode_id(bot, "12")
    await store.save_moment(GUILD_ID, MEMBER_ID, ep, 1030, None)
    sent = await invoke(bot, "saved", member(bot))
    (custom_id,) = custom_ids(sent)
    other = member(bot, OTHER_MEMBER_ID)
    other.interaction.message = saved_message(sent, owner=MEMBER_ID)
    said = await press_dynamic(bot, custom_id, other)
    assert said.ephemeral and "not in your saved list" in said.content
    assert [s.kind for s in other.messages()] == ["send"]  # the owner's message is untouched
    assert [m.seconds for m in await store.saved_moments(GUILD_ID, MEMBER_ID)] == [1030]
    # Their own moment at that second is theirs to remove; the owner's stays.
    await store.save_moment(GUILD_ID, OTHER_MEMBER_ID, ep, 1030, None)
    other = member(bot, OTHER_MEMBER_ID)
    other.interaction.message = saved_message(sent, owner=MEMBER_ID)
    said = await press_dynamic(bot, custom_id, other)
    assert "Removed `17:10`" in said.content
    assert [s.kind for s in other.messages()] == ["send"]
    assert await store.saved_moments(GUILD_ID, OTHER_MEMBER_ID) == []
    assert [m.seconds for m in await store.saved_moments(GUILD_ID, MEMBER_ID)] == [1030]


async def test_remove_survives_a_restart(store, moments_db):
    first = await _bot(store)
    ep = await episode_id(first, "12")
    await store.save_moment(GUILD_ID, MEMBER_ID, ep, 1030, None)
    sent = await invoke(first, "saved", member(first))
    (custom_id,) = custom_ids(sent)
    await first.close()
    second = await _bot(store)
    said = await press_dynamic(second, custom_id, member(second))
    assert "Removed `17:10`" in said.content
    assert await store.saved_moments(GUILD_ID, MEMBER_ID) == []


async def test_saved_with_nothing_saved_says_how(bot):
    sent = await invoke(bot, "saved", member(bot))
    assert sent.ephemeral and "⭐ Save" in sent.content


async def test_top_moments_ranks_the_servers_most_saved(bot, store):
    ep12, ep11 = await episode_id(bot, "12"), await episode_id(bot, "11")
    for user in (1, 2, 3):
        await bot.get_cog("Moments").moments.save(GUILD_ID, user, ep12, 1030, None)
    await bot.get_cog("Moments").moments.save(GUILD_ID, 1, ep11, 750, None)
    await store.save_moment(999, 1, ep11, 60, None)  # another server's
    group = bot.tree.get_command("top")
    command = group.get_command("moments")
    fake = member(bot)
    fake.interaction.command = command
    await command.callback(command.binding, fake.interaction, episode=None)
    sent = fake.messages()[0]
    assert_acceptable(sent)
    lines = sent.embeds[0].description.split("\n")
    assert lines[0].startswith("1. ⭐ 3 · [▶ 17:10]") and "#12" in lines[0]
    assert lines[1].startswith("2. ⭐ 1 · [▶ 12:30]") and len(lines) == 2


async def test_top_moments_is_cached_until_a_save(bot, store):
    moments = bot.get_cog("Moments").moments
    ep = await episode_id(bot, "12")
    await moments.save(GUILD_ID, 1, ep, 1030, None)
    assert [t.saves for t in await moments.top(GUILD_ID)] == [1]
    await store.save_moment(GUILD_ID, 2, ep, 1030, None)  # behind the cache's back
    assert [t.saves for t in await moments.top(GUILD_ID)] == [1]
    await moments.save(GUILD_ID, 3, ep, 1030, None)
    assert [t.saves for t in await moments.top(GUILD_ID)] == [3]


# ---------------------------------------------------------------- /discuss


@pytest.fixture
def world() -> ChannelWorld:
    return ChannelWorld()


async def discuss(bot: RecordingBot, world: ChannelWorld, episode: str, *, here: Any = None):
    cog = bot.get_cog("Moments")
    cog.resolve_channel = world.resolve
    fake = member(bot)
    fake.interaction.channel = here
    fake.interaction.guild_id = GUILD_ID
    return await invoke(bot, "discuss", fake, episode=episode)


async def test_discuss_opens_the_thread_in_the_announce_channel_with_card_and_chapters(
    bot, store, world
):
    channel = world.text_channel()
    await store.set_announce_channel(GUILD_ID, channel.id, role_id=None, thread=True, user_id=1)
    sent = await discuss(bot, world, "12")
    (thread_id,) = world.threads
    assert not sent.ephemeral
    assert sent.content.startswith("💬 I opened the discussion of #12 · Zoë")
    assert sent.content.endswith(f"<#{thread_id}>")
    (post,) = world.posted
    assert post.channel_id == channel.id and post.kwargs["allowed_mentions"].to_dict() == {
        "parse": []
    }
    titles = [embed.title for embed in post.kwargs["embeds"]]
    assert titles[0].startswith("Zoë Harlan-Miyata") and titles[1].startswith("Chapters · #12")
    assert world.thread_names[thread_id].startswith("#12 · Zoë Harlan-Miyata")
    # The thread is now the episode's: "Find moment" in it needs no episode number.
    found = await find(bot, member(bot), the_message("17:10!", channel_id=thread_id))
    assert found.embeds[0].title.startswith("17:10 · #12")


async def test_discuss_opens_a_post_when_the_announce_channel_is_a_forum(bot, store, world):
    forum = world.forum_channel()
    await store.set_announce_channel(GUILD_ID, forum.id, role_id=None, thread=True, user_id=1)
    sent = await discuss(bot, world, "12")
    (thread_id,) = world.threads
    assert forum.create_thread.await_count == 1
    assert sent.content.endswith(f"<#{thread_id}>")


async def test_discuss_finds_the_thread_again_rather_than_opening_another(bot, world):
    here = world.text_channel()
    first = await discuss(bot, world, "12", here=here)
    again = await discuss(bot, world, "#12", here=here)
    assert len(world.threads) == 1
    assert "I opened" in first.content and "is here" in again.content


async def test_two_members_asking_at_once_get_one_thread(bot, world):
    here = world.text_channel()
    await asyncio.gather(discuss(bot, world, "12", here=here), discuss(bot, world, "12", here=here))
    assert len(world.threads) == 1


async def test_discuss_keeps_no_lock_once_answered(bot, world):
    # A bot that runs for years must not keep a lock per episode and server ever asked.
    here = world.text_channel()
    await asyncio.gather(discuss(bot, world, "12", here=here), discuss(bot, world, "12", here=here))
    await discuss(bot, world, "#12", here=here)
    assert len(bot.get_cog("Moments")._thread_locks) == 0


async def test_a_deleted_thread_is_replaced(bot, world):
    here = world.text_channel()
    await discuss(bot, world, "12", here=here)
    (old,) = world.threads
    world.deleted.add(old)
    sent = await discuss(bot, world, "12", here=here)
    assert "I opened" in sent.content and len(world.threads) == 2
    assert not sent.content.endswith(f"<#{old}>")


async def test_discuss_outside_a_text_or_forum_channel_says_where_it_can(bot, world):
    sent = await discuss(bot, world, "12", here=None)
    assert sent.ephemeral and "text or forum channel" in sent.content


async def test_the_announcement_thread_is_the_episodes_discussion_thread(bot, store, world):
    ep = await episode_id(bot, "12")
    thread = world._thread(4242, "#12 · announced")
    async with store.transaction() as db:
        await db.execute(
            """INSERT INTO deliveries (episode_id, guild_id, state, thread_id, created_at)
               VALUES (?, ?, 'sent', ?, 0)""",
            (ep, GUILD_ID, thread.id),
        )
    sent = await discuss(bot, world, "12", here=world.text_channel())
    assert "is here" in sent.content and sent.content.endswith("<#4242>")
    assert not world.posted
    found = await find(bot, member(bot), the_message("at 17:10", channel_id=4242))
    assert found.embeds[0].title.startswith("17:10 · #12")


# ---------------------------------------------------------------- hostile and odd input


async def test_saving_a_card_keeps_the_members_note_as_typed(bot, store):
    note = "@everyone **wow** at_this"
    card = await invoke(bot, "moment", member(bot), episode="12", time="17:10", note=note)
    fake = member(bot, user_id=OTHER_MEMBER_ID)
    message = create_autospec(discord.Message, instance=True)
    message.embeds = card.embeds
    fake.interaction.message = message
    await press_dynamic(bot, custom_ids(card)[0], fake)
    (saved,) = await store.saved_moments(GUILD_ID, OTHER_MEMBER_ID)
    assert saved.note == note


async def test_a_crafted_save_past_the_end_is_explained_not_an_apology(bot):
    ep = await episode_id(bot, "12")
    fake = member(bot)
    fake.interaction.message = None
    sent = await press_dynamic(bot, f"moment:save:{ep}:99999", fake)
    assert sent.ephemeral and "past its end" in sent.content


@pytest.mark.parametrize("text", HOSTILE_INPUTS)
async def test_hostile_times_get_an_answer_never_an_exception(bot, text):
    sent = await invoke(bot, "moment", member(bot), episode="12", time=text, note=text)
    assert sent.ephemeral or sent.embeds


@pytest.mark.parametrize("text", HOSTILE_INPUTS)
async def test_hostile_messages_get_an_answer_never_an_exception(bot, text):
    sent = await find(bot, member(bot), the_message(f"{text} at 1:00 {text}", replied=text))
    assert sent.ephemeral


async def test_an_unknown_episode_number_offers_the_nearest_ones_each_once(bot):
    sent = await find(bot, member(bot), the_message("at 3:00 in ep 99"))
    assert "not which episode" in sent.content
    labels = [o.label for o in sent.view.children[0].item.options]
    assert labels[0].startswith("#30") and len(labels) == len(set(labels)) == 5


# ---------------------------------------------------------------- ⭐ Save on /when pages


def save_ids(sent: Sent) -> list[str]:
    return [i for i in custom_ids(sent) if i.startswith("moment:save:")]


async def test_every_timed_moment_on_a_when_page_has_a_save_button(bot):
    sent = await invoke(bot, "when", member(bot), topic="learning rate")
    view = sent.view
    assert isinstance(view, Paginator) and len(view.pages) >= 2
    first = save_ids(sent)
    assert 1 <= len(first) <= 5 and len(set(first)) == len(first)
    rows = view.to_components()
    assert len(rows) <= 5 and all(len(row["components"]) <= 5 for row in rows)
    assert rows[0]["components"][0]["label"].startswith("Save ")  # a row of Saves, then pages
    assert [c["label"] for c in rows[-1]["components"]][1:] == [f"1/{len(view.pages)}", "Next ▶"]
    # Turning the page shows that page's moments' Save buttons instead.
    turn = member(bot)
    await press(view, view.next_page, turn)
    second = save_ids(turn.last)
    assert second and not set(second) & set(first)
    assert turn.last.embeds[0].footer.text.startswith("Page 2/")


async def test_saving_from_when_saves_once_and_saved_lists_it(bot, store):
    sent = await invoke(bot, "when", member(bot), topic="learning rate")
    custom_id = save_ids(sent)[0]
    _, _, ep, seconds = custom_id.split(":")
    (button,) = [c for c in sent.view.children if getattr(c, "custom_id", None) == custom_id]
    stamp = button.label.removeprefix("Save ").split(" · ")[0]
    saver = member(bot, user_id=OTHER_MEMBER_ID)  # anyone may save, not only the asker
    saver.interaction.message = None
    first = await press_dynamic(bot, custom_id, saver)
    assert first.ephemeral and f"Saved `{stamp}`" in first.content
    again = await press_dynamic(bot, custom_id, saver)
    assert "already saved" in again.content
    assert [
        (s.episode_id, s.seconds) for s in await store.saved_moments(GUILD_ID, OTHER_MEMBER_ID)
    ] == [(int(ep), int(seconds))]
    listed = await invoke(bot, "saved", member(bot, user_id=OTHER_MEMBER_ID))
    assert f"▶ {stamp}" in listed.embeds[0].description


async def test_when_save_buttons_outlive_the_page_turner(bot):
    """discord.py forgets a dynamic item's class when a view holding one stops: the /when
    pages must not hold Save as one, or every Save button of the bot would go dead."""
    sent = await invoke(bot, "when", member(bot), topic="learning rate")
    view = sent.view
    bot._connection.store_view(view, 1234)
    await press(view, view.next_page, member(bot))
    bot._connection.store_view(view, 1234)
    await view.on_timeout()
    view.stop()
    patterns = [p.pattern for p in bot._connection._view_store._dynamic_items]
    assert cards.SaveMomentButton.__discord_ui_compiled_template__.pattern in patterns
    assert all(not c.disabled for c in view.children if c.label.startswith("Save "))
    assert view.next_page.disabled


async def test_a_single_page_when_still_has_save_buttons(bot):
    sent = await invoke(bot, "when", member(bot), topic="learning rate", episode="14")
    assert not isinstance(sent.view, Paginator)  # no page turner for one page
    ep = await episode_id(bot, "14")
    assert save_ids(sent) and all(i.split(":")[2] == str(ep) for i in save_ids(sent))


# ---------------------------------------------------------------- a thread that names episodes


def in_thread(content: str, name: str, *, thread_id: int = 4242) -> Any:
    """A message in a thread that is no episode's discussion thread, named `name`."""
    message = the_message(content, channel_id=thread_id)
    thread = create_autospec(discord.Thread, instance=True)
    thread.id = thread_id
    thread.name = name
    message.channel = thread
    return message


async def test_the_picker_offers_the_episodes_the_threads_name_refers_to_first(bot):
    sent = await find(bot, member(bot), in_thread("the bit at 17:10 is wild", "ep 12 vs #9 😱"))
    assert sent.ephemeral and "not which episode" in sent.content
    labels = [o.label for o in sent.view.children[0].item.options]
    assert labels[0].startswith("#12 · ") and labels[1].startswith("#9 · ")
    assert labels[2].startswith("#30")  # then the latest, each once
    assert len(labels) == len(set(labels))


async def test_a_thread_name_naming_no_episode_offers_the_latest(bot):
    sent = await find(bot, member(bot), in_thread("at 17:10!", "general chat about 2024"))
    labels = [o.label for o in sent.view.children[0].item.options]
    assert labels[0].startswith("#30") and len(labels) == 5


async def test_the_message_s_own_reference_wins_over_the_thread_s_name(bot):
    sent = await find(bot, member(bot), in_thread("at 17:10 in ep 12", "ep 9 thread"))
    assert sent.embeds[0].title.startswith("17:10 · #12")


async def test_a_registered_thread_still_decides_whatever_its_name(bot, store):
    ep = await episode_id(bot, "12")
    await store.register_discussion_thread(GUILD_ID, ep, 4242)
    sent = await find(bot, member(bot), in_thread("the bit at 17:10!", "ep 9 thread"))
    assert sent.embeds[0].title.startswith("17:10 · #12")


async def test_discuss_refused_by_discord_says_so_and_leaves_no_card(bot, world):
    here = world.text_channel()
    world.fail_next(here.id, "create_thread", http_error(403, 50013))
    sent = await discuss(bot, world, "12", here=here)
    assert sent.ephemeral and "Create Public Threads" in sent.content
    (card,) = [p.message for p in world.posted]
    assert card.delete.await_count == 1  # the card of a thread never opened is taken back
    world.fail_next(here.id, "send", http_error(400, 40067))
    sent = await discuss(bot, world, "12", here=here)
    assert sent.ephemeral and sent.content.startswith("Discord would not open the thread")
    assert "Bad Request" in sent.content and not world.threads
