"""Show notes as plain text: HTML to readable lines, and cutting text down to size.

Everything here runs on every episode of a feed at import time, so it is regex-based:
on show notes lxml.html is slower (it builds a tree we would only flatten again) and
it would also need the entity-escaped case handled by hand.
"""

from __future__ import annotations

import html
import re


def _any_case(names: str | list[str]) -> str:
    """An alternation matching `names` (a list, or one string of space-separated names)
    in any letter case, grouped by first letter.

    Spelled out rather than re.IGNORECASE, and as a trie, because this pattern runs over
    every tag of every episode: it is about twice as fast as the plain alternation.
    """
    by_first: dict[str, list[str]] = {}
    for name in sorted(set(names.split() if isinstance(names, str) else names)):
        by_first.setdefault(name[0], []).append(name[1:])
    parts = []
    for first, rests in by_first.items():
        head = f"[{first.lower()}{first.upper()}]" if first.isalpha() else re.escape(first)
        tails = [rest for rest in rests if rest]
        if not tails:
            parts.append(head)
            continue
        optional = "?" if len(tails) < len(rests) else ""
        parts.append(f"{head}(?:{_any_case(tails)}){optional}")
    return "|".join(parts)


# Tags that separate paragraphs (a blank line) and tags that only break a line.
_PARAGRAPH_NAMES = (
    "address article aside blockquote center dl figure footer h1 h2 h3 h4 h5 h6 header hr"
    " main nav ol p pre section table ul"
)
_LINE_NAMES = "br dd div dt figcaption li tbody tfoot thead tr"
# `[^<>]*` rather than `[^>]*`: a tag never spans another `<`, and an unclosed `<`
# must not make every later `<` scan to the end of the text (quadratic time).
_PARAGRAPH_TAG = re.compile(rf"</?(?:{_any_case(_PARAGRAPH_NAMES)})(?![\w-])[^<>]*>")
_LINE_TAG = re.compile(rf"</?(?:{_any_case(_LINE_NAMES)})(?![\w-])[^<>]*>")
# Stands on its own line where a paragraph tag was, until lines are tidied.
_PARAGRAPH_MARK = "\x00"
_CELL_TAG = re.compile(r"<(?:[tT][dDhH])(?![\w-])[^<>]*>")
_ANY_TAG = re.compile(r"<[a-zA-Z/!?][^<>]*>")
# Like a browser, an unclosed script or comment hides the rest of the text; matching to
# the end (\Z) also keeps this linear when closings are missing.
_INVISIBLE = re.compile(
    r"<(script|style|head|template)\b.*?(?:</\1\s*>|\Z)|<!--.*?(?:-->|\Z)",
    re.IGNORECASE | re.DOTALL,
)
_INVISIBLE_START = re.compile(rf"<(?:!--|{_any_case('script style head template')})")
# Entity-escaped HTML: `&lt;p&gt;` where a tag should be. A literal `&lt;Name&gt;`
# inside real HTML is text, so escaped tags must outnumber real ones.
_COMMON_TAGS = "a b br div em h1 h2 h3 h4 h5 h6 i img li ol p span strong table td tr ul"
_ESCAPED_TAG = re.compile(rf"&(?:amp;)?lt;/?(?:{_any_case(_COMMON_TAGS)})(?![\w-])")
_REAL_TAG = re.compile(rf"</?(?:{_any_case(_COMMON_TAGS)})(?![\w-])")
_ENTITY = re.compile(r"&(?:[a-zA-Z][a-zA-Z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_BLANK_LINES = re.compile(r"\n\n\n+")
_ANY_WHITESPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*(?=\s|$)")
_TRAILING_JUNK = " \t\n,;:-–—(/&"
# A lone surrogate cannot be encoded (UTF-8, SQLite): JSON's "\ud800" gives one.
_SURROGATE = re.compile(r"[\ud800-\udfff]")

# Show notes kept per episode, in characters of HTML (and so at most that much text): far
# more than anyone reads, small enough that no import or `/episode` handles megabytes.
NOTES_LIMIT = 256 * 1024
# Ends notes that were cut: on a line of its own in plain text, after the last paragraph
# in HTML.
NOTES_CUT_MARK = "\n[…]"
# Tags, real and entity-escaped: a cut must not leave half of one.
_TAG_OPEN = ("<", "&lt;")
_TAG_CLOSE = (">", "&gt;")
# Where notes may end as if they were finished: a line break, the end of a block.
_BLOCK_END = re.compile(
    r"\n|(?:<|&lt;)(?:br\s*/?|/(?:p|div|li|ul|ol|h[1-6]|blockquote|pre|table|tr)\s*)(?:>|&gt;)",
    re.IGNORECASE,
)


def html_to_text(html_text: str) -> str:
    """Readable plain text from show-note HTML, keeping its line structure.

    `<br>`, `<li>`, `<div>` and table rows become line breaks; paragraphs, headings,
    lists and tables are set apart by a blank line. Entities are unescaped, including
    double-escaped ones (`&amp;quot;`); entity-escaped HTML (`&lt;p&gt;...`, even
    twice escaped) is unescaped and then stripped like real HTML. Scripts, styles and
    comments are dropped, runs of spaces collapse, and at most one blank line is kept.
    Text without block tags keeps its own newlines (plain-text notes); inside HTML,
    source newlines are only whitespace, as a browser would show them.
    """
    if not html_text:
        return ""
    text = html_text
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Escaped once (`&lt;p&gt;`) or twice (`&amp;lt;p&amp;gt;`).
    for _ in range(2):
        if "lt;" in text and _is_escaped_html(text):
            text = html.unescape(text)
    html_layout = False
    if "<" in text:
        if _INVISIBLE_START.search(text):
            text = _INVISIBLE.sub("", text)
        if _PARAGRAPH_TAG.search(text) or _LINE_TAG.search(text):
            # Laid out by tags: source newlines are mere spaces, as in a browser.
            html_layout = True
            text = text.replace(_PARAGRAPH_MARK, "").replace("\n", " ")
            text = _PARAGRAPH_TAG.sub(f"\n{_PARAGRAPH_MARK}\n", text)
            text = _LINE_TAG.sub("\n", text)
        if "<t" in text or "<T" in text:
            text = _CELL_TAG.sub(" ", text)
        text = _ANY_TAG.sub("", text)
    if "&" in text:
        text = html.unescape(text)
        # Double-escaped notes (`&amp;quot;`) still hold entities after one pass.
        if "&" in text and _ENTITY.search(text):
            text = html.unescape(text)
    # str.split() collapses every kind of whitespace, non-breaking spaces included.
    lines = [" ".join(line.split()) for line in text.split("\n")]
    if html_layout:
        # Empty lines between tags mean nothing; a paragraph mark becomes a blank line.
        text = "\n".join([line for line in lines if line]).replace(_PARAGRAPH_MARK, "")
    else:
        text = "\n".join(lines)
    return without_surrogates(_BLANK_LINES.sub("\n\n", text).strip())


def without_surrogates(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD, which can be encoded."""
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub("\ufffd", text)


def cap_notes(notes: str, limit: int = NOTES_LIMIT) -> str:
    """Show notes (HTML or plain text) cut to at most `limit` characters, with
    NOTES_CUT_MARK at the end; notes that fit are returned as they are.

    The cut never falls inside a tag or an entity (escaped tags included) and, when it
    can, falls at the end of a line or a paragraph, else before a tag, else between words.
    """
    if len(notes) <= limit:
        return notes
    head = notes[: max(0, limit - len(NOTES_CUT_MARK))]
    for opening, closing in zip(_TAG_OPEN, _TAG_CLOSE, strict=True):
        start = head.rfind(opening)
        if start > head.rfind(closing):
            head = head[:start]  # half a tag would read as text
    entity = head.rfind("&", max(0, len(head) - 34))  # an entity name is at most 32 characters
    if entity > head.rfind(";"):
        head = head[:entity]
    # Best at the end of a line or a paragraph, else before a tag, else between words; only
    # within the last eighth, so that little is lost (one enormous word is cut where it is).
    floor = len(head) - len(head) // 8
    cut = -1
    for block_end in _BLOCK_END.finditer(head, floor):
        cut = block_end.end()
    if cut < floor:
        cut = max(head.rfind(opening) for opening in _TAG_OPEN)
    if cut < floor:
        cut = max(head.rfind(" "), head.rfind("\t"))
    if cut >= floor:
        head = head[:cut]
    return head.rstrip() + NOTES_CUT_MARK


def _is_escaped_html(text: str) -> bool:
    escaped = len(_ESCAPED_TAG.findall(text))
    return escaped > 0 and escaped > len(_REAL_TAG.findall(text))


def truncate(text: str, limit: int) -> str:
    """`text` cut at a word boundary with "…" so that it fits in `limit` characters."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return "…"[:limit]
    head = text[: limit - 1]
    if not text[limit - 1].isspace():
        # The cut falls inside a word: back up to the space before it, unless the
        # text is one enormous word (a URL), which can only be cut where it is.
        space = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
        if space > 0:
            head = head[:space]
    head = head.rstrip(_TRAILING_JUNK)
    return (head or text[: limit - 1]) + "…"


def plain_summary(text: str, limit: int) -> str:
    """A one-paragraph summary of at most `limit` characters.

    Whitespace (newlines included) collapses to single spaces. The text is cut after
    the last sentence that ends within the limit if that keeps at least ~40% of it;
    otherwise at a word boundary with "…". Never mid-word (unless a single word is
    longer than the limit).
    """
    flat = _ANY_WHITESPACE.sub(" ", text).strip()
    if len(flat) <= limit:
        return flat
    best = -1
    for match in _SENTENCE_END.finditer(flat, 0, limit + 1):
        if match.end() <= limit:
            best = match.end()
    if best >= 0.4 * limit:
        return flat[:best]
    return truncate(flat, limit)


# "12: ", "#12 – ", "Ep. 12 | ", "12. " — but not "1.5 million" or "3-2-1"; after "#" or
# "Ep"/"Episode"/"Folge", a space is enough: "#172 Title", "Ep 12 Title".
_NUMBER_PREFIX = re.compile(
    r"^\s*(?:#|no\.?\s*|ep(?:isode)?\.?\s*|folge\s*)?(\d{1,6})\s*"
    r"(?:[:|]|\.(?=\s)|\s[-–—]|[-–—]\s)\s*"
    r"|^\s*(?:#|ep(?:isode)?\.?\s*|folge\s*)(\d{1,6})\s+(?=[^\W\d_]|[\"'“‘(\[])",
    re.I,
)


def title_without_number(title: str, number: int | None) -> str:
    """The title without a leading episode number that a label beside it already shows
    ("12: Scaling laws" next to `#12` reads "Scaling laws"); the title itself otherwise."""
    match = _NUMBER_PREFIX.match(title)
    if match and number is not None and int(match.group(1) or match.group(2)) == number:
        rest = title[match.end() :].strip()
        if rest:
            return rest
    return title
