"""Certificate and CRL profiles, checked by OpenSSL (an independent verifier) and field by field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from shaffof.pki import authority, profiles
from shaffof.pki._internal.der import signed_sequence
from tests.unit.pki.conftest import PINFL, MemoryCa, openssl, pem


def test_openssl_verifies_citizen_officer_tsa_and_ocsp_certificates_up_to_the_root(
    ca: MemoryCa, tmp_path: Path
) -> None:
    (tmp_path / "root.pem").write_bytes(pem(ca.root))
    (tmp_path / "issuing.pem").write_bytes(pem(ca.issuing))
    for name, certificate in (
        ("citizen", ca.citizen().certificate),
        ("officer", ca.officer().certificate),
        ("tsa", ca.tsa),
        ("ocsp", ca.ocsp),
    ):
        (tmp_path / f"{name}.pem").write_bytes(pem(certificate))
        result = openssl(
            "verify",
            "-attime",
            str(int(ca.now.timestamp())),
            "-CAfile",
            tmp_path / "root.pem",
            "-untrusted",
            tmp_path / "issuing.pem",
            tmp_path / f"{name}.pem",
        )
        assert result.returncode == 0, (name, result.stderr)
        assert result.stdout.strip().endswith(": OK")


def test_openssl_refuses_a_certificate_against_a_foreign_root(
    ca: MemoryCa, foreign_ca: MemoryCa, tmp_path: Path
) -> None:
    (tmp_path / "root.pem").write_bytes(pem(ca.root))
    (tmp_path / "chain.pem").write_bytes(pem(foreign_ca.issuing))
    (tmp_path / "leaf.pem").write_bytes(pem(foreign_ca.citizen().certificate))
    args = ["-attime", str(int(ca.now.timestamp())), "-CAfile", tmp_path / "root.pem"]
    result = openssl("verify", *args, "-untrusted", tmp_path / "chain.pem", tmp_path / "leaf.pem")
    assert result.returncode != 0
    assert "unable to get" in result.stderr or "certificate signature failure" in result.stderr


def test_a_citizen_certificate_names_the_person_by_pinfl_and_commits_to_content(ca: MemoryCa) -> None:
    certificate = ca.citizen().certificate
    subject = certificate.subject
    assert subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == f"PNOUZ-{PINFL}"
    assert subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "UZ"
    assert profiles.pinfl_of(subject) == PINFL
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    assert not usage.value.key_cert_sign
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert profiles.policies_of(certificate) == {profiles.POLICY_CITIZEN_CLIENT_KEY}
    assert certificate.signature_algorithm_oid == x509.SignatureAlgorithmOID.ECDSA_WITH_SHA256
    # Each certificate names its own issuing CA's certificate and CRL (several coexist after a rotation).
    issuer = format(ca.issuing.serial_number, "x")
    access = certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert [d.access_location.value for d in access] == [
        "http://testserver/pki/ocsp",
        f"http://testserver/pki/issuing/{issuer}/ca.der",
    ]
    points = certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert points[0].full_name[0].value == f"http://testserver/pki/issuing/{issuer}/crl.der"


def test_the_tsa_certificate_has_the_single_critical_time_stamping_usage(ca: MemoryCa) -> None:
    extended = ca.tsa.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert extended.critical  # RFC 3161 §2.3
    assert list(extended.value) == [ExtendedKeyUsageOID.TIME_STAMPING]


def test_the_ocsp_responder_is_delegated_and_not_checked(ca: MemoryCa) -> None:
    assert list(ca.ocsp.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.OCSP_SIGNING
    ]
    ca.ocsp.extensions.get_extension_for_class(x509.OCSPNoCheck)


def test_ca_certificates_constrain_the_path(ca: MemoryCa) -> None:
    root = ca.root.extensions.get_extension_for_class(x509.BasicConstraints)
    issuing = ca.issuing.extensions.get_extension_for_class(x509.BasicConstraints)
    assert root.critical and root.value.ca and root.value.path_length == 1
    assert issuing.critical and issuing.value.ca and issuing.value.path_length == 0
    assert ca.issuing.not_valid_after_utc <= ca.root.not_valid_after_utc


def test_an_end_entity_never_outlives_its_issuer(ca: MemoryCa) -> None:
    key = ca.keys["tsa"]
    certificate = authority.end_entity_certificate(
        key.public_key(),
        ca.issuer,
        ca.endpoints,
        authority.TSA_PROFILE,
        subject=authority.name("too long"),
        not_before=ca.now,
        not_after=ca.now + dt.timedelta(days=365 * 50),
    )
    assert certificate.not_valid_after_utc == ca.issuing.not_valid_after_utc


def test_a_crl_lists_revocations_with_reasons_and_verifies_with_openssl(ca: MemoryCa, tmp_path: Path) -> None:
    revoked = ca.citizen().certificate
    crl = authority.revocation_list(
        ca.issuer,
        [
            authority.RevokedEntry(revoked.serial_number, ca.now, x509.ReasonFlags.key_compromise),
            authority.RevokedEntry(12345, ca.now, x509.ReasonFlags.unspecified),
        ],
        number=7,
        this_update=ca.now,
        next_update=ca.now + dt.timedelta(days=7),
    )
    (tmp_path / "crl.der").write_bytes(crl.public_bytes(serialization.Encoding.DER))
    (tmp_path / "issuing.pem").write_bytes(pem(ca.issuing))
    result = openssl(
        "crl", "-inform", "DER", "-in", tmp_path / "crl.der", "-CAfile", tmp_path / "issuing.pem", "-noout", "-text"
    )
    assert result.returncode == 0, result.stderr
    assert "verify OK" in result.stderr + result.stdout
    assert "Key Compromise" in result.stdout and "X509v3 CRL Number" in result.stdout
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 7
    # RFC 5280 §5.3.1: "unspecified" is left out rather than written.
    plain = crl.get_revoked_certificate_by_serial_number(12345)
    assert plain is not None and len(plain.extensions) == 0


def test_the_signature_of_the_key_store_replaces_the_placeholders(ca: MemoryCa) -> None:
    certificate = ca.citizen().certificate
    certificate.verify_directly_issued_by(ca.issuing)
    # Re-assembled from the to-be-signed bytes and a signature: byte-for-byte the certificate.
    assert signed_sequence(certificate.tbs_certificate_bytes, certificate.signature) == certificate.public_bytes(
        serialization.Encoding.DER
    )


def test_only_p256_keys_are_certified(ca: MemoryCa) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    with pytest.raises(ValueError, match="P-256"):
        authority.end_entity_certificate(
            ec.generate_private_key(ec.SECP384R1()).public_key(),
            ca.issuer,
            ca.endpoints,
            authority.signer_profile(profiles.POLICY_OFFICER),
            subject=authority.name("x"),
            not_before=ca.now,
            not_after=ca.now + dt.timedelta(days=1),
        )
