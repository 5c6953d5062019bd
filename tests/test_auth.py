"""Bearer-token authentication against a JWKS: algorithms, claims, time windows, caching and key loading."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from gateway.auth import TokenVerifier, load_jwks
from gateway.cli import mint_token
from gateway.errors import ConfigError, RequestRejected
from gateway.keys import SigningKey, generate_signing_key
from gateway.model import Principal

ISSUER = "https://idp.test.sip.example"
AUDIENCE = "sip-sg-gateway"
NOW = 1_800_000_000.0  # 2027-01-15, a fixed clock
LEEWAY = 30.0


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class KeyMaterial:
    """A signing key as the tests need it: its algorithm, kid, private key for jwt.encode and public JWK."""

    alg: str
    kid: str
    private: Any
    public_pem: bytes
    jwk: dict[str, Any]


def _ed25519() -> KeyMaterial:
    key: SigningKey = generate_signing_key()
    private = serialization.load_pem_private_key(key.private_pem, password=None)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return KeyMaterial("EdDSA", key.kid, key.private_pem, public_pem, dict(key.jwk))


def _es256(kid: str = "es-1") -> KeyMaterial:
    private = ec.generate_private_key(ec.SECP256R1())
    jwk = dict(ECAlgorithm.to_jwk(private.public_key(), as_dict=True))
    jwk.update(kid=kid, alg="ES256")
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return KeyMaterial("ES256", kid, private, public_pem, jwk)


def _rs256(kid: str = "rs-1") -> KeyMaterial:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = dict(RSAAlgorithm.to_jwk(private.public_key(), as_dict=True))
    jwk.update(kid=kid, alg="RS256")
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return KeyMaterial("RS256", kid, private, public_pem, jwk)


@pytest.fixture(scope="module")
def test_keys() -> dict[str, KeyMaterial]:
    return {"EdDSA": _ed25519(), "ES256": _es256(), "RS256": _rs256()}


@pytest.fixture(scope="module")
def jwks_path(tmp_path_factory: pytest.TempPathFactory, test_keys: dict[str, KeyMaterial]) -> Path:
    path = tmp_path_factory.mktemp("jwks") / "jwks.json"
    path.write_text(json.dumps({"keys": [k.jwk for k in test_keys.values()]}), encoding="utf-8")
    return path


@pytest.fixture
def verifier(jwks_path: Path) -> TokenVerifier:
    return TokenVerifier(load_jwks(jwks_path), issuer=ISSUER, audience=AUDIENCE, leeway=LEEWAY)


def _claims(**changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "hr-sync",
        "org": "sip-precision",
        "roles": ["enterprise", "superuser"],
        "iat": int(NOW),
        "nbf": int(NOW),
        "exp": int(NOW) + 600,
    }
    for name, value in changes.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


def _sign(key: KeyMaterial, claims: dict[str, Any], kid: str | None = None) -> str:
    return jwt.encode(claims, key.private, algorithm=key.alg, headers={"kid": kid or key.kid})


def _bearer(token: str) -> str:
    return f"Bearer {token}"


def _reason(verifier: TokenVerifier, authorization: str | None, now: float = NOW) -> RequestRejected:
    with pytest.raises(RequestRejected) as caught:
        verifier.authenticate(authorization, now)
    return caught.value


@pytest.mark.parametrize("alg", ["EdDSA", "ES256", "RS256"])
def test_valid_token_gives_principal(verifier: TokenVerifier, test_keys: dict[str, KeyMaterial], alg: str) -> None:
    """A token signed by a trusted key with its own algorithm yields the principal; unknown roles are dropped."""
    token = _sign(test_keys[alg], _claims())
    assert verifier.authenticate(_bearer(token), NOW) == Principal(
        "sip-precision", "hr-sync", frozenset({"enterprise"})
    )


def test_minted_eddsa_token_gives_principal(verifier: TokenVerifier, test_keys: dict[str, KeyMaterial]) -> None:
    """A token from gateway.cli.mint_token verifies, keeping every known role."""
    key = test_keys["EdDSA"]
    token = mint_token(
        key.private,
        key.kid,
        issuer=ISSUER,
        audience=AUDIENCE,
        organisation="sip-logistics",
        subject="batch",
        roles=["enterprise", "regulator", "root"],
        ttl=300,
        now=NOW,
    )
    principal = verifier.authenticate(f"bearer  {token} ", NOW + 10)
    assert principal == Principal("sip-logistics", "batch", frozenset({"enterprise", "regulator"}))


@pytest.mark.parametrize(
    "authorization", [None, "", "Basic x", "Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "Token abc"]
)
def test_missing_or_non_bearer_header_is_token_missing(verifier: TokenVerifier, authorization: str | None) -> None:
    """No header, or a header that is not 'Bearer <token>', is token-missing (401)."""
    err = _reason(verifier, authorization)
    assert err.kind == "token-missing"
    assert err.status == 401


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "eyJhbGciOi.x.y", "...", "e30.e30.e30"])
def test_garbage_token_is_token_invalid(verifier: TokenVerifier, token: str) -> None:
    """A bearer value that is not a well-formed JWS is token-invalid."""
    assert _reason(verifier, _bearer(token)).kind == "token-invalid"


def _unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    encoded = [_b64url(json.dumps(part).encode()) for part in (header, claims)]
    return ".".join([*encoded, _b64url(signature)])


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
@pytest.mark.parametrize("with_kid", [True, False])
def test_alg_none_is_token_invalid(
    verifier: TokenVerifier, test_keys: dict[str, KeyMaterial], alg: str, with_kid: bool
) -> None:
    """An unsigned token (alg none, hand-crafted) is refused whatever its claims say."""
    header: dict[str, Any] = {"alg": alg, "typ": "JWT"}
    if with_kid:
        header["kid"] = test_keys["EdDSA"].kid
    assert _reason(verifier, _bearer(_unsigned(header, _claims()))).kind == "token-invalid"


@pytest.mark.parametrize("alg", ["EdDSA", "ES256", "RS256"])
@pytest.mark.parametrize("secret", ["pem", "jwk-json"])
def test_hmac_signed_with_public_key_is_token_invalid(
    verifier: TokenVerifier, test_keys: dict[str, KeyMaterial], alg: str, secret: str
) -> None:
    """The key-confusion attack, an HS256 token whose HMAC key is the trusted public key, is refused."""
    key = test_keys[alg]
    header = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
    signing_input = ".".join(_b64url(json.dumps(p).encode()) for p in (header, _claims()))
    hmac_key = key.public_pem if secret == "pem" else json.dumps(key.jwk).encode()
    signature = hmac.new(hmac_key, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{_b64url(signature)}"
    assert _reason(verifier, _bearer(token)).kind == "token-invalid"


def _tampered(keys: dict[str, KeyMaterial]) -> str:
    header, _, signature = _sign(keys["EdDSA"], _claims()).split(".")
    return ".".join([header, _b64url(json.dumps(_claims(org="another-org")).encode()), signature])


def _other_key_same_kid(keys: dict[str, KeyMaterial]) -> str:
    impostor = _es256(kid=keys["ES256"].kid)
    return _sign(impostor, _claims())


INVALID: list[tuple[str, Callable[[dict[str, KeyMaterial]], str]]] = [
    ("wrong-issuer", lambda k: _sign(k["EdDSA"], _claims(iss="https://evil.example"))),
    ("wrong-audience", lambda k: _sign(k["ES256"], _claims(aud="another-gateway"))),
    ("audience-list-without-ours", lambda k: _sign(k["RS256"], _claims(aud=["a", "b"]))),
    ("missing-exp", lambda k: _sign(k["EdDSA"], _claims(exp=None))),
    ("missing-sub", lambda k: _sign(k["EdDSA"], _claims(sub=None))),
    ("missing-org", lambda k: _sign(k["EdDSA"], _claims(org=None))),
    ("roles-not-a-list", lambda k: _sign(k["EdDSA"], _claims(roles="enterprise"))),
    ("exp-not-a-number", lambda k: _sign(k["EdDSA"], _claims(exp="tomorrow"))),
    ("unknown-kid", lambda k: _sign(k["EdDSA"], _claims(), kid="no-such-key")),
    ("kid-of-another-algorithm", lambda k: _sign(k["ES256"], _claims(), kid=k["RS256"].kid)),
    ("signed-by-another-key", _other_key_same_kid),
    ("tampered-claims", _tampered),
]


@pytest.mark.parametrize("make", [c[1] for c in INVALID], ids=[c[0] for c in INVALID])
def test_token_failing_verification_is_token_invalid(
    verifier: TokenVerifier, test_keys: dict[str, KeyMaterial], make: Callable[[dict[str, KeyMaterial]], str]
) -> None:
    """Wrong issuer or audience, missing claims, an unknown kid or a foreign signature make the token invalid."""
    assert _reason(verifier, _bearer(make(test_keys))).kind == "token-invalid"


@pytest.mark.parametrize(
    ("changes", "accepted"),
    [
        ({"exp": int(NOW) - 31}, False),
        ({"exp": int(NOW) - 3600}, False),
        ({"exp": int(NOW) - 29}, True),
        ({"nbf": int(NOW) + 31}, False),
        ({"nbf": int(NOW) + 3600}, False),
        ({"nbf": int(NOW) + 29}, True),
        ({"nbf": None}, True),
    ],
    ids=[
        "exp-past-leeway",
        "exp-hour-ago",
        "exp-within-leeway",
        "nbf-past-leeway",
        "nbf-hour-ahead",
        "nbf-within",
        "no-nbf",
    ],
)
def test_time_window_with_leeway(
    verifier: TokenVerifier, test_keys: dict[str, KeyMaterial], changes: dict[str, Any], accepted: bool
) -> None:
    """Expired (exp) or not-yet-valid (nbf) tokens beyond the 30 s leeway are token-expired; within it they pass."""
    token = _bearer(_sign(test_keys["EdDSA"], _claims(**changes)))
    if accepted:
        assert verifier.authenticate(token, NOW).organisation == "sip-precision"
    else:
        err = _reason(verifier, token)
        assert err.kind == "token-expired"
        assert err.status == 401


@pytest.mark.parametrize(("claim", "now"), [("exp", NOW + 10 * 365 * 86400), ("nbf", NOW)], ids=["exp", "nbf"])
def test_nan_time_claim_is_refused(
    verifier: TokenVerifier, test_keys: dict[str, KeyMaterial], claim: str, now: float
) -> None:
    """A signed token whose exp or nbf is NaN (PyJWT's JSON reader accepts it) is refused, not taken as unbounded."""
    token = _bearer(_sign(test_keys["EdDSA"], _claims(**{claim: float("nan")})))
    assert _reason(verifier, token, now).kind in {"token-invalid", "token-expired"}


def test_cached_token_is_rejected_once_expired(verifier: TokenVerifier, test_keys: dict[str, KeyMaterial]) -> None:
    """A token accepted (and cached) earlier is refused as token-expired once the clock passes exp plus leeway."""
    token = _bearer(_sign(test_keys["ES256"], _claims(exp=int(NOW) + 60)))
    assert verifier.authenticate(token, NOW).subject == "hr-sync"
    assert verifier.authenticate(token, NOW + 60 + LEEWAY - 1).subject == "hr-sync"
    assert _reason(verifier, token, NOW + 60 + LEEWAY).kind == "token-expired"
    assert _reason(verifier, token, NOW + 3600).kind == "token-expired"


def test_cached_token_is_still_checked_for_nbf(verifier: TokenVerifier, test_keys: dict[str, KeyMaterial]) -> None:
    """A cached token presented again with an earlier clock is still refused before its nbf."""
    token = _bearer(_sign(test_keys["EdDSA"], _claims(nbf=int(NOW) + 100)))
    assert verifier.authenticate(token, NOW + 100).subject == "hr-sync"
    assert _reason(verifier, token, NOW).kind == "token-expired"


@pytest.fixture
def decode_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tokens jwt.decode is asked to verify, in order."""
    calls: list[str] = []
    real_decode = jwt.decode

    def counting_decode(token: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(token)
        return real_decode(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting_decode)
    return calls


def test_verification_is_cached(
    verifier: TokenVerifier, test_keys: dict[str, KeyMaterial], decode_calls: list[str]
) -> None:
    """Each distinct token costs one signature check, however many times it is presented."""
    first = _sign(test_keys["EdDSA"], _claims())
    second = _sign(test_keys["RS256"], _claims())
    assert verifier.authenticate(_bearer(first), NOW) == verifier.authenticate(_bearer(first), NOW + 1)
    assert decode_calls == [first]
    verifier.authenticate(_bearer(second), NOW)
    assert decode_calls == [first, second]


def test_rejected_token_is_not_cached(
    verifier: TokenVerifier, test_keys: dict[str, KeyMaterial], decode_calls: list[str]
) -> None:
    """A token that fails verification is checked again (and fails again) each time, never remembered as good."""
    token = _bearer(_sign(test_keys["EdDSA"], _claims(iss="https://evil.example")))
    assert _reason(verifier, token).kind == "token-invalid"
    assert _reason(verifier, token).kind == "token-invalid"
    assert len(decode_calls) == 2


def test_single_key_without_kid_in_token(tmp_path: Path, test_keys: dict[str, KeyMaterial]) -> None:
    """With a single trusted key, a token without 'kid' is verified against that key."""
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [test_keys["ES256"].jwk]}), encoding="utf-8")
    verifier = TokenVerifier(load_jwks(path), issuer=ISSUER, audience=AUDIENCE)
    token = jwt.encode(_claims(), test_keys["ES256"].private, algorithm="ES256")
    assert verifier.authenticate(_bearer(token), NOW).organisation == "sip-precision"


def test_load_jwks_reads_every_asymmetric_key(jwks_path: Path, test_keys: dict[str, KeyMaterial]) -> None:
    """load_jwks returns the keys by kid, each with its algorithm."""
    keys = load_jwks(jwks_path)
    assert {kid: k.algorithm_name for kid, k in keys.items()} == {k.kid: k.alg for k in test_keys.values()}


@pytest.mark.parametrize(
    "jwks",
    [
        {"keys": [{"kty": "oct", "k": _b64url(b"a-shared-secret-of-32-bytes-long"), "kid": "h", "alg": "HS256"}]},
        {"keys": [{"kty": "oct", "k": _b64url(b"a-shared-secret-of-32-bytes-long"), "kid": "h"}]},
    ],
    ids=["oct-with-alg", "oct-without-alg"],
)
def test_load_jwks_rejects_symmetric_key(tmp_path: Path, jwks: dict[str, Any]) -> None:
    """A symmetric (oct) key in the JWKS is a ConfigError naming the file."""
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks), encoding="utf-8")
    with pytest.raises(ConfigError, match="HS256") as caught:
        load_jwks(path)
    assert caught.value.file == str(path)


def test_load_jwks_rejects_key_without_kid(tmp_path: Path, test_keys: dict[str, KeyMaterial]) -> None:
    """A key without 'kid' is a ConfigError naming the file."""
    jwk = dict(test_keys["EdDSA"].jwk)
    del jwk["kid"]
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [test_keys["ES256"].jwk, jwk]}), encoding="utf-8")
    with pytest.raises(ConfigError, match="kid") as caught:
        load_jwks(path)
    assert caught.value.file == str(path)


@pytest.mark.parametrize("content", ["not json", '{"keys": []}', "", '{"nokeys": 1}'])
def test_load_jwks_rejects_unusable_files(tmp_path: Path, content: str) -> None:
    """A JWKS file that is not JSON or holds no keys is a ConfigError naming the file."""
    path = tmp_path / "jwks.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_jwks(path)
    assert caught.value.file == str(path)
