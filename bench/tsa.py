"""CPU of one RFC 3161 timestamp token, as every signed submission gets one (``tsa.stamp``), beside its ECDSA
signature and the same token built with asn1crypto's classes (the encoding used before; the reference in
tests/unit/pki/test_tsa_der.py) — measured in the same run, medians of CPU time.

    .venv/bin/python bench/tsa.py [--tokens 300] [--rounds 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: E402
from submit import machine  # noqa: E402
from tests.unit.pki.test_tsa_der import reference  # noqa: E402

from shaffof.pki import tsa  # noqa: E402


def signer() -> tsa.TsaSigner:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bench TSA")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(key, hashes.SHA256())
    )
    return tsa.TsaSigner(certificate, lambda data: key.sign(data, ec.ECDSA(hashes.SHA256())), (certificate,))


def cpu_per_call(operation: Callable[[], object], calls: int, rounds: int) -> float:
    results = []
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(calls):
            operation()
        results.append((time.process_time() - started) / calls)
    return statistics.median(results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    for key, value in machine().items():
        print(f"  {key:<13} {value}")
    tsa_signer = signer()
    digest = hashlib.sha256(b"submission").digest()
    now = dt.datetime.now(dt.UTC)
    figures = {
        "ECDSA P-256 sign (the token's signature)": cpu_per_call(
            lambda: tsa_signer.sign(digest), args.tokens, args.rounds
        ),
        "token, DER written directly (tsa.stamp)": cpu_per_call(
            lambda: tsa.stamp(digest, tsa_signer, now=now), args.tokens, args.rounds
        ),
        "token, asn1crypto classes (before)": cpu_per_call(
            lambda: reference(tsa_signer, digest, now=now, nonce=None, certificates=True, serial=2**126 + 1),
            args.tokens,
            args.rounds,
        ),
    }
    sign = figures["ECDSA P-256 sign (the token's signature)"]
    for name, seconds in figures.items():
        print(f"  {name:<44} {seconds * 1e3:8.3f} ms CPU  ({seconds / sign:5.1f}× the signature)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
