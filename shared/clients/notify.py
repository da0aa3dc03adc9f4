"""`NotifyClient`: notify's API (通报推送) as typed methods, for the other services.

Errors and retries are those of `ServiceClient` (see shared.clients.base). Reads are retried;
`request_circular` takes a required `Idempotency-Key`, which makes it safe to retry: a repeat with
the same key and body answers with the first circular. A second request from the same `source`
under another key is Conflict `circular_source_duplicate`, whose `extra["existing_id"]` names the
circular that source already has.
"""

from __future__ import annotations

import uuid

from shared.clients.base import ServiceClient, Timeout
from shared.clients.params import segment
from shared.schemas.common import Page
from shared.schemas.notify.actions.circulars import CircularCreate
from shared.schemas.notify.responses.circulars import CircularRead, ReceiptSummary, UnsignedReceiptRead

API = "/api/v1"


class NotifyClient(ServiceClient):
    peer = "通报推送"

    async def request_circular(
        self, body: CircularCreate, idempotency_key: str, *, request_timeout: Timeout | None = None
    ) -> CircularRead:
        """Create a circular, a draft or (with `body.publish`) published at once with its 文号.
        Forbidden `issuer_not_own` / `role_cannot_issue`, Invalid for the body, Conflict
        `circular_source_duplicate` for a source that already has a circular."""
        return await self.call(
            CircularRead,
            "POST",
            f"{API}/circulars",
            json=body.model_dump(mode="json"),
            idempotency_key=idempotency_key,
            request_timeout=request_timeout,
        )

    async def get_circular(self, id: uuid.UUID, *, request_timeout: Timeout | None = None) -> CircularRead:
        """NotFound `circular_not_found` for an unknown id or one outside the caller's scope."""
        return await self.call(CircularRead, "GET", f"{API}/circulars/{segment(id)}", request_timeout=request_timeout)

    async def find_circular(
        self, source_type: str, source_id: str, *, request_timeout: Timeout | None = None
    ) -> CircularRead | None:
        """The circular made from a source, if there is one (and the caller may see it)."""
        page = await self.call(
            Page[CircularRead],
            "GET",
            f"{API}/circulars",
            params={"source_type": source_type, "source_id": source_id, "limit": 1},
            request_timeout=request_timeout,
        )
        return page.items[0] if page.items else None

    async def list_receipts(self, circular_id: uuid.UUID, *, request_timeout: Timeout | None = None) -> ReceiptSummary:
        """Every addressed unit's receipt of the circular, the counts, and the units not signed."""
        return await self.call(
            ReceiptSummary,
            "GET",
            f"{API}/circulars/{segment(circular_id)}/receipts",
            request_timeout=request_timeout,
        )

    async def list_unsigned_receipts(
        self,
        *,
        unsigned_for_days: int = 0,
        limit: int = 200,
        cursor: str | None = None,
        request_timeout: Timeout | None = None,
    ) -> Page[UnsignedReceiptRead]:
        """One page of the receipts still pending of circulars published at least `unsigned_for_days`
        whole days ago, oldest first, in the units the caller may sign for (every unit, for a service)."""
        return await self.call(
            Page[UnsignedReceiptRead],
            "GET",
            f"{API}/receipts",
            params={"unsigned_for_days": unsigned_for_days, "limit": limit, "cursor": cursor},
            request_timeout=request_timeout,
        )
