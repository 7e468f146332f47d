"""Test helpers: tokens, a real server process, and small shortcuts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from event_service.platform.auth import mint_token

TEST_JWT_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"


def token(
    tenant_id: uuid.UUID | str,
    role: str = "admin",
    user_id: uuid.UUID | str | None = None,
    lifetime: int = 600,
) -> str:
    return mint_token(
        TEST_JWT_SECRET,
        tenant_id=str(tenant_id),
        user_id=str(user_id or uuid.uuid4()),
        role=role,
        lifetime_seconds=lifetime,
    )


def auth(tenant_id: uuid.UUID | str, role: str = "admin", user_id: uuid.UUID | str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(tenant_id, role, user_id)}"}


@dataclass
class Tenant:
    """A fresh tenant per test, so tests never see each other's rows."""

    id: uuid.UUID
    admin_user: uuid.UUID

    def headers(self, role: str = "admin", user_id: uuid.UUID | str | None = None) -> dict[str, str]:
        return auth(self.id, role, user_id or (self.admin_user if role == "admin" else None))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server_process(database_url: str, workers: int = 1, **env: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A real `event-service serve` process on loopback; yields its base URL and the process (to signal it)."""
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "JWT_SECRET": TEST_JWT_SECRET,
        "LOG_LEVEL": "warning",
        "AUTO_MIGRATE": "false",
        # Several servers share one PostgreSQL (max_connections 100) in a test run.
        "DB_POOL_MIN": "1",
        "DB_POOL_MAX": "6",
        **env,
    }
    if "PROMETHEUS_MULTIPROC_DIR" not in env:
        environment.pop("PROMETHEUS_MULTIPROC_DIR", None)  # serve makes its own for several workers
    command = [sys.executable, "-m", "event_service.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen([*command, "--workers", str(workers)], env=environment, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("event-service did not start")
            time.sleep(0.1)
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def live_server(database_url: str, workers: int = 1, **env: str) -> Iterator[str]:
    """A real `event-service serve` process on loopback; yields its base URL."""
    with server_process(database_url, workers, **env) as (base, _):
        yield base
