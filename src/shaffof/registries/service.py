"""Reading the base registries: one section per data category, decrypted on the way out.

Only the information mediator calls :meth:`Registries.read` (``mediator.service``): there the policy is
checked and the access recorded. Encrypted fields are bound to their row (table, column, key) so a value
moved to another person's row does not decrypt.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shaffof.db.engine import Database
from shaffof.errors import FieldError
from shaffof.privacy.encryption import DecryptionFailed, FieldCipher, FieldKeys, KeyringInvalid
from shaffof.privacy.errors import FieldKeysUnavailable
from shaffof.registries.catalog import REGISTRIES, RegistryService
from shaffof.registries.errors import RegistryNotFound, SubjectNotInRegistry
from shaffof.registries.models import (
    BusinessRecord,
    FamilyRelation,
    IdentityDocument,
    PopulationRecord,
    PropertyRecord,
)

Section = dict[str, Any]


def registry_service(registry: str, service: str) -> RegistryService:
    found = REGISTRIES.get(registry)
    if found is None:
        raise RegistryNotFound(
            f"There is no registry {registry!r}; the registries are {', '.join(sorted(REGISTRIES))}.",
            errors=[FieldError("path/registry", "unknown registry")],
        )
    if service not in found.services:
        raise RegistryNotFound(
            f"The {registry} registry offers {', '.join(sorted(found.services))}, not {service!r}.",
            errors=[FieldError("path/service", "unknown registry service")],
        )
    return found.services[service]


def address_context(table: str, key: str) -> str:
    return f"{table}.address:{key}"


def document_context(document_kind: str, pinfl: str) -> str:
    return f"registry_documents.number:{pinfl}:{document_kind}"


class Registries:
    """The registries domain service."""

    def __init__(self, db: Database, keys: FieldKeys) -> None:
        self._db = db
        self._keys = keys

    @property
    def cipher(self) -> FieldCipher:
        try:
            return self._keys.get()
        except KeyringInvalid as error:
            raise FieldKeysUnavailable(str(error)) from None

    def read(self, session: Session, service: RegistryService, pinfl: str, categories: Iterable[str]) -> Section:
        """The sections of ``categories`` (within the service's) about one person."""
        person = session.get(PopulationRecord, pinfl)
        if person is None:
            raise SubjectNotInRegistry(
                f"The population registry has no person with PINFL {pinfl}.",
                errors=[FieldError("subject", "no such person in the registry")],
            )
        readers: dict[str, Callable[[], Any]] = {
            "identity": lambda: _identity(person),
            "address": lambda: self._address(person),
            "family": lambda: _family(session, pinfl),
            "documents": lambda: self._documents(session, pinfl),
            "property": lambda: self._property(session, pinfl),
            "business": lambda: _business(session, pinfl),
        }
        try:
            return {category: readers[category]() for category in sorted(set(categories) & service.categories)}
        except DecryptionFailed as error:
            raise FieldKeysUnavailable(f"A registry field cannot be decrypted: {error}") from None

    def _address(self, person: PopulationRecord) -> Section:
        text = self.cipher.decrypt(person.address_encrypted, address_context("registry_population", person.pinfl))
        address: Section = json.loads(text)
        return address

    def _documents(self, session: Session, pinfl: str) -> list[Section]:
        rows = session.scalars(
            sa.select(IdentityDocument).where(IdentityDocument.pinfl == pinfl).order_by(IdentityDocument.issued_on)
        )
        return [
            {
                "kind": row.kind.value,
                "number": self.cipher.decrypt(row.number_encrypted, document_context(row.kind.value, pinfl)),
                "issued_on": row.issued_on.isoformat(),
                "expires_on": row.expires_on.isoformat() if row.expires_on else None,
                "issuer": row.issuer,
            }
            for row in rows
        ]

    def _property(self, session: Session, pinfl: str) -> list[Section]:
        rows = session.scalars(
            sa.select(PropertyRecord)
            .where(PropertyRecord.owner_pinfl == pinfl)
            .order_by(PropertyRecord.cadastre_number)
        )
        return [
            {
                "cadastre_number": row.cadastre_number,
                "kind": row.kind,
                "address": self.cipher.decrypt(
                    row.address_encrypted, address_context("registry_property", row.cadastre_number)
                ),
                "area_sqm": row.area_sqm,
                "share": row.share,
                "registered_on": row.registered_on.isoformat(),
            }
            for row in rows
        ]

    def find_document(self, session: Session, number: str) -> str | None:
        """The PINFL holding the document with this number (found by its keyed hash, never by the number)."""
        index = self.cipher.blind_index(number, "document-number")
        return session.scalar(sa.select(IdentityDocument.pinfl).where(IdentityDocument.number_index == index))

    def rotate_keys(self, *, batch: int = 500, progress: Callable[[int], None] = lambda _done: None) -> int:
        """Rewrap every encrypted field's data key under the active key, a batch per transaction (readers
        keep working throughout: every key of the ring still decrypts). Returns the number rewrapped."""
        cipher = self.cipher
        columns = (
            (PopulationRecord, PopulationRecord.pinfl, "address_encrypted"),
            (PropertyRecord, PropertyRecord.cadastre_number, "address_encrypted"),
            (IdentityDocument, IdentityDocument.id, "number_encrypted"),
        )
        done = 0
        for model, key, column in columns:
            last: Any = None
            while True:
                with self._db.uow() as uow:
                    statement = sa.select(model).order_by(key).limit(batch)
                    if last is not None:
                        statement = statement.where(key > last)
                    rows = list(uow.session.scalars(statement))
                    if not rows:
                        break
                    for row in rows:
                        token = getattr(row, column)
                        if cipher.needs_rewrap(token):
                            setattr(row, column, cipher.rewrap(token))
                            done += 1
                    last = getattr(rows[-1], key.key)
                    uow.commit()
                progress(done)
        return done


def _identity(person: PopulationRecord) -> Section:
    return {
        "pinfl": person.pinfl,
        "last_name": person.last_name,
        "first_name": person.first_name,
        "patronymic": person.patronymic,
        "birth_date": person.birth_date.isoformat(),
        "sex": person.sex.value,
        "citizenship": person.citizenship,
    }


def _family(session: Session, pinfl: str) -> list[Section]:
    rows = session.execute(
        sa.select(FamilyRelation, PopulationRecord)
        .join(PopulationRecord, PopulationRecord.pinfl == FamilyRelation.relative_pinfl)
        .where(FamilyRelation.pinfl == pinfl)
        .order_by(FamilyRelation.relation, PopulationRecord.birth_date)
    ).all()
    return [
        {
            "relation": relation.relation.value,
            "pinfl": relative.pinfl,
            "last_name": relative.last_name,
            "first_name": relative.first_name,
            "birth_date": relative.birth_date.isoformat(),
            "since": relation.since.isoformat(),
        }
        for relation, relative in rows
    ]


def _business(session: Session, pinfl: str) -> list[Section]:
    rows = session.scalars(
        sa.select(BusinessRecord).where(BusinessRecord.owner_pinfl == pinfl).order_by(BusinessRecord.tin)
    )
    return [
        {
            "tin": row.tin,
            "name": row.name,
            "legal_form": row.legal_form,
            "activity_code": row.activity_code,
            "status": row.status,
            "registered_on": row.registered_on.isoformat(),
        }
        for row in rows
    ]
