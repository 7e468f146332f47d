"""Customer profile (26): real purchases of the tenant, newest first; a customer reads only their own."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import httpx

from tests.reports.conftest import API, World, money
from tests.support import Tenant


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_profile_counts_the_customers_confirmed_purchases_and_lists_the_latest_first(world: World) -> None:
    body = await world.shop.get(f"/customers/{world.alice}/profile", role="customer", user_id=world.alice)
    assert body["customerId"] == str(world.alice)
    profile = body["profile"]
    mine = [s for s in world.shop.sales if s.user_id == world.alice]
    assert profile["total_purchases"] == len(mine) == 3
    assert profile["total_tickets"] == sum(s.quantity for s in mine) == 7
    assert money(profile["total_spent"]) == sum((s.gross for s in mine), Decimal(0))
    assert "note" not in profile  # no mock data
    recent = profile["recent_purchases"]
    assert [p["reservation_id"] for p in recent] == [s.reservation["id"] for s in reversed(mine)]
    latest = recent[0]
    assert (latest["event_name"], latest["tier_name"], latest["quantity"]) == ("Piano Recital", "Floor", 1)
    assert money(latest["price"]) == Decimal("60.00") and money(latest["total_amount"]) == mine[-1].gross
    assert latest["starts_at"].endswith("Z") and latest["confirmed_at"].endswith("Z")
    event = await world.shop.get(f"/events/{world.recital}")
    assert parse(latest["starts_at"]) == parse(event["event"]["event_date"])  # the event's (first) schedule
    concert = recent[2]
    assert (concert["event_name"], concert["tier_name"], money(concert["price"])) == (
        "Summer Concert",
        "VIP",
        Decimal("100.00"),
    )


async def test_a_customer_reads_their_own_profile_only(world: World) -> None:
    shop = world.shop
    own = await shop.client.get(
        f"{API}/customers/{world.bob}/profile", headers=shop.tenant.headers("customer", world.bob)
    )
    assert own.status_code == 200 and own.json()["profile"]["total_purchases"] == 2
    other = await shop.client.get(
        f"{API}/customers/{world.alice}/profile", headers=shop.tenant.headers("customer", world.bob)
    )
    assert other.status_code == 403 and other.json()["code"] == "FORBIDDEN"
    for role in ("organizer", "admin"):
        answer = await shop.client.get(f"{API}/customers/{world.alice}/profile", headers=shop.tenant.headers(role))
        assert answer.status_code == 200 and answer.json()["profile"]["total_purchases"] == 3


async def test_released_expired_and_held_reservations_are_not_purchases(world: World) -> None:
    # carol: one expired hold, one live hold, no sale.
    body = await world.shop.get(f"/customers/{world.carol}/profile")
    assert body["profile"] == {"total_purchases": 0, "total_tickets": 0, "total_spent": 0, "recent_purchases": []}
    bob = (await world.shop.get(f"/customers/{world.bob}/profile"))["profile"]
    assert (bob["total_purchases"], bob["total_tickets"]) == (2, 8)  # the released 4 do not count


async def test_a_customer_with_no_purchases_has_a_profile_of_zeros(client: httpx.AsyncClient, tenant: Tenant) -> None:
    user = uuid.uuid4()
    answer = await client.get(f"{API}/customers/{user}/profile", headers=tenant.headers("customer", user))
    assert answer.status_code == 200
    assert answer.json() == {
        "customerId": str(user),
        "profile": {"total_purchases": 0, "total_tickets": 0, "total_spent": 0, "recent_purchases": []},
    }


async def test_limit_bounds_the_recent_purchases_not_the_totals(world: World) -> None:
    body = await world.shop.get(f"/customers/{world.alice}/profile", limit=2)
    assert body["profile"]["total_purchases"] == 3 and len(body["profile"]["recent_purchases"]) == 2
    answer = await world.shop.client.get(
        f"{API}/customers/{world.alice}/profile", params={"limit": 0}, headers=world.shop.tenant.headers()
    )
    assert answer.status_code == 422 and answer.json()["code"] == "VALIDATION_ERROR"


async def test_another_tenants_purchases_are_not_in_the_profile(
    world: World, client: httpx.AsyncClient, other_tenant: Tenant
) -> None:
    answer = await client.get(f"{API}/customers/{world.alice}/profile", headers=other_tenant.headers("admin"))
    assert answer.status_code == 200 and answer.json()["profile"]["total_purchases"] == 0


async def test_a_customer_id_that_is_not_a_uuid_is_a_validation_error(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    answer = await client.get(f"{API}/customers/not-a-uuid/profile", headers=tenant.headers())
    assert answer.status_code == 422 and answer.json()["code"] == "VALIDATION_ERROR"
