"""/episode, /chapters, /related, /latest, /guest as a member sees them.

Real cog callbacks, called directly with specced fake interactions, over a real store
imported from the example feed (and from a hostile feed written here), with the real
`Catalogue`. Every message sent is checked against Discord's limits and for
`AllowedMentions.none()`.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from unittest.mock import create_autospec

import discord
import pytest
from discord import app_commands

from bot.app.tree import APOLOGY, UserError
from bot.search.catalogue import Catalogue
from bot.store import Store
from bot.ui import render, views
from bot.ui.episode_options import complete_episode
from bot.ui.replies import NO_MENTIONS
from bot.ui.views import (
    BaseView,
    EpisodeCardButton,
    ExpiredPagesButton,
    PageTurnButton,
    Paginator,
)
from tests.support.catalogues import store_file
from tests.support.cog_calls import (
    AUDIO,
    HOSTILE_INPUTS,
    RecordingBot,
    assert_acceptable,
    autocomplete,
    episode_id,
    invoke,
    lines_of,
    member,
    open_copy,
    press,
    started_bot,
)
from tests.support.fake_interactions import MEMBER_ID, OTHER_MEMBER_ID, fake_interaction

# ---------------------------------------------------------------- a hostile feed

HOSTILE_AUDIO = "https://hostile.example.com/audio/ep{}.mp3"
LONG_TITLE = "A title that goes on " + "and on " * 40 + "forever"  # > 300 characters
LONG_NOTES = " ".join(f"Sentence {i} of very long notes about **bold** claims." for i in range(45))
MANY_CHAPTERS = "".join(
    f"<p>({i // 60:02d}:{i % 60:02d}:00) Chapter {i} about _underscores_ and @everyone</p>"
    for i in range(120)
)


def _item(
    number: int | None,
    title: str,
    notes: str,
    day: int,
    *,
    kind: str = "full",
    people: str = "",
) -> str:
    number_tag = f"<itunes:episode>{number}</itunes:episode>" if number is not None else ""
    slug = number if number is not None else kind
    return f"""
    <item>
      <title>{html.escape(title)}</title>
      <link>https://hostile.example.com/episodes/{slug}</link>
      <guid isPermaLink="false">hostile-{slug}</guid>
      <pubDate>{day:02d} Mar 2025 09:00:00 +0000</pubDate>
      <description><![CDATA[{notes}]]></description>
      <enclosure url="{HOSTILE_AUDIO.format(slug)}" length="1" type="audio/mpeg"/>
      <itunes:duration>2:10:00</itunes:duration>
      {number_tag}
      <itunes:episodeType>{kind}</itunes:episodeType>
      {people}
    </item>"""


def hostile_feed() -> str:
    items = [
        _item(
            None, "@everyone bonus: <@&123> and <@456> are here", "<p>Bonus.</p>", 20, kind="bonus"
        ),
        _item(5, LONG_TITLE, f"<p>{LONG_NOTES}</p>", 15),
        _item(4, "Four: a marathon of chapters", f"<p>Many chapters.</p>{MANY_CHAPTERS}", 12),
        _item(
            3,
            "**bold** _x_ `code` ~~gone~~ ||spoiler|| # heading",
            "<p>Markdown.</p>",
            9,
            people='<podcast:person role="guest">@everyone &lt;@&amp;123&gt;</podcast:person>',
        ),
        _item(2, "@everyone listen now", "<p>Ping attempt. @here too.</p>", 6),
        _item(1, "<@&123> role ping <#42> <t:1700000000:R>", "<p>Mentions.</p>", 3),
        _item(None, "Trailer: coming soon", "<p>Soon.</p>", 1, kind="trailer"),
    ]
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
     xmlns:podcast="https://podcastindex.org/namespace/1.0">
  <channel>
    <title>Hostile **Feed** @everyone</title>
    <link>https://hostile.example.com/</link>
    <description>Titles that try to ping and to format.</description>
    {"".join(items)}
  </channel>
</rss>"""


# ---------------------------------------------------------------- its store and bot


@pytest.fixture(scope="session")
def hostile_db(tmp_path_factory) -> Path:
    feed = tmp_path_factory.mktemp("hostile") / "hostile.xml"
    feed.write_text(hostile_feed(), encoding="utf-8")
    return store_file(feed.with_name("hostile.db"), feed)


@pytest.fixture
async def hostile_store(hostile_db, tmp_path) -> AsyncIterator[Store]:
    store = await open_copy(hostile_db, tmp_path)
    yield store
    await store.close()


@pytest.fixture
async def hostile_bot(hostile_store) -> RecordingBot:
    return await started_bot(hostile_store)


# ---------------------------------------------------------------- /episode


async def test_episode_card_shows_what_a_member_needs(bot):
    sent = await invoke(bot, "episode", member(bot), query="12")
    assert not sent.ephemeral
    (card,) = sent.embeds
    # The feed's title is "12: Zoë …"; the Episode field shows #12, the title not again.
    assert card.title == "Zoë Harlan-Miyata on Infinitely Wide Neural Networks"
    assert card.url == "https://example.com/episodes/12"
    fields = {f.name: f.value for f in card.fields}
    assert fields["Episode"] == "#12"
    assert re.fullmatch(r"<t:\d+:D>", fields["Published"])
    assert fields["Length"] == "1:18:42"
    assert fields["Guest"] == "[Zoë Harlan-Miyata](https://example.com/people/zoe-harlan-miyata)"
    assert "Maren" not in fields["Guest"]  # hosts are not guests
    assert fields["Chapters"].startswith("9 chapters")  # the `"toc": false` one is hidden
    assert "<" not in card.description and card.description.startswith("This is the episode")
    assert card.thumbnail.url
    assert card.footer.text == "Warm Restarts"


async def test_episode_card_buttons_carry_the_episode_in_their_custom_id(bot):
    sent = await invoke(bot, "episode", member(bot), query="12")
    ep12 = await episode_id(bot, "12")
    buttons = [c for row in sent.view.to_components() for c in row["components"]]
    assert [b.get("custom_id") for b in buttons if "custom_id" in b] == [
        f"episode:chapters:{ep12}",
        f"episode:related:{ep12}",
    ]
    assert {b["label"]: b.get("url") for b in buttons if "url" in b} == {
        "Listen": AUDIO.format(12),
        "Episode page": "https://example.com/episodes/12",
    }
    assert sent.view.timeout is None  # persistent: never times out


@pytest.mark.parametrize("query", ["12", "#12", "ep 12", "Infinitely Wide", "infinitly wide"])
async def test_episode_accepts_numbers_title_words_and_typos(bot, query):
    sent = await invoke(bot, "episode", member(bot), query=query)
    assert sent.embeds[0].title.startswith("Zoë Harlan-Miyata on ")
    assert {f.name: f.value for f in sent.embeds[0].fields}["Episode"] == "#12"


async def test_episode_accepts_what_its_own_autocomplete_offered(bot):
    choices = await autocomplete(bot, "episode", "query", "wide neural")
    assert choices
    for choice in choices[:5]:
        offered = await Catalogue(bot.store).resolve_episode(choice.value, guild_id=None)
        assert offered.episode is not None, choice
        sent = await invoke(bot, "episode", member(bot), query=choice.value)
        assert sent.embeds[0].title == render.literal(render.short_title(offered.episode), 256)


async def test_an_unknown_episode_is_an_ephemeral_not_found_with_close_matches(bot):
    sent = await invoke(bot, "episode", member(bot), query="scaling lawz of qqzx")
    assert sent.ephemeral
    assert "couldn't find an episode matching “scaling lawz of qqzx”" in sent.content
    assert not sent.embeds


async def test_an_empty_episode_query_explains_what_to_type(bot):
    sent = await invoke(bot, "episode", member(bot), query="   ")
    assert sent.ephemeral
    assert "number" in sent.content


async def test_the_trailer_card_is_marked(bot):
    sent = await invoke(bot, "episode", member(bot), query="Introducing Warm Restarts")
    fields = {f.name: f.value for f in sent.embeds[0].fields}
    assert fields["Episode"] == "Trailer"
    assert "No chapters" in fields["Chapters"]
    labels = [c.get("label") for row in sent.view.to_components() for c in row["components"]]
    assert "No chapters" in labels


# ---------------------------------------------------------------- /chapters


async def test_chapters_lists_times_titles_and_jump_links(bot):
    sent = await invoke(bot, "chapters", member(bot), episode="5")
    assert not sent.ephemeral
    lines = lines_of(sent)
    assert len(lines) == 8
    assert lines[0] == f"`0:00` [Intro]({AUDIO.format(5)}#t=0)"
    assert lines[-1] == f"`1:08:30` [Closing thoughts]({AUDIO.format(5)}#t=4110)"
    assert sent.view is None  # one page: no buttons


async def test_json_chapters_keep_their_decimal_starts_as_whole_second_links(bot):
    sent = await invoke(bot, "chapters", member(bot), episode="12")
    text = "\n".join(lines_of(sent))
    assert f"({AUDIO.format(12)}#t=62)" in text  # 62.5 s
    assert "`1:00:10`" in text  # 3610.5 s


async def test_an_episode_without_chapters_says_so_ephemerally(bot):
    sent = await invoke(bot, "chapters", member(bot), episode="4")
    assert sent.ephemeral
    assert "has no chapters" in sent.content


async def test_long_chapter_lists_are_paged_for_the_member_who_asked(hostile_bot):
    bot = hostile_bot
    asker = member(bot)
    sent = await invoke(bot, "chapters", asker, episode="4")
    view = sent.view
    assert isinstance(view, Paginator)
    assert len(view.pages) == 8  # 120 chapters, 15 a page
    assert sent.embeds[0].footer.text.startswith("Page 1/8 · 120 chapters")
    assert view.page_counter.label == "1/8"
    assert view.previous_page.disabled and not view.next_page.disabled
    for page in view.pages:
        assert render.message_problems(None, [page], view.to_components()) == []
    assert "@\u200beveryone" in view.pages[0].description
    assert "\\_underscores\\_" in view.pages[0].description

    # Each press is a new interaction (a component interaction from the same member).
    turn = member(bot)
    await press(view, view.next_page, turn)
    assert turn.last.kind == "edit"
    assert_acceptable(turn.last)
    assert turn.last.embeds[0].footer.text.startswith("Page 2/8")
    assert lines_of(turn.last)[0].startswith("`15:00` [Chapter 15 about \\_underscores\\_")
    assert view.page_counter.label == "2/8"
    assert not view.previous_page.disabled

    other = member(bot, user_id=OTHER_MEMBER_ID)
    await press(view, view.next_page, other)
    assert other.last.ephemeral
    assert other.last.content == "Only the person who asked can turn these pages."
    assert view.index == 1  # the page did not turn

    back = member(bot)
    await press(view, view.previous_page, back)
    assert back.last.embeds[0].footer.text.startswith("Page 1/8")


def page_turn(custom_id: str) -> tuple[type[Any], Any]:
    """The persistent item discord.py would hand a click on `custom_id` to."""
    for item in (PageTurnButton, ExpiredPagesButton):
        match = item.__discord_ui_compiled_template__.fullmatch(custom_id)
        if match is not None:
            return item, match
    raise AssertionError(f"no persistent item answers {custom_id!r}")


async def click_page(bot, custom_id: str, clicker, *, asked_by: int = MEMBER_ID) -> None:
    """A page button clicked as discord.py dispatches it once no view listens (always, for
    pagers): to the dynamic item, on a message that answered `asked_by`."""
    message = create_autospec(discord.Message, instance=True)
    message.interaction_metadata.user.id = asked_by
    clicker.interaction.message = message
    item_class, match = page_turn(custom_id)
    item = await item_class.from_custom_id(clicker.interaction, discord.ui.Button(), match)
    assert await item.interaction_check(clicker.interaction)
    await item.callback(clicker.interaction)


async def test_pagers_are_not_kept_by_discord_py_their_buttons_are_persistent(hostile_bot):
    sent = await invoke(hostile_bot, "chapters", member(hostile_bot), episode="4")
    view = sent.view
    assert isinstance(view, Paginator) and view.is_finished()  # drawn, never listened to
    assert PageTurnButton in hostile_bot.registered_dynamic_items
    ids = [view.previous_page.custom_id, view.next_page.custom_id]
    assert all(page_turn(i)[0] is PageTurnButton for i in ids)
    assert all(len(i) <= render.CUSTOM_ID_LIMIT for i in ids)


async def test_the_card_view_is_not_left_listening(bot):
    sent = await invoke(bot, "episode", member(bot), query="12")
    assert sent.view is not None and sent.view.is_finished()  # its buttons are persistent


async def test_a_page_turn_draws_the_page_from_the_kept_rows(hostile_bot):
    sent = await invoke(hostile_bot, "chapters", member(hostile_bot), episode="4")
    turn = member(hostile_bot)
    await click_page(hostile_bot, sent.view.next_page.custom_id, turn)
    assert turn.last.kind == "edit"
    assert_acceptable(turn.last)
    assert turn.last.embeds[0].footer.text.startswith("Page 2/8")
    assert lines_of(turn.last)[0].startswith("`15:00` [Chapter 15 about \\_underscores\\_")
    labels = [c["label"] for row in turn.last.view.to_components() for c in row["components"]]
    assert labels == ["◀ Previous", "2/8", "Next ▶"]
    # The next page's buttons turn on from there, and back.
    back = member(hostile_bot)
    await click_page(hostile_bot, turn.last.view.previous_page.custom_id, back)
    assert back.last.embeds[0].footer.text.startswith("Page 1/8")


async def test_only_the_asker_turns_the_pages(hostile_bot):
    sent = await invoke(hostile_bot, "chapters", member(hostile_bot), episode="4")
    stranger = member(hostile_bot, user_id=OTHER_MEMBER_ID)
    await click_page(hostile_bot, sent.view.next_page.custom_id, stranger)
    (answer,) = stranger.messages()
    assert answer.ephemeral and answer.content == "Only the person who asked can turn these pages."


async def test_chapter_pages_turn_after_a_restart_rebuilt_from_the_store(
    hostile_bot, hostile_store
):
    sent = await invoke(hostile_bot, "chapters", member(hostile_bot), episode="4")
    restarted = await started_bot(hostile_store)  # nothing of the old process is kept
    turn = member(restarted)
    await click_page(restarted, sent.view.next_page.custom_id, turn)
    assert turn.last.kind == "edit"
    assert turn.last.embeds[0].footer.text.startswith("Page 2/8 · 120 chapters")
    assert lines_of(turn.last)[0].startswith("`15:00` [Chapter 15 about")


async def test_search_pages_turn_after_a_restart(bot, example_store):
    sent = await invoke(bot, "search", member(bot), query="the")
    view = sent.view
    assert isinstance(view, Paginator) and len(view.pages) >= 2
    restarted = await started_bot(example_store)
    turn = member(restarted)
    await click_page(restarted, view.next_page.custom_id, turn)
    assert turn.last.kind == "edit"
    assert [f.name for f in turn.last.embeds[0].fields] == [f.name for f in view.pages[1].fields]


async def test_search_pages_of_a_query_too_long_to_keep_expire_after_a_restart(bot, example_store):
    query = "the " + "learning " * 12  # longer than a custom_id can carry
    sent = await invoke(bot, "search", member(bot), query=query)
    view = sent.view
    assert isinstance(view, Paginator) and len(view.pages) >= 2
    same_process = member(bot)
    await click_page(bot, view.next_page.custom_id, same_process)
    assert same_process.last.kind == "edit"  # kept in memory: it turns
    restarted = await started_bot(example_store)
    clicker = member(restarted)
    await click_page(restarted, view.next_page.custom_id, clicker)
    assert clicker.last.ephemeral and "expired" in clicker.last.content


async def test_pages_left_by_an_older_version_say_they_expired(bot):
    clicker = member(bot)
    await click_page(bot, "pages:0123456789abcdef:next", clicker)
    (answer,) = clicker.messages()
    assert_acceptable(answer)
    assert answer.ephemeral and "expired" in answer.content


async def test_only_the_most_recent_answers_are_kept_in_memory(hostile_bot):
    first = await invoke(hostile_bot, "chapters", member(hostile_bot), episode="4")
    for _ in range(views.PAGE_CACHE_SIZE + 20):
        await invoke(hostile_bot, "chapters", member(hostile_bot), episode="4")
    assert len(views._RECENT_PAGES[hostile_bot]) == views.PAGE_CACHE_SIZE
    # The oldest answer was dropped: its pages are rebuilt from the store when turned.
    turn = member(hostile_bot)
    await click_page(hostile_bot, first.view.next_page.custom_id, turn)
    assert turn.last.embeds[0].footer.text.startswith("Page 2/8")


# ---------------------------------------------------------------- the card's buttons


async def test_card_buttons_work_for_any_member_after_a_restart(bot, example_store):
    sent = await invoke(bot, "episode", member(bot), query="12")
    custom_id = next(
        c["custom_id"]
        for row in sent.view.to_components()
        for c in row["components"]
        if c.get("custom_id", "").startswith("episode:chapters:")
    )

    # A restart: a new bot with nothing in memory but what setup() registers. discord.py
    # matches the custom_id against the registered template and builds the item from it.
    restarted = await started_bot(example_store)
    assert EpisodeCardButton in restarted.registered_dynamic_items
    match = EpisodeCardButton.__discord_ui_compiled_template__.fullmatch(custom_id)
    assert match is not None
    clicker = member(restarted, user_id=OTHER_MEMBER_ID)
    base = discord.ui.Button(custom_id=custom_id, label="Chapters")
    item = await EpisodeCardButton.from_custom_id(clicker.interaction, base, match)
    await item.callback(clicker.interaction)
    (answer,) = clicker.messages()
    assert_acceptable(answer)
    assert answer.ephemeral  # only the clicker sees it
    assert lines_of(answer)[0].startswith("`0:00` [")
    assert f"{AUDIO.format(12)}#t=" in answer.embeds[0].description


async def test_the_related_button_answers_the_clicker_ephemerally(bot):
    ep12 = await episode_id(bot, "12")
    clicker = member(bot, user_id=OTHER_MEMBER_ID)
    await EpisodeCardButton("related", ep12).callback(clicker.interaction)
    (answer,) = clicker.messages()
    assert_acceptable(answer)
    assert answer.ephemeral
    assert answer.embeds[0].title.startswith("Related to #12")


async def test_a_button_for_a_removed_episode_explains_instead_of_failing(bot):
    clicker = member(bot)
    await EpisodeCardButton("chapters", 987654).callback(clicker.interaction)
    (answer,) = clicker.messages()
    assert answer.ephemeral and "no longer in the catalogue" in answer.content


async def test_a_card_button_refuses_an_episode_this_server_no_longer_sees(bot, example_store):
    # The example feed becomes another server's own feed, as if this one removed it.
    ep12 = await episode_id(bot, "12")
    async with example_store.transaction() as db:
        await db.execute("UPDATE feeds SET is_global = 0")
        await db.execute(
            "INSERT INTO guild_feeds (guild_id, feed_id, added_at) SELECT 42, id, 0 FROM feeds"
        )
    for action in ("chapters", "related"):
        clicker = member(bot)
        await EpisodeCardButton(action, ep12).callback(clicker.interaction)
        (answer,) = clicker.messages()
        assert answer.ephemeral and "no longer in the catalogue" in answer.content


async def test_a_failing_button_answers_as_the_error_layer_does(caplog):
    view = BaseView()
    told = fake_interaction()
    await view.on_error(told.interaction, UserError("Pick another one."), discord.ui.Button())
    assert told.last.ephemeral and told.last.content == "Pick another one."
    assert told.last.allowed_mentions is NO_MENTIONS

    apologised = fake_interaction()
    await view.on_error(apologised.interaction, RuntimeError("boom"), discord.ui.Button())
    assert apologised.last.ephemeral and apologised.last.content == APOLOGY
    assert "a button failed" in caplog.text


async def test_a_failing_command_is_logged_by_name_and_the_member_gets_an_apology(bot, caplog):
    command = bot.tree.get_command("episode")
    fake = member(bot)
    fake.interaction.command = command
    error = app_commands.CommandInvokeError(command, RuntimeError("the disk is on fire"))
    await bot.tree.on_error(fake.interaction, error)
    assert fake.last.ephemeral and fake.last.content == APOLOGY
    assert "command /episode failed" in caplog.text and "the disk is on fire" in caplog.text


# ---------------------------------------------------------------- /related


async def test_related_lists_five_episodes_with_reasons(bot):
    sent = await invoke(bot, "related", member(bot), episode="12")
    (embed,) = sent.embeds
    assert embed.title.startswith("Related to #12 · Zoë Harlan-Miyata")
    assert 1 <= len(embed.fields) <= 5
    by_name = {f.name: f.value for f in embed.fields}
    shared = [v for n, v in by_name.items() if n.startswith(("#21 ", "#29 "))]
    assert shared and all("Shared guest: Zoë Harlan-Miyata" in v for v in shared)
    assert all(v.split("\n")[0] for v in by_name.values())  # every one says why


# ---------------------------------------------------------------- /latest


async def test_latest_shows_five_newest_first_by_default(bot):
    command = bot.tree.get_command("latest")
    fake = member(bot)
    await command.callback(command.binding, fake.interaction)  # count left out
    (sent,) = fake.messages()
    assert_acceptable(sent)
    lines = lines_of(sent)
    assert [line.split("`")[1] for line in lines] == ["#30", "#29", "#28", "#27", "#26"]
    assert lines[0].startswith("`#30` [Bartholomew Ndiaye on What Scaling Laws Got Wrong]")
    assert re.search(r"<t:\d+:D> · 59:48$", lines[0])


async def test_latest_marks_bonus_episodes_and_trailers(hostile_bot):
    sent = await invoke(hostile_bot, "latest", member(hostile_bot), count=10)
    badges = [line.split("`")[1] for line in lines_of(sent)]
    assert badges == ["Bonus", "#5", "#4", "#3", "#2", "#1", "Trailer"]


async def test_latest_count_one(bot):
    sent = await invoke(bot, "latest", member(bot), count=1)
    assert sent.embeds[0].title == "Latest episode"
    assert len(lines_of(sent)) == 1


def test_latest_count_is_a_range_discord_enforces(bot):
    option = bot.tree.get_command("latest").to_dict(bot.tree)["options"][0]
    assert (option["name"], option["min_value"], option["max_value"]) == ("count", 1, 10)
    assert not option.get("required")


# ---------------------------------------------------------------- /guest


async def test_guest_lists_their_episodes_newest_first(bot):
    sent = await invoke(bot, "guest", member(bot), name="Zoë Harlan-Miyata")
    assert sent.embeds[0].title == "Episodes with Zoë Harlan-Miyata"
    assert [line.split("`")[1] for line in lines_of(sent)] == ["#29", "#21", "#12"]


async def test_guest_accepts_what_autocomplete_offered(bot):
    choices = await autocomplete(bot, "guest", "name", "zoe")
    assert any("Zoë" in c.name for c in choices)
    value = next(c.value for c in choices if "Zoë" in c.name)
    sent = await invoke(bot, "guest", member(bot), name=value)
    assert sent.embeds[0].title == "Episodes with Zoë Harlan-Miyata"


async def test_an_unknown_guest_is_ephemeral_with_suggestions(bot):
    sent = await invoke(bot, "guest", member(bot), name="Nobody Atall Qqq")
    assert sent.ephemeral
    assert "couldn't find anyone called “Nobody Atall Qqq”" in sent.content


# ---------------------------------------------------------------- autocomplete


async def test_episode_autocomplete_with_empty_text_offers_the_newest(bot):
    choices = await autocomplete(bot, "episode", "query", "")
    assert 1 <= len(choices) <= 25
    assert "30" in choices[0].name


@pytest.mark.parametrize("typed", ["12", "#12", "ep 12"])
async def test_episode_autocomplete_by_number_offers_that_episode_first(bot, typed):
    (first, *_) = await autocomplete(bot, "chapters", "episode", typed)
    resolution = await Catalogue(bot.store).resolve_episode(first.value, guild_id=None)
    assert resolution.episode is not None and resolution.episode.number == 12


async def test_episode_autocomplete_forgives_typos(bot):
    choices = await autocomplete(bot, "related", "episode", "difusion")
    assert any("Diffusion" in c.name for c in choices)


async def test_episode_autocomplete_finds_guests(bot):
    choices = await autocomplete(bot, "episode", "query", "Bartholomew")
    assert sum("Bartholomew" in c.name for c in choices) >= 1


async def test_autocomplete_with_huge_or_odd_text_still_answers(bot):
    for typed in ["x" * 500, "AND(", '"', "🎙️", "*", "NEAR"]:
        await autocomplete(bot, "episode", "query", typed)
        await autocomplete(bot, "guest", "name", typed)


class BrokenCatalogue(Catalogue):
    async def complete_episode(self, text, *, guild_id):
        raise RuntimeError("the store is gone")


async def test_a_failing_autocomplete_offers_nothing_and_logs(example_store, caplog):
    fake = fake_interaction()
    choices = await complete_episode(BrokenCatalogue(example_store), fake.interaction, "12")
    assert choices == []
    assert "autocomplete failed" in caplog.text


# ---------------------------------------------------------------- hostile feed text


async def test_mentions_in_titles_are_text_and_ping_nobody(hostile_bot):
    for query, shown in [
        ("2", "@\u200beveryone listen now"),
        ("1", "\\<@&123> role ping \\<#42> \\<t:1700000000:R>"),
    ]:
        sent = await invoke(hostile_bot, "episode", member(hostile_bot), query=query)
        assert sent.embeds[0].title == shown
        assert sent.allowed_mentions.to_dict() == {"parse": []}


async def test_markdown_in_titles_and_guests_shows_literally(hostile_bot):
    sent = await invoke(hostile_bot, "episode", member(hostile_bot), query="3")
    (card,) = sent.embeds
    assert card.title.startswith(
        "\\*\\*bold\\*\\* \\_x\\_ \\`code\\` \\~\\~gone\\~\\~ \\|\\|spoiler"
    )
    guest = {f.name: f.value for f in card.fields}["Guest"]
    assert guest == "@\u200beveryone \\<@&123>"


async def test_a_300_character_title_and_long_notes_fit(hostile_bot):
    sent = await invoke(hostile_bot, "episode", member(hostile_bot), query="5")
    (card,) = sent.embeds
    assert len(LONG_TITLE) > 300
    assert len(card.title) <= 256 and card.title.endswith("…")
    assert len(card.description) <= render.SUMMARY_LIMIT + 100
    assert "\\*\\*bold\\*\\*" in card.description


async def test_hostile_lists_fit(hostile_bot):
    for name, options in [
        ("latest", {"count": 10}),
        ("related", {"episode": "5"}),
        ("guest", {"name": "@everyone <@&123>"}),
        ("chapters", {"episode": "5"}),
    ]:
        await invoke(hostile_bot, name, member(hostile_bot), **options)


# ---------------------------------------------------------------- hostile member input


@pytest.mark.parametrize("text", HOSTILE_INPUTS)
@pytest.mark.parametrize(
    ("command", "option"),
    [("episode", "query"), ("chapters", "episode"), ("related", "episode"), ("guest", "name")],
)
async def test_hostile_input_gets_an_answer_never_an_exception(bot, command, option, text):
    sent = await invoke(bot, command, member(bot), **{option: text})
    assert sent.content or sent.embeds
    if sent.content:
        assert "@everyone" not in sent.content
        assert "Sorry, something went wrong" not in sent.content
