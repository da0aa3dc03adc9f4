"""Queue an event for the subscribers it reaches: one delivery each, in the caller's transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.deliveries.repository import Addressing, DeliveryRepository
from services.notify.signing import encode_payload, new_webhook_id
from shared.schemas.notify.enums import EventType


class Fanout:
    def __init__(self, session: AsyncSession) -> None:
        self.repo = DeliveryRepository(session)

    async def subscribers(self, event_type: EventType, to: Addressing) -> list[uuid.UUID]:
        return [row["id"] for row in await self.repo.matching_subscribers(event_type, to)]

    async def enqueue(
        self,
        event_type: EventType,
        now: dt.datetime,
        data: dict[str, Any],
        subscriber_ids: Sequence[uuid.UUID],
        *,
        circular_id: uuid.UUID | None = None,
    ) -> list[uuid.UUID]:
        """One pending delivery per subscriber, due now; the payload's bytes are fixed here, once.
        Returns the deliveries' ids."""
        payload = encode_payload(event_type, now, data)
        return await self.repo.insert_many(
            [
                {
                    "subscriber_id": subscriber_id,
                    "circular_id": circular_id,
                    "event_type": event_type.value,
                    "webhook_id": new_webhook_id(),
                    "payload": payload,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for subscriber_id in subscriber_ids
            ]
        )
