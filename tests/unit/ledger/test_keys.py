"""The log key: a development key made on first use and marked as such; production refuses it and a
missing key; a key that cannot be loaded makes the source answer None (and retry later)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from shaffof.ledger.errors import LogKeyUnavailable
from shaffof.ledger.keys import (
    DEVELOPMENT_MARKER,
    LogKeySource,
    development_key_path,
    generate_key_file,
    load_log_key,
)


def test_development_makes_a_marked_key_on_first_use_and_keeps_it(tmp_path: Path) -> None:
    first = load_log_key(None, tmp_path, production=False)
    assert first.is_development
    path = development_key_path(tmp_path)
    assert path.read_text().startswith(DEVELOPMENT_MARKER)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_log_key(None, tmp_path, production=False)
    assert again.key_id == first.key_id
    assert "BEGIN PUBLIC KEY" in first.public_pem and len(first.key_id) == 64


def test_production_refuses_a_missing_key_setting(tmp_path: Path) -> None:
    with pytest.raises(LogKeyUnavailable, match="SHAFFOF_LEDGER_KEY_FILE is not set"):
        load_log_key(None, tmp_path, production=True)
    assert not development_key_path(tmp_path).exists()  # and makes no development key either


def test_production_refuses_the_development_key_wherever_it_is_copied(tmp_path: Path) -> None:
    load_log_key(None, tmp_path, production=False)
    copy = tmp_path / "innocent-name.pem"
    copy.write_bytes(development_key_path(tmp_path).read_bytes())
    with pytest.raises(LogKeyUnavailable, match="development log key"):
        load_log_key(copy, tmp_path, production=True)
    assert load_log_key(copy, tmp_path, production=False).is_development


def test_production_accepts_a_key_made_by_keygen(tmp_path: Path) -> None:
    made = generate_key_file(tmp_path / "log.pem")
    loaded = load_log_key(tmp_path / "log.pem", tmp_path, production=True)
    assert loaded.key_id == made.key_id and not loaded.is_development
    with pytest.raises(FileExistsError):
        generate_key_file(tmp_path / "log.pem")  # never overwritten


def ec_key_pem() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot be read"), (b"not a key", "does not hold"), (ec_key_pem(), "not an Ed25519 key")],
)
def test_keys_that_cannot_be_used_are_refused_with_the_reason(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "key.pem"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(LogKeyUnavailable, match=message):
        load_log_key(path, tmp_path, production=False)


def test_the_source_answers_none_while_the_key_is_missing_and_picks_it_up_later(tmp_path: Path) -> None:
    path = tmp_path / "later.pem"
    source = LogKeySource(path, tmp_path, production=True, retry_seconds=0)
    assert source.get() is None
    assert source.problem is not None and "cannot be read" in source.problem
    with pytest.raises(LogKeyUnavailable):
        source.require()
    generate_key_file(path)
    key = source.get()
    assert key is not None and source.problem is None
    assert source.require() is key


def test_the_source_waits_before_trying_again(tmp_path: Path) -> None:
    path = tmp_path / "later.pem"
    source = LogKeySource(path, tmp_path, production=True, retry_seconds=3600)
    assert source.get() is None
    generate_key_file(path)
    assert source.get() is None  # not before the retry interval
