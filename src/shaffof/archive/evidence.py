"""A case as a self-contained evidence package (issue 8 part 4): one ZIP that anyone verifies offline with
the platform's CA certificate and the log's public key (``archive/evidence_verify.py``,
``shaffof verify-evidence``).

Layout::

    manifest.json                 the case, its timeline as stored, every document and signature, and the
                                  SHA-256 of every other file of the package
    documents/<sha256>.<ext>      the case's documents from the blob store (the sealed decision PDF too)
    signatures/<seq>-<purpose>.jws  the citizen's signed submission (JWS), where there is one
    ledger/events/<seq>.leaf      the leaf data of each case event: RFC 8785 canonical JSON (records.py)
    ledger/events/<seq>.json      its leaf hash, leaf index and RFC 9162 inclusion proof against the checkpoint
    ledger/checkpoint.txt         the latest checkpoint's signed text (C2SP tlog-checkpoint)
    ledger/checkpoint.sig         its Ed25519 signature (raw 64 bytes)
    ledger/checkpoint.note        the same checkpoint as a C2SP signed note
    ledger/checkpoint.tsr         the platform TSA's RFC 3161 token over SHA-256 of that note (when stamped)
    ledger/first-checkpoint.*     the checkpoint that first covered the case's first leaf (its submission
                                  receipt's): .txt, .sig and, when stamped, .tsr
    ledger/consistency.json       RFC 9162 consistency proof from that checkpoint to the package's checkpoint
    ledger/log-key.pem            the log's public key (informative: a verifier brings the key it trusts)

The leaf data is rebuilt from the stored event row exactly as ``shaffof verify-log`` does, so an event row
changed after the fact gives leaf data that no longer hashes to the recorded leaf — the package shows it
rather than hiding it. An event the latest checkpoint does not cover yet has no proof (``inclusion: null``).
The consistency proof ties the receipt the citizen got at submission (against the first checkpoint) to the
package's checkpoint: the log only grew in between. A document disposed of under the retention schedule is
listed with its tombstone instead of its content.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import uuid
import zipfile
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shaffof.archive.blobstore import BlobStore
from shaffof.archive.models import Tombstone
from shaffof.cases.errors import CaseNotFound
from shaffof.cases.models import Case, CaseDocument, CaseEvent, CaseSignature
from shaffof.catalog.models import Agency, Service
from shaffof.db.base import utcnow
from shaffof.db.engine import Database
from shaffof.ledger import merkle
from shaffof.ledger.checkpoints import SignedTreeHead, signed_note, to_millis
from shaffof.ledger.errors import LeafNotFound
from shaffof.ledger.models import LeafKind, LedgerCheckpoint, LedgerCheckpointTimestamp, LedgerEntry
from shaffof.ledger.records import canonical_bytes, instant, record_of
from shaffof.ledger.service import Receipt, receipt_for
from shaffof.ledger.store import StoredTree

FORMAT = "shaffof-evidence-package"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHECKPOINT_TEXT = "ledger/checkpoint.txt"
CHECKPOINT_SIGNATURE = "ledger/checkpoint.sig"
CHECKPOINT_NOTE = "ledger/checkpoint.note"
CHECKPOINT_STAMP = "ledger/checkpoint.tsr"
FIRST_TEXT = "ledger/first-checkpoint.txt"
FIRST_SIGNATURE = "ledger/first-checkpoint.sig"
FIRST_STAMP = "ledger/first-checkpoint.tsr"
CONSISTENCY = "ledger/consistency.json"
LOG_KEY = "ledger/log-key.pem"
EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


@dataclass(frozen=True)
class EvidencePackage:
    """The ZIP's bytes and what it holds."""

    data: bytes
    registration_number: str
    documents: int
    signatures: int
    events: int
    unproven_events: int  # events the latest checkpoint does not cover yet (no inclusion proof)
    checkpoint_size: int | None


def event_leaf_path(seq: int) -> str:
    return f"ledger/events/{seq:04d}.leaf"


def event_proof_path(seq: int) -> str:
    return f"ledger/events/{seq:04d}.json"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def export_case(
    db: Database,
    blobs: BlobStore,
    registration_number: str,
    *,
    log_public_pem: str | None,
    now: dt.datetime | None = None,
) -> EvidencePackage:
    """Build the evidence package of one case (for the console, trusted as an administrator)."""
    exported_at = now or utcnow()
    files: dict[str, bytes] = {}
    with db.reading() as session:
        case = session.scalar(sa.select(Case).where(Case.registration_number == registration_number))
        if case is None:
            raise CaseNotFound(f"No case {registration_number!r}.")
        agency = session.get(Agency, case.agency_id)
        service = session.get(Service, case.service_id)
        head = _latest_checkpoint(session)
        events = list(
            session.scalars(
                sa.select(CaseEvent)
                .where(CaseEvent.agency_id == case.agency_id, CaseEvent.case_id == case.id)
                .order_by(CaseEvent.seq)
            )
        )
        documents = list(
            session.scalars(
                sa.select(CaseDocument)
                .where(CaseDocument.agency_id == case.agency_id, CaseDocument.case_id == case.id)
                .order_by(CaseDocument.event_seq, CaseDocument.sha256)
            )
        )
        signatures = list(
            session.scalars(
                sa.select(CaseSignature)
                .where(CaseSignature.agency_id == case.agency_id, CaseSignature.case_id == case.id)
                .order_by(CaseSignature.event_seq)
            )
        )
        manifest_events, unproven = _events(session, case, events, head, files)
        head_row = _checkpoint_row(session, head) if head is not None else None
        first_row = _first_covering(session, case) if head is not None else None
        if first_row is not None and head is not None and first_row.tree_size > head.tree_size:
            first_row = None  # covered only after the package's checkpoint: nothing to tie
        consistency = (
            merkle.consistency_proof(first_row.tree_size, head.tree_size, StoredTree(session))
            if first_row is not None and head is not None
            else None
        )
        tokens = {
            row.checkpoint_id: row.token
            for row in session.scalars(
                sa.select(LedgerCheckpointTimestamp).where(
                    LedgerCheckpointTimestamp.checkpoint_id.in_([r.id for r in (head_row, first_row) if r is not None])
                )
            )
        }
        disposed = {
            row.sha256: row
            for row in session.scalars(
                sa.select(Tombstone).where(Tombstone.sha256.in_([document.sha256 for document in documents]))
            )
        }

    manifest_documents = []
    for document in documents:
        path: str | None = f"documents/{document.sha256}.{EXTENSIONS.get(document.media_type, 'bin')}"
        tombstone = disposed.get(document.sha256)
        if tombstone is None:
            assert path is not None
            files[path] = blobs.read(document.sha256)
        else:
            path = None
        manifest_documents.append(
            {
                "disposed": _tombstone_entry(tombstone) if tombstone is not None else None,
                "path": path,
                "sha256": document.sha256,
                "document_type": document.document_type,
                "filename": document.filename,
                "media_type": document.media_type,
                "size": document.size,
                "event_seq": document.event_seq,
                "added_at": instant(document.added_at),
            }
        )
    manifest_signatures = []
    for signature in signatures:
        token_path: str | None = None
        if signature.token is not None:
            token_path = f"signatures/{signature.event_seq:04d}-{signature.purpose}.jws"
            files[token_path] = signature.token.encode()
        manifest_signatures.append(
            {
                "event_seq": signature.event_seq,
                "purpose": signature.purpose,
                "format": signature.format,
                "signer": signature.signer,
                "certificate_serial": signature.certificate_serial,
                "signing_time": instant(signature.signing_time),
                "timestamp": instant(signature.timestamp) if signature.timestamp is not None else None,
                "sha256": signature.sha256,
                "path": token_path,  # a PAdES seal is inside its document: see documents by sha256
            }
        )
    ledger: dict[str, Any] = {"checkpoint": None, "public_key": None}
    if head is not None:
        files[CHECKPOINT_TEXT] = head.body()
        files[CHECKPOINT_SIGNATURE] = head.signature
        ledger["checkpoint"] = {
            "origin": head.origin,
            "tree_size": head.tree_size,
            "root_hash": base64.b64encode(head.root_hash).decode(),
            "timestamp_ms": head.timestamp_ms,
            "key_id": head.key_id,
            "text": CHECKPOINT_TEXT,
            "signature": CHECKPOINT_SIGNATURE,
            "timestamp_token": None,
        }
        if head_row is not None and head_row.id in tokens:
            files[CHECKPOINT_STAMP] = tokens[head_row.id]
            ledger["checkpoint"]["timestamp_token"] = CHECKPOINT_STAMP
        ledger["first_checkpoint"] = None
        if first_row is not None and consistency is not None:
            first = _head_of(first_row)
            files[FIRST_TEXT], files[FIRST_SIGNATURE] = first.body(), first.signature
            ledger["first_checkpoint"] = {
                "tree_size": first.tree_size,
                "root_hash": base64.b64encode(first.root_hash).decode(),
                "timestamp_ms": first.timestamp_ms,
                "text": FIRST_TEXT,
                "signature": FIRST_SIGNATURE,
                "timestamp_token": None,
                "consistency": CONSISTENCY,
            }
            if first_row.id in tokens:
                files[FIRST_STAMP] = tokens[first_row.id]
                ledger["first_checkpoint"]["timestamp_token"] = FIRST_STAMP
            proof = {
                "first": first.tree_size,
                "second": head.tree_size,
                "consistency": [base64.b64encode(p).decode() for p in consistency],
            }
            files[CONSISTENCY] = json.dumps(proof, indent=2).encode() + b"\n"
    if log_public_pem is not None:
        files[LOG_KEY] = log_public_pem.encode()
        ledger["public_key"] = LOG_KEY
        if head is not None:
            raw = _raw_public_key(log_public_pem)
            files[CHECKPOINT_NOTE] = signed_note(head, raw).encode()
            ledger["checkpoint"]["note"] = CHECKPOINT_NOTE

    manifest = {
        "format": FORMAT,
        "v": FORMAT_VERSION,
        "exported_at": instant(exported_at),
        "case": {
            "registration_number": case.registration_number,
            "case_id": str(case.id),
            "agency": {"id": case.agency_id, "code": agency.code if agency else None},
            "service": {"code": service.code if service else None, "version": service.version if service else None},
            "kind": case.kind.value,
            "channel": case.channel.value,
            "state": case.state.value,
            "sla_state": case.sla_state.value,
            "outcome": case.outcome.value if case.outcome is not None else None,
            "outcome_reason": case.outcome_reason,
            "received_at": instant(case.received_at),
            "registered_at": _maybe_instant(case.registered_at),
            "due_at": _maybe_instant(case.due_at),
            "decided_at": _maybe_instant(case.decided_at),
            "closed_at": _maybe_instant(case.closed_at),
        },
        "events": manifest_events,
        "documents": manifest_documents,
        "signatures": manifest_signatures,
        "ledger": ledger,
        "files": {path: sha256_hex(data) for path, data in sorted(files.items())},
    }
    files_in_order = [(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2).encode() + b"\n")]
    files_in_order += sorted(files.items())
    return EvidencePackage(
        data=_zip(files_in_order, exported_at),
        registration_number=case.registration_number,
        documents=len(manifest_documents),
        signatures=len(manifest_signatures),
        events=len(manifest_events),
        unproven_events=unproven,
        checkpoint_size=head.tree_size if head is not None else None,
    )


def _events(
    session: Session, case: Case, events: list[CaseEvent], head: SignedTreeHead | None, files: dict[str, bytes]
) -> tuple[list[dict[str, Any]], int]:
    """Each event as stored, its leaf data (rebuilt from the row) and its receipt against ``head``."""
    manifest_events: list[dict[str, Any]] = []
    unproven = 0
    for event in events:
        record = record_of(case.registration_number, event)
        leaf_path, proof_path = event_leaf_path(event.seq), event_proof_path(event.seq)
        files[leaf_path] = canonical_bytes(record)
        try:
            receipt: Receipt | None = receipt_for(
                session, event.agency_id, _uuid(event.case_id), event.seq, checkpoint=head
            )
        except LeafNotFound:  # an event without its leaf: the package says so, the verifier reports it
            receipt = None
        proof: dict[str, Any] = {"seq": event.seq, "leaf_hash": None, "leaf_index": None, "inclusion": None}
        if receipt is not None:
            proof["leaf_hash"] = base64.b64encode(receipt.leaf_hash).decode()
            proof["leaf_index"] = receipt.leaf_index
            if receipt.audit_path is not None and head is not None:
                proof["inclusion"] = {
                    "tree_size": head.tree_size,
                    "audit_path": [base64.b64encode(p).decode() for p in receipt.audit_path],
                }
        if proof["inclusion"] is None:
            unproven += 1
        files[proof_path] = json.dumps(proof, indent=2).encode() + b"\n"
        stored = {key: record[key] for key in EVENT_FIELDS}
        manifest_events.append({**stored, "leaf": leaf_path, "proof": proof_path})
    return manifest_events, unproven


EVENT_FIELDS = ("seq", "kind", "at", "actor_account_id", "state_before", "state_after", "reason", "data")


def _latest_checkpoint(session: Session) -> SignedTreeHead | None:
    row = session.scalar(sa.select(LedgerCheckpoint).order_by(LedgerCheckpoint.id.desc()).limit(1))
    return _head_of(row) if row is not None else None


def _checkpoint_row(session: Session, head: SignedTreeHead) -> LedgerCheckpoint | None:
    return session.scalar(
        sa.select(LedgerCheckpoint)
        .where(LedgerCheckpoint.tree_size == head.tree_size, LedgerCheckpoint.signature == head.signature)
        .limit(1)
    )


def _first_covering(session: Session, case: Case) -> LedgerCheckpoint | None:
    """The first checkpoint whose tree holds the case's first leaf: the one its submission receipt named."""
    first_index = session.scalar(
        sa.select(sa.func.min(LedgerEntry.leaf_index)).where(
            LedgerEntry.kind == LeafKind.case_event,
            LedgerEntry.agency_id == case.agency_id,
            LedgerEntry.case_id == case.id,
        )
    )
    if first_index is None:
        return None
    return session.scalar(
        sa.select(LedgerCheckpoint)
        .where(LedgerCheckpoint.tree_size > first_index)
        .order_by(LedgerCheckpoint.id)
        .limit(1)
    )


def _tombstone_entry(tombstone: Tombstone) -> dict[str, Any]:
    return {
        "tombstone_id": tombstone.id,
        "disposed_at": instant(tombstone.disposed_at),
        "reason": tombstone.reason,
        "authority": tombstone.authority,
        "basis": tombstone.basis,
    }


def _head_of(row: LedgerCheckpoint) -> SignedTreeHead:
    return SignedTreeHead(
        origin=row.origin,
        tree_size=row.tree_size,
        root_hash=row.root_hash,
        timestamp_ms=to_millis(row.signed_at),
        key_id=row.key_id,
        signature=row.signature,
    )


def _raw_public_key(pem: str) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

    key = load_pem_public_key(pem.encode())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the log's public key is not an Ed25519 key")
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _maybe_instant(at: dt.datetime | None) -> str | None:
    return instant(at) if at is not None else None


def _uuid(value: uuid.UUID | str) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def _zip(files: list[tuple[str, bytes]], at: dt.datetime) -> bytes:
    stamp = at.astimezone(dt.UTC)
    date_time = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()
