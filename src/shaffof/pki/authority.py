"""What goes into each certificate and CRL the platform signs (RFC 5280 profiles), with no database.

The hierarchy: a root CA (offline in spirit: it signs only the issuing CA and its own revocation list) and an
issuing CA that signs end-entity certificates — citizens, officers, agency e-seals — plus the time-stamping
authority's and the OCSP responder's certificates. All keys are ECDSA P-256 and all signatures
ecdsa-with-SHA256: what OpenSSL's ``verify``, ``ts`` and ``ocsp`` commands and pyHanko accept (Ed25519 is not
accepted on several of those paths).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from shaffof.pki import profiles
from shaffof.pki._internal.der import Sign, sign_certificate, sign_crl

ANY_POLICY = ObjectIdentifier("2.5.29.32.0")
COUNTRY = "UZ"


@dataclass(frozen=True)
class Endpoints:
    """Where relying parties fetch CA certificates and revocation information (written into certificates)."""

    base_url: str

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    @property
    def root_der(self) -> str:
        return self.url("/pki/ca.der")

    @property
    def issuing_der(self) -> str:
        return self.url("/pki/issuing-ca.der")

    @property
    def crl(self) -> str:
        return self.url("/pki/crl.der")

    def crl_of(self, issuer_serial: str) -> str:
        """The CRL of one issuing CA (several coexist after a rotation; each certificate names its own)."""
        return self.url(f"/pki/issuing/{issuer_serial}/crl.der")

    def issuing_der_of(self, issuer_serial: str) -> str:
        return self.url(f"/pki/issuing/{issuer_serial}/ca.der")

    @property
    def root_crl(self) -> str:
        return self.url("/pki/root-crl.der")

    @property
    def ocsp(self) -> str:
        return self.url("/pki/ocsp")


@dataclass(frozen=True)
class Issuer:
    certificate: x509.Certificate
    sign: Sign


def name(common_name: str, **attributes: str) -> x509.Name:
    oids = {
        "organization": NameOID.ORGANIZATION_NAME,
        "unit": NameOID.ORGANIZATIONAL_UNIT_NAME,
        "surname": NameOID.SURNAME,
        "given_name": NameOID.GIVEN_NAME,
        "serial_number": NameOID.SERIAL_NUMBER,
        "user_id": NameOID.USER_ID,
    }
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, COUNTRY)]
    parts += [x509.NameAttribute(oids[key], _bounded(value)) for key, value in attributes.items() if value]
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, _bounded(common_name)))
    return x509.Name(parts)


# RFC 5280 Appendix A upper bounds: ub-common-name, ub-organization-name and ub-organizational-unit-name are 64.
NAME_UPPER_BOUND = 64


def _bounded(value: str) -> str:
    """Official names of bodies can exceed the X.509 bound (cryptography counts UTF-8 bytes, stricter than
    the RFC's characters); keep the start and mark the cut."""
    if len(value.encode()) <= NAME_UPPER_BOUND:
        return value
    cut = value
    while len((cut + "…").encode()) > NAME_UPPER_BOUND:
        cut = cut[:-1]
    return cut.rstrip() + "…"


def _ski(certificate: x509.Certificate) -> x509.SubjectKeyIdentifier:
    return certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value


def _key_usage(
    *, sign_certs: bool = False, digital_signature: bool = False, non_repudiation: bool = False
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=non_repudiation,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=sign_certs,
        crl_sign=sign_certs,
        encipher_only=False,
        decipher_only=False,
    )


def _builder(
    subject: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    issuer_name: x509.Name,
    not_before: dt.datetime,
    not_after: dt.datetime,
    serial_number: int,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(serial_number)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _distribution(
    endpoints: Endpoints, crl_url: str, ca_issuers_url: str, *, ocsp: bool
) -> list[tuple[x509.ExtensionType, bool]]:
    access = [
        x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(ca_issuers_url))
    ]
    if ocsp:
        access.insert(
            0,
            x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(endpoints.ocsp)),
        )
    crl = x509.DistributionPoint(
        full_name=[x509.UniformResourceIdentifier(crl_url)], relative_name=None, reasons=None, crl_issuer=None
    )
    return [(x509.CRLDistributionPoints([crl]), False), (x509.AuthorityInformationAccess(access), False)]


def root_certificate(
    public_key: ec.EllipticCurvePublicKey, sign: Sign, *, subject: x509.Name, not_before: dt.datetime
) -> x509.Certificate:
    not_after = profiles.add_months(not_before, 12 * profiles.ROOT_CA_YEARS)
    builder = (
        _builder(subject, public_key, subject, not_before, not_after, x509.random_serial_number())
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(_key_usage(sign_certs=True), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False)
    )
    return sign_certificate(builder, sign)


def issuing_ca_certificate(
    public_key: ec.EllipticCurvePublicKey,
    root: Issuer,
    endpoints: Endpoints,
    *,
    subject: x509.Name,
    not_before: dt.datetime,
) -> x509.Certificate:
    not_after = min(
        profiles.add_months(not_before, 12 * profiles.ISSUING_CA_YEARS), root.certificate.not_valid_after_utc
    )
    builder = (
        _builder(subject, public_key, root.certificate.subject, not_before, not_after, x509.random_serial_number())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(sign_certs=True), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(_ski(root.certificate)), critical=False
        )
        .add_extension(x509.CertificatePolicies([x509.PolicyInformation(ANY_POLICY, None)]), critical=False)
    )
    for extension, critical in _distribution(endpoints, endpoints.root_crl, endpoints.root_der, ocsp=False):
        builder = builder.add_extension(extension, critical=critical)
    return sign_certificate(builder, root.sign)


@dataclass(frozen=True)
class EndEntityProfile:
    """The extensions that make a certificate a citizen's, an officer's, a seal's, the TSA's or the responder's."""

    policy: ObjectIdentifier
    digital_signature: bool = True
    non_repudiation: bool = False
    extended_key_usage: Sequence[ObjectIdentifier] = ()
    extended_key_usage_critical: bool = False
    ocsp_no_check: bool = False
    revocation_pointers: bool = True


def signer_profile(policy: ObjectIdentifier) -> EndEntityProfile:
    # ZRU-793: a signature equals a handwritten one when used for the certificate's purpose — signing with
    # commitment: keyUsage digitalSignature + nonRepudiation (contentCommitment), and the policy that says whose.
    return EndEntityProfile(policy=policy, non_repudiation=True)


TSA_PROFILE = EndEntityProfile(
    policy=profiles.POLICY_INFRASTRUCTURE,
    # RFC 3161 §2.3: exactly one extended key usage, id-kp-timeStamping, marked critical.
    extended_key_usage=(ExtendedKeyUsageOID.TIME_STAMPING,),
    extended_key_usage_critical=True,
)
OCSP_PROFILE = EndEntityProfile(
    policy=profiles.POLICY_INFRASTRUCTURE,
    # RFC 6960 §4.2.2.2: a delegated responder carries id-kp-OCSPSigning; id-pkix-ocsp-nocheck spares
    # clients a revocation check of the responder itself (§4.2.2.2.1), so it is short-lived.
    extended_key_usage=(ExtendedKeyUsageOID.OCSP_SIGNING,),
    ocsp_no_check=True,
    revocation_pointers=False,
)


def end_entity_certificate(
    public_key: ec.EllipticCurvePublicKey,
    issuer: Issuer,
    endpoints: Endpoints,
    profile: EndEntityProfile,
    *,
    subject: x509.Name,
    not_before: dt.datetime,
    not_after: dt.datetime,
    serial_number: int | None = None,
) -> x509.Certificate:
    if not isinstance(public_key.curve, ec.SECP256R1):
        raise ValueError("only P-256 keys are certified (ES256)")
    not_after = min(not_after, issuer.certificate.not_valid_after_utc)
    builder = (
        _builder(
            subject,
            public_key,
            issuer.certificate.subject,
            not_before,
            not_after,
            serial_number or x509.random_serial_number(),
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            _key_usage(digital_signature=profile.digital_signature, non_repudiation=profile.non_repudiation),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(_ski(issuer.certificate)), critical=False
        )
        .add_extension(x509.CertificatePolicies([x509.PolicyInformation(profile.policy, None)]), critical=False)
    )
    if profile.extended_key_usage:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage(list(profile.extended_key_usage)), critical=profile.extended_key_usage_critical
        )
    if profile.ocsp_no_check:
        builder = builder.add_extension(x509.OCSPNoCheck(), critical=False)
    if profile.revocation_pointers:
        issuer_serial = format(issuer.certificate.serial_number, "x")  # its own CA's CRL and certificate
        pointers = _distribution(
            endpoints, endpoints.crl_of(issuer_serial), endpoints.issuing_der_of(issuer_serial), ocsp=True
        )
        for extension, critical in pointers:
            builder = builder.add_extension(extension, critical=critical)
    return sign_certificate(builder, issuer.sign)


@dataclass(frozen=True)
class RevokedEntry:
    serial_number: int
    revoked_at: dt.datetime
    reason: x509.ReasonFlags


def revocation_list(
    issuer: Issuer,
    entries: Sequence[RevokedEntry],
    *,
    number: int,
    this_update: dt.datetime,
    next_update: dt.datetime,
) -> x509.CertificateRevocationList:
    """A CRL (RFC 5280 §5) with the CRL number and the issuer's key identifier."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.certificate.subject)
        .last_update(this_update)
        .next_update(next_update)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(_ski(issuer.certificate)), critical=False
        )
    )
    for entry in entries:
        revoked = x509.RevokedCertificateBuilder().serial_number(entry.serial_number).revocation_date(entry.revoked_at)
        if entry.reason is not x509.ReasonFlags.unspecified:
            # RFC 5280 §5.3.1: the reason code "unspecified" should be absent rather than written.
            revoked = revoked.add_extension(x509.CRLReason(entry.reason), critical=False)
        builder = builder.add_revoked_certificate(revoked.build())
    return sign_crl(builder, issuer.sign)
