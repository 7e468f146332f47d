"""Coalescing of concurrent work on one key (here: reserves of one section), per process.

Why: one transaction per reserve cannot go faster than the section's row lock
allows (each commit waits for the WAL flush while holding it). Reserves of the
same section that arrive within a few milliseconds of each other are instead
applied together: ONE conditional UPDATE of the section for their summed
quantity plus ONE multi-row INSERT of their ledger rows (and of their outbox
rows), in one transaction (`reservations.service.reserve_batch`).

How (this module, which knows nothing of reservations):
- `submit(key, item)` puts the item in the key's lane and waits for its own
  result. The first arrival in an empty lane opens a window of `window`
  seconds; the lane flushes when the window ends or as soon as it holds
  `max_batch` items, whichever comes first.
- One flush in flight per key per process: a lane has a single task that
  flushes batch after batch. Items arriving during a flush wait for the next
  batch, whose window opened at their first arrival (so they do not wait a
  second window). The task ends when its lane is empty.
- The flush function returns one result (or exception) per item, in order;
  each waiter receives its own. If the flush itself raises, every item of the
  batch receives that exception. A waiter cancelled before its batch is taken
  is dropped from it; one cancelled during the flush is still applied (as a
  client that disconnects after the commit: its hold simply expires).

Why the result is still correct (the flush function's side, see
`service.reserve_batch`): the database still decides, with one conditional
`UPDATE ... WHERE available_capacity >= :sum` on the row it has locked, so
there is no read-then-write window and no oversell; the ledger rows are
inserted in the same transaction, so `reserved_capacity` equals the sum of
ACTIVE ledger rows at every commit. When the sum does not fit, the batch is
applied request by request in arrival order (today's single-request
statement), so no request is refused while seats remain. Processes do not
coordinate: two workers' batches queue on the row lock like two requests do.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
R = TypeVar("R")

Flush = Callable[[K, Sequence[T]], Awaitable[Sequence[R | BaseException]]]


@dataclass
class _Lane(Generic[T, R]):
    """The items waiting for one key, and when the first of them arrived."""

    opened_at: float = 0.0
    waiting: list[tuple[T, asyncio.Future[R]]] = field(default_factory=list)
    full: asyncio.Event = field(default_factory=asyncio.Event)


class Coalescer(Generic[K, T, R]):
    """An asyncio batcher keyed by `K`: see the module docstring."""

    def __init__(self, flush: Flush[K, T, R], *, window_seconds: float, max_batch: int) -> None:
        if window_seconds <= 0 or max_batch < 1:
            raise ValueError("a coalescer needs a positive window and a batch size of at least 1")
        self._flush = flush
        self.window = window_seconds
        self.max_batch = max_batch
        self._lanes: dict[K, _Lane[T, R]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.batches = 0  # flushed so far (for tests and curiosity)
        self.items = 0

    async def submit(self, key: K, item: T) -> R:
        """Queue `item` under `key` and wait for its own result (or exception)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane()
            task = loop.create_task(self._drain(key, lane))
            self._tasks.add(task)  # keep a reference until it ends
            task.add_done_callback(self._tasks.discard)
        if not lane.waiting:
            lane.opened_at = time.monotonic()
        lane.waiting.append((item, future))
        if len(lane.waiting) >= self.max_batch:
            lane.full.set()
        return await future

    async def _drain(self, key: K, lane: _Lane[T, R]) -> None:
        """The lane's one task: flush batch after batch until nothing waits, then retire the lane."""
        try:
            while lane.waiting:
                remaining = lane.opened_at + self.window - time.monotonic()
                if remaining > 0 and len(lane.waiting) < self.max_batch:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lane.full.wait(), remaining)
                batch = lane.waiting[: self.max_batch]
                del lane.waiting[: self.max_batch]
                lane.opened_at = time.monotonic()  # leftovers (beyond the cap) start a new window
                if len(lane.waiting) < self.max_batch:
                    lane.full.clear()
                live = [(item, future) for item, future in batch if not future.done()]
                if live:
                    await self._run(key, live)
        finally:
            # No await between the last `while` check and here: nobody joined meanwhile.
            if self._lanes.get(key) is lane:
                del self._lanes[key]
            for _, future in lane.waiting:  # only on cancellation (shutdown)
                future.cancel()

    async def _run(self, key: K, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        self.batches += 1
        self.items += len(batch)
        try:
            results = await self._flush(key, [item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"flush returned {len(results)} results for {len(batch)} items")
        except Exception as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        except BaseException:  # cancellation (shutdown): the waiters are cancelled too
            for _, future in batch:
                future.cancel()
            raise
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)
