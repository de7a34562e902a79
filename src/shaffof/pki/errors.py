"""Errors of the PKI domain (mapped to RFC 9457 problems by the web layer)."""

from __future__ import annotations

from shaffof.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, Unauthenticated


class PkiNotInitialised(DomainError):
    status = 503
    code = "pki-not-initialised"
    title = "The certification authority is not set up"


class PkiPassphraseRefused(DomainError):
    """Production with the development passphrase (or a short one): keys stay sealed, key operations refused."""

    status = 503
    code = "pki-passphrase-refused"
    title = "The PKI key store is locked"


class PkiAlreadyInitialised(Conflict):
    code = "pki-already-initialised"
    title = "The certification authority already exists"


class KeyNotFound(NotFound):
    code = "key-not-found"
    title = "No such key"


class KeyExists(Conflict):
    code = "key-exists"
    title = "A key with this label exists"


class CertificateNotFound(NotFound):
    code = "certificate-not-found"
    title = "No such certificate"


class CsrInvalid(InvalidInput):
    code = "csr-invalid"
    title = "The certificate signing request is not acceptable"


class IssuanceRefused(Conflict):
    code = "issuance-refused"
    title = "The certificate cannot be issued"


class RenewalRefused(Conflict):
    code = "renewal-refused"
    title = "The certificate cannot be extended"


class RevocationRefused(Conflict):
    code = "revocation-refused"
    title = "The certificate cannot be revoked"


class RotationRefused(Conflict):
    code = "rotation-refused"
    title = "This authority cannot be rotated"


class CertificateAccessDenied(Forbidden):
    code = "certificate-access-denied"
    title = "Not your certificate"


class SigningNotAllowed(Forbidden):
    code = "signing-not-allowed"
    title = "This account cannot hold a signature certificate"


class StepUpRequired(Unauthenticated):
    """A cloud-signing act needs a fresh, unused TOTP code (ZRU-793: cloud keys with multi-factor authentication)."""

    code = "step-up-required"
    title = "A fresh second-factor code is required"


class StepUpLocked(DomainError):
    status = 429
    code = "step-up-locked"
    title = "Too many wrong second-factor codes"


class TotpAlreadyEnrolled(Conflict):
    code = "totp-already-enrolled"
    title = "A second factor is already enrolled"


class TotpNotEnrolled(Conflict):
    code = "totp-not-enrolled"
    title = "No confirmed second factor"


class CloudKeyExists(Conflict):
    code = "cloud-key-exists"
    title = "A cloud key is already active"


class CloudKeyNotFound(NotFound):
    code = "cloud-key-not-found"
    title = "No active cloud key"


class PayloadNotSignable(InvalidInput):
    code = "payload-not-signable"
    title = "The payload cannot be signed"
