"""A real HTTP venue service for the client tests: a stdlib server on a free loopback port.

Each venue id is given a behaviour: answer 200 with a venue, 403, 404, 500, or
sleep before answering (slower than the client's timeout).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Behaviour:
    status: int = 200
    venue: dict[str, Any] | None = None
    delay: float = 0.0


@dataclass
class FakeVenueService:
    url: str
    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    requests: list[dict[str, str | None]] = field(default_factory=list)

    def venue(self, venue_id: uuid.UUID, *, name: str = "Remote Hall", max_capacity: int = 800, **extra: Any) -> None:
        body = {"id": str(venue_id), "name": name, "max_capacity": max_capacity, **extra}
        self.behaviours[str(venue_id)] = Behaviour(200, body)

    def answer(self, venue_id: uuid.UUID, status: int, delay: float = 0.0) -> None:
        previous = self.behaviours.get(str(venue_id))
        self.behaviours[str(venue_id)] = Behaviour(status, previous.venue if previous else None, delay)

    def calls_for(self, venue_id: uuid.UUID) -> int:
        return sum(1 for r in self.requests if r["path"] == f"/api/v1/venues/{venue_id}")


@contextmanager
def fake_venue_service() -> Iterator[FakeVenueService]:
    service: FakeVenueService

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            service.requests.append({"path": self.path, "authorization": self.headers.get("Authorization")})
            venue_id = self.path.rsplit("/", 1)[-1]
            behaviour = service.behaviours.get(venue_id, Behaviour(404))
            if behaviour.delay:
                time.sleep(behaviour.delay)
            if behaviour.status == 200:
                payload: dict[str, Any] = {"venue": behaviour.venue}
            else:
                payload = {"error": f"status {behaviour.status}"}
            data = json.dumps(payload).encode()
            try:
                self.send_response(behaviour.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout): expected in the slow case

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    service = FakeVenueService(url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
