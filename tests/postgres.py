"""A throwaway PostgreSQL cluster for the test session (initdb + pg_ctl on a free loopback port).

Used unless SHAFFOF_TEST_POSTGRES_URL points at a server. As root, initdb and the server run as the
``postgres`` user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PG_BIN = Path(os.environ.get("SHAFFOF_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))


class PostgresUnavailable(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ThrowawayCluster:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="shaffof-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = [str(a) for a in args]
        if self._as_postgres:
            command = ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(_quote(c) for c in command)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise PostgresUnavailable(f"{' '.join(args[:1])} failed: {result.stderr.strip() or result.stdout.strip()}")

    def start(self) -> str:
        if not (PG_BIN / "initdb").exists():
            raise PostgresUnavailable(f"no PostgreSQL server binaries in {PG_BIN} (apt-get install postgresql-15)")
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(PG_BIN / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        self.resume()
        self._run(PG_BIN / "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "shaffof_test")
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/shaffof_test"

    def halt(self) -> None:
        """Stop the server and keep its data, as a restart or a failover does (fast: sessions are cut)."""
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        """Start the server on its data directory and port."""
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-o", options, "-w", "-l", self.root / "server.log", "start")

    def stop(self) -> None:
        with contextlib.suppress(PostgresUnavailable):
            self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"
