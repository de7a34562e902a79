"""The transparency log over HTTP: checkpoints, leaf hashes and RFC 9162 proofs (public), receipts (the
case's readers). Hashes travel in base64; errors are RFC 9457 problems like every other."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse

from shaffof.ledger.schemas import (
    CaseReceipt,
    CheckpointPublic,
    ConsistencyProofPublic,
    InclusionProofPublic,
    LeafRange,
    LogStatus,
)
from shaffof.ledger.service import MAX_CHECKPOINTS_PER_PAGE, Ledger, parse_hash
from shaffof.web.deps import MAX_INTEGER, CurrentActor, PlatformDep

router = APIRouter(prefix="/ledger", tags=["ledger"])


def get_ledger(platform: PlatformDep) -> Ledger:
    return platform.ledger


LedgerDep = Annotated[Ledger, Depends(get_ledger)]


@router.get("/checkpoint", response_model=CheckpointPublic)
def checkpoint(ledger: LedgerDep) -> CheckpointPublic:
    """The latest signed tree head (verify it with `GET /api/v1/ledger/public-key`)."""
    return ledger.latest_checkpoint()


@router.get("/checkpoints", response_model=list[CheckpointPublic])
def checkpoints(
    ledger: LedgerDep,
    limit: int = Query(default=20, ge=1, le=MAX_CHECKPOINTS_PER_PAGE),
    before: int | None = Query(default=None, ge=1, le=MAX_INTEGER, description="page: checkpoints older than this id"),
) -> list[CheckpointPublic]:
    """The history of signed tree heads, newest first."""
    return ledger.checkpoints(limit=limit, before=before)


@router.get("/status", response_model=LogStatus)
def status(ledger: LedgerDep) -> LogStatus:
    """Integrated size, last checkpoint and its age, and whether checkpoints are being signed."""
    return ledger.status()


@router.get("/leaves", response_model=LeafRange)
def leaves(
    ledger: LedgerDep,
    start: int = Query(ge=0, le=MAX_INTEGER, description="index of the first leaf"),
    end: int = Query(ge=0, le=MAX_INTEGER, description="index of the last leaf (inclusive); fewer may come back"),
) -> LeafRange:
    """Leaf hashes in index order — hashes only, never content — for monitors to rebuild the tree."""
    return ledger.leaves(start, end)


@router.get("/proof/inclusion", response_model=InclusionProofPublic)
def inclusion_proof(
    ledger: LedgerDep,
    leaf_hash: str = Query(description="base64 RFC 9162 leaf hash"),
    tree_size: int = Query(ge=1, le=MAX_INTEGER),
) -> InclusionProofPublic:
    """RFC 9162 §2.1.3 audit path of a leaf in the tree of `tree_size` leaves."""
    return ledger.inclusion_proof(parse_hash(leaf_hash, "leaf_hash"), tree_size)


@router.get("/proof/consistency", response_model=ConsistencyProofPublic)
def consistency_proof(
    ledger: LedgerDep, first: int = Query(ge=1, le=MAX_INTEGER), second: int = Query(ge=1, le=MAX_INTEGER)
) -> ConsistencyProofPublic:
    """RFC 9162 §2.1.4 proof that the tree of `first` leaves is a prefix of the tree of `second` leaves."""
    return ledger.consistency_proof(first, second)


@router.get(
    "/public-key", response_class=PlainTextResponse, responses={200: {"content": {"application/x-pem-file": {}}}}
)
def public_key(ledger: LedgerDep) -> PlainTextResponse:
    """The log's Ed25519 public key (PEM, SubjectPublicKeyInfo): all a verifier needs besides a checkpoint."""
    return PlainTextResponse(ledger.public_key_pem(), media_type="application/x-pem-file")


@router.get("/receipts/{registration_number}", response_model=CaseReceipt)
def receipt(registration_number: str, actor: CurrentActor, ledger: LedgerDep) -> CaseReceipt:
    """The leaf hashes of a case's events and their inclusion proofs against the latest checkpoint."""
    return ledger.case_receipt(actor, registration_number)
