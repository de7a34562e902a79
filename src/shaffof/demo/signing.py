"""Demo citizens sign their submissions to services with legal effect, as a client-held key would (ZRU-793).

Each such citizen gets a key "on their device" — held only while the demo loads — certified by the platform CA
at the time of their first signed submission; every later submission in the demo's year is signed with it, and
the platform verifies and timestamps it exactly as for a live submission. The demo's history begins a year ago,
so the certification authority must be at least that old: the demo sets it up at the history's start when the
database has none yet (``make serve`` loads the demo before ``shaffof init`` would create a CA dated today).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from shaffof.cases.schemas import CaseSubmit
from shaffof.pki.errors import PkiNotInitialised
from shaffof.pki.service import Pki
from shaffof.pki.signing.jws import sign_submission


class HistoryTooOld(RuntimeError):
    """The CA is younger than the demo's history: signatures dated before it existed would not verify."""


def ensure_authority_since(pki: Pki, start: dt.datetime) -> None:
    """Set up the CA dated ``start`` when there is none; refuse when the existing one is younger than that."""
    try:
        root = pki.hierarchy().root.certificate
    except PkiNotInitialised:
        real = pki.clock
        pki.clock = lambda: start
        try:
            pki.initialise()
        finally:
            pki.clock = real
        return
    if root.not_valid_before_utc > start:
        raise HistoryTooOld(
            f"The certification authority dates from {root.not_valid_before_utc:%Y-%m-%d}, after the start of the "
            f"demo's history ({start:%Y-%m-%d}): load the demo into a fresh database before `shaffof init` "
            "sets up a CA (as `make serve` does)."
        )


@dataclass
class DemoSigners:
    """The demo citizens' client-held keys, certified on first use at the demo clock's time."""

    pki: Pki
    clock: Callable[[], dt.datetime]
    _keys: dict[str, tuple[ec.EllipticCurvePrivateKey, list[x509.Certificate]]] = field(default_factory=dict)

    def certify(self, login: str) -> None:
        """Give ``login`` (a citizen's PINFL) a certified key now, unless they hold one. Runs outside any unit of
        work: the CA commits the certificate in its own."""
        if login in self._keys:
            return
        key = ec.generate_private_key(ec.SECP256R1())
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, login)]))  # the CA uses the record
            .sign(key, hashes.SHA256())
        )
        real = self.pki.clock
        self.pki.clock = self.clock
        try:
            issued = self.pki.issue_from_csr_for(login, csr.public_bytes(Encoding.PEM).decode())
        finally:
            self.pki.clock = real
        self._keys[login] = (key, x509.load_pem_x509_certificates(issued.chain_pem.encode()))

    def sign(self, login: str, command: CaseSubmit) -> CaseSubmit:
        """The submission with the citizen's JWS over exactly what it sends, dated by the demo clock."""
        key, chain = self._keys[login]
        content = command.signed_content()
        return CaseSubmit.model_validate({**content, "signature": sign_submission(content, key, chain, self.clock())})
