"""Rate limits on /api/v1 (the `limits` library, fixed windows), as pure ASGI middleware.

- RATE_LIMIT_DEFAULT (`100/minute`) applies per client to every /api/v1 route
  together; RATE_LIMIT_ROUTES gives a route its own limit and its own bucket:
  `METHOD /path/{param}=N/period` entries separated by `;`, e.g.
  `POST /api/v1/capacity/{id}/reserve=30/minute;GET /api/v1/events=60/minute`.
  Parameter names do not matter (`{id}` matches any one path segment); METHOD
  may be `*`.
- The client is the token's user (`user:<tenant_id>:<sub>`) when a bearer
  token is sent, else the peer IP. The token's payload is read WITHOUT
  verification, only to pick the bucket: a forged token gets a bucket of its
  own and is then rejected by authentication, and this saves decoding and
  verifying the JWT twice on every request.
- Counters live in Redis (shared by every instance) when Redis is configured
  and answering, else in process memory (logged when it falls back and back).
- `/health*`, `/metrics`, `/docs` and `/openapi.json` are outside /api/v1 and
  never limited.

Over the limit: 429 RATE_LIMIT_EXCEEDED in the documented error body, with
`Retry-After`; every limited route answers `X-RateLimit-Limit`,
`X-RateLimit-Remaining` and `X-RateLimit-Reset` (seconds until the window resets).
"""

from __future__ import annotations

import base64
import math
import re
import time
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import FastAPI
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import FixedWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from event_service.platform.errors import error_body
from event_service.platform.logging import get_logger
from event_service.platform.redis_link import RedisLink, RedisUnavailable
from event_service.platform.responses import dumps
from event_service.settings import Settings

log = get_logger("ratelimit")

API_PREFIX = "/api/v1/"
_MAX_IDENTITY = 200


@dataclass(frozen=True)
class Rule:
    name: str  # "default" or the route as configured; also the bucket's name
    item: RateLimitItem
    method: str = "*"
    pattern: re.Pattern[str] | None = None

    def matches(self, method: str, path: str) -> bool:
        return self.pattern is not None and self.method in ("*", method) and self.pattern.match(path) is not None


def parse_routes(spec: str) -> list[Rule]:
    """`METHOD /path/{p}=N/period;...` -> rules. A malformed entry fails start-up, not a request."""
    rules = []
    for entry in (part.strip() for part in spec.split(";")):
        if not entry:
            continue
        route, sep, limit = entry.rpartition("=")
        method, _, path = route.strip().partition(" ")
        path = path.strip()
        if not sep or not path.startswith("/"):
            raise ValueError(f"RATE_LIMIT_ROUTES entry {entry!r} is not 'METHOD /path=N/period'")
        segments = ["[^/]+" if s.startswith("{") and s.endswith("}") else re.escape(s) for s in path.split("/")]
        pattern = re.compile("^" + "/".join(segments).rstrip("/") + "/?$")
        rules.append(
            Rule(name=f"{method.upper()} {path}", item=parse(limit.strip()), method=method.upper(), pattern=pattern)
        )
    return rules


def client_identity(scope: Scope) -> str:
    """`user:<tenant>:<sub>` from the bearer token's unverified payload, else `ip:<peer>`."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            claims = _unverified_claims(value)
            user = claims.get("sub") or claims.get("id") if claims else None
            if user:
                return f"user:{claims.get('tenant_id', '')}:{user}"[:_MAX_IDENTITY]  # type: ignore[union-attr]
            break
    client = scope.get("client")
    return f"ip:{client[0] if client else 'unknown'}"


def _unverified_claims(header: bytes) -> dict[str, Any] | None:
    scheme, _, token = header.partition(b" ")
    if scheme.lower() != b"bearer" or token.count(b".") != 2:
        return None
    payload = token.split(b".")[1]
    try:
        claims = orjson.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
    except (ValueError, orjson.JSONDecodeError):
        return None
    return claims if isinstance(claims, dict) else None


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_in: int  # seconds


class RateLimits:
    """Counts hits in Redis when it answers, else in this process's memory."""

    def __init__(self, link: RedisLink | None) -> None:
        self.link = link
        self._memory = FixedWindowRateLimiter(MemoryStorage())
        self._redis: FixedWindowRateLimiter | None = None
        if link is not None and link.client is not None:
            storage = RedisStorage(
                "async+redis://",  # the connection comes from the shared pool below
                implementation="redispy",
                key_prefix=f"{link.prefix}rl",
                connection_pool=link.client.connection_pool,  # type: ignore[arg-type]
            )
            self._redis = FixedWindowRateLimiter(storage)
        self._in_memory_since: float | None = None

    async def hit(self, item: RateLimitItem, *identifiers: str) -> Verdict:
        shared = self._redis
        if shared is not None and self.link is not None:
            try:
                verdict = await self.link.run("ratelimit", lambda _: self._hit(shared, item, identifiers))
            except RedisUnavailable:
                if self._in_memory_since is None:
                    self._in_memory_since = time.monotonic()
                    log.warning("rate_limit_storage_fallback", storage="memory", detail="limits are per instance")
            else:
                if self._in_memory_since is not None:
                    self._in_memory_since = None
                    log.info("rate_limit_storage_restored", storage="redis")
                return verdict
        return await self._hit(self._memory, item, identifiers)

    @staticmethod
    async def _hit(limiter: FixedWindowRateLimiter, item: RateLimitItem, identifiers: tuple[str, ...]) -> Verdict:
        allowed = await limiter.hit(item, *identifiers)
        stats = await limiter.get_window_stats(item, *identifiers)
        reset_in = max(1, math.ceil(stats.reset_time - time.time()))
        return Verdict(allowed, item.amount, stats.remaining, reset_in)


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.enabled = settings.rate_limit_enabled
        self.default = Rule(name="default", item=parse(settings.rate_limit_default))
        self.routes = parse_routes(settings.rate_limit_routes)

    def rule_for(self, method: str, path: str) -> Rule:
        for rule in self.routes:
            if rule.matches(method, path):
                return rule
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.enabled or scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        limits: RateLimits | None = getattr(state, "rate_limits", None)
        if limits is None:  # first request: Redis link is made in the lifespan
            limits = state.rate_limits = RateLimits(getattr(state, "redis", None))
        rule = self.rule_for(scope["method"], scope["path"])
        verdict = await limits.hit(rule.item, rule.name, client_identity(scope))
        headers = [
            (b"x-ratelimit-limit", str(verdict.limit).encode()),
            (b"x-ratelimit-remaining", str(verdict.remaining).encode()),
            (b"x-ratelimit-reset", str(verdict.reset_in).encode()),
        ]
        if not verdict.allowed:
            metrics = getattr(state, "metrics", None)
            if metrics is not None:
                metrics.rate_limited.labels(rule.name).inc()
            request_id = scope.get("state", {}).get("request_id")
            body = dumps(
                error_body(
                    f"Rate limit exceeded, retry in {verdict.reset_in} seconds", "RATE_LIMIT_EXCEEDED", request_id
                )
            )
            await send(
                {
                    "type": "http.response.start",
                    "status": 429,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"retry-after", str(verdict.reset_in).encode()),
                        *headers,
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(RateLimitMiddleware, settings=settings)
