"""The platform's PKI: CA hierarchy, certificates, key custody, time-stamping, revocation, signing and verification.

Public API (see docs/pki.md):

- :func:`shaffof.pki.signing.jws.sign_submission` — sign the RFC 8785 form of a JSON value as an ES256 JWS;
- :func:`shaffof.pki.service.verify_submission_jws` — verify a citizen's signed submission inside a transaction;
- :func:`shaffof.pki.verify.verify_jws` — the offline verifier (trust anchors and a revocation source given);
- :class:`shaffof.pki.service.Pki` — issuance, renewal, revocation, CRL/OCSP/TSA, cloud signing (``platform.pki``);
- :class:`shaffof.pki.interfaces.KeyStore` — where private keys live (database today, PKCS#11 tomorrow).
"""
