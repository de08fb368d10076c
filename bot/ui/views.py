"""Buttons: a base view that answers its own errors, the page turner, and the episode
card's buttons that survive a restart.

- `BaseView` lets only the member who asked use it (`owner_id`), answers everyone else
  ephemerally, and turns errors into the same messages the command tree gives.
- `Paginator` shows one embed of a list at a time, with Previous / page / Next buttons
  that only the asker can press; on timeout the buttons are disabled in place. A page may
  bring its own row of buttons (`/when`'s ⭐ Save), rebuilt as the pages turn.
- `EpisodeCardButton` is a `DynamicItem`: its state lives in the `custom_id`
  (`episode:chapters:123`), and `setup()` of the episodes cog registers the class with
  `bot.add_dynamic_items`, so a card posted last month still works after a restart.
  Anyone may press it; the answer goes to the presser only (ephemeral).
- `ExpiredPagesButton` answers the page buttons of a paginator that died with an old
  process: "these pages have expired", rather than Discord's "interaction failed".

Also `defer_if_slow`, for handlers whose work may outlast Discord's 3 seconds.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import weakref
from collections.abc import Awaitable, Sequence
from typing import Any, Protocol, TypeVar

import discord
from discord.ext import commands

from bot.app.tree import answer_error
from bot.models.episode_views import EpisodeDetail
from bot.ui.render import BUTTON_URL_LIMIT, web_url
from bot.ui.replies import NO_MENTIONS, defer_publicly, reply

log = logging.getLogger(__name__)

T = TypeVar("T")

EPISODES_COG = "Episodes"  # the cog that answers the card's buttons
PAGE_TIMEOUT = 300.0  # seconds a page turner stays usable
PAGE_ITEMS_ROW = 0  # a page's own buttons: the first row; the page turner is the second
PAGE_ITEMS_MAX = 5
# Discord allows 3 s for the first answer; work slower than this defers first.
DEFER_AFTER = 1.5


async def defer_if_slow(
    interaction: discord.Interaction, work: Awaitable[T], *, after: float = DEFER_AFTER
) -> T:
    """Await `work`; if it is not done within `after` seconds, defer the response first
    (members see "thinking…") so the interaction does not expire. Fast answers are not
    deferred, so they can still be ephemeral."""
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=after)
        if not done and not interaction.response.is_done():
            await defer_publicly(interaction)
        return await task
    finally:
        if not task.done():
            task.cancel()


class BaseView(discord.ui.View):
    """A view used by one member (`owner_id`), or by anyone when `owner_id` is None."""

    refusal = "Only the person who asked can use these buttons."

    def __init__(self, *, owner_id: int | None = None, timeout: float | None = PAGE_TIMEOUT):
        super().__init__(timeout=timeout)
        self.owner_id = owner_id

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if self.owner_id is None or interaction.user.id == self.owner_id:
            return True
        await reply(interaction, self.refusal, ephemeral=True)
        return False

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        await answer_error(interaction, error, what="a button")


# The page turners alive in each running client, by nonce. A restart empties it: the old
# messages' buttons are then answered by `ExpiredPagesButton` instead of failing.
_LIVE_PAGES: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()
PAGES_EXPIRED = (
    "These pages have expired (I was restarted, or they were left for a while). "
    "Run the command again to page through the answer."
)


class Paginator(BaseView):
    """Pages of a long answer, turned with buttons by the member who asked.

    Its buttons' custom ids are `pages:<nonce>:prev|page|next`; the nonce is what
    `ExpiredPagesButton` recognises once this in-memory view is gone.

    `page_items`: for each page, the buttons shown above the page turner while that page
    shows (at most 5, a row of their own; Discord allows 5 rows of 5). They answer their
    own clicks (persistent custom ids answered elsewhere), are not the asker's only, and
    stay usable when the page turner times out.
    """

    refusal = "Only the person who asked can turn these pages."

    def __init__(
        self,
        pages: Sequence[discord.Embed],
        *,
        owner_id: int,
        timeout: float | None = PAGE_TIMEOUT,
        page_items: Sequence[Sequence[discord.ui.Item[Any]]] = (),
    ):
        if not pages:
            raise ValueError("a paginator needs at least one page")
        super().__init__(owner_id=owner_id, timeout=timeout)
        self.pages = list(pages)
        self.page_items = [list(items)[:PAGE_ITEMS_MAX] for items in page_items]
        self._shown_items: list[discord.ui.Item[Any]] = []
        self.index = 0
        self.nonce = secrets.token_hex(8)
        self.previous_page.custom_id = f"pages:{self.nonce}:prev"
        self.page_counter.custom_id = f"pages:{self.nonce}:page"
        self.next_page.custom_id = f"pages:{self.nonce}:next"
        self._interaction: discord.Interaction | None = None  # set once there are buttons
        self._sync()

    @property
    def current(self) -> discord.Embed:
        return self.pages[self.index]

    async def start(self, interaction: discord.Interaction, *, ephemeral: bool = False) -> None:
        """Send the first page; with one page only, no page turner (only its own items)."""
        if len(self.pages) == 1:
            self.stop()
            items = self._items_of(0)
            if not items:
                await reply(interaction, embed=self.current, ephemeral=ephemeral)
                return
            view = discord.ui.View(timeout=None)
            for item in items:
                view.add_item(item)
            await reply(interaction, embed=self.current, view=view, ephemeral=ephemeral)
            return
        self._interaction = interaction
        _LIVE_PAGES.setdefault(interaction.client, set()).add(self.nonce)
        await reply(interaction, embed=self.current, view=self, ephemeral=ephemeral)

    def stop(self) -> None:
        super().stop()
        self._forget()

    def _forget(self) -> None:
        if self._interaction is not None:
            _LIVE_PAGES.get(self._interaction.client, set()).discard(self.nonce)

    @discord.ui.button(label="◀ Previous", style=discord.ButtonStyle.secondary, row=1)
    async def previous_page(
        self, interaction: discord.Interaction, button: discord.ui.Button[Paginator]
    ) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="1/1", style=discord.ButtonStyle.secondary, disabled=True, row=1)
    async def page_counter(
        self, interaction: discord.Interaction, button: discord.ui.Button[Paginator]
    ) -> None:
        """Never pressed (it is disabled): it only shows where you are."""

    @discord.ui.button(label="Next ▶", style=discord.ButtonStyle.primary, row=1)
    async def next_page(
        self, interaction: discord.Interaction, button: discord.ui.Button[Paginator]
    ) -> None:
        await self._turn(interaction, +1)

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        self.index = max(0, min(len(self.pages) - 1, self.index + step))
        self._sync()
        await interaction.response.edit_message(
            embed=self.current, view=self, allowed_mentions=NO_MENTIONS
        )

    def _items_of(self, index: int) -> list[discord.ui.Item[Any]]:
        return self.page_items[index] if index < len(self.page_items) else []

    def _sync(self) -> None:
        for item in self._shown_items:
            self.remove_item(item)
        self._shown_items = self._items_of(self.index)
        for item in self._shown_items:
            item.row = PAGE_ITEMS_ROW
            self.add_item(item)
        self.page_counter.label = f"{self.index + 1}/{len(self.pages)}"
        self.previous_page.disabled = self.index == 0
        self.next_page.disabled = self.index == len(self.pages) - 1

    async def on_timeout(self) -> None:
        """Disable every button in place, so nobody presses a dead one."""
        self._forget()
        for item in self.children:
            if isinstance(item, discord.ui.Button) and item not in self._shown_items:
                item.disabled = True
        if self._interaction is None:
            return
        try:
            await self._interaction.edit_original_response(view=self, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            # The message may be gone, or the 15 minutes to edit it are over.
            log.debug("could not disable the page buttons of %s", self._interaction.id)


class ExpiredPagesButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"pages:(?P<nonce>[0-9a-f]{16}):(?P<action>prev|next)",
):
    """Answers the page buttons of a `Paginator` that no longer exists in this process
    (a restart, or a timeout whose disabling edit failed), instead of "interaction failed".

    discord.py offers every matching click to dynamic items, live views' too: a page
    turner still alive here answers its own buttons, so this one stands aside."""

    def __init__(self, nonce: str, action: str):
        super().__init__(
            discord.ui.Button(label=action.title(), custom_id=f"pages:{nonce}:{action}")
        )
        self.nonce = nonce

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: Any,
        /,
    ) -> ExpiredPagesButton:
        return cls(match["nonce"], match["action"])

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        return self.nonce not in _LIVE_PAGES.get(interaction.client, ())

    async def callback(self, interaction: discord.Interaction) -> None:
        await reply(interaction, PAGES_EXPIRED, ephemeral=True)


class EpisodeCardActions(Protocol):
    """What the card's buttons ask of the episodes cog."""

    async def show_chapters(
        self, interaction: discord.Interaction, episode_id: int, *, ephemeral: bool
    ) -> None: ...

    async def show_related(
        self, interaction: discord.Interaction, episode_id: int, *, ephemeral: bool
    ) -> None: ...


_CARD_LABELS = {"chapters": "Chapters", "related": "Related"}
_CARD_EMOJI = {"chapters": "📑", "related": "🔗"}


class EpisodeCardButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"episode:(?P<action>chapters|related):(?P<id>[0-9]{1,19})",
):
    """A "Chapters" or "Related" button on an episode card; the episode is in the custom_id."""

    def __init__(
        self, action: str, episode_id: int, *, label: str | None = None, disabled: bool = False
    ):
        super().__init__(
            discord.ui.Button(
                label=label or _CARD_LABELS[action],
                emoji=_CARD_EMOJI[action],
                style=discord.ButtonStyle.secondary,
                custom_id=f"episode:{action}:{episode_id}",
                disabled=disabled,
            )
        )
        self.action = action
        self.episode_id = episode_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: Any,
        /,
    ) -> EpisodeCardButton:
        return cls(match["action"], int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        client: commands.Bot = interaction.client  # type: ignore[assignment]
        actions: EpisodeCardActions | None = client.get_cog(EPISODES_COG)  # type: ignore[assignment]
        if actions is None:
            await reply(
                interaction,
                "This button isn't available right now; try `/episode`.",
                ephemeral=True,
            )
            return
        try:
            if self.action == "chapters":
                await actions.show_chapters(interaction, self.episode_id, ephemeral=True)
            else:
                await actions.show_related(interaction, self.episode_id, ephemeral=True)
        except Exception as error:
            # Dynamic items have no view error handler after a restart: answer here.
            await answer_error(interaction, error, what="a button")


def episode_card_view(detail: EpisodeDetail) -> discord.ui.View:
    """The card's buttons: Chapters and Related (persistent), and links to listen."""
    episode = detail.episode
    view = discord.ui.View(timeout=None)
    count = detail.chapter_count
    view.add_item(
        EpisodeCardButton(
            "chapters",
            episode.id,
            label=f"Chapters ({count})" if count else "No chapters",
            disabled=not count,
        )
    )
    view.add_item(EpisodeCardButton("related", episode.id))
    audio = web_url(episode.audio_url, BUTTON_URL_LIMIT)
    page = web_url(episode.link, BUTTON_URL_LIMIT)
    if audio:
        view.add_item(discord.ui.Button(label="Listen", emoji="🎧", url=audio))
    if page and page != audio:
        view.add_item(discord.ui.Button(label="Episode page", emoji="🌐", url=page))
    return view
