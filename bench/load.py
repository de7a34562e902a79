"""Signed submissions end to end under load, beside their ceilings measured in the same run (issue 11, part 1).

Per backend (SQLite file; a throwaway PostgreSQL 15 cluster, or a kept one with ``--data``):

1. migrates a fresh database and loads the demo through the load-test generator (``shaffof demo --scale S
   --bulk``: S × 10,000 cases, the PKI, the agencies' officers, the citizens) — the database size the figures
   are for;
2. starts ``uvicorn shaffof.web.app:create_app --factory --workers W`` on loopback (W server processes);
3. before the clock starts: signs in K citizens and an officer, gets each citizen a certificate for a key of
   their own (``POST /api/v1/pki/certificates`` with a CSR, as a citizen's signing app does), and pre-signs a
   pool of distinct submissions (JWS over each body, ZRU-793), so the client's signing never counts against
   the server;
4. measures the ceilings in this process while the servers idle: the crypto primitives a signed submission
   performs (one ECDSA P-256 verify of the JWS, one ECDSA P-256 sign for the RFC 3161 timestamp token,
   SHA-256 over the body) and one database commit (a one-row INSERT + COMMIT on the same database);
5. runs the load generator (bench/loadgen.py) as a separate process: interleaved rounds of the empty request
   (``GET /healthz``) and of signed submissions with a citizen and an officer reading meanwhile, then the same
   reads alone;
6. checks that every submission answered 201, the registration numbers are unique, and the database holds
   exactly as many new cases as were acknowledged; prints throughput, p50/p95/p99, CPU per submission (all
   server processes' CPU ÷ submissions), peak RSS per server process, and the ratios to the ceilings;
7. with ``--profile``: one more submission run with ``py-spy record`` attached to every server process, and
   the functions that take the most samples (inclusive, within shaffof; and self time anywhere).

Everything it starts (servers, load generator, py-spy, the cluster) is stopped on exit, errors, Ctrl-C and
SIGTERM. ``make bench`` runs it with the defaults (a few minutes); see docs/performance.md for bigger runs.

    .venv/bin/python bench/load.py [--backend sqlite|postgresql|both] [--workers W] [--scale S] [--data DIR]
                                   [--requests N] [--rounds R] [--concurrency C] [--time-limit S] [--profile]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO))  # tests.postgres, whatever the working directory
sys.path.insert(0, str(BENCH))  # submit.py / kept.py beside this file
warnings.filterwarnings("ignore", message=".*httpx.*")

import aiohttp  # noqa: E402
import httpx  # noqa: E402
import pyotp  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from submit import BenchFailure, _free_port, count_cases, database, machine, percentile, stop  # noqa: E402

from shaffof.canonical_json import canonicalize  # noqa: E402
from shaffof.config import Settings  # noqa: E402
from shaffof.db import migrate  # noqa: E402
from shaffof.db.engine import Database  # noqa: E402
from shaffof.identity.models import Account, Role  # noqa: E402
from shaffof.pki.signing.jws import sign_submission  # noqa: E402

SERVICES = REPO / "services"
SERVICE = "appeal-to-hokimiyat"
AGENCY = "YUNUSHOK"
OFFICER = "yunushok.officer1"
CLK_TCK = os.sysconf("SC_CLK_TCK")

console = Console(highlight=False, width=None if sys.stdout.isatty() else 170)


# --------------------------------------------------------------------------- the database and its data


def load_data(url: str, data_dir: Path, scale: float) -> tuple[float, bool]:
    """Migrate and run the bulk demo generator unless the (kept) database holds it already."""
    from shaffof.demo.loader import has_demo_data, load_demo
    from shaffof.platform import Platform

    migrate.upgrade(url)
    settings = Settings(data_dir=data_dir, database_url=url, services_dir=SERVICES)
    db = Database(url)
    platform = Platform.build(settings, db)
    try:
        if has_demo_data(platform):
            return 0.0, False
        started = time.perf_counter()
        load_demo(platform, SERVICES, scale=scale, bulk=True)
        return time.perf_counter() - started, True
    finally:
        db.dispose()


@contextlib.contextmanager
def backend_database(backend: str, root: Path, kept: Path | None) -> Iterator[tuple[str, str]]:
    if kept is None:
        with database(backend, root) as found:
            yield found
        return
    from kept import kept_database

    with kept_database(backend, kept) as found:
        yield found


def citizen_logins(url: str, count: int) -> list[str]:
    """Citizens who have not yet connected an authenticator: on a kept database (``--data``) those an earlier
    run enrolled hold a second factor whose secret that run alone knew."""
    from shaffof.pki.models import TotpFactor

    db = Database(url)
    try:
        with db.reading() as session:
            enrolled = sa.select(TotpFactor.account_id).where(TotpFactor.confirmed_at.is_not(None))
            query = (
                sa.select(Account.login)
                .where(Account.role == Role.citizen, Account.id.not_in(enrolled))
                .order_by(Account.id)
                .limit(count)
            )
            return list(session.scalars(query))
    finally:
        db.dispose()


# --------------------------------------------------------------------------- the servers


@dataclass
class Servers:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def workers(self) -> list[int]:
        """The worker processes uvicorn spawned (its children), or the process itself with one worker."""
        children: list[int] = []
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            with contextlib.suppress(OSError):
                children += [int(p) for p in (task / "children").read_text().split()]
        return [p for p in children if _is_uvicorn(p)] or [self.process.pid]

    def pids(self) -> list[int]:
        return [self.process.pid, *[p for p in self.workers() if p != self.process.pid]]

    def tail(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


def _is_uvicorn(pid: int) -> bool:
    """A spawned worker runs the multiprocessing entry point; the resource tracker is not a server."""
    with contextlib.suppress(OSError):
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        return b"resource_tracker" not in command
    return False


def peak_rss_mib(pid: int) -> float | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


@contextlib.contextmanager
def servers(url: str, data_dir: Path, workers: int, src: Path | None = None) -> Iterator[Servers]:
    """``src``: run the servers from another checkout's sources (``--compare``), e.g. the main branch."""
    port = _free_port()
    env = {
        **os.environ,
        **({"PYTHONPATH": str(src)} if src is not None else {}),
        "SHAFFOF_DATA_DIR": str(data_dir),
        "SHAFFOF_DATABASE_URL": url,
        "SHAFFOF_SECRET_KEY": secrets.token_urlsafe(48),
        "SHAFFOF_SERVICES_DIR": str(SERVICES),
    }
    log = data_dir / "server.log"
    probe = "/readyz" if src is None else "/healthz"
    command = [
        sys.executable, "-m", "uvicorn", "shaffof.web.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    with log.open("wb") as out:
        # cwd = the data dir, so a developer's .env in the checkout does not leak into the run.
        process = subprocess.Popen(command, env=env, cwd=data_dir, stdout=out, stderr=subprocess.STDOUT)
    running = Servers(process, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise BenchFailure(f"the server exited with code {process.returncode}:\n{running.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                # Servers from another checkout expect that checkout's schema head: /readyz would refuse this
                # database (migrated by this checkout), so they are waited for on /healthz.
                ready = httpx.get(f"{running.base_url}{probe}", timeout=2).status_code == 200
                if ready and (len(running.workers()) >= workers or workers == 1):
                    break
            if time.monotonic() > deadline:
                raise BenchFailure(f"the servers did not become ready in 90 s:\n{running.tail()}")
            time.sleep(0.2)
        # Every worker answers: a few /readyz on fresh connections reach each of them (the kernel spreads them).
        for _ in range(4 * workers):
            httpx.get(f"{running.base_url}{probe}", timeout=10)
        yield running
    finally:
        stop(process, timeout=15)


# --------------------------------------------------------------------------- before the clock: people, keys, pool


@dataclass
class Prepared:
    tokens: list[str]
    reader_token: int  # the index of the citizen who filed the reader's case
    officer_token: str
    reader_case: str
    submissions: list[dict[str, Any]]
    signed_in: float  # seconds to sign in and certify the citizens (before the clock)
    presigned: float  # seconds to sign the pool (the client's work, never counted against the server)


def login(client: httpx.Client, name: str, password: str) -> str:
    response = client.post("/api/v1/auth/login", json={"login": name, "password": password})
    if response.status_code != 200:
        raise BenchFailure(f"login as {name} answered {response.status_code}: {response.text}")
    return str(response.json()["access_token"])


def enrol_second_factor(client: httpx.Client, token: str) -> pyotp.TOTP:
    """The citizen connects an authenticator app (TOTP): most services ask for the ``substantial`` sign-in level
    (a password and a second factor, docs/oidc.md), as a real citizen's app would have it."""
    headers = {"Authorization": f"Bearer {token}"}
    started = client.post("/api/v1/auth/totp/enrol", headers=headers)
    if started.status_code not in (200, 201):
        raise BenchFailure(f"authenticator enrolment answered {started.status_code}: {started.text}")
    totp = pyotp.TOTP(started.json()["secret"])
    confirmed = client.post("/api/v1/auth/totp/confirm", json={"code": totp.now()}, headers=headers)
    if confirmed.status_code not in (200, 204):
        raise BenchFailure(f"authenticator confirmation answered {confirmed.status_code}: {confirmed.text}")
    return totp


def step_up(client: httpx.Client, name: str, password: str, totp: pyotp.TOTP) -> str:
    """Sign in again with the authenticator's code: a token at the ``substantial`` level."""
    response = client.post(
        "/api/v1/auth/login", json={"login": name, "password": password, "second_factor": totp.now()}
    )
    if response.status_code != 200:
        raise BenchFailure(f"login with a second factor as {name} answered {response.status_code}: {response.text}")
    return str(response.json()["access_token"])


def certify(client: httpx.Client, token: str) -> tuple[ec.EllipticCurvePrivateKey, list[x509.Certificate]]:
    """A key held by the citizen, certified by the platform's CA (the subject comes from their person record)."""
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench")]))
        .sign(key, hashes.SHA256())
    )
    response = client.post(
        "/api/v1/pki/certificates",
        json={"csr": csr.public_bytes(Encoding.PEM).decode()},
        headers={"Authorization": f"Bearer {token}"},
    )
    if response.status_code != 201:
        raise BenchFailure(f"certificate request answered {response.status_code}: {response.text}")
    return key, x509.load_pem_x509_certificates(response.json()["chain_pem"].encode())


def submission(n: int) -> dict[str, Any]:
    """A distinct appeal (the text names its number), as the citizen's app sends it."""
    return {
        "service": SERVICE,
        "agency": AGENCY,
        "form": {
            "topic": "roads_transport",
            "subject": f"Ko'cha yoritilishi №{n}",
            "text": f"Mahallamizdagi {n}-uy yonidagi ko'cha chiroqlari ishlamayapti, iltimos tuzatib bering.",
        },
        "documents": [],
        "channel": "api",
    }


def prepare(base_url: str, url: str, args: argparse.Namespace, pool: int) -> Prepared:
    from shaffof.demo.loader import DEMO_PASSWORD

    started = time.perf_counter()
    logins = citizen_logins(url, args.citizens)
    if len(logins) < args.citizens:
        raise BenchFailure(f"the database holds {len(logins)} citizens, fewer than --citizens {args.citizens}")
    with httpx.Client(base_url=base_url, timeout=60) as client:
        tokens = [login(client, name, DEMO_PASSWORD) for name in logins]
        authenticators = [enrol_second_factor(client, token) for token in tokens]
        # A TOTP code is accepted once: wait for the authenticators' next 30-second step, then step up.
        time.sleep(30.5 - time.time() % 30)
        tokens = [step_up(client, name, DEMO_PASSWORD, totp) for name, totp in zip(logins, authenticators, strict=True)]
        keys = [certify(client, token) for token in tokens]
        officer_token = login(client, OFFICER, DEMO_PASSWORD)
        now = dt.datetime.now(dt.UTC)
        signed_in = time.perf_counter() - started
        submissions = []
        for n in range(pool + 1):
            who = n % len(tokens)
            content = submission(n)
            key, chain = keys[who]
            body = {**content, "signature": sign_submission(content, key, chain, now)}
            submissions.append({"token": who, "key": f"load-{secrets.token_hex(12)}", "body": json.dumps(body)})
        first = submissions.pop()  # the case the reader polls, filed by citizen 0 before the clock
        filed = client.post(
            "/api/v1/cases",
            content=first["body"],
            headers={
                "Authorization": f"Bearer {tokens[first['token']]}",
                "Idempotency-Key": first["key"],
                "Content-Type": "application/json",
            },
        )
        if filed.status_code != 201:
            raise BenchFailure(f"a signed submission answered {filed.status_code}: {filed.text}")
    number = filed.json()["registration_number"]
    presigned = time.perf_counter() - started - signed_in
    return Prepared(tokens, first["token"], officer_token, number, submissions, signed_in, presigned)


# --------------------------------------------------------------------------- ceilings


def timed(operation: Callable[[int], object], seconds: float = 0.4, rounds: int = 5) -> float:
    """Median over rounds of seconds per call."""
    results = []
    for _ in range(rounds):
        count = 0
        started = time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds / rounds or count < 3:
            operation(count)
            count += 1
        results.append(elapsed / count)
    return statistics.median(results)


def crypto_ceilings(sample_body: str) -> dict[str, float]:
    """The raw primitives one signed submission performs, in seconds each (pyca/cryptography, OpenSSL)."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key()
    body = sample_body.encode()
    signing_input = body[: len(body) // 2]  # the JWS signing input is about the body's size in base64url
    signature = key.sign(signing_input, ec.ECDSA(hashes.SHA256()))
    digest = hashlib.sha256(b"x").digest()

    def verify(_i: int) -> None:
        public.verify(signature, signing_input, ec.ECDSA(hashes.SHA256()))

    def sign(_i: int) -> None:
        key.sign(digest, ec.ECDSA(hashes.SHA256()))

    def sha256(_i: int) -> None:
        hashlib.sha256(body).digest()

    def canonical(_i: int) -> None:
        canonicalize(json.loads(sample_body))

    return {
        "ECDSA P-256 verify (the JWS)": timed(verify),
        "ECDSA P-256 sign (the timestamp token)": timed(sign),
        "SHA-256 over the body": timed(sha256),
        "parse + canonical JSON of the body": timed(canonical),
    }


def commit_ceiling(url: str) -> float:
    """One one-row INSERT + COMMIT on the benchmark's database (a scratch table, dropped after)."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE bench_commit_probe (id integer PRIMARY KEY, at float)"))
        with engine.connect() as connection:
            if url.startswith("sqlite"):  # as the application's engine sets it (shaffof.db.engine)
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")
                connection.exec_driver_sql("PRAGMA synchronous=NORMAL")
            statement = sa.text("INSERT INTO bench_commit_probe (id, at) VALUES (:id, :at)")

            def commit(i: int) -> None:
                connection.execute(statement, {"id": i + commit.base, "at": time.time()})  # type: ignore[attr-defined]
                connection.commit()

            results = []
            for r in range(5):
                commit.base = r * 1_000_000  # type: ignore[attr-defined]
                results.append(timed(commit, seconds=0.15, rounds=1))
        with engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE bench_commit_probe"))
        return statistics.median(results)
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- profile


def profile(srv: Servers, plan: dict[str, Any], root: Path, seconds: float) -> list[str]:
    """py-spy on every worker during one more submission run; the top functions by samples."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        return ["py-spy not installed (pip install py-spy): no profile"]
    recorders = []
    outputs = []
    for pid in srv.workers():
        out = root / f"profile-{pid}.txt"
        outputs.append(out)
        recorders.append(
            subprocess.Popen(
                [spy, "record", "--pid", str(pid), "--rate", "200", "--format", "raw", "--output", str(out),
                 "--duration", str(int(seconds) + 30), "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )
        )  # fmt: skip
    try:
        time.sleep(1.0)
        run_generator(plan, root / "profile")
    finally:
        for recorder in recorders:
            if recorder.poll() is None:
                recorder.send_signal(signal.SIGINT)
        for recorder in recorders:
            try:
                recorder.wait(timeout=30)
            except subprocess.TimeoutExpired:
                recorder.kill()
                recorder.wait(timeout=10)
    return summarise_profile(outputs)


def summarise_profile(outputs: list[Path], top: int = 15) -> list[str]:
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for out in outputs:
        if not out.exists():
            continue
        for line in out.read_text(errors="replace").splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            count = int(count_text)
            frames = stack.split(";")
            if not any("shaffof" in f or "starlette" in f or "fastapi" in f for f in frames):
                continue  # idle threads (the sequencer's sleep, the event loop's select)
            total += count
            own[_frame(frames[-1])] += count
            for frame in {_frame(f) for f in frames if "shaffof/" in f}:
                inclusive[frame] += count
    if not total:
        return ["no samples (is ptrace allowed? py-spy needs CAP_SYS_PTRACE)"]
    lines = [f"{total} samples of request handling over {len(outputs)} process(es)", "inclusive, within shaffof:"]
    lines += [f"  {count / total:6.1%}  {frame}" for frame, count in inclusive.most_common(top)]
    lines.append("self time, anywhere:")
    lines += [f"  {count / total:6.1%}  {frame}" for frame, count in own.most_common(top)]
    return lines


def _frame(frame: str) -> str:
    """'function (path/to/module.py:123)' → 'function (module.py)' so lines of a function add up."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    marker = "/site-packages/"
    if marker in where:
        where = where.split(marker, 1)[1]
    elif "/src/" in where:
        where = where.split("/src/", 1)[1]
    return f"{name} ({where})"


# --------------------------------------------------------------------------- the run


def run_generator(plan: dict[str, Any], stem: Path) -> dict[str, Any]:
    plan_file, result_file = stem.with_suffix(".plan.json"), stem.with_suffix(".result.json")
    plan_file.write_text(json.dumps(plan))
    generator = subprocess.Popen([sys.executable, str(BENCH / "loadgen.py"), str(plan_file), str(result_file)])
    try:
        code = generator.wait()
    finally:
        if generator.poll() is None:
            generator.terminate()
            generator.wait(timeout=10)
    if code != 0:
        raise BenchFailure(f"the load generator exited with code {code}")
    return dict(json.loads(result_file.read_text()))


def run_backend(backend: str, args: argparse.Namespace) -> bool:
    root = Path(tempfile.mkdtemp(prefix=f"shaffof-load-{backend}-"))
    kept = Path(args.data).resolve() if args.data else None
    try:
        with backend_database(backend, root, kept) as (url, description):
            data_dir = root / "var"
            data_dir.mkdir()
            loaded, fresh = load_data(url, data_dir, args.scale)
            existing = count_cases(url)
            how = f"loaded in {loaded:.0f} s" if fresh else "kept from an earlier run"
            console.print(f"\n[bold]{backend}[/]: {description}; {existing:,} cases in the database ({how})")
            workers = args.workers if args.workers else 2
            pool = args.warmup + 2 * args.rounds * args.requests  # each round: submissions alone, then mixed
            extra = 2 * args.requests + 1 if args.profile else 0
            per_run = args.warmup + 2 * args.requests
            compared = 2 * args.compare_rounds * per_run if args.compare else 0
            with servers(url, data_dir, workers) as srv:
                prepared = prepare(srv.base_url, url, args, pool + extra + compared)
                for_profile = prepared.submissions[pool : pool + extra]
                for_compare = prepared.submissions[pool + extra :]
                del prepared.submissions[pool:]
                console.print(
                    f"{len(prepared.tokens)} citizens signed in and certified in {prepared.signed_in:.1f} s; "
                    f"{len(prepared.submissions) + len(for_profile) + len(for_compare)} submissions pre-signed in "
                    f"{prepared.presigned:.1f} s (before the clock)"
                )
                before = count_cases(url)
                crypto = crypto_ceilings(prepared.submissions[0]["body"])
                commit = commit_ceiling(url)
                plan = {
                    "base_url": srv.base_url,
                    "server_pids": srv.pids(),
                    "tokens": prepared.tokens,
                    "reader_token": prepared.tokens[prepared.reader_token],
                    "reader_case": prepared.reader_case,
                    "officer_token": prepared.officer_token,
                    "submissions": prepared.submissions,
                    "concurrency": args.concurrency,
                    "requests": args.requests,
                    "rounds": args.rounds,
                    "warmup": args.warmup,
                    "idle_reads": args.idle_reads,
                    "time_limit": args.time_limit,
                }
                result = run_generator(plan, root / "load")
                rss = {pid: peak_rss_mib(pid) for pid in srv.workers()}
                alive = srv.process.poll() is None
                after = count_cases(url)
                profile_lines: list[str] = []
                if args.profile:
                    profile_plan = {**plan, "submissions": for_profile, "rounds": 1, "warmup": 1}
                    profile_lines = profile(srv, profile_plan, root, args.time_limit * 3)
            acknowledged = [n for phase in result["warmup"].values() for n in phase["main"]["numbers"]]
            acknowledged += [n for r in result["rounds"] for k in ("submit", "mixed") for n in r[k]["main"]["numbers"]]
            report(backend, description, before, workers, result, crypto, commit, rss, args)
            ok = check(result, acknowledged, after - before)
            if not alive:
                console.print("[bold red]FAILURE: a server process died during the run[/]")
                ok = False
            for line in profile_lines:
                console.print(line)
            if args.compare:
                ok = compare(url, data_dir, workers, plan, for_compare, args) and ok
            return ok
    except BenchFailure as error:
        console.print(f"[bold red]FAILURE ({backend}): {error}[/]")
        return False
    finally:
        shutil.rmtree(root, ignore_errors=True)


def compare(
    url: str, data_dir: Path, workers: int, plan: dict[str, Any], pool: list[dict[str, Any]], args: argparse.Namespace
) -> bool:
    """Before/after in the same run: servers from ``--compare SRC`` and from this checkout, alternated on the
    same database, each run one round of the empty request and of signed submissions."""
    variants = {"before (" + str(args.compare) + ")": Path(args.compare).resolve(), "after (this checkout)": None}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    per_run = args.warmup + 2 * args.requests
    ok = True
    for index in range(args.compare_rounds):
        for name, src in variants.items():
            chunk, pool = pool[:per_run], pool[per_run:]
            with servers(url, data_dir, workers, src) as srv:
                before = count_cases(url)
                result = run_generator(
                    {**plan, "server_pids": srv.pids(), "base_url": srv.base_url, "submissions": chunk, "rounds": 1},
                    data_dir / f"compare-{index}-{len(runs[name])}",
                )
                stored = count_cases(url) - before
            numbers = [n for p in result["warmup"].values() for n in p["main"]["numbers"]]
            numbers += [n for k in ("submit", "mixed") for n in result["rounds"][0][k]["main"]["numbers"]]
            ok = check(result, numbers, stored) and ok
            runs[name].append(result["rounds"][0])
    table = Table(title=f"before/after, {args.compare_rounds} alternated runs each (medians of the runs)")
    for heading in ("servers", "submissions/s", "p50 ms", "p99 ms", "server CPU ms/submission", "÷ empty request"):
        table.add_column(heading, justify="left" if heading == "servers" else "right")
    for name, rounds in runs.items():
        rates = [len(r["submit"]["main"]["latencies"]) / r["submit"]["main"]["elapsed"] for r in rounds]
        ratios = [rate / (len(r["healthz"]["main"]["latencies"]) / r["healthz"]["main"]["elapsed"])
                  for rate, r in zip(rates, rounds, strict=True)]  # fmt: skip
        cpu = [r["submit"]["main"]["server_cpu"] / max(1, len(r["submit"]["main"]["latencies"])) * 1000 for r in rounds]
        stats = _stats(rounds, "submit", "main")
        table.add_row(
            name,
            f"{statistics.median(rates):,.1f}",
            f"{stats['p50']:.1f}",
            f"{stats['p99']:.1f}",
            f"{statistics.median(cpu):.2f}",
            f"{statistics.median(ratios):.4f}",
        )
    console.print(table)
    return ok


# --------------------------------------------------------------------------- the report


def _stats(rounds: list[dict[str, Any]], phase: str, part: str) -> dict[str, float]:
    latencies = [x * 1000 for r in rounds for x in r[phase][part]["latencies"]]
    rates = [len(r[phase][part]["latencies"]) / r[phase][part]["elapsed"] for r in rounds if r[phase][part]["elapsed"]]
    done = sum(len(r[phase][part]["latencies"]) for r in rounds)
    cpu = sum(r[phase][part]["server_cpu"] for r in rounds)
    client = sum(r[phase][part]["client_cpu"] for r in rounds)
    elapsed = sum(r[phase][part]["elapsed"] for r in rounds)
    return {
        "done": done,
        "sent": sum(r[phase][part]["sent"] for r in rounds),
        "rate": statistics.median(rates) if rates else float("nan"),
        "rates": rates,  # type: ignore[dict-item]
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
        "cpu_ms": cpu / done * 1000 if done else float("nan"),
        "client": client / elapsed if elapsed else float("nan"),
    }


def report(
    backend: str,
    description: str,
    cases: int,
    workers: int,
    result: dict[str, Any],
    crypto: dict[str, float],
    commit: float,
    rss: dict[int, float | None],
    args: argparse.Namespace,
) -> None:
    rounds = result["rounds"]
    healthz = _stats(rounds, "healthz", "main")
    submit = _stats(rounds, "submit", "main")
    ratios = [
        (len(r["submit"]["main"]["latencies"]) / r["submit"]["main"]["elapsed"])
        / (len(r["healthz"]["main"]["latencies"]) / r["healthz"]["main"]["elapsed"])
        for r in rounds
    ]
    table = Table(
        title=f"{backend}, {cases:,} cases — {workers} server process(es), {args.rounds} rounds × "
        f"{args.requests} requests, {args.concurrency} in flight",
        caption=description,
    )
    for heading in ("request", "ok/sent", "req/s (median)", "rounds", "p50 ms", "p95 ms", "p99 ms",
                    "server CPU ms/req", "÷ empty request"):  # fmt: skip
        table.add_column(heading, justify="left" if heading == "request" else "right", no_wrap=heading == "request")

    def row(label: str, stats: dict[str, Any], ratio: str) -> None:
        table.add_row(
            label,
            f"{stats['done']}/{stats['sent']}",
            f"{stats['rate']:,.0f}",
            " ".join(f"{x:,.0f}" for x in stats["rates"]),
            f"{stats['p50']:.1f}",
            f"{stats['p95']:.1f}",
            f"{stats['p99']:.1f}",
            f"{stats['cpu_ms']:.2f}",
            ratio,
        )

    row("GET /healthz (empty request, ceiling)", healthz, "1")
    row("POST /api/v1/cases, signed (JWS)", submit, f"{statistics.median(ratios):.3f}")
    table.add_row("[italic]submissions and reads together:[/]")
    mixed = _stats(rounds, "mixed", "main")
    mixed["cpu_ms"] = float("nan")  # the servers' CPU of this phase is the submissions' and the reads' together
    row("  POST /api/v1/cases, signed (JWS)", mixed, "")
    for part, label in (("case", "  citizen GET /api/v1/cases/{n}"), ("queue", "  officer GET /officer/queue")):
        stats = _stats(rounds, "mixed", part)
        stats["cpu_ms"] = float("nan")
        row(label, stats, "")
    table.add_row("[italic]the same reads, servers otherwise idle:[/]")
    for part, label in (("case", "  citizen GET /api/v1/cases/{n}"), ("queue", "  officer GET /officer/queue")):
        row(label, _stats(rounds, "reads", part), "")
    console.print(table)

    floor = sum(crypto.values())
    console.print("Ceilings, measured in this run (this process, servers idle; medians):")
    for name, seconds in crypto.items():
        console.print(f"  {name:<42} {seconds * 1e6:9.1f} µs")
    console.print(f"  {'crypto + hashing floor per submission':<42} {floor * 1e6:9.1f} µs")
    console.print(f"  {'one database commit (1-row INSERT)':<42} {commit * 1e6:9.1f} µs")
    cpu_ms = submit["cpu_ms"]
    console.print(
        f"Ratios: a signed submission = {statistics.median(ratios):.3f} of the empty request's rate; "
        f"its server CPU ({cpu_ms:.2f} ms) = {cpu_ms / (floor * 1000):.1f}× the crypto floor, "
        f"{cpu_ms / (commit * 1000):.1f}× one commit, {cpu_ms / healthz['cpu_ms']:.1f}× the empty request's CPU."
    )
    peaks = ", ".join(f"{pid}: {mib:.0f} MiB" for pid, mib in rss.items() if mib is not None)
    console.print(f"Peak RSS (VmHWM) per server process: {peaks}")
    console.print(
        f"Load generator CPU: {submit['client']:.0%} of one core during submissions, "
        f"{healthz['client']:.0%} during the empty requests (near 100 %: the client is the limit)."
    )


def check(result: dict[str, Any], acknowledged: list[str], stored: int) -> bool:
    ok = True
    phases = [p["main"] for p in result["warmup"].values()]
    phases += [r[kind][part] for r in result["rounds"] for kind in ("healthz", "submit", "mixed", "reads")
               for part in ("main", "case", "queue")]  # fmt: skip
    failures = sum(p["failures"] for p in phases)
    if failures:
        ok = False
        console.print(f"[bold red]FAILURE: {failures} request(s) did not answer as expected[/]")
        for error in [e for p in phases for e in p["errors"]][:5]:
            console.print(f"  [red]{error}[/]")
    duplicates = len(acknowledged) - len(set(acknowledged))
    if duplicates:
        ok = False
        console.print(f"[bold red]FAILURE: {duplicates} duplicate registration number(s)[/]")
    if stored != len(acknowledged):
        ok = False
        console.print(f"[bold red]FAILURE: {len(acknowledged)} submissions acknowledged but {stored} cases stored[/]")
    if ok:
        console.print(
            f"[green]checks passed: every request answered as expected; {len(acknowledged)} signed submissions "
            f"acknowledged, registration numbers all unique, {stored} new cases stored[/]"
        )
    return ok


# --------------------------------------------------------------------------- main


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--workers", type=int, default=2, help="server processes (uvicorn --workers; default 2)")
    parser.add_argument("--scale", type=float, default=1.0, help="demo --bulk scale: × 10,000 cases (default 1)")
    parser.add_argument("--data", help="keep the loaded databases in DIR between runs (bench/kept.py)")
    parser.add_argument("--requests", type=int, default=1000, help="submissions per round (default 1000)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight (default 16)")
    parser.add_argument("--citizens", type=int, default=20, help="distinct signers (default 20)")
    parser.add_argument("--warmup", type=int, default=100, help="requests of each kind first, not counted")
    parser.add_argument("--idle-reads", type=int, default=100, help="reads of each kind with nothing else running")
    parser.add_argument("--time-limit", type=float, default=10.0, help="at most this many seconds per phase")
    parser.add_argument("--profile", action="store_true", help="py-spy the servers during one more run")
    parser.add_argument("--compare", metavar="SRC", help="also run servers from another checkout's src/ (before/after)")
    parser.add_argument("--compare-rounds", type=int, default=2, help="alternated runs per variant (default 2)")
    args = parser.parse_args(argv)
    for name in ("workers", "requests", "rounds", "concurrency", "citizens", "warmup", "idle_reads", "compare_rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.scale <= 0:
        parser.error("--scale must be positive")
    if args.compare and not (Path(args.compare) / "shaffof" / "__init__.py").exists():
        parser.error(f"--compare {args.compare}: not a source directory holding the shaffof package")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    console.print("[bold]Shaffof load benchmark: signed submissions end to end[/] (bench/load.py)")
    info = machine()
    info["server"] = info["server"].replace("(1 process)", f"({args.workers} worker processes)")
    info["client"] = f"aiohttp {aiohttp.__version__} (asyncio, a separate process: bench/loadgen.py)"
    info["nproc"] = str(os.cpu_count())
    for key, value in info.items():
        console.print(f"  {key:<13} {value}")
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    started = time.perf_counter()
    try:
        results = {backend: run_backend(backend, args) for backend in backends}
    except KeyboardInterrupt:
        console.print("[bold red]interrupted; servers, database and temp dirs cleaned up[/]")
        return 130
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    console.print(f"\ntotal time {time.perf_counter() - started:.0f} s; load average at the end: {load}")
    if not all(results.values()):
        console.print(f"[bold red]BENCHMARK FAILED on: {', '.join(b for b, good in results.items() if not good)}[/]")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
