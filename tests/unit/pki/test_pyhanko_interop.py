"""pyHanko's certificate validator (what PAdES validation will use) accepts our chains with hard-fail revocation
checking — from our CRLs and from our OCSP responder's answers — and sees a revocation."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp as x509_ocsp
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import RevokedError

from shaffof.pki import authority, ocsp
from shaffof.pki.interfaces import GOOD, RevocationState, RevocationStatus
from tests.unit.pki.conftest import MemoryCa, signer

USAGE = {"digital_signature", "non_repudiation"}


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _crl(ca: MemoryCa, issuer: authority.Issuer, revoked: list[authority.RevokedEntry]) -> asn1_crl.CertificateList:
    made = authority.revocation_list(
        issuer, revoked, number=1, this_update=ca.now - dt.timedelta(hours=1), next_update=ca.now + dt.timedelta(days=7)
    )
    return asn1_crl.CertificateList.load(made.public_bytes(serialization.Encoding.DER))


def _context(ca: MemoryCa, **revocation: object) -> ValidationContext:
    root_crl = _crl(ca, authority.Issuer(ca.root, signer(ca.keys["root"])), [])
    crls = [root_crl, *revocation.pop("crls", [])]  # type: ignore[misc]
    return ValidationContext(
        trust_roots=[_asn1(ca.root)],
        other_certs=[_asn1(ca.issuing)],
        crls=crls,
        allow_fetching=False,
        revocation_mode="hard-fail",
        moment=ca.now,
        **revocation,  # type: ignore[arg-type]
    )


def _validate(ca: MemoryCa, certificate: x509.Certificate, context: ValidationContext) -> int:
    validator = CertificateValidator(_asn1(certificate), validation_context=context)
    return len(asyncio.run(validator.async_validate_usage(USAGE)))


def test_a_citizen_chain_validates_with_the_crl(ca: MemoryCa) -> None:
    citizen = ca.citizen().certificate
    assert _validate(ca, citizen, _context(ca, crls=[_crl(ca, ca.issuer, [])])) == 3


def test_a_citizen_chain_validates_with_an_ocsp_answer_from_the_delegated_responder(ca: MemoryCa) -> None:
    citizen = ca.citizen().certificate
    request = x509_ocsp.OCSPRequestBuilder().add_certificate(citizen, ca.issuing, hashes.SHA1()).build()
    responder = ocsp.OcspResponder(ca.ocsp, ca.issuing, signer(ca.keys["ocsp"]))
    answer = ocsp.respond(request.public_bytes(serialization.Encoding.DER), responder, lambda s: GOOD, now=ca.now)
    assert _validate(ca, citizen, _context(ca, ocsps=[asn1_ocsp.OCSPResponse.load(answer)])) == 3


def test_a_revocation_in_our_crl_or_ocsp_is_seen_by_pyhanko(ca: MemoryCa) -> None:
    citizen = ca.citizen().certificate
    revoked_at = ca.now - dt.timedelta(minutes=30)
    entry = authority.RevokedEntry(citizen.serial_number, revoked_at, x509.ReasonFlags.key_compromise)
    with pytest.raises(RevokedError):
        _validate(ca, citizen, _context(ca, crls=[_crl(ca, ca.issuer, [entry])]))
    request = x509_ocsp.OCSPRequestBuilder().add_certificate(citizen, ca.issuing, hashes.SHA1()).build()
    responder = ocsp.OcspResponder(ca.ocsp, ca.issuing, signer(ca.keys["ocsp"]))
    status = RevocationStatus(RevocationState.revoked, revoked_at, "key_compromise")
    answer = ocsp.respond(request.public_bytes(serialization.Encoding.DER), responder, lambda s: status, now=ca.now)
    with pytest.raises(RevokedError):
        _validate(ca, citizen, _context(ca, ocsps=[asn1_ocsp.OCSPResponse.load(answer)]))
