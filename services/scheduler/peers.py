"""The scheduler's peers, with a `service` token: the registry, through `shared.clients.RegistryClient`;
notify, through `shared.clients.NotifyClient`.

The token is `SERVICE_TOKEN` when set. Without one, a service with an HS256 `JWT_SECRET` (development,
`make run`) signs a short-lived `service` token of its own and signs again before it expires.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from shared.auth import mint_token
from shared.clients import NotifyClient, RegistryClient, RetryPolicy
from shared.clients.base import DEFAULT_RETRY
from shared.settings import BaseServiceSettings

TOKEN_TTL_S = 3600


class ServiceToken:
    def __init__(self, settings: BaseServiceSettings, service: str) -> None:
        self._static = (settings.service_token.get_secret_value() if settings.service_token else "") or None
        self._secret = settings.jwt_secret.get_secret_value() if settings.jwt_secret else None
        self._issuer, self._audience = settings.jwt_issuer, settings.jwt_audience
        self._service = service
        self._minted: tuple[str, float] | None = None

    async def __call__(self) -> str:
        if self._static is not None:
            return self._static
        if self._secret is None:
            raise RuntimeError("SERVICE_TOKEN (or an HS256 JWT_SECRET) is needed to call the registry and notify")
        now = time.time()
        if self._minted is None or self._minted[1] - now < TOKEN_TTL_S / 4:
            token = mint_token(
                secret=self._secret,
                sub=self._service,
                role="service",
                region="430000",
                name="调度服务",
                issuer=self._issuer,
                audience=self._audience,
                ttl_s=TOKEN_TTL_S,
                now=now,
            )
            self._minted = (token, now + TOKEN_TTL_S)
        return self._minted[0]


@dataclass(eq=False)
class Peers:
    """The peer clients, opened with the app's lifespan. `transport` and `retry` are for tests."""

    registry_url: str
    transport: httpx.AsyncBaseTransport | None = None
    retry: RetryPolicy = DEFAULT_RETRY
    notify_url: str = "http://127.0.0.1:8003"
    notify_transport: httpx.AsyncBaseTransport | None = None
    _registry: RegistryClient | None = field(default=None, init=False)
    _notify: NotifyClient | None = field(default=None, init=False)

    @property
    def registry(self) -> RegistryClient:
        if self._registry is None:
            raise RuntimeError("the scheduler's lifespan has not started: no registry client")
        return self._registry

    @property
    def notify(self) -> NotifyClient:
        if self._notify is None:
            raise RuntimeError("the scheduler's lifespan has not started: no notify client")
        return self._notify

    @asynccontextmanager
    async def lifespan(self, platform: Any) -> AsyncIterator[None]:
        provider = ServiceToken(platform.settings, platform.service)
        self._registry = RegistryClient(
            self.registry_url, token_provider=provider, transport=self.transport, retry=self.retry
        )
        self._notify = NotifyClient(
            self.notify_url, token_provider=provider, transport=self.notify_transport, retry=self.retry
        )
        try:
            yield
        finally:
            await self._registry.aclose()
            await self._notify.aclose()
            self._registry = None
            self._notify = None
