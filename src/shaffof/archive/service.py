"""The archive's operations: the retention schedule, legal holds, and disposal that leaves tombstones.

Disposal destroys a blob's *content* once every record holding it has passed its retention period and no
legal hold is in force on any of their cases (ZRU-547 Art. 17: personal data is destroyed once its purpose
is achieved). Per blob, one transaction writes the tombstone — what (digest, size, type, the records),
when, why (the class, its period and its ground), by whose authority (the approving act and the account)
— and the tombstone's own ledger leaf; the file is removed only after that commits. So the tree still
verifies (the case events naming the digest keep their leaves), ``shaffof verify-log`` accepts the missing
file because of its tombstone, and a file missing *without* a tombstone is still reported.

The archive reads the cases domain's tables (documents, closing time, staged uploads) directly and only to
read, as verify-log does: the cases service has no operation that lists every record holding a content, and
the retention rule must see the rows themselves. It writes only its own tables and the ledger's leaf.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shaffof.archive.blobstore import BlobStore
from shaffof.archive.errors import ArchiveInputInvalid, HoldAlreadyReleased, HoldNotFound
from shaffof.archive.models import Blob, LegalHold, Tombstone
from shaffof.archive.policy import ensure_archive_keeper
from shaffof.archive.records import stored_tombstones, tombstone_payload
from shaffof.archive.retention import DEFAULT_SCHEDULE, RetentionSchedule, years_before
from shaffof.archive.schemas import (
    DisposalCandidate,
    DisposalReport,
    HoldPublic,
    RecordRef,
    RetentionSchedulePublic,
    TombstonePublic,
)
from shaffof.db.base import utcnow
from shaffof.db.engine import Database
from shaffof.errors import FieldError
from shaffof.identity.actor import Actor
from shaffof.ledger.models import LeafKind, LedgerEntry
from shaffof.ledger.service import Ledger

Progress = Callable[[int, int], None]
BATCH = 100  # blobs disposed of per transaction
CANDIDATE_CHUNK = 500


@dataclass
class _Blob:
    """One content and every record that holds it."""

    sha256: str
    size: int
    media_type: str
    records: list[RecordRef] = field(default_factory=list)
    retain_until: dt.datetime | None = None  # the latest end of retention among the records
    retention_class: str = ""
    blocked: str | None = None  # why it cannot go: still open, permanent, not yet due, held, staged


class Archive:
    """The archive domain service (built once by the composition root)."""

    def __init__(
        self,
        db: Database,
        blobs: BlobStore,
        ledger: Ledger,
        *,
        schedule: RetentionSchedule,
        schedule_source: Path | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._db = db
        self._blobs = blobs
        self._ledger = ledger
        self.schedule = schedule
        self._source = schedule_source or DEFAULT_SCHEDULE
        self.clock = clock
        ledger.add_record_source(LeafKind.archive_tombstone, stored_tombstones)

    # ------------------------------------------------------------------ the schedule

    def retention(self, actor: Actor) -> RetentionSchedulePublic:
        ensure_archive_keeper(actor, "read the retention schedule")
        return RetentionSchedulePublic(classes=list(self.schedule.classes), source=str(self._source))

    # ------------------------------------------------------------------ legal holds

    def place_hold(self, actor: Actor, registration_number: str, reason: str, authority: str) -> HoldPublic:
        """Put a case's records on hold: nothing of it is disposed of until the hold is lifted."""
        ensure_archive_keeper(actor, "place a legal hold")
        reason, authority = _required(reason=reason, authority=authority)
        with self._db.uow() as uow:
            case = _case_for_update(uow.session, registration_number)
            seq = (
                uow.session.scalar(
                    sa.select(sa.func.max(LegalHold.seq)).where(
                        LegalHold.agency_id == case.agency_id, LegalHold.case_id == case.id
                    )
                )
                or 0
            ) + 1
            hold = LegalHold(
                agency_id=case.agency_id,
                case_id=case.id,
                seq=seq,
                registration_number=case.registration_number,
                reason=reason,
                authority=authority,
                placed_at=self.clock(),
                placed_by_account_id=actor.account_id,
            )
            uow.session.add(hold)
            uow.session.flush()
            result = _hold_public(hold)
            uow.commit()
        return result

    def release_hold(self, actor: Actor, registration_number: str, seq: int, reason: str, authority: str) -> HoldPublic:
        """Lift a hold (it stays as history); the case's records follow their schedule again."""
        ensure_archive_keeper(actor, "lift a legal hold")
        reason, authority = _required(reason=reason, authority=authority)
        with self._db.uow() as uow:
            case = _case_for_update(uow.session, registration_number)
            hold = uow.session.get(LegalHold, (case.agency_id, case.id, seq))
            if hold is None:
                raise HoldNotFound(f"Case {registration_number} has no legal hold number {seq}.")
            if hold.released_at is not None:
                raise HoldAlreadyReleased(
                    f"Hold {seq} on case {registration_number} was lifted at {hold.released_at:%Y-%m-%d %H:%M} UTC."
                )
            hold.released_at = self.clock()
            hold.released_by_account_id = actor.account_id
            hold.release_reason, hold.release_authority = reason, authority
            uow.session.flush()
            result = _hold_public(hold)
            uow.commit()
        return result

    def holds(
        self, actor: Actor, *, registration_number: str | None = None, in_force_only: bool = False
    ) -> list[HoldPublic]:
        ensure_archive_keeper(actor, "list legal holds")
        statement = sa.select(LegalHold).order_by(LegalHold.placed_at, LegalHold.seq)
        if registration_number is not None:
            statement = statement.where(LegalHold.registration_number == registration_number)
        if in_force_only:
            statement = statement.where(LegalHold.released_at.is_(None))
        with self._db.reading() as session:
            return [_hold_public(hold) for hold in session.scalars(statement)]

    # ------------------------------------------------------------------ disposal

    def dispose(
        self, actor: Actor, authority: str, *, dry_run: bool = False, progress: Progress | None = None
    ) -> DisposalReport:
        """Dispose of every content whose retention ended and that no hold keeps (``dry_run``: only list it).

        Each batch re-checks its blobs inside its own transaction, with the cases holding them locked, so a
        hold placed meanwhile wins over the plan."""
        ensure_archive_keeper(actor, "dispose of archived content")
        (authority,) = _required(authority=authority)
        now = self.clock()
        with self._db.reading() as session:
            planned = self._plan(session, now)
        due = [blob for blob in planned if blob.blocked is None]
        held = sum(1 for blob in planned if blob.blocked == "held")
        candidates = [_candidate(blob) for blob in due]
        if dry_run:
            return DisposalReport(dry_run=True, due=candidates, held=held, disposed=[])
        disposed: list[TombstonePublic] = []
        if progress is not None:
            progress(0, len(due))
        for start in range(0, len(due), BATCH):
            disposed += self._dispose_batch(actor, authority, [blob.sha256 for blob in due[start : start + BATCH]])
            if progress is not None:
                progress(min(start + BATCH, len(due)), len(due))
        return DisposalReport(dry_run=False, due=candidates, held=held, disposed=disposed)

    def _dispose_batch(self, actor: Actor, authority: str, digests: list[str]) -> list[TombstonePublic]:
        from shaffof.cases.models import Case

        with self._db.uow() as uow:
            session = uow.session
            now = self.clock()
            refs = _references(session, digests)
            keys = sorted({(ref.agency_id, ref.case_id) for refs_of in refs.values() for ref in refs_of})
            if keys:  # the same lock a hold takes: a hold placed meanwhile is seen (or waits for us)
                session.execute(
                    sa.select(Case.id).where(sa.tuple_(Case.agency_id, Case.id).in_(keys)).with_for_update()
                )
            current = {blob.sha256: blob for blob in self._evaluate(session, digests, now)}
            made: list[tuple[Tombstone, bytes]] = []
            for sha256 in digests:
                blob = current.get(sha256)
                if blob is None or blob.blocked is not None or blob.retain_until is None:
                    continue
                rule = self.schedule.by_code(blob.retention_class)
                assert rule is not None and rule.retain_years is not None
                tombstone = Tombstone(
                    sha256=sha256,
                    size=blob.size,
                    media_type=blob.media_type,
                    retention_class=rule.code,
                    records=[ref.model_dump(mode="json") for ref in blob.records],
                    retain_until=blob.retain_until,
                    reason=(
                        f"Retention class {rule.code!r} ({rule.title['en']}): kept {rule.retain_years} years after "
                        f"its case closed; the last period ended {blob.retain_until:%Y-%m-%d}."
                    ),
                    basis=rule.ground(),
                    authority=authority,
                    disposed_at=now,
                    disposed_by_account_id=actor.account_id,
                )
                session.add(tombstone)
                session.flush()
                leaf = self._ledger.append_record(
                    session, LeafKind.archive_tombstone, tombstone.id, tombstone_payload(tombstone), subject=sha256
                )
                made.append((tombstone, leaf))
            result = [_tombstone_public(row, leaf) for row, leaf in made]
            for row, _ in made:  # the content goes only once its tombstone and leaf are committed
                uow.on_commit(functools.partial(self._blobs.discard, row.sha256))
            uow.commit()
        return result

    def tombstones(self, actor: Actor, *, limit: int = 100, before: int | None = None) -> list[TombstonePublic]:
        ensure_archive_keeper(actor, "list tombstones")
        statement = (
            sa.select(Tombstone, LedgerEntry.leaf_hash)
            .outerjoin(
                LedgerEntry,
                sa.and_(LedgerEntry.kind == LeafKind.archive_tombstone, LedgerEntry.record_id == Tombstone.id),
            )
            .order_by(Tombstone.id.desc())
            .limit(min(limit, 1000))
        )
        if before is not None:
            statement = statement.where(Tombstone.id < before)
        with self._db.reading() as session:
            return [_tombstone_public(row, leaf) for row, leaf in session.execute(statement)]

    # ------------------------------------------------------------------ the rule, in one place

    def _plan(self, session: Session, now: dt.datetime) -> list[_Blob]:
        """Every not-yet-disposed content held by a case closed long enough ago to be possibly due."""
        from shaffof.cases.models import Case, CaseDocument

        shortest = min((c.retain_years for c in self.schedule.classes if c.retain_years is not None), default=None)
        if shortest is None:
            return []
        closed_before = years_before(now, shortest)
        digests = session.scalars(
            sa.select(CaseDocument.sha256)
            .join(Case, sa.and_(Case.agency_id == CaseDocument.agency_id, Case.id == CaseDocument.case_id))
            .where(Case.closed_at.is_not(None), Case.closed_at <= closed_before)
            .where(~sa.exists().where(Tombstone.sha256 == CaseDocument.sha256))
            .distinct()
            .order_by(CaseDocument.sha256)
        ).all()
        planned: list[_Blob] = []
        for start in range(0, len(digests), CANDIDATE_CHUNK):
            planned += self._evaluate(session, list(digests[start : start + CANDIDATE_CHUNK]), now)
        return planned

    def _evaluate(self, session: Session, digests: Sequence[str], now: dt.datetime) -> Iterator[_Blob]:
        """Each blob with the verdict of the schedule and the holds over *every* record holding it."""
        from shaffof.cases.models import Upload

        if not digests:
            return
        rows = _references(session, digests)
        blobs = {
            sha256: (size, media_type)
            for sha256, size, media_type in session.execute(
                sa.select(Blob.sha256, Blob.size, Blob.media_type).where(Blob.sha256.in_(digests))
            )
        }
        disposed = set(session.scalars(sa.select(Tombstone.sha256).where(Tombstone.sha256.in_(digests))))
        staged = set(session.scalars(sa.select(Upload.sha256).where(Upload.sha256.in_(digests))))
        held_cases = set(
            session.execute(
                sa.select(LegalHold.agency_id, LegalHold.case_id).where(
                    LegalHold.released_at.is_(None),
                    sa.tuple_(LegalHold.agency_id, LegalHold.case_id).in_(
                        sorted({(r.agency_id, r.case_id) for refs in rows.values() for r in refs})
                    ),
                )
            ).all()
        )
        for sha256 in digests:
            if sha256 in disposed or sha256 not in blobs:
                continue
            size, media_type = blobs[sha256]
            blob = _Blob(sha256, size, media_type)
            for ref in rows.get(sha256, []):
                blob.records.append(ref.record)
                rule = self.schedule.class_of(ref.record.document_type)
                until = rule.retain_until(ref.closed_at) if ref.closed_at is not None else None
                if ref.closed_at is None:
                    blob.blocked = blob.blocked or "open"
                elif until is None:
                    blob.blocked = blob.blocked or "permanent"
                elif blob.retain_until is None or until > blob.retain_until:
                    blob.retain_until, blob.retention_class = until, rule.code
            if not blob.records:
                continue
            if blob.blocked is None and (blob.retain_until is None or blob.retain_until > now):
                blob.blocked = "not due"
            if blob.blocked is None and sha256 in staged:
                blob.blocked = "staged"  # also a staged upload of someone's next submission
            if blob.blocked is None and any((r.agency_id, r.case_id) in held_cases for r in blob.records):
                blob.blocked = "held"
            yield blob


@dataclass(frozen=True)
class _Reference:
    record: RecordRef
    closed_at: dt.datetime | None

    @property
    def agency_id(self) -> int:
        return self.record.agency_id

    @property
    def case_id(self) -> uuid.UUID:
        return self.record.case_id


def _references(session: Session, digests: Sequence[str]) -> dict[str, list[_Reference]]:
    from shaffof.cases.models import Case, CaseDocument

    found: dict[str, list[_Reference]] = {}
    rows = session.execute(
        sa.select(
            CaseDocument.sha256,
            CaseDocument.document_type,
            Case.agency_id,
            Case.id,
            Case.registration_number,
            Case.closed_at,
        )
        .join(Case, sa.and_(Case.agency_id == CaseDocument.agency_id, Case.id == CaseDocument.case_id))
        .where(CaseDocument.sha256.in_(digests))
        .order_by(CaseDocument.sha256, Case.registration_number, CaseDocument.document_type)
    )
    for sha256, document_type, agency_id, case_id, number, closed_at in rows:
        record = RecordRef(
            registration_number=number, agency_id=agency_id, case_id=case_id, document_type=document_type
        )
        found.setdefault(sha256, []).append(_Reference(record, closed_at))
    return found


def _case_for_update(session: Session, registration_number: str) -> _CaseKey:
    from shaffof.cases.errors import CaseNotFound
    from shaffof.cases.models import Case

    row = session.execute(
        sa.select(Case.agency_id, Case.id, Case.registration_number)
        .where(Case.registration_number == registration_number.strip())
        .with_for_update()
    ).first()
    if row is None:
        raise CaseNotFound(
            f"No case {registration_number!r}.", errors=[FieldError("registration_number", "no such case")]
        )
    return _CaseKey(row.agency_id, row.id, row.registration_number)


@dataclass(frozen=True)
class _CaseKey:
    agency_id: int
    id: uuid.UUID
    registration_number: str


def _required(**fields: str) -> tuple[str, ...]:
    """Each text field stripped; a blank one is refused, naming it (nothing is written)."""
    values = tuple((name, (value or "").strip()) for name, value in fields.items())
    blank = [FieldError(name, "must not be empty") for name, value in values if not value]
    if blank:
        raise ArchiveInputInvalid(
            f"Give {' and '.join(error.path for error in blank)}: the archive records why and on whose authority.",
            errors=blank,
        )
    return tuple(value for _, value in values)


def _hold_public(hold: LegalHold) -> HoldPublic:
    return HoldPublic(
        registration_number=hold.registration_number,
        seq=hold.seq,
        reason=hold.reason,
        authority=hold.authority,
        placed_at=hold.placed_at,
        placed_by_account_id=hold.placed_by_account_id,
        released_at=hold.released_at,
        released_by_account_id=hold.released_by_account_id,
        release_reason=hold.release_reason,
        release_authority=hold.release_authority,
        in_force=hold.released_at is None,
    )


def _candidate(blob: _Blob) -> DisposalCandidate:
    assert blob.retain_until is not None
    return DisposalCandidate(
        sha256=blob.sha256,
        size=blob.size,
        media_type=blob.media_type,
        retention_class=blob.retention_class,
        retain_until=blob.retain_until,
        records=blob.records,
    )


def _tombstone_public(row: Tombstone, leaf_hash: bytes | None) -> TombstonePublic:
    return TombstonePublic(
        id=row.id,
        sha256=row.sha256,
        size=row.size,
        media_type=row.media_type,
        retention_class=row.retention_class,
        records=row.records,
        retain_until=row.retain_until,
        reason=row.reason,
        basis=row.basis,
        authority=row.authority,
        disposed_at=row.disposed_at,
        disposed_by_account_id=row.disposed_by_account_id,
        leaf_hash=base64.b64encode(leaf_hash).decode() if leaf_hash is not None else None,
    )
