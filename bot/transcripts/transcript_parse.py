"""Transcripts: read the formats feeds publish and merge cues into passages.

Pure functions only (no I/O, no SQLite), in three parts:

- **Choosing**: `transcript_format` tells what a `podcast:transcript` link holds, by file
  extension and MIME type (feeds mislabel both); `rank_transcripts` orders an episode's
  links best first: the timed formats (Podcasting 2.0 JSON, WebVTT, SRT), then HTML and
  plain text, which have no times (searchable, never a jump link).
- **Parsing**: `parse_transcript(body, declared)` sniffs the bytes (a `.json` link that
  serves WebVTT is read as WebVTT) and returns `Segment`s: WebVTT with or without `<v Name>`
  voice tags, cue ids, NOTE/STYLE/REGION blocks, `HH:MM:SS.mmm` and `MM:SS.mmm`; SRT with
  `Name: text` speakers; Podcasting 2.0 JSON (`segments` of `startTime`, `endTime`, `body`,
  `speaker`); HTML (`<cite>` speakers) and plain text as a last resort.
- **Merging**: `merge_passages` joins cues (or single words, as many JSON files give them)
  into passages of a sentence or two, never across speakers or long pauses, capped in
  length; an overlong cue is split at sentence ends with interpolated times.

`Segment` and `Passage` are plain data (bot/models/transcript_passage.py). Searching lives
elsewhere: the query words come from bot/search/fts_query.py (`topic_terms`, `fts_*`), the
moments query is bot/transcripts/transcript_search.py over the store, and the store ranks
passages with bot/store/passage_ranking.py.
"""

from __future__ import annotations

import codecs
import html
import json
import re
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import urlsplit

from lxml import etree
from lxml import html as lxml_html

from bot.common.plain_text import html_to_text, without_surrogates
from bot.common.timefmt import parse_timestamp, seconds_from_json
from bot.models.parsed_feed import TranscriptRef
from bot.models.transcript_passage import Passage, Segment

TranscriptFormat = Literal["json", "vtt", "srt", "html", "text"]
TIMED_FORMATS: frozenset[str] = frozenset({"json", "vtt", "srt"})

# Best first: JSON has explicit speakers per segment, WebVTT has voice tags, SRT has at
# most "Name:" prefixes; HTML and text have no times at all.
_PREFERENCE: dict[str, int] = {"json": 0, "vtt": 1, "srt": 2, "html": 3, "text": 4}

_MIME_FORMATS: dict[str, TranscriptFormat] = {
    "application/json": "json",
    "text/json": "json",
    "text/vtt": "vtt",
    "text/webvtt": "vtt",
    "application/x-subrip": "srt",
    "application/srt": "srt",
    "application/x-srt": "srt",
    "text/srt": "srt",
    "text/x-srt": "srt",
    "text/x-subrip": "srt",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/plain": "text",
}
_EXTENSION_FORMATS: dict[str, TranscriptFormat] = {
    "json": "json",
    "vtt": "vtt",
    "webvtt": "vtt",
    "srt": "srt",
    "html": "html",
    "htm": "html",
    "txt": "text",
}

# Passages: "a sentence or two". A passage ends at a sentence end once it is this long,
# or after its second sentence; it never grows past MAX_PASSAGE_CHARS, spans more than
# MAX_PASSAGE_SECONDS, or bridges a pause longer than MAX_GAP_SECONDS.
TARGET_PASSAGE_CHARS = 140
MAX_PASSAGE_CHARS = 320
MAX_PASSAGE_SECONDS = 60.0
MAX_GAP_SECONDS = 3.0


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


class TranscriptError(ValueError):
    """The bytes hold no transcript we can read; `str(err)` says why in one line."""


@dataclass(frozen=True, slots=True)
class ParsedTranscript:
    format: TranscriptFormat  # what the bytes turned out to be
    segments: list[Segment]

    @property
    def timed(self) -> bool:
        return any(s.start is not None for s in self.segments)


# ---------------------------------------------------------------------- choosing


def transcript_format(mime_type: str | None, url: str) -> TranscriptFormat | None:
    """The format a transcript link claims, from its file extension and MIME type.

    Feeds mislabel (an `.srt` served as `text/plain`, SRT as `application/json`), so a
    timed format named by either wins over an untimed one, and the extension wins over
    the MIME type between two of a kind. None when neither says anything we read.
    """
    mime = (mime_type or "").split(";", 1)[0].strip().lower()
    by_mime = _MIME_FORMATS.get(mime)
    if by_mime is None and mime.endswith("+json"):
        by_mime = "json"
    try:
        path = urlsplit(url.strip()).path.lower()
    except ValueError:  # "http://[oops/a.vtt": the sync reports the URL; rank it by MIME type
        path = ""
    extension = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
    by_extension = _EXTENSION_FORMATS.get(extension)
    for candidate in (by_extension, by_mime):
        if candidate in TIMED_FORMATS:
            return candidate
    return by_extension or by_mime


def rank_transcripts(refs: Iterable[TranscriptRef]) -> list[TranscriptRef]:
    """An episode's transcript links, best first (JSON, WebVTT, SRT, HTML, text, unknown);
    links of equal rank keep the feed's order."""
    return sorted(
        refs, key=lambda ref: _PREFERENCE.get(transcript_format(ref.type, ref.url) or "", 9)
    )


# ---------------------------------------------------------------------- parsing


def parse_transcript(body: bytes | str, declared: str | None = None) -> ParsedTranscript:
    """Read a transcript file into segments, whatever its link said it was.

    The bytes decide when they are unambiguous (a WEBVTT header, JSON, SRT cue timings,
    HTML tags); otherwise `declared` (from `transcript_format`) does, and plain text is the
    last resort. Raises TranscriptError when nothing readable is found (JSON nested too
    deeply to read included). Lone surrogates, which nothing can encode, become U+FFFD.
    """
    text = body if isinstance(body, str) else decode_transcript(body)
    text = without_surrogates(text.lstrip("\ufeff"))
    if not text.strip():
        raise TranscriptError("the transcript is empty")
    fmt = _sniff(text) or declared or "text"
    if fmt == "json":
        segments = parse_json_transcript(text)
    elif fmt in ("vtt", "srt"):
        segments = parse_cues(text)
    elif fmt == "html":
        segments = parse_html_transcript(text)
    else:
        segments = parse_text_transcript(text)
    if not segments:
        raise TranscriptError(f"no text found in the {fmt} transcript")
    return ParsedTranscript(fmt, segments)  # type: ignore[arg-type]


def decode_transcript(body: bytes) -> str:
    """Bytes to text: a BOM decides, then UTF-8, then Windows-1252 (old caption tools)."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if body.startswith(bom):
            return body.decode(encoding, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


_CUE_TIMING = re.compile(r"^\s*(\S+)\s+-->\s+(\S+)")
_SRT_START = re.compile(r"^\s*\d+\s*\n\s*[\d:]+[,.]\d+\s+-->", re.M)
_HTML_START = re.compile(r"^\s*<(?:!doctype|html|head|body|div|p|cite|section|article)\b", re.I)


_TOO_DEEP = "not valid JSON: nested too deeply"


def _sniff(text: str) -> TranscriptFormat | None:
    head = text[:2000].lstrip()
    if head.startswith("WEBVTT"):
        return "vtt"
    if head[:1] in "{[":
        try:
            json.loads(text)
        except RecursionError:  # `[[[[...` 100,000 deep: json recurses per level
            raise TranscriptError(_TOO_DEEP) from None
        except ValueError:
            pass
        else:
            return "json"
    if _SRT_START.match(head.replace("\r\n", "\n")):
        return "srt"
    if _HTML_START.match(head):
        return "html"
    if "-->" in head and any(_CUE_TIMING.match(line) for line in head.splitlines()[:6]):
        return "srt"  # cues without a header or numbers: the cue parser reads both
    return None


# ---- WebVTT and SRT (one cue parser: they differ in the header and decimal mark)

_BLOCK_SPLIT = re.compile(r"\n[ \t]*\n")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?(?:\s+([^>]*))?>", re.I)
_ANY_TAG = re.compile(r"</?[a-zA-Z][^<>]*>|<\d[\d:.]*>")
_SKIPPED_BLOCKS = ("NOTE", "STYLE", "REGION")
_LABEL = re.compile(
    r"^(?P<label>[^\W\d_][\w.'’-]*(?:[ \t]+[\w.'’-]+){0,3})[ \t]*:[ \t]*(?P<rest>.*)$", re.S
)
# "Name:" prefixes that are not speakers.
_NOT_SPEAKERS = _words(
    "note notes update warning question answer chapter part step example source link "
    "links music intro outro http https transcript caption captions subtitle subtitles "
    "edit editor disclaimer sponsor ad ps re fyi tip"
)


def parse_cues(text: str) -> list[Segment]:
    """Segments from WebVTT or SRT cues.

    Cue ids, NOTE/STYLE/REGION blocks and cue settings are skipped; `<v Name>` voice tags
    give the speaker (a cue with several voices becomes several segments); other tags and
    entities are removed. Without voice tags, a leading `Name:` names the speaker and holds
    for the following unlabelled cues, as caption files mark only the turns. Lines a
    roll-up caption repeats from the cue before are dropped.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    recurring = recurring_labels(_ANY_TAG.sub("", line) for line in text.split("\n"))
    segments: list[Segment] = []
    labelled_speaker: str | None = None
    previous_last_line = ""
    for block in _BLOCK_SPLIT.split(text):
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        first = lines[0].strip()
        if first.startswith("WEBVTT") or first.split(None, 1)[0] in _SKIPPED_BLOCKS:
            continue
        timing_index = next((i for i, line in enumerate(lines[:3]) if "-->" in line), None)
        if timing_index is None:
            continue  # a stray number or text between cues
        match = _CUE_TIMING.match(lines[timing_index])
        start = parse_timestamp(match.group(1)) if match else None
        end = parse_timestamp(match.group(2)) if match else None
        if start is None:
            continue
        payload = [line.strip() for line in lines[timing_index + 1 :]]
        if payload and previous_last_line and payload[0] == previous_last_line:
            payload = payload[1:]  # roll-up captions repeat the line before
        if not payload:
            continue
        previous_last_line = payload[-1]
        raw = " ".join(payload)
        voices = _voice_spans(raw)
        if voices:
            segments.extend(_timed_split(voices, start, end))
            continue
        cue_text = _clean_cue_text(raw)
        speaker, cue_text = split_speaker_label(cue_text, recurring)
        if speaker:
            labelled_speaker = speaker
        if cue_text:
            segments.append(Segment(cue_text, start, end, labelled_speaker))
    return segments


def _voice_spans(raw: str) -> list[tuple[str | None, str]]:
    """[(speaker, text)] for a cue with `<v Name>` tags; [] when it has none."""
    matches = list(_VOICE.finditer(raw))
    if not matches:
        return []
    spans: list[tuple[str | None, str]] = []
    lead = _clean_cue_text(raw[: matches[0].start()])
    if lead:
        spans.append((None, lead))
    for index, match in enumerate(matches):
        stop = matches[index + 1].start() if index + 1 < len(matches) else len(raw)
        speaker = _clean_speaker(html.unescape(match.group(1) or ""))
        body = _clean_cue_text(raw[match.end() : stop])
        if not body:
            continue
        if spans and spans[-1][0] == speaker:
            spans[-1] = (speaker, f"{spans[-1][1]} {body}")
        else:
            spans.append((speaker, body))
    return spans


def _timed_split(
    spans: list[tuple[str | None, str]], start: float, end: float | None
) -> list[Segment]:
    """Share a cue's time between its voices in proportion to their text."""
    if len(spans) == 1 or end is None or end <= start:
        return [Segment(text, start, end, speaker) for speaker, text in spans]
    total = sum(len(text) for _, text in spans)
    segments, offset = [], 0
    for speaker, text in spans:
        seg_start = start + (end - start) * offset / total
        offset += len(text)
        seg_end = start + (end - start) * offset / total
        segments.append(Segment(text, round(seg_start, 3), round(seg_end, 3), speaker))
    return segments


def _clean_cue_text(raw: str) -> str:
    text = html.unescape(_ANY_TAG.sub("", raw))
    text = " ".join(text.split())
    # Broadcast captions mark a new speaker with ">>" or a leading dash.
    return text.lstrip(">- ").strip() if text.startswith((">>", "- ")) else text


def _clean_speaker(name: str) -> str | None:
    name = " ".join(name.split()).strip(" :")
    return name or None


def split_speaker_label(text: str, recurring: Collection[str] = ()) -> tuple[str | None, str]:
    """("Ann Lee", "Hello") for "Ann Lee: Hello"; (None, text) when the text has no label.

    A label is 1–4 capitalised words (or numbers: "Speaker 1") before a colon, at most 40
    characters, not a word like "Note" or "Update". A one-word label ("Ann:", but also
    "So:") counts only when it is in `recurring` — labels the file uses more than once —
    since a sentence can start with a word and a colon.
    """
    match = _LABEL.match(text)
    if match is None:
        return None, text
    label = " ".join(match.group("label").split())
    words = label.split(" ")
    if (
        len(label) > 40
        or len(label) < 2
        or words[0].casefold().rstrip(".") in _NOT_SPEAKERS
        or not all(w[0].isupper() or w[0].isdigit() for w in words)
        or "//" in match.group("rest")[:2]
        or (len(words) == 1 and label not in recurring)
    ):
        return None, text
    return label, match.group("rest").strip()


def recurring_labels(lines: Iterable[str]) -> set[str]:
    """The `Name:` labels that start more than one of these lines."""
    counts: Counter[str] = Counter()
    for line in lines:
        match = _LABEL.match(line.strip())
        if match:
            counts[" ".join(match.group("label").split())] += 1
    return {label for label, count in counts.items() if count > 1}


# ---- Podcasting 2.0 JSON


def parse_json_transcript(text: str) -> list[Segment]:
    """Segments of a Podcasting 2.0 JSON transcript (`{"segments": [...]}` or a bare list).

    `startTime`/`endTime` may be numbers, numeric strings or `HH:MM:SS.mmm`; `speaker` is
    optional per segment. Word-level files (one word per segment) are fine: merging joins
    them. A time too large for a float is dropped; a lone surrogate the JSON spells out
    (`"\\ud800"`) becomes U+FFFD.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TranscriptError(f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise TranscriptError(_TOO_DEEP) from None
    except ValueError:
        raise TranscriptError("not valid JSON") from None
    items = data.get("segments") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise TranscriptError('the JSON has no "segments" list')
    segments = []
    for item in items:
        if not isinstance(item, dict):
            continue
        body = item.get("body")
        if not isinstance(body, str):
            continue
        body = " ".join(without_surrogates(html.unescape(body)).split())
        if not body:
            continue
        speaker = item.get("speaker")
        if isinstance(speaker, str):
            speaker = without_surrogates(speaker)
        segments.append(
            Segment(
                body,
                seconds_from_json(item.get("startTime")),
                seconds_from_json(item.get("endTime")),
                _clean_speaker(speaker) if isinstance(speaker, str) else None,
            )
        )
    return segments


# ---- HTML and plain text: searchable, never timed

_HTML_BLOCKS = _words("p li blockquote h1 h2 h3 h4 h5 h6 td dd pre")
_HTML_SKIPPED = _words("script style head template noscript time nav footer")
_TIMESTAMP_ONLY = re.compile(r"^[\[(]?\d{1,3}(?::\d{2}){1,2}(?:[.,]\d+)?[\])]?$")
# Otter-style speaker lines: "Ann Lee  0:03" (a name, then a time, nothing else).
_NAME_AND_TIME = re.compile(
    r"^(?P<name>[^\W\d_][\w.'’ -]{0,38}?)\s+[\[(]?\d{1,3}(?::\d{2}){1,2}[\])]?$"
)


def parse_html_transcript(text: str) -> list[Segment]:
    """Paragraphs of an HTML transcript; `<cite>Name:</cite>` names the speaker of the
    paragraphs after it. `<time>` is ignored: an HTML transcript is never a jump link."""
    try:
        root = lxml_html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return parse_text_transcript(html_to_text(text))
    segments: list[Segment] = []
    speaker: str | None = None
    skip_depth_tags = _HTML_SKIPPED
    recurring = recurring_labels(p.text_content() for p in root.iter("p"))

    def walk(element: etree._Element) -> None:
        nonlocal speaker
        for child in element:
            tag = child.tag if isinstance(child.tag, str) else ""
            tag = tag.lower()
            if tag in skip_depth_tags or not tag:
                continue
            if tag == "cite":
                speaker = _clean_speaker(child.text_content())
            elif tag in _HTML_BLOCKS or (tag == "div" and not _has_blocks(child)):
                para = " ".join(child.text_content().split())
                if para and not _TIMESTAMP_ONLY.match(para):
                    label, rest = split_speaker_label(para, recurring)
                    if label:
                        speaker = label
                    if rest:
                        segments.append(Segment(rest, speaker=speaker))
            else:
                walk(child)

    walk(root)
    if not segments:
        return parse_text_transcript(html_to_text(text))
    return segments


def _has_blocks(element: etree._Element) -> bool:
    return any(
        isinstance(child.tag, str) and child.tag.lower() in _HTML_BLOCKS | {"div", "cite"}
        for child in element.iter()
        if child is not element
    )


def parse_text_transcript(text: str) -> list[Segment]:
    """Paragraphs (or lines) of a plain-text transcript, with `Name:` speakers that hold
    until the next label; lines that are only a time are dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    recurring = recurring_labels(text.split("\n"))
    blocks = _BLOCK_SPLIT.split(text) if _BLOCK_SPLIT.search(text) else text.split("\n")
    segments: list[Segment] = []
    speaker: str | None = None
    for block in blocks:
        lines = [" ".join(line.split()) for line in block.split("\n") if line.strip()]
        body: list[str] = []
        for line in lines:
            name_and_time = _NAME_AND_TIME.match(line)
            if _TIMESTAMP_ONLY.match(line):
                continue
            if name_and_time and not body:
                speaker = _clean_speaker(name_and_time.group("name"))
                continue
            if not body:
                label, rest = split_speaker_label(line, recurring)
                if label:
                    speaker = label
                    line = rest
            if line:
                body.append(line)
        if body:
            segments.append(Segment(" ".join(body), speaker=speaker))
    return segments


# ---------------------------------------------------------------------- merging

_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*$")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…])[\"'”’»)\]]*\s+")


def merge_passages(
    segments: Sequence[Segment],
    *,
    target_chars: int = TARGET_PASSAGE_CHARS,
    max_chars: int = MAX_PASSAGE_CHARS,
    max_gap: float = MAX_GAP_SECONDS,
    max_span: float = MAX_PASSAGE_SECONDS,
) -> list[Passage]:
    """Join segments into passages of a sentence or two.

    A passage ends after a sentence once it holds `target_chars` or two sentences; it
    never joins two speakers, timed and untimed text, or cues more than `max_gap` seconds
    apart, never spans more than `max_span` seconds and never exceeds `max_chars` (an
    overlong segment is first split at sentence ends, its time shared in proportion).
    """
    passages: list[Passage] = []
    current: list[Segment] = []
    length = 0
    sentences = 0

    def flush() -> None:
        nonlocal current, length, sentences
        if current:
            passages.append(_passage(current))
        current, length, sentences = [], 0, 0

    for segment in _split_long(segments, max_chars):
        if current and _breaks(current, segment, length, max_chars, max_gap, max_span):
            flush()
        current.append(segment)
        length += len(segment.text) + (1 if length else 0)
        if _SENTENCE_END.search(segment.text):
            sentences += len(_SENTENCE_SPLIT.findall(segment.text)) + 1
            if length >= target_chars or sentences >= 2:
                flush()
    flush()
    return passages


def _breaks(
    current: list[Segment],
    segment: Segment,
    length: int,
    max_chars: int,
    max_gap: float,
    max_span: float,
) -> bool:
    last, first = current[-1], current[0]
    if segment.speaker != last.speaker:
        return True
    if (segment.start is None) != (first.start is None):
        return True
    if length + 1 + len(segment.text) > max_chars:
        return True
    if segment.start is not None and first.start is not None:
        last_end = last.end if last.end is not None else last.start
        if last_end is not None and segment.start - last_end > max_gap:
            return True
        segment_end = segment.end if segment.end is not None else segment.start
        if segment_end - first.start > max_span:
            return True
    return False


def _passage(segments: list[Segment]) -> Passage:
    first, last = segments[0], segments[-1]
    end = last.end if last.end is not None else last.start
    text = " ".join(" ".join(s.text for s in segments).split())
    return Passage(text, first.start, end, first.speaker)


def _split_long(segments: Iterable[Segment], max_chars: int) -> Iterable[Segment]:
    """Segments no longer than `max_chars`: long ones are cut at sentence ends (or words)."""
    for segment in segments:
        if len(segment.text) <= max_chars:
            yield segment
            continue
        pieces = _pieces(segment.text, max_chars)
        total = sum(len(p) for p in pieces)
        offset = 0
        for piece in pieces:
            start = end = None
            if segment.start is not None:
                span = (segment.end - segment.start) if segment.end is not None else 0.0
                start = round(segment.start + span * offset / total, 3)
                end = round(segment.start + span * (offset + len(piece)) / total, 3)
                if segment.end is None:
                    start = end = segment.start
            offset += len(piece)
            yield replace(segment, text=piece, start=start, end=end)


def _pieces(text: str, max_chars: int) -> list[str]:
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE_SPLIT.split(text):
        words = sentence.split() if len(sentence) > max_chars else [sentence]
        for word in words:
            candidate = f"{current} {word}" if current else word
            if len(candidate) > max_chars and current:
                pieces.append(current)
                candidate = word
            current = candidate
        if _SENTENCE_END.search(current) and len(current) >= TARGET_PASSAGE_CHARS:
            pieces.append(current)
            current = ""
    if current:
        pieces.append(current)
    return pieces
