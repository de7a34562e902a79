"""The time-stamping authority: RFC 3161 requests in, signed timestamp tokens out — and their verification.

A token is CMS ``SignedData`` (RFC 5652) over a ``TSTInfo``: the policy, the message imprint the requester sent,
a unique serial number, the time (``genTime``, second precision, accuracy ±1 s) and the requester's nonce. The
signer info carries the content type, the message digest and ``signingCertificateV2`` (RFC 5816, the ESS
certificate identifier that ``openssl ts -verify`` requires). The TSA certificate has the single, critical
extended key usage id-kp-timeStamping (RFC 3161 §2.3). Requests with extensions, an unknown hash, or another
policy are refused with the PKIFailureInfo bit RFC 3161 §2.4.2 names.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from shaffof.pki import profiles
from shaffof.pki._internal.der import Sign, sequence, tlv
from shaffof.pki.chain import PathError, TrustAnchors, build_path, facts

MEDIA_QUERY = "application/timestamp-query"
MEDIA_REPLY = "application/timestamp-reply"
DIGESTS = {"sha256": 32, "sha384": 48, "sha512": 64}
ACCURACY_SECONDS = 1
MAX_REQUEST_BYTES = 4096


@dataclass(frozen=True)
class TsaSigner:
    certificate: x509.Certificate
    sign: Sign
    extra_certificates: Sequence[x509.Certificate] = ()  # the issuing CA, so verifiers need only the root


class RequestRefused(ValueError):
    def __init__(self, failure: str, text: str) -> None:
        super().__init__(text)
        self.failure = failure
        self.text = text


def _der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def _parse_request(request_der: bytes) -> tsp.TimeStampReq:
    if len(request_der) > MAX_REQUEST_BYTES:
        raise RequestRefused("bad_data_format", "the request is too large")
    try:
        request = tsp.TimeStampReq.load(request_der, strict=True)
        request.native  # noqa: B018 - parse every field now, not lazily later
    except (ValueError, TypeError) as error:
        raise RequestRefused("bad_data_format", f"not a DER TimeStampReq: {error}") from None
    if request["version"].native != "v1":
        raise RequestRefused("bad_request", "only version 1 requests are understood")
    imprint = request["message_imprint"]
    algorithm = imprint["hash_algorithm"]["algorithm"].native
    if algorithm not in DIGESTS:
        raise RequestRefused("bad_alg", f"hash algorithm {algorithm} is not accepted (use SHA-256, -384 or -512)")
    if len(imprint["hashed_message"].native) != DIGESTS[algorithm]:
        raise RequestRefused("bad_data_format", "the message imprint has the wrong length for its algorithm")
    policy = request["req_policy"].native
    if policy is not None and policy != profiles.TSA_POLICY.dotted_string:
        raise RequestRefused(
            "unaccepted_policy", f"this TSA issues tokens under policy {profiles.TSA_POLICY.dotted_string}"
        )
    if request["extensions"].native:
        raise RequestRefused("unaccepted_extensions", "request extensions are not supported")
    return request


@functools.lru_cache(maxsize=16)
def _ess_certificate_id(tsa_der: bytes) -> bytes:
    """The DER SigningCertificateV2 naming the TSA certificate, built once per certificate: asn1crypto re-encodes a
    freshly built value with names inside for every SET it is sorted into (~13 ms a token), a loaded one never."""
    certificate = asn1_x509.Certificate.load(tsa_der)
    value = tsp.SigningCertificateV2(
        {
            "certs": [
                {
                    # hash_algorithm left at its DEFAULT (SHA-256) so it is omitted, as DER requires
                    "cert_hash": hashlib.sha256(tsa_der).digest(),
                    "issuer_serial": {
                        "issuer": [asn1_x509.GeneralName({"directory_name": certificate.issuer})],
                        "serial_number": certificate.serial_number,
                    },
                }
            ]
        }
    )
    return bytes(value.dump())


def _token(
    signer: TsaSigner,
    imprint_der: bytes,
    *,
    now: dt.datetime,
    nonce: int | None,
    include_certificates: bool,
    serial_number: int | None = None,
) -> bytes:
    """The DER ``ContentInfo`` of a timestamp token (RFC 3161 §2.4.2, RFC 5652 §5).

    Written directly in DER around parts encoded once per TSA certificate (``_Constant``): building the same
    structure as asn1crypto objects took ~2 ms a token, sixty times its ECDSA signature, and every signed
    submission gets one. ``tests/unit/pki/test_tsa_der.py`` checks the bytes against asn1crypto's encoding of
    the same values, and ``openssl ts -verify`` accepts the tokens (tests/integration/test_pki.py).
    """
    constant = _constant(_der(signer.certificate), tuple(_der(c) for c in signer.extra_certificates))
    gen_time = now.astimezone(dt.UTC).replace(microsecond=0)
    serial = serial_number if serial_number is not None else secrets.randbits(127) | 1 << 126  # unique, ≤ 160 bits
    tst_info = tlv(
        0x30,
        _TST_VERSION
        + constant.policy
        + imprint_der
        + _integer(serial)
        + tlv(0x18, gen_time.strftime("%Y%m%d%H%M%SZ").encode())
        + _ACCURACY
        + (_integer(nonce) if nonce is not None else b""),
    )
    attributes = _set_of(
        [
            constant.content_type_attribute,
            tlv(0x30, _SIGNING_TIME + tlv(0x31, tlv(0x17, gen_time.strftime("%y%m%d%H%M%SZ").encode()))),
            tlv(0x30, _MESSAGE_DIGEST + tlv(0x31, tlv(0x04, hashlib.sha256(tst_info).digest()))),
            constant.certificate_attribute,
        ]
    )
    # RFC 5652 §5.4: the signature covers the DER of the attributes as a SET OF (tag 0x31); in the SignerInfo
    # they are [0] IMPLICIT.
    signer_info = tlv(
        0x30,
        _SIGNER_VERSION
        + constant.sid
        + _SHA256
        + b"\xa0"
        + attributes[1:]
        + _ECDSA_SHA256
        + tlv(0x04, signer.sign(attributes)),
    )
    signed_data = tlv(
        0x30,
        _SIGNED_DATA_VERSION
        + tlv(0x31, _SHA256)
        + tlv(0x30, _TST_INFO_TYPE + tlv(0xA0, tlv(0x04, tst_info)))
        + (constant.certificates if include_certificates else b"")
        + tlv(0x31, signer_info),
    )
    return tlv(0x30, _SIGNED_DATA_TYPE + tlv(0xA0, signed_data))


@dataclass(frozen=True)
class _Constant:
    """The parts of every token a TSA certificate signs that do not change between tokens, DER-encoded."""

    policy: bytes
    sid: bytes
    content_type_attribute: bytes
    certificate_attribute: bytes
    certificates: bytes  # [0] IMPLICIT CertificateSet: the TSA's certificate and the issuing CA's


@functools.lru_cache(maxsize=16)
def _constant(tsa_der: bytes, extra_ders: tuple[bytes, ...]) -> _Constant:
    certificate = asn1_x509.Certificate.load(tsa_der)
    sid = cms.SignerIdentifier(
        {"issuer_and_serial_number": {"issuer": certificate.issuer, "serial_number": certificate.serial_number}}
    )
    return _Constant(
        policy=core.ObjectIdentifier(profiles.TSA_POLICY.dotted_string).dump(),
        sid=sid.dump(),
        content_type_attribute=cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}).dump(),
        certificate_attribute=cms.CMSAttribute(
            {"type": "signing_certificate_v2", "values": [tsp.SigningCertificateV2.load(_ess_certificate_id(tsa_der))]}
        ).dump(),
        certificates=_certificate_set([certificate, *(asn1_x509.Certificate.load(der) for der in extra_ders)]),
    )


def _certificate_set(certificates: list[asn1_x509.Certificate]) -> bytes:
    """``[0] IMPLICIT CertificateSet``, encoded by asn1crypto once (as the field of a SignedData)."""
    holder = cms.SignedData({"version": "v3", "digest_algorithms": [], "certificates": certificates})
    return bytes(holder["certificates"].dump())


def _integer(value: int) -> bytes:
    return tlv(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True))


def _set_of(encodings: list[bytes]) -> bytes:
    """DER SET OF (X.690 §11.6): the elements in ascending order of their encodings."""
    longest = max(len(e) for e in encodings)

    def padded(encoding: bytes) -> bytes:
        return encoding + bytes(longest - len(encoding))

    ordered: list[bytes] = sorted(encodings, key=padded)
    return tlv(0x31, b"".join(ordered))


_TST_VERSION = _integer(1)
_SIGNER_VERSION = _integer(1)
_SIGNED_DATA_VERSION = _integer(3)
_ACCURACY = tlv(0x30, _integer(ACCURACY_SECONDS))
_SHA256 = algos.DigestAlgorithm({"algorithm": "sha256"}).dump()
_ECDSA_SHA256 = algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}).dump()
_SIGNING_TIME = cms.CMSAttributeType("signing_time").dump()
_MESSAGE_DIGEST = cms.CMSAttributeType("message_digest").dump()
_TST_INFO_TYPE = cms.ContentType("tst_info").dump()
_SIGNED_DATA_TYPE = cms.ContentType("signed_data").dump()


def respond(request_der: bytes, signer: TsaSigner, *, now: dt.datetime) -> bytes:
    """A DER ``TimeStampResp`` for a DER ``TimeStampReq`` — granted with a token, or rejected with the reason."""
    try:
        request = _parse_request(request_der)
    except RequestRefused as refusal:
        status = tsp.PKIStatusInfo(
            {
                "status": "rejection",
                "status_string": [refusal.text],
                "fail_info": tsp.PKIFailureInfo({refusal.failure}),
            }
        )
        # TimeStampResp ::= SEQUENCE { status, timeStampToken OPTIONAL } — asn1crypto's class lacks the OPTIONAL.
        return sequence(status.dump())
    token = _token(
        signer,
        request["message_imprint"].dump(),
        now=now,
        nonce=request["nonce"].native,
        include_certificates=bool(request["cert_req"].native),
    )
    granted = tsp.PKIStatusInfo({"status": "granted"}).dump()
    return sequence(granted + token)


def stamp(digest_sha256: bytes, signer: TsaSigner, *, now: dt.datetime) -> bytes:
    """A timestamp token (DER ``ContentInfo``) over a SHA-256 digest, certificates included."""
    if len(digest_sha256) != 32:
        raise ValueError("a SHA-256 digest is 32 bytes")
    imprint = tlv(0x30, _SHA256 + tlv(0x04, digest_sha256))
    return _token(signer, imprint, now=now, nonce=None, include_certificates=True)


class TimestampInvalid(ValueError):
    """The token does not prove the time: the message says why."""


@dataclass(frozen=True)
class VerifiedTimestamp:
    time: dt.datetime
    serial_number: int
    tsa_name: str


def verify_token(
    token_der: bytes,
    digest_sha256: bytes,
    trust: TrustAnchors,
    extra_certificates: Sequence[bytes] = (),
) -> VerifiedTimestamp:
    """Check a token over ``digest_sha256``: imprint, signature, ESS certificate id, TSA certificate and path."""
    try:
        info = cms.ContentInfo.load(token_der, strict=True)
        if info["content_type"].native != "signed_data":
            raise TimestampInvalid("the token is not CMS SignedData")
        signed_data = info["content"]
        encapsulated = signed_data["encap_content_info"]
        if encapsulated["content_type"].native != "tst_info":
            raise TimestampInvalid("the token does not hold a TSTInfo")
        content = encapsulated["content"].contents
        tst_info = tsp.TSTInfo.load(content, strict=True)
        signer_infos = signed_data["signer_infos"]
        if len(signer_infos) != 1:
            raise TimestampInvalid("a timestamp token has exactly one signer")
        signer_info = signer_infos[0]
        imprint = tst_info["message_imprint"]
        if (
            imprint["hash_algorithm"]["algorithm"].native != "sha256"
            or imprint["hashed_message"].native != digest_sha256
        ):
            raise TimestampInvalid("the timestamp is over other data (message imprint mismatch)")
        gen_time: dt.datetime = tst_info["gen_time"].native
        attributes = {a["type"].native: a["values"] for a in signer_info["signed_attrs"]}
        if attributes.get("content_type") is None or attributes["content_type"][0].native != "tst_info":
            raise TimestampInvalid("the signed content type is not TSTInfo")
        digest = attributes.get("message_digest")
        if digest is None or digest[0].native != hashlib.sha256(content).digest():
            raise TimestampInvalid("the TSTInfo was altered (message digest mismatch)")
        if signer_info["digest_algorithm"]["algorithm"].native != "sha256":
            raise TimestampInvalid("only SHA-256 timestamp signatures are accepted")
        sid = signer_info["sid"].chosen
        embedded = [c.chosen.dump() for c in signed_data["certificates"] or [] if c.name == "certificate"]
        candidates = [*embedded, *extra_certificates, *(r.der for r in trust.intermediates)]
        tsa = next(
            (
                facts(der)
                for der in candidates
                if isinstance(sid, cms.IssuerAndSerialNumber)
                and asn1_x509.Certificate.load(der).serial_number == sid["serial_number"].native
                and asn1_x509.Certificate.load(der).issuer == sid["issuer"]
            ),
            None,
        )
        if tsa is None:
            raise TimestampInvalid("the TSA certificate is not in the token")
        ess = attributes.get("signing_certificate_v2")
        if ess is None or ess[0]["certs"][0]["cert_hash"].native != hashlib.sha256(tsa.der).digest():
            raise TimestampInvalid("the token does not name its TSA certificate (signingCertificateV2)")
        signed = signer_info["signed_attrs"].untag().dump()
        signature = signer_info["signature"].native
    except (ValueError, TypeError, KeyError, IndexError) as error:
        if isinstance(error, TimestampInvalid):
            raise
        raise TimestampInvalid(f"the timestamp token is malformed: {error}") from None
    if tsa.public_key is None:
        raise TimestampInvalid("the TSA key is not P-256")
    try:
        tsa.public_key.verify(signature, signed, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise TimestampInvalid("the timestamp signature does not verify") from None
    if tsa.extended_key_usage != {ExtendedKeyUsageOID.TIME_STAMPING} or not tsa.extended_key_usage_critical:
        raise TimestampInvalid("the signer is not a time-stamping authority (critical id-kp-timeStamping)")
    if not tsa.not_before <= gen_time <= tsa.not_after:
        raise TimestampInvalid("the TSA certificate was not valid at the time it states")
    supplied = [facts(der) for der in candidates if der != tsa.der]
    try:
        build_path(tsa, supplied, trust, gen_time)
    except PathError as error:
        raise TimestampInvalid(f"the TSA is not trusted: {error.detail}") from None
    return VerifiedTimestamp(
        time=gen_time, serial_number=int(tst_info["serial_number"].native), tsa_name=tsa.common_name or tsa.subject_text
    )
