"""The benchmark harness (issue 10): `python -m bench.run --profile full|smoke [--workers 2] [--scenarios a,b,c,d,e]`.

One run: a fresh database on TEST_DATABASE_URL / DATABASE_URL's server (default
postgresql://postgres@127.0.0.1:5432/postgres, else the embedded pgserver), migrated;
the ceilings (pgbench running the service's own reserve SQL on one hot row; a bare
FastAPI endpoint on the same server and worker count); `event-service serve --workers N`
on loopback; seeding; load from separate processes (bench/loadgen.py); the
invariants checked after every load point; docs/benchmarks.md and PNG plots under
docs/bench/ (or --out); the database dropped. Exit status 1 if an invariant broke.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

import asyncpg
import httpx
import jwt

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
JWT_SECRET = "bench-secret-" + "0123456789abcdef" * 3
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
SCENARIOS = ("a", "b", "c", "d", "e")
GENRES = ("rock", "jazz", "opera", "techno", "folk", "blues", "indie", "classical")
KINDS = ("festival", "concert", "night", "tour")


@dataclass(frozen=True)
class Profile:
    name: str
    levels: tuple[int, ...]  # concurrent clients of scenarios a-d and of the ceilings
    pgbench_extra: tuple[int, ...]  # further pgbench client counts (the 8-client peak)
    duration: float  # seconds per load point
    hot_duration: float  # scenario (a): until sold out or this bound
    hot_capacity: int
    spread_events: int
    spread_sections: int  # per event
    spread_section_size: int
    read_detail_level: int  # clients of the GET capacity / list points of (c)
    report_events: int
    report_reservations: int
    report_venues: int
    report_repeats: int
    per_report_seconds: float
    max_requests: int  # per load point
    client_processes: int
    users_per_process: int
    warmup: float


FULL = Profile(
    name="full",
    levels=(16, 64, 256),
    pgbench_extra=(8,),
    duration=15.0,
    hot_duration=30.0,
    hot_capacity=50_000,
    spread_events=100,
    spread_sections=10,
    spread_section_size=1_000,
    read_detail_level=64,
    report_events=10_000,
    report_reservations=1_000_000,
    report_venues=50,
    report_repeats=10,
    per_report_seconds=30.0,
    max_requests=1_000_000,
    client_processes=2,
    users_per_process=2_500,
    warmup=3.0,
)
SMOKE = Profile(
    name="smoke",
    levels=(8,),
    pgbench_extra=(),
    duration=1.5,
    hot_duration=3.0,
    hot_capacity=300,
    spread_events=2,
    spread_sections=5,
    spread_section_size=1_000,
    read_detail_level=8,
    report_events=50,
    report_reservations=2_000,
    report_venues=3,
    report_repeats=2,
    per_report_seconds=5.0,
    max_requests=20_000,
    client_processes=1,
    users_per_process=200,
    warmup=0.0,
)
PROFILES = {"full": FULL, "smoke": SMOKE}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def token(tenant: uuid.UUID, role: str, user: uuid.UUID | None = None) -> str:
    now = int(time.time())
    claims = {"sub": str(user or uuid.uuid4()), "tenant_id": str(tenant), "role": role, "iat": now, "exp": now + 7200}
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the PostgreSQL server ----------------------------------------------------------------------


@dataclass
class Server:
    """Where databases are created: host (or socket dir), port, user, password."""

    host: str
    port: int
    user: str
    password: str
    embedded: Any = None

    @classmethod
    def from_url(cls, url: str) -> Server:
        for prefix in ("postgresql+asyncpg://", "postgres://"):
            if url.startswith(prefix):
                url = "postgresql://" + url[len(prefix) :]
        parsed = urlparse(url)
        host = parsed.hostname or parse_qs(parsed.query).get("host", ["127.0.0.1"])[0]
        return cls(
            host=host, port=parsed.port or 5432, user=parsed.username or "postgres", password=parsed.password or ""
        )

    def url(self, database: str) -> str:
        auth = quote(self.user, safe="") + (":" + quote(self.password, safe="") if self.password else "")
        if self.host.startswith("/"):
            return f"postgresql://{auth}@/{database}?host={self.host}&port={self.port}"
        return f"postgresql://{auth}@{self.host}:{self.port}/{database}"

    async def connect(self, database: str) -> asyncpg.Connection:
        return await asyncpg.connect(
            host=self.host, port=self.port, user=self.user, password=self.password or None, database=database, timeout=5
        )

    def pgbench(self) -> str | None:
        found = shutil.which("pgbench")
        if found:
            return found
        try:
            import pgserver

            candidate = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pgbench"
            return str(candidate) if candidate.exists() else None
        except ImportError:
            return None


async def find_server() -> Server:
    configured = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_SERVER
    server = Server.from_url(configured)
    try:
        conn = await server.connect("postgres")
        await conn.close()
        log(f"PostgreSQL server {server.host}:{server.port}")
        return server
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        log(f"no server at {server.host}:{server.port} ({exc}); starting the embedded pgserver")
    from event_service.db.embedded import EmbeddedPostgres

    embedded = EmbeddedPostgres(ROOT / ".event-service" / "bench")
    url = embedded.start()
    server = Server.from_url(url)
    server.embedded = embedded
    return server


# --- the service and the bare endpoint ----------------------------------------------------------


def wait_healthy(base: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{base} did not start")
        time.sleep(0.1)


def service_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "OTEL_", "EVENT_BUS_", "DB_"))}
    env.pop("VENUE_SERVICE_URL", None)
    env.pop("AUTH_SERVICE_URL", None)
    env.update(
        {
            "DATABASE_URL": database_url,
            "JWT_SECRET": JWT_SECRET,
            "NODE_ENV": "production",
            "LOG_LEVEL": "warning",
            "AUTO_MIGRATE": "false",
            # The limiter stays in the path, with a bucket large enough not to refuse the load itself.
            "RATE_LIMIT_DEFAULT": "100000000/minute",
        }
    )
    return env


@contextmanager
def running(command: list[str], env: dict[str, str], port: int) -> Iterator[str]:
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def service_command(port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "event_service.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


def bare_command(port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.bare_app:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]


# --- load ---------------------------------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(q * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def summarise(latencies: list[float], elapsed: float, ok: int, insufficient: int, errors: int) -> dict[str, Any]:
    values = sorted(latencies)
    requests = ok + insufficient + errors
    return {
        "requests": requests,
        "rps": requests / elapsed if elapsed > 0 else 0.0,
        "ok": ok,
        "insufficient": insufficient,
        "errors": errors,
        "error_rate": errors / requests if requests else 0.0,
        "p50": percentile(values, 0.50),
        "p95": percentile(values, 0.95),
        "p99": percentile(values, 0.99),
    }


def drive(profile: Profile, base: str, scenario: str, clients: int, duration: float, **extra: Any) -> dict[str, Any]:
    """Run one load point from `profile.client_processes` separate processes; merge their answers."""
    processes = max(1, min(profile.client_processes, clients))
    shares = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    start_at = time.time() + 1.5
    children: list[subprocess.Popen[bytes]] = []
    scratch = tempfile.mkdtemp(prefix="bench-load-")
    for index, share in enumerate(shares):
        config = {
            "base": base,
            "scenario": scenario,
            "clients": share,
            "duration": duration,
            "max_requests": max(1, profile.max_requests // processes),
            "start_at": start_at,
            "seed": index + 1,
            "secret": JWT_SECRET,
            "users": profile.users_per_process,
            "output": f"{scratch}/{index}.json",
            **extra,
        }
        child = subprocess.Popen([sys.executable, "-m", "bench.loadgen"], cwd=ROOT, stdin=subprocess.PIPE)
        assert child.stdin is not None
        child.stdin.write(json.dumps(config).encode())
        child.stdin.close()
        children.append(child)
    answers = []
    try:
        for index, child in enumerate(children):
            try:
                child.wait(timeout=duration + 120)
            except subprocess.TimeoutExpired:
                child.kill()
                raise
            if child.returncode != 0:
                raise RuntimeError(f"load generator exited {child.returncode}")
            answers.append(json.loads(Path(f"{scratch}/{index}.json").read_text()))
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
        shutil.rmtree(scratch, ignore_errors=True)
    elapsed = max(answer["elapsed"] for answer in answers)
    merged: dict[str, dict[str, Any]] = {}
    for answer in answers:
        for op, stats in answer["ops"].items():
            target = merged.setdefault(
                op, {"lat": [], "ok": 0, "insufficient": 0, "errors": 0, "transport_errors": 0, "codes": {}}
            )
            target["lat"].extend(stats["lat"])
            for key in ("ok", "insufficient", "errors", "transport_errors"):
                target[key] += stats[key]
            for code, count in stats["codes"].items():
                target["codes"][code] = target["codes"].get(code, 0) + count
    everything = [x for stats in merged.values() for x in stats["lat"]]
    total = summarise(
        everything,
        elapsed,
        sum(s["ok"] for s in merged.values()),
        sum(s["insufficient"] for s in merged.values()),
        sum(s["errors"] for s in merged.values()),
    )
    seats = sum(answer["seats_held"] for answer in answers)
    return {
        **total,
        "scenario": scenario,
        "clients": clients,
        "elapsed": elapsed,
        "client_library": answers[0]["client"],
        "seats_held": seats,
        "seats_per_s": seats / elapsed if elapsed > 0 else 0.0,
        "sold_out": any(answer["sold_out"] for answer in answers),
        "transport_errors": sum(s["transport_errors"] for s in merged.values()),
        "codes": {code: n for s in merged.values() for code, n in s["codes"].items()},
        "ops": {op: summarise(s["lat"], elapsed, s["ok"], s["insufficient"], s["errors"]) for op, s in merged.items()},
    }


# --- pgbench ------------------------------------------------------------------------------------


def run_pgbench(
    server: Server, database: str, clients: int, seconds: float, variables: dict[str, str]
) -> dict[str, Any]:
    binary = server.pgbench()
    if binary is None:
        return {"clients": clients, "skipped": "pgbench not found"}
    with tempfile.TemporaryDirectory(prefix="bench-pgbench-") as logs:
        command = [
            binary,
            "-n",
            "-M",
            "prepared",
            "-c",
            str(clients),
            "-j",
            str(min(clients, os.cpu_count() or 2)),
            "-T",
            str(max(1, round(seconds))),
            "-f",
            str(BENCH / "reserve_ceiling.sql"),
            "-l",
            f"--log-prefix={logs}/tx",
            "-h",
            server.host,
            "-p",
            str(server.port),
            "-U",
            server.user,
        ]
        for name, value in variables.items():
            command += ["-D", f"{name}={value}"]
        command.append(database)
        env = {**os.environ, "PGPASSWORD": server.password} if server.password else dict(os.environ)
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120, env=env)
        latencies: list[float] = []
        for path in Path(logs).glob("tx*"):
            for line in path.read_text().splitlines():
                parts = line.split()
                if len(parts) >= 3 and parts[2].isdigit():
                    latencies.append(int(parts[2]) / 1000)
    tps = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", done.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    processed = re.search(r"number of transactions actually processed: (\d+)", done.stdout)
    if done.returncode != 0 or tps is None:
        return {"clients": clients, "skipped": f"pgbench failed: {(done.stderr or done.stdout)[-300:]}"}
    values = sorted(latencies)
    return {
        "clients": clients,
        "tps": float(tps.group(1)),
        "transactions": int(processed.group(1)) if processed else len(values),
        "failed": int(failed.group(1)) if failed else 0,
        "p50": percentile(values, 0.50),
        "p95": percentile(values, 0.95),
        "p99": percentile(values, 0.99),
        "aborted_clients": "aborted" in done.stderr,
    }


# --- seeding ------------------------------------------------------------------------------------


async def insert_venue(conn: asyncpg.Connection, tenant: uuid.UUID, name: str) -> uuid.UUID:
    slug = name.lower().replace(" ", "-")
    value = await conn.fetchval(
        "INSERT INTO venues (tenant_id, name, slug, max_capacity) VALUES ($1, $2, $3, 100000000) RETURNING id",
        tenant,
        name,
        slug,
    )
    return uuid.UUID(str(value))


async def ceiling_section(conn: asyncpg.Connection, tenant: uuid.UUID, venue: uuid.UUID, n: int) -> dict[str, str]:
    """A hot row for pgbench, inserted directly: an event and one section that never sells out."""
    event = await conn.fetchval(
        "INSERT INTO events (tenant_id, venue_id, name, slug, status) VALUES ($1, $2, $3, $4, 'ON_SALE') RETURNING id",
        tenant,
        venue,
        f"pgbench ceiling {n}",
        f"pgbench-ceiling-{n}",
    )
    section = await conn.fetchval(
        "INSERT INTO event_capacity (tenant_id, event_id, section_name, total_capacity) "
        "VALUES ($1, $2, 'Hot row', 100000000) RETURNING id",
        tenant,
        event,
    )
    return {"tenant": str(tenant), "event": str(event), "capacity": str(section)}


class Api:
    """Seeding through the service's own API, as an admin of the benchmark tenant."""

    def __init__(self, base: str, tenant: uuid.UUID) -> None:
        self.http = httpx.Client(
            base_url=base, timeout=60, headers={"Authorization": f"Bearer {token(tenant, 'admin')}"}
        )

    def call(self, method: str, path: str, body: Any = None) -> Any:
        answer = self.http.request(method, path, json=body)
        if answer.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.text[:300]}")
        return answer.json() if answer.content else None

    def event(self, venue: uuid.UUID, name: str, capacity: int | None = None, tags: list[str] | None = None) -> str:
        body: dict[str, Any] = {
            "name": name,
            "venue_id": str(venue),
            "status": "PUBLISHED",
            "visibility": "PUBLIC",
            "starts_at": (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "short_description": f"{name}: benchmark event",
            "tags": tags or [],
        }
        if capacity is not None:
            body["capacity"] = capacity
        event_id = str(self.call("POST", "/api/v1/events", body)["event"]["id"])
        self.call("PUT", f"/api/v1/events/{event_id}", {"status": "ON_SALE"})
        return event_id

    def sections(self, event_id: str) -> list[str]:
        answer = self.call("GET", f"/api/v1/events/{event_id}/capacity")["capacity"]
        items = answer if isinstance(answer, list) else answer.get("sections", [])
        return [str(item["id"]) for item in items]

    def add_section(self, event_id: str, name: str, size: int) -> str:
        body = {"section_name": name, "total_capacity": size}
        answer = self.call("POST", f"/api/v1/events/{event_id}/capacity", body)
        return str((answer.get("capacity") or answer)["id"])

    def paths(self) -> set[str]:
        return set(self.http.get("/openapi.json").json().get("paths", {}))


def event_name(i: int) -> tuple[str, list[str]]:
    genre, kind = GENRES[i % len(GENRES)], KINDS[(i // len(GENRES)) % len(KINDS)]
    return f"{genre.title()} {kind} {i}", [genre, kind]


async def seed_reports(conn: asyncpg.Connection, tenant: uuid.UUID, profile: Profile) -> dict[str, Any]:
    """Scenario (e)'s data set, set-based SQL straight into the tables (not through the API).

    Events with one section each; reservations spread over them, 85 % CONFIRMED (confirmed
    over the last year), 10 % RELEASED, 5 % EXPIRED, 50,000 customers; each section's
    sold_count then set to its ledger's CONFIRMED sum, so the invariants hold on this data too.
    """
    started = time.monotonic()
    venues = profile.report_venues
    await conn.execute(
        "INSERT INTO venues (tenant_id, name, slug, max_capacity) "
        "SELECT $1, 'Report venue ' || g, 'report-venue-' || g, 100000000 FROM generate_series(1, $2) g",
        tenant,
        venues,
    )
    await conn.execute(
        """
        INSERT INTO events (tenant_id, venue_id, name, slug, status, tags, created_at)
        SELECT $1, v.ids[1 + g % $3], 'Report event ' || g, 'report-event-' || g,
               CASE WHEN g % 10 = 0 THEN 'COMPLETED' ELSE 'ON_SALE' END,
               ARRAY['report', 'genre' || (g % 8)], now() - (g % 400) * interval '1 day'
          FROM generate_series(1, $2) g,
               (SELECT array_agg(id ORDER BY name) AS ids FROM venues WHERE tenant_id = $1) v
        """,
        tenant,
        profile.report_events,
        venues,
    )
    await conn.execute(
        "INSERT INTO event_capacity (tenant_id, event_id, section_name, total_capacity) "
        "SELECT $1, id, 'Main', 100000 FROM events WHERE tenant_id = $1",
        tenant,
    )
    await conn.execute(
        "CREATE TEMP TABLE bench_sections AS SELECT (row_number() OVER (ORDER BY id)) - 1 AS n, id, event_id "
        "FROM event_capacity WHERE tenant_id = $1",
        tenant,
    )
    await conn.execute("CREATE INDEX ON bench_sections (n)")
    await conn.execute("ANALYZE bench_sections")
    sections = profile.report_events
    await conn.execute(
        """
        INSERT INTO capacity_reservations
               (tenant_id, capacity_id, event_id, user_id, quantity, status, expires_at,
                unit_price, total_amount, currency, confirmed_at, released_at, created_at)
        SELECT $1, s.id, s.event_id, md5('customer' || (g % 50000))::uuid, 1 + g % 4, st.status,
               t.at + interval '15 minutes',
               50.00 + (g % 7) * 10, (50.00 + (g % 7) * 10) * (1 + g % 4) * 1.10, 'USD',
               CASE WHEN st.status = 'CONFIRMED' THEN t.at + interval '5 minutes' END,
               CASE WHEN st.status <> 'CONFIRMED' THEN t.at + interval '15 minutes' END,
               t.at
          FROM generate_series(0, $2 - 1) g
          JOIN bench_sections s ON s.n = g % $3
          CROSS JOIN LATERAL (SELECT now() - ((g::bigint * 7919) % 525600) * interval '1 minute' AS at) t
          CROSS JOIN LATERAL (SELECT CASE WHEN g % 20 < 17 THEN 'CONFIRMED'
                                          WHEN g % 20 < 19 THEN 'RELEASED' ELSE 'EXPIRED' END AS status) st
        """,
        tenant,
        profile.report_reservations,
        sections,
    )
    await conn.execute(
        """
        UPDATE event_capacity c SET sold_count = l.sold
          FROM (SELECT capacity_id, sum(quantity) AS sold FROM capacity_reservations
                 WHERE tenant_id = $1 AND status = 'CONFIRMED' GROUP BY capacity_id) l
         WHERE c.id = l.capacity_id AND c.tenant_id = $1
        """,
        tenant,
    )
    for table in ("venues", "events", "event_capacity", "capacity_reservations"):
        await conn.execute(f"ANALYZE {table}")
    venue = await conn.fetchval("SELECT id FROM venues WHERE tenant_id = $1 ORDER BY name LIMIT 1", tenant)
    return {
        "seconds": time.monotonic() - started,
        "events": profile.report_events,
        "venues": venues,
        "reservations": profile.report_reservations,
        "venue": str(venue),
        "customer": str(await conn.fetchval("SELECT md5('customer1')::uuid")),
    }


# --- invariants ---------------------------------------------------------------------------------

_INVARIANTS = """
SELECT count(*) AS sections,
       count(*) FILTER (WHERE c.available_capacity < 0) AS oversold,
       count(*) FILTER (WHERE c.reserved_capacity < 0 OR c.sold_count < 0 OR c.pending_count < 0
                          OR c.buffer_capacity < 0 OR c.total_capacity < 0) AS negative,
       count(*) FILTER (WHERE c.reserved_capacity <> coalesce(l.active, 0)
                          OR c.sold_count <> coalesce(l.confirmed, 0)) AS drift
  FROM event_capacity c
  LEFT JOIN (SELECT capacity_id,
                    sum(quantity) FILTER (WHERE status = 'ACTIVE') AS active,
                    sum(quantity) FILTER (WHERE status = 'CONFIRMED') AS confirmed
               FROM capacity_reservations GROUP BY capacity_id) l ON l.capacity_id = c.id
"""


async def check_invariants(conn: asyncpg.Connection) -> dict[str, Any]:
    row = dict(await conn.fetchrow(_INVARIANTS))
    row["bad_quantity"] = await conn.fetchval("SELECT count(*) FROM capacity_reservations WHERE quantity <= 0")
    row["ok"] = row["oversold"] == 0 and row["negative"] == 0 and row["drift"] == 0 and row["bad_quantity"] == 0
    return row


async def ledger_counts(conn: asyncpg.Connection, tenant: uuid.UUID) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT status, count(*) AS n FROM capacity_reservations WHERE tenant_id = $1 GROUP BY status", tenant
    )
    return {row["status"]: int(row["n"]) for row in rows}


def ledger_matches(before: dict[str, int], after: dict[str, int], point: dict[str, Any]) -> dict[str, Any]:
    """Every reserve/confirm/release the clients saw succeed is one ledger row change, and no more
    (a client-side timeout may hide a committed change: that many are tolerated)."""
    ops = point["ops"]
    delta = {status: after.get(status, 0) - before.get(status, 0) for status in set(before) | set(after)}
    rows = sum(delta.values())
    expected = {
        "rows": ops.get("reserve", {}).get("ok", 0),
        "CONFIRMED": ops.get("confirm", {}).get("ok", 0),
        "RELEASED": ops.get("release", {}).get("ok", 0),
    }
    seen = {"rows": rows, "CONFIRMED": delta.get("CONFIRMED", 0), "RELEASED": delta.get("RELEASED", 0)}
    slack = point.get("transport_errors", 0)
    ok = all(0 <= seen[k] - expected[k] <= slack for k in expected)
    return {"ok": ok, "expected": expected, "ledger": seen}


# --- the run ------------------------------------------------------------------------------------


@dataclass
class Results:
    profile: str
    workers: int
    started: str
    machine: dict[str, Any] = field(default_factory=dict)
    pgbench: list[dict[str, Any]] = field(default_factory=list)
    bare: list[dict[str, Any]] = field(default_factory=list)
    points: list[dict[str, Any]] = field(default_factory=list)
    reports: dict[str, Any] = field(default_factory=dict)
    invariants: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def invariants_ok(self) -> bool:
        return all(check["ok"] for check in self.invariants)


def host_cpu_and_memory() -> tuple[str, str]:
    memory = ""
    cpu = platform.processor()
    try:
        meminfo = Path("/proc/meminfo").read_text()
        kb = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1))  # type: ignore[union-attr]
        memory = f"{kb / 1024 / 1024:.1f} GiB"
        model = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        cpu = model.group(1).strip() if model else cpu
    except (OSError, AttributeError):
        pass
    return cpu, memory


async def machine_info(conn: asyncpg.Connection) -> dict[str, Any]:
    settings = {}
    for name in (
        "server_version",
        "synchronous_commit",
        "fsync",
        "full_page_writes",
        "wal_level",
        "shared_buffers",
        "work_mem",
        "max_connections",
        "commit_delay",
        "checkpoint_timeout",
        "max_wal_size",
        "jit",
        "default_transaction_isolation",
    ):
        settings[name] = await conn.fetchval(f"SHOW {name}")
    cpu, memory = host_cpu_and_memory()
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "loadavg_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "postgres": settings,
    }


async def connections_free(conn: asyncpg.Connection) -> int:
    limit = int(await conn.fetchval("SHOW max_connections"))
    reserved = int(await conn.fetchval("SHOW superuser_reserved_connections"))
    used = int(await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"))
    return limit - reserved - used - 6


async def bench(args: argparse.Namespace) -> Results:
    profile = PROFILES[args.profile]
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown:
        raise SystemExit(f"unknown scenarios: {sorted(unknown)}")
    results = Results(
        profile=profile.name, workers=args.workers, started=datetime.now(UTC).isoformat(timespec="seconds")
    )
    results.commands.append(" ".join(["python -m bench.run", *sys.argv[1:]]))
    began = time.monotonic()
    server = await find_server()
    database = f"es_bench_{uuid.uuid4().hex[:10]}"
    admin = await server.connect("postgres")
    await admin.execute(f'CREATE DATABASE "{database}"')
    await admin.close()
    try:
        await run_all(server, database, profile, scenarios, args.workers, results)
    finally:
        admin = await server.connect("postgres")
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()
        if server.embedded is not None:
            server.embedded.stop()
    results.seconds = time.monotonic() - began
    return results


async def migrate(url: str) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    from event_service.db import migrate as migrations
    from event_service.settings import to_asyncpg_url

    engine = create_async_engine(to_asyncpg_url(url))
    try:
        await migrations.upgrade(engine)
    finally:
        await engine.dispose()


async def run_all(
    server: Server, database: str, profile: Profile, scenarios: list[str], workers: int, results: Results
) -> None:
    url = server.url(database)
    log(f"database {database}: migrating")
    await migrate(url)
    conn = await server.connect(database)
    try:
        results.machine = await machine_info(conn)
        tenant = uuid.uuid4()
        venue = await insert_venue(conn, tenant, "Bench Arena")

        async def check(label: str) -> dict[str, Any]:
            verdict = {"after": label, **await check_invariants(conn)}
            results.invariants.append(verdict)
            if not verdict["ok"]:
                log(f"INVARIANT BROKEN after {label}: {verdict}")
            return verdict

        # 1. ceiling: pgbench on the reserve SQL, one hot row, before the service holds connections.
        if "a" in scenarios or "b" in scenarios:
            for n, clients in enumerate(sorted(set(profile.levels) | set(profile.pgbench_extra))):
                free = await connections_free(conn)
                effective = min(clients, free)
                variables = await ceiling_section(conn, tenant, venue, n)
                log(f"pgbench ceiling: {effective} clients")
                outcome = run_pgbench(server, database, effective, profile.duration, variables)
                outcome["requested_clients"] = clients
                if effective < clients:
                    outcome["capped"] = f"max_connections left {free} free connections"
                results.pgbench.append(outcome)
            await check("pgbench ceilings")

        # 2. ceiling: the bare endpoint, same framework, server and worker count.
        if "c" in scenarios or "d" in scenarios:
            port = free_port()
            with running(bare_command(port, workers), service_env(url), port) as base:
                for clients in profile.levels:
                    log(f"bare endpoint: {clients} clients")
                    point = drive(
                        profile, base, "read", clients, profile.duration, read_ops=["bare"], tenant=str(tenant)
                    )
                    results.bare.append(point)

        # 3. the service.
        port = free_port()
        with running(service_command(port, workers), service_env(url), port) as base:
            api = Api(base, tenant)
            common = {"tenant": str(tenant)}
            spread_events: list[str] = []
            spread_sections: list[str] = []
            if {"b", "c", "d"} & set(scenarios):
                log(f"seeding {profile.spread_events} events x {profile.spread_sections} sections through the API")

                def one_event(i: int) -> tuple[str, list[str]]:
                    name, tags = event_name(i)
                    event_id = api.event(venue, name, tags=tags)
                    ids = [
                        api.add_section(event_id, f"Section {j}", profile.spread_section_size)
                        for j in range(profile.spread_sections)
                    ]
                    return event_id, ids

                with concurrent.futures.ThreadPoolExecutor(8) as pool:
                    for event_id, ids in pool.map(one_event, range(profile.spread_events)):
                        spread_events.append(event_id)
                        spread_sections.extend(ids)
            list_queries = [f"/api/v1/events?status=ON_SALE&q={genre}&limit=20" for genre in GENRES[:4]] + [
                "/api/v1/events?status=ON_SALE,SOLD_OUT&limit=20",
                "/api/v1/events?q=rock%20festival&sort=relevance&limit=10",
                f"/api/v1/events?venue_id={venue}&status=ON_SALE&sort=starts_at&limit=20",
            ]
            reads = {"events": spread_events, "list_queries": list_queries, **common}
            if profile.warmup and spread_sections:
                log("warm-up (not measured)")
                drive(profile, base, "mixed", 16, profile.warmup, sections=spread_sections, **reads)

            # (a) hot on-sale: a fresh section of hot_capacity per client count.
            if "a" in scenarios:
                for clients in profile.levels:
                    name, tags = event_name(10_000 + clients)
                    event_id = api.event(venue, f"On-sale {clients} {name}", capacity=profile.hot_capacity, tags=tags)
                    section = api.sections(event_id)[0]
                    before = await ledger_counts(conn, tenant)
                    log(f"(a) hot on-sale: {clients} clients on {profile.hot_capacity} seats")
                    point = drive(
                        profile,
                        base,
                        "hot",
                        clients,
                        profile.hot_duration,
                        sections=[section],
                        confirm_share=0.3,
                        release_share=0.1,
                        **common,
                    )
                    point["label"] = "a"
                    point["ledger"] = ledger_matches(before, await ledger_counts(conn, tenant), point)
                    left = await conn.fetchval(
                        "SELECT available_capacity FROM event_capacity WHERE id = $1", uuid.UUID(section)
                    )
                    point["available_left"] = left
                    results.points.append(point)
                    verdict = await check(f"(a) {clients} clients")
                    verdict["ledger_vs_clients"] = point["ledger"]
                    verdict["ok"] = verdict["ok"] and point["ledger"]["ok"]

            # (b) spread: 1,000 sections in 100 events.
            if "b" in scenarios:
                for clients in profile.levels:
                    before = await ledger_counts(conn, tenant)
                    log(f"(b) spread: {clients} clients over {len(spread_sections)} sections")
                    point = drive(
                        profile,
                        base,
                        "spread",
                        clients,
                        profile.duration,
                        sections=spread_sections,
                        confirm_share=0.3,
                        release_share=0.1,
                        **common,
                    )
                    point["label"] = "b"
                    point["ledger"] = ledger_matches(before, await ledger_counts(conn, tenant), point)
                    results.points.append(point)
                    verdict = await check(f"(b) {clients} clients")
                    verdict["ok"] = verdict["ok"] and point["ledger"]["ok"]

            # (c) read path: GET event at every level; GET capacity and the list at one level.
            if "c" in scenarios:
                for clients in profile.levels:
                    log(f"(c) GET event: {clients} clients")
                    point = drive(profile, base, "read", clients, profile.duration, read_ops=["get_event"], **reads)
                    point["label"] = "c"
                    results.points.append(point)
                for op in ("get_capacity", "list"):
                    clients = profile.read_detail_level
                    log(f"(c) {op}: {clients} clients")
                    point = drive(profile, base, "read", clients, profile.duration, read_ops=[op], **reads)
                    point["label"] = f"c:{op}"
                    results.points.append(point)

            # (d) mixed: 80 % reads, 15 % reserve, 5 % confirm/release.
            if "d" in scenarios:
                for clients in profile.levels:
                    before = await ledger_counts(conn, tenant)
                    log(f"(d) mixed: {clients} clients")
                    point = drive(profile, base, "mixed", clients, profile.duration, sections=spread_sections, **reads)
                    point["label"] = "d"
                    point["ledger"] = ledger_matches(before, await ledger_counts(conn, tenant), point)
                    results.points.append(point)
                    verdict = await check(f"(d) {clients} clients")
                    verdict["ok"] = verdict["ok"] and point["ledger"]["ok"]

            # (e) reports on a large data set in a tenant of its own.
            if "e" in scenarios:
                try:
                    await run_reports(conn, api, base, profile, results, check)
                except Exception as exc:  # keep the figures of a-d; the run still fails (exit 1)
                    log(f"(e) failed: {exc!r}")
                    results.reports = {"skipped": f"the harness failed: {exc!r}"}
                    results.invariants.append(
                        {
                            "after": "(e) harness error",
                            "ok": False,
                            "sections": "-",
                            "oversold": "-",
                            "negative": "-",
                            "drift": "-",
                        }
                    )
    finally:
        await conn.close()


async def run_reports(
    conn: asyncpg.Connection, api: Api, base: str, profile: Profile, results: Results, check: Any
) -> None:
    paths = api.paths()
    wanted = {
        "sales": "/api/v1/reports/sales",
        "venue-comparison": "/api/v1/reports/venue-comparison",
        "customer-insights": "/api/v1/reports/customer-insights",
        "venue dashboard": "/api/v1/venues/{venue_id}/dashboard",
        "venue analytics": "/api/v1/venues/{venue_id}/analytics",
        "customer profile": "/api/v1/customers/{customer_id}/profile",
    }
    present = {name: path for name, path in wanted.items() if path in paths}
    if not present:
        results.reports = {"skipped": "the reports endpoints are not in this build (GET /openapi.json lists none)"}
        results.notes.append("(e) skipped: no reports endpoints yet.")
        return
    tenant = uuid.uuid4()
    log(f"(e) seeding {profile.report_events} events and {profile.report_reservations} reservations with SQL")
    seed = await seed_reports(conn, tenant, profile)
    log(f"(e) seeded in {seed['seconds']:.1f} s")
    await check("(e) seed")
    concrete = {
        name: path.replace("{venue_id}", seed["venue"]).replace("{customer_id}", seed["customer"])
        for name, path in present.items()
    }
    point = drive(
        profile,
        base,
        "reports",
        1,
        profile.per_report_seconds * len(concrete) + 30,
        paths=list(concrete.values()),
        repeats=profile.report_repeats,
        per_report_seconds=profile.per_report_seconds,
        role="admin",
        users=1,
        tenant=str(tenant),
    )
    by_path = {path: name for name, path in concrete.items()}
    results.reports = {
        "seed": seed,
        "missing": sorted(set(wanted) - set(present)),
        "reports": {by_path[path]: {**stats, "path": path} for path, stats in point["ops"].items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="full")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="any of a,b,c,d,e")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="writes OUT/benchmarks.md and OUT/bench/*.png")
    parser.add_argument("--note", default="", help="a sentence put at the top of the document (e.g. a busy machine)")
    args = parser.parse_args(argv)
    results = asyncio.run(bench(args))
    from bench.report import write

    out: Path = args.out
    (out / "bench").mkdir(parents=True, exist_ok=True)
    (out / "bench" / "results.json").write_text(json.dumps(asdict(results), indent=1, default=str))
    document = write(results, out, profile=PROFILES[args.profile], note=args.note)
    log(f"wrote {document} in {results.seconds:.0f} s; invariants {'hold' if results.invariants_ok else 'BROKEN'}")
    return 0 if results.invariants_ok else 1


if __name__ == "__main__":
    sys.exit(main())
