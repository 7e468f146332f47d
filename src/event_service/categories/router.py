"""HTTP for event categories: list, tree, read, and admin create/update."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from event_service.categories import service
from event_service.categories.schemas import CategoryCreate, CategoryUpdate
from event_service.platform.deps import AppCache, CurrentPrincipal, Db
from event_service.platform.responses import JSON

router = APIRouter(prefix="/categories", tags=["categories"])


@router.get("")
async def list_categories(principal: CurrentPrincipal, db: Db) -> JSON:
    return JSON({"categories": await service.list_categories(db, principal)})


@router.get("/tree")
async def category_tree(principal: CurrentPrincipal, db: Db, cache: AppCache) -> JSON:
    return JSON({"categories": await service.category_tree(db, cache, principal)})


@router.get("/{category_id}")
async def get_category(category_id: uuid.UUID, principal: CurrentPrincipal, db: Db) -> JSON:
    return JSON({"category": await service.get_category(db, principal, category_id)})


@router.post("", status_code=201)
async def create_category(body: CategoryCreate, principal: CurrentPrincipal, db: Db, cache: AppCache) -> JSON:
    principal.require()  # admin only
    return JSON({"category": await service.create_category(db, cache, principal, body)}, status_code=201)


@router.put("/{category_id}")
async def update_category(
    category_id: uuid.UUID, body: CategoryUpdate, principal: CurrentPrincipal, db: Db, cache: AppCache
) -> JSON:
    principal.require()  # admin only
    return JSON({"category": await service.update_category(db, cache, principal, category_id, body)})
