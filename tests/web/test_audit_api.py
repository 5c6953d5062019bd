"""The audit trail over real HTTP: who sees what, filters and pages, proofs that verify, exports that verify offline."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.audit.checkpoint import Checkpoint, open_checkpoint
from gateway.audit.export import verify_export
from gateway.audit.merkle import leaf_hash, verify_consistency, verify_inclusion
from gateway.audit.note import NoteVerifier
from gateway.config import Config
from gateway.keys import SigningKey, load_checkpoint_signer
from gateway.web.app import build_app
from gateway.web.witness_client import watch
from tests.conftest import EMAIL, IDENTIFIERS, MOBILE, RESIDENT_ID, Recipient, make_config

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
Mint = Callable[..., str]

OURS, THEIRS = "sip-precision-manufacturing", "sip-energy-grid"  # both admitted to the sandbox


@dataclass
class Trail:
    url: str
    client: aiohttp.ClientSession
    config: Config
    verifier: NoteVerifier
    mint: Mint

    def auth(self, *roles: str, org: str = OURS) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.mint(org, roles=roles)}"}

    async def get(self, path: str, *roles: str, org: str = OURS, **params: Any) -> tuple[int, Any]:
        headers = self.auth(*roles, org=org) if roles else {}
        async with self.client.get(self.url + path, headers=headers, params=params) as r:
            body = await r.read()
            kind = r.headers.get("Content-Type", "")
            parsed = kind.startswith(("application/json", "application/problem"))
            return r.status, json.loads(body) if parsed else body.decode()

    async def send(self, body: dict[str, Any], *, org: str = OURS, purpose: str = "payroll") -> int:
        headers = self.auth("enterprise", org=org) | {"Gateway-Purpose": purpose, "Gateway-Scenario": "hr"}
        async with self.client.post(self.url + "/transfer/sg-hr/employees", json=body, headers=headers) as r:
            await r.read()
            return r.status


@pytest.fixture
async def trail(
    aiohttp_server: ServerFactory, tmp_path: Path, signing_key: SigningKey, token_for: Mint
) -> AsyncIterator[Trail]:
    upstream = await aiohttp_server(Recipient().app())
    config = make_config(tmp_path, signing_key, str(upstream.make_url("")).rstrip("/"))
    server = await aiohttp_server(build_app(config, reload_on_sighup=False))
    verifier = load_checkpoint_signer(config.checkpoint_key, config.audit.origin).verifier
    async with aiohttp.ClientSession() as client:
        yield Trail(str(server.make_url("")).rstrip("/"), client, config, verifier, token_for)


async def _fill(t: Trail) -> None:
    """Transfers by two exporters: contact data (allowed as HR management), one refused for its purpose, and a
    headcount: 4 decision records and 3 outcome records."""
    assert await t.send({"employee_no": "E-1", "mobile": MOBILE, "email": EMAIL}) == 200
    assert await t.send({"employee_no": "E-2", "email": EMAIL}, purpose="marketing") == 403
    assert await t.send({"employee_no": "E-3", "mobile": MOBILE}, org=THEIRS) == 200
    assert await t.send({"period": "2026-10", "headcount": 7}, org=THEIRS) == 200
    await _fresh_checkpoint(t)  # commits the outcome records still queued behind the last answer


async def _fresh_checkpoint(t: Trail) -> Checkpoint:
    async with t.client.post(t.url + "/v1/audit/checkpoint", headers=t.auth("regulator")) as r:
        assert r.status == 200
        return open_checkpoint(await r.text(), [t.verifier], t.verifier.name)


async def test_the_checkpoint_is_public_signed_and_covers_every_committed_record(trail: Trail) -> None:
    await _fill(trail)
    checkpoint = await _fresh_checkpoint(trail)
    status, note = await trail.get("/v1/audit/checkpoint")
    assert status == 200
    assert open_checkpoint(note, [trail.verifier], trail.verifier.name) == checkpoint
    _, page = await trail.get("/v1/audit/records", "regulator", limit=1000)
    assert checkpoint.size == page["size"] == len(page["records"]) == 4 + 3  # 4 decisions, 3 outcomes


async def test_a_fresh_checkpoint_needs_a_regulator_or_operator(trail: Trail) -> None:
    async with trail.client.post(trail.url + "/v1/audit/checkpoint", headers=trail.auth("enterprise")) as r:
        assert r.status == 403
        assert (await r.json())["type"] == "/problems/role-missing"
    async with trail.client.post(trail.url + "/v1/audit/checkpoint", headers=trail.auth("operator")) as r:
        assert r.status == 200


async def test_an_enterprise_sees_its_own_records_and_a_regulator_sees_all(trail: Trail) -> None:
    await _fill(trail)
    _, everything = await trail.get("/v1/audit/records", "regulator")
    _, ours = await trail.get("/v1/audit/records", "enterprise")
    _, theirs = await trail.get("/v1/audit/records", "enterprise", org=THEIRS)
    exporters = {item["record"]["exporter"] for item in everything["records"]}
    assert exporters == {OURS, THEIRS}
    assert {item["record"]["exporter"] for item in ours["records"]} == {OURS}
    assert {item["record"]["exporter"] for item in theirs["records"]} == {THEIRS}
    assert len(ours["records"]) + len(theirs["records"]) == len(everything["records"])
    # the outcome of a transfer belongs to its exporter too
    assert {item["record"]["kind"] for item in theirs["records"]} == {"decision", "outcome"}

    status, problem = await trail.get("/v1/audit/records", "enterprise", exporter=THEIRS)
    assert (status, problem["type"]) == (403, "/problems/role-missing")
    foreign = next(item["index"] for item in theirs["records"])
    status, problem = await trail.get(f"/v1/audit/records/{foreign}", "enterprise")
    assert (status, problem["type"]) == (404, "/problems/record-not-found")
    status, item = await trail.get(f"/v1/audit/records/{foreign}", "regulator")
    assert status == 200
    assert item["record"] == json.loads(item["leaf"])
    status, _ = await trail.get("/v1/audit/records", "operator")
    assert status == 403
    # an organisation claim that is itself personal data names no records (records store it scrubbed)
    status, problem = await trail.get("/v1/audit/records", "enterprise", org=EMAIL)
    assert (status, problem["type"]) == (403, "/problems/role-missing")
    assert EMAIL not in problem["detail"]
    status, _ = await trail.get("/v1/audit/records/99999999999999999999", "regulator")
    assert status == 400
    status, _ = await trail.get("/v1/audit/records")
    assert status == 401


async def test_records_filter_by_effect_category_recipient_kind_and_time(trail: Trail) -> None:
    await _fill(trail)
    _, denied = await trail.get("/v1/audit/records", "regulator", effect="deny")
    assert [item["record"]["deciding_rule"] for item in denied["records"]] == ["RCPT-PURPOSE-01"]
    _, contact = await trail.get("/v1/audit/records", "regulator", category="PI.CONTACT", kind="decision")
    assert len(contact["records"]) == 3
    assert all("PI.CONTACT" in item["record"]["categories"] for item in contact["records"])
    _, outcomes = await trail.get("/v1/audit/records", "regulator", kind="outcome", recipient="sg-hr")
    assert len(outcomes["records"]) == 3
    _, none = await trail.get("/v1/audit/records", "regulator", recipient="nobody")
    assert none["records"] == []
    _, everything = await trail.get("/v1/audit/records", "regulator")
    times = sorted(item["record"]["time"] for item in everything["records"])
    _, later = await trail.get("/v1/audit/records", "regulator", since=times[3])
    assert all(item["record"]["time"] >= times[3] for item in later["records"])
    _, earlier = await trail.get("/v1/audit/records", "regulator", until=times[3])
    assert len(later["records"]) + len(earlier["records"]) == len(times)
    _, future = await trail.get("/v1/audit/records", "regulator", since="2999-01-01T00:00:00+08:00")
    assert future["records"] == []


async def test_pages_follow_next_until_every_record_is_seen_once(trail: Trail) -> None:
    await _fill(trail)
    seen: list[int] = []
    path, params = "/v1/audit/records", {"limit": "2"}
    while True:
        _, page = await trail.get(path, "regulator", **params)
        seen += [item["index"] for item in page["records"]]
        if page["next"] is None:
            break
        path, params = page["next"], {}
    assert seen == list(range(7))


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "5000"}, "limit"),
        ({"after": "-1"}, "after"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-11-28T00:00:00"}, "zone"),
        ({"since": "0001-01-01T00:00:00+01:00"}, "since"),
        ({"after": "9999999999999999999"}, "2**63"),
    ],
)
async def test_bad_record_queries_get_a_problem_naming_the_parameter(
    trail: Trail, params: dict[str, str], needle: str
) -> None:
    status, problem = await trail.get("/v1/audit/records", "regulator", **params)
    assert (status, problem["type"]) == (400, "/problems/query-invalid")
    assert needle in problem["detail"]


async def test_inclusion_and_consistency_proofs_verify_against_signed_checkpoints(trail: Trail) -> None:
    assert await trail.send({"employee_no": "E-1", "mobile": MOBILE}) == 200
    older = await _fresh_checkpoint(trail)
    await _fill(trail)
    newer = await _fresh_checkpoint(trail)
    assert 0 < older.size < newer.size

    status, proof = await trail.get("/v1/audit/proof/consistency", first=older.size, second=newer.size)
    assert status == 200  # public: no token
    hashes = [base64.b64decode(h) for h in proof["proof"]]
    verify_consistency(older.size, newer.size, older.root, newer.root, hashes)

    for index in range(newer.size):
        status, item = await trail.get(f"/v1/audit/records/{index}", "regulator")
        assert status == 200
        status, proof = await trail.get("/v1/audit/proof/inclusion", "regulator", index=index, size=newer.size)
        assert status == 200
        assert base64.b64decode(proof["leaf_hash"]) == leaf_hash(item["leaf"].encode())
        path = [base64.b64decode(h) for h in proof["proof"]]
        verify_inclusion(index, newer.size, leaf_hash(item["leaf"].encode()), path, newer.root)

    _, theirs = await trail.get("/v1/audit/records", "enterprise", org=THEIRS)
    foreign = theirs["records"][0]["index"]
    status, _ = await trail.get("/v1/audit/proof/inclusion", "enterprise", index=foreign, size=newer.size)
    assert status == 404
    status, problem = await trail.get("/v1/audit/proof/consistency", first=newer.size + 1, second=newer.size)
    assert (status, problem["type"]) == (400, "/problems/query-invalid")
    status, problem = await trail.get("/v1/audit/proof/consistency", first=1, second=10**6)
    assert (status, problem["type"]) == (400, "/problems/query-invalid")


async def test_an_export_verifies_offline_and_holds_no_raw_identifier(trail: Trail) -> None:
    await _fill(trail)
    await trail.send({"employee_no": "E-9", "id_card": RESIDENT_ID})
    checkpoint = await _fresh_checkpoint(trail)
    status, text = await trail.get("/v1/audit/export", "regulator")
    assert status == 200
    lines = text.splitlines(keepends=True)
    report = verify_export(lines, [trail.verifier])
    assert report.ok, report.problems
    assert report.size == checkpoint.size == len(lines) - 2
    _, page = await trail.get("/v1/audit/records", "regulator", limit=1000)
    for identifier in IDENTIFIERS:
        assert identifier not in text
        assert identifier not in json.dumps(page, ensure_ascii=False)

    status, part = await trail.get("/v1/audit/export", "regulator", **{"from": "3", "to": "6"})
    assert verify_export(part.splitlines(keepends=True), [trail.verifier]).ok
    assert [json.loads(line)["index"] for line in part.splitlines()[1:-1]] == [3, 4, 5]

    status, _ = await trail.get("/v1/audit/export", "enterprise")
    assert status == 403
    status, problem = await trail.get("/v1/audit/export", "regulator", **{"from": "5", "to": "4"})
    assert (status, problem["type"]) == (400, "/problems/query-invalid")


async def test_the_openapi_description_documents_every_audit_endpoint(trail: Trail) -> None:
    _, spec = await trail.get("/openapi.json")
    for path in (
        "/v1/audit/checkpoint",
        "/v1/audit/records",
        "/v1/audit/records/{index}",
        "/v1/audit/records/{index}/evidence",
        "/v1/audit/proof/inclusion",
        "/v1/audit/proof/consistency",
        "/v1/audit/export",
    ):
        assert path in spec["paths"], path


async def test_a_witness_follows_the_real_gateway(trail: Trail, tmp_path: Path) -> None:
    """`gateway audit watch` against the gateway itself: first sight, then growth proven consistent."""
    state = tmp_path / "witness.json"
    out, err = io.StringIO(), io.StringIO()
    assert await watch(trail.url, trail.verifier, state, out=out, err=err, session=trail.client) == 0
    first = json.loads(state.read_text(encoding="utf-8"))["size"]
    await _fill(trail)
    assert await watch(trail.url, trail.verifier, state, out=out, err=err, session=trail.client) == 0
    assert json.loads(state.read_text(encoding="utf-8"))["size"] == first + 7
    assert "ALARM" not in out.getvalue() + err.getvalue()
