"""The OCSP responder (RFC 6960), signed by a delegated responder certificate.

The responder certificate is issued by the issuing CA with id-kp-OCSPSigning and id-pkix-ocsp-nocheck
(§4.2.2.2); it answers for certificates of that CA only — a request naming another issuer gets
``unauthorized`` (§2.3). A serial number the CA never issued is ``unknown``. A request nonce is echoed
(RFC 8954). Up to :data:`MAX_CERTIFICATES_PER_REQUEST` certificates are answered in one response.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from asn1crypto import core
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from shaffof.pki._internal.der import Sign
from shaffof.pki.interfaces import RevocationState, RevocationStatus

MEDIA_REQUEST = "application/ocsp-request"
MEDIA_RESPONSE = "application/ocsp-response"
MAX_REQUEST_BYTES = 8192
MAX_CERTIFICATES_PER_REQUEST = 10
RESPONSE_VALIDITY = dt.timedelta(hours=1)
HASHES = frozenset({"sha1", "sha256", "sha384", "sha512"})


@dataclass(frozen=True)
class OcspResponder:
    certificate: x509.Certificate  # the delegated responder's
    issuer: x509.Certificate  # the CA it answers for
    sign: Sign


def _unsuccessful(status: str) -> bytes:
    return bytes(asn1_ocsp.OCSPResponse({"response_status": status}).dump())


def _issuer_hashes(issuer: asn1_x509.Certificate, algorithm: str) -> tuple[bytes, bytes]:
    """(hash of the issuer's DER name, hash of its public key bits): the CertID of RFC 6960 §4.1.1."""
    name_hash = hashlib.new(algorithm, issuer.subject.dump()).digest()
    key_hash = hashlib.new(algorithm, issuer.public_key["public_key"].contents[1:]).digest()
    return name_hash, key_hash


def asks_about(request_der: bytes, issuer: x509.Certificate) -> bool:
    """Whether the request's first CertID names ``issuer`` (to pick the CA, and its responder, among several
    after a rotation). A request that cannot be read names nobody; ``respond`` then says why."""
    if len(request_der) > MAX_REQUEST_BYTES:
        return False
    try:
        cert_id = asn1_ocsp.OCSPRequest.load(request_der, strict=True)["tbs_request"]["request_list"][0]["req_cert"]
        algorithm = cert_id["hash_algorithm"]["algorithm"].native
        asked = (cert_id["issuer_name_hash"].native, cert_id["issuer_key_hash"].native)
    except (ValueError, TypeError, IndexError, KeyError):
        return False
    if algorithm not in HASHES:
        return False
    issuer_asn1 = asn1_x509.Certificate.load(issuer.public_bytes(serialization.Encoding.DER))
    return asked == _issuer_hashes(issuer_asn1, algorithm)


def _status(status: RevocationStatus | None) -> asn1_ocsp.CertStatus:
    if status is None or status.state is RevocationState.unknown:
        return asn1_ocsp.CertStatus(name="unknown", value=core.Null())
    if status.state is RevocationState.revoked:
        assert status.revoked_at is not None
        revoked: dict[str, object] = {"revocation_time": status.revoked_at.astimezone(dt.UTC).replace(microsecond=0)}
        if status.reason and status.reason != "unspecified":
            revoked["revocation_reason"] = status.reason
        return asn1_ocsp.CertStatus(name="revoked", value=revoked)
    return asn1_ocsp.CertStatus(name="good", value=core.Null())


def respond(
    request_der: bytes,
    responder: OcspResponder,
    status_of: Callable[[int], RevocationStatus | None],
    *,
    now: dt.datetime,
) -> bytes:
    """The DER ``OCSPResponse`` for a DER ``OCSPRequest``."""
    if len(request_der) > MAX_REQUEST_BYTES:
        return _unsuccessful("malformed_request")
    try:
        request = asn1_ocsp.OCSPRequest.load(request_der, strict=True)
        tbs = request["tbs_request"]
        tbs.native  # noqa: B018 - parse every field now
        items = list(tbs["request_list"])
    except (ValueError, TypeError):
        return _unsuccessful("malformed_request")
    if not 1 <= len(items) <= MAX_CERTIFICATES_PER_REQUEST:
        return _unsuccessful("malformed_request")
    issuer = asn1_x509.Certificate.load(responder.issuer.public_bytes(serialization.Encoding.DER))
    this_update = now.astimezone(dt.UTC).replace(microsecond=0)
    responses = []
    for item in items:
        cert_id = item["req_cert"]
        algorithm = cert_id["hash_algorithm"]["algorithm"].native
        if algorithm not in HASHES:
            return _unsuccessful("malformed_request")
        hashes_asked = (cert_id["issuer_name_hash"].native, cert_id["issuer_key_hash"].native)
        if hashes_asked != _issuer_hashes(issuer, algorithm):
            return _unsuccessful("unauthorized")
        responses.append(
            {
                "cert_id": cert_id,
                "cert_status": _status(status_of(cert_id["serial_number"].native)),
                "this_update": this_update,
                "next_update": this_update + RESPONSE_VALIDITY,
            }
        )
    responder_certificate = asn1_x509.Certificate.load(responder.certificate.public_bytes(serialization.Encoding.DER))
    response_data: dict[str, object] = {
        # ResponderID byKey: SHA-1 of the responder's public key bits (RFC 6960 §4.2.1 mandates SHA-1 here).
        "responder_id": asn1_ocsp.ResponderId(
            name="by_key",
            value=hashlib.sha1(responder_certificate.public_key["public_key"].contents[1:]).digest(),  # noqa: S324
        ),
        "produced_at": this_update,
        "responses": responses,
    }
    nonces = [e for e in tbs["request_extensions"] if e["extn_id"].native == "nonce"]
    if nonces:
        response_data["response_extensions"] = [
            {"extn_id": "nonce", "critical": False, "extn_value": nonces[0]["extn_value"].parsed}
        ]
    tbs_response = asn1_ocsp.ResponseData(response_data)
    basic = asn1_ocsp.BasicOCSPResponse(
        {
            "tbs_response_data": tbs_response,
            "signature_algorithm": {"algorithm": "sha256_ecdsa"},
            "signature": responder.sign(tbs_response.dump()),
            "certs": [responder_certificate],
        }
    )
    return bytes(
        asn1_ocsp.OCSPResponse(
            {
                "response_status": "successful",
                "response_bytes": {"response_type": "basic_ocsp_response", "response": basic},
            }
        ).dump()
    )
