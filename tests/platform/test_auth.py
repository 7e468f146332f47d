"""Every token case of CONTRACT.md gets the documented answer."""

from __future__ import annotations

import time
import uuid

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from event_service.app import create_app
from tests.conftest import make_settings
from tests.support import TEST_JWT_SECRET, Tenant


def _claims(**extra: object) -> dict[str, object]:
    return {
        "sub": str(uuid.uuid4()),
        "tenant_id": str(uuid.uuid4()),
        "role": "admin",
        "exp": int(time.time()) + 300,
        **extra,
    }


def _bearer(encoded: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {encoded}"}


async def _assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401
    body = response.json()
    assert body["success"] is False
    assert body["code"] == "UNAUTHORIZED"
    assert body["requestId"] == response.headers["x-request-id"]


async def test_request_without_token_is_unauthorized(client: httpx.AsyncClient) -> None:
    await _assert_unauthorized(await client.get("/api/v1/me"))


@pytest.mark.parametrize("header", ["Bearer", "Bearer not.a.jwt", "Basic abc", "Bearer a.b"])
async def test_malformed_authorization_is_unauthorized(client: httpx.AsyncClient, header: str) -> None:
    await _assert_unauthorized(await client.get("/api/v1/me", headers={"Authorization": header}))


async def test_expired_token_is_unauthorized(client: httpx.AsyncClient) -> None:
    expired = jwt.encode(_claims(exp=int(time.time()) - 10), TEST_JWT_SECRET, algorithm="HS256")
    response = await client.get("/api/v1/me", headers=_bearer(expired))
    await _assert_unauthorized(response)
    assert "expired" in response.json()["error"].lower()


async def test_token_without_exp_is_unauthorized(client: httpx.AsyncClient) -> None:
    claims = _claims()
    del claims["exp"]
    await _assert_unauthorized(await client.get("/api/v1/me", headers=_bearer(jwt.encode(claims, TEST_JWT_SECRET))))


async def test_token_signed_with_another_secret_is_unauthorized(client: httpx.AsyncClient) -> None:
    forged = jwt.encode(_claims(), "another-secret-another-secret-another-secret", algorithm="HS256")
    await _assert_unauthorized(await client.get("/api/v1/me", headers=_bearer(forged)))


async def test_alg_none_token_is_unauthorized(client: httpx.AsyncClient) -> None:
    unsigned = jwt.encode(_claims(), None, algorithm="none")  # type: ignore[arg-type]
    await _assert_unauthorized(await client.get("/api/v1/me", headers=_bearer(unsigned)))


async def test_token_without_tenant_is_missing_tenant_id(client: httpx.AsyncClient) -> None:
    claims = _claims()
    del claims["tenant_id"]
    response = await client.get("/api/v1/me", headers=_bearer(jwt.encode(claims, TEST_JWT_SECRET)))
    assert response.status_code == 400
    assert response.json()["code"] == "MISSING_TENANT_ID"


async def test_valid_token_reaches_the_api_with_its_tenant_user_and_roles(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await client.get("/api/v1/me", headers=tenant.headers("venue_manager", user_id="u-1"))
    assert response.status_code == 200
    assert response.json() == {"tenant_id": str(tenant.id), "user_id": "u-1", "roles": ["organizer"]}


async def test_roles_list_claim_is_honoured(client: httpx.AsyncClient) -> None:
    encoded = jwt.encode(_claims(role=None, roles=["service", "admin"]), TEST_JWT_SECRET)
    response = await client.get("/api/v1/me", headers=_bearer(encoded))
    assert response.json()["roles"] == ["admin", "service"]


def _rsa_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


async def test_rs256_accepts_its_key_and_refuses_hs_confusion(database_url: str) -> None:
    private, public = _rsa_pair()
    app = create_app(
        make_settings(
            database_url,
            jwt_algorithm="RS256",
            jwt_public_key=public,
            jwt_secret=None,
            jwt_issuer="tickettoken",
            jwt_audience="platform",
        )
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            good = jwt.encode(_claims(iss="tickettoken", aud="platform"), private, algorithm="RS256")
            assert (await http.get("/api/v1/me", headers=_bearer(good))).status_code == 200
            # The public key used as an HMAC secret: the classic confusion attack.
            confused = _hs256_with_raw_key(public)
            await _assert_unauthorized(await http.get("/api/v1/me", headers=_bearer(confused)))
            wrong_issuer = jwt.encode(_claims(iss="elsewhere", aud="platform"), private, algorithm="RS256")
            await _assert_unauthorized(await http.get("/api/v1/me", headers=_bearer(wrong_issuer)))
            wrong_audience = jwt.encode(_claims(iss="tickettoken", aud="other"), private, algorithm="RS256")
            await _assert_unauthorized(await http.get("/api/v1/me", headers=_bearer(wrong_audience)))


def _hs256_with_raw_key(secret: str) -> str:
    """PyJWT refuses to HMAC-sign with a PEM key, so build the token by hand."""
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps(_claims(iss="tickettoken", aud="platform")).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


async def test_public_paths_need_no_token(client: httpx.AsyncClient) -> None:
    for path in ("/health", "/health/ready", "/openapi.json", "/docs"):
        assert (await client.get(path)).status_code == 200, path


async def test_an_oversized_but_validly_signed_token_is_unauthorized(client: httpx.AsyncClient) -> None:
    bloated = jwt.encode(_claims(padding="x" * 100_000), TEST_JWT_SECRET, algorithm="HS256")
    await _assert_unauthorized(await client.get("/api/v1/me", headers=_bearer(bloated)))
