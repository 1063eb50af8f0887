"""Watches the credit quota from Python: warns when few credits are left, and when Tollgate refuses
a request with 429 quota_exceeded, reads the figures the refusal carries.

    TOLLGATE_URL=http://localhost:3000 TOLLGATE_API_KEY=tg_live_... python3 examples/python/quota_guard.py

Credit figures are JSON numbers (at most 3 decimals), so `quota_remaining < 100` is a plain
comparison; `None` means the plan is unlimited.
"""

import os
import sys

from tollgate_client import TollgateError, client_from_env

LOW_CREDITS = 100


def main():
    client = client_from_env()
    if client is None:
        print("Set TOLLGATE_API_KEY to a customer key (npm start prints one).", file=sys.stderr)
        return 2
    operation = os.environ.get("TOLLGATE_OPERATION", "capture")
    quantity = int(os.environ.get("TOLLGATE_QUANTITY", "40"))

    usage = client.usage()
    remaining = usage["quota_remaining"]
    if remaining is None:
        print(f"plan {usage['subscription_tier']}: unlimited credits")
    elif remaining < LOW_CREDITS:
        print(f"low on credits: {remaining} of {usage['monthly_limit']} left ({usage['usage_percentage']}% used)")
    else:
        print(f"{remaining} credits left")

    # Spend until Tollgate refuses: the refusal says how far the quota got.
    recorded = 0
    try:
        while recorded < 1000:
            client.record(operation, quantity)
            recorded += 1
    except TollgateError as error:
        if error.error != "quota_exceeded":
            raise
        figures = error.usage
        print(f"recorded {recorded} x {operation} x{quantity}, then refused ({error.status}): {error.message}")
        print(
            f"customer {figures['customer_id']} on {figures['subscription_tier']}: "
            f"{figures['credits_used']} of {figures['monthly_limit']} credits used "
            f"({figures['usage_percentage']}%), {figures['quota_remaining']} left"
        )
        if figures["quota_remaining"] < quantity:
            where = f": upgrade at {error.upgrade_url}" if error.upgrade_url else ""
            print(f"fewer credits left than one {operation} x{quantity} needs{where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
