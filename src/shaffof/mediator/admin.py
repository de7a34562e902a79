"""Administering the mediator: access policies and member keys (administrators; the CLI as the operator).

Policies are data: which consumer agency may use which registry service for which purpose, for which
categories, on which legal ground (ZRU-547 Art. 18) with its citation, and how much of the content the
message log keeps. Nothing is allowed that no policy names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shaffof.catalog import service as catalog
from shaffof.errors import FieldError, InvalidInput
from shaffof.legal import Citation
from shaffof.mediator.models import AccessPolicy, LoggingLevel, MediatorMember
from shaffof.privacy import grounds
from shaffof.privacy.models import LegalGround
from shaffof.registries.service import registry_service

INTERACTION = Citation(
    law="ZRU-395",
    title="Interdepartmental electronic interaction: bodies obtain the data they need from each other",
    url="https://lex.uz/docs/2833855",
)


@dataclass(frozen=True)
class PolicySpec:
    consumer: str  # agency code
    registry: str
    service: str
    purpose: str
    categories: frozenset[str]
    legal_ground: LegalGround
    citation: Citation = field(default=INTERACTION)
    logging: LoggingLevel = LoggingLevel.metadata


# The demo's policies: each body reads what its services need, nothing more.
DEMO_POLICIES: tuple[PolicySpec, ...] = (
    PolicySpec(
        "IJTIMOIY",
        "population",
        "family",
        "child-allowance",
        frozenset({"identity", "family"}),
        LegalGround.legal_obligation,
        logging=LoggingLevel.full,
    ),
    PolicySpec(
        "IJTIMOIY", "property", "by-owner", "child-allowance", frozenset({"property"}), LegalGround.legal_obligation
    ),
    # The residence registration's automated process reads the applicant's person record (age on the day).
    PolicySpec(
        "IIV", "population", "person", "residence-registration", frozenset({"identity"}), LegalGround.legal_obligation
    ),
    PolicySpec(
        "QURILISH", "property", "by-owner", "building-permit", frozenset({"property"}), LegalGround.legal_obligation
    ),
    PolicySpec(
        "SOLIQ",
        "business",
        "by-owner",
        "tax-registration",
        frozenset({"business"}),
        LegalGround.legal_obligation,
        logging=LoggingLevel.none,
    ),
    PolicySpec(
        "TOSHHOK",
        "population",
        "address",
        "appeal-handling",
        frozenset({"identity", "address"}),
        LegalGround.legal_obligation,
    ),
    PolicySpec(
        "YUNUSHOK",
        "population",
        "address",
        "appeal-handling",
        frozenset({"identity", "address"}),
        LegalGround.legal_obligation,
    ),
    PolicySpec(
        "ADLIYA",
        "population",
        "family",
        "marriage-registration",
        frozenset({"identity", "family"}),
        LegalGround.legal_obligation,
    ),
    # Beyond a legal obligation: the pension fund reads document data only with the person's consent.
    PolicySpec(
        "PENSIYA",
        "population",
        "documents",
        "pension-statement",
        frozenset({"identity", "documents"}),
        LegalGround.consent,
        citation=grounds.ART_18,
        logging=LoggingLevel.full,  # content kept — and destroyed when the consent is withdrawn
    ),
)


def add_policies(session: Session, specs: Iterable[PolicySpec]) -> int:
    """Write (or replace) policies in the caller's transaction; each is checked against the registries."""
    written = 0
    for spec in specs:
        service = registry_service(spec.registry, spec.service)
        beyond = sorted(spec.categories - service.categories)
        if beyond:
            raise InvalidInput(
                f"{spec.registry}/{spec.service} gives no {', '.join(beyond)}.",
                errors=[FieldError("categories", "beyond the registry service")],
            )
        agency = catalog.get_agency_by_code(session, spec.consumer)
        # Replaced in place: the policy's history (mediator_policy_changes) keeps pointing at it.
        row = session.scalar(
            sa.select(AccessPolicy).where(
                AccessPolicy.consumer_agency_id == agency.id,
                AccessPolicy.registry_code == spec.registry,
                AccessPolicy.service == spec.service,
                AccessPolicy.purpose == spec.purpose,
            )
        )
        if row is None:
            row = AccessPolicy(
                consumer_agency_id=agency.id, registry_code=spec.registry, service=spec.service, purpose=spec.purpose
            )
            session.add(row)
        row.categories = sorted(spec.categories)
        row.legal_ground = spec.legal_ground
        row.citation = spec.citation.model_dump(mode="json", exclude_none=True)
        row.logging = spec.logging
        row.active = True
        written += 1
    session.flush()
    return written


def register_member(session: Session, agency_code: str, public_key: bytes) -> str:
    """Register an agency system's Ed25519 request-signing key; its id is the key's SHA-256 prefix."""
    if len(public_key) != 32:
        raise InvalidInput("An Ed25519 public key has 32 bytes.", errors=[FieldError("public_key", "not 32 bytes")])
    agency = catalog.get_agency_by_code(session, agency_code)
    key_id = f"{agency.code.lower()}-{hashlib.sha256(public_key).hexdigest()[:16]}"
    if session.get(MediatorMember, key_id) is None:
        session.add(MediatorMember(key_id=key_id, agency_id=agency.id, public_key=public_key))
        session.flush()
    return key_id
