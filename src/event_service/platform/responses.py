"""JSON rendering with orjson: exact money, UTC times with Z, UUIDs as strings."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import orjson
from starlette.responses import Response

_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC | orjson.OPT_NON_STR_KEYS


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Emitted verbatim as a JSON number: 248.40 stays 248.40, no float rounding.
        return orjson.Fragment(format(value, "f"))
    if isinstance(value, uuid.UUID):
        # asyncpg returns its own UUID subclass, which orjson does not take natively.
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(content: Any) -> bytes:
    return orjson.dumps(content, default=_default, option=_OPTIONS)


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)
