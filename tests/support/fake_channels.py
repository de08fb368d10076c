"""Specced fake Discord channels for the announcement sender, and a feed writer.

`ChannelWorld` holds text and forum channels built with `create_autospec` from the real
discord.py classes; threads and messages, made by the dozen, are `MagicMock(spec=...)`
whose methods the sender calls are checked against the real signatures (`checked`), which
is as strict and much cheaper. What the bot posts is kept per channel
(`world.messages(channel_id)`), so `channel.history()` returns it like Discord would after
a restart. Failures are injected per channel and step (`world.fail_next(...)`).
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from unittest.mock import MagicMock, create_autospec
from xml.sax.saxutils import escape

import aiohttp
import discord
from discord.channel import ThreadWithMessage

BOT_USER_ID = 999_000_000_000_000_001
GUILD_ID = 111111111111111111
OTHER_GUILD_ID = 777777777777777777
TEXT_CHANNEL_ID = 500_000_000_000_000_001
FORUM_CHANNEL_ID = 500_000_000_000_000_002
ROLE_ID = 600_000_000_000_000_001


class Crash(BaseException):
    """Stands for the process dying: nothing in the bot catches a BaseException."""


def http_error(status: int, code: int = 0, cls: type[discord.HTTPException] | None = None):
    """A discord.py HTTP error as the library raises it (built from a specced response)."""
    response = create_autospec(aiohttp.ClientResponse, instance=True)
    response.status = status
    response.reason = {403: "Forbidden", 404: "Not Found", 400: "Bad Request"}.get(status, "Error")
    if cls is None:
        cls = {403: discord.Forbidden, 404: discord.NotFound}.get(status, discord.HTTPException)
        if status >= 500:
            cls = discord.DiscordServerError
    return cls(response, {"code": code, "message": response.reason})


def checked(real: Callable[..., Any], fake: Callable[..., Any]) -> Callable[..., Any]:
    """`fake`, refusing (TypeError) any call the real method's signature would refuse."""
    signature = inspect.signature(real)
    if inspect.iscoroutinefunction(real):

        async def call_async(*args: Any, **kwargs: Any) -> Any:
            signature.bind(None, *args, **kwargs)  # None stands for self
            return await fake(*args, **kwargs)

        return call_async

    def call(*args: Any, **kwargs: Any) -> Any:
        signature.bind(None, *args, **kwargs)
        return fake(*args, **kwargs)

    return call


@dataclass
class Posted:
    """A message the bot posted: where, and the keyword arguments it passed."""

    channel_id: int
    kwargs: dict[str, Any]
    message: Any

    @property
    def content(self) -> str | None:
        return self.kwargs.get("content")

    @property
    def embed(self) -> discord.Embed | None:
        return self.kwargs.get("embed")

    @property
    def allowed_mentions(self) -> discord.AllowedMentions | None:
        return self.kwargs.get("allowed_mentions")


@dataclass
class ChannelWorld:
    """The channels of a fake guild, and everything posted in them."""

    bot_user_id: int = BOT_USER_ID
    permissions: discord.Permissions = field(default_factory=discord.Permissions.all)
    posted: list[Posted] = field(default_factory=list)
    threads: dict[int, Any] = field(default_factory=dict)
    thread_names: dict[int, str] = field(default_factory=dict)
    channels: dict[int, Any] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    _history: dict[int, list[Any]] = field(default_factory=dict)
    _failures: dict[tuple[int, str], list[BaseException]] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(900_000_000_000_000_001))
    _guild: Any = None

    # -- building --

    def guild(self) -> Any:
        """The guild (one per world: autospeccing discord.Guild is slow)."""
        if self._guild is not None:
            return self._guild
        # spec= rather than create_autospec: discord.Guild is slow to autospec, and only
        # attributes are read from it.
        guild = self._guild = MagicMock(spec=discord.Guild)
        guild.id = GUILD_ID
        me = MagicMock(spec=discord.Member)  # only passed to permissions_for
        me.id = self.bot_user_id
        guild.me = me
        guild.get_channel.side_effect = lambda channel_id: self.channels.get(channel_id)
        return guild

    def text_channel(self, channel_id: int = TEXT_CHANNEL_ID, **perms: bool) -> Any:
        channel = create_autospec(discord.TextChannel, instance=True)
        self._common(channel, channel_id, perms)
        channel.send.side_effect = self._sender(channel_id)
        channel.history.side_effect = self._history_of(channel_id)
        channel.get_partial_message.side_effect = self._message_by_id
        return channel

    def forum_channel(self, channel_id: int = FORUM_CHANNEL_ID, **perms: bool) -> Any:
        forum = create_autospec(discord.ForumChannel, instance=True)
        self._common(forum, channel_id, perms)
        forum.threads = []

        async def create_thread(**kwargs: Any) -> ThreadWithMessage:
            self._maybe_fail(channel_id, "create_thread")
            message = self._message(channel_id, kwargs)
            thread = self._thread(message.id, kwargs["name"])
            forum.threads.append(thread)
            self._history[thread.id] = [message]
            self.posted.append(Posted(channel_id, kwargs, message))
            return ThreadWithMessage(thread=thread, message=message)

        forum.create_thread.side_effect = create_thread
        return forum

    def _common(self, channel: Any, channel_id: int, perms: dict[str, bool]) -> None:
        channel.id = channel_id
        channel.mention = f"<#{channel_id}>"
        channel.guild = self.guild()
        granted = discord.Permissions(self.permissions.value)
        granted.update(**perms)
        channel.permissions_for.return_value = granted
        self.channels[channel_id] = channel
        self._history.setdefault(channel_id, [])

    # -- what the sender calls --

    async def resolve(self, channel_id: int) -> Any:
        if channel_id in self.deleted:
            raise http_error(404, 10003)
        found = self.channels.get(channel_id) or self.threads.get(channel_id)
        if found is None:
            raise http_error(404, 10003)
        return found

    def fail_next(self, channel_id: int, step: str, error: BaseException, times: int = 1) -> None:
        """Make the next `times` calls of `step` (send, create_thread, history, thread_send)
        in this channel raise `error`."""
        self._failures.setdefault((channel_id, step), []).extend([error] * times)

    def _maybe_fail(self, channel_id: int, step: str) -> None:
        queue = self._failures.get((channel_id, step))
        if queue:
            raise queue.pop(0)

    def _sender(self, channel_id: int):
        async def send(content: str | None = None, **kwargs: Any) -> Any:
            self._maybe_fail(channel_id, "send")
            kwargs = {"content": content, **kwargs}
            message = self._message(channel_id, kwargs)
            self._history[channel_id].append(message)
            self.posted.append(Posted(channel_id, kwargs, message))
            return message

        return send

    def _history_of(self, channel_id: int):
        def history(*, limit: int | None = 100, **_: Any) -> AsyncIterator[Any]:
            self._maybe_fail(channel_id, "history")
            newest_first = list(reversed(self._history.get(channel_id, [])))[:limit]

            async def iterate() -> AsyncIterator[Any]:
                for message in newest_first:
                    yield message

            return iterate()

        return history

    def _message(self, channel_id: int, kwargs: dict[str, Any]) -> Any:
        # spec= (names checked, async methods async) is ~100x cheaper than an autospec,
        # and a channel posts many messages; create_thread's fake below has its signature.
        message = MagicMock(spec=discord.Message)
        message.id = next(self._ids)
        message.channel = self.channels.get(channel_id)
        message.content = kwargs.get("content") or ""
        message.embeds = [kwargs["embed"]] if kwargs.get("embed") else []
        message.author = discord.Object(self.bot_user_id)  # all the sender reads is the id
        message.jump_url = f"https://discord.com/channels/{GUILD_ID}/{channel_id}/{message.id}"

        async def create_thread(*, name: str, **_: Any) -> Any:
            self._maybe_fail(channel_id, "create_thread")
            if message.id in self.threads:
                raise http_error(400, 160004)
            return self._thread(message.id, name)

        message.create_thread.side_effect = checked(discord.Message.create_thread, create_thread)
        return message

    def _message_by_id(self, message_id: int) -> Any:
        for messages in self._history.values():
            for message in messages:
                if message.id == message_id:
                    return message
        raise AssertionError(f"no message {message_id}")

    def _thread(self, thread_id: int, name: str) -> Any:
        assert 1 <= len(name) <= 100, f"thread name of {len(name)} characters"
        # spec= plus signature-checked fakes of the methods the sender calls: as strict
        # as an autospec where it matters, at a fraction of its cost.
        thread = MagicMock(spec=discord.Thread)
        thread.id = thread_id
        thread.name = name
        thread.owner_id = self.bot_user_id
        self.threads[thread_id] = thread
        self.thread_names[thread_id] = name
        self._history.setdefault(thread_id, [])

        async def send(content: str | None = None, **kwargs: Any) -> Any:
            self._maybe_fail(thread_id, "thread_send")
            kwargs = {"content": content, **kwargs}
            message = self._message(thread_id, kwargs)
            self._history[thread_id].append(message)
            self.posted.append(Posted(thread_id, kwargs, message))
            return message

        async def fetch_message(message_id: int) -> Any:
            return self._message_by_id(message_id)

        thread.send.side_effect = checked(discord.Thread.send, send)
        thread.history.side_effect = checked(discord.Thread.history, self._history_of(thread_id))
        thread.fetch_message.side_effect = checked(discord.Thread.fetch_message, fetch_message)
        return thread

    # -- reading what happened --

    def messages(self, channel_id: int) -> list[Any]:
        """Messages in a channel or thread, oldest first."""
        return list(self._history.get(channel_id, []))

    def announcements(self, channel_id: int) -> list[Posted]:
        """Posts in a channel (not in its threads) that carry an embed."""
        return [p for p in self.posted if p.channel_id == channel_id and p.embed is not None]


# ---------------------------------------------------------------------- feeds


@dataclass
class Item:
    """One episode of a generated feed."""

    guid: str
    title: str
    published: datetime
    notes: str = "<p>0:00 Intro</p><p>5:30 The main topic</p><p>40:00 Wrapping up</p>"
    number: int | None = None
    duration: int = 3000

    @property
    def audio(self) -> str:
        return f"https://cdn.example.com/{self.guid}.mp3"


def feed_xml(title: str, items: list[Item]) -> str:
    """An RSS feed with these items (newest first, as feeds are)."""
    parts = []
    for item in sorted(items, key=lambda i: i.published, reverse=True):
        number = f"<itunes:episode>{item.number}</itunes:episode>" if item.number else ""
        parts.append(
            f"""<item><guid>{escape(item.guid)}</guid><title>{escape(item.title)}</title>
            <pubDate>{format_datetime(item.published.astimezone(UTC), usegmt=True)}</pubDate>
            <link>https://example.com/{escape(item.guid)}</link>
            <enclosure url="{item.audio}" type="audio/mpeg" length="1"/>
            <itunes:duration>{item.duration}</itunes:duration>{number}
            <description>{escape(item.notes)}</description></item>"""
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel><title>{escape(title)}</title><link>https://example.com/</link>
<description>A test show</description>{"".join(parts)}</channel></rss>"""
