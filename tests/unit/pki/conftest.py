"""An in-memory CA hierarchy built with the production profiles (no database): root, issuing CA, TSA, OCSP
responder, and helpers that issue signer certificates with any validity — for unit tests of signing,
verification, time-stamping and OCSP, and for checking them with the ``openssl`` command line."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from shaffof.pki import authority, profiles
from shaffof.pki.chain import TrustAnchors
from shaffof.pki.status import FixedStatusSource
from shaffof.pki.tsa import TsaSigner

OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
NOW = dt.datetime(2026, 11, 24, 10, 0, 0, tzinfo=dt.UTC)
PINFL = "41403902610172"  # alice of tests/factories.py: born 1990-03-14, female, district 261, serial 017
OTHER_PINFL = "50211012610173"  # bob


def signer(key: ec.EllipticCurvePrivateKey) -> Callable[[bytes], bytes]:
    return lambda data: key.sign(data, ec.ECDSA(hashes.SHA256()))


def pem(*certificates: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)


def openssl(*args: str | Path, input: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """Run the openssl command line (an independent verifier); never raises on a non-zero exit."""
    return subprocess.run(
        [OPENSSL, *map(str, args)], capture_output=True, text=input is None, input=input, check=False, timeout=60
    )


@dataclass
class Issued:
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]


@dataclass
class MemoryCa:
    name: str = "Shaffof"
    now: dt.datetime = NOW
    keys: dict[str, ec.EllipticCurvePrivateKey] = field(default_factory=dict)
    root: x509.Certificate = field(init=False)
    issuing: x509.Certificate = field(init=False)
    tsa: x509.Certificate = field(init=False)
    ocsp: x509.Certificate = field(init=False)
    endpoints: authority.Endpoints = field(default_factory=lambda: authority.Endpoints("http://testserver"))

    def __post_init__(self) -> None:
        for role in ("root", "issuing", "tsa", "ocsp"):
            self.keys[role] = ec.generate_private_key(ec.SECP256R1())
        start = self.now - dt.timedelta(days=400)
        self.root = authority.root_certificate(
            self.keys["root"].public_key(),
            signer(self.keys["root"]),
            subject=authority.name(f"{self.name} Root CA", organization=self.name),
            not_before=start,
        )
        self.issuing = authority.issuing_ca_certificate(
            self.keys["issuing"].public_key(),
            authority.Issuer(self.root, signer(self.keys["root"])),
            self.endpoints,
            subject=authority.name(f"{self.name} Issuing CA 1", organization=self.name),
            not_before=start,
        )
        self.tsa = self._end_entity("tsa", authority.TSA_PROFILE, f"{self.name} TSA", start, 5)
        self.ocsp = self._end_entity("ocsp", authority.OCSP_PROFILE, f"{self.name} OCSP", start, 2)

    def _end_entity(
        self, role: str, profile: authority.EndEntityProfile, common_name: str, start: dt.datetime, years: int
    ) -> x509.Certificate:
        return authority.end_entity_certificate(
            self.keys[role].public_key(),
            self.issuer,
            self.endpoints,
            profile,
            subject=authority.name(common_name, organization=self.name),
            not_before=start,
            not_after=profiles.add_months(start, 12 * years),
        )

    @property
    def issuer(self) -> authority.Issuer:
        return authority.Issuer(self.issuing, signer(self.keys["issuing"]))

    @property
    def trust(self) -> TrustAnchors:
        return TrustAnchors.of([self.root])

    @property
    def tsa_signer(self) -> TsaSigner:
        return TsaSigner(self.tsa, signer(self.keys["tsa"]), (self.issuing,))

    def citizen(
        self,
        pinfl: str = PINFL,
        *,
        not_before: dt.datetime | None = None,
        months: int = 12,
        policy: x509.ObjectIdentifier = profiles.POLICY_CITIZEN_CLIENT_KEY,
        profile: authority.EndEntityProfile | None = None,
        key: ec.EllipticCurvePrivateKey | None = None,
    ) -> Issued:
        key = key or ec.generate_private_key(ec.SECP256R1())
        start, end = profiles.signer_validity(not_before or self.now - dt.timedelta(days=30), months)
        certificate = authority.end_entity_certificate(
            key.public_key(),
            self.issuer,
            self.endpoints,
            profile or authority.signer_profile(policy),
            subject=authority.name(
                "Karimova Aziza",
                surname="Karimova",
                given_name="Aziza",
                serial_number=profiles.pinfl_serial_number(pinfl),
            ),
            not_before=start,
            not_after=end,
        )
        return Issued(key, certificate, (certificate, self.issuing))

    def officer(self, agency: str = "TOSHHOK") -> Issued:
        key = ec.generate_private_key(ec.SECP256R1())
        start, end = profiles.signer_validity(self.now - dt.timedelta(days=30), 12)
        certificate = authority.end_entity_certificate(
            key.public_key(),
            self.issuer,
            self.endpoints,
            authority.signer_profile(profiles.POLICY_OFFICER),
            subject=authority.name("Toshhok Officer", organization="Toshkent shahar hokimligi", unit=agency),
            not_before=start,
            not_after=end,
        )
        return Issued(key, certificate, (certificate, self.issuing))

    def revocations(self, revoked: Sequence[tuple[x509.Certificate, dt.datetime]]) -> FixedStatusSource:
        return FixedStatusSource({(self.issuing.serial_number, c.serial_number): at for c, at in revoked})


@pytest.fixture(scope="session")
def ca() -> MemoryCa:
    return MemoryCa()


@pytest.fixture(scope="session")
def foreign_ca() -> MemoryCa:
    """Another CA with the same names: only the trust anchor tells them apart."""
    return MemoryCa()
