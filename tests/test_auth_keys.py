"""Production key material: RS256/ES256 with a configured public key, and keys from a JWKS endpoint."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy.ext.asyncio import AsyncEngine

from services.registry.main import create_app
from services.registry.settings import Settings
from shared.auth import TokenVerifier
from shared.db import Database
from tests.conftest import auth

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def public_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"sub": "key-user", "name": "密钥用户", "role": "city", "region": "430100", "iat": now, "exp": now + 600}
    return base | {"iss": "wanqianbai", "aud": "wanqianbai"} | overrides


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def app_client(database_url: str, engine: AsyncEngine, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The registry with only the given key settings (no HS256 secret), on the suite's database."""
    config = Settings(database_url=database_url, access_log=False, log_level="WARNING", **settings)
    app = create_app(config, database=Database.on(engine))
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://x") as http:
        yield http


async def get_region(http: httpx.AsyncClient, token: str) -> httpx.Response:
    return await http.get("/api/v1/regions/430100", headers=bearer(token))


@dataclass
class JwksServer:
    url: str
    document: dict[str, Any]
    hits: list[str] = field(default_factory=list)


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    """A real JWKS endpoint on 127.0.0.1, serving whatever `document` holds and counting requests."""
    state = JwksServer(url="", document={"keys": []})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits.append(self.path)
            body = json.dumps(state.document).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def rsa_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return jwk | {"kid": kid, "use": "sig", "alg": "RS256"}


async def test_rs256_token_is_accepted_with_configured_public_key(database_url: str, engine: AsyncEngine) -> None:
    async with app_client(database_url, engine, jwt_algorithms=["RS256"], jwt_public_key=public_pem(RSA_KEY)) as http:
        response = await get_region(http, jwt.encode(claims(), RSA_KEY, algorithm="RS256"))
        assert (response.status_code, response.json()["name"]) == (200, "长沙市")
        audit = await http.get("/api/v1/audit-events", headers=bearer(jwt.encode(claims(), RSA_KEY, "RS256")))
        assert (audit.status_code, audit.json()["code"]) == (403, "role_admin_required")


async def test_rs256_token_signed_by_another_key_is_401(database_url: str, engine: AsyncEngine) -> None:
    async with app_client(database_url, engine, jwt_algorithms=["RS256"], jwt_public_key=public_pem(RSA_KEY)) as http:
        response = await get_region(http, jwt.encode(claims(), OTHER_RSA_KEY, algorithm="RS256"))
        assert (response.status_code, response.json()["code"]) == (401, "token_invalid")
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_es256_token_is_accepted_with_configured_public_key(database_url: str, engine: AsyncEngine) -> None:
    async with app_client(database_url, engine, jwt_algorithms=["ES256"], jwt_public_key=public_pem(EC_KEY)) as http:
        response = await get_region(http, jwt.encode(claims(), EC_KEY, algorithm="ES256"))
        assert (response.status_code, response.json()["name"]) == (200, "长沙市")
        expired = jwt.encode(claims(exp=int(time.time()) - 60), EC_KEY, algorithm="ES256")
        assert (await get_region(http, expired)).json()["code"] == "token_expired"


async def test_hs256_token_is_401_when_only_rs256_is_configured(database_url: str, engine: AsyncEngine) -> None:
    pem = public_pem(RSA_KEY)
    # The classic confusion attack: HS256 "signed" with the public key as the shared secret.
    segments = [
        base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=")
        for part in ({"alg": "HS256", "typ": "JWT"}, claims(role="admin", region="430000"))
    ]
    signing_input = b".".join(segments)
    signature = base64.urlsafe_b64encode(hmac.new(pem.encode(), signing_input, hashlib.sha256).digest()).rstrip(b"=")
    confused = (signing_input + b"." + signature).decode()
    async with app_client(database_url, engine, jwt_algorithms=["RS256"], jwt_public_key=pem) as http:
        for token in (jwt.encode(claims(), "a-development-secret-of-32-bytes!", algorithm="HS256"), confused):
            response = await get_region(http, token)
            assert (response.status_code, response.json()["code"]) == (401, "token_algorithm_rejected")


async def test_hs256_and_rs256_together_verify_each_with_its_own_key(database_url: str, engine: AsyncEngine) -> None:
    secret = "a-development-secret-of-32-bytes!"
    settings = {"jwt_algorithms": ["HS256", "RS256"], "jwt_secret": secret, "jwt_public_key": public_pem(RSA_KEY)}
    async with app_client(database_url, engine, **settings) as http:
        assert (await get_region(http, jwt.encode(claims(), secret, algorithm="HS256"))).status_code == 200
        assert (await get_region(http, jwt.encode(claims(), RSA_KEY, algorithm="RS256"))).status_code == 200
        forged = await get_region(http, jwt.encode(claims(), "another-secret-also-32-bytes-long", algorithm="HS256"))
        assert (forged.status_code, forged.json()["code"]) == (401, "token_invalid")


async def test_es256_token_against_an_rsa_public_key_is_401_not_500(database_url: str, engine: AsyncEngine) -> None:
    pem = public_pem(RSA_KEY)
    async with app_client(database_url, engine, jwt_algorithms=["RS256", "ES256"], jwt_public_key=pem) as http:
        response = await get_region(http, jwt.encode(claims(), EC_KEY, algorithm="ES256"))
        assert (response.status_code, response.json()["code"]) == (401, "token_invalid")


async def test_jwks_key_is_chosen_by_kid_and_cached(
    database_url: str, engine: AsyncEngine, jwks_server: JwksServer
) -> None:
    jwks_server.document = {"keys": [rsa_jwk(OTHER_RSA_KEY, "old"), rsa_jwk(RSA_KEY, "current")]}
    # No verified-token cache: each request below looks its key up, so the key set's own cache is what is tested.
    settings = {"jwt_algorithms": ["RS256"], "jwks_url": jwks_server.url, "jwt_cache_size": 0}
    async with app_client(database_url, engine, **settings) as http:
        for _ in range(3):
            token = jwt.encode(claims(), RSA_KEY, algorithm="RS256", headers={"kid": "current"})
            assert (await get_region(http, token)).status_code == 200
        wrong_key = jwt.encode(claims(), RSA_KEY, algorithm="RS256", headers={"kid": "old"})
        response = await get_region(http, wrong_key)
        assert (response.status_code, response.json()["code"]) == (401, "token_invalid")
    assert jwks_server.hits == ["/.well-known/jwks.json"]


async def test_jwks_unknown_kid_is_401_token_key_unavailable(
    database_url: str, engine: AsyncEngine, jwks_server: JwksServer
) -> None:
    jwks_server.document = {"keys": [rsa_jwk(RSA_KEY, "current")]}
    async with app_client(database_url, engine, jwt_algorithms=["RS256"], jwks_url=jwks_server.url) as http:
        token = jwt.encode(claims(), RSA_KEY, algorithm="RS256", headers={"kid": "retired"})
        response = await get_region(http, token)
        assert (response.status_code, response.json()["code"]) == (401, "token_key_unavailable")


async def test_jwks_without_usable_keys_is_401_token_key_unavailable(
    database_url: str, engine: AsyncEngine, jwks_server: JwksServer
) -> None:
    token = jwt.encode(claims(), RSA_KEY, algorithm="RS256", headers={"kid": "current"})
    documents: list[dict[str, Any]] = [{"keys": []}, {"keys": "not-a-list"}]
    for document in documents:
        jwks_server.document = document
        async with app_client(database_url, engine, jwt_algorithms=["RS256"], jwks_url=jwks_server.url) as http:
            response = await get_region(http, token)
            assert (response.status_code, response.json()["code"]) == (401, "token_key_unavailable"), document


async def test_unreachable_jwks_is_401_token_key_unavailable(database_url: str, engine: AsyncEngine) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{closed_port}/jwks.json"
    async with app_client(database_url, engine, jwt_algorithms=["RS256"], jwks_url=url) as http:
        token = jwt.encode(claims(), RSA_KEY, algorithm="RS256", headers={"kid": "current"})
        response = await get_region(http, token)
        assert (response.status_code, response.json()["code"]) == (401, "token_key_unavailable")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"jwt_algorithms": ["RS256"]}, "JWT_PUBLIC_KEY or JWKS_URL is required for RS*/ES* algorithms"),
        ({"jwt_algorithms": ["HS256"]}, "JWT_SECRET is required for HS* algorithms"),
        (
            {"jwt_algorithms": ["HS256", "RS256"], "jwt_secret": "s" * 32},
            "JWT_PUBLIC_KEY or JWKS_URL is required for RS*/ES* algorithms",
        ),
        (
            {"jwt_algorithms": ["HS256", "RS256"], "jwt_public_key": public_pem(RSA_KEY)},
            "JWT_SECRET is required for HS* algorithms",
        ),
        ({"jwt_algorithms": ["HS256", "None"], "jwt_secret": "s" * 32}, "JWT_ALGORITHMS must not contain 'none'"),
    ],
)
def test_verifier_refuses_configuration_without_usable_keys(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        TokenVerifier(Settings(**settings))
    assert str(caught.value) == message


async def test_sub_longer_than_200_characters_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/regions/430100", headers=auth(sub="s" * 201))
    assert (response.status_code, response.json()["code"]) == (401, "token_sub_invalid")


async def test_over_long_name_claim_is_cut_to_200_characters_in_the_audit_log(client: httpx.AsyncClient) -> None:
    body = {"name": "长名园区", "grade": "national", "region_code": "430100"}
    created = await client.post("/api/v1/parks", json=body, headers=auth(name="名" * 300))
    assert created.status_code == 201
    events = await client.get(f"/api/v1/audit-events?resource_id={created.json()['id']}", headers=auth())
    assert [e["actor_name"] for e in events.json()["items"]] == ["名" * 200]


async def test_enums_require_a_bearer_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/enums")
    assert (response.status_code, response.json()["code"]) == (401, "token_missing")
