"""Authenticate the caller (step 0): a JWT verified against a JWKS. Pure apart from a bounded cache.

Only asymmetric algorithms (EdDSA, ES256, RS256) are accepted, and each key only with its own algorithm, so
neither ``alg: none`` nor an HMAC signed with a public key can pass. Issuer, audience, expiry and not-before are
checked against the time passed in. A verified token is cached until it expires, so each token costs one
signature check however many transfers it carries.
"""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from gateway.errors import ConfigError, RequestRejected
from gateway.model import Principal

__all__ = ["ALGORITHMS", "KNOWN_ROLES", "TokenVerifier", "load_jwks"]

ALGORITHMS = frozenset({"EdDSA", "ES256", "RS256"})
KNOWN_ROLES = frozenset({"enterprise", "regulator", "operator"})


@dataclass(frozen=True, slots=True)
class _Cached:
    principal: Principal
    not_before: float
    expires: float


def load_jwks(path: Path) -> dict[str, jwt.PyJWK]:
    """Read a JWKS file; every key needs a ``kid`` and an asymmetric algorithm."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        keyset = jwt.PyJWKSet.from_dict(data)
    except (OSError, ValueError, jwt.PyJWTError) as e:
        raise ConfigError(f"cannot load JWKS: {e}", file=str(path)) from e
    keys: dict[str, jwt.PyJWK] = {}
    for key in keyset.keys:
        if key.algorithm_name not in ALGORITHMS:
            raise ConfigError(
                f"key {key.key_id!r} uses {key.algorithm_name}; only {sorted(ALGORITHMS)} are accepted", file=str(path)
            )
        if not key.key_id:
            raise ConfigError("every key needs a 'kid'", file=str(path))
        keys[key.key_id] = key
    if not keys:
        raise ConfigError("the JWKS holds no keys", file=str(path))
    return keys


def _invalid(detail: str) -> RequestRejected:
    return RequestRejected("token-invalid", detail)


class TokenVerifier:
    """Turns an ``Authorization`` header into a :class:`Principal`, or raises :class:`RequestRejected`."""

    def __init__(
        self,
        keys: dict[str, jwt.PyJWK],
        *,
        issuer: str,
        audience: str,
        roles_claim: str = "roles",
        organisation_claim: str = "org",
        leeway: float = 30.0,
        cache_size: int = 10_000,
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._roles_claim = roles_claim
        self._organisation_claim = organisation_claim
        self._leeway = leeway
        self._cache: OrderedDict[str, _Cached] = OrderedDict()
        self._cache_size = cache_size

    def authenticate(self, authorization: str | None, now: float) -> Principal:
        """The principal of a ``Bearer`` token valid at ``now`` (seconds since the epoch)."""
        if not authorization:
            raise RequestRejected("token-missing", "no Authorization header")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise RequestRejected("token-missing", "the Authorization header is not 'Bearer <token>'")
        token = token.strip()
        cached = self._cache.get(token)
        if cached is None:
            cached = self._verify(token)
            self._cache[token] = cached
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        if now + self._leeway < cached.not_before:
            raise RequestRejected("token-expired", "the token is not valid yet (nbf)")
        if now - self._leeway >= cached.expires:
            self._cache.pop(token, None)
            raise RequestRejected("token-expired", "the token has expired (exp)")
        return cached.principal

    def _verify(self, token: str) -> _Cached:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as e:
            raise _invalid("the token is not a well-formed JWS") from e
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise _invalid(f"algorithm {str(alg)[:16]!r} is not accepted; use one of {sorted(ALGORITHMS)}")
        kid = header.get("kid")
        if kid is None and len(self._keys) == 1:
            kid = next(iter(self._keys))
        key = self._keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise _invalid("the token's key id is not among the trusted keys")
        if key.algorithm_name != alg:
            raise _invalid(f"key {kid!r} signs with {key.algorithm_name}, not {alg}")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=self._audience,
                issuer=self._issuer,
                options={
                    "require": ["exp", "iss", "aud", "sub"],
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError as e:
            raise _invalid(f"the token does not verify: {e}") from e
        return _Cached(
            self._principal(claims), self._number(claims, "nbf", default=0.0), self._number(claims, "exp", default=None)
        )

    @staticmethod
    def _number(claims: dict[str, Any], name: str, default: float | None) -> float:
        value = claims.get(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise _invalid(f"claim {name!r} must be a finite number")
        return float(value)

    def _principal(self, claims: dict[str, Any]) -> Principal:
        organisation, subject = claims.get(self._organisation_claim), claims.get("sub")
        if not isinstance(organisation, str) or not organisation:
            raise _invalid(f"claim {self._organisation_claim!r} (the organisation) is missing")
        if not isinstance(subject, str) or not subject:
            raise _invalid("claim 'sub' is missing")
        roles = claims.get(self._roles_claim, [])
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise _invalid(f"claim {self._roles_claim!r} must be a list of strings")
        return Principal(organisation, subject, frozenset(roles) & KNOWN_ROLES)
