"""JSON Web Signatures over RFC 8785 canonical JSON (RFC 7515), ES256 with the signer's chain in ``x5c``.

The protected header is ``{"alg": "ES256", "x5c": [leaf, issuing CA], "sigT": "…Z", "crit": ["sigT"]}`` —
``sigT`` (the claimed signing time) and its marking as critical follow ETSI JAdES (TS 119 182-1). A timestamp
token (RFC 3161) is carried, as in JAdES ``sigTst``, in the unprotected header of the flattened JSON
serialization: ``"header": {"etsiU": [{"sigTst": {"tstTokens": [{"val": base64(DER)}]}}]}``; its message
imprint is the SHA-256 of the base64url signature value. Compact serialization is used when no timestamp
is attached.

Only parsing and signing live here; deciding whether a signature is *valid* (chain, time, revocation, who
signed) is :mod:`shaffof.pki.verify`'s job. Parsing is strict: one algorithm (ES256), no ``b64``
variations, no unknown critical headers, strict base64url, bounded sizes.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from shaffof.canonical_json import canonicalize

ALGORITHM = "ES256"
SIGNING_TIME = "sigT"
UNDERSTOOD_CRITICAL = frozenset({SIGNING_TIME})
MAX_JWS_BYTES = 1024 * 1024
MAX_CHAIN = 4
MAX_TIMESTAMP_TOKENS = 2
_COORDINATE = 32  # P-256: r and s are 32 octets each (RFC 7518 §3.4)
_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")
_SIGNING_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$")


class MalformedJws(ValueError):
    """Not a JWS this platform accepts; the message says what is wrong."""


class UnsupportedAlgorithm(MalformedJws):
    pass


class DataSigner(Protocol):
    """Anything that signs bytes with ECDSA P-256/SHA-256 and returns the DER signature (a KeyStore key)."""

    def sign(self, data: bytes) -> bytes: ...


@dataclass(frozen=True)
class ParsedJws:
    header: dict[str, Any]  # the protected header
    protected_b64: str
    payload: bytes
    payload_b64: str
    signature: bytes  # raw r || s
    signature_b64: str
    chain_der: tuple[bytes, ...]  # x5c, leaf first
    signing_time: dt.datetime
    timestamp_tokens: tuple[bytes, ...] = field(default=())

    @property
    def signing_input(self) -> bytes:
        return f"{self.protected_b64}.{self.payload_b64}".encode("ascii")

    @property
    def der_signature(self) -> bytes:
        return raw_to_der(self.signature)

    @property
    def compact(self) -> str:
        return f"{self.protected_b64}.{self.payload_b64}.{self.signature_b64}"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, what: str) -> bytes:
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise MalformedJws(f"the {what} is not base64url without padding")
    try:
        decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        raise MalformedJws(f"the {what} is not base64url") from None
    if b64url(decoded) != text:  # refuse non-canonical encodings (stray low bits)
        raise MalformedJws(f"the {what} is not canonical base64url")
    return decoded


def der_to_raw(signature: bytes) -> bytes:
    r, s = decode_dss_signature(signature)
    return r.to_bytes(_COORDINATE, "big") + s.to_bytes(_COORDINATE, "big")


def raw_to_der(signature: bytes) -> bytes:
    if len(signature) != 2 * _COORDINATE:
        raise MalformedJws(f"an ES256 signature has 64 octets, this one {len(signature)}")
    return encode_dss_signature(
        int.from_bytes(signature[:_COORDINATE], "big"), int.from_bytes(signature[_COORDINATE:], "big")
    )


def format_signing_time(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("the signing time must be timezone-aware")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sign_raw(key: ec.EllipticCurvePrivateKey | DataSigner, data: bytes) -> bytes:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise UnsupportedAlgorithm("ES256 needs a P-256 key")
        return der_to_raw(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return der_to_raw(key.sign(data))


def sign_compact(
    payload: bytes,
    key: ec.EllipticCurvePrivateKey | DataSigner,
    chain: Sequence[x509.Certificate],
    signing_time: dt.datetime,
) -> str:
    """A compact JWS of ``payload`` (bytes as given) with the chain (leaf first) and the signing time."""
    if not chain:
        raise ValueError("the signer's certificate chain (leaf first) is required")
    header = {
        "alg": ALGORITHM,
        "x5c": [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode("ascii") for c in chain],
        SIGNING_TIME: format_signing_time(signing_time),
        "crit": [SIGNING_TIME],
    }
    protected = b64url(canonicalize(header))
    encoded_payload = b64url(payload)
    signature = _sign_raw(key, f"{protected}.{encoded_payload}".encode("ascii"))
    return f"{protected}.{encoded_payload}.{b64url(signature)}"


def sign_submission(
    payload_json: Any,
    key: ec.EllipticCurvePrivateKey | DataSigner,
    chain: Sequence[x509.Certificate],
    signing_time: dt.datetime,
) -> str:
    """Sign the RFC 8785 canonical form of a JSON value (a submission) as a compact JWS.

    ``payload_json`` is the parsed JSON value (dict, list, …), not text: the bytes signed are its
    canonical form, so the platform can recompute them from the submission it receives.
    """
    return sign_compact(canonicalize(payload_json), key, chain, signing_time)


def timestamp_imprint(signature_b64: str) -> bytes:
    """What an RFC 3161 timestamp over this signature hashes: SHA-256 of the base64url signature value."""
    return hashlib.sha256(signature_b64.encode("ascii")).digest()


def attach_timestamp(jws: str, token_der: bytes) -> str:
    """The JWS in flattened JSON serialization with a timestamp token in its unprotected header."""
    parsed = parse(jws)
    tokens = [*parsed.timestamp_tokens, token_der]
    document = {
        "protected": parsed.protected_b64,
        "payload": parsed.payload_b64,
        "signature": parsed.signature_b64,
        "header": {"etsiU": [{"sigTst": {"tstTokens": [{"val": base64.b64encode(t).decode()} for t in tokens]}}]},
    }
    return json.dumps(document, separators=(",", ":"))


def _object(text: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates)
    except MalformedJws:
        raise
    except (ValueError, UnicodeDecodeError):
        raise MalformedJws(f"the {what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise MalformedJws(f"the {what} is not a JSON object")
    return value


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise MalformedJws(f"the member {key!r} appears twice")
        result[key] = value
    return result


def _timestamp_tokens(unprotected: dict[str, Any]) -> tuple[bytes, ...]:
    unknown = set(unprotected) - {"etsiU"}
    if unknown:
        raise MalformedJws(f"unsupported unprotected header member(s): {', '.join(sorted(unknown))}")
    tokens: list[bytes] = []
    items = unprotected.get("etsiU", [])
    if not isinstance(items, list):
        raise MalformedJws("etsiU must be an array")
    for item in items:
        if not isinstance(item, dict) or set(item) != {"sigTst"} or not isinstance(item["sigTst"], dict):
            raise MalformedJws("etsiU may hold only sigTst timestamp objects")
        for entry in item["sigTst"].get("tstTokens", []):
            value = entry.get("val") if isinstance(entry, dict) else None
            if not isinstance(value, str):
                raise MalformedJws("a sigTst token has no base64 'val'")
            try:
                tokens.append(base64.b64decode(value, validate=True))
            except binascii.Error:
                raise MalformedJws("a sigTst token is not base64") from None
    if len(tokens) > MAX_TIMESTAMP_TOKENS:
        raise MalformedJws(f"at most {MAX_TIMESTAMP_TOKENS} timestamp tokens are accepted")
    return tuple(tokens)


def parse(token: str | bytes) -> ParsedJws:
    """Parse a compact or flattened-JSON JWS; :class:`MalformedJws` says precisely what is wrong."""
    if isinstance(token, bytes):
        try:
            token = token.decode("ascii" if not token.lstrip().startswith(b"{") else "utf-8")
        except UnicodeDecodeError:
            raise MalformedJws("a JWS is ASCII text (or a JSON object)") from None
    token = token.strip()
    if len(token) > MAX_JWS_BYTES:
        raise MalformedJws(f"the JWS is larger than {MAX_JWS_BYTES:,} bytes")
    unprotected: dict[str, Any] = {}
    if token.startswith("{"):
        document = _object(token.encode(), "JWS JSON serialization")
        if "signatures" in document:
            raise MalformedJws("only one signature is accepted (use the flattened JSON serialization)")
        if not all(isinstance(document.get(k), str) for k in ("protected", "payload", "signature")):
            raise MalformedJws("the JSON serialization needs 'protected', 'payload' and 'signature' strings")
        extra = set(document) - {"protected", "payload", "signature", "header"}
        if extra:
            raise MalformedJws(f"unknown member(s) in the JWS: {', '.join(sorted(extra))}")
        header_value = document.get("header", {})
        if not isinstance(header_value, dict):
            raise MalformedJws("the unprotected 'header' must be an object")
        unprotected = header_value
        protected_b64, payload_b64, signature_b64 = document["protected"], document["payload"], document["signature"]
    else:
        parts = token.split(".")
        if len(parts) != 3:
            raise MalformedJws(f"a compact JWS has 3 parts separated by '.', this one has {len(parts)}")
        protected_b64, payload_b64, signature_b64 = parts
    header = _object(b64url_decode(protected_b64, "protected header"), "protected header")
    if set(header) & set(unprotected):
        raise MalformedJws("a header member appears both protected and unprotected")
    if header.get("alg") != ALGORITHM:
        raise UnsupportedAlgorithm(f"the algorithm must be {ALGORITHM}, not {header.get('alg')!r}")
    critical = header.get("crit", [])
    if "crit" in header and (
        not isinstance(critical, list) or not critical or not all(isinstance(c, str) for c in critical)
    ):
        raise MalformedJws("'crit' must be a non-empty array of header names")
    not_understood = set(critical) - UNDERSTOOD_CRITICAL
    if not_understood:
        raise MalformedJws(f"critical header(s) not understood: {', '.join(sorted(not_understood))}")
    if "b64" in header:
        raise MalformedJws("unencoded payloads (b64) are not accepted")
    chain = header.get("x5c")
    if not isinstance(chain, list) or not chain or not all(isinstance(c, str) for c in chain):
        raise MalformedJws("the protected header has no x5c certificate chain")
    if len(chain) > MAX_CHAIN:
        raise MalformedJws(f"the x5c chain has more than {MAX_CHAIN} certificates")
    try:
        chain_der = tuple(base64.b64decode(c, validate=True) for c in chain)
    except binascii.Error:
        raise MalformedJws("an x5c entry is not base64") from None
    claimed = header.get(SIGNING_TIME)
    matched = _SIGNING_TIME.fullmatch(claimed) if isinstance(claimed, str) else None
    if matched is None:
        raise MalformedJws("the protected header has no signing time 'sigT' (YYYY-MM-DDThh:mm:ssZ)")
    try:
        year, month, day, hour, minute, second = map(int, matched.groups())  # strptime is 10× slower
        signing_time = dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)
    except ValueError:
        raise MalformedJws(f"the signing time {claimed!r} is not a real date and time") from None
    signature = b64url_decode(signature_b64, "signature")
    if len(signature) != 2 * _COORDINATE:
        raise MalformedJws(f"an ES256 signature has 64 octets, this one {len(signature)}")
    return ParsedJws(
        header=header,
        protected_b64=protected_b64,
        payload=b64url_decode(payload_b64, "payload"),
        payload_b64=payload_b64,
        signature=signature,
        signature_b64=signature_b64,
        chain_der=chain_der,
        signing_time=signing_time,
        timestamp_tokens=_timestamp_tokens(unprotected),
    )
