"""End to end: "Find moment" (a message command: `data.type` 3, the message in
`data.resolved.messages`) and ⭐ Save, through the loopback fake Discord, before and after
a restart of the real bot process.
"""

from __future__ import annotations

import pytest

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.usefixtures("fresh_violations"),
]


@pytest.fixture(scope="module")
def fake(shared_fake):
    return shared_fake


@pytest.fixture(scope="module")
def bot(example_bot):
    return example_bot


async def test_find_moment_is_synced_as_a_message_command(fake, bot):
    (menu,) = [c for c in fake.commands(fake.guild.id) + fake.commands() if c.get("type") == 3]
    assert menu["name"] == "Find moment"
    assert not menu.get("options")  # a message command takes the message, nothing else


async def test_find_moment_answers_privately_and_save_works_after_a_restart(fake, bot):
    said = fake.member_says("the bit at 17:10 in ep 12, not the one at 5:30pm")
    answer = await (await fake.run_message_command("Find moment", said)).reply()
    assert answer.ephemeral
    (card,) = answer.embeds
    assert card["title"].startswith("17:10 · #12 · ")
    assert card["url"] == "https://example.com/audio/ep12.mp3#t=1030"
    assert "in *The infinite-width limit*, 0:08 into the chapter" in card["description"]

    saved = await (await fake.click(answer, label="Save")).reply()
    assert saved.ephemeral and "Saved `17:10`" in saved.content

    await bot.restart()
    again = await (await fake.click(answer, label="Save")).reply()
    assert again.ephemeral and "already saved" in again.content
    assert fake.violations == []


async def test_find_moment_reads_the_episode_from_the_replied_to_message(fake, bot):
    first = fake.member_says("has anyone heard #12 yet?")
    said = fake.member_says("yes! 1:02 is great", reply_to=first)
    answer = await (await fake.run_message_command("Find moment", said)).reply()
    assert answer.embeds[0]["title"].startswith("1:02 · #12 · ")
    shared = await (await fake.click(answer, label="Share")).reply()
    assert not shared.ephemeral and shared.embeds[0]["title"].startswith("1:02 · #12 · ")
    assert fake.violations == []


# --------------------------------------------------------------------------- /discuss


def thread_id_in(content: str) -> int:
    return int(content.rsplit("<#", 1)[1].rstrip(">"))


async def test_discuss_opens_one_thread_in_the_text_channel_and_finds_it_again(fake, bot):
    opened = await (await fake.invoke("discuss", episode="12")).reply()
    assert not opened.ephemeral and "I opened the discussion of #12" in opened.content
    thread = next(t for t in fake.threads if int(t["id"]) == thread_id_in(opened.content))
    assert thread["parent_id"] == fake.text_channel["id"]
    assert thread["name"].startswith("#12 · Zoë Harlan-Miyata")
    starter = fake.channel_messages(fake.text_channel)[-2]
    assert starter.embeds[0]["title"].startswith("Zoë Harlan-Miyata")
    assert "Chapters" in starter.text()

    again = await (await fake.invoke("discuss", episode="#12")).reply()
    assert "is here" in again.content and thread_id_in(again.content) == int(thread["id"])
    # In the thread, "Find moment" knows the episode without being told.
    said = fake.member_says("17:10 is the key bit", in_channel=thread)
    answer = await (await fake.run_message_command("Find moment", said)).reply()
    assert answer.embeds[0]["title"].startswith("17:10 · #12 · ")
    assert fake.violations == []


async def test_discuss_opens_a_post_in_the_announce_forum(fake, bot):
    forum = fake.forum_channel
    await (await fake.invoke("announce channel", member=fake.admin, channel=forum["id"])).reply()
    opened = await (await fake.invoke("discuss", episode="11")).reply()
    post = next(t for t in fake.threads if int(t["id"]) == thread_id_in(opened.content))
    assert post["parent_id"] == forum["id"]
    [starter] = fake.channel_messages(post)[:1]
    assert starter.embeds[0]["title"].startswith("Nadia Ferreira-Holm")
    assert fake.violations == []


# --------------------------------------------------------------------------- ⭐ Save on /when


def first_save(page) -> tuple[str, str]:
    """The custom_id of a page's first ⭐ Save button, and the time it saves."""
    save = next(b for b in page.buttons() if b["custom_id"].startswith("moment:save:"))
    return save["custom_id"], save["label"].removeprefix("Save ").split(" · ")[0]


async def test_save_from_when_pages_saves_once_for_anyone_and_after_a_page_turn(fake, bot):
    page = await (await fake.invoke("when", topic="learning rate")).reply()
    custom_id, stamp = first_save(page)
    saved = await (await fake.click(page, custom_id)).reply()
    assert saved.ephemeral and f"Saved `{stamp}`" in saved.content
    again = await (await fake.click(page, custom_id)).reply()
    assert again.ephemeral and "already saved" in again.content
    # A member who did not ask may save too (the page turner stays the asker's).
    other = await (await fake.click(page, custom_id, member=fake.admin)).reply()
    assert other.ephemeral and f"Saved `{stamp}`" in other.content

    assert await (await fake.click(page, label="Next")).response() == 7
    second_id, second_stamp = first_save(page)
    assert second_id != custom_id
    saved = await (await fake.click(page, second_id)).reply()
    assert saved.ephemeral and f"Saved `{second_stamp}`" in saved.content

    listed = await (await fake.invoke("saved")).reply()
    assert f"▶ {stamp}" in listed.embeds[0]["description"]
    assert f"▶ {second_stamp}" in listed.embeds[0]["description"]
    assert fake.violations == []


# --------------------------------------------------------------------------- /saved Remove


async def test_saved_remove_works_after_a_restart_and_redraws_the_list(fake, bot):
    said = fake.member_says("ep 12 at 3:00 is where it clicks")
    answer = await (await fake.run_message_command("Find moment", said)).reply()
    saved = await (await fake.click(answer, label="Save")).reply()
    assert "Saved `3:00`" in saved.content

    listed = await (await fake.invoke("saved")).reply()
    assert listed.ephemeral and "▶ 3:00" in listed.embeds[0]["description"]
    remove = next(
        b["custom_id"]
        for b in listed.buttons()
        if b["custom_id"].startswith("moment:unsave:") and b["custom_id"].endswith(":180")
    )

    await bot.restart()
    pressed = await fake.click(listed, remove)
    assert await pressed.response() == 7  # the /saved message is redrawn without it
    redrawn, removed = await pressed.messages(2)
    assert redrawn.id == listed.id
    assert removed.ephemeral and "Removed `3:00`" in removed.content
    assert "▶ 3:00" not in listed.text()
    assert remove not in [b.get("custom_id") for b in listed.buttons()]
    assert fake.violations == []
