"""Tables of the catalog: agencies and versioned services."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shaffof.db.base import Base, JSONValue, enum_type, utcnow


class ServiceKind(StrEnum):
    """What a citizen files. Appeal kinds are the three of ZRU-445: ariza (application/request),
    taklif (proposal), shikoyat (complaint); ``application`` is a request for a public service."""

    application = "application"
    ariza = "ariza"
    taklif = "taklif"
    shikoyat = "shikoyat"


class AssuranceLevel(StrEnum):
    low = "low"
    substantial = "substantial"
    high = "high"


class Agency(Base):
    """A state body. Its parent is the higher body that handles complaints about it."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    name: Mapped[dict[str, str]] = mapped_column(JSONValue)  # {"uz": …, "ru": …, "en": …}
    region: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Service(Base):
    """One version of a service package. A changed package is imported as a new version; cases keep
    the version they were filed under (they reference this row)."""

    __tablename__ = "services"
    __table_args__ = (
        sa.UniqueConstraint("code", "version"),
        sa.Index("ix_services_current", "code", "is_current"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64))
    version: Mapped[int]
    is_current: Mapped[bool] = mapped_column(default=True)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    kind: Mapped[ServiceKind] = mapped_column(enum_type(ServiceKind, 16))
    category: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[dict[str, str]] = mapped_column(JSONValue)
    description: Mapped[dict[str, str]] = mapped_column(JSONValue)
    recipients: Mapped[list[str] | None] = mapped_column(JSONValue)  # agency codes; ["*"] = any agency
    legal_basis: Mapped[list[dict[str, Any]]] = mapped_column(JSONValue)
    form_schema: Mapped[dict[str, Any]] = mapped_column(JSONValue)
    required_documents: Mapped[list[dict[str, Any]]] = mapped_column(JSONValue)
    fee: Mapped[dict[str, Any]] = mapped_column(JSONValue)
    deadline_policy: Mapped[str] = mapped_column(sa.String(64))
    # The package's own deadline (a policy named after the service), when it declares one.
    deadline: Mapped[dict[str, Any] | None] = mapped_column(JSONValue)
    assurance_level: Mapped[AssuranceLevel] = mapped_column(enum_type(AssuranceLevel, 16))
    signature_required: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Four-eyes outcomes and assignee skills (shaffof.integrity), when the package declares them.
    integrity: Mapped[dict[str, Any] | None] = mapped_column(JSONValue)
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
