"""The token written directly in DER (``tsa._token``) is, byte for byte, what asn1crypto encodes for the same
values — the reference below is the structure built with asn1crypto's classes, as the TSA did before."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509

from shaffof.pki import profiles, tsa
from tests.unit.pki.conftest import MemoryCa


def reference(
    signer: tsa.TsaSigner, digest: bytes, *, now: dt.datetime, nonce: int | None, certificates: bool, serial: int
) -> bytes:
    gen_time = now.astimezone(dt.UTC).replace(microsecond=0)
    content = tsp.TSTInfo(
        {
            "version": "v1",
            "policy": profiles.TSA_POLICY.dotted_string,
            "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": digest},
            "serial_number": serial,
            "gen_time": gen_time,
            "accuracy": {"seconds": tsa.ACCURACY_SECONDS},
            "nonce": nonce,
        }
    ).dump()
    tsa_der = signer.certificate.public_bytes(tsa.serialization.Encoding.DER)
    certificate = asn1_x509.Certificate.load(tsa_der)
    attributes = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
            cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": gen_time})]}),
            cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(content).digest()]}),
            cms.CMSAttribute(
                {
                    "type": "signing_certificate_v2",
                    "values": [tsp.SigningCertificateV2.load(tsa._ess_certificate_id(tsa_der))],
                }
            ),
        ]
    )
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": {
                "issuer_and_serial_number": {"issuer": certificate.issuer, "serial_number": certificate.serial_number}
            },
            "digest_algorithm": {"algorithm": "sha256"},
            "signed_attrs": attributes,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
            "signature": signer.sign(attributes.dump()),
        }
    )
    extra = [
        asn1_x509.Certificate.load(c.public_bytes(tsa.serialization.Encoding.DER)) for c in signer.extra_certificates
    ]
    signed_data = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {"content_type": "tst_info", "content": core.ParsableOctetString(content)},
            "certificates": [certificate, *extra] if certificates else None,
            "signer_infos": [signer_info],
        }
    )
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump())


def deterministic(ca: MemoryCa) -> tsa.TsaSigner:
    """The CA's TSA with a signature that depends only on the signed bytes, so two encodings can be compared."""
    return tsa.TsaSigner(ca.tsa, lambda data: b"\x30\x06\x02\x01\x01\x02\x01" + hashlib.sha256(data).digest()[:1],
                         ca.tsa_signer.extra_certificates)  # fmt: skip


@pytest.mark.parametrize("nonce", [None, 0, 1, 127, 128, 2**63 + 5, 2**159])
@pytest.mark.parametrize("serial", [1, 255, 2**126 + 1, 2**127 - 1])
@pytest.mark.parametrize("certificates", [True, False])
def test_the_token_is_byte_for_byte_asn1cryptos_encoding(
    ca: MemoryCa, nonce: int | None, serial: int, certificates: bool
) -> None:
    signer = deterministic(ca)
    digest = hashlib.sha256(f"{nonce}-{serial}".encode()).digest()
    imprint = tsp.MessageImprint({"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": digest}).dump()
    for now in (ca.now, ca.now.replace(microsecond=999_999), dt.datetime(2049, 12, 31, 23, 59, 59, tzinfo=dt.UTC)):
        fast = tsa._token(
            signer, imprint, now=now, nonce=nonce, include_certificates=certificates, serial_number=serial
        )
        assert fast == reference(signer, digest, now=now, nonce=nonce, certificates=certificates, serial=serial)


def test_a_stamp_verifies_with_our_checks_and_names_its_time(ca: MemoryCa) -> None:
    digest = hashlib.sha256(b"qaror").digest()
    token = tsa.stamp(digest, ca.tsa_signer, now=ca.now)
    verified = tsa.verify_token(token, digest, ca.trust)
    assert verified.time == ca.now.replace(microsecond=0)
    with pytest.raises(ValueError):
        tsa.stamp(digest[:31], ca.tsa_signer, now=ca.now)
