"""Bearer JWT -> Principal (tenant, user, roles), and role checks.

HS256 with JWT_SECRET, or RS256 with JWT_PUBLIC_KEY. The accepted algorithm is
pinned from configuration, never taken from the token, which rules out
`alg: none` and HS/RS key confusion. `exp` is required.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
from fastapi import Request

from event_service.platform.context import bind_principal
from event_service.platform.errors import Forbidden, MissingTenant, Unauthorized
from event_service.settings import Settings

ADMIN = "admin"
ORGANIZER = "organizer"
SERVICE = "service"
CUSTOMER = "customer"
_ROLE_ALIASES = {"venue_manager": ORGANIZER, "venue-manager": ORGANIZER, "user": CUSTOMER}


@dataclass(frozen=True)
class Principal:
    tenant_id: uuid.UUID
    user_id: str | None
    roles: frozenset[str]
    token: str = field(repr=False)

    @property
    def user_uuid(self) -> uuid.UUID | None:
        """The user id as a UUID when it is one (service accounts may use plain names)."""
        try:
            return uuid.UUID(self.user_id) if self.user_id else None
        except ValueError:
            return None

    def has(self, *roles: str) -> bool:
        return ADMIN in self.roles or any(role in self.roles for role in roles)

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.roles

    @property
    def is_staff(self) -> bool:
        """Organizers and admins manage events; customers only read and buy."""
        return self.has(ORGANIZER)

    def require(self, *roles: str) -> None:
        if not self.has(*roles):
            raise Forbidden("This action requires role: " + " or ".join([ADMIN, *roles]))


def normalise_roles(claims: dict[str, Any]) -> frozenset[str]:
    raw: list[Any] = []
    if isinstance(claims.get("roles"), list):
        raw.extend(claims["roles"])
    if isinstance(claims.get("role"), str):
        raw.append(claims["role"])
    roles = {_ROLE_ALIASES.get(str(r).lower(), str(r).lower()) for r in raw}
    return frozenset(roles or {CUSTOMER})


def dev_secret_path(settings: Settings) -> Path:
    return settings.event_service_data_dir / "jwt-secret"


def resolve_signing_secret(settings: Settings, *, create: bool) -> str | None:
    """JWT_SECRET, else (development only) a secret kept in the data dir."""
    if settings.jwt_secret:
        return settings.jwt_secret
    if not settings.is_development:
        return None
    path = dev_secret_path(settings)
    if path.exists():
        return path.read_text().strip()
    if not create:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    return secret


class TokenVerifier:
    def __init__(self, settings: Settings, http: httpx.AsyncClient | None = None) -> None:
        self.algorithm = settings.jwt_algorithm
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        self.key: str | None
        if self.algorithm == "RS256":
            self.key = settings.jwt_public_key
        else:
            self.key = resolve_signing_secret(settings, create=True)
        self.remote_url = settings.auth_service_url if self.key is None else None
        self.http = http
        if self.key is None and self.remote_url is None:
            raise RuntimeError(
                "No JWT_SECRET (HS256) or JWT_PUBLIC_KEY (RS256) configured; "
                "set one, or NODE_ENV=development to use a generated secret"
            )

    async def verify(self, token: str) -> dict[str, Any]:
        if self.key is None:
            return await self._verify_remotely(token)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.key,
                algorithms=[self.algorithm],
                issuer=self.issuer,
                audience=self.audience,
                options={"require": ["exp"], "verify_aud": self.audience is not None},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("Token has expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("Invalid token") from exc
        return claims

    async def _verify_remotely(self, token: str) -> dict[str, Any]:
        """AUTH_SERVICE_URL's GET /auth/verify answers {"user": {...claims}}."""
        assert self.http is not None and self.remote_url is not None
        try:
            response = await self.http.get(
                f"{self.remote_url.rstrip('/')}/auth/verify",
                headers={"Authorization": f"Bearer {token}"},
                timeout=5.0,
            )
        except httpx.HTTPError as exc:
            raise Unauthorized("Token could not be verified") from exc
        if response.status_code != 200:
            raise Unauthorized("Invalid token")
        user = response.json().get("user")
        if not isinstance(user, dict):
            raise Unauthorized("Invalid token")
        return user


# Real tokens are well under 2 KB; a longer header is refused before any decoding work.
MAX_AUTHORIZATION_BYTES = 8192


async def principal_from_request(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    if len(header) > MAX_AUTHORIZATION_BYTES:
        raise Unauthorized("Authorization header is too long")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authentication required")
    verifier: TokenVerifier = request.app.state.verifier
    claims = await verifier.verify(token.strip())
    raw_tenant = claims.get("tenant_id")
    if not raw_tenant:
        raise MissingTenant()
    try:
        tenant_id = uuid.UUID(str(raw_tenant))
    except ValueError as exc:
        raise MissingTenant("tenant_id in token is not a valid UUID") from exc
    user = claims.get("sub") or claims.get("id")
    principal = Principal(
        tenant_id=tenant_id,
        user_id=str(user) if user is not None else None,
        roles=normalise_roles(claims),
        token=token.strip(),
    )
    bind_principal(str(tenant_id), principal.user_id)
    request.state.principal = principal
    return principal


def mint_token(
    secret_or_key: str,
    *,
    tenant_id: str,
    user_id: str,
    role: str,
    lifetime_seconds: int,
    algorithm: str = "HS256",
    issuer: str | None = None,
    audience: str | None = None,
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": user_id,
        "tenant_id": tenant_id,
        "role": role,
        "iat": now,
        "exp": now + lifetime_seconds,
    }
    if issuer:
        claims["iss"] = issuer
    if audience:
        claims["aud"] = audience
    return jwt.encode(claims, secret_or_key, algorithm=algorithm)
