"""Delivery attempts against real HTTP receivers on 127.0.0.1, started by each test."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.test_utils import TestServer
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.notify.delivery import (
    AttemptError,
    AttemptOutcome,
    AttemptResult,
    WebhookSender,
    decode_excerpt,
    parse_retry_after,
)
from services.notify.outbound import OutboundPolicy
from services.notify.signing import EventType, SigningSecret, encode_payload, generate_secret, new_webhook_id, sign

SECRET = generate_secret()
LOCAL = OutboundPolicy.with_allowlist(["127.0.0.1"])
FIXED = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@dataclass
class Receiver:
    """A receiver system: verifies every request with standardwebhooks, then answers per path."""

    server: TestServer
    seen: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.port}{path}"

    def paths(self) -> list[str]:
        return [path for path, _, _ in self.seen]


def receiver_app(receiver_box: list[Receiver]) -> web.Application:
    calls: dict[str, int] = {}

    async def handle(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        receiver = receiver_box[0]
        try:
            Webhook(SECRET).verify(body, dict(request.headers))
        except WebhookVerificationError:
            receiver.seen.append((request.path, "unverified", dict(request.headers)))
            return web.Response(status=401, text="bad signature")
        receiver.seen.append((request.path, request.headers["webhook-id"], dict(request.headers)))
        calls[request.path] = calls.get(request.path, 0) + 1
        match request.path:
            case "/ok":
                response = web.Response(text="已签收")
                response.set_cookie("session", "abc")
                return response
            case "/flaky":
                return web.Response(status=500 if calls["/flaky"] == 1 else 200, text="flaky")
            case "/gone":
                return web.Response(status=410, text="endpoint removed")
            case "/limited":
                return web.Response(status=429, headers={"Retry-After": "120"})
            case "/limited-date":
                when = format_datetime(FIXED + timedelta(seconds=90), usegmt=True)
                return web.Response(status=503, headers={"Retry-After": when})
            case "/not-found-with-retry-after":
                return web.Response(status=404, headers={"Retry-After": "30"})
            case "/redirect":
                raise web.HTTPTemporaryRedirect(location="/ok")
            case "/hang":
                await asyncio.sleep(30)
                return web.Response(text="too late")
            case "/big":
                return web.Response(text="汉" * 2000)
            case "/gbk":
                return web.Response(body="签收成功".encode("gbk"), content_type="text/plain", charset="gbk")
            case "/control":
                return web.Response(body=b"ok\x00\x01\x1b[31mdone\n")
        return web.Response(status=404)

    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    return app


@pytest.fixture
async def start_receiver() -> AsyncIterator[Callable[[], Awaitable[Receiver]]]:
    servers: list[TestServer] = []

    async def start() -> Receiver:
        box: list[Receiver] = []
        server = TestServer(receiver_app(box), host="127.0.0.1", port=None)
        await server.start_server()
        servers.append(server)
        box.append(Receiver(server))
        return box[0]

    yield start
    for server in servers:
        await server.close()


@pytest.fixture
async def receiver(start_receiver: Callable[[], Awaitable[Receiver]]) -> Receiver:
    return await start_receiver()


@pytest.fixture
async def sender() -> AsyncIterator[WebhookSender]:
    async with WebhookSender(LOCAL, clock=lambda: FIXED) as opened:
        yield opened


def signed(webhook_id: str | None = None) -> tuple[dict[str, str], bytes]:
    body = encode_payload(EventType.circular_published, FIXED, {"circular_id": "c-1", "title": "关于调度情况的通报"})
    headers = sign(webhook_id or new_webhook_id(), body, [SigningSecret(SECRET)], datetime.now(UTC))
    return headers, body


async def send(sender: WebhookSender, url: str, webhook_id: str | None = None) -> AttemptResult:
    headers, body = signed(webhook_id)
    return await sender.send(url, headers, body)


async def test_200_is_delivered_and_the_receiver_verified_the_signature(
    sender: WebhookSender, receiver: Receiver
) -> None:
    result = await send(sender, receiver.url("/ok"), "msg_fixed")
    assert result.outcome is AttemptOutcome.delivered
    assert (result.status_code, result.error_code, result.error_message) == (200, None, None)
    assert result.response_excerpt == "已签收"
    assert result.retry_after_s is None
    assert result.latency_ms >= 0
    assert [(p, i) for p, i, _ in receiver.seen] == [("/ok", "msg_fixed")]
    assert receiver.seen[0][2]["User-Agent"] == "wanqianbai-notify/1.0"


async def test_a_body_changed_after_signing_is_refused_by_the_receiver(
    sender: WebhookSender, receiver: Receiver
) -> None:
    headers, body = signed()
    result = await sender.send(receiver.url("/ok"), headers, body.replace(b"c-1", b"c-2"))
    assert (result.status_code, result.error_code, result.outcome) == (401, AttemptError.http_error, "retry")
    assert receiver.seen[0][1] == "unverified"


async def test_500_then_200_with_the_same_webhook_id(sender: WebhookSender, receiver: Receiver) -> None:
    first = await send(sender, receiver.url("/flaky"), "msg_retry")
    second = await send(sender, receiver.url("/flaky"), "msg_retry")
    assert (first.status_code, first.error_code, first.outcome) == (500, AttemptError.http_error, "retry")
    assert first.error_message == "HTTP 500 Internal Server Error"
    assert (second.status_code, second.outcome) == (200, AttemptOutcome.delivered)
    assert [i for _, i, _ in receiver.seen] == ["msg_retry", "msg_retry"]


async def test_410_means_gone(sender: WebhookSender, receiver: Receiver) -> None:
    result = await send(sender, receiver.url("/gone"))
    assert (result.status_code, result.error_code, result.outcome) == (410, AttemptError.gone, AttemptOutcome.gone)
    assert result.gone
    assert result.response_excerpt == "endpoint removed"


async def test_429_carries_retry_after_seconds(sender: WebhookSender, receiver: Receiver) -> None:
    result = await send(sender, receiver.url("/limited"))
    assert (result.status_code, result.error_code, result.retry_after_s) == (429, AttemptError.http_error, 120)


async def test_503_carries_retry_after_as_http_date(sender: WebhookSender, receiver: Receiver) -> None:
    result = await send(sender, receiver.url("/limited-date"))
    assert (result.status_code, result.retry_after_s) == (503, 90)


async def test_retry_after_is_ignored_on_other_4xx(sender: WebhookSender, receiver: Receiver) -> None:
    result = await send(sender, receiver.url("/not-found-with-retry-after"))
    assert (result.status_code, result.retry_after_s) == (404, None)


async def test_redirect_is_not_followed(sender: WebhookSender, receiver: Receiver) -> None:
    result = await send(sender, receiver.url("/redirect"))
    assert (result.status_code, result.error_code, result.outcome) == (307, AttemptError.redirect_not_followed, "retry")
    assert result.error_message == "HTTP 307 redirect to /ok not followed"
    assert receiver.paths() == ["/redirect"]


async def test_hanging_receiver_is_cut_off_and_a_healthy_one_is_not_held_up(
    start_receiver: Callable[[], Awaitable[Receiver]],
) -> None:
    slow, healthy = await start_receiver(), await start_receiver()
    async with WebhookSender(LOCAL, timeout_s=0.5) as short:
        started = time.perf_counter()
        finished: dict[str, float] = {}

        async def timed(name: str, url: str) -> AttemptResult:
            result = await send(short, url)
            finished[name] = time.perf_counter() - started
            return result

        hung, fine = await asyncio.gather(timed("hung", slow.url("/hang")), timed("fine", healthy.url("/ok")))

    assert (hung.status_code, hung.error_code) == (None, AttemptError.timeout)
    assert hung.error_message == "no complete answer within 0.5 s"
    assert 450 <= hung.latency_ms < 2000
    assert fine.outcome is AttemptOutcome.delivered
    assert finished["fine"] < 0.4 < finished["hung"]


async def test_excerpt_stops_at_1_kb_without_a_broken_character(sender: WebhookSender, receiver: Receiver) -> None:
    result = await send(sender, receiver.url("/big"))
    assert result.response_excerpt == "汉" * 341  # 1023 bytes; the character across byte 1024 is dropped


async def test_excerpt_is_decoded_with_the_declared_charset(sender: WebhookSender, receiver: Receiver) -> None:
    result = await send(sender, receiver.url("/gbk"))
    assert result.response_excerpt == "签收成功"


async def test_excerpt_drops_control_characters(sender: WebhookSender, receiver: Receiver) -> None:
    result = await send(sender, receiver.url("/control"))
    assert result.response_excerpt == "ok[31mdone\n"


async def test_cookies_from_one_response_are_not_sent_back(sender: WebhookSender, receiver: Receiver) -> None:
    await send(sender, receiver.url("/ok"))
    await send(sender, receiver.url("/ok"))
    assert "Cookie" not in receiver.seen[1][2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_closed_port_is_connect_refused(sender: WebhookSender) -> None:
    result = await send(sender, f"http://127.0.0.1:{free_port()}/ok")
    assert (result.status_code, result.error_code, result.outcome) == (None, AttemptError.connect_refused, "retry")


async def test_tls_to_a_plain_http_receiver_is_a_tls_error(sender: WebhookSender, receiver: Receiver) -> None:
    result = await send(sender, f"https://127.0.0.1:{receiver.server.port}/ok")
    assert (result.status_code, result.error_code) == (None, AttemptError.tls_error)


async def test_literal_private_address_is_refused_before_any_connection(sender: WebhookSender) -> None:
    result = await send(sender, "https://10.0.0.1/hook")
    assert (result.status_code, result.error_code, result.latency_ms) == (None, AttemptError.address_refused, 0)
    assert result.error_message == "the URL's address is not public (private)"


async def test_url_failing_the_rules_is_invalid_url(sender: WebhookSender) -> None:
    result = await send(sender, "http://hooks.example.cn/hook")
    assert (result.status_code, result.error_code, result.error_message) == (
        None,
        AttemptError.invalid_url,
        "URL must use https",
    )


class FakeResolver(AbstractResolver):
    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            ResolveResult(hostname=host, host=a, port=port, family=socket.AF_INET, proto=0, flags=0)
            for a in self.answers[host]
        ]

    async def close(self) -> None:
        pass


async def test_name_resolving_to_loopback_is_address_refused() -> None:
    resolver = FakeResolver({"hooks.example.cn": ["127.0.0.1"]})
    async with WebhookSender(LOCAL, resolver=resolver) as guarded:
        result = await send(guarded, "https://hooks.example.cn/hook")
    assert (result.status_code, result.error_code) == (None, AttemptError.address_refused)
    assert result.error_message == "hooks.example.cn resolves only to addresses that are not public (loopback)"


async def test_unknown_name_is_dns_error() -> None:
    async with WebhookSender(LOCAL, resolver=FakeResolver({})) as guarded:
        result = await send(guarded, "https://nowhere.example.cn/hook")
    assert (result.status_code, result.error_code) == (None, AttemptError.dns_error)


async def test_allowlisted_name_connects_to_the_address_its_resolver_gave(receiver: Receiver) -> None:
    policy = OutboundPolicy.with_allowlist(["receiver.gov.example.cn"])
    resolver = FakeResolver({"receiver.gov.example.cn": ["127.0.0.1"]})
    async with WebhookSender(policy, resolver=resolver) as guarded:
        result = await send(guarded, f"http://receiver.gov.example.cn:{receiver.server.port}/ok")
    assert result.outcome is AttemptOutcome.delivered
    assert receiver.paths() == ["/ok"]


async def test_send_on_an_unopened_sender_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="not open"):
        await WebhookSender(LOCAL).send("https://hooks.example.cn/", {}, b"{}")


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120),
        (" 0 ", 0),
        ("Tue, 01 Dec 2026 08:01:30 GMT", 90),
        ("Tue, 01 Dec 2026 07:00:00 GMT", 0),
        ("soon", None),
        ("-5", None),
        ("", None),
    ],
)
def test_parse_retry_after(value: str, seconds: int | None) -> None:
    assert parse_retry_after(value, FIXED) == seconds


def test_decode_excerpt_falls_back_to_utf8_for_an_unknown_charset() -> None:
    assert decode_excerpt("签收".encode(), "no-such-charset") == "签收"
    assert decode_excerpt(b"\xff ok", None) == "\ufffd ok"
