"""Claims released to an agency's client are reads of the person's data by that agency: each release (an
ID token at the token endpoint, a userinfo answer) writes a data-tracker access record in the same
transaction, so the person sees which agency got which claims and when (docs/personal-data.md).

The ground is the person's consent on the consent screen (ZRU-547 Art. 18); the categories are the claims
released beyond the pairwise ``sub``, which identifies nobody outside that one client.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from shaffof.identity import service as identity
from shaffof.legal import Citation
from shaffof.oidc.models import OidcClient
from shaffof.oidc.scopes import CONSENT_CITATION
from shaffof.privacy.models import AccessChannel, LegalGround
from shaffof.privacy.service import Access, record_access

# Claims that say something about the person (``sub`` is pairwise and means nothing outside the client).
_NOT_PERSONAL = frozenset({"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "at_hash"})
# ZRU-547 Art. 18: the person's consent on the consent screen; legal.md gives no official address for ZRU-547.
RELEASE_CITATION = Citation(**CONSENT_CITATION)


def record_release(
    session: Session, client: OidcClient, account_id: int, claims: dict[str, Any], via: str, now: dt.datetime
) -> None:
    """An access record for the person behind ``account_id`` if ``claims`` carry any of their data."""
    released = sorted(set(claims) - _NOT_PERSONAL)
    account = identity.get_account(session, account_id)
    if not released or account.person_id is None:
        return
    person = identity.get_person(session, account.person_id)
    record_access(
        session,
        Access(
            subject_pinfl=person.pinfl,
            channel=AccessChannel.sign_in,
            categories=released,
            purpose=f"sign-in to {client.name} ({via})",
            legal_ground=LegalGround.consent,
            citation=RELEASE_CITATION,
            agency_id=client.agency_id,
        ),
        at=now,
    )
