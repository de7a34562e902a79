"""``shaffof verify-log``: check the stored log against itself and against the records it keeps.

1. **The tree.** Recompute every subtree hash from the stored leaves, block by block (2**16 leaves, then
   the blocks' roots), and compare each with ``ledger_nodes``; check that the leaf indexes are gapless and
   the sequencer's recorded size and root are the recomputed ones.
2. **The checkpoints.** Each signature against the log's public key; each root against the root recomputed
   from the leaves (which already implies that every two checkpoints are consistent); and, as an outside
   monitor would, an RFC 9162 consistency proof from the stored nodes between each checkpoint and the one
   before, verified with :func:`~shaffof.ledger.merkle.verify_consistency`.
   Each checkpoint's RFC 3161 token (when it has one) over SHA-256 of its signed note, against the CA.
3. **The records.** Rebuild each case event's canonical bytes from its ``case_events`` row and compare its
   leaf hash with the stored leaf; report events without a leaf and leaves without an event. Likewise every
   record another domain logs with ``Ledger.append_record`` (tombstones, …), through its record source.

The audit reads the cases domain's tables directly and only to read: it must check the rows themselves,
not a service's view of them. Every problem is reported with where it is; the audit never stops at the
first, but lists at most :data:`MAX_PER_KIND` of one kind and then counts the rest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shaffof.archive.audit import audit_blobs
from shaffof.archive.blobstore import BlobStore
from shaffof.canonical_json import canonicalize
from shaffof.db.engine import Database
from shaffof.ledger import merkle
from shaffof.ledger.checkpoints import SignedTreeHead, checkpoint_body, signed_note, to_millis, verify_signature
from shaffof.ledger.keys import public_key_id
from shaffof.ledger.models import LeafKind, LedgerCheckpoint, LedgerCheckpointTimestamp, LedgerEntry, LedgerNode
from shaffof.ledger.records import canonical_bytes, domain_record, record_of
from shaffof.ledger.store import StoredTree, tree_state
from shaffof.ledger.timestamps import note_digest

if TYPE_CHECKING:
    from shaffof.pki.chain import TrustAnchors

RecordSource = Callable[[sa.Connection], Iterator[tuple[int, dict[str, Any]]]]


@dataclass(frozen=True)
class SubjectRecords:
    """Records whose leaf names them by ``subject`` (a UUID as text) rather than by an integer id, as the
    data tracker's access records are: each record's leaf hash rebuilt from its row as stored now, and
    which of a batch of subjects are stored (to name leaves whose record is gone)."""

    rows: Callable[[sa.Connection], Iterator[tuple[str, bytes]]]
    present: Callable[[sa.Connection, Sequence[str]], set[str]]


Progress = Callable[[str, int, int], None]
BLOCK_LEVEL = 16
BLOCK = 1 << BLOCK_LEVEL
MAX_PER_KIND = 50
ZERO_HASH = bytes(merkle.HASH_SIZE)


@dataclass(frozen=True)
class Discrepancy:
    """One thing that is not as the log says it should be: where, and what."""

    location: str
    problem: str

    def __str__(self) -> str:
        return f"{self.location}: {self.problem}"


@dataclass
class AuditReport:
    discrepancies: list[Discrepancy] = field(default_factory=list)
    suppressed: Counter[str] = field(default_factory=Counter)
    counts: dict[str, int] = field(default_factory=dict)
    _listed: Counter[str] = field(default_factory=Counter, repr=False)

    @property
    def ok(self) -> bool:
        return not self.discrepancies

    def add(self, kind: str, location: str, problem: str) -> None:
        """Record a discrepancy; past :data:`MAX_PER_KIND` of one kind only count it."""
        if self._listed[kind] >= MAX_PER_KIND:
            self.suppressed[kind] += 1
            return
        self._listed[kind] += 1
        self.discrepancies.append(Discrepancy(location, problem))

    def extend(self, found: Iterable[Discrepancy]) -> None:
        self.discrepancies.extend(found)

    def summary_of_suppressed(self) -> list[str]:
        return [f"… and {count} more: {kind}" for kind, count in self.suppressed.items()]


def _no_progress(_phase: str, _done: int, _total: int) -> None:
    return None


# --------------------------------------------------------------------------- the tree and the checkpoints


@dataclass(frozen=True)
class _Checkpoint:
    id: int
    origin: str
    tree_size: int
    root_hash: bytes
    signed_at: dt.datetime
    key_id: str
    signature: bytes

    @property
    def location(self) -> str:
        return f"ledger_checkpoints id={self.id} (tree size {self.tree_size})"


def audit_tree(
    db: Database,
    report: AuditReport,
    *,
    public_key: Ed25519PublicKey | None,
    tsa_trust: TrustAnchors | None = None,
    progress: Progress = _no_progress,
) -> None:
    """Parts 1 and 2: the stored tree and the checkpoints (and their timestamp tokens)."""
    with db.reading() as session:
        connection = session.connection()
        state = tree_state(session)
        size = state.tree_size
        sequenced, highest = connection.execute(
            sa.select(sa.func.count(LedgerEntry.leaf_index), sa.func.max(LedgerEntry.leaf_index))
        ).one()
        checkpoints = [
            _Checkpoint(*row)
            for row in connection.execute(
                sa.select(
                    LedgerCheckpoint.id,
                    LedgerCheckpoint.origin,
                    LedgerCheckpoint.tree_size,
                    LedgerCheckpoint.root_hash,
                    LedgerCheckpoint.signed_at,
                    LedgerCheckpoint.key_id,
                    LedgerCheckpoint.signature,
                ).order_by(LedgerCheckpoint.id)
            )
        ]
        if sequenced != size or (highest is not None and highest != size - 1):
            report.add(
                "leaf count",
                "ledger_sequencer",
                f"leaf count: the sequencer records {size} leaves, but {sequenced} leaves have an index "
                f"(the highest is {highest})",
            )
        roots = _recompute(connection, size, checkpoints, report, progress)
        if roots.get(size, merkle.EMPTY_ROOT) != state.root_hash:
            report.add(
                "recorded root",
                "ledger_sequencer",
                f"recorded root: the sequencer's root of {size} leaves is not the root recomputed from the leaves",
            )
        _check_checkpoints(session, checkpoints, roots, size, public_key, report, progress)
        stamped = _check_timestamps(connection, checkpoints, public_key, tsa_trust, report)
    report.counts["leaves"] = size
    report.counts["checkpoints"] = len(checkpoints)
    report.counts["checkpoint timestamps"] = stamped


def _recompute(
    connection: sa.Connection,
    size: int,
    checkpoints: list[_Checkpoint],
    report: AuditReport,
    progress: Progress,
) -> dict[int, bytes]:
    """Recompute the tree of ``size`` leaves; compare every stored node; return the root of every tree
    size that a checkpoint names (and of ``size``)."""
    wanted = sorted({c.tree_size for c in checkpoints if 0 < c.tree_size <= size} | ({size} if size else set()))
    tails: dict[int, bytes] = {}  # size → MTH of its last, incomplete block
    block_roots: list[bytes] = []
    progress("tree", 0, size)
    for start in range(0, size, BLOCK):
        end = min(start + BLOCK, size)
        leaves = _block_leaves(connection, start, end, report)
        levels = merkle.perfect_levels(leaves)
        for level in range(1, len(levels)):
            _compare_level(connection, level, start >> level, levels[level], report)
        if end - start == BLOCK:
            block_roots.append(levels[BLOCK_LEVEL][0])
        for tree_size in wanted:
            if start < tree_size <= end and tree_size % BLOCK:
                tails[tree_size] = _fold(levels, merkle.subtree_keys(0, tree_size - start))
        progress("tree", end, size)
    upper = merkle.perfect_levels(block_roots) if block_roots else [[]]
    for level in range(1, len(upper)):
        _compare_level(connection, BLOCK_LEVEL + level, 0, upper[level], report)
    _extra_nodes(connection, size, report)
    roots: dict[int, bytes] = {}
    for tree_size in wanted:
        blocks, rest = divmod(tree_size, BLOCK)
        pieces = [_fold_one(upper, key) for key in merkle.subtree_keys(0, blocks)]
        if rest:
            pieces.append(tails[tree_size])
        roots[tree_size] = _right_fold(pieces)
    return roots


def _block_leaves(connection: sa.Connection, start: int, end: int, report: AuditReport) -> list[bytes]:
    rows = connection.execute(
        sa.select(LedgerEntry.leaf_index, LedgerEntry.leaf_hash)
        .where(LedgerEntry.leaf_index >= start, LedgerEntry.leaf_index < end)
        .order_by(LedgerEntry.leaf_index)
    )
    leaves: list[bytes] = []
    for index, value in rows:
        if index is None:
            continue
        while start + len(leaves) < index:
            report.add(
                "missing leaf",
                f"ledger_entries leaf_index={start + len(leaves)}",
                "missing leaf: no entry has this index",
            )
            leaves.append(ZERO_HASH)
        leaves.append(value)
    while start + len(leaves) < end:
        report.add(
            "missing leaf", f"ledger_entries leaf_index={start + len(leaves)}", "missing leaf: no entry has this index"
        )
        leaves.append(ZERO_HASH)
    return leaves


def _compare_level(
    connection: sa.Connection, level: int, first: int, computed: list[bytes], report: AuditReport
) -> None:
    if not computed:
        return
    stored = dict(
        connection.execute(
            sa.select(LedgerNode.node_index, LedgerNode.hash).where(
                LedgerNode.level == level,
                LedgerNode.node_index >= first,
                LedgerNode.node_index < first + len(computed),
            )
        ).all()
    )
    for offset, value in enumerate(computed):
        index = first + offset
        found = stored.get(index)
        if found is None:
            report.add(
                "missing node",
                f"ledger_nodes level={level} index={index}",
                "missing node: the subtree is complete but its hash is not stored",
            )
        elif found != value:
            report.add(
                "node differs",
                f"ledger_nodes level={level} index={index}",
                f"node differs: stored {found.hex()[:16]}…, recomputed from the leaves {value.hex()[:16]}…",
            )


def _extra_nodes(connection: sa.Connection, size: int, report: AuditReport) -> None:
    """Stored nodes of subtrees that a tree of ``size`` leaves does not complete."""
    rows = connection.execute(
        sa.select(LedgerNode.level, LedgerNode.node_index)
        .where(LedgerNode.node_index >= sa.literal(size, sa.BigInteger).op(">>")(LedgerNode.level))
        .order_by(LedgerNode.level, LedgerNode.node_index)
        .limit(MAX_PER_KIND + 1)
    )
    for level, index in rows:
        report.add(
            "extra node",
            f"ledger_nodes level={level} index={index}",
            f"extra node: a tree of {size} leaves has no complete subtree here",
        )


def _fold(levels: list[list[bytes]], keys: list[merkle.NodeKey]) -> bytes:
    return _right_fold([levels[level][index] for level, index in keys])


def _fold_one(levels: list[list[bytes]], key: merkle.NodeKey) -> bytes:
    level, index = key
    return levels[level][index]


def _right_fold(pieces: list[bytes]) -> bytes:
    if not pieces:
        return merkle.EMPTY_ROOT
    result = pieces[-1]
    for piece in reversed(pieces[:-1]):
        result = merkle.node_hash(piece, result)
    return result


def _check_checkpoints(
    session: sa.orm.Session,
    checkpoints: list[_Checkpoint],
    roots: dict[int, bytes],
    size: int,
    public_key: Ed25519PublicKey | None,
    report: AuditReport,
    progress: Progress,
) -> None:
    key_id = public_key_id(public_key) if public_key is not None else None
    if public_key is None and checkpoints:
        report.add(
            "signatures not checked",
            "log key",
            "signatures not checked: no public key (give --public-key, or make the log key loadable)",
        )
    previous: _Checkpoint | None = None
    nodes = StoredTree(session)
    progress("checkpoints", 0, len(checkpoints))
    for done, checkpoint in enumerate(checkpoints, 1):
        location = checkpoint.location
        if public_key is not None:
            if checkpoint.key_id != key_id:
                report.add(
                    "unknown key", location, f"unknown key: signed by key {checkpoint.key_id[:16]}…, not by {key_id}"
                )
            else:
                body = checkpoint_body(
                    checkpoint.origin, checkpoint.tree_size, checkpoint.root_hash, to_millis(checkpoint.signed_at)
                )
                if not verify_signature(public_key, body, checkpoint.signature):
                    report.add(
                        "bad signature", location, "bad signature: the signature does not verify with the log key"
                    )
        if checkpoint.tree_size > size:
            report.add("checkpoint beyond tree", location, f"checkpoint beyond tree: the log has only {size} leaves")
        elif checkpoint.tree_size and roots.get(checkpoint.tree_size) != checkpoint.root_hash:
            report.add(
                "checkpoint root differs",
                location,
                "checkpoint root differs: the leaves give another root for this size",
            )
        if previous is not None:
            _check_pair(previous, checkpoint, nodes, size, report)
        previous = checkpoint
        progress("checkpoints", done, len(checkpoints))


def _check_pair(
    previous: _Checkpoint, checkpoint: _Checkpoint, nodes: StoredTree, size: int, report: AuditReport
) -> None:
    location = checkpoint.location
    if checkpoint.signed_at < previous.signed_at:
        report.add(
            "time goes back", location, f"time goes back: signed before the previous checkpoint (id={previous.id})"
        )
    if checkpoint.tree_size < previous.tree_size:
        report.add("tree shrank", location, f"tree shrank: smaller than the previous checkpoint (id={previous.id})")
        return
    if checkpoint.tree_size > size or previous.tree_size == 0:
        return
    try:
        proof = merkle.consistency_proof(previous.tree_size, checkpoint.tree_size, nodes)
    except merkle.MissingNode as error:
        report.add("inconsistent", location, f"inconsistent: no consistency proof from id={previous.id} ({error})")
        return
    verdict = merkle.verify_consistency(
        previous.tree_size, checkpoint.tree_size, previous.root_hash, checkpoint.root_hash, proof
    )
    if isinstance(verdict, merkle.VerificationFailure):
        report.add(
            "inconsistent",
            location,
            f"inconsistent: not an extension of the previous checkpoint id={previous.id} ({verdict.reason})",
        )


def _check_timestamps(
    connection: sa.Connection,
    checkpoints: list[_Checkpoint],
    public_key: Ed25519PublicKey | None,
    trust: TrustAnchors | None,
    report: AuditReport,
) -> int:
    """Each stored token verifies (pki/tsa.py) over SHA-256 of its checkpoint's signed note, names the
    time stored beside it, and is not earlier than the checkpoint it stamps."""
    from cryptography.hazmat.primitives import serialization

    from shaffof.pki.tsa import TimestampInvalid, verify_token

    tokens = {
        row.checkpoint_id: row
        for row in connection.execute(
            sa.select(
                LedgerCheckpointTimestamp.checkpoint_id,
                LedgerCheckpointTimestamp.token,
                LedgerCheckpointTimestamp.gen_time,
            )
        )
    }
    if not tokens:
        return 0
    if trust is None or public_key is None:
        report.add(
            "timestamps not checked",
            "ledger_checkpoint_timestamps",
            "timestamps not checked: " + ("no CA certificate to check them with" if trust is None else "no log key"),
        )
        return 0
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key_id = public_key_id(public_key)
    by_id = {checkpoint.id: checkpoint for checkpoint in checkpoints}
    for checkpoint_id, row in sorted(tokens.items()):
        location = f"ledger_checkpoint_timestamps checkpoint_id={checkpoint_id}"
        checkpoint = by_id.get(checkpoint_id)
        if checkpoint is None or checkpoint.key_id != key_id:
            continue  # no such checkpoint (a foreign key forbids it) or another key's, reported above
        head = SignedTreeHead(
            checkpoint.origin,
            checkpoint.tree_size,
            checkpoint.root_hash,
            to_millis(checkpoint.signed_at),
            checkpoint.key_id,
            checkpoint.signature,
        )
        try:
            verified = verify_token(row.token, note_digest(signed_note(head, raw).encode()), trust)
        except TimestampInvalid as error:
            report.add("bad timestamp", location, f"bad timestamp: {error}")
            continue
        if verified.time != row.gen_time:
            report.add(
                "bad timestamp", location, f"bad timestamp: the token says {verified.time}, the row {row.gen_time}"
            )
        elif verified.time < checkpoint.signed_at.replace(microsecond=0) - dt.timedelta(seconds=1):
            report.add("bad timestamp", location, "bad timestamp: earlier than the checkpoint it stamps")
    return len(tokens)


# --------------------------------------------------------------------------- the records


def audit_case_events(db: Database, report: AuditReport, *, progress: Progress = _no_progress) -> None:
    """Part 3: every case event against its leaf, and every case-event leaf against its event."""
    from shaffof.cases.models import Case, CaseEvent

    leaf = sa.and_(
        LedgerEntry.kind == LeafKind.case_event,
        LedgerEntry.agency_id == CaseEvent.agency_id,
        LedgerEntry.case_id == CaseEvent.case_id,
        LedgerEntry.event_seq == CaseEvent.seq,
    )
    with db.reading() as session:
        connection = session.connection()
        total = connection.scalar(sa.select(sa.func.count()).select_from(CaseEvent)) or 0
        rows = connection.execution_options(yield_per=5000).execute(
            sa.select(
                CaseEvent.agency_id,
                CaseEvent.case_id,
                CaseEvent.seq,
                CaseEvent.kind,
                CaseEvent.at,
                CaseEvent.actor_account_id,
                CaseEvent.state_before,
                CaseEvent.state_after,
                CaseEvent.reason,
                CaseEvent.data,
                Case.registration_number,
                Case.state.label("case_state"),
                Case.event_count,
                # The form only beside the first event (whose leaf holds its digest): not once per event.
                sa.case((CaseEvent.seq == 1, Case.form), else_=sa.null()).label("case_form"),
                LedgerEntry.id,
                LedgerEntry.leaf_hash,
                LedgerEntry.leaf_index,
                LedgerEntry.subject,
            )
            .join(Case, sa.and_(Case.agency_id == CaseEvent.agency_id, Case.id == CaseEvent.case_id))
            .outerjoin(LedgerEntry, leaf)
            .order_by(CaseEvent.agency_id, CaseEvent.case_id, CaseEvent.seq, LedgerEntry.id)
        )
        progress("case events", 0, total)
        done = 0
        previous_key: tuple[object, ...] | None = None
        for row in rows:
            key = (row.agency_id, row.case_id, row.seq)
            location = (
                f"case_events agency_id={row.agency_id} case_id={row.case_id} seq={row.seq} ({row.registration_number})"
            )
            if key == previous_key:
                report.add("more than one leaf", location, f"more than one leaf: also ledger_entries id={row.id}")
                continue
            previous_key = key
            done += 1
            if row.id is None:
                report.add("no leaf", location, "no leaf: no ledger entry records this event")
            else:
                record = record_of(row.registration_number, row)
                if merkle.leaf_hash(canonical_bytes(record)) != row.leaf_hash:
                    report.add(
                        "event differs from its leaf",
                        location,
                        f"event differs from its leaf: the row no longer gives the hash recorded in "
                        f"ledger_entries id={row.id} (leaf index {row.leaf_index})",
                    )
                elif row.subject != row.registration_number:
                    report.add("subject differs", f"ledger_entries id={row.id}", f"subject differs: {row.subject!r}")
            _check_case_row(report, row)
            if done % 5000 == 0:
                progress("case events", done, total)
        progress("case events", done, total)
        orphans = connection.execute(
            sa.select(LedgerEntry.id, LedgerEntry.leaf_index, LedgerEntry.subject, LedgerEntry.event_seq)
            .where(LedgerEntry.kind == LeafKind.case_event, ~sa.exists().where(leaf))
            .order_by(LedgerEntry.id)
        )
        for entry_id, index, subject, seq in orphans:
            report.add(
                "leaf without its event",
                f"ledger_entries id={entry_id} (leaf index {index})",
                f"leaf without its event: event {seq} of case {subject} is not in case_events",
            )
    report.counts["case events"] = done


def _check_case_row(report: AuditReport, row: Any) -> None:
    """The ``cases`` row against the logged events it summarises: the form against the digest the
    submission event (and so its leaf) holds, the state against the last event's. The row itself has no
    leaf; a change to it without a matching event is exactly what the log must expose."""
    location = f"cases agency_id={row.agency_id} id={row.case_id} ({row.registration_number})"
    logged_digest = row.data.get("form_sha256") if row.seq == 1 and isinstance(row.data, dict) else None
    form = row.case_form
    if (
        logged_digest is not None
        and form is not None
        and hashlib.sha256(canonicalize(form)).hexdigest() != logged_digest
    ):
        report.add(
            "case row differs from its events",
            location,
            "case row differs from its events: the form is not the one the submission event logged",
        )
    if row.seq == row.event_count and row.case_state != row.state_after:
        report.add(
            "case row differs from its events",
            location,
            f"case row differs from its events: state {_value(row.case_state)!r}, but the last event "
            f"(seq {row.seq}) left it {_value(row.state_after)!r}",
        )


def _value(state: Any) -> str:
    return str(getattr(state, "value", state))


def audit_records(
    db: Database, report: AuditReport, kind: LeafKind, source: RecordSource, *, progress: Progress = _no_progress
) -> None:
    """Every record of ``kind`` (as its domain stores it now, ascending id) against its leaf, merged in id
    order with the leaves of that kind: records without a leaf, changed records, leaves without a record."""
    name = f"{kind.value} records"
    with db.reading() as session:
        connection = session.connection()
        leaves = connection.execution_options(yield_per=5000).execute(
            sa.select(LedgerEntry.record_id, LedgerEntry.id, LedgerEntry.leaf_hash, LedgerEntry.leaf_index)
            .where(LedgerEntry.kind == kind)
            .order_by(LedgerEntry.record_id, LedgerEntry.id)
        )
        rows = iter(leaves)
        pending = next(rows, None)
        done = 0
        for record_id, payload in source(connection):
            location = f"{kind.value} id={record_id}"
            while pending is not None and (pending.record_id is None or pending.record_id < record_id):
                _orphan(report, kind, pending)
                pending = next(rows, None)
            if pending is None or pending.record_id != record_id:
                report.add("no leaf", location, "no leaf: no ledger entry records this record")
            else:
                data = canonical_bytes(domain_record(kind.value, record_id, payload))
                if merkle.leaf_hash(data) != pending.leaf_hash:
                    report.add(
                        "record differs from its leaf",
                        location,
                        f"record differs from its leaf: the row no longer gives the hash recorded in "
                        f"ledger_entries id={pending.id} (leaf index {pending.leaf_index})",
                    )
                pending = next(rows, None)
                while pending is not None and pending.record_id == record_id:
                    report.add(
                        "more than one leaf", location, f"more than one leaf: also ledger_entries id={pending.id}"
                    )
                    pending = next(rows, None)
            done += 1
        while pending is not None:
            _orphan(report, kind, pending)
            pending = next(rows, None)
        progress(name, done, done)
    report.counts[name] = done


SUBJECT_BATCH = 1000


def audit_subject_records(
    db: Database, report: AuditReport, kind: LeafKind, source: SubjectRecords, *, progress: Progress = _no_progress
) -> None:
    """Every record of ``kind`` against the leaf that names it by subject, a batch at a time through the
    subject index; then, if more leaves of the kind exist than records matched, the leaves whose record is
    gone."""
    name = f"{kind.value} records"
    with db.reading() as session:
        connection = session.connection()
        done = matched = 0
        batch: list[tuple[str, bytes]] = []

        def check(batch: list[tuple[str, bytes]]) -> int:
            leaves: dict[str, list[Any]] = {}
            for leaf in connection.execute(
                sa.select(LedgerEntry.subject, LedgerEntry.id, LedgerEntry.leaf_hash, LedgerEntry.leaf_index)
                .where(LedgerEntry.kind == kind, LedgerEntry.subject.in_([subject for subject, _ in batch]))
                .order_by(LedgerEntry.id)
            ):
                leaves.setdefault(leaf.subject, []).append(leaf)
            for subject, rebuilt in batch:
                location = f"{kind.value} id={subject}"
                found = leaves.get(subject, [])
                if not found:
                    report.add("no leaf", location, "no leaf: no ledger entry records this record")
                elif found[0].leaf_hash != rebuilt:
                    report.add(
                        "record differs from its leaf",
                        location,
                        f"record differs from its leaf: the row no longer gives the hash recorded in "
                        f"ledger_entries id={found[0].id} (leaf index {found[0].leaf_index})",
                    )
                for extra in found[1:]:
                    report.add("more than one leaf", location, f"more than one leaf: also ledger_entries id={extra.id}")
            return sum(len(found) for found in leaves.values())

        for record in source.rows(connection):
            batch.append(record)
            done += 1
            if len(batch) == SUBJECT_BATCH:
                matched += check(batch)
                batch = []
        if batch:
            matched += check(batch)
        leaves_of_kind = (
            connection.scalar(sa.select(sa.func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == kind)) or 0
        )
        if leaves_of_kind > matched:
            leaves = connection.execution_options(yield_per=SUBJECT_BATCH).execute(
                sa.select(LedgerEntry.id, LedgerEntry.leaf_index, LedgerEntry.subject)
                .where(LedgerEntry.kind == kind)
                .order_by(LedgerEntry.id)
            )
            for part in leaves.partitions(SUBJECT_BATCH):
                stored = source.present(connection, [leaf.subject for leaf in part if leaf.subject is not None])
                for leaf in part:
                    if leaf.subject not in stored:
                        report.add(
                            "leaf without its record",
                            f"ledger_entries id={leaf.id} (leaf index {leaf.leaf_index})",
                            f"leaf without its record: {kind.value} id={leaf.subject} is not stored",
                        )
        progress(name, done, done)
    report.counts[name] = done


def _orphan(report: AuditReport, kind: LeafKind, leaf: Any) -> None:
    report.add(
        "leaf without its record",
        f"ledger_entries id={leaf.id} (leaf index {leaf.leaf_index})",
        f"leaf without its record: {kind.value} id={leaf.record_id} is not stored",
    )


# --------------------------------------------------------------------------- everything


def verify_log(
    db: Database,
    *,
    public_key: Ed25519PublicKey | None,
    blobs: BlobStore | None,
    records: Mapping[LeafKind, RecordSource] | None = None,
    subject_records: Mapping[LeafKind, SubjectRecords] | None = None,
    tsa_trust: TrustAnchors | None = None,
    progress: Progress = _no_progress,
) -> AuditReport:
    """``shaffof verify-log``: the tree, the checkpoints and their timestamps, the case events, the records
    of other domains (``records``: each kind's source; ``subject_records``: those named by subject) and
    (if given) the blob store."""
    report = AuditReport()
    audit_tree(db, report, public_key=public_key, tsa_trust=tsa_trust, progress=progress)
    audit_case_events(db, report, progress=progress)
    for kind, source in (records or {}).items():
        audit_records(db, report, kind, source, progress=progress)
    for kind, subject_source in (subject_records or {}).items():
        audit_subject_records(db, report, kind, subject_source, progress=progress)
    if blobs is not None:
        files = 0

        def blob_progress(done: int, total: int) -> None:
            nonlocal files
            files = total
            progress("blobs", done, total)

        for found in audit_blobs(blobs, db, progress=blob_progress):
            report.add(found.problem.split(":", 1)[0], found.location, found.problem)
        report.counts["blobs"] = files
    return report
