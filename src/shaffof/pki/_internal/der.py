"""Signing X.509 certificates and CRLs with a key the process cannot hold.

pyca/cryptography's builders sign only with in-memory private keys. To let a :class:`KeyStore` (a database, a
PKCS#11 module) make the signature, the builder first signs with a process-local placeholder P-256 key —
which fixes the to-be-signed bytes and the ``ecdsa-with-SHA256`` algorithm identifier — and then the
placeholder's signature is replaced by the store's signature over exactly those bytes. The placeholder's
public key appears nowhere in the result.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

Sign = Callable[[bytes], bytes]  # data → DER ECDSA-SHA-256 signature

# AlgorithmIdentifier { ecdsa-with-SHA256 } (RFC 5758 §3.2: parameters absent).
ECDSA_WITH_SHA256 = bytes.fromhex("300a06082a8648ce3d040302")


@functools.cache
def _placeholder_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _length(size: int) -> bytes:
    if size < 0x80:
        return bytes([size])
    encoded = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(encoded)]) + encoded


def _tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _length(len(content)) + content


def tlv(tag: int, content: bytes) -> bytes:
    """One DER element: a single-byte tag, the definite length, the content."""
    return _tlv(tag, content)


def sequence(content: bytes) -> bytes:
    return _tlv(0x30, content)


def signed_sequence(tbs: bytes, signature: bytes) -> bytes:
    """``SEQUENCE { tbs, ecdsa-with-SHA256, BIT STRING signature }`` — Certificate and CertificateList alike."""
    return _tlv(0x30, tbs + ECDSA_WITH_SHA256 + _tlv(0x03, b"\x00" + signature))


def sign_certificate(builder: x509.CertificateBuilder, sign: Sign) -> x509.Certificate:
    draft = builder.sign(_placeholder_key(), hashes.SHA256())
    tbs = draft.tbs_certificate_bytes
    return x509.load_der_x509_certificate(signed_sequence(tbs, sign(tbs)))


def sign_crl(builder: x509.CertificateRevocationListBuilder, sign: Sign) -> x509.CertificateRevocationList:
    draft = builder.sign(_placeholder_key(), hashes.SHA256())
    tbs = draft.tbs_certlist_bytes
    return x509.load_der_x509_crl(signed_sequence(tbs, sign(tbs)))
