"""Reloads under load: while transfers stream in, the policy flips between two versions that decide them differently.

No transfer may fail, and the audit trail must show, for every decision, a revision that was really loaded and the
effect that revision gives: each transfer is decided wholly by one policy, never by half of a swap.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.keys import SigningKey
from gateway.policy.load import load_policy
from gateway.stores.sqlite_audit import verify_file
from tests.web.test_admin import VERSION_A, VERSION_B, Admin, policy_tree, start_admin, write_policy

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]

SENDERS = 8
MIN_PER_SENDER = 40
RELOADS = 40  # successful ones; a broken candidate is tried every few reloads on top


async def _sender(admin: Admin, done: asyncio.Event, answers: list[tuple[int, str, str | None]]) -> None:
    """Send until the reloads are over (and at least MIN_PER_SENDER); keep (status, decision id, revision)."""
    sent = 0
    while sent < MIN_PER_SENDER or not done.is_set():
        status, headers, doc = await admin.send(purpose="marketing")
        if status == 200:
            assert headers["Gateway-Decision"] == "allow"
        else:
            assert (status, doc["type"], doc["rule"]) == (403, "/problems/policy-denied", "RCPT-PURPOSE-01"), doc
        answers.append((status, headers["Gateway-Decision-Id"], headers.get("Gateway-Policy-Revision")))
        sent += 1


async def _reloader(admin: Admin, done: asyncio.Event, loaded: list[str], refused: list[str]) -> None:
    """Flip the policy file between B and A and reload, RELOADS times; now and then try a broken candidate."""
    try:
        for i in range(RELOADS):
            if i % 7 == 3:
                write_policy(admin.config.policy_dir, VERSION_A.replace("effect: deny", "effect: maybe"))
                code, problem = await admin.reload()
                assert code == 422, problem
                assert problem["revision"] == loaded[-1]
                refused.append(problem["errors"][0]["message"])
            write_policy(admin.config.policy_dir, VERSION_B if i % 2 == 0 else VERSION_A)
            code, result = await admin.reload()
            assert (code, result["changed"]) == (200, True), result
            assert result["previous_revision"] == loaded[-1]
            loaded.append(result["revision"])
            await asyncio.sleep(0.005)  # let a few transfers through under each revision
    finally:
        done.set()


async def test_reloads_under_load_never_fail_a_transfer_and_each_record_names_its_revision(
    aiohttp_server: ServerFactory, tmp_path: Path, signing_key: SigningKey, token_for: Callable[..., str]
) -> None:
    policy_dir = policy_tree(tmp_path, VERSION_A)
    revision_a = load_policy(policy_dir).revision
    write_policy(policy_dir, VERSION_B)
    revision_b = load_policy(policy_dir).revision
    write_policy(policy_dir, VERSION_A)
    effect_of = {revision_a: "allow", revision_b: "deny"}

    async for admin in start_admin(aiohttp_server, tmp_path, signing_key, token_for, policy_dir=policy_dir):
        loaded = [(await admin.status())["revision"]]
        assert loaded == [revision_a]
        done = asyncio.Event()
        answers: list[tuple[int, str, str | None]] = []
        refused: list[str] = []
        await asyncio.gather(
            _reloader(admin, done, loaded, refused), *(_sender(admin, done, answers) for _ in range(SENDERS))
        )

        assert len(loaded) == RELOADS + 1
        assert set(loaded) == {revision_a, revision_b}
        assert len(answers) >= SENDERS * MIN_PER_SENDER
        statuses = {status for status, _, _ in answers}
        assert statuses == {200, 403}, "both versions should have decided some transfers"

        decisions = {d["decision_id"]: d for d in admin.records("decision")}
        assert len(decisions) == len(answers)
        for status, decision_id, header_revision in answers:
            record = decisions[decision_id]
            revision = record["policy_revision"]
            assert revision in loaded
            assert record["effect"] == effect_of[revision], record
            assert record["effect"] == ("allow" if status == 200 else "deny")
            if header_revision is not None:
                assert header_revision == revision

        # The trail shows each change once, in order, and no decision by B before B was first loaded.
        changes = admin.records("policy")
        assert [(c["previous_revision"], c["revision"]) for c in changes] == list(itertools.pairwise(loaded))
        assert len(refused) >= 5
        records = [r for r in admin.all_records() if r["kind"] in {"decision", "policy"}]
        first_b = next(i for i, r in enumerate(records) if r["kind"] == "policy" and r["revision"] == revision_b)
        assert all(r["policy_revision"] == revision_a for r in records[:first_b] if r["kind"] == "decision")
        assert (await admin.status())["revision"] == loaded[-1]
        verify_file(admin.config.audit_db)
