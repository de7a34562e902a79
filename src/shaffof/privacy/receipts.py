"""Signed, timestamped receipts: an RFC 3161 token of the platform's TSA over a SHA-256 digest.

A TSA token is a CMS signature by a platform certificate that binds a digest to a time, so one object is
both the platform's signature and the timestamp X-Road puts on its message log; any RFC 3161 tool
(``openssl ts -verify``) checks it without Shaffof. The token is requested through the TSA's public
RFC 3161 interface, as an outside client would.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING

from asn1crypto import algos, tsp

from shaffof.canonical_json import canonicalize
from shaffof.pki.tsa import VerifiedTimestamp, verify_token
from shaffof.privacy.errors import ReceiptUnavailable

if TYPE_CHECKING:
    from typing import Any

    from shaffof.pki.service import Pki


def digest_of(record: dict[str, Any]) -> bytes:
    """SHA-256 of the record's RFC 8785 canonical JSON."""
    return hashlib.sha256(canonicalize(record)).digest()


def stamp(pki: Pki, digest: bytes) -> bytes:
    """The TSA's token (DER ContentInfo) over ``digest``; refused unless the TSA grants it."""
    request = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": tsp.MessageImprint(
                {"hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}), "hashed_message": digest}
            ),
            "nonce": secrets.randbits(63),
            "cert_req": True,
        }
    )
    response = tsp.TimeStampResp.load(pki.timestamp_response(request.dump()))
    if response["status"]["status"].native != "granted":
        raise ReceiptUnavailable("The platform's timestamp authority refused to sign; try again later.")
    return bytes(response["time_stamp_token"].dump())


def verify(pki: Pki, token: bytes, digest: bytes) -> VerifiedTimestamp:
    """Check a receipt against the platform's CA (raises ``TimestampInvalid`` saying why not)."""
    return verify_token(token, digest, pki.hierarchy().trust)
