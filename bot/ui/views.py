"""Buttons: a base view that answers its own errors, the page turner, and the episode
card's buttons that survive a restart.

- `BaseView` lets only the member who asked use it (`owner_id`), answers everyone else
  ephemerally, and turns errors into the same messages the command tree gives.
- `Paginator` shows one embed of a list at a time, with Previous / page / Next buttons
  that only the asker can press. It keeps the answer's rows, not its pages, and is sent
  stopped: `PageTurnButton` (a `DynamicItem`) answers the turns, from the rows kept for
  the most recent pagers or rebuilt by the cog that answered, so pages survive a restart
  and memory stays bounded however many answers are paged. A page may bring its own row
  of buttons (`/when`'s ⭐ Save), drawn with it.
- `EpisodeCardButton` is a `DynamicItem`: its state lives in the `custom_id`
  (`episode:chapters:123`), and `setup()` of the episodes cog registers the class with
  `bot.add_dynamic_items`, so a card posted last month still works after a restart.
  Anyone may press it; the answer goes to the presser only (ephemeral).
- `ExpiredPagesButton` answers the page buttons of older versions' pagers, whose pages
  died with their process: "these pages have expired", rather than "interaction failed".

Also `defer_if_slow`, for handlers whose work may outlast Discord's 3 seconds.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, overload

import discord
from discord.ext import commands

from bot.app.tree import answer_error
from bot.models.episode_views import EpisodeDetail
from bot.ui.render import BUTTON_URL_LIMIT, PagedList, web_url
from bot.ui.replies import NO_MENTIONS, defer_publicly, reply

log = logging.getLogger(__name__)

T = TypeVar("T")

EPISODES_COG = "Episodes"  # the cog that answers the card's buttons
PAGE_TIMEOUT = 300.0  # seconds a view stays usable (pagers have none: see `Paginator`)
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


# Page turns are answered by `PageTurnButton`, never by a view kept in memory: a pager is
# drawn, sent and forgotten by discord.py. What a turn needs — the rows of the answer, not
# its pages — is kept here for the most recent answers of each running client (least
# recently turned dropped first); older ones, and every one after a restart, are rebuilt by
# the cog that answered (`PageSources`), or say they expired when they cannot be.
PAGE_CACHE_SIZE = 128
_RECENT_PAGES: weakref.WeakKeyDictionary[Any, OrderedDict[str, PagedAnswer]] = (
    weakref.WeakKeyDictionary()
)
PAGES_EXPIRED = (
    "These pages have expired (I was restarted, or they were left for a while). "
    "Run the command again to page through the answer."
)
PAGE_KEY_LIMIT = 70  # what a rebuild needs (a query, an id) fits in the custom_id's 100
NOT_ASKED_BY_YOU = "Only the person who asked can turn these pages."

ItemsOf = Callable[[int], Sequence[discord.ui.Item[Any]]]


@dataclass(frozen=True, slots=True, eq=False)
class PagedAnswer:
    """What a pager keeps: the answer's rows and how to draw a page (`render.PagedList`),
    and the buttons a page brings of its own (`/when`'s ⭐ Save), drawn with it."""

    source: PagedList[Any]
    items: ItemsOf | None = None


class PageSources(Protocol):
    """A cog whose paged answers can be rebuilt from a button's `kind` and `key` (the
    query, an episode id…), in the guild of the member who turns the page."""

    page_kinds: tuple[str, ...]

    async def load_pages(
        self, interaction: discord.Interaction, kind: str, key: str
    ) -> PagedAnswer | None: ...


def _recent(client: Any) -> OrderedDict[str, PagedAnswer]:
    recent = _RECENT_PAGES.get(client)
    if recent is None:
        recent = _RECENT_PAGES[client] = OrderedDict()
    return recent


def remember_pages(client: Any, nonce: str, answer: PagedAnswer) -> None:
    """Keep `answer` for fast page turns, dropping the least recently turned beyond the cap."""
    recent = _recent(client)
    recent[nonce] = answer
    recent.move_to_end(nonce)
    while len(recent) > PAGE_CACHE_SIZE:
        recent.popitem(last=False)


def recall_pages(client: Any, nonce: str) -> PagedAnswer | None:
    recent = _RECENT_PAGES.get(client)
    answer = recent.get(nonce) if recent is not None else None
    if answer is not None and recent is not None:
        recent.move_to_end(nonce)
    return answer


def drawn_only(view: discord.ui.View) -> discord.ui.View:
    """`view` stopped before it is sent: its buttons are answered by persistent items
    (`DynamicItem`s), so discord.py need not keep it (a live view with custom ids would
    stay in its view store as long as it is not stopped — forever without a timeout)."""
    view.stop()
    return view


class _DrawnPages(Sequence[discord.Embed]):
    """A pager's pages, each drawn when asked for (tests and `episode-bot ask` read them)."""

    def __init__(self, source: PagedList[Any]):
        self._source = source

    def __len__(self) -> int:
        return self._source.count

    @overload
    def __getitem__(self, index: int) -> discord.Embed: ...

    @overload
    def __getitem__(self, index: slice) -> list[discord.Embed]: ...

    def __getitem__(self, index: int | slice) -> discord.Embed | list[discord.Embed]:
        if isinstance(index, slice):
            return [self._source.page(i) for i in range(self._source.count)[index]]
        if not -self._source.count <= index < self._source.count:
            raise IndexError(index)
        return self._source.page(index % self._source.count)


def _embeds_as_pages(embeds: Sequence[discord.Embed]) -> PagedList[discord.Embed]:
    return PagedList(tuple(embeds), tuple(range(len(embeds))), lambda rows, i, n: rows[0])


class Paginator(BaseView):
    """Pages of a long answer, turned with buttons by the member who asked.

    It keeps a `PagedAnswer` (the rows, not the pages) and draws the page shown. It is sent
    stopped (`drawn_only`): its buttons' custom ids, `pages:<nonce>:<kind>:<page>:<prev|
    next>:<key>`, are answered by `PageTurnButton`, from the answer kept in memory for the
    most recent pagers, else rebuilt from `kind` and `key` by the cog (so pages survive a
    restart), else "these pages have expired". `kind` "x" (the default) is never rebuilt.

    `page_items`: for each page (a list, or a function of the page index), the buttons
    shown above the page turner while that page shows (at most 5, a row of their own).
    They answer their own clicks (persistent custom ids answered elsewhere) and are not
    the asker's only.
    """

    refusal = NOT_ASKED_BY_YOU

    def __init__(
        self,
        source: PagedList[Any] | Sequence[discord.Embed],
        *,
        owner_id: int,
        kind: str = "x",
        key: str = "",
        index: int = 0,
        nonce: str | None = None,
        page_items: ItemsOf | Sequence[Sequence[discord.ui.Item[Any]]] = (),
    ):
        paged = source if isinstance(source, PagedList) else _embeds_as_pages(source)
        if not paged.count:
            raise ValueError("a paginator needs at least one page")
        super().__init__(owner_id=owner_id, timeout=None)
        if callable(page_items):
            items: ItemsOf | None = page_items
        else:
            rows = [list(row) for row in page_items]
            items = (lambda i: rows[i] if i < len(rows) else []) if rows else None
        self.answer = PagedAnswer(paged, items)
        self.kind = kind
        # A key too long for a custom_id is not kept: such pages cannot be rebuilt.
        self.key = key if len(key) <= PAGE_KEY_LIMIT else ""
        self.nonce = nonce or secrets.token_hex(4)
        self.index = max(0, min(paged.count - 1, index))
        self._shown_items: list[discord.ui.Item[Any]] = []
        self._sync()

    @property
    def pages(self) -> Sequence[discord.Embed]:
        return _DrawnPages(self.answer.source)

    @property
    def current(self) -> discord.Embed:
        return self.answer.source.page(self.index)

    async def start(self, interaction: discord.Interaction, *, ephemeral: bool = False) -> None:
        """Send the first page; with one page only, no page turner (only its own items)."""
        if self.answer.source.count == 1:
            self.stop()
            items = self._items_of(0)
            if not items:
                await reply(interaction, embed=self.current, ephemeral=ephemeral)
                return
            view = discord.ui.View(timeout=None)
            for item in items:
                view.add_item(item)
            await reply(interaction, embed=self.current, view=drawn_only(view), ephemeral=ephemeral)
            return
        remember_pages(interaction.client, self.nonce, self.answer)
        await reply(interaction, embed=self.current, view=drawn_only(self), ephemeral=ephemeral)

    async def show(self, interaction: discord.Interaction) -> None:
        """Show the current page in place of the pressed message's."""
        await interaction.response.edit_message(
            embed=self.current, view=drawn_only(self), allowed_mentions=NO_MENTIONS
        )

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
        """A press on this very view (tests, or a view someone keeps listening to)."""
        self.index = max(0, min(self.answer.source.count - 1, self.index + step))
        self._sync()
        await self.show(interaction)

    def _items_of(self, index: int) -> list[discord.ui.Item[Any]]:
        if self.answer.items is None:
            return []
        return list(self.answer.items(index))[:PAGE_ITEMS_MAX]

    def _custom_id(self, page: int, action: str) -> str:
        return f"pages:{self.nonce}:{self.kind}:{page}:{action}:{self.key}"

    def _sync(self) -> None:
        for item in self._shown_items:
            self.remove_item(item)
        self._shown_items = self._items_of(self.index)
        for item in self._shown_items:
            item.row = PAGE_ITEMS_ROW
            self.add_item(item)
        count = self.answer.source.count
        self.previous_page.custom_id = self._custom_id(max(0, self.index - 1), "prev")
        self.page_counter.custom_id = f"pages:{self.nonce}:{self.kind}:{self.index}:here"
        self.next_page.custom_id = self._custom_id(min(count - 1, self.index + 1), "next")
        self.page_counter.label = f"{self.index + 1}/{count}"
        self.previous_page.disabled = self.index == 0
        self.next_page.disabled = self.index == count - 1

    async def on_timeout(self) -> None:
        """Only for a pager someone kept listening to with a timeout: disable its page
        buttons (the page's own items stay usable)."""
        for item in self.children:
            if isinstance(item, discord.ui.Button) and item not in self._shown_items:
                item.disabled = True


def asked_by(interaction: discord.Interaction) -> bool:
    """Whether the pressed message answered the member who presses (Discord's own record
    of who ran the command); unknown counts as no."""
    message = interaction.message
    metadata = getattr(message, "interaction_metadata", None) if message is not None else None
    user_id = getattr(getattr(metadata, "user", None), "id", None)
    return isinstance(user_id, int) and user_id == interaction.user.id


class PageTurnButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=(
        r"pages:(?P<nonce>[0-9a-f]{8}):(?P<kind>[a-z]):(?P<page>[0-9]{1,4})"
        r":(?P<action>prev|next):(?P<key>(?s:.*))"
    ),
):
    """Answers a `Paginator`'s Previous / Next: draws the page named in the custom_id from
    the answer kept for recent pagers, or rebuilt by the cog that owns its `kind`."""

    def __init__(self, nonce: str, kind: str, page: int, action: str, key: str):
        super().__init__(
            discord.ui.Button(
                label=action.title(), custom_id=f"pages:{nonce}:{kind}:{page}:{action}:{key}"
            )
        )
        self.nonce, self.kind, self.page, self.key = nonce, kind, page, key

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: Any,
        /,
    ) -> PageTurnButton:
        return cls(match["nonce"], match["kind"], int(match["page"]), match["action"], match["key"])

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            if not asked_by(interaction):
                await reply(interaction, NOT_ASKED_BY_YOU, ephemeral=True)
                return
            answer = recall_pages(interaction.client, self.nonce)
            if answer is None:
                answer = await self._rebuild(interaction)
                if answer is None:
                    await reply(interaction, PAGES_EXPIRED, ephemeral=True)
                    return
                remember_pages(interaction.client, self.nonce, answer)
            pager = Paginator(
                answer.source,
                owner_id=interaction.user.id,
                kind=self.kind,
                key=self.key,
                index=self.page,
                nonce=self.nonce,
                page_items=answer.items or (),
            )
            await pager.show(interaction)
        except Exception as error:
            # Dynamic items have no view error handler: answer here.
            await answer_error(interaction, error, what="a button")

    async def _rebuild(self, interaction: discord.Interaction) -> PagedAnswer | None:
        client: commands.Bot = interaction.client  # type: ignore[assignment]
        for cog in client.cogs.values():
            if self.kind in getattr(cog, "page_kinds", ()):
                sources: PageSources = cog  # type: ignore[assignment]
                return await sources.load_pages(interaction, self.kind, self.key)
        return None


class ExpiredPagesButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"pages:(?P<nonce>[0-9a-f]{16}):(?P<action>prev|next)",
):
    """Answers the page buttons of messages sent by older versions of the bot, whose
    pages lived only in that process: "these pages have expired", rather than Discord's
    "interaction failed"."""

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
    return drawn_only(view)
