"""Settings read the seed's variable names."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from event_service.settings import Settings, to_asyncpg_url


def test_database_url_spellings_pin_asyncpg() -> None:
    assert to_asyncpg_url("postgres://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert to_asyncpg_url("postgresql://u@h/db") == "postgresql+asyncpg://u@h/db"
    with pytest.raises(ValueError):
        to_asyncpg_url("mysql://u@h/db")


def test_db_variables_build_the_url_and_database_url_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("DATABASE_URL", "DB_HOST"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DB_HOST", "db.internal")
    monkeypatch.setenv("DB_PORT", "6432")
    monkeypatch.setenv("DB_USER", "svc")
    monkeypatch.setenv("DB_PASSWORD", "p@ss/word")
    monkeypatch.setenv("DB_NAME", "tickettoken_db")
    assert Settings().external_database_url == "postgresql+asyncpg://svc:p%40ss%2Fword@db.internal:6432/tickettoken_db"
    monkeypatch.setenv("DATABASE_URL", "postgresql://x@y/z")
    assert Settings().external_database_url == "postgresql+asyncpg://x@y/z"


def test_no_database_configuration_means_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("DATABASE_URL", "DB_HOST"):
        monkeypatch.delenv(key, raising=False)
    assert Settings().external_database_url is None


def test_defaults_follow_the_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("PORT", "HOST", "LOG_LEVEL", "RESERVATION_CLEANUP_INTERVAL_MINUTES", "NODE_ENV", "APP_ENV"):
        monkeypatch.delenv(key, raising=False)
    settings = Settings()
    assert (settings.host, settings.port) == ("0.0.0.0", 3003)
    assert settings.reservation_cleanup_interval_minutes == 1
    assert settings.max_event_advance_days == 730
    assert not settings.is_development


def test_redis_variables_and_log_level(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("REDIS_HOST", "cache")
    monkeypatch.setenv("REDIS_PASSWORD", "pw")
    monkeypatch.setenv("REDIS_DB", "2")
    monkeypatch.setenv("LOG_LEVEL", "warn")
    settings = Settings()
    assert settings.redis_dsn == "redis://:pw@cache:6379/2"
    assert settings.log_level == "warning"
    monkeypatch.setenv("LOG_LEVEL", "loud")
    with pytest.raises(ValidationError):
        Settings()
