"""The headers that carry the request being served on to the peers it calls (API.md, Operations)."""

from __future__ import annotations

from shared.logging import request_id_var, traceparent_var


def context_headers() -> dict[str, str]:
    """`X-Request-ID` and `traceparent` of the current request, for those that are set."""
    headers: dict[str, str] = {}
    if (request_id := request_id_var.get()) is not None:
        headers["X-Request-ID"] = request_id
    if (traceparent := traceparent_var.get()) is not None:
        headers["traceparent"] = traceparent
    return headers
