"""examples/demo.py, run by the interpreter as a user would, against the real service."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from conftest import Service

from tollgate import Client, CreatedCustomer

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_the_demo_records_prints_the_figures_and_is_refused_past_the_quota(
    service: Service, customer: CreatedCustomer
) -> None:
    assert customer.api_key.key is not None
    env = {**os.environ, "TOLLGATE_URL": service.url, "TOLLGATE_API_KEY": customer.api_key.key}
    env["PYTHONPATH"] = os.pathsep.join([str(EXAMPLES.parent / "src"), env.get("PYTHONPATH", "")])
    run = subprocess.run(
        [sys.executable, str(EXAMPLES / "demo.py")], env=env, capture_output=True, text=True, timeout=60
    )
    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout.splitlines() == [
        "recorded capture x2: cost 2 credits, 2 used",
        "recorded search x3: cost 0.3 credits, 2.3 used",
        "check reflect x1: allowed",
        "usage: 2.3 of 100 credits used (2.3%), 97.7 left, plan free",
        "refused: quota_exceeded (429): Monthly quota exceeded. Used 2.3/100 credits. This request needs 1000000.",
    ]
    with Client(service.url, api_key=customer.api_key.key) as client:
        assert client.usage().credits_used == Decimal("2.3")
        assert sum(bucket.events for bucket in client.history().data) == 2


def test_the_demo_asks_for_a_key() -> None:
    env = {k: v for k, v in os.environ.items() if k != "TOLLGATE_API_KEY"}
    env["PYTHONPATH"] = str(EXAMPLES.parent / "src")
    run = subprocess.run([sys.executable, str(EXAMPLES / "demo.py")], env=env, capture_output=True, text=True)
    assert run.returncode == 2 and "TOLLGATE_API_KEY" in run.stderr
