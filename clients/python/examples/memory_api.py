"""A memory API in the shape of the product brief, gated by Tollgate.

    npm start                                           # in the repository: prints a customer key
    pip install './clients/python[starlette]' fastapi uvicorn
    TOLLGATE_URL=http://localhost:3000 uvicorn memory_api:app --app-dir clients/python/examples --port 8000
    curl -si -X POST localhost:8000/api/v1/capture -H "X-API-Key: $KEY" -H 'Content-Type: application/json' \\
      -d '{"text": "met Ada at the conference"}'

Capture (1 credit), search (0.1) and reflect (2) are metered; /api/federation needs the plan's
`federation` feature; capture reports the customer's storage after each write and is refused (507)
when the memory would pass the plan's storage limit. /health and /docs are not gated.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException

from tollgate import AsyncClient
from tollgate.middleware import GateContext, Route, StorageChange, TollgateMiddleware, context_of


async def _capture_size(request: Request) -> StorageChange:
    return StorageChange(bytes=len(await request.body()), items=1)


async def _search_pages(request: Request) -> int:
    # One search unit per 10 results asked for: a bigger search costs more.
    body: Any = await request.json() if await request.body() else {}
    limit = body.get("limit", 10) if isinstance(body, dict) else 10
    return max(1, -(-int(limit) // 10))


def create_app(tollgate_url: str, client: AsyncClient | None = None, entitlements_ttl: float = 5.0) -> FastAPI:
    app = FastAPI(title="Memory API")
    # Memories per customer key (a real app stores them per account, in its database).
    memories: dict[str, list[str]] = {}

    app.add_middleware(
        TollgateMiddleware,
        tollgate_url=tollgate_url,
        client=client,
        routes={
            "POST /api/v1/capture": Route(operation="capture", storage=_capture_size),
            "POST /api/v1/search": Route(operation="search", quantity=_search_pages),
            "POST /api/v1/reflect": "reflect",
        },
        features={"/api/federation": "federation", "/api/realtime": "realtime_sync"},
        entitlements_ttl=entitlements_ttl,
    )

    def tenant(request: Request) -> tuple[GateContext, list[str]]:
        gate = context_of(request)
        return gate, memories.setdefault(hashlib.sha256(gate.api_key.encode()).hexdigest(), [])

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/v1/capture")
    async def capture(request: Request) -> dict[str, Any]:
        gate, stored = tenant(request)
        text = (await request.json()).get("text", "")
        stored.append(text)
        report = await gate.client.report_storage(sum(len(m.encode()) for m in stored), len(stored))
        return {"id": len(stored), "storage_bytes": report.storage_bytes}

    @app.post("/api/v1/search")
    async def search(request: Request) -> dict[str, Any]:
        _, stored = tenant(request)
        body = await request.json() if await request.body() else {}
        query = str(body.get("query", ""))
        return {"results": [m for m in stored if query.lower() in m.lower()]}

    @app.post("/api/v1/reflect")
    async def reflect(request: Request) -> dict[str, Any]:
        _, stored = tenant(request)
        if not stored:
            raise HTTPException(409, "nothing to reflect on yet")
        return {"reflection": f"{len(stored)} memories, the latest: {stored[-1]}"}

    @app.get("/api/federation/peers")
    async def peers() -> dict[str, list[str]]:
        return {"peers": ["memory.example.org"]}

    return app


app = create_app(os.environ.get("TOLLGATE_URL", "http://localhost:3000"))
