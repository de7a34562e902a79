"""Figures of issue 8's newer parts, each beside a baseline measured in the same run (bench/README.md):

1. **A leaf writer's transaction** — ``Ledger.append_record`` (the fault guard, RFC 8785 canonical JSON, the
   leaf hash, the insert) one record per transaction, as a domain operation does, beside ``append_leaves`` of
   a precomputed leaf in the same kind of transaction (the insert and the commit alone).
2. **A checkpoint** — the sequencer integrating 100 new leaves and signing a checkpoint, with the platform TSA
   stamping it (RFC 3161 token, verified before it is kept) and without a TSA.
3. **Disposal** — ``Archive.dispose`` of N blobs of closed cases past retention (tombstone row + its leaf per
   blob, batches of 100, files removed after commit), beside removing the same number of files alone.

    .venv/bin/python bench/archive.py [--backend sqlite|postgresql] [--records N] [--checkpoints N] [--blobs N]

The cases for disposal are submitted through the domain (one PDF each) and their closing is then set six
years back in SQL — the bench measures disposal, not the officers' path to a closed case.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import sqlalchemy as sa  # noqa: E402
from bench.ledger import console, database, machine, median, p99  # noqa: E402
from rich.table import Table  # noqa: E402
from tests.factories import APPEAL_FORM, PDF, World  # noqa: E402

from shaffof.cases.models import Case  # noqa: E402
from shaffof.cases.schemas import CaseSubmit, DocumentRef  # noqa: E402
from shaffof.config import Settings  # noqa: E402
from shaffof.db import migrate  # noqa: E402
from shaffof.db.base import utcnow  # noqa: E402
from shaffof.db.engine import Database  # noqa: E402
from shaffof.ledger import merkle  # noqa: E402
from shaffof.ledger.models import LeafKind  # noqa: E402
from shaffof.ledger.service import NewLeaf, append_leaves  # noqa: E402
from shaffof.platform import Platform  # noqa: E402

SECRET = "bench-secret-key-that-is-long-enough-0123456789"


def timed(call: Callable[[], object], times: int) -> list[float]:
    out = []
    for _ in range(times):
        start = time.perf_counter()
        call()
        out.append(time.perf_counter() - start)
    return out


def leaf_writers(platform: Platform, count: int) -> tuple[list[float], list[float]]:
    db, ledger = platform.db, platform.ledger
    counter = iter(range(10**9))

    def with_record() -> None:
        n = next(counter)
        with db.uow() as uow:
            payload = {"sha256": hashlib.sha256(str(n).encode()).hexdigest(), "size": n, "reason": "bench"}
            ledger.append_record(uow.session, LeafKind.archive_tombstone, 10**8 + n, payload, subject="bench")
            uow.commit()

    def bare() -> None:
        n = next(counter)
        leaf = NewLeaf(merkle.leaf_hash(str(n).encode()), LeafKind.archive_tombstone, record_id=2 * 10**8 + n)
        with db.uow() as uow:
            append_leaves(uow.session, [leaf], created_at=utcnow())
            uow.commit()

    timed(bare, 50)  # warm up both paths
    timed(with_record, 50)
    baseline, measured = [], []
    for _ in range(count // 100):  # interleaved, so load changes hit both alike
        baseline += timed(bare, 100)
        measured += timed(with_record, 100)
    return measured, baseline


def checkpoints(platform: Platform, count: int) -> tuple[list[float], list[float]]:
    ledger = platform.ledger
    stamper = ledger.timestamper

    def one(with_tsa: bool) -> Callable[[], object]:
        def run() -> None:
            with platform.db.uow() as uow:
                leaves = [
                    NewLeaf(merkle.leaf_hash(f"{time.perf_counter_ns()}-{i}".encode()), LeafKind.case_event)
                    for i in range(100)
                ]
                append_leaves(uow.session, leaves, created_at=utcnow())
                uow.commit()
            ledger.timestamper = stamper if with_tsa else None
            start = time.perf_counter()
            report = ledger.sequence()
            elapsed.append(time.perf_counter() - start)
            assert report.checkpoint is not None and (report.unstamped is None)

        return run

    stamped: list[float] = []
    bare: list[float] = []
    for _ in range(count):
        elapsed = bare
        one(False)()
        elapsed = stamped
        one(True)()
    ledger.timestamper = stamper
    return stamped, bare


def disposal(platform: Platform, world: World, count: int) -> tuple[float, float]:
    cases, alice = platform.cases, world.actors["alice"]
    numbers = []
    for i in range(count):
        upload = cases.upload(alice, filename="f.pdf", declared_type="application/pdf", data=PDF + f"%{i}\n".encode())
        submitted = cases.submit(
            alice,
            CaseSubmit(
                service="appeal-to-hokimiyat",
                agency="YUNUSHOK",
                form=APPEAL_FORM,
                documents=[DocumentRef(upload_id=upload.id, document_type="supporting_file")],
            ),
        ).case
        numbers.append(submitted.registration_number)
    with platform.db.engine.begin() as connection:
        connection.execute(
            sa.update(Case)
            .where(Case.registration_number.in_(numbers))
            .values(closed_at=utcnow() - dt.timedelta(days=6 * 366))
        )
    spare = Path(tempfile.mkdtemp(prefix="bench-unlink-"))
    files = []
    for i in range(count):  # the baseline: as many files of the same size, removed alone
        path = spare / f"{i:06d}"
        path.write_bytes(PDF + f"%{i}\n".encode())
        files.append(path)
    start = time.perf_counter()
    for path in files:
        path.unlink()
    baseline = time.perf_counter() - start
    start = time.perf_counter()
    report = platform.archive.dispose(world.actors["admin"], "bench act No. 1")
    measured = time.perf_counter() - start
    assert len(report.disposed) == count, (len(report.disposed), count)
    return measured, baseline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--checkpoints", type=int, default=30)
    parser.add_argument("--blobs", type=int, default=300)
    args = parser.parse_args(argv)
    for key, value in machine().items():
        console.print(f"{key}: {value}")
    with tempfile.TemporaryDirectory(prefix="bench-archive-") as tmp, database(args.backend, Path(tmp)) as (url, label):
        console.print(f"database: {label}")
        migrate.upgrade(url)
        settings = Settings(data_dir=Path(tmp) / "var", secret_key=SECRET, argon2_time_cost=1, argon2_memory_kib=8192)
        platform = Platform.build(settings, Database(url))
        world = World.build(platform, REPO / "services")
        platform.pki.initialise()
        records, records_base = leaf_writers(platform, args.records)
        stamped, unstamped = checkpoints(platform, args.checkpoints)
        disposed, unlinked = disposal(platform, world, args.blobs)
        platform.db.dispose()
    table = Table(title=f"issue 8: writers, checkpoints, disposal ({args.backend})")
    for column in ("work", "median", "p99", "baseline (same run)", "ratio"):
        table.add_column(column)
    table.add_row(
        "append_record, 1 record per transaction",
        f"{median(records) * 1e3:.3f} ms",
        f"{p99(records) * 1e3:.3f} ms",
        f"append_leaves of 1 precomputed leaf: {median(records_base) * 1e3:.3f} ms",
        f"{median(records) / median(records_base):.2f}×",
    )
    table.add_row(
        "sequence 100 leaves + sign + TSA stamp",
        f"{median(stamped) * 1e3:.2f} ms",
        f"{p99(stamped) * 1e3:.2f} ms",
        f"the same without a TSA: {median(unstamped) * 1e3:.2f} ms",
        f"{median(stamped) / median(unstamped):.2f}×",
    )
    table.add_row(
        f"dispose of {args.blobs} blobs (tombstone + leaf each)",
        f"{args.blobs / disposed:,.0f} blobs/s",
        "",
        f"unlinking {args.blobs} files alone: {args.blobs / unlinked:,.0f} files/s",
        f"{unlinked / disposed:.3f}×",
    )
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
