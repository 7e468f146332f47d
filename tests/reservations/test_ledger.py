"""The reservation ledger through the API: reserve, read, confirm, release, extend, expiry, idempotency."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from event_service.db.engine import Database
from event_service.reservations.service import expire_due, prune_idempotency_keys
from tests import factories
from tests.reservations.arrange import event_status, ledger_violations, on_sale_section, section_row
from tests.support import Tenant


def _reserve_url(section: dict[str, object]) -> str:
    return f"/api/v1/capacity/{section['id']}/reserve"


async def _age(engine: AsyncEngine, reservation_id: str, seconds: int = 1) -> None:
    """Time passes for one reservation: its expiry moves into the past (counters untouched)."""
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE capacity_reservations SET expires_at = now() - make_interval(secs => :s) WHERE id = :id"),
            {"id": reservation_id, "s": seconds},
        )


async def test_reserve_holds_seats_and_answers_in_the_seed_shape(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    section = await on_sale_section(engine, tenant.id, 100)
    user = uuid.uuid4()
    response = await client.post(_reserve_url(section), json={"quantity": 5}, headers=tenant.headers("customer", user))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["message"] == "Capacity reserved"
    assert body["capacity"]["available_capacity"] == 95
    assert body["capacity"]["reserved_capacity"] == 5
    assert body["capacity"]["reserved_expires_at"] == body["reservation"]["expires_at"]
    assert body["locked_price"] is None
    reservation = body["reservation"]
    assert (reservation["quantity"], reservation["status"], reservation["user_id"]) == (5, "ACTIVE", str(user))

    mine = await client.get(f"/api/v1/reservations/{reservation['id']}", headers=tenant.headers("customer", user))
    assert mine.status_code == 200
    assert mine.json()["reservation"]["id"] == reservation["id"]
    assert await ledger_violations(engine, tenant.id) == []


async def test_reserve_beyond_available_answers_insufficient_capacity(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    section = await on_sale_section(engine, tenant.id, 10, buffer_capacity=2)
    response = await client.post(_reserve_url(section), json={"quantity": 9}, headers=tenant.headers("customer"))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "INSUFFICIENT_CAPACITY"
    assert (body["details"][0]["available"], body["details"][0]["requested"]) == (8, 9)


async def test_purchase_limits_and_hold_length_are_enforced(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    section = await on_sale_section(engine, tenant.id, 100, minimum_purchase=2, maximum_purchase=4)
    headers = tenant.headers("customer")
    for quantity in (1, 5):
        response = await client.post(_reserve_url(section), json={"quantity": quantity}, headers=headers)
        assert response.status_code == 422, response.text
    for minutes in (0, 61):
        response = await client.post(
            _reserve_url(section), json={"quantity": 2, "reservation_minutes": minutes}, headers=headers
        )
        assert response.status_code == 422
    unknown = await client.post(_reserve_url(section), json={"quantity": 2, "extra": 1}, headers=headers)
    assert unknown.status_code == 422
    missing = await client.post(f"/api/v1/capacity/{uuid.uuid4()}/reserve", json={"quantity": 2}, headers=headers)
    assert missing.status_code == 404


async def test_confirm_moves_held_to_sold_and_twice_is_harmless(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    section = await on_sale_section(engine, tenant.id, 100)
    user = uuid.uuid4()
    headers = tenant.headers("customer", user)
    reservation = (await client.post(_reserve_url(section), json={"quantity": 3}, headers=headers)).json()[
        "reservation"
    ]
    url = f"/api/v1/reservations/{reservation['id']}/confirm"
    first = await client.post(url, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["reservation"]["status"] == "CONFIRMED"
    second = await client.post(url, headers=headers)
    assert second.status_code == 200
    assert second.json()["reservation"] == first.json()["reservation"]
    row = await section_row(engine, section["id"])
    assert (row["reserved_capacity"], row["sold_count"], row["available_capacity"]) == (0, 3, 97)
    release = await client.delete(f"/api/v1/reservations/{reservation['id']}", headers=headers)
    assert release.status_code == 409
    assert await ledger_violations(engine, tenant.id) == []


async def test_release_returns_only_its_own_quantity(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    section = await on_sale_section(engine, tenant.id, 100)
    headers = tenant.headers("service")
    a = (await client.post(_reserve_url(section), json={"quantity": 2}, headers=headers)).json()["reservation"]
    b = (await client.post(_reserve_url(section), json={"quantity": 7}, headers=headers)).json()["reservation"]
    released = await client.delete(f"/api/v1/reservations/{a['id']}", headers=headers)
    assert released.status_code == 200
    assert released.json()["reservation"]["status"] == "RELEASED"
    assert released.json()["capacity"]["reserved_capacity"] == 7
    assert released.json()["capacity"]["reserved_expires_at"] == b["expires_at"]
    again = await client.delete(f"/api/v1/reservations/{a['id']}", headers=headers)
    assert again.status_code == 200
    assert (await section_row(engine, section["id"]))["reserved_capacity"] == 7
    confirm = await client.post(f"/api/v1/reservations/{a['id']}/confirm", headers=headers)
    assert confirm.status_code == 409
    assert confirm.json()["code"] == "RESERVATION_EXPIRED"


async def test_a_customer_sees_only_their_own_reservations(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, other_tenant: Tenant
) -> None:
    section = await on_sale_section(engine, tenant.id, 100)
    owner = tenant.headers("customer", uuid.uuid4())
    reservation = (await client.post(_reserve_url(section), json={"quantity": 1}, headers=owner)).json()["reservation"]
    url = f"/api/v1/reservations/{reservation['id']}"
    stranger = tenant.headers("customer", uuid.uuid4())
    assert (await client.get(url, headers=stranger)).status_code == 404
    assert (await client.post(f"{url}/confirm", headers=stranger)).status_code == 404
    assert (await client.delete(url, headers=stranger)).status_code == 404
    assert (await client.get(url, headers=tenant.headers("service"))).status_code == 200
    assert (await client.get(url, headers=tenant.headers("organizer"))).status_code == 200
    assert (await client.get(url, headers=other_tenant.headers())).status_code == 404


async def test_services_reserve_on_behalf_of_a_user_and_customers_cannot(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    section = await on_sale_section(engine, tenant.id, 100)
    user = uuid.uuid4()
    by_service = await client.post(
        _reserve_url(section), json={"quantity": 1, "user_id": str(user)}, headers=tenant.headers("service")
    )
    assert by_service.status_code == 200
    assert by_service.json()["reservation"]["user_id"] == str(user)
    by_customer = await client.post(
        _reserve_url(section), json={"quantity": 1, "user_id": str(user)}, headers=tenant.headers("customer")
    )
    assert by_customer.status_code == 403


async def test_a_reservation_past_its_expiry_cannot_be_confirmed_or_extended_and_the_job_expires_it(
    client: httpx.AsyncClient, engine: AsyncEngine, db: Database, tenant: Tenant
) -> None:
    section = await on_sale_section(engine, tenant.id, 100)
    headers = tenant.headers("service")
    keep = (await client.post(_reserve_url(section), json={"quantity": 1}, headers=headers)).json()["reservation"]
    due = (await client.post(_reserve_url(section), json={"quantity": 4}, headers=headers)).json()["reservation"]
    await _age(engine, due["id"])
    url = f"/api/v1/reservations/{due['id']}"
    confirm = await client.post(f"{url}/confirm", headers=headers)
    assert confirm.status_code == 409
    assert confirm.json()["code"] == "RESERVATION_EXPIRED"
    extend = await client.post(f"{url}/extend", json={"minutes": 5}, headers=headers)
    assert extend.status_code == 409
    assert await expire_due(db) >= 1
    expired = (await client.get(url, headers=headers)).json()["reservation"]
    assert expired["status"] == "EXPIRED"
    row = await section_row(engine, section["id"])
    assert row["reserved_capacity"] == 1
    assert row["reserved_expires_at"].isoformat().replace("+00:00", "Z")[:19] == keep["expires_at"][:19]
    assert await ledger_violations(engine, tenant.id) == []


async def test_extend_is_bounded(client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant) -> None:
    section = await on_sale_section(engine, tenant.id, 100)
    headers = tenant.headers("service")
    reservation = (
        await client.post(_reserve_url(section), json={"quantity": 1, "reservation_minutes": 15}, headers=headers)
    ).json()["reservation"]
    url = f"/api/v1/reservations/{reservation['id']}/extend"
    ok = await client.post(url, json={"minutes": 10}, headers=headers)
    assert ok.status_code == 200, ok.text
    assert ok.json()["reservation"]["expires_at"] > reservation["expires_at"]
    assert ok.json()["capacity"]["reserved_expires_at"] == ok.json()["reservation"]["expires_at"]
    too_much = await client.post(url, json={"minutes": 31}, headers=headers)
    assert too_much.status_code == 422
    await client.post(url, json={"minutes": 30}, headers=headers)  # 55 min from now: allowed
    beyond = await client.post(url, json={"minutes": 10}, headers=headers)  # 65 > 60
    assert beyond.status_code == 422
    assert beyond.json()["code"] == "EXTENSION_LIMIT_EXCEEDED"


async def test_idempotency_key_returns_the_first_answer_and_holds_nothing_twice(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    section = await on_sale_section(engine, tenant.id, 100)
    headers = {**tenant.headers("customer", uuid.uuid4()), "Idempotency-Key": "order-42"}
    first = await client.post(_reserve_url(section), json={"quantity": 2}, headers=headers)
    again = await client.post(_reserve_url(section), json={"quantity": 2}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json()["reservation"]["id"] == first.json()["reservation"]["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert (await section_row(engine, section["id"]))["reserved_capacity"] == 2
    other_body = await client.post(_reserve_url(section), json={"quantity": 3}, headers=headers)
    assert other_body.status_code == 422
    assert other_body.json()["code"] == "IDEMPOTENCY_KEY_REUSED"

    confirm_url = f"/api/v1/reservations/{first.json()['reservation']['id']}/confirm"
    confirm_headers = {**headers, "Idempotency-Key": "confirm-42"}
    c1 = await client.post(confirm_url, headers=confirm_headers)
    c2 = await client.post(confirm_url, headers=confirm_headers)
    assert c1.status_code == c2.status_code == 200
    assert c1.json()["reservation"] == c2.json()["reservation"]
    row = await section_row(engine, section["id"])
    assert (row["reserved_capacity"], row["sold_count"]) == (0, 2)


async def test_concurrent_requests_with_one_idempotency_key_hold_once(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    section = await on_sale_section(engine, tenant.id, 100)
    headers = {**tenant.headers("customer", uuid.uuid4()), "Idempotency-Key": "burst"}
    responses = await asyncio.gather(
        *(client.post(_reserve_url(section), json={"quantity": 1}, headers=headers) for _ in range(8))
    )
    ok = [r for r in responses if r.status_code == 200]
    assert ok and all(r.status_code in (200, 409) for r in responses)
    assert len({r.json()["reservation"]["id"] for r in ok}) == 1
    assert (await section_row(engine, section["id"]))["reserved_capacity"] == 1


async def test_an_idempotency_key_still_in_flight_answers_409(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    section = await on_sale_section(engine, tenant.id, 100)
    async with engine.connect() as conn:
        transaction = await conn.begin()
        await conn.execute(
            text(
                "INSERT INTO idempotency_keys (tenant_id, scope, key, request_hash) "
                "VALUES (:t, 'reserve', 'slow-one', 'x')"
            ),
            {"t": tenant.id},
        )
        headers = {**tenant.headers("customer"), "Idempotency-Key": "slow-one"}
        response = await client.post(_reserve_url(section), json={"quantity": 1}, headers=headers)
        await transaction.rollback()
    assert response.status_code == 409
    assert response.json()["code"] == "IDEMPOTENCY_KEY_IN_FLIGHT"


async def test_a_reserve_waiting_too_long_on_the_section_answers_503_with_retry_after(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    section = await on_sale_section(engine, tenant.id, 100)
    async with engine.connect() as conn:
        transaction = await conn.begin()
        await conn.execute(text("SELECT 1 FROM event_capacity WHERE id = :id FOR UPDATE"), {"id": section["id"]})
        response = await client.post(_reserve_url(section), json={"quantity": 1}, headers=tenant.headers("customer"))
        await transaction.rollback()
    assert response.status_code == 503
    assert response.json()["code"] == "SERVICE_UNAVAILABLE"
    assert response.headers["Retry-After"] == "1"
    assert (await section_row(engine, section["id"]))["reserved_capacity"] == 0


async def test_a_user_has_a_capped_number_of_active_holds_per_event(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    section = await on_sale_section(engine, tenant.id, 100)
    headers = tenant.headers("customer", uuid.uuid4())
    for _ in range(10):  # MAX_ACTIVE_HOLDS_PER_EVENT default
        assert (await client.post(_reserve_url(section), json={"quantity": 1}, headers=headers)).status_code == 200
    response = await client.post(_reserve_url(section), json={"quantity": 1}, headers=headers)
    assert response.status_code == 429
    assert response.json()["code"] == "TOO_MANY_ACTIVE_HOLDS"


async def test_the_event_is_sold_out_while_nothing_is_left_and_on_sale_again_after(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    section = await on_sale_section(engine, tenant.id, 2)
    headers = tenant.headers("service")
    reservation = (await client.post(_reserve_url(section), json={"quantity": 2}, headers=headers)).json()[
        "reservation"
    ]
    assert await event_status(engine, section["event_id"]) == "SOLD_OUT"
    await client.delete(f"/api/v1/reservations/{reservation['id']}", headers=headers)
    assert await event_status(engine, section["event_id"]) == "ON_SALE"
    await client.post(_reserve_url(section), json={"quantity": 2}, headers=headers)
    assert await event_status(engine, section["event_id"]) == "SOLD_OUT"
    grow = await client.put(f"/api/v1/capacity/{section['id']}", json={"total_capacity": 3}, headers=tenant.headers())
    assert grow.status_code == 200, grow.text
    assert await event_status(engine, section["event_id"]) == "ON_SALE"


async def test_price_locks_survive_a_price_change_and_expire_with_their_own_reservation(
    client: httpx.AsyncClient, engine: AsyncEngine, db: Database, tenant: Tenant
) -> None:
    section = await on_sale_section(engine, tenant.id, 100)
    tier = await factories.pricing(
        engine, tenant.id, section["event_id"], base_price=Decimal("50.00"), service_fee=Decimal("5.00")
    )
    headers = tenant.headers("service")
    body = {"quantity": 2, "pricing_id": str(tier["id"])}
    first = await client.post(_reserve_url(section), json={**body, "reservation_minutes": 10}, headers=headers)
    assert first.status_code == 200, first.text
    assert Decimal(str(first.json()["locked_price"]["locked_price"])) == Decimal("50.00")
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE event_pricing SET base_price = 80.00, current_price = 80.00 WHERE id = :id"),
            {"id": tier["id"]},
        )
    second = await client.post(_reserve_url(section), json={**body, "reservation_minutes": 20}, headers=headers)
    assert second.status_code == 200, second.text
    assert Decimal(str(second.json()["locked_price"]["locked_price"])) == Decimal("80.00")
    a, b = first.json()["reservation"], second.json()["reservation"]
    assert a["expires_at"] < b["expires_at"]

    await _age(engine, b["id"])  # the later one expires first: the earlier keeps its hold and lock
    await expire_due(db)
    still = (await client.get(f"/api/v1/reservations/{a['id']}", headers=headers)).json()["reservation"]
    assert still["status"] == "ACTIVE"
    assert Decimal(str(still["locked_price_data"]["locked_price"])) == Decimal("50.00")
    confirmed = await client.post(f"/api/v1/reservations/{a['id']}/confirm", headers=headers)
    assert confirmed.status_code == 200, confirmed.text
    reservation = confirmed.json()["reservation"]
    assert Decimal(str(reservation["unit_price"])) == Decimal("50.00")
    assert Decimal(str(reservation["total_amount"])) == Decimal(str(a["total_amount"]))
    assert (await client.get(f"/api/v1/reservations/{b['id']}", headers=headers)).json()["reservation"][
        "status"
    ] == "EXPIRED"
    assert await ledger_violations(engine, tenant.id) == []


async def test_reconcile_reports_drift_and_fixes_it(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, database_url: str
) -> None:
    section = await on_sale_section(engine, tenant.id, 100)
    await client.post(_reserve_url(section), json={"quantity": 3}, headers=tenant.headers("service"))
    clean = await client.post("/api/v1/admin/reconcile", headers=tenant.headers())
    assert clean.status_code == 200
    assert clean.json()["drift"] == [] and clean.json()["checked"] == 1
    assert (await client.post("/api/v1/admin/reconcile", headers=tenant.headers("organizer"))).status_code == 403
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE event_capacity SET reserved_capacity = 9 WHERE id = :id"), {"id": section["id"]}
        )
    cli = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "event_service.cli", "reconcile", "--tenant", str(tenant.id)],
        env={**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "error"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cli.returncode == 1, cli.stderr
    assert str(section["id"]) in cli.stdout
    fixed = await client.post("/api/v1/admin/reconcile?fix=true", headers=tenant.headers())
    assert fixed.json()["fixed"] == 1
    assert fixed.json()["drift"][0]["ledger_reserved"] == 3
    assert (await section_row(engine, section["id"]))["reserved_capacity"] == 3
    assert await ledger_violations(engine, tenant.id) == []


async def test_the_cleanup_job_forgets_idempotency_answers_past_their_retention(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, app: Any
) -> None:
    section = await on_sale_section(engine, tenant.id, 10)
    headers = {**tenant.headers("customer", uuid.uuid4()), "Idempotency-Key": f"old-{uuid.uuid4()}"}
    first = await client.post(_reserve_url(section), json={"quantity": 1}, headers=headers)
    assert first.status_code == 200
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE tenant_id = :t"),
            {"t": tenant.id},
        )
    assert await prune_idempotency_keys(app.state.db, app.state.settings) >= 1
    # The key is forgotten: the same key now makes a new reservation.
    again = await client.post(_reserve_url(section), json={"quantity": 1}, headers=headers)
    assert again.status_code == 200
    assert again.json()["reservation"]["id"] != first.json()["reservation"]["id"]
