"""Watches the credit quota from Python with the standard library only: warns when few credits are
left, and when Tollgate refuses a request with 429 quota_exceeded, reads the figures the refusal
carries. (For an application, the `tollgate` package in clients/python is the full client.)

    TOLLGATE_URL=http://localhost:3000 TOLLGATE_API_KEY=tg_live_... python3 examples/python/quota_guard.py

Credit figures are JSON numbers (at most 3 decimals), so `quota_remaining < 100` is a plain
comparison; `None` means the plan is unlimited.
"""

import json
import os
import sys
import urllib.error
import urllib.request
import uuid

LOW_CREDITS = 100


def call(method, path, body=None):
    """One request to the service; returns (status, parsed body). Errors are answers too."""
    request = urllib.request.Request(
        os.environ["TOLLGATE_URL"].rstrip("/") + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"X-API-Key": os.environ["TOLLGATE_API_KEY"], "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def main():
    if not os.environ.get("TOLLGATE_API_KEY") or not os.environ.get("TOLLGATE_URL"):
        print("Set TOLLGATE_URL and TOLLGATE_API_KEY (npm start prints both).", file=sys.stderr)
        return 2
    operation = os.environ.get("TOLLGATE_OPERATION", "capture")
    quantity = int(os.environ.get("TOLLGATE_QUANTITY", "40"))

    _, usage = call("GET", "/api/v1/usage")
    remaining = usage["quota_remaining"]
    if remaining is None:
        print(f"plan {usage['subscription_tier']}: unlimited credits")
        return 0
    if remaining < LOW_CREDITS:
        print(f"low on credits: {remaining} of {usage['monthly_limit']} left ({usage['usage_percentage']}% used)")
    else:
        print(f"{remaining} credits left")

    # Spend until Tollgate refuses: the refusal says how far the quota got.
    for recorded in range(1000):
        event = {"operation": operation, "quantity": quantity, "idempotency_key": str(uuid.uuid4())}
        status, body = call("POST", "/api/v1/usage/record", event)
        if status == 200:
            continue
        if body.get("error") != "quota_exceeded":
            print(f"refused ({status}): {body.get('message')}", file=sys.stderr)
            return 1
        figures = body["usage"]
        print(f"recorded {recorded} x {operation} x{quantity}, then refused ({status}): {body['message']}")
        print(
            f"customer {figures['customer_id']} on {figures['subscription_tier']}: "
            f"{figures['credits_used']} of {figures['monthly_limit']} credits used "
            f"({figures['usage_percentage']}%), {figures['quota_remaining']} left"
        )
        if figures["quota_remaining"] < quantity:
            where = f": upgrade at {body['upgrade_url']}" if body.get("upgrade_url") else ""
            print(f"fewer credits left than one {operation} x{quantity} needs{where}")
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
