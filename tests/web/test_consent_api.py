"""The consent API over real HTTP: record, read, withdraw, look up; who sees what; receipts that verify."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.audit.record import subject_hash_of
from gateway.config import Config
from gateway.consent.receipt import verify_receipt
from gateway.keys import SigningKey
from gateway.model import Decision, Facts, Json, Principal, Transfer
from gateway.policy.decide import decide
from gateway.web.app import build_app
from gateway.web.consent_api import CONSENTS, MAX_BATCH, RECEIPTS, add_consent_routes
from gateway.web.openapi_consent import CONSENT_PATHS, CONSENT_SCHEMAS
from gateway.web.state import GATEWAY
from tests.conftest import EMAIL, MOBILE, NRIC, RESIDENT_ID, Recipient, make_config
from tests.consent.test_validate import CN_NOTICE

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
Mint = Callable[..., str]
OURS, THEIRS, SG = "sip-precision-manufacturing", "sip-energy-grid", "sg-merlion-retail"


def consent(value: str = RESIDENT_ID, kind: str = "cn_resident_id", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subject": {"type": kind, "value": value},
        "recipients": ["sg-hr"],
        "purposes": ["payroll"],
        "categories": ["PI.*", "SPI.GOV_ID"],
        "separate": True,
        "given_by": "individual",
        "notice": dict(CN_NOTICE),
        "given_at": "2026-03-01T09:00:00+08:00",
        "expires_at": None,
    }
    body.update(changes)
    return body


@dataclass
class Api:
    url: str
    client: aiohttp.ClientSession
    mint: Mint
    app: web.Application
    config: Config

    def auth(self, org: str, roles: tuple[str, ...]) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.mint(org, roles=roles)}"}

    async def call(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        org: str = OURS,
        roles: tuple[str, ...] = ("enterprise",),
        raw: bytes | None = None,
    ) -> tuple[int, Any]:
        headers = self.auth(org, roles) if roles else {}
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        async with self.client.request(method, self.url + path, data=data, headers=headers) as r:
            return r.status, json.loads(await r.read())

    async def record(self, *bodies: dict[str, Any], org: str = OURS) -> list[dict[str, Any]]:
        status, answer = await self.call("POST", "/v1/consents", {"consents": list(bodies)}, org=org)
        assert status == 201, answer
        records: list[dict[str, Any]] = answer["consents"]
        return records


@pytest.fixture
async def api(
    aiohttp_server: ServerFactory, tmp_path: Path, signing_key: SigningKey, token_for: Mint
) -> AsyncIterator[Api]:
    upstream = await aiohttp_server(Recipient().app())
    config = make_config(tmp_path, signing_key, str(upstream.make_url("")).rstrip("/"))
    app = build_app(config, reload_on_sighup=False)
    server = await aiohttp_server(app)
    async with aiohttp.ClientSession() as client:
        yield Api(str(server.make_url("")).rstrip("/"), client, token_for, app, config)


async def test_recording_one_consent_answers_the_record_and_a_receipt_that_verifies(api: Api) -> None:
    status, answer = await api.call("POST", "/v1/consents", consent())
    assert status == 201
    [record] = answer["consents"]
    assert record["status"] == "active"
    assert record["exporter"] == OURS
    assert record["subject"]["type"] == "cn_resident_id"
    assert RESIDENT_ID not in json.dumps(answer)
    status, jwks = await api.call("GET", "/v1/consents/jwks.json", roles=())
    assert status == 200
    claims = verify_receipt(record["receipt"], jwks)
    assert claims["consentReceiptID"] == record["id"]
    assert claims["piiPrincipalId"] == record["subject"]["hash"]


async def test_a_recorded_consent_covers_the_transfer_the_classifier_sees(api: Api) -> None:
    """The registry names the individual as the classifier does, by its strongest identifier: the data path finds the
    consent under the hash of the subject classified in a body."""
    [record] = await api.record(consent())
    gw = api.app[GATEWAY]
    body: Json = {"name": "王芳", "id_no": RESIDENT_ID, "mobile": MOBILE}
    found = gw.policy.classifier.scan(body)
    [subject] = found.subjects
    hashed = subject_hash_of(gw.subject_key, subject)
    consents = await api.app[CONSENTS].lookup(OURS, [hashed])
    assert [c.id for c in consents[hashed]] == [record["id"]]
    assert consents[hashed][0].stands(datetime(2026, 6, 1, tzinfo=UTC))


async def test_a_batch_is_all_or_nothing_and_names_each_bad_field_by_index(api: Api) -> None:
    bad = consent(MOBILE, "cn_mobile", categories=["PI.NOPE"], expires_at="2026-01-01T00:00:00Z")
    status, problem = await api.call("POST", "/v1/consents", {"consents": [consent(), bad, consent(EMAIL, "email")]})
    assert status == 422
    assert problem["type"] == "/problems/consent-invalid"
    assert {(e["index"], e["field"]) for e in problem["errors"]} == {(1, "/categories/0"), (1, "/expires_at")}
    lookup = {"subject": {"type": "cn_resident_id", "value": RESIDENT_ID}}
    assert await api.call("POST", "/v1/consents/lookup", lookup) == (200, {"consents": []})  # the good one neither


async def test_a_batch_over_the_limit_is_refused(api: Api) -> None:
    status, problem = await api.call("POST", "/v1/consents", {"consents": [consent()] * (MAX_BATCH + 1)})
    assert status == 422
    assert problem["errors"][0]["field"] == "/consents"


async def test_missing_notice_fields_get_a_problem_naming_them(api: Api) -> None:
    notice = {k: v for k, v in CN_NOTICE.items() if k != "rights_procedure"}
    status, problem = await api.call("POST", "/v1/consents", consent(notice=notice))
    assert status == 422
    assert [e["field"] for e in problem["errors"]] == ["/notice/rights_procedure"]


async def test_an_invalid_identifier_is_refused_and_never_echoed(api: Api) -> None:
    wrong = RESIDENT_ID[:-1] + "1"  # bad check digit
    status, problem = await api.call("POST", "/v1/consents", consent(wrong))
    assert status == 422
    assert [e["field"] for e in problem["errors"]] == ["/subject/value"]
    assert wrong not in json.dumps(problem)


async def test_withdrawal_takes_effect_on_the_next_lookup_and_is_idempotent(api: Api) -> None:
    [record] = await api.record(consent())
    status, answer = await api.call("POST", f"/v1/consents/{record['id']}/withdraw")
    assert status == 200
    [withdrawn] = answer["consents"]
    assert withdrawn["status"] == "withdrawn"
    status, again = await api.call("POST", f"/v1/consents/{record['id']}/withdraw")
    assert status == 200
    assert again["consents"][0]["withdrawn_at"] == withdrawn["withdrawn_at"]
    hashed = record["subject"]["hash"]
    [fact] = (await api.app[CONSENTS].lookup(OURS, [hashed]))[hashed]
    assert fact.withdrawn


async def test_another_exporters_consent_is_not_found(api: Api) -> None:
    """Reading or withdrawing another exporter's consent answers 404, as for an id that does not exist."""
    [record] = await api.record(consent())
    for method, path in (("GET", f"/v1/consents/{record['id']}"), ("POST", f"/v1/consents/{record['id']}/withdraw")):
        status, problem = await api.call(method, path, org=THEIRS)
        assert status == 404
        assert problem["type"] == "/problems/consent-not-found"
    status, _ = await api.call("GET", "/v1/consents/no-such-id")
    assert status == 404
    status, mine = await api.call("GET", f"/v1/consents/{record['id']}")
    assert status == 200
    assert mine["consents"][0]["status"] == "active"


async def test_a_regulator_reads_any_consent_but_records_none(api: Api) -> None:
    [record] = await api.record(consent())
    status, answer = await api.call("GET", f"/v1/consents/{record['id']}", org="sip-admin", roles=("regulator",))
    assert status == 200
    assert answer["consents"][0]["id"] == record["id"]
    status, problem = await api.call("POST", "/v1/consents", consent(), org="sip-admin", roles=("regulator",))
    assert status == 403
    assert problem["type"] == "/problems/role-missing"


async def test_an_organisation_the_policy_does_not_list_is_refused(api: Api) -> None:
    status, problem = await api.call("POST", "/v1/consents", consent(), org="unknown-co")
    assert status == 403
    assert problem["type"] == "/problems/exporter-unknown"


async def test_without_a_token_nothing_but_the_jwks_is_served(api: Api) -> None:
    status, problem = await api.call("POST", "/v1/consents", consent(), roles=())
    assert status == 401
    assert problem["type"] == "/problems/token-missing"
    status, jwks = await api.call("GET", "/v1/consents/jwks.json", roles=())
    assert status == 200
    assert jwks["keys"][0]["kid"] == api.app[RECEIPTS].kid


async def test_lookup_by_subject_finds_only_the_callers_consents(api: Api) -> None:
    """The identifier goes in the body; the answer names the individual by hash only."""
    [ours] = await api.record(consent())
    await api.record(consent(), org=THEIRS)
    await api.record(consent(MOBILE, "cn_mobile"))
    status, answer = await api.call(
        "POST", "/v1/consents/lookup", {"subject": {"type": "cn_resident_id", "value": RESIDENT_ID}}
    )
    assert status == 200
    assert [r["id"] for r in answer["consents"]] == [ours["id"]]
    assert RESIDENT_ID not in json.dumps(answer)
    status, problem = await api.call(
        "POST", "/v1/consents/lookup", {"subject": {"type": "sg_nric_fin", "value": "S0000000A"}}
    )
    assert status == 422
    assert [e["field"] for e in problem["errors"]] == ["/subject/value"]


async def test_an_exporter_in_singapore_records_with_the_transfer_summary(api: Api) -> None:
    body = consent(
        NRIC,
        "sg_nric_fin",
        recipients=["cn-harbour-data"],
        purposes=["customer_service"],
        categories=["PI.CONTACT"],
        notice={"sg_transfer_summary": "Harbour Data protects your data to a standard comparable to the PDPA."},
    )
    [record] = await api.record(body, org=SG)
    assert record["language"] == "en"
    claims = verify_receipt(record["receipt"], api.app[RECEIPTS].jwks())
    assert claims["jurisdiction"] == "SG"
    assert claims["sensitive"] is False


async def test_a_body_that_is_not_json_is_a_problem(api: Api) -> None:
    status, problem = await api.call("POST", "/v1/consents", raw=b"{not json")
    assert status == 400
    assert problem["type"] == "/problems/body-malformed"


def _stored_bytes(data_dir: Path) -> Iterator[bytes]:
    for path in sorted(data_dir.glob("consents.sqlite3*")):
        yield path.read_bytes()


async def test_no_identifier_sent_is_stored(api: Api) -> None:
    """The values sent through the API are nowhere in the consent database or its WAL, only their hashes."""
    sent = [(RESIDENT_ID, "cn_resident_id"), (MOBILE, "cn_mobile"), (EMAIL, "email")]
    records = await api.record(*(consent(value, kind) for value, kind in sent))
    await api.call("POST", "/v1/consents/lookup", {"subject": {"type": "email", "value": EMAIL}})
    await api.call("POST", f"/v1/consents/{records[0]['id']}/withdraw")
    data = b"".join(_stored_bytes(api.config.data_dir))
    assert records[0]["subject"]["hash"].encode() in data
    for value, _ in sent:
        assert value.encode() not in data
        assert value.lower().encode() not in data


async def test_decide_relies_on_a_recorded_consent_and_refuses_once_it_is_withdrawn(api: Api) -> None:
    """The facts the registry gives the data path: PIPL Art 39 consent recorded through the API lets the shipped
    policy allow the transfer; after withdrawal through the API the next decision refuses, naming the withdrawal."""
    gw = api.app[GATEWAY]
    now = datetime(2026, 6, 1, tzinfo=UTC)
    transfer = Transfer(
        "d-1", now, Principal(OURS, "svc", frozenset({"enterprise"})), "sg-hr", "sg-hr", "SG", "payroll", "general",
        "POST", "/", "application/json",
    )  # fmt: skip
    found = gw.policy.classifier.scan({"name": "王芳", "mobile": MOBILE})
    [subject] = found.subjects

    async def decided() -> Decision:
        hashed = subject_hash_of(gw.subject_key, subject)
        consents = await api.app[CONSENTS].lookup(OURS, [hashed])
        return decide(gw.policy, transfer, found, Facts(1, 0, {subject.pointer: consents.get(hashed, ())}), now)

    assert not (await decided()).allowed
    [record] = await api.record(consent(MOBILE, "cn_mobile"))
    allowed = await decided()
    assert allowed.allowed
    assert allowed.consents == (record["id"],)
    await api.call("POST", f"/v1/consents/{record['id']}/withdraw")
    refused = await decided()
    assert not refused.allowed
    assert refused.rule_id == "CN-PIPL39-01"
    assert f"consent {record['id']} was withdrawn" in refused.reason


def test_every_consent_route_is_described_in_the_openapi_fragment() -> None:
    """The fragment the OpenAPI description merges names each route and method the API serves, and no other."""
    app = web.Application()
    add_consent_routes(app)
    served = {
        (r.resource.canonical, r.method.lower()) for r in app.router.routes() if r.resource and r.method != "HEAD"
    }
    described = {(path, method) for path, ops in CONSENT_PATHS.items() for method in ops}
    assert served == described
    refs = set(_refs(CONSENT_PATHS)) | set(_refs(CONSENT_SCHEMAS))
    assert {ref.rsplit("/", 1)[1] for ref in refs} <= set(CONSENT_SCHEMAS)


def _refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)
