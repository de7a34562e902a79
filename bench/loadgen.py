"""The load generator of bench/load.py: a separate process that drives the servers over loopback HTTP.

It runs in its own process (its own interpreter and GIL) so the client's work is visible as what it is — one
more process on the same two cores — and never slows the server's event loop or the measurement of it. It
does no cryptography: the orchestrator pre-signs every submission before the clock starts and hands this
process a plan (JSON) with the bodies, the bearer tokens and the servers' process ids. aiohttp keeps one
keep-alive connection per request in flight.

Per round it runs, one after the other (interleaved, so a noisy neighbour hits every phase alike):

  healthz   GET /healthz — the framework's near-empty request, the ceiling, same client and same processes
  submit    POST /api/v1/cases with a pre-signed JWS (distinct body and Idempotency-Key each), alone: the
            throughput, latency and server CPU per submission
  mixed     the same while a citizen polls GET /api/v1/cases/{n} and an officer GET /api/v1/officer/queue
            ("reads under load": their latency, and the submissions' beside them)
  reads     the same two reads with nothing else running (their latency when the server is idle)

Bounded in requests and in time: each phase stops starting requests after ``time_limit`` seconds. The result
(latencies, statuses, the servers' CPU time per phase from /proc, registration numbers acknowledged) is
written as JSON to the path given; the orchestrator checks and prints it.

    python bench/loadgen.py PLAN.json RESULT.json
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

CLK_TCK = os.sysconf("SC_CLK_TCK")
READ_PAUSE = 0.02  # seconds between one reader's requests: a person polling, not a second flood


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of the server processes (all threads), from /proc/<pid>/stat."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


class Phase:
    """One phase of one round: what the client saw and what the servers spent."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.errors: list[str] = []
        self.failures = 0
        self.sent = 0
        self.numbers: list[str] = []
        self.elapsed = 0.0
        self.server_cpu = 0.0
        self.client_cpu = 0.0

    def record(self, status: int, expected: int, began: float, text: str) -> None:
        self.latencies.append(time.perf_counter() - began)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status != expected:
            self.failures += 1
            if len(self.errors) < 5:
                self.errors.append(f"HTTP {status}: {text[:300]}")

    def failed(self, error: BaseException) -> None:
        self.failures += 1
        if len(self.errors) < 5:
            self.errors.append(f"{type(error).__name__}: {error}")

    def as_json(self) -> dict[str, Any]:
        return {
            "latencies": self.latencies,
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "errors": self.errors,
            "failures": self.failures,
            "sent": self.sent,
            "numbers": self.numbers,
            "elapsed": self.elapsed,
            "server_cpu": self.server_cpu,
            "client_cpu": self.client_cpu,
        }


class Generator:
    def __init__(self, plan: dict[str, Any], session: aiohttp.ClientSession) -> None:
        self.plan = plan
        self.session = session
        self.base = plan["base_url"]
        self.pids: list[int] = plan["server_pids"]
        self.tokens = [{"Authorization": f"Bearer {t}"} for t in plan["tokens"]]
        self.submissions: list[dict[str, Any]] = plan["submissions"]
        self.next_submission = 0
        self.reader = {"Authorization": f"Bearer {plan['reader_token']}"}
        self.officer = {"Authorization": f"Bearer {plan['officer_token']}"}
        self.case_path = f"/api/v1/cases/{plan['reader_case']}"

    async def healthz(self, phase: Phase) -> None:
        began = time.perf_counter()
        async with self.session.get(self.base + "/healthz") as response:
            text = await response.text()
        phase.record(response.status, 200, began, text)

    async def submit(self, phase: Phase) -> None:
        item = self.submissions[self.next_submission]
        self.next_submission += 1
        headers = {
            **self.tokens[item["token"]],
            "Idempotency-Key": item["key"],
            "Content-Type": "application/json",
        }
        began = time.perf_counter()
        async with self.session.post(self.base + "/api/v1/cases", data=item["body"], headers=headers) as response:
            text = await response.text()
        phase.record(response.status, 201, began, text)
        if response.status == 201:
            phase.numbers.append(json.loads(text)["registration_number"])

    async def read_case(self, phase: Phase) -> None:
        began = time.perf_counter()
        async with self.session.get(self.base + self.case_path, headers=self.reader) as response:
            text = await response.text()
        phase.record(response.status, 200, began, text)

    async def read_queue(self, phase: Phase) -> None:
        began = time.perf_counter()
        async with self.session.get(self.base + "/api/v1/officer/queue", headers=self.officer) as response:
            text = await response.text()
        phase.record(response.status, 200, began, text)

    def remaining(self) -> int:
        return len(self.submissions) - self.next_submission

    async def run(self, kind: str, requests: int, concurrency: int, time_limit: float, readers: bool) -> dict[str, Any]:
        """``requests`` requests of ``kind`` from ``concurrency`` workers; with ``readers``, the two polling
        readers run alongside until the last worker is done."""
        main, case_reads, queue_reads = Phase(), Phase(), Phase()
        operation = {"healthz": self.healthz, "submit": self.submit, "reads": None}[kind]
        if kind == "submit":
            requests = min(requests, self.remaining())
        issued = 0
        start = time.perf_counter()
        deadline = start + time_limit
        done = asyncio.Event()

        async def worker() -> None:
            nonlocal issued
            assert operation is not None
            while issued < requests and time.perf_counter() < deadline:
                issued += 1
                main.sent += 1
                try:
                    await operation(main)
                except (aiohttp.ClientError, TimeoutError) as error:
                    main.failed(error)

        async def poll(read: Any, phase: Phase, limit: int | None) -> None:
            while not done.is_set() and (limit is None or phase.sent < limit) and time.perf_counter() < deadline:
                phase.sent += 1
                try:
                    await read(phase)
                except (aiohttp.ClientError, TimeoutError) as error:
                    phase.failed(error)
                await asyncio.sleep(READ_PAUSE)

        cpu0, client0 = cpu_seconds(self.pids), time.process_time()
        if kind == "reads":  # the readers alone: as many reads as the submit phase's readers made, roughly
            await asyncio.gather(
                poll(self.read_case, case_reads, requests), poll(self.read_queue, queue_reads, requests)
            )
        else:
            pollers = (
                [asyncio.create_task(poll(self.read_case, case_reads, None)),
                 asyncio.create_task(poll(self.read_queue, queue_reads, None))]
                if readers
                else []
            )  # fmt: skip
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            done.set()
            await asyncio.gather(*pollers)
        elapsed = time.perf_counter() - start
        server_cpu = cpu_seconds(self.pids) - cpu0
        client_cpu = time.process_time() - client0
        for phase in (main, case_reads, queue_reads):
            phase.elapsed, phase.server_cpu, phase.client_cpu = elapsed, server_cpu, client_cpu
        return {"main": main.as_json(), "case": case_reads.as_json(), "queue": queue_reads.as_json()}


async def generate(plan: dict[str, Any]) -> dict[str, Any]:
    concurrency = int(plan["concurrency"])
    connector = aiohttp.TCPConnector(limit=concurrency + 2, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        generator = Generator(plan, session)
        limit = float(plan["time_limit"])
        warmup = {
            "healthz": await generator.run("healthz", plan["warmup"], concurrency, limit, readers=False),
            "submit": await generator.run("submit", plan["warmup"], concurrency, limit, readers=True),
        }
        rounds = []
        for _ in range(int(plan["rounds"])):
            healthz = await generator.run("healthz", plan["requests"], concurrency, limit, readers=False)
            submit = await generator.run("submit", plan["requests"], concurrency, limit, readers=False)
            mixed = await generator.run("submit", plan["requests"], concurrency, limit, readers=True)
            reads = await generator.run("reads", plan["idle_reads"], concurrency, limit, readers=False)
            rounds.append({"healthz": healthz, "submit": submit, "mixed": mixed, "reads": reads})
    return {"warmup": warmup, "rounds": rounds}


def main() -> int:
    plan = json.loads(Path(sys.argv[1]).read_text())
    result = asyncio.run(generate(plan))
    Path(sys.argv[2]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
