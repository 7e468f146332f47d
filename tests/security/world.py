"""A tenant's world of resources, created through the API, and the path-parameter mapping.

`build_world` creates one of every resource a path id can name; `PATH_PARAM_SOURCES`
maps each path-parameter name of the route table to the world key that fills it.
A new route whose parameter is not in the mapping fails the isolation matrix
loudly (add the mapping here), so no route is silently skipped.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

# path parameter -> key of the world dict (all created through the API, below)
PATH_PARAM_SOURCES: dict[str, str] = {
    "event_id": "event_id",
    "venue_id": "venue_id",
    "category_id": "category_id",
    "pricing_id": "pricing_id",
    "schedule_id": "schedule_id",
    "capacity_id": "capacity_id",
    "reservation_id": "reservation_id",
    "webhook_id": "webhook_id",
    "customer_id": "customer_id",
    "user_id": "customer_id",
    "notification_id": "notification_id",
}


def future(days: float, hours: float = 0) -> str:
    return (datetime.now(UTC).replace(microsecond=0) + timedelta(days=days, hours=hours)).isoformat()


async def created(client: httpx.AsyncClient, path: str, headers: dict[str, str], body: dict[str, Any]) -> Any:
    response = await client.post(path, headers=headers, json=body)
    assert response.status_code in (200, 201), f"arranging {path}: {response.status_code} {response.text}"
    return response.json()


async def build_world(client: httpx.AsyncClient, headers: dict[str, str], customer_id: uuid.UUID) -> dict[str, str]:
    """Venue, category, event, schedule, section, pricing, reservation and webhook of one tenant."""
    venue = (await created(client, "/api/v1/venues", headers, {"name": "Isolation Hall", "max_capacity": 1000}))[
        "venue"
    ]
    category = (await created(client, "/api/v1/categories", headers, {"name": f"Cat {uuid.uuid4().hex[:8]}"}))[
        "category"
    ]
    event = (
        await created(
            client,
            "/api/v1/events",
            headers,
            {
                "name": f"Isolated {uuid.uuid4().hex[:6]}",
                "venue_id": venue["id"],
                "primary_category_id": category["id"],
                "starts_at": future(30),
                "ends_at": future(30, 3),
                "timezone": "UTC",
            },
        )
    )["event"]
    base = f"/api/v1/events/{event['id']}"
    schedule = (
        await created(client, f"{base}/schedules", headers, {"starts_at": future(40), "ends_at": future(40, 3)})
    )["data"]
    section = (await created(client, f"{base}/capacity", headers, {"section_name": "Floor", "total_capacity": 100}))[
        "capacity"
    ]
    pricing = (await created(client, f"{base}/pricing", headers, {"name": "Standard", "base_price": 25}))["pricing"]
    reserved = await created(
        client,
        f"/api/v1/capacity/{section['id']}/reserve",
        {**headers},
        {"quantity": 2, "pricing_id": pricing["id"], "user_id": str(customer_id)},
    )
    webhook = (await created(client, "/api/v1/webhooks", headers, {"url": "http://127.0.0.1:9/isolation"}))["webhook"]
    return {
        "venue_id": venue["id"],
        "category_id": category["id"],
        "event_id": event["id"],
        "schedule_id": schedule["id"],
        "capacity_id": section["id"],
        "pricing_id": pricing["id"],
        "reservation_id": reserved["reservation"]["id"],
        "webhook_id": webhook["id"],
        "customer_id": str(customer_id),
        "notification_id": str(uuid.uuid4()),
    }
