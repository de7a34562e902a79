"""CPU of one signed submission through the domain, without a server: ``Cases.submit`` in one process and one
thread, beside one database commit and the crypto floor measured in the same run (bench/load.py's ceilings).

Where bench/load.py measures the whole stack under load, this isolates the domain's transaction: no HTTP, no
thread pool, no other requests — the figure that tells whether a change to the submission path made it cheaper.
It loads the demo with the bulk generator (``--scale``), certifies one citizen's key, pre-signs the submissions,
files a few to warm up, then files ``--submissions`` more and prints CPU and wall time per submission and the
SQL statements each one issued. ``--compare SRC`` runs the same in a child process on another checkout's
sources (each side migrates its own fresh database), alternated with this checkout's, ``--rounds`` times.

    .venv/bin/python bench/inproc.py [--backend sqlite|postgresql] [--scale 1] [--submissions 150]
                                     [--compare /path/to/main/src] [--rounds 2]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

import sqlalchemy as sa  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402
from load import SERVICES, commit_ceiling, crypto_ceilings, load_data, submission  # noqa: E402
from submit import machine  # noqa: E402

WARMUP = 20


@contextlib.contextmanager
def fresh_database(backend: str, root: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{root / 'shaffof.db'}"
        return
    from tests.postgres import ThrowawayCluster

    cluster = ThrowawayCluster()
    try:
        yield cluster.start()
    finally:
        cluster.stop()


def measure(backend: str, scale: float, count: int) -> dict[str, Any]:
    """One side: a fresh database, the demo, ``count`` signed submissions through ``Cases.submit``."""
    from shaffof.cases.schemas import CaseSubmit
    from shaffof.config import Settings
    from shaffof.db.engine import Database
    from shaffof.identity import service as identity
    from shaffof.identity.models import Account, Role
    from shaffof.pki.signing.jws import sign_submission
    from shaffof.platform import Platform

    root = Path(tempfile.mkdtemp(prefix="shaffof-inproc-"))
    with fresh_database(backend, root) as url:
        load_data(url, root, scale)
        db = Database(url)
        platform = Platform.build(Settings(data_dir=root, database_url=url, services_dir=SERVICES), db)
        try:
            with db.reading() as session:
                account = session.scalars(sa.select(Account).where(Account.role == Role.citizen).limit(1)).one()
                actor = identity.actor_of(account)
            key = ec.generate_private_key(ec.SECP256R1())
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench")])
            csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())
            issued = platform.pki.request_certificate(actor, csr.public_bytes(Encoding.PEM).decode())
            chain = x509.load_pem_x509_certificates(issued.chain_pem.encode())
            now = dt.datetime.now(dt.UTC)
            commands = []
            for n in range(WARMUP + count):
                content = submission(n)
                signature = sign_submission(content, key, chain, now)
                commands.append(CaseSubmit.model_validate({**content, "signature": signature}))
            statements: collections.Counter[str] = collections.Counter()

            @sa.event.listens_for(db.engine, "before_cursor_execute")
            def _count(*_args: Any) -> None:
                statements["all"] += 1

            for n in range(WARMUP):
                platform.cases.submit(actor, commands[n], idempotency_key=f"inproc-{n:08d}")
            statements.clear()
            wall, cpu = time.perf_counter(), time.process_time()
            for n in range(WARMUP, WARMUP + count):
                platform.cases.submit(actor, commands[n], idempotency_key=f"inproc-{n:08d}")
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        finally:
            db.dispose()
        commit = commit_ceiling(url)
    crypto = crypto_ceilings(json.dumps({**submission(0), "signature": "x" * 900}))
    return {
        "cpu_ms": cpu / count * 1000,
        "wall_ms": wall / count * 1000,
        "statements": statements["all"] / count,
        "commit_ms": commit * 1000,
        "crypto_ms": sum(crypto.values()) * 1000,
    }


def side(src: Path | None, args: argparse.Namespace) -> dict[str, Any]:
    """Measure in a child process whose sources come from ``src`` (this checkout's when None)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    if src is not None:
        env["PYTHONPATH"] = str(src)
    command = [sys.executable, __file__, "--child", "--backend", args.backend, "--scale", str(args.scale),
               "--submissions", str(args.submissions)]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the measurement failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--scale", type=float, default=1.0, help="demo --bulk scale: × 10,000 cases (default 1)")
    parser.add_argument("--submissions", type=int, default=150, help="measured submissions (default 150)")
    parser.add_argument("--compare", metavar="SRC", help="also measure another checkout's src/, alternated")
    parser.add_argument("--rounds", type=int, default=2, help="alternated measurements per side (default 2)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.submissions < 1 or args.rounds < 1 or args.scale <= 0:
        parser.error("--submissions and --rounds must be at least 1, --scale positive")
    if args.child:
        print(json.dumps(measure(args.backend, args.scale, args.submissions)))
        return 0
    print("Shaffof: a signed submission through Cases.submit, in one process (bench/inproc.py)")
    for key, value in machine().items():
        if key not in ("server", "client"):  # no server and no client here
            print(f"  {key:<13} {value}")
    sides: dict[str, Path | None] = {"this checkout": None}
    if args.compare:
        sides = {f"{args.compare}": Path(args.compare).resolve(), **sides}
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in sides}
    for _ in range(args.rounds):
        for name, src in sides.items():
            results[name].append(side(src, args))
    print(f"\n{args.backend}, {args.scale * 10_000:,.0f} demo cases, {args.submissions} submissions per measurement")
    print(f"{'sources':<28} {'CPU ms/sub':>16} {'wall ms/sub':>16} {'statements':>11} {'÷ commit':>9} {'÷ crypto':>9}")
    for name, runs in results.items():
        cpu = ", ".join(f"{r['cpu_ms']:.1f}" for r in runs)
        wall = ", ".join(f"{r['wall_ms']:.0f}" for r in runs)
        ratio_commit = min(r["cpu_ms"] / r["commit_ms"] for r in runs)
        ratio_crypto = min(r["cpu_ms"] / r["crypto_ms"] for r in runs)
        print(
            f"{name:<28} {cpu:>16} {wall:>16} {runs[0]['statements']:>11.1f} {ratio_commit:>9.0f} {ratio_crypto:>9.0f}"
        )
    print(f"load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
