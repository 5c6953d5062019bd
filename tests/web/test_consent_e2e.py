"""Consent and mechanisms as live facts, through the real gateway over HTTP: consent recorded through the API makes a
transfer pass, withdrawal makes it fail again, unconsented records are dropped where the policy says so, a child's
data needs a guardian's consent, and an expired contract refuses."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.config import Config, Route
from gateway.keys import SigningKey
from gateway.pipeline import Gateway
from gateway.policy.context import CORRIDOR_TIME
from gateway.web.app import build_app
from gateway.web.state import GATEWAY
from tests.conftest import EMAIL, MOBILE, Recipient, make_config

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
Mint = Callable[..., str]

CN, SG = "sip-precision-manufacturing", "sg-merlion-retail"
CHILD_ID = "110105201601010006"  # constructed, nobody's: see policies/sip-sg/tests/cn-consent.yaml
PIPL39_NOTICE = {
    "recipient_name": "the recipient",
    "recipient_contact": "privacy@recipient.example",
    "purpose": "the purpose",
    "method": "transfer through the SIP gateway",
    "categories": "contact details",
    "rights_procedure": "write to the recipient",
}
ROUTES = {  # route -> (recipient, default purpose)
    "sg-legacy-payroll": "payroll",
    "sg-learning": "student_exchange",
    "cn-jinji-fulfilment": "customer_service",
}


@dataclass
class Gw:
    url: str
    client: aiohttp.ClientSession
    mint: Mint
    recipient: Recipient
    config: Config
    app: web.Application

    def auth(self, org: str = CN) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.mint(org)}"}

    async def send(self, route: str, body: Any, *, org: str = CN, purpose: str, scenario: str = "general") -> Any:
        headers = self.auth(org) | {"Gateway-Purpose": purpose, "Gateway-Scenario": scenario}
        async with self.client.post(f"{self.url}/transfer/{route}/records", json=body, headers=headers) as r:
            return r.status, r.headers.get("Gateway-Rule"), await r.json(content_type=None)

    async def consent(self, record: dict[str, Any], *, org: str = CN) -> dict[str, Any]:
        async with self.client.post(f"{self.url}/v1/consents", json=record, headers=self.auth(org)) as r:
            assert r.status == 201, await r.text()
            [stored] = (await r.json())["consents"]
            return dict(stored)

    async def withdraw(self, consent_id: str, *, org: str = CN) -> None:
        async with self.client.post(f"{self.url}/v1/consents/{consent_id}/withdraw", headers=self.auth(org)) as r:
            assert r.status == 200


@pytest.fixture
async def gw(
    aiohttp_server: ServerFactory, tmp_path: Path, signing_key: SigningKey, token_for: Mint
) -> AsyncIterator[Gw]:
    recipient = Recipient()
    upstream = await aiohttp_server(recipient.app())
    base = str(upstream.make_url("")).rstrip("/")
    config = make_config(tmp_path, signing_key, base)
    routes = dict(config.routes) | {name: Route(name, base, name, purpose) for name, purpose in ROUTES.items()}
    config = replace(config, routes=routes)
    app = build_app(config, reload_on_sighup=False)
    server = await aiohttp_server(app)
    async with aiohttp.ClientSession() as client:
        yield Gw(str(server.make_url("")).rstrip("/"), client, token_for, recipient, config, app)


@pytest.fixture
def app_state(gw: Gw) -> Gateway:
    """The running gateway's data path (its stores), to set up a year that is already under way."""
    return gw.app[GATEWAY]


def _cn_consent(subject: dict[str, str], recipient: str, purpose: str, **more: Any) -> dict[str, Any]:
    return {
        "subject": subject,
        "recipients": [recipient],
        "purposes": [purpose],
        "categories": ["PI.*"],
        "separate": True,
        "given_by": "individual",
        "notice": PIPL39_NOTICE,
        "given_at": "2026-01-05T09:00:00+08:00",
    } | more


async def test_consent_recorded_then_withdrawn_decides_the_same_transfer(gw: Gw) -> None:
    card = {"employee_no": "E-1", "mobile": MOBILE}
    assert (await gw.send("sg-hr", card, purpose="payroll"))[:2] == (403, "CN-PIPL39-01")
    stored = await gw.consent(_cn_consent({"type": "cn_mobile", "value": MOBILE}, "sg-hr", "payroll"))
    assert (await gw.send("sg-hr", card, purpose="payroll"))[:2] == (200, "CN-VOL-SCC-01")
    assert [json.loads(r["body"]) for r in gw.recipient.received] == [{"employee_no": "E-1", "mobile": "*******8000"}]
    await gw.withdraw(stored["id"])
    status, rule, problem = await gw.send("sg-hr", card, purpose="payroll")
    assert (status, rule) == (403, "CN-PIPL39-01")
    assert f"consent {stored['id']} was withdrawn" in json.dumps(problem)
    assert len(gw.recipient.received) == 1  # nothing more left
    databases = sorted(gw.config.data_dir.glob("*.sqlite3*"))  # audit log, consents, counters, with their WALs
    assert {p.name.split(".")[0] for p in databases} == {"audit", "consents", "counters"}
    on_disk = b"".join(p.read_bytes() for p in databases)
    for raw in (MOBILE, EMAIL):
        assert raw.encode() not in on_disk


async def test_records_without_consent_are_dropped_where_the_policy_says_so(gw: Gw) -> None:
    """Singapore outbound under consent (PDPR reg 10): the unconsented customer's record stays behind."""
    customers = {"customers": [{"customer": "C-1", "email": EMAIL}, {"customer": "C-2", "email": "lim.jj@example.com"}]}
    await gw.consent(
        {
            "subject": {"type": "email", "value": EMAIL},
            "recipients": ["cn-jinji-fulfilment"],
            "purposes": ["customer_service"],
            "categories": ["PI.*"],
            "separate": False,
            "given_by": "individual",
            "notice": {"sg_transfer_summary": "Your order data goes to Jinji Fulfilment in China for delivery."},
            "given_at": "2026-05-01T09:00:00+08:00",
        },
        org=SG,
    )
    status, rule, _ = await gw.send("cn-jinji-fulfilment", customers, org=SG, purpose="customer_service")
    assert (status, rule) == (200, "SG-CONSENT-01")
    [forwarded] = [json.loads(r["body"]) for r in gw.recipient.received]
    assert forwarded == {"customers": [{"customer": "C-1", "email": EMAIL}]}


async def test_a_child_needs_the_guardians_consent(gw: Gw) -> None:
    application = {"programme": "summer-2026", "id_card": CHILD_ID}
    child = {"type": "cn_resident_id", "value": CHILD_ID}
    categories = ["PI.*", "SPI.GOV_ID", "SPI.MINOR_U14"]
    own = await gw.consent(
        _cn_consent(child, "sg-learning", "student_exchange", categories=categories, given_by="individual")
    )
    status, rule, _ = await gw.send("sg-learning", application, purpose="student_exchange")
    assert (status, rule) == (403, "CN-MINOR-01")  # the child's own consent is not enough under 14
    await gw.withdraw(own["id"])
    await gw.consent(_cn_consent(child, "sg-learning", "student_exchange", categories=categories, given_by="guardian"))
    status, rule, _ = await gw.send("sg-learning", application, purpose="student_exchange")
    assert (status, rule) == (200, "CN-VOL-SCC-01")


async def test_an_expired_contract_refuses_even_with_consent(gw: Gw, app_state: Gateway) -> None:
    """In the contract band (the exporter has sent 100,000 individuals this year), sg-legacy-payroll's standard
    contract, which ended on 2026-02-28, carries nothing; sg-hr's, in force, carries the same record."""
    counters, year = app_state.counters, datetime.now(CORRIDOR_TIME).year
    so_far = {f"{n:064x}": False for n in range(100_000)}  # the year so far
    async with counters.counting(CN, year, so_far) as held:
        held.reserve(so_far)
    subject = {"type": "cn_mobile", "value": MOBILE}
    await gw.consent(_cn_consent(subject, "sg-legacy-payroll", "payroll"))
    await gw.consent(_cn_consent(subject, "sg-hr", "payroll"))
    record = {"employee_no": "E-7", "mobile": MOBILE}
    status, _, problem = await gw.send("sg-legacy-payroll", record, purpose="payroll")
    assert status == 403
    assert "SIP-SCC-2023-0011" in json.dumps(problem)
    assert "expired on 2026-02-28" in json.dumps(problem)
    assert gw.recipient.received == []
    assert (await gw.send("sg-hr", record, purpose="payroll"))[:2] == (200, "CN-VOL-SCC-01")


@pytest.mark.parametrize("given_by", [[], {}, 1, None])
async def test_a_consent_of_the_wrong_shape_is_a_problem_naming_the_field(gw: Gw, given_by: Any) -> None:
    record = _cn_consent({"type": "cn_mobile", "value": MOBILE}, "sg-hr", "payroll", given_by=given_by)
    async with gw.client.post(f"{gw.url}/v1/consents", json=record, headers=gw.auth()) as r:
        assert r.status == 422
        problem = await r.json()
    assert [e["field"] for e in problem["errors"]] == ["/given_by"]
    assert MOBILE not in json.dumps(problem)
