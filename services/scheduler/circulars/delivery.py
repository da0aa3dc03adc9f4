"""The outbox relay's handler for circular requests: one call to `NotifyClient.request_circular`.

Every attempt sends the message's own idempotency key, so while notify remembers the key a repeat
answers with the first circular. Past that (notify keeps keys 48 hours; a message may wait longer
while notify is down, or a crash may lose the record of a success) the same request is refused as
`circular_source_duplicate`, naming the circular its source already has: that circular is the
answer, and the message is delivered. A circular is issued once per source either way.

Failures are `shared.errors` types (the client's contract), and so is a payload notify's request
model refuses (`circular_request_invalid`, before any call): the relay records them on the message
and tries again after its backoff.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy import RowMapping

from shared.clients import NotifyClient
from shared.errors import Conflict, Invalid
from shared.schemas.notify.actions.circulars import CircularCreate
from shared.schemas.notify.responses.circulars import CircularRead

SOURCE_DUPLICATE = "circular_source_duplicate"


async def request_circular(notify: NotifyClient, message: RowMapping) -> dict[str, Any]:
    """Deliver one outbox message; notify's circular, as JSON, is kept on the message."""
    try:
        body = CircularCreate.model_validate(message["payload"])
    except ValidationError as exc:
        fields = ", ".join(".".join(str(part) for part in error["loc"]) for error in exc.errors())
        raise Invalid(f"待发送的通报不符合通报推送服务的请求格式：{fields}", code="circular_request_invalid") from exc
    circular: CircularRead
    try:
        circular = await notify.request_circular(body, message["idempotency_key"])
    except Conflict as exc:
        existing = exc.extra.get("existing_id")
        if exc.code != SOURCE_DUPLICATE or not isinstance(existing, str):
            raise
        circular = await notify.get_circular(uuid.UUID(existing))
    return circular.model_dump(mode="json")
