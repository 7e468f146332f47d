"""FastAPI dependencies shared by every router."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from event_service.db.engine import Database
from event_service.platform.auth import Principal, principal_from_request


def get_database(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


CurrentPrincipal = Annotated[Principal, Depends(principal_from_request)]
Db = Annotated[Database, Depends(get_database)]
