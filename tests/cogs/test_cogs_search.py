"""/when and /search as a member sees them: real callbacks, real store, real Catalogue."""

from __future__ import annotations

import re

import pytest

from bot.search.catalogue import Catalogue
from bot.search.result_totals import ResultTotals
from bot.store import Store
from bot.ui.views import Paginator
from cogs.search import SEARCH_LIMIT, SearchCog
from tests.support.catalogues import copy_store
from tests.support.cog_calls import (
    AUDIO,
    HOSTILE_INPUTS,
    assert_acceptable,
    invoke,
    member,
    press,
    started_bot,
)
from tests.support.fake_interactions import GUILD_ID, OTHER_MEMBER_ID, fake_interaction

TIMED = re.compile(r"^`(\d+:)?\d{1,2}:\d{2}` · (chapter|show notes|transcript|soundbite)$")


# ---------------------------------------------------------------- /when


async def test_when_lists_the_best_five_moments_with_times_and_jump_links(bot):
    sent = await invoke(bot, "when", member(bot), topic="learning rate")
    assert not sent.ephemeral
    (page,) = sent.embeds
    assert page.title == "When did they talk about “learning rate”?"
    assert len(page.fields) == 5
    for field in page.fields:
        where, matched, play = field.value.split("\n")
        assert TIMED.match(where), where
        assert "**learning rate" in matched.lower()
        start = re.search(r"`([\d:]+)`", where).group(1)
        episode_number = re.match(r"#(\d+) · ", field.name).group(1)
        seconds = sum(int(p) * 60**i for i, p in enumerate(reversed(start.split(":"))))
        assert play == f"[▶ Play from {start}]({AUDIO.format(episode_number)}#t={seconds})"


async def test_when_ranks_chapter_titles_before_other_moments(bot):
    sent = await invoke(bot, "when", member(bot), topic="learning rate")
    kinds = [f.value.split("\n")[0].split(" · ")[-1] for f in sent.view.pages[0].fields]
    assert kinds[0] == "chapter"
    assert kinds == sorted(kinds, key=lambda k: k != "chapter")


async def test_when_has_more_pages_that_only_the_asker_turns(bot):
    asker = member(bot)
    sent = await invoke(bot, "when", asker, topic="learning rate")
    view = sent.view
    assert isinstance(view, Paginator) and len(view.pages) >= 2
    assert sent.embeds[0].footer.text == f"Page 1/{len(view.pages)}"

    stranger = member(bot, user_id=OTHER_MEMBER_ID)
    await press(view, view.next_page, stranger)
    assert stranger.last.ephemeral and "Only the person who asked" in stranger.last.content

    turn = member(bot)
    await press(view, view.next_page, turn)
    assert turn.last.kind == "edit"
    assert turn.last.embeds[0].footer.text == f"Page 2/{len(view.pages)}"
    first_page = {f.name + f.value for f in view.pages[0].fields}
    assert not first_page & {f.name + f.value for f in turn.last.embeds[0].fields}


async def test_no_view_of_a_when_answer_is_left_for_discord_py_to_keep(bot):
    """A view still listening when sent stays in discord.py's view store (forever, without
    a timeout): every button of these answers is persistent, so none is left listening."""
    paged = await invoke(bot, "when", member(bot), topic="learning rate")
    one_page = await invoke(bot, "when", member(bot), topic="learning rate", episode="14")
    assert isinstance(paged.view, Paginator) and paged.view.is_finished()
    assert one_page.view is not None and one_page.view.is_finished()
    assert any(item.custom_id.startswith("moment:save:") for item in one_page.view.children)


async def test_when_in_one_episode_only_looks_there(bot):
    sent = await invoke(bot, "when", member(bot), topic="learning rate", episode="14")
    (page,) = sent.embeds
    assert page.description.startswith("In #14 · ")
    assert page.fields and all(f.name.startswith("#14 · ") for f in page.fields)


async def test_when_without_a_time_says_so(bot):
    sent = await invoke(bot, "when", member(bot), topic="lottery ticket")
    values = [f.value for f in sent.embeds[0].fields]
    untimed = [v for v in values if "no time" in v]
    assert untimed, values
    assert all("#t=" not in v for v in untimed)


async def test_when_finds_nothing_helpfully_and_privately(bot):
    sent = await invoke(bot, "when", member(bot), topic="zzqqxx")
    assert sent.ephemeral
    assert "couldn't find a moment about “zzqqxx”" in sent.content
    assert "/search" in sent.content


async def test_when_with_an_unknown_episode_is_not_found(bot):
    sent = await invoke(bot, "when", member(bot), topic="learning rate", episode="qqzzxx yy")
    assert sent.ephemeral and "couldn't find an episode" in sent.content


async def test_when_with_an_empty_topic_explains(bot):
    sent = await invoke(bot, "when", member(bot), topic="  ")
    assert sent.ephemeral and "what to look for" in sent.content


async def test_slow_answers_are_deferred_first(example_store):
    cog = SearchCog(Catalogue(example_store), defer_after=0)  # "slow" from the first moment
    fake = fake_interaction()
    await cog.when.callback(cog, fake.interaction, topic="learning rate")
    assert [s.kind for s in fake.sent] == ["defer", "followup"]
    assert_acceptable(fake.sent[1])
    assert fake.sent[1].embeds[0].title == "When did they talk about “learning rate”?"


async def test_fast_answers_are_not_deferred(example_store):
    cog = SearchCog(Catalogue(example_store), defer_after=30)
    fake = fake_interaction()
    await cog.search.callback(cog, fake.interaction, query="diffusion")
    assert [s.kind for s in fake.sent] == ["send"]


# ---------------------------------------------------------------- /search


async def test_search_finds_episodes_with_highlighted_snippets(bot):
    sent = await invoke(bot, "search", member(bot), query="diffusion")
    (page,) = sent.embeds
    assert page.title == "Search: “diffusion”"
    numbers = {re.match(r"#(\d+) ·", f.name).group(1) for f in page.fields}
    assert {"8", "19", "20"} <= numbers
    assert all("**diffusion**" in f.value.lower() for f in page.fields)
    assert all(re.search(r"<t:\d+:D> · \[Open\]\(https://", f.value) for f in page.fields)


async def test_search_pages_many_results(bot):
    sent = await invoke(bot, "search", member(bot), query="learning")
    view = sent.view
    assert isinstance(view, Paginator)
    assert all(len(page.fields) <= 5 for page in view.pages)
    assert sum(len(page.fields) for page in view.pages) > 5


async def test_a_capped_search_says_top_25_of_how_many_match(bot):
    everything = await Catalogue(bot.store).search("the", guild_id=GUILD_ID, limit=1000)
    assert len(everything) > SEARCH_LIMIT  # the list is capped
    sent = await invoke(bot, "search", member(bot), query="the")
    assert sent.embeds[0].description.startswith(
        f"Top {SEARCH_LIMIT} of {len(everything)} episodes, best match first"
    )
    assert len(sent.view.pages) == SEARCH_LIMIT // 5


async def test_a_search_that_is_not_capped_says_how_many_without_top(bot):
    sent = await invoke(bot, "search", member(bot), query="diffusion")
    assert re.match(r"\d+ episodes?, best match first", sent.embeds[0].description)


async def test_the_total_is_counted_in_the_guild_that_asks(example_store):
    (feed_id,) = [f.id for f in await example_store.guild_feeds(GUILD_ID)]
    await example_store.follow_feed(GUILD_ID, feed_id, user_id=None)
    async with example_store.transaction() as db:
        await db.execute("UPDATE feeds SET is_global = 0")
    totals = ResultTotals(example_store)
    here = await totals.search_total("the", guild_id=GUILD_ID)
    found = await Catalogue(example_store).search("the", guild_id=GUILD_ID, limit=1000)
    assert here == len(found) > SEARCH_LIMIT
    assert await totals.search_total("the", guild_id=GUILD_ID + 1) == 0  # sees no feed
    assert await totals.search_total("the", guild_id=None) == 0  # outside a guild: global only


async def test_search_finds_nothing_helpfully_and_privately(bot):
    sent = await invoke(bot, "search", member(bot), query="zzqqxx")
    assert sent.ephemeral
    assert "No episode matches “zzqqxx”" in sent.content


async def test_search_with_markdown_and_mentions_in_the_query_shows_them_as_text(bot):
    sent = await invoke(bot, "search", member(bot), query="**diffusion** @everyone")
    text = sent.text()
    assert "@everyone" not in text
    assert "\\*\\*diffusion\\*\\*" in text  # found or not, the query is shown as typed


# ---------------------------------------------------------------- hostile member input


@pytest.mark.parametrize("text", HOSTILE_INPUTS)
@pytest.mark.parametrize(("command", "option"), [("when", "topic"), ("search", "query")])
async def test_hostile_search_text_gets_an_answer_never_an_exception(bot, command, option, text):
    sent = await invoke(bot, command, member(bot), **{option: text})
    assert sent.content or sent.embeds
    if sent.content:
        assert "Sorry, something went wrong" not in sent.content


@pytest.mark.parametrize("text", HOSTILE_INPUTS)
async def test_hostile_when_episode_gets_an_answer_never_an_exception(bot, text):
    sent = await invoke(bot, "when", member(bot), topic="learning rate", episode=text)
    assert sent.content or sent.embeds
    if sent.content:
        assert "Sorry, something went wrong" not in sent.content


# ---------------------------------------------------------------- a search that is stopped


@pytest.mark.parametrize(("command", "option"), [("when", "topic"), ("search", "query")])
async def test_a_search_stopped_at_its_time_budget_is_a_private_explanation(
    example_db, tmp_path, command, option
):
    # A budget of nothing: every search statement is stopped, as a runaway one would be.
    store = await Store.open(copy_store(example_db, tmp_path), search_budget=0.0)
    try:
        bot = await started_bot(store)
        sent = await invoke(bot, command, member(bot), **{option: "learning rate"})
    finally:
        await store.close()
    assert sent.ephemeral
    assert sent.content.startswith("That search took too long")
    assert "went wrong" not in sent.content


# ---------------------------------------------------------------- a typo


async def test_when_respells_a_typo_from_the_catalogue_and_says_so(bot):
    sent = await invoke(bot, "when", member(bot), topic="learnig rate")
    assert not sent.ephemeral
    page = sent.embeds[0]
    assert page.title == "When did they talk about “learnig rate”?"
    first = page.description.split("\n")[0]
    assert first == "Showing results for *learning rate* (no match for “learnig rate”)"
    assert page.fields and all("**learning rate" in f.value.lower() for f in page.fields)


async def test_when_spelled_right_says_nothing_about_spelling(bot):
    sent = await invoke(bot, "when", member(bot), topic="learning rate")
    assert "Showing results for" not in sent.embeds[0].description


async def test_a_respelled_topic_with_markdown_is_shown_as_text(bot):
    sent = await invoke(bot, "when", member(bot), topic="*learnig* rate")
    first = sent.embeds[0].description.split("\n")[0]
    assert first == "Showing results for *learning rate* (no match for “\\*learnig\\* rate”)"
