"""ID-token signing keys: ES256 (RFC 7518 §3.4) keys in the PKI key store, published as a JWKS, rotated.

The private halves never leave the key store (``pki_keys``, sealed under ``SHAFFOF_PKI_PASSPHRASE``): a token is
signed by handing its signing input to the store, as the PKI does for certificates and seals. Rotation makes a
new key the signing key at once; the retired key stays in ``/oauth/jwks`` until the last token it may have
signed has expired (``publish_until`` = retirement + the longest token lifetime), so relying parties that
cached the old JWKS, or hold a token signed a second before the rotation, can still verify it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.orm import Session

from shaffof.canonical_json import canonicalize
from shaffof.oidc.models import SigningKey
from shaffof.pki.interfaces import KeyStore
from shaffof.pki.signing.jws import b64url, der_to_raw

ALGORITHM = "ES256"
LABEL_PREFIX = "oidc/"


def public_jwk(public_key: ec.EllipticCurvePublicKey, kid: str) -> dict[str, Any]:
    numbers = public_key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
        "kid": kid,
        "use": "sig",
        "alg": ALGORITHM,
    }


def _thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint: the key's id is derived from the key, so it can never name another key."""
    required = {name: jwk[name] for name in ("crv", "kty", "x", "y")}
    return b64url(hashlib.sha256(canonicalize(required)).digest())


def active_key(session: Session) -> SigningKey | None:
    return session.scalar(
        sa.select(SigningKey)
        .where(SigningKey.retired_at.is_(None))
        .order_by(SigningKey.created_at.desc(), SigningKey.kid)
        .limit(1)
    )


def create_key(session: Session, keystore: KeyStore, now: dt.datetime) -> SigningKey:
    label = f"{LABEL_PREFIX}{uuid.uuid4().hex}"
    public_key = keystore.generate(session, label)
    jwk = public_jwk(public_key, "")
    kid = _thumbprint(jwk)
    jwk["kid"] = kid
    key = SigningKey(kid=kid, key_label=label, public_jwk=jwk, created_at=now)
    session.add(key)
    session.flush()
    return key


def rotate(session: Session, keystore: KeyStore, now: dt.datetime, longest_token_lifetime: dt.timedelta) -> SigningKey:
    """Retire every active key (published until its tokens expire) and make a new signing key."""
    for old in session.scalars(sa.select(SigningKey).where(SigningKey.retired_at.is_(None))):
        old.retired_at = now
        old.publish_until = now + longest_token_lifetime
    return create_key(session, keystore, now)


def published(session: Session, now: dt.datetime) -> list[dict[str, Any]]:
    """The JWKS keys: the signing key and every retired key whose tokens may still be valid."""
    rows = session.scalars(
        sa.select(SigningKey)
        .where(sa.or_(SigningKey.retired_at.is_(None), SigningKey.publish_until > now))
        .order_by(SigningKey.created_at.desc(), SigningKey.kid)
    )
    return [dict(row.public_jwk) for row in rows]


def sign_jwt(session: Session, keystore: KeyStore, key: SigningKey, claims: dict[str, Any]) -> str:
    """A compact JWS (RFC 7515) of the claims, signed by the key store; header ``{alg, kid, typ}``."""
    header = {"alg": ALGORITHM, "kid": key.kid, "typ": "JWT"}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = der_to_raw(keystore.sign(session, key.key_label, signing_input.encode("ascii")))
    return f"{signing_input}.{b64url(signature)}"


def left_half_hash(value: str) -> str:
    """``at_hash``/``c_hash`` for ES256 (OIDC Core §3.1.3.6): base64url of the left half of SHA-256."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return b64url(digest[: len(digest) // 2])
