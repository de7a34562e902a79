"""What the cases domain needs from other domains, as contracts (implemented elsewhere, wired in platform.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.orm import Session

from shaffof.legal import Citation

if TYPE_CHECKING:
    from shaffof.cases.models import Case, Outcome
    from shaffof.identity.actor import Actor


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


@dataclass(frozen=True)
class Assignment:
    """Who a case is routed to (None: nobody eligible — any officer of the body may take it), with the rule
    and its inputs, recorded as the ``assigned`` event's data."""

    account_id: int | None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ApprovedDecision:
    """A proposed decision approved by a second officer: it now takes effect as the proposer's decision."""

    proposed_by_account_id: int
    outcome: Outcome
    reason: str
    data: dict[str, Any] = field(default_factory=dict)


class CaseIntegrity(Protocol):
    """Fair assignment, recusal and four-eyes approval (the integrity domain implements it). Every method
    runs inside the case operation's transaction; the cases domain appends the events."""

    def assign(self, session: Session, case: Case, at: dt.datetime) -> Assignment:
        """Route a newly registered case to an officer of its body by the body's assignment rule."""
        ...

    def ensure_may_act(self, session: Session, actor: Actor, case: Case, operation: str, at: dt.datetime) -> None:
        """Refuse (and log, even though the operation fails) an officer who is recused from the case."""
        ...

    def needs_second_approval(self, session: Session, case: Case, outcome: Outcome) -> str | None:
        """Why the decision needs a second officer's approval (four-eyes), or None when it does not."""
        ...

    def propose(
        self, session: Session, actor: Actor, case: Case, outcome: Outcome, reason: str, why: str, at: dt.datetime
    ) -> dict[str, Any]:
        """Record a decision awaiting approval; the ``decision_proposed`` event's data."""
        ...

    def approve(self, session: Session, actor: Actor, case: Case, at: dt.datetime) -> ApprovedDecision:
        """A second officer approves the pending decision (different from the proposer, not recused)."""
        ...

    def send_back(self, session: Session, actor: Actor, case: Case, reason: str, at: dt.datetime) -> dict[str, Any]:
        """A second officer rejects the pending decision with a reason; the ``decision_sent_back`` data."""
        ...

    def reassign(
        self, session: Session, actor: Actor, case: Case, officer_login: str, reason: str, at: dt.datetime
    ) -> Assignment:
        """The head of the body moves the case to another officer, with a reason."""
        ...

    def awaiting_approval(self, session: Session, cases: list[Case]) -> set[Any]:
        """The ids of those of ``cases`` whose decision awaits a second officer's approval."""
        ...
