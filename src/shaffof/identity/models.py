"""Tables of the identity domain: persons, accounts, auth tokens, login attempts."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shaffof.db.base import Base, enum_type, utcnow
from shaffof.identity.pinfl import Sex


class Role(StrEnum):
    citizen = "citizen"
    officer = "officer"
    head = "head"  # head of a body: approves exceptional extensions, sees the agency board
    auditor = "auditor"
    admin = "admin"
    archivist = "archivist"  # keeps the archive: retention, legal holds, disposal (archive/policy.py)


AGENCY_ROLES = frozenset({Role.officer, Role.head})


class TokenKind(StrEnum):
    session = "session"  # browser session, sent as an HttpOnly cookie
    api = "api"  # bearer token for API clients


class Person(Base):
    """A natural person, identified by PINFL."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    pinfl: Mapped[str] = mapped_column(sa.String(14), unique=True)
    last_name: Mapped[str] = mapped_column(sa.String(100))
    first_name: Mapped[str] = mapped_column(sa.String(100))
    patronymic: Mapped[str | None] = mapped_column(sa.String(100))
    birth_date: Mapped[dt.date]
    sex: Mapped[Sex] = mapped_column(enum_type(Sex, 1))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.patronymic) if p)


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        sa.CheckConstraint("role NOT IN ('officer', 'head') OR agency_id IS NOT NULL", name="agency_staff_have_agency"),
        sa.CheckConstraint("role <> 'citizen' OR person_id IS NOT NULL", name="citizen_is_a_person"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(sa.String(64), unique=True)
    role: Mapped[Role] = mapped_column(enum_type(Role, 16))
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("persons.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    password_hash: Mapped[str | None] = mapped_column(sa.String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AuthToken(Base):
    """A browser session or an API token. Only the SHA-256 of the secret is stored."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    kind: Mapped[TokenKind] = mapped_column(enum_type(TokenKind, 16))
    label: Mapped[str | None] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]


class LoginAttempt(Base):
    """Failed and successful logins, counted for throttling (no passwords are kept, ever)."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        sa.Index("ix_login_attempts_login_at", "login", "at"),
        sa.Index("ix_login_attempts_client_ip_at", "client_ip", "at"),  # per-address throttling (oidc sign-in)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(sa.String(64))
    client_ip: Mapped[str | None] = mapped_column(sa.String(64))
    succeeded: Mapped[bool]
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
