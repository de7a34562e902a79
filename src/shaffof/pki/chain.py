"""Certificate paths for this platform's hierarchy: leaf → issuing CA → a trusted root.

This is deliberately *not* a general RFC 5280 path validator (pyHanko's certvalidator and OpenSSL are, and the
tests use OpenSSL as the independent check): it builds the one short path a Shaffof signature has (at most two
CA certificates), checks the signatures, CA flags, key usages and path length, and refuses certificates with
critical extensions it does not process (name or policy constraints, policy mappings).

Parsing a certificate and checking that one certificate signed another are pure functions of the DER bytes,
so both are memoised (bounded LRU): a second signature by the same signer costs no certificate work.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtensionOID, NameOID, ObjectIdentifier

from shaffof.pki import profiles

MAX_CA_CERTIFICATES = 2
PROCESSED_EXTENSIONS = frozenset(
    {
        ExtensionOID.BASIC_CONSTRAINTS,
        ExtensionOID.KEY_USAGE,
        ExtensionOID.EXTENDED_KEY_USAGE,
        ExtensionOID.CERTIFICATE_POLICIES,
        ExtensionOID.SUBJECT_KEY_IDENTIFIER,
        ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
        ExtensionOID.CRL_DISTRIBUTION_POINTS,
        ExtensionOID.AUTHORITY_INFORMATION_ACCESS,
        ExtensionOID.OCSP_NO_CHECK,
    }
)


class PathError(Exception):
    """No acceptable path. ``unknown_ca``: it leads to no trusted root; otherwise the path is broken."""

    def __init__(self, detail: str, *, unknown_ca: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.unknown_ca = unknown_ca


@dataclass(frozen=True, eq=False)
class CertificateFacts:
    """What verification needs from one certificate, extracted once per distinct DER."""

    der: bytes
    certificate: x509.Certificate
    sha256: str
    public_key: ec.EllipticCurvePublicKey | None  # None: not a P-256 key (refused for signing)
    is_ca: bool
    path_length: int | None
    key_usage: x509.KeyUsage | None
    extended_key_usage: frozenset[ObjectIdentifier]
    extended_key_usage_critical: bool
    policies: frozenset[ObjectIdentifier]
    unprocessed_critical: tuple[str, ...]
    self_issued: bool
    subject_name_der: bytes
    issuer_name_der: bytes
    not_before: dt.datetime
    not_after: dt.datetime
    common_name: str | None
    organization: str | None
    unit: str | None
    pinfl: str | None

    @property
    def serial_hex(self) -> str:
        return format(self.certificate.serial_number, "x")

    @property
    def subject_text(self) -> str:
        return self.certificate.subject.rfc4514_string()


def _first_values(name: x509.Name) -> dict[ObjectIdentifier, str]:
    """The first text value of each attribute type, in one pass over the name."""
    found: dict[ObjectIdentifier, str] = {}
    for attribute in name:
        if isinstance(attribute.value, str):
            found.setdefault(attribute.oid, attribute.value)
    return found


@functools.lru_cache(maxsize=4096)
def facts(der: bytes) -> CertificateFacts:
    """Parse once; ``ValueError`` if the bytes are not an X.509 certificate."""
    certificate = x509.load_der_x509_certificate(der)
    public_key = certificate.public_key()
    subject = certificate.subject
    subject_der, issuer_der = subject.public_bytes(), certificate.issuer.public_bytes()
    names = _first_values(subject)
    extensions = list(certificate.extensions)
    by_type = {type(e.value): e for e in extensions}  # one pass (unrecognised ones may share a type: not used here)
    constraints = by_type.get(x509.BasicConstraints)
    usage = by_type.get(x509.KeyUsage)
    extended = by_type.get(x509.ExtendedKeyUsage)
    policies = by_type.get(x509.CertificatePolicies)
    return CertificateFacts(
        der=der,
        certificate=certificate,
        sha256=hashlib.sha256(der).hexdigest(),
        public_key=public_key
        if isinstance(public_key, ec.EllipticCurvePublicKey) and isinstance(public_key.curve, ec.SECP256R1)
        else None,
        is_ca=bool(constraints and constraints.value.ca),
        path_length=constraints.value.path_length if constraints else None,
        key_usage=usage.value if usage else None,
        extended_key_usage=frozenset(extended.value) if extended else frozenset(),
        extended_key_usage_critical=bool(extended and extended.critical),
        policies=frozenset(p.policy_identifier for p in policies.value) if policies else frozenset(),
        unprocessed_critical=tuple(
            e.oid.dotted_string for e in extensions if e.critical and e.oid not in PROCESSED_EXTENSIONS
        ),
        self_issued=subject_der == issuer_der,
        subject_name_der=subject_der,
        issuer_name_der=issuer_der,
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        common_name=names.get(NameOID.COMMON_NAME),
        organization=names.get(NameOID.ORGANIZATION_NAME),
        unit=names.get(NameOID.ORGANIZATIONAL_UNIT_NAME),
        pinfl=profiles.pinfl_in(names.get(NameOID.SERIAL_NUMBER)),
    )


@functools.lru_cache(maxsize=8192)
def signed_by(child_der: bytes, issuer_der: bytes) -> bool:
    """Whether ``issuer`` signed ``child`` (names chain and the signature verifies)."""
    try:
        facts(child_der).certificate.verify_directly_issued_by(facts(issuer_der).certificate)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


@dataclass(frozen=True)
class TrustAnchors:
    """The roots a verifier trusts, and optionally CA certificates it already knows (the issuing CA)."""

    roots: tuple[CertificateFacts, ...]
    intermediates: tuple[CertificateFacts, ...] = ()

    @classmethod
    def of(cls, certificates: Iterable[x509.Certificate | bytes]) -> TrustAnchors:
        """Self-issued certificates become roots; other CA certificates are known intermediates."""
        from cryptography.hazmat.primitives.serialization import Encoding

        parsed = [facts(c if isinstance(c, bytes) else c.public_bytes(Encoding.DER)) for c in certificates]
        return cls(
            roots=tuple(f for f in parsed if f.self_issued),
            intermediates=tuple(f for f in parsed if not f.self_issued),
        )

    @classmethod
    def from_pem(cls, data: bytes) -> TrustAnchors:
        anchors = cls.of(x509.load_pem_x509_certificates(data))
        if not anchors.roots:
            raise ValueError("the trust file holds no self-signed (root) CA certificate")
        return anchors


def _check_ca(ca: CertificateFacts, at: dt.datetime, below: int) -> None:
    name = ca.common_name or ca.subject_text
    if not ca.is_ca:
        raise PathError(f"{name} is not a CA certificate (basicConstraints cA is not set)")
    if ca.key_usage is None or not ca.key_usage.key_cert_sign:
        raise PathError(f"{name} may not sign certificates (keyUsage keyCertSign is missing)")
    if ca.path_length is not None and below > ca.path_length:
        raise PathError(f"{name} allows {ca.path_length} CA certificate(s) below it, the path has {below}")
    if ca.unprocessed_critical:
        raise PathError(f"{name} has critical extension(s) this verifier does not process: {ca.unprocessed_critical}")
    if not ca.not_before <= at <= ca.not_after:
        raise PathError(f"the CA certificate {name} was not valid at {at.isoformat()}")


def build_path(
    leaf: CertificateFacts, supplied: Sequence[CertificateFacts], trust: TrustAnchors, at: dt.datetime
) -> tuple[CertificateFacts, ...]:
    """The path leaf → … → trusted root, CA certificates checked at ``at``; :class:`PathError` otherwise.

    ``supplied`` are the certificates the signature carried (x5c beyond the leaf); a supplied root counts only
    if it is byte-for-byte one of the trusted roots.
    """
    root_hashes = {r.sha256 for r in trust.roots}
    candidates = [*trust.roots, *trust.intermediates, *(c for c in supplied if c.sha256 not in root_hashes)]
    path = [leaf]
    current = leaf
    while True:
        if current.sha256 in root_hashes:
            break
        issuer = next(
            (
                c
                for c in candidates
                if c is not current and c.sha256 != current.sha256 and signed_by(current.der, c.der)
            ),
            None,
        )
        if issuer is None:
            raise PathError(
                f"the certificate of {current.common_name or current.subject_text} was not issued by a "
                "trusted certification authority",
                unknown_ca=True,
            )
        path.append(issuer)
        if len(path) - 1 > MAX_CA_CERTIFICATES:
            raise PathError("the certificate path is longer than this hierarchy allows")
        current = issuer
    for depth, ca in enumerate(path[1:]):
        _check_ca(ca, at, below=depth)
    return tuple(path)
