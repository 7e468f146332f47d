"""Cache-aside in Redis for documents that are read far more than written.

How a domain uses it (docs/operations.md):

    cache: Cache = request.app.state.cache
    body = await cache.get_or_load(keys.event(tenant_id, event_id), load_event_json, ttl=cache.default_ttl)
    ...
    await cache.invalidate(keys.event(tenant_id, event_id), keys.event_pricing(tenant_id, event_id))

`loader` returns something `responses.dumps` can render (dicts, lists,
Decimal, datetime, UUID ...). Whatever the path (hit, miss, Redis down), the
value comes back JSON-shaped: dicts and lists of str, int, Decimal (exact, so
248.40 stays 248.40), bool and None; datetimes and UUIDs as their JSON strings.

Invalidation deletes the shared Redis entry, so a write on instance A is seen
by instance B at once: no instance keeps a local copy. A fill that raced with
an invalidation is dropped (each key has a generation counter that
`invalidate` bumps; the fill is written only if the generation it read before
loading is still current), so a reader that loaded the old row just before a
write cannot put it back. Invalidations that fail because Redis is down are
kept (bounded) and replayed when it answers again; the TTL bounds anything else.

Availability numbers are never cached: they change on every reservation.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from redis.asyncio import Redis

from event_service.platform.logging import get_logger
from event_service.platform.redis_link import RedisLink, RedisUnavailable
from event_service.platform.responses import dumps

if TYPE_CHECKING:
    from event_service.platform.metrics import Metrics

log = get_logger("cache")

_GEN = "#gen"  # suffix of a key's generation counter
_GEN_TTL_SECONDS = 86_400  # outlives any entry TTL, so a generation is never forgotten mid-load
_MAX_PENDING = 10_000

# Write the loaded value only if nobody invalidated the key while it was loading.
_FILL = """
local gen = redis.call('GET', KEYS[2])
if (gen or '') == ARGV[3] then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 1
end
return 0
"""


class keys:  # a namespace of key builders, read as `keys.event(...)`
    """The seed's CACHE_KEYS, scoped by tenant so a cached document can never answer another tenant."""

    @staticmethod
    def event(tenant_id: uuid.UUID | str, event_id: uuid.UUID | str) -> str:
        return f"t:{tenant_id}:event:{event_id}"

    @staticmethod
    def event_pricing(tenant_id: uuid.UUID | str, event_id: uuid.UUID | str) -> str:
        return f"t:{tenant_id}:event:{event_id}:pricing"

    @staticmethod
    def venue_events(tenant_id: uuid.UUID | str, venue_id: uuid.UUID | str) -> str:
        return f"t:{tenant_id}:venue:events:{venue_id}"

    @staticmethod
    def category_tree(tenant_id: uuid.UUID | str | None) -> str:
        """Categories may be global (tenant_id NULL); those live under `t:global`."""
        return f"t:{tenant_id or 'global'}:categories:tree"

    @staticmethod
    def everything_of_event(tenant_id: uuid.UUID | str, event_id: uuid.UUID | str) -> str:
        """A pattern: the event document and every key derived from it."""
        return f"t:{tenant_id}:event:{event_id}*"


def _loads(raw: bytes | str) -> Any:
    return json.loads(raw, parse_float=Decimal)


class Cache:
    def __init__(self, link: RedisLink, *, default_ttl: int, metrics: Metrics | None = None) -> None:
        self.link = link
        self.default_ttl = default_ttl
        self._metrics = metrics
        self._prefix = f"{link.prefix}cache:"
        self._pending: set[str] = set()
        self._fill = link.client.register_script(_FILL) if link.client is not None else None

    def _count(self, result: str) -> None:
        if self._metrics is not None:
            self._metrics.cache_requests.labels(result).inc()

    async def get_or_load(self, key: str, loader: Callable[[], Awaitable[Any]], ttl: int | None = None) -> Any:
        """The cached value of `key`, else `await loader()` stored for `ttl` seconds."""
        full = self._prefix + key
        generation: bytes | str = b""
        if self._pending:
            await self._replay_pending()
        try:
            cached, seen = await self.link.run("cache_get", lambda r: r.mget(full, full + _GEN))
        except RedisUnavailable:
            self._count("error" if self.link.configured else "bypass")
            return _loads(dumps(await loader()))
        if cached is not None:
            self._count("hit")
            return _loads(cached)
        self._count("miss")
        generation = seen or b""
        raw = dumps(await loader())
        fill = self._fill
        if fill is not None:
            with contextlib.suppress(RedisUnavailable):
                await self.link.run(
                    "cache_set",
                    lambda r: fill(keys=[full, full + _GEN], args=[raw, ttl or self.default_ttl, generation], client=r),
                )
        return _loads(raw)

    async def invalidate(self, *keys_or_patterns: str) -> None:
        """Drop keys (a `*` makes a glob pattern) for every instance. Never raises for Redis trouble."""
        if not self.link.configured or not keys_or_patterns:
            return
        if self._pending:
            await self._replay_pending()
        try:
            await self._invalidate(keys_or_patterns)
        except RedisUnavailable:
            if len(self._pending) < _MAX_PENDING:
                self._pending.update(keys_or_patterns)
            log.warning("cache_invalidation_deferred", keys=list(keys_or_patterns), pending=len(self._pending))

    async def _invalidate(self, keys_or_patterns: tuple[str, ...] | list[str]) -> None:
        exact = [self._prefix + k for k in keys_or_patterns if "*" not in k]
        patterns = [self._prefix + k for k in keys_or_patterns if "*" in k]

        async def drop(r: Redis) -> None:
            found = list(exact)
            for pattern in patterns:
                found += [k.decode() async for k in r.scan_iter(match=pattern, count=500) if not k.endswith(b"#gen")]
            async with r.pipeline(transaction=False) as pipe:
                for key in found:
                    pipe.delete(key)
                    pipe.incr(key + _GEN)
                    pipe.expire(key + _GEN, _GEN_TTL_SECONDS)
                await pipe.execute()

        await self.link.run("cache_invalidate", drop)

    async def _replay_pending(self) -> None:
        pending, self._pending = list(self._pending), set()
        try:
            await self._invalidate(pending)
        except RedisUnavailable:
            self._pending.update(pending)
        else:
            log.info("cache_invalidations_replayed", count=len(pending))


def install(app: FastAPI) -> None:
    """In the lifespan: one Redis link (app.state.redis) and the cache (app.state.cache) on it."""

    async def start(app: FastAPI) -> None:
        settings = app.state.settings
        link = RedisLink.from_settings(settings, getattr(app.state, "metrics", None))
        app.state.redis = link
        app.state.cache = Cache(
            link, default_ttl=settings.cache_ttl_seconds, metrics=getattr(app.state, "metrics", None)
        )
        if link.configured and not await link.ping():
            log.warning("redis_not_reachable_at_start", detail="starting without cache; will retry")
        app.state.readiness_probes["redis"] = link.status

    async def stop(app: FastAPI) -> None:
        link: RedisLink | None = getattr(app.state, "redis", None)
        if link is not None:
            await link.close()

    app.state.on_startup.append(start)
    app.state.on_shutdown.append(stop)
