"""Helpers for the operations tests: apps with other settings, a Redis we may kill, a server we may signal."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from event_service.app import create_app
from tests.conftest import make_settings
from tests.support import free_port

SHARED_REDIS = "redis://127.0.0.1:6379/0"


def unique_prefix() -> str:
    return f"es-test-{uuid.uuid4().hex[:10]}:"


@asynccontextmanager
async def running_app(database_url: str, **overrides: Any) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """An app with its own settings and lifespan, and a client on it."""
    app = create_app(make_settings(database_url, **overrides))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield app, client


class RedisProcess:
    """A redis-server of our own (never the shared one), to stop and start mid-test."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or "redis-server"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=5)
            self.process = None


@contextmanager
def own_redis() -> Iterator[RedisProcess]:
    redis = RedisProcess()
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()
