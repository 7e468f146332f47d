"""FastAPI dependencies shared by every router."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from event_service.db.engine import Database
from event_service.platform.auth import Principal, principal_from_request
from event_service.platform.cache import Cache


def get_database(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


def get_cache(request: Request) -> Cache:
    cache: Cache = request.app.state.cache
    return cache


@dataclass(frozen=True)
class RequestMeta:
    """What the audit trail records about where a change came from."""

    request_id: str | None
    ip_address: str | None
    user_agent: str | None


def request_meta(request: Request) -> RequestMeta:
    return RequestMeta(
        request_id=request.scope.get("state", {}).get("request_id"),
        ip_address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


CurrentPrincipal = Annotated[Principal, Depends(principal_from_request)]
Db = Annotated[Database, Depends(get_database)]
Meta = Annotated[RequestMeta, Depends(request_meta)]
AppCache = Annotated[Cache, Depends(get_cache)]
