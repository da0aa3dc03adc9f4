"""Signing, checked with the independent `standardwebhooks` verifier."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import orjson
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.notify.signing import (
    EventType,
    NoActiveSecret,
    SigningSecret,
    WebhookSecretInvalid,
    encode_payload,
    generate_secret,
    new_webhook_id,
    rotate,
    secret_key,
    sign,
)


# The verifier compares webhook-timestamp with the real clock (five minutes' tolerance).
@pytest.fixture
def now() -> datetime:
    """The wall clock at the test's start: `standardwebhooks` checks timestamps against the real time."""
    return datetime.now(UTC).replace(microsecond=0)


OCCURRED = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def body() -> bytes:
    return encode_payload(
        EventType.circular_published,
        OCCURRED,
        {"circular_id": "c-1", "number": "湘万千百办通〔2026〕12号", "title": "关于调度情况的通报"},
    )


def test_generated_secret_is_whsec_and_32_random_bytes() -> None:
    first, second = generate_secret(), generate_secret()
    assert first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32
    assert first != second


@pytest.mark.parametrize(
    "secret",
    ["abc", "whsec_", "whsec_not*base64", "whsec_" + base64.b64encode(b"x" * 23).decode()],
)
def test_malformed_or_short_secret_is_refused(secret: str) -> None:
    with pytest.raises(WebhookSecretInvalid):
        secret_key(secret)


def test_24_byte_secret_is_accepted() -> None:
    secret = "whsec_" + base64.b64encode(b"k" * 24).decode()
    assert secret_key(secret) == b"k" * 24


def test_payload_is_type_timestamp_data_with_utc_z_and_decimal_as_string() -> None:
    data = orjson.loads(
        encode_payload(EventType.circular_published, OCCURRED, {"amount_yi": Decimal("1234.5600"), "n": 1})
    )
    assert data == {
        "type": "circular.published",
        "timestamp": "2026-12-01T09:30:00Z",
        "data": {"amount_yi": "1234.5600", "n": 1},
    }


def test_naive_occurred_at_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        encode_payload(EventType.circular_published, datetime(2026, 12, 1), {})


def test_webhook_id_is_msg_prefixed_and_unique() -> None:
    first, second = new_webhook_id(), new_webhook_id()
    assert first.startswith("msg_")
    assert len(first) == 36
    assert first != second


def test_headers_verify_with_standardwebhooks(now: datetime) -> None:
    secret = generate_secret()
    payload = body()
    headers = sign("msg_1", payload, [SigningSecret(secret)], now)

    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-timestamp"] == str(int(now.timestamp()))
    assert headers["content-type"] == "application/json"
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(payload, headers) == orjson.loads(payload)


def test_tampered_body_fails_verification(now: datetime) -> None:
    secret = generate_secret()
    payload = body()
    headers = sign("msg_1", payload, [SigningSecret(secret)], now)
    tampered = payload.replace("12号".encode(), "13号".encode())
    assert tampered != payload
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(secret).verify(tampered, headers)


def test_other_id_or_secret_fails_verification(now: datetime) -> None:
    secret = generate_secret()
    payload = body()
    headers = sign("msg_1", payload, [SigningSecret(secret)], now)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(payload, {**headers, "webhook-id": "msg_2"})
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(payload, headers)


def test_during_rotation_both_secrets_sign_and_each_verifies(now: datetime) -> None:
    old, new = generate_secret(), generate_secret()
    secrets = rotate([SigningSecret(old)], new, now, overlap=timedelta(hours=24))
    assert secrets == (SigningSecret(new), SigningSecret(old, now + timedelta(hours=24)))

    payload = body()
    headers = sign("msg_1", payload, secrets, now)
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(payload, headers)
    Webhook(new).verify(payload, headers)


def test_after_the_overlap_only_the_new_secret_signs(now: datetime) -> None:
    old, new = generate_secret(), generate_secret()
    secrets = rotate([SigningSecret(old)], new, now - timedelta(hours=25), overlap=timedelta(hours=24))
    payload = body()
    headers = sign("msg_1", payload, secrets, now)
    assert len(headers["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(payload, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(payload, headers)


def test_rotation_drops_expired_secrets_and_keeps_an_earlier_expiry(now: datetime) -> None:
    a, b, c = generate_secret(), generate_secret(), generate_secret()
    current = [
        SigningSecret(b, now + timedelta(hours=2)),
        SigningSecret(a, now - timedelta(seconds=1)),
    ]
    assert rotate(current, c, now) == (SigningSecret(c), SigningSecret(b, now + timedelta(hours=2)))


def test_rotation_refuses_a_malformed_new_secret(now: datetime) -> None:
    with pytest.raises(WebhookSecretInvalid):
        rotate([], "whsec_short", now)


def test_signing_with_only_expired_secrets_is_refused(now: datetime) -> None:
    with pytest.raises(NoActiveSecret):
        sign("msg_1", body(), [SigningSecret(generate_secret(), now)], now)


def test_retry_signs_the_same_bytes_and_id_with_a_new_timestamp(now: datetime) -> None:
    secret = generate_secret()
    payload = body()
    first = sign("msg_1", payload, [SigningSecret(secret)], now - timedelta(minutes=1))
    retry = sign("msg_1", payload, [SigningSecret(secret)], now)
    assert first["webhook-id"] == retry["webhook-id"]
    assert int(retry["webhook-timestamp"]) - int(first["webhook-timestamp"]) == 60
    assert first["webhook-signature"] != retry["webhook-signature"]
    Webhook(secret).verify(payload, retry)
