"""Signed HTTP deliveries to the webhooks a tenant registered.

Signature (docs/outbox.md): X-Signature = "sha256=" + hex(HMAC-SHA256(secret,
X-Timestamp + "." + body)), where X-Timestamp is Unix seconds and body the
exact bytes sent. A receiver recomputes it, compares in constant time and
rejects timestamps too far from its clock (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

import httpx

from event_service.outbox.queries import WebhookDelivery
from event_service.outbox.sinks import encode

USER_AGENT = "event-service-webhooks/1"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


@dataclass(frozen=True)
class Outcome:
    delivery: WebhookDelivery
    status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


async def send(http: httpx.AsyncClient, delivery: WebhookDelivery) -> Outcome:
    """POST the event; any 2xx is a delivery, anything else (or no answer) a failure to retry."""
    body = encode(delivery.message)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/cloudevents+json",
        "User-Agent": USER_AGENT,
        "X-Timestamp": timestamp,
        "X-Signature": signature(delivery.secret, timestamp, body),
        "X-Event-Id": str(delivery.envelope.get("id", "")),
        "X-Event-Type": str(delivery.envelope.get("type", "")),
        "X-Delivery-Attempt": str(delivery.attempts),
    }
    try:
        response = await http.post(delivery.url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return Outcome(delivery, None, f"{type(exc).__name__}: {exc}"[:500])
    if 200 <= response.status_code < 300:
        return Outcome(delivery, response.status_code, None)
    return Outcome(delivery, response.status_code, f"HTTP {response.status_code}")
