"""End to end: the member commands, as a member uses them in a guild.

One bot process (`python -m bot run`, FEEDS = the example show) serves every test in this
module through the loopback fake Discord; each test types a command or clicks a button
there and checks what arrived: content, embeds, jump links, ephemeral flags, buttons. The
fake refuses anything Discord would refuse and records anything that could ping someone;
each test asserts that it recorded nothing.
"""

from __future__ import annotations

import re

import pytest

from tests.fakediscord import SchemaError

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.usefixtures("fresh_violations"),
]

EP12_TITLE = "12: Zoë Harlan-Miyata on Infinitely Wide Neural Networks"
EP12_PUBLISHED = 1725354000  # Tue, 03 Sep 2024 09:00:00 +0000
EP12_AUDIO = "https://example.com/audio/ep12.mp3"
JUMP_LINK = re.compile(r"\]\((https://example\.com/audio/ep\d+\.mp3)#t=(\d+)\)")


@pytest.fixture(scope="module")
def fake(shared_fake):
    return shared_fake


@pytest.fixture(scope="module")
def bot(example_bot):
    return example_bot


def no_mentions(message) -> bool:
    allowed = message.allowed_mentions or {}
    return allowed.get("parse") == [] and not allowed.get("users") and not allowed.get("roles")


def fields(embed: dict) -> dict[str, str]:
    return {field["name"]: field["value"] for field in embed.get("fields", [])}


# --------------------------------------------------------------------------- /episode


async def test_episode_shows_the_card_with_date_length_guest_and_links(fake, bot):
    handle = await fake.invoke("episode", query="12")
    card = await handle.reply()

    assert handle.callback_type == 4  # answered at once, not deferred
    assert not card.ephemeral and no_mentions(card)
    [embed] = card.embeds
    assert embed["title"] == EP12_TITLE.split(": ", 1)[1]  # "#12" is the Episode field's
    assert embed["url"] == "https://example.com/episodes/12"
    info = fields(embed)
    assert info["Published"] == f"<t:{EP12_PUBLISHED}:D>"
    assert info["Length"] == "1:18:42"
    assert "Zoë Harlan-Miyata" in info["Guest"]
    assert "neural tangent kernel" in embed["description"]
    assert card.button("Listen")["url"] == EP12_AUDIO
    assert card.button("Chapters")["label"] == "Chapters (9)"
    assert fake.violations == []


async def test_an_unknown_episode_is_an_ephemeral_not_found(fake, bot):
    message = await (await fake.invoke("episode", query="zzz no such thing")).reply()
    assert message.ephemeral and no_mentions(message)
    assert "couldn't find an episode" in message.content
    assert "zzz no such thing" in message.content
    assert fake.violations == []


async def test_the_card_buttons_show_chapters_and_related_episodes(fake, bot):
    card = await (await fake.invoke("episode", query="12")).reply()

    chapters = await (await fake.click(card, label="Chapters")).reply()
    assert "Cold open" in chapters.text()
    assert f"]({EP12_AUDIO}#t=3610)" in chapters.text()

    related = await (await fake.click(card, label="Related")).reply()
    assert "Zoë Harlan-Miyata Returns" in related.text()
    assert fake.violations == []


# --------------------------------------------------------------------------- /chapters


async def test_chapters_are_listed_with_jump_links_into_the_audio(fake, bot):
    message = await (await fake.invoke("chapters", episode="12")).reply()
    [embed] = message.embeds
    lines = embed["description"].splitlines()
    assert len(lines) == 9  # the `"toc": false` figure is not a chapter to jump to
    assert lines[0] == f"`0:00` [Cold open]({EP12_AUDIO}#t=0)"
    assert "`1:00:10` [What the theory gets wrong](" + EP12_AUDIO + "#t=3610)" in lines
    assert "Figure: loss curves" not in message.text()
    starts = [int(m.group(2)) for m in JUMP_LINK.finditer(embed["description"])]
    assert starts == sorted(starts) and starts[-1] == 4595
    assert not message.ephemeral and no_mentions(message)
    assert fake.violations == []


# --------------------------------------------------------------------------- autocomplete


async def test_autocomplete_stays_within_discords_limits_and_its_value_works(fake, bot):
    everything = await (await fake.autocomplete("chapters", "episode", "")).choices()
    assert 1 <= len(everything) <= 25  # the fake refuses 26 (and names over 100)

    zoe = await (await fake.autocomplete("chapters", "episode", "zo")).choices()
    assert [c["name"].split(" · ")[0] for c in zoe] == ["#29", "#21", "#12"]

    # What autocomplete offered is what Discord sends back when the member picks it.
    picked = next(c for c in zoe if c["name"].startswith("#12 "))
    message = await (await fake.invoke("chapters", episode=picked["value"])).reply()
    assert EP12_TITLE.split(": ", 1)[1] in message.embeds[0]["title"]

    guests = await (await fake.autocomplete("guest", "name", "Jo")).choices()
    assert [c["name"] for c in guests] == ["José Ibarreche (3 episodes)"]
    assert fake.violations == []


# --------------------------------------------------------------------------- /when, paging


async def test_when_pages_turn_with_buttons_only_for_the_member_who_asked(fake, bot):
    handle = await fake.invoke("when", topic="learning rate")
    page = await handle.reply()
    # "learning rate" is in eight chapter titles alone (examples/README.md): 5 a page.
    pages = int(re.match(r"Page 1/(\d+)", page.embeds[0]["footer"]["text"]).group(1))
    assert pages >= 2
    assert page.button("Previous")["disabled"] and not page.button("Next")["disabled"]
    first = page.embeds[0]["fields"][0]["value"]
    assert JUMP_LINK.search(first) and "**learning rate" in first.lower()

    turned = await fake.click(page, label="Next")
    assert await turned.response() == 7  # the same message, edited in place
    assert page.embeds[0]["footer"]["text"].startswith(f"Page 2/{pages}")
    assert not page.button("Previous")["disabled"]

    stranger = await fake.click(page, label="Next", member=fake.admin)
    refusal = await stranger.reply()
    assert refusal.ephemeral and "Only the person who asked" in refusal.content
    assert page.embeds[0]["footer"]["text"].startswith(f"Page 2/{pages}")

    back = await fake.click(page, label="Previous")
    assert await back.response() == 7
    assert page.embeds[0]["footer"]["text"].startswith(f"Page 1/{pages}")
    assert fake.violations == []


# --------------------------------------------------------------------------- the other commands


async def test_search_lists_matching_episodes_with_highlights(fake, bot):
    message = await (await fake.invoke("search", query="learning rate")).reply()
    embed = message.embeds[0]
    assert embed["title"] == "Search: “learning rate”"
    assert all("**" in value for value in fields(embed).values())
    assert not message.ephemeral and no_mentions(message)
    assert fake.violations == []


async def test_a_search_whose_results_fit_on_one_page_is_answered(fake, bot):
    """One page of results: no page counter, and no empty footer (Discord refuses those)."""
    message = await (await fake.invoke("search", query="Gaussian")).reply()
    assert fake.violations == []  # bot/ui/render.py sent `"footer": {"text": ""}` here once
    assert "Zoë Harlan-Miyata" in message.text()
    assert message.embeds[0].get("footer", {}).get("text", "x") != ""


async def test_related_names_what_episodes_share(fake, bot):
    message = await (await fake.invoke("related", episode="12")).reply()
    first = message.embeds[0]["fields"][0]
    assert first["name"].startswith("#21 ")
    assert "Shared guest: Zoë Harlan-Miyata" in first["value"]
    assert fake.violations == []


async def test_latest_lists_the_newest_episodes_and_its_count_is_bounded(fake, bot):
    message = await (await fake.invoke("latest", count=3)).reply()
    lines = message.embeds[0]["description"].splitlines()
    assert [line.split("`")[1] for line in lines] == ["#30", "#29", "#28"]
    with pytest.raises(SchemaError, match=r"outside 1\.\.10"):
        await fake.invoke("latest", count=11)  # Discord's client won't send it
    assert fake.violations == []


async def test_guest_lists_the_episodes_with_that_person(fake, bot):
    message = await (await fake.invoke("guest", name="Zoë Harlan-Miyata")).reply()
    text = message.embeds[0]["description"]
    assert [line.split("`")[1] for line in text.splitlines()] == ["#29", "#21", "#12"]
    assert fake.violations == []


# --------------------------------------------------------------------------- the gateway


async def test_a_dropped_gateway_is_resumed_and_commands_are_still_answered(fake, bot):
    await fake.drop_connection()
    handle = await fake.invoke("latest", count=1)  # sent while the bot is away
    await fake.wait_resumed(count=len(fake.resumes) + 1)
    message = await handle.reply()
    assert "#30" in message.text()
    assert fake.gateway_connections[-1] == "/resume"
    assert fake.violations == []


async def test_a_rate_limited_response_is_retried(fake, bot):
    fake.inject_429("POST /interactions/*/callback", retry_after=0.05)
    message = await (await fake.invoke("latest", count=1)).reply()
    assert "#30" in message.text()
    assert len(fake.rate_limited) == 1
    assert fake.violations == []


# --------------------------------------------------------------------------- after a restart


async def test_after_a_restart_card_buttons_and_page_turners_still_work(fake, bot):
    card = await (await fake.invoke("episode", query="12")).reply()
    page = await (await fake.invoke("when", topic="learning rate")).reply()
    first = page.embeds[0]["fields"][0]["value"]
    await bot.restart()

    # The card's buttons carry the episode in their custom_id: they outlive the process.
    chapters = await (await fake.click(card, label="Chapters")).reply()
    assert "Cold open" in chapters.text()

    # The page turner's buttons carry the topic: the new process searches again and
    # turns the page in place.
    turned = await fake.click(page, label="Next")
    assert await turned.response() == 7  # UPDATE_MESSAGE
    assert page.embeds[0]["footer"]["text"].startswith("Page 2/")
    assert page.embeds[0]["fields"][0]["value"] != first
    stranger = await fake.click(page, label="Next", member=fake.admin)
    refused = await stranger.reply()
    assert refused.ephemeral and "Only the person who asked" in refused.content
    assert fake.violations == []
