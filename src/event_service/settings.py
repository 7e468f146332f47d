"""Every environment variable the service reads, typed, in one place.

Names follow the seed (`PORT`, `DB_*`, `REDIS_*`, `JWT_*` ...); new ones are
documented in the README's configuration table.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False, populate_by_name=True)

    # Core
    node_env: str = Field(default="production", validation_alias="NODE_ENV")
    app_env: str | None = Field(default=None, validation_alias="APP_ENV")
    service_name: str = "event-service"
    host: str = "0.0.0.0"
    port: int = Field(default=3003, ge=1, le=65535)
    workers: int = Field(default=1, ge=1)

    # Database: DATABASE_URL wins; else DB_* when DB_HOST is set; else embedded.
    database_url: str | None = None
    db_host: str | None = None
    db_port: int = 5432
    db_user: str = "postgres"
    db_password: str = ""
    db_name: str = "postgres"
    db_pool_min: int = Field(default=2, ge=0)
    db_pool_max: int = Field(default=10, ge=1)
    db_statement_timeout_ms: int = Field(default=30_000, ge=0)
    event_service_data_dir: Path = Path("./.event-service")
    auto_migrate: bool = True

    # Redis (optional)
    redis_url: str | None = None
    redis_host: str | None = None
    redis_port: int = 6379
    redis_password: str | None = None
    redis_db: int = 0

    # Security
    jwt_secret: str | None = None
    jwt_public_key: str | None = None
    jwt_private_key: str | None = None
    jwt_algorithm: Literal["HS256", "RS256"] = "HS256"
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    auth_service_url: str | None = None

    # Other services
    venue_service_url: str | None = None
    venue_timeout_seconds: float = Field(default=5.0, gt=0)
    venue_breaker_failure_ratio: float = Field(default=0.5, gt=0, le=1)
    venue_breaker_reset_seconds: float = Field(default=30.0, gt=0)
    venue_breaker_min_calls: int = Field(default=4, ge=1)

    # Logging
    log_level: str = "info"
    log_format: Literal["json", "pretty"] = "json"

    # Jobs and domain limits
    reservation_cleanup_interval_minutes: float = Field(default=1.0, gt=0)
    reservation_default_minutes: int = Field(default=15, ge=1)
    reservation_max_minutes: int = Field(default=60, ge=1)
    reservation_max_extend_minutes: int = Field(default=30, ge=1)
    idempotency_key_retention_hours: float = Field(default=24.0, gt=0)
    reservation_lock_timeout_ms: int = Field(default=2000, ge=1)
    max_active_holds_per_event: int = Field(default=10, ge=0)
    max_event_advance_days: int = Field(default=730, ge=1)
    max_request_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    default_tenant_id: str = "00000000-0000-0000-0000-000000000001"

    # Operations (docs/operations.md): cache, rate limits, tracing, shutdown
    redis_key_prefix: str = "event-service:"
    redis_socket_timeout_ms: int = Field(default=100, ge=1)
    redis_retry_max_seconds: float = Field(default=5.0, gt=0)
    cache_ttl_seconds: int = Field(default=300, ge=1)
    rate_limit_enabled: bool = True
    rate_limit_default: str = "100/minute"
    rate_limit_routes: str = ""
    otel_exporter_otlp_endpoint: str | None = None
    shutdown_grace_seconds: float = Field(default=30.0, ge=0)

    # Outbox relay and sinks (docs/outbox.md)
    event_bus_url: str | None = None  # unset/none, amqp://, nats://, redis://
    event_bus_exchange: str = "event-service.events"  # RabbitMQ topic exchange
    event_bus_subject_prefix: str = "events"  # NATS subject <prefix>.<type>
    event_bus_nats_stream: str = "EVENTS"  # JetStream stream holding <prefix>.>
    event_bus_stream: str = "event-service:events"  # Redis stream key
    event_bus_stream_maxlen: int | None = Field(default=None, ge=1)
    event_bus_publish_timeout_seconds: float = Field(default=10.0, gt=0)
    outbox_relay_enabled: bool = True
    outbox_relay_interval_seconds: float = Field(default=1.0, gt=0)
    outbox_batch_size: int = Field(default=200, ge=1, le=10_000)
    outbox_lease_seconds: float = Field(default=60.0, gt=0)
    outbox_retry_base_seconds: float = Field(default=1.0, gt=0)
    outbox_retry_max_seconds: float = Field(default=300.0, gt=0)
    outbox_retention_days: float = Field(default=30.0, gt=0)
    outbox_prune_interval_seconds: float = Field(default=300.0, gt=0)
    outbox_degraded_after_seconds: float = Field(default=60.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_max_consecutive_failures: int = Field(default=10, ge=1)

    # Reserve coalescing (docs/reservations.md "Coalescing"): reserves of one section arriving within
    # this many milliseconds share one UPDATE + one multi-row INSERT; 0 = one transaction per reserve.
    reserve_coalesce_window_ms: float = Field(default=2.0, ge=0, le=1000)
    reserve_coalesce_max_batch: int = Field(default=256, ge=1, le=10_000)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.lower()
        if level == "warn":
            level = "warning"
        if level not in {"debug", "info", "warning", "error", "critical"}:
            raise ValueError("LOG_LEVEL must be one of debug, info, warn, error")
        return level

    @property
    def environment(self) -> str:
        return (self.app_env or self.node_env).lower()

    @property
    def is_development(self) -> bool:
        return self.environment in {"development", "dev", "test"}

    @cached_property
    def external_database_url(self) -> str | None:
        """The configured server as an asyncpg URL, or None for the embedded one."""
        if self.database_url:
            return to_asyncpg_url(self.database_url)
        if self.db_host:
            auth = quote(self.db_user, safe="")
            if self.db_password:
                auth += ":" + quote(self.db_password, safe="")
            return f"postgresql+asyncpg://{auth}@{self.db_host}:{self.db_port}/{quote(self.db_name, safe='')}"
        return None

    @property
    def redis_dsn(self) -> str | None:
        if self.redis_url:
            return self.redis_url
        if self.redis_host:
            auth = f":{quote(self.redis_password, safe='')}@" if self.redis_password else ""
            return f"redis://{auth}{self.redis_host}:{self.redis_port}/{self.redis_db}"
        return None


def to_asyncpg_url(url: str) -> str:
    """Accept the usual spellings (postgres://, postgresql://) and pin the asyncpg driver."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("DATABASE_URL must be a postgresql:// URL")
