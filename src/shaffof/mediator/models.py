"""Tables of the information mediator: member keys, access policies, the message log and its sealed batches.

Deny by default: a query is served only when a policy names the consumer agency, the registry service and
the purpose. Every exchange — served or refused — leaves a message-log entry with the request and response
digests; batches of entries are sealed by an RFC 3161 token of the platform TSA over their Merkle root.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shaffof.db.base import Base, JSONValue, enum_type, utcnow
from shaffof.ledger.models import BigId
from shaffof.privacy.models import LegalGround

SERVED = sa.text("outcome = 'served'")


class LoggingLevel(StrEnum):
    """What the message log keeps of a service's content; metadata and digests are always kept."""

    full = "full"
    metadata = "metadata"
    none = "none"


class MessageOutcome(StrEnum):
    served = "served"
    refused = "refused"


class MediatorMember(Base):
    """An agency system's request-signing key (Ed25519): a request not signed by it is forged."""

    __tablename__ = "mediator_members"

    key_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]


class AccessPolicy(Base):
    __tablename__ = "mediator_policies"
    __table_args__ = (sa.UniqueConstraint("consumer_agency_id", "registry_code", "service", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consumer_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    registry_code: Mapped[str] = mapped_column(sa.String(32))
    service: Mapped[str] = mapped_column(sa.String(32))
    purpose: Mapped[str] = mapped_column(sa.String(100))
    categories: Mapped[list[str]] = mapped_column(JSONValue)
    legal_ground: Mapped[LegalGround] = mapped_column(enum_type(LegalGround, 24))
    citation: Mapped[dict[str, Any]] = mapped_column(JSONValue)
    logging: Mapped[LoggingLevel] = mapped_column(enum_type(LoggingLevel, 16))
    active: Mapped[bool] = mapped_column(default=True)


class MessageLogEntry(Base):
    __tablename__ = "mediator_messages"
    __table_args__ = (
        # A request id is served once per consumer: a replay is refused (and the refusal logged).
        sa.Index(
            "ix_mediator_messages_request",
            "consumer_agency_id",
            "request_id",
            unique=True,
            postgresql_where=SERVED,
            sqlite_where=SERVED,
        ),
        sa.Index("ix_mediator_messages_batch", "batch_id", "id"),
        # The contents still kept (level "full"): the worker's destruction pass reads only these.
        sa.Index(
            "ix_mediator_messages_content_kept",
            "id",
            postgresql_where=sa.text("content_encrypted IS NOT NULL"),
            sqlite_where=sa.text("content_encrypted IS NOT NULL"),
        ),
        sa.Index(
            "ix_mediator_messages_unbatched",
            "id",
            postgresql_where=sa.text("batch_id IS NULL"),
            sqlite_where=sa.text("batch_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    consumer_agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"))
    consumer_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    key_id: Mapped[str | None] = mapped_column(sa.String(64))
    request_id: Mapped[str] = mapped_column(sa.String(64))
    registry_code: Mapped[str] = mapped_column(sa.String(32))
    service: Mapped[str] = mapped_column(sa.String(32))
    purpose: Mapped[str | None] = mapped_column(sa.String(100))
    case_number: Mapped[str | None] = mapped_column(sa.String(64))
    outcome: Mapped[MessageOutcome] = mapped_column(enum_type(MessageOutcome, 16))
    refusal: Mapped[str | None] = mapped_column(sa.String(300))
    logging: Mapped[LoggingLevel] = mapped_column(enum_type(LoggingLevel, 16))
    request_digest: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    response_digest: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32))
    # Content, at logging level "full" only, encrypted like any registry field.
    content_encrypted: Mapped[str | None] = mapped_column(sa.Text)
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("mediator_batches.id"))


class MessageBatch(Base):
    """A sealed set of entries (ordered by id): the RFC 9162 root over their digests and the TSA's token on it."""

    __tablename__ = "mediator_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    size: Mapped[int]
    root_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    timestamp_token: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sealed_at: Mapped[dt.datetime]


class PolicyAction(StrEnum):
    added = "added"
    changed = "changed"
    revoked = "revoked"


class PolicyChange(Base):
    """One change of an access policy: who made it, why, and the policy before and after. Rows are never
    updated; the policy's history is the list of its changes (deny by default stays: a revoked policy allows
    nothing, and only a policy that exists and is active allows anything)."""

    __tablename__ = "mediator_policy_changes"
    __table_args__ = (sa.Index("ix_mediator_policy_changes_policy", "policy_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    policy_id: Mapped[int] = mapped_column(sa.ForeignKey("mediator_policies.id"))
    action: Mapped[PolicyAction] = mapped_column(enum_type(PolicyAction, 16))
    actor_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    # "account:<login>" for an administrator over the API, "console:<user>" for the operator's CLI.
    operator: Mapped[str] = mapped_column(sa.String(100))
    reason: Mapped[str] = mapped_column(sa.String(500))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONValue)
    after: Mapped[dict[str, Any]] = mapped_column(JSONValue)
