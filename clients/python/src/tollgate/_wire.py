"""Reading Tollgate's JSON: exact credit figures, times, and the typed views of loose dicts.

Credits are exact decimals on the wire, sent as strings (``"4250.5"``) or as JSON numbers
(``4250.5``). Bodies are parsed with ``parse_float=Decimal`` so a number never passes through a
binary float; :func:`credits` then accepts either form.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

JsonObject = dict[str, Any]


def loads(text: str) -> Any:
    """JSON with every non-integer number as an exact Decimal."""
    return json.loads(text, parse_float=Decimal)


def obj(value: Any) -> JsonObject:
    """The value as a JSON object, or an empty one when it is anything else."""
    return value if isinstance(value, dict) else {}


def credits(value: Any) -> Decimal:
    """A credit figure from a string or a JSON number, exactly."""
    if isinstance(value, bool):
        raise ValueError(f"expected a credit figure, got {value!r}")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, str)):
        try:
            return Decimal(value)
        except InvalidOperation:
            raise ValueError(f"expected a credit figure, got {value!r}") from None
    if isinstance(value, float):
        # Only reached for bodies parsed elsewhere; repr gives the shortest exact round-trip.
        return Decimal(repr(value))
    raise ValueError(f"expected a credit figure, got {value!r}")


def credit_limit(value: Any) -> Decimal | None:
    """A credit limit: None means unlimited."""
    return None if value is None else credits(value)


def number(value: Any) -> float | None:
    """A display figure such as a percentage; None stays None."""
    return None if value is None or isinstance(value, bool) else float(value)


def integer(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def time(value: Any) -> datetime | None:
    """An ISO 8601 time (``2026-01-01T00:00:00.000Z``) as an aware datetime; None when absent."""
    if not isinstance(value, str):
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def required_time(value: Any) -> datetime:
    parsed = time(value)
    if parsed is None:
        raise ValueError(f"expected an ISO 8601 time, got {value!r}")
    return parsed


def int_map(value: Any) -> dict[str, int]:
    return {k: v for k, v in obj(value).items() if isinstance(v, int) and not isinstance(v, bool)}


def credit_map(value: Any) -> dict[str, Decimal]:
    return {k: credits(v) for k, v in obj(value).items()}


def headers_of(headers: Mapping[str, str]) -> dict[str, str]:
    """Response headers as a plain dict, names in lower case."""
    return {k.lower(): v for k, v in headers.items()}
