"""The unit of work and the blob store: all effects commit together, or none remain."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from shaffof.archive.models import Blob
from shaffof.cases.models import Case, CaseEvent, RegistrationCounter
from shaffof.cases.schemas import CaseSubmit
from shaffof.db.engine import Database
from tests.factories import PDF, World


def test_a_rolled_back_blob_leaves_no_file(world: World) -> None:
    store = world.platform.blobs
    data = PDF + b"% unique content for this test\n"
    with world.platform.db.uow() as uow:
        blob = store.put(uow, data, "application/pdf")
        assert store.path(blob.sha256).read_bytes() == data
        # no commit: leaving the block rolls back
    assert not store.path(hashlib.sha256(data).hexdigest()).exists()
    with world.platform.db.reading() as session:
        assert session.get(Blob, hashlib.sha256(data).hexdigest()) is None


def test_a_committed_blob_survives_a_later_rollback_of_the_same_content(world: World) -> None:
    store = world.platform.blobs
    with world.platform.db.uow() as uow:
        blob = store.put(uow, PDF, "application/pdf")
        uow.commit()
    with world.platform.db.uow() as uow:
        store.put(uow, PDF, "application/pdf")
    assert store.read(blob.sha256) == PDF


def test_a_failure_late_in_a_submission_leaves_no_rows(world: World, database: Database) -> None:
    cases = world.platform.cases
    alice = world.actors["alice"]
    with pytest.raises(IntegrityError), database.uow() as uow:
        form = {"subject": "Sinov", "text": "Bu murojaat oxirida muvaffaqiyatsiz tugaydi."}
        filed = cases.submit(alice, CaseSubmit(service="general-ariza", form=form), uow=uow).case
        year = int(filed.registration_number.split("-")[1])
        # A later effect of the same operation fails (a duplicate counter row): the whole unit goes.
        uow.session.add(RegistrationCounter(agency_id=world.agencies["VAZIRLAR"], year=year, last_value=0))
        uow.session.flush()
        uow.commit()
    with database.reading() as session:
        for model in (Case, CaseEvent, RegistrationCounter):
            assert session.scalar(sa.select(sa.func.count()).select_from(model)) == 0


def test_sqlite_runs_in_wal_mode_with_foreign_keys(database: Database) -> None:
    with database.engine.connect() as connection:
        if database.dialect == "sqlite":
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        else:
            assert connection.exec_driver_sql("SHOW server_version").scalar().startswith("15")
