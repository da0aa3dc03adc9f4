"""The database going away and coming back: 503 problem+json with Retry-After meanwhile, then recovery
without a restart, for every service (a representative read and write of each). The app reaches
PostgreSQL through a TCP proxy the test cuts and restores."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from services.notify.main import create_app as create_notify_app
from services.registry.main import create_app as create_registry_app
from services.scheduler.main import create_app as create_scheduler_app
from tests.conftest import ADMIN, notify_settings, registry_settings, scheduler_settings
from tests.harness import AppFactory, asgi_client, started
from tests.scheduler.helpers import plan


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


@dataclass(frozen=True)
class Service:
    name: str
    create_app: AppFactory
    settings: Callable[..., Any]
    reads: list[str]  # GET paths that read the database
    write: tuple[str, dict[str, Any]]  # a creating POST: path and body
    written: tuple[str, dict[str, str], str, str]  # where to look for it after: list path, query, field, value


SERVICES = [
    Service(
        "registry",
        create_registry_app,
        registry_settings,
        # the roster is a stream: refused before its first line
        ["/api/v1/regions/430100", "/api/v1/enterprises", "/api/v1/roster"],
        ("/api/v1/parks", {"name": "断线园区", "grade": "provincial", "region_code": "430100"}),
        ("/api/v1/parks", {"q": "断线园区"}, "name", "断线园区"),
    ),
    Service(
        "scheduler",
        create_scheduler_app,
        scheduler_settings,
        ["/api/v1/plans", "/api/v1/tasks?overdue=true"],
        ("/api/v1/plans", plan(name="断线计划")),
        ("/api/v1/plans", {"limit": "200"}, "name", "断线计划"),
    ),
    Service(
        "notify",
        create_notify_app,
        notify_settings,
        ["/api/v1/circulars", "/api/v1/subscribers"],
        (
            "/api/v1/circulars",
            {"kind": "notice", "title": "断线通知", "issuer": "wqb_office", "audience": {"regions": ["430100"]}},
        ),
        ("/api/v1/circulars", {"limit": "200"}, "title", "断线通知"),
    ),
]


@pytest.mark.parametrize("service", SERVICES, ids=[s.name for s in SERVICES])
async def test_database_outage_is_503_with_retry_after_and_recovers_without_restart(
    database_url: str, proxy: Proxy, service: Service
) -> None:
    through_proxy = make_url(database_url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    settings = service.settings(through_proxy, db_pool_timeout_s=2.0)
    first = service.reads[0]
    async with started(service.create_app, settings, None) as app, asgi_client(app, service.name) as http:
        assert (await http.get(first, headers=ADMIN)).status_code == 200

        await proxy.cut()
        path, body = service.write
        for request in (
            *(http.get(read, headers=ADMIN) for read in service.reads),
            http.post(path, json=body, headers=ADMIN),
        ):
            response = await request
            assert (response.status_code, response.headers["content-type"]) == (503, "application/problem+json")
            assert (response.json()["code"], response.headers["retry-after"]) == ("database_unavailable", "5")

        await proxy.open()
        statuses = [(await http.get(first, headers=ADMIN)).status_code for _ in range(3)]
        assert statuses[-1] == 200
        assert set(statuses) <= {200, 503}  # a pooled connection broken by the cut fails once, then is replaced
        where, query, field, value = service.written
        listed = await http.get(where, params=query, headers=ADMIN)
        assert listed.status_code == 200, listed.text
        assert [item for item in listed.json()["items"] if item[field] == value] == []
