"""SQLAlchemy Core tables: the schema's single source of truth.

Migrations under `migrations/versions` create exactly this; a test compares
the migrated database with this metadata. Rules the database itself keeps:
- `event_capacity.available_capacity` is a generated column
  (total - sold - pending - reserved - buffer) and CHECK constraints keep it
  and every counter at zero or above, so no application bug can oversell;
- `updated_at` is maintained by the `set_updated_at` trigger (see migrations);
- `events.search_vector` is generated from name, descriptions and tags.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, INET, JSONB, TSVECTOR, UUID
from sqlalchemy.types import TIMESTAMP

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

TZ = TIMESTAMP(timezone=True)
MONEY = Numeric(10, 2)


def _id() -> Column[object]:
    return Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()"))


def _tenant() -> Column[object]:
    return Column("tenant_id", UUID(as_uuid=True), nullable=False, index=True)


def _timestamps() -> list[Column[object]]:
    return [
        Column("created_at", TZ, nullable=False, server_default=text("now()")),
        Column("updated_at", TZ, nullable=False, server_default=text("now()")),
    ]


# Local registry (no VENUE_SERVICE_URL) and cache of the venue service.
venues = Table(
    "venues",
    metadata,
    _id(),
    _tenant(),
    Column("name", String(200), nullable=False),
    Column("slug", String(200), nullable=False),
    Column("max_capacity", Integer, nullable=False),
    Column("address", JSONB),
    Column("timezone", String(50)),
    Column("source", String(10), nullable=False, server_default="local"),
    Column("fetched_at", TZ),
    *_timestamps(),
    CheckConstraint("max_capacity >= 0", name="max_capacity_nonnegative"),
    CheckConstraint("source IN ('local', 'remote')", name="source_known"),
)

# Platform categories have tenant_id NULL and are shared by every tenant;
# a tenant's admin may add its own (tenant_id set).
event_categories = Table(
    "event_categories",
    metadata,
    _id(),
    Column("tenant_id", UUID(as_uuid=True), nullable=True, index=True),
    Column("parent_id", UUID(as_uuid=True), ForeignKey("event_categories.id", ondelete="SET NULL"), index=True),
    Column("name", String(100), nullable=False),
    Column("slug", String(100), nullable=False),
    Column("description", Text),
    Column("icon", String(50)),
    Column("color", String(7)),
    Column("display_order", Integer, nullable=False, server_default="0"),
    Column("is_active", Boolean, nullable=False, server_default=text("true"), index=True),
    Column("is_featured", Boolean, nullable=False, server_default=text("false")),
    Column("meta_title", String(70)),
    Column("meta_description", String(160)),
    Column("event_count", Integer, nullable=False, server_default="0"),
    *_timestamps(),
    CheckConstraint("color IS NULL OR color ~ '^#[0-9A-Fa-f]{6}$'", name="color_hex"),
    CheckConstraint("event_count >= 0", name="event_count_nonnegative"),
    CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
)
Index(
    "uq_event_categories_slug",
    event_categories.c.slug,
    text("coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'::uuid)"),
    unique=True,
)

EVENT_STATUSES = (
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
)
VISIBILITIES = ("PUBLIC", "PRIVATE", "UNLISTED")
EVENT_TYPES = ("single", "recurring", "series")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


events = Table(
    "events",
    metadata,
    _id(),
    _tenant(),
    Column("venue_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("venue_layout_id", UUID(as_uuid=True)),
    Column("name", String(300), nullable=False),
    Column("slug", String(300), nullable=False),
    Column("description", Text),
    Column("short_description", String(500)),
    Column("event_type", String(20), nullable=False, server_default="single"),
    Column(
        "primary_category_id",
        UUID(as_uuid=True),
        ForeignKey("event_categories.id", ondelete="SET NULL"),
        index=True,
    ),
    Column("secondary_category_ids", ARRAY(UUID(as_uuid=True)), nullable=False, server_default="{}"),
    Column("tags", ARRAY(Text), nullable=False, server_default="{}"),
    Column("status", String(20), nullable=False, server_default="DRAFT", index=True),
    Column("visibility", String(20), nullable=False, server_default="PUBLIC"),
    Column("is_featured", Boolean, nullable=False, server_default=text("false")),
    Column("priority_score", Integer, nullable=False, server_default="0"),
    Column("banner_image_url", Text),
    Column("thumbnail_image_url", Text),
    Column("image_gallery", JSONB),
    Column("video_url", Text),
    Column("virtual_event_url", Text),
    Column("age_restriction", Integer, nullable=False, server_default="0"),
    Column("dress_code", String(100)),
    Column("special_requirements", ARRAY(Text)),
    Column("accessibility_info", JSONB),
    Column("collection_address", String(44)),
    Column("mint_authority", String(44)),
    Column("royalty_percentage", Numeric(5, 2)),
    Column("is_virtual", Boolean, nullable=False, server_default=text("false")),
    Column("is_hybrid", Boolean, nullable=False, server_default=text("false")),
    Column("streaming_platform", String(50)),
    Column("streaming_config", JSONB),
    Column("cancellation_policy", Text),
    Column("refund_policy", Text),
    Column("cancellation_deadline_hours", Integer, nullable=False, server_default="24"),
    Column("meta_title", String(70)),
    Column("meta_description", String(160)),
    Column("meta_keywords", ARRAY(Text)),
    Column("view_count", Integer, nullable=False, server_default="0"),
    Column("interest_count", Integer, nullable=False, server_default="0"),
    Column("share_count", Integer, nullable=False, server_default="0"),
    Column("external_id", String(100)),
    Column("metadata", JSONB),
    Column(
        "search_vector",
        TSVECTOR,
        Computed("event_search_document(name, short_description, description, tags)", persisted=True),
    ),
    Column("created_by", UUID(as_uuid=True)),
    Column("updated_by", UUID(as_uuid=True)),
    *_timestamps(),
    Column("deleted_at", TZ, index=True),
    CheckConstraint(_in("status", EVENT_STATUSES), name="status_known"),
    CheckConstraint(_in("visibility", VISIBILITIES), name="visibility_known"),
    CheckConstraint(_in("event_type", EVENT_TYPES), name="event_type_known"),
    CheckConstraint("age_restriction >= 0", name="age_nonnegative"),
    CheckConstraint("royalty_percentage IS NULL OR royalty_percentage BETWEEN 0 AND 100", name="royalty_percent"),
    UniqueConstraint("tenant_id", "venue_id", "slug", name="uq_events_venue_slug"),
)
Index("ix_events_created_at", events.c.created_at)
Index("ix_events_featured_priority", events.c.is_featured, events.c.priority_score)
Index("ix_events_tenant_status", events.c.tenant_id, events.c.status)
Index("ix_events_search_vector", events.c.search_vector, postgresql_using="gin")

SCHEDULE_STATUSES = (
    "SCHEDULED",
    "CONFIRMED",
    "IN_PROGRESS",
    "COMPLETED",
    "CANCELLED",
    "POSTPONED",
    "RESCHEDULED",
)

event_schedules = Table(
    "event_schedules",
    metadata,
    _id(),
    _tenant(),
    Column(
        "event_id",
        UUID(as_uuid=True),
        ForeignKey("events.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column(
        "parent_schedule_id",
        UUID(as_uuid=True),
        ForeignKey("event_schedules.id", ondelete="CASCADE"),
        index=True,
    ),
    Column("starts_at", TZ, nullable=False, index=True),
    Column("ends_at", TZ, nullable=False),
    Column("doors_open_at", TZ),
    Column("is_recurring", Boolean, nullable=False, server_default=text("false")),
    Column("recurrence_rule", Text),
    Column("recurrence_end_date", Date),
    Column("occurrence_number", Integer),
    Column("timezone", String(50), nullable=False, server_default="UTC"),
    Column("utc_offset", Integer),
    Column("status", String(20), nullable=False, server_default="SCHEDULED", index=True),
    Column("status_reason", Text),
    Column("capacity_override", Integer),
    Column("check_in_opens_at", TZ),
    Column("check_in_closes_at", TZ),
    Column("notes", Text),
    Column("metadata", JSONB),
    *_timestamps(),
    CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
    CheckConstraint("doors_open_at IS NULL OR doors_open_at <= starts_at", name="doors_before_start"),
    CheckConstraint("capacity_override IS NULL OR capacity_override >= 0", name="override_nonnegative"),
    CheckConstraint(_in("status", SCHEDULE_STATUSES), name="status_known"),
)
Index("ix_event_schedules_tenant_starts", event_schedules.c.tenant_id, event_schedules.c.starts_at)

event_capacity = Table(
    "event_capacity",
    metadata,
    _id(),
    _tenant(),
    Column(
        "event_id",
        UUID(as_uuid=True),
        ForeignKey("events.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("schedule_id", UUID(as_uuid=True), ForeignKey("event_schedules.id", ondelete="CASCADE"), index=True),
    Column("section_name", String(100), nullable=False),
    Column("section_code", String(20)),
    Column("tier", String(50)),
    Column("total_capacity", Integer, nullable=False),
    Column("reserved_capacity", Integer, nullable=False, server_default="0"),
    Column("buffer_capacity", Integer, nullable=False, server_default="0"),
    Column("sold_count", Integer, nullable=False, server_default="0"),
    Column("pending_count", Integer, nullable=False, server_default="0"),
    # Derived by the database, never written by the application.
    Column(
        "available_capacity",
        Integer,
        Computed(
            "total_capacity - sold_count - pending_count - reserved_capacity - buffer_capacity",
            persisted=True,
        ),
        index=True,
    ),
    Column("reserved_at", TZ),
    Column("reserved_expires_at", TZ, index=True),
    Column("locked_price_data", JSONB),
    Column("row_config", JSONB),
    Column("seat_map", JSONB),
    Column("is_active", Boolean, nullable=False, server_default=text("true")),
    Column("is_visible", Boolean, nullable=False, server_default=text("true")),
    Column("minimum_purchase", Integer, nullable=False, server_default="1"),
    Column("maximum_purchase", Integer),
    *_timestamps(),
    CheckConstraint("total_capacity >= 0", name="total_nonnegative"),
    CheckConstraint("reserved_capacity >= 0", name="reserved_nonnegative"),
    CheckConstraint("buffer_capacity >= 0", name="buffer_nonnegative"),
    CheckConstraint("sold_count >= 0", name="sold_nonnegative"),
    CheckConstraint("pending_count >= 0", name="pending_nonnegative"),
    CheckConstraint("available_capacity >= 0", name="available_nonnegative"),
    CheckConstraint("minimum_purchase >= 1", name="minimum_purchase_positive"),
    CheckConstraint("maximum_purchase IS NULL OR maximum_purchase >= minimum_purchase", name="maximum_purchase_range"),
    UniqueConstraint(
        "event_id",
        "section_name",
        "schedule_id",
        name="uq_event_capacity_section_name",
        postgresql_nulls_not_distinct=True,
    ),
)
# section_code is optional; when given it is unique per event and schedule (a NULL
# schedule counts as one value). Sections without a code never collide.
Index(
    "uq_event_capacity_section_code",
    event_capacity.c.event_id,
    event_capacity.c.schedule_id,
    event_capacity.c.section_code,
    unique=True,
    postgresql_nulls_not_distinct=True,
    postgresql_where=event_capacity.c.section_code.is_not(None),
)

event_pricing = Table(
    "event_pricing",
    metadata,
    _id(),
    _tenant(),
    Column(
        "event_id",
        UUID(as_uuid=True),
        ForeignKey("events.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("schedule_id", UUID(as_uuid=True), ForeignKey("event_schedules.id", ondelete="CASCADE"), index=True),
    Column("capacity_id", UUID(as_uuid=True), ForeignKey("event_capacity.id", ondelete="SET NULL"), index=True),
    Column("name", String(100), nullable=False),
    Column("description", Text),
    Column("tier", String(50)),
    Column("base_price", MONEY, nullable=False),
    Column("service_fee", MONEY, nullable=False, server_default="0"),
    Column("facility_fee", MONEY, nullable=False, server_default="0"),
    Column("tax_rate", Numeric(5, 4), nullable=False, server_default="0"),
    Column("is_dynamic", Boolean, nullable=False, server_default=text("false")),
    Column("min_price", MONEY),
    Column("max_price", MONEY),
    Column("price_adjustment_rules", JSONB),
    Column("current_price", MONEY),
    Column("early_bird_price", MONEY),
    Column("early_bird_ends_at", TZ),
    Column("last_minute_price", MONEY),
    Column("last_minute_starts_at", TZ),
    Column("group_size_min", Integer),
    Column("group_discount_percentage", Numeric(5, 2)),
    Column("currency", String(3), nullable=False, server_default="USD"),
    Column("sales_start_at", TZ),
    Column("sales_end_at", TZ),
    Column("max_per_order", Integer),
    Column("max_per_customer", Integer),
    Column("is_active", Boolean, nullable=False, server_default=text("true")),
    Column("is_visible", Boolean, nullable=False, server_default=text("true")),
    Column("display_order", Integer, nullable=False, server_default="0"),
    *_timestamps(),
    CheckConstraint("base_price >= 0 AND service_fee >= 0 AND facility_fee >= 0", name="money_nonnegative"),
    CheckConstraint("tax_rate >= 0 AND tax_rate < 1", name="tax_rate_range"),
    CheckConstraint(
        "NOT is_dynamic OR (min_price IS NOT NULL AND max_price IS NOT NULL AND min_price < max_price)",
        name="dynamic_range",
    ),
    CheckConstraint(
        "group_discount_percentage IS NULL OR group_discount_percentage BETWEEN 0 AND 100",
        name="group_discount_range",
    ),
    CheckConstraint(
        "sales_start_at IS NULL OR sales_end_at IS NULL OR sales_start_at < sales_end_at",
        name="sales_window",
    ),
)
Index(
    "ix_event_pricing_active_window",
    event_pricing.c.is_active,
    event_pricing.c.sales_start_at,
    event_pricing.c.sales_end_at,
)

event_metadata = Table(
    "event_metadata",
    metadata,
    _id(),
    _tenant(),
    Column(
        "event_id",
        UUID(as_uuid=True),
        ForeignKey("events.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    Column("performers", JSONB),
    Column("headliner", String(200)),
    Column("supporting_acts", ARRAY(Text)),
    Column("production_company", String(200)),
    Column("technical_requirements", JSONB),
    Column("stage_setup_time_hours", Integer),
    Column("sponsors", JSONB),
    Column("primary_sponsor", String(200)),
    Column("performance_rights_org", String(100)),
    Column("licensing_requirements", ARRAY(Text)),
    Column("insurance_requirements", JSONB),
    Column("press_release", Text),
    Column("marketing_copy", JSONB),
    Column("social_media_copy", JSONB),
    Column("sound_requirements", JSONB),
    Column("lighting_requirements", JSONB),
    Column("video_requirements", JSONB),
    Column("catering_requirements", JSONB),
    Column("rider_requirements", JSONB),
    Column("production_budget", Numeric(12, 2)),
    Column("marketing_budget", Numeric(12, 2)),
    Column("projected_revenue", Numeric(12, 2)),
    Column("break_even_capacity", Integer),
    Column("previous_events", JSONB),
    Column("custom_fields", JSONB),
    *_timestamps(),
)

audit_logs = Table(
    "audit_logs",
    metadata,
    _id(),
    _tenant(),
    Column("user_id", UUID(as_uuid=True), index=True),
    Column("action", String(50), nullable=False, index=True),
    Column("resource_type", String(50), nullable=False),
    Column("resource_id", UUID(as_uuid=True), index=True),
    Column("ip_address", INET),
    Column("user_agent", Text),
    Column("request_id", String(100)),
    Column("metadata", JSONB),
    Column("status", String(20), nullable=False, server_default="success"),
    Column("created_at", TZ, nullable=False, server_default=text("now()"), index=True),
)

RESERVATION_STATUSES = ("ACTIVE", "CONFIRMED", "RELEASED", "EXPIRED")

# One row per hold (CONTRACT.md): the section's counters are the sum of these.
capacity_reservations = Table(
    "capacity_reservations",
    metadata,
    _id(),
    _tenant(),
    Column(
        "capacity_id",
        UUID(as_uuid=True),
        ForeignKey("event_capacity.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column(
        "event_id",
        UUID(as_uuid=True),
        ForeignKey("events.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("schedule_id", UUID(as_uuid=True), ForeignKey("event_schedules.id", ondelete="SET NULL")),
    Column("pricing_id", UUID(as_uuid=True), ForeignKey("event_pricing.id", ondelete="SET NULL")),
    Column("user_id", UUID(as_uuid=True), index=True),
    Column("quantity", Integer, nullable=False),
    Column("status", String(20), nullable=False, server_default="ACTIVE"),
    Column("expires_at", TZ, nullable=False),
    Column("locked_price_data", JSONB),
    Column("unit_price", MONEY),
    Column("total_amount", MONEY),
    Column("currency", String(3)),
    Column("idempotency_key", String(200)),
    Column("confirmed_at", TZ),
    Column("released_at", TZ),
    *_timestamps(),
    CheckConstraint("quantity > 0", name="quantity_positive"),
    CheckConstraint(_in("status", RESERVATION_STATUSES), name="status_known"),
)
# The expiry job scans only ACTIVE rows by expiry.
Index(
    "ix_capacity_reservations_active_expiry",
    capacity_reservations.c.expires_at,
    postgresql_where=capacity_reservations.c.status == "ACTIVE",
)
# A section's latest ACTIVE expiry (event_capacity.reserved_expires_at) is one index lookup.
Index(
    "ix_capacity_reservations_active_section",
    capacity_reservations.c.capacity_id,
    capacity_reservations.c.expires_at,
    postgresql_where=capacity_reservations.c.status == "ACTIVE",
)
Index(
    "ix_capacity_reservations_tenant_status",
    capacity_reservations.c.tenant_id,
    capacity_reservations.c.status,
)
# Reports (docs/reports.md): sales of a tenant in a date window, and one customer's purchases.
Index(
    "ix_capacity_reservations_confirmed",
    capacity_reservations.c.tenant_id,
    capacity_reservations.c.status,
    capacity_reservations.c.confirmed_at,
)
Index(
    "ix_capacity_reservations_customer",
    capacity_reservations.c.tenant_id,
    capacity_reservations.c.user_id,
    capacity_reservations.c.confirmed_at,
    postgresql_where=capacity_reservations.c.status == "CONFIRMED",
)

# Idempotency-Key records for reserve and confirm: the first answer, replayed.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    Column("scope", String(100), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer),
    Column("response", JSONB),
    Column("created_at", TZ, nullable=False, server_default=text("now()"), index=True),
    Column("completed_at", TZ),
)

# Transactional outbox: every state change writes its domain event here, in the
# same transaction. `seq` (per tenant) is assigned after commit by the relay's
# sequencer, so readers of the change feed never see n+1 before n.
outbox = Table(
    "outbox",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    _tenant(),
    Column("seq", BigInteger),
    Column("type", String(100), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("envelope", JSONB, nullable=False),
    Column("created_at", TZ, nullable=False, server_default=text("clock_timestamp()")),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", TZ, nullable=False, server_default=text("now()")),
    Column("delivered_at", TZ),
    Column("last_error", Text),
)
Index("ix_outbox_unsequenced", outbox.c.created_at, postgresql_where=outbox.c.seq.is_(None))
Index("ix_outbox_pending", outbox.c.next_attempt_at, postgresql_where=outbox.c.delivered_at.is_(None))
Index("uq_outbox_tenant_seq", outbox.c.tenant_id, outbox.c.seq, unique=True)
# "No earlier undelivered row of the same subject": the relay's ordering check.
Index(
    "ix_outbox_undelivered_subject",
    outbox.c.tenant_id,
    outbox.c.subject,
    outbox.c.seq,
    postgresql_where=outbox.c.delivered_at.is_(None),
)

# Per tenant: the last seq the sequencer handed out, and the highest seq pruned
# (a change-feed cursor below it can no longer be replayed). Kept apart from the
# outbox rows so that pruning every row of a tenant never restarts its sequence.
outbox_sequences = Table(
    "outbox_sequences",
    metadata,
    Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    Column("last_seq", BigInteger, nullable=False, server_default="0"),
    Column("pruned_through", BigInteger, nullable=False, server_default="0"),
)

# HTTP endpoints a tenant registers; each gets its own signed copy of the events.
webhooks = Table(
    "webhooks",
    metadata,
    _id(),
    _tenant(),
    Column("url", Text, nullable=False),
    Column("event_types", ARRAY(Text)),  # NULL: every type
    Column("secret", Text, nullable=False),
    Column("consecutive_failures", Integer, nullable=False, server_default="0"),
    Column("disabled_at", TZ),
    Column("last_error", Text),
    Column("last_success_at", TZ),
    Column("created_at", TZ, nullable=False, server_default=text("now()")),
)

# One row per (webhook, outbox row), fanned out when the row is sequenced.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    _id(),
    _tenant(),
    Column("webhook_id", UUID(as_uuid=True), ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False),
    Column("outbox_id", UUID(as_uuid=True), ForeignKey("outbox.id", ondelete="CASCADE"), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("subject", String(200), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", TZ, nullable=False, server_default=text("now()")),
    Column("delivered_at", TZ),
    Column("last_status", Integer),
    Column("last_error", Text),
    Column("created_at", TZ, nullable=False, server_default=text("now()")),
    UniqueConstraint("webhook_id", "outbox_id"),
)
Index(
    "ix_webhook_deliveries_pending",
    webhook_deliveries.c.next_attempt_at,
    postgresql_where=webhook_deliveries.c.delivered_at.is_(None),
)
Index(
    "ix_webhook_deliveries_undelivered_subject",
    webhook_deliveries.c.webhook_id,
    webhook_deliveries.c.subject,
    webhook_deliveries.c.seq,
    postgresql_where=webhook_deliveries.c.delivered_at.is_(None),
)
Index("ix_webhook_deliveries_outbox_id", webhook_deliveries.c.outbox_id)

TABLES_WITH_UPDATED_AT = (
    "venues",
    "event_categories",
    "events",
    "event_schedules",
    "event_capacity",
    "event_pricing",
    "event_metadata",
    "capacity_reservations",
)

SEED_CATEGORIES = (
    ("Music", "music", "music", "#8B5CF6"),
    ("Sports", "sports", "trophy", "#10B981"),
    ("Theater", "theater", "theater-masks", "#F59E0B"),
    ("Comedy", "comedy", "laugh", "#EF4444"),
    ("Arts", "arts", "palette", "#EC4899"),
    ("Conference", "conference", "presentation", "#3B82F6"),
    ("Workshop", "workshop", "tools", "#6366F1"),
    ("Festival", "festival", "flag", "#F97316"),
    ("Family", "family", "users", "#14B8A6"),
    ("Nightlife", "nightlife", "moon", "#A855F7"),
)
