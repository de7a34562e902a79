"""The applicant rates the answer to their case, 1 to 5 (as my.gov.uz asks), once, after the decision.

A rating is the applicant's opinion, not a step of the case's procedure: it is kept beside the case (not
as a case event, so it changes neither the timeline nor the transparency log) and is counted by the
statistics in the same transaction through the ``on_rated`` subscribers. Only the score is ever
published, summed over many cases; the optional comment stays with the case.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Protocol

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Mapped, Session, mapped_column

from shaffof.cases import policy
from shaffof.cases.errors import CaseNotFound, TransitionRefused
from shaffof.cases.models import Case, CaseState
from shaffof.db.base import Base, utcnow
from shaffof.db.engine import Database
from shaffof.db.uow import UnitOfWork
from shaffof.errors import Conflict
from shaffof.identity.actor import Actor


class CaseRating(Base):
    __tablename__ = "case_ratings"
    __table_args__ = (
        sa.ForeignKeyConstraint(["agency_id", "case_id"], ["cases.agency_id", "cases.id"]),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
    )

    agency_id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    score: Mapped[int] = mapped_column(sa.SmallInteger)
    comment: Mapped[str | None] = mapped_column(sa.Text)
    rated_at: Mapped[dt.datetime]


class Rate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: int = Field(ge=1, le=5, description="1 (poor) to 5 (excellent)")
    comment: str | None = Field(default=None, max_length=2000)


class RatingPublic(BaseModel):
    registration_number: str
    score: int
    comment: str | None
    rated_at: dt.datetime


class AlreadyRated(Conflict):
    code = "already-rated"
    title = "The answer was already rated"


class OnRated(Protocol):
    def __call__(self, session: Session, case: Case, score: int, at: dt.datetime) -> None: ...


class Ratings:
    def __init__(self, db: Database, *, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self._db = db
        self._subscribers: list[OnRated] = []
        self.clock = clock

    def on_rated(self, subscriber: OnRated) -> None:
        """Subscribe (the statistics); runs inside the rating's transaction."""
        self._subscribers.append(subscriber)

    def rate(
        self, actor: Actor, registration_number: str, command: Rate, *, uow: UnitOfWork | None = None
    ) -> RatingPublic:
        """Rate the answer (joins the caller's unit of work when given one, as bulk loaders do)."""
        if uow is not None:
            return self._rate(uow.session, actor, registration_number, command)
        with self._db.uow() as own:
            rating = self._rate(own.session, actor, registration_number, command)
            own.commit()
        return rating

    def of(self, actor: Actor, registration_number: str) -> RatingPublic | None:
        """The applicant's own rating of the answer, if they gave one (shown on their case page); None for
        anyone else who may read the case (a rating is the applicant's, and only its score is ever published)."""
        with self._db.reading() as session:
            case = session.scalar(sa.select(Case).where(Case.registration_number == registration_number))
            if case is None:
                raise CaseNotFound(f"There is no case with the number {registration_number}.")
            policy.ensure_can_read(actor, case)
            rating = session.get(CaseRating, (case.agency_id, case.id))
            if rating is None or case.applicant_account_id != actor.account_id:
                return None
            return RatingPublic(
                registration_number=registration_number,
                score=rating.score,
                comment=rating.comment,
                rated_at=rating.rated_at,
            )

    def _rate(self, session: Session, actor: Actor, registration_number: str, command: Rate) -> RatingPublic:
        case = session.scalar(sa.select(Case).where(Case.registration_number == registration_number))
        if case is None:
            raise CaseNotFound(f"There is no case with the number {registration_number}.")
        policy.ensure_is_applicant(actor, case)
        if case.state not in (CaseState.decided, CaseState.closed):
            raise TransitionRefused(
                f"Case {registration_number} has no answer yet; rate it once it is decided.",
                state=case.state.value,
                action="rate",
            )
        if session.get(CaseRating, (case.agency_id, case.id)) is not None:
            raise AlreadyRated(f"You have already rated the answer to case {registration_number}.")
        now = self.clock()
        comment = (command.comment or "").strip() or None
        session.add(
            CaseRating(agency_id=case.agency_id, case_id=case.id, score=command.score, comment=comment, rated_at=now)
        )
        session.flush()
        for subscriber in self._subscribers:
            subscriber(session, case, command.score, now)
        return RatingPublic(registration_number=registration_number, score=command.score, comment=comment, rated_at=now)
