"""Standard Webhooks signing: endpoint secrets, the payload's bytes and the three signature headers.

    webhook-id         `msg_` + 32 hex digits; made once per message and kept across its retries
    webhook-timestamp  integer Unix seconds of this attempt (receivers refuse stale ones, so every
                       attempt is signed afresh)
    webhook-signature  `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`, one per active
                       secret, separated by single spaces

A secret is `whsec_` + base64 of its key (32 random bytes when generated, at least 24 accepted).
Rotation keeps the old secret signing beside the new one until the old one's expiry, so a receiver
can switch at any moment inside that overlap. The body is serialised once, and the signature is
over those exact bytes: whatever retries send is byte-for-byte what was signed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson

from shared.schemas.notify.enums import EventType

__all__ = ["EventType"]

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's marker, not a secret)
SECRET_BYTES = 32
MIN_SECRET_BYTES = 24
DEFAULT_ROTATION_OVERLAP = timedelta(hours=24)
CONTENT_TYPE = "application/json"


class WebhookSecretInvalid(ValueError):
    """A secret that is not `whsec_` + base64 of at least 24 bytes."""


class NoActiveSecret(ValueError):
    """Every secret of the endpoint has expired: nothing may be signed."""


@dataclass(frozen=True, slots=True)
class SigningSecret:
    """One secret of an endpoint; `expires_at` is set on the old one when it is rotated out."""

    value: str
    expires_at: datetime | None = None

    def is_active(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key inside `secret`; raises `WebhookSecretInvalid`."""
    if not secret.startswith(SECRET_PREFIX):
        raise WebhookSecretInvalid(f"webhook secret must start with {SECRET_PREFIX}")
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error as exc:
        raise WebhookSecretInvalid("webhook secret is not valid base64") from exc
    if len(key) < MIN_SECRET_BYTES:
        raise WebhookSecretInvalid(f"webhook secret must hold at least {MIN_SECRET_BYTES} bytes")
    return key


def rotate(
    current: Sequence[SigningSecret],
    new_secret: str,
    now: datetime,
    overlap: timedelta = DEFAULT_ROTATION_OVERLAP,
) -> tuple[SigningSecret, ...]:
    """The endpoint's secrets after `new_secret` is added: the new one first, then each still-active
    old one, expiring at `now + overlap` at the latest. Expired secrets are dropped."""
    secret_key(new_secret)
    until = now + overlap
    kept = tuple(
        replace(s, expires_at=until if s.expires_at is None else min(s.expires_at, until))
        for s in current
        if s.is_active(now) and s.value != new_secret
    )
    return (SigningSecret(new_secret), *kept)


def new_webhook_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def _json_default(value: Any) -> Any:
    # Money is Decimal in this domain; it travels as a string so no digit is lost to a float.
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def encode_payload(event_type: EventType, occurred_at: datetime, data: Mapping[str, Any]) -> bytes:
    """`{"type", "timestamp", "data"}` as the bytes to store, sign and send; `occurred_at` must be aware."""
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    envelope = {"type": event_type.value, "timestamp": occurred_at.astimezone(UTC), "data": data}
    return orjson.dumps(envelope, default=_json_default, option=orjson.OPT_UTC_Z)


def signature(key: bytes, webhook_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64>` for one key over `{id}.{timestamp}.{body}`."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def sign(webhook_id: str, body: bytes, endpoint_secrets: Sequence[SigningSecret], now: datetime) -> dict[str, str]:
    """The request headers of one attempt at `now`, signed with every secret active then.

    Raises `NoActiveSecret` when none is, and `WebhookSecretInvalid` for a malformed one.
    """
    active = [s for s in endpoint_secrets if s.is_active(now)]
    if not active:
        raise NoActiveSecret("the endpoint has no active webhook secret")
    timestamp = int(now.timestamp())
    return {
        "content-type": CONTENT_TYPE,
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(secret_key(s.value), webhook_id, timestamp, body) for s in active),
    }
