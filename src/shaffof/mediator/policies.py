"""Administering the mediator's access policies: list, add, change, revoke — each change in the policy's
history with who made it and why (issue 6, part 2).

Deny by default stays: only an active policy allows a query (``Mediator._authorise``); revoking makes a
policy allow nothing and keeps its row, so its history and the access records that cite it still resolve.
Administrators do this over the API; the operator's console (``shaffof mediator policy-…``) is trusted as
the operator and is named in the history by its system user.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shaffof.catalog import service as catalog
from shaffof.catalog.errors import AgencyNotFound
from shaffof.db.base import utcnow
from shaffof.db.engine import Database
from shaffof.errors import Conflict, FieldError, InvalidInput, NotFound
from shaffof.identity.actor import Actor
from shaffof.identity.models import Role
from shaffof.legal import Citation
from shaffof.mediator.admin import INTERACTION
from shaffof.mediator.errors import AdministratorsOrAuditorsOnly
from shaffof.mediator.models import AccessPolicy, PolicyAction, PolicyChange
from shaffof.mediator.schemas import PolicyChangePublic, PolicyCreate, PolicyPublic, PolicyRevoke, PolicyUpdate
from shaffof.privacy import grounds
from shaffof.privacy.models import LegalGround
from shaffof.registries.catalog import REGISTRIES


class PolicyNotFound(NotFound):
    code = "access-policy-not-found"
    title = "No such access policy"


class PolicyExists(Conflict):
    code = "access-policy-exists"
    title = "An active policy already covers this agency, registry service and purpose"


@dataclass(frozen=True)
class Operator:
    """Who changes a policy: an administrator's account, or the console's system user."""

    name: str
    account_id: int | None = None

    @classmethod
    def of(cls, actor: Actor) -> Operator:
        if actor.role is not Role.admin:
            raise AdministratorsOrAuditorsOnly("Only an administrator can change the mediator's access policies.")
        return cls(f"account:{actor.account_id} {actor.display_name}"[:100], actor.account_id)


def _default_citation(ground: LegalGround) -> Citation:
    # ZRU-547 Art. 18 for consent; otherwise the interdepartmental interaction of ZRU-395.
    return grounds.ART_18 if ground is LegalGround.consent else INTERACTION


def _checked_categories(registry: str, service: str, categories: list[str]) -> list[str]:
    spec = REGISTRIES[registry].services[service]
    beyond = sorted(set(categories) - spec.categories)
    if beyond:
        raise InvalidInput(
            f"{registry}/{service} gives no {', '.join(beyond)}.",
            errors=[FieldError("categories", f"choose from {', '.join(sorted(spec.categories))}")],
        )
    return sorted(set(categories))


def _state(row: AccessPolicy, consumer: str) -> dict[str, Any]:
    """The policy as its history keeps it (and as the API shows it)."""
    return {
        "consumer": consumer,
        "registry": row.registry_code,
        "service": row.service,
        "purpose": row.purpose,
        "categories": list(row.categories),
        "legal_ground": row.legal_ground.value,
        "citation": dict(row.citation),
        "logging": row.logging.value,
        "active": row.active,
    }


class Policies:
    """The access-policy administration (built once by the composition root)."""

    def __init__(self, db: Database, *, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self._db = db
        self.clock = clock

    def all(self, actor: Actor | None, *, include_revoked: bool = True) -> list[PolicyPublic]:
        """Every policy (administrators and auditors; ``None`` is the console)."""
        if actor is not None and actor.role not in (Role.admin, Role.auditor):
            raise AdministratorsOrAuditorsOnly("Only administrators and auditors read the access policies.")
        with self._db.reading() as session:
            codes = catalog.agency_codes(session)
            statement = sa.select(AccessPolicy).order_by(AccessPolicy.consumer_agency_id, AccessPolicy.id)
            if not include_revoked:
                statement = statement.where(AccessPolicy.active.is_(True))
            return [self._public(row, codes[row.consumer_agency_id]) for row in session.scalars(statement)]

    def history(self, actor: Actor | None, policy_id: int) -> list[PolicyChangePublic]:
        if actor is not None and actor.role not in (Role.admin, Role.auditor):
            raise AdministratorsOrAuditorsOnly("Only administrators and auditors read the access policies.")
        with self._db.reading() as session:
            self._get(session, policy_id)
            rows = session.scalars(
                sa.select(PolicyChange).where(PolicyChange.policy_id == policy_id).order_by(PolicyChange.id)
            )
            return [
                PolicyChangePublic(
                    id=r.id,
                    at=r.at,
                    policy_id=r.policy_id,
                    action=r.action,
                    operator=r.operator,
                    reason=r.reason,
                    before=r.before,
                    after=r.after,
                )
                for r in rows
            ]

    def add(self, by: Operator, command: PolicyCreate) -> PolicyPublic:
        """A new policy; a revoked one for the same agency, service and purpose comes back with the new terms."""
        registry = REGISTRIES.get(command.registry)
        if registry is None:
            raise InvalidInput(
                f"There is no registry {command.registry!r}; the registries are {', '.join(sorted(REGISTRIES))}.",
                errors=[FieldError("registry", "unknown registry")],
            )
        if command.service not in registry.services:
            raise InvalidInput(
                f"The {command.registry} registry offers {', '.join(sorted(registry.services))}, "
                f"not {command.service!r}.",
                errors=[FieldError("service", "unknown registry service")],
            )
        categories = _checked_categories(command.registry, command.service, command.categories)
        citation = command.citation or _default_citation(command.legal_ground)
        with self._db.uow() as uow:
            session = uow.session
            try:
                agency = catalog.get_agency_by_code(session, command.consumer)
            except AgencyNotFound:
                raise InvalidInput(
                    f"There is no agency {command.consumer!r}.", errors=[FieldError("consumer", "unknown agency")]
                ) from None
            row = session.scalar(
                sa.select(AccessPolicy)
                .where(
                    AccessPolicy.consumer_agency_id == agency.id,
                    AccessPolicy.registry_code == command.registry,
                    AccessPolicy.service == command.service,
                    AccessPolicy.purpose == command.purpose,
                )
                .with_for_update()
            )
            before = None
            if row is not None:
                if row.active:
                    raise PolicyExists(
                        f"Policy {row.id} already lets {agency.code} use {command.registry}/{command.service} "
                        f"for {command.purpose!r}; change it instead.",
                        errors=[FieldError("purpose", "a policy for this purpose exists")],
                    )
                before = _state(row, agency.code)
            else:
                row = AccessPolicy(
                    consumer_agency_id=agency.id,
                    registry_code=command.registry,
                    service=command.service,
                    purpose=command.purpose,
                )
                session.add(row)
            row.categories = categories
            row.legal_ground = command.legal_ground
            row.citation = citation.model_dump(mode="json", exclude_none=True)
            row.logging = command.logging
            row.active = True
            session.flush()
            self._log(session, row, agency.code, PolicyAction.added, by, command.reason, before)
            uow.commit()
            return self._public(row, agency.code)

    def change(self, by: Operator, policy_id: int, command: PolicyUpdate) -> PolicyPublic:
        with self._db.uow() as uow:
            session = uow.session
            row, consumer = self._active(session, policy_id)
            before = _state(row, consumer)
            if command.categories is not None:
                row.categories = _checked_categories(row.registry_code, row.service, command.categories)
            if command.legal_ground is not None:
                row.legal_ground = command.legal_ground
                if command.citation is None:
                    row.citation = _default_citation(command.legal_ground).model_dump(mode="json", exclude_none=True)
            if command.citation is not None:
                row.citation = command.citation.model_dump(mode="json", exclude_none=True)
            if command.logging is not None:
                row.logging = command.logging
            if _state(row, consumer) == before:
                raise InvalidInput(
                    "The change leaves the policy as it was; say what changes (categories, legal_ground, "
                    "citation or logging).",
                    errors=[FieldError("categories", "nothing changes")],
                )
            session.flush()
            self._log(session, row, consumer, PolicyAction.changed, by, command.reason, before)
            uow.commit()
            return self._public(row, consumer)

    def revoke(self, by: Operator, policy_id: int, command: PolicyRevoke) -> PolicyPublic:
        """From this commit the policy allows nothing: the next query that relied on it is refused."""
        with self._db.uow() as uow:
            session = uow.session
            row, consumer = self._active(session, policy_id)
            before = _state(row, consumer)
            row.active = False
            session.flush()
            self._log(session, row, consumer, PolicyAction.revoked, by, command.reason, before)
            uow.commit()
            return self._public(row, consumer)

    # ------------------------------------------------------------------ internals

    @staticmethod
    def _get(session: Session, policy_id: int, *, for_update: bool = False) -> AccessPolicy:
        row = session.get(AccessPolicy, policy_id, with_for_update=for_update)
        if row is None:
            raise PolicyNotFound(
                f"There is no access policy {policy_id}.", errors=[FieldError("path/policy_id", "unknown policy")]
            )
        return row

    def _active(self, session: Session, policy_id: int) -> tuple[AccessPolicy, str]:
        """The policy to change or revoke, locked, with its consumer's code; a revoked one is not changed."""
        row = self._get(session, policy_id, for_update=True)
        if not row.active:
            raise PolicyNotFound(
                f"Policy {policy_id} is revoked; add it again to restore it.",
                errors=[FieldError("path/policy_id", "revoked policy")],
            )
        return row, catalog.get_agency(session, row.consumer_agency_id).code

    def _log(
        self,
        session: Session,
        row: AccessPolicy,
        consumer: str,
        action: PolicyAction,
        by: Operator,
        reason: str,
        before: dict[str, Any] | None,
    ) -> None:
        session.add(
            PolicyChange(
                at=self.clock(),
                policy_id=row.id,
                action=action,
                actor_account_id=by.account_id,
                operator=by.name,
                reason=reason,
                before=before,
                after=_state(row, consumer),
            )
        )

    @staticmethod
    def _public(row: AccessPolicy, consumer: str) -> PolicyPublic:
        return PolicyPublic(
            id=row.id,
            consumer=consumer,
            registry=row.registry_code,
            service=row.service,
            purpose=row.purpose,
            categories=row.categories,
            legal_ground=row.legal_ground,
            citation=row.citation,
            logging=row.logging,
            active=row.active,
        )
