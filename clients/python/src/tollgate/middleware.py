"""ASGI middleware that puts Tollgate in front of a Starlette or FastAPI app (service mode).

    app.add_middleware(
        TollgateMiddleware,
        tollgate_url="http://localhost:3000",
        routes={"POST /api/v1/capture": "capture", "POST /api/v1/search": "search"},
        features={"/api/federation": "federation"},
    )

For each gated request it takes the customer's key from ``X-API-Key`` or ``Authorization: Bearer``
and, with that key: checks the feature of the path's prefix and that the account is serviceable
(``GET /api/v1/entitlements``, cached briefly per key), checks storage the route would add
(``GET /api/v1/usage``), and records the route's operation (``POST /api/v1/usage/record``), which
enforces the rate limits and the credit quota. A denial is answered with Tollgate's status, body and
headers; an admitted response gets the decision headers (``X-Tier``, ``X-RateLimit-*``,
``X-Credits-*``, ``RateLimit*``). Usage is recorded before the route runs, as the Node middleware
does, so a quota admits exactly what it allows. A route with ``reserve`` instead reserves before it
runs and is settled with what it reports (``report_usage``) when the response ends. Tollgate
unreachable or failing (5xx) raises, for the app's error handling.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .async_client import AsyncClient
from .errors import TollgateConnectionError, TollgateError
from .models import ContractLimit, Entitlements, RecordResult, Reservation

Quantity = Callable[[Request], int | Awaitable[int]]

logger = logging.getLogger("tollgate.middleware")


@dataclass(frozen=True)
class StorageChange:
    """Storage a request adds; the request is refused (507) when it would pass the plan's limit."""

    bytes: int = 0
    items: int = 0


StorageOf = Callable[[Request], StorageChange | Awaitable[StorageChange]]


@dataclass(frozen=True)
class Route:
    """What one route meters or needs. ``quantity``, ``reserve`` and ``storage`` may read the body
    (``await request.json()``): the middleware buffers it and hands it on to the route unchanged.

    ``reserve`` is for work whose size is known only afterwards: the middleware reserves ``operation``
    x ``reserve(request)`` (e.g. the request's ``max_tokens``) instead of recording it, denying exactly
    as a record would, and the route reports what it used with ``report_usage(request, n)``. When the
    response ends the reservation is settled with that figure (recorded even above the reservation);
    a route that reported nothing (it raised, or the client went away first) releases the hold.
    ``quantity`` is not used then; ``reserve_ttl`` is the hold's lifetime in seconds (service default
    300), after which an instance that died leaves it to expire."""

    operation: str | None = None
    feature: str | None = None
    quantity: Quantity | None = None
    storage: StorageOf | None = None
    reserve: Quantity | None = None
    reserve_ttl: int | None = None


@dataclass(frozen=True)
class GateContext:
    """Left in ``request.state.tollgate`` for the route: the customer's key and a client using it, and
    the record or the reservation the gate made."""

    api_key: str
    client: AsyncClient
    record: RecordResult | None
    entitlements: Entitlements | None
    reservation: Reservation | None = None
    # The quantity reported with report_usage, the last one counting.
    reported: list[int] = field(default_factory=list, repr=False)


def context_of(request: Request) -> GateContext:
    """The gate's context of an admitted request, typed (``request.state.tollgate``)."""
    context = getattr(request.state, "tollgate", None)
    if not isinstance(context, GateContext):
        raise LookupError("this request did not pass through TollgateMiddleware (an exempt or ungated path?)")
    return context


def report_usage(request: Request, quantity: int) -> None:
    """Reports what a request of a route with ``reserve`` really used (e.g. the completion's token
    count): its reservation is settled with it when the response ends. Reporting again replaces it."""
    context = context_of(request)
    if context.reservation is None:
        raise LookupError("this request holds no reservation (its route has no `reserve`)")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise ValueError(f"the actual usage must be a non-negative integer, got {quantity!r}")
    context.reported[:] = [quantity]


DECISION_HEADER = re.compile(r"^(x-tier|x-ratelimit-.*|x-credits-.*|x-quota-warning|ratelimit(-policy)?|retry-after)$")

_MESSAGES = {
    "unauthorized": "A valid API key is required.",
    "account_suspended": "This account is suspended because a payment failed.",
}


class _Denied(Exception):
    def __init__(self, status: int, body: bytes, headers: Mapping[str, str]) -> None:
        self.status = status
        self.body = body
        self.headers = dict(headers)


def _deny(
    status: int, code: str, headers: Mapping[str, str] | None = None, message: str | None = None, **details: Any
) -> _Denied:
    """A denial with the body the service and the Node middleware give for the same refusal."""
    body = {"error": code, "message": message or _MESSAGES[code], **details}
    return _Denied(status, json.dumps(body).encode(), headers or {})


def decision_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The contract's decision headers among a Tollgate answer's headers."""
    return {name: value for name, value in headers.items() if DECISION_HEADER.match(name.lower())}


def api_key_of(headers: Mapping[str, str]) -> str | None:
    """The key from ``X-API-Key``, else from ``Authorization: Bearer <key>``."""
    key = headers.get("x-api-key", "").strip()
    if key:
        return key
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    return credentials.strip() or None if scheme.lower() == "bearer" else None


def _compile(pattern: str) -> re.Pattern[str]:
    """``/api/v1/memories/{id}`` -> a regex matching one path segment per ``{name}``."""
    parts = re.split(r"(\{[^/{}]+\})", pattern)
    regex = "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
    return re.compile(f"^{regex}$")


def _under(path: str, prefix: str) -> bool:
    """On a segment boundary: ``/health`` covers ``/health/deep``, not ``/healthcheck``."""
    return path == prefix or (path.startswith(prefix) and (prefix.endswith("/") or path[len(prefix)] == "/"))


async def _resolve(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


class TollgateMiddleware:
    """See the module's documentation. Bad configuration fails here, when the app is built."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        tollgate_url: str = "http://localhost:3000",
        routes: Mapping[str, str | Route] | None = None,
        features: Mapping[str, str] | None = None,
        exempt: Sequence[str] = ("/health", "/docs", "/openapi.json"),
        upgrade_url: str | None = None,
        client: AsyncClient | None = None,
        entitlements_ttl: float = 5.0,
    ) -> None:
        self.app = app
        # A client made here is closed when the app shuts down (ASGI lifespan); one passed in is the caller's.
        self._owns_client = client is None
        self.client = client or AsyncClient(tollgate_url)
        self.upgrade_url = upgrade_url or f"{tollgate_url.rstrip('/')}/billing"
        self.entitlements_ttl = entitlements_ttl
        self.exempt = list(exempt)
        self.features = sorted((features or {}).items(), key=lambda item: -len(item[0]))
        for prefix in [*self.exempt, *(p for p, _ in self.features)]:
            if not prefix.startswith("/"):
                raise ValueError(f"tollgate middleware: path '{prefix}' must start with '/'")
        self.routes: list[tuple[str | None, re.Pattern[str], Route]] = []
        for spec, target in (routes or {}).items():
            method, _, path = spec.strip().rpartition(" ")
            if not path.startswith("/"):
                raise ValueError(f"tollgate middleware: route '{spec}' must be 'METHOD /path' or '/path'")
            route = Route(operation=target) if isinstance(target, str) else target
            if route.reserve is not None and route.operation is None:
                raise ValueError(f"tollgate middleware: route '{spec}' reserves, so it must name its `operation`")
            self.routes.append((method.upper() or None, _compile(path), route))
        self._entitlements: dict[str, tuple[float, Entitlements]] = {}

    def _match(self, method: str, path: str) -> Route | None:
        # Starlette answers HEAD with the GET route's handler, so HEAD is metered as GET.
        method = "GET" if method == "HEAD" else method
        for route_method, pattern, route in self.routes:
            if (route_method is None or route_method == method) and pattern.match(path):
                return route
        return None

    def _feature_of(self, path: str, route: Route | None) -> str | None:
        if route is not None and route.feature is not None:
            return route.feature
        return next((feature for prefix, feature in self.features if _under(path, prefix)), None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" and self._owns_client:
            await self.app(scope, receive, self._closing_on_shutdown(send))
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        method, path = scope["method"], scope["path"]
        preflight = method == "OPTIONS" and "access-control-request-method" in headers
        route = self._match(method, path)
        feature = self._feature_of(path, route)
        if preflight or any(_under(path, prefix) for prefix in self.exempt) or (route is None and feature is None):
            await self.app(scope, receive, send)
            return

        started = time.perf_counter()
        body = await _read_body(receive) if route and (route.quantity or route.storage or route.reserve) else None
        try:
            gate_receive = _replay(body, receive) if body is not None else receive
            context, added = await self._gate(scope, gate_receive, headers, route, feature)
        except _Denied as denial:
            added = {**denial.headers, "X-Request-Duration-Ms": f"{(time.perf_counter() - started) * 1000:.2f}"}
            await _answer(send, denial.status, denial.body, added)
            return
        added["X-Request-Duration-Ms"] = f"{(time.perf_counter() - started) * 1000:.2f}"
        scope.setdefault("state", {})["tollgate"] = context

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *_encode(added)]}
            await send(message)

        try:
            await self.app(scope, _replay(body, receive) if body is not None else receive, send_with_headers)
        finally:
            await _finish(context)

    async def _gate(
        self, scope: Scope, receive: Receive, headers: Mapping[str, str], route: Route | None, feature: str | None
    ) -> tuple[GateContext, dict[str, str]]:
        key = api_key_of(headers)
        if key is None:
            raise _deny(401, "unauthorized")
        client = self.client.with_api_key(key)
        request = Request(scope, receive)
        added: dict[str, str] = {}
        try:
            entitlements = await self._serviceable(client, key, feature) if feature else None
            if entitlements is not None:
                added["X-Tier"] = entitlements.subscription_tier
            if route is not None and route.storage is not None:
                change: StorageChange = await _resolve(route.storage(request))
                await self._check_storage(client, change)
            record = reservation = None
            if route is not None and route.operation is not None:
                replay = headers.get("idempotency-key")
                key_for_event = f"{route.operation}:{replay}" if replay else None
                if route.reserve is not None:
                    held: int = await _resolve(route.reserve(request))
                    reservation = await client.reserve(
                        route.operation, held, idempotency_key=key_for_event, ttl_seconds=route.reserve_ttl
                    )
                    added = decision_headers(reservation.headers)
                else:
                    quantity: int = await _resolve(route.quantity(request)) if route.quantity else 1
                    record = await client.record(route.operation, quantity, idempotency_key=key_for_event)
                    added = decision_headers(record.headers)
        except TollgateConnectionError:
            raise
        except TollgateError as error:
            if error.status >= 500 or error.status == 0:
                raise
            raise _Denied(error.status, error.text.encode(), decision_headers(error.headers)) from None
        context = GateContext(
            api_key=key, client=client, record=record, entitlements=entitlements, reservation=reservation
        )
        return context, added

    def _closing_on_shutdown(self, send: Send) -> Send:
        async def send_then_close(message: Message) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                await self.client.aclose()
            await send(message)

        return send_then_close

    async def _serviceable(self, client: AsyncClient, key: str, feature: str) -> Entitlements:
        now = time.monotonic()
        # Cached by the key's digest, so the keys themselves are not kept in memory.
        digest = hashlib.sha256(key.encode()).hexdigest()
        cached = self._entitlements.get(digest)
        if cached is not None and cached[0] > now:
            entitlements = cached[1]
        else:
            entitlements = await client.entitlements()
            if self.entitlements_ttl > 0:
                if len(self._entitlements) >= 10_000:
                    self._entitlements.clear()
                self._entitlements[digest] = (now + self.entitlements_ttl, entitlements)
        if feature not in entitlements.features:
            # The service lists every declared feature: a name it lacks is a typo that would deny everyone.
            known = ", ".join(sorted(entitlements.features))
            raise ValueError(f"tollgate middleware: unknown feature '{feature}' (the catalog has {known})")
        tier = {"X-Tier": entitlements.subscription_tier}
        if not entitlements.serviceable:
            raise _deny(
                403, "account_suspended", tier, upgrade_url=self.upgrade_url, plan=entitlements.subscription_tier
            )
        if not entitlements.features.get(feature, False):
            raise _deny(
                403,
                "feature_not_available",
                tier,
                f"Feature '{feature}' is not available on the {entitlements.subscription_tier} plan.",
                upgrade_url=self.upgrade_url,
                plan=entitlements.subscription_tier,
                feature=feature,
                current_tier=entitlements.subscription_tier,
                limit_source=_limit_source(entitlements.contract, [f"features.{feature}"]),
            )
        return entitlements

    async def _check_storage(self, client: AsyncClient, change: StorageChange) -> None:
        usage = await client.usage()
        over: list[str] = []
        refusing: list[str] = []
        for unit, used, added, limit in [
            ("bytes", usage.storage_bytes, change.bytes, usage.storage_bytes_limit),
            ("items", usage.storage_items, change.items, usage.storage_items_limit),
        ]:
            if limit is not None and used + added > limit:
                over.append(f"{used + added} of {limit} {unit}")
                refusing.append(f"storage_{unit}")
        if over:
            raise _deny(
                507,
                "storage_limit_exceeded",
                {"X-Tier": usage.subscription_tier},
                f"Storage limit exceeded (this request would store {' and '.join(over)}).",
                upgrade_url=self.upgrade_url,
                plan=usage.subscription_tier,
                current_usage={"bytes": usage.storage_bytes, "items": usage.storage_items},
                requested={"bytes": change.bytes, "items": change.items},
                limits={"bytes": usage.storage_bytes_limit, "items": usage.storage_items_limit},
                tier=usage.subscription_tier,
                limit_source=_limit_source(usage.contract, refusing),
            )


def _limit_source(contract: list[ContractLimit], keys: list[str]) -> str:
    """``contract`` when an override in force set one of the refusing limits, else ``plan``, as the
    service says in its own denials."""
    return "contract" if any(limit.key in keys for limit in contract) else "plan"


async def _finish(context: GateContext) -> None:
    """Settles the request's reservation with the reported usage, or releases it when none was
    reported. Shielded, so a cancelled request (the client went away) still frees its hold; a failure
    is logged and leaves the hold to expire, since the response is already gone."""
    reservation = context.reservation
    # A retried request answered with a reservation already settled or released has nothing to end.
    if reservation is None or reservation.status != "held":
        return
    with anyio.CancelScope(shield=True):
        try:
            if context.reported:
                await context.client.settle(reservation.reservation_id, context.reported[-1])
            else:
                await context.client.release(reservation.reservation_id)
        except TollgateError as error:
            logger.warning("tollgate: reservation %s not ended: %s", reservation.reservation_id, error)


def _encode(headers: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]


async def _answer(send: Send, status: int, body: bytes, headers: Mapping[str, str]) -> None:
    all_headers = {"content-type": "application/json", "content-length": str(len(body)), **headers}
    await send({"type": "http.response.start", "status": status, "headers": _encode(all_headers)})
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive) -> bytes:
    """The whole request body, read now (so ``quantity``/``storage`` can read it before the route)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive channel for one reader: the buffered body once, then the real channel (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
