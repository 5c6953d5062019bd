"""The operators' admin API over real HTTP: who may use it, what it shows, and reloads that never break serving."""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.config import Config, PolicySignature
from gateway.errors import AuditUnavailable
from gateway.keys import SigningKey, generate_signing_key
from gateway.policy.bundle import public_pem, sign_directory
from gateway.policy.load import load_policy
from gateway.stores.sqlite_audit import read_records
from gateway.telemetry import configure_logging
from gateway.web.app import build_app
from gateway.web.state import GATEWAY, SIGHUP_RELOAD
from tests.conftest import REPO, Recipient, make_config

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]

POLICY_NAME = "reload-test"


def policy_text(purposes: str) -> str:
    """A small policy: transfers without personal data go to sg-hr for ``purposes``, any other purpose is refused."""
    return f"""\
# A test policy for reloads: which purposes the recipient may receive data for is what changes between versions.
policy: {POLICY_NAME}
vocabulary: ../vocabulary.yaml
accept_content_types: [application/json]
recipients:
  sg-hr:
    name: Merlion People Services Pte. Ltd.
    jurisdiction: SG
    contact: privacy@merlion-people.example
    routes: [sg-hr]
    purposes: [{purposes}]
rules:
  - id: RCPT-PURPOSE-01
    description: The recipient may receive data only for the purposes in its agreement.
    legal: PIPL Art 39; PDPA s.18
    when: {{purpose_permitted: false}}
    effect: deny
  - id: CN-NONPI-01
    description: Data without personal information needs no transfer mechanism.
    legal: 2024 Provisions Art 3
    when: {{level_at_most: general, purpose_permitted: true}}
    effect: allow
"""


VERSION_A = policy_text("payroll, marketing")  # allows marketing
VERSION_B = policy_text("payroll")  # refuses marketing
REPORT = b'{"period": "2026-10", "headcount": 412}'


def write_policy(directory: Path, text: str) -> None:
    """Replace ``policy.yaml`` at once, as an operator's deploy tool would (a reader never sees half a file)."""
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / "policy.yaml.tmp"
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(directory / "policy.yaml")


def policy_tree(tmp_path: Path, text: str = VERSION_A, name: str = POLICY_NAME) -> Path:
    """A copy of the shipped ``policies/`` tree (for the vocabulary) with ``text`` as ``policies/<name>``."""
    root = tmp_path / "policies"
    if not root.exists():
        shutil.copytree(REPO / "policies", root)
    write_policy(root / name, text)
    return root / name


@dataclass
class Admin:
    """A running gateway with its app, for admin calls and transfers."""

    url: str
    app: web.Application
    server: TestServer
    config: Config
    client: aiohttp.ClientSession
    log: io.StringIO
    operator: str
    sender: str

    async def call(self, method: str, path: str, token: str | None = None) -> tuple[int, dict[str, str], Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.client.request(method, self.url + path, headers=headers) as r:
            return r.status, dict(r.headers), await r.json(content_type=None)

    async def status(self) -> dict[str, Any]:
        code, _, doc = await self.call("GET", "/v1/admin/policy", self.operator)
        assert code == 200, doc
        return dict(doc)

    async def reload(self) -> tuple[int, dict[str, Any]]:
        code, _, doc = await self.call("POST", "/v1/admin/policy/reload", self.operator)
        return code, dict(doc)

    async def send(self, purpose: str = "marketing", body: bytes = REPORT) -> tuple[int, dict[str, str], Any]:
        headers = {
            "Authorization": f"Bearer {self.sender}",
            "Content-Type": "application/json",
            "Gateway-Purpose": purpose,
        }
        async with self.client.post(self.url + "/transfer/sg-hr/reports", data=body, headers=headers) as r:
            return r.status, dict(r.headers), await r.json(content_type=None)

    def all_records(self) -> list[dict[str, Any]]:
        """The audit trail's records, in order."""
        return [json.loads(leaf) for _, leaf, _ in read_records(self.config.audit_db)]

    def records(self, kind: str) -> list[dict[str, Any]]:
        return [leaf for leaf in self.all_records() if leaf["kind"] == kind]


async def start_admin(
    aiohttp_server: ServerFactory,
    tmp_path: Path,
    signing_key: SigningKey,
    token_for: Callable[..., str],
    *,
    policy_dir: Path | None = None,
    audit: Any = None,
    **changes: Any,
) -> AsyncIterator[Admin]:
    """A recipient, and a gateway in front of it running the test policy (``changes`` amend the configuration)."""
    recipient = await aiohttp_server(Recipient().app())
    config = make_config(tmp_path, signing_key, str(recipient.make_url("")).rstrip("/"))
    config = replace(config, policy_dir=policy_dir or policy_tree(tmp_path), **changes)
    log = io.StringIO()
    configure_logging(log)
    app = build_app(config, audit=audit)
    server = await aiohttp_server(app)
    operator = token_for("sip-park-operations", subject="ops-li", roles=("operator",))
    async with aiohttp.ClientSession() as client:
        yield Admin(str(server.make_url("")).rstrip("/"), app, server, config, client, log, operator, token_for())


@pytest.fixture
async def admin(
    aiohttp_server: ServerFactory, tmp_path: Path, signing_key: SigningKey, token_for: Callable[..., str]
) -> AsyncIterator[Admin]:
    async for harness in start_admin(aiohttp_server, tmp_path, signing_key, token_for):
        yield harness


def _untrusted_token() -> str:
    from gateway.cli import mint_token  # noqa: PLC0415
    from gateway.demo import AUDIENCE, ISSUER  # noqa: PLC0415

    other = generate_signing_key()
    return mint_token(
        other.private_pem,
        other.kid,
        issuer=ISSUER,
        audience=AUDIENCE,
        organisation="o",
        subject="s",
        roles=["operator"],
        ttl=600,
    )


@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/admin/policy"), ("POST", "/v1/admin/policy/reload")])
async def test_admin_needs_an_operator_token(
    admin: Admin, token_for: Callable[..., str], method: str, path: str
) -> None:
    """No token or a bad one is 401, a valid token without the operator role is 403; each a problem document."""
    cases = [
        (None, 401, "token-missing"),
        ("not.a.jwt", 401, "token-invalid"),
        (_untrusted_token(), 401, "token-invalid"),
        (token_for(ttl=-3600, roles=("operator",)), 401, "token-expired"),
        (token_for(), 403, "role-missing"),  # an enterprise may send transfers, not reload policies
        (token_for(roles=("regulator",)), 403, "role-missing"),
    ]
    for token, status, kind in cases:
        code, headers, problem = await admin.call(method, path, token)
        assert (code, problem["type"]) == (status, f"/problems/{kind}")
        assert headers["Content-Type"].startswith("application/problem+json")
    assert admin.records("policy") == []


async def test_status_shows_the_running_policy(admin: Admin) -> None:
    """GET names the policy, its revision, when (UTC) and from where it was loaded; no shadow is configured."""
    before = datetime.now(UTC)
    doc = await admin.status()
    assert doc["policy"] == POLICY_NAME
    assert doc["revision"] == load_policy(admin.config.policy_dir).revision
    assert doc["source"] == str(admin.config.policy_dir)
    loaded_at = datetime.fromisoformat(doc["loaded_at"])
    assert loaded_at.utcoffset() == timedelta(0)
    assert before - timedelta(minutes=1) < loaded_at <= datetime.now(UTC)
    assert doc["shadow"] is None
    assert doc["signed_by"] is None


async def test_reload_swaps_in_a_changed_policy_and_records_it(admin: Admin) -> None:
    """A changed file gives a new revision, recorded in the audit trail before it decides; a no-op writes nothing."""
    revision_a = (await admin.status())["revision"]
    status, headers, _ = await admin.send()
    assert (status, headers["Gateway-Decision"]) == (200, "allow")

    write_policy(admin.config.policy_dir, VERSION_B)
    code, result = await admin.reload()
    assert code == 200, result
    revision_b = load_policy(admin.config.policy_dir).revision
    assert result["changed"] is True
    assert (result["previous_revision"], result["revision"]) == (revision_a, revision_b)
    assert datetime.fromisoformat(result["loaded_at"]) <= datetime.now(UTC)
    assert (await admin.status())["revision"] == revision_b

    status, headers, problem = await admin.send()
    assert (status, problem["type"], problem["rule"]) == (403, "/problems/policy-denied", "RCPT-PURPOSE-01")
    if "Gateway-Policy-Revision" in headers:
        assert headers["Gateway-Policy-Revision"] == revision_b

    (change,) = admin.records("policy")
    assert change["policy"] == POLICY_NAME
    assert (change["previous_revision"], change["revision"]) == (revision_a, revision_b)
    assert (change["requested_by"], change["via"]) == ("ops-li", "admin-api")
    assert change["time"].endswith("Z")
    decisions = admin.records("decision")
    assert [d["policy_revision"] for d in decisions] == [revision_a, revision_b]
    assert [d["effect"] for d in decisions] == ["allow", "deny"]

    # Unchanged files (a comment does not change the meaning): nothing changes and nothing is recorded.
    write_policy(admin.config.policy_dir, "# reviewed again\n" + VERSION_B)
    code, again = await admin.reload()
    assert code == 200
    assert again == result | {"changed": False, "previous_revision": revision_b}
    assert len(admin.records("policy")) == 1
    assert '"event": "policy_reloaded"' in admin.log.getvalue()


def _unknown_field(text: str) -> str:
    return text.replace("    effect: deny\n", "    effect: deny\n    colour: red\n")


def _routes_recipient_missing(text: str) -> str:
    return text.replace("  sg-hr:\n", "  sg-payroll:\n").replace("routes: [sg-hr]", "routes: [sg-payroll]")


@pytest.mark.parametrize(
    ("mangle", "line_marker", "message"),
    [
        pytest.param(lambda t: t + "rules: [\n", None, "YAML", id="invalid-yaml"),
        pytest.param(_unknown_field, "colour: red", "colour", id="unknown-field"),
        pytest.param(
            lambda t: t.replace("    contact: privacy@merlion-people.example\n", ""), None, "contact", id="missing"
        ),
        pytest.param(_routes_recipient_missing, None, "sg-hr", id="route-recipient"),
    ],
)
async def test_broken_candidate_is_refused_and_serving_goes_on(
    admin: Admin, mangle: Callable[[str], str], line_marker: str | None, message: str
) -> None:
    """A candidate with problems gets 422 listing each (file, line, message); the running revision stays."""
    running = (await admin.status())["revision"]
    broken = mangle(VERSION_B)
    write_policy(admin.config.policy_dir, broken)
    code, problem = await admin.reload()
    assert code == 422, problem
    assert problem["type"] == "/problems/policy-invalid"
    assert problem["revision"] == running
    assert problem["errors"], problem
    for error in problem["errors"]:
        assert set(error) <= {"file", "line", "column", "message"}
        assert isinstance(error["message"], str)
    assert any(message in e["message"] for e in problem["errors"]), problem["errors"]
    if line_marker is not None:
        want = next(i for i, line in enumerate(broken.splitlines(), 1) if line_marker in line)
        assert any(e["line"] == want and e["file"].endswith("policy.yaml") for e in problem["errors"])
    assert (await admin.status())["revision"] == running
    status, headers, _ = await admin.send()  # version A still decides: marketing is allowed
    assert (status, headers["Gateway-Decision"]) == (200, "allow")
    assert admin.records("policy") == []
    assert '"event": "policy_reload_problem"' in admin.log.getvalue()


class _FailingAudit:
    """An audit log whose disk is gone."""

    async def append(self, leaf: bytes, *, sealed: Mapping[str, bytes] | None = None) -> int:
        raise AuditUnavailable("disk unavailable")

    def enqueue(self, leaf: bytes) -> None:
        raise AuditUnavailable("disk unavailable")


async def test_a_change_the_trail_cannot_record_is_not_made(
    aiohttp_server: ServerFactory, tmp_path: Path, signing_key: SigningKey, token_for: Callable[..., str]
) -> None:
    """If the policy record cannot be made durable, the reload answers 503 and the running policy stays."""
    async for admin in start_admin(aiohttp_server, tmp_path, signing_key, token_for, audit=_FailingAudit()):
        running = (await admin.status())["revision"]
        write_policy(admin.config.policy_dir, VERSION_B)
        code, problem = await admin.reload()
        assert (code, problem["type"]) == (503, "/problems/audit-unavailable")
        assert (await admin.status())["revision"] == running


async def test_sighup_reloads_and_the_handler_goes_with_the_app(admin: Admin) -> None:
    """SIGHUP reloads like the API (recorded as asked by 'signal'); the handler is removed when the app stops."""
    if not admin.app[SIGHUP_RELOAD].installed:
        pytest.skip("this event loop cannot take signal handlers")
    running = (await admin.status())["revision"]
    write_policy(admin.config.policy_dir, VERSION_B)
    os.kill(os.getpid(), signal.SIGHUP)
    for _ in range(200):
        if (await admin.status())["revision"] != running:
            break
        await asyncio.sleep(0.02)
    (change,) = admin.records("policy")
    assert (change["previous_revision"], change["requested_by"], change["via"]) == (running, "signal", "signal")
    assert '"via": "signal"' in admin.log.getvalue()
    await admin.server.close()
    assert not admin.app[SIGHUP_RELOAD].installed
    assert signal.getsignal(signal.SIGHUP) == signal.SIG_DFL


async def test_shadow_policy_is_shown_reloaded_and_never_enforced(
    aiohttp_server: ServerFactory, tmp_path: Path, signing_key: SigningKey, token_for: Callable[..., str]
) -> None:
    """The shadow policy is loaded beside the live one; the live one decides; both reload together."""
    live_dir = policy_tree(tmp_path, VERSION_A)
    shadow_dir = policy_tree(tmp_path, VERSION_B, name="reload-test-next")
    async for admin in start_admin(
        aiohttp_server, tmp_path, signing_key, token_for, policy_dir=live_dir, shadow_policy_dir=shadow_dir
    ):
        doc = await admin.status()
        shadow = doc["shadow"]
        assert shadow["revision"] == load_policy(shadow_dir).revision != doc["revision"]
        assert (shadow["policy"], shadow["source"], shadow["evaluated"], shadow["differing"]) == (
            POLICY_NAME,
            str(shadow_dir),
            0,
            0,
        )
        status, headers, _ = await admin.send()  # the shadow would refuse; it is not enforced
        assert (status, headers["Gateway-Decision"]) == (200, "allow")
        await admin.send(purpose="payroll")
        if hasattr(admin.app[GATEWAY], "shadow_stats"):  # the data path observes the shadow decisions
            shadow = (await admin.status())["shadow"]
            assert (shadow["evaluated"], shadow["differing"]) == (2, 1)

        write_policy(shadow_dir, VERSION_A)  # the candidate now agrees with the live policy
        code, result = await admin.reload()
        assert code == 200
        assert (result["changed"], result["shadow_changed"]) == (False, True)
        assert result["shadow_revision"] == doc["revision"]
        shadow = (await admin.status())["shadow"]
        assert (shadow["revision"], shadow["evaluated"], shadow["differing"]) == (doc["revision"], 0, 0)
        assert admin.records("policy") == []  # the shadow decides nothing: no change for the trail

        write_policy(shadow_dir, _unknown_field(VERSION_B))  # a broken shadow refuses the whole reload
        write_policy(live_dir, VERSION_B)
        code, problem = await admin.reload()
        assert code == 422
        assert all(e["file"].startswith(str(shadow_dir)) for e in problem["errors"])
        assert (await admin.status())["revision"] == doc["revision"]


async def test_signed_policy_reload_refuses_tampered_files(
    aiohttp_server: ServerFactory, tmp_path: Path, signing_key: SigningKey, token_for: Callable[..., str]
) -> None:
    """With signatures required, a signed candidate is swapped in and a tampered one is refused with the reason."""
    operator_key = generate_signing_key()
    key_file = tmp_path / "operator.pub.pem"
    key_file.write_bytes(public_pem(operator_key.private_pem))
    live_dir = policy_tree(tmp_path, VERSION_A)
    sign_directory(live_dir, operator_key.private_pem)
    signature = PolicySignature(required=True, public_keys=(key_file,))
    async for admin in start_admin(
        aiohttp_server, tmp_path, signing_key, token_for, policy_dir=live_dir, policy_signature=signature
    ):
        assert (await admin.status())["signed_by"] == operator_key.kid
        write_policy(live_dir, VERSION_B)
        sign_directory(live_dir, operator_key.private_pem)
        code, result = await admin.reload()
        assert (code, result["changed"]) == (200, True)
        (change,) = admin.records("policy")
        assert change["signed_by"] == operator_key.kid

        write_policy(live_dir, VERSION_A)  # changed after signing
        code, problem = await admin.reload()
        assert code == 422
        (error,) = problem["errors"]
        assert "tampered" in error["message"]
        assert error["file"] == str(live_dir / "policy.jws")
        assert (await admin.status())["revision"] == result["revision"]


async def test_openapi_describes_the_admin_api(admin: Admin) -> None:
    code, _, spec = await admin.call("GET", "/openapi.json")
    assert code == 200
    assert spec["paths"]["/v1/admin/policy"]["get"]["security"] == [{"bearer": []}]
    reload = spec["paths"]["/v1/admin/policy/reload"]["post"]
    assert {"200", "401", "403", "422", "503"} <= set(reload["responses"])
    assert "errors" in spec["components"]["schemas"]["AdminProblem"]["properties"]
    code, _, page = await admin.call("GET", "/problems/policy-invalid")
    assert (code, page["status"]) == (200, 422)
