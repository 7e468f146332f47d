"""A background loop run every N seconds, with the state /health reports."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from event_service.platform.logging import get_logger

log = get_logger("jobs")


class PeriodicJob:
    """Runs `work()` (which returns how many items it handled) every `interval_seconds`."""

    def __init__(self, name: str, interval_seconds: float, work: Callable[[], Awaitable[int]]) -> None:
        self.name = name
        self.interval_seconds = interval_seconds
        self._work = work
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.last_run_at: datetime | None = None
        self.last_count = 0
        self.total_count = 0
        self.last_error: str | None = None

    @property
    def is_running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if not self.is_running:
            self._stopping.clear()
            self._task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        """Stop after the current run finishes; never cuts a transaction in half."""
        self._stopping.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run_once(self) -> int:
        try:
            count = await self._work()
        except Exception as exc:  # a failed run must not kill the loop
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.error("job_failed", job=self.name, error=self.last_error)
            count = 0
        else:
            self.last_error = None
        self.last_run_at = datetime.now(UTC)
        self.last_count = count
        self.total_count += count
        if count:
            log.info("job_ran", job=self.name, count=count)
        return count

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            await self.run_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.interval_seconds)

    def status(self) -> dict[str, Any]:
        return {
            "isRunning": self.is_running,
            "intervalMinutes": round(self.interval_seconds / 60, 4),
            "lastRunAt": self.last_run_at,
            "lastCount": self.last_count,
            "totalCount": self.total_count,
            "lastError": self.last_error,
        }
