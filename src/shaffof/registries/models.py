"""Tables of the base registries: population (person, address, family relations, documents), property and
business. Each registry is owned by an agency (``registries.catalog``); other bodies read it only through
the information mediator.

Sensitive fields — addresses and document numbers — are stored encrypted (``privacy.encryption``); a
document number is found through its keyed hash. PINFL and TIN are the registries' keys (the unique
identifiers of ZRU-395) and stay in clear.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shaffof.db.base import Base, enum_type, utcnow
from shaffof.identity.pinfl import Sex


class Relation(StrEnum):
    """A family relation from the civil-status records, read from the person towards the relative."""

    spouse = "spouse"
    child = "child"
    parent = "parent"


class DocumentKind(StrEnum):
    id_card = "id_card"
    travel_passport = "travel_passport"
    birth_certificate = "birth_certificate"


class PopulationRecord(Base):
    """A resident as the population registry knows them."""

    __tablename__ = "registry_population"

    pinfl: Mapped[str] = mapped_column(sa.String(14), primary_key=True)
    last_name: Mapped[str] = mapped_column(sa.String(100))
    first_name: Mapped[str] = mapped_column(sa.String(100))
    patronymic: Mapped[str | None] = mapped_column(sa.String(100))
    birth_date: Mapped[dt.date]
    sex: Mapped[Sex] = mapped_column(enum_type(Sex, 1))
    citizenship: Mapped[str] = mapped_column(sa.String(2), default="UZ")
    # {"region", "district", "mahalla", "street", "house", "apartment"} as encrypted JSON.
    address_encrypted: Mapped[str] = mapped_column(sa.Text)
    registered_since: Mapped[dt.date]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FamilyRelation(Base):
    __tablename__ = "registry_family_relations"

    pinfl: Mapped[str] = mapped_column(sa.ForeignKey("registry_population.pinfl", ondelete="CASCADE"), primary_key=True)
    relative_pinfl: Mapped[str] = mapped_column(sa.ForeignKey("registry_population.pinfl"), primary_key=True)
    relation: Mapped[Relation] = mapped_column(enum_type(Relation, 16))
    since: Mapped[dt.date]


class IdentityDocument(Base):
    __tablename__ = "registry_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    pinfl: Mapped[str] = mapped_column(sa.ForeignKey("registry_population.pinfl", ondelete="CASCADE"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_type(DocumentKind, 24))
    number_encrypted: Mapped[str] = mapped_column(sa.Text)
    number_index: Mapped[str] = mapped_column(sa.String(64), unique=True)  # keyed hash, for lookups
    issued_on: Mapped[dt.date]
    expires_on: Mapped[dt.date | None]
    issuer: Mapped[str] = mapped_column(sa.String(200))


class PropertyRecord(Base):
    """Real estate from the cadastre: the object, its owner and the owned share."""

    __tablename__ = "registry_property"

    cadastre_number: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    owner_pinfl: Mapped[str] = mapped_column(sa.ForeignKey("registry_population.pinfl"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))  # apartment, house, land_plot
    address_encrypted: Mapped[str] = mapped_column(sa.Text)
    area_sqm: Mapped[float]
    share: Mapped[str] = mapped_column(sa.String(8), default="1/1")
    registered_on: Mapped[dt.date]


class BusinessRecord(Base):
    """An individual entrepreneur or a company with its founder, from the business registry."""

    __tablename__ = "registry_business"

    tin: Mapped[str] = mapped_column(sa.String(9), primary_key=True)
    owner_pinfl: Mapped[str] = mapped_column(sa.ForeignKey("registry_population.pinfl"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    legal_form: Mapped[str] = mapped_column(sa.String(32))  # individual_entrepreneur, llc
    activity_code: Mapped[str] = mapped_column(sa.String(5))
    status: Mapped[str] = mapped_column(sa.String(16), default="active")
    registered_on: Mapped[dt.date]
