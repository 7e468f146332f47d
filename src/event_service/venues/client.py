"""The venue service client (CONTRACT.md "Venue service"), behind a circuit breaker.

The breaker is aiobreaker's: its state machine (closed -> open -> half-open ->
closed), the reset timer and the half-open trial call are the library's. The
library trips on N *consecutive* failures only, so the seed's rule "opens at 50 %
failures" is plugged in through aiobreaker's listener hook: `FailureRatioTrip`
records each call's outcome in a rolling window and calls `breaker.open()` once
at least `min_calls` calls were seen and the failed share reaches `ratio`. The
consecutive-failure counter is switched off (fail_max = sys.maxsize).

What counts as a failure: a timeout (the whole call, `timeout` seconds), a
connection error, a 5xx, any other unexpected status, or a 200 whose body is
not a venue. 403 and 404 are answers, not failures.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import httpx
from aiobreaker import CircuitBreaker, CircuitBreakerError, CircuitBreakerListener, CircuitBreakerState
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from event_service.platform.logging import get_logger

log = get_logger("venues.client")

BreakerState = Literal["closed", "open", "half-open"]


class VenueServiceDown(Exception):
    """The venue service could not answer (timeout, refused, 5xx, breaker open)."""


class VenueAccessDenied(Exception):
    """The venue service answered 401/403 for the caller's token."""


class _BadAnswer(Exception):
    """Raised inside the breaker so that the call counts as failed."""


class RemoteVenue(BaseModel):
    """The part of the venue service's `{"venue": {...}}` this service keeps."""

    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID | None = None
    name: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(default=None, max_length=200)
    max_capacity: int = Field(ge=0)
    address: dict[str, Any] | str | None = None
    timezone: str | None = Field(default=None, max_length=50)


class FailureRatioTrip(CircuitBreakerListener):  # type: ignore[misc]
    """Opens a closed breaker when failures / calls >= ratio over a rolling window."""

    def __init__(self, ratio: float, min_calls: int, window_seconds: float = 60.0) -> None:
        self.ratio = ratio
        self.min_calls = min_calls
        self.window_seconds = window_seconds
        self._outcomes: deque[tuple[float, bool]] = deque()
        self.opened_at: float | None = None  # time.monotonic() of the last opening

    def _record(self, breaker: CircuitBreaker, ok: bool) -> None:
        if breaker.current_state != CircuitBreakerState.CLOSED:
            return  # half-open trials are judged by the library itself
        now = time.monotonic()
        self._outcomes.append((now, ok))
        while self._outcomes and now - self._outcomes[0][0] > self.window_seconds:
            self._outcomes.popleft()
        calls = len(self._outcomes)
        failures = sum(1 for _, good in self._outcomes if not good)
        if not ok and calls >= self.min_calls and failures / calls >= self.ratio:
            log.warning("venue_breaker_tripped", calls=calls, failures=failures)
            breaker.open()

    def success(self, breaker: CircuitBreaker) -> None:
        self._record(breaker, True)

    def failure(self, breaker: CircuitBreaker, exception: Exception) -> None:
        self._record(breaker, False)

    def state_change(self, breaker: CircuitBreaker, old: Any, new: Any) -> None:
        # A fresh window after every change: closed again means counted from zero.
        self._outcomes.clear()
        if getattr(new, "state", None) == CircuitBreakerState.OPEN:
            self.opened_at = time.monotonic()
        log.info(
            "venue_breaker_state",
            old=getattr(getattr(old, "state", None), "name", None),
            new=getattr(getattr(new, "state", None), "name", None),
        )


class VenueBreaker:
    """aiobreaker's breaker with the failure-ratio trip and a readable state."""

    def __init__(self, *, ratio: float, min_calls: int, reset_seconds: float) -> None:
        self.reset_seconds = reset_seconds
        self.trip = FailureRatioTrip(ratio, min_calls)
        self.breaker = CircuitBreaker(
            fail_max=sys.maxsize,
            timeout_duration=timedelta(seconds=reset_seconds),
            listeners=[self.trip],
            name="venue-service",
        )

    @property
    def state(self) -> BreakerState:
        """The state as readiness shows it.

        aiobreaker moves open -> half-open lazily, on the first call after the
        reset period; once that period is over the next call *is* the trial, so
        it is reported as half-open already.
        """
        state = self.breaker.current_state
        if state == CircuitBreakerState.CLOSED:
            return "closed"
        if state == CircuitBreakerState.HALF_OPEN:
            return "half-open"
        opened = self.trip.opened_at
        if opened is not None and time.monotonic() - opened >= self.reset_seconds:
            return "half-open"
        return "open"


@dataclass(frozen=True)
class Fetched:
    """What the venue service said about one venue: found (venue) or not (None)."""

    venue: RemoteVenue | None


class VenueServiceClient:
    def __init__(self, base_url: str, http: httpx.AsyncClient, *, timeout: float, breaker: VenueBreaker) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http
        self.timeout = timeout
        self.breaker = breaker

    @property
    def state(self) -> BreakerState:
        return self.breaker.state

    async def fetch(self, token: str, venue_id: uuid.UUID) -> Fetched:
        """The venue, or Fetched(None) on 404.

        Raises VenueAccessDenied on 401/403 and VenueServiceDown when no answer
        could be had (including while the breaker is open).
        """
        try:
            status, venue = await self.breaker.breaker.call_async(self._get, token, venue_id)
        except CircuitBreakerError as exc:
            raise VenueServiceDown("circuit breaker open") from exc
        except (httpx.HTTPError, TimeoutError, _BadAnswer) as exc:
            log.warning("venue_service_failed", venue_id=str(venue_id), error=type(exc).__name__, detail=str(exc))
            raise VenueServiceDown(type(exc).__name__) from exc
        if status in (401, 403):
            raise VenueAccessDenied()
        return Fetched(venue)

    async def _get(self, token: str, venue_id: uuid.UUID) -> tuple[int, RemoteVenue | None]:
        async with asyncio.timeout(self.timeout):
            response = await self.http.get(
                f"{self.base_url}/api/v1/venues/{venue_id}",
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=self.timeout,
            )
        status = response.status_code
        if status in (401, 403, 404):
            return status, None
        if status != 200:
            raise _BadAnswer(f"venue service answered {status}")
        try:
            payload = response.json()
            venue = RemoteVenue.model_validate(payload["venue"] if isinstance(payload, dict) else None)
        except (ValueError, KeyError, ValidationError) as exc:
            raise _BadAnswer("venue service answered 200 without a venue") from exc
        if venue.id is not None and venue.id != venue_id:
            raise _BadAnswer("venue service answered another venue")
        return status, venue
