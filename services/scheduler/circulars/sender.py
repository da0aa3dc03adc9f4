"""How the outbox relay hands a circular request to notify.

`CircularSender` is the seam: one call with the request and its idempotency key, answering notify's
JSON. `HttpCircularSender` is today's implementation (`POST /api/v1/circulars` with the
`Idempotency-Key` header, through `ServiceClient`, so failures are `shared.errors` and a keyed call
is retried); at merge, `NotifyClient.request_circular` replaces it behind the same Protocol.
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx
import orjson

from services.scheduler.circulars.schemas import CircularRequest
from shared.clients import RetryPolicy, ServiceClient, TokenProvider
from shared.clients.base import DEFAULT_RETRY

NOTIFY = "notify"
REQUEST_CIRCULAR = "request_circular"


class CircularSender(Protocol):
    async def __call__(self, body: CircularRequest, idempotency_key: str) -> dict[str, Any]: ...


class HttpCircularSender(ServiceClient):
    peer = "通报推送"

    def __init__(
        self,
        base_url: str,
        *,
        token_provider: TokenProvider,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> None:
        super().__init__(base_url, token_provider=token_provider, transport=transport, retry=retry)

    async def __call__(self, body: CircularRequest, idempotency_key: str) -> dict[str, Any]:
        response = await self.request(
            "POST", "/api/v1/circulars", json=body.model_dump(mode="json"), idempotency_key=idempotency_key
        )
        answer = orjson.loads(response.content) if response.content else {}
        return answer if isinstance(answer, dict) else {"answer": answer}
