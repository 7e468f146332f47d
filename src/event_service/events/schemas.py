"""The events API's shapes: request bodies (Pydantic) and the JSON an event is shown as."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from sqlalchemy import Row

Status = Literal[
    "DRAFT",
    "REVIEW",
    "APPROVED",
    "PUBLISHED",
    "ON_SALE",
    "SOLD_OUT",
    "IN_PROGRESS",
    "COMPLETED",
    "CANCELLED",
    "POSTPONED",
]
Visibility = Literal["PUBLIC", "PRIVATE", "UNLISTED"]
EventType = Literal["single", "recurring", "series"]


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Text44 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=44)]
Text50 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)]
Text70 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=70)]
Text100 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Text160 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=160)]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Text500 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Text10000 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10000)]
Text20000 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20000)]
Text50000 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=50000)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2048, pattern=r"^https?://[^\s]+$")]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Json = dict[str, Any]


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


def _storable(value: Any) -> None:
    """PostgreSQL text and jsonb hold neither NUL characters nor lone surrogates."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError("must be valid Unicode text") from exc
    elif isinstance(value, dict):
        for key, item in value.items():
            _storable(key)
            _storable(item)
    elif isinstance(value, list):
        for item in value:
            _storable(item)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _only_storable_text(cls, value: Any) -> Any:
        _storable(value)
        return value


class EventFields(_Body):
    """Every field an organizer may set; all optional (PUT sends only what changes)."""

    name: Name | None = None
    venue_id: uuid.UUID | None = None
    venue_layout_id: uuid.UUID | None = None
    description: Text20000 | None = None
    short_description: Text500 | None = None
    event_type: EventType | None = None
    primary_category_id: uuid.UUID | None = None
    secondary_category_ids: list[uuid.UUID] | None = Field(default=None, max_length=20)
    tags: list[Tag] | None = Field(default=None, max_length=50)
    status: Status | None = None
    visibility: Visibility | None = None
    is_featured: bool | None = None
    priority_score: int | None = Field(default=None, ge=-1_000_000, le=1_000_000)
    banner_image_url: Url | None = None
    thumbnail_image_url: Url | None = None
    image_gallery: list[Json] | None = Field(default=None, max_length=100)
    video_url: Url | None = None
    virtual_event_url: Url | None = None
    age_restriction: int | None = Field(default=None, ge=0, le=120)
    dress_code: Text100 | None = None
    special_requirements: list[Text500] | None = Field(default=None, max_length=50)
    accessibility_info: Json | None = None
    collection_address: Text44 | None = None
    mint_authority: Text44 | None = None
    royalty_percentage: Decimal | None = Field(default=None, ge=0, le=100, max_digits=5, decimal_places=2)
    is_virtual: bool | None = None
    is_hybrid: bool | None = None
    streaming_platform: Text50 | None = None
    streaming_config: Json | None = None
    cancellation_policy: Text10000 | None = None
    refund_policy: Text10000 | None = None
    cancellation_deadline_hours: int | None = Field(default=None, ge=0, le=8760)
    meta_title: Text70 | None = None
    meta_description: Text160 | None = None
    meta_keywords: list[Text100] | None = Field(default=None, max_length=50)
    external_id: Text100 | None = None
    metadata: Json | None = None

    # Legacy inline schedule and capacity (docs/events.md).
    starts_at: datetime | None = None
    event_date: datetime | None = None
    ends_at: datetime | None = None
    doors_open: datetime | None = None
    doors_open_at: datetime | None = None
    timezone: str | None = Field(default=None, max_length=64)
    capacity: int | None = Field(default=None, ge=1, le=10_000_000)

    @field_validator("timezone")
    @classmethod
    def _iana_timezone(cls, value: str | None) -> str | None:
        if value is not None and value not in _zones():
            raise ValueError("must be an IANA time zone such as America/New_York")
        return value

    def given(self) -> dict[str, Any]:
        """The fields the client sent, with their (validated) values."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class EventCreate(EventFields):
    name: Name
    venue_id: uuid.UUID


# Columns that hold a value on every event: PUT may change them, not clear them.
NOT_NULLABLE = (
    "name",
    "venue_id",
    "event_type",
    "status",
    "visibility",
    "is_featured",
    "priority_score",
    "tags",
    "secondary_category_ids",
    "age_restriction",
    "is_virtual",
    "is_hybrid",
    "cancellation_deadline_hours",
    "starts_at",
    "event_date",
    "ends_at",
    "timezone",
    "capacity",
)


class EventUpdate(EventFields):
    @field_validator(*NOT_NULLABLE, mode="after")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be changed but not set to null")
        return value


class MetadataUpdate(_Body):
    performers: list[Json] | None = Field(default=None, max_length=200)
    headliner: Text200 | None = None
    supporting_acts: list[Text200] | None = Field(default=None, max_length=100)
    production_company: Text200 | None = None
    technical_requirements: Json | None = None
    stage_setup_time_hours: int | None = Field(default=None, ge=0, le=10_000)
    sponsors: list[Json] | None = Field(default=None, max_length=200)
    primary_sponsor: Text200 | None = None
    performance_rights_org: Text100 | None = None
    licensing_requirements: list[Text500] | None = Field(default=None, max_length=100)
    insurance_requirements: Json | None = None
    press_release: Text50000 | None = None
    marketing_copy: Json | None = None
    social_media_copy: Json | None = None
    sound_requirements: Json | None = None
    lighting_requirements: Json | None = None
    video_requirements: Json | None = None
    catering_requirements: Json | None = None
    rider_requirements: Json | None = None
    production_budget: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    marketing_budget: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    projected_revenue: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    break_even_capacity: int | None = Field(default=None, ge=0, le=10_000_000)
    previous_events: list[Json] | Json | None = None
    custom_fields: Json | None = None

    def given(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


# Metadata a customer may read; the rest (budgets, riders, requirements) is for staff.
PUBLIC_METADATA = ("performers", "headliner", "supporting_acts", "production_company", "sponsors", "primary_sponsor")


# ---- Output -------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """asyncpg hands back UUIDs as its own subclass, which the JSON renderer does not know."""
    if isinstance(value, uuid.UUID) and type(value) is not uuid.UUID:
        return uuid.UUID(bytes=value.bytes)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def plain_dict(row: Row[Any]) -> dict[str, Any]:
    return {k: _plain(v) for k, v in row._mapping.items()}


def row_dict(row: Row[Any] | None) -> dict[str, Any] | None:
    return plain_dict(row) if row is not None else None


def event_json(
    row: Row[Any],
    schedule: Row[Any] | None,
    totals: tuple[int, int] | None,
    section: Row[Any] | None,
) -> dict[str, Any]:
    """An event as the API shows it, with the seed's legacy fields derived from schedules and sections."""
    body = plain_dict(row)
    body.pop("search_vector", None)
    body["event_date"] = schedule.starts_at if schedule is not None else None
    body["doors_open"] = schedule.doors_open_at if schedule is not None else None
    body["capacity"] = totals[0] if totals is not None else None
    body["available_capacity"] = totals[1] if totals is not None else None
    body["schedule"] = row_dict(schedule)
    body["capacity_info"] = row_dict(section)
    return body


def audit_json(row: Row[Any]) -> dict[str, Any]:
    body = plain_dict(row)
    body["ip_address"] = str(body["ip_address"]) if body.get("ip_address") is not None else None
    return body


def metadata_json(body: dict[str, Any], *, staff: bool) -> dict[str, Any]:
    if staff:
        return body
    return {k: body[k] for k in ("id", "event_id", *PUBLIC_METADATA, "created_at", "updated_at")}
