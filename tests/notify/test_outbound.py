"""The outbound policy: URL rules, the address policy, and the resolver that enforces it."""

from __future__ import annotations

import socket
from ipaddress import IPv4Address, IPv6Address

import pytest

from services.notify.outbound import (
    AddressRefused,
    OutboundPolicy,
    Refusal,
    SafeResolver,
    WebhookUrlInvalid,
    address_refusal,
    check_resolution,
    validate_webhook_url,
)
from tests.notify.dns import FakeResolver

OPEN = OutboundPolicy()
LOCAL = OutboundPolicy.with_allowlist(["127.0.0.1", "localhost", "Receiver.GOV.local"])


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", Refusal.loopback),
        ("127.255.0.9", Refusal.loopback),
        ("10.0.0.1", Refusal.private),
        ("10.255.255.255", Refusal.private),
        ("172.16.0.1", Refusal.private),
        ("172.31.255.254", Refusal.private),
        ("192.168.0.1", Refusal.private),
        ("169.254.169.254", Refusal.metadata),
        ("100.100.100.200", Refusal.metadata),
        ("169.254.1.1", Refusal.link_local),
        ("100.64.0.1", Refusal.shared),
        ("100.127.255.254", Refusal.shared),
        ("0.0.0.0", Refusal.unspecified),
        ("0.1.2.3", Refusal.unspecified),
        ("224.0.0.1", Refusal.multicast),
        ("255.255.255.255", Refusal.reserved),
        ("240.0.0.1", Refusal.reserved),
        ("192.0.2.10", Refusal.documentation),
        ("198.18.0.1", Refusal.benchmarking),
        ("::1", Refusal.loopback),
        ("::", Refusal.unspecified),
        ("fd00::1", Refusal.unique_local),
        ("fc00::1", Refusal.unique_local),
        ("fd00:ec2::254", Refusal.metadata),
        ("fe80::1", Refusal.link_local),
        ("fe80::1%eth0", Refusal.link_local),
        ("fec0::1", Refusal.site_local),
        ("ff02::1", Refusal.multicast),
        ("::ffff:127.0.0.1", Refusal.loopback),
        ("::ffff:10.1.2.3", Refusal.private),
        ("::ffff:169.254.169.254", Refusal.metadata),
        ("::127.0.0.1", Refusal.ipv4_compatible),
        ("::8.8.8.8", Refusal.ipv4_compatible),
        ("64:ff9b::7f00:1", Refusal.loopback),
        ("64:ff9b::a9fe:a9fe", Refusal.metadata),
        ("64:ff9b:1::808:808", Refusal.reserved),
        ("2002:7f00:1::1", Refusal.loopback),
        ("2002:c0a8:101::1", Refusal.private),
        ("2001:db8::1", Refusal.documentation),
        ("2001::1", Refusal.reserved),  # Teredo
        ("100::1", Refusal.reserved),
        ("4000::1", Refusal.reserved),  # outside 2000::/3
        ("not an address", Refusal.reserved),
    ],
)
def test_refused_addresses(address: str, why: Refusal) -> None:
    assert address_refusal(address) is why


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "1.1.1.1", "114.114.114.114", "223.5.5.5", "2400:3200::1", "::ffff:8.8.8.8", "64:ff9b::808:808",
     "2002:808:808::1", "172.32.0.1", "100.128.0.1", "11.0.0.1"],
)  # fmt: skip
def test_public_addresses_pass(address: str) -> None:
    assert address_refusal(address) is None


def test_address_objects_are_judged_like_strings() -> None:
    assert address_refusal(IPv4Address("10.0.0.1")) is Refusal.private
    assert address_refusal(IPv6Address("2400:3200::1")) is None


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("https://hooks.example.cn/notify", "https://hooks.example.cn/notify"),
        ("HTTPS://Hooks.Example.CN:443/a?b=1", "https://hooks.example.cn/a?b=1"),
        ("https://hooks.example.cn", "https://hooks.example.cn/"),
        ("https://hooks.example.cn:8443/x", "https://hooks.example.cn:8443/x"),
        ("https://hooks.example.cn./x", "https://hooks.example.cn/x"),
        ("https://湖南.政务.cn/hook", "https://xn--6kr114d.xn--zfr164b.cn/hook"),
        ("https://湖南。政务.ＣＮ/hook", "https://xn--6kr114d.xn--zfr164b.cn/hook"),
        ("https://8.8.8.8/hook", "https://8.8.8.8/hook"),
        ("https://[2400:3200::1]:8443/hook", "https://[2400:3200::1]:8443/hook"),
    ],
)
def test_valid_urls_are_normalised(url: str, normalised: str) -> None:
    assert validate_webhook_url(url, OPEN).url == normalised


def test_target_carries_host_port_and_literal_address() -> None:
    target = validate_webhook_url("https://[2400:3200::1]/h", OPEN)
    assert (target.scheme, target.host, target.port, target.allowlisted) == ("https", "2400:3200::1", 443, False)
    assert target.address == IPv6Address("2400:3200::1")
    assert validate_webhook_url("https://hooks.example.cn/h", OPEN).address is None


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://hooks.example.cn/x", "scheme_not_allowed"),
        ("ftp://hooks.example.cn/x", "scheme_not_allowed"),
        ("hooks.example.cn/x", "scheme_not_allowed"),
        ("https://user:pw@hooks.example.cn/x", "userinfo_not_allowed"),
        ("https://user@hooks.example.cn/x", "userinfo_not_allowed"),
        ("https://hooks.example.cn/x#frag", "fragment_not_allowed"),
        ("https://hooks.example.cn:22/x", "port_not_allowed"),
        ("https://hooks.example.cn:80/x", "port_not_allowed"),
        ("https://hooks.example.cn:0/x", "port_not_allowed"),
        ("https://hooks.example.cn:99999/x", "url_invalid"),
        ("https:///x", "host_missing"),
        ("https://hooks example.cn/x", "url_invalid"),
        ("https://hooks.example.cn\\@evil.cn/", "url_invalid"),
        ("https://hooks.example.cn/\n", "url_invalid"),
        ("https://localhost/x", "host_not_public"),
        ("https://api.localhost/x", "host_not_public"),
        ("https://printer.local/x", "host_not_public"),
        ("https://db.internal/x", "host_not_public"),
        ("https://intranet/x", "host_not_public"),
        ("https://under_score.example.cn/x", "host_invalid"),
        ("https://-bad.example.cn/x", "host_invalid"),
        ("https://2130706433/x", "host_invalid"),
        ("https://127.1/x", "host_invalid"),
        ("https://0x7f.0.0.1/x", "host_invalid"),
        ("https://010.0.0.1/x", "host_invalid"),
        ("https://[fe80::1%25eth0]/x", "host_invalid"),
        ("https://hooks.example.cn/" + "a" * 2048, "url_too_long"),
    ],
)
def test_invalid_urls_are_refused_with_a_stable_code(url: str, code: str) -> None:
    with pytest.raises(WebhookUrlInvalid) as caught:
        validate_webhook_url(url, OPEN)
    assert caught.value.code == code


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/x",
        "https://10.0.0.1/x",
        "https://172.16.5.4/x",
        "https://192.168.1.1/x",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/x",
        "https://[fd00::1]/x",
        "https://[::ffff:127.0.0.1]/x",
        "https://[fd00:ec2::254]/x",
        "https://0.0.0.0/x",
    ],
)
def test_literal_non_public_addresses_are_refused(url: str) -> None:
    with pytest.raises(AddressRefused) as caught:
        validate_webhook_url(url, OPEN)
    assert caught.value.code == "address_refused"


def test_allowlisted_hosts_may_use_http_any_port_and_any_address() -> None:
    target = validate_webhook_url("http://127.0.0.1:8081/hook", LOCAL)
    assert (target.url, target.allowlisted) == ("http://127.0.0.1:8081/hook", True)
    assert validate_webhook_url("http://localhost:9000/", LOCAL).allowlisted
    assert validate_webhook_url("https://receiver.gov.local/x", LOCAL).allowlisted


def test_allowlisting_one_host_does_not_open_another() -> None:
    with pytest.raises(WebhookUrlInvalid):
        validate_webhook_url("http://127.0.0.2:8081/hook", LOCAL)
    with pytest.raises(AddressRefused):
        validate_webhook_url("https://127.0.0.2/hook", LOCAL)


async def test_resolver_keeps_only_public_addresses() -> None:
    inner = FakeResolver({"hooks.example.cn": [["127.0.0.1", "8.8.8.8", "10.0.0.1", "2400:3200::1"]]})
    kept = await SafeResolver(OPEN, inner).resolve("hooks.example.cn", 443, socket.AF_UNSPEC)
    assert [r["host"] for r in kept] == ["8.8.8.8", "2400:3200::1"]


@pytest.mark.parametrize(
    "addresses",
    [["127.0.0.1"], ["::1"], ["10.0.0.1", "192.168.0.1"], ["169.254.169.254"], ["::ffff:127.0.0.1"], ["fd00::1"], []],
)
async def test_resolver_refuses_a_name_with_no_public_address(addresses: list[str]) -> None:
    inner = FakeResolver({"hooks.example.cn": [addresses]})
    with pytest.raises(AddressRefused, match=r"hooks\.example\.cn resolves only to addresses that are not public"):
        await SafeResolver(OPEN, inner).resolve("hooks.example.cn", 443)


async def test_localhost_not_allowlisted_is_refused_at_resolution() -> None:
    inner = FakeResolver({"localhost": [["127.0.0.1", "::1"]]})
    with pytest.raises(AddressRefused) as caught:
        await SafeResolver(OPEN, inner).resolve("localhost", 80)
    # The message names why, never the internal addresses themselves.
    assert "127.0.0.1" not in caught.value.message
    assert "loopback" in caught.value.message


async def test_rebinding_to_loopback_after_a_public_answer_is_refused() -> None:
    inner = FakeResolver({"rebind.example.cn": [["93.184.216.34"], ["127.0.0.1"]]})
    resolver = SafeResolver(OPEN, inner)
    assert [r["host"] for r in await resolver.resolve("rebind.example.cn", 443)] == ["93.184.216.34"]
    with pytest.raises(AddressRefused):
        await resolver.resolve("rebind.example.cn", 443)
    assert inner.lookups == ["rebind.example.cn", "rebind.example.cn"]


async def test_resolver_passes_allowlisted_names_unfiltered() -> None:
    inner = FakeResolver({"localhost": [["127.0.0.1", "::1"]], "localhost.": [["127.0.0.1"]]})
    resolver = SafeResolver(LOCAL, inner)
    assert [r["host"] for r in await resolver.resolve("localhost", 80)] == ["127.0.0.1", "::1"]
    assert [r["host"] for r in await resolver.resolve("localhost.", 80)] == ["127.0.0.1"]


async def test_resolver_close_closes_the_inner_resolver() -> None:
    inner = FakeResolver({})
    await SafeResolver(OPEN, inner).close()
    assert inner.closed


async def test_registration_refuses_a_name_that_resolves_only_to_refused_addresses() -> None:
    dns = FakeResolver({"hooks.example.cn": [["127.0.0.1", "10.0.0.1"]]})
    with pytest.raises(AddressRefused, match="loopback, private"):
        await check_resolution(validate_webhook_url("https://hooks.example.cn/hook", OPEN), OPEN, dns)


async def test_registration_accepts_a_name_with_a_public_address_or_none_yet() -> None:
    dns = FakeResolver({"hooks.example.cn": [["10.0.0.1", "8.8.8.8"]]})
    await check_resolution(validate_webhook_url("https://hooks.example.cn/hook", OPEN), OPEN, dns)
    await check_resolution(validate_webhook_url("https://not-yet.example.cn/hook", OPEN), OPEN, dns)
    assert dns.lookups == ["hooks.example.cn", "not-yet.example.cn"]


async def test_registration_does_not_look_up_allowlisted_hosts_or_literal_addresses() -> None:
    dns = FakeResolver({})
    await check_resolution(validate_webhook_url("http://localhost:9000/hook", LOCAL), LOCAL, dns)
    await check_resolution(validate_webhook_url("https://8.8.8.8/hook", OPEN), OPEN, dns)
    assert dns.lookups == []
