"""What the cases domain needs from other domains, as contracts (implemented elsewhere, wired in platform.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from shaffof.legal import Citation


@dataclass(frozen=True)
class SignatureCheck:
    """The outcome of checking an applicant's signature, as the cases domain needs it."""

    valid: bool
    reason: str  # a stable code, e.g. "pinfl_mismatch"; "" when valid
    detail: str  # one sentence for the applicant
    signer: str = ""
    certificate_serial: str = ""
    signing_time: dt.datetime | None = None

    def __bool__(self) -> bool:
        return self.valid


class SubmissionSignatures(Protocol):
    """Verifies and timestamps applicants' signed submissions (the PKI implements it)."""

    def verify(
        self, session: Session, token: str, expected_pinfl: str, at: dt.datetime, payload: bytes
    ) -> SignatureCheck:
        """Signature, chain to the platform CA, validity at ``at``, revocation, key usage, the PINFL, and that
        exactly ``payload`` (RFC 8785 bytes) was signed; read within the submission's ``session``."""
        ...

    def timestamp(self, session: Session, token: str) -> tuple[str, dt.datetime]:
        """The JWS with an RFC 3161 timestamp token attached (what is stored), and the token's time."""
        ...


@dataclass(frozen=True)
class DecisionFacts:
    """What a decision document states, gathered by the cases domain."""

    registration_number: str
    agency_code: str
    body: str
    service: str
    applicant: str
    received_at: dt.datetime
    decided_at: dt.datetime
    outcome: str
    reasons: str
    officer: str
    citations: tuple[Citation, ...] = ()


@dataclass(frozen=True)
class IssuedDecision:
    """A rendered and sealed decision (PAdES) with what its signature says."""

    pdf: bytes
    signer: str
    certificate_serial: str
    signing_time: dt.datetime
    timestamp: dt.datetime | None


class DecisionIssuer(Protocol):
    """Renders and signs decision documents (the decisions domain implements it)."""

    def issue(self, session: Session, facts_: DecisionFacts) -> IssuedDecision: ...
