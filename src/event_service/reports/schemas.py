"""Report filters and the shapes of the report rows (seed endpoints 26-31), JSON and CSV."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal

from event_service.platform.errors import ValidationFailed

ReportFormat = Literal["json", "csv"]

RECENT_PURCHASES_DEFAULT = 10
RECENT_PURCHASES_MAX = 50


@dataclass(frozen=True)
class ReportFilters:
    """What every report may be narrowed by. Dates are UTC calendar days on `confirmed_at`, both inclusive."""

    date_from: date | None = None
    date_to: date | None = None
    venue_id: uuid.UUID | None = None
    event_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        if self.date_from is not None and self.date_to is not None and self.date_to < self.date_from:
            raise ValidationFailed.field("to", "must not be before from")

    @property
    def confirmed_from(self) -> datetime | None:
        """Start of the `from` day in UTC (inclusive)."""
        return datetime.combine(self.date_from, time.min, tzinfo=UTC) if self.date_from else None

    @property
    def confirmed_before(self) -> datetime | None:
        """Start of the day after `to` in UTC (exclusive), so the whole `to` day counts."""
        if self.date_to is None:
            return None
        return datetime.combine(self.date_to + timedelta(days=1), time.min, tzinfo=UTC)


def _value(value: Any) -> Any:
    """asyncpg hands back its own UUID subclass, which the JSON renderer does not know."""
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def row_view(row: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    return {name: _value(row[name]) for name in fields}


# The fields of each report's rows, in CSV column order (the seed's names first).
SALES_FIELDS = ("id", "event_name", "tickets_sold", "revenue", "gross_revenue", "venue_id")
VENUE_COMPARISON_FIELDS = (
    "venue_id",
    "event_count",
    "total_sold",
    "total_capacity",
    "venue_name",
    "revenue",
    "gross_revenue",
)
CUSTOMER_INSIGHTS_FIELDS = (
    "category",
    "tickets_sold",
    "avg_ticket_price",
    "category_id",
    "revenue",
    "gross_revenue",
    "customers",
)
DASHBOARD_CSV_FIELDS = (
    "venue_id",
    "venue_name",
    "events",
    "total_capacity",
    "total_sold",
    "total_reserved",
    "available",
)
ANALYTICS_CSV_FIELDS = ("venue_id", "total_events", "total_revenue", "total_tickets_sold", "total_gross_revenue")
RECENT_PURCHASE_FIELDS = (
    "reservation_id",
    "event_id",
    "event_name",
    "starts_at",
    "tier_name",
    "price",
    "quantity",
    "total_amount",
    "currency",
    "confirmed_at",
)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return str(value)


def to_csv(fields: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str:
    """A header line, then one line per row (RFC 4180: CRLF line ends, quoted when needed)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(fields)
    for row in rows:
        writer.writerow([_csv_cell(row[name]) for name in fields])
    return buffer.getvalue()
