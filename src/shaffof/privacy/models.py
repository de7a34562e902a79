"""Tables of the privacy domain: access records (the data tracker) and consents.

An access record is written in the transaction of the access it records, together with its ledger leaf: a
read that cannot be recorded does not happen. Records name the person by PINFL (the key the person and the
auditor search by) and are never updated.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shaffof.db.base import Base, JSONValue, enum_type, utcnow


class LegalGround(StrEnum):
    """ZRU-547 Art. 18: the grounds on which personal data may be processed."""

    consent = "consent"
    contract = "contract"
    legal_obligation = "legal_obligation"
    vital_interests = "vital_interests"


class AccessChannel(StrEnum):
    """How the data was read."""

    officer = "officer"  # an officer's page or API call on a case
    mediator = "mediator"  # an agency system's query through the information mediator
    prefill = "prefill"  # a service form pre-filled from the registries (once-only)
    export = "export"  # an export of the person's data
    audit = "audit"  # an auditor reading cases or access records
    automated = "automated"  # an automated decision's rules
    sign_in = "sign_in"  # claims released to an agency's client at sign-in (oidc: ID token, userinfo)


class AccessOutcome(StrEnum):
    allowed = "allowed"
    refused = "refused"


class AccessRecord(Base):
    __tablename__ = "privacy_access_records"
    __table_args__ = (
        sa.Index("ix_privacy_access_records_subject_at", "subject_pinfl", "at"),
        sa.Index("ix_privacy_access_records_agency_at", "agency_id", "at"),
        # From a message-log entry to the person it was about (destruction when the purpose is achieved).
        sa.Index("ix_privacy_access_records_message", "message_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    subject_pinfl: Mapped[str] = mapped_column(sa.String(14))
    actor_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"))
    channel: Mapped[AccessChannel] = mapped_column(enum_type(AccessChannel, 16))
    categories: Mapped[list[str]] = mapped_column(JSONValue)
    purpose: Mapped[str] = mapped_column(sa.String(200))
    legal_ground: Mapped[LegalGround] = mapped_column(enum_type(LegalGround, 24))
    citation: Mapped[dict[str, Any]] = mapped_column(JSONValue)
    case_number: Mapped[str | None] = mapped_column(sa.String(64))
    # Outside any case of the person's: the reason the officer stated (shown to the person).
    stated_reason: Mapped[str | None] = mapped_column(sa.String(500))
    outside_case: Mapped[bool] = mapped_column(default=False)
    outcome: Mapped[AccessOutcome] = mapped_column(enum_type(AccessOutcome, 16))
    refusal: Mapped[str | None] = mapped_column(sa.String(300))
    message_id: Mapped[int | None] = mapped_column(sa.BigInteger)  # the mediator's message-log entry
    leaf_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))


class Consent(Base):
    """Consent to processing beyond a legal obligation (ZRU-547 Art. 18): for a purpose, a recipient, data
    categories and a term. Withdrawal takes effect at once; the mediator checks it on every query."""

    __tablename__ = "privacy_consents"
    __table_args__ = (sa.Index("ix_privacy_consents_lookup", "subject_pinfl", "recipient_agency_id", "purpose"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    subject_pinfl: Mapped[str] = mapped_column(sa.String(14))
    recipient_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    purpose: Mapped[str] = mapped_column(sa.String(100))
    categories: Mapped[list[str]] = mapped_column(JSONValue)
    given_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    withdrawn_at: Mapped[dt.datetime | None]
    # The signed receipt: an RFC 3161 token of the platform TSA over the SHA-256 of the canonical consent.
    receipt_digest: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    receipt_token: Mapped[bytes] = mapped_column(sa.LargeBinary)
    withdrawal_token: Mapped[bytes | None] = mapped_column(sa.LargeBinary)


class Tombstone(Base):
    """What was destroyed, when, why and on whose authority — without the content (ZRU-547 Art. 17)."""

    __tablename__ = "privacy_tombstones"
    __table_args__ = (sa.Index("ix_privacy_tombstones_subject_at", "subject_pinfl", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    subject_pinfl: Mapped[str] = mapped_column(sa.String(14))
    what: Mapped[str] = mapped_column(sa.String(200))  # e.g. "mediator_messages.content_encrypted id=42"
    categories: Mapped[list[str]] = mapped_column(JSONValue)
    content_sha256: Mapped[bytes] = mapped_column(sa.LargeBinary(32))  # of the destroyed ciphertext
    reason: Mapped[str] = mapped_column(sa.String(300))
    citation: Mapped[dict[str, Any]] = mapped_column(JSONValue)
    authority_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    leaf_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
