"""The stored tree: subtree hashes read from the ledger's tables, and the sequencer's state row."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shaffof.db.base import utcnow
from shaffof.ledger.merkle import EMPTY_ROOT, NodeKey
from shaffof.ledger.models import LedgerEntry, LedgerNode, LedgerSequencer

STATE_ROW = 1


class StoredTree:
    """A :class:`~shaffof.ledger.merkle.NodeSource` over one session: level 0 from the sequenced leaves,
    higher levels from ``ledger_nodes`` — one round trip, whatever the tree's size.

    The statement is plain SQL, kept per shape: building an SQLAlchemy expression of ~40 terms cost
    more than the query itself, and a proof at 10 million leaves has a budget of one millisecond. Node
    keys are an OR of equalities because SQLite plans a row-value ``IN (VALUES …)`` as a full scan, and
    this as one primary-key lookup per term (PostgreSQL plans either form as index lookups)."""

    _statements: ClassVar[dict[tuple[str, int, int], str]] = {}

    def __init__(self, session: Session) -> None:
        self._session = session

    def hashes(self, keys: Collection[NodeKey]) -> dict[NodeKey, bytes]:
        leaves = [index for level, index in keys if level == 0]
        nodes = [(level, index) for level, index in keys if level > 0]
        if not keys:
            return {}
        connection = self._session.connection()
        statement = self._statement(connection.dialect.paramstyle, len(leaves), len(nodes))
        parameters = (*leaves, *(value for key in nodes for value in key))
        rows = connection.exec_driver_sql(statement, parameters)
        return {(level, index): value for level, index, value in rows}

    @classmethod
    def _statement(cls, paramstyle: str, leaves: int, nodes: int) -> str:
        shape = (paramstyle, leaves, nodes)
        statement = cls._statements.get(shape)
        if statement is None:
            # Only constant table names and placeholders go into the text; every value is a bound parameter.
            mark = "?" if paramstyle == "qmark" else "%s"
            parts = []
            if leaves:
                parts.append(
                    f"SELECT 0, leaf_index, leaf_hash FROM {LedgerEntry.__tablename__} "  # noqa: S608
                    f"WHERE leaf_index IN ({', '.join([mark] * leaves)})"
                )
            if nodes:
                terms = " OR ".join([f"(level = {mark} AND node_index = {mark})"] * nodes)
                parts.append(f"SELECT level, node_index, hash FROM {LedgerNode.__tablename__} WHERE {terms}")  # noqa: S608
            statement = cls._statements[shape] = " UNION ALL ".join(parts)
        return statement


@dataclass(frozen=True)
class TreeState:
    """The integrated tree: its size and root (what the next checkpoint will sign)."""

    tree_size: int
    root_hash: bytes


def tree_state(session: Session) -> TreeState:
    row = (
        session.connection()
        .execute(sa.select(LedgerSequencer.tree_size, LedgerSequencer.root_hash).where(LedgerSequencer.id == STATE_ROW))
        .first()
    )
    if row is None:
        return TreeState(0, EMPTY_ROOT)
    return TreeState(row.tree_size, row.root_hash)


def lock_state(session: Session) -> TreeState:
    """Take the sequencer's lock for the rest of the transaction and read the state under it.

    PostgreSQL: ``SELECT … FOR UPDATE`` on the one state row (writers of leaves never touch it, so they
    never wait for it). SQLite: the write transaction (``BEGIN IMMEDIATE``) already excludes every other
    writer."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(LedgerSequencer)
        .values(id=STATE_ROW, tree_size=0, root_hash=EMPTY_ROOT, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["id"])
    )
    row = session.execute(
        sa.select(LedgerSequencer.tree_size, LedgerSequencer.root_hash)
        .where(LedgerSequencer.id == STATE_ROW)
        .with_for_update()
    ).one()
    return TreeState(row.tree_size, row.root_hash)


def save_state(session: Session, state: TreeState) -> None:
    session.execute(
        sa.update(LedgerSequencer)
        .where(LedgerSequencer.id == STATE_ROW)
        .values(tree_size=state.tree_size, root_hash=state.root_hash, updated_at=utcnow())
    )
