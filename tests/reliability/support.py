"""Reliability helpers: real server processes we can kill, a reservation storm from
several OS processes, private Redis and PostgreSQL servers we may stop, and the
ledger invariants checked after every fault."""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support import TEST_JWT_SECRET, auth, free_port

SOAK = os.environ.get("RELIABILITY_PROFILE") == "soak"
STORM_SECONDS = float(os.environ.get("RELIABILITY_STORM_SECONDS", "45" if SOAK else "6"))
STORM_PROCESSES = int(os.environ.get("RELIABILITY_STORM_PROCESSES", "6" if SOAK else "3"))

# Figures of this run, printed at the end of the session (docs/reliability.md quotes them).
FIGURES: dict[str, int] = {"requests": 0, "faults_injected": 0, "invariant_checks": 0, "reservations_lost": 0}


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


def start_server(database_url: str, **env: str) -> Server:
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "JWT_SECRET": TEST_JWT_SECRET,
        "LOG_LEVEL": "error",
        "AUTO_MIGRATE": "false",
        "RATE_LIMIT_ENABLED": "false",
        **env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "event_service.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Server(f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + 40
    while True:
        try:
            if httpx.get(f"{server.base}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop_server(server)
            raise RuntimeError("event-service did not start")
        time.sleep(0.1)


def stop_server(server: Server) -> None:
    if server.alive:
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=5)


@contextmanager
def servers(database_url: str, count: int, **env: str) -> Iterator[list[Server]]:
    started: list[Server] = []
    try:
        for _ in range(count):
            started.append(start_server(database_url, **env))
        yield started
    finally:
        for server in started:
            stop_server(server)


def arrange_sections(base: str, tenant: uuid.UUID, sections: int = 3, capacity: int = 60) -> list[str]:
    """A venue, an event and `sections` sections, through the API; returns the section ids."""
    headers = auth(tenant, "admin", uuid.uuid4())
    now = time.time()
    iso = lambda seconds: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + seconds))  # noqa: E731
    with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
        venue = http.post("/api/v1/venues", json={"name": "Storm Arena", "max_capacity": 100_000}).json()["venue"]
        event = http.post(
            "/api/v1/events",
            json={
                "name": f"Storm {uuid.uuid4().hex[:6]}",
                "venue_id": venue["id"],
                "starts_at": iso(86400 * 20),
                "ends_at": iso(86400 * 20 + 7200),
            },
        ).json()["event"]
        ids = []
        for n in range(sections):
            response = http.post(
                f"/api/v1/events/{event['id']}/capacity", json={"section_name": f"S{n}", "total_capacity": capacity}
            )
            assert response.status_code == 201, response.text
            ids.append(response.json()["capacity"]["id"])
    return ids


@dataclass
class StormResult:
    statuses: dict[int, int] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)
    confirmed: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)
    connection_errors: int = 0

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + self.connection_errors

    def merge(self, other: StormResult) -> None:
        for status, count in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count
        self.created += other.created
        self.confirmed += other.confirmed
        self.released += other.released
        self.connection_errors += other.connection_errors


def _storm_worker(bases: list[str], sections: list[str], tenant: str, seconds: float, seed: int, out: Any) -> None:
    rng = random.Random(seed)
    result = StormResult()
    deadline = time.monotonic() + seconds
    clients = {base: httpx.Client(base_url=base, timeout=10) for base in bases}

    def call(method: str, path: str, **kwargs: Any) -> httpx.Response | None:
        for base in rng.sample(bases, len(bases)):  # a dead instance: the next one takes the call
            try:
                response = clients[base].request(method, path, **kwargs)
            except httpx.TransportError:
                result.connection_errors += 1
                continue
            result.statuses[response.status_code] = result.statuses.get(response.status_code, 0) + 1
            return response
        time.sleep(0.05)
        return None

    while time.monotonic() < deadline:
        headers = auth(tenant, "admin", uuid.uuid4())
        section = rng.choice(sections)
        response = call(
            "POST", f"/api/v1/capacity/{section}/reserve", headers=headers, json={"quantity": rng.randint(1, 3)}
        )
        if response is None or response.status_code != 200:
            continue
        reservation = response.json()["reservation"]["id"]
        result.created.append(reservation)
        roll = rng.random()
        if roll < 0.4:
            done = call("POST", f"/api/v1/reservations/{reservation}/confirm", headers=headers)
            if done is not None and done.status_code == 200:
                result.confirmed.append(reservation)
        elif roll < 0.8:
            done = call("DELETE", f"/api/v1/reservations/{reservation}", headers=headers)
            if done is not None and done.status_code == 200:
                result.released.append(reservation)
    out.put(result)


def storm(bases: list[str], sections: list[str], tenant: uuid.UUID, seconds: float = STORM_SECONDS) -> StormResult:
    """Reserve, confirm and release from STORM_PROCESSES OS processes for `seconds`."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [
        context.Process(target=_storm_worker, args=(bases, sections, str(tenant), seconds, n, queue))
        for n in range(STORM_PROCESSES)
    ]
    for worker in workers:
        worker.start()
    total = StormResult()
    for _ in workers:
        total.merge(queue.get(timeout=seconds + 120))
    for worker in workers:
        worker.join(timeout=30)
    FIGURES["requests"] += total.requests
    return total


async def check_ledger(database_url: str, tenant: uuid.UUID, result: StormResult | None = None) -> dict[str, int]:
    """Counters equal the ledger, nothing negative, every acknowledged reservation is in the database."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            drift = (
                await conn.execute(
                    text(
                        """
                        SELECT c.id, c.reserved_capacity, c.sold_count, c.available_capacity,
                               coalesce(sum(r.quantity) FILTER (WHERE r.status = 'ACTIVE'), 0) AS active,
                               coalesce(sum(r.quantity) FILTER (WHERE r.status = 'CONFIRMED'), 0) AS confirmed
                          FROM event_capacity c
                          LEFT JOIN capacity_reservations r ON r.capacity_id = c.id
                         WHERE c.tenant_id = :tenant
                         GROUP BY c.id
                        HAVING c.reserved_capacity <> coalesce(sum(r.quantity) FILTER (WHERE r.status = 'ACTIVE'), 0)
                            OR c.sold_count <> coalesce(sum(r.quantity) FILTER (WHERE r.status = 'CONFIRMED'), 0)
                            OR c.available_capacity < 0 OR c.reserved_capacity < 0 OR c.sold_count < 0
                        """
                    ),
                    {"tenant": tenant},
                )
            ).all()
            rows = (
                await conn.execute(
                    text("SELECT id::text, status FROM capacity_reservations WHERE tenant_id = :tenant"),
                    {"tenant": tenant},
                )
            ).all()
    finally:
        await engine.dispose()
    FIGURES["invariant_checks"] += 1
    assert drift == [], f"counters differ from the ledger: {drift}"
    status = {row[0]: row[1] for row in rows}
    if result is not None:
        lost = [r for r in result.created if r not in status]
        lost += [r for r in result.confirmed if status.get(r) != "CONFIRMED"]
        lost += [r for r in result.released if status.get(r) != "RELEASED"]
        FIGURES["reservations_lost"] += len(lost)
        assert lost == [], f"acknowledged reservations lost or changed: {lost[:10]}"
    counts: dict[str, int] = {}
    for value in status.values():
        counts[value] = counts.get(value, 0) + 1
    return counts


@contextmanager
def private_redis() -> Iterator[tuple[int, Any, Any]]:
    """Our own redis-server on a free port; yields (port, stop(), start())."""
    port = free_port()
    binary = shutil.which("redis-server") or "redis-server"
    holder: dict[str, subprocess.Popen[bytes]] = {}

    def start() -> None:
        holder["p"] = subprocess.Popen(
            [binary, "--port", str(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                import socket

                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop() -> None:
        process = holder.get("p")
        if process is not None and process.poll() is None:
            process.terminate()
            process.wait(timeout=10)

    start()
    try:
        yield port, stop, start
    finally:
        stop()


@contextmanager
def private_postgres() -> Iterator[tuple[str, Any, Any]]:
    """Our own PostgreSQL (pgserver's binaries) in a temp dir; yields (asyncpg url, stop(), start())."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
        from pgserver._commands import pg_ctl

    from event_service.db.embedded import asyncpg_url_from_pgserver

    directory = Path(tempfile.mkdtemp(prefix="es-reliability-pg-"))
    os.chmod(directory, 0o777)  # pgserver runs postgres as its own OS user when we are root
    server = pgserver.get_server(directory / "pgdata", cleanup_mode="delete")
    url = asyncpg_url_from_pgserver(server.get_uri())

    def stop() -> None:
        pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=server.pgdata, user=server.system_user)

    def start() -> None:
        server.ensure_postgres_running()

    try:
        yield url, stop, start
    finally:
        try:
            server.ensure_postgres_running()
        finally:
            server.cleanup()
            shutil.rmtree(directory, ignore_errors=True)
