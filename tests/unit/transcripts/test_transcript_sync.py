"""The transcript job: fetched once per version, conditional GETs, broken files skipped with
the episode kept, local files read from disk, offline means offline."""

from __future__ import annotations

import io
import logging

import pytest

from bot.app.cli import EXIT_OK, import_sources
from bot.ingest.fetch import Fetcher
from bot.ingest.importer import Importer, ImportSummary
from bot.models.parsed_feed import TranscriptRef
from bot.store import Store
from bot.store.transcript_rows import TranscriptJob, TranscriptState
from bot.transcripts.transcript_search import transcript_moments
from bot.transcripts.transcript_sync import (
    MAX_ATTEMPTS,
    PARSER_VERSION,
    RETRY_AFTER_SECONDS,
    TranscriptSync,
    links_to_try,
)
from tests.support.paths import EXAMPLES

VTT_V1 = """WEBVTT

00:01:40.000 --> 00:01:45.000
<v Ann Lee>Today we talk about gradient clipping.

00:02:10.000 --> 00:02:14.000
<v Bo Chen>Clipping saved my training run.
"""
VTT_V2 = VTT_V1.replace("gradient clipping", "spectral normalisation")
SRT = "1\n00:00:30,000 --> 00:00:33,000\nBo Chen: Batch norm is older than you think.\n"


def feed_xml(items: list[tuple[str, str, list[tuple[str, str]]]]) -> str:
    """A small RSS feed: (guid, description, [(transcript url, type)]) per item."""
    body = []
    for guid, description, transcripts in items:
        links = "".join(
            f'<podcast:transcript url="{url}" type="{kind}"/>' for url, kind in transcripts
        )
        body.append(
            f"<item><title>Episode {guid}</title><guid>{guid}</guid>"
            f"<description>{description}</description>"
            f'<enclosure url="https://example.com/{guid}.mp3" type="audio/mpeg" length="1"/>'
            f"{links}</item>"
        )
    return (
        '<?xml version="1.0"?><rss version="2.0" '
        'xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel>'
        f"<title>Sync Show</title>{''.join(body)}</channel></rss>"
    )


@pytest.fixture
async def env(tmp_path):
    async with await Store.open(tmp_path / "store.db") as store, Fetcher() as fetcher:
        yield store, fetcher


async def episode_id(store: Store, guid: str) -> int:
    return (await store.fetchone("SELECT id FROM episodes WHERE guid = ?", (guid,)))[0]


async def passage_ids(store: Store, guid: str) -> list[int]:
    rows = await store.fetchall(
        "SELECT p.id FROM transcript_passages p JOIN episodes e ON e.id = p.episode_id "
        "WHERE e.guid = ? ORDER BY p.id",
        (guid,),
    )
    return [row[0] for row in rows]


async def imported_and_synced(
    store: Store, fetcher: Fetcher, url: str
) -> tuple[Importer, TranscriptSync, ImportSummary]:
    """The feed at `url` imported and its transcripts synced once, ready for a second look."""
    importer, sync = Importer(store, fetcher), TranscriptSync(store, fetcher)
    summary = await importer.import_source(url)
    await sync.sync_feed(summary.feed_id)
    return importer, sync, summary


# --------------------------------------------------------------------------- local files


async def test_the_example_feed_reads_its_transcripts_from_disk_once(env):
    store, fetcher = env
    summary = await Importer(store, fetcher, remote_files=False).import_source(
        str(EXAMPLES / "feed.xml")
    )
    sync = TranscriptSync(store, fetcher, remote_files=False)
    first = await sync.sync_feed(summary.feed_id)
    assert (first.indexed, first.failed, first.segments) == (6, 0, 208)
    assert (first.episodes_with_transcripts, first.total_segments) == (6, 208)
    # Nothing changed: nothing is read or parsed again.
    again = await sync.sync_feed(summary.feed_id)
    assert (again.indexed, again.unchanged, again.failed, again.skipped) == (0, 0, 0, 0)
    assert again.total_segments == 208
    assert "6 episodes have one (208 segments)" in again.line()


async def test_import_with_transcripts_prints_a_count_per_feed(env):
    store, fetcher = env
    out = io.StringIO()
    feed = str(EXAMPLES / "feed.xml")
    code = await import_sources([feed], store, fetcher, offline=True, transcripts=True, out=out)
    assert code == EXIT_OK
    imported, transcripts = out.getvalue().splitlines()
    assert imported.startswith("Warm Restarts (") and "32 new" in imported
    assert transcripts == (
        "Warm Restarts: transcripts: 6 indexed, 0 unchanged, 0 failed, 0 skipped; "
        "6 episodes have one (208 segments)"
    )
    # Again: the feed is unchanged and no transcript is read twice.
    out = io.StringIO()
    await import_sources([feed], store, fetcher, offline=True, transcripts=True, out=out)
    assert "transcripts: 0 indexed, 0 unchanged, 0 failed" in out.getvalue()
    rows = [row async for row in store.export_rows()]
    assert sum(row["transcript"] is not None for row in rows) == 6


async def test_relative_and_file_urls_of_a_local_feed_are_read_beside_it(env, tmp_path):
    store, fetcher = env
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "a.vtt").write_text(VTT_V1, encoding="utf-8")
    (tmp_path / "b.srt").write_text(SRT, encoding="utf-8")
    feed = tmp_path / "feed.xml"
    feed.write_text(
        feed_xml(
            [
                ("a", "A", [("t/a.vtt", "text/vtt")]),
                ("b", "B", [((tmp_path / "b.srt").as_uri(), "application/x-subrip")]),
            ]
        ),
        encoding="utf-8",
    )
    summary = await Importer(store, fetcher, remote_files=False).import_source(str(feed))
    result = await TranscriptSync(store, fetcher, remote_files=False).sync_feed(summary.feed_id)
    assert (result.indexed, result.failed) == (2, 0)
    moments = await transcript_moments(store, "batch norm", guild_id=None)
    assert [(m.start, m.speaker) for m in moments] == [(30.0, "Bo Chen")]


# --------------------------------------------------------------------------- over HTTP


async def test_a_web_transcript_is_fetched_once_then_conditionally(env, server):
    store, fetcher = env
    server.route("/t/a.vtt", VTT_V1, content_type="text/vtt", etag='"v1"')
    server.route("/feed.xml", feed_xml([("a", "first", [("/t/a.vtt", "text/vtt")])]))
    importer = Importer(store, fetcher)
    sync = TranscriptSync(store, fetcher)

    summary = await importer.import_source(server.url("/feed.xml"))
    first = await sync.sync_feed(summary.feed_id)
    assert (first.indexed, first.segments) == (1, 2)
    stored = await passage_ids(store, "a")
    moments = await transcript_moments(store, "gradient clipping", guild_id=None)
    assert [(m.start, m.speaker) for m in moments] == [(100.0, "Ann Lee")]

    # The same episode again: not even asked for.
    await sync.sync_feed(summary.feed_id)
    assert len(server.requests_for("/t/a.vtt")) == 1

    # The item changed (new notes): the transcript is checked with its ETag, the server
    # says 304, and nothing is parsed or rewritten.
    server.route("/feed.xml", feed_xml([("a", "second", [("/t/a.vtt", "text/vtt")])]))
    await importer.import_source(server.url("/feed.xml"))
    checked = await sync.sync_feed(summary.feed_id)
    assert (checked.indexed, checked.unchanged) == (0, 1)
    conditional = server.requests_for("/t/a.vtt")[-1]
    assert conditional.headers.get("If-None-Match") == '"v1"'
    assert await passage_ids(store, "a") == stored

    # A new version of the file, announced by another change to the item: re-read.
    server.route("/t/a.vtt", VTT_V2, content_type="text/vtt", etag='"v2"')
    server.route("/feed.xml", feed_xml([("a", "third", [("/t/a.vtt", "text/vtt")])]))
    await importer.import_source(server.url("/feed.xml"))
    updated = await sync.sync_feed(summary.feed_id)
    assert updated.indexed == 1
    assert await transcript_moments(store, "gradient clipping", guild_id=None) == []
    assert await transcript_moments(store, "spectral normalisation", guild_id=None)


async def test_a_failed_recheck_keeps_the_transcript_we_have(env, server):
    store, fetcher = env
    server.route("/t/a.vtt", VTT_V1, content_type="text/vtt")
    server.route("/feed.xml", feed_xml([("a", "first", [("/t/a.vtt", "text/vtt")])]))
    importer, sync, summary = await imported_and_synced(store, fetcher, server.url("/feed.xml"))
    server.route("/t/a.vtt", status=500)
    server.route("/feed.xml", feed_xml([("a", "second", [("/t/a.vtt", "text/vtt")])]))
    await importer.import_source(server.url("/feed.xml"))
    result = await sync.sync_feed(summary.feed_id)
    assert result.failed == 1
    assert await transcript_moments(store, "gradient clipping", guild_id=None)
    assert (await store.transcript_info(await episode_id(store, "a"))).segments == 2


async def test_the_same_bytes_without_validators_are_not_parsed_again(env, server):
    store, fetcher = env
    server.route("/a.srt", SRT, content_type="application/x-subrip")
    server.route("/feed.xml", feed_xml([("a", "one", [("/a.srt", "application/x-subrip")])]))
    importer, sync, summary = await imported_and_synced(store, fetcher, server.url("/feed.xml"))
    stored = await passage_ids(store, "a")
    server.route("/feed.xml", feed_xml([("a", "two", [("/a.srt", "application/x-subrip")])]))
    await importer.import_source(server.url("/feed.xml"))
    again = await sync.sync_feed(summary.feed_id)
    assert (again.indexed, again.unchanged) == (0, 1)
    assert await passage_ids(store, "a") == stored


async def test_a_broken_transcript_is_logged_and_skipped_and_the_episode_stays(env, server, caplog):
    store, fetcher = env
    server.route("/good.vtt", VTT_V1, content_type="text/vtt")
    server.route("/garbage.json", b'{"chapters": []}', content_type="application/json")
    server.route(
        "/feed.xml",
        feed_xml(
            [
                ("good", "fine", [("/good.vtt", "text/vtt")]),
                ("missing", "404", [("/missing.srt", "application/srt")]),
                # The JSON is preferred but broken; the SRT beside it is used instead.
                ("fallback", "two links", [("/garbage.json", "application/json"),
                                           ("/fallback.srt", "application/srt")]),
            ]
        ),
    )  # fmt: skip
    server.route("/fallback.srt", SRT, content_type="application/srt")
    summary = await Importer(store, fetcher).import_source(server.url("/feed.xml"))
    with caplog.at_level(logging.WARNING, logger="bot.transcripts.transcript_sync"):
        result = await TranscriptSync(store, fetcher).sync_feed(summary.feed_id)
    assert (result.indexed, result.failed) == (2, 2)
    assert "/missing.srt" in caplog.text and "HTTP 404" in caplog.text
    assert "/garbage.json" in caplog.text
    # Every episode is still there; the broken ones just have no transcript.
    assert (await store.fetchone("SELECT count(*) FROM episodes"))[0] == 3
    assert await store.transcript_info(await episode_id(store, "missing")) is None
    fallback = await store.transcript_info(await episode_id(store, "fallback"))
    assert (fallback.url, fallback.format) == ("/fallback.srt", "srt")
    failures = await store.fetchall("SELECT url, error FROM transcripts WHERE status = 'failed'")
    assert {row["url"] for row in failures} == {"/missing.srt", "/garbage.json"}


async def test_offline_fetches_nothing_from_the_network(env, server):
    store, fetcher = env
    server.route("/a.vtt", VTT_V1, content_type="text/vtt")
    server.route("/feed.xml", feed_xml([("a", "x", [("/a.vtt", "text/vtt")])]))
    summary = await Importer(store, fetcher).import_source(server.url("/feed.xml"))
    result = await TranscriptSync(store, fetcher, remote_files=False).sync_feed(summary.feed_id)
    assert (result.indexed, result.skipped) == (0, 1)
    assert server.requests_for("/a.vtt") == []


async def test_a_file_url_in_a_web_feed_is_refused(env, server, tmp_path):
    store, fetcher = env
    secret = tmp_path / "secret.srt"
    secret.write_text(SRT, encoding="utf-8")
    server.route("/feed.xml", feed_xml([("a", "x", [(secret.as_uri(), "application/srt")])]))
    summary = await Importer(store, fetcher).import_source(server.url("/feed.xml"))
    result = await TranscriptSync(store, fetcher).sync_feed(summary.feed_id)
    assert (result.indexed, result.failed) == (0, 1)
    assert await transcript_moments(store, "batch norm", guild_id=None) == []


async def test_a_link_the_feed_drops_takes_its_passages_with_it(env, server):
    store, fetcher = env
    server.route("/a.vtt", VTT_V1, content_type="text/vtt")
    server.route("/feed.xml", feed_xml([("a", "x", [("/a.vtt", "text/vtt")])]))
    importer, sync, summary = await imported_and_synced(store, fetcher, server.url("/feed.xml"))
    assert await transcript_moments(store, "clipping", guild_id=None)
    server.route("/feed.xml", feed_xml([("a", "no transcript now", [])]))
    await importer.import_source(server.url("/feed.xml"))
    await sync.sync_feed(summary.feed_id)
    assert await transcript_moments(store, "clipping", guild_id=None) == []
    assert await passage_ids(store, "a") == []


async def test_the_background_job_runs_and_reports(env, server):
    store, fetcher = env
    server.route("/a.vtt", VTT_V1, content_type="text/vtt")
    server.route("/feed.xml", feed_xml([("a", "x", [("/a.vtt", "text/vtt")])]))
    summary = await Importer(store, fetcher).import_source(server.url("/feed.xml"))
    sync = TranscriptSync(store, fetcher)
    result = await sync.sync_in_background(summary.feed_id)
    assert result.indexed == 1
    await sync.close()


async def test_deleting_a_feed_clears_both_transcript_indexes(env):
    store, fetcher = env
    summary = await Importer(store, fetcher, remote_files=False).import_source(
        str(EXAMPLES / "feed.xml")
    )
    await TranscriptSync(store, fetcher, remote_files=False).sync_feed(summary.feed_id)
    async with store.transaction() as db:
        await db.execute("DELETE FROM feeds WHERE id = ?", (summary.feed_id,))
    for table in ("transcript_fts", "transcript_episodes_fts"):
        row = await store.fetchone(f"SELECT count(*) FROM {table} WHERE {table} MATCH 'kernel'")
        assert row[0] == 0, table
    # The passage index still agrees with its table (FTS5 raises if it does not).
    async with store.transaction() as db:
        await db.execute("INSERT INTO transcript_fts (transcript_fts) VALUES ('integrity-check')")


# --------------------------------------------------------------------------- what is due


def job(item: str, refs: list[TranscriptRef], **states: TranscriptState) -> TranscriptJob:
    """An episode whose item hashes to `item`; states were checked when it hashed to "v1"."""
    return TranscriptJob(1, 1, "https://x.example/feed.xml", item, refs, states)


def state(url, status, *, checked_at=1000, attempts=0, version=PARSER_VERSION):
    return TranscriptState(
        url, status, "vtt", None, None, "h", version, None, attempts, checked_at, "v1"
    )


VTT_REF = TranscriptRef("a.vtt", "text/vtt")
SRT_REF = TranscriptRef("a.srt", "application/srt")
NOW = 1000 + 10 * RETRY_AFTER_SECONDS


@pytest.mark.parametrize(
    ("the_job", "force", "expected"),
    [
        (job("v1", [VTT_REF]), False, ["a.vtt"]),  # new link
        (job("v1", [SRT_REF, VTT_REF], **{"a.vtt": state("a.vtt", "ok")}), False, []),
        (job("v2", [VTT_REF], **{"a.vtt": state("a.vtt", "ok")}), False, ["a.vtt"]),
        (job("v1", [VTT_REF], **{"a.vtt": state("a.vtt", "ok")}), True, ["a.vtt"]),
        (job("v1", [VTT_REF], **{"a.vtt": state("a.vtt", "ok", version="0")}), False, ["a.vtt"]),
        # Failed: retried after the delay, with back-off, then only when the item changes.
        (job("v1", [VTT_REF], **{"a.vtt": state("a.vtt", "failed", checked_at=NOW - 60,
                                                attempts=1)}), False, []),
        (job("v1", [VTT_REF], **{"a.vtt": state("a.vtt", "failed", attempts=1)}), False,
         ["a.vtt"]),
        (job("v1", [VTT_REF], **{"a.vtt": state("a.vtt", "failed", attempts=MAX_ATTEMPTS)}),
         False, []),
        (job("v2", [VTT_REF], **{"a.vtt": state("a.vtt", "failed", attempts=MAX_ATTEMPTS)}),
         False, ["a.vtt"]),
        # The better link failed recently, the worse one works: neither is fetched.
        (job("v1", [SRT_REF, VTT_REF], **{"a.vtt": state("a.vtt", "failed", checked_at=NOW),
                                         "a.srt": state("a.srt", "ok")}), False, []),
    ],
    ids=["new", "ok-unchanged", "ok-item-changed", "ok-forced", "ok-old-parser",
         "failed-recently", "failed-retry-due", "failed-gave-up", "failed-item-changed",
         "better-failed-worse-ok"],
)  # fmt: skip
def test_which_links_are_fetched(the_job, force, expected):
    assert [ref.url for ref, _ in links_to_try(the_job, now=NOW, force=force)] == expected


# --------------------------------------------------------------------------- bad links


async def test_a_transcript_link_with_a_bad_host_name_fails_alone(env, tmp_path):
    store, fetcher = env
    (tmp_path / "b.srt").write_text(SRT, encoding="utf-8")
    long_label = "http://" + "a" * 64 + ".example/a.vtt"
    feed = tmp_path / "feed.xml"
    feed.write_text(
        feed_xml(
            [
                ("long", "x", [(long_label, "text/vtt")]),
                ("bracket", "x", [("http://[oops/a.vtt", "text/vtt")]),
                ("good", "x", [("b.srt", "application/x-subrip")]),
            ]
        ),
        encoding="utf-8",
    )
    summary = await Importer(store, fetcher).import_source(str(feed))

    result = await TranscriptSync(store, fetcher).sync_feed(summary.feed_id)

    assert (result.indexed, result.failed) == (1, 2)
    failures = dict(
        await store.fetchall("SELECT url, error FROM transcripts WHERE status = 'failed'")
    )
    assert failures[long_label].startswith("could not fetch: invalid host name in URL: aaaa")
    assert failures["http://[oops/a.vtt"] == "could not fetch: invalid URL"
    assert await transcript_moments(store, "batch norm", guild_id=None)


async def test_a_refused_local_transcript_is_one_warning_naming_the_feed(env, tmp_path, caplog):
    store, fetcher = env
    (tmp_path / "show").mkdir()
    (tmp_path / "secret.srt").write_text(SRT, encoding="utf-8")
    feed = tmp_path / "show" / "feed.xml"
    feed.write_text(feed_xml([("a", "x", [("../secret.srt", "application/x-subrip")])]))
    summary = await Importer(store, fetcher).import_source(str(feed))

    with caplog.at_level(logging.WARNING, logger="bot.transcripts.transcript_sync"):
        result = await TranscriptSync(store, fetcher).sync_feed(summary.feed_id)

    assert (result.indexed, result.failed) == (0, 1)
    folder = (tmp_path / "show").resolve()
    assert [r.getMessage() for r in caplog.records] == [
        f"{folder / 'feed.xml'}: episode {await episode_id(store, 'a')}: transcript "
        f"../secret.srt is outside the feed's folder {folder}; not read"
    ]
    assert await transcript_moments(store, "batch norm", guild_id=None) == []


# --------------------------------------------------------------------------- hostile files


async def test_hostile_transcripts_fail_or_are_cleaned_and_the_rest_are_stored(env, server):
    """Deep nesting, a 400-digit start time and a lone surrogate: the first is one failed
    transcript, the others are stored without the bad time or the surrogate, and the
    feed's ordinary transcript beside them is indexed as usual."""
    store, fetcher = env
    deep = b'{"segments": ' + b"[" * 100_000
    huge = (
        b'{"segments": [{"startTime": ' + b"9" * 400 + b', "body": "Lost time."},'
        b' {"startTime": 5, "endTime": 8, "body": "Weight decay is regularisation."}]}'
    )
    surrogate = (
        b'{"segments": [{"startTime": 7, "endTime": 9, "speaker": "Ann \\udc80Lee",'
        b' "body": "Dropout \\ud800 helps."}]}'
    )
    server.route("/deep.json", deep, content_type="application/json")
    server.route("/huge.json", huge, content_type="application/json")
    server.route("/surrogate.json", surrogate, content_type="application/json")
    server.route("/good.vtt", VTT_V1, content_type="text/vtt")
    server.route(
        "/feed.xml",
        feed_xml(
            [
                ("deep", "x", [("/deep.json", "application/json")]),
                ("huge", "x", [("/huge.json", "application/json")]),
                ("surrogate", "x", [("/surrogate.json", "application/json")]),
                ("good", "x", [("/good.vtt", "text/vtt")]),
            ]
        ),
    )
    summary = await Importer(store, fetcher).import_source(server.url("/feed.xml"))

    result = await TranscriptSync(store, fetcher).sync_feed(summary.feed_id)

    assert (result.indexed, result.failed) == (3, 1)
    failures = dict(
        await store.fetchall("SELECT url, error FROM transcripts WHERE status = 'failed'")
    )
    assert failures == {"/deep.json": "could not read: not valid JSON: nested too deeply"}
    assert await store.transcript_info(await episode_id(store, "deep")) is None
    # The segment with the absurd start is kept untimed; the timed one lands on its second.
    assert (await store.transcript_info(await episode_id(store, "huge"))).segments == 2
    moments = await transcript_moments(store, "weight decay", guild_id=None)
    assert [(m.start, m.speaker) for m in moments] == [(5.0, None)]
    # The surrogate is stored (and found) as U+FFFD.
    moments = await transcript_moments(store, "dropout", guild_id=None)
    assert [(m.start, m.speaker) for m in moments] == [(7.0, "Ann \ufffdLee")]
    assert "\ufffd" in moments[0].text
    assert await transcript_moments(store, "gradient clipping", guild_id=None)
