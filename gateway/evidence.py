"""Regulators' evidence keys on disk, and the commands ``gateway audit keygen`` and ``gateway audit unseal``.

The gateway holds only public keys: ``<keys>/evidence/<name>.pub`` (PEM SubjectPublicKeyInfo, X25519), one for each
name the policy's ``seal_evidence`` obligations use. The private key never reaches the gateway: the regulator makes
the pair (``gateway audit keygen``, or ``openssl genpkey -algorithm X25519``), keeps the private PEM, and gives
the operator the public one. The format of a sealed blob is in :mod:`gateway.audit.seal`.

Each command returns its exit status: 0 done; 1 refused (a blob that does not open, a key file that would be
overwritten); 2 unusable input (a missing or malformed file). Messages never quote an opened body.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import BinaryIO, TextIO

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from gateway.audit.seal import SealInvalid, key_id, unseal
from gateway.errors import ConfigError
from gateway.keys import load_named_keys, write_private

__all__ = [
    "EvidenceKeyPair",
    "evidence_key_file",
    "generate_key_pair",
    "keygen",
    "load_evidence_keys",
    "read_private_key",
    "read_public_key",
    "unseal_file",
]


def evidence_key_file(keys_dir: Path, name: str) -> Path:
    """Where the regulator key ``name`` (as a policy names it) is kept: ``<keys>/evidence/<name>.pub``."""
    return keys_dir / "evidence" / f"{name}.pub"


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise ConfigError(f"cannot read the {what}: {e.strerror or e.__class__.__name__}", file=str(path)) from e


def read_public_key(path: Path) -> X25519PublicKey:
    """An X25519 public key from a PEM file (SubjectPublicKeyInfo)."""
    data = _read(path, "public key")
    if b"PRIVATE KEY" in data:
        raise ConfigError("this is a private key; the gateway holds only the regulator's public key", file=str(path))
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as e:
        raise ConfigError("not a PEM public key (-----BEGIN PUBLIC KEY-----)", file=str(path)) from e
    if not isinstance(key, X25519PublicKey):
        raise ConfigError(f"not an X25519 public key but {type(key).__name__}", file=str(path))
    return key


def read_private_key(path: Path) -> X25519PrivateKey:
    """An X25519 private key from an unencrypted PEM file (PKCS #8)."""
    data = _read(path, "private key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError as e:  # cryptography's word for "encrypted, and no password given"
        raise ConfigError(
            "the private key is protected by a passphrase; write a decrypted copy for this command "
            "(openssl pkey -in KEY -out PLAIN.pem) and delete it afterwards",
            file=str(path),
        ) from e
    except ValueError as e:
        raise ConfigError("not a PEM private key (-----BEGIN PRIVATE KEY-----)", file=str(path)) from e
    if not isinstance(key, X25519PrivateKey):
        raise ConfigError(f"not an X25519 private key but {type(key).__name__}", file=str(path))
    return key


def load_evidence_keys(keys_dir: Path, names: frozenset[str]) -> dict[str, X25519PublicKey]:
    """The regulators' public keys a policy seals evidence for; a missing one is a start-up error saying what to do."""
    return load_named_keys(
        names,
        partial(evidence_key_file, keys_dir),
        read_public_key,
        lambda name: (
            f"the policy seals evidence for key {name!r}, whose public key is not here; the regulator makes "
            "the key pair with `gateway audit keygen` and gives the operator the public key (.pub) to put here"
        ),
    )


@dataclass(frozen=True, slots=True)
class EvidenceKeyPair:
    """A regulator's X25519 key pair as PEM (private: PKCS #8, unencrypted; public: SubjectPublicKeyInfo)."""

    private_pem: bytes = field(repr=False)
    public_pem: bytes
    key_id: str  # as a sealed blob names the key it was sealed for


def generate_key_pair() -> EvidenceKeyPair:
    """A new X25519 key pair for sealed evidence."""
    private = X25519PrivateKey.generate()
    return EvidenceKeyPair(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
        key_id(private.public_key()),
    )


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Write a new file; never replace one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def keygen(out_private: Path, out_public: Path, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """``gateway audit keygen``: write a regulator's key pair, the private key readable by its owner only."""
    out, err = out or sys.stdout, err or sys.stderr
    if out_private.resolve() == out_public.resolve():
        print("error: the private and the public key need two different files", file=err)
        return 2
    existing = [str(p) for p in (out_private, out_public) if p.exists()]
    if existing:
        verb = "exists" if len(existing) == 1 else "exist"
        print(f"refused: {' and '.join(existing)} already {verb}; a key file is never overwritten", file=err)
        return 1
    pair = generate_key_pair()
    written: list[Path] = []
    try:
        write_private(out_private, pair.private_pem)
        written.append(out_private)
        _write_new(out_public, pair.public_pem, 0o644)
    except OSError as e:
        for path in written:  # no half pair: a private key without its public one would only confuse
            path.unlink()
        print(f"error: {e.filename or ''}: {e.strerror or e.__class__.__name__}; nothing written", file=err)
        return 2
    print(f"wrote {out_private}: the private key; keep it offline, it opens every blob sealed for this key", file=out)
    print(f"wrote {out_public}: give it to the gateway's operator for <keys>/evidence/<name>.pub", file=out)
    print(f"key id {pair.key_id}", file=out)
    return 0


def unseal_file(
    sealed: Path, private_key: Path, decision_id: str, out: BinaryIO | Path, err: TextIO | None = None
) -> int:
    """``gateway audit unseal``: open a sealed blob of record ``decision_id`` and write the body to ``out``.

    ``out`` is a binary stream (standard output), or a path: a new file, readable by its owner only, written only
    once the blob has opened.
    """
    err = err or sys.stderr
    try:
        blob = _read(sealed, "sealed evidence")
        private = read_private_key(private_key)
    except ConfigError as e:
        print(f"error: {e}", file=err)
        return 2
    try:
        body = unseal(blob, private, aad=decision_id.strip().encode())
    except SealInvalid as e:
        print(f"{sealed}: {e}", file=err)
        return 1
    if isinstance(out, Path):
        try:
            _write_new(out, body, 0o600)
        except FileExistsError:
            print(f"refused: {out} already exists; choose a new file for the opened body", file=err)
            return 1
        except OSError as e:
            print(f"error: {out}: {e.strerror or e.__class__.__name__}", file=err)
            return 2
        print(f"wrote {out}: {len(body)} bytes, the body of record {decision_id.strip()}", file=err)
    else:
        out.write(body)
        out.flush()
    return 0
