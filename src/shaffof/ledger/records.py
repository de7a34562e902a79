"""What a leaf says: the RFC 8785 canonical JSON of the record it keeps.

The same function builds the record when the event is appended (from the objects of the transaction)
and when ``shaffof verify-log`` rebuilds it from the stored ``case_events`` row, so the two can only
agree if the row is unchanged.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import Enum
from typing import Any, Protocol

from shaffof.canonical_json import canonicalize

RECORD_VERSION = 1


def instant(at: dt.datetime) -> str:
    """A UTC instant to the microsecond, as stored by both databases: ``2026-11-24T10:15:00.000000Z``."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def case_event_record(
    *,
    registration_number: str,
    agency_id: int,
    case_id: uuid.UUID,
    seq: int,
    kind: str,
    at: dt.datetime,
    actor_account_id: int | None,
    state_before: str | None,
    state_after: str,
    reason: str | None,
    data: dict[str, Any],
) -> dict[str, Any]:
    """The ledger's record of one case event (its ``data`` names the form and document digests)."""
    return {
        "type": "case_event",
        "v": RECORD_VERSION,
        "registration_number": registration_number,
        "agency_id": agency_id,
        "case_id": str(case_id),
        "seq": seq,
        "kind": kind,
        "at": instant(at),
        "actor_account_id": actor_account_id,
        "state_before": state_before,
        "state_after": state_after,
        "reason": reason,
        "data": data,
    }


RESERVED_KEYS = frozenset({"type", "v", "id"})


def domain_record(kind: str, record_id: int, payload: dict[str, Any]) -> dict[str, Any]:
    """The ledger's record of another domain's row (``Ledger.append_record``): its kind, the row's id and
    the payload the domain chose — the same function when writing and when ``verify-log`` rebuilds it."""
    clash = RESERVED_KEYS & payload.keys()
    if clash:
        raise ValueError(f"a record's payload cannot use the keys {sorted(clash)} (the ledger sets them)")
    return {"type": kind, "v": RECORD_VERSION, "id": record_id, **payload}


def canonical_bytes(record: dict[str, Any]) -> bytes:
    """The leaf data: RFC 8785 canonical UTF-8 JSON of the record."""
    return canonicalize(record)


class StoredEvent(Protocol):
    """A case event as stored (a ``CaseEvent`` or a row with the same columns); read-only."""

    @property
    def agency_id(self) -> int: ...

    @property
    def case_id(self) -> uuid.UUID: ...

    @property
    def seq(self) -> int: ...

    @property
    def kind(self) -> Enum: ...

    @property
    def at(self) -> dt.datetime: ...

    @property
    def actor_account_id(self) -> int | None: ...

    @property
    def state_before(self) -> Enum | None: ...

    @property
    def state_after(self) -> Enum: ...

    @property
    def reason(self) -> str | None: ...

    @property
    def data(self) -> dict[str, Any]: ...


def record_of(registration_number: str, event: StoredEvent) -> dict[str, Any]:
    """The ledger's record of a stored case event: one mapping for the writer, the auditor and the export."""
    return case_event_record(
        registration_number=registration_number,
        agency_id=event.agency_id,
        case_id=event.case_id,
        seq=event.seq,
        kind=str(event.kind.value),
        at=event.at,
        actor_account_id=event.actor_account_id,
        state_before=str(event.state_before.value) if event.state_before is not None else None,
        state_after=str(event.state_after.value),
        reason=event.reason,
        data=event.data,
    )
