"""The ``gateway`` command: serve, demo, demo-recipient, classify, policy check|test|explain|diff|schema|sign,
audit verify, keys, token."""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import sqlite3
import sys
import time
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import jwt
from aiohttp import web

from gateway.audit.export import render_report, verify_export
from gateway.audit.note import NoteInvalid, NoteVerifier
from gateway.classify import Classifier
from gateway.classify.age import flag_minors
from gateway.classify.report import finding_objects, summary_object
from gateway.config import load_config
from gateway.consent.receipt import create_receipt_key
from gateway.errors import AuditCorrupt, ConfigError
from gateway.keys import (
    create_checkpoint_key,
    create_pseudonym_keys,
    generate_signing_key,
    load_checkpoint_signer,
    new_secret,
    write_private,
)
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
        return asyncio.run(run_recipient(args.port, args.host))
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


def _verifier_key(text: str) -> NoteVerifier:
    """A verifier key given as its text (``name+hash+base64``) or as a file holding it."""
    path = Path(text)
    if "+" not in text or path.is_file():
        try:
            text = path.read_text(encoding="utf-8").strip()
        except OSError as e:
            raise ConfigError(
                f"--key: neither a verifier key (name+hash+base64) nor a readable file: {e.strerror}"
            ) from e
    try:
        return NoteVerifier.parse(text)
    except NoteInvalid as e:
        raise ConfigError(f"--key: {e}") from e


def _audit_verify(args: argparse.Namespace) -> int:
    """Offline: an export against its checkpoint and the key; or a local log file, or the log several nodes share in
    PostgreSQL (``--dsn``, or a configuration naming a database), from its records up."""
    if args.export:
        if not args.key:
            raise ConfigError("verifying an export needs --key, the gateway's verifier key (gateway keys show)")
        return _verify_export(args)
    if not (args.db or args.config or args.dsn):
        raise ConfigError("give an export file, or --config / --db / --dsn for the gateway's own log")
    verifier = _verifier_key(args.key) if args.key else None
    dsn: str | None = args.dsn
    db: Path | None = Path(args.db) if args.db else None
    if args.config:
        config = load_config(Path(args.config))
        db = config.audit_db
        dsn = config.database_dsn
        if verifier is None and config.checkpoint_key.exists():
            verifier = load_checkpoint_signer(config.checkpoint_key, config.audit.origin).verifier
    if dsn is not None:
        from gateway.errors import AuditUnavailable  # noqa: PLC0415
        from gateway.stores.pg_audit import verify_database  # noqa: PLC0415 - the PostgreSQL driver only when used

        try:
            result = verify_database(dsn, verifier)
        except AuditUnavailable as e:  # the DSN is not echoed: it may hold a password
            raise ConfigError(f"not a readable audit database: {e.detail}") from e
    elif db is not None:
        result = verify_file(db, verifier)
    else:
        raise ConfigError("give --config, --db or --dsn")
    signed = "signatures checked" if verifier else "signatures not checked (no --key)"
    print(
        f"audit trail verified: {result.records} records, root {base64.b64encode(result.root).decode()}, "
        f"{result.checkpoints} stored checkpoints match ({signed})"
    )
    return 0


def _verify_export(args: argparse.Namespace) -> int:
    verifier = _verifier_key(args.key)
    trusted = _trusted_checkpoint(args.checkpoint) if args.checkpoint else None
    with Path(args.export).open("rb") as lines:  # each line is decoded by the verifier: bad bytes are a problem
        report = verify_export(lines, [verifier], trusted)
    print(render_report(report))
    return 0 if report.ok else 1


def _audit_keygen(args: argparse.Namespace) -> int:
    from gateway.evidence import keygen  # noqa: PLC0415 - key generation only for this command

    return keygen(Path(args.private), Path(args.public))


def _audit_unseal(args: argparse.Namespace) -> int:
    from gateway.evidence import unseal_file  # noqa: PLC0415

    return unseal_file(
        Path(args.blob), Path(args.key), args.decision_id, Path(args.output) if args.output else sys.stdout.buffer
    )


def _audit_watch(args: argparse.Namespace) -> int:
    from gateway.web.witness_client import run_watch  # noqa: PLC0415 - the HTTP client only for this command

    return run_watch(args)


def _trusted_checkpoint(path: str) -> str:
    """A signed checkpoint from a file: the note itself, or a witness's state file (``gateway audit watch``)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not a signed checkpoint (not UTF-8 text)") from e
    if text.lstrip().startswith("{"):
        try:
            note = json.loads(text)["note"]
        except (ValueError, KeyError, TypeError) as e:
            raise ConfigError(f"{path}: a JSON file here is a witness state with a 'note'") from e
        if not isinstance(note, str):
            raise ConfigError(f"{path}: the witness state's 'note' is not text")
        return note
    return text


def _keys_show(args: argparse.Namespace) -> int:
    """Print the verifier key of the log's checkpoints, as regulators pass it to `gateway audit verify --key`."""
    config = load_config(Path(args.config))
    signer = load_checkpoint_signer(config.checkpoint_key, config.audit.origin)
    print(signer.verifier.vkey)
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
    if create_checkpoint_key(config.checkpoint_key, config.audit.origin):
        created.append(config.checkpoint_key)
    if create_receipt_key(config.consent_receipt_key):
        created.append(config.consent_receipt_key)
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


def _audit_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``gateway audit ...``: the regulators' tools."""
    audit = sub.add_parser("audit", help="regulators' audit tools").add_subparsers(dest="action", required=True)
    verify = audit.add_parser(
        "verify",
        help="verify an export offline against its checkpoint and the gateway's key, or a local audit log file",
    )
    verify.add_argument("export", nargs="?", help="an export (JSON lines from GET /v1/audit/export)")
    verify.add_argument("--key", help="the verifier key (name+hash+base64, or a file holding it): gateway keys show")
    verify.add_argument(
        "--checkpoint", help="a signed checkpoint you kept (e.g. a witness's): the export must match it"
    )
    where = verify.add_mutually_exclusive_group()
    where.add_argument("--config", help="verify this gateway's own log file (chain, tree, stored checkpoints)")
    where.add_argument("--db", help="verify this audit log file")
    where.add_argument(
        "--dsn",
        help="verify the audit log shared by several nodes in this PostgreSQL database (its search_path schema)",
    )
    verify.set_defaults(func=_audit_verify)

    watch = audit.add_parser(
        "watch", help="witness the audit log: keep its last checkpoint, alarm on a fork or rollback"
    )
    watch.add_argument("url", help="the gateway's base URL, e.g. http://127.0.0.1:8080")
    watch.add_argument("--key", required=True, help="the log's verifier key (name+hex id+base64 key)")
    watch.add_argument("--state", required=True, help="the witness's state file (JSON), created on first sight")
    watch.add_argument("--token", help="a bearer token, if the gateway asks for one")
    watch.add_argument("--interval", type=float, help="check again every this many seconds, until an alarm or Ctrl-C")
    watch.add_argument("--once", action="store_true", help="a single check even with --interval")
    watch.set_defaults(func=_audit_watch)

    keygen = audit.add_parser("keygen", help="regulators: make the X25519 key pair that sealed evidence is sealed to")
    keygen.add_argument("--private", required=True, help="where to write the private key (PEM, mode 0600)")
    keygen.add_argument("--public", required=True, help="where to write the public key (PEM) for the gateway")
    keygen.set_defaults(func=_audit_keygen)
    unseal = audit.add_parser("unseal", help="regulators: open sealed evidence with your private key")
    unseal.add_argument("blob", help="the sealed blob (GET /v1/audit/records/{index}/evidence)")
    unseal.add_argument("--key", required=True, help="your X25519 private key (PEM)")
    unseal.add_argument("--decision-id", required=True, help="the decision id of the record the blob belongs to")
    unseal.add_argument("-o", "--output", help="write the body to this new file (mode 0600) instead of stdout")
    unseal.set_defaults(func=_audit_unseal)


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
    recipient.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    recipient.set_defaults(func=_demo_recipient)

    _policy_parsers(sub)

    classify = sub.add_parser(
        "classify", help="print the personal data found in a JSON document: one JSON object per finding, a summary"
    )
    classify.add_argument("file", nargs="?", default="-", help="a JSON file, or - for standard input (default)")
    classify.add_argument("--policy", help="a policy directory whose classification section to apply")
    classify.add_argument("--on", help="the day ages are counted on, YYYY-MM-DD (default: today in UTC+8)")
    classify.set_defaults(func=_classify)

    _audit_parsers(sub)

    keys = sub.add_parser("keys", help="key material").add_subparsers(dest="action", required=True)
    init = keys.add_parser("init", help="create the keys a configuration names, if missing")
    init.add_argument("--config", required=True)
    init.set_defaults(func=_keys_init)
    show = keys.add_parser("show", help="print the verifier key of the audit log's checkpoints (name+hash+key)")
    show.add_argument("--config", required=True)
    show.set_defaults(func=_keys_show)

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
    except sqlite3.DatabaseError as e:
        print(f"error: not a readable audit log: {e}", file=sys.stderr)
        return 2
    except FileNotFoundError as e:
        print(f"error: no such file: {e.filename or e}", file=sys.stderr)
        return 2
