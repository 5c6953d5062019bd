"""A checkpoint signed by the gateway's code, verified by an implementation the project did not write: sigstore's.

The sigstore Python package (the client of the Sigstore transparency log) parses C2SP signed notes and checkpoints
and verifies their Ed25519 signatures in ``sigstore._internal.rekor.checkpoint``. It is not a dependency of the
gateway; run this script in a virtual environment of its own::

    python -m venv .venv-sigstore && .venv-sigstore/bin/pip install sigstore
    PYTHONPATH=. .venv-sigstore/bin/python bench/checkpoint_interop.py [--leaves N]

It builds a Merkle tree over N synthetic leaves with ``gateway.audit.merkle``, signs its checkpoint with
``gateway.audit.note`` under a fresh key, and asks sigstore to parse the note, find the signature by its 4-byte key
hash, verify it with the public key, and read back origin, size and root; then it checks that sigstore refuses the
same note with its size changed and the note signed by another key. It prints each result and exits 0 only when all
hold (2 when sigstore is not installed).
"""

from __future__ import annotations

import argparse
import base64
import importlib
import sys
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from gateway.audit.checkpoint import Checkpoint
from gateway.audit.merkle import leaf_hash, root
from gateway.audit.note import NoteSigner

ORIGIN = "sip-sg-gateway.example/audit"


def _sigstore() -> tuple[Any, Any, Any, Any]:
    try:
        checkpoint = importlib.import_module("sigstore._internal.rekor.checkpoint")
        trust = importlib.import_module("sigstore._internal.trust")
        models = importlib.import_module("sigstore_models.common.v1")
        errors = importlib.import_module("sigstore.errors")
    except ImportError:
        print(__doc__.split("\n\n")[1] if __doc__ else "", file=sys.stderr)
        print("sigstore is not installed in this environment; see above.", file=sys.stderr)
        sys.exit(2)
    version = importlib.import_module("importlib.metadata").version("sigstore")
    print(f"sigstore {version}")
    return checkpoint, trust, models, errors.VerificationError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a gateway checkpoint with sigstore's signed-note code.")
    parser.add_argument("--leaves", type=int, default=1000)
    args = parser.parse_args(argv)
    sig_checkpoint, trust, models, verification_error = _sigstore()

    signer = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    tree_root = root([leaf_hash(f'{{"record": {i}}}'.encode()) for i in range(args.leaves)])
    note = Checkpoint(ORIGIN, args.leaves, tree_root).sign([signer])
    print(f"gateway verifier key: {signer.verifier.vkey}")
    print("gateway checkpoint:\n" + note)

    def keyring(key: Ed25519PrivateKey) -> Any:
        spki = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        details = models.PublicKeyDetails.PKIX_ED25519
        # sigstore's protobuf-JSON models carry bytes as base64
        return trust.Keyring([models.PublicKey(raw_bytes=base64.b64encode(spki), key_details=details)])

    key_hint = signer.verifier.key_id.to_bytes(4, "big")

    def sigstore_accepts(text: str, key: Ed25519PrivateKey) -> tuple[bool, str]:
        try:
            parsed = sig_checkpoint.SignedCheckpoint.from_text(text)
            parsed.signed_note.verify(keyring(key), key_hint)
        except verification_error as e:  # sigstore's own verdict
            return False, str(e)
        c = parsed.checkpoint
        return True, f"origin={c.origin} size={c.log_size} root={c.log_hash}"

    results = []
    ok, detail = sigstore_accepts(note, signer.private_key)
    same = detail == f"origin={ORIGIN} size={args.leaves} root={tree_root.hex()}"
    results.append(("the gateway's checkpoint verifies and reads back the same", ok and same, detail))
    changed = note.replace(f"\n{args.leaves}\n", f"\n{args.leaves + 1}\n")
    ok, detail = sigstore_accepts(changed, signer.private_key)
    results.append(("the same note with its size changed is refused", not ok, detail))
    ok, detail = sigstore_accepts(note, Ed25519PrivateKey.generate())
    results.append(("the note checked against another key is refused", not ok, detail))
    for what, held, detail in results:
        print(f"{'PASS' if held else 'FAIL'}  {what}: {detail}")
    return 0 if all(held for _, held, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
