"""The middleware in the example memory API (examples/memory_api.py), in front of the real service:
through httpx's ASGI transport, and once through a real uvicorn server."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal

import httpx
import pytest
import uvicorn
from conftest import Service
from memory_api import create_app
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Message

from tollgate import AsyncClient, Client, CreatedCustomer
from tollgate.middleware import Route as GateRoute
from tollgate.middleware import TollgateMiddleware, context_of, report_usage


@pytest.fixture
async def app_client(service: Service) -> AsyncIterator[httpx.AsyncClient]:
    async with AsyncClient(service.url) as tollgate:
        # entitlements_ttl=0: each test's plan changes are seen at once.
        app = create_app(service.url, client=tollgate, entitlements_ttl=0)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://memory.test") as client:
            yield client


def key_of(customer: CreatedCustomer) -> dict[str, str]:
    assert customer.api_key.key is not None
    return {"X-API-Key": customer.api_key.key}


async def test_an_admitted_capture_is_metered_reports_storage_and_carries_the_headers(
    app_client: httpx.AsyncClient, service: Service, customer: CreatedCustomer
) -> None:
    response = await app_client.post("/api/v1/capture", json={"text": "met Ada"}, headers=key_of(customer))
    assert response.status_code == 200
    assert response.json()["id"] == 1
    assert response.headers["x-tier"] == "free"
    assert response.headers["x-credits-used"] == "1"
    assert response.headers["x-credits-remaining"] == "99"
    assert response.headers["x-ratelimit-limit-minute"] == "10"
    assert response.headers["x-ratelimit-remaining-minute"] == "9"
    assert "ratelimit-policy" in response.headers and "ratelimit" in response.headers
    assert float(response.headers["x-request-duration-ms"]) > 0
    with Client(service.url, api_key=key_of(customer)["X-API-Key"]) as client:
        usage = client.usage()
    assert usage.credits_used == Decimal("1")
    assert (usage.storage_bytes, usage.storage_items) == (len(json.dumps("met Ada")) - 2, 1)


async def test_the_quantity_comes_from_the_request_and_the_route_still_reads_its_body(
    app_client: httpx.AsyncClient, service: Service, customer: CreatedCustomer
) -> None:
    await app_client.post("/api/v1/capture", json={"text": "Ada likes tea"}, headers=key_of(customer))
    response = await app_client.post("/api/v1/search", json={"query": "tea", "limit": 30}, headers=key_of(customer))
    assert response.status_code == 200
    assert response.json() == {"results": ["Ada likes tea"]}
    assert response.headers["x-credits-used"] == "0.3"  # 3 search units of 0.1
    assert response.headers["x-credits-total"] == "1.3"


async def test_an_idempotency_key_from_the_caller_counts_a_retried_request_once(
    app_client: httpx.AsyncClient, service: Service, customer: CreatedCustomer
) -> None:
    await app_client.post("/api/v1/capture", json={"text": "once"}, headers=key_of(customer))
    headers = {**key_of(customer), "Idempotency-Key": "reflect-1"}
    first = await app_client.post("/api/v1/reflect", headers=headers)
    again = await app_client.post("/api/v1/reflect", headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers["x-credits-total"] == first.headers["x-credits-total"] == "3"


async def test_a_route_error_keeps_the_decision_headers(
    app_client: httpx.AsyncClient, customer: CreatedCustomer
) -> None:
    # Reflecting on nothing is the route's own 409, after the usage was recorded.
    response = await app_client.post("/api/v1/reflect", headers=key_of(customer))
    assert response.status_code == 409
    assert response.headers["x-credits-used"] == "2"


async def test_no_key_or_a_bad_key_is_401_and_a_bearer_token_works(
    app_client: httpx.AsyncClient, customer: CreatedCustomer
) -> None:
    missing = await app_client.post("/api/v1/search")
    assert (missing.status_code, missing.json()["error"]) == (401, "unauthorized")
    wrong = await app_client.post("/api/v1/search", headers={"X-API-Key": "tg_live_wrong"})
    assert wrong.status_code == 401
    assert wrong.json() == {"error": "unauthorized", "message": "A valid API key is required."}
    bearer = await app_client.post(
        "/api/v1/search", headers={"Authorization": f"Bearer {key_of(customer)['X-API-Key']}"}
    )
    assert bearer.status_code == 200


async def test_a_feature_the_plan_lacks_is_403_and_a_plan_with_it_passes(
    app_client: httpx.AsyncClient, service: Service, customer: CreatedCustomer
) -> None:
    denied = await app_client.get("/api/federation/peers", headers=key_of(customer))
    assert denied.status_code == 403
    body = denied.json()
    assert body == {
        "error": "feature_not_available",
        "message": "Feature 'federation' is not available on the free plan.",
        "upgrade_url": f"{service.url}/billing",
        "plan": "free",
        "feature": "federation",
        "current_tier": "free",
        "limit_source": "plan",
    }
    assert denied.headers["x-tier"] == "free"
    pro = service.new_customer(plan="pro")
    allowed = await app_client.get("/api/federation/peers", headers=key_of(pro))
    assert allowed.status_code == 200 and allowed.headers["x-tier"] == "pro"
    # A contract that takes the feature away from a pro customer: the denial names the contract.
    withheld = service.new_customer(plan="pro")
    with service.admin() as admin:
        admin.set_overrides(withheld.customer.id, features={"federation": False})
    refused = await app_client.get("/api/federation/peers", headers=key_of(withheld))
    assert refused.status_code == 403
    assert (refused.json()["current_tier"], refused.json()["limit_source"]) == ("pro", "contract")


async def test_a_suspended_account_is_403_on_metered_and_feature_routes(
    app_client: httpx.AsyncClient, service: Service
) -> None:
    suspended = service.new_customer(plan="pro")
    service.suspend(suspended.customer.id)
    for method, path in [("POST", "/api/v1/capture"), ("GET", "/api/federation/peers")]:
        response = await app_client.request(method, path, json={"text": "x"}, headers=key_of(suspended))
        assert (response.status_code, response.json()["error"]) == (403, "account_suspended")


async def test_past_the_quota_is_429_with_the_service_body_and_headers(
    app_client: httpx.AsyncClient, service: Service, customer: CreatedCustomer
) -> None:
    with Client(service.url, api_key=key_of(customer)["X-API-Key"]) as client:
        client.record("reflect", 50)  # the free plan's 100 credits, used up
    response = await app_client.post("/api/v1/reflect", headers=key_of(customer))
    assert response.status_code == 429
    body = response.json()
    assert (body["error"], body["plan"]) == ("quota_exceeded", "free")
    assert body["upgrade_url"].endswith("/billing")
    assert int(response.headers["retry-after"]) == body["retry_after"] > 0
    assert response.headers["x-credits-remaining"] == "0"


async def test_the_eleventh_request_in_a_minute_is_429_rate_limited(
    app_client: httpx.AsyncClient, customer: CreatedCustomer
) -> None:
    statuses = []
    # At most 10 a minute; a fixed window may turn over mid-loop, so keep going until refused.
    for _ in range(25):
        response = await app_client.post("/api/v1/search", headers=key_of(customer))
        statuses.append(response.status_code)
        if response.status_code != 200:
            break
    assert statuses[-1] == 429 and statuses.count(200) >= 10
    assert response.json()["error"] == "rate_limited"
    assert 0 < int(response.headers["retry-after"]) <= 60
    assert response.headers["x-ratelimit-remaining-minute"] == "0"


async def test_storage_past_the_limit_is_507_and_records_nothing(
    app_client: httpx.AsyncClient, service: Service, customer: CreatedCustomer
) -> None:
    with Client(service.url, api_key=key_of(customer)["X-API-Key"]) as client:
        client.report_storage(100_000_000, 10)  # the free plan's bytes, all used
        response = await app_client.post("/api/v1/capture", json={"text": "one more"}, headers=key_of(customer))
        assert response.status_code == 507
        body = response.json()
        assert body["error"] == "storage_limit_exceeded"
        assert body["message"].startswith("Storage limit exceeded (this request would store 100000")
        assert body["message"].endswith(" of 100000000 bytes).")
        assert (body["current_usage"], body["limits"], body["tier"]) == (
            {"bytes": 100_000_000, "items": 10},
            {"bytes": 100_000_000, "items": None},
            "free",
        )
        assert body["limit_source"] == "plan"
        assert body["requested"]["bytes"] > 0
        assert client.usage().credits_used == Decimal("0")


def test_context_of_a_request_the_gate_did_not_admit_says_so() -> None:
    request = StarletteRequest({"type": "http", "method": "GET", "path": "/health", "headers": [], "state": {}})
    with pytest.raises(LookupError, match="did not pass through TollgateMiddleware"):
        context_of(request)


async def test_exempt_and_ungated_paths_pass_untouched(app_client: httpx.AsyncClient) -> None:
    health = await app_client.get("/health")
    assert health.status_code == 200 and "x-tier" not in health.headers
    docs = await app_client.get("/docs")
    assert docs.status_code == 200
    preflight = await app_client.options(
        "/api/v1/search", headers={"Origin": "https://a.example", "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code != 401


@pytest.fixture
def uvicorn_url(service: Service) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(service.url), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        threading.Event().wait(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_through_a_real_uvicorn_server(uvicorn_url: str, service: Service, customer: CreatedCustomer) -> None:
    with httpx.Client(base_url=uvicorn_url) as http:
        admitted = http.post("/api/v1/capture", json={"text": "over the wire"}, headers=key_of(customer))
        assert admitted.status_code == 200 and admitted.headers["x-credits-used"] == "1"
        denied = http.get("/api/federation/peers", headers=key_of(customer))
        assert denied.status_code == 403 and denied.json()["error"] == "feature_not_available"
        assert http.get("/health").json() == {"status": "ok"}


async def test_concurrent_requests_admit_exactly_the_quota(
    app_client: httpx.AsyncClient, service: Service, customer: CreatedCustomer
) -> None:
    with Client(service.url, api_key=key_of(customer)["X-API-Key"]) as client:
        client.record("reflect", 48, idempotency_key="fill")  # 96 of 100 credits: 2 reflects left
    responses = await asyncio.gather(*(app_client.post("/api/v1/reflect", headers=key_of(customer)) for _ in range(8)))
    codes = sorted(r.status_code for r in responses)
    # Two admitted (the route then answers 409: nothing captured), the rest refused by the quota or the rate.
    assert codes.count(409) == 2 and all(code == 429 for code in codes[2:])


async def test_a_feature_the_catalog_does_not_declare_fails_loudly(service: Service, customer: CreatedCustomer) -> None:
    app = Starlette(routes=[Route("/api/teleport", lambda request: PlainTextResponse("ok"))])
    gated = TollgateMiddleware(app, tollgate_url=service.url, features={"/api/teleport": "teleportation"})
    transport = httpx.ASGITransport(app=gated)
    async with httpx.AsyncClient(transport=transport, base_url="http://memory.test") as http:
        with pytest.raises(ValueError, match="unknown feature 'teleportation'.*federation"):
            await http.get("/api/teleport", headers=key_of(customer))


async def test_head_is_metered_as_get_and_path_templates_match_one_segment(
    service: Service, customer: CreatedCustomer
) -> None:
    app = Starlette(routes=[Route("/api/v1/memories/{id}", lambda request: PlainTextResponse("memory"))])
    gated = TollgateMiddleware(app, tollgate_url=service.url, routes={"GET /api/v1/memories/{id}": "search"})
    transport = httpx.ASGITransport(app=gated)
    async with httpx.AsyncClient(transport=transport, base_url="http://memory.test") as http:
        assert (await http.get("/api/v1/memories/7", headers=key_of(customer))).headers["x-credits-total"] == "0.1"
        assert (await http.head("/api/v1/memories/7", headers=key_of(customer))).headers["x-credits-total"] == "0.2"
        # Two segments are another path: not gated, so no figures.
        assert "x-credits-total" not in (await http.get("/api/v1/memories/7/x", headers=key_of(customer))).headers


async def test_a_client_the_middleware_made_is_closed_when_the_app_shuts_down(service: Service) -> None:
    gated = TollgateMiddleware(Starlette(), tollgate_url=service.url)
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[str] = []

    async def receive() -> Message:
        return next(messages)

    async def send(message: Message) -> None:
        sent.append(message["type"])

    await gated({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    with pytest.raises(RuntimeError, match="closed"):
        await gated.client.usage()


def chat_app(service: Service, tollgate: AsyncClient) -> TollgateMiddleware:
    """A route that reserves ``max_tokens`` reflects and reports ``used``; ``fail`` raises before reporting
    and ``slow`` streams forever before reporting (a client that goes away never sees it end)."""

    async def chat(request: StarletteRequest) -> Response:
        body = await request.json()
        if body.get("fail"):
            raise RuntimeError("the model failed")
        if body.get("slow"):

            async def stream() -> AsyncIterator[bytes]:
                yield b"thinking"
                await asyncio.sleep(30)
                report_usage(request, 1)

            return StreamingResponse(stream())
        report_usage(request, body["used"])
        return JSONResponse({"reservation": context_of(request).reservation is not None})

    app = Starlette(routes=[Route("/chat", chat, methods=["POST"])])
    reserve = GateRoute(operation="reflect", reserve=_max_tokens, reserve_ttl=60)
    return TollgateMiddleware(app, tollgate_url=service.url, client=tollgate, routes={"POST /chat": reserve})


async def _max_tokens(request: StarletteRequest) -> int:
    return int((await request.json())["max_tokens"])


async def test_a_reserving_route_is_settled_with_what_it_reports_and_released_when_it_raises(
    service: Service, customer: CreatedCustomer
) -> None:
    key = key_of(customer)
    async with AsyncClient(service.url) as tollgate, AsyncClient(service.url, api_key=key["X-API-Key"]) as own:
        transport = httpx.ASGITransport(app=chat_app(service, tollgate))
        async with httpx.AsyncClient(transport=transport, base_url="http://chat.test") as http:
            below = await http.post("/chat", json={"max_tokens": 10, "used": 3}, headers=key)
            assert below.status_code == 200 and below.json() == {"reservation": True}
            assert below.headers["x-tier"] == "free"
            assert (await own.usage()).credits_used == Decimal("6")  # 3 reflects settled, the hold freed
            above = await http.post("/chat", json={"max_tokens": 2, "used": 5}, headers=key)
            assert above.status_code == 200
            assert (await own.usage()).credits_used == Decimal("16")  # above the reservation, still recorded
            with pytest.raises(RuntimeError, match="the model failed"):
                await http.post("/chat", json={"max_tokens": 40, "fail": True}, headers=key)
            # Released: the 80 credits it held are free again, and nothing was recorded.
            held = await own.reserve("reflect", 42)
            denied = await http.post("/chat", json={"max_tokens": 1, "used": 1}, headers=key)
            assert (denied.status_code, denied.json()["error"]) == (429, "quota_exceeded")
            await own.release(held.reservation_id)
            assert (await own.usage()).credits_used == Decimal("16")
            with pytest.raises(ValueError, match="non-negative integer"):
                await http.post("/chat", json={"max_tokens": 1, "used": -1}, headers=key)


async def test_a_reserving_route_whose_client_goes_away_releases_the_hold(
    service: Service, customer: CreatedCustomer
) -> None:
    key = key_of(customer)["X-API-Key"]
    body = json.dumps({"max_tokens": 45, "slow": True}).encode()
    messages = iter([{"type": "http.request", "body": body, "more_body": False}])
    gone = asyncio.Event()

    async def receive() -> Message:
        message = next(messages, None)
        if message is not None:
            return message
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            gone.set()  # the first chunk arrived, then the client went away

    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/chat",
        "raw_path": b"/chat",
        "query_string": b"",
        "headers": [(b"x-api-key", key.encode()), (b"content-type", b"application/json")],
        "server": ("chat.test", 80),
        "client": ("127.0.0.1", 5000),
        "root_path": "",
        "state": {},
    }
    async with AsyncClient(service.url) as tollgate, AsyncClient(service.url, api_key=key) as own:
        await asyncio.wait_for(chat_app(service, tollgate)(scope, receive, send), 10)
        # The 90 credits it held are free again and nothing was recorded.
        assert (await own.reserve("reflect", 50)).credits_held == Decimal("100")
        assert (await own.usage()).credits_used == Decimal("0")


async def test_a_reserving_route_must_name_its_operation(service: Service) -> None:
    with pytest.raises(ValueError, match="reserves, so it must name its `operation`"):
        TollgateMiddleware(Starlette(), tollgate_url=service.url, routes={"POST /chat": GateRoute(reserve=_max_tokens)})
