"""One load-generating process: `python -m bench.loadgen < config.json` (result in config["output"]).

The orchestrator (bench/run.py) starts several of these, each with its share of
the virtual clients, so the load never runs in the service's processes. Every
loop is bounded by a deadline and a request budget, and targets only the base
URL it is given (loopback). aiohttp is used when installed (the `bench` extra),
else httpx (a core dependency), so the smoke profile runs with the test extra alone.

Output: one JSON document (written to the config's `output` path) with, per operation, the latencies (ms) and counts of
ok / insufficient (INSUFFICIENT_CAPACITY, not an error) / errors by status.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
import orjson

REQUEST_TIMEOUT_S = 30.0
INSUFFICIENT = "INSUFFICIENT_CAPACITY"


@dataclass
class OpStats:
    lat: list[float] = field(default_factory=list)
    ok: int = 0
    insufficient: int = 0
    errors: int = 0
    transport_errors: int = 0
    codes: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "lat": [round(x, 3) for x in self.lat],
            "ok": self.ok,
            "insufficient": self.insufficient,
            "errors": self.errors,
            "transport_errors": self.transport_errors,
            "codes": self.codes,
        }


Send = Callable[[str, str, str | None, Any], Awaitable[tuple[int, bytes]]]


class Client:
    """A minimal async HTTP client over aiohttp (preferred) or httpx."""

    def __init__(self, base: str, connections: int) -> None:
        self.base = base
        self.connections = connections
        self.kind = "httpx"
        self._session: Any = None

    async def __aenter__(self) -> Client:
        try:
            if os.environ.get("BENCH_HTTP_CLIENT") == "httpx":
                raise ImportError("httpx asked for")
            import aiohttp

            connector = aiohttp.TCPConnector(
                limit=self.connections, limit_per_host=self.connections, ttl_dns_cache=None
            )
            timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
            self._session = aiohttp.ClientSession(self.base, connector=connector, timeout=timeout)
            self.kind = "aiohttp"
        except ImportError:
            import httpx

            limits = httpx.Limits(max_connections=self.connections, max_keepalive_connections=self.connections)
            self._session = httpx.AsyncClient(base_url=self.base, limits=limits, timeout=REQUEST_TIMEOUT_S)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.kind == "aiohttp":
            await self._session.close()
        else:
            await self._session.aclose()

    async def send(self, method: str, path: str, token: str | None, body: Any = None) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        data = None
        if body is not None:
            data = orjson.dumps(body)
            headers["Content-Type"] = "application/json"
        if self.kind == "aiohttp":
            async with self._session.request(method, path, data=data, headers=headers) as response:
                return response.status, await response.read()
        answer = await self._session.request(method, path, content=data, headers=headers)
        return answer.status_code, answer.content


class Worker:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.rng = random.Random(config.get("seed", 0))
        self.stats: dict[str, OpStats] = {}
        self.deadline = 0.0
        self.budget = int(config["max_requests"])
        self.issued = 0
        self.sold_out = False
        self.seats_held = 0
        self.available_hint: int | None = None
        secret, tenant = config["secret"], config["tenant"]
        now = int(time.time())
        self.tokens = [
            jwt.encode(
                {
                    "sub": str(uuid.uuid4()),
                    "tenant_id": tenant,
                    "role": config.get("role", "customer"),
                    "iat": now,
                    "exp": now + 3600,
                },
                secret,
                algorithm="HS256",
            )
            for _ in range(max(1, int(config.get("users", 1))))
        ]
        self.next_token = 0
        self.sections: list[str] = config.get("sections", [])
        self.events: list[str] = config.get("events", [])
        self.list_queries: list[str] = config.get("list_queries", ["/api/v1/events?limit=20"])
        self.paths: list[str] = config.get("paths", [])
        self.confirm_share = float(config.get("confirm_share", 0.0))
        self.release_share = float(config.get("release_share", 0.0))
        self.hold_minutes = int(config.get("hold_minutes", 60))

    def token(self) -> str:
        self.next_token = (self.next_token + 1) % len(self.tokens)
        return self.tokens[self.next_token]

    def more(self) -> bool:
        return not self.sold_out and self.issued < self.budget and time.monotonic() < self.deadline

    async def call(
        self, client: Client, op: str, method: str, path: str, token: str | None, body: Any = None
    ) -> tuple[int, Any]:
        self.issued += 1
        stats = self.stats.setdefault(op, OpStats())
        started = time.perf_counter()
        try:
            status, raw = await client.send(method, path, token, body)
        except Exception as exc:  # transport failure or client timeout: an error, and we go on
            stats.lat.append((time.perf_counter() - started) * 1000)
            stats.errors += 1
            stats.transport_errors += 1
            name = type(exc).__name__
            stats.codes[name] = stats.codes.get(name, 0) + 1
            return 0, None
        stats.lat.append((time.perf_counter() - started) * 1000)
        document: Any = None
        if raw and (status >= 300 or op in ("reserve",)):
            try:
                document = orjson.loads(raw)
            except orjson.JSONDecodeError:
                document = None
        if 200 <= status < 300:
            stats.ok += 1
        elif isinstance(document, dict) and document.get("code") == INSUFFICIENT:
            stats.insufficient += 1
        else:
            stats.errors += 1
            code = f"{status} {document.get('code') if isinstance(document, dict) else ''}".strip()
            stats.codes[code] = stats.codes.get(code, 0) + 1
        return status, document

    # --- operations -------------------------------------------------------------------------

    async def reserve(self, client: Client, section: str, hot: bool) -> tuple[str, str] | None:
        """One reserve; on success maybe confirm or release it. Returns a still-ACTIVE hold."""
        quantity = self.rng.randint(1, 4)
        if hot and self.available_hint is not None:
            quantity = max(1, min(quantity, self.available_hint))
        token = self.token()
        body = {"quantity": quantity, "reservation_minutes": self.hold_minutes}
        status, document = await self.call(
            client, "reserve", "POST", f"/api/v1/capacity/{section}/reserve", token, body
        )
        if status == 200 and isinstance(document, dict):
            self.seats_held += quantity
            reservation = document.get("reservation") or {}
            capacity = document.get("capacity") or {}
            if hot and isinstance(capacity.get("available_capacity"), int):
                self.available_hint = capacity["available_capacity"]
            reservation_id = reservation.get("id")
            if not reservation_id:
                return None
            draw = self.rng.random()
            if draw < self.confirm_share and self.more():
                await self.call(client, "confirm", "POST", f"/api/v1/reservations/{reservation_id}/confirm", token)
                return None
            if draw < self.confirm_share + self.release_share and self.more():
                await self.call(client, "release", "DELETE", f"/api/v1/reservations/{reservation_id}", token)
                return None
            return str(reservation_id), token
        if hot and isinstance(document, dict) and document.get("code") == INSUFFICIENT:
            available = _available_from(document)
            if available is not None:
                self.available_hint = available
                if available <= 0:
                    self.sold_out = True
        return None

    async def read(self, client: Client, op: str) -> None:
        token = self.token()
        if op == "get_event":
            await self.call(client, op, "GET", f"/api/v1/events/{self.rng.choice(self.events)}", token)
        elif op == "get_capacity":
            await self.call(client, op, "GET", f"/api/v1/events/{self.rng.choice(self.events)}/capacity", token)
        elif op == "list":
            await self.call(client, op, "GET", self.rng.choice(self.list_queries), token)
        elif op == "bare":
            await self.call(client, op, "GET", "/bare", None)
        else:
            raise ValueError(op)

    # --- one virtual client per scenario ------------------------------------------------------

    async def hot_client(self, client: Client) -> None:
        while self.more():
            await self.reserve(client, self.sections[0], hot=True)

    async def spread_client(self, client: Client) -> None:
        while self.more():
            await self.reserve(client, self.rng.choice(self.sections), hot=False)

    async def read_client(self, client: Client) -> None:
        ops = self.config["read_ops"]
        while self.more():
            await self.read(client, self.rng.choice(ops))

    async def mixed_client(self, client: Client) -> None:
        """80 % reads, 15 % reserve, 5 % confirm/release of this client's own holds."""
        holds: list[tuple[str, str]] = []
        while self.more():
            draw = self.rng.random()
            if draw < 0.80 or (draw >= 0.95 and not holds):
                await self.read(client, self.rng.choices(["get_event", "get_capacity", "list"], [50, 30, 20])[0])
            elif draw < 0.95:
                quantity = self.rng.randint(1, 4)
                token = self.token()
                section = self.rng.choice(self.sections)
                body = {"quantity": quantity, "reservation_minutes": self.hold_minutes}
                status, document = await self.call(
                    client, "reserve", "POST", f"/api/v1/capacity/{section}/reserve", token, body
                )
                if status == 200 and isinstance(document, dict):
                    self.seats_held += quantity
                    holds.append((str(document["reservation"]["id"]), token))
            else:
                reservation_id, token = holds.pop(self.rng.randrange(len(holds)))
                if self.rng.random() < 0.6:
                    await self.call(client, "confirm", "POST", f"/api/v1/reservations/{reservation_id}/confirm", token)
                else:
                    await self.call(client, "release", "DELETE", f"/api/v1/reservations/{reservation_id}", token)

    async def reports_client(self, client: Client) -> None:
        """One client, each report in turn: a warm-up call, then up to `repeats` timed calls."""
        repeats = int(self.config.get("repeats", 5))
        per_report_s = float(self.config.get("per_report_seconds", 30))
        token = self.tokens[0]
        for path in self.paths:
            await client.send("GET", path, token)  # warm-up (plans, caches), not timed
            stop = time.monotonic() + per_report_s
            for _ in range(repeats):
                if time.monotonic() > min(stop, self.deadline) or self.issued >= self.budget:
                    break
                await self.call(client, path, "GET", path, token)

    async def run(self) -> dict[str, Any]:
        scenario = self.config["scenario"]
        clients = max(1, int(self.config["clients"]))
        body: Callable[[Client], Awaitable[None]] = {
            "hot": self.hot_client,
            "spread": self.spread_client,
            "read": self.read_client,
            "mixed": self.mixed_client,
            "reports": self.reports_client,
        }[scenario]
        async with Client(self.config["base"], clients) as client:
            delay = float(self.config.get("start_at", 0)) - time.time()
            if delay > 0:
                await asyncio.sleep(min(delay, 10))
            started = time.monotonic()
            self.deadline = started + float(self.config["duration"])
            runners = [asyncio.ensure_future(body(client)) for _ in range(clients if scenario != "reports" else 1)]
            # In-flight requests finish within their own timeout after the deadline.
            await asyncio.wait_for(asyncio.gather(*runners), timeout=float(self.config["duration"]) + 60)
            ended = time.monotonic()
            kind = client.kind
        return {
            "client": kind,
            "elapsed": ended - started,
            "ops": {name: stats.as_dict() for name, stats in self.stats.items()},
            "seats_held": self.seats_held,
            "sold_out": self.sold_out,
        }


def _available_from(document: dict[str, Any]) -> int | None:
    for detail in document.get("details") or []:
        if isinstance(detail, dict) and isinstance(detail.get("available"), int):
            return int(detail["available"])
    return None


def main() -> None:
    config = json.loads(sys.stdin.read())
    try:
        import uvloop

        result = uvloop.run(Worker(config).run())
    except ImportError:
        result = asyncio.run(Worker(config).run())
    # A file, not stdout: the event loop may leave stdout non-blocking, which truncates large writes.
    with open(config["output"], "w") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
