"""Who may obtain, extend, revoke and read which certificates (decided here, never in routes)."""

from __future__ import annotations

from shaffof.identity.actor import Actor
from shaffof.identity.models import Role
from shaffof.pki.errors import CertificateAccessDenied, SigningNotAllowed
from shaffof.pki.models import IssuedCertificate
from shaffof.pki.profiles import SIGNER_KINDS, CertificateKind


def signer_kind_for(actor: Actor) -> CertificateKind:
    """Citizens sign as themselves; officers and heads for their agency. Nobody else holds a signing key."""
    if actor.role is Role.citizen and actor.person_id is not None:
        return CertificateKind.citizen
    if actor.is_agency_staff and actor.agency_id is not None:
        return CertificateKind.officer
    raise SigningNotAllowed(
        "Only citizens and agency officers hold signature certificates; agency e-seals are issued by an administrator."
    )


def ensure_cloud_signer(actor: Actor) -> CertificateKind:
    """Cloud keys (ZRU-793 allows a key kept by the platform behind multi-factor authentication) are for the
    same holders as client-held ones: citizens for themselves, officers and heads for their agency. Returns the
    kind of certificate the key gets."""
    try:
        return signer_kind_for(actor)
    except SigningNotAllowed:
        raise SigningNotAllowed(
            "Cloud signature keys are for citizens and agency officers; agency e-seals are issued by an administrator."
        ) from None


def may_read(actor: Actor, certificate: IssuedCertificate) -> bool:
    if actor.role in (Role.admin, Role.auditor):
        return True
    return certificate.account_id is not None and certificate.account_id == actor.account_id


def ensure_holder_or_admin(actor: Actor, certificate: IssuedCertificate, action: str) -> None:
    """The holder manages their certificate; an administrator manages any signing certificate."""
    if certificate.kind not in SIGNER_KINDS:
        raise CertificateAccessDenied(
            f"Infrastructure certificates ({certificate.kind}) cannot be {action} here; "
            "use `shaffof pki` at the console."
        )
    if actor.role is Role.admin:
        return
    if certificate.account_id is None or certificate.account_id != actor.account_id:
        raise CertificateAccessDenied(f"Only the holder or an administrator can have this certificate {action}.")
