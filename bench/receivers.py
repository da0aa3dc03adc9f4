"""Webhook receivers for the fan-out bench: one process listening on many 127.0.0.1 ports.

    python -m bench.receivers COUNT     # prints {"ports": [...], "control": PORT} on one line, then serves

Each of the COUNT ports is one subscriber's endpoint: a minimal HTTP/1.1 server on asyncio (uvloop
when installed) that reads a request (headers and `Content-Length` body), notes the time its
`webhook-id` first arrived (`time.time()`, so the bench can compare it with its own clock on the
same machine), and answers `200` with keep-alive. No parsing beyond that: the receiver is to cost
as little as possible, so the bench measures the sender. The control port answers `GET /stats`
(`{"requests": n, "first_seen": {webhook_id: t}}`) and `POST /reset`.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


class Log:
    def __init__(self) -> None:
        self.requests = 0
        self.first_seen: dict[str, float] = {}

    def reset(self) -> None:
        self.requests = 0
        self.first_seen = {}


class HookProtocol(asyncio.Protocol):
    """Requests on one connection, back to back; each answered as soon as its body is in."""

    def __init__(self, log: Log) -> None:
        self.log = log
        self.buffer = b""
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:  # uvloop's transports are not asyncio.Transport
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1")
            length = 0
            webhook_id = ""
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "webhook-id":
                    webhook_id = value.strip()
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            self.buffer = self.buffer[total:]
            self.log.requests += 1
            if webhook_id and webhook_id not in self.log.first_seen:
                self.log.first_seen[webhook_id] = time.time()
            self.transport.write(RESPONSE)


async def control(log: Log, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        request = await reader.readuntil(b"\r\n\r\n")
        if request.startswith(b"POST /reset"):
            log.reset()
            body = b"{}"
        else:
            body = json.dumps({"requests": log.requests, "first_seen": log.first_seen}).encode()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n")
        writer.write(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        await writer.drain()
    finally:
        writer.close()


async def serve(count: int) -> None:
    loop = asyncio.get_running_loop()
    log = Log()
    ports = []
    for _ in range(count):
        server = await loop.create_server(lambda: HookProtocol(log), "127.0.0.1", 0, backlog=512)
        ports.append(server.sockets[0].getsockname()[1])
    control_server = await asyncio.start_server(lambda r, w: control(log, r, w), "127.0.0.1", 0)
    print(json.dumps({"ports": ports, "control": control_server.sockets[0].getsockname()[1]}), flush=True)
    await asyncio.Event().wait()


def main() -> None:
    count = int(sys.argv[1])
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(count))
    else:
        uvloop.run(serve(count))


if __name__ == "__main__":
    main()
