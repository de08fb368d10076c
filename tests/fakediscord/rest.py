"""The REST side's plumbing: Discord's error and JSON shapes, and the middleware every
call under /api/v10 goes through.

The middleware reads the body once (JSON, or `payload_json` of a multipart form), logs
the request, answers an injected 429, checks the bot token, holds the request if a test
asked to, and turns a `DiscordError` raised by a route into Discord's JSON answer. The
routes themselves are in `rest_app.py`, `rest_interactions.py`, `rest_messages.py` and
`rest_threads.py`.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tests.fakediscord import limits
from tests.fakediscord.state import API_PREFIX, DiscordState, Hold, LoggedRequest

# The parsed JSON body, read once by the middleware.
BODY: web.RequestKey[Any] = web.RequestKey("body", object)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class DiscordError(Exception):
    """An answer other than success, in Discord's JSON shape."""

    def __init__(self, status: int, body: dict[str, Any], *, violation: str | None = None):
        super().__init__(body.get("message"))
        self.status = status
        self.body = body
        self.violation = violation


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    # Exactly application/json: with "; charset=utf-8" discord.py reads the body as text.
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def error(status: int, code: int, message: str) -> DiscordError:
    return DiscordError(status, {"code": code, "message": message})


def form_errors(errors: limits.FormErrors, where: str) -> DiscordError:
    """400 Invalid Form Body with the nested `errors`, also recorded as a violation."""
    return DiscordError(400, errors.body(), violation=f"{where}: " + "; ".join(errors.messages()))


def method_not_allowed() -> DiscordError:
    return DiscordError(405, {"message": "405: Method Not Allowed", "code": 0})


class Plumbing:
    """The middleware and the catch-all route for calls the fake doesn't know."""

    def __init__(self, state: DiscordState) -> None:
        self.state = state

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX):
            return await handler(request)
        state = self.state
        path = request.path[len(API_PREFIX) :]
        body = await self._read_body(request, path)
        record = LoggedRequest(request.method, path, dict(request.query), body)
        state.requests.append(record)
        try:
            limited = self._rate_limit(request.method, path)
            if limited is not None:
                record.status = limited.status
                return limited
            unauthenticated = path.startswith(("/interactions/", "/webhooks/"))
            if not unauthenticated and request.headers.get("Authorization") not in {
                f"Bot {t}" for t in state.accepted_tokens
            }:
                raise error(401, 0, "401: Unauthorized")
            request[BODY] = body
            held = self._take_hold(request.method, path)
            if held is not None and not held.after:
                await self._wait_released(held)
            response = await handler(request)
            if held is not None and held.after:
                await self._wait_released(held)
        except DiscordError as exc:
            if exc.violation:
                state.violation(exc.violation)
            response = json_response(exc.body, exc.status)
        record.status = response.status
        state.changed()
        return response

    def _rate_limit(self, method: str, path: str) -> web.Response | None:
        """A 429 for this request if a test injected one for it; discord.py retries it only
        with a `Via` header and a JSON `retry_after`."""
        injected = self.state.injected_429s
        for index, limit in enumerate(injected):
            if fnmatch.fnmatchcase(f"{method} {path}", limit.pattern):
                del injected[index]
                self.state.rate_limited.append(f"{method} {path}")
                return json_response(
                    {
                        "message": "You are being rate limited.",
                        "retry_after": limit.retry_after,
                        "global": limit.is_global,
                    },
                    429,
                    {
                        "Via": "1.1 google",
                        "Retry-After": str(max(1, round(limit.retry_after))),
                        "X-RateLimit-Scope": "global" if limit.is_global else "user",
                    },
                )
        return None

    def _take_hold(self, method: str, path: str) -> Hold | None:
        holds = self.state.holds
        for index, held in enumerate(holds):
            if fnmatch.fnmatchcase(f"{method} {path}", held.pattern):
                del holds[index]
                return held
        return None

    async def _wait_released(self, held: Hold) -> None:
        held.arrived.set()
        self.state.changed()
        await held.released.wait()

    async def _read_body(self, request: web.Request, path: str) -> Any:
        if not request.can_read_body:
            return None
        content_type = request.headers.get("Content-Type", "")
        if content_type.startswith("multipart/form-data"):
            form = await request.post()
            payload = form.get("payload_json")
            return json.loads(payload) if isinstance(payload, str) else None
        raw = await request.read()
        if not raw:
            return None
        if content_type != "application/json":
            self.state.violation(f"{request.method} {path}: Content-Type {content_type!r}")
        return json.loads(raw)

    def add_fallback(self, router: web.UrlDispatcher) -> None:
        """The catch-all; added after every other route."""
        router.add_route("*", f"{API_PREFIX}/{{tail:.*}}", self._unknown)

    async def _unknown(self, request: web.Request) -> web.Response:
        raise DiscordError(
            404,
            {"message": "404: Not Found", "code": 0},
            violation=f"the fake does not know {request.method} {request.path}",
        )


__all__ = [
    "BODY",
    "DiscordError",
    "Plumbing",
    "error",
    "form_errors",
    "json_response",
    "method_not_allowed",
]
