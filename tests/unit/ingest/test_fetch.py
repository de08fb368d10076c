"""Fetching over HTTP and from disk, against a real loopback server (tests/support/feedserver.py).

No test touches the network beyond 127.0.0.1: host names other than localhost go through a
fake resolver.
"""

from __future__ import annotations

import asyncio
import gzip
import socket
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

import bot.ingest.fetch
from bot.ingest.fetch import (
    Fetcher,
    FetchError,
    FetchResult,
    PublicOnlyResolver,
    ReadSlots,
    is_public_address,
)
from tests.support.feedserver import FeedServer

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Show</title></channel></rss>'
LAST_MODIFIED = "Tue, 02 Mar 2021 12:00:00 GMT"


class FakeResolver(AbstractResolver):
    """Answers from a table; a host with several answers gives them in turn (rebinding)."""

    def __init__(self, answers: dict[str, Sequence[Sequence[str]]]) -> None:
        self.answers = {host: list(seq) for host, seq in answers.items()}
        self.lookups: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.lookups.append(host)
        sequence = self.answers.get(host)
        if not sequence:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        addresses = sequence.pop(0) if len(sequence) > 1 else sequence[0]
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
            )
            for address in addresses
        ]

    async def close(self) -> None:
        pass


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(timeout=2.0, connect_timeout=1.0) as fetcher:
        yield fetcher


@pytest.fixture
def loopback_is_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend 127.0.0.1 (only) is a public address, so the loopback server can play one."""
    original = bot.ingest.fetch.is_public_address

    def patched(address: object) -> bool:
        return str(address) == "127.0.0.1" or original(address)  # type: ignore[arg-type]

    monkeypatch.setattr(bot.ingest.fetch, "is_public_address", patched)


async def fetch_error(call: Callable[[], object]) -> str:
    with pytest.raises(FetchError) as caught:
        await call()  # type: ignore[misc]
    message = str(caught.value)
    assert "\n" not in message
    assert "Error(" not in message and "<" not in message  # no reprs
    return message


# --- plain GETs and validators -----------------------------------------------------------


async def test_a_get_returns_the_body_and_its_validators(server: FeedServer, fetcher: Fetcher):
    server.route("/feed.xml", FEED, etag='"v1"', last_modified=LAST_MODIFIED)

    result = await fetcher.fetch(server.url("/feed.xml"))

    assert result == FetchResult(
        url=server.url("/feed.xml"),
        status=200,
        body=FEED,
        etag='"v1"',
        last_modified=LAST_MODIFIED,
        content_type="application/rss+xml; charset=utf-8",
    )
    assert server.requests[0].headers["User-Agent"].startswith("episode-bot/")


async def test_a_matching_etag_gives_304_with_no_body(server: FeedServer, fetcher: Fetcher):
    server.route("/feed.xml", FEED, etag='"v1"', last_modified=LAST_MODIFIED)

    result = await fetcher.fetch(server.url("/feed.xml"), etag='"v1"')

    assert (result.status, result.body, result.etag) == (304, None, '"v1"')
    assert result.not_modified
    assert server.requests[0].headers["If-None-Match"] == '"v1"'


async def test_an_unchanged_last_modified_gives_304(server: FeedServer, fetcher: Fetcher):
    server.route("/feed.xml", FEED, last_modified=LAST_MODIFIED)

    result = await fetcher.fetch(server.url("/feed.xml"), last_modified=LAST_MODIFIED)

    assert (result.status, result.body, result.last_modified) == (304, None, LAST_MODIFIED)


async def test_a_changed_etag_gives_the_new_body(server: FeedServer, fetcher: Fetcher):
    server.route("/feed.xml", FEED, etag='"v2"')

    result = await fetcher.fetch(server.url("/feed.xml"), etag='"v1"')

    assert (result.status, result.body, result.etag) == (200, FEED, '"v2"')


async def test_a_304_to_an_unconditional_request_is_an_error(server: FeedServer, fetcher: Fetcher):
    server.route("/feed.xml", status=304)

    message = await fetch_error(lambda: fetcher.fetch(server.url("/feed.xml")))

    assert message == "HTTP 304 Not Modified"


@pytest.mark.parametrize(
    ("status", "message"),
    [(404, "HTTP 404 Not Found"), (500, "HTTP 500 Internal Server Error"), (599, "HTTP 599")],
)
async def test_an_error_status_names_the_status(
    server: FeedServer, fetcher: Fetcher, status: int, message: str
):
    server.route("/feed.xml", b"<h1>oops</h1>", status=status)

    assert await fetch_error(lambda: fetcher.fetch(server.url("/feed.xml"))) == message


async def test_an_unknown_path_is_404(server: FeedServer, fetcher: Fetcher):
    message = await fetch_error(lambda: fetcher.fetch(server.url("/nothing-here")))

    assert message == "HTTP 404 Not Found"


# --- time and size -----------------------------------------------------------------------


async def test_a_slow_server_times_out_within_the_timeout(server: FeedServer):
    # Without the deadline the server would answer after 5 s and no error would be raised.
    server.route("/feed.xml", FEED, delay=5)

    async with Fetcher(timeout=0.3) as fetcher:
        message = await fetch_error(lambda: fetcher.fetch(server.url("/feed.xml")))

    assert message == "timed out after 0.3 s"


async def test_a_body_that_trickles_times_out_too(server: FeedServer):
    server.route("/feed.xml", FEED, chunk_size=10, chunk_delay=0.1)

    async with Fetcher(timeout=0.3) as fetcher:
        message = await fetch_error(lambda: fetcher.fetch(server.url("/feed.xml")))

    assert message == "timed out after 0.3 s"


async def test_a_streamed_body_over_the_cap_stops_reading(server: FeedServer):
    # 10 GB, no Content-Length: only stopping at the cap finishes before the timeout.
    server.route("/huge.xml", stream=10 * 1024**3)

    async with Fetcher(timeout=2, max_bytes=100 * 1024) as fetcher:
        message = await fetch_error(lambda: fetcher.fetch(server.url("/huge.xml")))

    assert message == "response larger than 100 KB"


async def test_a_declared_content_length_over_the_cap_is_refused_before_reading(
    server: FeedServer,
):
    # The server sends one chunk (under the cap) then stalls: reading it would end in a
    # timeout, so only the Content-Length check gives this message.
    server.route("/huge.xml", stream=10 * 1024**3, declared_length=10 * 1024**3, chunk_delay=5)

    async with Fetcher(timeout=1, max_bytes=100 * 1024) as fetcher:
        message = await fetch_error(lambda: fetcher.fetch(server.url("/huge.xml")))

    assert message == "response larger than 100 KB"


async def test_max_bytes_can_be_lowered_for_one_fetch(server: FeedServer, fetcher: Fetcher):
    server.route("/chapters.json", b"x" * 2000)

    message = await fetch_error(lambda: fetcher.fetch(server.url("/chapters.json"), max_bytes=1000))
    result = await fetcher.fetch(server.url("/chapters.json"))

    assert message == "response larger than 1000 bytes"
    assert result.body == b"x" * 2000


async def test_a_body_exactly_at_the_cap_is_accepted(server: FeedServer):
    server.route("/feed.xml", b"x" * 1024, chunk_size=100, chunk_delay=0.001)

    async with Fetcher(max_bytes=1024) as fetcher:
        result = await fetcher.fetch(server.url("/feed.xml"))

    assert result.body == b"x" * 1024


async def test_a_body_of_many_chunks_arrives_whole_as_bytes(
    server: FeedServer, fetcher: Fetcher
) -> None:
    body = bytes(range(256)) * 4096 + b"end"  # 1 MB in uneven pieces: every byte checked
    server.route("/big.xml", body, chunk_size=70_001)
    result = await fetcher.fetch(server.url("/big.xml"))
    assert type(result.body) is bytes
    assert result.body == body


async def test_a_gzip_body_is_decoded(server: FeedServer, fetcher: Fetcher):
    server.route("/feed.xml", FEED, gzip=True)

    result = await fetcher.fetch(server.url("/feed.xml"))

    assert result.body == FEED
    assert "gzip" in server.requests[0].headers["Accept-Encoding"]


async def test_the_cap_applies_to_the_decoded_body_of_a_gzip_bomb(server: FeedServer):
    bomb = b"\0" * (4 * 1024 * 1024)
    assert len(gzip.compress(bomb)) < 100 * 1024
    server.route("/bomb.xml", bomb, gzip=True)

    async with Fetcher(max_bytes=1024 * 1024) as fetcher:
        message = await fetch_error(lambda: fetcher.fetch(server.url("/bomb.xml")))

    assert message == "response larger than 1 MB"


# --- redirects ---------------------------------------------------------------------------


async def test_a_redirect_chain_within_the_cap_ends_at_the_final_url(server: FeedServer):
    server.redirect("/a", "/b", status=301)
    server.redirect("/b", server.url("/c"), status=307)
    server.redirect("/c", "final.xml", status=308)  # relative to /c
    server.route("/final.xml", FEED)

    async with Fetcher(max_redirects=3) as fetcher:
        result = await fetcher.fetch(server.url("/a"))

    assert (result.url, result.body) == (server.url("/final.xml"), FEED)
    assert [r.path for r in server.requests] == ["/a", "/b", "/c", "/final.xml"]


async def test_one_redirect_too_many_is_an_error(server: FeedServer):
    server.redirect("/a", "/b")
    server.redirect("/b", "/c")
    server.route("/c", FEED)

    async with Fetcher(max_redirects=1) as fetcher:
        message = await fetch_error(lambda: fetcher.fetch(server.url("/a")))

    assert message == "too many redirects (more than 1)"


async def test_a_redirect_loop_is_an_error(server: FeedServer, fetcher: Fetcher):
    server.redirect("/a", "/b")
    server.redirect("/b", "/a")

    message = await fetch_error(lambda: fetcher.fetch(server.url("/a")))

    assert message == "too many redirects (more than 5)"
    assert len(server.requests) == 6


async def test_validators_survive_a_redirect(server: FeedServer, fetcher: Fetcher):
    server.redirect("/old.xml", "/feed.xml", status=301)
    server.route("/feed.xml", FEED, etag='"v1"')

    result = await fetcher.fetch(server.url("/old.xml"), etag='"v1"')

    assert (result.status, result.url) == (304, server.url("/feed.xml"))


@pytest.mark.parametrize("target", ["ftp://example.com/feed.xml", "file:///etc/passwd"])
async def test_a_redirect_away_from_http_is_refused(
    server: FeedServer, fetcher: Fetcher, target: str
):
    server.redirect("/feed.xml", target)

    message = await fetch_error(lambda: fetcher.fetch(server.url("/feed.xml")))

    assert message.startswith("redirected to a URL that isn't http or https")


# --- schemes and connection errors ------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/feed.xml",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "data:text/xml,<rss/>",
        "feed.xml",
    ],
)
async def test_only_http_and_https_are_fetched(fetcher: Fetcher, url: str):
    message = await fetch_error(lambda: fetcher.fetch(url))

    assert message == "only http and https URLs can be fetched"


async def test_a_closed_port_says_the_connection_was_refused(fetcher: Fetcher):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    message = await fetch_error(lambda: fetcher.fetch(f"http://127.0.0.1:{port}/feed.xml"))

    assert message == f"could not connect to 127.0.0.1:{port} (connection refused)"


async def test_an_unknown_host_cannot_be_resolved():
    async with Fetcher(resolver=FakeResolver({})) as fetcher:
        message = await fetch_error(lambda: fetcher.fetch("http://example.invalid/feed.xml"))

    assert message == "could not resolve host example.invalid"


async def test_a_non_canonical_ip_address_is_refused(fetcher: Fetcher):
    message = await fetch_error(lambda: fetcher.fetch("http://127.1/feed.xml"))

    assert message == "not a valid IP address: 127.1"


# --- ReadSlots: many feeds read at once, few worked on ---------------------------------------


async def finished(task: asyncio.Task, wait: float = 0.2) -> bool:
    done, _ = await asyncio.wait({task}, timeout=wait)
    return bool(done)


async def test_a_read_with_a_body_waits_for_a_working_slot(server: FeedServer, fetcher: Fetcher):
    server.route("/a.xml", FEED)
    server.route("/b.xml", FEED)
    slots = ReadSlots(reading=4, working=1)
    working, first_done = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with slots.turn():
            await fetcher.read_source(server.url("/a.xml"))
            working.set()
            await first_done.wait()  # parsing and storing, as long as the test says

    async def second() -> FetchResult:
        async with slots.turn():
            return await fetcher.read_source(server.url("/b.xml"))

    holder = asyncio.create_task(first())
    await working.wait()
    assert slots.busy == 1
    waiting = asyncio.create_task(second())
    assert not await finished(waiting)  # read, but its body waits for the working slot
    assert [r.path for r in server.requests] == ["/a.xml", "/b.xml"]
    first_done.set()
    assert (await waiting).body == FEED
    await holder
    assert slots.busy == 0


async def test_while_one_feed_is_worked_on_the_others_are_read(
    server: FeedServer, fetcher: Fetcher
):
    server.route("/a.xml", FEED)
    server.route("/b.xml", FEED, etag='"v1"')
    slots = ReadSlots(reading=1, working=1)
    first_done = asyncio.Event()

    async def first() -> None:
        async with slots.turn():
            await fetcher.read_source(server.url("/a.xml"))
            await first_done.wait()

    async def unchanged() -> FetchResult:
        async with slots.turn():  # the one reading slot, given back by the first feed
            return await fetcher.read_source(server.url("/b.xml"), etag='"v1"')

    holder = asyncio.create_task(first())
    result = await asyncio.wait_for(unchanged(), 5)  # a 304 needs no working slot
    assert result.status == 304 and slots.busy == 1
    first_done.set()
    await holder


async def test_later_reads_in_a_turn_are_part_of_its_work(server: FeedServer, fetcher: Fetcher):
    server.route("/feed.xml", FEED)
    server.route("/chapters.json", b'{"chapters": []}')
    slots = ReadSlots(reading=1, working=1)
    async with slots.turn():
        await fetcher.read_source(server.url("/feed.xml"))
        chapters = await asyncio.wait_for(  # never waits for the slot its turn holds
            asyncio.gather(
                fetcher.read_source("chapters.json", base=server.url("/feed.xml")),
                fetcher.read_source("chapters.json", base=server.url("/feed.xml")),
            ),
            5,
        )
        assert [c.status for c in chapters] == [200, 200] and slots.busy == 1
    assert slots.busy == 0


async def test_two_bodies_read_at_once_in_a_turn_take_one_working_slot(
    server: FeedServer, fetcher: Fetcher
):
    # A turn whose first reads run side by side (no read before them), both waiting for
    # the working slot another feed holds: once that is free, the turn works with it, and
    # neither read waits for a second slot (which, with one, its own turn holds: forever).
    server.route("/a.xml", FEED)
    server.route("/b.xml", FEED)
    slots = ReadSlots(reading=2, working=1)
    other_working, other_done = asyncio.Event(), asyncio.Event()

    async def other() -> None:
        async with slots.turn():
            await fetcher.read_source(server.url("/a.xml"))
            other_working.set()
            await other_done.wait()

    async def both() -> list[FetchResult]:
        async with slots.turn():
            found = await asyncio.gather(
                fetcher.read_source(server.url("/a.xml")),
                fetcher.read_source(server.url("/b.xml")),
            )
            assert slots.busy == 1
            return found

    holder = asyncio.create_task(other())
    await other_working.wait()
    reading = asyncio.create_task(both())
    assert not await finished(reading)  # both bodies wait for the working slot
    other_done.set()
    await holder
    results = await asyncio.wait_for(reading, 5)
    assert [r.body for r in results] == [FEED, FEED]
    assert slots.busy == 0
    # Every slot came back once: two turns read at once again, and one works at a time.
    assert not slots._reading.locked() and not slots._working.locked()


async def test_a_turn_that_fails_or_is_cancelled_gives_its_slot_back(
    server: FeedServer, fetcher: Fetcher
):
    server.route("/feed.xml", FEED)
    server.route("/gone.xml", "gone", status=404)
    slots = ReadSlots(reading=1, working=1)
    with pytest.raises(FetchError):
        async with slots.turn():
            await fetcher.read_source(server.url("/gone.xml"))
    with pytest.raises(ValueError):
        async with slots.turn():
            await fetcher.read_source(server.url("/feed.xml"))
            raise ValueError("a bug while storing")
    working, hold = asyncio.Event(), asyncio.Event()

    async def holding() -> None:
        async with slots.turn():
            await fetcher.read_source(server.url("/feed.xml"))
            working.set()
            await hold.wait()

    async def queued() -> None:
        async with slots.turn():
            await fetcher.read_source(server.url("/feed.xml"))

    holder = asyncio.create_task(holding())
    await working.wait()
    waiting = asyncio.create_task(queued())
    assert not await finished(waiting)
    waiting.cancel()  # cancelled while waiting for the working slot
    await asyncio.gather(waiting, return_exceptions=True)
    hold.set()
    await holder
    async with slots.turn():  # both slots free again
        result = await asyncio.wait_for(fetcher.read_source(server.url("/feed.xml")), 5)
    assert result.body == FEED and slots.busy == 0


async def test_reads_outside_a_turn_never_wait(server: FeedServer, fetcher: Fetcher):
    server.route("/feed.xml", FEED)
    slots = ReadSlots(reading=1, working=1)
    working, done = asyncio.Event(), asyncio.Event()

    async def holding() -> None:
        async with slots.turn():
            await fetcher.read_source(server.url("/feed.xml"))
            working.set()
            await done.wait()

    holder = asyncio.create_task(holding())
    await working.wait()
    # Every slot is taken; a read in no turn (the command line, `/feed add`'s check) goes on.
    result = await asyncio.wait_for(fetcher.read_source(server.url("/feed.xml")), 5)
    assert result.body == FEED
    done.set()
    await holder


async def test_a_fetcher_can_be_reused_after_close(server: FeedServer):
    server.route("/feed.xml", FEED)
    fetcher = Fetcher()

    first = await fetcher.fetch(server.url("/feed.xml"))
    await fetcher.close()
    second = await fetcher.fetch(server.url("/feed.xml"))
    await fetcher.close()
    await fetcher.close()

    assert first.body == second.body == FEED


# --- private addresses (SSRF) ------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # CGNAT
        "0.0.0.0",
        "224.0.0.1",  # multicast
        "240.0.0.1",  # reserved
        "255.255.255.255",
        "192.0.2.1",  # documentation
        "::1",
        "::",
        "fe80::1",
        "fe80::1%eth0",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2001:db8::1",  # documentation
        "not an address",
    ],
)
def test_non_public_addresses_are_refused(address: str):
    assert not is_public_address(address)


@pytest.mark.parametrize(
    "address",
    ["93.184.216.34", "8.8.8.8", "2606:2800:220:1::1", "::ffff:93.184.216.34", "64:ff9b::808:808"],
)
def test_public_addresses_are_allowed(address: str):
    assert is_public_address(address)


async def test_the_public_only_resolver_drops_private_answers():
    inner = FakeResolver({"mixed.example": [["10.0.0.1", "93.184.216.34", "::1"]]})

    answers = await PublicOnlyResolver(inner).resolve("mixed.example", 80)

    assert [answer["host"] for answer in answers] == ["93.184.216.34"]


async def test_the_public_only_resolver_raises_when_nothing_public_remains():
    inner = FakeResolver({"internal.example": [["10.0.0.1", "fd00::1"]]})

    with pytest.raises(OSError, match=r"private address \(internal.example is 10.0.0.1\)"):
        await PublicOnlyResolver(inner).resolve("internal.example", 80)


@pytest.mark.parametrize(
    ("host", "shown"),
    [("127.0.0.1", "127.0.0.1"), ("[::1]", "::1"), ("[::ffff:127.0.0.1]", "::ffff:7f00:1")],
)
async def test_a_literal_private_address_is_refused_without_a_request(
    server: FeedServer, host: str, shown: str
):
    server.route("/feed.xml", FEED)

    async with Fetcher(allow_private=False) as fetcher:
        message = await fetch_error(lambda: fetcher.fetch(f"http://{host}:{server.port}/feed.xml"))

    assert message == f"refusing to fetch a private address ({shown})"
    assert server.requests == []


async def test_localhost_is_refused_by_the_real_resolver(server: FeedServer):
    server.route("/feed.xml", FEED)

    async with Fetcher(allow_private=False) as fetcher:
        message = await fetch_error(
            lambda: fetcher.fetch(f"http://localhost:{server.port}/feed.xml")
        )

    assert message.startswith("refusing to fetch a private address (localhost is ")
    assert server.requests == []


async def test_allow_private_fetches_loopback(server: FeedServer):
    server.route("/feed.xml", FEED)

    async with Fetcher(allow_private=True) as fetcher:
        result = await fetcher.fetch(f"http://localhost:{server.port}/feed.xml")

    assert result.body == FEED


@pytest.mark.usefixtures("loopback_is_public")
async def test_a_redirect_to_a_private_name_is_refused_at_connection_time(server: FeedServer):
    server.redirect("/feed.xml", f"http://internal.example:{server.port}/secret")
    server.route("/secret", b"admin panel")
    resolver = FakeResolver({"feeds.example": [["127.0.0.1"]], "internal.example": [["10.0.0.5"]]})

    async with Fetcher(allow_private=False, resolver=resolver) as fetcher:
        message = await fetch_error(
            lambda: fetcher.fetch(f"http://feeds.example:{server.port}/feed.xml")
        )

    assert message == "refusing to fetch a private address (internal.example is 10.0.0.5)"
    assert [r.path for r in server.requests] == ["/feed.xml"]


@pytest.mark.usefixtures("loopback_is_public")
@pytest.mark.parametrize("target", ["127.0.0.2", "[::1]", "169.254.169.254"])
async def test_a_redirect_to_a_private_address_is_refused(server: FeedServer, target: str):
    server.redirect("/feed.xml", f"http://{target}:{server.port}/secret")

    async with Fetcher(allow_private=False) as fetcher:
        message = await fetch_error(lambda: fetcher.fetch(server.url("/feed.xml")))

    assert message == f"refusing to fetch a private address ({target.strip('[]')})"
    assert [r.path for r in server.requests] == ["/feed.xml"]


async def test_dns_rebinding_after_the_up_front_check_is_caught(server: FeedServer):
    server.route("/feed.xml", FEED)
    resolver = FakeResolver({"rebind.example": [["93.184.216.34"], ["127.0.0.1"]]})
    url = f"http://rebind.example:{server.port}/feed.xml"

    async with Fetcher(allow_private=False, resolver=resolver) as fetcher:
        await fetcher.check_public_url(url)  # first answer: public
        message = await fetch_error(lambda: fetcher.fetch(url))  # second: loopback

    assert message == "refusing to fetch a private address (rebind.example is 127.0.0.1)"
    assert resolver.lookups == ["rebind.example", "rebind.example"]
    assert server.requests == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://10.1.2.3/feed.xml", "refusing to fetch a private address (10.1.2.3)"),
        ("http://[fe80::1]/feed.xml", "refusing to fetch a private address (fe80::1)"),
        (
            "https://internal.example/feed.xml",
            "refusing to fetch a private address (internal.example is 192.168.1.1)",
        ),
        ("https://example.invalid/feed.xml", "could not resolve host example.invalid"),
        ("ftp://feeds.example/feed.xml", "only http and https URLs can be fetched"),
        ("https:///feed.xml", "invalid URL: no host name"),
    ],
)
async def test_check_public_url_explains_what_is_wrong(url: str, message: str):
    resolver = FakeResolver({"internal.example": [["192.168.1.1"]]})

    async with Fetcher(allow_private=False, resolver=resolver) as fetcher:
        assert await fetch_error(lambda: fetcher.check_public_url(url)) == message


async def test_check_public_url_accepts_a_public_host():
    resolver = FakeResolver({"feeds.example": [["10.0.0.1", "2606:2800:220:1::1"]]})

    async with Fetcher(allow_private=False, resolver=resolver) as fetcher:
        await fetcher.check_public_url("https://feeds.example/feed.xml")
        await fetcher.check_public_url("https://93.184.216.34/feed.xml")


async def test_check_public_url_allows_private_hosts_when_allowed():
    resolver = FakeResolver({"internal.example": [["192.168.1.1"]]})

    async with Fetcher(allow_private=True, resolver=resolver) as fetcher:
        await fetcher.check_public_url("http://internal.example/feed.xml")
        await fetcher.check_public_url("http://127.0.0.1/feed.xml")


# --- read_source -------------------------------------------------------------------------


@pytest.fixture
def feed_dir(tmp_path: Path) -> Path:
    (tmp_path / "show").mkdir()
    (tmp_path / "show" / "feed.xml").write_bytes(FEED)
    (tmp_path / "show" / "chapters").mkdir()
    (tmp_path / "show" / "chapters" / "99.json").write_bytes(b'{"chapters": []}')
    return (tmp_path / "show").resolve()  # read_source reports resolved paths


async def test_read_source_reads_a_local_path(fetcher: Fetcher, feed_dir: Path):
    result = await fetcher.read_source(str(feed_dir / "feed.xml"))

    assert (result.status, result.body) == (200, FEED)
    assert result.url == str(feed_dir / "feed.xml")
    assert result.content_type == "application/xml"
    assert result.etag and result.last_modified


async def test_read_source_reads_a_file_url(fetcher: Fetcher, feed_dir: Path):
    result = await fetcher.read_source((feed_dir / "feed.xml").as_uri())

    assert (result.url, result.body) == (str(feed_dir / "feed.xml"), FEED)


@pytest.mark.parametrize("make_base", [str, Path.as_uri])
async def test_a_relative_source_is_read_beside_a_local_base(
    fetcher: Fetcher, feed_dir: Path, make_base: Callable[[Path], str]
):
    base = make_base(feed_dir / "feed.xml")

    result = await fetcher.read_source("chapters/99.json", base=base)

    assert result.url == str(feed_dir / "chapters" / "99.json")
    assert (result.body, result.content_type) == (b'{"chapters": []}', "application/json")


async def test_a_file_url_is_read_from_a_local_feed(fetcher: Fetcher, feed_dir: Path):
    chapters = feed_dir / "chapters" / "99.json"

    result = await fetcher.read_source(chapters.as_uri(), base=str(feed_dir / "feed.xml"))

    assert result.body == b'{"chapters": []}'


async def test_a_missing_file_is_an_error(fetcher: Fetcher, feed_dir: Path):
    message = await fetch_error(lambda: fetcher.read_source(str(feed_dir / "nope.xml")))

    assert message == f"file not found: {feed_dir / 'nope.xml'}"


async def test_a_directory_is_not_read(fetcher: Fetcher, feed_dir: Path):
    message = await fetch_error(lambda: fetcher.read_source(str(feed_dir)))

    assert message == f"not a regular file: {feed_dir}"


async def test_a_local_file_over_the_cap_is_an_error(feed_dir: Path):
    async with Fetcher(max_bytes=10) as fetcher:
        message = await fetch_error(lambda: fetcher.read_source(str(feed_dir / "feed.xml")))

    assert message == "response larger than 10 bytes"


async def test_an_unchanged_local_file_gives_304(fetcher: Fetcher, feed_dir: Path):
    first = await fetcher.read_source(str(feed_dir / "feed.xml"))

    by_etag = await fetcher.read_source(str(feed_dir / "feed.xml"), etag=first.etag)
    by_date = await fetcher.read_source(
        str(feed_dir / "feed.xml"), last_modified=first.last_modified
    )

    assert (by_etag.status, by_etag.body) == (304, None)
    assert (by_date.status, by_date.body) == (304, None)


async def test_a_relative_source_in_a_web_feed_is_fetched_from_the_web(
    server: FeedServer, fetcher: Fetcher
):
    server.route("/show/chapters/99.json", b'{"chapters": []}', content_type="application/json")

    result = await fetcher.read_source("chapters/99.json", base=server.url("/show/feed.xml"))

    assert result.url == server.url("/show/chapters/99.json")
    assert result.body == b'{"chapters": []}'


async def test_an_absolute_url_is_fetched_whatever_the_base(
    server: FeedServer, fetcher: Fetcher, feed_dir: Path
):
    server.route("/feed.xml", FEED)

    result = await fetcher.read_source(server.url("/feed.xml"), base=str(feed_dir / "feed.xml"))

    assert result.body == FEED


async def test_a_file_url_in_a_web_feed_is_not_read(
    server: FeedServer, fetcher: Fetcher, feed_dir: Path
):
    message = await fetch_error(
        lambda: fetcher.read_source((feed_dir / "feed.xml").as_uri(), base=server.url("/feed.xml"))
    )

    assert message == "a file: URL in a web feed is not read from disk"


@pytest.mark.parametrize(
    "source", ["ftp://example.com/feed.xml", "javascript:alert(1)", "data:text/xml,<rss/>"]
)
async def test_read_source_refuses_other_schemes(fetcher: Fetcher, feed_dir: Path, source: str):
    message = await fetch_error(
        lambda: fetcher.read_source(source, base=str(feed_dir / "feed.xml"))
    )

    assert message.startswith("only http, https and file URLs can be read, not ")


async def test_read_source_refuses_a_file_url_on_another_host(fetcher: Fetcher):
    message = await fetch_error(lambda: fetcher.read_source("file://fileserver/feed.xml"))

    assert message == "can't read a file on another host (fileserver)"


# --- a local feed reads its own folder and nothing else ----------------------------------


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file beside the feed's folder, not in it: what a hostile feed would like to read."""
    path = tmp_path / "secret.txt"
    path.write_text("DISCORD_TOKEN=FAKE.TOKEN.s3cr3t\n", encoding="utf-8")
    return path.resolve()


def outside_message(source: str, folder: Path) -> str:
    return f"{source} is outside the feed's folder {folder}; not read"


@pytest.mark.parametrize(
    "source",
    [
        "../secret.txt",
        "chapters/../../secret.txt",
        "{secret}",  # an absolute path
        "{secret_uri}",  # a file: URL
        "file:../secret.txt",
    ],
)
@pytest.mark.parametrize("make_base", [str, Path.as_uri], ids=["path-base", "file-url-base"])
async def test_a_local_feed_cannot_name_a_file_outside_its_folder(
    fetcher: Fetcher,
    feed_dir: Path,
    secret: Path,
    source: str,
    make_base: Callable[[Path], str],
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.chdir(feed_dir)  # so that a relative file: URL lands beside the secret too
    source = source.format(secret=secret, secret_uri=secret.as_uri())
    base = make_base(feed_dir / "feed.xml")

    message = await fetch_error(lambda: fetcher.read_source(source, base=base))

    assert message == outside_message(source, feed_dir)


async def test_proc_self_environ_is_refused_to_a_local_feed(fetcher: Fetcher, feed_dir: Path):
    message = await fetch_error(
        lambda: fetcher.read_source("/proc/self/environ", base=str(feed_dir / "feed.xml"))
    )

    assert message == outside_message("/proc/self/environ", feed_dir)


async def test_a_file_outside_the_folder_is_refused_before_anything_is_learnt_of_it(
    fetcher: Fetcher, feed_dir: Path
):
    # "file not found" here would tell a feed's author which paths exist on the bot's disk.
    message = await fetch_error(
        lambda: fetcher.read_source("../no/such/file.txt", base=str(feed_dir / "feed.xml"))
    )

    assert message == outside_message("../no/such/file.txt", feed_dir)


async def test_a_symlink_in_the_folder_to_a_file_outside_is_refused(
    fetcher: Fetcher, feed_dir: Path, secret: Path
):
    (feed_dir / "notes.txt").symlink_to(secret)

    message = await fetch_error(
        lambda: fetcher.read_source("notes.txt", base=str(feed_dir / "feed.xml"))
    )

    assert message == outside_message("notes.txt", feed_dir)


async def test_a_symlinked_folder_leading_outside_is_refused(
    fetcher: Fetcher, feed_dir: Path, secret: Path
):
    (feed_dir / "more").symlink_to(secret.parent, target_is_directory=True)

    message = await fetch_error(
        lambda: fetcher.read_source("more/secret.txt", base=str(feed_dir / "feed.xml"))
    )

    assert message == outside_message("more/secret.txt", feed_dir)


async def test_a_symlink_in_the_folder_to_a_file_in_the_folder_is_read(
    fetcher: Fetcher, feed_dir: Path
):
    (feed_dir / "latest.json").symlink_to(feed_dir / "chapters" / "99.json")

    result = await fetcher.read_source("latest.json", base=str(feed_dir / "feed.xml"))

    assert result.body == b'{"chapters": []}'
    assert result.url == str(feed_dir / "chapters" / "99.json")


@pytest.mark.parametrize(
    "source",
    ["chapters/99.json", "./chapters/99.json", "chapters/../chapters/99.json", "{absolute}"],
)
async def test_a_path_that_stays_in_the_folder_is_read(
    fetcher: Fetcher, feed_dir: Path, source: str
):
    source = source.format(absolute=feed_dir / "chapters" / "99.json")

    result = await fetcher.read_source(source, base=str(feed_dir / "feed.xml"))

    assert result.body == b'{"chapters": []}'


async def test_a_feed_reached_through_a_symlinked_folder_reads_beside_it(
    fetcher: Fetcher, feed_dir: Path, tmp_path: Path
):
    (tmp_path / "alias").symlink_to(feed_dir, target_is_directory=True)

    result = await fetcher.read_source("chapters/99.json", base=str(tmp_path / "alias/feed.xml"))

    assert result.body == b'{"chapters": []}'


async def test_a_source_given_directly_is_read_wherever_it_is(fetcher: Fetcher, secret: Path):
    # The command line names files itself: no feed folder to stay in.
    result = await fetcher.read_source(str(secret))

    assert result.body == b"DISCORD_TOKEN=FAKE.TOKEN.s3cr3t\n"


# --- a bad host name is a FetchError, never a UnicodeError -------------------------------

LONG_LABEL_HOST = "a" * 64 + ".example"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (f"http://{LONG_LABEL_HOST}/feed.xml", "a label is longer than 63 characters"),
        ("https://" + "é" * 60 + ".example/feed.xml", "a label is longer than 63 characters"),
        ("http://\u2488.example/feed.xml", "an empty label"),  # ⒈ is IDNA "1."
        ("http://xn--a.example/feed.xml", "not a valid internationalised domain name"),
        ("http://" + "abcdefgh." * 30 + "example/feed.xml", "longer than 253 characters"),
    ],
    ids=["long-label", "long-unicode-label", "empty-label", "bad-punycode", "long-name"],
)
@pytest.mark.parametrize("call", ["fetch", "check_public_url", "read_source"])
async def test_a_bad_host_name_is_one_clear_fetch_error(url: str, reason: str, call: str):
    resolver = FakeResolver({})

    async with Fetcher(allow_private=False, resolver=resolver) as fetcher:
        message = await fetch_error(lambda: getattr(fetcher, call)(url))

    assert message.startswith("invalid host name in URL: ")
    assert message.endswith(f" ({reason})")
    assert resolver.lookups == []


async def test_a_bad_host_name_fails_before_the_real_resolver_is_asked(fetcher: Fetcher):
    # The system resolver's IDNA encoding is where the UnicodeError came from.
    message = await fetch_error(lambda: fetcher.fetch(f"http://{LONG_LABEL_HOST}/feed.xml"))

    assert message.startswith("invalid host name in URL: aaaa")


async def test_a_long_host_name_is_shortened_in_the_message(fetcher: Fetcher):
    message = await fetch_error(lambda: fetcher.fetch(f"http://{'a' * 500}.example/feed.xml"))

    assert len(message) < 150


async def test_a_redirect_to_a_bad_host_name_is_an_error(server: FeedServer, fetcher: Fetcher):
    server.redirect("/feed.xml", f"http://{LONG_LABEL_HOST}/feed.xml")

    message = await fetch_error(lambda: fetcher.fetch(server.url("/feed.xml")))

    assert message.startswith("redirected to a URL with an invalid host name: ")


@pytest.mark.parametrize("source", ["http://[oops/feed.xml", "http://a]b/feed.xml"])
async def test_a_url_that_cannot_be_split_is_an_invalid_url(
    fetcher: Fetcher, feed_dir: Path, server: FeedServer, source: str
):
    for base in (None, str(feed_dir / "feed.xml"), server.url("/feed.xml")):
        message = await fetch_error(lambda: fetcher.read_source(source, base=base))  # noqa: B023

        assert message.startswith("invalid URL")
