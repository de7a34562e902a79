"""Throughput and latency of a submission, against the framework's empty request, on a real server.

Starts ``uvicorn shaffof.web.app:create_app --factory`` in a subprocess on a fresh, migrated and seeded
database (SQLite file and/or a throwaway PostgreSQL cluster) and drives it over loopback HTTP from this
process (asyncio + httpx). Per backend it measures, in interleaved rounds:

  1. GET  /healthz                              the baseline: the framework's near-empty request
  2. GET  /api/v1/services/appeal-to-hokimiyat  a read through the database
  3. POST /api/v1/cases                         an authenticated submission (unique Idempotency-Key)

and prints requests/s (median of the rounds), pooled p50/p95/p99 latency, server CPU per request and
the ratio to the same round's baseline. Every submission must answer 201 with a registration number
never seen before, and the database must hold exactly as many cases as were acknowledged; otherwise
the script says so loudly and exits non-zero.

    .venv/bin/python bench/submit.py [--backend sqlite|postgresql|both] [--requests N] [--concurrency C]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import math
import os
import platform as pyplatform
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # for tests.factories / tests.postgres, whatever the working directory

# tests.factories imports fastapi.testclient, which warns about httpx; irrelevant here.
warnings.filterwarnings("ignore", message=".*httpx.*")

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from tests.factories import APPEAL_FORM, PASSWORD, World  # noqa: E402
from tests.postgres import ThrowawayCluster  # noqa: E402

from shaffof.cases.models import Case  # noqa: E402
from shaffof.config import Settings  # noqa: E402
from shaffof.db import migrate  # noqa: E402
from shaffof.db.engine import Database  # noqa: E402
from shaffof.platform import Platform  # noqa: E402

SERVICES = REPO / "services"
SERVICE = "appeal-to-hokimiyat"
AGENCY = "YUNUSHOK"
CITIZENS = ("alice", "bob")
WARMUP = 50  # requests per kind before the first round, not counted
CLK_TCK = os.sysconf("SC_CLK_TCK")

console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)


class BenchFailure(RuntimeError):
    """The server misbehaved (wrong status, duplicate registration numbers, lost cases)."""


# --------------------------------------------------------------------------- the machine


def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    models = [line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")]
    meminfo = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines() if ":" in line)
    ram_gib = int(meminfo["MemTotal"].split()[0]) / 1024 / 1024
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    import fastapi
    import uvicorn

    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "cpu": f"{models[0] if models else pyplatform.processor() or 'unknown'} × {os.cpu_count()}",
        "ram": f"{ram_gib:.1f} GiB",
        "load average": f"{load} (1, 5, 15 min, at start)",
        "os": f"{pyplatform.system()} {pyplatform.release()}",
        "python": f"{pyplatform.python_implementation()} {pyplatform.python_version()}",
        "sqlite": sqlite3.sqlite_version,
        "server": f"uvicorn {uvicorn.__version__} (1 process), FastAPI {fastapi.__version__}",
        "client": f"httpx {httpx.__version__} (asyncio, in the benchmark process)",
        "commit": commit or "unknown",
    }


# --------------------------------------------------------------------------- the database


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def database(backend: str, root: Path) -> Iterator[tuple[str, str]]:
    """A fresh database URL for the backend and a description of its server; torn down on exit."""
    if backend == "sqlite":
        yield f"sqlite:///{root / 'shaffof.db'}", f"SQLite {sqlite3.sqlite_version} (WAL, file in {root})"
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


def seed(url: str, data_dir: Path) -> None:
    """Migrate and load the shipped catalogue plus the test citizens and officers."""
    migrate.upgrade(url)
    settings = Settings(
        data_dir=data_dir, database_url=url, argon2_time_cost=1, argon2_memory_kib=8 * 1024, services_dir=SERVICES
    )
    db = Database(url)
    try:
        World.build(Platform.build(settings, db), SERVICES)
    finally:
        db.dispose()


def count_cases(url: str) -> int:
    db = Database(url)
    try:
        with db.reading() as session:
            return int(session.execute(sa.select(sa.func.count()).select_from(Case)).scalar_one())
    finally:
        db.dispose()


# --------------------------------------------------------------------------- the server


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14 and 15)

    def peak_rss_mib(self) -> float | None:
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            return None
        return None

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@contextlib.contextmanager
def server(url: str, data_dir: Path) -> Iterator[Server]:
    port = _free_port()
    env = {
        **os.environ,
        "SHAFFOF_DATA_DIR": str(data_dir),
        "SHAFFOF_DATABASE_URL": url,
        "SHAFFOF_SECRET_KEY": secrets.token_urlsafe(48),
        "SHAFFOF_SERVICES_DIR": str(SERVICES),
        # Password-only citizens, as in the test suite; bench/load.py (make bench) steps up to the service's level.
        "SHAFFOF_ENFORCE_SERVICE_ASSURANCE": "false",
    }
    log = data_dir / "server.log"
    command = [
        sys.executable, "-m", "uvicorn", "shaffof.web.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    with log.open("wb") as out:
        # cwd = the data dir, so a developer's .env in the checkout does not leak into the run.
        process = subprocess.Popen(command, env=env, cwd=data_dir, stdout=out, stderr=subprocess.STDOUT)
    running = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise BenchFailure(f"the server exited with code {process.returncode}:\n{running.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{running.base_url}/readyz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise BenchFailure(f"the server did not become ready in 60 s:\n{running.tail()}")
            time.sleep(0.1)
        yield running
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout`` seconds (bench/load.py uses it too)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# --------------------------------------------------------------------------- the load


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)  # seconds, completed requests only
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # first few unexpected answers / exceptions
    failures: int = 0
    sent: int = 0
    elapsed: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    numbers: list[str] = field(default_factory=list)

    @property
    def done(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.done / self.elapsed if self.elapsed else 0.0


Request = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


async def drive(
    client: httpx.AsyncClient,
    request: Request,
    *,
    expected: int,
    requests: int,
    concurrency: int,
    time_limit: float,
    srv: Server,
    keep: Callable[[httpx.Response], str | None] | None = None,
) -> Outcome:
    """Issue ``requests`` requests from ``concurrency`` workers (stop starting new ones after time_limit)."""
    outcome = Outcome()
    issued = 0
    start = time.perf_counter()
    deadline = start + time_limit

    async def worker() -> None:
        nonlocal issued
        while issued < requests and time.perf_counter() < deadline:
            index = issued
            issued += 1
            outcome.sent += 1
            began = time.perf_counter()
            try:
                response = await request(client, index)
            except httpx.HTTPError as error:
                outcome.failures += 1
                if len(outcome.errors) < 5:
                    outcome.errors.append(f"{type(error).__name__}: {error}")
                continue
            outcome.latencies.append(time.perf_counter() - began)
            outcome.statuses[response.status_code] = outcome.statuses.get(response.status_code, 0) + 1
            if response.status_code != expected:
                outcome.failures += 1
                if len(outcome.errors) < 5:
                    outcome.errors.append(f"HTTP {response.status_code}: {response.text[:300]}")
            elif keep is not None and (value := keep(response)) is not None:
                outcome.numbers.append(value)

    cpu0, client0 = srv.cpu_seconds(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    outcome.elapsed = time.perf_counter() - start
    outcome.server_cpu = srv.cpu_seconds() - cpu0
    outcome.client_cpu = time.process_time() - client0
    return outcome


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


@dataclass
class Phase:
    name: str
    label: str
    expected: int
    request: Request
    keep: Callable[[httpx.Response], str | None] | None = None
    rounds: list[Outcome] = field(default_factory=list)


async def load(srv: Server, args: argparse.Namespace) -> tuple[list[Phase], list[str]]:
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    async with httpx.AsyncClient(base_url=srv.base_url, limits=limits, timeout=30) as client:
        tokens = []
        for login in CITIZENS:
            response = await client.post("/api/v1/auth/login", json={"login": login, "password": PASSWORD})
            if response.status_code != 200:
                raise BenchFailure(f"login as {login} answered {response.status_code}: {response.text}")
            tokens.append({"Authorization": f"Bearer {response.json()['access_token']}"})
        body = {"service": SERVICE, "agency": AGENCY, "form": APPEAL_FORM}

        async def healthz(c: httpx.AsyncClient, _i: int) -> httpx.Response:
            return await c.get("/healthz")

        async def read(c: httpx.AsyncClient, _i: int) -> httpx.Response:
            return await c.get(f"/api/v1/services/{SERVICE}")

        async def submit(c: httpx.AsyncClient, i: int) -> httpx.Response:
            headers = {**tokens[i % len(tokens)], "Idempotency-Key": f"bench-{uuid.uuid4()}"}
            return await c.post("/api/v1/cases", json=body, headers=headers)

        def number(response: httpx.Response) -> str | None:
            return response.json().get("registration_number")

        phases = [
            Phase("healthz", "GET /healthz (baseline)", 200, healthz),
            Phase("read", f"GET /api/v1/services/{SERVICE}", 200, read),
            Phase("submit", "POST /api/v1/cases", 201, submit, keep=number),
        ]

        def drive_args(phase: Phase) -> dict[str, Any]:
            return {
                "expected": phase.expected,
                "keep": phase.keep,
                "concurrency": args.concurrency,
                "time_limit": args.time_limit,
                "srv": srv,
            }

        warm: list[str] = []
        for phase in phases:  # warm-up: connections, caches, lazy imports; counted only for integrity
            outcome = await drive(client, phase.request, requests=WARMUP, **drive_args(phase))
            if outcome.failures:
                first = outcome.errors[0] if outcome.errors else "?"
                raise BenchFailure(f"warm-up of {phase.label}: {outcome.failures} bad answer(s), first: {first}")
            warm.extend(outcome.numbers)
        for _round in range(args.rounds):  # interleaved, so a noisy neighbour hits every phase alike
            for phase in phases:
                outcome = await drive(client, phase.request, requests=args.requests, **drive_args(phase))
                phase.rounds.append(outcome)
        return phases, warm


# --------------------------------------------------------------------------- one backend


def run_backend(backend: str, args: argparse.Namespace) -> bool:
    """Benchmark one backend; True when every check passed."""
    root = Path(tempfile.mkdtemp(prefix=f"shaffof-bench-{backend}-"))
    ok = True
    try:
        with database(backend, root) as (url, description):
            data_dir = root / "var"
            data_dir.mkdir()
            t0 = time.perf_counter()
            seed(url, data_dir)
            seeded = time.perf_counter() - t0
            console.print(f"\n[bold]{backend}[/]: {description}; migrated and seeded in {seeded:.1f} s")
            with server(url, data_dir) as srv:
                phases, warm = asyncio.run(load(srv, args))
                peak = srv.peak_rss_mib()
                alive = srv.process.poll() is None
            acknowledged = warm + [n for p in phases for o in p.rounds for n in o.numbers]
            stored = count_cases(url)
            report(backend, description, phases, args)
            ok = check(phases, acknowledged, stored) and ok
            console.print(
                f"server peak RSS (VmHWM): {peak:.1f} MiB" if peak is not None else "server peak RSS: unavailable"
            )
            if not alive:
                console.print("[bold red]FAILURE: the server process died during the run[/]")
                ok = False
    except BenchFailure as error:
        console.print(f"[bold red]FAILURE ({backend}): {error}[/]")
        ok = False
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return ok


def report(backend: str, description: str, phases: list[Phase], args: argparse.Namespace) -> None:
    table = Table(
        title=f"{backend} — {args.rounds} rounds × {args.requests} requests, concurrency {args.concurrency}",
        caption=description,
    )
    for heading in ("request", "ok/sent", "req/s (median)", "rounds req/s", "p50 ms", "p95 ms", "p99 ms",
                    "server CPU ms/req", "÷ baseline"):  # fmt: skip
        if heading == "request":
            table.add_column(heading, no_wrap=True)
        else:
            table.add_column(heading, justify="right")
    baseline = phases[0]
    complete = True
    for phase in phases:
        latencies = [x * 1000 for o in phase.rounds for x in o.latencies]
        sent = sum(o.sent for o in phase.rounds)
        good = sum(o.statuses.get(phase.expected, 0) for o in phase.rounds)
        rates = [o.rate for o in phase.rounds]
        done = sum(o.done for o in phase.rounds)
        cpu = sum(o.server_cpu for o in phase.rounds) / done * 1000 if done else float("nan")
        ratios = [o.rate / b.rate for o, b in zip(phase.rounds, baseline.rounds, strict=True) if b.rate]
        ratio = "1" if phase is baseline else f"{statistics.median(ratios):.3f}"
        table.add_row(
            phase.label,
            f"{good}/{sent}",
            f"{statistics.median(rates):,.0f}",
            " ".join(f"{r:,.0f}" for r in rates),
            f"{percentile(latencies, 50):.1f}",
            f"{percentile(latencies, 95):.1f}",
            f"{percentile(latencies, 99):.1f}",
            f"{cpu:.2f}",
            ratio,
        )
        if sent < args.rounds * args.requests:
            complete = False
    console.print(table)
    client_cpu = sum(o.client_cpu for p in phases for o in p.rounds)
    elapsed = sum(o.elapsed for p in phases for o in p.rounds)
    console.print(
        f"÷ baseline = median over rounds of (req/s ÷ the same round's /healthz req/s). "
        f"Load generator CPU: {client_cpu / elapsed:.0%} of one core over {elapsed:.1f} s of load."
    )
    if not complete:
        console.print(
            f"[yellow]note: some phases hit the {args.time_limit:.0f} s time limit before sending all requests[/]"
        )


def check(phases: list[Phase], acknowledged: list[str], stored: int) -> bool:
    ok = True
    for phase in phases:
        failures = sum(o.failures for o in phase.rounds)
        if failures:
            ok = False
            errors = [e for o in phase.rounds for e in o.errors][:5]
            console.print(
                f"[bold red]FAILURE: {failures} request(s) to {phase.label} did not answer {phase.expected}[/]"
            )
            for error in errors:
                console.print(f"  [red]{error}[/]")
    duplicates = len(acknowledged) - len(set(acknowledged))
    if duplicates:
        ok = False
        console.print(
            f"[bold red]FAILURE: {duplicates} duplicate registration number(s) among {len(acknowledged)} cases[/]"
        )
    if stored != len(acknowledged):
        ok = False
        console.print(f"[bold red]FAILURE: {len(acknowledged)} submissions acknowledged but {stored} cases stored[/]")
    if ok:
        console.print(
            f"[green]checks passed: every submission answered 201; {len(acknowledged)} registration numbers, "
            f"all unique; {stored} cases stored[/]"
        )
    return ok


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--requests", type=int, default=300, help="requests per phase per round (default 300)")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight (default 8)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds; req/s is their median (default 5)")
    parser.add_argument(
        "--time-limit", type=float, default=6.0, help="at most this many seconds per phase per round (default 6)"
    )
    args = parser.parse_args(argv)
    if args.requests < 1 or args.concurrency < 1 or args.rounds < 1:
        parser.error("--requests, --concurrency and --rounds must be at least 1")

    # SIGTERM behaves like Ctrl-C: the finally blocks stop the server and the cluster and remove the temp dirs.
    signal.signal(signal.SIGTERM, signal.default_int_handler)

    console.print("[bold]Shaffof benchmark: submission vs. the empty request[/] (bench/submit.py)")
    for key, value in machine().items():
        console.print(f"  {key:<13} {value}")
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    started = time.perf_counter()
    try:
        results = {backend: run_backend(backend, args) for backend in backends}
    except KeyboardInterrupt:
        console.print("[bold red]interrupted; server, database and temp dirs cleaned up[/]")
        return 130
    console.print(f"\ntotal time {time.perf_counter() - started:.0f} s")
    if not all(results.values()):
        failed = ", ".join(b for b, good in results.items() if not good)
        console.print(f"[bold red]BENCHMARK FAILED on: {failed}[/]")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
