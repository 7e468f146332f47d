"""The process's one Redis client, and whether Redis is worth asking right now.

Redis is optional (CONTRACT.md): with it absent or down every request still
succeeds, uncached and rate-limited in process memory. So every command runs
through `RedisLink.run`, which
- uses short socket timeouts (REDIS_SOCKET_TIMEOUT_MS) and no client retries,
  so a dead Redis costs one request at most a timeout;
- after a failure skips Redis for a back-off window (0.25 s doubling up to
  REDIS_RETRY_MAX_SECONDS), then lets exactly one request probe it while the
  others go on without it: a dead Redis adds no latency to every request;
- says so: one log line when Redis goes away and one when it is back, the
  gauge `event_service_redis_up` and the counter `event_service_redis_errors_total`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from event_service.platform.logging import get_logger
from event_service.settings import Settings

if TYPE_CHECKING:
    from event_service.platform.metrics import Metrics

T = TypeVar("T")
log = get_logger("redis")

_FIRST_BACKOFF_SECONDS = 0.25


class RedisUnavailable(Exception):
    """Redis is not configured, inside its back-off window, or just failed."""


class RedisLink:
    def __init__(
        self,
        client: Redis | None,
        *,
        prefix: str,
        retry_max_seconds: float = 5.0,
        metrics: Metrics | None = None,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self._retry_max = retry_max_seconds
        self._metrics = metrics
        self._backoff = _FIRST_BACKOFF_SECONDS
        self._down_until = 0.0
        self._probing = False
        self.up = client is not None
        if metrics is not None:
            metrics.redis_up.set(1 if self.up else 0)

    @classmethod
    def from_settings(cls, settings: Settings, metrics: Metrics | None = None) -> RedisLink:
        dsn = settings.redis_dsn
        client = None
        if dsn:
            timeout = settings.redis_socket_timeout_ms / 1000
            client = Redis.from_url(
                dsn,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                retry=Retry(NoBackoff(), 0),
                client_name=settings.service_name,
            )
        return cls(
            client,
            prefix=settings.redis_key_prefix,
            retry_max_seconds=settings.redis_retry_max_seconds,
            metrics=metrics,
        )

    @property
    def configured(self) -> bool:
        return self.client is not None

    def _may_try(self) -> bool:
        if self.client is None:
            return False
        if self.up:
            return True
        if self._probing or time.monotonic() < self._down_until:
            return False
        self._probing = True  # this caller probes; the others skip Redis until it answers
        return True

    async def run(self, operation: str, call: Callable[[Redis], Awaitable[T]]) -> T:
        """Run one Redis operation, or raise RedisUnavailable (never a Redis error)."""
        if not self._may_try():
            raise RedisUnavailable(operation)
        assert self.client is not None
        try:
            result = await call(self.client)
        except (RedisError, OSError, TimeoutError) as exc:
            self._failed(operation, exc)
            raise RedisUnavailable(operation) from exc
        finally:
            self._probing = False
        if not self.up:
            self._recovered()
        return result

    async def ping(self) -> bool:
        try:
            await self.run("ping", lambda client: client.ping())
        except RedisUnavailable:
            return False
        return True

    def _failed(self, operation: str, exc: BaseException) -> None:
        if self._metrics is not None:
            self._metrics.redis_errors.labels(operation).inc()
        now = time.monotonic()
        if self.up:
            self.up = False
            self._backoff = _FIRST_BACKOFF_SECONDS
            log.warning(
                "redis_unavailable",
                operation=operation,
                error=f"{type(exc).__name__}: {exc}",
                detail="serving uncached, rate limits in process memory",
            )
            if self._metrics is not None:
                self._metrics.redis_up.set(0)
        self._down_until = now + self._backoff
        self._backoff = min(self._backoff * 2, self._retry_max)

    def _recovered(self) -> None:
        self.up = True
        self._backoff = _FIRST_BACKOFF_SECONDS
        log.info("redis_recovered")
        if self._metrics is not None:
            self._metrics.redis_up.set(1)

    def status(self) -> dict[str, str]:
        """For /health/ready: Redis is optional, so a down Redis is `degraded`, never `unhealthy`."""
        if not self.configured:
            return {"status": "disabled"}
        return {"status": "healthy" if self.up else "degraded"}

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()
