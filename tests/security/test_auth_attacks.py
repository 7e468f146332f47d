"""Forged, stale and malformed tokens, and every role trying what it may not."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from event_service.app import create_app
from tests.conftest import make_settings
from tests.security.world import build_world
from tests.support import auth

ISSUER, AUDIENCE = "https://auth.example.test", "event-service"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PRIVATE_PEM = KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()
PUBLIC_PEM = (
    KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    values: dict[str, Any] = {
        "sub": str(uuid.uuid4()),
        "tenant_id": str(uuid.uuid4()),
        "role": "admin",
        "iat": now,
        "exp": now + 600,
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def rs256(**overrides: Any) -> str:
    return jwt.encode(claims(**overrides), PRIVATE_PEM, algorithm="RS256")


def unsigned(payload: dict[str, Any], alg: str = "none") -> str:
    return f"{b64(json.dumps({'alg': alg, 'typ': 'JWT'}).encode())}.{b64(json.dumps(payload).encode())}."


def hs256_with_public_key() -> str:
    """The classic key-confusion forgery: HS256 whose HMAC secret is the server's RSA public key."""
    signing_input = f"{b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}.{b64(json.dumps(claims()).encode())}"
    signature = hmac.new(PUBLIC_PEM.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


@pytest.fixture(scope="module")
async def rs256_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        make_settings(
            database_url,
            jwt_algorithm="RS256",
            jwt_public_key=PUBLIC_PEM,
            jwt_secret=None,
            jwt_issuer=ISSUER,
            jwt_audience=AUDIENCE,
            rate_limit_enabled=False,
        )
    )
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        yield http


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and body["code"] == code and body["error"] and body["requestId"]
    assert set(body) <= {"success", "error", "code", "details", "requestId"}
    assert response.headers["x-request-id"] == body["requestId"]


async def test_a_valid_rs256_token_gets_past_auth(rs256_client: httpx.AsyncClient) -> None:
    response = await rs256_client.get("/api/v1/me", headers={"Authorization": f"Bearer {rs256()}"})
    assert response.status_code == 200, response.text


FORGERIES = {
    "alg none": lambda: unsigned(claims()),
    "alg None spelled differently": lambda: unsigned(claims(), alg="None"),
    "HS256 signed with the RS256 public key": hs256_with_public_key,
    "RS256 signed by another key": lambda: jwt.encode(claims(), OTHER_KEY, algorithm="RS256"),
    "expired": lambda: rs256(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600),
    "not yet valid (nbf in the future)": lambda: rs256(nbf=int(time.time()) + 3600),
    "without exp": lambda: rs256(exp=None),
    "wrong issuer": lambda: rs256(iss="https://evil.example"),
    "wrong audience": lambda: rs256(aud="another-service"),
    "no issuer when one is configured": lambda: rs256(iss=None),
    "a payload edited after signing": lambda: ".".join(
        [
            rs256().split(".")[0],
            b64(json.dumps(claims(role="admin", tenant_id=str(uuid.uuid4()))).encode()),
            rs256().split(".")[2],
        ]
    ),
    "garbage": lambda: "not.a.jwt",
    "100 KB token signed by another key": lambda: jwt.encode(
        claims(padding="x" * 100_000), OTHER_KEY, algorithm="RS256"
    ),
    "100 KB unsigned token": lambda: unsigned(claims(padding="x" * 100_000)),
    "100 KB of garbage": lambda: "A" * 100_000,
}


@pytest.mark.parametrize("name", list(FORGERIES))
async def test_a_forged_stale_or_malformed_token_is_401_in_the_documented_format(
    rs256_client: httpx.AsyncClient, name: str
) -> None:
    token = FORGERIES[name]()
    for method, path in (("GET", "/api/v1/events"), ("POST", "/api/v1/events")):
        response = await rs256_client.request(method, path, headers={"Authorization": f"Bearer {token}"}, json={})
        assert_error(response, 401, "UNAUTHORIZED")


@pytest.mark.parametrize(
    "header",
    ["{token}", "Token {token}", "Basic {token}", "Bearer", "Bearer ", "bearer{token}", ""],
    ids=["no scheme", "Token scheme", "Basic scheme", "Bearer alone", "Bearer and a space", "no space", "empty"],
)
async def test_an_authorization_header_without_a_proper_bearer_prefix_is_401(
    rs256_client: httpx.AsyncClient, header: str
) -> None:
    response = await rs256_client.get("/api/v1/events", headers={"Authorization": header.format(token=rs256())})
    assert_error(response, 401, "UNAUTHORIZED")


async def test_a_token_without_a_tenant_is_400_missing_tenant_id(rs256_client: httpx.AsyncClient) -> None:
    response = await rs256_client.get("/api/v1/events", headers={"Authorization": f"Bearer {rs256(tenant_id=None)}"})
    assert_error(response, 400, "MISSING_TENANT_ID")


async def test_an_hs256_app_refuses_alg_none_and_a_wrong_secret(sclient: httpx.AsyncClient) -> None:
    payload = claims(iss=None, aud=None)
    for token in (unsigned(payload), jwt.encode(payload, "another-secret-that-is-long-enough-0123456789", "HS256")):
        assert_error(
            await sclient.get("/api/v1/events", headers={"Authorization": f"Bearer {token}"}), 401, "UNAUTHORIZED"
        )


# (role, method, path template, body): each must answer 403 FORBIDDEN in the caller's own tenant.
FORBIDDEN: list[tuple[str, str, str, dict[str, Any] | None]] = [
    ("customer", "POST", "/api/v1/events", {"name": "Nope", "venue_id": "{venue_id}"}),
    ("customer", "PUT", "/api/v1/events/{event_id}", {"name": "Nope"}),
    ("customer", "DELETE", "/api/v1/events/{event_id}", None),
    ("customer", "POST", "/api/v1/events/{event_id}/publish", None),
    ("customer", "POST", "/api/v1/events/{event_id}/pricing", {"name": "Nope", "base_price": 1}),
    ("customer", "PUT", "/api/v1/pricing/{pricing_id}", {"base_price": 1}),
    ("customer", "POST", "/api/v1/events/{event_id}/capacity", {"section_name": "Nope", "total_capacity": 1}),
    ("customer", "PUT", "/api/v1/capacity/{capacity_id}", {"total_capacity": 500}),
    (
        "customer",
        "POST",
        "/api/v1/events/{event_id}/schedules",
        {"starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-01-01T02:00:00Z"},
    ),
    ("customer", "POST", "/api/v1/venues", {"name": "Nope", "max_capacity": 10}),
    ("customer", "POST", "/api/v1/categories", {"name": "Nope"}),
    ("customer", "GET", "/api/v1/reports/sales", None),
    ("customer", "GET", "/api/v1/venues/{venue_id}/dashboard", None),
    ("customer", "PUT", "/api/v1/events/{event_id}/metadata", {"headliner": "Nope"}),
    ("customer", "GET", "/api/v1/webhooks", None),
    ("organizer", "POST", "/api/v1/events/{event_id}/restore", None),
    ("organizer", "GET", "/api/v1/events/{event_id}/audit", None),
    ("organizer", "POST", "/api/v1/admin/reconcile", None),
    ("organizer", "GET", "/api/v1/admin/outbox", None),
    ("organizer", "POST", "/api/v1/webhooks", {"url": "http://127.0.0.1:9/x"}),
    ("organizer", "POST", "/api/v1/venues", {"name": "Nope", "max_capacity": 10}),
    ("organizer", "POST", "/api/v1/categories", {"name": "Nope"}),
    ("service", "POST", "/api/v1/events", {"name": "Nope", "venue_id": "{venue_id}"}),
    ("service", "POST", "/api/v1/events/{event_id}/pricing", {"name": "Nope", "base_price": 1}),
    ("service", "POST", "/api/v1/admin/reconcile", None),
    ("service", "GET", "/api/v1/events/{event_id}/audit", None),
]


async def test_every_role_trying_what_it_may_not_gets_403_forbidden(sclient: httpx.AsyncClient) -> None:
    tenant = uuid.uuid4()
    ids = await build_world(sclient, auth(tenant, "admin", uuid.uuid4()), uuid.uuid4())
    wrong = []
    for role, method, template, body in FORBIDDEN:
        path = template.format(**ids)
        filled = json.loads(json.dumps(body).replace("{venue_id}", ids["venue_id"])) if body else None
        response = await sclient.request(method, path, headers=auth(tenant, role, uuid.uuid4()), json=filled)
        if response.status_code != 403 or response.json().get("code") != "FORBIDDEN":
            wrong.append(f"{role} {method} {template} -> {response.status_code} {response.text[:150]}")
    assert wrong == []
    # and nothing was changed by the refused calls
    event = await sclient.get(f"/api/v1/events/{ids['event_id']}", headers=auth(tenant, "admin"))
    assert event.status_code == 200 and event.json()["event"]["name"].startswith("Isolated")
