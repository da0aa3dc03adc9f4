"""Bearer JWT verification, the caller (`Principal`) and the role and region-scope rules of API.md.

HS256 with a shared secret is for development; production configures RS256/ES256 with a public
key (`JWT_PUBLIC_KEY`) or a JWKS URL (`JWKS_URL`). Tokens with `alg=none`, another audience or
issuer, a bad signature or no expiry are refused with 401.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from fastapi import Request

from shared.errors import Forbidden, Unauthorized
from shared.regions import CODE_RE, covers, region_level
from shared.schemas.enums import LabelledEnum, Level
from shared.settings import BaseServiceSettings

# The audit log and idempotency records keep `sub` and `name` in 200 characters.
MAX_SUB_LENGTH = 200
# A verified token is trusted again without its signature check for at most this long, and never
# past its own expiry; a key withdrawn from the JWKS stops being honoured within this time.
VERIFIED_TTL_S = 300.0


class Role(LabelledEnum):
    admin = "admin", "万千百工程办公室（管理员）"
    department = "department", "牵头部门"
    city = "city", "市州操作员"
    county = "county", "县市区操作员"
    viewer = "viewer", "只读用户"
    service = "service", "平台内部服务"


# Roles bound to one level of region: their `region` claim must be a code of that level.
_ROLE_LEVEL = {Role.city: Level.city, Role.county: Level.county}


@dataclass(frozen=True, slots=True)
class Principal:
    sub: str
    role: Role
    region: str
    name: str = ""
    department: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin

    @property
    def reads_all_regions(self) -> bool:
        return self.role in (Role.admin, Role.service)

    @property
    def read_scope(self) -> str | None:
        """The region the caller's reads are confined to (with everything below it); None: every region."""
        return None if self.reads_all_regions else self.region

    def can_read_region(self, code: str) -> bool:
        """Region scope for reads: admin and service see everything, others their subtree."""
        return self.reads_all_regions or covers(self.region, code)

    def require_admin(self) -> None:
        if not self.is_admin:
            raise Forbidden("仅万千百工程办公室可执行此操作", code="role_admin_required")

    def audit_fields(self) -> dict[str, Any]:
        return {
            "actor_sub": self.sub,
            "actor_name": self.name,
            "actor_role": self.role.value,
            "actor_region": self.region,
        }


class TokenVerifier:
    """Verifies bearer tokens with the key material the settings name."""

    def __init__(self, settings: BaseServiceSettings) -> None:
        self._algorithms = list(settings.jwt_algorithms)
        if "none" in {a.lower() for a in self._algorithms}:
            raise ValueError("JWT_ALGORITHMS must not contain 'none'")
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._secret = settings.jwt_secret.get_secret_value() if settings.jwt_secret else None
        self._public_key = settings.jwt_public_key
        self._jwks = jwt.PyJWKClient(settings.jwks_url, cache_keys=True) if settings.jwks_url else None
        symmetric = any(a.startswith("HS") for a in self._algorithms)
        asymmetric = not all(a.startswith("HS") for a in self._algorithms)
        if symmetric and not self._secret:
            raise ValueError("JWT_SECRET is required for HS* algorithms")
        # Checked per kind, not overall: ["HS256", "RS256"] with a secret alone would fail every RS256 token.
        if asymmetric and not (self._public_key or self._jwks):
            raise ValueError("JWT_PUBLIC_KEY or JWKS_URL is required for RS*/ES* algorithms")
        # With one key for every accepted algorithm the header need not be parsed before `decode`,
        # which parses the whole token again and refuses any other algorithm itself.
        self._only_key: Any = None
        if not asymmetric:
            self._only_key = self._secret
        elif not symmetric and self._jwks is None:
            self._only_key = self._public_key
        # token -> (principal, trusted until): a client sends the same token on every request.
        self._verified: dict[str, tuple[Principal, float]] = {}
        self._cache_size = settings.jwt_cache_size

    async def _key_for(self, token: str, header: dict[str, Any]) -> Any:
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self._algorithms:
            raise Unauthorized("令牌签名算法不被接受", code="token_algorithm_rejected")
        if alg.startswith("HS"):
            return self._secret
        if self._jwks is not None:
            jwks = self._jwks
            try:
                return (await asyncio.to_thread(jwks.get_signing_key_from_jwt, token)).key
            except (jwt.PyJWKClientError, jwt.PyJWKSetError) as exc:  # unreachable, unknown kid, unusable set
                raise Unauthorized("无法取得令牌签名公钥", code="token_key_unavailable") from exc
        return self._public_key

    async def verify(self, token: str) -> Principal:
        """The caller a token names; a token verified before is only checked against its expiry again."""
        now = time.time()
        cached = self._verified.get(token)
        if cached is not None:
            if now < cached[1]:
                return cached[0]
            self._verified.pop(token, None)
        principal = await self._verify(token)
        if self._cache_size > 0:
            if len(self._verified) >= self._cache_size:
                self._verified.pop(next(iter(self._verified)))  # the oldest entry
            self._verified[token] = (principal, min(float(principal.claims["exp"]), now + VERIFIED_TTL_S))
        return principal

    async def _verify(self, token: str) -> Principal:
        try:
            key = self._only_key
            if key is None:
                key = await self._key_for(token, jwt.get_unverified_header(token))
            claims = jwt.decode(
                token,
                key=key,
                algorithms=self._algorithms,
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "sub", "iat", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("令牌已过期", code="token_expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise Unauthorized("令牌受众不符", code="token_audience_invalid") from exc
        except jwt.InvalidAlgorithmError as exc:  # the one-key path: `decode` checked the algorithm
            raise Unauthorized("令牌签名算法不被接受", code="token_algorithm_rejected") from exc
        except jwt.PyJWTError as exc:  # also InvalidKeyError: an ES256 token against an RSA key, say
            raise Unauthorized("令牌无效", code="token_invalid") from exc
        return principal_from_claims(claims)


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    try:
        role = Role(str(claims.get("role")))
    except ValueError as exc:
        raise Unauthorized("令牌角色无效", code="token_role_invalid") from exc
    region = str(claims.get("region", ""))
    if not CODE_RE.match(region):
        raise Unauthorized("令牌行政区划代码无效", code="token_region_invalid")
    if role in _ROLE_LEVEL and region_level(region) != _ROLE_LEVEL[role].value:
        # A city token for the province would read and write province-wide: the claims contradict.
        raise Unauthorized(
            f"令牌角色与行政区划不符：{role.label}须对应{_ROLE_LEVEL[role].label}行政区划代码",
            code="token_claims_inconsistent",
        )
    department = claims.get("department")
    if role is Role.department and not department:
        raise Unauthorized("部门角色的令牌须带 department", code="token_department_missing")
    sub = str(claims["sub"])
    if not 0 < len(sub) <= MAX_SUB_LENGTH:
        raise Unauthorized(f"令牌 sub 须为 1–{MAX_SUB_LENGTH} 个字符", code="token_sub_invalid")
    return Principal(
        sub=sub,
        role=role,
        region=region,
        name=str(claims.get("name", ""))[:MAX_SUB_LENGTH],
        department=str(department) if department else None,
        claims=claims,
    )


def mint_token(
    *,
    secret: str,
    sub: str,
    role: str,
    region: str = "430000",
    name: str = "",
    department: str | None = None,
    issuer: str = "wanqianbai",
    audience: str = "wanqianbai",
    ttl_s: int = 12 * 3600,
    now: float | None = None,
) -> str:
    """A signed HS256 token, for development and tests only."""
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "sub": sub,
        "name": name or sub,
        "role": role,
        "region": region,
        "iat": issued,
        "exp": issued + ttl_s,
        "iss": issuer,
        "aud": audience,
    }
    if department:
        claims["department"] = department
    return jwt.encode(claims, secret, algorithm="HS256")


async def authenticate(request: Request) -> Principal:
    """The FastAPI dependency behind `PrincipalDep`."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("缺少 Bearer 令牌", code="token_missing")
    verifier: TokenVerifier = request.app.state.platform.verifier
    principal = await verifier.verify(token.strip())
    request.state.principal = principal
    return principal
