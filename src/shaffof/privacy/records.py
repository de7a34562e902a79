"""The data tracker's records as ``shaffof verify-log`` reads them: each access record's leaf hash rebuilt
from its row as stored now. An access record is the person's proof of who processed their data and on which
ground (ZRU-547 Art. 18); a changed or deleted row must show against the leaf written with it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shaffof.ledger import merkle
from shaffof.ledger.audit import SubjectRecords
from shaffof.ledger.records import canonical_bytes
from shaffof.privacy.models import AccessRecord
from shaffof.privacy.service import access_record


def _rows(connection: sa.Connection) -> Iterator[tuple[str, bytes]]:
    with Session(bind=connection) as session:
        for row in session.scalars(sa.select(AccessRecord).order_by(AccessRecord.id).execution_options(yield_per=1000)):
            yield str(row.id), merkle.leaf_hash(canonical_bytes(access_record(row)))


def _present(connection: sa.Connection, subjects: Sequence[str]) -> set[str]:
    ids = []
    for subject in subjects:
        try:
            ids.append(uuid.UUID(subject))
        except ValueError:
            continue  # not an id this table could hold: reported as a leaf without its record
    if not ids:
        return set()
    return {
        str(record_id) for record_id in connection.scalars(sa.select(AccessRecord.id).where(AccessRecord.id.in_(ids)))
    }


ACCESS_RECORDS = SubjectRecords(rows=_rows, present=_present)
