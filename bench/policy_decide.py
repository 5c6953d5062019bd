"""The time of one policy decision on a policy of 200 rules (median and p99), beside baselines from the same run.

``python bench/policy_decide.py`` writes a synthetic policy to a temporary folder and compiles it with the real
loader: the vocabulary of ``policies/``, 60 recipients (in Singapore and in China, each holding a mechanism), and
200 rules: a corridor core of deny/allow/oblige rules on categories, levels, volume bands and consent, plus rules
that name one recipient each (purpose limits, masking, mechanism choices) as operators write them per contract.

It then times ``decide()`` for a mix of transfers (no personal data, contact details, sensitive data, many
individuals with consent), the classification done beforehand, so only the decision is measured. Two baselines in
the same run put the numbers in proportion: the same transfers under a one-rule policy, and under a 200-rule
policy whose rules name no recipient or origin (so the index cannot skip any: the worst case).
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.classify import scan  # noqa: E402 - after the path set-up above
from gateway.classify.age import flag_minors  # noqa: E402
from gateway.model import Classification, Consent, Facts, Json, Principal, Transfer  # noqa: E402
from gateway.policy.compiled import CompiledPolicy  # noqa: E402
from gateway.policy.decide import decide  # noqa: E402
from gateway.policy.load import load_policy  # noqa: E402

NOW = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
RECIPIENTS = 60


def _recipients() -> str:
    out = ["recipients:"]
    for i in range(RECIPIENTS):
        sg = i % 3 != 0
        mechanism = ("CN_SCC" if i % 2 else "CN_CERT") if sg else "SG_LEO_CONTRACT"
        countries = "" if sg else "\n        countries: [CN]"
        out.append(
            f"""  r{i}:
    name: Recipient {i} Ltd.
    jurisdiction: {"SG" if sg else "CN"}
    contact: privacy@r{i}.example
    routes: [r{i}]
    purposes: [hr_administration, payroll, customer_service]
    mechanisms:
      - id: {mechanism}
        reference: REF-{i}
        valid_from: 2026-01-01
        valid_until: 2028-12-31
        categories: [NP.*, PI.*, SPI.GOV_ID, SPI.FIN_ACCOUNT]{countries}"""
        )
    return "\n".join(out)


_CORE = """
  - id: CN-CORE
    description: Core data stays.
    legal: DSL Art 21
    when: {origin: [CN], categories_any: [CORE.*]}
    effect: deny
  - id: CN-IMP
    description: Important data needs an assessment.
    legal: 2024 Provisions Art 7
    when: {origin: [CN], categories_any: [IMP.*], lacks_mechanism: [CN_SA]}
    effect: deny
  - id: PURPOSE
    description: Only declared purposes.
    legal: PIPL Art 39
    when: {purpose_permitted: false}
    effect: deny
  - id: CN-VOL-SA
    description: Over the assessment band.
    legal: 2024 Provisions Art 7
    when:
      origin: [CN]
      any: [{ytd_personal: {at_least: 1000000}}, {ytd_sensitive: {at_least: 10000}}]
      lacks_mechanism: [CN_SA]
      not: {scenarios: [hr, trade]}
    effect: deny
  - id: CN-NONPI
    description: No personal data.
    legal: 2024 Provisions Art 3
    when: {origin: [CN], level_at_most: general}
    effect: allow
  - id: CN-SCC
    description: Standard contract band.
    legal: 2024 Provisions Art 8
    when:
      origin: [CN]
      level_at_least: personal
      any: [{ytd_personal: {at_least: 100000, below: 1000000}}, {ytd_sensitive: {at_least: 1, below: 10000}}]
    effect: allow
    mechanism: [CN_SCC, CN_CERT, CN_SA]
  - id: CN-SMALL
    description: Small volume.
    legal: 2024 Provisions Art 5(4)
    when: {origin: [CN], level_at_most: personal, ytd_personal: {below: 100000}, ytd_sensitive: {below: 1}}
    effect: allow
    mechanism: [CN_EX_SMALL]
  - id: CN-CONSENT
    description: Separate consent.
    legal: PIPL Art 39
    when: {origin: [CN], level_at_least: personal}
    effect: oblige
    obligations:
      - require_consent: {categories: [PI.*, SPI.*], separate: true, on_missing: refuse}
  - id: SG-TLO
    description: Transfer limitation.
    legal: PDPA s.26
    when: {origin: [SG], level_at_least: personal, lacks_mechanism: [SG_LEO_CONTRACT, SG_LEO_BCR]}
    effect: deny
  - id: SG-LEO
    description: Contract.
    legal: PDPR reg 11
    when: {origin: [SG]}
    effect: allow
    mechanism: [SG_LEO_CONTRACT, SG_LEO_BCR]
"""


def _per_recipient(count: int, *, indexed: bool) -> str:
    out = []
    for n in range(count):
        i = n % RECIPIENTS
        who = f"recipients: [r{i}], " if indexed else f"routes: [r{i}], "
        kind = n % 4
        if kind == 0:
            out.append(
                f"""  - id: R{n}-PURPOSE
    description: Recipient {i} takes no marketing data.
    legal: contract clause {n}
    when: {{{who}purposes: [marketing]}}
    effect: deny"""
            )
        elif kind == 1:
            out.append(
                f"""  - id: R{n}-MASK
    description: Recipient {i} sees masked contact details.
    legal: PIPL Art 6
    when: {{{who}categories_any: [PI.CONTACT]}}
    effect: oblige
    obligations:
      - mask: {{categories: [PI.CONTACT], keep_last: 4}}"""
            )
        elif kind == 2:
            out.append(
                f"""  - id: R{n}-SPI
    description: Recipient {i} takes no health data.
    legal: contract clause {n}
    when: {{{who}categories_any: [SPI.HEALTH, SPI.BIOMETRIC]}}
    effect: deny"""
            )
        else:
            out.append(
                f"""  - id: R{n}-PAYROLL
    description: Payroll to recipient {i}.
    legal: PIPL Art 38(3)
    when: {{{who}purposes: [payroll], individuals: {{below: 500}}}}
    effect: allow
    mechanism: [CN_SCC, CN_CERT]"""
            )
    return "\n".join(out)


_EXPORTERS = """
exporters:
  cn-exporter: {name: "CN Exporter Co., Ltd.", jurisdiction: CN}
  sg-exporter: {name: "SG Exporter Pte. Ltd.", jurisdiction: SG}
"""


def write_policy(directory: Path, rules: str) -> Path:
    directory.mkdir(parents=True)
    shutil.copy(ROOT / "policies" / "vocabulary.yaml", directory.parent / "vocabulary.yaml")
    text = "policy: bench\nvocabulary: ../vocabulary.yaml\naccept_content_types: [application/json]\n"
    (directory / "policy.yaml").write_text(text + _EXPORTERS + _recipients() + "\nrules:\n" + rules, encoding="utf-8")
    return directory


def _transfer(exporter: str, recipient: str, purpose: str) -> Transfer:
    return Transfer(
        "bench",
        NOW,
        Principal(exporter, "bench", frozenset({"enterprise"})),
        recipient,
        recipient,
        "SG" if int(recipient[1:]) % 3 else "CN",
        purpose,
        "general",
        "POST",
        "/",
        "application/json",
    )


def workload() -> list[tuple[Transfer, Classification, Facts]]:
    """A mix of transfers over many recipients, both directions, with their classification and facts."""
    people: list[Json] = [
        {"name": f"Employee {i}", "email": f"e{i}@example.com", "mobile": "13800138000"} for i in range(20)
    ]
    bodies: list[Json] = [
        {"period": "2026-05", "headcount": 412},
        {"employee_no": "E-1", "mobile": "13800138000", "email": "wang.fang@example.com"},
        {"employee_no": "E-2", "id_card": "11010519491231002X"},
        {"employees": people},
    ]
    classifications = [flag_minors(scan(b), NOW.date()) for b in bodies]
    consent = Consent(
        "c-1",
        frozenset(f"r{i}" for i in range(RECIPIENTS)),
        frozenset({"payroll", "hr_administration"}),
        frozenset({"PI.CONTACT", "PI.BASIC", "SPI.GOV_ID"}),
        True,
        "individual",
        frozenset(),
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    out = []
    for n in range(240):
        c = classifications[n % len(classifications)]
        consents = {s.pointer: (consent,) for s in c.subjects}
        facts = Facts(ytd_personal=[50, 150_000, 2_000_000][n % 3], ytd_sensitive=n % 2, consents=consents)
        exporter = "cn-exporter" if n % 5 else "sg-exporter"
        out.append((_transfer(exporter, f"r{(n * 7) % RECIPIENTS}", "payroll"), c, facts))
    return out


def measure(policy: CompiledPolicy, work: list[tuple[Transfer, Classification, Facts]], rounds: int) -> list[float]:
    """Microseconds per decision, one sample per decision."""
    samples = []
    clock = time.perf_counter_ns
    gc.collect()
    gc.disable()
    try:
        for _ in range(rounds):
            for transfer, classification, facts in work:
                start = clock()
                decide(policy, transfer, classification, facts, NOW)
                samples.append((clock() - start) / 1000)
    finally:
        gc.enable()
    return samples


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=200, help="passes over the 240 transfers (default 200)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        core_rules = _CORE.count("- id:")
        policies = {
            "1 rule (baseline)": load_policy(write_policy(base / "one", _CORE.split("  - id: CN-IMP", maxsplit=1)[0])),
            "200 rules, indexed": load_policy(
                write_policy(base / "indexed", _CORE + _per_recipient(200 - core_rules, indexed=True))
            ),
            "200 rules, none indexable": load_policy(
                write_policy(base / "flat", _CORE + _per_recipient(200 - core_rules, indexed=False))
            ),
        }
    work = workload()
    for policy in policies.values():
        measure(policy, work, 5)  # warm the index and the interpreter's caches
    print(f"decide(): {len(work)} transfers x {args.rounds} rounds, Python {sys.version.split()[0]}")
    print(f"{'policy':28} {'rules':>5} {'median us':>10} {'p99 us':>8} {'max us':>8}")
    for name, policy in policies.items():
        samples = measure(policy, work, args.rounds)
        print(
            f"{name:28} {len(policy.rules):5d} {statistics.median(samples):10.1f} {_p(samples, 0.99):8.1f} "
            f"{max(samples):8.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
