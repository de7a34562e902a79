"""Errors of the decisions domain (mapped to RFC 9457 problems by the web layer)."""

from __future__ import annotations

from shaffof.errors import DomainError, Forbidden


class SignerNotOfAgency(Forbidden):
    """A decision is signed for the body that takes it: an officer's certificate must name that agency."""

    code = "signer-not-of-agency"
    title = "The signing certificate is not the deciding body's"


class DecisionNotVerifiable(DomainError):
    status = 500
    code = "decision-not-verifiable"
    title = "The sealed decision did not verify"
