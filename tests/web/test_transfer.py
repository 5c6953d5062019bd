"""The gateway over real HTTP on loopback: decisions, refusals, faults, and what reaches the recipient and the logs."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import socket
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.cli import mint_token
from gateway.config import Config, Limits
from gateway.demo import AUDIENCE, ISSUER
from gateway.errors import AuditUnavailable
from gateway.keys import SigningKey, generate_signing_key
from gateway.policy.load import load_policy
from gateway.telemetry import configure_logging
from gateway.web.app import build_app
from tests.conftest import (
    EMAIL,
    IDENTIFIERS,
    MOBILE,
    NRIC,
    RESIDENT_ID,
    Recipient,
    audit_bytes,
    make_config,
)

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


@dataclass
class Harness:
    """A running gateway in front of a recording recipient, with its log output captured."""

    url: str
    config: Config
    recipient: Recipient
    log: io.StringIO
    client: aiohttp.ClientSession

    async def send(
        self,
        body: bytes | None = None,
        *,
        token: str | None,
        path: str = "/transfer/sg-hr/employees",
        content_type: str = "application/json",
        purpose: str = "payroll",
        method: str = "POST",
        scenario: str | None = None,
    ) -> tuple[int, dict[str, str], Any]:
        headers = {"Content-Type": content_type, "Gateway-Purpose": purpose}
        if scenario is not None:
            headers["Gateway-Scenario"] = scenario
        if token is not None:
            headers["Authorization"] = token if token.startswith(("Bearer ", "Basic ")) else f"Bearer {token}"
        async with self.client.request(method, self.url + path, data=body, headers=headers) as r:
            raw = await r.read()
            doc = json.loads(raw) if raw else None
            return r.status, dict(r.headers), doc

    def config_revision(self) -> str:
        return load_policy(self.config.policy_dir).revision

    def decision_records(self) -> list[dict[str, Any]]:
        with sqlite3.connect(self.config.audit_db) as db:
            leaves = [json.loads(row[0]) for row in db.execute("SELECT leaf FROM records ORDER BY idx")]
        return [leaf for leaf in leaves if leaf["kind"] in {"decision", "rejection"}]


async def _start(
    aiohttp_server: ServerFactory,
    tmp_path: Path,
    signing_key: SigningKey,
    *,
    recipient_app: web.Application | None = None,
    upstream: str | None = None,
    limits: Limits | None = None,
    audit: Any = None,
) -> AsyncIterator[Harness]:
    recipient = Recipient()
    if upstream is None:
        upstream_server = await aiohttp_server(recipient_app or recipient.app())
        upstream = str(upstream_server.make_url("")).rstrip("/")
    config = make_config(tmp_path, signing_key, upstream, limits)
    log = io.StringIO()
    configure_logging(log)
    server = await aiohttp_server(build_app(config, audit=audit))
    async with aiohttp.ClientSession() as client:
        yield Harness(str(server.make_url("")).rstrip("/"), config, recipient, log, client)


@pytest.fixture
async def gateway(aiohttp_server: ServerFactory, tmp_path: Path, signing_key: SigningKey) -> AsyncIterator[Harness]:
    async for harness in _start(aiohttp_server, tmp_path, signing_key):
        yield harness


def assert_no_identifiers(harness: Harness) -> None:
    stored = audit_bytes(harness.config.data_dir)
    logged = harness.log.getvalue()
    assert stored, "nothing was stored: the check below would prove nothing"
    assert '"event": "transfer"' in logged, "nothing was logged: the check below would prove nothing"
    for identifier in IDENTIFIERS:
        assert identifier.encode() not in stored, f"{identifier} reached the audit store"
        assert identifier not in logged, f"{identifier} reached the log"


EMPLOYEE = {"employee_no": "E-1", "mobile": MOBILE, "email": EMAIL}


async def test_allowed_transfer_is_forwarded_masked(gateway: Harness, token_for: Callable[..., str]) -> None:
    """An allowed PI transfer reaches the recipient with contact fields masked and carries the decision headers.

    The route's default scenario is cross-border HR management, so the Art 5(2) exemption decides.
    """
    status, headers, _ = await gateway.send(json.dumps(EMPLOYEE).encode(), token=token_for())
    assert status == 200
    assert headers["Gateway-Decision"] == "allow"
    assert headers["Gateway-Rule"] == "CN-EX-HR-01"
    assert headers["Gateway-Mechanism"] == "CN_EX_HR 2024 Provisions Art 5(2)"
    assert headers["Gateway-Policy-Revision"] == gateway.config_revision()
    assert headers["Gateway-Audit-Index"] == "0"
    (received,) = gateway.recipient.received
    forwarded = json.loads(received["body"])
    assert forwarded == {"employee_no": "E-1", "mobile": "*******8000", "email": "****.****@*******.com"}
    assert "Authorization" not in received["headers"]
    assert received["headers"]["Gateway-Decision-Id"] == headers["Gateway-Decision-Id"]
    assert_no_identifiers(gateway)


async def test_unmodified_body_is_forwarded_byte_for_byte(gateway: Harness, token_for: Callable[..., str]) -> None:
    """A transfer without obligations leaves exactly as it came, whitespace and key order included."""
    body = b'{ "period": "2026-10",\n  "headcount": 412 }'
    status, _, _ = await gateway.send(body, token=token_for(), path="/transfer/sg-hr/reports?week=44")
    assert status == 200
    (received,) = gateway.recipient.received
    assert received["body"] == body
    assert received["path"] == "/reports"


async def test_refused_transfer_never_reaches_recipient(gateway: Harness, token_for: Callable[..., str]) -> None:
    """Sensitive PI without a covering mechanism is refused with the rule, reason, explanation and audit index."""
    body = json.dumps({"employee_no": "E-2", "id_card": RESIDENT_ID}).encode()
    status, headers, problem = await gateway.send(body, token=token_for(), scenario="general")
    assert status == 403
    assert headers["Content-Type"].startswith("application/problem+json")
    assert headers["Gateway-Decision"] == "deny"
    assert problem["type"] == "/problems/policy-denied"
    assert problem["rule"] == "CN-SPI-01"
    assert problem["categories"] == ["SPI.GOV_ID"]
    tried = {m["mechanism"]: m for m in problem["explanation"]["mechanisms"]}
    assert tried["CN_SCC"]["why"] == "SIP-SCC-2026-0042 does not cover SPI.GOV_ID"
    assert not any(m["chosen"] for m in tried.values())
    assert problem["decision_id"] == headers["Gateway-Decision-Id"]
    assert problem["audit_index"] == int(headers["Gateway-Audit-Index"])
    assert gateway.recipient.received == []
    (record,) = gateway.decision_records()
    assert record["effect"] == "deny"
    assert record["deciding_rule"] == "CN-SPI-01"
    assert record["individuals"] == 1
    assert len(record["subject_keys"]) == 1
    assert_no_identifiers(gateway)


async def test_purpose_not_permitted_is_refused(gateway: Harness, token_for: Callable[..., str]) -> None:
    """A recipient receives nothing for a purpose outside its agreement."""
    status, _, problem = await gateway.send(json.dumps(EMPLOYEE).encode(), token=token_for(), purpose="marketing")
    assert (status, problem["rule"]) == (403, "RCPT-PURPOSE-01")
    assert gateway.recipient.received == []


def _deep(n: int) -> bytes:
    return b"[" * n + b"]" * n


@pytest.mark.parametrize(
    ("body", "content_type", "status", "kind"),
    [
        pytest.param(
            b'{"mobile": "' + MOBILE.encode() + b'", ', "application/json", 400, "body-malformed", id="malformed"
        ),
        pytest.param(b"mobile=" + MOBILE.encode(), "text/plain", 415, "media-type-unsupported", id="content-type"),
        pytest.param(
            b'{"id": "' + RESIDENT_ID.encode() + b'", "x": "\xff"}', "application/json", 400, "body-encoding", id="utf8"
        ),
        pytest.param(
            b'{"nric": "' + NRIC.encode() + b'", "a": ' + _deep(40) + b"}",
            "application/json",
            400,
            "body-too-deep",
            id="depth",
        ),
        pytest.param(
            b'{"email": "' + EMAIL.encode() + b'", "pad": "' + b"x" * 70_000 + b'"}',
            "application/json",
            413,
            "body-too-large",
            id="size",
        ),
    ],
)
async def test_bad_bodies_get_problem_documents(
    aiohttp_server: ServerFactory,
    tmp_path: Path,
    signing_key: SigningKey,
    token_for: Callable[..., str],
    body: bytes,
    content_type: str,
    status: int,
    kind: str,
) -> None:
    """Each kind of bad body gets its status and problem type, an audit record, and leaks no identifier."""
    async for gw in _start(aiohttp_server, tmp_path, signing_key, limits=Limits(max_body_bytes=65_536)):
        got_status, headers, problem = await gw.send(body, token=token_for(), content_type=content_type)
        assert (got_status, problem["type"]) == (status, f"/problems/{kind}")
        assert "Traceback" not in json.dumps(problem)
        assert gw.recipient.received == []
        (record,) = gw.decision_records()
        assert (record["kind"], record["problem"], record["effect"]) == ("rejection", kind, "deny")
        assert record["decision_id"] == headers["Gateway-Decision-Id"]
        assert_no_identifiers(gw)
        # The process keeps serving after bad input.
        ok_status, _, _ = await gw.send(b'{"period": "2026-10"}', token=token_for())
        assert ok_status == 200


def _wrong_key_token() -> str:
    other = generate_signing_key()
    return mint_token(
        other.private_pem, other.kid, issuer=ISSUER, audience=AUDIENCE, organisation="o", subject="s", roles=[], ttl=600
    )


def _alg_none_token() -> str:
    def b64(doc: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()

    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "org": "o", "exp": 4102444800}
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."


@pytest.mark.parametrize(
    ("make_token", "kind"),
    [
        pytest.param(lambda mint: None, "token-missing", id="missing"),
        pytest.param(lambda mint: "Basic dXNlcjpwYXNz", "token-missing", id="not-bearer"),
        pytest.param(lambda mint: "not.a.jwt", "token-invalid", id="malformed"),
        pytest.param(lambda mint: mint(ttl=-3600), "token-expired", id="expired"),
        pytest.param(lambda mint: _alg_none_token(), "token-invalid", id="alg-none"),
        pytest.param(lambda mint: _wrong_key_token(), "token-invalid", id="wrong-signature"),
    ],
)
async def test_bad_tokens_are_refused_and_audited(
    gateway: Harness, token_for: Callable[..., str], make_token: Callable[..., str | None], kind: str
) -> None:
    """A missing, malformed, expired, unsigned or wrongly signed token gets 401 and an audit record."""
    token = make_token(token_for)
    body = json.dumps(EMPLOYEE | {"nric": NRIC}).encode()
    status, _, problem = await gateway.send(body, token=token)
    assert (status, problem["type"]) == (401, f"/problems/{kind}")
    assert gateway.recipient.received == []
    (record,) = gateway.decision_records()
    assert (record["problem"], record["exporter"]) == (kind, None)
    assert_no_identifiers(gateway)


async def test_unknown_route_is_404_problem(gateway: Harness, token_for: Callable[..., str]) -> None:
    """A route the gateway does not know gets a 404 problem and an audit record."""
    body = json.dumps(EMPLOYEE).encode()
    status, _, problem = await gateway.send(body, token=token_for(), path="/transfer/nowhere/x")
    assert (status, problem["type"]) == (404, "/problems/route-unknown")
    assert gateway.decision_records()[0]["route"] == "nowhere"
    assert_no_identifiers(gateway)


async def test_identifier_in_url_is_refused_and_not_recorded(gateway: Harness, token_for: Callable[..., str]) -> None:
    """Personal data in the URL is refused, and the recorded path has the identifier replaced."""
    status, _, problem = await gateway.send(b"{}", token=token_for(), path=f"/transfer/sg-hr/employees/{RESIDENT_ID}")
    assert (status, problem["type"]) == (400, "/problems/url-personal-data")
    assert gateway.decision_records()[0]["path"] == "/employees/{SPI.GOV_ID}"
    assert_no_identifiers(gateway)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_upstream_refusing_connection_is_502(
    aiohttp_server: ServerFactory, tmp_path: Path, signing_key: SigningKey, token_for: Callable[..., str]
) -> None:
    """A recipient that refuses the connection gives a 502 problem and an outcome record of the fault."""
    async for gw in _start(aiohttp_server, tmp_path, signing_key, upstream=f"http://127.0.0.1:{_closed_port()}"):
        status, _, problem = await gw.send(json.dumps(EMPLOYEE).encode(), token=token_for())
        assert (status, problem["type"]) == (502, "/problems/upstream-unavailable")
        await asyncio.sleep(0.05)  # the outcome record rides the next group commit
        with sqlite3.connect(gw.config.audit_db) as db:
            kinds = [json.loads(r[0])["kind"] for r in db.execute("SELECT leaf FROM records ORDER BY idx")]
            faults = [json.loads(r[0]).get("fault") for r in db.execute("SELECT leaf FROM records ORDER BY idx")]
        assert kinds == ["decision", "outcome"]
        assert faults[1] == "upstream-unavailable"
        assert_no_identifiers(gw)


async def test_upstream_timeout_is_504(
    aiohttp_server: ServerFactory, tmp_path: Path, signing_key: SigningKey, token_for: Callable[..., str]
) -> None:
    """A recipient slower than the total timeout gives a 504 problem."""

    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response()

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", slow)
    limits = Limits(total_timeout=0.3)
    async for gw in _start(aiohttp_server, tmp_path, signing_key, recipient_app=app, limits=limits):
        status, _, problem = await gw.send(json.dumps(EMPLOYEE).encode(), token=token_for())
        assert (status, problem["type"]) == (504, "/problems/upstream-timeout")
        assert_no_identifiers(gw)


async def test_upstream_reset_is_502(
    aiohttp_server: ServerFactory, tmp_path: Path, signing_key: SigningKey, token_for: Callable[..., str]
) -> None:
    """A recipient that drops the connection mid-request gives a 502 problem."""

    async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        writer.transport.abort()

    server = await asyncio.start_server(reset, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async for gw in _start(aiohttp_server, tmp_path, signing_key, upstream=f"http://127.0.0.1:{port}"):
            status, _, problem = await gw.send(json.dumps(EMPLOYEE).encode(), token=token_for())
            assert (status, problem["type"]) == (502, "/problems/upstream-unavailable")
            assert_no_identifiers(gw)
    finally:
        server.close()
        await server.wait_closed()


async def test_over_capacity_is_refused_at_once(
    aiohttp_server: ServerFactory, tmp_path: Path, signing_key: SigningKey, token_for: Callable[..., str]
) -> None:
    """Past the in-flight cap a transfer gets 503 with Retry-After at once instead of waiting in a queue."""
    entered, release = asyncio.Event(), asyncio.Event()

    async def held(_request: web.Request) -> web.Response:
        entered.set()
        await release.wait()
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", held)
    async for gw in _start(aiohttp_server, tmp_path, signing_key, recipient_app=app, limits=Limits(max_in_flight=1)):
        first = asyncio.ensure_future(gw.send(json.dumps(EMPLOYEE).encode(), token=token_for()))
        await asyncio.wait_for(entered.wait(), timeout=5)
        status, headers, problem = await gw.send(json.dumps(EMPLOYEE | {"nric": NRIC}).encode(), token=token_for())
        assert (status, problem["type"], headers["Retry-After"]) == (503, "/problems/overloaded", "1")
        release.set()
        assert (await first)[0] == 200
        for _ in range(100):  # the refusal is recorded with the next commit, not awaited
            if len(gw.decision_records()) == 2:
                break
            await asyncio.sleep(0.01)
        assert [r["problem"] for r in gw.decision_records()] == [None, "overloaded"]
        assert_no_identifiers(gw)


class _FailingAudit:
    """An audit log whose disk is gone."""

    async def append(self, leaf: bytes, *, sealed: Mapping[str, bytes] | None = None) -> int:
        raise AuditUnavailable("disk unavailable")

    def enqueue(self, leaf: bytes) -> None:
        raise AuditUnavailable("disk unavailable")


async def test_audit_failure_fails_closed(
    aiohttp_server: ServerFactory, tmp_path: Path, signing_key: SigningKey, token_for: Callable[..., str]
) -> None:
    """If the decision cannot be made durable, nothing is forwarded and the caller gets 503."""
    async for gw in _start(aiohttp_server, tmp_path, signing_key, audit=_FailingAudit()):
        status, _, problem = await gw.send(json.dumps(EMPLOYEE).encode(), token=token_for())
        assert (status, problem["type"]) == (503, "/problems/audit-unavailable")
        assert gw.recipient.received == []
        assert MOBILE not in gw.log.getvalue()


async def test_health_and_openapi(gateway: Harness) -> None:
    """Health, readiness, problem-type pages and the OpenAPI description are served."""
    async with gateway.client.get(gateway.url + "/healthz") as r:
        assert r.status == 200
    async with gateway.client.get(gateway.url + "/readyz") as r:
        assert r.status == 200
        assert (await r.json())["policy_revision"].startswith("sha256:")
    async with gateway.client.get(gateway.url + "/problems/policy-denied") as r:
        assert (await r.json())["status"] == 403
    async with gateway.client.get(gateway.url + "/openapi.json") as r:
        spec = await r.json()
        assert "/transfer/{route}/{path}" in spec["paths"]
    async with gateway.client.get(gateway.url + "/nothing-here") as r:
        assert r.status == 404
        assert r.headers["Content-Type"].startswith("application/problem+json")


async def test_token_without_sender_role_is_refused(gateway: Harness, token_for: Callable[..., str]) -> None:
    """A valid token without the enterprise role (a regulator's, say) cannot send transfers."""
    status, _, problem = await gateway.send(b'{"period": "2026-10"}', token=token_for(roles=("regulator",)))
    assert (status, problem["type"]) == (403, "/problems/role-missing")
    assert gateway.recipient.received == []
    assert gateway.decision_records()[0]["problem"] == "role-missing"


async def test_request_without_body_is_decided_and_forwarded(gateway: Harness, token_for: Callable[..., str]) -> None:
    """A query without a body carries no data to classify: it is decided, audited and forwarded as it is."""
    status, headers, _ = await gateway.send(
        None, token=token_for(), method="GET", path="/transfer/sg-hr/reports?week=44", content_type=""
    )
    assert (status, headers["Gateway-Rule"]) == (200, "CN-NONPI-01")
    (received,) = gateway.recipient.received
    assert (received["path"], received["body"]) == ("/reports", b"")


async def test_caller_supplied_strings_are_scrubbed_in_records(gateway: Harness, token_for: Callable[..., str]) -> None:
    """Identifiers in a token's subject, a purpose header or an unknown route name never reach the trail."""
    await gateway.send(b'{"period": "2026-10"}', token=token_for(subject=EMAIL), purpose=MOBILE)
    await gateway.send(b"{}", token=token_for(), path=f"/transfer/{MOBILE}/x")
    decision, rejection = gateway.decision_records()
    assert (decision["caller"], decision["purpose"]) == ("{PI.CONTACT}", "{PI.CONTACT}")
    assert rejection["route"] == "{PI.CONTACT}"
    assert_no_identifiers(gateway)


async def test_recipient_answer_in_many_chunks_is_passed_whole(
    aiohttp_server: ServerFactory, tmp_path: Path, signing_key: SigningKey, token_for: Callable[..., str]
) -> None:
    """A recipient that streams its answer in pieces has the whole of it passed back to the caller."""

    async def streamed(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        for piece in (b'{"parts": [', b'"a", ' * 5000, b'"end"]}'):
            await response.write(piece)
            await asyncio.sleep(0.01)
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", streamed)
    async for gw in _start(aiohttp_server, tmp_path, signing_key, recipient_app=app):
        status, _, answer = await gw.send(b'{"period": "2026-10"}', token=token_for())
        assert status == 200
        assert len(answer["parts"]) == 5001


async def test_recipient_answer_over_the_limit_is_502(
    aiohttp_server: ServerFactory, tmp_path: Path, signing_key: SigningKey, token_for: Callable[..., str]
) -> None:
    """An answer larger than the size limit is not relayed: the caller gets a 502 problem."""

    async def huge(_request: web.Request) -> web.Response:
        return web.Response(body=b"x" * 70_000, content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", huge)
    limits = Limits(max_body_bytes=65_536)
    async for gw in _start(aiohttp_server, tmp_path, signing_key, recipient_app=app, limits=limits):
        status, _, problem = await gw.send(b'{"period": "2026-10"}', token=token_for())
        assert (status, problem["type"]) == (502, "/problems/upstream-unavailable")
