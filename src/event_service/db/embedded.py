"""The embedded PostgreSQL used when no DATABASE_URL is configured.

`pgserver` ships PostgreSQL binaries as a wheel, so a machine with only Python
can run the service. The cluster lives in EVENT_SERVICE_DATA_DIR and keeps its
data across restarts; the server is stopped when the last user lets go.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse


class EmbeddedPostgres:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve() / "pgdata"
        self._server: Any = None

    def start(self) -> str:
        """Start (or attach to) the cluster; return an asyncpg URL for it."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pgserver

            self.data_dir.parent.mkdir(parents=True, exist_ok=True)
            get_server: Any = getattr(pgserver, "get_server")  # noqa: B009 - untyped module
            self._server = get_server(self.data_dir, cleanup_mode="stop")
        return asyncpg_url_from_pgserver(self._server.get_uri())

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None


def asyncpg_url_from_pgserver(uri: str) -> str:
    """pgserver answers `postgresql://postgres:@/postgres?host=/path`."""
    parsed = urlparse(uri)
    host = parse_qs(parsed.query).get("host", [""])[0]
    database = parsed.path.lstrip("/") or "postgres"
    return f"postgresql+asyncpg://{parsed.username or 'postgres'}@/{database}?host={host}"
