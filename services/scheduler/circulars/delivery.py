"""The outbox relay's handler for circular requests: one call to `NotifyClient.request_circular`.

Every attempt sends the message's own idempotency key, so while notify remembers the key a repeat
answers with the first circular. Past that (notify keeps keys 48 hours; a message may wait longer
while notify is down, or a crash may lose the record of a success) the same request is refused as
`circular_source_duplicate`, naming the circular its source already has: that circular is the
answer, and the message is delivered. A circular is issued once per source either way.

Failures are `shared.errors` types (the client's contract); the relay records them and tries again
after its backoff.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import RowMapping

from shared.clients import NotifyClient
from shared.errors import Conflict
from shared.schemas.notify.actions.circulars import CircularCreate
from shared.schemas.notify.responses.circulars import CircularRead

SOURCE_DUPLICATE = "circular_source_duplicate"


async def request_circular(notify: NotifyClient, message: RowMapping) -> dict[str, Any]:
    """Deliver one outbox message; notify's circular, as JSON, is kept on the message."""
    body = CircularCreate.model_validate(message["payload"])
    circular: CircularRead
    try:
        circular = await notify.request_circular(body, message["idempotency_key"])
    except Conflict as exc:
        existing = exc.extra.get("existing_id")
        if exc.code != SOURCE_DUPLICATE or not isinstance(existing, str):
            raise
        circular = await notify.get_circular(uuid.UUID(existing))
    return circular.model_dump(mode="json")
