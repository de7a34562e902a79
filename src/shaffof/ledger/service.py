"""Ledger operations: record case events as leaves, sequence them, and serve checkpoints, leaves, proofs
and receipts.

Recording runs inside the changing operation's transaction (the case event handler), so a change and its
leaf commit together or not at all. Everything else reads committed state.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.orm import Session

from shaffof.db.base import utcnow
from shaffof.db.engine import Database
from shaffof.db.uow import UnitOfWork, held_until_commit
from shaffof.errors import FieldError
from shaffof.ledger import merkle
from shaffof.ledger.checkpoints import SignedTreeHead, signed_note, to_millis
from shaffof.ledger.errors import (
    HashInvalid,
    LeafNotFound,
    LeafRangeInvalid,
    NoCheckpointYet,
    TreeSizeOutOfRange,
)
from shaffof.ledger.faults import CommitmentGuard
from shaffof.ledger.keys import LogKeySource
from shaffof.ledger.models import LeafKind, LedgerCheckpoint, LedgerCheckpointTimestamp, LedgerEntry
from shaffof.ledger.receipts import PastedReceipt, ReceiptVerdict
from shaffof.ledger.records import canonical_bytes, domain_record, record_of
from shaffof.ledger.schemas import (
    CaseReceipt,
    CheckpointPublic,
    ConsistencyProofPublic,
    EventReceipt,
    InclusionProofPublic,
    LeafRange,
    LogStatus,
)
from shaffof.ledger.sequencer import SequencerReport, integrate
from shaffof.ledger.store import StoredTree, tree_state
from shaffof.ledger.timestamps import CheckpointTimestamper

if TYPE_CHECKING:
    from shaffof.cases.models import Case, CaseEvent
    from shaffof.cases.service import Cases
    from shaffof.identity.actor import Actor
    from shaffof.ledger.audit import SubjectRecords

MAX_LEAVES_PER_PAGE = 1000
MAX_CHECKPOINTS_PER_PAGE = 100
# The log's size and a leaf's first index in one round trip (a proof's budget is a millisecond).
FIND_LEAF = sa.text(
    "SELECT (SELECT tree_size FROM ledger_sequencer WHERE id = 1), "
    "(SELECT min(leaf_index) FROM ledger_entries WHERE leaf_hash = :leaf_hash AND leaf_index < :tree_size)"
).bindparams(sa.bindparam("leaf_hash", type_=sa.LargeBinary), sa.bindparam("tree_size", type_=sa.BigInteger))


@dataclass(frozen=True)
class NewLeaf:
    """A leaf to record: its hash and what it is about."""

    leaf_hash: bytes
    kind: LeafKind
    subject: str | None = None
    agency_id: int | None = None
    case_id: uuid.UUID | None = None
    event_seq: int | None = None
    record_id: int | None = None


# Every record of one kind as its domain stores it now: (record id, payload). verify-log rebuilds each
# record with ``domain_record`` and compares it with the record's leaf (docs/ledger.md).
RecordSource = Callable[[sa.Connection], Iterator[tuple[int, dict[str, Any]]]]


def _leaf_of(case: Case, event: CaseEvent) -> NewLeaf:
    return NewLeaf(
        leaf_hash=merkle.leaf_hash(canonical_bytes(record_of(case.registration_number, event))),
        kind=LeafKind.case_event,
        subject=case.registration_number,
        agency_id=event.agency_id,
        case_id=event.case_id,
        event_seq=event.seq,
    )


COPY_FROM = 100  # leaves in one call from which PostgreSQL gets them by COPY


def append_leaves(session: Session, leaves: Sequence[NewLeaf], *, created_at: dt.datetime) -> None:
    """Write leaves in the caller's transaction (they commit with the change they record).

    Straight to the table, not through the ORM's unit of work: no flush is forced on the caller, and a
    batch costs one statement (COPY on PostgreSQL) instead of an object per leaf. Case-event leaves the
    transaction recorded but has not yet written go first: the log keeps the order leaves were recorded in."""
    _write_pending(session)
    _insert_leaves(session, leaves, created_at)


def _insert_leaves(session: Session, leaves: Sequence[NewLeaf], created_at: dt.datetime) -> None:
    if not leaves:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql" and len(leaves) >= COPY_FROM:
        driver = connection.connection.driver_connection
        assert driver is not None
        columns = "leaf_hash, kind, subject, agency_id, case_id, event_seq, record_id, created_at"
        with driver.cursor() as cursor, cursor.copy(f"COPY {LedgerEntry.__tablename__} ({columns}) FROM STDIN") as copy:
            for leaf in leaves:
                copy.write_row(
                    (
                        leaf.leaf_hash,
                        leaf.kind.value,
                        leaf.subject,
                        leaf.agency_id,
                        leaf.case_id,
                        leaf.event_seq,
                        leaf.record_id,
                        created_at,
                    )
                )
        return
    connection.execute(
        sa.insert(LedgerEntry),
        [
            {
                "leaf_hash": leaf.leaf_hash,
                "kind": leaf.kind,
                "subject": leaf.subject,
                "agency_id": leaf.agency_id,
                "case_id": leaf.case_id,
                "event_seq": leaf.event_seq,
                "record_id": leaf.record_id,
                "created_at": created_at,
            }
            for leaf in leaves
        ],
    )


_PENDING = "shaffof.ledger.pending"


@dataclass
class _Pending:
    """The case-event leaves of the open transaction, written just before it commits."""

    created_at: dt.datetime
    leaves: list[NewLeaf] = field(default_factory=list)


def _write_pending(session: Session) -> None:
    pending: _Pending | None = session.info.pop(_PENDING, None)  # the next transaction starts its own
    if pending is not None:
        _insert_leaves(session, pending.leaves, pending.created_at)


@dataclass(frozen=True)
class Receipt:
    """A record's leaf hash and — once a checkpoint covers it — its index and audit path against that
    checkpoint: all a verifier needs besides the log's public key."""

    leaf_hash: bytes
    leaf_index: int | None
    checkpoint: SignedTreeHead | None
    audit_path: list[bytes] | None


class Ledger:
    """The ledger domain service (built once by the composition root)."""

    def __init__(
        self,
        db: Database,
        *,
        keys: LogKeySource,
        origin: str,
        cases: Cases | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        timestamper: CheckpointTimestamper | None = None,
        acceptable_failure: dt.timedelta | None = None,
    ) -> None:
        self._db = db
        self._keys = keys
        self.origin = origin
        self._cases = cases
        self.clock = clock
        self.timestamper = timestamper
        self.guard = CommitmentGuard(acceptable_failure, lambda: self.clock())
        self.record_sources: dict[LeafKind, RecordSource] = {}
        self.subject_sources: dict[LeafKind, SubjectRecords] = {}

    # ------------------------------------------------------------------ recording

    def record_case_event(self, session: Session, case: Case, event: CaseEvent) -> None:
        """The case event handler: the event's leaf joins the event's own transaction.

        In a unit of work the leaves of one transaction are written together just before it commits (a
        submission records three events: one statement instead of three); a rolled-back one writes none."""
        self.guard.check(session)
        leaf = _leaf_of(case, event)
        if UnitOfWork.find(session) is None:
            append_leaves(session, [leaf], created_at=self.clock())
            return
        held_until_commit(session, _PENDING, lambda: _Pending(self.clock()), _write_pending).leaves.append(leaf)

    def record_case_events(self, session: Session, events: Sequence[tuple[Case, CaseEvent]]) -> None:
        """The same for a bulk operation's events: one statement (COPY on PostgreSQL) for the batch."""
        self.guard.check(session)
        append_leaves(session, [_leaf_of(case, event) for case, event in events], created_at=self.clock())

    def append_record(
        self,
        session: Session,
        kind: LeafKind,
        record_id: int,
        payload: dict[str, Any],
        *,
        subject: str | None = None,
        agency_id: int | None = None,
        case_id: uuid.UUID | None = None,
    ) -> bytes:
        """Log another domain's record in the caller's transaction (they commit together or not at all);
        returns the leaf hash, the record's receipt until a checkpoint covers it.

        The leaf data is the RFC 8785 canonical JSON of ``{"type": kind, "v": 1, "id": record_id,
        **payload}``; the payload holds what must never change unnoticed (digests rather than bulky
        content), built by one function the domain also gives :meth:`add_record_source` for verify-log.
        Refused (``LedgerUnavailable``) like every write while the log cannot commit (faults.py)."""
        self.guard.check(session)
        data = canonical_bytes(domain_record(kind.value, record_id, payload))
        leaf = NewLeaf(
            leaf_hash=merkle.leaf_hash(data),
            kind=kind,
            subject=subject,
            agency_id=agency_id,
            case_id=case_id,
            record_id=record_id,
        )
        append_leaves(session, [leaf], created_at=self.clock())
        return leaf.leaf_hash

    def add_record_source(self, kind: LeafKind, source: RecordSource) -> None:
        """Let ``shaffof verify-log`` check every record of ``kind`` against its leaf."""
        self.record_sources[kind] = source

    def add_subject_source(self, kind: LeafKind, source: SubjectRecords) -> None:
        """The same for records whose leaf names them by subject (a UUID) rather than by ``record_id``."""
        self.subject_sources[kind] = source

    # ------------------------------------------------------------------ sequencing

    def sequence(self, *, max_leaves: int | None = None) -> SequencerReport:
        """Integrate the committed leaves, sign a checkpoint (if the log key is available) and have it
        timestamped (if a TSA is configured); record whether the log could commit (faults.py)."""
        report = integrate(
            self._db,
            log_key=self._keys.get(),
            origin=self.origin,
            max_leaves=max_leaves,
            clock=self.clock,
            timestamper=self.timestamper,
            key_problem=self._keys.problem,
        )
        self.guard.forget()
        return report

    # ------------------------------------------------------------------ reading

    def public_key_pem(self) -> str:
        return self._keys.require().public_pem

    def public_key(self) -> Ed25519PublicKey | None:
        """The log's public key, or None while the log key cannot be loaded."""
        key = self._keys.get()
        return key.public_key if key is not None else None

    def status(self) -> LogStatus:
        with self._db.reading() as session:
            state = tree_state(session)
            latest = _latest(session)
            failing = self.guard.failing(session, fresh=True)
            stamped = latest is not None and _stamp_of(session, latest) is not None
        problem = self._keys.problem if self._keys.get() is None else None
        age = (self.clock() - latest.timestamp).total_seconds() if latest else None
        refusing = False
        if failing is not None and self.guard.acceptable is not None:
            refusing = self.clock() - failing[0] > self.guard.acceptable
        return LogStatus(
            tree_size=state.tree_size,
            checkpoint_tree_size=latest.tree_size if latest else None,
            checkpoint_age_seconds=age,
            signing=problem or "ok",
            checkpoint_timestamped=stamped,
            commitment_failing_since=failing[0] if failing else None,
            commitment_problem=failing[1] if failing else None,
            refusing_new_work=refusing,
        )

    def latest_checkpoint(self) -> CheckpointPublic:
        with self._db.reading() as session:
            latest = _latest(session)
            if latest is None:
                raise NoCheckpointYet("The log has not signed a checkpoint yet; try again in a few seconds.")
            return self._public(latest, _stamp_of(session, latest))

    def checkpoints(
        self, *, limit: int = MAX_CHECKPOINTS_PER_PAGE, before: int | None = None
    ) -> list[CheckpointPublic]:
        """The checkpoint history, newest first; ``before`` pages by checkpoint id."""
        statement = (
            sa.select(LedgerCheckpoint).order_by(LedgerCheckpoint.id.desc()).limit(min(limit, MAX_CHECKPOINTS_PER_PAGE))
        )
        if before is not None:
            statement = statement.where(LedgerCheckpoint.id < before)
        with self._db.reading() as session:
            heads = [_head(row) for row in session.scalars(statement)]
            return [self._public(head, _stamp_of(session, head)) for head in heads]

    def leaves(self, start: int, end: int) -> LeafRange:
        """Leaf hashes ``start..end`` (inclusive), at most :data:`MAX_LEAVES_PER_PAGE`, never past the tree."""
        if start < 0 or end < start:
            raise LeafRangeInvalid(
                "Give 0 ≤ start ≤ end (leaf indexes, end inclusive).",
                errors=[FieldError("query/end", "must be at least start")],
            )
        with self._db.reading() as session:
            size = tree_state(session).tree_size
            if start >= size:
                raise LeafRangeInvalid(
                    f"The log has {size} leaves; start must be below {size}.",
                    errors=[FieldError("query/start", f"must be below {size}")],
                )
            last = min(end, size - 1, start + MAX_LEAVES_PER_PAGE - 1)
            rows = session.connection().execute(
                sa.select(LedgerEntry.leaf_hash)
                .where(LedgerEntry.leaf_index.between(start, last))
                .order_by(LedgerEntry.leaf_index)
            )
            hashes = [b64(value) for (value,) in rows]
        return LeafRange(start=start, end=last, leaf_hashes=hashes)

    def inclusion_proof(self, leaf_hash: bytes, tree_size: int) -> InclusionProofPublic:
        with self._db.reading() as session:
            size, index = (
                session.connection().execute(FIND_LEAF, {"leaf_hash": leaf_hash, "tree_size": tree_size}).one()
            )
            _check_size(size or 0, tree_size, "tree_size")
            if index is None:
                raise LeafNotFound(
                    f"No leaf with this hash is among the first {tree_size} leaves; if it was just written, "
                    "ask again after the next checkpoint."
                )
            path = merkle.inclusion_path(index, tree_size, StoredTree(session))
        return InclusionProofPublic(leaf_index=index, tree_size=tree_size, audit_path=[b64(p) for p in path])

    def consistency_proof(self, first: int, second: int) -> ConsistencyProofPublic:
        if not 0 < first <= second:
            raise TreeSizeOutOfRange(
                "Give tree sizes 0 < first ≤ second.", errors=[FieldError("query/first", "must be 1..second")]
            )
        with self._db.reading() as session:
            _check_size(tree_state(session).tree_size, second, "second")
            proof = merkle.consistency_proof(first, second, StoredTree(session))
        return ConsistencyProofPublic(first=first, second=second, consistency=[b64(p) for p in proof])

    def verify_receipt(self, receipt: PastedReceipt) -> ReceiptVerdict:
        """Check a receipt against the latest checkpoint, as anyone can offline: the inclusion proof leads to
        the root of its tree size, and that tree is a prefix of the checkpoint's (consistency proof)."""
        with self._db.reading() as session:
            latest = _latest(session)
            if latest is None:
                raise NoCheckpointYet("The log has not signed a checkpoint yet; try again in a few seconds.")
            stamp = _stamp_of(session, latest)
            nodes = StoredTree(session)
            consistency: list[bytes] = []
            linked: merkle.VerificationSuccess | merkle.VerificationFailure = merkle.VerificationSuccess()
            if receipt.tree_size > latest.tree_size:
                valid, reason = (
                    False,
                    f"the proof is for {receipt.tree_size} leaves; the checkpoint has {latest.tree_size}",
                )
            else:
                root = latest.root_hash
                if receipt.tree_size < latest.tree_size:
                    root = merkle.tree_root(receipt.tree_size, nodes)
                    consistency = merkle.consistency_proof(receipt.tree_size, latest.tree_size, nodes)
                    linked = merkle.verify_consistency(
                        receipt.tree_size, latest.tree_size, root, latest.root_hash, consistency
                    )
                verdict = merkle.verify_inclusion(
                    receipt.leaf_hash, receipt.leaf_index, receipt.tree_size, receipt.audit_path, root
                )
                valid = bool(verdict) and bool(linked)
                reason = "included" if valid else str(verdict if not verdict else linked)
        return ReceiptVerdict(
            valid=valid,
            reason=reason,
            leaf_index=receipt.leaf_index,
            tree_size=receipt.tree_size,
            checkpoint_size=latest.tree_size,
            checkpoint_root=b64(latest.root_hash),
            checkpoint_time=latest.timestamp,
            timestamped_at=stamp.gen_time if stamp is not None else None,
            consistency_hashes=len(consistency),
        )

    def case_receipt(self, actor: Actor, registration_number: str) -> CaseReceipt:
        """The leaves of a case's events and their inclusion proofs against the latest checkpoint, for
        whoever may read the case (the cases domain decides: applicant, its agency's staff, auditors)."""
        if self._cases is None:
            raise RuntimeError("the ledger was built without the cases service")
        self._cases.get(actor, registration_number)  # raises unless the actor may read the case
        with self._db.reading() as session:
            latest = _latest(session)
            rows = session.execute(
                sa.select(LedgerEntry.agency_id, LedgerEntry.case_id, LedgerEntry.event_seq)
                .where(LedgerEntry.kind == LeafKind.case_event, LedgerEntry.subject == registration_number)
                .order_by(LedgerEntry.event_seq)
            ).all()
            events = []
            for agency_id, case_id, seq in rows:
                if agency_id is None or case_id is None or seq is None:
                    continue
                receipt = receipt_for(session, agency_id, case_id, seq, checkpoint=latest)
                events.append(
                    EventReceipt(
                        seq=seq,
                        leaf_hash=b64(receipt.leaf_hash),
                        leaf_index=receipt.leaf_index,
                        inclusion=_inclusion_public(receipt),
                    )
                )
            stamp = _stamp_of(session, latest) if latest else None
        return CaseReceipt(
            registration_number=registration_number,
            checkpoint=self._public(latest, stamp) if latest else None,
            events=events,
        )

    def _public(self, head: SignedTreeHead, stamp: LedgerCheckpointTimestamp | None = None) -> CheckpointPublic:
        key = self._keys.get()
        note = signed_note(head, key.public_raw) if key is not None and key.key_id == head.key_id else None
        return CheckpointPublic(
            timestamp_token=b64(stamp.token) if stamp is not None else None,
            timestamped_at=stamp.gen_time if stamp is not None else None,
            origin=head.origin,
            tree_size=head.tree_size,
            root_hash=b64(head.root_hash),
            timestamp=head.timestamp,
            timestamp_ms=head.timestamp_ms,
            key_id=head.key_id,
            signature=b64(head.signature),
            note=note,
        )


def receipt_for(
    session: Session,
    agency_id: int,
    case_id: uuid.UUID,
    seq: int,
    *,
    checkpoint: SignedTreeHead | None = None,
) -> Receipt:
    """The receipt of one case event: its leaf hash, and once the latest checkpoint (or the one given)
    covers the leaf, its index and audit path against that checkpoint."""
    row = (
        session.connection()
        .execute(
            sa.select(LedgerEntry.leaf_hash, LedgerEntry.leaf_index)
            .where(
                LedgerEntry.kind == LeafKind.case_event,
                LedgerEntry.agency_id == agency_id,
                LedgerEntry.case_id == case_id,
                LedgerEntry.event_seq == seq,
            )
            .order_by(LedgerEntry.id)
            .limit(1)
        )
        .first()
    )
    if row is None:
        raise LeafNotFound(f"Event {seq} of case {case_id} has no leaf in the log.")
    head = checkpoint if checkpoint is not None else _latest(session)
    if head is None or row.leaf_index is None or row.leaf_index >= head.tree_size:
        return Receipt(row.leaf_hash, row.leaf_index, head, None)
    path = merkle.inclusion_path(row.leaf_index, head.tree_size, StoredTree(session))
    return Receipt(row.leaf_hash, row.leaf_index, head, path)


def _inclusion_public(receipt: Receipt) -> InclusionProofPublic | None:
    if receipt.audit_path is None or receipt.checkpoint is None or receipt.leaf_index is None:
        return None
    return InclusionProofPublic(
        leaf_index=receipt.leaf_index,
        tree_size=receipt.checkpoint.tree_size,
        audit_path=[b64(p) for p in receipt.audit_path],
    )


def _latest(session: Session) -> SignedTreeHead | None:
    row = session.scalar(sa.select(LedgerCheckpoint).order_by(LedgerCheckpoint.id.desc()).limit(1))
    return _head(row) if row is not None else None


def _stamp_of(session: Session, head: SignedTreeHead) -> LedgerCheckpointTimestamp | None:
    """The timestamp token of the checkpoint ``head`` (the newest checkpoint of its size and root)."""
    return session.scalar(
        sa.select(LedgerCheckpointTimestamp)
        .join(LedgerCheckpoint, LedgerCheckpoint.id == LedgerCheckpointTimestamp.checkpoint_id)
        .where(
            LedgerCheckpoint.tree_size == head.tree_size,
            LedgerCheckpoint.signature == head.signature,
        )
        .limit(1)
    )


def _head(row: LedgerCheckpoint) -> SignedTreeHead:
    return SignedTreeHead(
        origin=row.origin,
        tree_size=row.tree_size,
        root_hash=row.root_hash,
        timestamp_ms=to_millis(row.signed_at),
        key_id=row.key_id,
        signature=row.signature,
    )


def _check_size(size: int, tree_size: int, field: str) -> None:
    if not 1 <= tree_size <= size:
        raise TreeSizeOutOfRange(
            f"The log has {size} integrated leaves; give a {field} between 1 and {size}.",
            errors=[FieldError(f"query/{field}", f"must be between 1 and {size}")],
        )


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def parse_hash(text: str, field: str) -> bytes:
    """A SHA-256 hash given in base64 (standard or URL-safe; a '+' turned into a space by a URL is forgiven)."""
    cleaned = text.strip().replace(" ", "+").replace("-", "+").replace("_", "/")
    try:
        value = base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        value = b""
    if len(value) != merkle.HASH_SIZE:
        raise HashInvalid(
            f"{field} must be a SHA-256 hash in base64 (44 characters).",
            errors=[FieldError(f"query/{field}", "not a base64 SHA-256 hash")],
        )
    return value
