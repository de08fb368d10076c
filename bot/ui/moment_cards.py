"""Moment cards: what /moment and "Find moment" post, and their buttons.

A card reads: the episode, the time, the chapter it falls in ("in *Title*, 3:58 into the
chapter"), what is said there (the transcript passage and its speaker; else the show-notes
sentence naming that time), the member's note, and a ▶ link that plays from that second.

Its ⭐ Save button is a `DynamicItem` whose custom_id carries the episode id and the second
(`moment:save:123:2050`), so a card posted last month still saves after a restart. The
Share button of a private "Find moment" answer carries the episode and its times
(`moment:share:123:2050,3723`); the episode picker carries the times
(`moment:pick:2050,3723`); a /saved Remove button the moment (`moment:unsave:123:2050`),
taking it out of the presser's own saved moments, after a restart too, and its page
turners the page (`moment:saved:1:next`). They call the moments cog through
`MomentActions`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import discord
from discord.ext import commands

from bot.app.tree import answer_error
from bot.common.plain_text import truncate
from bot.common.timefmt import format_timestamp, jump_link
from bot.models.episode_views import EpisodeSummary, Moment
from bot.models.moment_views import MomentTally, MomentView, SavedMoment
from bot.ui import render
from bot.ui.replies import reply

MOMENTS_COG = "Moments"  # the cog that answers these buttons
NOTE_FIELD = "Note"
NOTE_LIMIT = 500  # a note is a remark, not an essay
QUOTE_LIMIT = 500
SAVED_PER_PAGE = 5
MAX_CARDS = 5


class MomentActions(Protocol):
    """What the card's buttons ask of the moments cog."""

    async def save_pressed(
        self, interaction: discord.Interaction, episode_id: int, seconds: int
    ) -> None: ...

    async def share_pressed(
        self, interaction: discord.Interaction, episode_id: int, times: list[int]
    ) -> None: ...

    async def episode_picked(
        self, interaction: discord.Interaction, episode_id: int, times: list[int]
    ) -> None: ...

    async def unsave_pressed(
        self, interaction: discord.Interaction, episode_id: int, seconds: int
    ) -> None: ...

    async def saved_page_pressed(self, interaction: discord.Interaction, index: int) -> None: ...


# ---------------------------------------------------------------- the card


def chapter_line(view: MomentView) -> str | None:
    """ "in *Title*, 3:58 into the chapter" (or "at the start of *Title*")."""
    chapter = view.context.chapter
    if chapter is None:
        return None
    title = f"*{render.literal(chapter.title, 200)}*"
    into = int(view.seconds - chapter.start)
    if into <= 0:
        return f"at the start of {title}"
    return f"in {title}, {format_timestamp(into)} into the chapter"


def quote_lines(view: MomentView) -> str | None:
    """What is said at that second: transcript passage with its speaker, else the notes."""
    passage = view.context.passage
    if passage is not None:
        speaker = f"**{render.literal(passage.speaker, 60)}:** " if passage.speaker else ""
        text = render.literal(" ".join(passage.text.split()), QUOTE_LIMIT)
        return f"> {speaker}{text}"
    if view.context.notes_sentence:
        text = render.literal(" ".join(view.context.notes_sentence.split()), QUOTE_LIMIT)
        return f"> {text}\n-# from the show notes"
    return None


def moment_title(episode: EpisodeSummary, seconds: int) -> str:
    return f"{format_timestamp(seconds)} · {render.episode_heading(episode, 200)}"


def moment_jump(episode: EpisodeSummary, seconds: int) -> str | None:
    return render.web_url(jump_link(seconds, audio_url=episode.audio_url, link=episode.link))


def moment_card(view: MomentView, *, shared_by: str | None = None) -> discord.Embed:
    """The moment card: episode and time, chapter, quote, note, ▶ jump link."""
    episode, seconds = view.episode, view.seconds
    jump = moment_jump(episode, seconds)
    lines = [line for line in (chapter_line(view), quote_lines(view)) if line]
    if jump:
        lines.append(render.link(f"▶ Play from {format_timestamp(seconds)}", jump))
    else:
        lines.append("(no audio link for this episode)")
    embed = discord.Embed(
        title=truncate(moment_title(episode, seconds), render.EMBED_TITLE_LIMIT),
        url=jump,
        description="\n".join(lines),
        colour=render.ACCENT,
    )
    if view.note:
        embed.add_field(name=NOTE_FIELD, value=render.literal(view.note, NOTE_LIMIT), inline=False)
    footer = [truncate(render.visible(episode.feed_title), 150)] if episode.feed_title else []
    if shared_by:  # a member's display name: no bidi override turns the footer around
        footer.append(f"shared by {truncate(render.visible(shared_by), 80)}")
    if footer:
        embed.set_footer(text=" · ".join(footer))
    return render.fit_embed(embed)


def note_of(message: discord.Message | None) -> str | None:
    """The note shown on a card (read back when its Save button is pressed)."""
    if message is None:
        return None
    for embed in message.embeds:
        for embed_field in embed.fields:
            if embed_field.name == NOTE_FIELD and embed_field.value:
                return unescape(str(embed_field.value))
    return None


_ESCAPE = re.compile(r"\\([^\sA-Za-z0-9])")


def unescape(shown: str) -> str:
    """A note as the member typed it, from the card that shows it escaped (`escape`)."""
    return _ESCAPE.sub(r"\1", shown).replace("@\u200b", "@")


# ---------------------------------------------------------------- buttons


def _actions(interaction: discord.Interaction) -> MomentActions | None:
    client: commands.Bot = interaction.client  # type: ignore[assignment]
    return client.get_cog(MOMENTS_COG)  # type: ignore[return-value]


UNAVAILABLE = "This button isn't available right now; try `/moment`."


async def _act(
    interaction: discord.Interaction,
    what: str,
    action: Callable[[MomentActions], Awaitable[None]],
) -> None:
    """Run a persistent item's `action` on the moments cog: a private "not available" when
    the cog is not loaded (mid-restart), the error layer's answer when it fails."""
    actions = _actions(interaction)
    if actions is None:
        await reply(interaction, UNAVAILABLE, ephemeral=True)
        return
    try:
        await action(actions)
    except Exception as error:
        await answer_error(interaction, error, what=what)


def _times(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part][:MAX_CARDS]


class SaveMomentButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"moment:save:(?P<id>[0-9]{1,19}):(?P<s>[0-9]{1,7})",
):
    """⭐ Save on a moment card: anyone may press it; it saves for the presser."""

    def __init__(self, episode_id: int, seconds: int, *, label: str = "Save"):
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji="⭐",
                style=discord.ButtonStyle.secondary,
                custom_id=f"moment:save:{episode_id}:{seconds}",
            )
        )
        self.episode_id = episode_id
        self.seconds = seconds

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any, /
    ) -> SaveMomentButton:
        return cls(int(match["id"]), int(match["s"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await _act(
            interaction,
            "a Save button",
            lambda a: a.save_pressed(interaction, self.episode_id, self.seconds),
        )


class ShareMomentsButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"moment:share:(?P<id>[0-9]{1,19}):(?P<times>[0-9,]{1,60})",
):
    """Share on a private "Find moment" answer: posts the same cards for everyone."""

    def __init__(self, episode_id: int, times: Sequence[int]):
        joined = ",".join(str(t) for t in times[:MAX_CARDS])
        super().__init__(
            discord.ui.Button(
                label="Share",
                emoji="📣",
                style=discord.ButtonStyle.primary,
                custom_id=f"moment:share:{episode_id}:{joined}",
            )
        )
        self.episode_id = episode_id
        self.times = list(times[:MAX_CARDS])

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any, /
    ) -> ShareMomentsButton:
        return cls(int(match["id"]), _times(match["times"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await _act(
            interaction,
            "a Share button",
            lambda a: a.share_pressed(interaction, self.episode_id, self.times),
        )


class EpisodePicker(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=r"moment:pick:(?P<times>[0-9,]{1,60})",
):
    """ "Which episode?" when "Find moment" could not tell: the likely ones to pick from."""

    def __init__(self, times: Sequence[int], episodes: Sequence[EpisodeSummary] = ()):
        joined = ",".join(str(t) for t in times[:MAX_CARDS])
        options = [
            discord.SelectOption(
                label=truncate(
                    render.plain(f"{render.episode_badge(e)} · {render.short_title(e)}"),
                    100,
                ),
                value=str(e.id),
            )
            for e in episodes[:25]
        ]
        super().__init__(
            discord.ui.Select(
                placeholder="Which episode is it about?",
                custom_id=f"moment:pick:{joined}",
                options=options or [discord.SelectOption(label="(none)", value="0")],
            )
        )
        self.times = list(times[:MAX_CARDS])

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any, /
    ) -> EpisodePicker:
        # discord.py fills in the chosen value (`_refresh_state`) before the callback.
        return cls(_times(match["times"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        chosen = self.item.values[0] if self.item.values else "0"
        await _act(
            interaction,
            "the episode menu",
            lambda a: a.episode_picked(interaction, int(chosen), self.times),
        )


class UnsaveMomentButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"moment:unsave:(?P<id>[0-9]{1,19}):(?P<s>[0-9]{1,7})",
):
    """🗑️ Remove on a /saved page: removes the moment from the presser's own saved moments
    in the server (never anyone else's, whoever pressed)."""

    def __init__(self, episode_id: int, seconds: int, *, label: str = "Remove"):
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji="🗑️",
                style=discord.ButtonStyle.danger,
                custom_id=unsave_id(episode_id, seconds),
            )
        )
        self.episode_id = episode_id
        self.seconds = seconds

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any, /
    ) -> UnsaveMomentButton:
        return cls(int(match["id"]), int(match["s"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await _act(
            interaction,
            "a Remove button",
            lambda a: a.unsave_pressed(interaction, self.episode_id, self.seconds),
        )


def unsave_id(episode_id: int, seconds: int) -> str:
    return f"moment:unsave:{episode_id}:{seconds}"


class SavedPageButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"moment:saved:(?P<page>[0-9]{1,4}):(?P<way>prev|next)",
):
    """◀ Previous / Next ▶ on a /saved message: shows that page of the presser's own saved
    moments (after a restart too)."""

    def __init__(self, index: int, way: str):
        super().__init__(discord.ui.Button(custom_id=saved_page_id(index, way)))
        self.index = index

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any, /
    ) -> SavedPageButton:
        return cls(int(match["page"]), match["way"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await _act(
            interaction, "a page button", lambda a: a.saved_page_pressed(interaction, self.index)
        )


def saved_page_id(index: int, way: str) -> str:
    return f"moment:saved:{max(0, index)}:{way}"


class SavedPageTurner(discord.ui.Button[Any]):
    """A /saved page's ◀ Previous or Next ▶: the custom_id of `SavedPageButton`, which
    answers its clicks; not dispatchable in the page's view, as `SaveButtonOnPage` says."""

    def __init__(self, index: int, way: str, *, label: str, disabled: bool, row: int):
        super().__init__(
            label=label, custom_id=saved_page_id(index, way), disabled=disabled, row=row
        )

    def is_dispatchable(self) -> bool:
        return False


class RemoveButtonOnPage(discord.ui.Button[Any]):
    """A /saved page's 🗑️ Remove button: the custom_id of `UnsaveMomentButton`, which
    answers its clicks (after a restart too); not dispatchable in the page's view, for the
    reason `SaveButtonOnPage` gives."""

    def __init__(self, episode_id: int, seconds: int, *, label: str, row: int | None = None):
        super().__init__(
            label=truncate(label, render.BUTTON_LABEL_LIMIT),
            emoji="🗑️",
            style=discord.ButtonStyle.danger,
            custom_id=unsave_id(episode_id, seconds),
            row=row,
        )
        self.episode_id = episode_id
        self.seconds = seconds

    def is_dispatchable(self) -> bool:
        return False


class SaveButtonOnPage(discord.ui.Button[Any]):
    """The ⭐ Save button of a moment shown inside another view (the `/when` pages): the
    custom_id of `SaveMomentButton`, which answers its clicks, after a restart too.

    It is not a `DynamicItem` in that view on purpose: discord.py forgets a dynamic item's
    class for the whole client when a view holding one stops or turns to a page without
    one, and every Save button of the bot would then go unanswered. Nor does the view
    claim its clicks (it is not dispatchable), so the page turner's owner check never
    answers them: anyone may save, as from a card."""

    def __init__(self, episode_id: int, seconds: int, *, label: str, row: int | None = None):
        super().__init__(
            label=truncate(label, render.BUTTON_LABEL_LIMIT),
            emoji="⭐",
            style=discord.ButtonStyle.secondary,
            custom_id=f"moment:save:{episode_id}:{seconds}",
            row=row,
        )
        self.episode_id = episode_id
        self.seconds = seconds

    def is_dispatchable(self) -> bool:
        return False


def save_buttons_for(moments: Sequence[Moment], *, row: int = 0) -> list[SaveButtonOnPage]:
    """A ⭐ Save button for each moment that has a time (one per episode and second, at
    most `MAX_CARDS`): "Save 17:10", with the episode when they are of several."""
    timed = [(m.episode, int(m.start)) for m in moments if m.start is not None and m.start >= 0]
    several = len({episode.id for episode, _ in timed}) > 1
    buttons: list[SaveButtonOnPage] = []
    seen: set[tuple[int, int]] = set()
    for episode, seconds in timed:
        if (episode.id, seconds) in seen or len(buttons) >= MAX_CARDS:
            continue
        seen.add((episode.id, seconds))
        label = f"Save {format_timestamp(seconds)}"
        if several:
            label += f" · {render.plain(render.episode_badge(episode))}"
        buttons.append(SaveButtonOnPage(episode.id, seconds, label=label, row=row))
    return buttons


def moment_buttons(
    episode: EpisodeSummary, times: Sequence[int], *, share: bool = False
) -> discord.ui.View:
    """The buttons under moment cards: ⭐ Save for each time (and ▶ for a single card),
    and Share when the answer is private."""
    view = discord.ui.View(timeout=None)
    several = len(times) > 1
    for seconds in times[:MAX_CARDS]:
        label = f"Save {format_timestamp(seconds)}" if several else "Save"
        view.add_item(SaveMomentButton(episode.id, seconds, label=label))
    if not several and times:
        jump = render.web_url(moment_jump(episode, times[0]), render.BUTTON_URL_LIMIT)
        if jump:
            view.add_item(discord.ui.Button(label="Play", emoji="▶️", url=jump))
    if share:
        view.add_item(ShareMomentsButton(episode.id, times))
    return view


def picker_view(times: Sequence[int], episodes: Sequence[EpisodeSummary]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(EpisodePicker(times, episodes))
    return view


# ---------------------------------------------------------------- messages


def no_times_message() -> str:
    return (
        "I found no time in that message (like `34:10`, `1:02:03` or `34m10s`). Clock times, "
        "dates, links, code and quotes are left out."
    )


def which_episode_message(times: Sequence[int]) -> str:
    shown = ", ".join(f"`{format_timestamp(t)}`" for t in times)
    return (
        f"I found {shown}, but not which episode it is about: the message names none "
        "(like `ep 99` or a title in quotes), and it is not in an episode's thread. "
        "Pick the episode:"
    )


def saved_message(episode: EpisodeSummary, seconds: int, *, new: bool) -> str:
    where = f"`{format_timestamp(seconds)}` in {render.episode_heading(episode, 200)}"
    if not new:
        return f"You had already saved {where}. See yours with `/saved`."
    return f"⭐ Saved {where}. See yours with `/saved`."


def saved_line(episode: EpisodeSummary | None, moment: SavedMoment) -> str:
    stamp = format_timestamp(moment.seconds)
    if episode is None:
        return f"`{stamp}` in an episode that is gone"
    jump = moment_jump(episode, moment.seconds)
    heading = render.episode_heading(episode, 150)
    line = f"{render.link(f'▶ {stamp}', jump)} · {heading}"
    if moment.note:
        line += f"\n> {render.literal(moment.note, 150)}"
    return line


def saved_page(lines: Sequence[str], *, index: int, pages: int, total: int) -> discord.Embed:
    embed = discord.Embed(
        title="Your saved moments",
        description="\n".join(f"{n}. {line}" for n, line in enumerate(lines, 1)),
        colour=render.ACCENT,
    )
    embed.set_footer(text=f"Page {index + 1}/{pages} · {total} saved · newest first")
    return render.fit_embed(embed)


def removed_message(episode: EpisodeSummary | None, seconds: int, *, removed: bool) -> str:
    if not removed:
        return "That moment was not in your saved list (already removed?)."
    where = f"`{format_timestamp(seconds)}`"
    if episode is not None:
        where += f" in {render.episode_heading(episode, 200)}"
    return f"🗑️ Removed {where} from your saved moments."


def saved_page_index(message: discord.Message | None) -> int:
    """The page a /saved message shows (0-based, from its "Page 2/3" footer), else 0."""
    for embed in message.embeds if message is not None else ():
        found = re.match(r"Page (\d+)/", embed.footer.text or "")
        if found:
            return int(found[1]) - 1
    return 0


def nothing_saved_message() -> str:
    return "You have no saved moments here yet: press ⭐ Save under a moment card."


def top_embed(
    tallies: Sequence[MomentTally],
    episodes: dict[int, EpisodeSummary],
    *,
    scope: EpisodeSummary | None,
) -> discord.Embed:
    lines = []
    for rank, tally in enumerate(tallies, 1):
        episode = episodes.get(tally.episode_id)
        if episode is None:
            continue
        stamp = format_timestamp(tally.seconds)
        saves = f"⭐ {tally.saves}"
        jump = moment_jump(episode, tally.seconds)
        heading = "" if scope else f" · {render.episode_heading(episode, 150)}"
        lines.append(f"{rank}. {saves} · {render.link(f'▶ {stamp}', jump)}{heading}")
    where = f"in {render.episode_heading(scope, 200)}" if scope else "in this server"
    embed = discord.Embed(
        title=truncate(f"Most-saved moments {where}", render.EMBED_TITLE_LIMIT),
        description="\n".join(lines) or "No saved moments yet.",
        colour=render.ACCENT,
    )
    return render.fit_embed(embed)


def nothing_top_message(scope: EpisodeSummary | None) -> str:
    where = f" of {render.episode_heading(scope, 200)}" if scope else ""
    return f"Nobody here has saved a moment{where} yet: press ⭐ Save under a moment card."


# ---------------------------------------------------------------- discussion threads


def thread_name(episode: EpisodeSummary) -> str:
    """A thread's name: `#12 · Title`, plain text within Discord's 100 characters."""
    badge = render.episode_badge(episode)
    return truncate(render.plain(f"{badge} · {render.short_title(episode)}"), 100) or badge


def discussion_message(episode: EpisodeSummary, thread_id: int, *, opened: bool) -> str:
    heading = render.episode_heading(episode, 200)
    if opened:
        return f"💬 I opened the discussion of {heading}: <#{thread_id}>"
    return f"💬 The discussion of {heading} is here: <#{thread_id}>"
