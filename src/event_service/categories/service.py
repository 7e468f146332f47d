"""Event categories: the platform's shared ones and a tenant's own, as a list and as a tree.

Rules (docs/categories.md): platform categories (tenant_id NULL) are read-only;
a tenant's admin creates and changes its own. A parent must be a category the
tenant sees; a new parent may not be the category itself or one of its
descendants. A slug is unique among the categories a tenant sees. All writes of
one tenant's categories are serialised by a transaction-scoped advisory lock,
so the slug and cycle checks cannot race.
"""

from __future__ import annotations

import uuid
from typing import Any

from slugify import slugify
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from event_service.categories import queries
from event_service.categories.schemas import CategoryCreate, CategoryUpdate
from event_service.db.engine import Database
from event_service.platform.auth import Principal
from event_service.platform.cache import Cache, keys
from event_service.platform.errors import Conflict, Forbidden, NotFound, ValidationFailed

_UUID_FIELDS = ("id", "tenant_id", "parent_id")


def category_dict(row: Row[Any]) -> dict[str, Any]:
    data = dict(row._mapping)
    for name in _UUID_FIELDS:
        if data.get(name) is not None:
            data[name] = uuid.UUID(str(data[name]))
    data["is_platform"] = data["tenant_id"] is None
    return data


async def list_categories(db: Database, principal: Principal) -> list[dict[str, Any]]:
    async with db.read() as conn:
        rows = await queries.list_categories(conn, principal.tenant_id)
    return [category_dict(row) for row in rows]


async def category_tree(db: Database, cache: Cache, principal: Principal) -> list[dict[str, Any]]:
    """Active categories nested under their parents, to any depth; cached per tenant.

    The tree holds the platform's categories and the tenant's own, each with the
    tenant's event_count: category writes and the event writes that change a
    count (create, delete, restore, a new primary category) invalidate it.
    """
    tree: list[dict[str, Any]] = await cache.get_or_load(
        keys.category_tree(principal.tenant_id), lambda: _build_tree(db, principal.tenant_id)
    )
    return tree


async def _build_tree(db: Database, tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    """One query, assembled in memory. A category under an inactive parent is
    hidden with it (its branch is switched off).
    """
    async with db.read() as conn:
        rows = await queries.list_categories(conn, tenant_id)
    nodes = [category_dict(row) | {"children": []} for row in rows]
    by_id = {node["id"]: node for node in nodes}
    roots: list[dict[str, Any]] = []
    for node in nodes:  # already in display order, so children are too
        parent_id = node["parent_id"]
        if parent_id is None:
            roots.append(node)
        elif parent_id in by_id:
            by_id[parent_id]["children"].append(node)
    return roots


async def get_category(db: Database, principal: Principal, category_id: uuid.UUID) -> dict[str, Any]:
    async with db.read() as conn:
        row = await queries.get_category(conn, principal.tenant_id, category_id)
    if row is None:
        raise NotFound("Category")
    return category_dict(row)


async def create_category(db: Database, cache: Cache, principal: Principal, body: CategoryCreate) -> dict[str, Any]:
    slug = body.slug or slugify(body.name, max_length=100)
    if not slug:
        raise ValidationFailed.field("slug", "Could not derive a slug from the name; give one")
    values = body.model_dump(exclude={"slug"}) | {"slug": slug}
    async with db.transaction() as conn:
        await queries.lock_tenant_categories(conn, principal.tenant_id)
        await _check_slug_free(conn, principal.tenant_id, slug)
        if body.parent_id is not None:
            await _check_parent(conn, principal.tenant_id, body.parent_id, moving=None)
        category_id = await queries.insert_category(conn, principal.tenant_id, values)
        row = await queries.get_category(conn, principal.tenant_id, category_id)
    assert row is not None
    await cache.invalidate(keys.category_tree(principal.tenant_id))
    return category_dict(row)


async def update_category(
    db: Database, cache: Cache, principal: Principal, category_id: uuid.UUID, body: CategoryUpdate
) -> dict[str, Any]:
    changes = body.changes()
    async with db.transaction() as conn:
        await queries.lock_tenant_categories(conn, principal.tenant_id)
        current = await queries.get_category(conn, principal.tenant_id, category_id)
        if current is None:
            raise NotFound("Category")
        if current.tenant_id is None:
            raise Forbidden("Platform categories are read-only")
        if "slug" in changes and changes["slug"] != current.slug:
            await _check_slug_free(conn, principal.tenant_id, str(changes["slug"]), except_id=category_id)
        parent_id = changes.get("parent_id")
        if isinstance(parent_id, uuid.UUID) and parent_id != current.parent_id:
            await _check_parent(conn, principal.tenant_id, parent_id, moving=category_id)
        if changes:
            await queries.update_category(conn, principal.tenant_id, category_id, changes)
        row = await queries.get_category(conn, principal.tenant_id, category_id)
    assert row is not None
    if changes:
        await cache.invalidate(keys.category_tree(principal.tenant_id))
    return category_dict(row)


async def _check_slug_free(
    conn: AsyncConnection, tenant_id: uuid.UUID, slug: str, *, except_id: uuid.UUID | None = None
) -> None:
    if await queries.slug_in_use(conn, tenant_id, slug, except_id=except_id):
        raise Conflict(f"A category with slug '{slug}' already exists", code="CATEGORY_SLUG_TAKEN")


async def _check_parent(
    conn: AsyncConnection, tenant_id: uuid.UUID, parent_id: uuid.UUID, *, moving: uuid.UUID | None
) -> None:
    """The parent exists for this tenant and is not `moving` itself or below it."""
    chain = await queries.ancestor_ids(conn, tenant_id, parent_id)
    if not chain:
        raise ValidationFailed.field("parent_id", "Parent category does not exist")
    if moving is not None and moving in chain:
        raise ValidationFailed.field("parent_id", "A category cannot be placed under itself or its descendants")
