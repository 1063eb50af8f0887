"""Reading Tollgate's JSON: exact credit figures, times, and the typed views of loose dicts.

Credits are exact decimals on the wire, sent as strings (``"4250.5"``) or as JSON numbers
(``4250.5``). Bodies are parsed with ``parse_float=Decimal`` so a number never passes through a
binary float; :func:`credits` then accepts either form. Request bodies are written by :func:`dumps`,
which writes a ``Decimal`` out as the JSON number of its digits.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

JsonObject = dict[str, Any]


def loads(text: str) -> Any:
    """JSON with every non-integer number as an exact Decimal."""
    return json.loads(text, parse_float=Decimal)


def dumps(value: Any) -> str:
    """A request body as JSON (compact, as httpx writes it), each ``Decimal`` as a JSON number written
    from its digits, so a credit figure reaches the service exactly (never through a float)."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a JSON number: {value!r}")
        return format(value, "f")
    if isinstance(value, Mapping):
        items = (json.dumps(str(k), ensure_ascii=False) + ":" + dumps(v) for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


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


class Model:
    """A result read from a JSON object by its dataclass fields: each field takes the key of the same
    name, converted by its annotation (``Decimal`` from a string or a number, ``datetime`` from ISO
    8601, nested models and lists of them); a field named ``raw`` keeps the whole object."""

    @classmethod
    def from_json(cls: type[M], data: Any) -> M:
        return parse(cls, data)


M = TypeVar("M", bound=Model)


def parse(cls: type[M], data: Any, **given: Any) -> M:
    """``cls`` from the JSON object ``data``; ``given`` fields are taken as they are."""
    body = obj(data)
    values = dict(given)
    for name, kind in _fields(cls).items():
        if name not in values:
            values[name] = body if name == "raw" else _convert(kind, body.get(name))
    return cls(**values)


_FIELDS: dict[type, dict[str, Any]] = {}


def _fields(cls: type) -> dict[str, Any]:
    """Each field's resolved annotation, read once per class."""
    if cls not in _FIELDS:
        hints = get_type_hints(cls)
        _FIELDS[cls] = {f.name: hints[f.name] for f in dataclasses.fields(cls)}
    return _FIELDS[cls]


def _convert(kind: Any, value: Any) -> Any:
    args = [arg for arg in get_args(kind) if arg is not type(None)]
    optional = len(args) < len(get_args(kind))
    if optional:
        return None if value is None else _convert(args[0], value)
    origin = get_origin(kind)
    if origin is list:
        return [_convert(get_args(kind)[0], item) for item in value] if isinstance(value, list) else []
    if origin is dict:
        item_kind = get_args(kind)[1]
        return {str(k): _convert(item_kind, v) for k, v in obj(value).items()} if item_kind is not Any else obj(value)
    if isinstance(kind, type) and issubclass(kind, Model):
        return parse(kind, value)
    converters: dict[Any, Callable[[Any], Any]] = {
        str: lambda v: "" if v is None else str(v),
        int: lambda v: integer(v) or 0,
        float: lambda v: number(v) or 0.0,
        bool: bool,
        Decimal: lambda v: credits(0 if v is None else v),
        datetime: required_time,
        Any: lambda v: v,
    }
    return converters[kind](value)
