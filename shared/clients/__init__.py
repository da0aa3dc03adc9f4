"""Typed async clients for calls between our services.

`ServiceClient` (base.py) holds what every peer call shares: bearer token, per-attempt timeouts,
retries of idempotent calls, X-Request-ID/traceparent propagation, and the mapping of failures to
shared.errors (its docstring draws the flow and the exception tree). One subclass per peer
(`RegistryClient`, `NotifyClient`); `paginate` walks a cursor-paged list.
"""

from shared.clients.base import ServiceClient, TokenProvider
from shared.clients.notify import NotifyClient
from shared.clients.pages import paginate
from shared.clients.registry import RegistryClient
from shared.clients.retry import RetryPolicy

__all__ = ["NotifyClient", "RegistryClient", "RetryPolicy", "ServiceClient", "TokenProvider", "paginate"]
