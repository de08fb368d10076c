"""An episode as a new-episode announcement: the message, its thread and the chapter list.

Pure: plain data in, `discord.Embed`s and strings out, every piece within Discord's limits
(content 2000, embed title 256, field value 1024, footer 2048, all embeds 6000, thread name
1–100). Text from the feed is escaped with bot/ui/render.py's helpers, so a title can neither
format nor ping.

The embed's footer ends with a marker (`ref A<delivery id>`): after a crash the sender
finds an announcement it may already have posted by looking for that marker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

import discord

from bot.common.boilerplate import without_boilerplate
from bot.common.plain_text import plain_summary, title_without_number, truncate
from bot.common.timefmt import format_duration, format_timestamp, jump_link
from bot.store.announcement_rows import AnnouncedEpisode
from bot.ui.render import (
    AUTHOR_LIMIT,
    CONTENT_LIMIT,
    EMBED_TITLE_LIMIT,
    FIELD_VALUE_LIMIT,
    FOOTER_LIMIT,
    escape,
    link,
    literal,
    paginate,
    web_url,
)

THREAD_NAME_LIMIT = 100
SUMMARY_LIMIT = 350
CHAPTER_TITLE_LIMIT = 150

MARKER_PREFIX = "ref A"
TEST_MARKER = "test announcement"
_FOOTER_SEPARATOR = " · "
COLOUR = discord.Colour(0x3B82F6)


@dataclass(frozen=True)
class Announcement:
    """Everything the sender posts for one episode."""

    content: str
    embed: discord.Embed
    thread_name: str
    chapter_messages: list[str]  # the thread's first messages, in order
    allowed_mentions: discord.AllowedMentions


def delivery_marker(delivery_id: int) -> str:
    """The marker that identifies the announcement of one delivery."""
    return f"{MARKER_PREFIX}{delivery_id}"


def has_marker(embeds: list[discord.Embed], marker: str) -> bool:
    """Whether one of these embeds is the announcement carrying `marker`."""
    for embed in embeds:
        footer = embed.footer.text or ""
        if footer.rsplit(_FOOTER_SEPARATOR, 1)[-1] == marker:
            return True
    return False


def build_announcement(
    episode: AnnouncedEpisode,
    *,
    marker: str,
    role_id: int | None = None,
    test: bool = False,
) -> Announcement:
    """The announcement of `episode`. The role is mentioned (and pinged: the only ping the
    bot ever sends) when `role_id` is set and this is not a test."""
    show = literal(one_line(episode.feed_title), 200) or "the show"
    if test:
        content = f"**Test announcement**: new episodes of **{show}** will look like this."
        if role_id is not None:
            content += f" A real one would mention <@&{role_id}>."
        mentions = discord.AllowedMentions.none()
    elif role_id is not None:
        content = f"<@&{role_id}> New episode of **{show}**"
        mentions = discord.AllowedMentions(
            roles=[discord.Object(role_id)], everyone=False, users=False, replied_user=False
        )
    else:
        content = f"New episode of **{show}**"
        mentions = discord.AllowedMentions.none()
    return Announcement(
        content=truncate(content, CONTENT_LIMIT),
        embed=announcement_embed(episode, marker=marker),
        thread_name=thread_name(episode, test=test),
        chapter_messages=chapter_messages(episode),
        allowed_mentions=mentions,
    )


def announcement_embed(episode: AnnouncedEpisode, *, marker: str) -> discord.Embed:
    """Title (linked), number, date, duration, short summary, image, chapter count, links."""
    page = web_url(episode.link) or web_url(episode.audio_url)
    # Ads and calls to action (bot/common/boilerplate.py markers) are no summary.
    notes = without_boilerplate(episode.notes_text) if episode.notes_text else ""
    summary = plain_summary(notes, SUMMARY_LIMIT) if notes else ""
    label = episode_label(episode)
    # "12: Scaling laws" beside an Episode field of #12 reads "Scaling laws" (as the card).
    title = title_without_number(episode.title, episode.number) if label else episode.title
    embed = discord.Embed(
        title=literal(one_line(title) or "Untitled episode", EMBED_TITLE_LIMIT),
        url=page,
        description=escape(summary) or None,
        colour=COLOUR,
    )
    if episode.feed_title.strip():
        embed.set_author(
            name=truncate(one_line(episode.feed_title), AUTHOR_LIMIT),
            url=web_url(episode.feed_link),
        )
    if label:
        embed.add_field(name="Episode", value=label)
    if episode.published_at is not None:
        embed.add_field(name="Published", value=f"<t:{episode.published_at}:D>")
    duration = format_duration(episode.duration)
    if duration:
        embed.add_field(name="Duration", value=duration)
    if episode.chapters:
        count = len(episode.chapters)
        embed.add_field(name="Chapters", value=f"{count} chapter{'s' if count != 1 else ''}")
    links = _links(episode)
    if links:
        embed.add_field(name="Links", value=links, inline=False)
    image = web_url(episode.image)
    if image:
        embed.set_image(url=image)
    footer_show = truncate(one_line(episode.feed_title), 200)
    footer = f"{footer_show}{_FOOTER_SEPARATOR}{marker}" if footer_show else marker
    embed.set_footer(text=truncate(footer, FOOTER_LIMIT))
    return embed


def thread_name(episode: AnnouncedEpisode, *, test: bool = False) -> str:
    """The discussion thread's name: the episode title, 1–100 characters."""
    name = one_line(episode.title)
    if not name:
        name = f"Episode {episode.number}" if episode.number is not None else "New episode"
    if test:
        name = f"Test: {name}"
    return truncate(name, THREAD_NAME_LIMIT)


def chapter_messages(episode: AnnouncedEpisode) -> list[str]:
    """The thread's first message(s): the chapters with jump links, split to fit."""
    title = literal(one_line(episode.title) or "this episode", 200)
    if not episode.chapters:
        listen = web_url(episode.audio_url) or web_url(episode.link)
        text = f"Talk about **{title}** here."
        if listen:
            text += f" Listen: <{listen}>"
        return [text]
    lines = [f"**Chapters** of **{title}**"]
    for chapter in episode.chapters:
        name = literal(one_line(chapter.title) or "(untitled)", CHAPTER_TITLE_LIMIT)
        name = name.replace("[", "\\[").replace("]", "\\]")
        stamp = f"`{format_timestamp(chapter.start)}`"
        url = web_url(jump_link(chapter.start, audio_url=episode.audio_url, link=episode.link))
        # In a message (unlike an embed) `<…>` keeps Discord from previewing every link.
        lines.append(f"{stamp} [{name}](<{_markdown_safe(url)}>)" if url else f"{stamp} {name}")
    return ["\n".join(page) for page in paginate(lines, len(lines), CONTENT_LIMIT)]


def episode_label(episode: AnnouncedEpisode) -> str | None:
    """`#12`, `S2 · #12`, or the feed's own label for it."""
    if episode.number_label:  # the feed's words: escaped
        return literal(one_line(episode.number_label), 100)
    if episode.number is None:
        return None
    if episode.season is not None:
        return f"S{episode.season} · #{episode.number}"
    return f"#{episode.number}"


# ---------------------------------------------------------------------- text helpers


_WHITESPACE = re.compile(r"\s+")


def one_line(text: str | None) -> str:
    return _WHITESPACE.sub(" ", text or "").strip()


def _markdown_safe(url: str) -> str:
    """A URL that cannot end a `[text](<url>)` link early."""
    return quote(url, safe=":/?#[]@!$&'*+,;=%~-._")


def _links(episode: AnnouncedEpisode) -> str:
    parts = []
    audio = web_url(episode.audio_url)
    page = web_url(episode.link)
    if audio:
        parts.append(link("Listen", audio))
    if page and page != audio:
        parts.append(link("Episode page", page))
    while parts and len(" · ".join(parts)) > FIELD_VALUE_LIMIT:
        parts.pop()
    return " · ".join(parts)
