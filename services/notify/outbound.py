"""Where a webhook may go: URL rules at registration, and an address policy enforced at connect time.

    OutboundRefused                 code + message, for the delivery log or a 422
    ├── WebhookUrlInvalid           (ValueError) the URL breaks a rule: scheme, userinfo, port, host
    └── AddressRefused              (OSError) a literal address the policy refuses, or a name whose
                                    every resolved address it refuses

Registration (`validate_webhook_url`) wants https on port 443 or 8443, no userinfo, no fragment, a
public DNS name (IDNA, at least two labels, no special-use suffix such as .localhost or .internal)
or a literal IP that `address_refusal` accepts. A host on the allowlist may also use http, any
port, and any address: that is how internal receivers (and the tests' local receivers) are named.

Registration also resolves a name (`check_resolution`) and refuses one that resolves only to refused
addresses, as the connect-time check would; a name that does not resolve at that moment passes,
since what counts is where it leads when a webhook is sent. A name that passed registration can
later resolve elsewhere (DNS rebinding), so the check is made again on the addresses actually used:
`SafeResolver` wraps aiohttp's resolver and drops every refused address from what the connector may
connect to. aiohttp does not resolve literal IPs, so
the sender checks those itself with `validate_webhook_url` before each attempt.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from urllib.parse import urlsplit

import idna
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver, ThreadedResolver

IPAddress = IPv4Address | IPv6Address

MAX_URL_LENGTH = 2048
DEFAULT_PORTS = {"https": 443, "http": 80}
PUBLIC_HTTPS_PORTS = frozenset({443, 8443})
SPECIAL_USE_SUFFIXES = (
    "localhost",
    "local",
    "internal",
    "intranet",
    "lan",
    "home.arpa",
    "arpa",
    "test",
    "invalid",
    "example",
    "onion",
)


class OutboundRefused(Exception):
    """A webhook target the outbound policy refuses; `code` is stable, `message` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class WebhookUrlInvalid(OutboundRefused, ValueError):
    pass


class AddressRefused(OutboundRefused, OSError):
    def __init__(self, message: str) -> None:
        super().__init__("address_refused", message)


class Refusal(StrEnum):
    unspecified = "unspecified"
    loopback = "loopback"
    private = "private"
    shared = "shared"  # carrier-grade NAT, 100.64.0.0/10
    link_local = "link_local"
    metadata = "metadata"  # cloud instance metadata services
    multicast = "multicast"
    documentation = "documentation"
    benchmarking = "benchmarking"
    unique_local = "unique_local"
    site_local = "site_local"
    ipv4_compatible = "ipv4_compatible"
    reserved = "reserved"


_V4_RULES: tuple[tuple[IPv4Network, Refusal], ...] = tuple(
    (IPv4Network(net), why)
    for net, why in (
        ("169.254.169.254/32", Refusal.metadata),
        ("100.100.100.200/32", Refusal.metadata),  # Alibaba Cloud
        ("0.0.0.0/8", Refusal.unspecified),
        ("10.0.0.0/8", Refusal.private),
        ("100.64.0.0/10", Refusal.shared),
        ("127.0.0.0/8", Refusal.loopback),
        ("169.254.0.0/16", Refusal.link_local),
        ("172.16.0.0/12", Refusal.private),
        ("192.0.0.0/24", Refusal.reserved),  # IETF protocol assignments
        ("192.0.2.0/24", Refusal.documentation),
        ("192.88.99.0/24", Refusal.reserved),  # 6to4 relay anycast
        ("192.168.0.0/16", Refusal.private),
        ("198.18.0.0/15", Refusal.benchmarking),
        ("198.51.100.0/24", Refusal.documentation),
        ("203.0.113.0/24", Refusal.documentation),
        ("224.0.0.0/4", Refusal.multicast),
        ("240.0.0.0/4", Refusal.reserved),  # and 255.255.255.255
    )
)

_V6_METADATA = IPv6Address("fd00:ec2::254")
_V6_COMPATIBLE = IPv6Network("::/96")
_V6_NAT64 = IPv6Network("64:ff9b::/96")
_V6_GLOBAL_UNICAST = IPv6Network("2000::/3")
_V6_RULES: tuple[tuple[IPv6Network, Refusal], ...] = tuple(
    (IPv6Network(net), why)
    for net, why in (
        ("fc00::/7", Refusal.unique_local),
        ("fe80::/10", Refusal.link_local),
        ("fec0::/10", Refusal.site_local),
        ("ff00::/8", Refusal.multicast),
        ("64:ff9b:1::/48", Refusal.reserved),  # local-use NAT64: the embedded address could be anything
        ("100::/64", Refusal.reserved),  # discard-only
        ("2001::/23", Refusal.reserved),  # IETF protocol assignments: Teredo, ORCHID, benchmarking
        ("2001:db8::/32", Refusal.documentation),
        ("3fff::/20", Refusal.documentation),
    )
)


def address_refusal(address: IPAddress | str) -> Refusal | None:
    """Why a webhook may not connect to `address`, or None when it may (a public unicast address).

    IPv4-mapped, NAT64 and 6to4 addresses are judged by the IPv4 address they carry;
    IPv4-compatible ones (deprecated) are refused outright. A string that is no address is refused.
    """
    if isinstance(address, str):
        try:
            address = ipaddress.ip_address(address)
        except ValueError:
            return Refusal.reserved
    if isinstance(address, IPv4Address):
        return _v4_refusal(address)
    address = IPv6Address(address.packed)  # without a zone id, which equality would otherwise compare
    if address == _V6_METADATA:
        return Refusal.metadata
    if address.is_unspecified:
        return Refusal.unspecified
    if address.is_loopback:
        return Refusal.loopback
    if address.ipv4_mapped is not None:
        return _v4_refusal(address.ipv4_mapped)
    if address in _V6_NAT64:
        return _v4_refusal(IPv4Address(address.packed[-4:]))
    if address in _V6_COMPATIBLE:
        return Refusal.ipv4_compatible
    if address.sixtofour is not None and (embedded := _v4_refusal(address.sixtofour)) is not None:
        return embedded
    for network, why in _V6_RULES:
        if address in network:
            return why
    if address not in _V6_GLOBAL_UNICAST or not address.is_global:
        return Refusal.reserved
    return None


def _v4_refusal(address: IPv4Address) -> Refusal | None:
    for network, why in _V4_RULES:
        if address in network:
            return why
    return None if address.is_global else Refusal.reserved


def normalise_host(host: str) -> str:
    """A host as compared with the allowlist: IDNA (UTS 46) ASCII, lower case, no trailing dot,
    IPv6 without brackets. Raises `WebhookUrlInvalid` for a name IDNA refuses."""
    host = host.strip().strip("[]").rstrip(".").lower()
    if not host:
        raise WebhookUrlInvalid("host_missing", "the URL has no host")
    if ":" in host or host.isascii():
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise WebhookUrlInvalid("host_invalid", f"host is not a valid domain name: {exc}") from exc


@dataclass(frozen=True, slots=True)
class OutboundPolicy:
    """`allowed_hosts` (normalised names or literal IPs) may use http, any port and any address."""

    allowed_hosts: frozenset[str] = frozenset()
    public_https_ports: frozenset[int] = PUBLIC_HTTPS_PORTS

    @classmethod
    def with_allowlist(cls, hosts: Iterable[str]) -> OutboundPolicy:
        return cls(allowed_hosts=frozenset(normalise_host(h) for h in hosts))

    def is_allowlisted(self, host: str) -> bool:
        return normalise_host(host) in self.allowed_hosts


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    """A URL that passed `validate_webhook_url`; `url` is its normalised form, the one to store and send."""

    url: str
    scheme: str
    host: str
    port: int
    allowlisted: bool
    address: IPAddress | None


def validate_webhook_url(url: str, policy: OutboundPolicy) -> WebhookTarget:
    """Check `url` against the registration rules; raises `WebhookUrlInvalid` or `AddressRefused`."""
    if len(url) > MAX_URL_LENGTH:
        raise WebhookUrlInvalid("url_too_long", f"URL is longer than {MAX_URL_LENGTH} characters")
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F or c == "\\" for c in url):
        raise WebhookUrlInvalid("url_invalid", "URL holds whitespace, a control character or a backslash")
    try:
        parts = urlsplit(url)
        raw_port = parts.port
    except ValueError as exc:
        raise WebhookUrlInvalid("url_invalid", f"URL cannot be parsed: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise WebhookUrlInvalid("scheme_not_allowed", "URL must use https")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise WebhookUrlInvalid("userinfo_not_allowed", "URL may not carry a user name or password")
    if parts.fragment or url.endswith("#"):
        raise WebhookUrlInvalid("fragment_not_allowed", "URL may not carry a fragment")
    if not parts.hostname:
        raise WebhookUrlInvalid("host_missing", "the URL has no host")
    if "%" in parts.hostname:
        raise WebhookUrlInvalid("host_invalid", "IPv6 zone identifiers are not allowed")

    host = normalise_host(parts.hostname)
    allowlisted = host in policy.allowed_hosts
    address = _literal_address(host)
    if address is None:
        _check_domain_name(host, allowlisted)

    if scheme != "https" and not allowlisted:
        raise WebhookUrlInvalid("scheme_not_allowed", "URL must use https")
    port = raw_port if raw_port is not None else DEFAULT_PORTS[scheme]
    if not 1 <= port <= 65535:
        raise WebhookUrlInvalid("port_not_allowed", "port must lie between 1 and 65535")
    if not allowlisted and port not in policy.public_https_ports:
        allowed = ", ".join(str(p) for p in sorted(policy.public_https_ports))
        raise WebhookUrlInvalid("port_not_allowed", f"port must be one of {allowed}")
    if address is not None and not allowlisted and (why := address_refusal(address)) is not None:
        raise AddressRefused(f"the URL's address is not public ({why})")

    shown_host = f"[{host}]" if isinstance(address, IPv6Address) else host
    netloc = shown_host if port == DEFAULT_PORTS[scheme] else f"{shown_host}:{port}"
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    return WebhookTarget(
        url=f"{scheme}://{netloc}{path}{query}",
        scheme=scheme,
        host=host,
        port=port,
        allowlisted=allowlisted,
        address=address,
    )


def _literal_address(host: str) -> IPAddress | None:
    if ":" in host:
        try:
            return IPv6Address(host)
        except ValueError as exc:
            raise WebhookUrlInvalid("host_invalid", "host is not a valid IPv6 address") from exc
    last = host.rsplit(".", 1)[-1]
    # Like a browser, a host whose last label is numeric is an IPv4 address, and only the canonical
    # dotted quad is accepted: 2130706433, 0x7f.1 and 127.1 all reach 127.0.0.1 through getaddrinfo.
    if last.isdigit() or last.startswith("0x"):
        try:
            return IPv4Address(host)
        except ValueError as exc:
            raise WebhookUrlInvalid("host_invalid", "host is not a canonical dotted-quad IPv4 address") from exc
    return None


def _check_domain_name(host: str, allowlisted: bool) -> None:
    labels = host.split(".")
    if len(host) > 253 or not all(_is_ldh_label(label) for label in labels):
        raise WebhookUrlInvalid("host_invalid", "host is not a valid domain name")
    if allowlisted:
        return
    if len(labels) < 2:
        raise WebhookUrlInvalid("host_not_public", "host must be a fully qualified public domain name")
    if any(host == suffix or host.endswith("." + suffix) for suffix in SPECIAL_USE_SUFFIXES):
        raise WebhookUrlInvalid("host_not_public", "host is a special-use name that does not reach the internet")


def _is_ldh_label(label: str) -> bool:
    return (
        0 < len(label) <= 63
        and label.isascii()
        and all(c.isalnum() or c == "-" for c in label)
        and not label.startswith("-")
        and not label.endswith("-")
    )


class SafeResolver(AbstractResolver):
    """aiohttp resolver that hands the connector only addresses the policy accepts.

    Names on the allowlist pass unfiltered. For any other name, refused addresses are dropped and
    `AddressRefused` is raised when none remains; aiohttp reports it as a `ClientConnectorDNSError`
    whose `os_error` is that exception, and no connection is attempted.
    """

    def __init__(self, policy: OutboundPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._inner = inner if inner is not None else DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if self._policy.is_allowlisted(host):
            return results
        kept: list[ResolveResult] = []
        reasons: set[str] = set()
        for result in results:
            why = address_refusal(result["host"])
            if why is None:
                kept.append(result)
            else:
                reasons.add(why.value)
        if not kept:
            shown = ", ".join(sorted(reasons)) or "no address"
            # The refused addresses themselves stay out of the message: it reaches the endpoint's owner.
            raise AddressRefused(f"{host} resolves only to addresses that are not public ({shown})")
        return kept

    async def close(self) -> None:
        await self._inner.close()


async def check_resolution(
    target: WebhookTarget, policy: OutboundPolicy, resolver: AbstractResolver | None = None, *, timeout_s: float = 5.0
) -> None:
    """Registration's look at where a name leads: `AddressRefused` when it resolves only to addresses
    the policy refuses (a name pointing at 127.0.0.1 or 10.x, say). Literal addresses and allowlisted
    hosts are not looked up; a name that cannot be resolved now (or within `timeout_s`) passes, and
    the connect-time check decides at each attempt. `resolver` defaults to the system's."""
    if target.allowlisted or target.address is not None:
        return
    safe = SafeResolver(policy, resolver if resolver is not None else ThreadedResolver())
    try:
        async with asyncio.timeout(timeout_s):
            await safe.resolve(target.host, target.port, socket.AF_UNSPEC)
    except AddressRefused:
        raise
    except (OSError, TimeoutError):
        return
