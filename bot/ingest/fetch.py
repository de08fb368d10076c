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
- **Local files** [the feed's folder]: a file named by a local feed (relative path, absolute
  path or `file:` URL) is read only if it lies in the feed's own folder or below once both are
  resolved, symlinks included, or a feed could index `/proc/self/environ` (the bot's token) or
  any file the bot can read. The check runs right before the file is opened, and below the
  folder the file is opened one directory at a time without following symlinks, so a path
  swapped for a symlink after the check is not followed either. Sources given on the command
  line are read wherever they are.
- **Host names**: a host that can't be looked up (a label over 63 characters, an empty label,
  a name over 253, a Unicode name IDNA refuses) is a `FetchError` before any connection is
  tried: left to the resolver, such names raise `UnicodeError`.
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
import contextlib
import contextvars
import email.utils
import http
import io
import ipaddress
import logging
import mimetypes
import os
import socket
import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
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
    "OutsideFeedFolderError",
    "PublicOnlyResolver",
    "ReadSlots",
    "is_public_address",
]

DEFAULT_USER_AGENT = "episode-bot/0.1"

_MB = 1024 * 1024
_CHUNK_SIZE = 64 * 1024
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_WEB_SCHEMES = frozenset({"http", "https"})
_MAX_LABEL = 63  # characters in one label of a host name (RFC 1035), once IDNA-encoded
_MAX_HOST_NAME = 253  # characters in a whole host name, without the root's trailing dot
# NAT64 gateways turn 64:ff9b::a.b.c.d into a.b.c.d on their side of the network.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchError(Exception):
    """A fetch or read failed. `str(err)` is a one-line reason fit to show a user."""


class OutsideFeedFolderError(FetchError):
    """A local feed named a file outside its own folder; nothing was read (or looked at).

    `source` is the link as the feed wrote it, `folder` the feed's resolved folder.
    """

    def __init__(self, source: str, folder: Path) -> None:
        super().__init__(f"{_shorten(source, 200)} is outside the feed's folder {folder}; not read")
        self.source = source
        self.folder = folder


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


def _shorten(text: str, limit: int = 80) -> str:
    """`text` on one line and at most `limit` characters: a feed chooses what its links say."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = (limit - 1) * 2 // 3
    return text[:head] + "…" + text[head - limit + 1 :]


def _host_label(url: URL) -> str:
    try:
        host = url.host or "?"
    except UnicodeError:  # not valid IDNA; _web_url refuses those, this is for safety
        host = url.raw_host or "?"
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
    """Parse an http(s) URL, raising FetchError for anything else, a bad host name included."""
    try:
        url = raw if isinstance(raw, URL) else URL(raw.strip())
        host = url.raw_host
    except UnicodeError:  # yarl's IDNA encoding of a Unicode host name failed
        raise _bad_host(_split_host(raw), redirect=redirect) from None
    except (ValueError, TypeError):
        reason = "the server sent an invalid redirect" if redirect else "invalid URL"
        raise FetchError(reason) from None
    if url.scheme not in _WEB_SCHEMES:
        if redirect:
            raise FetchError(f"redirected to a URL that isn't http or https ({url.scheme}:)")
        raise FetchError("only http and https URLs can be fetched")
    if not host:
        raise FetchError("invalid URL: no host name")
    if not _looks_like_ip(host):  # IP literals are checked by _check_literal_host
        try:
            problem = _host_name_problem(host)
            if problem is None:
                # What the system resolver (the stdlib codec) and our messages (yarl) do
                # with the name later: a UnicodeError from either is a bad name.
                host.encode("idna")
                url.host  # noqa: B018
        except UnicodeError:
            problem = "not a valid internationalised domain name"
        if problem is not None:
            raise _bad_host(host, problem, redirect=redirect)
    return url.with_fragment(None)


def _split_host(raw: str | URL) -> str:
    """The host of a URL yarl could not parse, as written, or "" when urllib can't tell."""
    try:
        return urlsplit(str(raw).strip()).hostname or ""
    except ValueError:
        return ""


def _host_name_problem(host: str) -> str | None:
    """Why DNS can't look `host` up: length limits (RFC 1035) on its ASCII form, or None."""
    name = host[:-1] if host.endswith(".") else host  # the root's dot is allowed
    labels = name.split(".")
    ascii_labels = [
        label if label.isascii() else "xn--" + label.encode("punycode", "replace").decode()
        for label in labels
    ]
    if sum(map(len, ascii_labels)) + len(labels) - 1 > _MAX_HOST_NAME:
        return f"longer than {_MAX_HOST_NAME} characters"
    if not all(labels):
        return "an empty label"
    if any(len(label) > _MAX_LABEL for label in ascii_labels):
        return f"a label is longer than {_MAX_LABEL} characters"
    return None


def _bad_host(host: str, problem: str | None = None, *, redirect: bool = False) -> FetchError:
    if problem is None:
        problem = (host and _host_name_problem(host)) or "not a valid internationalised domain name"
    shown = _shorten(host) or "?"
    if redirect:
        return FetchError(f"redirected to a URL with an invalid host name: {shown} ({problem})")
    return FetchError(f"invalid host name in URL: {shown} ({problem})")


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


# Open flags for a local read. O_NONBLOCK: a FIFO put in place after the stat can't block
# the open; O_NOFOLLOW: a symlink put in place after the check is not followed.
_O_READ = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
# Opening below a folder one directory at a time needs openat() and O_NOFOLLOW (POSIX).
_CAN_OPEN_BELOW = bool(_O_NOFOLLOW and _O_DIRECTORY) and os.open in os.supports_dir_fd


def _resolve(path: Path) -> Path | None:
    """`path` absolute, with ~ expanded and symlinks and `..` resolved; None for a loop."""
    try:
        return path.expanduser().resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return None


def _open_below(folder: Path, path: Path) -> int:
    """Open `path`, a resolved path under the resolved `folder`, following no symlink below
    `folder`: what was checked is what is opened, even if a directory is swapped meanwhile."""
    parts = path.relative_to(folder).parts
    if not parts:
        raise IsADirectoryError(path)
    fd = os.open(folder, os.O_RDONLY | _O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    try:
        for part in parts[:-1]:
            inner = os.open(part, os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = inner
        return os.open(parts[-1], _O_READ | _O_NONBLOCK | _O_NOFOLLOW, dir_fd=fd)
    finally:
        os.close(fd)


def _read_local(
    path: Path,
    etag: str | None,
    last_modified: str | None,
    limit: int,
    *,
    folder: Path | None = None,
    source: str = "",
) -> FetchResult:
    """Read a local file like a GET: validators, 304, the size cap. Runs in a thread.

    With `folder` (a local feed's folder), a file that is not in it or below once both are
    resolved raises OutsideFeedFolderError, before anything else is done with it.
    """
    resolved = _resolve(path)
    root = _resolve(folder) if folder is not None else None
    if folder is not None and (
        root is None or resolved is None or not resolved.is_relative_to(root)
    ):
        raise OutsideFeedFolderError(source or str(path), root or folder.absolute())
    if resolved is None:
        resolved = path.absolute()
    try:
        # stat before open: opening a device could block, never end or have side effects.
        if not stat.S_ISREG(resolved.stat().st_mode):
            raise FetchError(f"not a regular file: {resolved}")
        if root is not None and _CAN_OPEN_BELOW:
            fd = _open_below(root, resolved)
        else:
            fd = os.open(resolved, _O_READ | _O_NONBLOCK | _O_NOFOLLOW)
        with os.fdopen(fd, "rb") as file:
            # What was opened decides from here on: it may not be what was stat'ed.
            info = os.fstat(file.fileno())
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
            body = file.read(limit + 1)  # the file may have grown since fstat
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
        except UnicodeError:  # as in _fetch: a name _web_url let through but IDNA refuses
            raise _bad_host(host) from None
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
            except UnicodeError:
                # _web_url refuses the names IDNA can't encode; should aiohttp's encoding
                # still disagree, this stays a FetchError rather than a traceback.
                log.debug("fetching %s failed", url, exc_info=True)
                raise _bad_host(url.raw_host or "") from None
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
        # A BytesIO hands its buffer over as the result's bytes (`getvalue` does not copy
        # while nothing else views it); a bytearray would be copied, holding a 50 MB body
        # twice for a moment.
        body = io.BytesIO()
        async for chunk in response.content.iter_chunked(_CHUNK_SIZE):
            body.write(chunk)
            if body.tell() > limit:
                raise _too_large(limit)
        return FetchResult(
            url=str(url),
            status=response.status,
            body=body.getvalue(),
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
        base's directory and read. A `file:` URL found in a web feed is refused, and so is
        a file outside a local base's folder (`OutsideFeedFolderError`); with no base (the
        command line) any file is read. Local reads honour the same size cap and validators
        (mtime and size) as fetches.

        Inside a `ReadSlots.turn()`, the turn's first read that brings a body waits here for
        one of the few working slots before it returns (see `ReadSlots`).
        """
        result = await self._read_source(
            source, base=base, etag=etag, last_modified=last_modified, max_bytes=max_bytes
        )
        if result.body is not None:
            await _body_arrived()
        return result

    async def _read_source(
        self,
        source: str,
        *,
        base: str | None,
        etag: str | None,
        last_modified: str | None,
        max_bytes: int | None,
    ) -> FetchResult:
        limit = self.max_bytes if max_bytes is None else max_bytes
        source = source.strip()
        if not source:
            raise FetchError("no URL or path given")
        try:
            scheme = _scheme(source)
            base_scheme = _scheme(base) if base else ""
        except ValueError:  # urllib can't split it: "http://[oops/", a bad port
            raise FetchError(f"invalid URL: {_shorten(source)}") from None

        if scheme in _WEB_SCHEMES:
            return await self.fetch(
                source, etag=etag, last_modified=last_modified, max_bytes=max_bytes
            )
        if base_scheme in _WEB_SCHEMES:
            assert base is not None
            if scheme == "file":
                raise FetchError("a file: URL in a web feed is not read from disk")
            if scheme:
                raise FetchError(f"only http, https and file URLs can be read, not {scheme}:")
            try:
                joined = urljoin(base, source)
            except ValueError:
                raise FetchError(f"invalid URL: {_shorten(source)}") from None
            return await self.fetch(
                joined, etag=etag, last_modified=last_modified, max_bytes=max_bytes
            )
        if scheme not in ("", "file"):
            raise FetchError(f"only http, https and file URLs can be read, not {scheme}:")

        # A local read. `folder` is where a local feed's files must stay; None for a source
        # given directly (the command line), which may be anywhere.
        folder: Path | None = None
        if base is None:
            path = _file_url_path(source) if scheme == "file" else Path(source)
        elif base_scheme == "file":
            folder = _file_url_path(base).parent
            try:
                path = _file_url_path(urljoin(base, source))
            except ValueError:  # "//[oops/x" names a host urllib can't split
                raise FetchError(f"invalid URL: {_shorten(source)}") from None
        elif base_scheme:
            raise FetchError(f"can't resolve {source} against a {base_scheme}: URL")
        else:
            folder = Path(base).parent
            path = _file_url_path(source) if scheme == "file" else folder / source
        # ~ is expanded, and the folder checked, in the thread, right before the open.
        return await asyncio.to_thread(
            _read_local, path, etag, last_modified, limit, folder=folder, source=source
        )


# --- reading many, working on few ----------------------------------------------------------


class ReadSlots:
    """Many feeds read at once, few worked on: a poll cycle's memory stays bounded.

    Each feed's import runs in a `turn()`: it first holds one of `reading` slots (the
    fetch, mostly waiting on the network; a 304 ends there). When its read brings a body,
    `read_source` trades that slot for one of `working` slots before it returns, so that
    the body is parsed, stored and related while at most `working - 1` other feeds are;
    the turn holds the working slot until it ends. A body waits for its working slot
    while still holding its reading slot, so at most `reading + working` bodies are ever
    held, and fetching goes on at full width whenever the work keeps up. Reads later in
    the same turn (chapter files) never wait: they are part of the work; reads side by
    side before it has its working slot wait for the one trade the turn makes.

    The turn is found through a context variable, which the tasks the import starts
    (`asyncio.gather`, `to_thread`) inherit; reads outside any turn never wait.
    """

    def __init__(self, reading: int, working: int) -> None:
        if reading < 1 or working < 1:
            raise ValueError("reading and working slots must be 1 or more")
        self.reading = reading
        self.working = working
        self._reading = asyncio.Semaphore(reading)
        self._working = asyncio.Semaphore(working)
        self.busy = 0  # turns holding a working slot now (for logs and tests)

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """One feed's read and work; the slot it holds is given back when it ends."""
        turn = _Turn(self)
        await self._reading.acquire()
        token = _current_turn.set(turn)
        try:
            yield
        finally:
            _current_turn.reset(token)
            turn.ended = True  # a task the import left behind reads outside the turn now
            if turn.working:
                self.busy -= 1
                self._working.release()
            else:
                self._reading.release()

    async def _to_work(self, turn: _Turn) -> None:
        await self._working.acquire()  # cancelled here: still reading, released as such
        if turn.ended:  # (a task the import left behind, whose turn ended meanwhile)
            self._working.release()
            return
        turn.working = True
        self.busy += 1
        self._reading.release()


@dataclass(eq=False, slots=True)
class _Turn:
    slots: ReadSlots
    working: bool = False  # traded its reading slot for a working one
    ended: bool = False
    # One read of the turn trades the slot; reads side by side with it wait for that trade
    # (each waiting for a working slot of its own would wait for its own turn's).
    trading: asyncio.Lock = field(default_factory=asyncio.Lock)


_current_turn: contextvars.ContextVar[_Turn | None] = contextvars.ContextVar(
    "episode_bot_read_turn", default=None
)


async def _body_arrived() -> None:
    turn = _current_turn.get()
    if turn is None or turn.working or turn.ended:
        return
    async with turn.trading:
        if not turn.working and not turn.ended:
            await turn.slots._to_work(turn)


def _join(url: URL, location: str) -> URL:
    try:
        return url.join(URL(location))
    except (ValueError, TypeError):
        raise FetchError("the server sent an invalid redirect") from None
