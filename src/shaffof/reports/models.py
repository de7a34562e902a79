"""Tables of the statistics: monthly rollups kept up to date by the case-event handler.

One row per (agency, service, month) holds counters only — sums, never personal data — so any filter of
the public dashboard is a SUM over a few thousand rows instead of a scan of every case. Processing times
are kept as a histogram of whole days per cell (``stats_processing_days``), from which medians and 90th
percentiles are read exactly to the day. The month leads the keys: every reading is a range of months. These
tables hold no case data and stay small (agencies × services × months), so they need no distribution by
agency; under Citus they would be reference tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shaffof.db.base import Base

# The counters of a cell, in the order of the data dictionary (reports/dictionary.py).
COUNTERS = (
    "received",
    "received_portal",
    "received_api",
    "received_mobile",
    "received_service_centre",
    "forwarded",
    "decided",
    "decided_with_deadline",
    "decided_on_time",
    "decided_automatically",
    "contested",
    "reviewed",
    "changed_on_review",
    "ratings",
    "rating_sum",
)


class StatsMonthly(Base):
    """The counters of one agency's one service in one month (the month of each event, Tashkent time)."""

    __tablename__ = "stats_monthly"

    month: Mapped[str] = mapped_column(sa.String(7), primary_key=True)  # YYYY-MM; leads: periods are ranges
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), primary_key=True)
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id"), primary_key=True)
    region: Mapped[str] = mapped_column(sa.String(64), default="")  # the agency's region when counted
    received: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    received_portal: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    received_api: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    received_mobile: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    received_service_centre: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    forwarded: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    decided: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    decided_with_deadline: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    decided_on_time: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    decided_automatically: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    contested: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    reviewed: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    changed_on_review: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    ratings: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    rating_sum: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class StatsProcessingDays(Base):
    """How many decisions of a service at an agency in a month took ``days`` calendar days from receipt
    (local dates; capped). Led by the service: it answers the service filters and groupings; the agency index
    answers one agency's dashboard by service (the staff dashboard) without reading every agency's cells."""

    __tablename__ = "stats_processing_days"
    __table_args__ = (sa.Index("ix_stats_processing_days_agency", "agency_id", "month"),)

    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id"), primary_key=True)
    month: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), primary_key=True)
    days: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    decisions: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class StatsAgencyProcessingDays(Base):
    """The same histogram summed over services, per agency and month: what the dashboard reads when no
    service is chosen (a thirtieth of the rows: percentiles stay cheap whatever the catalogue's size)."""

    __tablename__ = "stats_agency_processing_days"

    month: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), primary_key=True)
    days: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    decisions: Mapped[int] = mapped_column(sa.BigInteger, default=0)
