"""With no local key and AUTH_SERVICE_URL set, tokens are verified by the auth service."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from event_service.app import create_app
from tests.conftest import make_settings

TENANT = str(uuid.uuid4())
USERS = {"good-token": {"sub": "remote-user", "tenant_id": TENANT, "role": "organizer"}}


@contextmanager
def auth_service() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP auth service: GET /auth/verify answers {"user": claims} for known tokens, else 401."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            bearer = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
            seen.append(bearer)
            user = USERS.get(bearer) if self.path == "/auth/verify" else None
            status, payload = (200, {"user": user}) if user else (401, {"error": "invalid"})
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


async def test_tokens_are_verified_by_the_auth_service_when_no_key_is_configured(database_url: str) -> None:
    with auth_service() as (url, seen):
        app = create_app(make_settings(database_url, jwt_secret=None, node_env="production", auth_service_url=url))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                good = await http.get("/api/v1/me", headers={"Authorization": "Bearer good-token"})
                assert good.status_code == 200, good.text
                assert good.json() == {"tenant_id": TENANT, "user_id": "remote-user", "roles": ["organizer"]}
                bad = await http.get("/api/v1/me", headers={"Authorization": "Bearer forged"})
                assert bad.status_code == 401
                assert bad.json()["code"] == "UNAUTHORIZED"
    assert seen == ["good-token", "forged"]


async def test_an_unreachable_auth_service_is_unauthorized_not_a_crash(database_url: str) -> None:
    with auth_service() as (url, _):
        pass  # the server is gone: its port refuses connections
    app = create_app(make_settings(database_url, jwt_secret=None, node_env="production", auth_service_url=url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.get("/api/v1/me", headers={"Authorization": "Bearer good-token"})
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"
