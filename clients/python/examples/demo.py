"""Records some usage through Tollgate and prints where the customer stands.

npm start                                   # in the repository: prints a demo customer key
TOLLGATE_URL=http://localhost:3000 TOLLGATE_API_KEY=tg_live_... python3 clients/python/examples/demo.py
"""

from __future__ import annotations

import os
import sys

from tollgate import Client, TollgateError


def main() -> int:
    key = os.environ.get("TOLLGATE_API_KEY")
    if not key:
        print("Set TOLLGATE_API_KEY to a customer key (npm start prints one).", file=sys.stderr)
        return 2
    with Client(os.environ.get("TOLLGATE_URL", "http://localhost:3000"), api_key=key) as client:
        for operation, quantity in [("capture", 2), ("search", 3)]:
            recorded = client.record(operation, quantity)
            print(f"recorded {operation} x{quantity}: cost {recorded.cost} credits, {recorded.credits_used} used")

        check = client.check("reflect")
        print(f"check reflect x1: {'allowed' if check.allowed else f'refused: {check.reason}'}")

        usage = client.usage()
        print(
            f"usage: {usage.credits_used} of {usage.monthly_limit or 'unlimited'} credits used "
            f"({usage.usage_percentage}%), {usage.quota_remaining or 'unlimited'} left, plan {usage.subscription_tier}"
        )

        # More than the plan allows: Tollgate refuses with 429 quota_exceeded and records nothing.
        try:
            client.record("capture", 1_000_000)
        except TollgateError as error:
            print(f"refused: {error.code} ({error.status}): {error.message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
