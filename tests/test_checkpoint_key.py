"""The checkpoint signing key: created once by `gateway keys init`, named after the log's origin, shown by
`gateway keys show` in the form regulators paste into `gateway audit verify --key`."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from gateway.audit.note import NoteVerifier
from gateway.cli import main
from gateway.errors import ConfigError
from gateway.keys import create_checkpoint_key, load_checkpoint_signer

ORIGIN = "gateway.sip.example/audit"


def test_the_key_is_created_once_private_and_named_after_the_origin(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "checkpoint.key"
    assert create_checkpoint_key(path, ORIGIN)
    first = path.read_bytes()
    assert not create_checkpoint_key(path, ORIGIN)  # never overwritten: old checkpoints stay verifiable
    assert path.read_bytes() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_checkpoint_signer(path, ORIGIN).name == ORIGIN


def test_a_key_for_another_origin_is_refused_with_both_names(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.key"
    create_checkpoint_key(path, "old.example/audit")
    with pytest.raises(ConfigError, match=r"named 'old\.example/audit' but the log's origin is"):
        load_checkpoint_signer(path, ORIGIN)


def test_a_missing_or_garbled_key_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="gateway keys init"):
        load_checkpoint_signer(tmp_path / "none.key", ORIGIN)
    garbled = tmp_path / "garbled.key"
    garbled.write_text("PRIVATE+KEY+x+00000000+AAAA\n", encoding="ascii")
    with pytest.raises(ConfigError, match="cannot read the checkpoint signing key") as caught:
        load_checkpoint_signer(garbled, ORIGIN)
    assert "AAAA" not in str(caught.value)  # key material is never echoed


def test_keys_show_prints_the_verifier_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "gateway.yaml"
    config.write_text(
        f"""
listen: {{host: 127.0.0.1, port: 0}}
data_dir: data
policy: policy
auth: {{jwks_file: keys/jwks.json, issuer: https://idp.example, audience: gw}}
keys: {{audit_hmac_file: keys/audit-hmac.key}}
audit: {{origin: {ORIGIN}}}
routes:
  sg-hr: {{upstream: "http://127.0.0.1:9", recipient: sg-hr, default_purpose: payroll}}
""",
        encoding="utf-8",
    )
    create_checkpoint_key(tmp_path / "keys" / "checkpoint.key", ORIGIN)
    assert main(["keys", "show", "--config", str(config)]) == 0
    shown = capsys.readouterr().out.strip()
    expected = load_checkpoint_signer(tmp_path / "keys" / "checkpoint.key", ORIGIN).verifier.vkey
    assert shown == expected
    assert NoteVerifier.parse(shown).name == ORIGIN
