"""Reports 27-31: every figure matches the sales made through reserve and confirm, nothing else counts."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx

from tests.reports.conftest import API, Sale, Shop, World, money
from tests.support import Tenant

CENT = Decimal("0.01")


def totals(sales: list[Sale]) -> tuple[int, Decimal, Decimal]:
    return (
        sum(s.quantity for s in sales),
        sum((s.revenue for s in sales), Decimal(0)),
        sum((s.gross for s in sales), Decimal(0)),
    )


def of(world: World, *events: str) -> list[Sale]:
    return [s for s in world.shop.sales if s.event_id in events]


async def test_sales_report_counts_each_events_confirmed_tickets_at_their_locked_prices(world: World) -> None:
    body = await world.shop.get("/reports/sales")
    report = body["report"]
    assert report["type"] == "sales" and report["generated_at"].endswith("Z")
    rows = {row["id"]: row for row in report["data"]}
    assert set(rows) == {world.concert, world.match, world.recital, world.empty}
    for event in (world.concert, world.match, world.recital):
        tickets, revenue, gross = totals(of(world, event))
        assert rows[event]["tickets_sold"] == tickets
        assert money(rows[event]["revenue"]) == revenue
        assert money(rows[event]["gross_revenue"]) == gross
    # By hand, so the fixtures cannot hide a mistake: releases, expiries and holds are not sales.
    assert rows[world.concert]["tickets_sold"] == 5  # 2 VIP + 3 GA
    assert money(rows[world.concert]["revenue"]) == Decimal("320.00")  # 2 x 100 + 3 x 40
    assert money(rows[world.concert]["gross_revenue"]) == Decimal("365.10")  # 237.60 + 127.50
    assert money(rows[world.match]["revenue"]) == Decimal("119.99")  # the lock's exact figure, not 4 x 30.00
    assert rows[world.empty] == {
        "id": world.empty,
        "event_name": "Quiet Night",
        "tickets_sold": 0,
        "revenue": 0,
        "gross_revenue": 0,
        "venue_id": str(world.arena),
    }
    assert [row["id"] for row in report["data"]] == [world.recital, world.concert, world.match, world.empty]


async def test_venue_comparison_sums_events_sales_and_capacity_per_venue(world: World) -> None:
    body = await world.shop.get("/reports/venue-comparison")
    assert body["report"]["type"] == "venue_comparison"
    rows = {row["venue_id"]: row for row in body["report"]["data"]}
    assert set(rows) == {str(world.hall), str(world.arena)}
    hall, arena = rows[str(world.hall)], rows[str(world.arena)]
    assert (hall["event_count"], hall["total_sold"], hall["total_capacity"]) == (2, 9, 800)
    assert (arena["event_count"], arena["total_sold"], arena["total_capacity"]) == (2, 6, 80)
    tickets, revenue, gross = totals(of(world, world.concert, world.match))
    assert (hall["total_sold"], money(hall["revenue"]), money(hall["gross_revenue"])) == (tickets, revenue, gross)
    tickets, revenue, gross = totals(of(world, world.recital))
    assert (arena["total_sold"], money(arena["revenue"]), money(arena["gross_revenue"])) == (tickets, revenue, gross)
    assert body["report"]["data"][0]["venue_id"] == str(world.hall)  # most tickets first


async def test_customer_insights_groups_sales_by_category_with_the_average_face_price(world: World) -> None:
    body = await world.shop.get("/reports/customer-insights")
    assert body["report"]["type"] == "customer_insights"
    rows = {row["category"]: row for row in body["report"]["data"]}
    assert set(rows) == {"Music", "Sports"}  # the uncategorized event sold nothing
    for name, events, buyers in (
        ("Music", (world.concert, world.recital), {world.alice, world.bob}),
        ("Sports", (world.match,), {world.alice}),
    ):
        tickets, revenue, gross = totals(of(world, *events))
        assert rows[name]["tickets_sold"] == tickets
        assert money(rows[name]["revenue"]) == revenue
        assert money(rows[name]["gross_revenue"]) == gross
        assert money(rows[name]["avg_ticket_price"]) == (revenue / tickets).quantize(CENT, ROUND_HALF_UP)
        assert rows[name]["customers"] == len(buyers)
    assert money(rows["Music"]["avg_ticket_price"]) == Decimal("61.82")  # (320 + 360) / 11 = 61.818..., half-up


async def test_customer_insights_puts_events_without_a_category_under_uncategorized(world: World) -> None:
    shop = world.shop
    section = await shop.section(world.empty, "Balcony", 20)
    tier = await shop.tier(world.empty, section, "Balcony", "15.00")
    sale = await shop.sell(section, tier, 2, world.carol)
    rows = (await shop.get("/reports/customer-insights"))["report"]["data"]
    uncategorized = next(row for row in rows if row["category"] == "Uncategorized")
    assert uncategorized["category_id"] is None
    assert (uncategorized["tickets_sold"], money(uncategorized["revenue"])) == (2, sale.revenue)


async def test_venue_dashboard_shows_live_capacity_sold_held_and_available(world: World) -> None:
    body = await world.shop.get(f"/venues/{world.hall}/dashboard")
    assert body["venue"]["id"] == str(world.hall) and body["venue"]["name"].startswith("Hall")
    assert body["events"] == 2
    sold = sum(s.quantity for s in of(world, world.concert, world.match))
    assert body["stats"] == {
        "total_capacity": 800,
        "total_sold": sold,
        "total_reserved": world.held,
        "available": 800 - sold - world.held,
    }
    arena = await world.shop.get(f"/venues/{world.arena}/dashboard")
    assert arena["events"] == 2
    assert arena["stats"] == {"total_capacity": 80, "total_sold": 6, "total_reserved": 0, "available": 74}


async def test_venue_analytics_sums_the_venues_events_tickets_and_revenue(world: World) -> None:
    body = await world.shop.get(f"/venues/{world.hall}/analytics")
    tickets, revenue, gross = totals(of(world, world.concert, world.match))
    assert body["venueId"] == str(world.hall)
    assert body["analytics"]["total_events"] == 2
    assert body["analytics"]["total_tickets_sold"] == tickets == 9
    assert money(body["analytics"]["total_revenue"]) == revenue == Decimal("439.99")
    assert money(body["analytics"]["total_gross_revenue"]) == gross


async def test_a_venue_with_no_events_reports_zeros(world: World) -> None:
    venue = await world.shop.venue(name=f"Barn {uuid.uuid4().hex[:6]}")
    dashboard = await world.shop.get(f"/venues/{venue}/dashboard")
    assert dashboard["events"] == 0
    assert dashboard["stats"] == {"total_capacity": 0, "total_sold": 0, "total_reserved": 0, "available": 0}
    analytics = await world.shop.get(f"/venues/{venue}/analytics")
    assert analytics["analytics"] == {
        "total_events": 0,
        "total_revenue": 0,
        "total_tickets_sold": 0,
        "total_gross_revenue": 0,
    }


async def test_reports_narrow_by_venue_and_event(world: World) -> None:
    shop = world.shop
    by_venue = (await shop.get("/reports/sales", venue_id=str(world.arena)))["report"]["data"]
    assert {row["id"] for row in by_venue} == {world.recital, world.empty}
    by_event = (await shop.get("/reports/sales", event_id=world.match))["report"]["data"]
    assert [(row["id"], row["tickets_sold"]) for row in by_event] == [(world.match, 4)]
    venues = (await shop.get("/reports/venue-comparison", venue_id=str(world.hall)))["report"]["data"]
    assert [(row["venue_id"], row["total_sold"]) for row in venues] == [(str(world.hall), 9)]
    insights = (await shop.get("/reports/customer-insights", venue_id=str(world.hall)))["report"]["data"]
    assert {row["category"]: row["tickets_sold"] for row in insights} == {"Music": 5, "Sports": 4}
    insights = (await shop.get("/reports/customer-insights", event_id=world.recital))["report"]["data"]
    assert {row["category"]: row["tickets_sold"] for row in insights} == {"Music": 6}
    analytics = await shop.get(f"/venues/{world.hall}/analytics", event_id=world.concert)
    assert (analytics["analytics"]["total_events"], analytics["analytics"]["total_tickets_sold"]) == (1, 5)
    dashboard = await shop.get(f"/venues/{world.hall}/dashboard", event_id=world.match)
    assert dashboard["events"] == 1 and dashboard["stats"]["total_capacity"] == 200


async def test_from_and_to_count_sales_confirmed_on_those_utc_days(world: World) -> None:
    shop = world.shop
    old = next(s for s in shop.sales if s.event_id == world.match)
    day = datetime.now(UTC).replace(hour=23, minute=59, second=59, microsecond=0) - timedelta(days=40)
    await shop.confirmed_on(old, day)
    iso_day = day.date().isoformat()
    that_day: dict[str, Any] = {"from": iso_day, "to": iso_day}
    next_day: dict[str, Any] = {"from": (day.date() + timedelta(days=1)).isoformat()}
    rows = (await shop.get("/reports/sales", **that_day))["report"]["data"]
    sold = {row["id"]: row["tickets_sold"] for row in rows}
    assert sold == {world.concert: 0, world.match: 4, world.recital: 0, world.empty: 0}
    recent = await shop.get("/reports/sales", **next_day)
    assert {row["id"]: row["tickets_sold"] for row in recent["report"]["data"]}[world.match] == 0
    before = (await shop.get("/reports/sales", to=(day.date() - timedelta(days=1)).isoformat()))["report"]["data"]
    assert all(row["tickets_sold"] == 0 for row in before)
    analytics = await shop.get(f"/venues/{world.hall}/analytics", **that_day)
    assert analytics["analytics"]["total_tickets_sold"] == 4
    assert money(analytics["analytics"]["total_revenue"]) == old.revenue
    venues = (await shop.get("/reports/venue-comparison", to=iso_day))["report"]["data"]
    hall = next(row for row in venues if row["venue_id"] == str(world.hall))
    assert (hall["total_sold"], hall["event_count"], hall["total_capacity"]) == (4, 2, 800)
    insights = (await shop.get("/reports/customer-insights", **that_day))["report"]["data"]
    assert [(row["category"], row["tickets_sold"]) for row in insights] == [("Sports", 4)]


async def test_csv_format_returns_the_same_rows_with_a_header_line(world: World) -> None:
    shop = world.shop
    for path, key in (
        ("/reports/sales", "id"),
        ("/reports/venue-comparison", "venue_id"),
        ("/reports/customer-insights", "category"),
    ):
        exact = await shop.client.get(f"{API}{path}", headers=shop.tenant.headers("organizer"))
        json_rows = json.loads(exact.text, parse_float=Decimal)["report"]["data"]  # money as written
        answer = await shop.client.get(
            f"{API}{path}", params={"format": "csv"}, headers=shop.tenant.headers("organizer")
        )
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/csv")
        lines = list(csv.DictReader(io.StringIO(answer.text)))
        assert answer.text.splitlines()[0].split(",") == list(json_rows[0].keys())
        assert [line[key] for line in lines] == [str(row[key]) for row in json_rows]
        for line, row in zip(lines, json_rows, strict=True):
            assert line == {name: "" if value is None else str(value) for name, value in row.items()}
    answer = await shop.client.get(
        f"{API}/venues/{world.hall}/dashboard", params={"format": "csv"}, headers=shop.tenant.headers("organizer")
    )
    (line,) = list(csv.DictReader(io.StringIO(answer.text)))
    assert line["venue_id"] == str(world.hall) and line["events"] == "2" and line["total_reserved"] == "2"
    answer = await shop.client.get(
        f"{API}/venues/{world.hall}/analytics", params={"format": "csv"}, headers=shop.tenant.headers("organizer")
    )
    (line,) = list(csv.DictReader(io.StringIO(answer.text)))
    assert (line["total_events"], line["total_tickets_sold"], line["total_revenue"]) == ("2", "9", "439.99")


async def test_two_tenants_never_see_each_others_sales(
    world: World, client: httpx.AsyncClient, other_tenant: Tenant
) -> None:
    other = Shop(client, world.shop.engine, world.shop.db, other_tenant)
    venue = await other.venue()
    event = await other.event(venue, "Elsewhere", None)
    section = await other.section(event, "GA", 40)
    tier = await other.tier(event, section, "GA", "10.00")
    await other.sell(section, tier, 7, world.alice)

    mine = (await world.shop.get("/reports/sales"))["report"]["data"]
    assert {row["id"] for row in mine} == {world.concert, world.match, world.recital, world.empty}
    assert sum(row["tickets_sold"] for row in mine) == 15
    theirs = (await other.get("/reports/sales"))["report"]["data"]
    assert [(row["id"], row["tickets_sold"]) for row in theirs] == [(event, 7)]
    assert [row["venue_id"] for row in (await other.get("/reports/venue-comparison"))["report"]["data"]] == [str(venue)]
    assert [row["tickets_sold"] for row in (await other.get("/reports/customer-insights"))["report"]["data"]] == [7]
    for path in (f"/venues/{world.hall}/dashboard", f"/venues/{world.hall}/analytics"):
        answer = await client.get(f"{API}{path}", headers=other_tenant.headers("organizer"))
        assert answer.status_code == 404 and answer.json()["code"] == "NOT_FOUND"
    # Filtering by another tenant's event or venue finds nothing.
    assert (await other.get("/reports/sales", event_id=world.concert))["report"]["data"] == []
    assert (await other.get("/reports/venue-comparison", venue_id=str(world.hall)))["report"]["data"] == []
    # alice's purchases in the other tenant stay there.
    profile = await world.shop.get(f"/customers/{world.alice}/profile")
    assert profile["profile"]["total_purchases"] == 3


async def test_customers_and_services_may_not_read_reports(client: httpx.AsyncClient, tenant: Tenant) -> None:
    venue = uuid.uuid4()
    for role in ("customer", "service"):
        for path in (
            "/reports/sales",
            "/reports/venue-comparison",
            "/reports/customer-insights",
            f"/venues/{venue}/dashboard",
            f"/venues/{venue}/analytics",
        ):
            answer = await client.get(f"{API}{path}", headers=tenant.headers(role))
            assert answer.status_code == 403 and answer.json()["code"] == "FORBIDDEN", (role, path)
    answer = await client.get(f"{API}/reports/sales")
    assert answer.status_code == 401


async def test_an_unknown_venue_is_not_found(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for path in ("dashboard", "analytics"):
        answer = await client.get(f"{API}/venues/{uuid.uuid4()}/{path}", headers=tenant.headers("admin"))
        assert answer.status_code == 404 and answer.json()["code"] == "NOT_FOUND"


async def test_bad_filters_are_validation_errors(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for params, field in (
        ({"from": "yesterday"}, "from"),
        ({"to": "2025-13-01"}, "to"),
        ({"venue_id": "nope"}, "venue_id"),
        ({"event_id": "42"}, "event_id"),
        ({"format": "xml"}, "format"),
        ({"from": "2025-02-01", "to": "2025-01-31"}, "to"),
    ):
        answer = await client.get(f"{API}/reports/sales", params=params, headers=tenant.headers("organizer"))
        assert answer.status_code == 422, (params, answer.text)
        body = answer.json()
        assert body["code"] == "VALIDATION_ERROR"
        assert any(field in str(detail.get("field")) for detail in body["details"]), body


async def test_an_empty_tenant_reports_empty_lists(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for path, kind in (
        ("/reports/sales", "sales"),
        ("/reports/venue-comparison", "venue_comparison"),
        ("/reports/customer-insights", "customer_insights"),
    ):
        answer = await client.get(f"{API}{path}", headers=tenant.headers("organizer"))
        assert answer.status_code == 200
        assert answer.json()["report"]["type"] == kind and answer.json()["report"]["data"] == []
        csv_answer = await client.get(f"{API}{path}", params={"format": "csv"}, headers=tenant.headers("organizer"))
        assert len(csv_answer.text.splitlines()) == 1  # the header line only
