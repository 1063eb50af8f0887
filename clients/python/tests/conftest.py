"""A real Tollgate for the whole session: `tollgate serve` from this repository, on a port the OS
picks, a temporary SQLite file, the demo catalog and the built-in Stripe emulator."""

from __future__ import annotations

import os
import re
import secrets
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tollgate import Client, CreatedCustomer

REPO = Path(os.environ.get("TOLLGATE_REPO", Path(__file__).resolve().parents[3]))


@dataclass(frozen=True)
class Service:
    url: str
    admin_key: str
    database: Path

    def admin(self) -> Client:
        return Client(self.url, api_key=self.admin_key)

    def new_customer(self, plan: str = "free", name: str | None = None) -> CreatedCustomer:
        with self.admin() as admin:
            return admin.create_customer(plan=plan, name=name, email=f"{secrets.token_hex(4)}@example.com")

    def suspend(self, customer_id: str) -> None:
        """A payment failed long ago and its grace period is over: what the Stripe webhooks would leave.
        Waits until the service sees it (it caches a customer for a second)."""
        with sqlite3.connect(self.database, timeout=10) as db:
            db.execute("UPDATE customers SET status = 'past_due', payment_failed_at = 1 WHERE id = ?", (customer_id,))
        deadline = time.monotonic() + 10
        with self.admin() as admin:
            while admin.get_customer(customer_id).customer.status != "suspended":
                if time.monotonic() > deadline:
                    raise AssertionError("the service never saw the suspension")
                time.sleep(0.1)


@pytest.fixture(scope="session")
def service() -> Iterator[Service]:
    directory = Path(tempfile.mkdtemp(prefix="tollgate-python-"))
    database = directory / "tollgate.db"
    admin_key = "tg_test_admin_" + secrets.token_hex(16)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STRIPE_", "TOLLGATE_", "SMTP_")) and k not in ("DATABASE_URL", "REDIS_URL", "PUBLIC_URL")
    }
    env.update(
        DATABASE_URL=f"sqlite:{database}",
        PORT="0",
        HOST="127.0.0.1",
        TOLLGATE_ADMIN_KEY=admin_key,
        NODE_ENV="development",
        LOG_LEVEL="warn",
    )
    child = subprocess.Popen(
        # The sources through tsx (cwd is the repo, where tsx is installed): no build to go stale.
        ["node", "--import", "tsx", str(REPO / "src" / "cli" / "main.ts"), "serve"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert child.stdout is not None
    output: list[str] = []
    found = threading.Event()
    url: list[str] = []

    def read() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            output.append(line)
            match = re.search(r"Tollgate listening on (http://\S+)", line)
            if match:
                url.append(match.group(1))
                found.set()

    threading.Thread(target=read, daemon=True).start()
    if not found.wait(60):
        child.kill()
        raise RuntimeError("tollgate serve did not start within 60 s:\n" + "".join(output))
    try:
        yield Service(url=url[0], admin_key=admin_key, database=database)
    finally:
        child.terminate()
        try:
            child.wait(15)
        except subprocess.TimeoutExpired:
            child.kill()


@pytest.fixture
def customer(service: Service) -> CreatedCustomer:
    return service.new_customer()


@pytest.fixture
def client(service: Service, customer: CreatedCustomer) -> Iterator[Client]:
    assert customer.api_key.key is not None
    with Client(service.url, api_key=customer.api_key.key) as c:
        yield c
