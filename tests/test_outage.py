"""The database going away and coming back: 503 problem+json with Retry-After meanwhile, then recovery
without a restart. The app reaches PostgreSQL through a TCP proxy the test cuts and restores."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from services.registry.main import create_app
from tests.conftest import ADMIN, registry_settings
from tests.harness import asgi_client, started


class Proxy:
    """Forwards 127.0.0.1:<port> to the database server; `cut` closes it and every open connection."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.server: asyncio.Server | None = None
        self.links: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", self.port, reuse_address=True)
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.links):
            writer.close()
        await self.server.wait_closed()
        self.links.clear()

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self.links |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@pytest.fixture
async def proxy(database_url: str) -> Any:
    url = make_url(database_url)
    relay = Proxy(url.host or "127.0.0.1", url.port or 5432)
    await relay.open()
    yield relay
    if relay.server is not None and relay.server.is_serving():
        await relay.cut()


async def test_database_outage_is_503_with_retry_after_and_recovers_without_restart(
    database_url: str, proxy: Proxy
) -> None:
    through_proxy = make_url(database_url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    settings = registry_settings(through_proxy, db_pool_timeout_s=2.0)
    async with started(create_app, settings, None) as app, asgi_client(app, "registry") as http:
        assert (await http.get("/api/v1/regions/430100", headers=ADMIN)).status_code == 200

        await proxy.cut()
        for request in (
            http.get("/api/v1/regions/430100", headers=ADMIN),
            http.get("/api/v1/enterprises", headers=ADMIN),
            http.get("/api/v1/roster", headers=ADMIN),  # a stream: refused before its first line
            http.post(
                "/api/v1/parks",
                json={"name": "断线园区", "grade": "provincial", "region_code": "430100"},
                headers=ADMIN,
            ),
        ):
            response = await request
            assert (response.status_code, response.headers["content-type"]) == (503, "application/problem+json")
            assert (response.json()["code"], response.headers["retry-after"]) == ("database_unavailable", "5")

        await proxy.open()
        statuses = [(await http.get("/api/v1/regions/430100", headers=ADMIN)).status_code for _ in range(3)]
        assert statuses[-1] == 200
        assert set(statuses) <= {200, 503}  # a pooled connection broken by the cut fails once, then is replaced
        parks = (await http.get("/api/v1/parks", params={"q": "断线园区"}, headers=ADMIN)).json()["items"]
        assert parks == []
