"""Arranging sales through the real endpoints: events, sections, tiers, reserve, confirm, release, expire."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from event_service.db.engine import Database
from event_service.db.tables import capacity_reservations, event_categories
from event_service.reservations.service import expire_due
from tests import factories
from tests.support import Tenant

API = "/api/v1"


def money(value: Any) -> Decimal:
    return Decimal(str(value))


def starts(days: int) -> str:
    moment = (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")


async def category_id(engine: AsyncEngine, slug: str) -> uuid.UUID:
    async with engine.connect() as conn:
        found = await conn.execute(
            select(event_categories.c.id).where(event_categories.c.slug == slug, event_categories.c.tenant_id.is_(None))
        )
        return uuid.UUID(str(found.scalar_one()))


@dataclass
class Sale:
    """One confirmed reservation as the confirm endpoint answered it."""

    event_id: str
    user_id: uuid.UUID
    quantity: int
    revenue: Decimal  # face value: the lock's base_price
    gross: Decimal  # total_amount
    unit_price: Decimal
    reservation: dict[str, Any]


@dataclass
class Shop:
    """Sells through the API as one tenant; remembers what it sold."""

    client: httpx.AsyncClient
    engine: AsyncEngine
    db: Database
    tenant: Tenant
    sales: list[Sale] = field(default_factory=list)

    async def venue(self, max_capacity: int = 5000, name: str | None = None) -> uuid.UUID:
        row = await factories.venue(
            self.engine, self.tenant.id, max_capacity=max_capacity, **({"name": name} if name else {})
        )
        return uuid.UUID(str(row["id"]))

    async def event(self, venue_id: uuid.UUID, name: str, category: uuid.UUID | None, days: int = 30) -> str:
        body: dict[str, Any] = {"name": name, "venue_id": str(venue_id), "starts_at": starts(days)}
        if category is not None:
            body["primary_category_id"] = str(category)
        answer = await self.client.post(f"{API}/events", json=body, headers=self.tenant.headers("organizer"))
        assert answer.status_code == 201, answer.text
        return str(answer.json()["event"]["id"])

    async def section(self, event_id: str, name: str, total: int) -> str:
        answer = await self.client.post(
            f"{API}/events/{event_id}/capacity",
            json={"section_name": name, "total_capacity": total},
            headers=self.tenant.headers("organizer"),
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["capacity"]["id"])

    async def tier(self, event_id: str, capacity_id: str, name: str, price: str, **extra: Any) -> str:
        answer = await self.client.post(
            f"{API}/events/{event_id}/pricing",
            json={"name": name, "base_price": price, "capacity_id": capacity_id, **extra},
            headers=self.tenant.headers("organizer"),
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["pricing"]["id"])

    async def reserve(self, capacity_id: str, pricing_id: str, quantity: int, user: uuid.UUID) -> dict[str, Any]:
        answer = await self.client.post(
            f"{API}/capacity/{capacity_id}/reserve",
            json={"quantity": quantity, "pricing_id": pricing_id},
            headers=self.tenant.headers("customer", user),
        )
        assert answer.status_code == 200, answer.text
        reservation: dict[str, Any] = answer.json()["reservation"]
        return reservation

    async def sell(self, capacity_id: str, pricing_id: str, quantity: int, user: uuid.UUID) -> Sale:
        held = await self.reserve(capacity_id, pricing_id, quantity, user)
        answer = await self.client.post(
            f"{API}/reservations/{held['id']}/confirm", headers=self.tenant.headers("customer", user)
        )
        assert answer.status_code == 200, answer.text
        confirmed = answer.json()["reservation"]
        assert confirmed["status"] == "CONFIRMED"
        sale = Sale(
            event_id=str(confirmed["event_id"]),
            user_id=user,
            quantity=quantity,
            revenue=money(confirmed["locked_price_data"]["base_price"]),
            gross=money(confirmed["total_amount"]),
            unit_price=money(confirmed["unit_price"]),
            reservation=confirmed,
        )
        self.sales.append(sale)
        return sale

    async def release(self, capacity_id: str, pricing_id: str, quantity: int, user: uuid.UUID) -> None:
        held = await self.reserve(capacity_id, pricing_id, quantity, user)
        answer = await self.client.delete(
            f"{API}/reservations/{held['id']}", headers=self.tenant.headers("customer", user)
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["reservation"]["status"] == "RELEASED"

    async def expire(self, capacity_id: str, pricing_id: str, quantity: int, user: uuid.UUID) -> None:
        """A hold whose time runs out, then the cleanup job's own function expires it."""
        held = await self.reserve(capacity_id, pricing_id, quantity, user)
        async with self.engine.begin() as conn:  # the clock, moved: the hold is due
            await conn.execute(
                update(capacity_reservations)
                .where(capacity_reservations.c.id == uuid.UUID(held["id"]))
                .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
        assert await expire_due(self.db) >= 1
        answer = await self.client.get(f"{API}/reservations/{held['id']}", headers=self.tenant.headers())
        assert answer.json()["reservation"]["status"] == "EXPIRED"

    async def confirmed_on(self, sale: Sale, day: datetime) -> None:
        """Backdate a sale's confirmation (arranging the date-window tests)."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(capacity_reservations)
                .where(capacity_reservations.c.id == uuid.UUID(sale.reservation["id"]))
                .values(confirmed_at=day)
            )

    async def get(
        self, path: str, role: str = "organizer", user_id: uuid.UUID | None = None, **params: Any
    ) -> dict[str, Any]:
        answer = await self.client.get(f"{API}{path}", params=params, headers=self.tenant.headers(role, user_id))
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body


@dataclass
class World:
    """Two venues, four events in two categories (and none), sales, a release, an expiry, a live hold."""

    shop: Shop
    hall: uuid.UUID
    arena: uuid.UUID
    concert: str
    match: str
    recital: str
    empty: str
    sections: dict[str, int]  # section id -> total capacity
    alice: uuid.UUID
    bob: uuid.UUID
    carol: uuid.UUID
    held: int  # seats in live (ACTIVE) holds


@pytest.fixture
async def world(client: httpx.AsyncClient, engine: AsyncEngine, db: Database, tenant: Tenant) -> World:
    shop = Shop(client, engine, db, tenant)
    music, sports = await category_id(engine, "music"), await category_id(engine, "sports")
    hall, arena = (
        await shop.venue(name=f"Hall {uuid.uuid4().hex[:6]}"),
        await shop.venue(name=f"Arena {uuid.uuid4().hex[:6]}"),
    )
    alice, bob, carol = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    concert = await shop.event(hall, "Summer Concert", music, days=10)
    vip = await shop.section(concert, "VIP", 100)
    ga = await shop.section(concert, "GA", 500)
    vip_tier = await shop.tier(concert, vip, "VIP", "100.00", service_fee="10.00", tax_rate="0.08")
    ga_tier = await shop.tier(concert, ga, "General", "40.00", facility_fee="2.50")

    match = await shop.event(hall, "Cup Final", sports, days=20)
    stand = await shop.section(match, "Stand", 200)
    # 10% off 33.33 for 4 or more: an exact unit price of 29.997, so the face value is cents(4 x 29.997) = 119.99.
    stand_tier = await shop.tier(match, stand, "Stand", "33.33", group_size_min=4, group_discount_percentage="10")

    recital = await shop.event(arena, "Piano Recital", music, days=40)
    floor = await shop.section(recital, "Floor", 50)
    floor_tier = await shop.tier(recital, floor, "Floor", "60.00", tax_rate="0.1")

    empty = await shop.event(arena, "Quiet Night", None, days=50)
    await shop.section(empty, "Main", 30)

    await shop.sell(vip, vip_tier, 2, alice)
    await shop.sell(ga, ga_tier, 3, bob)
    await shop.sell(stand, stand_tier, 4, alice)
    await shop.sell(floor, floor_tier, 1, alice)
    await shop.sell(floor, floor_tier, 5, bob)
    await shop.release(ga, ga_tier, 4, bob)  # released: never a sale
    await shop.expire(vip, vip_tier, 1, carol)  # expired: never a sale
    await shop.reserve(ga, ga_tier, 2, carol)  # a live hold: reserved, not sold
    return World(
        shop=shop,
        hall=hall,
        arena=arena,
        concert=concert,
        match=match,
        recital=recital,
        empty=empty,
        sections={vip: 100, ga: 500, stand: 200, floor: 50, "main": 30},
        alice=alice,
        bob=bob,
        carol=carol,
        held=2,
    )
