"""Field types every plugin's schemas share, so the whole API writes values one way."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import Field, PlainSerializer, WithJsonSchema

#: The largest id any table holds (a 32-bit ``INT`` primary key on every database). Larger
#: numbers name nothing: 404 in paths, 400 in bodies and filters — never a driver error.
MAX_ID = 2**31 - 1

#: An id sent by a client.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

#: A timestamp written as ISO 8601 with a numeric UTC offset (``…+00:00``), as the contract
#: shows it (pydantic's default would write ``Z``).
Timestamp = Annotated[
    datetime,
    PlainSerializer(lambda d: d.astimezone(UTC).isoformat(), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
