"""Tables of the deadlines domain: the administrator's overrides of the legal calendar."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shaffof.db.base import Base, enum_type
from shaffof.deadlines.calendar import OverrideKind


class CalendarOverride(Base):
    """A decreed day off or a swapped working day the ``holidays`` package does not know yet: one per
    date, with who entered it and why (shown to citizens in every explanation that passes the date)."""

    __tablename__ = "calendar_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(sa.Date, unique=True)
    kind: Mapped[OverrideKind] = mapped_column(enum_type(OverrideKind, 16))
    reason: Mapped[str] = mapped_column(sa.String(500))
    entered_by_account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    entered_at: Mapped[dt.datetime]
