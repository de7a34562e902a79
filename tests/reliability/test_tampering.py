"""Tampering (issue 11, part 2.4), on SQLite and PostgreSQL: rows changed directly in the database and bytes
changed in the blob store are each reported by ``shaffof verify-log``, naming the row or file that changed.

tests/integration/test_ledger_audit.py changes one thing at a time (an event, a blob byte, a node, a leaf, a
checkpoint root or signature) and test_ledger_timestamps.py a checkpoint's timestamp token. Here: the two
rows the log did not check until this suite found them unnoticed — the case row itself (its form and state,
against the events that logged them) and the data tracker's access records — and then every kind of change
at once, which the audit must list together rather than stop at the first."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from shaffof.cases.models import Case
from shaffof.db.engine import Database
from shaffof.privacy.models import AccessRecord
from tests.integration.test_ledger_audit import (
    Logged,
    change_blob,
    change_event,
    change_node,
    change_signature,
    logged,
    verify_log,
)

__all__ = ["logged"]  # the fixture, shared with the ledger's own audit tests


def first_case(database: Database) -> tuple[int, uuid.UUID, str]:
    with database.reading() as session:
        row = session.execute(
            sa.select(Case.agency_id, Case.id, Case.registration_number).order_by(Case.received_at).limit(1)
        ).one()
    return row.agency_id, row.id, row.registration_number


def change_case_form(logged: Logged, database: Database) -> str:
    agency_id, case_id, number = first_case(database)
    with database.engine.begin() as connection:
        form = connection.scalar(sa.select(Case.form).where(Case.agency_id == agency_id, Case.id == case_id))
        assert form is not None
        connection.execute(
            sa.update(Case)
            .where(Case.agency_id == agency_id, Case.id == case_id)
            .values(form={**form, "text": "Hammasi joyida, ariza yo'q."})
        )
    return f"cases agency_id={agency_id} id={case_id} ({number}): case row differs from its events: the form"


def change_case_state(logged: Logged, database: Database) -> str:
    agency_id, case_id, number = first_case(database)
    with database.engine.begin() as connection:
        connection.execute(
            sa.update(Case).where(Case.agency_id == agency_id, Case.id == case_id).values(state="closed")
        )
    return f"cases agency_id={agency_id} id={case_id} ({number}): case row differs from its events: state 'closed'"


def access_record_id(database: Database) -> uuid.UUID:
    with database.reading() as session:
        ids = list(session.scalars(sa.select(AccessRecord.id)))
    assert ids, "the logged world has no access record to tamper with"
    return ids[0]


def change_access_record(logged: Logged, database: Database) -> str:
    record = access_record_id(database)
    with database.engine.begin() as connection:
        connection.execute(sa.update(AccessRecord).where(AccessRecord.id == record).values(purpose="qiziqish uchun"))
    return f"access_record id={record}: record differs from its leaf"


def delete_access_record(logged: Logged, database: Database) -> str:
    record = access_record_id(database)
    with database.engine.begin() as connection:
        connection.execute(sa.delete(AccessRecord).where(AccessRecord.id == record))
    return f"leaf without its record: access_record id={record} is not stored"


Tamper = Callable[[Logged, Database], str]


@pytest.mark.parametrize("tamper", [change_case_form, change_case_state, change_access_record, delete_access_record])
def test_a_changed_case_row_or_access_record_is_named(logged: Logged, database: Database, tamper: Tamper) -> None:
    code, output = verify_log(logged, "--no-blobs")
    assert code == 0, output
    assert "1 access_record records" in output, output
    expected = tamper(logged, database)
    code, output = verify_log(logged, "--no-blobs")
    assert code == 1, output
    assert expected in " ".join(output.split()), output  # rich wraps long lines


def test_every_change_at_once_is_listed_each_where_it_is(logged: Logged, database: Database) -> None:
    tampers: list[Tamper] = [
        change_event,
        change_blob,
        change_node,
        change_signature,
        change_case_form,
        change_access_record,
    ]
    expected = [tamper(logged, database) for tamper in tampers]
    code, output = verify_log(logged)
    assert code == 1
    flat = " ".join(output.split())
    missing = [where for where in expected if where not in flat]
    assert not missing, output
