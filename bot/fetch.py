"""Fetching feeds, chapter files and transcripts — over HTTP or from disk — within limits.

Almost every URL the bot reads was chosen by someone else: a feed an admin pasted into
`/feed add`, a chapters link inside that feed, a redirect picked by the feed's host. So every
read is bounded, and every failure becomes a `FetchError` whose text is one line a user can
act on ("HTTP 404 Not Found", "timed out after 30 s"), never an exception's repr.

Limits (all set on `Fetcher`, defaults in brackets):

- **Time** [30 s total, 10 s per TCP connect]: one deadline covers the whole fetch, redirects
  and body included, so a tarpit that drips a byte a second can't hold the poller; the shorter
  connect timeout fails fast on hosts that are down.
- **Size** [50 MB of decoded body]: the biggest real feeds are a few MB. A Content-Length above
  the cap is refused before reading; otherwise the *decoded* body is counted as it streams and
  reading stops at the first chunk over the cap, so a gzip bomb inflates no further than that.
- **Redirects** [5]: followed by hand, one hop at a time, each hop checked like the first
  (scheme and address), so a loop or a redirect to an internal host ends in an error.
- **Schemes**: `fetch` reads http and https only. `read_source` also reads local files, but
  only for sources given on the command line or referenced from a *local* feed; a `file:` URL
  inside a web feed is refused, or anyone publishing a feed could read the bot's disk.
- **Addresses** [`allow_private=True`; the bot passes `ALLOW_PRIVATE_FEED_URLS`]: with
  `allow_private=False` the fetcher refuses loopback, private, link-local, CGNAT, multicast,
  reserved and unspecified addresses (IPv4 and IPv6, including IPv4 embedded in IPv6), so a
  feed URL can't be used to probe the bot's own network (SSRF). The check happens where the
  connection is made: `PublicOnlyResolver` sits inside aiohttp's connector and removes
  non-public answers from every DNS lookup, so the address that was checked is the address
  connected to — a redirect to an internal name or a DNS answer that changes between
  `check_public_url` and the fetch (rebinding) is caught too. aiohttp skips the resolver for
  literal IP hosts, so those are checked before every hop. Proxies from the environment are
  ignored (`trust_env=False`), since a proxy would resolve names where we can't see them.
"""

from __future__ import annotations

import asyncio
import email.utils
import http
import ipaddress
import logging
import mimetypes
import os
import socket
import stat
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_USER_AGENT",
    "FetchError",
    "FetchResult",
    "Fetcher",
    "PublicOnlyResolver",
    "is_public_address",
]

DEFAULT_USER_AGENT = "episode-bot/0.1"

_MB = 1024 * 1024
_CHUNK_SIZE = 64 * 1024
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_WEB_SCHEMES = frozenset({"http", "https"})
# NAT64 gateways turn 64:ff9b::a.b.c.d into a.b.c.d on their side of the network.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchError(Exception):
    """A fetch or read failed. `str(err)` is a one-line reason fit to show a user."""


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What a fetch or read produced.

    `status` is the final HTTP status (a 2xx, normally 200; 304 when the validators matched,
    with `body` None); local reads report 200 or 304 the same way. `url` is the URL after
    redirects, or the absolute path of a local file. `content_type` is the Content-Type
    header as sent (charset included), or a guess from a local file's extension.
    """

    url: str
    status: int
    body: bytes | None
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


# --- addresses ---------------------------------------------------------------------------


def is_public_address(address: str | IPAddress) -> bool:
    """Whether `address` is a globally routable unicast address, safe to fetch from.

    False for loopback, private (RFC 1918, fc00::/7), link-local, CGNAT (100.64.0.0/10),
    multicast, reserved, unspecified and documentation ranges, and for anything that isn't
    an IP address at all. IPv4 addresses embedded in IPv6 (mapped, NAT64, 6to4, Teredo) are
    judged by the IPv4 address they carry.
    """
    try:
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public_address(ip.ipv4_mapped)
        if ip in _NAT64:
            return is_public_address(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.sixtofour is not None and not is_public_address(ip.sixtofour):
            return False
        if ip.teredo is not None and not is_public_address(ip.teredo[1]):
            return False
    # `is_global` alone misses multicast on Python 3.11, hence the explicit list.
    return ip.is_global and not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


class _BlockedAddressError(OSError):
    """Raised inside aiohttp's connector when a host resolves only to non-public addresses.

    An OSError so that aiohttp wraps it like any other resolution failure
    (`ClientConnectorDNSError`) and the DNS cache never stores it.
    """

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"refusing to fetch a private address ({host} is {address})")
        self.host = host
        self.address = address


class PublicOnlyResolver(AbstractResolver):
    """A resolver that drops non-public addresses from another resolver's answers.

    Plugged into aiohttp's `TCPConnector`, it runs for every new connection to a host name,
    redirects included, and the connector connects only to the addresses it returns. Raises
    when no public address remains. Closing it closes the wrapped resolver.
    """

    def __init__(self, inner: AbstractResolver) -> None:
        self._inner = inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = await self._inner.resolve(host, port, family)
        public = [answer for answer in answers if is_public_address(answer["host"])]
        if not public:
            if not answers:
                raise socket.gaierror(socket.EAI_NONAME, f"no addresses for {host}")
            raise _BlockedAddressError(host, answers[0]["host"])
        if len(public) < len(answers):
            log.info("ignoring non-public addresses of %s", host)
        return public

    async def close(self) -> None:
        await self._inner.close()


class _BorrowedResolver(AbstractResolver):
    """Delegates to a resolver the caller owns, without closing it."""

    def __init__(self, inner: AbstractResolver) -> None:
        self._inner = inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return await self._inner.resolve(host, port, family)

    async def close(self) -> None:
        pass


# --- messages ----------------------------------------------------------------------------


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _size(limit: int) -> str:
    if limit >= _MB and limit % _MB == 0:
        return f"{limit // _MB} MB"
    if limit >= 1024 and limit % 1024 == 0:
        return f"{limit // 1024} KB"
    return f"{limit} bytes"


def _too_large(limit: int) -> FetchError:
    return FetchError(f"response larger than {_size(limit)}")


def _status_error(status: int) -> FetchError:
    # The standard phrase, not the server's reason text: that could be anything.
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        return FetchError(f"HTTP {status}")
    return FetchError(f"HTTP {status} {phrase}")


def _host_label(url: URL) -> str:
    host = url.host or "?"
    return f"[{host}]" if ":" in host else host


def _describe(exc: BaseException, url: URL, connect_timeout: float) -> str:
    """A one-line reason for an aiohttp or socket error, without the exception's repr."""
    host = _host_label(url)
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        if isinstance(exc.os_error, _BlockedAddressError):
            return str(exc.os_error)
        return f"could not resolve host {host}"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        reason = getattr(exc.certificate_error, "verify_message", None)
        return f"TLS certificate for {host} is not valid" + (f" ({reason})" if reason else "")
    if isinstance(exc, aiohttp.ClientSSLError):
        return f"TLS handshake with {host} failed"
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return f"could not connect to {host} within {_seconds(connect_timeout)}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        code = exc.os_error.errno
        reason = f" ({os.strerror(code).lower()})" if code else ""
        return f"could not connect to {host}:{exc.port}{reason}"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return f"{host} closed the connection unexpectedly"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return f"the response from {host} was cut short or badly encoded"
    if isinstance(exc, aiohttp.InvalidURL):
        return "invalid URL"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"{host} sent an invalid HTTP response"
    if isinstance(exc, OSError) and exc.errno:
        return f"network error talking to {host} ({os.strerror(exc.errno).lower()})"
    return f"network error talking to {host}"


# --- URLs --------------------------------------------------------------------------------


def _scheme(source: str) -> str:
    scheme = urlsplit(source).scheme.lower()
    # A one-letter "scheme" is a Windows drive letter (C:\feeds\show.xml), i.e. a path.
    return "" if len(scheme) == 1 else scheme


def _web_url(raw: str | URL, *, redirect: bool = False) -> URL:
    """Parse an http(s) URL, raising FetchError for anything else."""
    try:
        url = raw if isinstance(raw, URL) else URL(raw.strip())
        host = url.raw_host
    except (ValueError, TypeError):
        reason = "the server sent an invalid redirect" if redirect else "invalid URL"
        raise FetchError(reason) from None
    if url.scheme not in _WEB_SCHEMES:
        if redirect:
            raise FetchError(f"redirected to a URL that isn't http or https ({url.scheme}:)")
        raise FetchError("only http and https URLs can be fetched")
    if not host:
        raise FetchError("invalid URL: no host name")
    return url.with_fragment(None)


def _looks_like_ip(host: str) -> bool:
    # The test aiohttp uses to skip the resolver (aiohttp.helpers.is_ip_address): anything
    # that passes it must be checked here, as no resolver will see it.
    return ":" in host or host.replace(".", "").isdigit()


def _file_url_path(url: str) -> Path:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise FetchError(f"can't read a file on another host ({parts.netloc})")
    return Path(url2pathname(parts.path))


# --- local files -------------------------------------------------------------------------


def _http_date_seconds(value: str) -> float | None:
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def _read_local(path: Path, etag: str | None, last_modified: str | None, limit: int) -> FetchResult:
    """Read a local file like a GET: validators, 304, the size cap. Runs in a thread."""
    try:
        resolved = path.expanduser().resolve()
    except (OSError, RuntimeError):  # a symlink loop
        resolved = path.absolute()
    try:
        # stat before open: opening a FIFO or a device could block or never end.
        info = resolved.stat()
        if not stat.S_ISREG(info.st_mode):
            raise FetchError(f"not a regular file: {resolved}")
        our_etag = f'"{info.st_mtime_ns:x}-{info.st_size:x}"'
        our_last_modified = email.utils.formatdate(info.st_mtime, usegmt=True)
        if etag is not None:
            unchanged = etag == our_etag
        else:
            since = _http_date_seconds(last_modified) if last_modified else None
            unchanged = since is not None and int(info.st_mtime) <= since
        if unchanged:
            return FetchResult(str(resolved), 304, None, our_etag, our_last_modified)
        if info.st_size > limit:
            raise _too_large(limit)
        with resolved.open("rb") as file:
            body = file.read(limit + 1)  # the file may have grown since stat
    except FileNotFoundError:
        raise FetchError(f"file not found: {resolved}") from None
    except (IsADirectoryError, NotADirectoryError):
        raise FetchError(f"not a regular file: {resolved}") from None
    except PermissionError:
        raise FetchError(f"permission denied: {resolved}") from None
    except OSError as exc:
        reason = os.strerror(exc.errno).lower() if exc.errno else "read error"
        raise FetchError(f"could not read {resolved} ({reason})") from None
    if len(body) > limit:
        raise _too_large(limit)
    content_type = mimetypes.guess_type(resolved.name)[0]
    return FetchResult(str(resolved), 200, body, our_etag, our_last_modified, content_type)


# --- the fetcher -------------------------------------------------------------------------


class Fetcher:
    """Fetches http(s) URLs and reads local sources within the limits above.

    Owns one `aiohttp.ClientSession`, created on first use (inside the running loop) and
    closed by `close()` or by leaving `async with`. Safe to share between tasks.

    `resolver` replaces aiohttp's default DNS resolver (tests inject a fake); the fetcher
    never closes a resolver it was given.
    """

    def __init__(
        self,
        *,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        max_bytes: int = 50 * _MB,
        max_redirects: int = 5,
        allow_private: bool = True,
        user_agent: str = DEFAULT_USER_AGENT,
        max_connections: int = 20,
        resolver: AbstractResolver | None = None,
    ) -> None:
        if timeout <= 0 or connect_timeout <= 0:
            raise ValueError("timeouts must be positive")
        if max_bytes < 0 or max_redirects < 0 or max_connections < 1:
            raise ValueError("max_bytes and max_redirects must be >= 0, max_connections >= 1")
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.allow_private = allow_private
        self.user_agent = user_agent
        self.max_connections = max_connections
        self._given_resolver = resolver
        self._resolver: AbstractResolver | None = None
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session and the resolver. The fetcher may be used again afterwards."""
        session, self._session = self._session, None
        resolver, self._resolver = self._resolver, None
        if session is not None:
            await session.close()
        if resolver is not None:
            await resolver.close()

    def _get_resolver(self) -> AbstractResolver:
        if self._resolver is None:
            given = self._given_resolver
            inner = DefaultResolver() if given is None else _BorrowedResolver(given)
            self._resolver = inner if self.allow_private else PublicOnlyResolver(inner)
        return self._resolver

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self.max_connections, resolver=self._get_resolver()
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                # The overall deadline is an asyncio.timeout around each fetch (it spans
                # redirects); aiohttp only enforces the per-connect one.
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=self.connect_timeout),
                headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"},
                cookie_jar=aiohttp.DummyCookieJar(),  # one feed's cookies aren't another's
                trust_env=False,
                auto_decompress=True,
            )
        return self._session

    def _check_literal_host(self, url: URL) -> None:
        """Check a URL whose host is an IP address, which aiohttp won't pass to the resolver."""
        host = url.raw_host or ""
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            if _looks_like_ip(host):
                # 127.1, 2130706433 and friends: the OS would map them onto an address.
                raise FetchError(f"not a valid IP address: {host}") from None
            return  # a host name: PublicOnlyResolver checks it at connect time
        if not self.allow_private and not is_public_address(address):
            raise FetchError(f"refusing to fetch a private address ({host})")

    async def check_public_url(self, url: str) -> None:
        """Raise FetchError unless this fetcher may fetch `url`, without fetching it.

        Checks the scheme and that the host resolves; with `allow_private=False`, also that
        it resolves to at least one public address. For a clear message up front (`/feed
        add`): `fetch` repeats the address check at connection time on every hop, so passing
        here is not what makes a later fetch safe.
        """
        parsed = _web_url(url)
        self._check_literal_host(parsed)
        host = parsed.raw_host or ""
        if _looks_like_ip(host):
            return
        try:
            await self._get_resolver().resolve(host, parsed.port or 0, family=socket.AF_UNSPEC)
        except _BlockedAddressError as exc:
            raise FetchError(str(exc)) from None
        except OSError:
            raise FetchError(f"could not resolve host {_host_label(parsed)}") from None

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        max_bytes: int | None = None,
    ) -> FetchResult:
        """GET an http(s) URL, following redirects, within the fetcher's limits.

        With `etag` / `last_modified` (from an earlier result) the request is conditional and
        an unchanged resource gives a 304 result with `body` None. `max_bytes` overrides the
        size cap for this call. Raises FetchError for anything but a 2xx or that 304.
        """
        limit = self.max_bytes if max_bytes is None else max_bytes
        try:
            async with asyncio.timeout(self.timeout):
                return await self._fetch(_web_url(url), etag, last_modified, limit)
        except TimeoutError:
            raise FetchError(f"timed out after {_seconds(self.timeout)}") from None

    async def _fetch(
        self, url: URL, etag: str | None, last_modified: str | None, limit: int
    ) -> FetchResult:
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        session = self._get_session()
        for _hop in range(self.max_redirects + 1):
            self._check_literal_host(url)
            try:
                async with session.get(url, headers=headers, allow_redirects=False) as response:
                    location = response.headers.get("Location")
                    if response.status in _REDIRECT_STATUSES and location:
                        url = _web_url(_join(url, location), redirect=True)
                        log.debug("redirected to %s", url)
                        continue
                    return await self._result(url, response, headers, limit)
            except (aiohttp.ClientError, OSError) as exc:
                if isinstance(exc, TimeoutError) and not isinstance(exc, aiohttp.ClientError):
                    raise  # the overall deadline, reported by fetch()
                log.debug("fetching %s failed", url, exc_info=True)
                raise FetchError(_describe(exc, url, self.connect_timeout)) from exc
        raise FetchError(f"too many redirects (more than {self.max_redirects})")

    async def _result(
        self,
        url: URL,
        response: aiohttp.ClientResponse,
        sent: dict[str, str],
        limit: int,
    ) -> FetchResult:
        content_type = response.headers.get("Content-Type")
        if response.status == 304 and sent:
            return FetchResult(
                url=str(url),
                status=304,
                body=None,
                # A 304 may omit the validators; the ones we sent still hold.
                etag=response.headers.get("ETag") or sent.get("If-None-Match"),
                last_modified=response.headers.get("Last-Modified")
                or sent.get("If-Modified-Since"),
                content_type=content_type,
            )
        if not 200 <= response.status < 300:
            raise _status_error(response.status)
        # With Content-Encoding the length is of the compressed bytes, which may exceed the
        # decoded size slightly; the streaming count below decides those.
        encoding = response.headers.get("Content-Encoding", "").strip().lower()
        length = response.content_length
        if encoding in ("", "identity") and length is not None and length > limit:
            raise _too_large(limit)
        body = bytearray()
        async for chunk in response.content.iter_chunked(_CHUNK_SIZE):
            body += chunk
            if len(body) > limit:
                raise _too_large(limit)
        return FetchResult(
            url=str(url),
            status=response.status,
            body=bytes(body),
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
            content_type=content_type,
        )

    async def read_source(
        self,
        source: str,
        *,
        base: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        max_bytes: int | None = None,
    ) -> FetchResult:
        """Read a feed, chapters file or transcript named by a URL or a local path.

        `source` may be an http(s) URL (fetched), a `file:` URL or a path (read from disk).
        `base` is where `source` was found (the feed's URL or path): a relative `source` is
        resolved against it — joined to a web base and fetched, or taken relative to a local
        base's directory and read. A `file:` URL found in a web feed is refused. Local reads
        honour the same size cap and validators (mtime and size) as fetches.
        """
        limit = self.max_bytes if max_bytes is None else max_bytes
        source = source.strip()
        if not source:
            raise FetchError("no URL or path given")
        scheme = _scheme(source)
        base_scheme = _scheme(base) if base else ""
        base_is_web = base_scheme in _WEB_SCHEMES

        if scheme in _WEB_SCHEMES:
            return await self.fetch(
                source, etag=etag, last_modified=last_modified, max_bytes=max_bytes
            )
        if scheme == "file":
            if base_is_web:
                raise FetchError("a file: URL in a web feed is not read from disk")
            path = _file_url_path(source)
        elif scheme:
            raise FetchError(f"only http, https and file URLs can be read, not {scheme}:")
        elif base is None:
            path = Path(source)
        elif base_is_web:
            return await self.fetch(
                urljoin(base, source), etag=etag, last_modified=last_modified, max_bytes=max_bytes
            )
        elif base_scheme == "file":
            path = _file_url_path(urljoin(base, source))
        elif base_scheme:
            raise FetchError(f"can't resolve {source} against a {base_scheme}: URL")
        else:
            path = Path(base).parent / source  # ~ is expanded in the thread
        return await asyncio.to_thread(_read_local, path, etag, last_modified, limit)


def _join(url: URL, location: str) -> URL:
    try:
        return url.join(URL(location))
    except (ValueError, TypeError):
        raise FetchError("the server sent an invalid redirect") from None
