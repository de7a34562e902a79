"""Administering staff accounts: list them, change a role, deactivate and reactivate (administrators only).

Creating a staff account is :func:`shaffof.identity.service.create_staff_account`. A deactivated account
cannot sign in and its open sessions and API tokens stop working at once (``authenticate`` checks
``is_active``); nothing is deleted, because case events, decisions and access records name the account.
Citizens' accounts belong to their person and are not managed here.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shaffof.catalog.models import Agency
from shaffof.errors import FieldError, NotFound
from shaffof.identity.actor import Actor
from shaffof.identity.errors import InvalidPersonData
from shaffof.identity.models import AGENCY_ROLES, Account, Role
from shaffof.identity.policy import ensure_admin

STAFF_ROLES = tuple(r for r in Role if r is not Role.citizen)


class StaffAccountNotFound(NotFound):
    code = "staff-account-not-found"
    title = "No such staff account"


@dataclass(frozen=True)
class StaffAccount:
    login: str
    display_name: str
    role: Role
    agency: str | None
    is_active: bool


def list_staff(session: Session, actor: Actor) -> list[StaffAccount]:
    ensure_admin(actor)
    rows = session.execute(
        sa.select(Account, Agency.code)
        .outerjoin(Agency, Agency.id == Account.agency_id)
        .where(Account.role != Role.citizen)
        .order_by(Agency.code.nulls_first(), Account.login)
    ).all()
    return [StaffAccount(a.login, a.display_name, a.role, code, a.is_active) for a, code in rows]


def _staff(session: Session, login: str) -> Account:
    account = session.scalar(sa.select(Account).where(Account.login == login, Account.role != Role.citizen))
    if account is None:
        raise StaffAccountNotFound(f"There is no staff account {login!r}.", errors=[FieldError("login", "unknown")])
    return account


def change_role(session: Session, actor: Actor, login: str, role: Role) -> StaffAccount:
    """A new role for a staff account. Officers and heads work for a body, so the account must have one;
    an administrator cannot take away their own administrator role (nobody would be left to give it back)."""
    ensure_admin(actor)
    account = _staff(session, login)
    if role is Role.citizen:
        raise InvalidPersonData(
            "A staff account cannot become a citizen's: citizens are enrolled with their person.",
            errors=[FieldError("role", "citizen accounts belong to a person")],
        )
    if role in AGENCY_ROLES and account.agency_id is None:
        raise InvalidPersonData(
            f"{login} belongs to no body; officers and heads work for one.",
            errors=[FieldError("role", "officers and heads need a body")],
        )
    if account.id == actor.account_id and role is not Role.admin:
        raise InvalidPersonData(
            "You cannot take away your own administrator role.", errors=[FieldError("role", "own account")]
        )
    account.role = role
    session.flush()
    return _public(session, account)


def set_active(session: Session, actor: Actor, login: str, active: bool) -> StaffAccount:
    """Deactivate (or reactivate) a staff account; an administrator cannot deactivate themselves."""
    ensure_admin(actor)
    account = _staff(session, login)
    if account.id == actor.account_id and not active:
        raise InvalidPersonData("You cannot deactivate your own account.", errors=[FieldError("login", "own account")])
    account.is_active = active
    session.flush()
    return _public(session, account)


def _public(session: Session, account: Account) -> StaffAccount:
    code = session.scalar(sa.select(Agency.code).where(Agency.id == account.agency_id)) if account.agency_id else None
    return StaffAccount(account.login, account.display_name, account.role, code, account.is_active)
