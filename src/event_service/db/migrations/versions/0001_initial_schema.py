"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 16:49:32.168577
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from event_service.db.tables import SEED_CATEGORIES, TABLES_WITH_UPDATED_AT

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


SEARCH_DOCUMENT_FUNCTION = """
CREATE FUNCTION event_search_document(name text, short_description text,
                                      description text, tags text[])
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('simple', coalesce(name, '')), 'A')
        || setweight(to_tsvector('simple', array_to_string(coalesce(tags, '{}'), ' ')), 'B')
        || setweight(to_tsvector('simple', coalesce(short_description, '')), 'C')
        || setweight(to_tsvector('simple', coalesce(description, '')), 'D')
$$
"""

SET_UPDATED_AT_FUNCTION = """
CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$
"""


def upgrade() -> None:
    # Generated columns need an IMMUTABLE expression; array_to_string is only
    # STABLE, and is safe to wrap for text[].
    op.execute(SEARCH_DOCUMENT_FUNCTION)
    op.execute(SET_UPDATED_AT_FUNCTION)
    op.create_table(
        "audit_logs",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("resource_type", sa.String(length=50), nullable=False),
        sa.Column("resource_id", sa.UUID(), nullable=True),
        sa.Column("ip_address", postgresql.INET(), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        sa.Column("metadata", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="success", nullable=False),
        sa.Column(
            "created_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_logs")),
    )
    op.create_index(op.f("ix_audit_logs_action"), "audit_logs", ["action"], unique=False)
    op.create_index(op.f("ix_audit_logs_created_at"), "audit_logs", ["created_at"], unique=False)
    op.create_index(op.f("ix_audit_logs_resource_id"), "audit_logs", ["resource_id"], unique=False)
    op.create_index(op.f("ix_audit_logs_tenant_id"), "audit_logs", ["tenant_id"], unique=False)
    op.create_index(op.f("ix_audit_logs_user_id"), "audit_logs", ["user_id"], unique=False)
    op.create_table(
        "event_categories",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=True),
        sa.Column("parent_id", sa.UUID(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("icon", sa.String(length=50), nullable=True),
        sa.Column("color", sa.String(length=7), nullable=True),
        sa.Column("display_order", sa.Integer(), server_default="0", nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("is_featured", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("meta_title", sa.String(length=70), nullable=True),
        sa.Column("meta_description", sa.String(length=160), nullable=True),
        sa.Column("event_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "created_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "color IS NULL OR color ~ '^#[0-9A-Fa-f]{6}$'",
            name=op.f("ck_event_categories_color_hex"),
        ),
        sa.CheckConstraint("event_count >= 0", name=op.f("ck_event_categories_event_count_nonnegative")),
        sa.CheckConstraint("parent_id IS NULL OR parent_id <> id", name=op.f("ck_event_categories_not_own_parent")),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["event_categories.id"],
            name=op.f("fk_event_categories_parent_id_event_categories"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_categories")),
    )
    op.create_index(op.f("ix_event_categories_is_active"), "event_categories", ["is_active"], unique=False)
    op.create_index(op.f("ix_event_categories_parent_id"), "event_categories", ["parent_id"], unique=False)
    op.create_index(op.f("ix_event_categories_tenant_id"), "event_categories", ["tenant_id"], unique=False)
    op.create_index(
        "uq_event_categories_slug",
        "event_categories",
        [
            "slug",
            sa.literal_column("coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'::uuid)"),
        ],
        unique=True,
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "created_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("completed_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "scope", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(op.f("ix_idempotency_keys_created_at"), "idempotency_keys", ["created_at"], unique=False)
    op.create_table(
        "venues",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("max_capacity", sa.Integer(), nullable=False),
        sa.Column("address", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("timezone", sa.String(length=50), nullable=True),
        sa.Column("source", sa.String(length=10), server_default="local", nullable=False),
        sa.Column("fetched_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("source IN ('local', 'remote')", name=op.f("ck_venues_source_known")),
        sa.CheckConstraint("max_capacity >= 0", name=op.f("ck_venues_max_capacity_nonnegative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venues")),
    )
    op.create_index(op.f("ix_venues_tenant_id"), "venues", ["tenant_id"], unique=False)
    op.create_table(
        "events",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("venue_id", sa.UUID(), nullable=False),
        sa.Column("venue_layout_id", sa.UUID(), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("slug", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("short_description", sa.String(length=500), nullable=True),
        sa.Column("event_type", sa.String(length=20), server_default="single", nullable=False),
        sa.Column("primary_category_id", sa.UUID(), nullable=True),
        sa.Column(
            "secondary_category_ids",
            postgresql.ARRAY(sa.UUID()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("tags", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("status", sa.String(length=20), server_default="DRAFT", nullable=False),
        sa.Column("visibility", sa.String(length=20), server_default="PUBLIC", nullable=False),
        sa.Column("is_featured", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("priority_score", sa.Integer(), server_default="0", nullable=False),
        sa.Column("banner_image_url", sa.Text(), nullable=True),
        sa.Column("thumbnail_image_url", sa.Text(), nullable=True),
        sa.Column("image_gallery", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("video_url", sa.Text(), nullable=True),
        sa.Column("virtual_event_url", sa.Text(), nullable=True),
        sa.Column("age_restriction", sa.Integer(), server_default="0", nullable=False),
        sa.Column("dress_code", sa.String(length=100), nullable=True),
        sa.Column("special_requirements", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("accessibility_info", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("collection_address", sa.String(length=44), nullable=True),
        sa.Column("mint_authority", sa.String(length=44), nullable=True),
        sa.Column("royalty_percentage", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("is_virtual", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_hybrid", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("streaming_platform", sa.String(length=50), nullable=True),
        sa.Column("streaming_config", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("cancellation_policy", sa.Text(), nullable=True),
        sa.Column("refund_policy", sa.Text(), nullable=True),
        sa.Column("cancellation_deadline_hours", sa.Integer(), server_default="24", nullable=False),
        sa.Column("meta_title", sa.String(length=70), nullable=True),
        sa.Column("meta_description", sa.String(length=160), nullable=True),
        sa.Column("meta_keywords", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("view_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("interest_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("share_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("metadata", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed("event_search_document(name, short_description, description, tags)", persisted=True),
            nullable=True,
        ),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("updated_by", sa.UUID(), nullable=True),
        sa.Column(
            "created_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("deleted_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.CheckConstraint(
            "event_type IN ('single', 'recurring', 'series')",
            name=op.f("ck_events_event_type_known"),
        ),
        sa.CheckConstraint(
            "status IN ('DRAFT', 'REVIEW', 'APPROVED', 'PUBLISHED', 'ON_SALE', 'SOLD_OUT', 'IN_PROGRESS', 'COMPLETED', 'CANCELLED', 'POSTPONED')",
            name=op.f("ck_events_status_known"),
        ),
        sa.CheckConstraint(
            "visibility IN ('PUBLIC', 'PRIVATE', 'UNLISTED')",
            name=op.f("ck_events_visibility_known"),
        ),
        sa.CheckConstraint("age_restriction >= 0", name=op.f("ck_events_age_nonnegative")),
        sa.CheckConstraint(
            "royalty_percentage IS NULL OR royalty_percentage BETWEEN 0 AND 100",
            name=op.f("ck_events_royalty_percent"),
        ),
        sa.ForeignKeyConstraint(
            ["primary_category_id"],
            ["event_categories.id"],
            name=op.f("fk_events_primary_category_id_event_categories"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("tenant_id", "venue_id", "slug", name="uq_events_venue_slug"),
    )
    op.create_index("ix_events_created_at", "events", ["created_at"], unique=False)
    op.create_index(op.f("ix_events_deleted_at"), "events", ["deleted_at"], unique=False)
    op.create_index("ix_events_featured_priority", "events", ["is_featured", "priority_score"], unique=False)
    op.create_index(op.f("ix_events_primary_category_id"), "events", ["primary_category_id"], unique=False)
    op.create_index("ix_events_search_vector", "events", ["search_vector"], unique=False, postgresql_using="gin")
    op.create_index(op.f("ix_events_status"), "events", ["status"], unique=False)
    op.create_index(op.f("ix_events_tenant_id"), "events", ["tenant_id"], unique=False)
    op.create_index("ix_events_tenant_status", "events", ["tenant_id", "status"], unique=False)
    op.create_index(op.f("ix_events_venue_id"), "events", ["venue_id"], unique=False)
    op.create_table(
        "event_metadata",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("performers", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("headliner", sa.String(length=200), nullable=True),
        sa.Column("supporting_acts", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("production_company", sa.String(length=200), nullable=True),
        sa.Column("technical_requirements", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("stage_setup_time_hours", sa.Integer(), nullable=True),
        sa.Column("sponsors", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("primary_sponsor", sa.String(length=200), nullable=True),
        sa.Column("performance_rights_org", sa.String(length=100), nullable=True),
        sa.Column("licensing_requirements", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("insurance_requirements", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("press_release", sa.Text(), nullable=True),
        sa.Column("marketing_copy", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("social_media_copy", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("sound_requirements", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("lighting_requirements", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("video_requirements", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("catering_requirements", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("rider_requirements", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("production_budget", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("marketing_budget", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("projected_revenue", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("break_even_capacity", sa.Integer(), nullable=True),
        sa.Column("previous_events", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("custom_fields", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "created_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_metadata_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_metadata")),
        sa.UniqueConstraint("event_id", name=op.f("uq_event_metadata_event_id")),
    )
    op.create_index(op.f("ix_event_metadata_tenant_id"), "event_metadata", ["tenant_id"], unique=False)
    op.create_table(
        "event_schedules",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("parent_schedule_id", sa.UUID(), nullable=True),
        sa.Column("starts_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("ends_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("doors_open_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("is_recurring", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("recurrence_rule", sa.Text(), nullable=True),
        sa.Column("recurrence_end_date", sa.Date(), nullable=True),
        sa.Column("occurrence_number", sa.Integer(), nullable=True),
        sa.Column("timezone", sa.String(length=50), server_default="UTC", nullable=False),
        sa.Column("utc_offset", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="SCHEDULED", nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("capacity_override", sa.Integer(), nullable=True),
        sa.Column("check_in_opens_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("check_in_closes_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("metadata", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "created_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('SCHEDULED', 'CONFIRMED', 'IN_PROGRESS', 'COMPLETED', 'CANCELLED', 'POSTPONED', 'RESCHEDULED')",
            name=op.f("ck_event_schedules_status_known"),
        ),
        sa.CheckConstraint(
            "capacity_override IS NULL OR capacity_override >= 0",
            name=op.f("ck_event_schedules_override_nonnegative"),
        ),
        sa.CheckConstraint(
            "doors_open_at IS NULL OR doors_open_at <= starts_at",
            name=op.f("ck_event_schedules_doors_before_start"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_event_schedules_ends_after_starts")),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_schedules_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_schedule_id"],
            ["event_schedules.id"],
            name=op.f("fk_event_schedules_parent_schedule_id_event_schedules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_schedules")),
    )
    op.create_index(op.f("ix_event_schedules_event_id"), "event_schedules", ["event_id"], unique=False)
    op.create_index(
        op.f("ix_event_schedules_parent_schedule_id"),
        "event_schedules",
        ["parent_schedule_id"],
        unique=False,
    )
    op.create_index(op.f("ix_event_schedules_starts_at"), "event_schedules", ["starts_at"], unique=False)
    op.create_index(op.f("ix_event_schedules_status"), "event_schedules", ["status"], unique=False)
    op.create_index(op.f("ix_event_schedules_tenant_id"), "event_schedules", ["tenant_id"], unique=False)
    op.create_index(
        "ix_event_schedules_tenant_starts",
        "event_schedules",
        ["tenant_id", "starts_at"],
        unique=False,
    )
    op.create_table(
        "event_capacity",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("schedule_id", sa.UUID(), nullable=True),
        sa.Column("section_name", sa.String(length=100), nullable=False),
        sa.Column("section_code", sa.String(length=20), nullable=True),
        sa.Column("tier", sa.String(length=50), nullable=True),
        sa.Column("total_capacity", sa.Integer(), nullable=False),
        sa.Column("reserved_capacity", sa.Integer(), server_default="0", nullable=False),
        sa.Column("buffer_capacity", sa.Integer(), server_default="0", nullable=False),
        sa.Column("sold_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("pending_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "available_capacity",
            sa.Integer(),
            sa.Computed(
                "total_capacity - sold_count - pending_count - reserved_capacity - buffer_capacity",
                persisted=True,
            ),
            nullable=True,
        ),
        sa.Column("reserved_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("reserved_expires_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("locked_price_data", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("row_config", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("seat_map", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("is_visible", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("minimum_purchase", sa.Integer(), server_default="1", nullable=False),
        sa.Column("maximum_purchase", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("available_capacity >= 0", name=op.f("ck_event_capacity_available_nonnegative")),
        sa.CheckConstraint("buffer_capacity >= 0", name=op.f("ck_event_capacity_buffer_nonnegative")),
        sa.CheckConstraint(
            "maximum_purchase IS NULL OR maximum_purchase >= minimum_purchase",
            name=op.f("ck_event_capacity_maximum_purchase_range"),
        ),
        sa.CheckConstraint("minimum_purchase >= 1", name=op.f("ck_event_capacity_minimum_purchase_positive")),
        sa.CheckConstraint("pending_count >= 0", name=op.f("ck_event_capacity_pending_nonnegative")),
        sa.CheckConstraint("reserved_capacity >= 0", name=op.f("ck_event_capacity_reserved_nonnegative")),
        sa.CheckConstraint("sold_count >= 0", name=op.f("ck_event_capacity_sold_nonnegative")),
        sa.CheckConstraint("total_capacity >= 0", name=op.f("ck_event_capacity_total_nonnegative")),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_capacity_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["event_schedules.id"],
            name=op.f("fk_event_capacity_schedule_id_event_schedules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_capacity")),
        sa.UniqueConstraint(
            "event_id",
            "schedule_id",
            "section_code",
            name="uq_event_capacity_section_code",
            postgresql_nulls_not_distinct=True,
        ),
        sa.UniqueConstraint(
            "event_id",
            "section_name",
            "schedule_id",
            name="uq_event_capacity_section_name",
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_index(
        op.f("ix_event_capacity_available_capacity"),
        "event_capacity",
        ["available_capacity"],
        unique=False,
    )
    op.create_index(op.f("ix_event_capacity_event_id"), "event_capacity", ["event_id"], unique=False)
    op.create_index(
        op.f("ix_event_capacity_reserved_expires_at"),
        "event_capacity",
        ["reserved_expires_at"],
        unique=False,
    )
    op.create_index(op.f("ix_event_capacity_schedule_id"), "event_capacity", ["schedule_id"], unique=False)
    op.create_index(op.f("ix_event_capacity_tenant_id"), "event_capacity", ["tenant_id"], unique=False)
    op.create_table(
        "event_pricing",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("schedule_id", sa.UUID(), nullable=True),
        sa.Column("capacity_id", sa.UUID(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("tier", sa.String(length=50), nullable=True),
        sa.Column("base_price", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("service_fee", sa.Numeric(precision=10, scale=2), server_default="0", nullable=False),
        sa.Column("facility_fee", sa.Numeric(precision=10, scale=2), server_default="0", nullable=False),
        sa.Column("tax_rate", sa.Numeric(precision=5, scale=4), server_default="0", nullable=False),
        sa.Column("is_dynamic", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("min_price", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("max_price", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("price_adjustment_rules", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("current_price", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("early_bird_price", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("early_bird_ends_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("last_minute_price", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("last_minute_starts_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("group_size_min", sa.Integer(), nullable=True),
        sa.Column("group_discount_percentage", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), server_default="USD", nullable=False),
        sa.Column("sales_start_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("sales_end_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("max_per_order", sa.Integer(), nullable=True),
        sa.Column("max_per_customer", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("is_visible", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("display_order", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "created_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "NOT is_dynamic OR (min_price IS NOT NULL AND max_price IS NOT NULL AND min_price < max_price)",
            name=op.f("ck_event_pricing_dynamic_range"),
        ),
        sa.CheckConstraint(
            "base_price >= 0 AND service_fee >= 0 AND facility_fee >= 0",
            name=op.f("ck_event_pricing_money_nonnegative"),
        ),
        sa.CheckConstraint(
            "group_discount_percentage IS NULL OR group_discount_percentage BETWEEN 0 AND 100",
            name=op.f("ck_event_pricing_group_discount_range"),
        ),
        sa.CheckConstraint(
            "sales_start_at IS NULL OR sales_end_at IS NULL OR sales_start_at < sales_end_at",
            name=op.f("ck_event_pricing_sales_window"),
        ),
        sa.CheckConstraint("tax_rate >= 0 AND tax_rate < 1", name=op.f("ck_event_pricing_tax_rate_range")),
        sa.ForeignKeyConstraint(
            ["capacity_id"],
            ["event_capacity.id"],
            name=op.f("fk_event_pricing_capacity_id_event_capacity"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_pricing_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["event_schedules.id"],
            name=op.f("fk_event_pricing_schedule_id_event_schedules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_pricing")),
    )
    op.create_index(
        "ix_event_pricing_active_window",
        "event_pricing",
        ["is_active", "sales_start_at", "sales_end_at"],
        unique=False,
    )
    op.create_index(op.f("ix_event_pricing_capacity_id"), "event_pricing", ["capacity_id"], unique=False)
    op.create_index(op.f("ix_event_pricing_event_id"), "event_pricing", ["event_id"], unique=False)
    op.create_index(op.f("ix_event_pricing_schedule_id"), "event_pricing", ["schedule_id"], unique=False)
    op.create_index(op.f("ix_event_pricing_tenant_id"), "event_pricing", ["tenant_id"], unique=False)
    op.create_table(
        "capacity_reservations",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("capacity_id", sa.UUID(), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("schedule_id", sa.UUID(), nullable=True),
        sa.Column("pricing_id", sa.UUID(), nullable=True),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="ACTIVE", nullable=False),
        sa.Column("expires_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("locked_price_data", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("unit_price", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("total_amount", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("confirmed_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("released_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('ACTIVE', 'CONFIRMED', 'RELEASED', 'EXPIRED')",
            name=op.f("ck_capacity_reservations_status_known"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_capacity_reservations_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["capacity_id"],
            ["event_capacity.id"],
            name=op.f("fk_capacity_reservations_capacity_id_event_capacity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_capacity_reservations_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pricing_id"],
            ["event_pricing.id"],
            name=op.f("fk_capacity_reservations_pricing_id_event_pricing"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["event_schedules.id"],
            name=op.f("fk_capacity_reservations_schedule_id_event_schedules"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capacity_reservations")),
    )
    op.create_index(
        "ix_capacity_reservations_active_expiry",
        "capacity_reservations",
        ["expires_at"],
        unique=False,
        postgresql_where=sa.text("status = 'ACTIVE'"),
    )
    op.create_index(
        op.f("ix_capacity_reservations_capacity_id"),
        "capacity_reservations",
        ["capacity_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_capacity_reservations_event_id"),
        "capacity_reservations",
        ["event_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_capacity_reservations_tenant_id"),
        "capacity_reservations",
        ["tenant_id"],
        unique=False,
    )
    op.create_index(
        "ix_capacity_reservations_tenant_status",
        "capacity_reservations",
        ["tenant_id", "status"],
        unique=False,
    )
    op.create_index(op.f("ix_capacity_reservations_user_id"), "capacity_reservations", ["user_id"], unique=False)
    op.create_table(
        "outbox",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("envelope", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at", sa.TIMESTAMP(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("delivered_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index(op.f("ix_outbox_tenant_id"), "outbox", ["tenant_id"], unique=False)
    op.create_index(
        "ix_outbox_unsequenced", "outbox", ["created_at"], unique=False, postgresql_where=sa.text("seq IS NULL")
    )
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("delivered_at IS NULL"),
    )
    op.create_index("uq_outbox_tenant_seq", "outbox", ["tenant_id", "seq"], unique=True)
    for table in TABLES_WITH_UPDATED_AT:
        op.execute(
            f"CREATE TRIGGER {table}_set_updated_at BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
        )
    categories = sa.table(
        "event_categories",
        sa.column("name", sa.String),
        sa.column("slug", sa.String),
        sa.column("icon", sa.String),
        sa.column("color", sa.String),
        sa.column("display_order", sa.Integer),
    )
    op.bulk_insert(
        categories,
        [
            {"name": name, "slug": slug, "icon": icon, "color": color, "display_order": order}
            for order, (name, slug, icon, color) in enumerate(SEED_CATEGORIES)
        ],
    )


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_index(op.f("ix_capacity_reservations_user_id"), table_name="capacity_reservations")
    op.drop_index("ix_capacity_reservations_tenant_status", table_name="capacity_reservations")
    op.drop_index(op.f("ix_capacity_reservations_tenant_id"), table_name="capacity_reservations")
    op.drop_index(op.f("ix_capacity_reservations_event_id"), table_name="capacity_reservations")
    op.drop_index(op.f("ix_capacity_reservations_capacity_id"), table_name="capacity_reservations")
    op.drop_index(
        "ix_capacity_reservations_active_expiry",
        table_name="capacity_reservations",
        postgresql_where=sa.text("status = 'ACTIVE'"),
    )
    op.drop_table("capacity_reservations")
    op.drop_index(op.f("ix_event_pricing_tenant_id"), table_name="event_pricing")
    op.drop_index(op.f("ix_event_pricing_schedule_id"), table_name="event_pricing")
    op.drop_index(op.f("ix_event_pricing_event_id"), table_name="event_pricing")
    op.drop_index(op.f("ix_event_pricing_capacity_id"), table_name="event_pricing")
    op.drop_index("ix_event_pricing_active_window", table_name="event_pricing")
    op.drop_table("event_pricing")
    op.drop_index(op.f("ix_event_capacity_tenant_id"), table_name="event_capacity")
    op.drop_index(op.f("ix_event_capacity_schedule_id"), table_name="event_capacity")
    op.drop_index(op.f("ix_event_capacity_reserved_expires_at"), table_name="event_capacity")
    op.drop_index(op.f("ix_event_capacity_event_id"), table_name="event_capacity")
    op.drop_index(op.f("ix_event_capacity_available_capacity"), table_name="event_capacity")
    op.drop_table("event_capacity")
    op.drop_index("ix_event_schedules_tenant_starts", table_name="event_schedules")
    op.drop_index(op.f("ix_event_schedules_tenant_id"), table_name="event_schedules")
    op.drop_index(op.f("ix_event_schedules_status"), table_name="event_schedules")
    op.drop_index(op.f("ix_event_schedules_starts_at"), table_name="event_schedules")
    op.drop_index(op.f("ix_event_schedules_parent_schedule_id"), table_name="event_schedules")
    op.drop_index(op.f("ix_event_schedules_event_id"), table_name="event_schedules")
    op.drop_table("event_schedules")
    op.drop_index(op.f("ix_event_metadata_tenant_id"), table_name="event_metadata")
    op.drop_table("event_metadata")
    op.drop_index(op.f("ix_events_venue_id"), table_name="events")
    op.drop_index("ix_events_tenant_status", table_name="events")
    op.drop_index(op.f("ix_events_tenant_id"), table_name="events")
    op.drop_index(op.f("ix_events_status"), table_name="events")
    op.drop_index("ix_events_search_vector", table_name="events", postgresql_using="gin")
    op.drop_index(op.f("ix_events_primary_category_id"), table_name="events")
    op.drop_index("ix_events_featured_priority", table_name="events")
    op.drop_index(op.f("ix_events_deleted_at"), table_name="events")
    op.drop_index("ix_events_created_at", table_name="events")
    op.drop_table("events")
    op.drop_index(op.f("ix_venues_tenant_id"), table_name="venues")
    op.drop_table("venues")
    op.drop_index(op.f("ix_idempotency_keys_created_at"), table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_index("uq_event_categories_slug", table_name="event_categories")
    op.drop_index(op.f("ix_event_categories_tenant_id"), table_name="event_categories")
    op.drop_index(op.f("ix_event_categories_parent_id"), table_name="event_categories")
    op.drop_index(op.f("ix_event_categories_is_active"), table_name="event_categories")
    op.drop_table("event_categories")
    op.drop_index(op.f("ix_audit_logs_user_id"), table_name="audit_logs")
    op.drop_index(op.f("ix_audit_logs_tenant_id"), table_name="audit_logs")
    op.drop_index(op.f("ix_audit_logs_resource_id"), table_name="audit_logs")
    op.drop_index(op.f("ix_audit_logs_created_at"), table_name="audit_logs")
    op.drop_index(op.f("ix_audit_logs_action"), table_name="audit_logs")
    op.drop_table("audit_logs")
    op.execute("DROP FUNCTION set_updated_at()")
    op.execute("DROP FUNCTION event_search_document(text, text, text, text[])")
