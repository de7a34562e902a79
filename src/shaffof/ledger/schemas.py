"""What the ledger shows: checkpoints, leaf hashes and proofs in RFC 6962/9162 shapes (hashes base64)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class CheckpointPublic(BaseModel):
    """A signed tree head. The signature covers the checkpoint text built from ``origin``, ``tree_size``,
    ``root_hash`` and ``timestamp_ms`` (docs/ledger.md); ``note`` is the same checkpoint as a C2SP signed note."""

    origin: str
    tree_size: int
    root_hash: str = Field(description="base64 MTH of the first tree_size leaves (RFC 9162 §2.1.1)")
    timestamp: dt.datetime
    timestamp_ms: int = Field(description="the signed time, Unix milliseconds")
    key_id: str = Field(description="hex SHA-256 of the log key's DER SubjectPublicKeyInfo")
    signature: str = Field(description="base64 Ed25519 signature of the checkpoint text")
    note: str | None = Field(default=None, description="the checkpoint as a C2SP signed note")
    timestamp_token: str | None = Field(
        default=None,
        description="base64 DER RFC 3161 TimeStampToken of the platform TSA over SHA-256 of `note`; null until stamped",
    )
    timestamped_at: dt.datetime | None = Field(default=None, description="the token's genTime")


class LogStatus(BaseModel):
    """How far the log is: integrated leaves, the last checkpoint and its age (grows if signing stops)."""

    tree_size: int
    checkpoint_tree_size: int | None
    checkpoint_age_seconds: float | None
    signing: str = Field(description="'ok', or why checkpoints are not being signed")
    checkpoint_timestamped: bool = Field(default=False, description="the last checkpoint has its TSA token")
    commitment_failing_since: dt.datetime | None = Field(
        default=None, description="since when the log cannot sign or timestamp what it holds (null: it can)"
    )
    commitment_problem: str | None = None
    refusing_new_work: bool = Field(
        default=False, description="the failure outlasted the acceptable period: writes answer 503 ledger-unavailable"
    )


class LeafRange(BaseModel):
    start: int
    end: int = Field(description="index of the last leaf returned (inclusive, as in RFC 6962 get-entries)")
    leaf_hashes: list[str] = Field(description="base64 leaf hashes, in index order")


class InclusionProofPublic(BaseModel):
    """RFC 6962 get-proof-by-hash: the audit path (RFC 9162 PATH) of a leaf in a tree of ``tree_size``."""

    leaf_index: int
    tree_size: int
    audit_path: list[str]


class ConsistencyProofPublic(BaseModel):
    """RFC 6962 get-sth-consistency: RFC 9162 PROOF(first, D[second])."""

    first: int
    second: int
    consistency: list[str]


class EventReceipt(BaseModel):
    """One case event's place in the log: its leaf hash now, its index and proof once sequenced and
    checkpointed."""

    seq: int
    leaf_hash: str
    leaf_index: int | None
    inclusion: InclusionProofPublic | None = Field(
        description="the audit path against the receipt's checkpoint; null until a checkpoint covers the leaf"
    )


class CaseReceipt(BaseModel):
    registration_number: str
    checkpoint: CheckpointPublic | None
    events: list[EventReceipt]
