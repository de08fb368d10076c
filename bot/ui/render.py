"""What a member sees: catalogue answers rendered as embeds and short messages.

Pure functions from the catalogue's dataclasses (bot/search/catalogue.py) to `discord.Embed`s and
strings; nothing here knows about interactions, so it is tested with plain values.

Two rules hold for everything built here:
- Feed text is shown literally: Markdown is escaped and mention syntax defused (`escape`),
  so a title such as `**bold**`, `@everyone` or `<@&123>` reads as typed. (Nothing could
  ping anyway: every send passes `AllowedMentions.none()`.)
- Everything fits Discord's limits (the constants below; tests/fakediscord/limits.py
  checks them as Discord does): text is cut at a word boundary
  with an ellipsis, lists are split into pages, and `fit_embed` is the last guard.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

import discord
from discord import app_commands

from bot.common.plain_text import plain_summary, title_without_number, truncate
from bot.common.timefmt import format_duration, format_timestamp, jump_link
from bot.models.episode_views import (
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    PARTIAL_TIERS,
    ChapterEntry,
    EpisodeDetail,
    EpisodeSummary,
    Moment,
    PersonEpisodes,
    RelatedEpisode,
    SearchHit,
    Suggestion,
)

# ---------------------------------------------------------------- Discord's limits

CONTENT_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELDS_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
EMBED_TOTAL_LIMIT = 6000
BUTTON_LABEL_LIMIT = 80
BUTTON_URL_LIMIT = 512
CUSTOM_ID_LIMIT = 100
CHOICE_LIMIT = 100  # autocomplete choice name and value
CHOICES_LIMIT = 25

ACCENT = discord.Colour(0xD9733B)  # warm orange: every embed of the bot looks related

SUMMARY_LIMIT = 450  # the card's summary: a paragraph, not the show notes
CHAPTERS_PER_PAGE = 15
MOMENTS_PER_PAGE = 5
HITS_PER_PAGE = 5
EPISODES_PER_PAGE = 10
# Room left in a description for lines of a page; the rest of the embed stays small.
PAGE_BUDGET = 3800
# A link longer than this is not worth its share of an embed; the text is shown unlinked.
LINK_URL_LIMIT = 512
EMBED_URL_LIMIT = 2048  # an embed's own url and images cost none of its 6000 characters
# Room kept on each page of fields for its footer (`_page_footer` is cut to this).
FOOTER_ROOM = 300

# ---------------------------------------------------------------- text that is safe to show

_MENTION_LIKE = re.compile(r"<(?=[@#/:]|t:|a:)")  # <@1> <@&1> <#1> </cmd:1> <:e:1> <a:e:1> <t:1>
_MASS_MENTION = re.compile(r"@(?=everyone|here)")
_NEEDLESS_ESCAPE = re.compile(r"^(\s*)\\(?=#{1,3}[^#\s]|-[^#\s])", re.MULTILINE)
_HIGHLIGHT_LEADING_SPACE = re.compile(rf"{HIGHLIGHT_START}(\s+)")
_HIGHLIGHT_TRAILING_SPACE = re.compile(rf"(\s+){HIGHLIGHT_END}")
_EMPTY_HIGHLIGHT = re.compile(rf"{HIGHLIGHT_START}{HIGHLIGHT_END}")
_MARKERS = re.compile(rf"[{HIGHLIGHT_START}{HIGHLIGHT_END}]")
_TIMESTAMP_LINE = re.compile(r"^\s*[\[(]?\d{1,3}:\d{2}(?::\d{2})?\b")
_CHAPTER_HEADING = re.compile(r"^\s*(chapters|timestamps|show notes|links)\s*:?\s*$", re.I)
_TYPE_PREFIX = re.compile(r"^\s*(trailer|bonus|teaser)\s*[:|–—-]\s*", re.I)
# A trailer, teaser or bonus episode named so by its title, for feeds that set no
# `itunes:episodeType` (English, German, Dutch, Spanish): "Trailer: …", "BONUS - …",
# "[Teaser] …", "… (Bonus)", "Bonus episode: …", "Der Trailer ist da!", "Bonusfolge …".
_TITLE_KIND = re.compile(
    r"^\s*[\[(]?\s*(trailer|teaser|bonus|tráiler)\s*(?:[\])]|[:|!–—-]|$)"
    r"|[\[(]\s*(trailer|teaser|bonus)\s*[\])]"
    r"|[|–—-]\s*(trailer|teaser)\s*$"
    r"|\b(trailer|teaser)\s+ist\s+da\b"
    r"|\b(bonus)[- ]?(?:episode|folge|aflevering|episodio)\b",
    re.I,
)
# Control characters (C0 and C1, but line breaks and tabs) and the bidi embeddings,
# overrides and isolates (U+202A–U+202E, U+2066–U+2069): a right-to-left override in a
# title would flip everything after it. The highlight markers are kept by `escape`.
_CONTROLS = re.compile("[\x00\x01\x04-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_ALL_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """`text` without control characters and bidi overrides (highlight markers included)."""
    if text.isascii() and text.isprintable():
        return text
    return _ALL_CONTROLS.sub("", text)


def escape(text: str) -> str:
    """Feed or member text shown literally: Markdown escaped, mentions and timestamps defused.

    Links are left alone (escaping `_` inside a URL would break it).
    """
    if not (text.isascii() and text.isprintable()):
        text = _CONTROLS.sub("", text)
    text = discord.utils.escape_markdown(text)
    # discord.py escapes every leading `#` and `-`; only `# ` and `- ` are Markdown, and a
    # needless backslash in "#12" or "-5 dB" would show in places (code, console output).
    text = _NEEDLESS_ESCAPE.sub(r"\1", text)
    text = _MENTION_LIKE.sub(r"\\<", text)
    # A zero-width space after `@` makes `@everyone` plain text even where it could ping.
    return _MASS_MENTION.sub("@\u200b", text)


def literal(text: str, limit: int) -> str:
    """`text` escaped and cut at a word boundary (with "…") so that the result fits `limit`."""
    return _fitted(visible(text), limit, escape)


def _fitted(text: str, limit: int, show: Callable[[str], str]) -> str:
    """`show(text)` cut at a word boundary (with "…") so that the result fits `limit`."""
    budget = limit
    while True:
        shown = show(truncate(text, budget))
        if len(shown) <= limit or budget <= 1:
            return shown[:limit]
        # Showing added characters (escapes, bold): cut the source shorter by the excess.
        budget -= max(1, len(shown) - limit)


def highlighted(text: str, limit: int) -> str:
    """Catalogue text with its matches in bold (markers become `**`), the rest escaped,
    starting near the first match and fitting `limit`."""
    text = _around_first_match(" ".join(text.split()), limit)
    text = _HIGHLIGHT_LEADING_SPACE.sub(rf"\1{HIGHLIGHT_START}", text)
    text = _HIGHLIGHT_TRAILING_SPACE.sub(rf"{HIGHLIGHT_END}\1", text)
    text = _EMPTY_HIGHLIGHT.sub("", text)
    return _fitted(text, limit, lambda part: _bold_markers(escape(part)))


def _around_first_match(text: str, limit: int) -> str:
    """Drop the start of a long text so that its first match shows (with a leading "…")."""
    first = text.find(HIGHLIGHT_START)
    if first < limit // 2:
        return text
    start = text.rfind(" ", 0, first - limit // 4)
    return "…" + text[start + 1 :] if start > 0 else text


def _bold_markers(text: str) -> str:
    """Markers to `**`, closing a match that truncation cut open and dropping strays."""
    out: list[str] = []
    inside = False
    for char in text:
        if char == HIGHLIGHT_START:
            if not inside:
                out.append("**")
                inside = True
        elif char == HIGHLIGHT_END:
            if inside:
                out.append("**")
                inside = False
        else:
            out.append(char)
    if inside:
        out.append("**")
    return "".join(out)


def plain(text: str) -> str:
    """Catalogue text without highlight markers (for choice names and console output)."""
    return _MARKERS.sub("", text)


def web_url(url: str | None, limit: int = LINK_URL_LIMIT) -> str | None:
    """`url` if Discord will accept it as a link (http or https, not absurdly long)."""
    if not url or len(url) > limit or any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def link(text: str, url: str | None) -> str:
    """A Markdown link with `text` (already escaped) as its label; the text alone when the
    URL cannot be linked."""
    url = web_url(url)
    if url is None:
        return text
    label = text.replace("[", "\\[").replace("]", "\\]")
    # `)` and `(` would end or confuse the Markdown link; percent-encoding keeps the URL.
    target = url.replace("(", "%28").replace(")", "%29")
    return f"[{label}]({target})"


def code(text: str, limit: int = 60) -> str:
    """`text` as inline code; a backtick inside would end it early, so it is swapped."""
    return "`" + truncate(visible(text), limit).replace("`", "ˋ") + "`"


def discord_date(unix: int | None) -> str | None:
    """A date each member reads in their own time zone."""
    return f"<t:{int(unix)}:D>" if unix is not None else None


# ---------------------------------------------------------------- episodes as labels


def episode_kind(episode: EpisodeSummary) -> str | None:
    """ "Trailer", "Teaser" or "Bonus": from `itunes:episodeType`, else (a feed that does not
    set it reads as "full") from the title; None for a regular episode."""
    if episode.episode_type in ("trailer", "bonus"):
        return episode.episode_type.title()
    if episode.episode_type == "full":
        match = _TITLE_KIND.search(episode.title)
        if match:
            word = next(group for group in match.groups() if group).lower()
            return "Trailer" if word == "tráiler" else word.title()
    return None


def _number_label(episode: EpisodeSummary) -> str:
    """`#12`, or the feed's own label, unless that label only repeats the title."""
    label = (episode.number_label or "").strip()
    if label and _same_words(label, episode.title):
        label = ""
    return label or (f"#{episode.number}" if episode.number is not None else "")


def _same_words(a: str, b: str) -> bool:
    return " ".join(re.findall(r"\w+", a.casefold())) == " ".join(re.findall(r"\w+", b.casefold()))


def episode_badge(episode: EpisodeSummary) -> str:
    """The short label of an episode: `#12`, `S2 · #12`, `Trailer`, `#12 · Bonus`."""
    return _badge(episode) or "Episode"


def _badge(episode: EpisodeSummary) -> str:
    """The badge, or "" for an unnumbered regular episode."""
    parts = []
    number = _number_label(episode)
    if number:
        parts.append(f"S{episode.season} · {number}" if episode.season is not None else number)
    elif episode.season is not None:
        parts.append(f"S{episode.season}")
    if kind := episode_kind(episode):
        parts.append(kind)
    return " · ".join(parts)


def short_title(episode: EpisodeSummary) -> str:
    """The title without a leading episode number that the badge already shows
    ("12: Scaling laws" or "#12 Scaling laws" next to `#12` read "Scaling laws")."""
    title = title_without_number(episode.title, episode.number)
    if title != episode.title:
        return title
    label = _number_label(episode)
    if label and not label.startswith("#") and episode.title.startswith(label):
        # The feed's label repeated by its title: "E7 · E7: Roots" reads "E7 · Roots".
        rest = episode.title[len(label) :].lstrip(" \t:|–—-.")
        if rest and rest != episode.title[len(label) :]:
            return rest
    kind = episode_kind(episode)
    if kind:
        # "Bonus: Live in Lisbon" next to the `Bonus` badge reads "Live in Lisbon".
        match = _TYPE_PREFIX.match(episode.title)
        if match and match.group(1).lower() == kind.lower():
            rest = episode.title[match.end() :].strip()
            if rest:
                return rest
    return episode.title


def episode_heading(episode: EpisodeSummary, limit: int = FIELD_NAME_LIMIT) -> str:
    """`#12 · Title` escaped for a field name or heading."""
    badge = literal(episode_badge(episode), 60)
    return f"{badge} · {literal(short_title(episode), max(1, limit - len(badge) - 3))}"


def spans_shows(episodes: Sequence[EpisodeSummary]) -> bool:
    """Whether a list holds episodes of more than one show (then each line names its show)."""
    return len({e.feed_id for e in episodes}) > 1


def show_name(episode: EpisodeSummary, limit: int = 60) -> str:
    """The episode's show in italics, or "" when it has no title."""
    name = literal(episode.feed_title or "", limit)
    return f"*{name}*" if name else ""


def episode_line(
    episode: EpisodeSummary, *, title_limit: int = 150, show_feed: bool = False
) -> str:
    """One line of an episode list: badge, linked title, (its show,) date, duration."""
    title = link(literal(short_title(episode), title_limit), _episode_url(episode))
    parts = [f"{code(episode_badge(episode))} {title}"]
    if show_feed and (name := show_name(episode)):
        parts.append(name)
    if date := discord_date(episode.published_at):
        parts.append(date)
    if duration := format_duration(episode.duration):
        parts.append(duration)
    return " · ".join(parts)


def _episode_url(episode: EpisodeSummary, limit: int = LINK_URL_LIMIT) -> str | None:
    """Where an episode is opened: its page, else its audio (a page link that is no URL
    gives way to the audio rather than leaving the episode unlinked)."""
    return web_url(episode.link, limit) or web_url(episode.audio_url, limit)


# ---------------------------------------------------------------- the episode card


def card_summary(notes_text: str, limit: int = SUMMARY_LIMIT) -> str:
    """The first paragraphs of the show notes, before any chapter list, cut at a sentence."""
    kept: list[str] = []
    for line in notes_text.splitlines():
        if _TIMESTAMP_LINE.match(line) or _CHAPTER_HEADING.match(line):
            break
        kept.append(line)
    source = "\n".join(kept).strip() or notes_text
    return plain_summary(source, limit)


def guests(detail: EpisodeDetail) -> list[str]:
    """The people on the episode who are not hosts, in feed order, once each."""
    seen: dict[str, None] = {}
    for person in detail.persons:
        if person.role.lower() != "host":
            seen.setdefault(person.name, None)
    return list(seen)


def episode_card(detail: EpisodeDetail) -> discord.Embed:
    """The `/episode` card: linked title, number, date, duration, summary, guests, chapters."""
    episode = detail.episode
    badge = _badge(episode)
    # The Episode field shows the number: the title does not repeat it ("12: …" → "…").
    title = short_title(episode) if badge else episode.title
    embed = discord.Embed(
        title=literal(title, EMBED_TITLE_LIMIT),
        url=_episode_url(episode, EMBED_URL_LIMIT),
        description=literal(card_summary(detail.notes_text), SUMMARY_LIMIT + 100) or None,
        colour=ACCENT,
    )
    if badge:  # an unnumbered episode has none: no "Episode: Episode"
        embed.add_field(name="Episode", value=literal(badge, 200), inline=True)
    if date := discord_date(episode.published_at):
        embed.add_field(name="Published", value=date, inline=True)
    if duration := format_duration(episode.duration):
        embed.add_field(name="Length", value=duration, inline=True)
    guest_names = guests(detail)
    if guest_names:
        hrefs = {p.name: p.href for p in detail.persons}
        # What the credit says beside the name ("Quarry Labs", "Dr."), kept out of it.
        details: dict[str, str] = {}
        for person in detail.persons:
            if person.detail and person.role.lower() != "host":
                details.setdefault(person.name, person.detail)
        names = [
            link(literal(name, 100), hrefs.get(name))
            + (f" ({literal(details[name], 80)})" if name in details else "")
            for name in guest_names
        ]
        embed.add_field(
            name="Guest" if len(names) == 1 else "Guests",
            value=join_within(names, ", ", FIELD_VALUE_LIMIT),
            inline=False,
        )
    if detail.chapter_count:
        count = detail.chapter_count
        chapters = f"{count} chapter{'s' if count != 1 else ''}: press **Chapters** below"
    elif detail.chapters_error:
        chapters = _CHAPTERS_FILE_FAILED[0].upper() + _CHAPTERS_FILE_FAILED[1:]
    else:
        chapters = "No chapters in this episode's feed"
    if detail.has_transcript:
        chapters += "\nTranscript available: find a moment with `/when`"
    embed.add_field(name="Chapters", value=chapters, inline=False)
    if image := web_url(episode.image, EMBED_URL_LIMIT):
        embed.set_thumbnail(url=image)
    if episode.feed_title:
        embed.set_footer(text=truncate(visible(episode.feed_title), 200))
    return fit_embed(embed)


def join_within(items: Sequence[str], separator: str, limit: int) -> str:
    """Items joined while they fit `limit`, then "and N more"."""
    out = ""
    for index, item in enumerate(items):
        candidate = item if not out else out + separator + item
        rest = len(items) - index - 1
        room = limit - (len(f" and {rest} more") if rest else 0)
        if len(candidate) > room:
            return f"{out} and {len(items) - index} more" if out else truncate(item, limit)
        out = candidate
    return out


# ---------------------------------------------------------------- paged lists


_Item = TypeVar("_Item")


@dataclass(frozen=True, slots=True, eq=False)
class PagedList(Generic[_Item]):
    """A long answer kept as what its pages are drawn from, not as the pages: its rows
    (rendered lines or fields: short strings), where each page starts, and how a page of
    rows is drawn. A page turner keeps this and draws the page shown at each turn."""

    rows: tuple[_Item, ...]
    starts: tuple[int, ...]  # the index of each page's first row
    draw: Callable[[Sequence[_Item], int, int], discord.Embed]  # (rows, page, page count)

    @property
    def count(self) -> int:
        return len(self.starts)

    def span(self, index: int) -> range:
        """The rows of page `index`, as indexes into `rows`."""
        end = self.starts[index + 1] if index + 1 < len(self.starts) else len(self.rows)
        return range(self.starts[index], end)

    def page(self, index: int) -> discord.Embed:
        span = self.span(index)
        return self.draw(self.rows[span.start : span.stop], index, self.count)

    def pages(self) -> list[discord.Embed]:
        """Every page drawn (for tests and `episode-bot ask`; the bot draws one at a time)."""
        return [self.page(index) for index in range(self.count)]


def _paged(
    rows: Sequence[_Item],
    groups: Sequence[Sequence[_Item]],
    draw: Callable[[Sequence[_Item], int, int], discord.Embed],
) -> PagedList[_Item]:
    starts, at = [], 0
    for group in groups:
        starts.append(at)
        at += len(group)
    return PagedList(tuple(rows), tuple(starts), draw)


def paginate(lines: Sequence[str], per_page: int, budget: int = PAGE_BUDGET) -> list[list[str]]:
    """Lines grouped into pages of at most `per_page` lines and `budget` characters."""
    lines = [line if len(line) <= budget else truncate(line, budget) for line in lines]
    return _group(lines, per_page, budget, lambda line: len(line) + 1)


def _group(
    items: Sequence[_Item], per_page: int, budget: int, size: Callable[[_Item], int]
) -> list[list[_Item]]:
    """`items` in order, in pages of at most `per_page` items whose sizes add up to at most
    `budget` (an item bigger than the budget gets a page of its own)."""
    pages: list[list[_Item]] = []
    current: list[_Item] = []
    used = 0
    for item in items:
        cost = size(item)
        if current and (len(current) >= per_page or used + cost > budget):
            pages.append(current)
            current, used = [], 0
        current.append(item)
        used += cost
    if current:
        pages.append(current)
    return pages


def _page_footer(index: int, total: int, *extra: str) -> str:
    parts = [f"Page {index + 1}/{total}"] if total > 1 else []
    parts += [part for part in extra if part]
    return truncate(" · ".join(parts), FOOTER_ROOM)


def _line_list(
    title: str, lines: Sequence[str], per_page: int, *footer: str, url: str | None = None
) -> PagedList[str]:
    """A list of lines in pages of `per_page` lines (fewer when long); no page without lines."""
    groups = paginate(lines, per_page)

    def draw(page: Sequence[str], index: int, total: int) -> discord.Embed:
        embed = discord.Embed(title=title, url=url, description="\n".join(page), colour=ACCENT)
        if text := _page_footer(index, total, *footer):
            embed.set_footer(text=text)
        return fit_embed(embed)

    return _paged([line for group in groups for line in group], groups, draw)


def chapter_line(episode: EpisodeSummary, chapter: ChapterEntry, title_limit: int = 200) -> str:
    """`` `12:34` [Title](jump link) ``, marked `(ad)` for a sponsor read and `(past the
    stated length)` when the feed's duration ends before it, plus the chapter's own link."""
    title = literal(chapter.title, title_limit) or "(untitled)"
    jump = jump_link(chapter.start, audio_url=episode.audio_url, link=episode.link)
    line = f"`{format_timestamp(chapter.start)}` {link(title, jump)}"
    if chapter.kind == "ad":
        line += " (ad)"
    if episode.duration and chapter.start >= episode.duration:
        line += " (past the stated length)"
    if web_url(chapter.url):
        line += f" · {link('link', chapter.url)}"
    return line


def chapter_pages(
    episode: EpisodeSummary, chapters: Sequence[ChapterEntry], per_page: int = CHAPTERS_PER_PAGE
) -> list[discord.Embed]:
    """The chapter list, one embed per page; empty when there are no chapters."""
    return chapter_list(episode, chapters, per_page).pages()


def chapter_list(
    episode: EpisodeSummary, chapters: Sequence[ChapterEntry], per_page: int = CHAPTERS_PER_PAGE
) -> PagedList[str]:
    """The chapter list as pages to draw; no page when there are no chapters."""
    count = f"{len(chapters)} chapter{'s' if len(chapters) != 1 else ''}"
    playable = web_url(jump_link(0, audio_url=episode.audio_url, link=episode.link))
    return _line_list(
        "Chapters · " + episode_heading(episode, EMBED_TITLE_LIMIT - len("Chapters · ")),
        [chapter_line(episode, c) for c in chapters],
        per_page,
        count,
        "each title plays from its time" if playable else "",
        url=_episode_url(episode, EMBED_URL_LIMIT),
    )


_CHAPTERS_FILE_FAILED = "the chapters file could not be loaded; the feed's notes have none"


def no_chapters_message(detail: EpisodeDetail) -> str:
    """What `/chapters` says for an episode without chapters."""
    heading = episode_heading(detail.episode, 300)
    message = f"**{heading}** has no chapters in its feed."
    if detail.chapters_error:  # the reason may name a local path: it stays in the logs
        message = (
            f"**{heading}** has no chapters: {_CHAPTERS_FILE_FAILED}. The next import tries again."
        )
    if detail.has_transcript:
        message += (
            " It has a transcript, though: `/when` finds the moment a topic comes up "
            f"(e.g. `/when topic:… episode:{_episode_reference(detail.episode)}`)."
        )
    return message


def _episode_reference(episode: EpisodeSummary) -> str:
    """What to type in an `episode` option to get this episode back."""
    if episode.number is not None:
        return str(episode.number)
    return truncate(short_title(episode), 40).replace("`", "'")


_MOMENT_KINDS = {"notes": "show notes"}  # the other kinds read as they are
_MEANING_NOTES = {"meaning": " · ≈ said in other words", "related": " · ≈ closest in meaning"}


def moment_field(moment: Moment, *, show_feed: bool = False) -> tuple[str, str]:
    """A moment as an embed field: (episode heading, time + what matched + jump link)."""
    episode = moment.episode
    name = episode_heading(episode, FIELD_NAME_LIMIT)
    kind = _MOMENT_KINDS.get(moment.kind, moment.kind)
    if show_feed and (show := show_name(episode)):
        kind = f"{kind} · {show}"
    if moment.start is None:
        where = "whole episode" + (f" · {kind}" if kind != "episode" else "")
        where += " (no time for this one)"
        url = _episode_url(episode)
        target = link("Open the episode", url) if url else ""
    else:
        stamp = format_timestamp(moment.start)
        where = f"`{stamp}` · {kind}"
        jump = jump_link(moment.start, audio_url=episode.audio_url, link=episode.link)
        target = link(f"▶ Play from {stamp}", jump) if web_url(jump) else ""
    # Found by meaning (bot/semantic): nothing is in bold, so say why it is here.
    where += _MEANING_NOTES.get(moment.match, "")
    speaker = f"{literal(moment.speaker, 60)}: " if moment.speaker else ""
    room = FIELD_VALUE_LIMIT - len(where) - len(target) - len(speaker) - 4
    quote = highlighted(moment.text, min(600, room))
    if speaker and quote:
        quote = f"{speaker}“{quote}”"
    return name, "\n".join(part for part in (where, quote, target) if part)


def moment_pages(
    topic: str,
    moments: Sequence[Moment],
    *,
    scope: EpisodeSummary | None = None,
    per_page: int = MOMENTS_PER_PAGE,
    capped: bool = False,
    searched: str | None = None,
) -> list[discord.Embed]:
    """`/when` answers: the best moments first, `per_page` fields a page. `capped`: the
    list was cut at a limit, so its length is not the number of moments there are.
    `searched`: the respelled topic searched instead of the one typed (a typo), said first."""
    return moment_list(
        topic, moments, scope=scope, per_page=per_page, capped=capped, searched=searched
    ).pages()


def moment_list(
    topic: str,
    moments: Sequence[Moment],
    *,
    scope: EpisodeSummary | None = None,
    per_page: int = MOMENTS_PER_PAGE,
    capped: bool = False,
    searched: str | None = None,
) -> PagedList[tuple[str, str]]:
    """`moment_pages` as pages to draw; page `i` shows the moments of `span(i)`."""
    title = f"When did they talk about “{literal(topic.strip(), 100)}”?"
    where = f"In {episode_heading(scope, 300)}" if scope else "Across the catalogue"
    count = _count(len(moments), "moment", capped) + ", best first"
    several = spans_shows([m.episode for m in moments])
    description = f"{where}: {count}."
    if searched:
        description = f"{respelled_line(topic, searched)}\n{description}"
    if moments and all(m.match in PARTIAL_TIERS for m in moments):
        tiers = {m.match for m in moments}
        if tiers == {"any"}:
            description += "\nNothing has all of those words together; these have some of them."
        elif tiers == {"related"}:
            description += "\nNothing says those words; these come closest in meaning."
        else:
            description += "\nNothing has all of those words together; these come closest."
    return _field_list(
        title=title,
        description=description,
        fields=[moment_field(m, show_feed=several) for m in moments],
        per_page=per_page,
    )


def respelled_line(typed: str, searched: str) -> str:
    """ "Showing results for *polysemantic* (no match for “polysemant”)": both escaped."""
    shown = literal(" ".join(searched.split()), 100)
    return f"Showing results for *{shown}* (no match for “{literal(typed.strip(), 100)}”)"


def nothing_when_message(topic: str, scope: EpisodeSummary | None = None) -> str:
    """`/when` found nothing: say so, and what to try instead."""
    where = f" in {episode_heading(scope, 300)}" if scope else ""
    tips = "Try fewer or different words"
    tips += ", or leave out `episode` to search every episode" if scope else ""
    return (
        f"I couldn't find a moment about “{literal(topic.strip(), 200)}”{where}. "
        f"{tips}; `/search` looks through the show notes too."
    )


def search_field(hit: SearchHit, *, show_feed: bool = False) -> tuple[str, str]:
    """A search hit as an embed field: (episode heading, snippet + (show,) date + link)."""
    episode = hit.episode
    details = [part for part in (discord_date(episode.published_at),) if part]
    if show_feed and (show := show_name(episode)):
        details.insert(0, show)
    if hit.start is not None:
        # The snippet is a chapter title: say where it starts, and link there.
        stamp = format_timestamp(hit.start)
        jump = jump_link(hit.start, audio_url=episode.audio_url, link=episode.link)
        details.insert(0, f"chapter at {link(stamp, jump)}")
    if url := _episode_url(episode):
        details.append(link("Open", url))
    details_line = " · ".join(details)
    room = FIELD_VALUE_LIMIT - len(details_line) - 1
    snippet = highlighted(hit.snippet, min(700, room)) or "_(matched the title)_"
    value = snippet + ("\n" + details_line if details_line else "")
    return episode_heading(episode), value


def _count(shown: int, noun: str, capped: bool, total: int | None = None) -> str:
    """ "3 episodes"; for a list cut at its limit "Top 25 of 475 episodes" when the total is
    known, else "Top 25 episodes (more match…)": never a capped count as a total."""
    if total is not None and total > shown:
        return f"Top {shown} of {total:,} {noun}s"
    plural = f"{noun}{'s' if shown != 1 else ''}"
    if capped:
        return f"Top {shown} {plural} (more match: add words to narrow it down)"
    return f"{shown} {plural}"


def search_pages(
    query: str,
    hits: Sequence[SearchHit],
    per_page: int = HITS_PER_PAGE,
    *,
    capped: bool = False,
    total: int | None = None,
) -> list[discord.Embed]:
    """`/search` answers: matching episodes with highlighted snippets, paged. `capped`: the
    hits were cut at a limit (the count then says "Top N", never a total it does not know);
    `total`: how many episodes match in all, when counted ("Top 25 of 475")."""
    return search_list(query, hits, per_page, capped=capped, total=total).pages()


def search_list(
    query: str,
    hits: Sequence[SearchHit],
    per_page: int = HITS_PER_PAGE,
    *,
    capped: bool = False,
    total: int | None = None,
) -> PagedList[tuple[str, str]]:
    """`search_pages` as pages to draw."""
    count = _count(len(hits), "episode", capped, total) + ", best match first"
    several = spans_shows([h.episode for h in hits])
    if hits and all(h.match == "any" for h in hits):
        count += "\nNo episode has all of those words; these have some of them."
    return _field_list(
        title=f"Search: “{literal(query.strip(), 100)}”",
        description=count,
        fields=[search_field(h, show_feed=several) for h in hits],
        per_page=per_page,
    )


def nothing_found_message(query: str) -> str:
    """`/search` found nothing: say so, and what to try instead."""
    return (
        f"No episode matches “{literal(query.strip(), 200)}”. Try fewer words, another "
        "spelling, or a guest's name; `/latest` shows the newest episodes."
    )


def _field_list(
    *, title: str, description: str, fields: Sequence[tuple[str, str]], per_page: int
) -> PagedList[tuple[str, str]]:
    """Fields in pages of `per_page` fields, fewer when they would not fit in one embed
    (so that `fit_embed` never has to drop one); one page even without fields."""
    budget = EMBED_TOTAL_LIMIT - len(title) - len(description) - FOOTER_ROOM
    chunks = _group(fields, per_page, budget, lambda field: len(field[0]) + len(field[1]))

    def draw(chunk: Sequence[tuple[str, str]], index: int, total: int) -> discord.Embed:
        embed = discord.Embed(title=title, description=description, colour=ACCENT)
        for name, value in chunk:
            embed.add_field(name=name, value=value, inline=False)
        if footer := _page_footer(index, total):
            embed.set_footer(text=footer)
        return fit_embed(embed)

    return _paged(fields, chunks or [[]], draw)


# ---------------------------------------------------------------- related, latest, guest


def related_reason(related: RelatedEpisode) -> str:
    """Why an episode is related: shared guests, then shared topics."""
    reasons = []
    if related.shared_people:
        names = ", ".join(escape(name) for name in related.shared_people[:4])
        reasons.append(f"Shared guest{'s' if len(related.shared_people) > 1 else ''}: {names}")
    if related.shared_terms:
        reasons.append("Shared topics: " + ", ".join(escape(t) for t in related.shared_terms[:6]))
    return truncate("\n".join(reasons), 400) or "Similar show notes"


def related_embed(episode: EpisodeSummary, related: Sequence[RelatedEpisode]) -> discord.Embed:
    """`/related`: each related episode with why it is related."""
    embed = discord.Embed(
        title="Related to " + episode_heading(episode, EMBED_TITLE_LIMIT - len("Related to ")),
        url=_episode_url(episode, EMBED_URL_LIMIT),
        colour=ACCENT,
    )
    for item in related[:EMBED_FIELDS_LIMIT]:
        other = item.episode
        details = [part for part in (discord_date(other.published_at),) if part]
        if url := _episode_url(other):
            details.append(link("Open", url))
        if other.feed_id != episode.feed_id and (show := show_name(other, 100)):
            details.insert(0, f"from {show}")  # another show: say which
        value = related_reason(item) + ("\n" + " · ".join(details) if details else "")
        embed.add_field(name=episode_heading(other), value=value, inline=False)
    return fit_embed(embed)


def no_related_message(episode: EpisodeSummary) -> str:
    """What `/related` says when nothing is related to the episode."""
    heading = episode_heading(episode, 300)
    return f"I don't know of episodes related to **{heading}** yet."


def latest_embed(episodes: Sequence[EpisodeSummary]) -> discord.Embed:
    """`/latest`: newest first, one line each; trailers and bonus episodes are marked by
    their badge."""
    feeds = list(dict.fromkeys(e.feed_title for e in episodes if e.feed_title))
    several = spans_shows(episodes)
    embed = discord.Embed(
        title="Latest episode" if len(episodes) == 1 else f"Latest {len(episodes)} episodes",
        description="\n".join(episode_line(e, show_feed=several) for e in episodes),
        colour=ACCENT,
    )
    if feeds:
        embed.set_footer(text=join_within(feeds, " · ", 300))
    return fit_embed(embed)


def guest_pages(person: PersonEpisodes, per_page: int = EPISODES_PER_PAGE) -> list[discord.Embed]:
    """`/guest`: the episodes with that person, newest first, paged."""
    return guest_list(person, per_page).pages()


def guest_list(person: PersonEpisodes, per_page: int = EPISODES_PER_PAGE) -> PagedList[str]:
    """`guest_pages` as pages to draw (one page, if empty, naming the person)."""
    title = literal(f"Episodes with {person.name}", EMBED_TITLE_LIMIT)
    count = f"{len(person.episodes)} episode{'s' if len(person.episodes) != 1 else ''}"
    several = spans_shows(person.episodes)
    lines = [episode_line(e, show_feed=several) for e in person.episodes]
    paged = _line_list(title, lines, per_page, count, ", ".join(person.roles))
    if paged.count:
        return paged
    return PagedList((), (0,), lambda rows, index, total: discord.Embed(title=title, colour=ACCENT))


# ---------------------------------------------------------------- when nothing matched


def not_found_message(
    text: str, closest: Sequence[EpisodeSummary], *, ambiguous: bool = False
) -> str:
    """An episode argument that matched nothing (or several episodes equally): say so and
    offer the closest episodes."""
    shown = literal(text.strip(), 100)
    if ambiguous and closest:
        lines = [f"“{shown}” fits more than one episode. Which one?"]
        lines += [f"• {episode_heading(e, 150)} ({literal(e.feed_title, 80)})" for e in closest[:5]]
        lines.append("Pick one from the suggestions as you type, or add words from its title.")
    else:
        lines = [f"I couldn't find an episode matching “{shown}”."]
        if closest:
            lines.append("Did you mean:")
            lines += [f"• {episode_heading(e, 150)}" for e in closest[:5]]
        lines.append("Type an episode's number, words from its title, or a guest's name.")
    return truncate("\n".join(lines), CONTENT_LIMIT)


def person_not_found_message(name: str, suggestions: Sequence[Suggestion]) -> str:
    """A `/guest` name that matched nobody: say so and offer the closest people."""
    lines = [f"I couldn't find anyone called “{literal(name.strip(), 100)}” in the episodes."]
    if suggestions:
        lines.append("Did you mean:")
        lines += [f"• {literal(s.name, 100)}" for s in suggestions[:5]]
    return truncate("\n".join(lines), CONTENT_LIMIT)


# ---------------------------------------------------------------- the last guard


def fit_embed(embed: discord.Embed) -> discord.Embed:
    """Make `embed` fit every Discord limit, whatever went into it.

    Renderers aim well below the limits; this catches pathological feeds. A description
    or field value too long loses whole lines from the end, with a note saying how many
    (a cut Markdown link would show as junk); an embed still too long loses fields from
    the end, then lines of its description. No control character or bidi override
    reaches a member, whatever the renderer forgot (`visible`).
    """
    if embed.title:
        embed.title = visible(embed.title)
    if embed.description:
        embed.description = visible(embed.description)
    if embed.footer.text and embed.footer.text != visible(embed.footer.text):
        embed.set_footer(text=visible(embed.footer.text), icon_url=embed.footer.icon_url)
    if embed.author.name and embed.author.name != visible(embed.author.name):
        embed.set_author(
            name=visible(embed.author.name), url=embed.author.url, icon_url=embed.author.icon_url
        )
    if embed.title and len(embed.title) > EMBED_TITLE_LIMIT:
        embed.title = truncate(embed.title, EMBED_TITLE_LIMIT)
    if embed.description and len(embed.description) > EMBED_DESCRIPTION_LIMIT:
        embed.description = _drop_lines(embed.description, EMBED_DESCRIPTION_LIMIT)
    fields = [
        (
            truncate(visible(f.name or "\u200b"), FIELD_NAME_LIMIT),
            _fit_value(visible(f.value or "\u200b")),
            f.inline,
        )
        for f in embed.fields[:EMBED_FIELDS_LIMIT]
    ]
    if fields != [(f.name, f.value, f.inline) for f in embed.fields]:
        embed.clear_fields()
        for name, value, inline in fields:
            embed.add_field(name=name, value=value, inline=bool(inline))
    if embed.footer.text and len(embed.footer.text) > FOOTER_LIMIT:
        embed.set_footer(
            text=truncate(embed.footer.text, FOOTER_LIMIT), icon_url=embed.footer.icon_url
        )
    if embed.author.name and len(embed.author.name) > AUTHOR_LIMIT:
        embed.set_author(
            name=truncate(embed.author.name, AUTHOR_LIMIT),
            url=embed.author.url,
            icon_url=embed.author.icon_url,
        )
    while len(embed) > EMBED_TOTAL_LIMIT and len(embed.fields) > 1:
        embed.remove_field(len(embed.fields) - 1)
    excess = len(embed) - EMBED_TOTAL_LIMIT
    if excess > 0 and embed.description:
        embed.description = _drop_lines(embed.description, len(embed.description) - excess)
    excess = len(embed) - EMBED_TOTAL_LIMIT
    if excess > 0 and embed.fields:
        field = embed.fields[0]
        embed.set_field_at(
            0,
            name=field.name or "\u200b",
            value=truncate(field.value or "", max(1, len(field.value or "") - excess)),
            inline=bool(field.inline),
        )
    return embed


def _fit_value(value: str) -> str:
    return value if len(value) <= FIELD_VALUE_LIMIT else _drop_lines(value, FIELD_VALUE_LIMIT)


def _drop_lines(text: str, limit: int) -> str:
    """`text` shortened to `limit` by dropping whole lines from the end, with a note."""
    lines = text.split("\n")
    total = len(lines)
    while len(lines) > 1:
        lines.pop()
        note = f"… and {total - len(lines)} more"
        candidate = "\n".join([*lines, note])
        if len(candidate) <= limit:
            return candidate
    return truncate(text, limit)


# ---------------------------------------------------------------- autocomplete


def choices(suggestions: Sequence[Suggestion]) -> list[app_commands.Choice[str]]:
    """At most 25 choices, names and values within 100 characters.

    A name too long is cut; a value too long is dropped rather than cut, because a cut
    value would come back as something the catalogue never offered.
    """
    out: list[app_commands.Choice[str]] = []
    seen: set[str] = set()
    for suggestion in suggestions:
        value = suggestion.value
        if not value or len(value) > CHOICE_LIMIT or value in seen:
            continue
        name = truncate(" ".join(visible(suggestion.name).split()), CHOICE_LIMIT) or value
        out.append(app_commands.Choice(name=name, value=value))
        seen.add(value)
        if len(out) == CHOICES_LIMIT:
            break
    return out


# ---------------------------------------------------------------- checking a whole message


def message_problems(
    content: str | None = None,
    embeds: Sequence[discord.Embed] = (),
    components: Sequence[dict[str, Any]] = (),
) -> list[str]:
    """Every way a message would break Discord's limits (empty list: it would be accepted).

    `components` are action rows as `view.to_components()` gives them. Used by the tests
    on everything the commands send, and by `episode-bot ask` as a warning.
    """
    problems: list[str] = []
    if content is not None and len(content) > CONTENT_LIMIT:
        problems.append(f"content has {len(content)} characters (limit {CONTENT_LIMIT})")
    if not content and not embeds and not components:
        problems.append("the message is empty")
    if len(embeds) > 10:
        problems.append(f"{len(embeds)} embeds (limit 10)")
    total = 0
    for number, embed in enumerate(embeds, start=1):
        where = f"embed {number}"
        checks = [
            ("title", embed.title, EMBED_TITLE_LIMIT),
            ("description", embed.description, EMBED_DESCRIPTION_LIMIT),
            ("footer", embed.footer.text, FOOTER_LIMIT),
            ("author", embed.author.name, AUTHOR_LIMIT),
        ]
        for index, item in enumerate(embed.fields):
            checks += [
                (f"field {index + 1} name", item.name, FIELD_NAME_LIMIT),
                (f"field {index + 1} value", item.value, FIELD_VALUE_LIMIT),
            ]
            if not item.name or not item.value:
                problems.append(f"{where}: field {index + 1} is empty")
        for name, text, limit in checks:
            if text and len(text) > limit:
                problems.append(f"{where}: {name} has {len(text)} characters (limit {limit})")
        if len(embed.fields) > EMBED_FIELDS_LIMIT:
            problems.append(f"{where}: {len(embed.fields)} fields (limit {EMBED_FIELDS_LIMIT})")
        total += len(embed)
    if total > EMBED_TOTAL_LIMIT:
        problems.append(f"embeds total {total} characters (limit {EMBED_TOTAL_LIMIT})")
    if len(components) > 5:
        problems.append(f"{len(components)} rows of components (limit 5)")
    custom_ids: list[str] = []
    for row in components:
        buttons = row.get("components", [])
        if len(buttons) > 5:
            problems.append(f"a row has {len(buttons)} components (limit 5)")
        for button in buttons:
            label = button.get("label") or ""
            if len(label) > BUTTON_LABEL_LIMIT:
                problems.append(f"button label {label[:20]!r}… is too long")
            if "url" in button and len(button["url"]) > BUTTON_URL_LIMIT:
                problems.append(
                    f"button URL has {len(button['url'])} characters (limit {BUTTON_URL_LIMIT})"
                )
            if "custom_id" in button:
                custom_id = button["custom_id"]
                if not 1 <= len(custom_id) <= CUSTOM_ID_LIMIT:
                    problems.append(f"custom_id {custom_id[:20]!r} has a bad length")
                custom_ids.append(custom_id)
    if len(custom_ids) != len(set(custom_ids)):
        problems.append("two components share a custom_id")
    return problems
