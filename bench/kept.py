"""Benchmark databases kept between runs: loading 10 million cases takes many minutes, measuring seconds.

``--data DIR`` in bench/sla.py keeps ``DIR/sqlite/shaffof.db`` and a PostgreSQL cluster in
``DIR/postgresql`` (initdb on the first run; started for each run and stopped after it, never left running).
Delete the directory to start over. The cluster runs with fsync off, as the test clusters do: it holds
generated load-test data, never anything to recover.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from deadlines import server_version  # bench/deadlines.py
from tests.postgres import PG_BIN, ThrowawayCluster

# Enough cache for the 10M-case indexes to stay warm, on a machine shared by several people; large WAL so
# a bulk load is not a checkpoint storm.
SERVER_OPTIONS = "-c shared_buffers=1GB -c max_wal_size=8GB -c checkpoint_timeout=30min"


class KeptCluster(ThrowawayCluster):
    """A PostgreSQL cluster in a directory of our choosing that survives ``stop()``."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        shutil.rmtree(self.root, ignore_errors=True)  # the parent made a temp dir we do not use
        self.root = root
        self.data = root / "data"

    def start(self) -> str:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/shaffof_test"
        if not (self.data / "PG_VERSION").exists():
            self.root.mkdir(parents=True, exist_ok=True)
            return self._first_start()
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off {SERVER_OPTIONS}"
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-o", options, "-w", "-l", self.root / "server.log", "start")
        return url

    def _first_start(self) -> str:
        super().start()  # initdb + createdb; then restart with the options above
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        return self.start()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")


@contextlib.contextmanager
def kept_database(backend: str, root: Path) -> Iterator[tuple[str, str]]:
    """The URL and a label of the kept database of ``backend`` under ``root`` (the server runs meanwhile)."""
    if backend == "sqlite":
        (root / "sqlite").mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{root / 'sqlite' / 'shaffof.db'}", f"SQLite {sqlite3.sqlite_version} (WAL, file, kept)"
        return
    cluster = KeptCluster(root / "postgresql")
    try:
        url = cluster.start()
        yield url, f"PostgreSQL {server_version(url)} (kept cluster, fsync=off, shared_buffers=1GB)"
    finally:
        cluster.stop()
