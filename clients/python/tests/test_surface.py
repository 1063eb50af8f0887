"""The package's surface: the async client mirrors the sync one, and the error classes are exactly
the codes of docs/errors.md."""

from __future__ import annotations

import inspect
import re

from conftest import REPO

from tollgate import AsyncClient, Client
from tollgate import _calls as calls
from tollgate.errors import ERROR_CLASSES


def public_methods(cls: type) -> dict[str, list[tuple[str, object, object]]]:
    return {
        name: [(p.name, p.kind, p.default) for p in inspect.signature(member).parameters.values()]
        for name, member in vars(cls).items()
        if callable(member) and not name.startswith("_") and name not in ("close", "aclose")
    }


def test_the_async_client_has_every_method_of_the_sync_client_with_the_same_parameters() -> None:
    sync, asynchronous = public_methods(Client), public_methods(AsyncClient)
    assert sync == asynchronous
    # Every route the package describes is reachable from both clients.
    routes = {
        name
        for name, f in vars(calls).items()
        if inspect.isfunction(f) and f.__module__ == calls.__name__ and not name.startswith("_")
    }
    assert routes - {"new_key"} <= set(sync)
    for name in sync:
        if name != "with_api_key":
            assert inspect.iscoroutinefunction(getattr(AsyncClient, name)), name


def test_there_is_one_error_class_per_documented_code() -> None:
    table = (REPO / "docs" / "errors.md").read_text()
    documented = set(re.findall(r"^\| `([a-z_]+)` \| \d{3} \|", table, flags=re.MULTILINE))
    assert documented == set(ERROR_CLASSES)
    statuses = dict(re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", table, flags=re.MULTILINE))
    assert all(cls.code == code and statuses[code] for code, cls in ERROR_CLASSES.items())
