"""The read path's ceiling: the same framework and server (FastAPI on uvicorn with uvloop and
httptools, same worker count) answering a constant JSON document, with no middleware,
authentication or database. `uvicorn bench.bare_app:app --workers N`."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.responses import Response

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

_BODY = b'{"event":{"id":"00000000-0000-0000-0000-000000000000","name":"constant","status":"ON_SALE"}}'


@app.get("/bare")
async def bare() -> Response:
    return Response(_BODY, media_type="application/json")


@app.get("/health")
async def health() -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")
