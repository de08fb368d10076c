"""Read a podcast feed's bytes into a `ParsedFeed`: RSS 2.0, RSS 1.0 (RDF) and Atom 1.0.

Built on lxml for speed. Well-formed feeds take the fast path: one strict parse, then a
single pass over each item's children. Real feeds are often not well-formed (junk before
the XML declaration, HTML entities XML does not know, undeclared namespace prefixes, a raw
`&`), so when the strict parse fails the bytes are cleaned up and parsed again with
libxml2's recovering parser. External entities are never resolved and nothing is fetched.

Show notes stay HTML strings here; turning them into text happens later. They are cut to
`bot.common.plain_text.NOTES_LIMIT` characters as they are read, so that nothing after the parser
(text extraction, chapters, the store, `/episode`) ever handles megabytes of notes. The
parser reads text nodes of any size (`huge_tree`): without it libxml2 refuses one over
10 MB, and the recovering parser then stops there, losing every later item.
"""

from __future__ import annotations

import codecs
import copy
import html
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from html.entities import html5 as _HTML5_ENTITIES
from typing import Any

from lxml import etree

from bot.common.plain_text import NOTES_LIMIT, cap_notes, html_to_text, plain_summary
from bot.common.timefmt import parse_timestamp
from bot.models.parsed_feed import (
    Chapter,
    EpisodeType,
    ParsedEpisode,
    ParsedFeed,
    Person,
    Soundbite,
    TranscriptRef,
)

__all__ = ["FeedParseError", "parse_duration", "parse_feed", "parse_pub_date"]

log = logging.getLogger(__name__)

_Element = Any  # lxml's element type is not a public, subscriptable class


class FeedParseError(ValueError):
    """The bytes hold no readable feed. `str(err)` is a one-line reason for a person."""

    def __init__(self, reason: str, *, source: str | None = None) -> None:
        super().__init__(reason)
        self.source = source


# --------------------------------------------------------------------------------------
# Namespaces: every URI variant seen in the wild maps to one canonical prefix.

# Keys are URIs normalised by `_normalise_uri` (no scheme, no "www.", lower case, no
# trailing "/" or "#"). "" means "treat like an un-namespaced RSS element".
_NAMESPACE_PREFIXES: dict[str, str] = {
    "itunes.com/dtds/podcast-1.0.dtd": "itunes",
    "podcastindex.org/namespace/1.0": "podcast",
    "github.com/podcastindex-org/podcast-namespace/blob/main/docs/1.0.md": "podcast",
    "purl.org/rss/1.0/modules/content": "content",
    "podlove.org/simple-chapters": "psc",
    "w3.org/2005/atom": "atom",
    "purl.org/atom/ns": "atom",  # Atom 0.3
    "search.yahoo.com/mrss": "media",
    "rssboard.org/media-rss": "media",
    "purl.org/dc/elements/1.1": "dc",
    "google.com/schemas/play-podcasts/1.0": "googleplay",
    "w3.org/1999/02/22-rdf-syntax-ns": "rdf",
    "purl.org/rss/1.0": "",  # RSS 1.0 elements
    "my.netscape.com/rdf/simple/0.9": "",  # RSS 0.90
    "backend.userland.com/rss2": "",  # RSS 2.0 with a default namespace
}
# Prefixes recognised when the recovering parser keeps an unbound name like "itunes:episode".
_KNOWN_PREFIXES = frozenset(p for p in _NAMESPACE_PREFIXES.values() if p)

# The element names (canonical) the parser reads; everything else is skipped cheaply.
_WANTED = frozenset(
    {
        # RSS and Atom core (Atom names are un-prefixed inside an Atom document)
        "channel", "item", "entry", "title", "link", "description", "guid", "id",
        "pubDate", "published", "updated", "enclosure", "image", "language", "content",
        "summary", "author", "subtitle", "logo", "icon",
        "content:encoded",
        "dc:date", "dc:creator", "dc:language", "dc:title",
        "itunes:title", "itunes:summary", "itunes:subtitle", "itunes:author",
        "itunes:image", "itunes:duration", "itunes:episode", "itunes:season",
        "itunes:episodeType",
        "googleplay:author", "googleplay:image",
        "media:description", "media:thumbnail", "media:content", "media:title",
        "podcast:guid", "podcast:person", "podcast:transcript", "podcast:chapters",
        "podcast:episode", "podcast:season", "podcast:soundbite",
        "psc:chapters",
        "atom:link",
    }
)  # fmt: skip
# Elements an item may carry several of; the rest are read once (the first wins).
_REPEATED = frozenset(
    {
        "link", "atom:link", "enclosure", "podcast:person", "podcast:transcript",
        "podcast:soundbite", "media:content", "media:thumbnail", "item", "entry",
    }
)  # fmt: skip


def _normalise_uri(uri: str) -> str:
    uri = uri.strip().lower()
    for scheme in ("https://", "http://"):
        if uri.startswith(scheme):
            uri = uri[len(scheme) :]
            break
    uri = uri.removeprefix("www.")
    return uri.rstrip("/#")


def _prefix_for_uri(uri: str) -> str | None:
    norm = _normalise_uri(uri)
    prefix = _NAMESPACE_PREFIXES.get(norm)
    if prefix is None:
        # Families with version or path variants ("podcast-1.0.dtd", ".../docs/1.0.md#...").
        if norm.startswith(("itunes.com/dtds/podcast", "itunes.apple.com/dtds/podcast")):
            return "itunes"
        if norm.startswith(("github.com/podcastindex-org/podcast-namespace", "podcastindex.org")):
            return "podcast"
    return prefix


class _Names(dict[str, str | None]):
    """Per-document cache: lxml tag (`{uri}local` or a raw `prefix:local`) → canonical
    name such as "itunes:episode", or None for elements the parser does not read."""

    def __init__(
        self, *, atom_document: bool, default_uri: str | None = None, large: bool = False
    ) -> None:
        super().__init__()
        self.atom_document = atom_document
        self.default_uri = default_uri  # an unknown namespace on the root, read as plain RSS
        self.large = large  # a document that may hold text nodes of many megabytes

    def __missing__(self, tag: str) -> str | None:
        name = self._canonical(tag)
        if name is not None and name not in _WANTED:
            name = None
        self[tag] = name
        return name

    def _canonical(self, tag: str) -> str | None:
        if tag.startswith("{"):
            uri, _, local = tag[1:].partition("}")
            prefix = "" if uri == self.default_uri else _prefix_for_uri(uri)
        elif ":" in tag:
            # An undeclared prefix the recovering parser kept verbatim ("itunes:episode").
            raw_prefix, _, local = tag.partition(":")
            prefix = raw_prefix.lower()
            if prefix not in _KNOWN_PREFIXES:
                return None
        else:
            return tag
        if prefix is None:
            return None
        if prefix == "" or (prefix == "atom" and self.atom_document):
            return local
        return f"{prefix}:{local}"


def _local_name(tag: str) -> str:
    if tag.startswith("{"):
        return tag.rpartition("}")[2]
    return tag.rpartition(":")[2]


# --------------------------------------------------------------------------------------
# Getting a tree out of the bytes.

# Where the feed proper starts once leading junk (a PHP warning, whitespace) is skipped.
_DOCUMENT_START = re.compile(rb"<\?xml\s|<rss[\s>]|<feed[\s>]|<rdf:RDF[\s>]|<channel[\s>]")
_DOCUMENT_START_TEXT = re.compile(_DOCUMENT_START.pattern.decode())
_DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)""")
_DOCTYPE = re.compile(r"<!DOCTYPE[^\[>]*(?:\[.*?\]\s*)?>", re.DOTALL | re.IGNORECASE)
# An `&` that does not start a reference XML understands: a named reference (group 1)
# or a raw `&`. The references XML knows are not even matched, so entity-escaped HTML
# (thousands of `&lt;`) costs no Python calls.
_BAD_AMPERSAND = re.compile(
    r"&(?!(?:amp|lt|gt|quot|apos);|#[0-9]{1,7};|#[xX][0-9A-Fa-f]{1,6};)"
    r"(?:([A-Za-z][A-Za-z0-9]{0,40});)?"
)
# A reference to a surrogate (`&#xD800;`, `&#55296;`): no character at all. libxml2's
# recovering parser keeps it as bytes that are not UTF-8, and lxml then raises on reading
# the text; it becomes U+FFFD, the replacement character, as in HTML.
_SURROGATE_REF = re.compile(
    r"&#(?:[xX]0*[dD][89a-fA-F][0-9a-fA-F]{2}"
    r"|0*(?:5529[6-9]|55[3-9][0-9]{2}|56[0-9]{3}|57[0-2][0-9]{2}|573[0-3][0-9]|5734[0-3]));"
)
_XML_ENTITIES = ("amp", "lt", "gt", "quot", "apos")
_CLEAN_UP_PIECE = 1024 * 1024
# HTML5 named references (`&eacute;`, `&nbsp;`, `&hellip;`) as numeric references.
_HTML_ENTITY_REFS: dict[str, str] = {
    name[:-1]: "".join(f"&#{ord(char)};" for char in chars)
    for name, chars in _HTML5_ENTITIES.items()
    if name.endswith(";") and name[:-1] not in _XML_ENTITIES
}
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    # Feeds that say UTF-8 but carry a few Windows-1252 bytes (curly quotes pasted from
    # Word): read those bytes as Windows-1252 instead of dropping them.
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return bad.decode("cp1252", errors="replace"), error.end


codecs.register_error("episode_bot.cp1252", _cp1252_fallback)


def _parser(*, recover: bool) -> etree.XMLParser:
    return etree.XMLParser(
        recover=recover,
        resolve_entities=False,
        no_network=True,
        huge_tree=True,
        remove_comments=True,
        remove_pis=True,
        load_dtd=False,
    )


def _decode(data: bytes) -> str:
    """The document as text, whatever the BOM or the declaration says its encoding is."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    encoding = "utf-8"
    start = _DOCUMENT_START.search(data)
    if start is not None:
        declared = _DECLARED_ENCODING.match(data, start.start())
        if declared is not None:
            encoding = declared.group(1).decode("ascii")
    try:
        codecs.lookup(encoding)
    except LookupError:
        encoding = "utf-8"
    errors = "episode_bot.cp1252" if codecs.lookup(encoding).name == "utf-8" else "replace"
    return data.decode(encoding, errors=errors)


def _fix_ampersand(match: re.Match[str]) -> str:
    name = match.group(1)
    if name is not None:
        # Unknown names (`&ellip;`) stay visible as text rather than vanish.
        return _HTML_ENTITY_REFS.get(name) or f"&amp;{name};"
    return "&amp;"  # a raw `&` ("News & Politics")


def _fix_references(text: str, start: int, end: int, parts: list[bytes]) -> None:
    """Append `text[start:end]` to `parts` as UTF-8, with HTML entities, raw `&` and
    references to surrogates rewritten, in pieces of about _CLEAN_UP_PIECE characters:
    never a whole copy of a document that may be 50 MB (200 MB as str). A piece ends
    after a space, a newline or a `>`, which no reference holds."""
    while start < end:
        stop = end
        if end - start > _CLEAN_UP_PIECE:
            window = start + _CLEAN_UP_PIECE
            cut = max(text.rfind(c, start, window) for c in "> \n")
            if cut != -1:
                stop = cut + 1
        piece = text[start:stop]
        if "&#" in piece:
            piece = _SURROGATE_REF.sub("&#xFFFD;", piece)
        parts.append(_BAD_AMPERSAND.sub(_fix_ampersand, piece).encode("utf-8"))
        start = stop


def _fix_ampersands(text: str, start: int, end: int, parts: list[bytes]) -> None:
    """Append `text[start:end]` to `parts` as UTF-8, its references rewritten (`_fix_references`)
    outside CDATA sections (inside them the text is literal: `&nbsp;` there is HTML for
    the show notes and must stay as written)."""
    position = start
    while (cdata := text.find("<![CDATA[", position, end)) != -1:
        close = text.find("]]>", cdata + 9, end)
        close = end if close == -1 else close + 3
        _fix_references(text, position, cdata, parts)
        parts.append(text[cdata:close].encode("utf-8"))
        position = close
    _fix_references(text, position, end, parts)


def _clean_up(data: bytes) -> bytes:
    """Make a malformed feed digestible for the recovering parser: decode it, drop any
    junk before the document and the XML declaration (the text is re-encoded as UTF-8),
    drop the DOCTYPE (no entity declarations survive), rewrite HTML entities, raw `&` and
    references to surrogates.

    The text is copied piece by piece (the document may be 50 MB): what goes is skipped
    by position, not cut off a copy."""
    text = _decode(data)
    start = _DOCUMENT_START_TEXT.search(text)
    begin = start.start() if start is not None else 0
    if text.startswith("<?xml", begin):
        end = text.find("?>", begin)
        begin = len(text) if end == -1 else end + 2
    doctype = _DOCTYPE.search(text, begin)
    if doctype is not None:  # (the one copy of the text; few feeds have a DOCTYPE)
        text, begin = text[begin : doctype.start()] + text[doctype.end() :], 0
    parts: list[bytes] = []
    _fix_ampersands(text, begin, len(text), parts)
    del text, start, doctype  # (a match holds on to the text it was found in)
    return b"".join(parts)


def _parse_tree(data: bytes) -> _Element:
    if not data.strip():
        raise FeedParseError("no XML found (the document is empty)")
    if data[:1].isspace():
        data = data.lstrip()
    # With a DOCTYPE (RSS 0.91's, or one declaring entities) libxml2 leaves `&eacute;` as
    # an unresolved reference instead of failing: take the cleaning path, which drops the
    # DOCTYPE and rewrites the references, so the text gets the real characters.
    root_start = _DOCUMENT_START.search(data, 1 if data.startswith(b"<?xml") else 0)
    has_doctype = b"<!DOCTYPE" in data[: root_start.start() if root_start else 4096]
    if not has_doctype:
        try:
            return etree.fromstring(data, _parser(recover=False))
        except etree.XMLSyntaxError as error:
            log.debug("strict parse failed (%s)", error)
        # Often the only fault is junk before the document (a PHP warning, whitespace
        # before `<?xml`): without it the strict parser reads the rest at full speed.
        start = _DOCUMENT_START.search(data)
        if start is not None and start.start() > 0:
            try:
                return etree.fromstring(data[start.start() :], _parser(recover=False))
            except etree.XMLSyntaxError as error:
                log.debug("strict parse after the leading junk failed (%s)", error)
    cleaned = _clean_up(data)
    root = None
    if cleaned.strip():
        try:
            root = etree.fromstring(cleaned, _parser(recover=True))
        except etree.XMLSyntaxError as error:
            log.debug("recovering parse failed: %s", error)
    if root is None:
        raise FeedParseError(_no_xml_reason(data))
    return root


def _no_xml_reason(data: bytes) -> str:
    head = data[:1024].lstrip()
    if head.startswith(b"\x1f\x8b"):
        return "no XML found (the data is gzip-compressed)"
    if head.startswith((b"{", b"[")):
        return "no XML found (the document looks like JSON)"
    if b"\x00" in head and not head.startswith(tuple(bom for bom, _ in _BOMS)):
        return "no XML found (the data is binary)"
    return "no XML found"


# --------------------------------------------------------------------------------------
# Small readers for values as feeds write them.


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    return text or None


_LINE_BREAKS = re.compile(r"[ \t]*[\r\n][ \t\r\n]*|\t+")


def _one_line(text: str | None) -> str | None:
    """Titles and names are shown on one line: line breaks and tabs become one space."""
    if text and ("\n" in text or "\r" in text or "\t" in text):
        return _LINE_BREAKS.sub(" ", text)
    return text


def _attr(element: _Element, name: str) -> str | None:
    return _clean(element.get(name))


def _text(element: _Element | None) -> str | None:
    """An element's text with surrounding whitespace stripped; None when empty."""
    if element is None:
        return None
    if len(element):
        return _clean("".join(element.itertext()))
    return _clean(element.text)


def _child_text(element: _Element, local: str) -> str | None:
    """The text of the first child named `local`, in whatever namespace."""
    for child in element:
        if isinstance(child.tag, str) and _local_name(child.tag) == local:
            return _text(child)
    return None


def _inner_html(element: _Element, *, large: bool, limit: int = NOTES_LIMIT) -> str:
    """The element's content as markup: its text, or its child elements serialised; cut
    to `limit` characters (`cap_notes`) when it is longer. `large`: the document is big
    enough that the text may be huge (`_head_text`)."""
    if not len(element):
        text = _head_text(element, limit + 1) if large else element.text or ""
        return cap_notes(text, limit)
    children = [node for node in element if isinstance(node.tag, str)]
    if (
        len(children) == 1
        and _bare_tag(children[0].tag) == "div"
        and not (element.text or "").strip()
        and (element.get("type") or "").lower() == "xhtml"
    ):
        element = children[0]  # Atom wraps xhtml content in a <div> that is not content
    parts = [element.text or ""]
    size = len(parts[0])
    for child in element:
        if size > limit:
            break  # enough for the cap: the rest is neither copied nor serialised
        if isinstance(child.tag, str):
            parts.append(_markup(child))
        elif child.tail:
            parts.append(child.tail)
        size += len(parts[-1])
    return cap_notes("".join(parts), limit)


# `element.text` decodes the whole text: a 49 MB description becomes up to 196 MB of str
# (four bytes a character once one emoji is in it). XPath hands back only the start
# (libxml2 copies the text once, as UTF-8, and lets go of it), but costs twice as much
# time, so it is used only in documents over _LARGE_DOCUMENT bytes.
_TEXT_HEAD = etree.XPath("substring(., 1, $length)", smart_strings=False)
_LARGE_DOCUMENT = 8 * 1024 * 1024


def _head_text(element: _Element, length: int) -> str:
    """The first `length` characters of a text-only element's text."""
    return str(_TEXT_HEAD(element, length=length))


def _bare_tag(tag: str) -> str:
    return tag.rpartition("}")[2] if tag.startswith("{") else tag


def _markup(element: _Element) -> str:
    """Markup written as XML elements (Atom xhtml content, unescaped HTML in RSS), and its
    tail: serialised from a copy without namespaces so that the HTML reads as HTML, not as
    xmlns-laden XML."""
    holder = copy.deepcopy(element)
    for node in holder.iter():
        tag = node.tag
        if isinstance(tag, str) and tag.startswith("{"):
            node.tag = tag.rpartition("}")[2]
    etree.cleanup_namespaces(holder)
    return str(etree.tostring(holder, encoding="unicode", with_tail=True))


_INTEGER = re.compile(r"^\s*#?\s*(\d{1,9})(?:\.0*)?\s*$")


def _integer(text: str | None) -> int | None:
    if not text:
        return None
    match = _INTEGER.match(text)
    return int(match.group(1)) if match else None


def _number(text: str | None) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")) or value < 0:
        return None
    return value


_DURATION_CLOCK = re.compile(r"^(?:(\d{1,4}):)?(\d{1,4}):(\d{1,2})(?:[.,]\d*)?$")


def parse_duration(text: str | None) -> int | None:
    """`itunes:duration` as whole seconds: `H:MM:SS`, `MM:SS` (fields may pass 59),
    `1234`, `1234.5` (the fraction is dropped).

    Zero, negative and unreadable values give None (a feed saying `00:00:00` does not
    know the duration).
    """
    if not text:
        return None
    text = text.strip()
    match = _DURATION_CLOCK.match(text)
    if match is not None:
        hours, minutes, seconds = match.groups()
        # Read arithmetically: Taverncast's "00:60:05" means 1:00:05.
        total = (int(hours) * 3600 if hours else 0) + int(minutes) * 60 + int(seconds)
    else:
        value = _number(text)
        if value is None:
            return None
        total = int(value)
    return total or None


_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
    # German and other abbreviations that do not clash with the English ones
    "mär": 3, "mrz": 3, "mai": 5, "okt": 10, "dez": 12,
}  # fmt: skip
_ZONES = {
    "ut": 0, "utc": 0, "gmt": 0, "z": 0, "wet": 0,
    "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7,
    "akst": -9, "akdt": -8, "hst": -10, "ast": -4, "adt": -3, "nst": -3.5, "ndt": -2.5,
    "bst": 1, "cet": 1, "cest": 2, "met": 1, "mest": 2, "eet": 2, "eest": 3,
    "msk": 3, "jst": 9, "kst": 9, "aest": 10, "aedt": 11, "acst": 9.5, "awst": 8,
    "nzst": 12, "nzdt": 13,
}  # fmt: skip
_NO_OFFSET = timedelta(0)
# The form almost every feed uses ("Tue, 10 Jun 2003 04:00:00 +0000"), matched first.
_RFC822_STRICT = re.compile(
    r"\s*[A-Za-z]{3}, (\d\d) ([A-Za-z]{3}) (\d{4}) (\d\d):(\d\d):(\d\d) ([+-]\d{4}|[A-Z]{1,4})\s*\Z"
)
# RFC 822 as feeds also write it: weekday optional (and not checked), day of one or two
# digits, month as a name, two- or four-digit year, seconds optional, zone as an offset
# or a name (or missing: UTC).
_RFC822 = re.compile(
    r"""^\s*(?:[^\W\d_]+\.?,?\s*)?
    (\d{1,2})(?:st|nd|rd|th)?[\s\-/]+([^\W\d_]{3,})\.?,?[\s\-/]+(\d{4}|\d{2})
    (?:,?\s+(?:at\s+)?(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,]\d+)?
       \s*(?:([+-]\d{1,2}:?\d{2})|\(?([A-Za-z]{1,5})\)?)?)?
    (?:\s*\([^)]*\))?\s*$""",
    re.VERBOSE,
)
_ISO_START = re.compile(r"^\s*\d{4}-\d{2}")


def parse_pub_date(text: str | None) -> datetime | None:
    """A feed date (RFC 822 and its sloppy variants, or ISO 8601) as an aware UTC datetime.

    None when the text is missing or cannot be read: an episode is never dropped for it.
    """
    if not text:
        return None
    match = _RFC822_STRICT.match(text)
    if match is not None:
        day, month, year, hour, minute, second, zone = match.groups()
        return _utc_moment(year, month, day, hour, minute, second, zone)
    match = _RFC822.match(text)
    if match is not None:
        day, month, year, hour, minute, second, offset, zone = match.groups()
        if len(year) == 2:
            year = str(int(year) + (2000 if int(year) < 50 else 1900))
        return _utc_moment(year, month, day, hour, minute, second, offset or zone)
    if _ISO_START.match(text):
        return _from_iso(text.strip())
    return None


def _utc_moment(
    year: str,
    month_name: str,
    day: str,
    hour: str | None,
    minute: str | None,
    second: str | None,
    zone: str | None,
) -> datetime | None:
    month = _MONTHS.get(month_name[:3].lower())
    if month is None:
        return None
    try:
        moment = datetime(
            int(year),
            month,
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    offset = _zone_offset(zone) if zone else _NO_OFFSET
    return moment - offset if offset else moment


@lru_cache(maxsize=256)
def _zone_offset(zone: str) -> timedelta:
    """ "+0200", "-05:30" or a zone name as an offset from UTC. Unknown names (military
    letters, typos) count as UTC, as RFC 2822 suggests."""
    if zone[0] in "+-":
        digits = zone[1:].replace(":", "").rjust(4, "0")
        minutes = int(digits[:-2]) * 60 + int(digits[-2:])
        return timedelta(minutes=-minutes if zone[0] == "-" else minutes)
    return timedelta(hours=_ZONES.get(zone.lower(), 0))


def _from_iso(text: str) -> datetime | None:
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


_TAG = re.compile(r"<[^>]*>")


def _text_size(markup: str, limit: int | None = None) -> int:
    """How many characters are left once tags are removed. With a `limit`, the answer
    may be any number above `limit` once the text is known to exceed it (only the start
    of a long candidate is then stripped)."""
    if "<" not in markup:
        return len(markup)
    if limit is not None and len(markup) > 2 * limit + 64:
        head = markup[: 2 * limit + 64]
        cut = head.rfind("<")
        if cut > head.rfind(">"):
            head = head[:cut]  # do not count half a tag as text
        size = len(_TAG.sub("", head))
        if size > limit:
            return size
    return len(_TAG.sub("", markup))


def _richest(candidates: list[tuple[int, str]]) -> str:
    """The candidate with the most text once tags are removed; ties go to the lower rank
    (content:encoded first). A candidate's raw length bounds its text, so most are ruled
    out after looking at the start of the longest one."""
    if len(candidates) == 1:
        return candidates[0][1]
    candidates.sort(key=lambda c: (-len(c[1]), c[0]))
    best_rank, best = candidates[0]
    best_size: int | None = None  # exact text size of `best`, once known
    for rank, notes in candidates[1:]:
        if notes == best:
            best_rank = min(best_rank, rank)
            continue
        if best_size is None:
            size = _text_size(best, limit=len(notes))
            if size > len(notes):
                break  # this one and every shorter one carry less text than `best`
            best_size = size
        if len(notes) < best_size or (len(notes) == best_size and rank > best_rank):
            break
        size = _text_size(notes)
        if size > best_size or (size == best_size and rank < best_rank):
            best_rank, best, best_size = rank, notes, size
    return best


# Show-notes sources in order of preference when they carry the same amount of text.
_NOTES_RANK = {
    "content:encoded": 0,
    "content": 1,  # Atom
    "description": 2,
    "summary": 3,  # Atom
    "itunes:summary": 4,
    "media:description": 5,
}
_EPISODE_TYPES: dict[str, EpisodeType] = {"full": "full", "trailer": "trailer", "bonus": "bonus"}
_AUDIO_EXTENSIONS = (".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".wav", ".flac", ".mp4")
_TRANSCRIPT_TYPES = {
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".json": "application/json",
    ".html": "text/html",
    ".htm": "text/html",
    ".txt": "text/plain",
}


def _atom_text(element: _Element) -> str | None:
    """An Atom text construct (title, subtitle) as plain text."""
    kind = (element.get("type") or "text").lower()
    if kind in ("html", "text/html"):
        return _clean(html.unescape(_TAG.sub("", element.text or "")))
    return _text(element)


def _image_href(element: _Element | None) -> str | None:
    """itunes:image / googleplay:image: the `href` (some feeds put the URL in the text)."""
    if element is None:
        return None
    href = _attr(element, "href") or _attr(element, "url")
    if href is None:
        text = _clean(element.text)
        if text and text.startswith(("http://", "https://")):
            href = text
    return href


def _person(element: _Element) -> Person | None:
    name = _one_line(_text(element))
    if name is None:
        return None
    # Feeds with hundreds of episodes carry thousands of these: attributes read inline.
    get = element.get
    role, group, href, image = get("role"), get("group"), get("href"), get("img")
    return Person(
        name=name,
        role=(role.strip().lower() or "host") if role else "host",
        group=(group.strip().lower() or None) if group else None,
        href=(href.strip() or None) if href else None,
        image=(image.strip() or None) if image else None,
    )


def _transcript(element: _Element) -> TranscriptRef | None:
    url = _attr(element, "url")
    if url is None:
        return None
    kind = _attr(element, "type")
    if kind is None:
        path = url.split("?", 1)[0].lower()
        kind = next((t for ext, t in _TRANSCRIPT_TYPES.items() if path.endswith(ext)), "")
    return TranscriptRef(
        url=url, type=kind, language=_attr(element, "language"), rel=_attr(element, "rel")
    )


def _soundbite(element: _Element) -> Soundbite | None:
    start = _number(_attr(element, "startTime"))
    duration = _number(_attr(element, "duration"))
    if start is None or duration is None:
        return None
    return Soundbite(start=start, duration=duration, title=_text(element))


def _psc_chapters(element: _Element) -> list[Chapter]:
    chapters = []
    for child in element:
        tag = child.tag
        if not isinstance(tag, str) or _local_name(tag) != "chapter":
            continue
        start_text = child.get("start") or ""
        start = parse_timestamp(start_text)
        if start is None:
            start = _number(start_text.strip())  # Normal Play Time may be plain seconds
        if start is None:
            continue
        chapters.append(
            Chapter(
                start=start,
                title=(child.get("title") or "").strip(),
                source="psc",
                url=_attr(child, "href"),
                image=_attr(child, "image"),
            )
        )
    chapters.sort(key=lambda chapter: chapter.start)
    return chapters


# --------------------------------------------------------------------------------------
# Items and channels.


def _collect(
    element: _Element, names: _Names
) -> tuple[dict[str, _Element], list[tuple[str, _Element]]]:
    """One pass over the children: the first of each wanted element, and all repeatables."""
    first: dict[str, _Element] = {}
    repeated: list[tuple[str, _Element]] = []
    for child in element:
        tag = child.tag
        if tag.__class__ is not str:
            continue  # comments, processing instructions, unresolved entities
        name = names[tag]
        if name is None:
            continue
        if name in _REPEATED:
            repeated.append((name, child))
        elif name not in first:
            first[name] = child
    return first, repeated


def _episode(item: _Element, names: _Names, atom: bool) -> ParsedEpisode:
    first, repeated = _collect(item, names)
    get = first.get

    title_element = get("title")
    if title_element is not None:
        title = _atom_text(title_element) if atom else _text(title_element)
    else:
        title = None

    notes_candidates = []
    for name, rank in _NOTES_RANK.items():
        element = get(name)
        if element is not None:
            notes = _inner_html(element, large=names.large)
            if notes and not notes.isspace():
                notes_candidates.append((rank, notes))
    if notes_candidates:
        notes_html = _richest(notes_candidates).strip()
    else:
        # Some feeds leave every long field empty and only fill in the subtitle.
        notes_html = cap_notes(html.escape(_text(get("itunes:subtitle")) or "", quote=False))

    text_link = alternate_link = None
    enclosures: list[tuple[str, str | None]] = []
    media: list[_Element] = []
    persons: list[Person] = []
    transcripts: list[TranscriptRef] = []
    soundbites: list[Soundbite] = []
    thumbnail = None
    for name, element in repeated:
        if name == "enclosure":
            url = _attr(element, "url") or _attr(element, "href")
            if url:
                enclosures.append((url, _attr(element, "type")))
        elif name == "link" or name == "atom:link":
            href = _attr(element, "href")
            if href is None:
                if text_link is None and name == "link":
                    text_link = _text(element)
                continue
            rel = (element.get("rel") or "alternate").strip().lower()
            if rel == "enclosure":
                enclosures.append((href, _attr(element, "type")))
            elif rel == "alternate" and alternate_link is None:
                alternate_link = href
        elif name == "podcast:person":
            person = _person(element)
            if person is not None:
                persons.append(person)
        elif name == "podcast:transcript":
            transcript = _transcript(element)
            if transcript is not None:
                transcripts.append(transcript)
        elif name == "podcast:soundbite":
            soundbite = _soundbite(element)
            if soundbite is not None:
                soundbites.append(soundbite)
        elif name == "media:content":
            media.append(element)
        elif name == "media:thumbnail" and thumbnail is None:
            thumbnail = _attr(element, "url")

    link = text_link or alternate_link
    audio_url, audio_type = _pick_audio(enclosures, media)

    image = _image_href(get("itunes:image")) or _image_href(get("googleplay:image")) or thumbnail
    if image is None:
        for element in media:
            kind = (element.get("type") or "").lower()
            if kind.startswith("image/") or (element.get("medium") or "").lower() == "image":
                image = _attr(element, "url")
                if image:
                    break

    number = _integer(_text(get("itunes:episode")))
    number_label = None
    podcast_episode = get("podcast:episode")
    if podcast_episode is not None:
        number_label = _attr(podcast_episode, "display")
        if number is None:
            episode_text = _text(podcast_episode)
            number = _integer(episode_text)
            if number is None and number_label is None:
                number_label = episode_text  # a decimal such as "1.5" is still a label
    season = _integer(_text(get("itunes:season")))
    season_label = None
    podcast_season = get("podcast:season")
    if podcast_season is not None:
        season_label = _attr(podcast_season, "name")
        if season is None:
            season = _integer(_text(podcast_season))

    published = None
    for name in ("pubDate", "published", "dc:date", "updated"):
        element = get(name)
        if element is not None:
            published = parse_pub_date(element.text)
            if published is not None:
                break

    chapters_element = get("podcast:chapters")
    psc = get("psc:chapters")
    episode_type = _EPISODE_TYPES.get((_text(get("itunes:episodeType")) or "").lower(), "full")

    title = _one_line(title) or _fallback_title(first, notes_html, audio_url)

    return ParsedEpisode(
        title=title,
        guid=_text(get("guid")) or _text(get("id")),
        notes_html=notes_html,
        number=number,
        number_label=number_label,
        season=season,
        season_label=season_label,
        published=published,
        duration=parse_duration(_text(get("itunes:duration"))),
        link=link,
        audio_url=audio_url,
        audio_type=audio_type,
        image=image,
        episode_type=episode_type,
        persons=persons,
        transcripts=transcripts,
        chapters_url=_attr(chapters_element, "url") if chapters_element is not None else None,
        chapters_type=_attr(chapters_element, "type") if chapters_element is not None else None,
        psc_chapters=_psc_chapters(psc) if psc is not None else [],
        soundbites=soundbites,
    )


def _pick_audio(
    enclosures: list[tuple[str, str | None]], media: list[_Element]
) -> tuple[str | None, str | None]:
    """The enclosure to play: the first audio/* one, else the first that looks like audio,
    else the first; a media:content audio file when there is no enclosure at all."""
    if not enclosures:
        for element in media:
            url = _attr(element, "url")
            kind = _attr(element, "type")
            medium = (element.get("medium") or "").lower()
            if url and ((kind or "").lower().startswith("audio/") or medium == "audio"):
                enclosures.append((url, kind))
        if not enclosures:
            return None, None
    if len(enclosures) == 1:
        return enclosures[0]
    for url, kind in enclosures:
        if kind and kind.lower().startswith("audio/"):
            return url, kind
    for url, kind in enclosures:
        if url.split("?", 1)[0].lower().endswith(_AUDIO_EXTENSIONS):
            return url, kind
    return enclosures[0]


def _fallback_title(first: dict[str, _Element], notes_html: str, audio_url: str | None) -> str:
    """A title for an item without one: another title element, the start of the notes,
    the audio file's name. Never lose the item."""
    for name in ("itunes:title", "media:title", "dc:title"):
        title = _one_line(_text(first.get(name)))
        if title:
            return title
    if notes_html:
        text = plain_summary(html_to_text(notes_html), 80)
        if text:
            return text
    if audio_url:
        name = audio_url.split("?", 1)[0].rstrip("/").rpartition("/")[2]
        if name:
            return name
    return "Untitled episode"


def _channel(
    channel: _Element, names: _Names, atom: bool, items: Iterable[_Element], source: str
) -> ParsedFeed:
    first, repeated = _collect(channel, names)
    get = first.get

    title_element = get("title")
    title = None
    if title_element is not None:
        title = _atom_text(title_element) if atom else _text(title_element)
    title = _one_line(title or _text(get("itunes:title"))) or source

    link = None
    persons: list[Person] = []
    for name, element in repeated:
        if name == "link" and link is None:
            href = _attr(element, "href")
            if href is None:
                link = _text(element)
            elif (element.get("rel") or "alternate").strip().lower() == "alternate":
                link = href
        elif name == "podcast:person":
            person = _person(element)
            if person is not None:
                persons.append(person)

    description = ""
    for name in ("description", "subtitle", "itunes:summary", "itunes:subtitle"):
        element = get(name)
        if element is not None:
            description = _inner_html(element, large=names.large).strip()
            if description:
                break

    image = _image_href(get("itunes:image")) or _image_href(get("googleplay:image"))
    if image is None:
        image_element = get("image")
        if image_element is not None:
            image = _child_text(image_element, "url") or _attr(image_element, "href")
    if image is None:
        image = _text(get("logo")) or _text(get("icon"))

    author = _text(get("itunes:author")) or _text(get("googleplay:author"))
    if author is None:
        author_element = get("author")
        if author_element is not None and len(author_element):
            author = _child_text(author_element, "name")  # Atom: <author><name>...</name>
        else:
            author = _text(author_element)

    return ParsedFeed(
        title=title,
        link=link,
        description=description,
        image=image,
        language=_text(get("language")) or _text(get("dc:language")),
        author=author or _text(get("dc:creator")),
        podcast_guid=_text(get("podcast:guid")),
        persons=persons,
        episodes=[_episode(item, names, atom) for item in items],
    )


def parse_feed(data: bytes, *, source: str = "feed") -> ParsedFeed:
    """Parse a feed's raw bytes (RSS 2.0, RSS 1.0 or Atom 1.0) into a `ParsedFeed`.

    Malformed feeds are repaired where that can be done safely; every `<item>` found
    becomes an episode, even one without a title or a date. `source` names the feed in
    log lines and stands in for a missing feed title. Raises `FeedParseError` when the
    bytes hold no feed at all.
    """
    try:
        root = _parse_tree(data)
    except FeedParseError as error:
        error.source = source
        raise
    root_tag = root.tag if isinstance(root.tag, str) else ""
    root_name = _local_name(root_tag)
    atom = root_name == "feed"
    default_uri = None
    if root_tag.startswith("{") and root_name in ("rss", "channel", "feed"):
        uri = root_tag[1:].partition("}")[0]
        if _prefix_for_uri(uri) is None:
            default_uri = uri  # an unknown default namespace on an otherwise plain feed
    names = _Names(atom_document=atom, default_uri=default_uri, large=len(data) > _LARGE_DOCUMENT)

    if atom:
        channel, items = root, [c for c in root if _is(c, names, "entry")]
    elif root_name == "channel":
        channel, items = root, [c for c in root if _is(c, names, "item")]
    elif root_name in ("rss", "RDF"):
        channels = [c for c in root if _is(c, names, "channel")]
        channel = channels[0] if channels else root
        items = [c for c in channel if _is(c, names, "item")]
        if channel is not root:
            # RSS 1.0 keeps items beside the channel; broken RSS 2.0 sometimes does too.
            items.extend(c for c in root if _is(c, names, "item"))
    else:
        shown = root_name or "nothing"
        raise FeedParseError(
            f"not an RSS or Atom feed (the document's root is <{shown}>)", source=source
        )

    feed = _channel(channel, names, atom, items, source)
    log.debug("parsed %s: %d episodes", source, len(feed.episodes))
    return feed


def _is(element: _Element, names: _Names, wanted: str) -> bool:
    tag = element.tag
    return tag.__class__ is str and names[tag] == wanted
