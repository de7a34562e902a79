"""The integrity domain's contracts (interfaces.py) read from the population registry and the data tracker.

Family ties come from the civil-status relations of the population registry: spouse, parents and children
as recorded, and siblings as people who share a recorded parent (a platform rule: the close relatives an
officer must not decide for; ../shared/legal.md names no list). The access log
is the data tracker's access records (ZRU-547 Art. 18): every allowed read of a person's data by someone
other than that person, except pre-filling the person's own form (once-only, UP-113), which they made, and
auditors' reads, whose ground is the oversight itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from shaffof.cases.models import Case
from shaffof.identity.models import Person
from shaffof.integrity.interfaces import PersonalDataAccess
from shaffof.privacy.models import AccessChannel, AccessOutcome, AccessRecord
from shaffof.registries.models import FamilyRelation, Relation


class RegistryFamilyTies:
    """``FamilyTies`` over the population registry's relations, keyed by the platform's person ids."""

    def relatives(self, session: Session, person_id: int) -> set[int]:
        pinfl = session.scalar(sa.select(Person.pinfl).where(Person.id == person_id))
        if pinfl is None:
            return set()
        direct = set(session.scalars(sa.select(FamilyRelation.relative_pinfl).where(FamilyRelation.pinfl == pinfl)))
        direct |= set(session.scalars(sa.select(FamilyRelation.pinfl).where(FamilyRelation.relative_pinfl == pinfl)))
        mine, theirs = aliased(FamilyRelation), aliased(FamilyRelation)
        siblings = session.scalars(  # children of my parents
            sa.select(theirs.relative_pinfl)
            .join(mine, mine.relative_pinfl == theirs.pinfl)
            .where(mine.pinfl == pinfl, mine.relation == Relation.parent, theirs.relation == Relation.child)
        )
        pinfls = (direct | set(siblings)) - {pinfl}
        if not pinfls:
            return set()
        return set(session.scalars(sa.select(Person.id).where(Person.pinfl.in_(pinfls))))

    def related_to(self, session: Session, person_ids: Collection[int], person_id: int) -> set[int]:
        """As ``relatives`` asked of each of ``person_ids``, set-based: is ``person_id`` among their direct
        relations (recorded either way) or among the children of their recorded parents?"""
        if not person_ids:
            return set()
        query = sa.select(Person.pinfl, Person.id).where(Person.id.in_(set(person_ids)))
        pinfls: dict[str, int] = {pinfl: id_ for pinfl, id_ in session.execute(query)}
        target = session.scalar(sa.select(Person.pinfl).where(Person.id == person_id))
        if target is None or not pinfls:
            return set()
        candidates = set(pinfls) - {target}
        relation = FamilyRelation
        found = set(
            session.scalars(
                sa.select(relation.pinfl).where(relation.pinfl.in_(candidates), relation.relative_pinfl == target)
            )
        )
        found |= set(
            session.scalars(
                sa.select(relation.relative_pinfl).where(
                    relation.relative_pinfl.in_(candidates), relation.pinfl == target
                )
            )
        )
        mine, theirs = aliased(FamilyRelation), aliased(FamilyRelation)
        found |= set(
            session.scalars(  # my parents have the target as their child
                sa.select(mine.pinfl)
                .join(theirs, mine.relative_pinfl == theirs.pinfl)
                .where(
                    mine.pinfl.in_(candidates),
                    mine.relation == Relation.parent,
                    theirs.relation == Relation.child,
                    theirs.relative_pinfl == target,
                )
            )
        )
        return {pinfls[pinfl] for pinfl in found}


class TrackerAccessLog:
    """``PersonalDataAccessLog`` over the data tracker's access records."""

    def accesses_since(self, session: Session, since: dt.datetime | None) -> list[PersonalDataAccess]:
        query = (
            sa.select(AccessRecord, Person.id, Case.agency_id, Case.id)
            .outerjoin(Person, Person.pinfl == AccessRecord.subject_pinfl)
            .outerjoin(Case, Case.registration_number == AccessRecord.case_number)
            .where(
                AccessRecord.outcome == AccessOutcome.allowed,
                AccessRecord.channel.not_in([AccessChannel.prefill, AccessChannel.audit]),
            )
            .order_by(AccessRecord.at, AccessRecord.id)
        )
        if since is not None:
            query = query.where(AccessRecord.at > since)
        return [
            PersonalDataAccess(
                access_id=str(record.id),
                person_id=person_id,
                accessed_by_account_id=record.actor_account_id,
                agency_id=record.agency_id,
                at=record.at,
                case_agency_id=case_agency_id,
                case_id=case_id,
            )
            for record, person_id, case_agency_id, case_id in session.execute(query)
        ]
