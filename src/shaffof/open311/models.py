"""What Open311 adds to a case: where the issue is and the client's token (the rest is the case itself)."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shaffof.db.base import Base


class Open311Request(Base):
    __tablename__ = "open311_requests"
    __table_args__ = (
        sa.ForeignKeyConstraint(["agency_id", "case_id"], ["cases.agency_id", "cases.id"]),
        sa.Index("ix_open311_requests_requested_at", "requested_at"),
    )

    agency_id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    token: Mapped[uuid.UUID] = mapped_column(sa.Uuid, unique=True)
    service_code: Mapped[str] = mapped_column(sa.String(64))  # the Open311 code (open311/catalogue.py)
    lat: Mapped[float | None] = mapped_column(sa.Float)
    long: Mapped[float | None] = mapped_column(sa.Float)
    address_string: Mapped[str | None] = mapped_column(sa.String(300))
    requested_at: Mapped[dt.datetime]
