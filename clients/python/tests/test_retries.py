"""Retries against a local fault server: 503 and connection failures are retried with the same
idempotency key; 4xx never; a dropped connection after sending only for calls safe to repeat."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import fault_server
import pytest
from fault_server import Answer, FaultServer

from tollgate import (
    AsyncClient,
    Client,
    PaymentProviderUnavailable,
    RateLimited,
    RetryPolicy,
    TollgateConnectionError,
)

FAST = RetryPolicy(max_retries=2, backoff=0.01, max_backoff=0.05)
USAGE_RECORDED = {
    "subscription_tier": "free",
    "operation": "search",
    "quantity": 1,
    "cost": "0.1",
    "credits_used": "0.1",
    "monthly_limit": "100",
    "quota_remaining": "99.9",
    "period_end": "2026-02-01T00:00:00.000Z",
    "event_id": "usage_1",
}
UNAVAILABLE: Answer = (503, {"error": "payment_provider_unavailable", "message": "Stripe is away."}, {})


@pytest.fixture
def faults(request: pytest.FixtureRequest) -> Iterator[FaultServer]:
    yield from fault_server.serve(request.param)


@pytest.mark.parametrize("faults", [[UNAVAILABLE, UNAVAILABLE, (200, USAGE_RECORDED, {})]], indirect=True)
def test_a_503_is_retried_with_the_same_idempotency_key(faults: FaultServer) -> None:
    with Client(faults.url, api_key="k", retry=FAST) as client:
        assert client.record("search").event_id == "usage_1"
    assert len(faults.seen) == 3
    assert len({seen.body["idempotency_key"] for seen in faults.seen}) == 1


@pytest.mark.parametrize("faults", [[UNAVAILABLE] * 3], indirect=True)
def test_503s_past_the_retries_raise_the_last_answer(faults: FaultServer) -> None:
    with Client(faults.url, api_key="k", retry=FAST) as client, pytest.raises(PaymentProviderUnavailable):
        client.subscribe("pro")
    assert len(faults.seen) == 3
    assert len({seen.headers["idempotency-key"] for seen in faults.seen}) == 1


@pytest.mark.parametrize(
    "faults",
    [[(429, {"error": "rate_limited", "message": "Slow down.", "retry_after": 1}, {"Retry-After": "1"})]],
    indirect=True,
)
def test_a_4xx_is_never_retried(faults: FaultServer) -> None:
    with Client(faults.url, api_key="k", retry=FAST) as client, pytest.raises(RateLimited):
        client.record("search")
    assert len(faults.seen) == 1


@pytest.mark.parametrize("faults", [["drop", "drop", (200, USAGE_RECORDED, {})]], indirect=True)
def test_a_dropped_connection_is_retried_for_a_keyed_record(faults: FaultServer) -> None:
    with Client(faults.url, api_key="k", retry=FAST) as client:
        assert client.record("search").event_id == "usage_1"
    assert len(faults.seen) == 3


@pytest.mark.parametrize("faults", [["drop", (201, {}, {})]], indirect=True)
def test_a_dropped_connection_is_not_retried_for_a_call_unsafe_to_repeat(faults: FaultServer) -> None:
    # Creating a customer twice would make two customers.
    with Client(faults.url, api_key="k", retry=FAST) as client, pytest.raises(TollgateConnectionError):
        client.create_customer(email="a@example.com")
    assert len(faults.seen) == 1


def test_a_refused_connection_is_retried_then_raised() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with Client(f"http://127.0.0.1:{port}", api_key="k", retry=FAST) as client:
        with pytest.raises(TollgateConnectionError, match="after 3 attempts"):
            client.usage()


@pytest.mark.parametrize("faults", [[UNAVAILABLE, "drop", (200, USAGE_RECORDED, {})]], indirect=True)
async def test_the_async_client_retries_the_same_way(faults: FaultServer) -> None:
    async with AsyncClient(faults.url, api_key="k", retry=FAST) as client:
        assert (await client.record("search")).event_id == "usage_1"
    assert len(faults.seen) == 3


def test_the_backoff_doubles_within_bounds_and_follows_retry_after() -> None:
    policy = RetryPolicy(backoff=1.0, max_backoff=8.0)
    for attempt, full in [(0, 1.0), (1, 2.0), (2, 4.0), (3, 8.0), (6, 8.0)]:
        assert full / 2 <= policy.delay(attempt) <= full
    assert policy.delay(0, "3") == 3.0
    assert policy.delay(0, "120") == 8.0
