"""event-service serve | migrate | token | reconcile."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sys
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from event_service.settings import Settings


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from event_service.db.embedded import EmbeddedPostgres
    from event_service.platform.auth import resolve_signing_secret

    secret_ok = (
        settings.jwt_public_key if settings.jwt_algorithm == "RS256" else resolve_signing_secret(settings, create=True)
    )
    if not secret_ok and not settings.auth_service_url:
        print(
            "refusing to start: set JWT_SECRET (HS256) or JWT_PUBLIC_KEY (RS256), "
            "or NODE_ENV=development for a generated development secret",
            file=sys.stderr,
        )
        return 2
    embedded = None
    if settings.external_database_url is None:
        # Started once here so that every worker process shares one cluster.
        embedded = EmbeddedPostgres(settings.event_service_data_dir)
        os.environ["DATABASE_URL"] = embedded.start()
        print(f"embedded PostgreSQL in {embedded.data_dir}", file=sys.stderr)
    if settings.is_development and not settings.jwt_secret:
        print(
            "development mode: mint a token with `event-service token --role admin`",
            file=sys.stderr,
        )
    workers = args.workers or settings.workers
    metrics_dir = _prepare_multiprocess_metrics(workers)
    # uvicorn finishes in-flight requests on SIGTERM, runs the lifespan shutdown, then re-raises
    # the signal it caught; exiting 0 on it (here, and before uvicorn is up) keeps a rolling
    # deploy's clean stop from looking like a crash.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        uvicorn.run(
            "event_service.app:create_app",
            factory=True,
            host=args.host or settings.host,
            port=args.port or settings.port,
            workers=workers,
            loop="uvloop",
            http="httptools",
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=max(1, round(settings.shutdown_grace_seconds)),
        )
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
        if embedded is not None:
            embedded.stop()
    return 0


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def _prepare_multiprocess_metrics(workers: int) -> str | None:
    """With several workers, /metrics must add up all of them: prometheus-client's multiprocess mode.

    Uses PROMETHEUS_MULTIPROC_DIR when set (emptied of old samples first), else a fresh
    temporary directory that is removed on exit (the returned path). Must run before any
    worker imports prometheus_client.
    """
    configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if configured:
        for stale in Path(configured).glob("*.db"):
            stale.unlink(missing_ok=True)
        return None
    if workers <= 1:
        return None
    created = tempfile.mkdtemp(prefix="event-service-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = created
    return created


async def _migrate(action: str, revision: str | None, settings: Settings) -> int:
    from event_service.db import migrate
    from event_service.db.embedded import EmbeddedPostgres
    from event_service.db.engine import create_engine

    embedded = None
    url = settings.external_database_url
    if url is None:
        embedded = EmbeddedPostgres(settings.event_service_data_dir)
        url = embedded.start()
    engine = create_engine(url, settings)
    try:
        if action == "upgrade":
            await migrate.upgrade(engine, revision or "heads")
        elif action == "downgrade":
            await migrate.downgrade(engine, revision or "-1")
        print(await migrate.current(engine) or "base")
    finally:
        await engine.dispose()
        if embedded is not None:
            embedded.stop()
    return 0


def _token(args: argparse.Namespace, settings: Settings) -> int:
    from event_service.platform.auth import mint_token, resolve_signing_secret

    if settings.jwt_algorithm == "RS256":
        key = settings.jwt_private_key
        if not key:
            print("RS256 needs JWT_PRIVATE_KEY (PEM) to mint a token", file=sys.stderr)
            return 2
    else:
        key = resolve_signing_secret(settings, create=True)
        if not key:
            print("set JWT_SECRET, or NODE_ENV=development", file=sys.stderr)
            return 2
    print(
        mint_token(
            key,
            tenant_id=args.tenant or settings.default_tenant_id,
            user_id=args.user or str(uuid.uuid4()),
            role=args.role,
            lifetime_seconds=args.lifetime,
            algorithm=settings.jwt_algorithm,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
    )
    return 0


async def _reconcile(args: argparse.Namespace, settings: Settings) -> int:
    """Recompute every section's counters from the reservation ledger; exit 1 if drift remains."""
    from event_service.db.embedded import EmbeddedPostgres
    from event_service.db.engine import Database, create_engine
    from event_service.platform.responses import dumps
    from event_service.reservations.service import reconcile

    embedded = None
    url = settings.external_database_url
    if url is None:
        embedded = EmbeddedPostgres(settings.event_service_data_dir)
        url = embedded.start()
    database = Database(create_engine(url, settings))
    try:
        report = await reconcile(
            database,
            uuid.UUID(args.tenant) if args.tenant else None,
            fix=args.fix,
            event_id=uuid.UUID(args.event) if args.event else None,
        )
    finally:
        await database.dispose()
        if embedded is not None:
            embedded.stop()
    print(dumps(report).decode())
    return 0 if not report["drift"] or report["fixed"] == len(report["drift"]) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="event-service")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)

    migrate = commands.add_parser("migrate", help="apply or revert database migrations")
    migrate.add_argument("action", nargs="?", default="upgrade", choices=["upgrade", "downgrade", "current"])
    migrate.add_argument("revision", nargs="?")

    token = commands.add_parser("token", help="mint a development JWT")
    token.add_argument("--tenant", help="tenant id (default DEFAULT_TENANT_ID)")
    token.add_argument("--user", help="user id (default: a new UUID)")
    token.add_argument("--role", default="admin", help="admin | organizer | service | customer")
    token.add_argument("--lifetime", type=int, default=3600, help="seconds until expiry")
    _add_reconcile(commands)
    return parser


def _add_reconcile(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    reconcile = commands.add_parser("reconcile", help="check section counters against the reservation ledger")
    reconcile.add_argument("--tenant", help="only this tenant (default: every tenant)")
    reconcile.add_argument("--event", help="only this event")
    reconcile.add_argument("--fix", action="store_true", help="set drifted counters to the ledger's sums")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    if args.command == "serve":
        return _serve(args, settings)
    if args.command == "migrate":
        return asyncio.run(_migrate(args.action, args.revision, settings))
    if args.command == "reconcile":
        return asyncio.run(_reconcile(args, settings))
    return _token(args, settings)


if __name__ == "__main__":
    sys.exit(main())
