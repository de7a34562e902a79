"""JWS (RFC 7515) signing and strict parsing, checked against joserfc — a JOSE implementation nobody here wrote."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jws as joserfc_jws
from joserfc.jwk import ECKey
from joserfc.registry import HeaderParameter

from shaffof.canonical_json import canonicalize
from shaffof.pki.signing import jws
from tests.unit.pki.conftest import MemoryCa

SUBMISSION = {"service": "general-ariza", "form": {"subject": "Ko'cha", "text": "Chiroqlar yonmayapti"}, "n": 1.5}


def joserfc_registry() -> joserfc_jws.JWSRegistry:
    """joserfc with sigT registered (it is critical, so a verifier must understand it) and room for x5c."""
    registry = joserfc_jws.JWSRegistry(
        header_registry={"sigT": HeaderParameter("claimed signing time (JAdES)", "str")}, algorithms=["ES256"]
    )
    registry.max_header_length = 16_384
    return registry


def test_joserfc_verifies_a_signed_submission_and_reads_the_canonical_payload(ca: MemoryCa) -> None:
    signer = ca.citizen()
    token = jws.sign_submission(SUBMISSION, signer.key, signer.chain, ca.now)
    result = joserfc_jws.deserialize_compact(
        token, ECKey.import_key(signer.certificate.public_key()), registry=joserfc_registry()
    )
    assert result.payload == canonicalize(SUBMISSION)
    assert result.protected["alg"] == "ES256"
    assert result.protected["sigT"] == "2026-11-24T10:00:00Z"
    assert result.protected["crit"] == ["sigT"]
    leaf = base64.b64decode(result.protected["x5c"][0])
    assert leaf == signer.certificate.public_bytes(serialization.Encoding.DER)


def test_joserfc_refuses_our_jws_under_another_key(ca: MemoryCa) -> None:
    signer = ca.citizen()
    token = jws.sign_submission(SUBMISSION, signer.key, signer.chain, ca.now)
    other = ECKey.import_key(ec.generate_private_key(ec.SECP256R1()).public_key())
    with pytest.raises(Exception, match="signature"):
        joserfc_jws.deserialize_compact(token, other, registry=joserfc_registry())


def test_we_parse_a_jws_that_joserfc_signed(ca: MemoryCa) -> None:
    signer = ca.citizen()
    header = {
        "alg": "ES256",
        "x5c": [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode() for c in signer.chain],
        "sigT": "2026-11-24T09:59:00Z",
        "crit": ["sigT"],
    }
    token = joserfc_jws.serialize_compact(
        header, canonicalize(SUBMISSION), ECKey.import_key(signer.key), registry=joserfc_registry()
    )
    parsed = jws.parse(token)
    assert parsed.payload == canonicalize(SUBMISSION)
    assert parsed.signing_time.isoformat() == "2026-11-24T09:59:00+00:00"
    public_key = signer.certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(parsed.der_signature, parsed.signing_input, ec.ECDSA(hashes.SHA256()))


def test_a_key_store_signer_and_an_in_memory_key_make_equivalent_signatures(ca: MemoryCa) -> None:
    signer = ca.citizen()

    class StoreLike:
        def sign(self, data: bytes) -> bytes:
            return signer.key.sign(data, ec.ECDSA(hashes.SHA256()))

    token = jws.sign_submission(SUBMISSION, StoreLike(), signer.chain, ca.now)
    joserfc_jws.deserialize_compact(
        token, ECKey.import_key(signer.certificate.public_key()), registry=joserfc_registry()
    )


def test_a_timestamp_rides_in_the_unprotected_header_of_the_json_serialization(ca: MemoryCa) -> None:
    signer = ca.citizen()
    token = jws.sign_submission(SUBMISSION, signer.key, signer.chain, ca.now)
    stamped = jws.attach_timestamp(token, b"\x30\x03\x02\x01\x01")
    document = json.loads(stamped)
    assert document["header"]["etsiU"][0]["sigTst"]["tstTokens"][0]["val"] == "MAMCAQE="
    parsed = jws.parse(stamped)
    assert parsed.compact == token
    assert parsed.timestamp_tokens == (b"\x30\x03\x02\x01\x01",)


def _header(token: str) -> dict[str, object]:
    return json.loads(jws.b64url_decode(token.split(".")[0], "header"))


def _with_header(token: str, **changes: object) -> str:
    header = {**_header(token), **changes}
    header = {k: v for k, v in header.items() if v is not None}
    return ".".join([jws.b64url(json.dumps(header).encode()), *token.split(".")[1:]])


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda t: t.replace(".", "", 1), "3 parts"),
        (lambda t: t + ".x", "3 parts"),
        (lambda t: "!!" + t, "base64url"),
        (lambda t: jws.b64url(b"[1]") + t[t.index(".") :], "not a JSON object"),
        (lambda t: jws.b64url(b"{") + t[t.index(".") :], "not valid JSON"),
        (lambda t: _with_header(t, x5c=None), "no x5c"),
        (lambda t: _with_header(t, x5c=["%%%"]), "x5c entry is not base64"),
        (lambda t: _with_header(t, sigT=None), "signing time"),
        (lambda t: _with_header(t, sigT="2026-02-30T10:00:00Z"), "not a real date"),
        (lambda t: _with_header(t, sigT="2026-11-24T10:00:00+05:00"), "signing time"),
        (lambda t: _with_header(t, crit=["sigT", "exp"]), "not understood: exp"),
        (lambda t: _with_header(t, crit=[]), "non-empty array"),
        (lambda t: _with_header(t, b64=False), "unencoded payloads"),
        (lambda t: t[: t.rindex(".") + 1] + jws.b64url(b"\x00" * 63), "64 octets"),
        (lambda t: "{" + t, "not valid JSON"),
        (lambda t: json.dumps({"signatures": []}), "only one signature"),
        (
            lambda t: json.dumps(dict(zip(("protected", "payload", "signature"), t.split("."), strict=True), x=1)),
            "unknown member",
        ),
    ],
)
def test_malformed_tokens_are_refused_with_what_is_wrong(ca: MemoryCa, mangle: object, message: str) -> None:
    signer = ca.citizen()
    token = jws.sign_submission(SUBMISSION, signer.key, signer.chain, ca.now)
    with pytest.raises(jws.MalformedJws, match=message):
        jws.parse(mangle(token))  # type: ignore[operator]


@pytest.mark.parametrize("algorithm", ["none", "HS256", "RS256", "EdDSA", "ES384"])
def test_only_es256_is_accepted(ca: MemoryCa, algorithm: str) -> None:
    signer = ca.citizen()
    token = jws.sign_submission(SUBMISSION, signer.key, signer.chain, ca.now)
    with pytest.raises(jws.UnsupportedAlgorithm, match=algorithm):
        jws.parse(_with_header(token, alg=algorithm))


def test_duplicate_header_members_are_refused(ca: MemoryCa) -> None:
    signer = ca.citizen()
    token = jws.sign_submission(SUBMISSION, signer.key, signer.chain, ca.now)
    raw = jws.b64url_decode(token.split(".")[0], "header").decode()
    doubled = raw[:-1] + ',"alg":"none"}'
    with pytest.raises(jws.MalformedJws, match="appears twice"):
        jws.parse(jws.b64url(doubled.encode()) + token[token.index(".") :])


def test_padding_and_non_canonical_base64url_are_refused() -> None:
    with pytest.raises(jws.MalformedJws, match="base64url"):
        jws.b64url_decode("QQ==", "payload")
    with pytest.raises(jws.MalformedJws, match="canonical"):
        jws.b64url_decode("QR", "payload")  # stray low bits: "QQ" is the canonical form of b"A"
    assert jws.b64url_decode("QQ", "payload") == b"A"


def test_signatures_convert_between_der_and_raw_r_s() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.sign(b"x", ec.ECDSA(hashes.SHA256()))
    raw = jws.der_to_raw(der)
    assert len(raw) == 64 and jws.raw_to_der(raw) == der
