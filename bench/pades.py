"""PAdES B-LT signatures per second on decision PDFs, beside the raw ECDSA P-256 sign measured in the same run.

What is timed (one core, this process, interleaved rounds; medians of the rounds):

  primitive        one ECDSA P-256/SHA-256 sign of a 100-byte message (pyca/cryptography, OpenSSL)
  tsa token        ``tsa.respond``: one RFC 3161 TimeStampResp, in-process (every signature needs one)
  ocsp answer      ``ocsp.respond``: one OCSP response for the signer and the TSA (every signature needs one)
  sign_pdf         ``pades.sign_pdf`` of a rendered decision with an in-memory CA: pre-signing chain validation,
                   CMS with signing-certificate-v2, the timestamp, the DSS (OCSP + CRLs + certificates) — B-LT
  platform         ``pades.sign_with_platform`` inside a unit of work on a migrated SQLite file: the agency's
                   e-seal from the key store, OCSP and TSA answers from ``Pki``, CRLs read in the transaction
                   (what ``issue_decision_pdf`` adds to rendering)
  verify_pdf       the platform's verifier on a signed decision, offline (pyHanko validation + verify.py rules)
  render           ``decisions.document.render``: WeasyPrint HTML → PDF/A-3b with embedded fonts (reported
                   separately: it is not part of signing, and it dominates issuing a decision)

The goal of issue 3: at least 50 signed PDFs per second per core (the platform line).

    .venv/bin/python bench/pades.py [--rounds R] [--seconds S] [--no-db]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform as pyplatform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # for tests.factories, whatever the working directory
warnings.filterwarnings("ignore")  # WeasyPrint's HarfBuzz notice

import cryptography  # noqa: E402
import pyhanko.version  # noqa: E402
from asn1crypto import tsp  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from shaffof.decisions.document import DecisionDocument, render  # noqa: E402
from shaffof.legal import Citation  # noqa: E402
from shaffof.pki import authority, chain, ocsp, profiles, tsa  # noqa: E402
from shaffof.pki.interfaces import GOOD  # noqa: E402
from shaffof.pki.pdf_verify import verify_pdf  # noqa: E402
from shaffof.pki.service import VerificationContext  # noqa: E402
from shaffof.pki.signing import pades  # noqa: E402

console = Console(highlight=False, width=None if sys.stdout.isatty() else 140)
GOAL_PER_SECOND = 50


def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    models = [line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")]
    meminfo = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines() if ":" in line)
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    from cryptography.hazmat.backends.openssl import backend

    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "cpu": f"{models[0] if models else pyplatform.processor() or 'unknown'} × {os.cpu_count()}",
        "ram": f"{int(meminfo['MemTotal'].split()[0]) / 1024 / 1024:.1f} GiB",
        "load average": ", ".join(f"{x:.2f}" for x in os.getloadavg()) + " (1, 5, 15 min, at start)",
        "python": f"{pyplatform.python_implementation()} {pyplatform.python_version()}",
        "cryptography": f"{cryptography.__version__} ({backend.openssl_version_text()})",
        "pyhanko": pyhanko.version.__version__,
        "commit": commit or "unknown",
    }


def document(n: int) -> DecisionDocument:
    return DecisionDocument(
        registration_number=f"TOSHHOK-2026-{n:06d}",
        body="Toshkent shahar hokimligi",
        service="Hokimlikka murojaat",
        applicant="Aziza Karimova",
        received_at=dt.datetime(2026, 3, 6, 5, 0, tzinfo=dt.UTC),
        decided_at=dt.datetime(2026, 3, 20, 19, 30, tzinfo=dt.UTC),
        outcome="partially_approved",
        reasons="Koʻcha chiroqlari 10 kun ichida almashtiriladi.\nҚолган талаблар рад этилди.",
        officer="Bobur Toshmatov",
        verify_url=f"https://shaffof.example/verify?case=TOSHHOK-2026-{n:06d}",
        citations=[Citation(law="ZRU-445", article="28", part="1", title="15 kun", url="https://lex.uz/docs/3336171")],
    )


def _signer(key: ec.EllipticCurvePrivateKey) -> Callable[[bytes], bytes]:
    return lambda data: key.sign(data, ec.ECDSA(hashes.SHA256()))


class MemoryCa:
    """Root → issuing CA → TSA, OCSP responder and an agency e-seal, with the production profiles."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.keys = {
            role: ec.generate_private_key(ec.SECP256R1()) for role in ("root", "issuing", "tsa", "ocsp", "seal")
        }
        endpoints = authority.Endpoints("http://bench")
        start = now - dt.timedelta(days=1)
        self.root = authority.root_certificate(
            self.keys["root"].public_key(),
            _signer(self.keys["root"]),
            subject=authority.name("Shaffof Root CA", organization="Shaffof"),
            not_before=start,
        )
        self.issuing = authority.issuing_ca_certificate(
            self.keys["issuing"].public_key(),
            authority.Issuer(self.root, _signer(self.keys["root"])),
            endpoints,
            subject=authority.name("Shaffof Issuing CA 1", organization="Shaffof"),
            not_before=start,
        )
        issuer = authority.Issuer(self.issuing, _signer(self.keys["issuing"]))

        # The names the platform gives (they matter: asn1crypto's cost grows with the names it encodes).
        def end_entity(role: str, profile: authority.EndEntityProfile, name: str, **subject: str) -> x509.Certificate:
            return authority.end_entity_certificate(
                self.keys[role].public_key(),
                issuer,
                endpoints,
                profile,
                subject=authority.name(name, **subject),
                not_before=start,
                not_after=profiles.add_months(start, 12),
            )

        self.tsa = end_entity("tsa", authority.TSA_PROFILE, "Shaffof Time-Stamping Authority", organization="Shaffof")
        self.ocsp = end_entity("ocsp", authority.OCSP_PROFILE, "Shaffof OCSP Responder", organization="Shaffof")
        agency = "Toshkent shahar hokimligi"
        self.seal = end_entity(
            "seal", authority.signer_profile(profiles.POLICY_ESEAL), agency, organization=agency, unit="TOSHHOK"
        )
        self.tsa_signer = tsa.TsaSigner(self.tsa, _signer(self.keys["tsa"]), (self.issuing,))
        self.responder = ocsp.OcspResponder(self.ocsp, self.issuing, _signer(self.keys["ocsp"]))
        # The root's CRL, as the platform embeds (the OCSP answer covers the end-entity certificates).
        self.crls = (
            authority.revocation_list(
                authority.Issuer(self.root, _signer(self.keys["root"])),
                [],
                number=1,
                this_update=now - dt.timedelta(hours=1),
                next_update=now + dt.timedelta(days=7),
            ).public_bytes(serialization.Encoding.DER),
        )

    @property
    def certificate(self) -> x509.Certificate:  # the e-seal, as a pades.SigningKey
        return self.seal

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        return (self.seal, self.issuing)

    def sign(self, data: bytes) -> bytes:
        return _signer(self.keys["seal"])(data)


def timed(operation: Callable[[int], object], seconds: float, *, batch: int = 1) -> float:
    """Run ``operation(i)`` for about ``seconds`` (at least one batch); return µs per call."""
    calls, started = 0, time.perf_counter()
    while True:
        for _ in range(batch):
            operation(calls)
            calls += 1
        now = time.perf_counter()
        if now - started >= seconds:
            return (now - started) / calls * 1e6


def platform_path(tmp: Path, pdf: bytes) -> tuple[Callable[[int], object], Callable[[], None]]:
    """``sign_with_platform`` in a unit of work on a migrated SQLite file with the shipped catalogue."""
    from tests.factories import World

    from shaffof.config import Settings
    from shaffof.db import migrate
    from shaffof.db.engine import Database
    from shaffof.platform import Platform

    url = f"sqlite:///{tmp / 'bench.db'}"
    migrate.upgrade(url)
    db = Database(url)
    settings = Settings(data_dir=tmp / "var", secret_key="bench-secret-key-that-is-long-enough-0123456789")
    platform = Platform.build(settings, db)
    World.build(platform, REPO / "services")
    platform.pki.initialise()
    platform.pki.issue_eseal(None, "TOSHHOK")

    def sign(_: int) -> None:
        with db.uow() as uow:
            key = platform.pki.eseal(uow.session, "TOSHHOK")
            pades.sign_with_platform(platform.pki, uow.session, pdf, key)
            uow.commit()

    return sign, db.dispose


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0, help="per measurement per round")
    parser.add_argument("--no-db", action="store_true", help="skip the SQLite platform measurement")
    args = parser.parse_args()

    table = Table(title="Machine", show_header=False)
    for key, value in machine().items():
        table.add_row(key, value)
    console.print(table)

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    ca = MemoryCa(now)
    pdf = render(document(1)).pdf
    message = bytes(range(100))
    timestamp_request = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": bytes(32)},
            "nonce": 0x5EED_5EED_5EED,
            "cert_req": True,
        }
    ).dump()
    ocsp_request = pades.ocsp_request([ca.seal, ca.tsa], ca.issuing)

    def sign_memory(_: int) -> bytes:
        answer = ocsp.respond(ocsp_request, ca.responder, lambda serial: GOOD, now=now)
        return pades.sign_pdf(
            pdf,
            ca,
            trust_roots=[ca.root],
            timestamp=lambda request: tsa.respond(request, ca.tsa_signer, now=now),
            revocation=pades.RevocationInfo(ocsp_responses=(answer,), crls=ca.crls),
            at=now,
            tsa_certificate=ca.tsa,
        )

    signed = sign_memory(0)
    context = VerificationContext(chain.TrustAnchors.of([ca.root]), None)
    if not verify_pdf(signed, context, now):
        raise SystemExit(f"the signed PDF does not verify: {verify_pdf(signed, context, now)}")

    measurements: dict[str, Callable[[int], object]] = {
        "primitive: ECDSA P-256 sign": lambda i: ca.keys["seal"].sign(message, ec.ECDSA(hashes.SHA256())),
        "RFC 3161 token (tsa.respond)": lambda i: tsa.respond(timestamp_request, ca.tsa_signer, now=now),
        "OCSP answer, 2 certificates (ocsp.respond)": lambda i: ocsp.respond(
            ocsp_request, ca.responder, lambda serial: GOOD, now=now
        ),
        "sign_pdf, in-memory CA (B-LT)": sign_memory,
    }
    tmp_dir = None
    dispose: Callable[[], None] | None = None
    if not args.no_db:
        tmp_dir = tempfile.TemporaryDirectory(prefix="shaffof-bench-")
        sign_platform, dispose = platform_path(Path(tmp_dir.name), pdf)
        measurements["sign_with_platform, SQLite transaction (B-LT)"] = sign_platform
    measurements["verify_pdf, offline"] = lambda i: verify_pdf(signed, context, now)
    measurements["render decision (WeasyPrint, PDF/A-3b)"] = lambda i: render(document(i))

    batches = {"primitive: ECDSA P-256 sign": 200, "OCSP answer, 2 certificates (ocsp.respond)": 10}
    for name, operation in measurements.items():  # warm-up (caches, the TSA's size-estimation token)
        timed(operation, 0.2, batch=batches.get(name, 1))
    samples: dict[str, list[float]] = {name: [] for name in measurements}
    for _ in range(args.rounds):
        for name, operation in measurements.items():
            samples[name].append(timed(operation, args.seconds, batch=batches.get(name, 1)))

    medians = {name: statistics.median(values) for name, values in samples.items()}
    base = medians["primitive: ECDSA P-256 sign"]
    results = Table(title=f"PAdES: medians of {args.rounds} rounds × ~{args.seconds:g} s, one core")
    for column in ("operation", "ms per op", "ops/s", "× primitive", "spread (min–max ms)"):
        results.add_column(column, justify="right" if column != "operation" else "left")
    for name, median in medians.items():
        per_second = 1e6 / median
        shown = f"{per_second:,.0f}" if per_second >= 10 else f"{per_second:,.1f}"
        if name.startswith("sign_"):
            shown = f"[{'green' if per_second >= GOAL_PER_SECOND else 'red'}]{shown}[/]"
        results.add_row(
            name,
            f"{median / 1000:.3f}",
            shown,
            f"{median / base:,.0f}",
            f"{min(samples[name]) / 1000:.3f}–{max(samples[name]) / 1000:.3f}",
        )
    console.print(results)
    headline = "sign_with_platform, SQLite transaction (B-LT)"
    if headline not in medians:
        headline = "sign_pdf, in-memory CA (B-LT)"
    rate = 1e6 / medians[headline]
    token_share = medians["RFC 3161 token (tsa.respond)"] / medians[headline]
    without_token = 1e6 / (medians[headline] - medians["RFC 3161 token (tsa.respond)"])
    console.print(
        f"Goal (≥ {GOAL_PER_SECOND} signed PDFs/s per core) {'met' if rate >= GOAL_PER_SECOND else 'NOT met'}: "
        f"{rate:.0f}/s ({headline}); the RFC 3161 token is {token_share:.0%} of it ({without_token:.0f}/s "
        "without building it). Issuing a decision adds "
        f"rendering: {medians['render decision (WeasyPrint, PDF/A-3b)'] / 1000:.0f} ms. "
        f"Signed PDF: {len(signed):,} bytes ({len(signed) - len(pdf):,} for signature, timestamp and DSS)."
    )
    if dispose is not None:
        dispose()
    if tmp_dir is not None:
        tmp_dir.cleanup()


if __name__ == "__main__":
    main()
