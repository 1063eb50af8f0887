"""Records some usage through Tollgate and prints where the customer stands.

    TOLLGATE_URL=http://localhost:3000 TOLLGATE_API_KEY=tg_live_... python3 examples/python/demo.py

Start the service with `npm start`: it prints a demo customer's key to use here.
"""

import sys

from tollgate_client import TollgateError, client_from_env


def main():
    client = client_from_env()
    if client is None:
        print("Set TOLLGATE_API_KEY to a customer key (npm start prints one).", file=sys.stderr)
        return 2

    for operation, quantity in [("capture", 2), ("search", 3)]:
        result = client.record(operation, quantity)
        print(
            f"recorded {operation} x{quantity}: cost {result['cost']} credits, "
            f"{result['credits_used']} used this period"
        )

    check = client.check("reflect", quantity=1)
    print(f"check reflect x1: {'allowed' if check['allowed'] else 'refused: ' + str(check['reason'])}")

    usage = client.usage()
    limit = "unlimited" if usage["monthly_limit"] is None else usage["monthly_limit"]
    left = "unlimited" if usage["quota_remaining"] is None else usage["quota_remaining"]
    print(
        f"usage: {usage['credits_used']} of {limit} credits used "
        f"({usage['usage_percentage']}%), {left} left, plan {usage['subscription_tier']}"
    )

    # More than the plan allows: Tollgate refuses with 429 quota_exceeded and records nothing.
    try:
        client.record("capture", quantity=1_000_000)
        print("recorded capture x1000000")
    except TollgateError as error:
        print(f"refused: {error.error} ({error.status}): {error.message}; retry after {error.retry_after} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
