"""Certificate profiles and the ZRU-793 rules on validity and renewal (pure: no database, no keys).

Object identifiers live under ``2.25.136476752450515404870295302887322128299`` — a UUID-derived arc
(ITU-T X.667 / ISO/IEC 9834-8: anyone may mint an OID from a random UUID without registration; the UUID is
66ac7767-ad01-40de-acc0-978639538fab). **They are placeholders**: a deployment that is accredited as a
registration centre replaces them with the OIDs of its published certificate policy.
"""

from __future__ import annotations

import calendar
import datetime as dt
from enum import StrEnum

from cryptography import x509
from cryptography.x509.oid import ObjectIdentifier

from shaffof.legal import Citation

ARC = "2.25.136476752450515404870295302887322128299"

# Certificate policies (placeholders, see the module docstring).
POLICY_CITIZEN_CLIENT_KEY = ObjectIdentifier(f"{ARC}.1.1")  # citizen, key generated and held on their device
POLICY_CITIZEN_CLOUD_KEY = ObjectIdentifier(f"{ARC}.1.2")  # citizen, key kept by the platform (cloud signature)
POLICY_OFFICER = ObjectIdentifier(f"{ARC}.2.1")  # an officer signing for their agency
POLICY_ESEAL = ObjectIdentifier(f"{ARC}.3.1")  # an agency's electronic seal (automated decisions)
POLICY_INFRASTRUCTURE = ObjectIdentifier(f"{ARC}.9.1")  # CA, time-stamping and OCSP certificates
TSA_POLICY = ObjectIdentifier(f"{ARC}.4.1")  # the policy named in every RFC 3161 TSTInfo

SIGNING_POLICIES = frozenset({POLICY_CITIZEN_CLIENT_KEY, POLICY_CITIZEN_CLOUD_KEY, POLICY_OFFICER, POLICY_ESEAL})

# ETSI EN 319 412-1 §5.1.3 natural-person semantics identifier: "PNO" + ISO 3166 country + "-" + number.
PINFL_SERIAL_PREFIX = "PNOUZ-"

ZRU_793_VALIDITY = Citation(
    law="ZRU-793",
    title="A signature-key certificate is valid for at most 24 months and may be extended at most twice",
)
# ZRU-793: at most 24 months of validity per certificate, at most two extensions (renewals).
MAX_VALIDITY_MONTHS = 24
MAX_RENEWALS = 2

# Infrastructure certificates are not signature-key certificates of a person or a body; their lifetimes are
# operational choices (the issuing CA must outlive every certificate it signs).
ROOT_CA_YEARS = 20
ISSUING_CA_YEARS = 10
TSA_YEARS = 5
OCSP_RESPONDER_YEARS = 2


class CertificateKind(StrEnum):
    root_ca = "root_ca"
    issuing_ca = "issuing_ca"
    tsa = "tsa"
    ocsp_responder = "ocsp_responder"
    citizen = "citizen"
    officer = "officer"
    eseal = "eseal"


SIGNER_KINDS = frozenset({CertificateKind.citizen, CertificateKind.officer, CertificateKind.eseal})
AUTHORITY_KINDS = (
    CertificateKind.root_ca,
    CertificateKind.issuing_ca,
    CertificateKind.tsa,
    CertificateKind.ocsp_responder,
)
ROTATABLE_KINDS = (CertificateKind.issuing_ca, CertificateKind.tsa, CertificateKind.ocsp_responder)


class KeyCustody(StrEnum):
    client = "client"  # the holder generated the key and keeps it (CSR flow)
    platform = "platform"  # generated and kept encrypted by the platform (CA keys, e-seals, cloud signature)


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """``moment`` plus whole calendar months; the day is clamped to the target month's length."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def signer_validity(not_before: dt.datetime, months: int) -> tuple[dt.datetime, dt.datetime]:
    """The validity window of a signature-key certificate; ZRU-793 caps it at 24 months."""
    if not 1 <= months <= MAX_VALIDITY_MONTHS:
        raise ValueError(f"a signature-key certificate is valid for 1 to {MAX_VALIDITY_MONTHS} months (ZRU-793)")
    start = not_before.astimezone(dt.UTC).replace(microsecond=0)
    # RFC 5280 notAfter is inclusive: end one second before the same instant months later.
    return start, add_months(start, months) - dt.timedelta(seconds=1)


def renewal_refusal(renewals_so_far: int) -> str | None:
    """Why a certificate that has been renewed ``renewals_so_far`` times may not be renewed again, or None."""
    if renewals_so_far >= MAX_RENEWALS:
        return (
            f"This certificate has already been extended {renewals_so_far} times; ZRU-793 allows at most "
            f"{MAX_RENEWALS} extensions. Apply for a new certificate with a new key."
        )
    return None


def pinfl_serial_number(pinfl: str) -> str:
    return f"{PINFL_SERIAL_PREFIX}{pinfl}"


def pinfl_in(serial_number: str | None) -> str | None:
    """The PINFL of a serialNumber attribute ``PNOUZ-<PINFL>``, or None."""
    if serial_number is None or not serial_number.startswith(PINFL_SERIAL_PREFIX):
        return None
    number = serial_number[len(PINFL_SERIAL_PREFIX) :]
    return number if len(number) == 14 and number.isascii() and number.isdigit() else None


def pinfl_of(name: x509.Name) -> str | None:
    """The PINFL in a subject's serialNumber ``PNOUZ-<PINFL>``, or None."""
    for attribute in name.get_attributes_for_oid(x509.NameOID.SERIAL_NUMBER):
        if isinstance(attribute.value, str) and (found := pinfl_in(attribute.value)):
            return found
    return None


def policies_of(certificate: x509.Certificate) -> frozenset[ObjectIdentifier]:
    try:
        extension = certificate.extensions.get_extension_for_class(x509.CertificatePolicies)
    except x509.ExtensionNotFound:
        return frozenset()
    return frozenset(p.policy_identifier for p in extension.value)


def kind_of_policy(policy: ObjectIdentifier) -> CertificateKind | None:
    return {
        POLICY_CITIZEN_CLIENT_KEY: CertificateKind.citizen,
        POLICY_CITIZEN_CLOUD_KEY: CertificateKind.citizen,
        POLICY_OFFICER: CertificateKind.officer,
        POLICY_ESEAL: CertificateKind.eseal,
    }.get(policy)
