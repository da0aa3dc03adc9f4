"""Real HTTP receivers on free 127.0.0.1 ports: each records what it was sent and answers as scripted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import orjson
from aiohttp import web
from aiohttp.test_utils import TestServer
from standardwebhooks.webhooks import Webhook

# What a receiver answers to its n-th request (1-based): a status, or a status with headers.
Script = Callable[[int], tuple[int, dict[str, str]]]


def always(status: int, headers: dict[str, str] | None = None) -> Script:
    return lambda _: (status, headers or {})


def failing(times: int, status: int = 500) -> Script:
    """Fails the first `times` requests, then answers 200."""
    return lambda n: (status if n <= times else 200, {})


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    target: str = "/hook"  # path and query string, so several subscribers can share one receiver

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def signatures(self) -> list[str]:
        return self.headers["webhook-signature"].split(" ")

    def json(self) -> dict[str, object]:
        loaded: dict[str, object] = orjson.loads(self.body)
        return loaded

    def verifies_with(self, secret: str) -> bool:
        """Whether the independent `standardwebhooks` verifier accepts the request with `secret`."""
        try:
            Webhook(secret).verify(self.body, self.headers)
        except Exception:
            return False
        return True


@dataclass
class Receiver:
    server: TestServer
    script: Script
    received: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}/hook"


@asynccontextmanager
async def receiver(script: Script = always(200), *, delay_s: float = 0.0) -> AsyncIterator[Receiver]:
    """A receiver on a free port; `delay_s` makes it a slow one, answering each request that late."""
    box: list[Receiver] = []

    async def handle(request: web.Request) -> web.Response:
        me = box[0]
        me.received.append(Received(dict(request.headers), await request.read(), request.path_qs))
        if delay_s:
            await asyncio.sleep(delay_s)
        status, headers = me.script(len(me.received))
        return web.Response(status=status, headers=headers, text="已收到" if status < 300 else "出错了")

    app = web.Application()
    app.router.add_post("/hook", handle)
    server = TestServer(app, host="127.0.0.1", port=None)
    await server.start_server()
    box.append(Receiver(server, script))
    try:
        yield box[0]
    finally:
        await server.close()
