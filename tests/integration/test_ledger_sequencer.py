"""The sequencer, on SQLite and PostgreSQL: gapless indexes in commit order, several sequencers and many
writers at once, a damaged tree refused, checkpoints signed once per new head and never back in time."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from shaffof.cases.schemas import CaseSubmit
from shaffof.db.base import utcnow
from shaffof.db.engine import Database
from shaffof.ledger import merkle
from shaffof.ledger.audit import AuditReport, audit_case_events, audit_tree
from shaffof.ledger.errors import LedgerCorrupted
from shaffof.ledger.keys import LogKey
from shaffof.ledger.models import LeafKind, LedgerCheckpoint, LedgerEntry, LedgerNode
from shaffof.ledger.sequencer import SequencerThread, _runs, integrate
from shaffof.platform import Platform
from tests.factories import APPEAL_FORM, World
from tests.unit.ledger import rfc9162


def log_key(platform: Platform) -> LogKey:
    key = platform.ledger._keys.get()
    assert key is not None
    return key


def add_leaves(database: Database, data: list[bytes], *, ids: list[int] | None = None) -> None:
    with database.uow() as uow:
        for position, item in enumerate(data):
            entry = LedgerEntry(leaf_hash=rfc9162.hash_leaf(item), kind=LeafKind.case_event, created_at=utcnow())
            if ids is not None:
                entry.id = ids[position]
            uow.session.add(entry)
        uow.commit()


def sequenced(database: Database) -> list[tuple[int, int, bytes]]:
    with database.reading() as session:
        rows = session.execute(
            sa.select(LedgerEntry.leaf_index, LedgerEntry.id, LedgerEntry.leaf_hash)
            .where(LedgerEntry.leaf_index.is_not(None))
            .order_by(LedgerEntry.leaf_index)
        ).all()
    return [(index, entry_id, leaf) for index, entry_id, leaf in rows if index is not None]


def audit(platform: Platform, *, events: bool = True) -> AuditReport:
    report = AuditReport()
    audit_tree(platform.db, report, public_key=platform.ledger.public_key())
    if events:
        audit_case_events(platform.db, report)
    return report


def test_runs_of_consecutive_ids_get_consecutive_indexes() -> None:
    assert _runs([5, 6, 7, 9, 10, 14], 100) == [(5, 7, 100), (9, 10, 103), (14, 14, 105)]
    assert _runs([1], 0) == [(1, 1, 0)]


def test_a_leaf_committed_late_with_a_lower_id_takes_the_next_index(platform: Platform, database: Database) -> None:
    # PostgreSQL hands out ids when rows are inserted, not when they commit: a transaction holding id 3
    # can commit after id 7 was sequenced. Nothing is skipped: the late leaf takes the next index.
    add_leaves(database, [b"seven"], ids=[7])
    assert integrate(database, log_key=None, origin="test/log").integrated == 1
    add_leaves(database, [b"three"], ids=[3])
    assert integrate(database, log_key=None, origin="test/log").integrated == 1
    assert [(index, entry_id) for index, entry_id, _ in sequenced(database)] == [(0, 7), (1, 3)]


def test_ids_lost_to_rollbacks_leave_no_gap_in_the_indexes(platform: Platform, database: Database) -> None:
    add_leaves(database, [b"a", b"b"])
    with database.uow() as uow:  # rolled back: on PostgreSQL its ids are gone for good
        uow.session.add_all(
            LedgerEntry(leaf_hash=rfc9162.hash_leaf(b"lost"), kind=LeafKind.case_event, created_at=utcnow())
            for _ in range(3)
        )
        uow.session.flush()
    add_leaves(database, [b"c", b"d", b"e"])
    report = integrate(database, log_key=log_key(platform), origin="test/log", batch_size=2)
    assert report.integrated == 5 and report.tree_size == 5
    rows = sequenced(database)
    assert [index for index, _, _ in rows] == [0, 1, 2, 3, 4]
    assert report.root_hash == rfc9162.mth([leaf for _, _, leaf in rows])
    assert report.checkpoint is not None and report.checkpoint.tree_size == 5  # one checkpoint, after all batches
    assert audit(platform, events=False).ok  # (these leaves record no case events)


def test_sequencing_is_idempotent_and_signs_each_head_once(platform: Platform, database: Database) -> None:
    key = log_key(platform)
    assert integrate(database, log_key=key, origin="test/log").checkpoint is None  # an empty log signs nothing
    add_leaves(database, [b"x"])
    first = integrate(database, log_key=key, origin="test/log")
    assert first.integrated == 1 and first.checkpoint is not None
    again = integrate(database, log_key=key, origin="test/log")
    assert again.integrated == 0 and again.checkpoint is None
    with database.reading() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(LedgerCheckpoint)) == 1


def test_checkpoint_time_never_goes_back_even_if_a_clock_does(platform: Platform, database: Database) -> None:
    key = log_key(platform)
    add_leaves(database, [b"1"])
    ahead = integrate(database, log_key=key, origin="test/log", clock=lambda: utcnow() + dt.timedelta(hours=1))
    add_leaves(database, [b"2"])
    behind = integrate(database, log_key=key, origin="test/log")
    assert ahead.checkpoint is not None and behind.checkpoint is not None
    assert behind.checkpoint.timestamp_ms >= ahead.checkpoint.timestamp_ms


def test_the_sequencer_refuses_to_build_on_a_damaged_tree(platform: Platform, database: Database) -> None:
    add_leaves(database, [b"p", b"q", b"r", b"s"])
    integrate(database, log_key=None, origin="test/log")
    with database.engine.begin() as connection:
        connection.execute(
            sa.update(LedgerNode).where(LedgerNode.level == 2, LedgerNode.node_index == 0).values(hash=bytes(32))
        )
    add_leaves(database, [b"t"])
    with pytest.raises(LedgerCorrupted, match="do not give its recorded root"):
        integrate(database, log_key=None, origin="test/log")
    assert len(sequenced(database)) == 4  # nothing was integrated on top of it


def test_writers_and_several_sequencers_at_once_give_a_gapless_verifiable_log(world: World, database: Database) -> None:
    platform = world.platform
    citizens = [world.actors["alice"], world.actors["bob"]]
    command = CaseSubmit(service="appeal-to-hokimiyat", agency="YUNUSHOK", form=APPEAL_FORM)
    writers, per_writer = 6, 5
    background = [SequencerThread(platform.ledger.sequence, 0.02, name=f"sequencer-{n}") for n in range(2)]
    for thread in background:
        thread.start()
    try:

        def write(index: int) -> list[str]:
            return [
                platform.cases.submit(citizens[index % 2], command).case.registration_number for _ in range(per_writer)
            ]

        with ThreadPoolExecutor(writers) as pool:
            numbers = [n for batch in pool.map(write, range(writers)) for n in batch]
        racing = [threading.Thread(target=platform.ledger.sequence) for _ in range(3)]
        for thread in racing:
            thread.start()
        for thread in racing:
            thread.join()
    finally:
        for thread in background:
            thread.stop()
    final = platform.ledger.sequence()
    leaves = writers * per_writer * 3  # submitted + registered + assigned
    assert len(set(numbers)) == writers * per_writer
    assert final.tree_size == leaves
    rows = sequenced(database)
    assert [index for index, _, _ in rows] == list(range(leaves))
    with database.reading() as session:
        assert session.scalar(sa.select(sa.func.count()).where(LedgerEntry.leaf_index.is_(None))) == 0
        latest = session.scalar(sa.select(LedgerCheckpoint).order_by(LedgerCheckpoint.id.desc()).limit(1))
    assert latest is not None and latest.tree_size == leaves
    assert latest.root_hash == rfc9162.mth([leaf for _, _, leaf in rows])
    report = audit(platform)
    assert report.ok, [str(d) for d in report.discrepancies]
    assert report.counts["case events"] == leaves


def test_the_stored_tree_serves_the_same_proofs_as_the_reference(platform: Platform, database: Database) -> None:
    data = [f"leaf {i}".encode() for i in range(45)]
    for start in range(0, len(data), 7):  # integrated over several runs, so nodes come from several batches
        add_leaves(database, data[start : start + 7])
        integrate(database, log_key=None, origin="test/log")
    from shaffof.ledger.store import StoredTree

    leaves = [rfc9162.hash_leaf(item) for item in data]
    with database.reading() as session:
        nodes = StoredTree(session)
        for size in (1, 2, 7, 8, 31, 32, 33, 45):
            assert merkle.tree_root(size, nodes) == rfc9162.mth(leaves[:size])
            for index in {0, size // 2, size - 1}:
                assert merkle.inclusion_path(index, size, nodes) == rfc9162.path(index, leaves[:size])
            for first in {1, size // 3 or 1, size - 1 or 1}:
                if first < size:
                    assert merkle.consistency_proof(first, size, nodes) == rfc9162.proof(first, leaves[:size])


def test_a_receipt_for_an_event_without_a_leaf_says_so(platform: Platform, database: Database) -> None:
    from shaffof.ledger.errors import LeafNotFound
    from shaffof.ledger.service import receipt_for

    with database.reading() as session, pytest.raises(LeafNotFound, match="has no leaf"):
        receipt_for(session, 1, uuid.uuid4(), 1)
