"""Envelope encryption of fields: round trip, binding to the row, tampering, rotation, keyed hashes."""

from __future__ import annotations

import base64

import pytest

from shaffof.privacy.encryption import DecryptionFailed, FieldCipher, FieldKeys, KeyringInvalid, parse_keyring

K1 = bytes(range(32))
K2 = bytes(range(1, 33))
INDEX = bytes(32)


def cipher(*keys: tuple[str, bytes]) -> FieldCipher:
    return FieldCipher(tuple(keys), INDEX)


def test_a_value_round_trips_and_is_not_readable_in_the_token() -> None:
    c = cipher(("k1", K1))
    token = c.encrypt("Amir Temur koʻchasi, 12", "registry_population.address:41403902610172")
    assert "Amir" not in token and token.startswith("e1:k1:")
    assert c.decrypt(token, "registry_population.address:41403902610172") == "Amir Temur koʻchasi, 12"
    # Each value has its own data key and nonce: the same text twice gives two tokens.
    assert c.encrypt("x", "ctx") != c.encrypt("x", "ctx")


def test_a_value_moved_to_another_row_or_altered_does_not_decrypt() -> None:
    c = cipher(("k1", K1))
    token = c.encrypt("AD1234567", "registry_documents.number:41403902610172:id_card")
    with pytest.raises(DecryptionFailed, match="belongs elsewhere"):
        c.decrypt(token, "registry_documents.number:50211012610173:id_card")
    head, sealed = token.rsplit(":", 1)
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(DecryptionFailed):
        c.decrypt(f"{head}:{flipped}", "registry_documents.number:41403902610172:id_card")


def test_rotation_rewraps_the_data_key_and_keeps_the_ciphertext() -> None:
    old = cipher(("k1", K1))
    token = old.encrypt("secret", "ctx")
    both = cipher(("k2", K2), ("k1", K1))
    assert both.needs_rewrap(token)
    rewrapped = both.rewrap(token)
    assert rewrapped.startswith("e1:k2:") and rewrapped.rsplit(":", 1)[1] == token.rsplit(":", 1)[1]
    assert cipher(("k2", K2)).decrypt(rewrapped, "ctx") == "secret"
    with pytest.raises(DecryptionFailed, match="not in SHAFFOF_FIELD_KEYS"):
        cipher(("k2", K2)).decrypt(token, "ctx")


def test_the_blind_index_finds_a_number_however_it_is_typed_and_depends_on_the_key() -> None:
    c = cipher(("k1", K1))
    assert c.blind_index("AD 1234567", "document-number") == c.blind_index("ad1234567", "document-number")
    assert c.blind_index("AD1234567", "document-number") != c.blind_index("AD1234568", "document-number")
    other = FieldCipher((("k1", K1),), bytes([1]) * 32)
    assert other.blind_index("AD1234567", "document-number") != c.blind_index("AD1234567", "document-number")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no key given"),
        ("k1", "id:base64"),
        ("k1:not base64!", "not base64"),
        (f"k1:{base64.b64encode(b'short').decode()}", "5 bytes"),
        (f"k1:{base64.b64encode(K1).decode()},k1:{base64.b64encode(K2).decode()}", "appears twice"),
    ],
)
def test_a_bad_keyring_is_refused_naming_the_problem(text: str, problem: str) -> None:
    with pytest.raises(KeyringInvalid, match=problem):
        parse_keyring(text)


def test_production_refuses_development_field_keys() -> None:
    keys = FieldKeys(None, None, secret_key="s" * 40, production=True)
    with pytest.raises(KeyringInvalid, match="must be set in production"):
        keys.get()
    configured = FieldKeys(
        f"k1:{base64.b64encode(K1).decode()}", base64.b64encode(INDEX).decode(), secret_key="s" * 40, production=True
    )
    assert configured.get().active_key_id == "k1"
