"""What a tombstone's ledger leaf says: one mapping for the disposal that writes it and for verify-log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from shaffof.archive.models import Tombstone
from shaffof.ledger.records import instant


def tombstone_payload(row: Tombstone) -> dict[str, Any]:
    """Everything the tombstone says (what, when, why, by whose authority); its leaf is over this."""
    return {
        "sha256": row.sha256,
        "size": row.size,
        "media_type": row.media_type,
        "retention_class": row.retention_class,
        "records": row.records,
        "retain_until": instant(row.retain_until),
        "reason": row.reason,
        "basis": row.basis,
        "authority": row.authority,
        "disposed_at": instant(row.disposed_at),
        "disposed_by_account_id": row.disposed_by_account_id,
    }


def stored_tombstones(connection: sa.Connection) -> Iterator[tuple[int, dict[str, Any]]]:
    """Every tombstone as stored, by id (the ledger's record source for verify-log)."""
    from sqlalchemy.orm import Session

    with Session(bind=connection) as session:
        for row in session.scalars(sa.select(Tombstone).order_by(Tombstone.id).execution_options(yield_per=1000)):
            yield row.id, tombstone_payload(row)
