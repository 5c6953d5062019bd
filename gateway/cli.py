"""The ``gateway`` command: serve, demo, demo-recipient, classify, policy check|test|explain|diff|schema|sign,
audit verify, keys, token."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import jwt
from aiohttp import web

from gateway.classify import Classifier
from gateway.classify.age import flag_minors
from gateway.classify.report import finding_objects, summary_object
from gateway.config import load_config
from gateway.errors import AuditCorrupt, ConfigError
from gateway.keys import create_pseudonym_keys, generate_signing_key, new_secret, write_private
from gateway.policy import tools
from gateway.policy.context import CORRIDOR_TIME
from gateway.policy.load import load_policy
from gateway.policy.schema import write_schemas
from gateway.stores.sqlite_audit import verify_file
from gateway.telemetry import configure_logging, configure_tracing

__all__ = ["main", "mint_token"]


def mint_token(
    private_pem: bytes,
    kid: str,
    *,
    issuer: str,
    audience: str,
    organisation: str,
    subject: str,
    roles: Sequence[str],
    ttl: int,
    now: float | None = None,
) -> str:
    """A token signed with EdDSA, for local use and tests (production tokens come from the enterprise's IdP)."""
    issued = int(time.time() if now is None else now)
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "org": organisation,
        "roles": list(roles),
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl,
    }
    return jwt.encode(claims, private_pem, algorithm="EdDSA", headers={"kid": kid})


def _serve(args: argparse.Namespace) -> int:
    from gateway.web.app import build_app  # noqa: PLC0415 - aiohttp app wiring only for the commands that serve

    config = load_config(Path(args.config))
    configure_logging()
    configure_tracing(config.traces)
    app = build_app(config)
    print(f"gateway listening on http://{config.host}:{config.port} (policy {config.policy_dir})", file=sys.stderr)
    web.run_app(app, host=config.host, port=config.port, print=None, access_log=None)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from gateway.demo import run_demo  # noqa: PLC0415 - the demo pulls in the client side, which serve does not need

    try:
        return asyncio.run(run_demo(serve=args.serve, port=args.port, data_dir=args.data_dir))
    except KeyboardInterrupt:
        return 0


def _demo_recipient(args: argparse.Namespace) -> int:
    from gateway.demo import run_recipient  # noqa: PLC0415

    try:
        return asyncio.run(run_recipient(args.port))
    except KeyboardInterrupt:
        return 0


def _policy_check(args: argparse.Namespace) -> int:
    return tools.check(Path(args.directory), sys.stdout)


def _policy_test(args: argparse.Namespace) -> int:
    return tools.run_tests(Path(args.directory), sys.stdout, verbose=args.verbose)


def _policy_explain(args: argparse.Namespace) -> int:
    return tools.explain(Path(args.policy), Path(args.request), sys.stdout, as_json=args.json)


def _policy_schema(args: argparse.Namespace) -> int:
    for path in write_schemas(Path(args.directory)):
        print(f"wrote {path}")
    return 0


def _policy_diff(args: argparse.Namespace) -> int:
    return tools.diff(Path(args.old), Path(args.new), Path(args.cases), sys.stdout)


def _policy_sign(args: argparse.Namespace) -> int:
    from gateway.policy.bundle import sign_directory  # noqa: PLC0415 - only this command signs

    policy, path = sign_directory(Path(args.directory), Path(args.key).read_bytes(), source=args.key)
    print(f"signed policy {policy.name} revision {policy.revision}: {path}")
    return 0


def _add_policy_sign(policy: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sign = policy.add_parser("sign", help="sign a policy directory: writes DIR/policy.jws (Ed25519)")
    sign.add_argument("directory")
    sign.add_argument("--key", required=True, help="the operator's Ed25519 private key (PEM)")
    sign.set_defaults(func=_policy_sign)


def _audit_verify(args: argparse.Namespace) -> int:
    db = Path(args.db) if args.db else load_config(Path(args.config)).audit_db
    count = verify_file(db)
    print(f"audit trail verified: {count} records")
    return 0


def _keys_init(args: argparse.Namespace) -> int:
    config = load_config(Path(args.config))
    if config.token_signing_file is None:
        raise ConfigError(
            "keys.token_signing_file is not set; it names where the local token key goes", file=config.source
        )
    created = []
    if not config.audit_hmac_key_file.exists():
        write_private(config.audit_hmac_key_file, new_secret().hex().encode())
        created.append(config.audit_hmac_key_file)
    if not config.token_signing_file.exists():
        key = generate_signing_key()
        write_private(config.token_signing_file, key.private_pem)
        config.auth.jwks_file.parent.mkdir(parents=True, exist_ok=True)
        config.auth.jwks_file.write_text(json.dumps(key.jwks(), indent=2) + "\n", encoding="utf-8")
        created += [config.token_signing_file, config.auth.jwks_file]
    policy = load_policy(config.policy_dir)
    created += create_pseudonym_keys(config.audit_hmac_key_file.parent, policy.pseudonym_keys)
    for path in created:
        print(f"created {path}")
    if not created:
        print("keys already exist; nothing changed")
    return 0


def _token(args: argparse.Namespace) -> int:
    config = load_config(Path(args.config))
    if config.token_signing_file is None:
        raise ConfigError("keys.token_signing_file is not set", file=config.source)
    jwks = json.loads(config.auth.jwks_file.read_text(encoding="utf-8"))
    kid = jwks["keys"][0]["kid"]
    print(
        mint_token(
            config.token_signing_file.read_bytes(),
            kid,
            issuer=config.auth.issuer,
            audience=config.auth.audience,
            organisation=args.org,
            subject=args.sub,
            roles=args.roles.split(","),
            ttl=args.ttl,
        )
    )
    return 0


def _classify(args: argparse.Namespace) -> int:
    """Print what the classifier finds in a JSON file (or standard input), as JSON lines, then a summary line."""
    name = args.file
    raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    shown = "<stdin>" if name == "-" else name
    try:
        doc = json.loads(raw)
    except UnicodeDecodeError as e:
        raise ConfigError(f"{shown}: not UTF-8 text at byte {e.start}") from e
    except json.JSONDecodeError as e:
        raise ConfigError(f"{shown}:{e.lineno}:{e.colno}: not JSON: {e.msg}") from e
    classifier = load_policy(Path(args.policy)).classifier if args.policy else Classifier()
    try:
        day = date.fromisoformat(args.on) if args.on else datetime.now(CORRIDOR_TIME).date()
    except ValueError as e:
        raise ConfigError(f"--on {args.on!r}: a day is written YYYY-MM-DD") from e
    started = time.perf_counter()
    found = flag_minors(classifier.scan(doc), day)
    elapsed = time.perf_counter() - started
    out = sys.stdout
    for item in finding_objects(found):
        out.write(json.dumps(item, ensure_ascii=False) + "\n")
    out.write(json.dumps(summary_object(found, len(raw), elapsed), ensure_ascii=False) + "\n")
    return 0


def _policy_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``gateway policy ...``: the operators' tools."""
    policy = sub.add_parser("policy", help="operators' policy tools").add_subparsers(dest="action", required=True)
    check = policy.add_parser("check", help="validate and compile a policy directory")
    check.add_argument("directory")
    check.set_defaults(func=_policy_check)
    test = policy.add_parser("test", help="run the test cases kept beside a policy (DIR/tests/*.yaml)")
    test.add_argument("directory")
    test.add_argument("-v", "--verbose", action="store_true", help="list passing cases too")
    test.set_defaults(func=_policy_test)
    explain = policy.add_parser("explain", help="decide one request and print the decision and its trace")
    explain.add_argument("--policy", required=True, help="the policy directory")
    explain.add_argument("--json", action="store_true", help="print JSON")
    explain.add_argument("request", help="a JSON or YAML file: a request (and facts), as in a test case")
    explain.set_defaults(func=_policy_explain)
    diff = policy.add_parser("diff", help="list the cases whose decision changes between two policy versions")
    diff.add_argument("old")
    diff.add_argument("new")
    diff.add_argument("--cases", required=True, help="a directory of test case files (or a policy directory)")
    diff.set_defaults(func=_policy_diff)
    schema = policy.add_parser("schema", help="write the JSON Schemas of policies, vocabulary and test cases")
    schema.add_argument("directory", nargs="?", default="policies", help="where vocabulary.yaml is (default policies)")
    schema.set_defaults(func=_policy_schema)
    _add_policy_sign(policy)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gateway", description="Cross-border data gateway (SIP - Singapore).")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the gateway from a configuration file")
    serve.add_argument("--config", required=True)
    serve.set_defaults(func=_serve)

    demo = sub.add_parser("demo", help="run a demo recipient, the gateway and scripted transfers on loopback")
    demo.add_argument("--serve", action="store_true", help="keep the gateway running and print a curl command")
    demo.add_argument("--port", type=int, default=8080, help="gateway port with --serve (default 8080)")
    demo.add_argument("--data-dir", help="keep the demo's audit log here instead of a temporary folder")
    demo.set_defaults(func=_demo)

    recipient = sub.add_parser("demo-recipient", help="run only the demo recipient, which echoes what it gets")
    recipient.add_argument("--port", type=int, default=9001)
    recipient.set_defaults(func=_demo_recipient)

    _policy_parsers(sub)

    classify = sub.add_parser(
        "classify", help="print the personal data found in a JSON document: one JSON object per finding, a summary"
    )
    classify.add_argument("file", nargs="?", default="-", help="a JSON file, or - for standard input (default)")
    classify.add_argument("--policy", help="a policy directory whose classification section to apply")
    classify.add_argument("--on", help="the day ages are counted on, YYYY-MM-DD (default: today in UTC+8)")
    classify.set_defaults(func=_classify)

    audit = sub.add_parser("audit", help="regulators' audit tools").add_subparsers(dest="action", required=True)
    verify = audit.add_parser("verify", help="verify the audit trail's hash chain")
    where = verify.add_mutually_exclusive_group(required=True)
    where.add_argument("--config")
    where.add_argument("--db")
    verify.set_defaults(func=_audit_verify)

    keys = sub.add_parser("keys", help="key material").add_subparsers(dest="action", required=True)
    init = keys.add_parser("init", help="create the keys a configuration names, if missing")
    init.add_argument("--config", required=True)
    init.set_defaults(func=_keys_init)

    token = sub.add_parser("token", help="mint a local test token with the configured signing key")
    token.add_argument("--config", required=True)
    token.add_argument("--org", required=True, help="the exporting organisation")
    token.add_argument("--sub", default="cli")
    token.add_argument("--roles", default="enterprise")
    token.add_argument("--ttl", type=int, default=3600)
    token.set_defaults(func=_token)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except AuditCorrupt as e:
        print(f"audit trail does NOT verify: {e}", file=sys.stderr)
        return 1
    except FileNotFoundError as e:
        print(f"error: no such file: {e.filename or e}", file=sys.stderr)
        return 2
