"""Identity operations: persons, accounts, password login with throttling, sessions and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shaffof.db.base import utcnow
from shaffof.db.uow import UnitOfWork
from shaffof.errors import FieldError
from shaffof.identity import pinfl as pinfl_rules
from shaffof.identity.actor import Actor
from shaffof.identity.errors import (
    AccountExists,
    InvalidCredentials,
    InvalidPersonData,
    TooManyLoginAttempts,
)
from shaffof.identity.models import AGENCY_ROLES, Account, AuthToken, LoginAttempt, Person, Role, TokenKind
from shaffof.identity.passwords import MIN_PASSWORD_LENGTH, Passwords
from shaffof.identity.policy import ensure_admin
from shaffof.identity.schemas import AccountPublic, PersonEnrol, PersonPublic, StaffAccountCreate


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int
    window: dt.timedelta
    session_ttl: dt.timedelta
    api_token_ttl: dt.timedelta


@dataclass(frozen=True)
class IssuedToken:
    """The secret is shown once, to the caller; only its hash is stored."""

    secret: str
    kind: TokenKind
    expires_at: dt.datetime
    actor: Actor


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def register_person(
    uow: UnitOfWork,
    *,
    pinfl: str,
    last_name: str,
    first_name: str,
    patronymic: str | None = None,
) -> Person:
    """Add a person; the PINFL is validated and its birth date and sex are taken from it."""
    try:
        parsed = pinfl_rules.parse(pinfl)
    except pinfl_rules.InvalidPinfl as error:
        raise InvalidPersonData(f"Invalid PINFL: {error}.", errors=[FieldError("pinfl", str(error))]) from None
    missing = [
        FieldError(n, "must not be empty")
        for n, v in (("last_name", last_name), ("first_name", first_name))
        if not v.strip()
    ]
    if missing:
        raise InvalidPersonData("The person's name is incomplete.", errors=missing)
    if uow.session.scalar(sa.select(Person.id).where(Person.pinfl == parsed.value)) is not None:
        raise AccountExists(f"A person with PINFL {parsed.value} is already registered.")
    person = Person(
        pinfl=parsed.value,
        last_name=last_name.strip(),
        first_name=first_name.strip(),
        patronymic=(patronymic or "").strip() or None,
        birth_date=parsed.birth_date,
        sex=parsed.sex,
    )
    uow.session.add(person)
    uow.session.flush()
    return person


def create_account(
    uow: UnitOfWork,
    passwords: Passwords,
    *,
    login: str,
    password: str,
    role: Role,
    display_name: str,
    person_id: int | None = None,
    agency_id: int | None = None,
    email: str | None = None,
    password_hash: str | None = None,
) -> Account:
    """Create an account. ``password_hash`` lets bulk loaders reuse one hash for many demo accounts."""
    errors = []
    if password_hash is None and len(password) < MIN_PASSWORD_LENGTH:
        errors.append(FieldError("password", f"must have at least {MIN_PASSWORD_LENGTH} characters"))
    if role in AGENCY_ROLES and agency_id is None:
        errors.append(FieldError("agency", f"an account with the role {role} belongs to an agency"))
    if role is Role.citizen and person_id is None:
        errors.append(FieldError("person", "a citizen account belongs to a person"))
    if errors:
        raise InvalidPersonData("The account cannot be created.", errors=errors)
    if uow.session.scalar(sa.select(Account.id).where(Account.login == login)) is not None:
        raise AccountExists(f"The login {login!r} is taken.")
    account = Account(
        login=login,
        role=role,
        display_name=display_name,
        person_id=person_id,
        agency_id=agency_id,
        email=email,
        password_hash=password_hash or passwords.hash(password),
    )
    uow.session.add(account)
    uow.session.flush()
    return account


def actor_of(account: Account) -> Actor:
    return Actor(
        account_id=account.id,
        role=account.role,
        display_name=account.display_name,
        person_id=account.person_id,
        agency_id=account.agency_id,
    )


def login(
    uow: UnitOfWork,
    passwords: Passwords,
    policy: LoginPolicy,
    *,
    login_name: str,
    password: str,
    kind: TokenKind,
    client_ip: str | None,
    label: str | None = None,
) -> IssuedToken:
    """Check the password and issue a session or API token.

    Throttling: after ``max_failures`` failed attempts for a login within ``window`` the login is
    refused (even with the right password) until the window has passed; the refusal is recorded too.
    """
    now = utcnow()
    session = uow.session
    failures = session.scalar(
        sa.select(sa.func.count())
        .select_from(LoginAttempt)
        .where(
            LoginAttempt.login == login_name,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at > now - policy.window,
        )
    )
    if failures is not None and failures >= policy.max_failures:
        raise TooManyLoginAttempts(
            f"Too many failed sign-in attempts for this login. Try again in "
            f"{int(policy.window.total_seconds() // 60)} minutes.",
            retry_after=int(policy.window.total_seconds()),
        )
    account = session.scalar(sa.select(Account).where(Account.login == login_name))
    valid = passwords.verify(account.password_hash if account else None, password)
    if account is None or not valid or not account.is_active:
        session.add(LoginAttempt(login=login_name, client_ip=client_ip, succeeded=False, at=now))
        uow.commit()
        raise InvalidCredentials("The login or the password is wrong.")
    if account.password_hash and passwords.needs_rehash(account.password_hash):
        account.password_hash = passwords.hash(password)
    session.add(LoginAttempt(login=login_name, client_ip=client_ip, succeeded=True, at=now))
    ttl = policy.session_ttl if kind is TokenKind.session else policy.api_token_ttl
    secret = secrets.token_urlsafe(32)
    session.add(
        AuthToken(
            token_hash=token_hash(secret),
            account_id=account.id,
            kind=kind,
            label=label,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    actor = actor_of(account)
    uow.commit()
    return IssuedToken(secret=secret, kind=kind, expires_at=now + ttl, actor=actor)


def _valid_token(session: Session, secret: str, kind: TokenKind) -> tuple[AuthToken, Account] | None:
    row = session.execute(
        sa.select(AuthToken, Account)
        .join(Account, Account.id == AuthToken.account_id)
        .where(AuthToken.token_hash == token_hash(secret), AuthToken.kind == kind)
    ).first()
    if row is None:
        return None
    token, account = row
    if token.revoked_at is not None or token.expires_at <= utcnow() or not account.is_active:
        return None
    return token, account


def authenticate(session: Session, secret: str, kind: TokenKind) -> Actor | None:
    """The actor a session cookie or bearer token belongs to, or None when it is unknown/expired/revoked."""
    found = _valid_token(session, secret, kind)
    return actor_of(found[1]) if found else None


def logout(uow: UnitOfWork, secret: str) -> None:
    token = uow.session.scalar(sa.select(AuthToken).where(AuthToken.token_hash == token_hash(secret)))
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()
        uow.commit()


def find_account_by_login(session: Session, login_name: str) -> Account | None:
    return session.scalar(sa.select(Account).where(Account.login == login_name))


def enrol_citizen(uow: UnitOfWork, passwords: Passwords, actor: Actor, command: PersonEnrol) -> PersonPublic:
    """An administrator enrols a person with a citizen account whose login is the PINFL."""
    ensure_admin(actor)
    person = register_person(
        uow,
        pinfl=command.pinfl,
        last_name=command.last_name,
        first_name=command.first_name,
        patronymic=command.patronymic,
    )
    account = create_account(
        uow,
        passwords,
        login=person.pinfl,
        password=command.password,
        role=Role.citizen,
        display_name=f"{person.first_name} {person.last_name}",
        person_id=person.id,
        email=command.email,
    )
    result = PersonPublic(
        pinfl=person.pinfl,
        full_name=person.full_name,
        birth_date=person.birth_date,
        sex=person.sex,
        login=account.login,
    )
    uow.commit()
    return result


def create_staff_account(
    uow: UnitOfWork, passwords: Passwords, actor: Actor, command: StaffAccountCreate, agency_id: int | None
) -> AccountPublic:
    """An administrator creates an officer, head, auditor or administrator account."""
    ensure_admin(actor)
    if command.role is Role.citizen:
        raise InvalidPersonData(
            "Citizen accounts are enrolled with their person: POST /api/v1/admin/persons.",
            errors=[FieldError("role", "citizen accounts belong to a person")],
        )
    account = create_account(
        uow,
        passwords,
        login=command.login,
        password=command.password,
        role=command.role,
        display_name=command.display_name,
        agency_id=agency_id,
        email=command.email,
    )
    result = AccountPublic(
        login=account.login, role=account.role, display_name=account.display_name, agency=command.agency
    )
    uow.commit()
    return result


def get_person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise LookupError(f"no person {person_id}")
    return person


def get_account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise LookupError(f"no account {account_id}")
    return account


@dataclass(frozen=True)
class ActiveSession:
    """A valid browser session: its row id (other domains key their session data on it) and its actor."""

    token_id: int
    actor: Actor
    created_at: dt.datetime
    expires_at: dt.datetime


def active_session(session: Session, secret: str) -> ActiveSession | None:
    found = _valid_token(session, secret, TokenKind.session)
    if found is None:
        return None
    token, account = found
    return ActiveSession(token.id, actor_of(account), token.created_at, token.expires_at)


def rotate_session(uow: UnitOfWork, secret: str, ttl: dt.timedelta) -> tuple[str, int]:
    """Replace a browser session by a new one (new secret, same account) in the caller's transaction.

    Called when the session's privileges change (a step-up): a session id seen before the change is worth
    nothing after it (OWASP session fixation). Returns the new secret and the new row's id.
    """
    now = utcnow()
    old = uow.session.scalar(
        sa.select(AuthToken).where(AuthToken.token_hash == token_hash(secret), AuthToken.kind == TokenKind.session)
    )
    if old is None or old.revoked_at is not None:
        raise LookupError("no such session")
    old.revoked_at = now
    new_secret = secrets.token_urlsafe(32)
    new = AuthToken(
        token_hash=token_hash(new_secret),
        account_id=old.account_id,
        kind=TokenKind.session,
        label=old.label,
        created_at=now,
        expires_at=min(old.expires_at, now + ttl),  # the absolute timeout is not extended by a step-up
    )
    uow.session.add(new)
    uow.session.flush()
    return new_secret, new.id


def failed_logins_from(session: Session, client_ip: str, since: dt.datetime) -> int:
    """Failed sign-ins from one address since an instant, whatever logins they tried (per-address throttling)."""
    count = session.scalar(
        sa.select(sa.func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.client_ip == client_ip, LoginAttempt.succeeded.is_(False), LoginAttempt.at > since)
    )
    return int(count or 0)


def citizen_account_by_pinfl(session: Session, pinfl: str) -> Account | None:
    """The active account of the person with this PINFL (for sign-in through an upstream identity provider)."""
    return session.scalar(
        sa.select(Account)
        .join(Person, Person.id == Account.person_id)
        .where(Person.pinfl == pinfl, Account.role == Role.citizen, Account.is_active.is_(True))
        .order_by(Account.id)
        .limit(1)
    )


def open_session(uow: UnitOfWork, account_id: int, ttl: dt.timedelta) -> tuple[str, int]:
    """A browser session for an account authenticated elsewhere (an upstream identity provider), in the
    caller's transaction; the secret and the row's id."""
    now = utcnow()
    secret = secrets.token_urlsafe(32)
    row = AuthToken(
        token_hash=token_hash(secret),
        account_id=account_id,
        kind=TokenKind.session,
        created_at=now,
        expires_at=now + ttl,
    )
    uow.session.add(row)
    uow.session.flush()
    return secret, row.id


def display_names(session: Session, account_ids: set[int]) -> dict[int, str]:
    """Accounts' display names by id (for lists that name who did something)."""
    if not account_ids:
        return {}
    rows = session.execute(sa.select(Account.id, Account.display_name).where(Account.id.in_(account_ids)))
    return {account_id: name for account_id, name in rows}


def pinfls_of_accounts(session: Session, account_ids: set[int]) -> list[str]:
    """The PINFLs of the persons behind these accounts (staff accounts have none)."""
    if not account_ids:
        return []
    rows = session.scalars(
        sa.select(Person.pinfl).join(Account, Account.person_id == Person.id).where(Account.id.in_(account_ids))
    )
    return sorted(rows)


def citizen_accounts_of(session: Session, pinfl: str) -> list[int]:
    """The citizen accounts of the person with this PINFL (none if the person has no account)."""
    rows = session.scalars(
        sa.select(Account.id)
        .join(Person, Person.id == Account.person_id)
        .where(Person.pinfl == pinfl, Account.role == Role.citizen, Account.is_active.is_(True))
    )
    return list(rows)
