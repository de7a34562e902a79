"""The ledger's figures (issue 8): appends, proofs at size, full verification — beside a Merkle library.

Per backend (a fresh SQLite file and/or a throwaway PostgreSQL 15 cluster), on the real tables and code:

1. **Appends in batches.** ``--rounds`` rounds of ``--appends`` leaves: writers insert leaf rows in
   transactions of ``--batch`` (what the case-event handler writes), then the sequencer integrates them
   (gapless indexes, subtree hashes, state row) and signs one checkpoint. Leaves/s for the writes, for the
   integration, and for both together.
2. **Proofs at size.** The same path grows the tree to ``--size`` leaves; then ``--proofs`` random
   inclusion proofs (by leaf index on one read session — the proof itself — and by leaf hash through the
   ledger service, as the API runs it) and consistency proofs, each verified.
3. **Full verification.** ``shaffof verify-log``'s tree part over the ``--size`` leaves: recompute every
   subtree hash and compare it with the stored one, recompute every checkpoint's root, check signatures and
   consistency between checkpoints. Also the rate at which case-event records are re-derived and hashed
   (the events part), in memory.

Beside each, in the same run: **pymerkle** (``pip install pymerkle``; GPL-3.0, so not a project
dependency) doing the same work — its in-memory tree appending the same entries, proving, and rebuilding
to verify, and its SQLite tree appending in the same batches — and **raw hashlib**, the SHA-256 work alone
(leaf hashes plus the tree's node hashes), the floor for any Python implementation.

    .venv/bin/python bench/ledger.py [--backend sqlite|postgresql|both] [--size N] [--appends N] [--rounds R]

Medians over rounds/proofs are printed with the machine; see bench/README.md for how to read them.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import os
import platform as pyplatform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # for tests.postgres, whatever the working directory

import sqlalchemy as sa  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from tests.postgres import ThrowawayCluster  # noqa: E402

from shaffof.db import migrate  # noqa: E402
from shaffof.db.base import utcnow  # noqa: E402
from shaffof.db.engine import Database  # noqa: E402
from shaffof.ledger import merkle  # noqa: E402
from shaffof.ledger.audit import AuditReport, audit_tree  # noqa: E402
from shaffof.ledger.keys import LogKeySource  # noqa: E402
from shaffof.ledger.models import LeafKind  # noqa: E402
from shaffof.ledger.records import canonical_bytes, case_event_record  # noqa: E402
from shaffof.ledger.sequencer import integrate  # noqa: E402
from shaffof.ledger.service import Ledger, NewLeaf, append_leaves  # noqa: E402
from shaffof.ledger.store import StoredTree  # noqa: E402

try:
    import pymerkle
except ImportError:  # pragma: no cover - the comparison is optional
    pymerkle = None

warnings.filterwarnings("ignore", category=DeprecationWarning, module="pymerkle")
console = Console(highlight=False, width=None if sys.stdout.isatty() else 140)
ORIGIN = "bench.shaffof.localhost/ledger"


def entry(i: int) -> bytes:
    return f"leaf {i:012d}".encode()


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else float("nan")


# --------------------------------------------------------------------------- the machine and the database


def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    models = [line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")]
    meminfo = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines() if ":" in line)
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    import cryptography

    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "cpu": f"{models[0] if models else pyplatform.processor() or 'unknown'} × {os.cpu_count()}",
        "ram": f"{int(meminfo['MemTotal'].split()[0]) / 1024 / 1024:.1f} GiB",
        "load average": ", ".join(f"{x:.2f}" for x in os.getloadavg()) + " (1, 5, 15 min, at start)",
        "python": f"{pyplatform.python_implementation()} {pyplatform.python_version()}",
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sa.__version__,
        "cryptography": cryptography.__version__,
        "pymerkle": pymerkle.__version__ if pymerkle else "not installed (pip install pymerkle)",
        "commit": commit or "unknown",
    }


@contextlib.contextmanager
def database(backend: str, root: Path) -> Iterator[tuple[str, str]]:
    if backend == "sqlite":
        yield f"sqlite:///{root / 'ledger.db'}", f"SQLite {sqlite3.sqlite_version} (WAL, synchronous=NORMAL)"
        return
    cluster = ThrowawayCluster()
    try:
        url = cluster.start()
        engine = sa.create_engine(url)
        try:
            with engine.connect() as connection:
                version = connection.execute(sa.text("SHOW server_version")).scalar()
        finally:
            engine.dispose()
        yield url, f"PostgreSQL {version} (throwaway cluster, fsync=off, loopback TCP)"
    finally:
        cluster.stop()


# --------------------------------------------------------------------------- the work


def write_leaves(db: Database, start: int, count: int, batch: int) -> float:
    """Write leaves as a batch writer does (``append_leaves``, what the case-event handler calls with one
    or two), ``batch`` per transaction; seconds taken."""
    began = time.perf_counter()
    for first in range(start, start + count, batch):
        leaves = [
            NewLeaf(leaf_hash=merkle.leaf_hash(entry(i)), kind=LeafKind.case_event)
            for i in range(first, min(first + batch, start + count))
        ]
        with db.uow() as uow:
            append_leaves(uow.session, leaves, created_at=utcnow())
            uow.commit()
    return time.perf_counter() - began


def raw_hashlib_tree(count: int, start: int = 0) -> float:
    """Seconds for the SHA-256 work alone: every leaf hash and every node hash of the tree."""
    sha256 = hashlib.sha256
    began = time.perf_counter()
    level = [sha256(b"\x00" + entry(i)).digest() for i in range(start, start + count)]
    while len(level) > 1:
        paired = [sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        level = [*paired, level[-1]] if len(level) % 2 else paired
    return time.perf_counter() - began


def pymerkle_memory(count: int) -> tuple[Any, float]:
    tree = pymerkle.InmemoryTree()
    began = time.perf_counter()
    for i in range(count):
        tree.append_entry(entry(i))
    return tree, time.perf_counter() - began


def pymerkle_sqlite(path: Path, count: int, batch: int) -> float:
    tree = pymerkle.SqliteTree(str(path))
    began = time.perf_counter()
    for first in range(0, count, batch):
        tree.append_entries([entry(i) for i in range(first, min(first + batch, count))])
    elapsed = time.perf_counter() - began
    with contextlib.suppress(Exception):
        tree.con.close()
    return elapsed


def timed(calls: list[Callable[[], object]]) -> list[float]:
    times = []
    for call in calls:
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return times


# --------------------------------------------------------------------------- one backend


def run_backend(backend: str, args: argparse.Namespace) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []  # (measure, shaffof, beside it, unit)
    root = Path(tempfile.mkdtemp(prefix=f"shaffof-bench-ledger-{backend}-"))
    try:
        with database(backend, root) as (url, description):
            console.print(f"\n[bold]{backend}[/bold]: {description}")
            migrate.upgrade(url)
            db = Database(url)
            keys = LogKeySource(None, root, production=False)
            key = keys.get()
            ledger = Ledger(db, keys=keys, origin=ORIGIN)
            size = 0

            # 1. appends in batches
            write_rates, integrate_rates, both_rates = [], [], []
            for round_ in range(args.rounds):
                written = write_leaves(db, size, args.appends, args.batch)
                began = time.perf_counter()
                report = integrate(db, log_key=key, origin=ORIGIN)
                integrated = time.perf_counter() - began
                assert report.integrated == args.appends and report.checkpoint is not None
                size += args.appends
                write_rates.append(args.appends / written)
                integrate_rates.append(args.appends / integrated)
                both_rates.append(args.appends / (written + integrated))
                console.print(
                    f"  round {round_ + 1}: write {args.appends / written:,.0f}/s, "
                    f"integrate {args.appends / integrated:,.0f}/s, both {args.appends / (written + integrated):,.0f}/s"
                )
            hashlib_rate = args.appends / median([raw_hashlib_tree(args.appends) for _ in range(args.rounds)])
            memory_rate = sqlite_rate = "—"
            if pymerkle:
                memory_rate = (
                    f"{args.appends / median([pymerkle_memory(args.appends)[1] for _ in range(args.rounds)]):,.0f}"
                )
                sqlite_rate = f"{args.appends / pymerkle_sqlite(root / 'pymerkle.db', args.appends, args.batch):,.0f}"
            rows += [
                ("appends: writers insert leaf rows", f"{median(write_rates):,.0f}", "", "leaves/s"),
                ("appends: sequencer integrates + signs", f"{median(integrate_rates):,.0f}", "", "leaves/s"),
                (
                    "appends: both (end to end)",
                    f"{median(both_rates):,.0f}",
                    f"pymerkle in-memory {memory_rate}; pymerkle SQLite {sqlite_rate}; "
                    f"hashlib alone {hashlib_rate:,.0f}",
                    "leaves/s",
                ),
            ]

            # 2. grow to --size, then proofs
            began = time.perf_counter()
            while size < args.size:
                step = min(args.grow_step, args.size - size)
                write_leaves(db, size, step, args.grow_batch)
                integrate(db, log_key=key, origin=ORIGIN)
                size += step
                console.print(f"  grown to {size:,} leaves ({time.perf_counter() - began:,.0f} s)", end="\r")
            console.print(
                f"  tree of {size:,} leaves built in {time.perf_counter() - began:,.0f} s (write + integrate)"
            )
            rng = random.Random(2026)
            indexes = [rng.randrange(size) for _ in range(args.proofs)]
            firsts = [rng.randrange(1, size) for _ in range(args.proofs)]
            with db.reading() as session:
                nodes = StoredTree(session)
                root_hash = merkle.tree_root(size, nodes)
                for i in indexes[:20]:
                    merkle.inclusion_path(i, size, nodes)  # warm the statement cache
                by_index = timed([lambda i=i: merkle.inclusion_path(i, size, nodes) for i in indexes])
                paths = [merkle.inclusion_path(i, size, nodes) for i in indexes]
                consistency = [merkle.consistency_proof(first, size, nodes) for first in firsts]
                first_roots = [merkle.tree_root(first, nodes) for first in firsts]
            leaves = [merkle.leaf_hash(entry(i)) for i in indexes]
            by_hash = timed([lambda leaf=leaf: ledger.inclusion_proof(leaf, size) for leaf in leaves])
            by_service = timed([lambda first=first: ledger.consistency_proof(first, size) for first in firsts])
            verify_inclusion = timed(
                [
                    lambda k=k: merkle.verify_inclusion(leaves[k], indexes[k], size, paths[k], root_hash)
                    for k in range(len(indexes))
                ]
            )
            assert all(
                merkle.verify_inclusion(leaves[k], indexes[k], size, paths[k], root_hash) for k in range(len(indexes))
            )
            assert all(
                merkle.verify_consistency(firsts[k], size, first_roots[k], root_hash, consistency[k])
                for k in range(len(firsts))
            )
            beside_inclusion = beside_consistency = beside_verify = "—"
            if pymerkle and size <= args.pymerkle_max:
                tree, built = pymerkle_memory(size)
                assert tree.get_root() == root_hash, "pymerkle and shaffof disagree on the root"
                p_inclusion = timed([lambda i=i: tree.prove_inclusion(i + 1) for i in indexes])
                p_consistency = timed([lambda first=first: tree.prove_consistency(first, size) for first in firsts])
                beside_inclusion = (
                    f"pymerkle in-memory: median {median(p_inclusion) * 1e3:.3f}, p99 {p99(p_inclusion) * 1e3:.3f}"
                )
                beside_consistency = (
                    f"pymerkle in-memory: median {median(p_consistency) * 1e3:.3f}, p99 {p99(p_consistency) * 1e3:.3f}"
                )
                beside_verify = f"pymerkle rebuilds its tree from the entries: {built:.1f} s"
                del tree
            elif pymerkle:
                beside_inclusion = beside_consistency = f"pymerkle skipped above {args.pymerkle_max:,} leaves"
            rows += [
                (
                    f"inclusion proof at {size:,} (by index, one session)",
                    f"median {median(by_index) * 1e3:.3f}, p99 {p99(by_index) * 1e3:.3f}",
                    beside_inclusion,
                    "ms",
                ),
                (
                    f"inclusion proof at {size:,} (by leaf hash, ledger service)",
                    f"median {median(by_hash) * 1e3:.3f}, p99 {p99(by_hash) * 1e3:.3f}",
                    "",
                    "ms",
                ),
                (
                    f"consistency proof at {size:,} (ledger service)",
                    f"median {median(by_service) * 1e3:.3f}, p99 {p99(by_service) * 1e3:.3f}",
                    beside_consistency,
                    "ms",
                ),
                ("verify an inclusion proof", f"median {median(verify_inclusion) * 1e3:.3f}", "", "ms"),
            ]

            # 3. full verification
            began = time.perf_counter()
            report = AuditReport()
            audit_tree(db, report, public_key=key.public_key if key else None)
            verified = time.perf_counter() - began
            assert report.ok, [str(d) for d in report.discrepancies[:5]]
            hashing = raw_hashlib_tree(size)
            rows.append(
                (
                    f"verify-log, tree part: {size:,} leaves, {report.counts['checkpoints']} checkpoints",
                    f"{verified:.1f} s ({size / verified:,.0f} leaves/s)",
                    f"{beside_verify}; hashlib alone {hashing:.1f} s",
                    "",
                )
            )
            db.dispose()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return rows


def record_rate(count: int) -> float:
    """Case-event records re-derived and hashed per second (verify-log's events part, in memory)."""
    at = utcnow()
    case_id = uuid.uuid4()
    data = {
        "service": "appeal-to-hokimiyat",
        "service_version": 1,
        "form_sha256": "ab" * 32,
        "documents": [{"sha256": "cd" * 32, "document_type": "supporting_file"}],
    }
    began = time.perf_counter()
    for seq in range(count):
        record = case_event_record(
            registration_number="YUNUSHOK-2026-000001",
            agency_id=7,
            case_id=case_id,
            seq=seq,
            kind="submitted",
            at=at,
            actor_account_id=3,
            state_before=None,
            state_after="submitted",
            reason=None,
            data=data,
        )
        merkle.leaf_hash(canonical_bytes(record))
    return count / (time.perf_counter() - began)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--appends", type=int, default=100_000, help="leaves per append round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=1000, help="leaves per writer transaction")
    parser.add_argument("--size", type=int, default=1_000_000, help="tree size for proofs and verification")
    parser.add_argument("--grow-step", type=int, default=200_000, help="leaves per integration while growing")
    parser.add_argument("--grow-batch", type=int, default=10_000, help="leaves per transaction while growing")
    parser.add_argument("--proofs", type=int, default=1000)
    parser.add_argument("--pymerkle-max", type=int, default=2_000_000, help="largest tree to build in pymerkle")
    args = parser.parse_args(argv)

    info = machine()
    table = Table(title="machine", show_header=False)
    for key, value in info.items():
        table.add_row(key, value)
    console.print(table)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        rows = run_backend(backend, args)
        results = Table(title=f"ledger on {backend} (medians)")
        for column in ("measure", "shaffof", "beside it, same run", "unit"):
            results.add_column(column)
        for row in rows:
            results.add_row(*row)
        console.print(results)
    console.print(f"case-event records re-derived and hashed (in memory): {record_rate(50_000):,.0f} records/s")
    console.print(
        "Goals (issue 8): appends ≥ 20,000 leaves/s; proofs ≤ 1 ms at 10,000,000 leaves; "
        "verification of 1,000,000 entries ≤ 10 s."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
