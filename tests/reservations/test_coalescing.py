"""Reserve coalescing (issue 10 item 4(ii)): concurrent reserves of one section share one UPDATE + INSERT.

In-process tests use an app with a wide window (50 ms), so that requests fired together surely share
a batch; the live tests run `serve --workers 3` with the default window against several OS processes.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from event_service.app import create_app
from event_service.db.engine import Database
from event_service.reservations.coalescer import Coalescer
from event_service.reservations.service import reconcile
from tests import factories
from tests.conftest import make_settings
from tests.reservations import clients
from tests.reservations.arrange import event_status, ledger_violations, on_sale_section, section_row
from tests.support import Tenant, live_server

SERVER_ENV = {
    "RATE_LIMIT_ENABLED": "false",
    "MAX_ACTIVE_HOLDS_PER_EVENT": "0",
    "RESERVE_COALESCE_WINDOW_MS": "2",
    "DB_POOL_MAX": "8",
}


# --- the batcher on its own ---------------------------------------------------------------------


async def test_the_coalescer_batches_by_key_answers_each_item_and_flushes_one_batch_at_a_time() -> None:
    seen: list[tuple[str, list[int]]] = []
    in_flight: Counter[str] = Counter()
    most: Counter[str] = Counter()

    async def flush(key: str, items: Sequence[int]) -> list[int | BaseException]:
        in_flight[key] += 1
        most[key] = max(most[key], in_flight[key])
        seen.append((key, list(items)))
        await asyncio.sleep(0.02)
        in_flight[key] -= 1
        return [ValueError(item) if item < 0 else item * 10 for item in items]

    coalescer: Coalescer[str, int, int] = Coalescer(flush, window_seconds=0.01, max_batch=4)
    results = await asyncio.gather(
        *(coalescer.submit("a", i) for i in (1, 2, -3, 4, 5, 6)),
        coalescer.submit("b", 7),
        return_exceptions=True,
    )
    assert results[:2] == [10, 20] and isinstance(results[2], ValueError) and results[3:] == [40, 50, 60, 70]
    # "a": the cap (4) flushed the first batch at once; the rest went next, one flush in flight at a time.
    assert [items for key, items in seen if key == "a"] == [[1, 2, -3, 4], [5, 6]]
    assert most["a"] == 1 and most["b"] == 1
    assert coalescer.batches == 3 and coalescer.items == 7

    async def broken(key: str, items: Sequence[int]) -> list[int | BaseException]:
        raise RuntimeError("the database went away")

    failing: Coalescer[str, int, int] = Coalescer(broken, window_seconds=0.001, max_batch=10)
    outcomes = await asyncio.gather(*(failing.submit("a", i) for i in range(3)), return_exceptions=True)
    assert all(isinstance(outcome, RuntimeError) for outcome in outcomes)


# --- one process, a wide window -----------------------------------------------------------------


@pytest.fixture
async def wide(database_url: str) -> AsyncIterator[FastAPI]:
    """An app whose reserves coalesce within 50 ms (requests fired together share one batch)."""
    application = create_app(make_settings(database_url, reserve_coalesce_window_ms=50, max_active_holds_per_event=2))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def wide_client(wide: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=wide), base_url="http://test") as http:
        yield http


def _batches(app: FastAPI) -> int:
    return int(app.state.reserve_coalescer.batches)


async def _together(
    http: httpx.AsyncClient, capacity_id: object, bodies: list[dict[str, Any]], headers: list[dict[str, str]]
) -> list[httpx.Response]:
    url = f"/api/v1/capacity/{capacity_id}/reserve"
    return list(
        await asyncio.gather(*(http.post(url, json=b, headers=h) for b, h in zip(bodies, headers, strict=True)))
    )


async def test_an_invalid_request_in_a_batch_fails_alone(
    wide: FastAPI, wide_client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    section = await on_sale_section(engine, tenant.id, 100, maximum_purchase=4)
    elsewhere = await on_sale_section(engine, tenant.id, 10)
    foreign_tier = await factories.pricing(engine, tenant.id, elsewhere["event_id"])
    bodies: list[dict[str, Any]] = [
        {"quantity": 2},
        {"quantity": 5},  # above maximum_purchase
        {"quantity": 3},
        {"quantity": 1, "pricing_id": str(foreign_tier["id"])},  # another event's tier
        {"quantity": 4},
    ]
    responses = await _together(
        wide_client, section["id"], bodies, [tenant.headers("customer", uuid.uuid4()) for _ in bodies]
    )
    assert [r.status_code for r in responses] == [200, 422, 200, 422, 200], [r.text for r in responses]
    assert responses[1].json()["code"] == "VALIDATION_ERROR"
    assert responses[3].json()["code"] == "PRICING_NOT_FOR_EVENT"
    assert _batches(wide) == 1  # they did share one batch
    held = [r.json()["reservation"] for r in responses if r.status_code == 200]
    assert sorted(h["quantity"] for h in held) == [2, 3, 4]
    assert len({h["id"] for h in held}) == 3 and len({h["created_at"] for h in held}) == 1  # one transaction
    row = await section_row(engine, section["id"])
    assert (row["reserved_capacity"], row["available_capacity"]) == (9, 91)
    assert all(r.json()["capacity"]["reserved_capacity"] == 9 for r in responses if r.status_code == 200)
    assert await ledger_violations(engine, tenant.id) == []


async def test_a_batch_that_does_not_fit_falls_back_one_by_one_and_fills_the_section(
    wide: FastAPI, wide_client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    section = await on_sale_section(engine, tenant.id, 10)
    quantities = [4, 4, 4, 2]  # 14 asked, 10 left: in any order, one 4 is refused and the rest fit
    responses = await _together(
        wide_client,
        section["id"],
        [{"quantity": q} for q in quantities],
        [tenant.headers("customer", uuid.uuid4()) for _ in quantities],
    )
    codes = Counter(r.status_code for r in responses)
    assert codes == {200: 3, 400: 1}, [r.text for r in responses]
    refused = next(r for r in responses if r.status_code == 400).json()
    assert refused["code"] == "INSUFFICIENT_CAPACITY"
    assert refused["details"][0]["requested"] == 4 and refused["details"][0]["available"] < 4
    assert _batches(wide) == 1
    row = await section_row(engine, section["id"])
    assert (row["reserved_capacity"], row["available_capacity"]) == (10, 0)
    assert await event_status(engine, section["event_id"]) == "SOLD_OUT"
    assert await ledger_violations(engine, tenant.id) == []


async def test_each_reservation_of_a_batch_keeps_its_own_price_lock(
    wide: FastAPI, wide_client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    section = await on_sale_section(engine, tenant.id, 100)
    tier = await factories.pricing(
        engine, tenant.id, section["event_id"], base_price=Decimal("50.00"), service_fee=Decimal("5.00")
    )
    quantities = [1, 2, 3]
    headers = [tenant.headers("customer", uuid.uuid4()) for _ in quantities]
    responses = await _together(
        wide_client,
        section["id"],
        [{"quantity": q, "pricing_id": str(tier["id"])} for q in quantities],
        headers,
    )
    assert [r.status_code for r in responses] == [200, 200, 200], [r.text for r in responses]
    assert _batches(wide) == 1
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE event_pricing SET base_price = 80.00, current_price = 80.00 WHERE id = :id"),
            {"id": tier["id"]},
        )
    for quantity, response, who in zip(quantities, responses, headers, strict=True):
        body = response.json()
        assert body["locked_price"]["quantity"] == quantity
        reservation = body["reservation"]
        assert Decimal(str(reservation["unit_price"])) == Decimal("50.00")
        assert Decimal(str(reservation["total_amount"])) == Decimal("55.00") * quantity
        confirmed = await wide_client.post(f"/api/v1/reservations/{reservation['id']}/confirm", headers=who)
        assert confirmed.status_code == 200, confirmed.text
        assert Decimal(str(confirmed.json()["reservation"]["total_amount"])) == Decimal("55.00") * quantity
    assert await ledger_violations(engine, tenant.id) == []


async def test_one_customer_twice_in_a_window_is_serialized_for_their_limits(
    wide: FastAPI, wide_client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    """Two requests of one user never share a transaction, so max_per_customer and the holds cap
    (2 in this app) see the first one's hold, as for requests one after the other."""
    section = await on_sale_section(engine, tenant.id, 100)
    tier = await factories.pricing(engine, tenant.id, section["event_id"], max_per_customer=3)
    user = tenant.headers("customer", uuid.uuid4())
    priced = await _together(
        wide_client, section["id"], [{"quantity": 2, "pricing_id": str(tier["id"])}] * 2, [user, user]
    )
    assert sorted(r.status_code for r in priced) == [200, 422], [r.text for r in priced]
    assert next(r for r in priced if r.status_code == 422).json()["code"] == "MAX_PER_CUSTOMER_EXCEEDED"

    other = tenant.headers("customer", uuid.uuid4())
    capped = await _together(wide_client, section["id"], [{"quantity": 1}] * 3, [other] * 3)
    assert sorted(r.status_code for r in capped) == [200, 200, 429], [r.text for r in capped]
    assert await ledger_violations(engine, tenant.id) == []


async def test_a_window_of_zero_keeps_one_transaction_per_reserve(
    database_url: str, engine: AsyncEngine, tenant: Tenant
) -> None:
    application = create_app(make_settings(database_url, reserve_coalesce_window_ms=0))
    section = await on_sale_section(engine, tenant.id, 10)
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://test") as http,
    ):
        responses = await _together(
            http, section["id"], [{"quantity": 1}] * 3, [tenant.headers("customer", uuid.uuid4()) for _ in range(3)]
        )
        assert [r.status_code for r in responses] == [200, 200, 200]
        assert getattr(application.state, "reserve_coalescer", None) is None
    assert await ledger_violations(engine, tenant.id) == []


# --- real processes: serve --workers 3, clients in several OS processes -------------------------


def _pool(processes: int) -> multiprocessing.pool.Pool:
    return multiprocessing.get_context("spawn").Pool(processes)


async def _distinct_transactions(engine: AsyncEngine, capacity_id: object) -> tuple[int, int]:
    """(ledger rows, distinct transactions that wrote them): rows of one batch share created_at = now()."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT count(*), count(DISTINCT created_at) FROM capacity_reservations WHERE capacity_id = :id"),
                {"id": capacity_id},
            )
        ).one()
    return int(row[0]), int(row[1])


@pytest.mark.slow
async def test_coalesced_reserves_from_many_clients_hold_exactly_the_section(
    engine: AsyncEngine, database_url: str, tenant: Tenant
) -> None:
    """A section of 200, 500 single-seat reserves from 5 processes x 25 in flight: exactly 200 held,
    every refusal came when nothing was left, the ledger equals the counters, and batches did form."""
    section = await on_sale_section(engine, tenant.id, 200)
    with live_server(database_url, workers=3, **SERVER_ENV) as base, _pool(5) as pool:
        args = [(base, str(tenant.id), str(section["id"]), [1] * 100, 25)] * 5
        results = await asyncio.to_thread(pool.starmap, clients.reserve_quantities, args)
    answers = [answer for result in results for answer in result]
    assert Counter(status for _, status, _ in answers) == {200: 200, 400: 300}
    assert all(detail is not None and detail["available"] == 0 for _, status, detail in answers if status == 400)
    row = await section_row(engine, section["id"])
    assert (row["reserved_capacity"], row["available_capacity"]) == (200, 0)
    assert await ledger_violations(engine, tenant.id) == []
    assert (await reconcile(Database(engine), tenant.id, fix=False))["drift"] == []
    assert await event_status(engine, section["event_id"]) == "SOLD_OUT"
    rows, transactions = await _distinct_transactions(engine, section["id"])
    assert rows == 200 and transactions < rows, (rows, transactions)


@pytest.mark.slow
async def test_coalesced_reserves_of_mixed_sizes_refuse_nobody_while_seats_remain(
    engine: AsyncEngine, database_url: str, tenant: Tenant
) -> None:
    """A section of 400, 2.5x as many seats asked (1-4 each) from 4 processes x 40 in flight."""
    total = 400
    section = await on_sale_section(engine, tenant.id, total)
    rng = random.Random(7)
    quantities = [rng.randint(1, 4) for _ in range(400)]  # about 1,000 seats asked
    chunks = [quantities[i::4] for i in range(4)]
    with live_server(database_url, workers=3, **SERVER_ENV) as base, _pool(4) as pool:
        args = [(base, str(tenant.id), str(section["id"]), chunk, 40) for chunk in chunks]
        results = await asyncio.to_thread(pool.starmap, clients.reserve_quantities, args)
    answers = [answer for result in results for answer in result]
    assert {status for _, status, _ in answers} <= {200, 400}, Counter(status for _, status, _ in answers)
    held = sum(quantity for quantity, status, _ in answers if status == 200)
    row = await section_row(engine, section["id"])
    assert row["reserved_capacity"] == held and row["available_capacity"] == total - held
    refused = [(quantity, detail) for quantity, status, detail in answers if status == 400]
    assert refused, "the section should have sold out"
    # Seats only ever go (no release here): a refusal with q > available at that moment, and at the
    # end fewer seats left than any refused request asked for, means nobody was refused while seats remained.
    assert all(detail is not None and detail["available"] < quantity for quantity, detail in refused)
    assert row["available_capacity"] < min(quantity for quantity, _ in refused)
    assert await ledger_violations(engine, tenant.id) == []
    assert (await reconcile(Database(engine), tenant.id, fix=False))["drift"] == []
    rows, transactions = await _distinct_transactions(engine, section["id"])
    assert transactions < rows, (rows, transactions)
